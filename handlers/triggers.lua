-- handlers/triggers.lua: the actions bound to each trigger (a0deploy type `triggers`),
-- docs/handlers.md §triggers: trigger id -> its ordered bindings [{action_name, display_name}];
-- each trigger named in the files gets its whole list (PATCH .../bindings; [] unbinds all).
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null

local SCHEMA = {
  type = "object",
  additionalProperties = handler.objects_schema(
    { action_name = { type = "string" }, display_name = { type = "string" } },
    { required = { "action_name" } }),
}

local M = {
  type = "triggers",
  kind = "singleton",
  path = "/actions/triggers",
  schema = SCHEMA,
  -- an import reads only the bindings of the triggers the file names
  read_wanted = true,
}

local warn = handler.warn

local function bindings_path(trigger)
  return "/actions/triggers/" .. handler.escape(trigger) .. "/bindings"
end

local sorted_keys = util.sorted_keys

-- Every trigger with at least one binding: {trigger = [{action_name, display_name}]} (the first
-- page of bindings, as a0deploy reads them), or (want: the file's triggers, plan.fetch) only the
-- triggers the file names. Actions off on the tenant: {}.
function M.fetch(self, ctx, want)
  local triggers, err = ctx.api:list(self.path, { paging = "none", key = "triggers" })
  if triggers == nil then
    if handler.feature_off(err) then return {} end
    return nil, err
  end
  local seen, ids = {}, {}
  for _, t in ipairs(triggers) do
    local id = type(t) == "table" and t.id
    if id and not seen[id] and (want == nil or want[id] ~= nil) then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
  local out = {}
  handler.each(ids, function(id)
    local body, berr = ctx.api:request("GET", bindings_path(id))
    if body == nil then
      warn(ctx, ("triggers %s: cannot read the bindings: %s"):format(id,
        tostring(type(berr) == "table" and berr.message or berr)))
    else
      local list = json.array()
      for _, b in ipairs(type(body.bindings) == "table" and body.bindings or {}) do
        local action = type(b.action) == "table" and b.action or {}
        list[#list + 1] = { action_name = action.name, display_name = b.display_name }
      end
      if #list > 0 then out[id] = list end
    end
  end)
  return out
end

local function display_of(b)
  if b.display_name ~= nil and b.display_name ~= NULL then return b.display_name end
  return b.action_name
end

local function same_bindings(want, have)
  have = type(have) == "table" and have or {}
  if #want ~= #have then return false end
  for i, w in ipairs(want) do
    local h = have[i]
    if type(w) ~= "table" or type(h) ~= "table" or w.action_name ~= h.action_name
        or display_of(w) ~= display_of(h) then
      return false
    end
  end
  return true
end

-- A trigger whose ordered bindings differ is sent whole.
function M.diff(_, _, desired, current)
  current = current or {}
  local payload, diffs
  for _, trigger in ipairs(sorted_keys(desired)) do
    local want = desired[trigger]
    if type(want) == "table" and want ~= NULL and not same_bindings(want, current[trigger]) then
      payload, diffs = handler.add_change(payload, diffs, trigger, handler.deep_copy(want),
        current[trigger])
    end
  end
  return payload, diffs
end

-- Action names as ids, from a fresh read of the tenant's actions (deployed earlier in the run).
local function action_ids(ctx)
  local list = ctx.api:list("/actions/actions", { paging = "actions", key = "actions" }) or {}
  local out = {}
  for _, a in ipairs(list) do
    if a.name and a.id then out[a.name] = a.id end
  end
  return out
end

-- One request per trigger, its bindings naming actions by the ids a read finds: not told
-- beforehand.
function M.write_request() return nil end

-- PATCH each changed trigger's whole binding list, actions referred to by id.
function M.update(_, ctx, current, payload)
  local ids
  local ok, err = handler.send_each(ctx, sorted_keys(payload), function(trigger)
    ids = ids or action_ids(ctx)
    local bindings = json.array()
    for _, b in ipairs(payload[trigger]) do
      local id = ids[b.action_name]
      local ref = id and { type = "action_id", value = id }
        or { type = "action_name", value = b.action_name }
      bindings[#bindings + 1] = { ref = ref, display_name = display_of(b) }
    end
    return "PATCH", bindings_path(trigger), { body = { bindings = bindings } }
  end)
  if not ok then return nil, err end
  return current
end

return M
