--[[
a0lua.emulator.values: helpers for JSON values as a0lua.core.json decodes them (objects are plain
tables, arrays carry json.array_mt, null is json.null).

  values.copy(v) -> a deep copy (arrays keep their marker)
  values.merge(target, patch [, own]) -> target  top-level keys of patch replace target's;
                                                  a json.null value removes the key; own = {
                                                  [key] = function(target, value, key) }:
                                                  the keys merged their own way (null too)
  values.deep_merge(target, patch) -> target      objects merge recursively, arrays and scalars
                                                  replace; json.null removes the key
  values.project(item, fields, include) -> copy   keep (include ~= false) or drop the named keys
  values.is_object(v), values.is_array(v)
  values.array([t]) -> t marked as an array      values.null: json.null
]]
local json = require("a0lua.core.json")

local M = {}

local null = json.null
local array_mt = json.array_mt

function M.is_array(v)
  return type(v) == "table" and getmetatable(v) == array_mt
end

function M.is_object(v)
  return type(v) == "table" and getmetatable(v) ~= array_mt
end

M.array = json.array
M.null = null

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  local mt = getmetatable(v)
  if mt == array_mt then setmetatable(out, array_mt) end
  return out
end
M.copy = copy

-- One key of a patch: null removes it, anything else is copied in.
local function put(target, k, v)
  if v == null then target[k] = nil else target[k] = copy(v) end
end

function M.merge(target, patch, own)
  for k, v in pairs(patch) do
    local merge_own = own and own[k]
    if merge_own then merge_own(target, v, k) else put(target, k, v) end
  end
  return target
end

local function deep_merge(target, patch)
  for k, v in pairs(patch) do
    if M.is_object(v) and M.is_object(target[k]) then
      deep_merge(target[k], v)
    else
      put(target, k, v)
    end
  end
  return target
end
M.deep_merge = deep_merge

-- fields: a list of names; include: true keeps only them, false keeps all but them.
function M.project(item, fields, include)
  if not fields then return item end
  local out = {}
  if include == false then
    for k, v in pairs(item) do out[k] = v end
    for _, f in ipairs(fields) do out[f] = nil end
  else
    for _, f in ipairs(fields) do out[f] = item[f] end
  end
  return out
end

return M
