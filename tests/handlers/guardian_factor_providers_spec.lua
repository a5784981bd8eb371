local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local plan = require("a0lua.plan")

local A = env.A

local TWILIO = { from = "+15550100", sid = "AC1", messaging_service_sid = "MG1",
  auth_token = "tenant-token" }
local SNS = { aws_access_key_id = "AKIA1", aws_region = "us-west-2",
  sns_apns_platform_application_arn = "arn:apns", sns_gcm_platform_application_arn = "arn:gcm" }

local function with(t, extra)
  local out = handler.deep_copy(t)
  for k, v in pairs(extra) do out[k] = v end
  return out
end

local function deploy(desired, routes, cfg)
  return env.deploy{ config = cfg or {}, routes = routes or {},
    desired = { guardianFactorProviders = desired } }
end

describe("handlers/guardian_factor_providers", function()
  local h = env.handler("guardianFactorProviders")

  describe("validation", function()
    it("takes every provider the API has, by factor and provider", function()
      assert.is_true(env.check("guardianFactorProviders", A{
        with(TWILIO, { name = "sms", provider = "twilio" }),
        { name = "phone", provider = "twilio", sid = "AC2" },
        with(SNS, { name = "push-notification", provider = "sns", aws_secret_access_key = "s" }),
        { name = "push-notification", provider = "apns", bundle_id = "com.x", sandbox = true,
          p12 = "p" },
        { name = "push-notification", provider = "fcm", server_key = "k" },
        { name = "push-notification", provider = "fcmv1", server_credentials = "{}" } }))
    end)

    it("refuses a misspelt provider, a pair without an endpoint, another provider's field",
      function()
        local ok, problems = env.check("guardianFactorProviders",
          A{ { name = "sms", provider = "twillio" } })
        assert.is_false(ok)
        assert.equal(1, #problems)
        assert.matches("provider: must be one of twilio, sns", tostring(problems[1]), 1, true)
        ok, problems = env.check("guardianFactorProviders",
          A{ { name = "sms", provider = "sns" } })
        assert.is_false(ok)
        assert.matches("sms has no provider sns", tostring(problems[1]), 1, true)
        ok, problems = env.check("guardianFactorProviders",
          A{ { name = "push-notification", provider = "sns", bundle_id = "com.x" } })
        assert.is_false(ok)
        assert.matches("bundle_id: is not a field of the push-notification sns provider",
          tostring(problems[1]), 1, true)
        ok, problems = env.check("guardianFactorProviders",
          A{ { name = "sms", provider = "twilio", sandbox = "no" } })
        assert.is_false(ok)
        assert.matches("sandbox: must be boolean", tostring(problems[1]), 1, true)
      end)

    it("refuses the same provider twice", function()
      local ok, problems = env.check("guardianFactorProviders", A{
        { name = "sms", provider = "twilio", sid = "a" },
        { name = "sms", provider = "twilio", sid = "b" } })
      assert.is_false(ok)
      assert.matches('must be unique: "sms-twilio" is also item 0', tostring(problems[1]), 1,
        true)
    end)
  end)

  describe("fetch", function()
    it("reads a0deploy's two providers and APNs, keeping the configured ones", function()
      local ctx = env.ctx{ routes = {
        ["GET /guardian/factors/sms/providers/twilio"] = TWILIO,
        ["GET /guardian/factors/push-notification/providers/sns"] = {},
        ["GET /guardian/factors/push-notification/providers/apns"] =
          fake.fail(403, "subscription required") } }
      local list = assert(h:fetch(ctx))
      assert.same({ with(TWILIO, { name = "sms", provider = "twilio" }) }, list)
      assert.equal(3, #ctx.api.calls)
    end)

    it("reads only what a file names, and never FCM (no GET)", function()
      local ctx = env.ctx{ routes = { ["GET /guardian/factors/phone/providers/twilio"] = TWILIO } }
      local list = assert(h:fetch(ctx, A{ { name = "phone", provider = "twilio" },
        { name = "push-notification", provider = "fcm", server_key = "k" } }))
      assert.equal(1, #list)
      assert.same({ "/guardian/factors/phone/providers/twilio" }, { ctx.api.calls[1].path })
    end)

    it("fails on another error", function()
      local ctx = env.ctx{ routes = {
        ["GET /guardian/factors/sms/providers/twilio"] = fake.fail(500, "boom") } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    local routes = {
      ["GET /guardian/factors/sms/providers/twilio"] = TWILIO,
      ["GET /guardian/factors/push-notification/providers/sns"] = SNS,
    }

    it("sends nothing when only a write-only credential could differ", function()
      local r = deploy(A{ with(TWILIO, { name = "sms", provider = "twilio",
        auth_token = "file-token" }), with(SNS, { name = "push-notification", provider = "sns",
        aws_secret_access_key = "file-secret" }) }, routes)
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("PUTs Twilio whole (the tenant's fields, the file's on top, its token along)", function()
      local r = deploy(A{ { name = "sms", provider = "twilio", sid = "AC2",
        auth_token = "file-token" } }, routes)
      assert.is_nil(r.err)
      assert.same({ with(TWILIO, { sid = "AC2", auth_token = "file-token" }) },
        env.bodies(r.ctx.api, "PUT", "/guardian/factors/sms/providers/twilio"))
    end)

    it("PATCHes only what differs of SNS, its secret along", function()
      local r = deploy(A{ with(SNS, { name = "push-notification", provider = "sns",
        aws_region = "eu-west-1", aws_secret_access_key = "file-secret" }) }, routes)
      assert.is_nil(r.err)
      assert.same({ { aws_region = "eu-west-1", aws_secret_access_key = "file-secret" } },
        env.bodies(r.ctx.api, "PATCH", "/guardian/factors/push-notification/providers/sns"))
    end)

    it("PUTs a provider the tenant has not configured whole, never its read-only fields",
      function()
        local r = deploy(A{ { name = "push-notification", provider = "apns",
          bundle_id = "com.x", sandbox = true, p12 = "cert", enabled = true } },
          { ["GET /guardian/factors/push-notification/providers/apns"] = {} })
        assert.is_nil(r.err)
        assert.same({ { bundle_id = "com.x", sandbox = true, p12 = "cert" } },
          env.bodies(r.ctx.api, "PUT", "/guardian/factors/push-notification/providers/apns"))
      end)

    it("keeps the credentials out of the plan", function()
      local r = deploy(A{ { name = "push-notification", provider = "apns", bundle_id = "com.x",
        p12 = "cert-value" }, { name = "push-notification", provider = "fcm",
        server_key = "fcm-key-value" } }, {}, nil)
      local text = r.plan:render() .. r.plan:json()
      assert.is_nil(text:find("cert-value", 1, true))
      assert.is_nil(text:find("fcm-key-value", 1, true))
      assert.truthy(text:find("push-notification-apns", 1, true))
      assert.is_true(plan.secret_key("server_credentials"))
    end)

    it("masks the file's credentials in what is logged", function()
      local ctx = env.ctx{}
      local secrets = {}
      ctx.log.add_secret = function(_, v) secrets[#secrets + 1] = v end
      h:resolve(ctx, A{ { name = "sms", provider = "twilio", auth_token = "tok" },
        { name = "push-notification", provider = "sns", aws_secret_access_key = "##SNS##" } })
      assert.same({ "tok" }, secrets)
    end)
  end)

  describe("export", function()
    it("writes each credential as its placeholder unless AUTH0_EXPORT_SECRETS", function()
      local item = with(TWILIO, { name = "sms", provider = "twilio" })
      local out = handler.export_item(h, env.ctx{}, item)
      assert.equal("##GUARDIAN_SMS_TWILIO_AUTH_TOKEN##", out.auth_token)
      assert.equal("AC1", out.sid)
      out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_SECRETS = true } }, item)
      assert.equal("tenant-token", out.auth_token)
      out = handler.export_item(h, env.ctx{}, { name = "push-notification", provider = "apns",
        bundle_id = "com.x", enabled = true })
      assert.same({ name = "push-notification", provider = "apns", bundle_id = "com.x",
        p12 = "##GUARDIAN_PUSH_NOTIFICATION_APNS_P12##" }, out)
    end)
  end)
end)
