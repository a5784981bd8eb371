local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local A = env.A

local SMS = { enrollment_message = "enroll {{code}}", verification_message = "verify {{code}}" }

local function deploy(desired, routes)
  return env.deploy{ routes = routes, desired = { guardianFactorTemplates = desired } }
end

describe("handlers/guardian_factor_templates", function()
  local h = env.handler("guardianFactorTemplates")

  it("refuses a template name the API has no endpoint for, with its place", function()
    local ok, problems = env.check("guardianFactorTemplates", A{ { name = "email" } })
    assert.is_false(ok)
    assert.matches("must be one of sms, phone", tostring(problems[1]), 1, true)
    ok, problems = env.check("guardianFactorTemplates", A{ { name = "sms",
      enrollment_message = 3 } })
    assert.is_false(ok)
    assert.matches("enrollment_message: must be string", tostring(problems[1]), 1, true)
  end)

  describe("fetch", function()
    it("reads a0deploy's sms template for an export, named", function()
      local ctx = env.ctx{ routes = { ["GET /guardian/factors/sms/templates"] = SMS } }
      local list = assert(h:fetch(ctx))
      assert.same({ { name = "sms", enrollment_message = SMS.enrollment_message,
        verification_message = SMS.verification_message } }, list)
      assert.equal(1, #ctx.api.calls)
    end)

    it("reads only the templates a file names for a plan", function()
      local ctx = env.ctx{ routes = { ["GET /guardian/factors/phone/templates"] = SMS } }
      local list = assert(h:fetch(ctx, A{ { name = "phone" } }))
      assert.equal("phone", list[1].name)
      assert.same({ "/guardian/factors/phone/templates" }, { ctx.api.calls[1].path })
    end)

    it("leaves out an empty answer and a tenant without the feature (403)", function()
      local ctx = env.ctx{ routes = { ["GET /guardian/factors/sms/templates"] = {},
        ["GET /guardian/factors/phone/templates"] = fake.fail(403, "no phone factor") } }
      assert.same({}, assert(h:fetch(ctx, A{ { name = "sms" }, { name = "phone" } })))
    end)
  end)

  it("PUTs both messages when one differs, and nothing when none does", function()
    local r = deploy(A{ { name = "sms", enrollment_message = "new {{code}}" } },
      { ["GET /guardian/factors/sms/templates"] = SMS })
    assert.is_nil(r.err)
    assert.same({ { enrollment_message = "new {{code}}",
      verification_message = SMS.verification_message } },
      env.bodies(r.ctx.api, "PUT", "/guardian/factors/sms/templates"))

    r = deploy(A{ { name = "sms", enrollment_message = SMS.enrollment_message } },
      { ["GET /guardian/factors/sms/templates"] = SMS })
    assert.is_nil(r.err)
    assert.same({}, r.ctx.api:writes())
  end)

  it("sets the phone template at its own endpoint", function()
    local r = deploy(A{ { name = "phone", enrollment_message = "a", verification_message = "b" } },
      { ["GET /guardian/factors/phone/templates"] = SMS })
    assert.is_nil(r.err)
    assert.same({ { enrollment_message = "a", verification_message = "b" } },
      env.bodies(r.ctx.api, "PUT", "/guardian/factors/phone/templates"))
  end)
end)
