-- The public API with hooks and shared schedulers (a0lua.connect's hooks and scheduler options,
-- a0lua.load's load hooks), against `a0lua emulate`.
local emulator = require("helpers.emulator")
local a0lua = require("a0lua")
local hooks = require("a0lua.hooks")
local log = require("a0lua.log")
local tasks = require("a0lua.tasks")

local EXAMPLE = "recipes/examples/tenant.yaml"

local function values_of(emu)
  return { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
    AUTH0_CLIENT_SECRET = emu.client_secret }
end

local function writes(emu)
  local n = 0
  for _, r in ipairs(emu:requests()) do
    if r.method ~= "GET" and r.path ~= "/oauth/token" then n = n + 1 end
  end
  return n
end

describe("a0lua (hooks and shared schedulers)", function()
  local emu
  local quiet = log.new{ level = "silent" }
  before_each(function() emu = emulator.start() end)
  after_each(function()
    if emu then emu:stop() end
    hooks.clear()
  end)

  it("runs the hooks given to connect at plan, before, after and done", function()
    local seen = {}
    local r = hooks.new()
    r:on("plan", function(p) seen[#seen + 1] = "plan" return p end)
    r:on("before", "roles", function(c) seen[#seen + 1] = "before " .. c.key end)
    r:on("after", "roles", function(c, result)
      seen[#seen + 1] = "after " .. c.key .. " " .. tostring(result.id ~= nil)
    end)
    r:on("done", function(report) seen[#seen + 1] = "done " .. tostring(report.dry_run) end)
    local tenant = assert(a0lua.connect(values_of(emu), { log = quiet, hooks = r }))
    local p = assert(tenant:plan(assert(a0lua.load(EXAMPLE))))
    assert(tenant:apply(p))
    tenant:close()
    assert.same({ "plan", "before Order Reader", "after Order Reader true", "done false" }, seen)
  end)

  it("returns a veto of a before hook from apply, with nothing written", function()
    local r = hooks.new():on("before", "clients", function(c)
      if c.key == "Orders Web" then return nil, "not this one" end
    end)
    local failed = {}
    r:on("error", function(err) failed[#failed + 1] = err.code end)
    local tenant = assert(a0lua.connect(values_of(emu), { log = quiet, hooks = r }))
    local p = assert(tenant:plan(assert(a0lua.load(EXAMPLE))))
    emu:clear_requests()
    local report, err = tenant:apply(p)
    tenant:close()
    assert.is_nil(report)
    assert.equal("hook_veto", err.code)
    assert.equal("Orders Web", err.key)
    assert.equal(0, writes(emu))
    assert.same({ "hook_veto" }, failed)
  end)

  it("runs load hooks registered in code, and none with hooks = false", function()
    hooks.on("load", "clients", function(clients)
      clients[1].description = "changed by a hook"
    end)
    local desired = assert(a0lua.load(EXAMPLE))
    assert.equal("changed by a hook", desired.clients[1].description)
    local plain = assert(a0lua.load(EXAMPLE, { hooks = false }))
    assert.matches("^MCP server", plain.clients[1].description)
  end)

  it("returns a load veto as the one problem", function()
    local r = hooks.new():on("load", function() return nil, "frozen" end)
    local desired, problems = a0lua.load(EXAMPLE, { hooks = r })
    assert.is_nil(desired)
    assert.equal(1, #problems)
    assert.equal("hook_veto", problems[1].code)
    assert.equal("frozen", problems[1].reason)
  end)

  it("runs tenants that share a scheduler at the same time", function()
    local second = emulator.start()
    local ok, err = pcall(function()
      local sched = tasks.new{ session = {}, concurrency = 16 }
      local t1 = assert(a0lua.connect(values_of(emu), { log = quiet, scheduler = sched }))
      local t2 = assert(a0lua.connect(values_of(second), { log = quiet, scheduler = sched }))
      local order = {}
      local function deploy(tenant, name)
        local p = assert(tenant:plan(assert(a0lua.load(EXAMPLE))))
        order[#order + 1] = name .. " planned"
        assert(tenant:apply(p))
        order[#order + 1] = name .. " applied"
      end
      sched:spawn(deploy, t1, "one")
      sched:spawn(deploy, t2, "two")
      sched:run()
      t1:close()
      t2:close()
      sched:close()
      -- Both were planned before either was applied: their requests interleaved.
      assert.matches(" planned$", order[1])
      assert.matches(" planned$", order[2])
      assert.are_not.equal(order[1], order[2])
      assert.equal(4, #order)
    end)
    second:stop()
    assert(ok, err)
    assert.is_true(writes(emu) > 0)
  end)
end)
