-- handlers/supplemental_signals.lua: a0deploy's schema, a PATCH only when akamai_enabled
-- differs (a0deploy sends one every run), and a tenant without the entitlement (403).
local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local PATH = "/supplemental-signals"

local function deploy(desired, route)
  return env.deploy{ routes = { ["GET " .. PATH] = route or { akamai_enabled = false } },
    desired = { supplementalSignals = desired } }
end

describe("handlers/supplemental_signals", function()
  local h = env.handler("supplementalSignals")

  it("takes a0deploy's schema: akamai_enabled a boolean", function()
    assert.is_true(env.check("supplementalSignals", { akamai_enabled = true }))
    local ok, problems = env.check("supplementalSignals", { akamai_enabled = "yes" })
    assert.is_false(ok)
    assert.equal("supplementalSignals.akamai_enabled", problems[1].path)
    assert.is_false((env.check("supplementalSignals", "on")))
  end)

  it("PATCHes when akamai_enabled differs, and sends nothing when it matches or is not set",
      function()
    local r = deploy({ akamai_enabled = true })
    assert.is_nil(r.err)
    assert.same({ { akamai_enabled = true } }, env.bodies(r.ctx.api, "PATCH", PATH))
    r = deploy({ akamai_enabled = false })
    assert.same({}, r.ctx.api:writes())
    r = deploy({})
    assert.same({}, r.ctx.api:writes())
  end)

  it("reads a 403 as nothing to manage when the files ask nothing, and fails when they do",
      function()
    local forbidden = fake.fail(403, "missing attack_protection entitlement")
    local ctx = env.ctx{ routes = { ["GET " .. PATH] = forbidden } }
    assert.equal(env.null, h:fetch(ctx, {}))
    assert.equal(1, #ctx.log.lines.warn)
    local r = deploy({ akamai_enabled = true }, forbidden)
    assert.equal("feature_unavailable", r.err.code)
    assert.same({}, r.ctx.api:writes())
  end)

  it("returns a 404 as it is (a0deploy reads only a 403 as no entitlement)", function()
    local ctx = env.ctx{ routes = { ["GET " .. PATH] = fake.fail(404, "Not Found") } }
    local v, err = h:fetch(ctx)
    assert.is_nil(v)
    assert.equal(404, err.status)
  end)
end)
