-- The public Lua API (require("a0lua")) against `a0lua emulate`: load, connect, plan, apply,
-- export, fetch and diff, as a recipe uses them.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local json = require("a0lua.core.json")
local a0lua = require("a0lua")

local EXAMPLE = "recipes/examples/tenant.yaml"

describe("a0lua (the Lua API)", function()
  local emu, tmp, tenant
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    tenant = emu:tenant()
  end)
  after_each(function()
    if tenant then tenant:close() end
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("loads, plans, applies and exports", function()
    local desired = assert(a0lua.load(EXAMPLE))
    assert.equal("Orders MCP Server", desired.clients[1].name)
    local p = assert(tenant:plan(desired))
    assert.is_true(p:has_changes())
    assert.equal(2, p:summary().clients.create)
    local report = assert(tenant:apply(p))
    assert.equal(2, report.types.clients.created)
    local again = assert(tenant:plan(assert(a0lua.load(EXAMPLE))))
    assert.is_false(again:has_changes())
    local result = assert(tenant:export(tmp, { format = "yaml" }))
    assert.equal(tmp, result.output)
    assert.matches("Orders MCP Server", shared.read(tmp .. "/tenant.yaml"), 1, true)
  end)

  it("fetches one type's current state", function()
    local clients = assert(tenant:fetch("clients"))
    assert.is_true(json.is_array(clients))
    local roles, err = tenant:fetch("noSuchType")
    assert.is_nil(roles)
    assert.equal("handler", err.code)
  end)

  it("returns the problems of files that do not validate", function()
    local desired, problems = a0lua.load("tests/fixtures/bad/unknown_token_exchange_profile.yaml")
    assert.is_nil(desired)
    assert.equal(9, problems[1].line)
    assert.equal("clients[0].token_exchange.allow_any_profile_of_type[0]", problems[1].path)
  end)

  it("refuses a plan with a grant for a client nowhere to be found", function()
    local desired, sources = assert(a0lua.load("tests/fixtures/bad/dangling_reference.yaml"))
    local p, err = tenant:plan(desired, { sources = sources })
    assert.is_nil(p)
    assert.equal("validation", err.code)
    assert.equal(11, err.problems[1].line)
  end)

  it("returns nil and an error for a configuration it cannot use", function()
    local t, err = a0lua.connect{ AUTH0_DOMAIN = "http://example.com", AUTH0_ACCESS_TOKEN = "x" }
    assert.is_nil(t)
    assert.is_not_nil(err)
  end)

  describe("diff", function()
    it("lists the differences between two values", function()
      local d = a0lua.diff({ clients = json.array{ { name = "a", x = 1 } } },
        { clients = json.array{ { name = "a", x = 2 }, { name = "b" } } })
      assert.equal(2, #d)
      assert.same({ path = "clients[0].x", pointer = "/clients/0/x", from = 1, to = 2 }, d[1])
      assert.equal("clients[1]", d[2].path)
      assert.same({}, a0lua.diff({ a = 1 }, { a = 1 }))
    end)
  end)
end)
