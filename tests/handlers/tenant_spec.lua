local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A, null = json.array, json.null

local function deploy(desired, settings, cfg)
  return env.deploy{ config = cfg or {}, routes = { ["GET /tenants/settings"] = settings or {} },
    desired = { tenant = desired } }
end

local function patches(r) return env.bodies(r.ctx.api, "PATCH", "/tenants/settings") end

describe("handlers/tenant", function()
  local h = env.handler("tenant")

  describe("schema", function()
    it("accepts settings with country codes, quotas and any other key", function()
      assert.is_true(env.check("tenant", { friendly_name = "T",
        country_codes = { list = A{ "US", "FR" }, mode = "allow" },
        default_token_quota = { clients = { client_credentials = { per_day = 10 } } },
        resource_parameter_profile = "audience",
        skip_non_verifiable_callback_uri_confirmation_prompt = null }))
    end)

    it("injects enforce into the default token quotas", function()
      local tenant = { default_token_quota = { organizations = {
        client_credentials = { per_hour = 5 } } } }
      assert.is_true(env.check("tenant", tenant))
      assert.is_true(tenant.default_token_quota.organizations.client_credentials.enforce)
    end)

    it("rejects bad country codes, an unknown profile and an empty quota", function()
      local ok, problems = env.check("tenant", { country_codes = { list = A{ "usa" },
        mode = "allow" }, resource_parameter_profile = "x", default_token_quota = {} })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/tenant/country_codes/list/0"])
      assert.is_true(pointers["/tenant/resource_parameter_profile"])
      assert.is_true(pointers["/tenant/default_token_quota"])
    end)
  end)

  describe("validate", function()
    it("reports page settings inside the tenant", function()
      local ok, problems = env.check("tenant", { friendly_name = "T",
        change_password = { enabled = true }, error_page = { url = "x" } })
      assert.is_false(ok)
      assert.equal(2, #problems)
      assert.matches("pages", problems[1].message)
    end)
  end)

  describe("fetch", function()
    it("keeps only the flags a deploy may change and no page settings", function()
      local ctx = env.ctx{ routes = { ["GET /tenants/settings"] = { friendly_name = "T",
        flags = { enable_sso = true, some_internal_flag = true }, change_password = {},
        error_page = {} } } }
      assert.same({ friendly_name = "T", flags = { enable_sso = true } }, h:fetch(ctx))
    end)

    it("returns the error of the read", function()
      local ctx = env.ctx{ routes = { ["GET /tenants/settings"] = fake.fail(403,
        "Insufficient scope") } }
      local t, err = h:fetch(ctx)
      assert.is_nil(t)
      assert.equal(403, err.status)
    end)
  end)

  describe("import", function()
    it("sends session lifetimes in minutes", function()
      local r = deploy({ session_lifetime = 72, idle_session_lifetime = 1.5 })
      assert.same({ { session_lifetime_in_minutes = 4320, idle_session_lifetime_in_minutes = 90 } },
        patches(r))
    end)

    it("drops flags a deploy may not change, with a warning", function()
      local r = deploy({ flags = { revoke_refresh_token_grant = false, secret_flag = true,
        enable_custom_domain_in_emails = true } })
      assert.same({ { flags = { revoke_refresh_token_grant = false } } }, patches(r))
      local warned = table.concat(r.ctx.log.lines.warn, "\n")
      assert.matches("secret_flag", warned)
      assert.matches("enable_custom_domain_in_emails", warned)
    end)

    it("sends nothing for flags that are all dropped", function()
      local r = deploy({ flags = { secret_flag = true } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends only what differs and nothing when the tenant matches", function()
      local r = deploy({ friendly_name = "T", support_email = "new@x" },
        { friendly_name = "T", support_email = "old@x", picture_url = "p" })
      assert.same({ { support_email = "new@x" } }, patches(r))
      r = deploy({ friendly_name = "T", session_lifetime = 72 },
        { friendly_name = "T", session_lifetime = 72, flags = { enable_sso = true } })
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  describe("export", function()
    it("strips read-only settings and an emptied flags object", function()
      local out = handler.export_item(h, env.ctx(), { friendly_name = "T",
        sandbox_versions_available = A{ "18" },
        flags = { enable_sso = true, disable_impersonation = true } })
      assert.same({ friendly_name = "T" }, out)
    end)

    it("keeps a stripped flag listed in INCLUDED_PROPS", function()
      local out = handler.export_item(h, env.ctx{ config = {
        INCLUDED_PROPS = { tenant = { "flags.enable_sso" } } } },
        { flags = { enable_sso = true, revoke_refresh_token_grant = false } })
      assert.same({ flags = { enable_sso = true, revoke_refresh_token_grant = false } }, out)
    end)
  end)
end)
