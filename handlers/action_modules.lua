-- handlers/action_modules.lua: action modules (a0deploy type `actionModules`), docs/handlers.md
-- §actionModules. A module is code shared by actions, which import a published version of it
-- by number; `all_changes_published: true` in the files asks for a new version when the module
-- is created or changed, or when the tenant's module has changes not published.
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")

local NULL = json.null
local Base = handler.Base
local actions = handlers.base("actions")

local SCHEMA = handler.named_schema{
  required = { "name", "code" },
  additionalProperties = true,
  properties = {
    code = { type = "string" },
    dependencies = handler.objects_schema(
      { name = { type = "string" }, version = { type = "string" } },
      { additionalProperties = false }),
    secrets = handler.objects_schema(
      { name = { type = "string" }, value = { type = "string" } }, { required = { "name" } }),
    all_changes_published = { type = "boolean" },
  },
}

-- What the tenant says about a module and no request takes.
local READ_ONLY = { "actions_using_module_total", "latest_version_number", "created_at",
                    "updated_at" }

local M = {
  type = "actionModules",
  path = "/actions/modules",
  list = { paging = "actions", key = "modules" },
  schema = SCHEMA,
  strip_create = READ_ONLY,
  -- A module's name is fixed; secrets compare by name (actions.diff_secrets); publishing is a
  -- request of its own (diff below).
  strip_update = { "name", "secrets", "all_changes_published", "actions_using_module_total",
                   "latest_version_number", "created_at", "updated_at" },
}

local status_of = handler.status_of

local function module_path(id, ...) return handler.item_path(M, id, ...) end

-- GET /actions/modules. A tenant without action modules (404, 501, 403) has none.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list ~= nil then return list end
  local s = status_of(err)
  if s == 404 or s == 501 or s == 403 then
    if ctx.log then ctx.log:info("actionModules: not enabled on the tenant, skipped") end
    return json.array()
  end
  return nil, err
end

-- The fields that differ, secrets by name; then `all_changes_published` (a publish) when the
-- files ask for it and anything changes or the tenant's module has changes not published.
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  payload, diffs = actions.diff_secrets(desired, current, payload, diffs or {})
  if desired.all_changes_published == true
      and (payload ~= nil or current.all_changes_published ~= true) then
    payload = payload or {}
    payload.all_changes_published = true
    if current.all_changes_published ~= true then
      diffs[#diffs + 1] = { path = "all_changes_published", from = false, to = true }
    end
  end
  return payload, diffs
end)

-- The module itself: a create without what only the tenant says; an update only code,
-- dependencies and secrets (UpdateActionModuleRequestContent). Publishing is not part of it.
function M.write_request(self, _, op, payload, current)
  if op == "create" then
    return "POST", self.path, handler.strip(payload, { "all_changes_published" })
  end
  local body = {}
  for _, f in ipairs({ "code", "dependencies", "secrets" }) do body[f] = payload[f] end
  if next(body) == nil or current == nil then return nil end
  return "PATCH", module_path(current.id), body
end

-- POST /actions/modules/{id}/versions: the module's changes become its next version. The answer
-- says the new number, which the module then shows (actions resolve their versions with it).
local function publish(ctx, module)
  local version, err = ctx.api:request("POST", module_path(module.id, "versions"),
    { body = {} })
  if version == nil then return nil, err end
  if ctx.log then
    ctx.log:info(("Published [actionModules]: %s"):format(tostring(module.name)))
  end
  module.all_changes_published = true
  if type(version) == "table" and version.version_number then
    module.latest_version_number = version.version_number
  end
  return module
end

function M.create(self, ctx, payload)
  local created, err = handler.create_own_named(self, ctx, payload)
  if created == nil then return nil, err end
  if payload.all_changes_published == true then return publish(ctx, created) end
  return created
end

function M.update(self, ctx, current, payload)
  local updated, err = handler.update_own(self, ctx, current, payload)
  if updated == nil then return nil, err end
  if payload.all_changes_published == true then
    if type(updated) ~= "table" or updated.id == nil then updated = current end
    return publish(ctx, updated)
  end
  return updated
end

-- As a0deploy writes a module: secrets by name only (the tenant never shows values), the
-- tenant's counters kept as they are.
function M.export(_, _, item)
  local secrets = json.array()
  for _, s in ipairs(type(item.secrets) == "table" and item.secrets ~= NULL and item.secrets
      or {}) do
    if type(s) == "table" then secrets[#secrets + 1] = { name = s.name, value = s.value } end
  end
  return {
    id = item.id,
    name = item.name,
    code = item.code or "",
    dependencies = item.dependencies,
    secrets = secrets,
    actions_using_module_total = item.actions_using_module_total,
    all_changes_published = item.all_changes_published,
    latest_version_number = item.latest_version_number,
  }
end

return M
