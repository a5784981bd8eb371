-- handlers/hooks.lua: hooks (a0deploy type `hooks`, deprecated in favour of actions),
-- docs/handlers.md §hooks. The script lives in a companion .js file (the formats inline it and
-- lower-case the names). Secrets are a sub-resource (/hooks/{id}/secrets) whose values the API
-- never shows (_VALUE_NOT_SHOWN_): they compare by key, and values go with a write that happens
-- anyway.
local errors = require("a0lua.errors")
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base
local rules = handlers.base("rules")

local TRIGGERS = { "credentials-exchange", "pre-user-registration", "post-user-registration",
  "post-change-password", "send-phone-message" }
-- What the API shows instead of a secret's value (and what an a0deploy export writes).
local NOT_SHOWN = "_VALUE_NOT_SHOWN_"

local SCHEMA = handler.named_schema{
  required = { "script", "name", "triggerId" },
  properties = {
    script = { type = "string", default = "" },
    name = handler.script_name_schema(),
    enabled = { type = "boolean", default = false },
    triggerId = { type = "string", enum = TRIGGERS },
    secrets = { type = "object", default = {}, additionalProperties = { type = "string" } },
    dependencies = { type = "object", default = {} },
  },
}

local M = {
  type = "hooks",
  path = "/hooks",
  list = { paging = "offset", key = "hooks" },
  schema = SCHEMA,
  -- the trigger is fixed once made; secrets are compared by key (diff)
  strip_update = { "id", "triggerId", "secrets" },
  -- a plan reads the secrets of the hooks the files name only
  read_wanted = true,
}

local is_object = util.is_object

local function hook_path(id, ...) return handler.item_path(M, id, ...) end

