-- handlers/actions.lua: Actions (a0deploy type `actions`), docs/handlers.md §actions. Creating or
-- updating an action edits its draft; an action marked `deployed: true` is then deployed once its
-- draft has been built.
local handler = require("a0lua.handler")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base

local POLL_MS = 1000        -- between two looks at a building draft
local MAX_POLLS = 120       -- how long a build may take: about two minutes
local DEPLOY_RETRY_MS = 2000
local MAX_DEPLOY_RETRIES = 60

local SCHEMA = {
  type = "object",
  required = { "name", "supported_triggers", "code" },
  additionalProperties = true,
  properties = {
    code = { type = "string", default = "" },
    runtime = { type = "string" },
    dependencies = handler.objects_schema({
      name = { type = "string" }, version = { type = "string" },
      registry_url = { type = "string" },
    }, { additionalProperties = false }),
    secrets = handler.objects_schema({
      name = { type = "string" }, value = { type = "string" },
      updated_at = { type = "string", format = "date-time" },
    }),
    name = { type = "string", default = "" },
    supported_triggers = handler.objects_schema({
      id = { type = "string", default = "" }, version = { type = "string" },
      url = { type = "string" },
    }),
    modules = handler.objects_schema({
      module_name = { type = "string" }, module_version_number = { type = "number" },
    }, { required = { "module_name", "module_version_number" } }),
    deployed = { type = "boolean" },
    status = { type = "string" },
  },
}

local send = handler.send

local M = {
  type = "actions",
  path = "/actions/actions",
  list = { paging = "actions", key = "actions" },
  schema = SCHEMA,
  strip_create = { "status" },
  strip_update = { "deployed", "status", "id", "secrets" },
}

local present = util.present

local warn = handler.warn

local function info(ctx, message)
  if ctx.log then ctx.log:info(message) end
end

local status_of = handler.status_of

local message_of = handler.message_of

local function is_marketplace(action)
  return type(action) == "table" and present(action.integration)
end
M.is_marketplace = is_marketplace

-- Waits `ms` milliseconds: ctx.sleep when given (specs), else a0lua.tasks' sleep in a task.
local function sleep(ctx, ms)
  if ctx.sleep then return ctx.sleep(ms) end
  local ok, tasks = pcall(require, "a0lua.tasks")
  if ok and tasks.current() then tasks.sleep(ms) end
end

local function action_path(id, ...) return handler.item_path(M, id, ...) end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- GET /actions/actions. Actions switched off on the tenant (404, 501, 403 feature_not_enabled)
-- read as none; the service's own 500 says how to skip actions.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list ~= nil then return list end
  if handler.feature_off(err) then
    info(ctx, "actions: not enabled on the tenant, skipped")
    return json.array()
  end
  if status_of(err) == 500
      and message_of(err):find("An internal server error occurred", 1, true) then
    return nil, errors.from{
      code = "api_error", status = 500, message = "Cannot process actions because "
      .. "the actions service is unavailable. Retrying may succeed; adding 'actions' to "
      .. "AUTH0_EXCLUDED skips them until the service is back." }
  end
  return nil, err
end

--------------------------------------------------------------------------------------------------
-- Import

-- Whether this run may publish version `number` of module `found`: the files' actionModules
-- publish it (all_changes_published) and the tenant's module has no such version yet. The
-- action is then resolved again once the modules are done (depends_on actionModules).
local function published_in_this_run(ctx, found, number)
  local wanted = type(ctx.desired) == "table" and ctx.desired.actionModules
  if type(wanted) ~= "table" or type(number) ~= "number" then return false end
  for _, m in ipairs(wanted) do
    if type(m) == "table" and m.name == found.name and m.all_changes_published == true then
      return number > (tonumber(found.latest_version_number) or 0)
    end
  end
  return false
end

