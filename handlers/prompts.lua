-- handlers/prompts.lua: Universal Login prompts (a0deploy type `prompts`): the settings, the
-- custom text per language and prompt, the partials per prompt, and the screen renderers. A
-- singleton; nothing of it is ever deleted (docs/handlers.md §prompts).
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null

local LANGUAGES = {
  "am", "ar", "ar-EG", "ar-SA", "az", "bg", "bn", "bs", "ca-ES", "cnr", "cs", "cy", "da", "de",
  "el", "en", "en-CA", "es", "es-419", "es-AR", "es-MX", "et", "eu-ES", "fa", "fi", "fr", "fr-CA",
  "fr-FR", "gl-ES", "gu", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "kn",
  "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "nb", "nl", "nn", "no", "pa", "pl", "pt",
  "pt-BR", "pt-PT", "ro", "ru", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te", "th", "tl",
  "tr", "uk", "ur", "vi", "zgh", "zh-CN", "zh-HK", "zh-MO", "zh-TW",
}

local PROMPTS = {
  "login", "login-id", "login-password", "login-passwordless", "login-email-verification",
  "signup", "signup-id", "signup-password", "phone-identifier-enrollment",
  "phone-identifier-challenge", "email-identifier-challenge", "reset-password", "custom-form",
  "consent", "customized-consent", "logout", "mfa-push", "mfa-otp", "mfa-voice", "mfa-phone",
  "mfa-webauthn", "mfa-sms", "mfa-email", "mfa-recovery-code", "mfa", "status", "device-flow",
  "email-verification", "email-otp-challenge", "organizations", "invitation", "common", "captcha",
  "passkeys", "brute-force-protection",
}

local SCREENS = {
  "login", "login-id", "login-password", "login-email-verification", "signup", "signup-id",
  "signup-password", "reset-password-request", "reset-password-email", "reset-password",
  "reset-password-success", "reset-password-error", "consent", "status",
  "mfa-detect-browser-capabilities", "mfa-enroll-result", "mfa-login-options",
  "mfa-begin-enroll-options", "mfa-otp-enrollment-qr", "mfa-otp-enrollment-code",
  "mfa-otp-challenge", "mfa-voice-challenge", "mfa-sms-challenge", "mfa-recovery-code-enrollment",
  "mfa-recovery-code-challenge", "mfa-country-codes", "mfa-sms-enrollment",
  "mfa-voice-enrollment", "mfa-phone-challenge", "mfa-phone-enrollment",
  "mfa-webauthn-roaming-enrollment", "mfa-webauthn-platform-enrollment",
  "mfa-webauthn-platform-challenge", "mfa-webauthn-roaming-challenge",
  "mfa-webauthn-change-key-nickname", "mfa-webauthn-enrollment-success", "mfa-webauthn-error",
  "mfa-webauthn-not-available-error", "mfa-sms-list", "mfa-email-challenge", "mfa-email-list",
  "mfa-push-welcome", "mfa-push-list", "mfa-push-enrollment-qr", "mfa-push-enrollment-code",
  "mfa-push-success", "mfa-push-challenge-push", "device-code-activation",
  "device-code-activation-allowed", "device-code-activation-denied", "device-code-confirmation",
  "email-verification-result", "email-otp-challenge", "redeem-ticket", "organization-selection",
  "pre-login-organization-picker", "accept-invitation", "login-passwordless-email-code",
  "login-passwordless-email-link", "login-passwordless-sms-otp", "passkey-enrollment",
  "passkey-enrollment-local", "brute-force-protection-unblock",
  "brute-force-protection-unblock-success", "brute-force-protection-unblock-failure",
}

local PARTIAL_PROMPTS = { "login", "login-id", "login-password", "login-passwordless", "signup",
  "signup-id", "signup-password", "passkeys" }
-- Prompts some tenants do not offer partials for (early access).
local OPTIONAL_PARTIAL_PROMPTS = { passkeys = true }
local PARTIAL_SCREENS = { "login", "login-id", "login-password", "signup", "signup-id",
  "signup-password", "login-passwordless-sms-otp", "login-passwordless-email-code",
  "passkeys-enrollment", "passkeys-enrollment-local" }
local INSERTION_POINTS = { "form-content-start", "form-content-end", "form-footer-start",
  "form-footer-end", "secondary-actions-start", "secondary-actions-end" }

-- The parts that are not settings.
local PARTS = { customText = true, partials = true, screenRenderers = true }

