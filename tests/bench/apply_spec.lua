-- a0lua.apply: scheduling that the deploy benchmark asked for (the rest of apply is specified in
-- tests/lua/apply_spec.lua): a handler that reads a lookup list once per run is not made to
-- read it once per change, and the API client coalesces identical reads while apply runs.
local apply = require("a0lua.apply")
local plan = require("a0lua.plan")
local handlers = require("a0lua.handlers")
local tasks = require("a0lua.tasks")
local json = require("a0lua.core.json")

local A = json.array

-- A clients handler whose create looks a list up through a per-run cache, as the grant and
-- connection handlers do; reads counts the list reads.
local function setup(concurrency)
  local state = { reads = 0, cache = nil }
  local registry = handlers.new{
    {
      type = "clients",
      create = function(_, _, payload)
        if state.cache == nil then
          state.reads = state.reads + 1
          tasks.sleep(5) -- the read is on the wire
          state.cache = { "list" }
        end
        tasks.sleep(1)
        return { id = payload.name, name = payload.name }
      end,
    },
  }
  local ctx = { config = { concurrency = concurrency }, handlers = registry,
    current = { clients = A{} } }
  return ctx, state
end

local function run(ctx, n)
  local desired = A{}
  for i = 1, n do desired[i] = { name = "client " .. i } end
  local sched = tasks.new{}
  local t = sched:spawn(function()
    local p = assert(plan.compute(ctx, { clients = desired }))
    return apply.run(ctx, p)
  end)
  local report = t:wait()
  sched:close()
  return report
end

describe("a0lua.apply (scheduling)", function()
  it("runs the first change of a type ahead when there are more changes than requests in flight",
      function()
    local ctx, state = setup(8)
    local report = run(ctx, 30)
    assert.equals(30, report.types.clients.created)
    assert.equals(1, state.reads)
  end)

  it("does not hold up a type's changes for another type's slow first change", function()
    local ctx, state = setup(8)
    local clients = ctx.handlers:get("clients")
    local created, seen_by_role = 0, nil
    ctx.handlers = handlers.new{
      { type = "clients", create = function(...)
          local r = clients.create(...)
          created = created + 1
          return r
        end },
      { type = "roles", create = function(_, _, payload)
          -- Slow as an action's build, say: done once every client is created. Held behind it,
          -- they never would be: a minute bounds that hang (a fixed sleep would race them).
          local deadline = tasks.now() + 60000
          while created < 20 and tasks.now() < deadline do tasks.sleep(1) end
          seen_by_role = created
          return { id = payload.name, name = payload.name }
        end },
    }
    ctx.current.roles = A{}
    local desired = { clients = A{}, roles = A{ { name = "slow" } } }
    for i = 1, 20 do desired.clients[i] = { name = "client " .. i } end
    local sched = tasks.new{}
    local report = sched:spawn(function()
      return apply.run(ctx, assert(plan.compute(ctx, desired)))
    end):wait()
    sched:close()
    assert.equals(20, report.types.clients.created)
    assert.equals(1, report.types.roles.created)
    assert.equals(20, seen_by_role) -- every client was created while the role's create waited
    assert.equals(1, state.reads)
  end)

  it("starts every change at once when they fit in the requests in flight", function()
    local ctx, state = setup(8)
    local report = run(ctx, 4)
    assert.equals(4, report.types.clients.created)
    assert.equals(4, state.reads) -- each found the list not read yet
  end)

  it("turns the API client's coalescing on while it runs, and off again", function()
    local ctx = setup(8)
    local seen
    ctx.api = assert(require("a0lua.api").new{ domain = "http://127.0.0.1:9",
      access_token = "unused" })
    ctx.handlers:get("clients").create = function(_, c, payload)
      seen = c.api.coalesce
      return { id = payload.name, name = payload.name }
    end
    run(ctx, 1)
    assert.is_true(seen)
    assert.is_false(ctx.api.coalesce)
  end)
end)
