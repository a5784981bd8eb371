-- handlers/attack_protection.lua: attack protection (a0deploy type `attackProtection`), a
-- singleton of five sections, each its own endpoint: docs/handlers.md §attackProtection.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local ARRAY_MT = json.array_mt

-- The sections in a0deploy's order; `optional`: a tenant without the feature answers 403 (a
-- warning, and the section is left out).
local SECTIONS = {
  { key = "breachedPasswordDetection", path = "/attack-protection/breached-password-detection" },
  { key = "bruteForceProtection", path = "/attack-protection/brute-force-protection" },
  { key = "suspiciousIpThrottling", path = "/attack-protection/suspicious-ip-throttling" },
  { key = "botDetection", path = "/attack-protection/bot-detection", optional = true },
  { key = "captcha", path = "/attack-protection/captcha", optional = true },
}

-- Captcha providers and their write-only fields (the API never returns them) with the
-- placeholder an export writes instead (a0deploy's names, docs/formats.md §5.3).
local CAPTCHA_SECRETS = {
  arkose = { secret = "##CAPTCHA_ARKOSE_SECRET##" },
  friendly_captcha = { secret = "##CAPTCHA_FRIENDLY_CAPTCHA_SECRET##" },
  hcaptcha = { secret = "##CAPTCHA_HCAPTCHA_SECRET##" },
  recaptcha_v2 = { secret = "##CAPTCHA_RECAPTCHA_V2_SECRET##" },
  recaptcha_enterprise = { api_key = "##CAPTCHA_RECAPTCHA_ENTERPRISE_API_KEY##" },
}
local CAPTCHA_PROVIDERS = { "arkose", "auth_challenge", "friendly_captcha", "hcaptcha",
  "recaptcha_v2", "recaptcha_enterprise", "simple_captcha" }

-- The schema follows the API's request bodies (PATCH /attack-protection/*), but the captcha
-- secrets are not required: an export has none to give (the API never returns them).
local function enum(values) return { type = "string", enum = values } end
local strings = handler.strings_schema
local function list_of(values) return { type = "array", items = enum(values) } end
local function integer(min, max) return { type = "integer", minimum = min, maximum = max } end
local function object(properties, required)
  return { type = "object", properties = properties, required = required,
           additionalProperties = false }
end
local function site(extra, required)
  local properties = { site_key = { type = "string", maxLength = 100 },
                       secret = { type = "string", maxLength = 100 } }
  for k, v in pairs(extra or {}) do properties[k] = v end
  return object(properties, required or { "site_key" })
end
local CHALLENGE = { "never", "when_risky", "always" }
local STAGE_SHIELDS = { shields = list_of({ "block", "admin_notification" }) }

local SCHEMA = object({
  breachedPasswordDetection = object({
    enabled = { type = "boolean" },
    shields = list_of({ "block", "user_notification", "admin_notification" }),
    admin_notification_frequency = list_of({ "immediately", "daily", "weekly", "monthly" }),
    method = enum({ "standard", "enhanced" }),
    stage = object({
      ["pre-user-registration"] = object(STAGE_SHIELDS),
      ["pre-change-password"] = object(STAGE_SHIELDS),
    }),
  }),
  bruteForceProtection = object({
    enabled = { type = "boolean" },
    shields = list_of({ "block", "user_notification" }),
    allowlist = strings(),
    mode = enum({ "count_per_identifier_and_ip", "count_per_identifier" }),
    max_attempts = integer(1, 100),
  }),
  suspiciousIpThrottling = object({
    enabled = { type = "boolean" },
    shields = list_of({ "block", "admin_notification" }),
    allowlist = strings(),
    stage = object({
      ["pre-login"] = object({ max_attempts = integer(1, 2500),
                               rate = integer(34560, 86400000) }),
      ["pre-user-registration"] = object({ max_attempts = integer(1, 72000),
                                           rate = integer(1200, 86400000) }),
      -- Not in the OpenAPI document; the API returns it and takes it (docs/handlers.md).
      ["pre-custom-token-exchange"] = object({ max_attempts = integer(1),
                                               rate = integer(1) }),
    }),
  }),
  botDetection = object({
    bot_detection_level = enum({ "low", "medium", "high" }),
    challenge_password_policy = enum(CHALLENGE),
    challenge_passwordless_policy = enum(CHALLENGE),
    challenge_password_reset_policy = enum(CHALLENGE),
    allowlist = strings(),
    monitoring_mode_enabled = { type = "boolean" },
  }),
  captcha = object({
    active_provider_id = enum(CAPTCHA_PROVIDERS),
    arkose = site({ client_subdomain = { type = "string", maxLength = 100 },
                    verify_subdomain = { type = "string", maxLength = 100 },
                    fail_open = { type = "boolean" } }),
    auth_challenge = object({ fail_open = { type = "boolean" } }),
    friendly_captcha = site(),
    hcaptcha = site(),
    recaptcha_v2 = site(),
    recaptcha_enterprise = object({ site_key = { type = "string", maxLength = 100 },
                                    api_key = { type = "string", maxLength = 100 },
                                    project_id = { type = "string", maxLength = 100 } },
                                  { "site_key", "project_id" }),
    simple_captcha = { type = "object" },
  }),
})

local M = {
  type = "attackProtection",
  kind = "singleton",
  path = "/attack-protection",
  schema = SCHEMA,
  read_wanted = true,
}

M.SECTIONS = SECTIONS
M.CAPTCHA_SECRETS = CAPTCHA_SECRETS

local is_object = util.is_object

local function is_scalar_array(v)
  if type(v) ~= "table" or getmetatable(v) ~= ARRAY_MT then return false end
  for _, x in ipairs(v) do
    if type(x) == "table" then return false end
  end
  return true
end

local function sorted_copy(list)
  local out = setmetatable({}, ARRAY_MT)
  for i, x in ipairs(list) do out[i] = x end
  table.sort(out, function(a, b)
    if type(a) == type(b) and (type(a) == "string" or type(a) == "number") then return a < b end
    return tostring(a) < tostring(b)
  end)
  return out
end

-- Shields, allowlists and notification frequencies are sets: the export sorts them (as
-- a0deploy does), so their order on the tenant is no difference.
local function same(desired, current)
  if is_scalar_array(desired) and is_scalar_array(current) then
    return handler.deep_equal(sorted_copy(desired), sorted_copy(current))
  end
  if is_object(desired) and is_object(current) then
    for k, v in pairs(desired) do
      if not same(v, current[k]) then return false end
    end
    return true
  end
  return handler.matches(desired, current)
end

local warn = handler.warn

local function forbidden(err)
  return type(err) == "table" and (err.status == 403 or err.status == 404)
end

-- One GET per section (concurrently); with `want` (a plan), only the sections the files set.
function M.fetch(_, ctx, want)
  local wanted = {}
  for _, s in ipairs(SECTIONS) do
    if want == nil or (is_object(want) and want[s.key] ~= nil and want[s.key] ~= NULL) then
      wanted[#wanted + 1] = s
    end
  end
  return handler.read_sections(ctx, wanted, function(s, err)
    if not (s.optional and forbidden(err)) then return false end
    warn(ctx, ("attackProtection: %s is not available on this tenant (%s): left out")
      :format(s.key, tostring(err.status)))
    return true
  end)
end

-- A captcha provider with nothing set (an empty site_key; an empty auth_challenge or
-- simple_captcha) is not sent, as a0deploy does: the API takes a provider only whole.
local function unset_provider(name, v)
  if not is_object(v) then return false end
  if name == "auth_challenge" or name == "simple_captcha" then return next(v) == nil end
  return CAPTCHA_SECRETS[name] ~= nil and v.site_key == ""
end

-- A provider without its write-only fields: what can be compared.
local function readable(name, v)
  local secrets = CAPTCHA_SECRETS[name]
  if not secrets or not is_object(v) then return v end
  local copy = handler.deep_copy(v)
  for field in pairs(secrets) do copy[field] = nil end
  return copy
end

local sorted_keys = util.sorted_keys

-- The fields of one section that differ, sent whole (a stage, a provider); nil when none.
local function section_diff(s, want, have, diffs)
  have = is_object(have) and have or {}
  local payload
  for _, field in ipairs(sorted_keys(want)) do
    local dv, cv = want[field], have[field]
    local captcha_provider = s.key == "captcha" and CAPTCHA_SECRETS[field] ~= nil
    if s.key == "captcha" and unset_provider(field, dv) then
      dv = nil
    elseif captcha_provider then
      -- The secret is never compared: it goes along when the provider is sent.
      if same(readable(field, dv), cv) then dv = nil end
    elseif same(dv, cv) then
      dv = nil
    end
    if dv ~= nil then
      payload = payload or {}
      payload[field] = handler.deep_copy(dv)
      local path = s.key .. "." .. field
      if captcha_provider then
        handler.collect_diffs(readable(field, dv), cv, path, diffs)
      else
        diffs[#diffs + 1] = { path = path, from = cv, to = dv }
      end
    end
  end
  return payload
end

-- Per section the files set (a0deploy: an empty object is nothing), the fields that differ
-- from what the tenant answers; payload = { [section] = {field = value} }.
function M.diff(_, _, desired, current)
  return handler.diff_sections(SECTIONS, desired, current, section_diff)
end

-- Arrays of values sorted (a0deploy's export); captcha secrets become placeholders unless
-- AUTH0_EXPORT_SECRETS (the API never returns them: there is nothing else to write).
function M.export(_, ctx, item)
  local function sort_arrays(v)
    if type(v) ~= "table" then return v end
    if is_scalar_array(v) then return sorted_copy(v) end
    for k, x in pairs(v) do v[k] = sort_arrays(x) end
    return v
  end
  item = sort_arrays(item)
  local captcha = item.captcha
  if not (ctx.config or {}).AUTH0_EXPORT_SECRETS and is_object(captcha) then
    for provider, fields in pairs(CAPTCHA_SECRETS) do
      if is_object(captcha[provider]) then
        for field, placeholder in pairs(fields) do captcha[provider][field] = placeholder end
      end
    end
  end
  return item
end

return handler.by_sections(M, SECTIONS)
