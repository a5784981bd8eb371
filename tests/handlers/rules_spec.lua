local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local json = require("a0lua.core.json")

local A = json.array

local function rule(name, order, extra)
  local r = { name = name, order = order, script = "function (u, c, cb) { cb(null, u, c); }" }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local function deploy(desired, remote, cfg)
  local r = env.deploy{ config = cfg or {}, routes = { ["LIST /rules"] = A(remote or {}) },
    desired = { rules = A(desired) } }
  assert.is_nil(r.problems and r.problems[1] and tostring(r.problems[1].message))
  return r
end

local function pointers(problems)
  local out = {}
  for _, p in ipairs(problems) do out[p.pointer] = p.message end
  return out
end

describe("handlers/rules", function()
  local h = env.handler("rules")

  describe("schema and validation", function()
    it("checks the name pattern, the stage enum and the order's type", function()
      assert.is_true(env.check("rules", A{ rule("Add Claims", 1), rule("other-rule", json.null,
        { stage = "pre_authorize", enabled = false }) }))
      local ok, problems = env.check("rules", A{ rule("-bad", 1), rule("x y", "1",
        { stage = "login_sucess" }) })
      assert.is_false(ok)
      local at = pointers(problems)
      for _, p in ipairs({ "/rules/0/name", "/rules/1/order", "/rules/1/stage" }) do
        assert.is_truthy(at[p], p)
      end
    end)

    it("refuses two rules of the files with one order", function()
      local ok, problems = env.check("rules", A{ rule("one", 3), rule("two", 3) })
      assert.is_false(ok)
      assert.matches("order 3 is also rule \"one\"'s", pointers(problems)["/rules/1/order"], 1,
        true)
    end)
  end)

  describe("import", function()
    it("creates with the stage and without a null order", function()
      local r = deploy({ rule("new-rule", json.null) })
      assert.is_nil(r.err)
      local posts = env.bodies(r.ctx.api, "POST", "/rules")
      assert.equal(1, #posts)
      assert.equal("login_success", posts[1].stage)
      assert.is_nil(posts[1].order)
      assert.is_true(posts[1].enabled)
    end)

    it("sends nothing for an unchanged rule, and only what differs otherwise", function()
      local current = rule("same", 1, { id = "rul_1", enabled = true, stage = "login_success" })
      local r = deploy({ rule("same", 1) }, { current })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      r = deploy({ rule("same", 1, { enabled = false }) }, { current })
      assert.same({ { enabled = false } }, env.bodies(r.ctx.api, "PATCH", "/rules/rul_1"))
    end)

    it("moves an existing rule whose order a changed rule takes, once, before any write",
      function()
        local r = deploy({ rule("rule-a", 2), rule("rule-b", 1) }, {
          rule("rule-a", 1, { id = "rul_a", enabled = true, stage = "login_success" }),
          rule("rule-b", 2, { id = "rul_b", enabled = true, stage = "login_success" }) })
        assert.is_nil(r.err)
        local writes = r.ctx.api:writes()
        assert.equal(4, #writes)
        -- the two moves first, past the highest order of both sides
        local moved = { [writes[1].path] = writes[1].body.order,
          [writes[2].path] = writes[2].body.order }
        assert.same({ ["/rules/rul_b"] = 3, ["/rules/rul_a"] = 4 }, moved)
        assert.same({ { order = 4 }, { order = 2 } },
          env.bodies(r.ctx.api, "PATCH", "/rules/rul_a"))
        -- the plan says so
        assert.matches("rules: rule-b is moved to order 3 first (its order goes to rule-a)",
          table.concat(r.ctx.log.lines.info, "\n"), 1, true)
      end)

    it("refuses a change of stage, and an order an excluded rule holds", function()
      local ok, err = pcall(deploy, { rule("rule-a", 1, { stage = "login_failure" }) },
        { rule("RULE-A", 1, { id = "rul_a", stage = "login_success" }) })
      assert.is_false(ok)
      assert.equal("rule_stage", err.code)
      ok, err = pcall(deploy, { rule("rule-a", 1) },
        { rule("kept", 1, { id = "rul_k", stage = "login_success" }) },
        { AUTH0_EXCLUDED_RULES = { "kept" } })
      assert.is_false(ok)
      assert.equal("rule_order", err.code)
    end)

    it("deletes a tenant-only rule only with AUTH0_ALLOW_DELETE", function()
      local extra = rule("old", 5, { id = "rul_o", stage = "login_success" })
      local r = deploy({}, { extra })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { extra }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/rules/rul_o"))
    end)

    it("warns that rules are deprecated when the files have some", function()
      local r = deploy({ rule("rule-a", 1) })
      assert.matches("Rules are deprecated", table.concat(r.ctx.log.lines.warn, "\n"), 1, true)
    end)
  end)

  describe("a tenant without rules (403, deprecated)", function()
    local routes = { ["LIST /rules"] = fake.fail(403, "Insufficient privileges to use this "
      .. "deprecated feature") }

    it("reads as none when the files ask for none", function()
      local ctx = env.ctx{ routes = routes }
      assert.same({}, h:fetch(ctx, A{}))
    end)

    it("is an error naming the type when the files ask for rules", function()
      local ctx = env.ctx{ routes = routes }
      local list, err = h:fetch(ctx, A{ rule("a", 1) })
      assert.is_nil(list)
      assert.equal("rules_unavailable", err.code)
      assert.matches("exclude the type", err.message, 1, true)
      -- (an export, want nil, gets the 403 and leaves rules out with a warning)
      list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.equal(403, err.status)
    end)
  end)

  describe("export", function()
    it("leaves AUTH0_EXCLUDED_RULES out and the id unless asked", function()
      local ctx = env.ctx{ config = { AUTH0_EXCLUDED_RULES = { "kept" } } }
      local handler = require("a0lua.handler")
      assert.is_nil(handler.export_item(h, ctx, rule("kept", 1, { id = "rul_k" })))
      local out = handler.export_item(h, ctx, rule("a", 1, { id = "rul_a" }))
      assert.is_nil(out.id)
      assert.equal("a", out.name)
      -- --export_ids keeps it
      ctx = env.ctx{ config = { AUTH0_EXPORT_IDENTIFIERS = true } }
      assert.equal("rul_a", handler.export_item(h, ctx, rule("a", 1, { id = "rul_a" })).id)
    end)
  end)
end)