local function module_versions(ctx, id, fresh)
  local c = handler.run_state(ctx, "actions")
  c.versions = c.versions or {}
  if c.versions[id] == nil or fresh then
    c.versions[id] = ctx.api:list("/actions/modules/" .. handler.escape(id) .. "/versions",
      { paging = "actions", key = "versions" }) or {}
  end
  return c.versions[id]
end

local function version_id_of(versions, number)
  for _, v in ipairs(versions) do
    if v.version_number == number then return v.id end
  end
  return nil
end

-- Module names and version numbers become ids: {module_name, module_id, module_version_number,
-- module_version_id}. An unknown version is an error, unless this run publishes it; an unknown
-- module stays as written (this run may create it).
local function resolve_modules(ctx, action, modules)
  local out = json.array()
  for _, m in ipairs(action.modules) do
    local found
    for _, mod in ipairs(modules) do
      if mod.name == m.module_name then found = mod break end
    end
    local version_id = found and found.id
      and version_id_of(module_versions(ctx, found.id), m.module_version_number)
    if found and found.id and not version_id then
      -- (the versions read earlier in the run may predate a publish of this run)
      version_id = version_id_of(module_versions(ctx, found.id, true), m.module_version_number)
    end
    if found and found.id and not version_id
        and published_in_this_run(ctx, found, m.module_version_number) then
      out[#out + 1] = m
    elseif found and found.id then
      if not version_id then
        error(errors.from{
          code = "reference", message = ("actions %s: could not find version %s of action "
          .. "module %s"):format(tostring(action.name), tostring(m.module_version_number),
          tostring(m.module_name)) }, 0)
      end
      out[#out + 1] = { module_name = m.module_name, module_id = found.id,
        module_version_number = m.module_version_number, module_version_id = version_id }
    else
      out[#out + 1] = m
    end
  end
  action.modules = out
end

function M.resolve(_, ctx, desired)
  local any = false
  for _, a in handler.items(desired) do
    if type(a.modules) == "table" and #a.modules > 0 then any = true end
  end
  if not any or not ctx.api then return desired end
  local modules = ctx.api:list("/actions/modules", { paging = "actions", key = "modules" })
  if modules == nil then return desired end
  for _, a in ipairs(desired) do
    if type(a) == "table" and type(a.modules) == "table" and #a.modules > 0 then
      resolve_modules(ctx, a, modules)
    end
  end
  return desired
end

-- Marketplace actions (installed integrations) are never changed nor deleted.
function M.filter(_, _, item)
  return not is_marketplace(item)
end

local function secret_names(list)
  local out = {}
  for _, s in ipairs(type(list) == "table" and list ~= NULL and list or {}) do
    if type(s) == "table" and s.name then out[#out + 1] = s.name end
  end
  table.sort(out)
  return out
end

-- Secrets compare by their names (the tenant never shows values): payload.secrets is the files'
-- secrets when their names differ, or when anything else is sent and the files give values.
-- Action modules share it. -> payload, diffs
local function diff_secrets(desired, current, payload, diffs)
  if desired.secrets ~= nil and desired.secrets ~= NULL then
    local want, have = secret_names(desired.secrets), secret_names(current.secrets)
    local values = false
    for _, s in ipairs(desired.secrets) do
      if type(s) == "table" and s.value ~= nil and s.value ~= NULL then values = true end
    end
    if not handler.deep_equal(want, have) then
      payload = payload or {}
      payload.secrets = handler.deep_copy(desired.secrets)
      diffs[#diffs + 1] = { path = "secrets", from = have, to = want }
    elseif payload and values then
      payload.secrets = handler.deep_copy(desired.secrets)
    end
  end
  return payload, diffs
end
M.diff_secrets = diff_secrets

-- Secrets by their names (above); `deployed: true` asks for a deploy when anything changes or
-- the tenant's action has changes not deployed.
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  payload, diffs = diff_secrets(desired, current, payload, diffs or {})
  if desired.deployed == true and (payload ~= nil or current.all_changes_deployed ~= true) then
    payload = payload or {}
    payload.deployed = true
    if current.all_changes_deployed ~= true then
      diffs[#diffs + 1] = { path = "deployed", from = current.all_changes_deployed == true,
        to = true }
    end
  end
  return payload, diffs
end)

-- Waits until the action's draft is built, then deploys it (POST .../deploy). A deploy refused
-- because the draft is not built yet is tried again (docs/handlers.md §actions).
local function deploy(ctx, id, name)
  for _ = 1, MAX_POLLS do
    local action, err = ctx.api:request("GET", action_path(id))
    if action == nil then return nil, err end
    if action.status == "built" then break end
    if action.status == "failed" then
      return nil, errors.from{
        code = "api_error", message = ("actions %s: the build failed"):format(
        tostring(name)) }
    end
    sleep(ctx, POLL_MS)
  end
  for attempt = 1, MAX_DEPLOY_RETRIES + 1 do
    local body, err = ctx.api:request("POST", action_path(id, "deploy"), { idempotent = true })
    if body ~= nil or err == nil then
      info(ctx, ("Deployed [actions]: %s"):format(tostring(name)))
      return true
    end
    if not message_of(err):find("must be in the 'built' state", 1, true)
        or attempt > MAX_DEPLOY_RETRIES then
      return nil, err
    end
    sleep(ctx, DEPLOY_RETRY_MS)
  end
  return nil, errors.from{
    code = "api_error", message = ("actions %s: not deployed"):format(tostring(name)) }
end
M.deploy = deploy

-- The action itself: `deployed` is a0lua's (a deploy request of its own), `status` the tenant's.
function M.write_request(self, _, op, payload, current)
  if op == "create" then
    return "POST", self.path, handler.strip(payload, { "deployed", "status" })
  end
  local body = handler.strip(payload, { "deployed", "status", "id" })
  if next(body) == nil or current == nil then return nil end
  return "PATCH", action_path(current.id), body
end

function M.create(self, ctx, payload)
  local _, _, body = M.write_request(self, ctx, "create", payload)
  local created, err = handler.create_named(self, ctx, body, payload.name)
  if created == nil then return nil, err end
  if payload.deployed == true then
    local ok, derr = deploy(ctx, created.id, payload.name)
    if not ok then return nil, derr end
  end
  return created
end

function M.update(self, ctx, current, payload)
  return handler.update_then(self, ctx, current, payload, function()
    if payload.deployed ~= true then return true end
    return deploy(ctx, current.id, current.name)
  end)
end

-- Bound actions go too (?force=true).
function M.delete(_, ctx, current)
  local _, err = send(ctx, "DELETE", action_path(current.id), { query = { force = true } })
  if err then return nil, err end
  return true
end

--------------------------------------------------------------------------------------------------
-- Export

-- The action as a0deploy writes it; marketplace actions are skipped.
function M.export(_, ctx, item)
  if is_marketplace(item) then
    warn(ctx, ("actions: %s is a marketplace action and is not exported"):format(
      tostring(item.name)))
    return nil
  end
  local out = {
    id = item.id,
    name = item.name,
    deployed = item.deployed == true or item.all_changes_deployed == true,
    code = item.code,
    runtime = item.runtime,
    dependencies = item.dependencies,
    status = item.status,
    supported_triggers = item.supported_triggers,
  }
  if type(item.secrets) == "table" and item.secrets ~= NULL then
    local secrets = json.array()
    for _, s in ipairs(item.secrets) do
      if type(s) == "table" then secrets[#secrets + 1] = { name = s.name, value = s.value } end
    end
    out.secrets = secrets
  end
  if type(item.modules) == "table" and item.modules ~= NULL then
    local modules = json.array()
    for _, m in ipairs(item.modules) do
      modules[#modules + 1] = { module_name = m.module_name,
        module_version_number = m.module_version_number }
    end
    out.modules = modules
  end
  return out
end

return M