-- The schema shares its sub-tables (core.schema compiles a shared table once), so the
-- languages x prompts x screens shape costs three small tables, not a0deploy's 190 000 nodes.
local function keyed(names, sub)
  local props = {}
  for _, n in ipairs(names) do props[n] = sub end
  return props
end

local screen_text = { type = "object", properties = keyed(SCREENS, { type = "object" }) }
local language_text = { type = "object", properties = keyed(PROMPTS, screen_text) }
-- Partials: only the names Auth0 has, at every level (a0deploy's, plus the Management API's
-- customized-consent group, its screen and its form-content insertion point): the directory
-- format makes each key a path segment, so a key such as "../../x" is refused at its line.
local function with(names, ...)
  local out = { table.unpack(names) }
  for _, name in ipairs({ ... }) do out[#out + 1] = name end
  return out
end
local insertion = { type = { "object", "null" }, additionalProperties = false,
  properties = keyed(with(INSERTION_POINTS, "form-content"), { type = "string" }) }
local partial_prompt = { type = { "object", "null" }, additionalProperties = false,
  properties = keyed(with(PARTIAL_SCREENS, "customized-consent"), insertion) }

local SCHEMA = {
  type = "object",
  properties = {
    universal_login_experience = { type = "string", enum = { "new", "classic" } },
    webauthn_platform_first_factor = { type = "boolean" },
    identifier_first = { type = "boolean" },
    customText = { type = "object", properties = keyed(LANGUAGES, language_text) },
    partials = { type = "object", additionalProperties = false,
      properties = keyed(with(PARTIAL_PROMPTS, "customized-consent"), partial_prompt) },
    screenRenderers = { type = "array" },
  },
}

local send = handler.send

local M = {
  type = "prompts",
  kind = "singleton",
  path = "/prompts",
  schema = SCHEMA,
  strip_update = { "customText", "partials", "screenRenderers" },
  -- an import reads only the custom texts, partials and renderers the file sets
  read_wanted = true,
}

M.LANGUAGES, M.PROMPTS, M.SCREENS = LANGUAGES, PROMPTS, SCREENS
M.PARTIAL_PROMPTS = PARTIAL_PROMPTS

local warn = handler.warn

local status_of = handler.status_of

local message_of = handler.message_of

local is_obj = handler.is_table

local sorted_keys = util.sorted_keys

-- A partials error that is not a failure: 403 or "requires a custom domain" switch partials off
-- for the run; a prompt the tenant does not offer is skipped; 429 is logged.
-- Returns "off" | "skip" | nil (a real failure).
local function partials_error(ctx, err, prompt)
  local s, msg = status_of(err), message_of(err)
  if s == 403 then
    warn(ctx, "prompts: partials are not supported by the tenant")
    return "off"
  end
  if s == 400 and msg:find("feature requires at least one custom domain", 1, true) then
    warn(ctx, "prompts: partials need a custom domain on the tenant")
    return "off"
  end
  if s == 400 and OPTIONAL_PARTIAL_PROMPTS[prompt] and msg:find(prompt, 1, true) then
    warn(ctx, ("prompts: no partials for %s on this tenant"):format(prompt))
    return "skip"
  end
  if s == 429 then
    warn(ctx, ("prompts: partials of %s not processed: rate limited (%s)"):format(prompt, msg))
    return "skip"
  end
  return nil
end

local function part_path(...)
  local out = "/prompts"
  for _, p in ipairs({ ... }) do out = out .. "/" .. handler.escape(p) end
  return out
end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- The custom texts to read, as {language, prompt}: every prompt of every enabled locale, or (want)
-- those the file sets.
local function text_jobs(ctx, want)
  local jobs = {}
  if want then
    local texts = is_obj(want.customText) and want.customText or {}
    for _, lang in ipairs(sorted_keys(texts)) do
      for _, prompt in ipairs(is_obj(texts[lang]) and sorted_keys(texts[lang]) or {}) do
        jobs[#jobs + 1] = { lang, prompt }
      end
    end
    return jobs
  end
  local tenant, err = ctx.api:request("GET", "/tenants/settings")
  if tenant == nil then return nil, err end
  for _, lang in ipairs(is_obj(tenant.enabled_locales) and tenant.enabled_locales or {}) do
    for _, prompt in ipairs(PROMPTS) do jobs[#jobs + 1] = { lang, prompt } end
  end
  return jobs
end

-- The partials of `prompts`: the first alone (a tenant without partials says so once), the rest
-- together. -> { [prompt] = body } | nil, err
local function read_partials(ctx, prompts)
  local partials, off, failure = {}, false, nil
  local function read(prompt)
    if off or failure then return end
    local body, perr = ctx.api:request("GET", part_path(prompt, "partials"))
    if body == nil then
      local what = partials_error(ctx, perr, prompt)
      if what == "off" then off = true
      elseif what == nil and status_of(perr) ~= 404 then failure = failure or perr end
    elseif is_obj(body) and next(body) ~= nil then
      partials[prompt] = body
    end
  end
  if prompts[1] then read(prompts[1]) end
  handler.each({ table.unpack(prompts, 2) }, read)
  if failure then return nil, failure end
  return partials
end

-- want (plan.fetch): the file's prompts; then only the custom texts, partials and renderers it
-- sets are read (the diff looks at nothing else).
function M.fetch(self, ctx, want)
  local settings, err = ctx.api:request("GET", self.path)
  if settings == nil then return nil, err end
  local jobs
  jobs, err = text_jobs(ctx, want)
  if jobs == nil then return nil, err end
  local texts = {}
  local read, terr = handler.each_checked(jobs, function(job)
    local body, rerr = ctx.api:request("GET", part_path(job[2], "custom-text", job[1]))
    if body == nil then
      if status_of(rerr) ~= 404 then return nil, rerr end
    elseif is_obj(body) and next(body) ~= nil then
      texts[job[1]] = texts[job[1]] or {}
      texts[job[1]][job[2]] = body
    end
    return true
  end)
  if not read then return nil, terr end

  local partial_prompts = PARTIAL_PROMPTS
  if want then
    local named = is_obj(want.partials) and want.partials or {}
    partial_prompts = {}
    for _, prompt in ipairs(PARTIAL_PROMPTS) do
      if named[prompt] ~= nil then partial_prompts[#partial_prompts + 1] = prompt end
    end
  end
  local partials
  partials, err = read_partials(ctx, partial_prompts)
  if partials == nil then return nil, err end

  local current = settings
  current.customText = texts
  current.partials = partials
  if want and not is_obj(want.screenRenderers) then
    current.screenRenderers = json.array()
    return current
  end
  local renderers, rerr = ctx.api:list("/prompts/rendering", { paging = "offset", key = "configs" })
  if renderers then
    current.screenRenderers = renderers
  else
    warn(ctx, "prompts: cannot read the screen renderers: " .. message_of(rerr))
  end
  return current
end

--------------------------------------------------------------------------------------------------
-- Import

local function renderer_key(r)
  return tostring(r.prompt) .. "\0" .. tostring(r.screen)
end

-- The API's defaults for the renderer flags (the OpenAPI document's `default: false`): a tenant
-- may leave them out of its answer, and a file that says `false` means the same thing.
local RENDERER_DEFAULTS = { default_head_tags_disabled = false, use_page_template = false }

local function with_defaults(r)
  if not is_obj(r) then return r end
  local out = handler.deep_copy(r)
  for k, v in pairs(RENDERER_DEFAULTS) do
    if out[k] == nil or out[k] == NULL then out[k] = v end
  end
  return out
end

-- Each step below compares one part of the prompts and hands what differs to put(field, set,
-- path, from, to): set(t) writes it into the payload's field.

-- Custom text per language and prompt, replaced whole by the API: compared exactly.
local function diff_custom_text(desired, current, put)
  if not is_obj(desired.customText) then return end
  local have = is_obj(current.customText) and current.customText or {}
  for _, lang in ipairs(sorted_keys(desired.customText)) do
    local prompts = desired.customText[lang]
    for _, prompt in ipairs(is_obj(prompts) and sorted_keys(prompts) or {}) do
      local want = prompts[prompt]
      local got = is_obj(have[lang]) and have[lang][prompt] or nil
      if is_obj(want) and not handler.deep_equal(want, got or {}) then
        put("customText", function(t)
          t[lang] = t[lang] or {}
          t[lang][prompt] = handler.deep_copy(want)
        end, "customText." .. lang .. "." .. prompt, got, want)
      end
    end
  end
end

-- Partials per prompt, replaced whole by the API: compared exactly.
local function diff_partials(desired, current, put)
  if not is_obj(desired.partials) then return end
  local have = is_obj(current.partials) and current.partials or {}
  for _, prompt in ipairs(sorted_keys(desired.partials)) do
    local want = desired.partials[prompt]
    if is_obj(want) and not handler.deep_equal(want, have[prompt] or {}) then
      put("partials", function(t) t[prompt] = handler.deep_copy(want) end,
        "partials." .. prompt, have[prompt], want)
    end
  end
end

-- Screen renderers per (prompt, screen), with the API's defaults for the flags.
local function diff_renderers(desired, current, put)
  if type(desired.screenRenderers) ~= "table" or desired.screenRenderers == NULL then return end
  local have = {}
  for _, r in ipairs(is_obj(current.screenRenderers) and current.screenRenderers or {}) do
    if is_obj(r) then have[renderer_key(r)] = r end
  end
  for _, r in ipairs(desired.screenRenderers) do
    if is_obj(r) and r.prompt and r.screen
        and not handler.matches(r, with_defaults(have[renderer_key(r)])) then
      put("screenRenderers", function(t) t[#t + 1] = handler.deep_copy(r) end,
        "screenRenderers." .. tostring(r.prompt) .. "." .. tostring(r.screen),
        have[renderer_key(r)], r)
    end
  end
end

-- Settings as the generic handler compares them, then custom text, partials and screen
-- renderers (the steps above).
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  diffs = diffs or {}
  local function put(field, set, path, from, to)
    payload = payload or {}
    payload[field] = payload[field] or (field == "screenRenderers" and json.array() or {})
    set(payload[field])
    diffs[#diffs + 1] = { path = path, from = from, to = to }
  end
  diff_custom_text(desired, current, put)
  diff_partials(desired, current, put)
  diff_renderers(desired, current, put)
  return payload, diffs
end)

-- The body of a screen renderer's PATCH (standard mode carries only its head tags). An
-- advanced renderer's default_head_tags_disabled goes as the file gives it, `false` included
-- (a0deploy leaves a false out, so a tenant set to true could never be set back).
local function renderer_body(r)
  if r.rendering_mode == "standard" then
    return { rendering_mode = "standard", head_tags = r.head_tags }
  end
  local body = handler.strip(r, { "prompt", "screen", "tenant" })
  body.rendering_mode = "advanced"
  body.head_tags = r.head_tags
  return body
end

-- PATCH /prompts with the settings that differ, PUT each custom text and partials that differ,
-- PATCH each screen renderer that differs.
-- The prompt settings themselves (the custom texts, partials and renderers are requests of
-- their own).
function M.write_request(self, _, _, payload)
  local settings = {}
  for k, v in pairs(payload) do
    if not PARTS[k] then settings[k] = v end
  end
  if next(settings) == nil then return nil end
  return "PATCH", self.path, settings
end

function M.update(self, ctx, current, payload)
  local method, path, settings = self:write_request(ctx, "update", payload, current)
  if method then
    local _, err = send(ctx, method, path, { body = settings })
    if err then return nil, err end
  end
  local jobs = {}
  for _, lang in ipairs(sorted_keys(is_obj(payload.customText) and payload.customText or {})) do
    for _, prompt in ipairs(sorted_keys(payload.customText[lang])) do
      jobs[#jobs + 1] = { lang, prompt, payload.customText[lang][prompt] }
    end
  end
  local sent, serr = handler.each_checked(jobs, function(job)
    return send(ctx, "PUT", part_path(job[2], "custom-text", job[1]), { body = job[3] })
  end)
  if not sent then return nil, serr end
  for _, prompt in ipairs(sorted_keys(is_obj(payload.partials) and payload.partials or {})) do
    local _, err = send(ctx, "PUT", part_path(prompt, "partials"),
      { body = payload.partials[prompt] })
    if err then
      local what = partials_error(ctx, err, prompt)
      if what == "off" then break end
      if what == nil then return nil, err end
    end
  end
  local renderers = type(payload.screenRenderers) == "table" and payload.screenRenderers or {}
  local ok, err = handler.send_each(ctx, renderers, function(r)
    return "PATCH", part_path(r.prompt, "screen", r.screen, "rendering"),
      { body = renderer_body(r) }
  end)
  if not ok then return nil, err end
  return current
end

-- Screen renderers are written without the tenant they were read from.
function M.export(_, _, item)
  for _, r in ipairs(type(item.screenRenderers) == "table" and item.screenRenderers or {}) do
    if is_obj(r) then r.tenant = nil end
  end
  return item
end

return M
