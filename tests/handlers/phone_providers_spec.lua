local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")

local A = env.A

local function tenant_provider(over)
  local p = { id = "pro_1", tenant = "t", channel = "phone", name = "twilio", disabled = false,
    configuration = { sid = "AC1", default_from = "+1555", delivery_methods = A{ "text" } },
    credentials = handler.deep_copy(require("a0lua.core.json").null),
    created_at = "2026-01-01T00:00:00.000Z", updated_at = "2026-01-01T00:00:00.000Z" }
  for k, v in pairs(over or {}) do p[k] = v end
  return p
end

local function file_provider(over)
  local p = { name = "twilio", disabled = false,
    configuration = { sid = "AC1", default_from = "+1555", delivery_methods = A{ "text" } },
    credentials = { auth_token = "tok-1" } }
  for k, v in pairs(over or {}) do p[k] = v end
  return p
end

local function deploy(desired, current, cfg)
  local routes = { ["LIST /branding/phone/providers"] = A(current or {}) }
  return env.deploy{ config = cfg or {}, routes = routes,
    desired = { phoneProviders = A(desired) } }
end

describe("handlers/phone_providers", function()
  local h = env.handler("phoneProviders")

  describe("schema", function()
    it("takes a Twilio or a custom provider", function()
      assert.is_true(env.check("phoneProviders", A{ file_provider() }))
      assert.is_true(env.check("phoneProviders", A{ { name = "custom",
        configuration = { delivery_methods = A{ "voice" } }, credentials = {} } }))
    end)

    it("refuses a misspelt name, a wrong type, an unknown delivery method or key", function()
      assert.is_false((env.check("phoneProviders", A{ file_provider{ name = "twillio" } })))
      assert.is_false((env.check("phoneProviders", A{ file_provider{ disabled = "no" } })))
      assert.is_false((env.check("phoneProviders", A{ file_provider{ configuration = {
        sid = "AC1", delivery_methods = A{ "sms" } } } })))
      assert.is_false((env.check("phoneProviders", A{ file_provider{ configuration = {
        sid = "AC1", delivery_methods = A{} } } })))
      assert.is_false((env.check("phoneProviders", A{ file_provider{ provider = "x" } })))
      assert.is_false((env.check("phoneProviders", A{ file_provider{ credentials = {
        auth_token = "" } } })))
    end)
  end)

  describe("import", function()
    it("creates the provider with its token when the tenant has none", function()
      local r = deploy({ file_provider() })
      assert.is_nil(r.err)
      assert.same({ file_provider() }, env.bodies(r.ctx.api, "POST", "/branding/phone/providers"))
    end)

    it("has the token masked in everything logged, a placeholder not", function()
      local masked = {}
      local ctx = env.ctx{}
      ctx.log.add_secret = function(_, v) masked[#masked + 1] = v end
      h:resolve(ctx, A{ file_provider() })
      h:resolve(ctx, A{ file_provider{ credentials = { auth_token = "##TWILIO_AUTH_TOKEN##" } } })
      assert.same({ "tok-1" }, masked)
    end)

    it("looks a create whose answer was lost up in the providers list, by name", function()
      local r = deploy({ file_provider() })
      local opts = r.ctx.api:find("POST", "/branding/phone/providers")[1].opts
      assert.same({ paging = "none", key = "providers" }, opts.list)
      assert.is_true(opts.find({ id = "pro_9", name = "twilio" }))
      assert.is_false(opts.find({ id = "pro_9", name = "custom" }))
    end)

    it("gives a custom provider's create empty credentials, as the API requires", function()
      local r = deploy({ { name = "custom", configuration = { delivery_methods = A{ "text" } } } })
      assert.same({ { name = "custom", configuration = { delivery_methods = { "text" } },
        credentials = {} } }, env.bodies(r.ctx.api, "POST", "/branding/phone/providers"))
    end)

    it("sends nothing when only the token (never shown) is in the files", function()
      local r = deploy({ file_provider() }, { tenant_provider() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends nothing when an export of the tenant is imported again", function()
      local exported = handler.export_item(h, env.ctx{}, tenant_provider())
      local r = deploy({ exported }, { tenant_provider() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("patches what differs, the token along with it", function()
      local r = deploy({ file_provider{ disabled = true } }, { tenant_provider() })
      assert.same({ { disabled = true, credentials = { auth_token = "tok-1" } } },
        env.bodies(r.ctx.api, "PATCH", "/branding/phone/providers/pro_1"))
      assert.is_nil(r.plan:render():find("tok-1", 1, true))
    end)

    it("patches the tenant's provider whatever its name, and uses only the first", function()
      local r = deploy({ { name = "custom", configuration = { delivery_methods = A{ "voice" } } },
        file_provider() }, { tenant_provider() })
      assert.is_nil(r.err)
      assert.same({}, env.bodies(r.ctx.api, "POST", "/branding/phone/providers"))
      assert.same({ { name = "custom", configuration = { delivery_methods = { "voice" } } } },
        env.bodies(r.ctx.api, "PATCH", "/branding/phone/providers/pro_1"))
      assert.matches("only the first", table.concat(r.ctx.log.lines.warn, "\n"), 1, true)
    end)

    it("deletes the provider for an empty list only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { tenant_provider() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { tenant_provider() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/branding/phone/providers/pro_1"))
    end)

    it("leaves a placeholder token out, keeping the tenant's", function()
      local r = deploy({ file_provider{ disabled = true,
        credentials = { auth_token = "##TWILIO_AUTH_TOKEN##" } } }, { tenant_provider() })
      assert.same({ { disabled = true } },
        env.bodies(r.ctx.api, "PATCH", "/branding/phone/providers/pro_1"))
    end)

    it("returns a failed list read", function()
      local ctx = env.ctx{ routes = { ["LIST /branding/phone/providers"] = fake.fail(500, "x") } }
      assert.is_nil((h:fetch(ctx)))
    end)
  end)

  describe("export", function()
    it("writes a0deploy's placeholder for a Twilio token, without the API's fields", function()
      local out = handler.export_item(h, env.ctx{}, tenant_provider())
      assert.same({ name = "twilio", disabled = false, configuration = { sid = "AC1",
        default_from = "+1555", delivery_methods = { "text" } },
        credentials = { auth_token = "##TWILIO_AUTH_TOKEN##" } }, out)
    end)

    it("leaves the token out with AUTH0_EXPORT_SECRETS, keeps the id with export ids", function()
      local out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_SECRETS = true,
        AUTH0_EXPORT_IDENTIFIERS = true } }, tenant_provider())
      assert.is_nil(out.credentials)
      assert.equal("pro_1", out.id)
    end)

    it("writes no credentials for a custom provider", function()
      local out = handler.export_item(h, env.ctx{}, tenant_provider{ name = "custom",
        configuration = { delivery_methods = A{ "text" } } })
      assert.is_nil(out.credentials)
    end)
  end)
end)
