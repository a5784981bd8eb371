--[[
a0lua.emulator.paging: the Management API's list pagination, applied to a full list.

  local paging = require("a0lua.emulator.paging")
  paging.apply(style, items, query, opts) -> body
    style  "both"        offset paging, or checkpoint paging when `from` or `take` is given
           "offset"      page (from 0), per_page (default 50, at most 100), include_totals:
                         a bare array, or {start, limit, total, <key>} with include_totals=true;
                         at most the first 1,000 records are reachable
           "checkpoint"  from (the previous answer's `next`), take (default 50, at most
                         opts.max_take or 100): {<key>, next}, `next` absent on the last page;
                         opts.bare_without_params: a bare array when neither is given
           "actions"     page, per_page (default 20, at most 100): {<key>, total, page,
                         per_page}; opts.omit_zero drops total and page when they are 0 (the
                         Actions service leaves zero values out)
           "wrap"        {<key>} : the whole list in an object (no paging)
           "bare"        the list as it is
    items  the full, filtered list (not modified; a page is a new array)
    query  the request's decoded query { name = value }
    opts   { key =, id_field = "id" }
  Bad parameters raise the API's 400 (errorCode invalid_query_string) through emulator.errors.
]]
local json = require("a0lua.core.json")
local base64 = require("a0lua.emulator.base64")
local errors = require("a0lua.emulator.errors")

local M = {}

M.MAX_OFFSET_RECORDS = 1000

local function query_error(message)
  errors.raise(400, "Query validation error: " .. message, "invalid_query_string")
end

local function integer_param(query, name, default, min, max)
  local raw = query[name]
  if raw == nil or raw == "" then return default end
  if type(raw) == "table" then raw = raw[#raw] end
  local n = math.tointeger(tonumber(raw))
  if not n or not tostring(raw):match("^%-?%d+$") then
    query_error(("'Expected type integer but found type string' on property %s."):format(name))
  end
  if min and n < min then
    query_error(("'Value %d is less than minimum %d' on property %s."):format(n, min, name))
  end
  if max and n > max then
    query_error(("'Value %d is greater than maximum %d' on property %s."):format(n, max, name))
  end
  return n
end

local function flag(query, name)
  local v = query[name]
  return v == "true" or v == "1"
end

local function slice(items, first, last)
  local out = json.array()
  local n = 0
  for i = first, math.min(last, #items) do
    n = n + 1
    out[n] = items[i]
  end
  return out
end

-- Cursors are base64 of "<position>:<id>": the id finds the item again after earlier items
-- were deleted, the position is where to resume when that item itself is gone.
local b64_encode, b64_decode = base64.encode, base64.decode

local function cursor_start(items, from, id_field)
  local decoded = b64_decode(from) or ""
  local pos, id = decoded:match("^(%d+):(.*)$")
  pos = math.tointeger(tonumber(pos))
  if not pos then query_error("'Invalid checkpoint' on property from.") end
  local item = items[pos]
  if type(item) == "table" and tostring(item[id_field]) == id then return pos end
  for i = 1, math.min(pos, #items) do
    local it = items[i]
    if type(it) == "table" and tostring(it[id_field]) == id then return i end
  end
  return pos -- the item is gone: resume where it was
end

local function offset(items, query, opts)
  local page = integer_param(query, "page", 0, 0)
  local per_page = integer_param(query, "per_page", 50, 1, 100)
  local start = page * per_page
  if start >= M.MAX_OFFSET_RECORDS and start > 0 then
    errors.raise(400, ("Requesting page %d exceeds the allowed maximum of %d records. To fetch "
      .. "results beyond %d, use the checkpoint pagination method."):format(page,
      M.MAX_OFFSET_RECORDS, M.MAX_OFFSET_RECORDS), "invalid_paging")
  end
  local last = math.min(start + per_page, M.MAX_OFFSET_RECORDS)
  local page_items = slice(items, start + 1, last)
  if flag(query, "include_totals") then
    return { start = start, limit = per_page, total = #items, [opts.key] = page_items }
  end
  return page_items
end

local function checkpoint(items, query, opts)
  local take = integer_param(query, "take", 50, 1, opts.max_take or 100)
  local from = query.from
  if type(from) == "table" then from = from[#from] end
  local first = 1
  if from and from ~= "" then first = cursor_start(items, from, opts.id_field or "id") end
  local last = first + take - 1
  local body = { [opts.key] = slice(items, first, last) }
  local nxt = items[last + 1]
  if nxt ~= nil then
    local id = type(nxt) == "table" and nxt[opts.id_field or "id"] or ""
    body.next = b64_encode(("%d:%s"):format(last + 1, tostring(id)))
  end
  return body
end

local function actions(items, query, opts)
  local page = integer_param(query, "page", 0, 0)
  local per_page = integer_param(query, "per_page", 20, 1, 100)
  local start = page * per_page
  local body = { [opts.key] = slice(items, start + 1, start + per_page), per_page = per_page }
  if not opts.omit_zero or #items > 0 then body.total = #items end
  if not opts.omit_zero or page > 0 then body.page = page end
  return body
end

function M.apply(style, items, query, opts)
  opts = opts or {}
  local wants_checkpoint = query.from ~= nil or query.take ~= nil
  if style == "both" then
    if wants_checkpoint then return checkpoint(items, query, opts) end
    return offset(items, query, opts)
  elseif style == "offset" then
    return offset(items, query, opts)
  elseif style == "checkpoint" then
    if opts.bare_without_params and not wants_checkpoint then return items end
    return checkpoint(items, query, opts)
  elseif style == "actions" then
    return actions(items, query, opts)
  elseif style == "wrap" then
    return { [opts.key] = items }
  end
  return items
end

return M