local function sorted_keys(t)
  local out = {}
  for k in pairs(is_object(t) and t or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- A name as a0deploy keeps it: lower case, whitespace made "-".
local function normal_name(name)
  if type(name) ~= "string" then return name end
  return (name:lower():gsub("%s", "-"))
end
M.normal_name = normal_name

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- GET /hooks, then per hook its script when the list lacks it (GET /hooks/{id}) and its secret
-- keys (GET /hooks/{id}/secrets): of every hook for an export, of the hooks the files name for
-- a plan. 404, 501: none; a tenant without hooks (403, deprecated) as for rules (§rules).
function M.fetch(self, ctx, want)
  local list, err = Base.fetch(self, ctx)
  if list == nil then
    local status = type(err) == "table" and err.status
    if status == 404 or status == 501 then return json.array() end
    if not rules.unavailable(err) then return nil, err end
    if type(want) == "table" and #want == 0 then return json.array() end
    return nil, rules.unavailable_error(self.type, err)
  end
  local named
  if type(want) == "table" then
    named = {}
    for _, w in ipairs(want) do
      if is_object(w) then
        if w.id then named[w.id] = true end
        if w.name then named[normal_name(w.name)] = true end
      end
    end
  end
  return handler.complete_each(list, function(hook)
    if named and not (named[hook.id] or named[hook.name]) then return true end
    if hook.script == nil then
      local full, ferr = ctx.api:request("GET", hook_path(hook.id))
      if full == nil then return nil, ferr end
      for k, v in pairs(full) do if hook[k] == nil then hook[k] = v end end
    end
    local secrets, serr = ctx.api:request("GET", hook_path(hook.id, "secrets"))
    if secrets == nil then return nil, serr end
    hook.secrets = is_object(secrets) and secrets or {}
    return true
  end)
end

--------------------------------------------------------------------------------------------------
-- Validation

-- At most one enabled hook per trigger (the API keeps one per extensibility point; a0deploy
-- checks a field `active` no hook has, so it never finds two).
function M.validate(_, _, items, report)
  local first = {}
  for i, h in ipairs(type(items) == "table" and items or {}) do
    if is_object(h) and h.enabled == true and type(h.triggerId) == "string" then
      local j = first[h.triggerId]
      if j then
        report(i, "enabled", ("only one enabled hook per trigger: %s is also enabled by hook "
          .. "%q (item %d)"):format(h.triggerId, tostring(items[j].name), j - 1))
      else
        first[h.triggerId] = i
      end
    end
  end
end

--------------------------------------------------------------------------------------------------
-- Import

-- Names as a0deploy keeps them (also for a desired state not read from files); secret values
-- are masked in everything logged; a trigger cannot change (the update body has none).
function M.resolve(_, ctx, desired)
  local current = type(ctx.current) == "table" and type(ctx.current.hooks) == "table"
    and ctx.current.hooks or {}
  for i, h in ipairs(type(desired) == "table" and desired or {}) do
    if is_object(h) then
      h.name = normal_name(h.name)
      for _, v in pairs(is_object(h.secrets) and h.secrets or {}) do
        if v ~= NOT_SHOWN then handler.mask_secret(ctx, v) end
      end
      for _, c in ipairs(current) do
        if (c.id == h.id or c.name == h.name) and h.triggerId ~= nil and c.triggerId ~= nil
            and h.triggerId ~= c.triggerId then
          error(errors.from{ code = "hook_trigger", type = "hooks",
            pointer = ("/hooks/%d/triggerId"):format(i - 1), message = ("hooks %s: triggerId: the "
            .. "trigger of a hook cannot change (%s on the tenant, %s in the files); rename the "
            .. "hook to create it anew"):format(tostring(h.name), tostring(c.triggerId),
            tostring(h.triggerId)) }, 0)
        end
      end
    end
  end
  return desired
end

-- A secret the files give a value for (not _VALUE_NOT_SHOWN_, which an export writes).
local function has_value(v)
  return type(v) == "string" and v ~= NOT_SHOWN
end

-- A key the tenant lacks cannot be made without a value (an export of another tenant has none).
local function no_value(ctx, name, key)
  if ctx.log then
    ctx.log:warn(("hooks %s: secret %s has no value in the files (%s): not created"):format(
      tostring(name), tostring(key), NOT_SHOWN))
  end
end

local allow_delete = util.allow_delete

-- The secret writes of a hook: keys to add (with values), keys whose values go along with a
-- write that happens anyway, keys to remove (only with AUTH0_ALLOW_DELETE).
local function secret_plan(ctx, desired, current, other_change)
  local want = is_object(desired.secrets) and desired.secrets or nil
  if want == nil then return nil end
  local have = is_object(current.secrets) and current.secrets or {}
  local add, set, remove = {}, {}, json.array()
  for _, k in ipairs(sorted_keys(want)) do
    if have[k] == nil then
      if has_value(want[k]) then add[k] = want[k] else no_value(ctx, desired.name, k) end
    elseif other_change and has_value(want[k]) then
      set[k] = want[k]
    end
  end
  local kept = {}
  for _, k in ipairs(sorted_keys(have)) do
    if want[k] == nil then
      if allow_delete(ctx) then remove[#remove + 1] = k else kept[#kept + 1] = k end
    end
  end
  if #kept > 0 and ctx.log then
    ctx.log:warn(("hooks %s: secrets %s are on the tenant only and are kept (deletes are not "
      .. "allowed: AUTH0_ALLOW_DELETE)"):format(tostring(desired.name), table.concat(kept, ", ")))
  end
  if next(add) == nil and next(set) == nil and #remove == 0 then return nil end
  return { add = add, set = set, remove = remove }
end

-- The hook's own fields as the generic diff has them; secrets by their keys.
M.diff = handler.diff_then(function(_, ctx, desired, current, payload, diffs)
  diffs = diffs or {}
  local secrets = secret_plan(ctx, desired, current, payload ~= nil)
  if secrets then
    payload = payload or {}
    payload.secrets = secrets
    local added, removed = sorted_keys(secrets.add), secrets.remove
    if #added > 0 or #removed > 0 then
      diffs[#diffs + 1] = { path = "secrets", from = sorted_keys(current.secrets),
        to = sorted_keys(desired.secrets) }
    end
    if next(secrets.set) then
      diffs[#diffs + 1] = { path = "secrets", from = nil,
        to = "(write-only: sent with this change)" }
    end
  end
  return payload, diffs
end)

-- The hook's own request: secrets are written apart (no hook body takes them); an update
-- leaves the trigger out too (strip_update).
M.write_request = handler.own_write_request({ "secrets", "id" })

-- Removed keys, then changed values, then new keys: each request only when it has any.
local function write_secrets(ctx, id, s)
  local writes = { { "DELETE", s.remove }, { "PATCH", s.set }, { "POST", s.add } }
  return handler.send_each(ctx, writes, function(w)
    if next(w[2]) == nil then return nil end
    return w[1], hook_path(id, "secrets"), { body = w[2] }
  end)
end

function M.create(self, ctx, payload)
  return handler.create_then(self, ctx, payload, function(created)
    local add = {}
    for _, k in ipairs(sorted_keys(payload.secrets)) do
      local v = payload.secrets[k]
      if has_value(v) then add[k] = v else no_value(ctx, payload.name, k) end
    end
    if next(add) == nil then return true end
    return write_secrets(ctx, created.id, { add = add, set = {}, remove = {} })
  end)
end

function M.update(self, ctx, current, payload)
  return handler.update_then(self, ctx, current, payload, function()
    if not payload.secrets then return true end
    return write_secrets(ctx, current.id, payload.secrets)
  end)
end

--------------------------------------------------------------------------------------------------
-- Export

-- Secrets as the API shows them (_VALUE_NOT_SHOWN_, as a0deploy writes them): the keys, never a
-- value, with or without AUTH0_EXPORT_SECRETS. A hook without a name is named by its id (the
-- formats do that).
function M.export(_, _, item)
  if is_object(item.secrets) then
    local out = {}
    for k in pairs(item.secrets) do out[k] = NOT_SHOWN end
    item.secrets = out
  end
  if item.secrets == NULL then item.secrets = nil end
  return item
end

return M
