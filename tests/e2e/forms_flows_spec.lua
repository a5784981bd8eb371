-- forms, flows and flowVaultConnections through a0lua import and export against the emulator:
-- the vault connections, the flow that names one (by a name longer than the API's 30-character
-- ids: preflight sees ids) and the form that names the flow deploy in one import, each after
-- what it names; setup (inline and through @@KEY@@) is sent and never shown; the export (YAML
-- and directory) imports again with no write; misspelt enums fail with file:line and no request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/forms_flows"
local FLOW = "Update the KYC name in user metadata"

local function named(list, name) return emulator.find(list, "name", name) end

describe("forms, flows and flowVaultConnections through import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("deploys connections, flow and form in order, and re-imports the export with no write",
    function()
    local status, out, err = emu:cli({ "import", "-c", DIR .. "/config.json",
      "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    for _, secret in ipairs({ "kyc-vault-s3cr3t", "airtable-k3y-value" }) do
      assert.is_nil((out .. err):find(secret, 1, true))
    end
    local state = emu:state()
    local m2m = named(state["/flows/vault/connections"], "KYC Auth0 M2M")
    local airtable = named(state["/flows/vault/connections"], "Airtable")
    assert.is_true(m2m.ready)
    assert.is_true(airtable.ready)
    assert.is_nil(m2m.setup)
    local flow = named(state["/flows"], FLOW)
    assert.equal(m2m.id, flow.actions[1].params.connection_id)
    local form = named(state["/forms"], "KYC form")
    assert.equal(flow.id, form.nodes[2].config.flow_id)

    -- each request carried the ids of what it names, and came after it
    local order = {}
    for i, r in ipairs(emu:requests()) do
      if r.method == "POST" then order[r.path] = order[r.path] or i end
    end
    assert.is_true(order["/api/v2/flows/vault/connections"] < order["/api/v2/flows"])
    assert.is_true(order["/api/v2/flows"] < order["/api/v2/forms"])

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = emu:cli({ "export", "-o", dir, "-f", format })
      assert.equal(0, status, tostring(out) .. tostring(err))
      assert.matches("setup", err, 1, true)
      local input = format == "yaml" and dir .. "/tenant.yaml" or dir
      emu:clear_requests()
      status, out, err = emu:cli({ "import", "-i", input })
      assert.equal(0, status, tostring(out) .. tostring(err))
      assert.same({}, emu:writes(), format .. ": the re-import wrote")
    end

    local exported = assert(yaml.decode(shared.read(tmp .. "/yaml/tenant.yaml")))
    assert.same({ name = "KYC Auth0 M2M", app_id = "AUTH0", ready = true },
      named(exported.flowVaultConnections, "KYC Auth0 M2M"))
    assert.same({ name = "Airtable", app_id = "AIRTABLE", ready = true },
      named(exported.flowVaultConnections, "Airtable"))
    assert.same({ { name = FLOW, body = "./flows/" .. FLOW .. ".json" } }, exported.flows)
    assert.same({ { name = "KYC form", body = "./forms/KYC form.json" } }, exported.forms)
    local form_file = assert(json.decode(shared.read(tmp .. "/yaml/forms/KYC form.json")))
    assert.equal(FLOW, form_file.nodes[2].config.flow_id)
    assert.is_nil(form_file.id)
    assert.is_nil(form_file.created_at)
    local flow_file = assert(json.decode(shared.read(tmp .. "/directory/flows/" .. FLOW
      .. ".json")))
    assert.equal("KYC Auth0 M2M", flow_file.actions[1].params.connection_id)
    assert.truthy(shared.read(tmp .. "/directory/flow-vault-connections/Airtable.json"))
    assert.truthy(shared.read(tmp .. "/directory/forms/KYC form.json"))

    -- --export_ids keeps the ids, and the names stay names
    status, out, err = emu:cli({ "export", "-o", tmp .. "/ids", "-f", "directory",
      "--export_ids" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local with_id = assert(json.decode(shared.read(tmp .. "/ids/forms/KYC form.json")))
    assert.equal(form.id, with_id.id)
    assert.equal(FLOW, with_id.nodes[2].config.flow_id)

    -- the REPL has a collection of each type, by name
    status, out, err = run.run({ "build/a0lua", "repl" }, { env = { AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" },
      stdin = 'print(tenant.forms["KYC form"].nodes[2].config.flow_id)\n'
        .. 'print(#tenant.flowVaultConnections)\n' })
    assert.equal(0, status, tostring(out) .. tostring(err))
    assert.matches(FLOW, out, 1, true)
  end)

  it("runs hooks and a handler override for forms and flows like for any type", function()
    local status, out, err = emu:cli({ "import", "-c", DIR .. "/config.json",
      "-i", DIR .. "/tenant.yaml", "--hooks", DIR .. "/hooks.lua",
      "--handlers", DIR .. "/my-handlers" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local state = emu:state()
    assert.same({ css = "/* deployed by a0lua */" }, named(state["/forms"], "KYC form").style)
    assert.equal("from my-handlers", named(state["/flows"], FLOW).actions[1].alias)
  end)

  it("plans reading whole only the forms the files name, and of the flows only their list",
    function()
    local status, out, err = emu:cli({ "import", "-c", DIR .. "/config.json",
      "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local flow = named(emu:state()["/flows"], FLOW)
    assert(emu:post("/forms", { name = "Another form" }))
    local dir = tmp .. "/forms-only"
    assert(os.execute("mkdir -p '" .. dir .. "/forms'"))
    run.write_file(dir .. "/forms/KYC form.json", shared.read(DIR .. "/forms/KYC form.json"))
    emu:clear_requests()
    status, out, err = emu:cli({ "plan", "-i", dir })
    assert.equal(0, status, tostring(out) .. tostring(err))
    local reads = {}
    for _, r in ipairs(emu:requests()) do
      if r.method == "GET" then reads[#reads + 1] = r.path end
    end
    local form = named(emu:state()["/forms"], "KYC form")
    local text = table.concat(reads, " ")
    assert.matches("/api/v2/forms/" .. form.id, text, 1, true)
    assert.is_nil(text:find("/api/v2/flows/" .. flow.id, 1, true))
    local whole_forms = 0
    for _, path in ipairs(reads) do
      if path:match("^/api/v2/forms/") then whole_forms = whole_forms + 1 end
    end
    assert.equal(1, whole_forms)
  end)

  it("rejects misspelt enums and wrong types naming file and line, with no request", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":3:5: flowVaultConnections[0].app_id: must be one of "
      .. "ACTIVECAMPAIGN", err, 1, true)
    assert.matches(DIR .. "/flows/Notify.json:4:37: flows[0].actions[0].action: must be one of "
      .. "BOOLEAN_CONDITION", err, 1, true)
    assert.matches(DIR .. "/flows/Notify.json:5:24: flows[0].actions[1].type: must be one of",
      err, 1, true)
    assert.matches(DIR .. "/flows/Notify.json:6:61: flows[0].actions[2].allow_failure: must be "
      .. "boolean", err, 1, true)
    assert.matches(DIR .. "/misspelt-forms/Broken.json:4:23: forms[0].nodes[0].type: must be "
      .. "one of STEP, FLOW, ROUTER", err, 1, true)
    assert.same({}, emu:requests())
  end)

  it("fails before any write when a form names a flow neither in the files nor on the tenant",
    function()
    local dir = tmp .. "/dangling"
    assert(os.execute("mkdir -p '" .. dir .. "/forms'"))
    run.write_file(dir .. "/forms/Lost.json", json.encode({ name = "Lost",
      nodes = { { id = "f", type = "FLOW", config = { flow_id = "No such flow" } } } }))
    local status, out, err = emu:cli({ "import", "-i", dir })
    assert.equal(1, status, out .. err)
    assert.matches("forms[0].nodes[0].config.flow_id: \"No such flow\" is not one of the flows "
      .. "in the files nor on the tenant", err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
