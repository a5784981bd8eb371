-- handlers/token_exchange_profiles.lua: custom token exchange profiles (a0deploy type
-- `tokenExchangeProfiles`), docs/handlers.md §tokenExchangeProfiles. A profile names its action
-- in the files (`action`) and by id on the tenant (`action_id`); profiles match by
-- subject_token_type, and only name and subject_token_type can be changed (the PATCH body).
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")
local Base = handler.Base

local SCHEMA = handler.named_schema{
  required = { "name", "subject_token_type", "action", "type" },
  properties = {
    subject_token_type = { type = "string" },
    action = { type = "string" },
    type = { type = "string", enum = { "custom_authentication" } },
  },
}

-- Stands for the id of an action that this run creates, in the body preflight checks before
-- any write (the create itself looks the action up again once the actions are done).
local PENDING_ACTION_ID = "(action created in this run)"

local M = {
  type = "tokenExchangeProfiles",
  path = "/token-exchange-profiles",
  identifiers = { "id", "subject_token_type" },
  list = { paging = "checkpoint", key = "token_exchange_profiles", take = 50 },
  schema = SCHEMA,
  -- The API never changes a profile's action or type (UpdateTokenExchangeProfileRequestContent).
  strip_update = { "action", "action_id", "type" },
  read_only = { "created_at", "updated_at" },
  -- An action neither in the files nor on the tenant fails the plan (a0deploy stops there too).
  references = { { path = "action", type = "actions", strict = true } },
}

local warn = handler.warn

local status_of = handler.status_of

local present = util.present

-- The tenant's actions, or nil (with a warning) when they cannot be read.
local function actions_of(ctx)
  local ok, list = pcall(handler.current_of, ctx, "actions")
  if ok then return list or {} end
  warn(ctx, "tokenExchangeProfiles: cannot read the actions to name the profiles' actions: "
    .. tostring(type(list) == "table" and list.message or list))
  return nil
end

local function action_field(actions, field, value, want)
  for _, a in ipairs(actions or {}) do
    if a[field] == value then return a[want] end
  end
  return nil
end

-- The profile with its action named (`action`) instead of by id; an id of no action stays.
local function name_action(ctx, profile, actions)
  if not present(profile.action_id) or present(profile.action) then return profile end
  local name = action_field(actions, "id", profile.action_id, "name")
  if name then
    profile.action = name
    profile.action_id = nil
  else
    warn(ctx, ("tokenExchangeProfiles: profile %s names the action %s, which is not on the "
      .. "tenant"):format(tostring(profile.name), tostring(profile.action_id)))
  end
  return profile
end

-- GET /token-exchange-profiles (every page), each action id as the action's name. A tenant
-- without the feature (403) has none, with a warning; so does one without the route (404, 501).
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil then
    local s = status_of(err)
    if s == 403 then
      warn(ctx, "tokenExchangeProfiles: the feature is not available on this tenant")
      return json.array()
    elseif s == 404 or s == 501 then
      return json.array()
    end
    return nil, err
  end
  local actions
  for _, p in ipairs(list) do
    if type(p) == "table" and present(p.action_id) then
      actions = actions or actions_of(ctx) or {}
      name_action(ctx, p, actions)
    end
  end
  return list
end

-- A changed action or type cannot be sent (the API keeps them): a warning, never a write.
function M.diff(self, ctx, desired, current)
  current = current or {}
  for _, field in ipairs({ "action", "type" }) do
    local want, have = desired[field], current[field]
    if present(want) and present(have) and want ~= have then
      warn(ctx, ("tokenExchangeProfiles: %s: %s %s on the tenant, %s in the files; the API "
        .. "cannot change it (delete the profile to create it again)"):format(
        tostring(desired.name), field, tostring(have), tostring(want)))
    end
  end
  return handler.Base.diff(self, ctx, desired, current)
end

-- The id of the action the payload names: from the actions read for the plan (kept up to date
-- by apply, so an action created in this run is there), or from a fresh read when `fresh`.
local function action_id(ctx, payload, fresh)
  if present(payload.action_id) then return payload.action_id end
  local name = payload.action
  if not present(name) then return nil end
  local id = handler.name_to_id(ctx, "actions", name)
  if id == nil and fresh and ctx.api then
    local list = ctx.api:list("/actions/actions", { paging = "actions", key = "actions" })
    id = action_field(list, "name", name, "id")
  end
  return id
end

local function create_body(payload, id)
  return { name = payload.name, subject_token_type = payload.subject_token_type,
    action_id = id, type = payload.type }
end

-- A create carries exactly {name, subject_token_type, action_id, type}; an update only name and
-- subject_token_type.
function M.write_request(self, ctx, op, payload, current)
  if op == "create" then
    return "POST", self.path, create_body(payload, action_id(ctx, payload) or PENDING_ACTION_ID)
  end
  local body = {}
  for _, f in ipairs({ "name", "subject_token_type" }) do body[f] = payload[f] end
  if next(body) == nil or current == nil or not present(current.id) then return nil end
  return "PATCH", handler.item_path(self, current.id), body
end

function M.create(self, ctx, payload)
  local id = action_id(ctx, payload, true)
  if id == nil then
    return nil, { code = "reference", message = ("tokenExchangeProfiles %s: the action %s was "
      .. "not found"):format(tostring(payload.name), tostring(payload.action)) }
  end
  local created, err = ctx.api:create(self.path, create_body(payload, id),
    { find = function(p) return p.subject_token_type == payload.subject_token_type end,
      list = handler.deep_copy(self.list) })
  if created == nil then return nil, err end
  return created
end

-- The profile as the files hold it: its action by name, without the tenant's timestamps.
function M.export(_, ctx, item)
  if present(item.action_id) and not present(item.action) then
    name_action(ctx, item, actions_of(ctx))
  end
  return item
end

return M
