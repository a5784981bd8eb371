-- handlers/attack_protection.lua: five sections, one endpoint each; diff-minimal per section,
-- sets compared as sets, captcha secrets never compared and masked on export.
local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")

local A = env.A
local P = "/attack-protection/"

-- What the API answers on a fresh tenant (recording should-dump-without-throwing-an-error).
local function tenant()
  return {
    breachedPasswordDetection = { enabled = false, shields = A{}, admin_notification_frequency =
      A{}, method = "standard", stage = { ["pre-user-registration"] = { shields = A{} },
      ["pre-change-password"] = { shields = A{} } } },
    bruteForceProtection = { enabled = true, shields = A{ "block", "user_notification" },
      mode = "count_per_identifier_and_ip", allowlist = A{}, max_attempts = 10 },
    suspiciousIpThrottling = { enabled = true, shields = A{ "admin_notification", "block" },
      allowlist = A{}, stage = { ["pre-login"] = { max_attempts = 100, rate = 864000 },
      ["pre-user-registration"] = { max_attempts = 50, rate = 1200 },
      ["pre-custom-token-exchange"] = { max_attempts = 10, rate = 600000 } } },
    botDetection = { challenge_password_policy = "never", challenge_passwordless_policy = "never",
      challenge_password_reset_policy = "never", allowlist = A{}, bot_detection_level = "medium",
      monitoring_mode_enabled = false },
    captcha = { active_provider_id = "auth_challenge", simple_captcha = {},
      auth_challenge = { fail_open = false }, recaptcha_v2 = { site_key = "" },
      recaptcha_enterprise = { site_key = "", project_id = "" }, hcaptcha = { site_key = "" },
      friendly_captcha = { site_key = "" }, arkose = { site_key = "",
      client_subdomain = "client-api", verify_subdomain = "verify-api", fail_open = false } },
  }
end

local ROUTE = { breachedPasswordDetection = "breached-password-detection",
  bruteForceProtection = "brute-force-protection", suspiciousIpThrottling =
  "suspicious-ip-throttling", botDetection = "bot-detection", captcha = "captcha" }

local function routes(current)
  local r = {}
  for key, path in pairs(ROUTE) do
    r["GET " .. P .. path] = current[key] or fake.fail(403, "Forbidden")
    r["PATCH " .. P .. path] = {}
  end
  return r
end

local function deploy(desired, current, cfg)
  return env.deploy{ config = cfg or {}, routes = routes(current or tenant()),
    desired = { attackProtection = desired } }
end

local function patches(api)
  local out = {}
  for _, c in ipairs(api.calls) do
    if c.method == "PATCH" then out[c.path] = c.body end
  end
  return out
end

