local apply = require("a0lua.apply")
local plan = require("a0lua.plan")
local handlers = require("a0lua.handlers")
local handler = require("a0lua.handler")
local tasks = require("a0lua.tasks")
local json = require("a0lua.core.json")

local A = json.array

-- Handlers whose writes go to a journal instead of an API; `fail` names a key that fails.
local function setup(cfg, current, fail)
  local journal = {}
  local n = 0
  local function writer(type_name)
    return {
      create = function(_, _, payload)
        if fail and payload.name == fail then
          return nil, { code = "api_error", message = "boom" }
        end
        n = n + 1
        journal[#journal + 1] = "create " .. type_name .. " " .. tostring(payload.name or
          payload.audience)
        local out = handler.deep_copy(payload)
        out.id = type_name .. "-" .. n
        return out
      end,
      update = function(_, _, cur, payload)
        journal[#journal + 1] = "update " .. type_name .. " " .. tostring(cur.name or cur.audience)
        return payload
      end,
      delete = function(_, _, cur)
        if fail and cur.name == fail then
          error({ code = "api_error", message = "cannot delete" })
        end
        journal[#journal + 1] = "delete " .. type_name .. " " .. tostring(cur.name or cur.audience)
        return true
      end,
    }
  end
  local function spec(t)
    for k, v in pairs(writer(t.type)) do t[k] = v end
    return t
  end
  local registry = handlers.new{
    spec{ type = "resourceServers", identifiers = { "id", "identifier" } },
    spec{ type = "clients", depends_on = { "resourceServers" } },
    spec{ type = "clientGrants", depends_on = { "clients", "resourceServers" },
      name_field = "audience", identifiers = { "id", { "client_id", "audience" } },
      resolve = function(_, ctx, desired)
        for _, g in ipairs(desired) do
          g.client_id = handler.name_to_id(ctx, "clients", g.client_id) or g.client_id
        end
        return desired
      end },
    -- (depends on nothing here, unlike the catalogue's tenant)
    spec{ type = "tenant", kind = "singleton", depends_on = {} },
  }
  local ctx = { config = cfg or {}, handlers = registry, current = current }
  return ctx, journal
end

local function empty_current()
  return { resourceServers = A{}, clients = A{}, clientGrants = A{}, tenant = {} }
end

describe("a0lua.apply", function()
  describe("run", function()
    it("applies stages in dependency order and deletes last in reverse order", function()
      local current = empty_current()
      current.clients = A{ { id = "old-c", name = "Old" } }
      current.resourceServers = A{ { id = "old-r", name = "OldApi", identifier = "https://old" } }
      current.clientGrants = A{ { id = "old-g", client_id = "old-c", audience = "https://old" } }
      local ctx, journal = setup({ AUTH0_ALLOW_DELETE = true }, current)
      local p = assert(plan.compute(ctx, {
        tenant = { friendly_name = "T" },
        clientGrants = A{ { client_id = "New", audience = "https://api" } },
        clients = A{ { name = "New" } },
        resourceServers = A{ { name = "Api", identifier = "https://api" } },
      }))
      local report = assert(apply.run(ctx, p))
      assert.same({
        "create resourceServers Api", "update tenant nil", "create clients New",
        "create clientGrants https://api",
        "delete clientGrants https://old", "delete clients Old", "delete resourceServers OldApi",
      }, journal)
      assert.same({ created = 1, updated = 0, deleted = 1, skipped = 0 }, report.types.clients)
      assert.same({ created = 0, updated = 1, deleted = 0, skipped = 0 }, report.types.tenant)
      assert.equal(7, #report.applied)
    end)

    it("resolves names of objects created earlier in the same run", function()
      local ctx = setup({}, empty_current())
      local p = assert(plan.compute(ctx, {
        clients = A{ { name = "New" } },
        clientGrants = A{ { client_id = "New", audience = "https://api" } },
      }))
      -- planned before the client exists: the grant still names it
      assert.equal("New", p:changes()[2].payload.client_id)
      assert(apply.run(ctx, p))
      local grant = ctx.current.clientGrants[1]
      assert.equal("clients-1", grant.client_id)
    end)

    it("counts skipped deletes and applies nothing for them", function()
      local current = empty_current()
      current.clients = A{ { id = "c", name = "Stay" } }
      local ctx, journal = setup({}, current)
      local p = assert(plan.compute(ctx, { clients = A{} }))
      local report = assert(apply.run(ctx, p))
      assert.same({}, journal)
      assert.equal(1, report.types.clients.skipped)
      assert.matches("0 created, 0 updated, 0 deleted, 1 skipped", apply.render(report), 1, true)
    end)

    it("renders the counts in one column, also after a type name longer than 22", function()
      local counts = { created = 0, updated = 1, deleted = 0, skipped = 0 }
      local text = apply.render({ types = { clients = counts,
        guardianPhoneFactorSelectedProvider = counts } })
      local columns = {}
      for line in text:gmatch("[^\n]+") do
        local at = line:find(" 0 created", 1, true)
        if line:sub(1, 2) == "  " then columns[#columns + 1] = at end
      end
      assert.equal(2, #columns)
      assert.equal(columns[1], columns[2])
    end)

    it("stops after a failed stage and lists what was applied", function()
      local ctx, journal = setup({}, empty_current(), "Broken")
      local p = assert(plan.compute(ctx, {
        resourceServers = A{ { name = "Api", identifier = "https://api" } },
        clients = A{ { name = "Broken" }, { name = "Fine" } },
        clientGrants = A{ { client_id = "Fine", audience = "https://api" } },
      }))
      local report, err, partial = apply.run(ctx, p)
      assert.is_nil(report)
      assert.equal("apply_failed", err.code)
      assert.equal(1, #err.failures)
      assert.equal("Broken", err.failures[1].key)
      assert.same({ "create resourceServers Api", "create clients Fine" }, journal)
      assert.equal(2, #err.applied)
      assert.matches("create clients Broken: boom", tostring(err), 1, true)
      assert.matches("already applied %(2%)", tostring(err))
      assert.equal(1, partial.types.clients.created)
    end)

    it("turns a raised error in a handler into a failure", function()
      local current = empty_current()
      current.clients = A{ { id = "c", name = "Boom" } }
      local ctx = setup({ AUTH0_ALLOW_DELETE = true }, current, "Boom")
      local p = assert(plan.compute(ctx, { clients = A{} }))
      local report, err = apply.run(ctx, p)
      assert.is_nil(report)
      assert.matches("cannot delete", tostring(err))
    end)

    it("runs the changes of a stage as concurrent tasks inside a scheduler", function()
      local ctx = setup({}, empty_current())
      local running, most = 0, 0
      ctx.handlers:get("clients").create = function(_, _, payload)
        running = running + 1
        most = math.max(most, running)
        tasks.sleep(5)
        running = running - 1
        return { id = payload.name, name = payload.name }
      end
      local sched = tasks.new{}
      local t = sched:spawn(function()
        local p = assert(plan.compute(ctx, { clients = A{ { name = "a" }, { name = "b" },
          { name = "c" } } }))
        return apply.run(ctx, p)
      end)
      local report = t:wait()
      sched:close()
      assert.equal(3, report.types.clients.created)
      assert.equal(3, most)
    end)

    describe("a change that awaits another's create (handler awaits)", function()
      -- Clients whose `follows` names another client of the same run.
      local function with_awaits(ctx)
        local h = ctx.handlers:get("clients")
        h.awaits = function(_, _, change) return { change.payload.follows } end
        return h
      end

      it("is written after it, in order, outside a scheduler too", function()
        local ctx, journal = setup({}, empty_current())
        with_awaits(ctx)
        local p = assert(plan.compute(ctx, { clients = A{
          { name = "C", follows = "B" }, { name = "B", follows = "A" }, { name = "A" } } }))
        assert(apply.run(ctx, p))
        assert.same({ "create clients A", "create clients B", "create clients C" }, journal)
      end)

      it("waits for it inside a scheduler, and a cycle of awaits does not hang", function()
        local ctx, journal = setup({}, empty_current())
        local h = with_awaits(ctx)
        local create = h.create
        h.create = function(...)
          tasks.sleep(5)
          return create(...)
        end
        local p = assert(plan.compute(ctx, { clients = A{
          { name = "Later", follows = "Sooner" }, { name = "Sooner" },
          { name = "X", follows = "Y" }, { name = "Y", follows = "X" } } }))
        local report
        local sched = tasks.new{}
        sched:spawn(function() report = assert(apply.run(ctx, p)) end)
        sched:run()
        sched:close()
        assert.equal(4, report.types.clients.created)
        local at = {}
        for i, line in ipairs(journal) do at[line] = i end
        assert.is_true(at["create clients Sooner"] < at["create clients Later"])
      end)
    end)
  end)
end)
