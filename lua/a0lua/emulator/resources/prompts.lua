--[[
a0lua.emulator.resources.prompts: prompt settings (/prompts), custom text per prompt and
language (/prompts/{prompt}/custom-text/{language}: {} until set; PUT replaces all the text of
that prompt and language), partials per prompt (/prompts/{prompt}/partials), and screen rendering
settings (/prompts/{prompt}/screen/{screen}/rendering, listed by /prompts/rendering).
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

-- The prompts whose custom text a0deploy reads (and a few more the API has).
M.PROMPTS = {
  "login", "login-id", "login-password", "login-passwordless", "login-email-verification",
  "signup", "signup-id", "signup-password", "phone-identifier-enrollment",
  "phone-identifier-challenge", "email-identifier-challenge", "reset-password", "custom-form",
  "consent", "customized-consent", "logout", "mfa-push", "mfa-otp", "mfa-voice", "mfa-phone",
  "mfa-webauthn", "mfa-sms", "mfa-email", "mfa-recovery-code", "mfa", "status", "device-flow",
  "email-verification", "email-otp-challenge", "organizations", "invitation", "common",
  "passkeys", "captcha", "brute-force-protection", "async-approval-flow",
}

local known = {}
for _, p in ipairs(M.PROMPTS) do known[p] = true end

local function check_prompt(_, params)
  if not known[params[1]] then
    errors.raise(400, ("Path validation error: 'No enum match for: \"%s\"' on property "
      .. "prompt."):format(params[1]), "invalid_uri")
  end
end

local function rendering_key(prompt, screen)
  return "/prompts/" .. prompt .. "/screen/" .. screen .. "/rendering"
end

local function rendering_bindings()
  return {
    {
      method = "GET", template = "/prompts/rendering", paging = "offset", key = "configs",
      handler = function(ctx, req)
        local out = arr()
        for _, key in ipairs(ctx.store:keys()) do
          if key:match("^/prompts/[^/]+/screen/[^/]+/rendering$") then
            local v = ctx.store:get(key)
            if kinds.query_matches(req.query, v, { "prompt", "screen", "rendering_mode" }) then
              out[#out + 1] = v
            end
          end
        end
        return 200, out, true
      end,
    },
    {
      method = "GET", template = "/prompts/{prompt}/screen/{screen}/rendering",
      handler = function(ctx, _, params)
        check_prompt(ctx, params)
        local v = ctx.store:get(rendering_key(params[1], params[2]))
        if not v then
          v = { tenant = "a0lua-emulator", prompt = params[1], screen = params[2],
                rendering_mode = "standard", context_configuration = arr(),
                default_head_tags_disabled = false, head_tags = arr() }
        end
        return 200, v
      end,
    },
    {
      method = "PATCH", template = "/prompts/{prompt}/screen/{screen}/rendering",
      handler = function(ctx, _, params, body)
        check_prompt(ctx, params)
        local key = rendering_key(params[1], params[2])
        local v = ctx.store:get(key) or { tenant = "a0lua-emulator", prompt = params[1],
                                         screen = params[2], rendering_mode = "standard" }
        for k, x in pairs(type(body) == "table" and body or {}) do v[k] = x end
        ctx.store:set(key, v)
        return 200, v
      end,
    },
  }
end

-- The prompt settings of a fresh tenant.
local function settings_default()
  return { universal_login_experience = "new", identifier_first = true }
end

function M.bindings()
  return kinds.join({
    kinds.singleton({ path = "/prompts", default = settings_default }),
    kinds.keyed({ template = "/prompts/{prompt}/custom-text/{language}", check = check_prompt,
                  default = function() return {} end }),
    kinds.keyed({ template = "/prompts/{prompt}/partials", check = check_prompt,
                  default = function() return {} end }),
    rendering_bindings(),
  })
end

function M.fresh(_, state)
  state["/prompts"] = settings_default()
end

return M
