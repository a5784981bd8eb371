-- The three profile types end to end (docs/handlers.md §connectionProfiles,
-- §userAttributeProfiles, §selfServiceProfiles): imported into an empty emulator with the
-- names between them and from a client becoming ids, exported in both formats, re-imported from
-- each export with no write at all; a misspelt enum value fails with file:line and no request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/profiles"

local function named(list, name) return emulator.find(list, "name", name) end

describe("profiles through a0lua import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function a0lua(argv) return emu:cli(argv) end

  it("creates them with names as ids, exports them as names, re-imports with no write",
      function()
    local status, out, err = a0lua({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local state = emu:state()
    local uap = named(state["/user-attribute-profiles"], "Workforce Attributes")
    local cp = named(state["/connection-profiles"], "Enterprise SSO Profile")
    assert.is_not_nil(uap)
    assert.is_not_nil(cp)
    assert.equal("sub", uap.user_id.oidc_mapping)
    assert.equal("externalId", uap.user_id.scim_mapping) -- a0deploy's schema default, sent
    local ssp = named(state["/self-service-profiles"], "Partner SSO")
    assert.equal(uap.id, ssp.user_attribute_profile_id)
    local client = named(state["/clients"], "Express App")
    assert.equal(uap.id, client.express_configuration.user_attribute_profile_id)
    assert.equal(cp.id, client.express_configuration.connection_profile_id)
    local text = emu:get("/self-service-profiles/" .. ssp.id .. "/custom-text/en/get-started")
    assert.equal("Welcome! A few steps and your SSO is ready.", text.json.introduction)

    emu:clear_requests()
    status, out, err = a0lua({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = a0lua({ "export", "-o", dir, "-f", format })
      assert.equal(0, status, out .. err)
      local input = dir .. "/tenant.yaml"
      if format == "yaml" then
        local exported = assert(yaml.decode(shared.read(input)))
        local e = named(exported.selfServiceProfiles, "Partner SSO")
        assert.equal("Workforce Attributes", e.user_attribute_profile_id)
        assert.is_nil(e.user_attributes)
        assert.is_nil(e.id)
        assert.is_nil(e.created_at)
        assert.equal("Welcome! A few steps and your SSO is ready.",
          e.customText.en["get-started"].introduction)
        local c = named(exported.clients, "Express App")
        assert.equal("Enterprise SSO Profile", c.express_configuration.connection_profile_id)
        assert.is_nil(named(exported.connectionProfiles, "Enterprise SSO Profile").id)
      else
        input = dir
        local file = dir .. "/self-service-profiles/Partner SSO.json"
        local e = assert(json.decode(shared.read(file)))
        assert.equal("Workforce Attributes", e.user_attribute_profile_id)
        assert.is_not_nil(shared.read(dir .. "/connection-profiles/Enterprise SSO Profile.json"))
        assert.is_not_nil(shared.read(dir .. "/user-attribute-profiles/Workforce Attributes.json"))
      end
      emu:clear_requests()
      status, out, err = a0lua({ "import", "-i", input })
      assert.equal(0, status, format .. ": " .. out .. err)
      assert.same({}, emu:writes(), format)
    end
  end)

  it("changes only the custom text that differs", function()
    local status, out, err = a0lua({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local file = tmp .. "/changed.yaml"
    run.write_file(file, (shared.read(DIR .. "/tenant.yaml"):gsub("A few steps",
      "Three steps")))
    emu:clear_requests()
    status, out, err = a0lua({ "import", "-i", file })
    assert.equal(0, status, out .. err)
    local writes = emu:writes()
    assert.equal(1, #writes)
    assert.equal("PUT", writes[1].method)
    assert.matches("/custom%-text/en/get%-started$", writes[1].path)
  end)

  it("gives each type a REPL collection and the hooks a change to edit", function()
    local hooks = tmp .. "/hooks.lua"
    run.write_file(hooks, 'local hooks = require("a0lua.hooks")\n'
      .. 'hooks.on("before", "selfServiceProfiles", function(change)\n'
      .. '  if change.op == "create" then\n'
      .. '    change.payload.description = "hooked " .. change.payload.name\n'
      .. '    return change.payload\n'
      .. '  end\n'
      .. 'end)\n')
    local status, out, err = a0lua({ "import", "--hooks", hooks, "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.equal("hooked Attributes Inline",
      named(emu:state()["/self-service-profiles"], "Attributes Inline").description)
    local cfg = tmp .. "/cfg.json"
    run.write_file(cfg, assert(json.encode({ AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret })))
    local script = "print(#tenant.connectionProfiles, #tenant.user_attribute_profiles)\n"
      .. "print(tenant.selfServiceProfiles['Partner SSO'].customText.en['get-started']"
      .. ".introduction)\n"
    status, out, err = run.run({ "sh", "-c", ("printf '%%s' %s | build/a0lua repl -c %s")
      :format(run.quote(script), run.quote(cfg)) }, { env = { HOME = tmp } })
    assert.equal(0, status, err)
    assert.equal("1\t1\nWelcome! A few steps and your SSO is ready.\n", out)
  end)

  it("rejects misspelt enum values naming file, line and path, with no request", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = a0lua({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":5:7: connectionProfiles[0].organization.show_as_button: "
      .. "must be one of none, optional, required", err, 1, true)
    assert.matches(file .. ":9:7: userAttributeProfiles[0].user_id.oidc_mapping: "
      .. "must be one of sub", err, 1, true)
    assert.matches(file .. ":19:9: selfServiceProfiles[0].allowed_strategies[0]: "
      .. "must be one of oidc", err, 1, true)
    assert.same({}, emu:requests())
  end)

  it("refuses a user attribute profile name that is neither in the files nor on the tenant",
      function()
    local file = tmp .. "/unknown.yaml"
    run.write_file(file, "selfServiceProfiles:\n  - name: Partner SSO\n"
      .. "    user_attribute_profile_id: Nowhere\n")
    emu:clear_requests()
    local status, _, err = a0lua({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":3:5: selfServiceProfiles[0].user_attribute_profile_id: "
      .. '"Nowhere" is not one of the userAttributeProfiles', err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
