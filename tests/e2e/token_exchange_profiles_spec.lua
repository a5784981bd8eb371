-- tokenExchangeProfiles and actionModules through a0lua import and export against the emulator:
-- a module, the action that imports it, the profile that names the action and the client that
-- allows custom_authentication profiles deploy in one import; the export (YAML and directory)
-- imports again with no write; a misspelt profile type fails with file:line and no request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")

local DIR = "tests/fixtures/e2e/token_exchange_profiles"

local function named(list, name) return emulator.find(list, "name", name) end

describe("tokenExchangeProfiles and actionModules through import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("deploys module, action, profile and client together, and re-imports the export with "
    .. "no write", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local state = emu:state()
    local module = named(state["/actions/modules"], "notifier")
    assert.is_not_nil(module)
    assert.equal(1, module.latest_version_number)
    assert.is_true(module.all_changes_published)
    local action = named(state["/actions/actions"], "exchange-action")
    assert.is_not_nil(action)
    assert.equal(module.id, action.modules[1].module_id)
    assert.is_string(action.modules[1].module_version_id)
    local profile = named(state["/token-exchange-profiles"], "Legacy IdP Exchange")
    assert.is_not_nil(profile)
    assert.equal(action.id, profile.action_id)
    assert.equal("custom_authentication", profile.type)
    local client = named(state["/clients"], "Legacy Bridge")
    assert.same({ "custom_authentication" }, client.token_exchange.allow_any_profile_of_type)
    assert.is_nil((out .. err):find("s3cr3t-module-value", 1, true))

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

    -- the REPL has a collection of each type, by name
    status, out, err = run.run({ "build/a0lua", "repl" }, { env = { AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" },
      stdin = 'print(tenant.tokenExchangeProfiles["Legacy IdP Exchange"].action)\n'
        .. 'print(#tenant.actionModules)\n' })
    assert.equal(0, status, tostring(out) .. tostring(err))
    assert.matches("exchange-action", out, 1, true)

    local exported = assert(yaml.decode(shared.read(tmp .. "/yaml/tenant.yaml")))
    assert.same({ { name = "Legacy IdP Exchange", type = "custom_authentication",
      subject_token_type = "urn:example:legacy-idp-token", action = "exchange-action" } },
      exported.tokenExchangeProfiles)
    local m = exported.actionModules[1]
    assert.equal("./action-modules/notifier/code.js", m.code)
    assert.same({ { name = "NOTIFIER_KEY" } }, m.secrets)
    assert.is_true(m.all_changes_published)
    assert.truthy(shared.read(tmp .. "/directory/token-exchange-profiles/"
      .. "Legacy IdP Exchange.json"))
    assert.truthy(shared.read(tmp .. "/directory/action-modules/notifier/code.js"))
  end)

  it("rejects a misspelt profile type naming file, line and the allowed value, with no "
    .. "request", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":4:5: tokenExchangeProfiles[0].type: must be one of "
      .. "custom_authentication", err, 1, true)
    assert.same({}, emu:requests())
  end)

  it("fails before any write when the profile's action is neither in the files nor on the "
    .. "tenant", function()
    local file = DIR .. "/unknown-action.yaml"
    local status, out, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status, out .. err)
    assert.matches(file .. ":9:5: tokenExchangeProfiles[0].action: \"no-such-action\" is not "
      .. "one of the actions in the files nor on the tenant", err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
