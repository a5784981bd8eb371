--[[
a0lua.emulator.resources.actions: Actions (/actions/actions), their versions and deploys, action
modules (/actions/modules) and their versions, triggers (/actions/triggers) and trigger bindings
(/actions/triggers/{triggerId}/bindings).

An action's draft is "pending" after each create or PATCH and "built" once ctx.config.build_delay
seconds have passed (a timer of the emulator; nothing runs in between). Deploying needs a built
draft (else 400 "A draft must be in the 'built' state before it can be deployed."); it creates
version n+1, marks it the deployed one, and sets the action's deployed_version, current_version
and all_changes_deployed. Secrets are write-only: answers show [{name, updated_at}]. Binding an
action to a trigger needs it deployed; deleting a bound action needs ?force=true (then its
bindings go too). Lists use the Actions envelope; actions and bindings leave out a total or page
of 0, as the real service does.
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

-- The triggers of a tenant (id, version, status, runtimes, default runtime), from a recorded
-- GET /actions/triggers, plus the two of the document's ActionTriggerTypeEnum it lacked.
M.TRIGGERS = {
  { "post-login", "v3", "CURRENT", { "node18-actions", "node22" }, "node22" },
  { "post-login", "v2", "DEPRECATED", { "node18", "node22" }, "node16" },
  { "credentials-exchange", "v2", "CURRENT", { "node18-actions", "node22" }, "node22" },
  { "pre-user-registration", "v2", "CURRENT", { "node18-actions", "node22" }, "node22" },
  { "post-user-registration", "v2", "CURRENT", { "node18-actions", "node22" }, "node22" },
  { "post-change-password", "v2", "CURRENT", { "node18-actions", "node22" }, "node22" },
  { "send-phone-message", "v2", "CURRENT", { "node18-actions", "node22" }, "node22" },
  { "password-reset-post-challenge", "v1", "CURRENT", { "node18-actions", "node22" },
    "node22" },
  { "custom-phone-provider", "v1", "CURRENT", { "node22" }, "node22" },
  { "custom-email-provider", "v1", "CURRENT", { "node22" }, "node22" },
  { "custom-token-exchange", "v1", "CURRENT", { "node22" }, "node22" },
  { "event-stream", "v1", "CURRENT", { "node22" }, "node22" },
  { "password-hash-migration", "v1", "CURRENT", { "node22" }, "node22" },
  { "mcp-tool", "v1", "CURRENT", { "node22" }, "node22" },
  { "login-post-identifier", "v1", "CURRENT", { "node22" }, "node22" },
  { "signup-post-identifier", "v1", "CURRENT", { "node22" }, "node22" },
}

local function triggers_list()
  local out = arr()
  for i, t in ipairs(M.TRIGGERS) do
    out[i] = { id = t[1], version = t[2], status = t[3], runtimes = arr(values.copy(t[4])),
               default_runtime = t[5], binding_policy = "trigger-bound",
               compatible_triggers = arr() }
  end
  return out
end

local NOT_FOUND = { message = "Action not found", code = "inexistent_action" }

local function masked_secrets(ctx, secrets)
  local out = arr()
  for i, s in ipairs(secrets or {}) do
    out[i] = { name = s.name, updated_at = s.updated_at or ctx.now() }
  end
  return out
end

-- How many drafts each action had, kept beside the state (never part of it).
local drafts = setmetatable({}, { __mode = "k" })

-- The draft becomes "built" after the build delay unless it changed again meanwhile.
local function schedule_build(ctx, action)
  local generation = (drafts[action] or 0) + 1
  drafts[action] = generation
  ctx.later(ctx.config.build_delay, function()
    if drafts[action] == generation and action.status ~= "built" then
      action.status = "built"
    end
  end)
end

-- A new draft: "pending" now.
local function start_build(ctx, action)
  action.status = "pending"
  action.all_changes_deployed = false
  schedule_build(ctx, action)
end

local function action_view(_, action)
  return action
end

local function bindings_key(trigger) return "/actions/triggers/" .. trigger .. "/bindings" end

local function bound_triggers(ctx, action_id)
  local found = {}
  for _, t in ipairs(M.TRIGGERS) do
    for _, b in ipairs(ctx.store:get(bindings_key(t[1])) or {}) do
      if b.action and b.action.id == action_id then found[t[1]] = true end
    end
  end
  return found
end

M.ACTIONS = {
  path = "/actions/actions", id = "id", id_format = "uuid", key = "actions", paging = "actions",
  omit_zero = true, timestamps = true, not_found = NOT_FOUND,
  defaults = function()
    return { dependencies = arr(), secrets = arr(), runtime = "node22", code = "",
             all_changes_deployed = false }
  end,
  filters = {
    actionName = function(item, v) return item.name == v end,
    triggerId = function(item, v)
      for _, t in ipairs(item.supported_triggers or {}) do
        if t.id == v then return true end
      end
      return false
    end,
    deployed = function(item, v)
      return (item.deployed_version ~= nil) == (v == "true")
    end,
  },
  create = function(ctx, item)
    item.secrets = masked_secrets(ctx, item.secrets)
    start_build(ctx, item)
  end,
  update = function(ctx, item, body)
    values.merge(item, body, {
      secrets = function(_, v) item.secrets = masked_secrets(ctx, v) end,
    })
    start_build(ctx, item)
  end,
  on_delete = function(ctx, item, req)
    local bound = bound_triggers(ctx, item.id)
    if next(bound) then
      if req.query.force ~= "true" then
        errors.raise(400, "This action is bound to a trigger; unbind it first, or delete it "
          .. "with force=true", "action_bound")
      end
      for trigger in pairs(bound) do
        local list = ctx.store:get(bindings_key(trigger))
        for i = #list, 1, -1 do
          if list[i].action and list[i].action.id == item.id then table.remove(list, i) end
        end
      end
    end
  end,
  view = action_view,
}

local function find_action(ctx, id)
  return kinds.find_or_404(ctx, "/actions/actions", "id", id, NOT_FOUND)
end

local VERSIONS = {
  path = "/actions/actions/{actionId}/versions", item = "/actions/actions/{actionId}/versions/{id}",
  parent = { path = "/actions/actions", not_found = NOT_FOUND },
  methods = { list = true, get = true }, paging = "actions", key = "versions", omit_zero = true,
  not_found = { message = "Version not found", code = "inexistent_action_version" },
}

local function versions_key(id) return kinds.path_of(VERSIONS.path, { id }) end

local function summary(action)
  return { id = action.id, name = action.name, supported_triggers = action.supported_triggers,
           created_at = action.created_at, updated_at = action.updated_at,
           all_changes_deployed = action.all_changes_deployed }
end

local function deploy(ctx, action, version)
  local list = ctx.store:list(versions_key(action.id))
  for _, v in ipairs(list) do v.deployed = false end
  version.deployed = true
  action.deployed_version = values.copy(version)
  action.deployed_version.action = nil
  action.current_version = { id = version.id, code = version.code, runtime = version.runtime,
                             status = "BUILT", number = version.number,
                             build_time = version.built_at, created_at = version.created_at,
                             updated_at = version.updated_at }
  action.all_changes_deployed = true
end

local function version_bindings()
  return {
    {
      method = "POST", template = "/actions/actions/{id}/deploy", status = 202,
      handler = function(ctx, _, params)
        local action = find_action(ctx, params[1])
        if action.status ~= "built" then
          errors.raise(400, "A draft must be in the 'built' state before it can be deployed.",
            "draft_not_built")
        end
        local list = ctx.store:list(versions_key(action.id))
        local now = ctx.now()
        local version = {
          id = ctx.ids:make("uuid"), action_id = action.id, code = action.code,
          dependencies = values.copy(action.dependencies or arr()), runtime = action.runtime,
          secrets = values.copy(action.secrets or arr()),
          supported_triggers = values.copy(action.supported_triggers or arr()),
          number = #list + 1, status = "built", built_at = now, created_at = now,
          updated_at = now,
        }
        table.insert(list, 1, version)
        deploy(ctx, action, version)
        local answer = values.copy(version)
        answer.action = summary(action)
        return 202, answer
      end,
    },
    {
      method = "POST", template = "/actions/actions/{actionId}/versions/{id}/deploy",
      status = 202,
      handler = function(ctx, _, params)
        local action = find_action(ctx, params[1])
        local v = kinds.find_or_404(ctx, versions_key(params[1]), "id", params[2],
          VERSIONS.not_found)
        deploy(ctx, action, v)
        return 202, v
      end,
    },
  }
end

-- Trigger bindings: PATCH sets the whole ordered list.
local function trigger_exists(id)
  for _, t in ipairs(M.TRIGGERS) do
    if t[1] == id then return true end
  end
  return false
end

local function binding_bindings()
  local function check(id)
    if not trigger_exists(id) then
      errors.raise(404, ("Trigger %s not found"):format(id), "inexistent_trigger")
    end
  end
  return {
    {
      method = "GET", template = "/actions/triggers", paging = "wrap", key = "triggers",
      handler = function(ctx)
        return 200, ctx.store:get("/actions/triggers") or triggers_list(), true
      end,
    },
    {
      method = "GET", template = "/actions/triggers/{triggerId}/bindings", paging = "actions",
      key = "bindings", omit_zero = true,
      handler = function(ctx, _, params)
        check(params[1])
        local list = ctx.store:get(bindings_key(params[1])) or arr()
        for _, b in ipairs(list) do
          local action = b.action and ctx.store:find("/actions/actions", "id", b.action.id)
          if action then b.action = action_view(ctx, action) end
        end
        return 200, list, true
      end,
    },
    {
      method = "PATCH", template = "/actions/triggers/{triggerId}/bindings",
      handler = function(ctx, _, params, body)
        check(params[1])
        local old = ctx.store:get(bindings_key(params[1])) or {}
        local list = arr()
        local now = ctx.now()
        for _, want in ipairs(type(body) == "table" and body.bindings or {}) do
          local ref = want.ref or {}
          local action
          if ref.type == "action_id" then
            action = ctx.store:find("/actions/actions", "id", ref.value)
          elseif ref.type == "action_name" then
            action = ctx.store:find("/actions/actions", "name", ref.value)
          elseif ref.type == "binding_id" then
            for _, b in ipairs(old) do
              if b.id == ref.value then
                action = b.action and ctx.store:find("/actions/actions", "id", b.action.id)
              end
            end
          end
          if not action then
            errors.raise(404, ("Action %s not found"):format(tostring(ref.value)),
              "inexistent_action")
          end
          if not action.deployed_version then
            errors.raise(400, ("The action %s must be deployed before it can be bound to a "
              .. "trigger"):format(tostring(action.name)), "action_not_deployed")
          end
          list[#list + 1] = {
            id = ctx.ids:make("uuid"), trigger_id = params[1],
            display_name = want.display_name or action.name,
            action = action_view(ctx, action), created_at = now, updated_at = now,
          }
        end
        ctx.store:set(bindings_key(params[1]), list)
        return 200, { bindings = list }
      end,
    },
  }
end

local MODULE_NOT_FOUND = { message = "Module not found", code = "inexistent_module" }

local MODULE_VERSIONS = {
  path = "/actions/modules/{id}/versions", item = "/actions/modules/{id}/versions/{versionId}",
  parent = { path = "/actions/modules", not_found = MODULE_NOT_FOUND },
  methods = { list = true, get = true }, paging = "actions", key = "versions",
  not_found = { message = "Module version not found", code = "inexistent_module" },
}

local function module_versions_key(id) return kinds.path_of(MODULE_VERSIONS.path, { id }) end

-- Publishes the module's current code as its next version (numbered from 1).
local function publish_module(ctx, m)
  m.latest_version_number = (m.latest_version_number or 0) + 1
  m.all_changes_published = true
  local v = { id = ctx.ids:make("uuid"), module_id = m.id,
              version_number = m.latest_version_number, code = m.code,
              dependencies = values.copy(m.dependencies or arr()),
              secrets = values.copy(m.secrets or arr()), created_at = ctx.now() }
  ctx.store:insert(module_versions_key(m.id), v)
  return v
end

-- Modules created with `publish: true`, between their create and their storing.
local to_publish = setmetatable({}, { __mode = "k" })

-- Action modules: published versions are numbered from 1; a create with `publish: true`
-- publishes version 1 at once.
M.MODULES = {
  path = "/actions/modules", id = "id", id_format = "uuid", key = "modules", paging = "actions",
  timestamps = true,
  not_found = MODULE_NOT_FOUND,
  unique = { { fields = { "name" }, message = "A module with the same name already exists",
               code = "conflict" } },
  -- latest_version_number appears with the first published version (the service leaves 0 out).
  defaults = function()
    return { code = "", dependencies = arr(), secrets = arr(), actions_using_module_total = 0,
             all_changes_published = false }
  end,
  create = function(ctx, item)
    item.secrets = masked_secrets(ctx, item.secrets)
    to_publish[item] = item.publish == true or nil
    item.publish = nil
  end,
  -- (once stored: a create refused as a duplicate publishes nothing)
  after_write = function(ctx, item, op)
    if op == "create" and to_publish[item] then
      to_publish[item] = nil
      publish_module(ctx, item)
    end
  end,
  update = function(ctx, item, body)
    for k, v in pairs(body) do
      if k == "secrets" then item.secrets = masked_secrets(ctx, v) else item[k] = values.copy(v) end
    end
    item.all_changes_published = false
  end,
}

local function module_bindings()
  local function find_module(ctx, id)
    return kinds.find_or_404(ctx, "/actions/modules", "id", id, MODULE_NOT_FOUND)
  end
  return {
    {
      method = "POST", template = "/actions/modules/{id}/versions", status = 201,
      handler = function(ctx, _, params)
        return 201, publish_module(ctx, find_module(ctx, params[1]))
      end,
    },
    {
      method = "GET", template = "/actions/modules/{id}/actions", paging = "actions",
      key = "actions",
      handler = function(ctx, _, params)
        local m = find_module(ctx, params[1])
        local out = arr()
        for _, a in ipairs(ctx.store:get("/actions/actions") or {}) do
          for _, ref in ipairs(a.modules or {}) do
            if ref.module_id == m.id or ref.module_name == m.name then
              out[#out + 1] = { action_id = a.id, action_name = a.name }
              break
            end
          end
        end
        return 200, out, true
      end,
    },
  }
end

function M.bindings()
  return kinds.join({ kinds.collection(M.ACTIONS), kinds.collection(VERSIONS), version_bindings(),
                      binding_bindings(), kinds.collection(M.MODULES),
                      kinds.collection(MODULE_VERSIONS), module_bindings() })
end

function M.fresh(_, state)
  state["/actions/actions"] = arr()
  state["/actions/modules"] = arr()
  state["/actions/triggers"] = triggers_list()
end

-- A loaded action that is still "pending" or "building" gets a build timer of its own.
function M.normalize(ctx)
  for _, a in ipairs(ctx.store:get("/actions/actions") or {}) do
    if a.status == "pending" or a.status == "building" then schedule_build(ctx, a) end
  end
end

return M
