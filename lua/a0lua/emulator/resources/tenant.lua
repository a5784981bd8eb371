--[[
a0lua.emulator.resources.tenant: the tenant-wide objects. Tenant settings (/tenants/settings),
the email provider (/emails/provider), email templates (/email-templates/{templateName}), attack
protection (five objects), risk assessment, supplemental signals, and custom domains.

Tenant settings: PATCH merges objects (flags, universal_login, ...) into the current settings and
turns the *_in_minutes lifetimes into the hour fields the API answers with (181 minutes ->
session_lifetime 3.0166...). The email provider answers 404 until one is created; its write-only
credentials (api_key, smtp_pass, ...) are never answered (nor kept). Email templates exist once
created (POST, or PUT), PATCH of one that does not exist is 404, and they cannot be deleted.
Captcha provider secrets are write-only too.
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

M.SETTINGS_DEFAULT = {
  friendly_name = "a0lua emulator", enabled_locales = { "en" }, sandbox_version = "22",
  sandbox_versions_available = { "22", "18" }, idle_session_lifetime = 72,
  session_lifetime = 168, session_cookie = { mode = "persistent" },
  resource_parameter_profile = "audience", client_id_metadata_document_supported = false,
  universal_login = {},
  flags = {
    allow_changing_enable_sso = false, allow_legacy_delegation_grant_types = false,
    allow_legacy_ro_grant_types = false, change_pwd_flow_v1 = false,
    disable_impersonation = true, enable_apis_section = false, enable_client_connections = true,
    enable_custom_domain_in_emails = false, enable_dynamic_client_registration = false,
    enable_legacy_logs_search_v2 = false, enable_public_signup_user_exists_error = false,
    enable_sso = true, new_universal_login_experience_enabled = true, universal_login = true,
    use_scope_descriptions_for_consent = false, revoke_refresh_token_grant = false,
    disable_clickjack_protection_headers = false, enable_pipeline2 = false,
  },
}

local MINUTES = {
  session_lifetime_in_minutes = "session_lifetime",
  idle_session_lifetime_in_minutes = "idle_session_lifetime",
  ephemeral_session_lifetime_in_minutes = "ephemeral_session_lifetime",
  idle_ephemeral_session_lifetime_in_minutes = "idle_ephemeral_session_lifetime",
}

local function hours(minutes)
  local h = minutes / 60
  return math.tointeger(h) or h
end

-- Lua tables written as JSON arrays where the API has arrays.
local function with_arrays(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = with_arrays(x) end
  if #v > 0 then return arr(out) end
  return out
end

M.SETTINGS = {
  path = "/tenants/settings", merge = function(_, current, body)
    local patch = {}
    for k, v in pairs(type(body) == "table" and body or {}) do
      local target = MINUTES[k]
      if target and type(v) == "number" then
        patch[target] = hours(v)
      else
        patch[k] = v
      end
    end
    values.deep_merge(current, patch)
    return current
  end,
  default = function() return with_arrays(values.copy(M.SETTINGS_DEFAULT)) end,
}

-- Credentials the email provider accepts but never answers.
local WRITE_ONLY_CREDENTIALS = { "api_key", "smtp_pass", "secretAccessKey", "clientSecret",
                                 "connectionString", "accessKeyId" }

-- The request log redacts these names too (a0lua.emulator.secrets).
M.write_only = WRITE_ONLY_CREDENTIALS

local function strip_credentials(provider)
  local c = provider.credentials
  if values.is_object(c) then
    for _, k in ipairs(WRITE_ONLY_CREDENTIALS) do c[k] = nil end
  end
  return provider
end

M.EMAIL_PROVIDER = {
  path = "/emails/provider",
  methods = { get = true, patch = true, post = true, delete = true },
  missing = { message = "There is no email provider configured for this tenant.",
              code = "inexistent_email_provider" },
  post_conflict = { message = "An email provider is already configured for this tenant.",
                    code = "conflict" },
  merge = function(_, current, body)
    values.merge(current, type(body) == "table" and body or {})
    if current.enabled == nil then current.enabled = true end
    return strip_credentials(current)
  end,
}

M.TEMPLATE_NAMES = {
  "verify_email", "verify_email_by_code", "reset_email", "reset_email_by_code", "welcome_email",
  "blocked_account", "stolen_credentials", "enrollment_email", "change_password",
  "password_reset", "mfa_oob_code", "user_invitation", "async_approval",
}

local TEMPLATE_MISSING = { message = "The template does not exist.",
                           code = "inexistent_email_template" }

local function known_template(name)
  for _, n in ipairs(M.TEMPLATE_NAMES) do
    if n == name then return true end
  end
  return false
end

local function fill_template(_, v, params)
  v.template = params[1]
  if v.syntax == nil then v.syntax = "liquid" end
  if v.enabled == nil then v.enabled = true end
end

M.EMAIL_TEMPLATES = {
  template = "/email-templates/{templateName}",
  methods = { get = true, put = true, patch = true },
  missing = TEMPLATE_MISSING, patch_missing = true,
  check = function(_, params)
    if not known_template(params[1]) then
      errors.raise(404, TEMPLATE_MISSING.message, TEMPLATE_MISSING.code)
    end
  end,
  fill = fill_template,
}

local function create_template_binding()
  return {
    method = "POST", template = "/email-templates", status = 200,
    handler = function(ctx, _, _, body)
      local name = type(body) == "table" and body.template
      if not known_template(name) then
        errors.raise(400, ("Payload validation error: 'No enum match for: \"%s\"' on property "
          .. "template."):format(tostring(name)), "invalid_body")
      end
      local key = "/email-templates/" .. name
      if ctx.store:get(key) ~= nil then
        errors.raise(409, ("Template %s already exists."):format(name), "conflict")
      end
      local v = values.copy(body)
      fill_template(ctx, v, { name })
      ctx.store:set(key, v)
      return 200, v
    end,
  }
end

M.ATTACK_PROTECTION = {
  ["breached-password-detection"] = {
    enabled = false, shields = {}, admin_notification_frequency = {}, method = "standard",
    stage = { ["pre-user-registration"] = { shields = {} },
              ["pre-change-password"] = { shields = {} } },
  },
  ["brute-force-protection"] = {
    enabled = true, shields = { "block", "user_notification" },
    mode = "count_per_identifier_and_ip", allowlist = {}, max_attempts = 10,
  },
  ["suspicious-ip-throttling"] = {
    enabled = true, shields = { "admin_notification", "block" }, allowlist = {},
    stage = { ["pre-login"] = { max_attempts = 100, rate = 864000 },
              ["pre-user-registration"] = { max_attempts = 50, rate = 1200 },
              -- as the real API answers (recording should-dump-without-throwing-an-error)
              ["pre-custom-token-exchange"] = { max_attempts = 10, rate = 600000 } },
  },
  ["bot-detection"] = {
    challenge_password_policy = "never", challenge_passwordless_policy = "never",
    challenge_password_reset_policy = "never", allowlist = {}, bot_detection_level = "medium",
    monitoring_mode_enabled = false,
  },
  captcha = {
    active_provider_id = "auth_challenge", simple_captcha = {},
    auth_challenge = { fail_open = false }, recaptcha_v2 = { site_key = "" },
    recaptcha_enterprise = { site_key = "", project_id = "" }, hcaptcha = { site_key = "" },
    friendly_captcha = { site_key = "" },
    arkose = { site_key = "", client_subdomain = "client-api", verify_subdomain = "verify-api",
               fail_open = false },
  },
}

-- JSON arrays for the empty lists of the defaults above (plain {} would be objects).
local ARRAY_FIELDS = { shields = true, admin_notification_frequency = true, allowlist = true }

local function ap_default(name)
  local function conv(v, key)
    if type(v) ~= "table" then return v end
    if ARRAY_FIELDS[key] then return arr(values.copy(v)) end
    local out = {}
    for k, x in pairs(v) do out[k] = conv(x, k) end
    return out
  end
  return conv(M.ATTACK_PROTECTION[name])
end

-- Captcha provider fields the API takes but never answers: each provider's secret, and
-- recaptcha_enterprise's api_key.
local CAPTCHA_WRITE_ONLY = { "secret", "api_key" }

local function captcha_merge(_, current, body)
  values.deep_merge(current, type(body) == "table" and body or {})
  for _, provider in pairs(current) do
    if values.is_object(provider) then
      for _, k in ipairs(CAPTCHA_WRITE_ONLY) do provider[k] = nil end
    end
  end
  return current
end

-- Objects that are only read and merged, as a fresh tenant has them.
local PLAIN_SINGLETONS = {
  { path = "/risk-assessments/settings", default = { enabled = false } },
  { path = "/risk-assessments/settings/new-device", default = { remember_for = 30 } },
  { path = "/supplemental-signals", default = { akamai_enabled = false } },
}

local function singletons()
  local list = { kinds.singleton(M.SETTINGS), kinds.singleton(M.EMAIL_PROVIDER) }
  for _, def in ipairs(PLAIN_SINGLETONS) do list[#list + 1] = kinds.singleton(def) end
  for name in pairs(M.ATTACK_PROTECTION) do
    list[#list + 1] = kinds.singleton({
      path = "/attack-protection/" .. name, merge = name == "captcha" and captcha_merge or "deep",
      default = function() return ap_default(name) end,
    })
  end
  return list
end

local CD_NOT_FOUND = { message = "The custom domain does not exist",
                       code = "inexistent_custom_domain" }

M.CUSTOM_DOMAINS = {
  path = "/custom-domains", id = "custom_domain_id", id_format = { prefix = "cd_", length = 16 },
  key = "custom_domains", paging = "checkpoint", bare_without_params = true,
  not_found = CD_NOT_FOUND,
  unique = { { fields = { "domain" }, message = "The custom domain already exists",
               code = "conflict" } },
  create = function(ctx, item)
    item.primary = false
    item.status = "pending_verification"
    item.tls_policy = item.tls_policy or "recommended"
    item.verification = { methods = arr({ {
      name = "CNAME", domain = item.domain,
      record = "a0lua-emulator-cd-" .. ctx.ids:make({ length = 16 }) .. ".edge.tenants.auth0.com",
    } }) }
    if item.is_default == nil then item.is_default = false end
  end,
}

local function custom_domain_extras()
  local function default_domain(ctx)
    for _, d in ipairs(ctx.store:get("/custom-domains") or {}) do
      if d.is_default then return d end
    end
    return nil
  end
  return {
    {
      method = "GET", template = "/custom-domains/default",
      handler = function(ctx)
        local d = default_domain(ctx)
        if not d then errors.raise(404, CD_NOT_FOUND.message, CD_NOT_FOUND.code) end
        return 200, d
      end,
    },
    {
      method = "PATCH", template = "/custom-domains/default",
      handler = function(ctx, _, _, body)
        local wanted = type(body) == "table" and body.domain
        local target = kinds.find_or_404(ctx, "/custom-domains", "domain", wanted, CD_NOT_FOUND)
        for _, d in ipairs(ctx.store:get("/custom-domains")) do d.is_default = d == target end
        return 200, target
      end,
    },
    {
      method = "POST", template = "/custom-domains/{id}/verify",
      handler = function(ctx, _, params)
        local d = kinds.find_or_404(ctx, "/custom-domains", "custom_domain_id", params[1],
          CD_NOT_FOUND)
        d.status = "ready"
        return 200, d
      end,
    },
  }
end

function M.bindings()
  local lists = singletons()
  lists[#lists + 1] = kinds.keyed(M.EMAIL_TEMPLATES)
  lists[#lists + 1] = { create_template_binding() }
  lists[#lists + 1] = kinds.collection(M.CUSTOM_DOMAINS)
  lists[#lists + 1] = custom_domain_extras()
  return kinds.join(lists)
end

function M.fresh(_, state)
  state["/tenants/settings"] = M.SETTINGS.default()
  for name in pairs(M.ATTACK_PROTECTION) do
    state["/attack-protection/" .. name] = ap_default(name)
  end
  for _, def in ipairs(PLAIN_SINGLETONS) do state[def.path] = values.copy(def.default) end
  state["/custom-domains"] = arr()
end

return M
