local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")

local A = env.A

local function tenant_domain(over)
  local d = { custom_domain_id = "cd_1", domain = "login.example.com", type = "auth0_managed_certs",
    primary = false, status = "pending_verification", tls_policy = "recommended",
    is_default = false, verification = { methods = A{ { name = "CNAME", record = "x" } } } }
  for k, v in pairs(over or {}) do d[k] = v end
  return d
end

local function deploy(desired, current, cfg)
  local routes = {
    ["LIST /custom-domains"] = A(current or {}),
    ["POST /custom-domains"] = function(req)
      local d = handler.deep_copy(req.body)
      d.custom_domain_id = "cd_new"
      return d
    end,
  }
  return env.deploy{ config = cfg or {}, routes = routes, desired = { customDomains = A(desired) } }
end

describe("handlers/custom_domains", function()
  local h = env.handler("customDomains")

  describe("schema", function()
    it("needs domain and type, and knows a0deploy's enums", function()
      assert.is_true(env.check("customDomains", A{ { domain = "a.example.com",
        type = "self_managed_certs", custom_client_ip_header = env.null } }))
      local ok, problems = env.check("customDomains", A{ { domain = "a.example.com",
        type = "auth0_managed_cert" } })
      assert.is_false(ok)
      assert.matches("type: must be one of auth0_managed_certs, self_managed_certs",
        tostring(problems[1]), 1, true)
      ok, problems = env.check("customDomains", A{ { domain = "a.example.com",
        type = "self_managed_certs", custom_client_ip_header = "x-azure-clientip" } })
      assert.is_false(ok)
      assert.matches("custom_client_ip_header", tostring(problems[1]), 1, true)
      assert.is_false((env.check("customDomains", A{ { type = "self_managed_certs" } })))
    end)

    it("refuses a second default domain", function()
      local ok, problems = env.check("customDomains", A{
        { domain = "a.example.com", type = "self_managed_certs", is_default = true },
        { domain = "b.example.com", type = "self_managed_certs", is_default = true } })
      assert.is_false(ok)
      assert.matches("only one custom domain can be the default", tostring(problems[1]), 1, true)
    end)
  end)

  describe("fetch", function()
    it("reads the custom domains with checkpoint paging", function()
      local ctx = env.ctx{ routes = { ["LIST /custom-domains"] = A{
        tenant_domain() } } }
      assert.same("login.example.com", h:fetch(ctx)[1].domain)
    end)

    it("names the plan when the tenant cannot have custom domains", function()
      local ctx = env.ctx{ routes = { ["LIST /custom-domains"] = fake.fail(403, "The account is "
        .. "not allowed to perform this operation, please contact our support team") } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.matches("AUTH0_EXCLUDED", err.message, 1, true)
    end)
  end)

  describe("import", function()
    it("creates a domain without the read-only fields and then makes it the default", function()
      local r = deploy({ { domain = "login.example.com", type = "auth0_managed_certs",
        is_default = true, status = "ready", primary = true, tls_policy = "recommended" } })
      assert.is_nil(r.err)
      assert.same({ { domain = "login.example.com", type = "auth0_managed_certs",
        tls_policy = "recommended" } }, env.bodies(r.ctx.api, "POST", "/custom-domains"))
      assert.same({ { domain = "login.example.com" } },
        env.bodies(r.ctx.api, "PATCH", "/custom-domains/default"))
    end)

    it("sends nothing when an export of the tenant is imported again", function()
      local exported = tenant_domain()
      exported.custom_domain_id = nil
      local r = deploy({ exported }, { tenant_domain() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("patches only the fields the API lets change", function()
      local r = deploy({ { domain = "login.example.com", type = "self_managed_certs",
        verification_method = "txt", custom_client_ip_header = "cf-connecting-ip" } },
        { tenant_domain() })
      assert.is_nil(r.err)
      assert.same({ { custom_client_ip_header = "cf-connecting-ip" } },
        env.bodies(r.ctx.api, "PATCH", "/custom-domains/cd_1"))
    end)

    it("sets the default only when another domain is the default", function()
      local r = deploy({ { domain = "login.example.com", type = "auth0_managed_certs",
        is_default = true } }, { tenant_domain() })
      assert.same({ { domain = "login.example.com" } },
        env.bodies(r.ctx.api, "PATCH", "/custom-domains/default"))
      assert.same({}, env.bodies(r.ctx.api, "PATCH", "/custom-domains/cd_1"))
      r = deploy({ { domain = "login.example.com", type = "auth0_managed_certs",
        is_default = false } }, { tenant_domain({ is_default = true }) })
      assert.same({}, r.ctx.api:writes())
    end)

    it("deletes a domain only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { tenant_domain() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { tenant_domain() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/custom-domains/cd_1"))
    end)
  end)

  it("exports every field but the id", function()
    local ctx = env.ctx{}
    local out = handler.export_item(h, ctx, tenant_domain())
    assert.is_nil(out.custom_domain_id)
    assert.equal("pending_verification", out.status)
    assert.equal("login.example.com", out.domain)
  end)
end)
