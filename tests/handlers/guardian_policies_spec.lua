-- handlers/guardian_policies.lua: a0deploy's schema, the bare array the API reads and writes, a
-- PUT only when the policies differ as a set.
local env = require("fixtures.handlers.env")

local A = env.A

local function deploy(desired, current)
  return env.deploy{ routes = { ["GET /guardian/policies"] = current or A{} },
    desired = { guardianPolicies = desired } }
end

describe("handlers/guardian_policies", function()
  local h = env.handler("guardianPolicies")

  it("takes a0deploy's schema: the API's two policies and no other key", function()
    assert.is_true(env.check("guardianPolicies", { policies = A{ "all-applications" } }))
    assert.is_true(env.check("guardianPolicies", { policies = A{ "confidence-score" } }))
    assert.is_true(env.check("guardianPolicies", { policies = A{} }))
    local ok, problems = env.check("guardianPolicies", { policies = A{ "all-application" } })
    assert.is_false(ok)
    assert.equal("guardianPolicies.policies[0]", problems[1].path)
    assert.is_false((env.check("guardianPolicies", { policies = "all-applications" })))
    assert.is_false((env.check("guardianPolicies", { policy = A{ "all-applications" } })))
  end)

  it("reads the bare array as {policies}", function()
    local ctx = env.ctx{ routes = { ["GET /guardian/policies"] = A{ "all-applications" } } }
    assert.same({ policies = { "all-applications" } }, h:fetch(ctx))
  end)

  it("returns a read failure as it is (a0deploy reads policies on every plan)", function()
    local fake = require("fixtures.handlers.fake_api")
    local ctx = env.ctx{ routes = { ["GET /guardian/policies"] = fake.fail(403, "no") } }
    local v, err = h:fetch(ctx)
    assert.is_nil(v)
    assert.equal(403, err.status)
  end)

  it("PUTs the bare array when the policies differ", function()
    local r = deploy({ policies = A{ "all-applications" } })
    assert.is_nil(r.err)
    assert.same({ { "all-applications" } }, env.bodies(r.ctx.api, "PUT", "/guardian/policies"))
    assert.same({ policies = { "all-applications" } }, r.ctx.current.guardianPolicies)
  end)

  it("PUTs an empty array to remove every policy", function()
    local r = deploy({ policies = A{} }, A{ "all-applications" })
    assert.same({ A{} }, env.bodies(r.ctx.api, "PUT", "/guardian/policies"))
  end)

  it("sends nothing when the policies match in any order, or the files set none", function()
    local both = A{ "all-applications", "confidence-score" }
    local r = deploy({ policies = A{ "confidence-score", "all-applications" } }, both)
    assert.same({}, r.ctx.api:writes())
    r = deploy({}, both)
    assert.same({}, r.ctx.api:writes())
  end)

  it("gives preflight the body it sends", function()
    local method, path, body = h:write_request(env.ctx{}, "update",
      { policies = A{ "confidence-score" } })
    assert.equal("PUT", method)
    assert.equal("/guardian/policies", path)
    assert.same({ "confidence-score" }, body)
  end)
end)
