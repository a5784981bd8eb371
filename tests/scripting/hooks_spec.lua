-- a0lua.hooks: registering, loading hooks files and calling hooks at each point (no network).
local hooks = require("a0lua.hooks")
local plan_mod = require("a0lua.plan")
local json = require("a0lua.core.json")

local FIXTURES = "tests/fixtures/scripting/hooks/"

local function change(op, type_name, key, payload)
  return { op = op, type = type_name, key = key, payload = payload or { name = key } }
end

-- A logger that keeps what it is told.
local function memory_log()
  local lines = {}
  return { lines = lines, warn = function(_, msg) lines[#lines + 1] = tostring(msg) end }
end

describe("a0lua.hooks", function()
  after_each(function() hooks.clear() end)

  describe("registry:on", function()
    it("registers hooks for every point and counts them", function()
      local r = hooks.new()
      for _, point in ipairs(hooks.POINTS) do r:on(point, function() end) end
      r:on("before", "clients", function() end)
      assert.equal(7, r:count())
      assert.equal(2, r:count("before"))
    end)

    it("raises on an unknown point, a missing function and a type where none is taken", function()
      local r = hooks.new()
      assert.has_error(function() r:on("sometime", function() end) end,
        "hooks.on: unknown point sometime (one of load, plan, before, after, done, error)")
      assert.has_error(function() r:on("load", 42) end, "hooks.on: fn must be a function")
      assert.has_error(function() r:on("done", "clients", function() end) end,
        "hooks.on: done hooks take no type (only load, before and after do)")
    end)
  end)

  describe("hooks.on", function()
    it("adds to hooks.default outside a hooks file, which every config then includes", function()
      hooks.on("done", function() end)
      local r = assert(hooks.for_config({}))
      assert.equal(1, r:count("done"))
      hooks.clear()
      assert.is_nil(hooks.for_config({}))
    end)
  end)

  describe("load", function()
    it("runs a file that registers with hooks.on", function()
      local r = assert(hooks.load(FIXTURES .. "veto_load.lua"))
      assert.equal(1, r:count("load"))
    end)

    it("takes the hooks a file returns as a table", function()
      local r = assert(hooks.load(FIXTURES .. "table_form.lua"))
      assert.equal(1, r:count("plan"))
      assert.equal(2, r:count("done"))
      r:run_done({}, {})
      assert.same({ "done 1", "done 2" }, _G.TABLE_FORM_SEEN)
      _G.TABLE_FORM_SEEN = nil
    end)

    it("returns a hook_load error with the line of a file that does not compile", function()
      -- Written here: a fixture that does not compile would fail `make lint`.
      local path = os.tmpname()
      local f = assert(io.open(path, "wb"))
      f:write("-- Does not compile (line 3).\nlocal hooks = require \"a0lua.hooks\"\n"
        .. "hooks.on(\"load\", function( end)\n")
      f:close()
      local r, err = hooks.load(path)
      os.remove(path)
      assert.is_nil(r)
      assert.equal("hook_load", err.code)
      assert.equal(path, err.file)
      assert.equal(3, err.line)
      assert.matches(path .. ":3: ", tostring(err), 1, true)
    end)

    it("returns a hook_load error for a file that raises while it loads", function()
      local r, err = hooks.load(FIXTURES .. "raises_on_load.lua")
      assert.is_nil(r)
      assert.equal("hook_load", err.code)
      assert.equal(3, err.line)
      assert.matches("unknown point nowhere", err.message, 1, true)
    end)

    it("returns a hook_load error for a file that returns something else", function()
      local _, err = hooks.load(FIXTURES .. "bad_return.lua")
      assert.equal("hook_load", err.code)
      assert.matches("returns nothing or a table", err.message, 1, true)
      local _, err2 = hooks.load(FIXTURES .. "unknown_point.lua")
      assert.equal("hook_load", err2.code)
      assert.matches("unknown hook point after_everything", err2.message, 1, true)
    end)

    it("raises when the file is not a string", function()
      assert.has_error(function() hooks.load(42) end, "hooks.load: file must be a string")
    end)
  end)

  describe("for_config", function()
    it("loads cfg.hooks once per config and is nil without hooks", function()
      local cfg = { hooks = FIXTURES .. "veto_load.lua" }
      local r = assert(hooks.for_config(cfg))
      assert.equal(r, hooks.for_config(cfg))
      assert.is_nil(hooks.for_config({}))
    end)

    it("returns a hook_load error for a file that does not exist", function()
      local r, err = hooks.for_config({ hooks = FIXTURES .. "missing.lua" })
      assert.is_nil(r)
      assert.equal("hook_load", err.code)
      assert.matches("no such hooks file", err.message, 1, true)
    end)
  end)

  describe("run_load", function()
    it("gives a typed hook that type's value and keeps a table it returns", function()
      local r = hooks.new()
      r:on("load", "clients", function(clients)
        local out = json.array()
        for _, c in ipairs(clients) do out[#out + 1] = c end
        out[#out + 1] = { name = "Added" }
        return out
      end)
      r:on("load", "roles", function() error("never called: no roles") end)
      local desired = assert(r:run_load({ clients = json.array{ { name = "A" } } }, {}))
      assert.equal("Added", desired.clients[2].name)
    end)

    it("replaces the whole desired state with a table an untyped hook returns", function()
      local r = hooks.new():on("load", function() return { tenant = { friendly_name = "x" } } end)
      assert.same({ tenant = { friendly_name = "x" } }, r:run_load({ clients = {} }, {}))
    end)

    it("returns a hook_veto error at the line of the hook's return", function()
      local r = assert(hooks.load(FIXTURES .. "veto_load.lua"))
      local desired, err = r:run_load({ clients = json.array{ { name = "Bare" } } }, {})
      assert.is_nil(desired)
      assert.equal("hook_veto", err.code)
      assert.equal("load", err.point)
      assert.equal("clients", err.type)
      assert.equal(FIXTURES .. "veto_load.lua", err.file)
      assert.equal(7, err.line)
      assert.equal("client Bare has no description", err.reason)
      assert.equal(FIXTURES .. "veto_load.lua:7: hook load (clients) vetoed: client Bare has "
        .. "no description", tostring(err))
    end)

    it("takes false as a veto too", function()
      local r = hooks.new():on("load", function() return false end)
      local _, err = r:run_load({}, {})
      assert.equal("hook_veto", err.code)
      assert.equal("vetoed", err.reason)
    end)
  end)

  describe("run_plan", function()
    it("makes a plain table a hook returns into a plan", function()
      local r = hooks.new():on("plan", function(p)
        local keep = {}
        for _, c in ipairs(p:changes()) do
          if c.type ~= "roles" then keep[#keep + 1] = c end
        end
        return { changes = keep }
      end)
      local p = plan_mod.new{ changes = { change("create", "roles", "r"),
        change("create", "clients", "c") } }
      local out = assert(r:run_plan(p, {}))
      assert.equal(1, #out:changes())
      assert.equal("clients", out:changes()[1].type)
      assert.is_true(out:has_changes())
    end)

    it("returns a hook_error with where the hook raised", function()
      local r = hooks.new():on("plan", function() error({ message = "plan refused" }) end)
      local p, err = r:run_plan(plan_mod.new{}, {})
      assert.is_nil(p)
      assert.equal("hook_error", err.code)
      assert.equal("plan refused", err.reason)
      assert.matches("hooks_spec.lua$", err.file)
      assert.is_true(err.line > 0)
    end)
  end)

  describe("run_before", function()
    it("replaces a payload with the table a hook returns, only for its type", function()
      local r = hooks.new():on("before", "clients", function(c)
        local p = c.payload
        p.client_metadata = { owner = "me" }
        return p
      end)
      local changes = { change("create", "clients", "A"), change("create", "roles", "R"),
        change("skip", "clients", "S") }
      assert.is_true(r:run_before(changes, {}))
      assert.same({ owner = "me" }, changes[1].payload.client_metadata)
      assert.is_nil(changes[2].payload.client_metadata)
      assert.is_nil(changes[3].payload.client_metadata)
    end)

    it("stops at the first veto with the change in the error", function()
      local calls = 0
      local r = hooks.new():on("before", function(c)
        calls = calls + 1
        if c.key == "Bad" then return nil, "refused" end
      end)
      local ok, err = r:run_before({ change("update", "clients", "Bad"),
        change("update", "clients", "Good") }, {})
      assert.is_nil(ok)
      assert.equal(1, calls)
      assert.equal("hook_veto", err.code)
      assert.equal("update", err.op)
      assert.equal("Bad", err.key)
      assert.matches("hook before (update clients Bad) vetoed: refused", tostring(err), 1, true)
    end)

    it("returns a hook_error at the line of error() in a hooks file", function()
      local r = assert(hooks.load(FIXTURES .. "raise_before.lua"))
      local ok, err = r:run_before({ change("create", "clients", "X") }, {})
      assert.is_nil(ok)
      assert.equal("hook_error", err.code)
      assert.equal(5, err.line)
      assert.equal("no writes to clients today: X", err.reason)
    end)
  end)

  describe("run_before_again", function()
    it("gives a change computed again the hooked payload, and hooks only what differs", function()
      local calls = {}
      local r = hooks.new():on("before", function(c)
        calls[#calls + 1] = c.key
        c.payload.stamped = true
        return c.payload
      end)
      local first = { change("create", "clients", "Same", { name = "Same" }),
        change("create", "clients", "Moved", { name = "Moved", grant = "name" }) }
      assert.is_true(r:run_before(first, {}))
      local fresh = { change("create", "clients", "Same", { name = "Same" }),
        change("create", "clients", "Moved", { name = "Moved", grant = "id123" }),
        change("create", "clients", "New", { name = "New" }) }
      assert.is_true(r:run_before_again(fresh, first, {}))
      assert.same({ "Same", "Moved", "Moved", "New" }, calls)
      assert.same({ name = "Same", stamped = true }, fresh[1].payload)
      assert.same({ name = "Moved", grant = "id123", stamped = true }, fresh[2].payload)
    end)
  end)

  describe("run_after, run_done and run_error", function()
    it("log a failing hook as a warning and go on", function()
      local log = memory_log()
      local after = {}
      local r = hooks.new()
      r:on("after", function() error("after broke") end)
      r:on("after", "clients", function(c, result)
        after[#after + 1] = c.key .. " " .. result.id
      end)
      r:on("done", function() return nil, "webhook down" end)
      r:run_after(change("create", "clients", "A"), { id = "1" }, { log = log })
      r:run_done({}, { log = log })
      assert.same({ "A 1" }, after)
      assert.equal(2, #log.lines)
      assert.matches("after broke", log.lines[1], 1, true)
      assert.matches("hook done vetoed: webhook down", log.lines[2], 1, true)
    end)

    it("reports an error table once", function()
      local seen = 0
      local r = hooks.new():on("error", function() seen = seen + 1 end)
      local err = { code = "x", message = "m" }
      r:run_error(err, {})
      r:run_error(err, {})
      r:run_error({ code = "y" }, {})
      assert.equal(2, seen)
    end)
  end)
end)
