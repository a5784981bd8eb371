-- The MFA factors, their providers and their message templates through import, export (both
-- formats) and re-import against `a0lua emulate`: fixed sets written only where they differ, the
-- providers' write-only credentials sent on the first write, never compared, exported as
-- placeholders; a misspelt name, a wrong type or another provider's field fails validation with
-- file and line, and nothing is sent.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/guardian"
local TYPES = '["guardianFactors","guardianFactorProviders","guardianFactorTemplates"]'
local SECRETS = { "twilio-auth-token-1", "sns-secret-access-key-1", "apns-p12-base64-1" }
local SNS = "/guardian/factors/push-notification/providers/sns"

local function named(list, name) return emulator.find(list, "name", name) end

describe("guardian factors, providers and templates through a0lua", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function cli(argv)
    return emu:cli(argv, { AUTH0_INCLUDED_ONLY = TYPES })
  end

  it("imports into an empty tenant, exports, and re-imports with no write", function()
    local status, out, err = cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    for _, secret in ipairs(SECRETS) do assert.is_nil((out .. err):find(secret, 1, true)) end
    -- three factors changed (email is already off), three providers, one template
    assert.equal(7, #emu:writes())
    local state = emu:state()
    assert.is_true(named(state["/guardian/factors"], "otp").enabled)
    assert.equal("twilio-auth-token-1",
      state["/guardian/factors/sms/providers/twilio"].auth_token)
    assert.equal("sns-secret-access-key-1", state[SNS].aws_secret_access_key)
    assert.equal("com.example.app",
      state["/guardian/factors/push-notification/providers/apns"].bundle_id)
    assert.equal("{{code}} is your enrollment code for {{tenant.friendly_name}}",
      state["/guardian/factors/sms/templates"].enrollment_message)
    -- the request log keeps no credential
    local log = json.encode(emu:requests())
    for _, secret in ipairs(SECRETS) do assert.is_nil(log:find(secret, 1, true), secret) end

    emu:clear_requests()
    status, out, err = cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = cli({ "export", "-f", format, "-o", dir })
      assert.equal(0, status, out .. err)
      local input = format == "yaml" and dir .. "/tenant.yaml" or dir
      local text
      if format == "yaml" then
        text = shared.read(input)
        local exported = assert(yaml.decode(text))
        assert.equal(8, #exported.guardianFactors)
        assert.is_nil(exported.guardianFactors[1].trial_expired)
        assert.equal(3, #exported.guardianFactorProviders)
        local twilio = named(exported.guardianFactorProviders, "sms")
        assert.equal("##GUARDIAN_SMS_TWILIO_AUTH_TOKEN##", twilio.auth_token)
        assert.equal("AC0000000000000000000000000000test", twilio.sid)
        assert.same({ "sms" }, { exported.guardianFactorTemplates[1].name })
      else
        text = shared.read(dir .. "/guardian/providers/sms-twilio.json")
          .. shared.read(dir .. "/guardian/providers/push-notification-sns.json")
          .. shared.read(dir .. "/guardian/providers/push-notification-apns.json")
        assert.truthy(shared.read(dir .. "/guardian/factors/otp.json"))
        assert.truthy(shared.read(dir .. "/guardian/templates/sms.json"))
      end
      for _, secret in ipairs(SECRETS) do assert.is_nil(text:find(secret, 1, true), secret) end
      emu:clear_requests()
      status, out, err = cli({ "import", "-i", input })
      assert.equal(0, status, out .. err)
      assert.same({}, emu:writes(), format)
    end
    -- the placeholders left the tenant's credentials alone
    assert.equal("sns-secret-access-key-1", emu:state()[SNS].aws_secret_access_key)
  end)

  it("sends only the changed item, a provider's credential along with its change", function()
    local status, out, err = cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local text = shared.read(DIR .. "/tenant.yaml"):gsub("aws_region: us%-west%-2",
      "aws_region: eu-west-1"):gsub("name: otp\n    enabled: true", "name: otp\n    enabled: false")
    local changed = tmp .. "/changed.yaml"
    run.write_file(changed, text)
    emu:clear_requests()
    status, out, err = cli({ "import", "-i", changed })
    assert.equal(0, status, out .. err)
    local writes = emu:writes()
    assert.equal(2, #writes)
    local state = emu:state()
    assert.equal("eu-west-1", state[SNS].aws_region)
    assert.equal("sns-secret-access-key-1", state[SNS].aws_secret_access_key)
    assert.is_false(named(state["/guardian/factors"], "otp").enabled)
  end)

  it("replaces keywords in a provider on import and preserves them on export", function()
    local dir = tmp .. "/kw"
    assert(os.execute("mkdir -p " .. dir))
    local text = shared.read(DIR .. "/tenant.yaml")
      :gsub("sid: AC0000000000000000000000000000test", "sid: '##TWILIO_SID##'")
      :gsub("auth_token: twilio%-auth%-token%-1", "auth_token: '##TWILIO_TOKEN##'")
    run.write_file(dir .. "/tenant.yaml", text)
    local config = tmp .. "/config.json"
    run.write_file(config, json.encode({ AUTH0_PRESERVE_KEYWORDS = true,
      AUTH0_KEYWORD_REPLACE_MAPPINGS = { TWILIO_SID = "AC0000000000000000000000000000kw",
        TWILIO_TOKEN = "twilio-auth-token-kw" } }))
    local status, out, err = cli({ "import", "-c", config, "-i", dir .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local twilio = emu:state()["/guardian/factors/sms/providers/twilio"]
    assert.equal("AC0000000000000000000000000000kw", twilio.sid)
    assert.equal("twilio-auth-token-kw", twilio.auth_token)
    status, out, err = cli({ "export", "-c", config, "-f", "yaml", "-o", dir })
    assert.equal(0, status, out .. err)
    local exported = assert(yaml.decode(shared.read(dir .. "/tenant.yaml")))
    assert.equal("##TWILIO_SID##", named(exported.guardianFactorProviders, "sms").sid)
    emu:clear_requests()
    status, out, err = cli({ "import", "-c", config, "-i", dir .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())
  end)

  it("takes a user handler and hooks for them like any other type", function()
    -- a user handler that starts from the built-in templates handler and wraps its update
    local dir = tmp .. "/handlers"
    assert(os.execute("mkdir -p " .. dir))
    run.write_file(dir .. "/guardian_factor_templates.lua", [[
local h = require("a0lua.handlers").base("guardianFactorTemplates")
local update = h.update
h.update = function(self, ctx, current, payload)
  payload.verification_message = "wrapped " .. tostring(payload.verification_message)
  return update(self, ctx, current, payload)
end
return h
]])
    -- a before hook that turns a provider's change into another
    run.write_file(tmp .. "/hooks.lua", [[
require("a0lua.hooks").on("before", "guardianFactorProviders", function(change)
  if change.key == "push-notification-sns" then change.payload.aws_region = "eu-central-1" end
  return change.payload
end)
]])
    local status, out, err = cli({ "import", "-i", DIR .. "/tenant.yaml", "--handlers", dir,
      "--hooks", tmp .. "/hooks.lua" })
    assert.equal(0, status, out .. err)
    local state = emu:state()
    assert.matches("^wrapped ", state["/guardian/factors/sms/templates"].verification_message)
    assert.equal("eu-central-1", state[SNS].aws_region)
  end)

  it("refuses misspelt names, a wrong type and another provider's field with file and line",
    function()
      local file = DIR .. "/misspelt.yaml"
      local status, _, err = cli({ "import", "-i", file })
      assert.equal(1, status)
      assert.matches(file .. ":5:5: guardianFactors[0].enabled: must be boolean", err, 1, true)
      assert.matches(file .. ":6:5: guardianFactors[1].name: must be one of sms, "
        .. "push-notification", err, 1, true)
      assert.matches(file .. ":10:5: guardianFactorProviders[0].provider: must be one of "
        .. "twilio, sns, apns, fcm, fcmv1", err, 1, true)
      assert.matches(file .. ":13:5: guardianFactorProviders[1].bundle_id: is not a field of "
        .. "the push-notification sns provider", err, 1, true)
      assert.matches(file .. ":15:5: guardianFactorTemplates[0].name: must be one of sms, phone",
        err, 1, true)
      assert.same({}, emu:writes())
    end)
end)
