local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local A = env.A

-- The tenant's factors as GET /guardian/factors answers them (all eight, a bare array).
local function factors(enabled)
  local out = A{}
  for _, name in ipairs(env.handler("guardianFactors").NAMES) do
    out[#out + 1] = { name = name, enabled = enabled[name] == true, trial_expired = false }
  end
  return out
end

local function deploy(desired, current, cfg)
  return env.deploy{ config = cfg or {}, routes = { ["GET /guardian/factors"] = current },
    desired = { guardianFactors = desired } }
end

describe("handlers/guardian_factors", function()
  local h = env.handler("guardianFactors")

  describe("schema", function()
    it("takes a0deploy's factor names and a boolean enabled", function()
      assert.is_true(env.check("guardianFactors", A{ { name = "sms", enabled = true },
        { name = "webauthn-platform", enabled = false } }))
    end)

    it("refuses a misspelt name, a wrong type and a repeated factor", function()
      local ok, problems = env.check("guardianFactors", A{ { name = "push-notifications" } })
      assert.is_false(ok)
      assert.matches("must be one of sms, push%-notification", tostring(problems[1]))
      ok, problems = env.check("guardianFactors", A{ { name = "sms", enabled = "yes" } })
      assert.is_false(ok)
      assert.matches("enabled: must be boolean", tostring(problems[1]), 1, true)
      ok, problems = env.check("guardianFactors", A{ { name = "sms", enabled = true },
        { name = "sms", enabled = false } })
      assert.is_false(ok)
      assert.matches('must be unique: "sms" is also item 0', tostring(problems[1]), 1, true)
    end)
  end)

  it("reads every factor with one GET, sorted by name", function()
    local ctx = env.ctx{ routes = { ["GET /guardian/factors"] = A{
      { name = "sms", enabled = true }, { name = "duo", enabled = false } } } }
    local list = assert(h:fetch(ctx))
    assert.same({ "duo", "sms" }, { list[1].name, list[2].name })
    assert.equal(1, #ctx.api.calls)
  end)

  it("PUTs {enabled} only for the factors whose enabled differs", function()
    local r = deploy(A{ { name = "sms", enabled = true }, { name = "otp", enabled = false },
      { name = "email", enabled = true, trial_expired = true } }, factors({ email = true }))
    assert.is_nil(r.err)
    assert.equal(1, #r.ctx.api:writes())
    assert.same({ { enabled = true } }, env.bodies(r.ctx.api, "PUT", "/guardian/factors/sms"))
  end)

  it("sends nothing when the files match the tenant (trial_expired is never compared)", function()
    local r = deploy(A{ { name = "sms", enabled = true, trial_expired = true },
      { name = "duo" } }, factors({ sms = true }))
    assert.is_nil(r.err)
    assert.same({}, r.ctx.api:writes())
  end)

  it("never deletes a factor the files leave out, even with AUTH0_ALLOW_DELETE", function()
    local r = deploy(A{}, factors({ sms = true }), { AUTH0_ALLOW_DELETE = true })
    assert.is_nil(r.err)
    assert.same({}, r.ctx.api:writes())
  end)

  it("exports without trial_expired", function()
    local handler = require("a0lua.handler")
    local out = handler.export_item(h, env.ctx{}, { name = "sms", enabled = true,
      trial_expired = false })
    assert.same({ name = "sms", enabled = true }, out)
  end)

  it("is a tenant read error when the factors cannot be read", function()
    local r = deploy(A{ { name = "sms", enabled = true } }, fake.fail(500, "boom"))
    assert.is_truthy(r.err)
    assert.same({}, r.ctx.api:writes())
  end)
end)
