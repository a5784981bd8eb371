-- A body the Management API would refuse (a property it does not take, a wrong type, a bad enum)
-- fails plan and import before the first write, naming the item's file:line and the field.
-- Before, a new client with a client_secret passed validate and plan, and the import stopped at
-- its create (400 "Additional properties not allowed: client_secret") after 4 other writes.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")

-- Four writes the API takes, then the client it refuses.
local FILE = table.concat({
  "resourceServers:",
  "  - name: Orders API",
  "    identifier: https://orders.example.com",
  "roles:",
  "  - name: Reader",
  "    description: reads orders",
  "connections:",
  "  - name: github",
  "    strategy: github",
  "clients:",
  "  - name: Dashboard",
  "    app_type: spa",
  "  - name: Worker",
  "    app_type: non_interactive",
  "    client_secret: not-sent-on-a-create",
  "",
}, "\n")

describe("the preflight of plan and import", function()
  local emu, tmp, env
  setup(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    env = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
      AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" }
  end)
  teardown(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)
  before_each(function()
    emu:reset()
    emu:clear_requests()
  end)

  local function a0lua(argv)
    return run.run(argv, { env = env })
  end

  local function file_with(name, text)
    local path = tmp .. "/" .. name
    run.write_file(path, text)
    return path
  end

  it("fails plan and import on a property the create does not take, with no write", function()
    local file = file_with("tenant.yaml", FILE)
    local where = file .. ":15:5: clients[1].client_secret: the Management API would refuse "
      .. "this create (POST /clients): Additional properties not allowed: client_secret"
    for _, command in ipairs({ "plan", "import" }) do
      local status, out, err = a0lua({ "build/a0lua", command, "-i", file })
      assert.equal(1, status, command .. ": " .. out .. err)
      assert.is_truthy(err:find(where, 1, true), command .. ": " .. err)
      assert.matches("nothing was changed", err, 1, true)
      assert.is_nil(err:find("not-sent-on-a-create", 1, true))
    end
    assert.same({}, emu:writes())
  end)

  it("names every wrong type and bad enum of a body, in the order of the file", function()
    local file = file_with("types.yaml", table.concat({
      "clients:",
      "  - name: Broken",
      "    app_type: desktop-ish",
      "    callbacks: https://one.example.com",
      "",
    }, "\n"))
    local status, out, err = a0lua({ "build/a0lua", "import", "-i", file, "--json" })
    assert.equal(1, status, err)
    local doc = assert(json.decode(out), out)
    assert.is_false(doc.ok)
    assert.equal(2, #doc.problems)
    assert.same({ 3, "clients[0].app_type" }, { doc.problems[1].line, doc.problems[1].path })
    assert.matches('No enum match for: "desktop-ish"', doc.problems[1].message, 1, true)
    assert.same({ 4, "clients[0].callbacks" }, { doc.problems[2].line, doc.problems[2].path })
    assert.matches("Expected type array but found type string", doc.problems[2].message, 1, true)
    assert.same({}, emu:writes())
  end)

  it("checks the body of an update too", function()
    assert.equal(201, assert(emu:post("/resource-servers", { name = "Orders API",
      identifier = "https://orders.example.com" })).status)
    emu:clear_requests()
    local file = file_with("update.yaml", table.concat({
      "resourceServers:",
      "  - name: Orders API",
      "    identifier: https://orders.example.com",
      "    token_lifetime: one day",
      "",
    }, "\n"))
    local status, _, err = a0lua({ "build/a0lua", "import", "-i", file })
    assert.equal(1, status, err)
    assert.is_truthy(err:find(file .. ":4:5: resourceServers[0].token_lifetime: the Management "
      .. "API would refuse this update (PATCH /resource-servers/{id}): Expected type integer "
      .. "but found type string", 1, true), err)
    assert.same({}, emu:writes())
  end)

  it("checks the bodies again as the before hooks leave them", function()
    local hooks = require("a0lua.hooks")
    local registry = hooks.new():on("before", "clients", function(change)
      if change.op == "create" then change.payload.owner_team = "payments" end
    end)
    local log = require("a0lua.log")
    local tenant = assert(require("a0lua").connect({ AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret },
      { log = log.new{ level = "silent" }, hooks = registry }))
    local p = assert(tenant:plan({ roles = json.array{ { name = "Reader" } },
      clients = json.array{ { name = "Hooked", app_type = "spa" } } }))
    emu:clear_requests()
    local report, err = tenant:apply(p)
    tenant:close()
    assert.is_nil(report)
    assert.equal("validation", err.code)
    assert.matches("clients[0].owner_team: the Management API would refuse this create "
      .. "(POST /clients): Additional properties not allowed: owner_team", tostring(err), 1, true)
    assert.same({}, emu:writes())
  end)

  it("lets through what the API takes, and a client's secret on an update", function()
    assert.equal(201, assert(emu:post("/clients", { name = "Worker",
      app_type = "non_interactive" })).status)
    emu:clear_requests()
    local file = file_with("fine.yaml", FILE)
    local status, out, err = a0lua({ "build/a0lua", "import", "-i", file })
    assert.equal(0, status, out .. err)
    assert.equal(5, #emu:writes())
  end)
end)
