-- handlers/guardian_phone_factor_message_types.lua: a0deploy's schema, a PUT of the whole list
-- only when the types differ as a set, and a tenant without voice MFA (403, 404).
local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local A = env.A
local PATH = "/guardian/factors/phone/message-types"

local function deploy(desired, current)
  return env.deploy{ routes = { ["GET " .. PATH] = current or { message_types = A{} } },
    desired = { guardianPhoneFactorMessageTypes = desired } }
end

describe("handlers/guardian_phone_factor_message_types", function()
  it("takes a0deploy's schema: a list of sms and voice, and no other key", function()
    assert.is_true(env.check("guardianPhoneFactorMessageTypes",
      { message_types = A{ "sms", "voice" } }))
    local ok, problems = env.check("guardianPhoneFactorMessageTypes",
      { message_types = A{ "sms", "fax" } })
    assert.is_false(ok)
    assert.equal("guardianPhoneFactorMessageTypes.message_types[1]", problems[1].path)
    assert.is_false((env.check("guardianPhoneFactorMessageTypes", { message_types = "sms" })))
    assert.is_false((env.check("guardianPhoneFactorMessageTypes", { types = A{ "sms" } })))
  end)

  it("PUTs the whole list when the types differ", function()
    local r = deploy({ message_types = A{ "sms", "voice" } }, { message_types = A{ "sms" } })
    assert.is_nil(r.err)
    assert.same({ { message_types = { "sms", "voice" } } }, env.bodies(r.ctx.api, "PUT", PATH))
  end)

  it("sends nothing for the same types in another order, or when the files set none",
      function()
    local r = deploy({ message_types = A{ "voice", "sms" } }, { message_types = A{ "sms",
      "voice" } })
    assert.same({}, r.ctx.api:writes())
    r = deploy({}, { message_types = A{ "sms" } })
    assert.same({}, r.ctx.api:writes())
  end)

  it("fails when the files set the types and the tenant has no voice MFA", function()
    local r = env.deploy{ routes = { ["GET " .. PATH] = fake.fail(403, "Voice MFA not allowed",
      "voice_mfa_not_allowed") }, desired = {
        guardianPhoneFactorMessageTypes = { message_types = A{ "voice" } } } }
    assert.equal("feature_unavailable", r.err.code)
    assert.same({}, r.ctx.api:writes())
    local ctx = env.ctx{ routes = { ["GET " .. PATH] = fake.fail(404, "Not Found") } }
    assert.equal(env.null, env.handler("guardianPhoneFactorMessageTypes"):fetch(ctx))
  end)
end)
