-- Phone providers and phone templates through import, export (both formats) and re-import
-- against `a0lua emulate`: the Twilio token sent on create, never shown, exported as a0deploy's
-- placeholder; the templates of a fresh tenant are its id-less defaults, a changed one is
-- created, an unchanged one left alone; one list read each; a misspelt enum or a wrong type
-- fails validation with file and line, and nothing is sent.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/phone"

local function typed(list, type_name) return emulator.find(list, "type", type_name) end

local function reads_of(emu, path)
  local n = 0
  for _, r in ipairs(emu:requests()) do
    if r.method == "GET" and r.path:find(path, 1, true) then n = n + 1 end
  end
  return n
end

describe("phone providers and phone templates through a0lua", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("imports into an empty tenant, exports, and re-imports with no write", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.is_nil((out .. err):find("twilio-auth-token-1", 1, true))
    local state = emu:state()
    local provider = state["/branding/phone/providers"][1]
    assert.equal("AC-phone-sid-1", provider.configuration.sid)
    assert.equal("twilio-auth-token-1", provider.credentials.auth_token)
    local templates = state["/branding/phone/templates"]
    assert.equal(2, #templates)
    assert.equal("+15550002222", typed(templates, "otp_verify").content.from)
    local enroll = typed(templates, "otp_enroll")
    assert.is_true(enroll.disabled)
    -- created over the default: the default's voice text is kept
    assert.matches("verification code", enroll.content.body.voice)

    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())
    assert.equal(1, reads_of(emu, "/branding/phone/templates"))
    assert.equal(1, reads_of(emu, "/branding/phone/providers"))

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = emu:cli({ "export", "-f", format, "-o", dir })
      assert.equal(0, status, out .. err)
      local input = format == "yaml" and dir .. "/tenant.yaml" or dir
      local exported
      if format == "yaml" then
        exported = assert(yaml.decode(shared.read(input)))
      else
        exported = { phoneProviders = assert(json.decode(shared.read(dir
          .. "/phone-providers/provider.json"))), phoneTemplates = {} }
        for _, t in ipairs({ "otp_verify", "otp_enroll", "change_password", "blocked_account",
          "password_breach" }) do
          exported.phoneTemplates[#exported.phoneTemplates + 1] =
            assert(json.decode(shared.read(dir .. "/phone-templates/" .. t .. ".json")))
        end
      end
      local p = exported.phoneProviders[1]
      assert.same({ auth_token = "##TWILIO_AUTH_TOKEN##" }, p.credentials)
      assert.is_nil(p.id)
      assert.is_nil(p.channel)
      assert.is_nil(p.created_at)
      assert.equal(5, #exported.phoneTemplates)
      local verify = typed(exported.phoneTemplates, "otp_verify")
      assert.is_nil(verify.id)
      assert.is_nil(verify.channel)
      assert.is_nil(verify.customizable)
      emu:clear_requests()
      status, out, err = emu:cli({ "import", "-i", input })
      assert.equal(0, status, out .. err)
      assert.same({}, emu:writes(), format)
    end
    -- The placeholder left the tenant's token alone.
    assert.equal("twilio-auth-token-1",
      emu:state()["/branding/phone/providers"][1].credentials.auth_token)
  end)

  it("sends only the changed template, and the token along with a provider change", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local text = shared.read(DIR .. "/tenant.yaml")
      :gsub("Your enrollment code", "Your new enrollment code")
      :gsub("%+15550001111", "+15550003333")
      :gsub("twilio%-auth%-token%-1", "twilio-auth-token-2")
    local changed = tmp .. "/changed.yaml"
    run.write_file(changed, text)
    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", changed })
    assert.equal(0, status, out .. err)
    assert.is_nil((out .. err):find("twilio-auth-token-2", 1, true))
    local writes = emu:writes()
    assert.equal(2, #writes)
    local state = emu:state()
    local enroll = typed(state["/branding/phone/templates"], "otp_enroll")
    assert.equal("Your new enrollment code is {{ code }}", enroll.content.body.text)
    local provider = state["/branding/phone/providers"][1]
    assert.equal("+15550003333", provider.configuration.default_from)
    assert.equal("twilio-auth-token-2", provider.credentials.auth_token)
  end)

  it("deletes the provider for phoneProviders: [] only with AUTH0_ALLOW_DELETE", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local empty = tmp .. "/empty.yaml"
    run.write_file(empty, "phoneProviders: []\n")
    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", empty })
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())
    status, out, err = emu:cli({ "import", "-i", empty }, { AUTH0_ALLOW_DELETE = "true" })
    assert.equal(0, status, out .. err)
    assert.equal(1, #emu:writes())
    assert.equal(0, #emu:state()["/branding/phone/providers"])
  end)

  it("replaces keywords on import and preserves them on export", function()
    local dir = tmp
    run.write_file(tmp .. "/config.json", json.encode({ AUTH0_PRESERVE_KEYWORDS = true,
      AUTH0_KEYWORD_REPLACE_MAPPINGS = { PHONE_FROM = "+15550009999", TWILIO_SID = "AC-kw-1" } }))
    run.write_file(dir .. "/tenant.yaml", table.concat({
      "phoneProviders:", "  - name: twilio", "    configuration:", "      sid: '##TWILIO_SID##'",
      "      delivery_methods: [text]", "    credentials:", "      auth_token: tok-kw-1",
      "phoneTemplates:", "  - type: otp_verify", "    content:", "      from: '##PHONE_FROM##'",
      "      body:", "        text: 'Code {{ code }}'", "" }, "\n"))
    local status, out, err = emu:cli({ "import", "-c", tmp .. "/config.json", "-i",
      dir .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local state = emu:state()
    assert.equal("AC-kw-1", state["/branding/phone/providers"][1].configuration.sid)
    assert.equal("+15550009999",
      typed(state["/branding/phone/templates"], "otp_verify").content.from)
    status, out, err = emu:cli({ "export", "-c", tmp .. "/config.json", "-f", "yaml", "-o", dir })
    assert.equal(0, status, out .. err)
    local exported = assert(yaml.decode(shared.read(dir .. "/tenant.yaml")))
    assert.equal("##TWILIO_SID##", exported.phoneProviders[1].configuration.sid)
    assert.equal("##PHONE_FROM##", typed(exported.phoneTemplates, "otp_verify").content.from)
  end)

  it("runs a typed hook and a user's handler for them, as for any type", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml", "--hooks",
      DIR .. "/hooks.lua" })
    assert.equal(0, status, out .. err)
    local templates = emu:state()["/branding/phone/templates"]
    assert.is_true(typed(templates, "otp_verify").disabled)
    status, out, err = emu:cli({ "export", "-f", "yaml", "-o", tmp, "--handlers",
      DIR .. "/handlers" })
    assert.equal(0, status, out .. err)
    local exported = assert(yaml.decode(shared.read(tmp .. "/tenant.yaml")))
    assert.equal("exported by the user's handler", exported.phoneProviders[1].disabled)
  end)

  it("refuses a misspelt enum and a wrong type with file and line, sending nothing", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":3:5: phoneProviders[0].name: must be one of twilio, custom", err,
      1, true)
    assert.matches(file .. ":4:5: phoneProviders[0].disabled:", err, 1, true)
    assert.matches(file .. ":9:5: phoneTemplates[0].type: must be one of otp_verify, otp_enroll, "
      .. "change_password, blocked_account, password_breach", err, 1, true)
    assert.matches(file .. ":12:5: phoneTemplates[1].disabled:", err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
