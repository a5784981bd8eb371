local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")

local PROVIDER = { name = "smtp", enabled = true, default_from_address = "no-reply@x",
  credentials = { smtp_host = "smtp.x", smtp_port = 587, smtp_user = "u" } }

local function deploy(desired, current, cfg)
  local routes = { ["GET /emails/provider"] = current and handler.deep_copy(current)
    or fake.fail(404, "no provider") }
  return env.deploy{ config = cfg or {}, routes = routes, desired = { emailProvider = desired } }
end

describe("handlers/email_provider", function()
  local h = env.handler("emailProvider")

  it("accepts any object as its schema", function()
    assert.is_true(env.check("emailProvider", { name = "x", anything = { y = 1 } }))
    assert.is_false((env.check("emailProvider", "smtp")))
  end)

  describe("fetch", function()
    it("asks for the readable fields", function()
      local ctx = env.ctx{ routes = { ["GET /emails/provider"] = PROVIDER } }
      assert.same(PROVIDER, h:fetch(ctx))
      assert.same({ fields = "name,enabled,credentials,settings,default_from_address",
        include_fields = true }, ctx.api.calls[1].query)
    end)

    it("reads a tenant without a provider as {}", function()
      local ctx = env.ctx{ routes = { ["GET /emails/provider"] = fake.fail(404, "none") } }
      assert.same({}, h:fetch(ctx))
    end)

    it("returns other errors", function()
      local ctx = env.ctx{ routes = { ["GET /emails/provider"] = fake.fail(500, "boom") } }
      local p, err = h:fetch(ctx)
      assert.is_nil(p)
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    it("creates the provider whole when the tenant has none", function()
      local desired = { name = "sendgrid", enabled = true, credentials = { api_key = "k" } }
      local r = deploy(desired)
      assert.is_nil(r.err)
      assert.same({ desired }, env.bodies(r.ctx.api, "POST", "/emails/provider"))
    end)

    it("patches what differs when the tenant has one", function()
      local r = deploy({ name = "smtp", enabled = false, credentials = {
        smtp_host = "smtp.x", smtp_port = 587, smtp_user = "u" } }, PROVIDER)
      assert.same({ { enabled = false } }, env.bodies(r.ctx.api, "PATCH", "/emails/provider"))
    end)

    it("sends the whole credentials when a readable one differs", function()
      local creds = { smtp_host = "smtp.y", smtp_port = 587, smtp_user = "u", smtp_pass = "p" }
      local r = deploy({ name = "smtp", credentials = creds }, PROVIDER)
      assert.same({ { credentials = creds } }, env.bodies(r.ctx.api, "PATCH", "/emails/provider"))
    end)

    it("makes no request when only a write-only secret could differ", function()
      local creds = { smtp_host = "smtp.x", smtp_port = 587, smtp_user = "u",
        smtp_pass = "secret" }
      local r = deploy({ name = "smtp", enabled = true, credentials = creds }, PROVIDER)
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends the write-only secrets along with another change", function()
      local creds = { smtp_host = "smtp.x", smtp_port = 587, smtp_user = "u",
        smtp_pass = "secret" }
      local r = deploy({ name = "smtp", enabled = false, credentials = creds }, PROVIDER)
      assert.same({ { enabled = false, credentials = creds } },
        env.bodies(r.ctx.api, "PATCH", "/emails/provider"))
    end)

    it("shows the write-only secrets in the plan's diff without their values", function()
      local ctx = env.ctx{}
      local payload, diffs = h:diff(ctx, { name = "smtp", enabled = false, credentials = {
        smtp_host = "smtp.x", smtp_pass = "secret" } }, PROVIDER)
      assert.equal("secret", payload.credentials.smtp_pass)
      local shown = {}
      for _, d in ipairs(diffs) do shown[d.path] = d.to end
      assert.same({ enabled = false,
        ["credentials.smtp_pass"] = "(write-only: sent with this change)" }, shown)
    end)

    it("makes no request for an export re-imported with its placeholders", function()
      local r = deploy({ name = "smtp", enabled = true, credentials = { smtp_host = "smtp.x",
        smtp_port = 587, smtp_user = "u", smtp_pass = "##SMTP_PASS##" } }, PROVIDER)
      assert.same({}, r.ctx.api:writes())
    end)

    it("makes no request for an empty provider", function()
      local r = deploy({}, PROVIDER, { AUTH0_ALLOW_DELETE = true })
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  describe("export", function()
    local function export(item, cfg)
      return handler.export_item(h, env.ctx{ config = cfg }, handler.deep_copy(item))
    end

    it("writes placeholders for the credentials the tenant does not show", function()
      assert.same({ smtp_host = "smtp.x", smtp_port = 587, smtp_user = "##SMTP_USER##",
        smtp_pass = "##SMTP_PASS##" }, export(PROVIDER).credentials)
      assert.same({ accessKeyId = "##SES_ACCESS_KEY_ID##",
        secretAccessKey = "##SES_ACCESS_SECRET_KEY##", region = "eu-west-1" },
        export({ name = "ses", credentials = { region = "eu-west-1" } }).credentials)
      assert.same({ api_key = "##SENDGRID_API_KEY##" },
        export({ name = "sendgrid" }).credentials)
    end)

    it("writes the credentials as they are with AUTH0_EXPORT_SECRETS or the excluded default",
      function()
        assert.same(PROVIDER.credentials, export(PROVIDER,
          { AUTH0_EXPORT_SECRETS = true }).credentials)
        assert.same(PROVIDER.credentials, export(PROVIDER,
          { AUTH0_EXCLUDED_DEFAULTS = { "emailProvider" } }).credentials)
      end)
  end)
end)
