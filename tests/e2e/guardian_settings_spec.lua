-- guardianPolicies, guardianPhoneFactorSelectedProvider, guardianPhoneFactorMessageTypes and
-- supplementalSignals through a0lua import and export against the emulator: the four settings
-- deploy into a fresh tenant, the export (YAML and directory, files where a0deploy puts them)
-- imports again with no write, a changed setting sends only its own request, hooks, a handler
-- file and the REPL see them, keywords are replaced and preserved, and a misspelt value or a
-- wrong type fails with file:line and no request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")

local DIR = "tests/fixtures/e2e/guardian_settings"

describe("guardian settings and supplementalSignals through import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("deploys the four settings, and re-imports the export with no write", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local state = emu:state()
    assert.same({ "all-applications" }, state["/guardian/policies"])
    assert.same({ provider = "twilio" }, state["/guardian/factors/phone/selected-provider"])
    assert.same({ message_types = { "sms", "voice" } },
      state["/guardian/factors/phone/message-types"])
    assert.same({ akamai_enabled = true }, state["/supplemental-signals"])

    -- the same files again: nothing to send
    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    assert.same({}, emu:writes())

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = emu:cli({ "export", "-o", dir, "-f", format })
      assert.equal(0, status, tostring(out) .. tostring(err))
      local input = format == "yaml" and dir .. "/tenant.yaml" or dir
      emu:clear_requests()
      status, out, err = emu:cli({ "import", "-i", input })
      assert.equal(0, status, tostring(out) .. tostring(err))
      assert.same({}, emu:writes(), format .. ": the re-import wrote")
    end

    local exported = assert(yaml.decode(shared.read(tmp .. "/yaml/tenant.yaml")))
    assert.same({ policies = { "all-applications" } }, exported.guardianPolicies)
    assert.same({ provider = "twilio" }, exported.guardianPhoneFactorSelectedProvider)
    assert.same({ message_types = { "sms", "voice" } }, exported.guardianPhoneFactorMessageTypes)
    assert.same({ akamai_enabled = true }, exported.supplementalSignals)
    local function file(name)
      local text = assert(shared.read(tmp .. "/directory/" .. name), name)
      return assert(json.decode(text))
    end
    assert.same({ policies = { "all-applications" } }, file("guardian/policies.json"))
    assert.same({ provider = "twilio" }, file("guardian/phoneFactorSelectedProvider.json"))
    assert.same({ message_types = { "sms", "voice" } },
      file("guardian/phoneFactorMessageTypes.json"))
    assert.same({ akamai_enabled = true }, file("supplemental-signals.json"))

    -- one setting changed (the message types in another order are no change): one request
    run.write_file(tmp .. "/changed.yaml", "guardianPolicies:\n  policies: []\n"
      .. "guardianPhoneFactorSelectedProvider:\n  provider: twilio\n"
      .. "guardianPhoneFactorMessageTypes:\n  message_types: [voice, sms]\n"
      .. "supplementalSignals:\n  akamai_enabled: true\n")
    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", tmp .. "/changed.yaml" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local writes = emu:writes()
    assert.equal(1, #writes)
    assert.equal("PUT", writes[1].method)
    assert.equal("/api/v2/guardian/policies", writes[1].path)
    assert.same({}, emu:state()["/guardian/policies"])

    -- the REPL has each setting as an object
    status, out, err = run.run({ "build/a0lua", "repl" }, { env = { AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" },
      stdin = 'print(tenant.guardianPhoneFactorSelectedProvider.provider)\n'
        .. 'print(tenant.supplementalSignals.akamai_enabled)\n' })
    assert.equal(0, status, tostring(out) .. tostring(err))
    assert.matches("twilio\ntrue", out, 1, true)
  end)

  it("gives hooks a change of each setting to edit, and lets a handler file replace one",
      function()
    local hooks = tmp .. "/hooks.lua"
    run.write_file(hooks, 'local hooks = require("a0lua.hooks")\n'
      .. 'hooks.on("before", "guardianPhoneFactorSelectedProvider", function(change)\n'
      .. '  change.payload.provider = "phone-message-hook"\n'
      .. '  return change.payload\n'
      .. 'end)\n')
    local status, out, err = emu:cli({ "import", "--hooks", hooks, "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.same({ provider = "phone-message-hook" },
      emu:state()["/guardian/factors/phone/selected-provider"])

    -- a handler of the user's own, started from the built-in one, leaves the signals out of
    -- the export
    assert(os.execute("mkdir " .. run.quote(tmp .. "/handlers")))
    run.write_file(tmp .. "/handlers/signals.lua", 'local h = require("a0lua.handlers")'
      .. '.base("supplementalSignals")\nfunction h.export() return nil end\nreturn h\n')
    status, out, err = emu:cli({ "export", "--handlers", tmp .. "/handlers", "-o",
      tmp .. "/out", "-f", "yaml" })
    assert.equal(0, status, out .. err)
    local exported = assert(yaml.decode(shared.read(tmp .. "/out/tenant.yaml")))
    assert.is_nil(exported.supplementalSignals)
    assert.same({ provider = "phone-message-hook" }, exported.guardianPhoneFactorSelectedProvider)
  end)

  it("replaces keywords on import and puts them back on an export that preserves them",
      function()
    local text = "guardianPhoneFactorSelectedProvider:\n  provider: '##PHONE_PROVIDER##'\n"
      .. "guardianPhoneFactorMessageTypes:\n  message_types: @@MESSAGE_TYPES@@\n"
      .. "supplementalSignals:\n  akamai_enabled: '@@AKAMAI@@'\n"
    local out_dir = tmp .. "/out"
    assert(os.execute("mkdir " .. run.quote(out_dir)))
    run.write_file(out_dir .. "/tenant.yaml", text)
    local cfg = tmp .. "/config.json"
    run.write_file(cfg, assert(json.encode({ AUTH0_KEYWORD_REPLACE_MAPPINGS = {
      PHONE_PROVIDER = "twilio", MESSAGE_TYPES = { "voice" }, AKAMAI = true },
      AUTH0_PRESERVE_KEYWORDS = true })))
    local status, out, err = emu:cli({ "import", "-c", cfg, "-i", out_dir .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local state = emu:state()
    assert.same({ provider = "twilio" }, state["/guardian/factors/phone/selected-provider"])
    assert.same({ message_types = { "voice" } }, state["/guardian/factors/phone/message-types"])
    assert.same({ akamai_enabled = true }, state["/supplemental-signals"])
    status, out, err = emu:cli({ "export", "-c", cfg, "-o", out_dir, "-f", "yaml" })
    assert.equal(0, status, out .. err)
    local exported = shared.read(out_dir .. "/tenant.yaml")
    assert.matches("provider: '##PHONE_PROVIDER##'", exported, 1, true)
    assert.matches("message_types: '@@MESSAGE_TYPES@@'", exported, 1, true)
    assert.matches("akamai_enabled: '@@AKAMAI@@'", exported, 1, true)
  end)

  it("rejects misspelt values and wrong types naming file and line, with no request", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, out, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status, out .. err)
    assert.matches(file .. ":3:7: guardianPolicies.policies[0]: must be one of all-applications, "
      .. "confidence-score", err, 1, true)
    assert.matches(file .. ":5:3: guardianPhoneFactorSelectedProvider.provider: must be one of "
      .. "auth0, twilio, phone-message-hook", err, 1, true)
    assert.matches(file .. ":7:3: guardianPhoneFactorMessageTypes.message_types: must be array",
      err, 1, true)
    assert.matches(file .. ":9:3: supplementalSignals.akamai_enabled: must be boolean", err, 1,
      true)
    assert.same({}, emu:requests())
  end)
end)
