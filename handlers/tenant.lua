-- handlers/tenant.lua: the tenant settings singleton (a0deploy type `tenant`),
-- docs/handlers.md §tenant.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local NULL = json.null

-- The flags a0deploy lets a deploy change (docs/handlers.md §tenant).
local ALLOWED_FLAGS = {
  "change_pwd_flow_v1", "enable_client_connections", "enable_apis_section", "enable_pipeline2",
  "enable_dynamic_client_registration", "allow_legacy_tokeninfo_endpoint",
  "enable_legacy_profile", "enable_idtoken_api2", "enable_public_signup_user_exists_error",
  "allow_legacy_delegation_grant_types", "allow_legacy_ro_grant_types", "enable_sso",
  "disable_clickjack_protection_headers", "no_disclose_enterprise_connections",
  "disable_management_api_sms_obfuscation",
  "enforce_client_authentication_on_passwordless_start",
  "trust_azure_adfs_email_verified_connection_property", "enable_adfs_waad_email_verification",
  "revoke_refresh_token_grant", "dashboard_log_streams_next", "dashboard_insights_view",
  "disable_fields_map_fix", "require_pushed_authorization_requests",
  "mfa_show_factor_list_on_enrollment", "improved_signup_bot_detection_in_classic",
  "use_scope_descriptions_for_consent",
}
local DEPRECATED_FLAG = "enable_custom_domain_in_emails"

-- Page settings live in the `pages` type, never in the tenant's.
local PAGE_KEYS = { "login", "password_reset", "guardian_multifactor", "error_page",
  "guardian_mfa_page", "change_password" }

-- Session lifetimes are written in hours and sent in minutes.
local SESSION_HOURS = { "session_lifetime", "idle_session_lifetime", "ephemeral_session_lifetime",
  "idle_ephemeral_session_lifetime" }

local SCHEMA = {
  type = "object",
  properties = {
    client_id_metadata_document_supported = { type = "boolean" },
    default_token_quota = {
      type = "object",
      properties = { clients = handler.token_quota_schema(),
                    organizations = handler.token_quota_schema() },
      additionalProperties = false,
      minProperties = 1,
    },
    skip_non_verifiable_callback_uri_confirmation_prompt = { type = { "boolean", "null" } },
    resource_parameter_profile = { type = "string", enum = { "audience", "compatibility" } },
    dynamic_client_registration_security_mode = {
      type = "string", enum = { "strict", "permissive" },
    },
    country_codes = {
      type = { "object", "null" },
      properties = {
        list = {
          type = "array",
          items = { type = "string", pattern = "^[A-Z]{2}$" },
          minItems = 1,
          uniqueItems = true,
        },
        mode = { type = "string", enum = { "allow", "deny" } },
      },
      required = { "list", "mode" },
      additionalProperties = false,
    },
  },
}

local M = {
  type = "tenant",
  kind = "singleton",
  path = "/tenants/settings",
  schema = SCHEMA,
  strip_export = { "sandbox_versions_available", "flags.allow_changing_enable_sso",
    "flags.enable_sso", "flags.disable_impersonation", "flags.remove_stale_idp_attributes" },
}

M.ALLOWED_FLAGS = ALLOWED_FLAGS
M.PAGE_KEYS = PAGE_KEYS

local ALLOWED = {}
for _, f in ipairs(ALLOWED_FLAGS) do ALLOWED[f] = true end

local warn = handler.warn

-- The flags a deploy may change; the others listed in `removed` (sorted).
local function allowed_flags(flags)
  local out, removed = {}, {}
  for k, v in pairs(flags) do
    if ALLOWED[k] then out[k] = v else removed[#removed + 1] = k end
  end
  table.sort(removed)
  return out, removed
end

local function minutes(hours)
  return math.floor(hours * 60 + 0.5)
end

function M.fetch(self, ctx)
  local body, err = ctx.api:request("GET", self.path)
  if body == nil then return nil, err end
  if type(body.flags) == "table" then body.flags = allowed_flags(body.flags) end
  for _, k in ipairs(PAGE_KEYS) do body[k] = nil end
  return body
end

-- Page settings in the tenant are an error: they belong to `pages`.
function M.validate(_, _, tenant, report)
  if type(tenant) ~= "table" then return end
  for _, k in ipairs(PAGE_KEYS) do
    if tenant[k] ~= nil then
      report(nil, k, "pages should be set separately (the pages type), not in tenant settings")
    end
  end
end

-- Flags a deploy may not change are dropped (with a warning), an empty flags object is dropped,
-- session lifetimes in hours become the API's *_in_minutes fields.
function M.resolve(_, ctx, tenant)
  if type(tenant) ~= "table" then return tenant end
  if type(tenant.flags) == "table" and tenant.flags ~= NULL then
    if tenant.flags[DEPRECATED_FLAG] ~= nil then
      warn(ctx, 'tenant: the flag "' .. DEPRECATED_FLAG .. '" is deprecated (use is_default on '
        .. "customDomains) and is not sent")
      tenant.flags[DEPRECATED_FLAG] = nil
    end
    local flags, removed = allowed_flags(tenant.flags)
    if #removed > 0 then
      warn(ctx, "tenant: these flags are not changed (not allowed for a deploy): "
        .. table.concat(removed, ", "))
    end
    tenant.flags = next(flags) ~= nil and flags or nil
  end
  for _, k in ipairs(SESSION_HOURS) do
    local hours = tenant[k]
    if type(hours) == "number" then
      tenant[k .. "_in_minutes"] = minutes(hours)
      tenant[k] = nil
    end
  end
  return tenant
end

-- A lifetime in minutes equal to the tenant's lifetime in hours is no change (the tenant may
-- show only the hours).
M.diff = handler.diff_then(function(_, _, _, current, payload, diffs)
  if payload == nil then return nil end
  for _, k in ipairs(SESSION_HOURS) do
    local m = k .. "_in_minutes"
    if payload[m] ~= nil and current[m] == nil and type(current[k]) == "number"
        and minutes(current[k]) == payload[m] then
      payload[m] = nil
    end
  end
  return handler.keep_fields(payload, diffs, function(field) return payload[field] ~= nil end)
end)

-- An empty flags object is not written (also when only read-only flags made it non-empty).
function M.export(self, ctx, tenant)
  local flags = tenant.flags
  if type(flags) ~= "table" or flags == NULL then return tenant end
  local included = {}
  local props = (ctx.config or {}).INCLUDED_PROPS
  for _, p in ipairs(type(props) == "table" and type(props.tenant) == "table" and props.tenant
    or {}) do
    included[p] = true
  end
  for _, path in ipairs(self.strip_export) do
    local flag = path:match("^flags%.(.+)$")
    if flag and not included[path] then flags[flag] = nil end
  end
  if next(flags) == nil then tenant.flags = nil end
  return tenant
end

return M
