local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local function policy(selector, configuration)
  return { resource = "oauth_authentication_api", consumer = "client",
    consumer_selector = selector, configuration = configuration
      or { action = "block", limit = 100 } }
end

local function remote(id, ...)
  local p = policy(...)
  p.id, p.created_at, p.updated_at = id, "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
  return p
end

local function deploy(desired, tenant, cfg)
  return env.deploy{ config = cfg or {},
    routes = { ["LIST /rate-limit-policies"] = A(tenant or {}) },
    desired = { rateLimitPolicies = A(desired) } }
end

local pointers = env.pointers

describe("handlers/rate_limit_policies", function()
  local h = env.handler("rateLimitPolicies")

  describe("schema", function()
    it("takes the three configurations and the API's selectors", function()
      assert.is_true(env.check("rateLimitPolicies", A{
        policy("default", { action = "allow" }),
        policy("third_party_clients", { action = "log", limit = 5 }),
        policy("cimd_clients", { action = "block", limit = 5 }),
        policy("client_id:abc", { action = "redirect", limit = 1,
          redirect_uri = "https://example.com/limited" }),
      }))
    end)

    it("refuses a misspelt action, a limit on allow, a redirect without its URI, an unknown "
      .. "resource or selector, and a missing field", function()
      local ok, problems = env.check("rateLimitPolicies", A{
        policy("default", { action = "blok", limit = 1 }),
        policy("third_party_clients", { action = "allow", limit = 1 }),
        policy("cimd_clients", { action = "redirect", limit = 1 }),
        { resource = "management_api", consumer = "client", consumer_selector = "client_id:x",
          configuration = { action = "allow" } },
        policy("everyone"),
        { consumer_selector = "client_id:y", configuration = { action = "allow" } },
      })
      assert.is_false(ok)
      local at = pointers(problems)
      for _, p in ipairs({ "/rateLimitPolicies/0/configuration",
        "/rateLimitPolicies/1/configuration", "/rateLimitPolicies/2/configuration",
        "/rateLimitPolicies/3/resource", "/rateLimitPolicies/4/consumer_selector",
        "/rateLimitPolicies/5" }) do
        assert.is_true(at[p], p)
      end
    end)

    it("refuses two policies for one selector", function()
      local ok, problems = env.check("rateLimitPolicies", A{ policy("default"),
        policy("default") })
      assert.is_false(ok)
      assert.is_true(pointers(problems)["/rateLimitPolicies/1/consumer_selector"])
    end)
  end)

  describe("import", function()
    it("creates without the server's fields", function()
      local r = deploy({ policy("default") })
      assert.is_nil(r.err)
      assert.same({ policy("default") }, env.bodies(r.ctx.api, "POST", "/rate-limit-policies"))
    end)

    it("sends nothing for an unchanged tenant", function()
      local r = deploy({ policy("default"), policy("cimd_clients", { action = "allow" }) },
        { remote("rlp_2", "cimd_clients", { action = "allow" }), remote("rlp_1", "default") })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends only the configuration of the changed policy, whole", function()
      local r = deploy({ policy("default", { action = "allow" }), policy("cimd_clients") },
        { remote("rlp_1", "default"), remote("rlp_2", "cimd_clients") })
      assert.is_nil(r.err)
      assert.equal(1, #r.ctx.api:writes())
      assert.same({ { configuration = { action = "allow" } } },
        env.bodies(r.ctx.api, "PATCH", "/rate-limit-policies/rlp_1"))
    end)

    it("deletes a policy the files lack only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({ policy("default") }, { remote("rlp_1", "default"),
        remote("rlp_2", "cimd_clients") })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      r = deploy({ policy("default") }, { remote("rlp_1", "default"),
        remote("rlp_2", "cimd_clients") }, { AUTH0_ALLOW_DELETE = "true" })
      assert.same({ "/rate-limit-policies/rlp_2" }, (function()
        local out = {}
        for _, w in ipairs(r.ctx.api:find("DELETE")) do out[#out + 1] = w.path end
        return out
      end)())
    end)
  end)

  describe("export", function()
    it("leaves out the id and the timestamps; the id stays with AUTH0_EXPORT_IDENTIFIERS",
      function()
        assert.same(policy("default"), handler.export_item(h, env.ctx(),
          remote("rlp_1", "default")))
        local out = handler.export_item(h,
          env.ctx{ config = { AUTH0_EXPORT_IDENTIFIERS = true } }, remote("rlp_1", "default"))
        assert.equal("rlp_1", out.id)
        assert.is_nil(out.updated_at)
      end)
  end)
end)
