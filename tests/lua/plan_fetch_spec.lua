-- a0lua.plan.fetch: the types of a plan are read concurrently, and a type's fetch that needs
-- another type's whole list meanwhile (handler.current_of: the client grants name the clients)
-- gets the read in flight, not a read of its own. No network: the handlers' fetches count.
local plan = require("a0lua.plan")
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local tasks = require("a0lua.tasks")
local json = require("a0lua.core.json")

local A = json.array

local function setup(fetch_clients, fetch_grants)
  local registry = handlers.new{
    { type = "clients", path = "/clients", id = "client_id", identifiers = { "client_id", "name" },
      fetch = fetch_clients },
    { type = "clientGrants", path = "/client-grants", identifiers = { "id" },
      name_field = "audience", fetch = fetch_grants },
  }
  -- (an api, for handler.current_of to read with: the fetches here do not use it)
  return { config = {}, handlers = registry, api = {} }
end

local function run(fn)
  local sched = tasks.new()
  local out
  sched:spawn(function() out = table.pack(fn()) end)
  sched:run()
  sched:close()
  return table.unpack(out, 1, out.n)
end

describe("a0lua.plan fetch", function()
  it("reads a type once when another type's fetch needs it meanwhile", function()
    local reads = 0
    local clients = A{ { client_id = "c1", name = "one" } }
    local seen
    local ctx = setup(function()
      reads = reads + 1
      tasks.sleep(0) -- the read is in flight when the grants' fetch asks for the clients
      return A{ clients[1] }
    end, function(_, c)
      seen = handler.current_of(c, "clients")
      return A{}
    end)
    local ok, err = run(function() return plan.fetch(ctx, { "clients", "clientGrants" }) end)
    assert.is_true(ok, tostring(err))
    assert.equals(1, reads)
    assert.equals(ctx.current.clients, seen)
    assert.is_nil(next(ctx.fetching))
  end)

  it("reads a type once when the other fetch asks after that read is done", function()
    local reads = 0
    local seen
    local ctx = setup(function()
      reads = reads + 1
      return A{ { client_id = "c1", name = "one" } }
    end, function(_, c)
      tasks.sleep(0) -- the clients' read is done, plan.fetch has not kept it yet
      tasks.sleep(0)
      seen = handler.current_of(c, "clients")
      return A{}
    end)
    assert.is_true((run(function() return plan.fetch(ctx, { "clients", "clientGrants" }) end)))
    assert.equals(1, reads)
    assert.equals(ctx.current.clients, seen)
  end)

  it("hands handler.read_state the read in flight, and nothing when none was made", function()
    local reads, seen, unread = 0, nil, "not asked"
    local ctx = setup(function()
      reads = reads + 1
      tasks.sleep(0)
      return A{ { client_id = "c1", name = "one" } }
    end, function(_, c)
      seen = handler.read_state(c, "clients")
      unread = handler.read_state(c, "connections")
      return A{}
    end)
    assert.is_true((run(function() return plan.fetch(ctx, { "clients", "clientGrants" }) end)))
    assert.equals(1, reads)
    assert.equals(ctx.current.clients, seen)
    assert.is_nil(unread)
    assert.equals(ctx.current.clients, handler.read_state(ctx, "clients"))
  end)

  it("reads the type itself when the fetch in flight fails", function()
    local reads = 0
    local ctx = setup(function()
      reads = reads + 1
      local first = reads == 1
      tasks.sleep(0)
      if first then return nil, "unavailable" end
      return A{}
    end, function(_, c)
      handler.current_of(c, "clients")
      return A{}
    end)
    local ok = run(function() return plan.fetch(ctx, { "clients", "clientGrants" }) end)
    assert.is_nil(ok)
    assert.equals(2, reads)
  end)
end)
