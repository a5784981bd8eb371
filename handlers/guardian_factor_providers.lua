-- handlers/guardian_factor_providers.lua: the delivery providers of the MFA factors (a0deploy type
-- `guardianFactorProviders`), docs/handlers.md §guardianFactorProviders. A fixed set named by
-- factor and provider (`sms` twilio, `push-notification` sns, ...), never created nor deleted.
-- Each provider's credential is write-only, as the email provider's are: never compared, sent
-- only along with a write that happens anyway, exported as a placeholder, masked in the logs.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null

-- Each provider the Management API has, by "<name>-<provider>" (its endpoint is
-- /guardian/factors/<name>/providers/<provider>): the fields a read shows (compared), the
-- write-only ones (never compared), the read-only ones (shown, never sent), whether it can be
-- read at all, and how a change of a provider the tenant has is written (PATCH where the API has
-- it; Twilio has only PUT, which replaces the whole configuration, so it is sent whole).
local TWILIO = { fields = { "from", "messaging_service_sid", "sid" }, secrets = { "auth_token" },
  readable = true, update = "PUT" }
local PROVIDERS = {
  ["sms-twilio"] = TWILIO,
  ["phone-twilio"] = TWILIO,
  ["push-notification-sns"] = { fields = { "aws_access_key_id", "aws_region",
    "sns_apns_platform_application_arn", "sns_gcm_platform_application_arn" },
    secrets = { "aws_secret_access_key" }, readable = true, update = "PATCH" },
  ["push-notification-apns"] = { fields = { "bundle_id", "sandbox" }, secrets = { "p12" },
    read_only = { "enabled" }, readable = true, update = "PATCH" },
  -- no GET: the tenant cannot say what it has, so a file's entry is sent on every import
  ["push-notification-fcm"] = { fields = {}, secrets = { "server_key" }, update = "PATCH" },
  ["push-notification-fcmv1"] = { fields = {}, secrets = { "server_credentials" },
    update = "PATCH" },
}
-- The order of plans and exports, and what an export (or the REPL) reads: a0deploy's two and
-- APNs; `phone` twilio (the same Twilio account under the API's current endpoint) only when a
-- file names it.
local KEYS = { "sms-twilio", "phone-twilio", "push-notification-sns", "push-notification-apns",
  "push-notification-fcm", "push-notification-fcmv1" }
local READ_BY_DEFAULT = { "sms-twilio", "push-notification-sns", "push-notification-apns" }

local NAMES = { "sms", "phone", "push-notification" }
local PROVIDER_NAMES = { "twilio", "sns", "apns", "fcm", "fcmv1" }

local set_of = util.set_of
local NAME_SET, PROVIDER_SET = set_of(NAMES), set_of(PROVIDER_NAMES)

local nullable_string = { type = { "string", "null" } }

local SCHEMA = {
  type = "object",
  required = { "name", "provider" },
  properties = {
    name = { type = "string", enum = NAMES },
    provider = { type = "string", enum = PROVIDER_NAMES },
    from = { type = { "string", "null" }, maxLength = 64 },
    messaging_service_sid = nullable_string,
    sid = nullable_string,
    auth_token = nullable_string,
    aws_access_key_id = nullable_string,
    aws_region = nullable_string,
    aws_secret_access_key = nullable_string,
    sns_apns_platform_application_arn = nullable_string,
    sns_gcm_platform_application_arn = nullable_string,
    bundle_id = nullable_string,
    sandbox = { type = "boolean" },
    p12 = nullable_string,
    enabled = { type = "boolean" },
    server_key = nullable_string,
    server_credentials = nullable_string,
  },
}

local M = {
  type = "guardianFactorProviders",
  kind = "keyed",
  path = "/guardian/factors",
  identifiers = { { "name", "provider" } },
  schema = SCHEMA,
  strip_update = { "name", "provider" },
  update_method = "PUT",
  -- an import reads only the providers the file names
  read_wanted = true,
}

M.PROVIDERS = PROVIDERS

local function key_of(item)
  if type(item) ~= "table" or type(item.name) ~= "string" or type(item.provider) ~= "string" then
    return nil
  end
  return item.name .. "-" .. item.provider
end

local function endpoint(item)
  return "/guardian/factors/" .. item.name .. "/providers/" .. item.provider
end

-- The fields a provider takes: what it shows, its credential, and name and provider.
local function known_fields(spec)
  local s = set_of(spec.fields)
  for _, f in ipairs(spec.secrets) do s[f] = true end
  for _, f in ipairs(spec.read_only or {}) do s[f] = true end
  s.name, s.provider = true, true
  return s
end

local sorted_keys = util.sorted_keys

-- A pair the API has no endpoint for, or a field another provider's, is refused before any
-- request (the schema alone cannot tie the fields to the provider).
function M.validate(self, _, items, report)
  handler.check_unique_keys(self, items, report)
  for i, item in ipairs(type(items) == "table" and items or {}) do
    local key = key_of(item)
    local spec = key and PROVIDERS[key]
    -- (a name or provider outside the schema's lists is the schema's problem already)
    if key and not spec and NAME_SET[item.name] and PROVIDER_SET[item.provider] then
      report(i, "provider", ("%s has no provider %s (known: %s)"):format(item.name,
        item.provider, table.concat(KEYS, ", ")))
    elseif spec then
      local known = known_fields(spec)
      for _, f in ipairs(sorted_keys(item)) do
        if not known[f] then
          report(i, f, ("is not a field of the %s %s provider"):format(item.name, item.provider))
        end
      end
    end
  end
end

-- The credentials from the files are masked in everything a0lua logs.
function M.resolve(_, ctx, desired)
  for _, item in ipairs(type(desired) == "table" and desired or {}) do
    local spec = PROVIDERS[key_of(item) or ""]
    for _, f in ipairs(spec and spec.secrets or {}) do handler.mask_secret(ctx, item[f]) end
  end
  return desired
end

-- GET each provider read (those the file names, else READ_BY_DEFAULT) -> {name, provider, ...}.
-- A provider never configured (an empty answer) and one the tenant lacks (403, 404, 501) are
-- left out, as a0deploy does; FCM has no GET and is never in the tenant's state.
function M.fetch(_, ctx, want)
  local keys = READ_BY_DEFAULT
  if want ~= nil then
    keys = {}
    local named = {}
    for _, item in ipairs(type(want) == "table" and want or {}) do
      local key = key_of(item)
      if key and PROVIDERS[key] and PROVIDERS[key].readable then named[key] = true end
    end
    for _, key in ipairs(KEYS) do
      if named[key] then keys[#keys + 1] = key end
    end
  end
  local function item_of(key)
    local name, provider = key:match("^(.-)%-(%w+)$")
    return { name = name, provider = provider }
  end
  return handler.optional_items(ctx, keys, function(key) return endpoint(item_of(key)) end,
    item_of)
end

-- Only the fields a read shows are compared; the write-only credential is sent along with a
-- change of them (the tenant cannot say whether it differs), never alone: a changed credential
-- alone is not detected (docs/compat.md). An FCM entry cannot be compared at all: it is a create
-- on every import.
function M.diff(_, _, desired, current)
  local spec = PROVIDERS[key_of(desired) or ""]
  if not spec then return nil end
  current = current or {}
  local payload, diffs = nil, {}
  for _, f in ipairs(spec.fields) do
    local dv = desired[f]
    if dv ~= nil and not handler.matches(dv, current[f]) then
      payload, diffs = handler.add_change(payload, diffs, f, handler.deep_copy(dv), current[f])
    end
  end
  if payload == nil then return nil end
  for _, f in ipairs(spec.secrets) do
    local dv = desired[f]
    if dv ~= nil and dv ~= NULL then
      payload[f] = dv
      diffs[#diffs + 1] = { path = f, to = "(write-only: sent with this change)" }
    end
  end
  return payload, diffs
end

-- The body of a provider's write: a create (nothing on the tenant) sends the file's entry whole
-- by PUT; a change PATCHes what differs, or for Twilio (PUT only) PUTs the tenant's
-- configuration with the file's fields on top, so that nothing the file leaves out is lost.
-- Read-only fields are never sent.
function M.write_request(_, _, op, payload, current)
  local item = op == "update" and current or payload
  local spec = PROVIDERS[key_of(item) or ""]
  if not spec then return nil end
  local method = op == "update" and spec.update or "PUT"
  local body = {}
  if op == "update" and method == "PUT" then
    for k, v in pairs(current) do body[k] = handler.deep_copy(v) end
  end
  for k, v in pairs(payload) do body[k] = handler.deep_copy(v) end
  body.name, body.provider = nil, nil
  for _, f in ipairs(spec.read_only or {}) do body[f] = nil end
  return method, endpoint(item), body
end

M.create = handler.create_own

M.update = handler.update_own

-- The placeholder of a provider's credential: ##GUARDIAN_SMS_TWILIO_AUTH_TOKEN##.
local function placeholder(item, field)
  local text = ("GUARDIAN_%s_%s_%s"):format(item.name, item.provider, field)
  return "##" .. text:upper():gsub("[^A-Z0-9]", "_") .. "##"
end
M.placeholder = placeholder

-- The credential becomes its placeholder unless AUTH0_EXPORT_SECRETS (then what the tenant
-- shows, if anything); read-only fields are left out.
function M.export(_, ctx, item)
  local spec = PROVIDERS[key_of(item) or ""]
  if not spec then return item end
  for _, f in ipairs(spec.read_only or {}) do item[f] = nil end
  if (ctx.config or {}).AUTH0_EXPORT_SECRETS then return item end
  for _, f in ipairs(spec.secrets) do item[f] = placeholder(item, f) end
  return item
end

return M
