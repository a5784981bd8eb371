local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local function acl(priority, description, extra)
  local a = { description = description or ("ACL " .. priority), active = true,
    priority = priority, rule = { action = { block = true }, scope = "authentication",
      match = { geo_country_codes = A{ "US", "CA" } } } }
  for k, v in pairs(extra or {}) do a[k] = v end
  return a
end

local function remote(id, ...)
  local a = acl(...)
  a.id, a.created_at, a.updated_at = id, "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
  return a
end

local function deploy(desired, tenant, cfg)
  return env.deploy{ config = cfg or {}, routes = { ["LIST /network-acls"] = A(tenant or {}) },
    desired = { networkACLs = A(desired) } }
end

local pointers = env.pointers

describe("handlers/network_acls", function()
  local h = env.handler("networkACLs")

  describe("schema", function()
    it("takes every action, scope and signal the API has", function()
      assert.is_true(env.check("networkACLs", A{
        acl(1, "a", { rule = { action = { redirect = true, redirect_uri = "https://x.example" },
          scope = "tenant", not_match = { asns = A{ 64512 }, auth0_managed = A{ "auth0.bots" },
            ipv4_cidrs = A{ "10.0.0.0/8" }, hostnames = A{ "login.example.com" } } } }),
        acl(2, "b", { rule = { action = { log = true }, scope = "dynamic_client_registration",
          match = { user_agents = A{ "curl/8" } }, not_match = { ja3_fingerprints = A{ "x" } } } }),
      }))
    end)

    it("refuses a misspelt scope, an unknown action, extra keys and a rule matching nothing",
      function()
        local ok, problems = env.check("networkACLs", A{
          acl(1, "a", { rule = { action = { block = true }, scope = "managment",
            match = { asns = A{ 1 } } } }),
          acl(2, "b", { rule = { action = { deny = true }, scope = "tenant",
            match = { asns = A{ 1 } } } }),
          acl(3, "c", { rule = { action = { allow = true }, scope = "tenant" } }),
          acl(4, "d", { enabled = true }),
          acl(5, "e", { rule = { action = { allow = true }, scope = "tenant",
            match = { auth0_managed = A{ "bots" } } } }),
          acl(6, "f", { rule = { action = { redirect = true }, scope = "tenant",
            match = { asns = A{ 1 } } } }),
        })
        assert.is_false(ok)
        local at = pointers(problems)
        for i = 0, 5 do
          local found = false
          for p in pairs(at) do
            if p:find("^/networkACLs/" .. i) then found = true end
          end
          assert.is_true(found, "item " .. i)
        end
      end)

    it("requires description, active, priority and rule, and a priority of 1 to 100", function()
      local ok, problems = env.check("networkACLs", A{ { description = "x" },
        acl(101, "y"), acl(0, "z") })
      assert.is_false(ok)
      local at = pointers(problems)
      assert.is_true(at["/networkACLs/0"])
      assert.is_true(at["/networkACLs/1/priority"])
      assert.is_true(at["/networkACLs/2/priority"])
    end)

    it("refuses two ACLs of one priority (the API keeps one per priority)", function()
      local ok, problems = env.check("networkACLs", A{ acl(3, "a"), acl(3, "b") })
      assert.is_false(ok)
      assert.is_true(pointers(problems)["/networkACLs/1/priority"])
    end)
  end)

  describe("import", function()
    it("creates without the server's fields", function()
      local r = deploy({ acl(1, "a") })
      assert.is_nil(r.err)
      assert.same({ acl(1, "a") }, env.bodies(r.ctx.api, "POST", "/network-acls"))
    end)

    it("sends nothing for an unchanged tenant", function()
      local r = deploy({ acl(1, "a"), acl(2, "b") }, { remote("acl_2", 2, "b"),
        remote("acl_1", 1, "a") })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends only the changed ACL, its rule whole, when a signal was removed", function()
      local want = acl(2, "b")
      want.rule.match = { geo_country_codes = A{ "US" } }
      local have = remote("acl_2", 2, "b")
      have.rule.match.user_agents = A{ "curl/8" }
      local r = deploy({ acl(1, "a"), want }, { remote("acl_1", 1, "a"), have })
      assert.is_nil(r.err)
      assert.equal(1, #r.ctx.api:writes())
      assert.same({ { rule = want.rule } }, env.bodies(r.ctx.api, "PATCH", "/network-acls/acl_2"))
    end)

    it("does not pair a new ACL with an unrelated one of the same `active` (a0deploy does)",
      function()
        local r = deploy({ acl(1, "a"), acl(7, "new") }, { remote("acl_1", 1, "a"),
          remote("acl_9", 9, "old") })
        assert.is_nil(r.err)
        assert.same({ acl(7, "new") }, env.bodies(r.ctx.api, "POST", "/network-acls"))
        assert.same({}, env.bodies(r.ctx.api, "PATCH", "/network-acls/acl_9"))
        assert.equal(0, #r.ctx.api:find("DELETE"))
        local ops = {}
        for _, c in ipairs(r.plan:changes()) do ops[c.op] = (ops[c.op] or 0) + 1 end
        assert.same({ create = 1, skip = 1 }, ops)
      end)

    it("moves an ACL to another priority by its description, and deletes only when allowed",
      function()
        local r = deploy({ acl(4, "a") }, { remote("acl_1", 1, "a"), remote("acl_2", 2, "b") })
        assert.is_nil(r.err)
        assert.same({ { priority = 4 } }, env.bodies(r.ctx.api, "PATCH", "/network-acls/acl_1"))
        assert.equal(0, #r.ctx.api:find("DELETE"))
        r = deploy({ acl(4, "a") }, { remote("acl_1", 1, "a"), remote("acl_2", 2, "b") },
          { AUTH0_ALLOW_DELETE = true })
        assert.equal(1, #r.ctx.api:find("DELETE"))
        assert.equal("/network-acls/acl_2", r.ctx.api:find("DELETE")[1].path)
      end)
  end)

  describe("export", function()
    it("leaves out the server's timestamps and the id (kept with AUTH0_EXPORT_IDENTIFIERS)",
      function()
        local out = handler.export_item(h, env.ctx(), remote("acl_1", 1, "a"))
        assert.same(acl(1, "a"), out)
        out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_IDENTIFIERS = true } },
          remote("acl_1", 1, "a"))
        assert.equal("acl_1", out.id)
        assert.is_nil(out.created_at)
      end)
  end)
end)
