--[[
a0lua.emulator.resources.lists: the resource types that are plain collections, each described by
data: rules (+ rules-configs), hooks (+ secrets), log streams, forms, flows, flow vault
connections, self-service profiles (+ their custom text), network ACLs, user attribute profiles,
connection profiles, token exchange profiles, rate limit policies (routes the OpenAPI document
does not have yet: scripts/gen-emulator-routes.lua adds them) and event streams.
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

local function id22(prefix) return { prefix = prefix, length = 22 } end

local function nf(message, code) return { message = message, code = code } end

local function unique_name(what)
  return { { fields = { "name" }, message = ("A %s with the same name already exists"):format(what),
             code = "conflict" } }
end

-- Rules: order is unique and, when left out, one past the highest.
M.RULES = {
  path = "/rules", id_format = { prefix = "rul_", length = 16 }, key = "rules", paging = "offset",
  not_found = nf("The rule does not exist", "inexistent_rule"),
  unique = {
    { fields = { "name" }, message = "A rule with the same name already exists",
      code = "conflict" },
    { fields = { "order" }, message = "A rule with the same order already exists",
      code = "conflict" },
  },
  defaults = function() return { enabled = true, stage = "login_success" } end,
  filters = {
    enabled = function(item, v) return (item.enabled == true) == (v == "true") end,
  },
  create = function(ctx, item)
    if item.order == nil or item.order == values.null then
      local max = 0
      for _, r in ipairs(ctx.store:get("/rules") or {}) do
        if type(r.order) == "number" and r.order > max then max = r.order end
      end
      item.order = max + 1
    end
  end,
}

local function rules_configs()
  local key = "/rules-configs"
  return {
    { method = "GET", template = key,
      handler = function(ctx) return 200, ctx.store:get(key) or arr() end },
    {
      method = "PUT", template = "/rules-configs/{key}", secret_body = true,
      handler = function(ctx, _, params, body)
        if not ctx.store:find(key, "key", params[1]) then
          ctx.store:insert(key, { key = params[1] })
        end
        return 200, { key = params[1], value = type(body) == "table" and body.value or nil }
      end,
    },
    {
      method = "DELETE", template = "/rules-configs/{key}", status = 204,
      handler = function(ctx, _, params)
        ctx.store:delete_item(key, "key", params[1])
        return 204
      end,
    },
  }
end

-- Hooks keep their secrets at /hooks/{id}/secrets, values never shown.
local HIDDEN = "_VALUE_NOT_SHOWN_"

local function masked(secrets)
  local out = {}
  for k in pairs(secrets or {}) do out[k] = HIDDEN end
  return out
end

M.HOOKS = {
  path = "/hooks", id_format = "hex24", key = "hooks", paging = "offset",
  not_found = nf("The hook does not exist", "inexistent_hook"),
  unique = unique_name("hook"),
  defaults = function() return { enabled = false, dependencies = {} } end,
  filters = {
    triggerId = function(item, v) return item.triggerId == v end,
    enabled = function(item, v) return (item.enabled == true) == (v == "true") end,
  },
  create = function(ctx, item, body)
    item.secrets = nil
    ctx.store:set("/hooks/" .. item.id .. "/secrets", masked(body.secrets))
  end,
  update = function(ctx, item, body)
    values.merge(item, body, {
      secrets = function(_, v) ctx.store:set("/hooks/" .. item.id .. "/secrets", masked(v)) end,
    })
  end,
}

local function hook_secrets()
  local t = "/hooks/{id}/secrets"
  local function key(ctx, id)
    kinds.find_or_404(ctx, "/hooks", "id", id, M.HOOKS.not_found)
    return "/hooks/" .. id .. "/secrets"
  end
  return {
    { method = "GET", template = t,
      handler = function(ctx, _, p) return 200, ctx.store:get(key(ctx, p[1])) or {} end },
    {
      method = "POST", template = t, status = 201, secret_body = true,
      handler = function(ctx, _, p, body)
        local k = key(ctx, p[1])
        local cur = ctx.store:get(k) or {}
        for name in pairs(type(body) == "table" and body or {}) do
          if cur[name] then
            errors.raise(409, ("Secret %s already exists"):format(name), "conflict")
          end
          cur[name] = HIDDEN
        end
        ctx.store:set(k, cur)
        return 201
      end,
    },
    {
      method = "PATCH", template = t, secret_body = true,
      handler = function(ctx, _, p, body)
        local k = key(ctx, p[1])
        local cur = ctx.store:get(k) or {}
        for name in pairs(type(body) == "table" and body or {}) do
          if not cur[name] then
            errors.raise(404, ("Secret %s does not exist"):format(name), "inexistent_secret")
          end
        end
        return 200
      end,
    },
    {
      method = "DELETE", template = t, status = 204,
      handler = function(ctx, _, p, body)
        local k = key(ctx, p[1])
        local cur = ctx.store:get(k) or {}
        for _, name in ipairs(type(body) == "table" and body or {}) do cur[name] = nil end
        ctx.store:set(k, cur)
        return 204
      end,
    },
  }
end

-- A stream to AWS EventBridge or Azure Event Grid gets the partner event source / topic the
-- customer then accepts, made by the API whatever the body says (a0deploy's lots-of-configuration
-- fixture shows the EventBridge form).
local function partner_source(ctx, what)
  return ("aws.partner/auth0.com/a0lua-emulator-%s/auth0.%s"):format(ctx.ids:make("uuid"), what)
end

M.LOG_STREAMS = {
  path = "/log-streams", id_format = { prefix = "lst_", length = 16, digits = true },
  not_found = nf("The log stream does not exist", "inexistent_log_stream"),
  defaults = function() return { status = "active", filters = arr() } end,
  create = function(ctx, item)
    if type(item.sink) ~= "table" then return end
    if item.type == "eventbridge" then
      item.sink.awsPartnerEventSource = partner_source(ctx, "logs")
    elseif item.type == "eventgrid" then
      item.sink.azurePartnerTopic = "auth0-logs-" .. ctx.ids:make("uuid")
    end
  end,
}

-- Forms and flows: a list shows a summary, GET of one the whole object.
local function summary(fields)
  return function(_, item)
    local out = {}
    for _, f in ipairs(fields) do out[f] = item[f] end
    return out
  end
end

M.FORMS = {
  path = "/forms", id_format = id22("ap_"), key = "forms", paging = "offset", timestamps = true,
  not_found = nf("Form not found", "form_not_found"),
  defaults = function() return { languages = { primary = "en" } } end,
  -- flow_count is the list's (a GET of one form has none unless hydrated): its FLOW nodes.
  list_view = function(ctx, item)
    local out = summary({ "id", "name", "created_at", "updated_at", "embedded_at",
                          "submitted_at" })(ctx, item)
    out.flow_count = 0
    for _, node in ipairs(values.is_array(item.nodes) and item.nodes or {}) do
      if type(node) == "table" and node.type == "FLOW" then out.flow_count = out.flow_count + 1 end
    end
    return out
  end,
}

M.FLOWS = {
  path = "/flows", id_format = id22("af_"), key = "flows", paging = "offset", timestamps = true,
  not_found = nf("Flow not found", "flow_not_found"),
  defaults = function() return { actions = arr() } end,
  list_view = summary({ "id", "name", "created_at", "updated_at", "executed_at" }),
}

M.VAULT_CONNECTIONS = {
  path = "/flows/vault/connections", id_format = id22("ac_"), key = "connections",
  paging = "offset", timestamps = true,
  not_found = nf("Connection not found", "connection_not_found"),
  -- A connection made without setup is the API's "uninitialized" one: not ready until a PATCH
  -- gives it its credentials (which no GET ever shows).
  create = function(ctx, item, body)
    item.ready = values.is_object(body.setup)
    item.setup = nil
    item.fingerprint = ctx.ids:make({ length = 32 })
    item.refreshed_at = ctx.now()
  end,
  update = function(ctx, item, body)
    for k, v in pairs(body) do
      if k ~= "setup" then item[k] = values.copy(v) end
    end
    if body.setup then
      item.ready = true
      item.refreshed_at = ctx.now()
    end
  end,
}

M.SELF_SERVICE_PROFILES = {
  path = "/self-service-profiles", id_format = id22("ssp_"), key = "self_service_profiles",
  paging = "offset", timestamps = true,
  not_found = nf("Self-service profile not found", "inexistent_self_service_profile"),
  defaults = function() return { user_attributes = arr(), allowed_strategies = arr() } end,
}

M.NETWORK_ACLS = {
  path = "/network-acls", id_format = id22("acl_"), key = "network_acls", paging = "offset",
  timestamps = true,
  methods = { list = true, create = true, get = true, update = true, replace = true,
              delete = true },
  not_found = nf("Network ACL not found", "inexistent_network_acl"),
  unique = { { fields = { "priority" }, message = "A network ACL with this priority already exists",
               code = "conflict" } },
}

-- The user id mappings a new user attribute profile gets where the body leaves them out (as
-- Auth0 answers: docs/emulator.md).
local SAML_USER_ID = {
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
}

M.USER_ATTRIBUTE_PROFILES = {
  path = "/user-attribute-profiles", id_format = id22("uap_"), key = "user_attribute_profiles",
  paging = "checkpoint",
  not_found = nf("User attribute profile not found", "inexistent_user_attribute_profile"),
  unique = unique_name("user attribute profile"),
  create = function(_, item)
    local user_id = type(item.user_id) == "table" and item.user_id or {}
    if user_id.oidc_mapping == nil then user_id.oidc_mapping = "sub" end
    if user_id.saml_mapping == nil then user_id.saml_mapping = arr(values.copy(SAML_USER_ID)) end
    if user_id.scim_mapping == nil then user_id.scim_mapping = "externalId" end
    item.user_id = user_id
  end,
}

M.CONNECTION_PROFILES = {
  path = "/connection-profiles", id_format = id22("cop_"), key = "connection_profiles",
  paging = "checkpoint", max_take = 10,
  not_found = nf("Connection profile not found", "inexistent_connection_profile"),
  unique = unique_name("connection profile"),
}

M.TOKEN_EXCHANGE_PROFILES = {
  path = "/token-exchange-profiles", id_format = id22("tep_"), key = "token_exchange_profiles",
  paging = "checkpoint", timestamps = true,
  not_found = nf("Token exchange profile not found", "inexistent_token_exchange_profile"),
  unique = { { fields = { "subject_token_type" },
               message = "A token exchange profile with the same subject_token_type already "
                 .. "exists", code = "conflict" } },
  create = function(ctx, item)
    if item.action_id then
      kinds.find_or_404(ctx, "/actions/actions", "id", item.action_id,
        nf("Action not found", "inexistent_action"))
    end
  end,
}

M.RATE_LIMIT_POLICIES = {
  path = "/rate-limit-policies", id_format = id22("rlp_"), key = "rate_limit_policies",
  paging = "checkpoint", timestamps = true,
  not_found = nf("Rate limit policy not found", "inexistent_rate_limit_policy"),
  unique = { { value = function(item)
                 if item.consumer_selector == nil then return nil end
                 return tostring(item.resource) .. "\0" .. tostring(item.consumer) .. "\0"
                   .. tostring(item.consumer_selector)
               end, fields = { "resource", "consumer", "consumer_selector" },
               message = "A rate limit policy for this consumer already exists",
               code = "conflict" } },
}

-- A webhook's authorization secret (bearer token, basic password, custom header value) is
-- write-only: the real API keeps it and answers without it (recording
-- should-dump-without-throwing-an-error: webhook_authorization {method: "bearer"} only).
local WEBHOOK_SECRETS = { "token", "password", "header_value" }
M.write_only = WEBHOOK_SECRETS -- redacted in the request log too (a0lua.emulator.secrets)

local function event_stream_view(_, item)
  local auth = type(item.destination) == "table" and type(item.destination.configuration) == "table"
    and item.destination.configuration.webhook_authorization
  if type(auth) ~= "table" then return item end
  local out = values.copy(item)
  for _, field in ipairs(WEBHOOK_SECRETS) do
    out.destination.configuration.webhook_authorization[field] = nil
  end
  return out
end

M.EVENT_STREAMS = {
  path = "/event-streams", id_format = id22("est_"), key = "eventStreams", paging = "checkpoint",
  timestamps = true,
  not_found = nf("Event stream not found", "inexistent_event_stream"),
  defaults = function() return { status = "enabled", subscriptions = arr() } end,
  view = event_stream_view,
  create = function(ctx, item)
    local d = item.destination
    if type(d) == "table" and d.type == "eventbridge" and type(d.configuration) == "table" then
      d.configuration.aws_partner_event_source = partner_source(ctx, "events")
    end
  end,
}

local function ssp_custom_text()
  return kinds.keyed({
    template = "/self-service-profiles/{id}/custom-text/{language}/{page}",
    parent = { path = "/self-service-profiles", id = "id",
               not_found = M.SELF_SERVICE_PROFILES.not_found },
    default = function() return {} end,
  })
end

local COLLECTIONS = { "RULES", "HOOKS", "LOG_STREAMS", "FORMS", "FLOWS", "VAULT_CONNECTIONS",
                      "SELF_SERVICE_PROFILES", "NETWORK_ACLS", "USER_ATTRIBUTE_PROFILES",
                      "CONNECTION_PROFILES", "TOKEN_EXCHANGE_PROFILES", "RATE_LIMIT_POLICIES",
                      "EVENT_STREAMS" }

function M.bindings()
  local lists = { rules_configs(), hook_secrets(), ssp_custom_text() }
  for _, name in ipairs(COLLECTIONS) do lists[#lists + 1] = kinds.collection(M[name]) end
  return kinds.join(lists)
end

function M.fresh(_, state)
  for _, name in ipairs(COLLECTIONS) do state[M[name].path] = arr() end
  state["/rules-configs"] = arr()
end

-- Detail keys of a recording (/forms/ap_1 with the whole form) merge into the collection item.
function M.normalize(ctx)
  for _, name in ipairs({ "FORMS", "FLOWS" }) do
    local path = M[name].path
    for _, key in ipairs(ctx.store:keys()) do
      local id = key:sub(#path + 2)
      if key:sub(1, #path + 1) == path .. "/" and not id:find("/", 1, true) then
        local item = ctx.store:find(path, "id", id)
        local detail = ctx.store:get(key)
        if item and values.is_object(detail) then
          for k, v in pairs(detail) do item[k] = v end
          ctx.store:remove(key)
        end
      end
    end
  end
end

return M