describe("handlers/attack_protection", function()
  local h = env.handler("attackProtection")

  it("is a singleton handler the registry loads, beside riskAssessment", function()
    assert.equal("singleton", h.kind)
    assert.is_true(handler.is_handler(h))
    local reg = assert(handlers.load{ paths = { "handlers" } })
    assert.is_truthy(reg:get("riskAssessment"))
  end)

  describe("schema", function()
    it("takes a0deploy's example and an export of a fresh tenant", function()
      assert.is_true(env.check("attackProtection", tenant()))
      assert.is_true(env.check("attackProtection", { captcha = { active_provider_id =
        "friendly_captcha", friendly_captcha = { site_key = "s", secret = "x" },
        recaptcha_enterprise = { site_key = "s", api_key = "k", project_id = "p" } } }))
    end)

    for _, case in ipairs({
      { { botDetection = { bot_detection_level = "hihg" } }, "botDetection.bot_detection_level" },
      { { bruteForceProtection = { max_attempts = 101 } }, "bruteForceProtection.max_attempts" },
      { { bruteForceProtection = { mode = "count_per_ip" } }, "bruteForceProtection.mode" },
      { { suspiciousIpThrottling = { stage = { ["pre-login"] = { rate = 10 } } } },
        "suspiciousIpThrottling.stage.pre-login.rate" },
      { { breachedPasswordDetection = { stage = { ["pre-change-password"] = {
        shields = A{ "user_notification" } } } } },
        "breachedPasswordDetection.stage.pre-change-password.shields[0]" },
      { { breachedPasswordDetection = { method = "premium" } },
        "breachedPasswordDetection.method" },
      { { captcha = { active_provider_id = "recaptcha_v3" } }, "captcha.active_provider_id" },
      { { captcha = { hcaptcha = { secret = "x" } } }, "captcha.hcaptcha" },
      { { bruteForceProtection = { enabled = "yes" } }, "bruteForceProtection.enabled" },
      { { accountLockout = {} }, "accountLockout" },
    }) do
      it("refuses " .. case[2], function()
        local ok, problems = env.check("attackProtection", case[1])
        assert.is_false(ok)
        assert.equal("attackProtection." .. case[2], problems[1].path)
      end)
    end
  end)

  describe("fetch", function()
    it("reads every section for an export, leaving out one the tenant lacks (403)", function()
      local current = tenant()
      current.captcha = nil
      local ctx = env.ctx{ routes = routes(current) }
      local got = assert(h:fetch(ctx))
      assert.same(current, got)
      assert.matches("captcha is not available", ctx.log.lines.warn[1], 1, true)
    end)

    it("reads only the sections the files set for a plan", function()
      local ctx = env.ctx{ routes = routes(tenant()) }
      h:fetch(ctx, { bruteForceProtection = { enabled = true } })
      assert.equal(1, #ctx.api.calls)
      assert.equal(P .. "brute-force-protection", ctx.api.calls[1].path)
    end)

    it("fails on another error", function()
      local r = routes(tenant())
      r["GET " .. P .. "brute-force-protection"] = fake.fail(500, "boom")
      local _, err = h:fetch(env.ctx{ routes = r })
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    it("sends nothing when the files are the tenant, sets in any order", function()
      local desired = tenant()
      desired.bruteForceProtection.shields = A{ "user_notification", "block" }
      desired.suspiciousIpThrottling.shields = A{ "block", "admin_notification" }
      local r = deploy(desired)
      assert.is_nil(r.err)
      assert.same({}, patches(r.ctx.api))
    end)

    it("sends only the changed section, with only the fields that differ", function()
      local r = deploy({ bruteForceProtection = { enabled = true, max_attempts = 5 },
        suspiciousIpThrottling = { stage = { ["pre-login"] = { max_attempts = 100,
          rate = 864000 } } } })
      assert.same({ [P .. "brute-force-protection"] = { max_attempts = 5 } },
        patches(r.ctx.api))
    end)

    it("sends a stage whole when one of its values differs", function()
      local stage = { ["pre-user-registration"] = { shields = A{ "block" } },
        ["pre-change-password"] = { shields = A{} } }
      local r = deploy({ breachedPasswordDetection = { stage = stage } })
      assert.same({ [P .. "breached-password-detection"] = { stage = stage } },
        patches(r.ctx.api))
    end)

    it("never compares a captcha secret; sends it with its provider's change", function()
      local current = tenant()
      current.captcha.hcaptcha = { site_key = "site-1" }
      local r = deploy({ captcha = { hcaptcha = { site_key = "site-1", secret = "s3cret-1" } } },
        current)
      assert.same({}, patches(r.ctx.api))
      r = deploy({ captcha = { hcaptcha = { site_key = "site-2", secret = "s3cret-1" } } },
        current)
      assert.same({ [P .. "captcha"] = { hcaptcha = { site_key = "site-2",
        secret = "s3cret-1" } } }, patches(r.ctx.api))
      assert.is_nil(r.plan:render():find("s3cret", 1, true))
      assert.is_nil(r.plan:json():find("s3cret", 1, true))
    end)

    it("leaves out providers with nothing set (a0deploy) and empty sections", function()
      local r = deploy({ captcha = { active_provider_id = "simple_captcha", simple_captcha = {},
        arkose = { site_key = "", secret = "" }, auth_challenge = {} }, botDetection = {} })
      assert.same({ [P .. "captcha"] = { active_provider_id = "simple_captcha" } },
        patches(r.ctx.api))
    end)

    it("writes a section the tenant lacks whole", function()
      local current = tenant()
      current.botDetection = nil
      local bot = { bot_detection_level = "low", allowlist = A{ "10.0.0.1" } }
      local r = deploy({ botDetection = bot }, current)
      assert.same({ [P .. "bot-detection"] = bot }, patches(r.ctx.api))
    end)

    it("stops at a write the API refuses", function()
      local rs = routes(tenant())
      rs["PATCH " .. P .. "bot-detection"] = fake.fail(400, "Payload validation error")
      local r = env.deploy{ routes = rs, desired = { attackProtection = {
        botDetection = { bot_detection_level = "low" } } } }
      assert.is_truthy(r.err)
    end)
  end)

  describe("export", function()
    it("masks the captcha secrets unless AUTH0_EXPORT_SECRETS, keeps project_id, sorts sets",
      function()
        local item = tenant()
        item.captcha.recaptcha_enterprise.project_id = "project-1"
        local out = handler.export_item(h, env.ctx{}, item)
        assert.equal("##CAPTCHA_HCAPTCHA_SECRET##", out.captcha.hcaptcha.secret)
        assert.equal("##CAPTCHA_ARKOSE_SECRET##", out.captcha.arkose.secret)
        assert.equal("##CAPTCHA_RECAPTCHA_ENTERPRISE_API_KEY##",
          out.captcha.recaptcha_enterprise.api_key)
        assert.equal("project-1", out.captcha.recaptcha_enterprise.project_id)
        assert.is_nil(out.captcha.auth_challenge.secret)
        assert.same(A{ "admin_notification", "block" }, out.suspiciousIpThrottling.shields)
        out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_SECRETS = true } }, item)
        assert.is_nil(out.captcha.hcaptcha.secret)
      end)
  end)
end)
