--[[
a0lua.emulator.resources.guardian: MFA settings. /guardian/factors is a keyed list of the eight
factors (PUT /guardian/factors/{name} takes {enabled}); factor templates, providers, selected
providers, phone message types, Duo settings and the policies are objects (policies an array)
replaced by PUT, merged by PATCH where the API has PATCH. Nothing here is created or deleted.
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

M.FACTORS = { "sms", "push-notification", "otp", "email", "duo", "webauthn-roaming",
              "webauthn-platform", "recovery-code" }

local TEMPLATES_DEFAULT = {
  enrollment_message = "{{code}} is your verification code for {{tenant.friendly_name}}. "
    .. "Please enter this code to verify your enrollment.",
  verification_message = "{{code}} is your verification code for {{tenant.friendly_name}}",
}

local function factor_binding()
  return {
    method = "PUT", template = "/guardian/factors/{name}",
    handler = function(ctx, _, params, body)
      local factor = ctx.store:find("/guardian/factors", "name", params[1])
      if not factor then
        local known = false
        for _, n in ipairs(M.FACTORS) do known = known or n == params[1] end
        if not known then
          errors.raise(404, ("Factor %s does not exist"):format(params[1]),
            "inexistent_factor")
        end
        factor = { name = params[1], enabled = false, trial_expired = false }
        ctx.store:insert("/guardian/factors", factor)
      end
      factor.enabled = type(body) == "table" and body.enabled == true
      return 200, { enabled = factor.enabled }
    end,
  }
end

local function object(template, default, methods, view)
  return kinds.keyed({ template = template, default = default, view = view,
                       methods = methods or { get = true, put = true } })
end

-- Push providers' credentials are write-only: the API takes them and never answers them (the
-- OpenAPI document's APNs and FCM answers have no such field; an SNS read leaves out the secret
-- key, docs/handlers.md §guardianFactorProviders).
local function without(fields)
  return function(_, v) return values.project(v, fields, false) end
end

-- names no secret-name rule finds (a0lua.emulator.secrets): redacted in the request log too
M.write_only = { "p12" }

local GET_PUT_PATCH = { get = true, put = true, patch = true }

local function policies_bindings()
  return {
    {
      method = "GET", template = "/guardian/policies",
      handler = function(ctx) return 200, ctx.store:get("/guardian/policies") or arr() end,
    },
    {
      method = "PUT", template = "/guardian/policies",
      handler = function(ctx, _, _, body)
        local list = arr()
        for i, p in ipairs(type(body) == "table" and body or {}) do list[i] = p end
        ctx.store:set("/guardian/policies", list)
        return 200, list
      end,
    },
  }
end

function M.bindings()
  return kinds.join({
    {
      { method = "GET", template = "/guardian/factors", paging = "bare",
        handler = function(ctx) return 200, ctx.store:get("/guardian/factors") or arr(), true end },
      factor_binding(),
    },
    object("/guardian/factors/sms/templates", TEMPLATES_DEFAULT),
    object("/guardian/factors/phone/templates", TEMPLATES_DEFAULT),
    object("/guardian/factors/sms/providers/twilio", {}),
    object("/guardian/factors/phone/providers/twilio", {}),
    object("/guardian/factors/push-notification/providers/sns", {}, GET_PUT_PATCH,
      without({ "aws_secret_access_key" })),
    object("/guardian/factors/push-notification/providers/apns", {}, GET_PUT_PATCH,
      without({ "p12" })),
    object("/guardian/factors/push-notification/providers/fcm", {},
      { put = true, patch = true }, without({ "server_key" })),
    object("/guardian/factors/push-notification/providers/fcmv1", {},
      { put = true, patch = true }, without({ "server_credentials" })),
    object("/guardian/factors/phone/selected-provider", { provider = "auth0" }),
    object("/guardian/factors/sms/selected-provider", { provider = "auth0" }),
    object("/guardian/factors/push-notification/selected-provider", { provider = "guardian" }),
    object("/guardian/factors/phone/message-types",
      function() return { message_types = arr() } end),
    object("/guardian/factors/duo/settings", {}, GET_PUT_PATCH),
    policies_bindings(),
  })
end

function M.fresh(_, state)
  local factors = arr()
  for i, name in ipairs(M.FACTORS) do
    factors[i] = { name = name, enabled = false, trial_expired = false }
  end
  state["/guardian/factors"] = factors
  state["/guardian/policies"] = arr()
end

return M
