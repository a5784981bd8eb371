local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local json = require("a0lua.core.json")

local A = json.array

local function binding(name, display)
  return { id = "b-" .. name, trigger_id = "post-login", display_name = display or name,
    action = { id = "id-" .. name, name = name } }
end

local function routes(bound, extra)
  local r = {
    ["LIST /actions/triggers"] = A{ { id = "post-login", version = "v3" },
      { id = "post-login", version = "v2" }, { id = "credentials-exchange", version = "v2" } },
    ["GET /actions/triggers/post-login/bindings"] = { bindings = A(bound or {}) },
    ["GET /actions/triggers/credentials-exchange/bindings"] = { bindings = A{} },
    ["LIST /actions/actions"] = A{ { id = "id-first", name = "first" },
      { id = "id-second", name = "second" } },
  }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local function deploy(desired, bound, extra)
  return env.deploy{ routes = routes(bound, extra), desired = { triggers = desired } }
end

local function patches(r, trigger)
  return env.bodies(r.ctx.api, "PATCH", "/actions/triggers/" .. trigger .. "/bindings")
end

describe("handlers/triggers", function()
  local h = env.handler("triggers")

  describe("schema", function()
    it("accepts lists of bindings per trigger, empty ones included", function()
      assert.is_true(env.check("triggers", { ["post-login"] = A{ { action_name = "first",
        display_name = "First" } }, ["credentials-exchange"] = A{} }))
      assert.is_true(env.check("triggers", {}))
    end)

    it("rejects a trigger that is not a list and a binding without action_name", function()
      local ok, problems = env.check("triggers", { ["post-login"] = { action_name = "x" },
        ["send-phone-message"] = A{ { display_name = "y" } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/triggers/post-login"])
      assert.is_true(pointers["/triggers/send-phone-message/0"])
    end)
  end)

  describe("fetch", function()
    it("reads each trigger once and keeps those with bindings", function()
      local ctx = env.ctx{ routes = routes{ binding("first"), binding("second", "Second") } }
      assert.same({ ["post-login"] = A{ { action_name = "first", display_name = "first" },
        { action_name = "second", display_name = "Second" } } }, h:fetch(ctx))
      assert.equal(1, #ctx.api:find("GET", "/actions/triggers/post-login/bindings"))
    end)

    it("warns about a trigger whose bindings cannot be read", function()
      local ctx = env.ctx{ routes = routes(nil, { ["GET /actions/triggers/post-login/bindings"] =
        fake.fail(400, "entity-bound trigger") }) }
      assert.same({}, h:fetch(ctx))
      assert.matches("post%-login", ctx.log.lines.warn[1])
    end)

    it("reads actions switched off on the tenant as no bindings", function()
      local ctx = env.ctx{ routes = { ["LIST /actions/triggers"] = fake.fail(403, "off",
        "feature_not_enabled") } }
      assert.same({}, h:fetch(ctx))
    end)
  end)

  describe("import", function()
    it("sets the whole ordered list with actions by id", function()
      local r = deploy({ ["post-login"] = A{ { action_name = "second", display_name = "2nd" },
        { action_name = "first", display_name = "first" } } }, { binding("first") })
      assert.is_nil(r.err)
      assert.same({ { bindings = A{
        { ref = { type = "action_id", value = "id-second" }, display_name = "2nd" },
        { ref = { type = "action_id", value = "id-first" }, display_name = "first" } } } },
        patches(r, "post-login"))
    end)

    it("makes no request when the bindings match in order", function()
      local r = deploy({ ["post-login"] = A{ { action_name = "first", display_name = "first" } },
        ["credentials-exchange"] = A{} }, { binding("first") })
      assert.same({}, r.ctx.api:writes())
    end)

    it("changes the order when only the order differs", function()
      local r = deploy({ ["post-login"] = A{ { action_name = "second" },
        { action_name = "first" } } }, { binding("first"), binding("second") })
      assert.equal(1, #patches(r, "post-login"))
    end)

    it("unbinds every action for an empty list", function()
      local r = deploy({ ["post-login"] = A{} }, { binding("first") })
      assert.same({ { bindings = A{} } }, patches(r, "post-login"))
    end)

    it("refers to an action it cannot find by name", function()
      local r = deploy({ ["post-login"] = A{ { action_name = "market" } } })
      assert.same({ type = "action_name", value = "market" },
        patches(r, "post-login")[1].bindings[1].ref)
    end)

    it("returns the error of a refused binding", function()
      local r = deploy({ ["post-login"] = A{ { action_name = "first" } } }, {},
        { ["PATCH /actions/triggers/post-login/bindings"] = fake.fail(400,
          "The action first must be deployed before it can be bound to a trigger") })
      assert.equal("apply_failed", r.err.code)
      assert.matches("must be deployed", tostring(r.err))
    end)
  end)
end)
