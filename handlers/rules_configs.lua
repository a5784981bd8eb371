-- handlers/rules_configs.lua: the rules' configuration values (a0deploy type `rulesConfigs`,
-- deprecated with rules), docs/handlers.md §rulesConfigs. A value is write-only: the API lists
-- the keys, never the values, so a0lua cannot tell whether a value changed. It writes the keys
-- the tenant lacks and leaves the others as they are (a0deploy PUTs every entry on every run);
-- it never deletes one (a keyed type; nor does a0deploy: its YAML export writes
-- `rulesConfigs: []`, which an import with AUTH0_ALLOW_DELETE would otherwise turn into deleting
-- them all).
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local rules = handlers.base("rules")

local SCHEMA = {
  type = "object",
  required = { "key", "value" },
  properties = {
    key = { type = "string", pattern = "^[A-Za-z0-9_-]*$" },
    value = { type = "string" },
  },
}

local M = {
  type = "rulesConfigs",
  -- keyed: an item the tenant lacks is a create, and nothing is ever deleted
  kind = "keyed",
  path = "/rules-configs",
  identifiers = { "key" },
  name_field = "key",
  list = { paging = "none" },
  schema = SCHEMA,
  -- The value never goes into a plan: create takes it from the files by key.
  strip_create = { "value" },
  strip_update = { "key", "value" },
  strip_export = { "value" },
  ignore_diff = { "value" },
  update_method = "PUT",
  read_wanted = true,
}

local is_object = util.is_object

-- GET /rules-configs ([{key}]). A tenant without rules answers as for rules (§rules).
function M.fetch(self, ctx, want)
  local list, err = ctx.api:request("GET", self.path)
  if list ~= nil then
    local out = json.array()
    for _, item in ipairs(type(list) == "table" and list or {}) do
      if is_object(item) and item.key ~= nil then out[#out + 1] = { key = item.key } end
    end
    return out
  end
  if not rules.unavailable(err) then return nil, err end
  if type(want) == "table" and #want == 0 then return json.array() end
  return nil, rules.unavailable_error(self.type, err)
end

-- The files' values by key (kept for create), masked in everything a0lua logs; the keys the
-- tenant already has are said once, since their values are not sent.
function M.resolve(_, ctx, desired)
  local values, kept = {}, {}
  local have = {}
  local current = type(ctx.current) == "table" and ctx.current.rulesConfigs
  for _, c in ipairs(type(current) == "table" and current or {}) do have[c.key] = true end
  for _, item in ipairs(type(desired) == "table" and desired or {}) do
    if is_object(item) and type(item.key) == "string" then
      values[item.key] = item.value
      handler.mask_secret(ctx, item.value)
      if have[item.key] then kept[#kept + 1] = item.key end
    end
  end
  -- the values the files give, for the writes (the plan's payload leaves them out)
  handler.run_state(ctx, "rulesConfigs").values = values
  if #kept > 0 and ctx.log then
    table.sort(kept)
    ctx.log:info(("rulesConfigs: %s already on the tenant; values are never readable, so they "
      .. "are not sent (delete a key on the tenant to set it again)"):format(
      table.concat(kept, ", ")))
  end
  return desired
end

-- Each key once (a keyed type is not checked for duplicates by the engine).
function M.validate(self, _, items, report)
  handler.check_unique_keys(self, items, report, "key")
end

-- A key the tenant has is no change (its value cannot be compared).
function M.diff() return nil end

local function value_of(ctx, key)
  local values = handler.run_state(ctx, "rulesConfigs").values
  if values and values[key] ~= nil then return values[key] end
  for _, item in ipairs(type(ctx.desired) == "table" and type(ctx.desired.rulesConfigs) == "table"
      and ctx.desired.rulesConfigs or {}) do
    if is_object(item) and item.key == key then return item.value end
  end
  return nil
end

function M.write_request(self, ctx, op, payload, current)
  local key = op == "create" and payload.key or (current and current.key)
  if key == nil then return nil end
  return "PUT", handler.item_path(self, key), { value = value_of(ctx, key) }
end

-- PUT /rules-configs/{key} {value}: a create and an update are the same request.
function M.create(self, ctx, payload)
  local method, path, body = self:write_request(ctx, "create", payload)
  local answer, err = ctx.api:request(method, path, { body = body, idempotent = true })
  if answer == nil then return nil, err end
  return { key = payload.key }
end

function M.update(self, ctx, current)
  return M.create(self, ctx, { key = current.key })
end

-- Only the key: the API has no value to give (the YAML format writes `rulesConfigs: []`, the
-- directory format nothing, as a0deploy).
function M.export(_, _, item)
  return { key = item.key }
end

return M
