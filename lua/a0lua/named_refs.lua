--[[
a0lua.named_refs: ids of other resources written at any depth of an item, which the files name
instead (docs/handlers.md §forms, §flows): a form's `flow_id` (a FLOW node, a resend button, the
ending's after_submit) names a flow, a flow action's `connection_id` a vault connection. a0deploy
replaces every key of that name, wherever it is; so does this.

  local refs = require("a0lua.named_refs")
  refs.each(value, key, fn)      fn(t) for every table t (object) in value with a string t[key]
  refs.replace(value, key, map) -> count   t[key] = map(t[key]) where map gives a non-nil value;
                                 count: how many values map left alone (nil), each once per call
  refs.names_of(list) -> {id = name}, {name = id}   from items with id and name
  refs.read(ctx, ref) -> list | nil, err   the items of the type a reference names: the run's
                                 own (ctx.current, kept up to date by apply, so an item made in
                                 this run is there), else one list read of its summaries

A handler of such a type (forms, flows) declares `named = {key =, type =, what =}` (the key, the
type it names, and what to call one in messages; the named type's path and list options are its
handler's) and uses:

  refs.fetch(h, ctx [, want]) -> items | nil, err   the list (summaries), then GET path/<id> of
                                 each item (of those `want` names when given: the others are only
                                 ever deleted), each named id as the item's name (an id of nothing
                                 stays, with a warning)
  refs.to_ids(h, ctx, item, fresh) -> copy, missing   the item with each name as its id; a name
                                 of an item the files make in this run (not made yet) becomes
                                 refs.PENDING unless `fresh` (then the type is read again);
                                 missing: the names found nowhere (sorted)
  refs.install(h)                h.fetch (refs.fetch), h.write_request (the body with ids, for
                                 preflight), h.create and h.update (the names looked up afresh; a
                                 name found nowhere fails the item with code "reference", before
                                 its request)
]]
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local M = {}

local function walk(v, key, fn)
  if type(v) ~= "table" then return end
  if getmetatable(v) ~= json.array_mt and type(v[key]) == "string" then fn(v) end
  for k, x in pairs(v) do
    if k ~= key then walk(x, key, fn) end
  end
end

function M.each(value, key, fn) walk(value, key, fn) end

function M.replace(value, key, map)
  local missed = {}
  local count = 0
  walk(value, key, function(t)
    local to = map(t[key])
    if to ~= nil then
      t[key] = to
    elseif not missed[t[key]] then
      missed[t[key]] = true
      count = count + 1
    end
  end)
  return count, missed
end

function M.names_of(list)
  local by_id, by_name = {}, {}
  for _, item in ipairs(type(list) == "table" and list or {}) do
    if type(item) == "table" and type(item.id) == "string" and type(item.name) == "string" then
      by_id[item.id] = item.name
      if by_name[item.name] == nil then by_name[item.name] = item.id end
    end
  end
  return by_id, by_name
end

-- The named type's handler, for its path and list options: the run's (a user's own included),
-- else the built-in one.
local function handler_of(ctx, type_name)
  local own = ctx.handlers and ctx.handlers:get(type_name)
  return own or handlers.base(type_name)
end

function M.read(ctx, ref, fresh)
  local have = ctx.current and ctx.current[ref.type]
  if type(have) == "table" and not fresh then return have end
  if not ctx.api then return json.array() end
  local other = handler_of(ctx, ref.type)
  return ctx.api:list(other.path, handler.deep_copy(other.list))
end

-- Stands for the id of an item this run creates, in the body preflight checks before any write
-- (the write itself looks the item up again once its type is done).
M.PENDING = "(created in this run)"

local function wanted(want)
  if want == nil then return nil end
  local names, ids = {}, {}
  for _, item in ipairs(want) do
    if type(item) == "table" then
      if item.name ~= nil then names[item.name] = true end
      if item.id ~= nil then ids[item.id] = true end
    end
  end
  return function(item) return names[item.name] or ids[item.id] end
end

function M.fetch(h, ctx, want)
  local list, err = ctx.api:list(h.path, handler.deep_copy(h.list))
  if list == nil then return nil, err end
  local wants = wanted(want)
  local detailed, failure = {}, nil
  local todo = {}
  for _, item in ipairs(list) do
    if type(item) == "table" and item.id ~= nil and (wants == nil or wants(item)) then
      todo[#todo + 1] = item
    end
  end
  handler.each(todo, function(item)
    local body, gerr = ctx.api:request("GET", h.path .. "/" .. handler.escape(item.id))
    if type(body) == "table" then
      detailed[item.id] = body
    elseif not (type(gerr) == "table" and (gerr.status == 404 or gerr.code == "api_not_found")) then
      failure = failure or gerr
    end
  end)
  if failure then return nil, failure end
  local out = json.array()
  for _, item in ipairs(list) do
    if type(item) ~= "table" or item.id == nil or (wants ~= nil and not wants(item)) then
      out[#out + 1] = item                 -- a summary is enough: only ever deleted
    elseif detailed[item.id] then
      out[#out + 1] = detailed[item.id]    -- (an item gone since the list read is left out)
    end
  end
  local ref = h.named
  local names
  for _, item in ipairs(out) do
    M.each(item, ref.key, function(t)
      if names == nil then
        local others = M.read(ctx, ref) or {}
        names = M.names_of(others)
      end
      local name = names[t[ref.key]]
      if name then
        t[ref.key] = name
      elseif ctx.log then
        ctx.log:warn(("%s %s: %s %s is not on the tenant"):format(h.type,
          tostring(item.name), ref.what, tostring(t[ref.key])))
      end
    end)
  end
  return out
end

function M.to_ids(h, ctx, item, fresh)
  local ref = h.named
  local out = handler.deep_copy(item)
  local by_id, by_name = M.names_of(M.read(ctx, ref, false) or {})
  local planned = {}
  for _, d in ipairs(type(ctx.desired) == "table" and type(ctx.desired[ref.type]) == "table"
    and ctx.desired[ref.type] or {}) do
    if type(d) == "table" and d.name ~= nil then planned[d.name] = true end
  end
  local function map(v)
    if by_id[v] then return v end
    if by_name[v] then return by_name[v] end
    if not fresh and planned[v] then return M.PENDING end
    return nil
  end
  local _, missed = M.replace(out, ref.key, map)
  if fresh and next(missed) ~= nil then
    -- made in this run by another process of the run, or read before it was made
    by_id, by_name = M.names_of(M.read(ctx, ref, true) or {})
    _, missed = M.replace(out, ref.key, map)
  end
  local missing = util.sorted_keys(missed)
  return out, missing
end

local function with_ids(h, ctx, payload)
  local body, missing = M.to_ids(h, ctx, payload, true)
  if #missing > 0 then
    return nil, { code = "reference", message = ("%s %s: the %s %s was not found"):format(
      h.type, tostring(payload.name), h.named.what, table.concat(missing, ", ")) }
  end
  return body
end

function M.install(h)
  function h.fetch(self, ctx, want) return M.fetch(self, ctx, want) end
  function h.write_request(self, ctx, op, payload, current)
    return handler.Base.write_request(self, ctx, op, M.to_ids(self, ctx, payload, false), current)
  end
  function h.create(self, ctx, payload)
    local body, err = with_ids(self, ctx, payload)
    if body == nil then return nil, err end
    return handler.Base.create(self, ctx, body)
  end
  function h.update(self, ctx, current, payload)
    local body, err = with_ids(self, ctx, payload)
    if body == nil then return nil, err end
    return handler.Base.update(self, ctx, current, body)
  end
  return h
end

return M
