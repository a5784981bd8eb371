-- handlers/guardian_phone_factor_selected_provider.lua: a0deploy's schema, a PUT only when the
-- provider differs, and a tenant without the feature (403, 404): skipped with a warning when
-- the files ask nothing of it, an error when they set it.
local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local PATH = "/guardian/factors/phone/selected-provider"

local function deploy(desired, current)
  return env.deploy{ routes = { ["GET " .. PATH] = current or { provider = "auth0" } },
    desired = { guardianPhoneFactorSelectedProvider = desired } }
end

describe("handlers/guardian_phone_factor_selected_provider", function()
  local h = env.handler("guardianPhoneFactorSelectedProvider")

  it("takes a0deploy's schema: the API's three providers and no other key", function()
    for _, p in ipairs({ "auth0", "twilio", "phone-message-hook" }) do
      assert.is_true(env.check("guardianPhoneFactorSelectedProvider", { provider = p }), p)
    end
    local ok, problems = env.check("guardianPhoneFactorSelectedProvider", { provider = "sns" })
    assert.is_false(ok)
    assert.equal("guardianPhoneFactorSelectedProvider.provider", problems[1].path)
    assert.is_false((env.check("guardianPhoneFactorSelectedProvider", { provider = 1 })))
    assert.is_false((env.check("guardianPhoneFactorSelectedProvider",
      { provider = "auth0", sid = "x" })))
  end)

  it("PUTs {provider} when it differs, and sends nothing when it matches or is not set",
      function()
    local r = deploy({ provider = "twilio" })
    assert.is_nil(r.err)
    assert.same({ { provider = "twilio" } }, env.bodies(r.ctx.api, "PUT", PATH))
    r = deploy({ provider = "twilio" }, { provider = "twilio" })
    assert.same({}, r.ctx.api:writes())
    r = deploy({})
    assert.same({}, r.ctx.api:writes())
  end)

  describe("a tenant without the feature", function()
    for _, status in ipairs({ 403, 404 }) do
      it(("reads %d as nothing to manage, with a warning, when the files ask nothing")
          :format(status), function()
        local ctx = env.ctx{ routes = { ["GET " .. PATH] = fake.fail(status, "not allowed",
          "hooks_not_allowed") } }
        assert.equal(env.null, h:fetch(ctx))
        assert.equal(env.null, h:fetch(ctx, {}))
        assert.matches("guardianPhoneFactorSelectedProvider: not available on this tenant "
          .. "(" .. status, ctx.log.lines.warn[1], 1, true)
      end)

      it(("fails when the files set it and the tenant answers %d, before any write")
          :format(status), function()
        local r = env.deploy{ routes = { ["GET " .. PATH] = fake.fail(status, "not allowed",
          "hooks_not_allowed") }, desired = {
            guardianPhoneFactorSelectedProvider = { provider = "phone-message-hook" } } }
        assert.equal("feature_unavailable", r.err.code)
        assert.matches("guardianPhoneFactorSelectedProvider: the tenant does not offer this "
          .. "setting (GET " .. PATH .. ": " .. status .. " not allowed (hooks_not_allowed))",
          r.err.message, 1, true)
        assert.same({}, r.ctx.api:writes())
      end)
    end

    it("returns other failures as they are", function()
      local ctx = env.ctx{ routes = { ["GET " .. PATH] = fake.fail(500, "boom") } }
      local v, err = h:fetch(ctx)
      assert.is_nil(v)
      assert.equal(500, err.status)
    end)
  end)
end)
