--[[
a0lua.util: the small helpers the engine and the handlers share, defined once.

  local util = require("a0lua.util")
  util.present(v) -> boolean          v is set: not nil, null, false or ""
  util.is_object(v) -> boolean        a table that is not a JSON array (a0lua.core.json's marker)
  util.is_array(v) -> boolean         a table marked as a JSON array
  util.set_of(list) -> { [v] = true } the values of a list (nil or a non-table: an empty set)
  util.sorted_keys(t) -> keys         the keys of t, sorted (keys of one type)
  util.sorted_string_keys(t) -> keys  the string keys of t, sorted (other keys left out)
  util.copy(v) -> v                   a deep copy; each table keeps its metatable (arrays stay
                                      arrays), null and other values are returned as they are
  util.shallow_copy(t) -> t           a new table of t's own keys and values (no metatable)
  util.replace_plain(text, needle, replacement) -> text   every occurrence, no patterns
  util.allow_delete(ctx) -> boolean   AUTH0_ALLOW_DELETE is on in ctx.config
  util.message_of(v) -> text          the message of any error value: its tostring when it has
                                      one (a0lua.errors), else its `message` field, else tostring
]]
local json = require("a0lua.core.json")

local M = {}

local NULL = json.null
local ARRAY_MT = json.array_mt

function M.present(v)
  return v ~= nil and v ~= NULL and v ~= false and v ~= ""
end

function M.is_object(v)
  return type(v) == "table" and getmetatable(v) ~= ARRAY_MT
end

function M.is_array(v)
  return type(v) == "table" and getmetatable(v) == ARRAY_MT
end

function M.set_of(list)
  local s = {}
  for _, v in ipairs(type(list) == "table" and list or {}) do s[v] = true end
  return s
end

function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

function M.copy(v)
  if type(v) ~= "table" or v == NULL then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = M.copy(x) end
  return setmetatable(out, getmetatable(v))
end

-- The table's own keys in a new table (no metatable); the values are not copied.
function M.shallow_copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

function M.sorted_string_keys(t)
  local keys = {}
  for k in pairs(t) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

function M.replace_plain(text, needle, replacement)
  local out, done = {}, 1
  while true do
    local s, e = text:find(needle, done, true)
    if not s then break end
    out[#out + 1] = text:sub(done, s - 1)
    out[#out + 1] = replacement
    done = e + 1
  end
  if done == 1 then return text end
  out[#out + 1] = text:sub(done)
  return table.concat(out)
end

function M.allow_delete(ctx)
  local v = ctx.config and ctx.config.AUTH0_ALLOW_DELETE
  return v == true or v == "true"
end

function M.message_of(v)
  if type(v) == "table" then
    local mt = getmetatable(v)
    if mt and mt.__tostring then return tostring(v) end
    if v.message ~= nil then return tostring(v.message) end
  end
  return tostring(v)
end

return M
