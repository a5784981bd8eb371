local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local json = require("a0lua.core.json")

local A = json.array

local WELCOME = { template = "welcome_email", enabled = true, from = "hi@x",
  subject = "Welcome", syntax = "liquid", body = "<p>hi</p>" }

-- Routes where only the given templates exist; the others answer 404.
local function routes(existing)
  local r = {}
  for _, t in ipairs(existing or {}) do r["GET /email-templates/" .. t.template] = t end
  return r
end

local function deploy(desired, existing, extra)
  local r = routes(existing)
  for k, v in pairs(extra or {}) do r[k] = v end
  return env.deploy{ routes = r, desired = { emailTemplates = desired } }
end

describe("handlers/email_templates", function()
  local h = env.handler("emailTemplates")

  describe("schema", function()
    it("accepts a template and fills an empty body", function()
      local list = A{ { template = "verify_email", enabled = false } }
      assert.is_true(env.check("emailTemplates", list))
      assert.equal("", list[1].body)
    end)

    it("requires a known template name", function()
      local ok, problems = env.check("emailTemplates", A{ { template = "goodbye_email" },
        { body = "x" } })
      assert.is_false(ok)
      assert.equal("/emailTemplates/0/template", problems[1].pointer)
      assert.matches("template", problems[2].message)
    end)
  end)

  describe("fetch", function()
    it("reads the 13 templates and skips those never set", function()
      local ctx = env.ctx{ routes = routes{ WELCOME } }
      local list = h:fetch(ctx)
      assert.same(A{ WELCOME }, list)
      assert.equal(13, #ctx.api:find("GET"))
    end)

    it("skips async_approval when the tenant lacks the feature", function()
      local r = routes{ WELCOME }
      r["GET /email-templates/async_approval"] = fake.fail(403, "feature not enabled")
      assert.same(A{ WELCOME }, h:fetch(env.ctx{ routes = r }))
    end)

    it("returns other errors", function()
      local r = routes()
      r["GET /email-templates/reset_email"] = fake.fail(403, "Insufficient scope")
      local list, err = h:fetch(env.ctx{ routes = r })
      assert.is_nil(list)
      assert.equal(403, err.status)
    end)
  end)

  describe("import", function()
    it("creates a template the tenant never had", function()
      local r = deploy(A{ WELCOME })
      assert.is_nil(r.err)
      assert.same({ WELCOME }, env.bodies(r.ctx.api, "POST", "/email-templates"))
    end)

    it("patches what differs and nothing when it matches", function()
      local changed = { template = "welcome_email", subject = "Hello", body = "<p>hi</p>" }
      local r = deploy(A{ changed }, { WELCOME })
      assert.same({ { subject = "Hello" } }, env.bodies(r.ctx.api, "PATCH",
        "/email-templates/welcome_email"))
      r = deploy(A{ { template = "welcome_email", subject = "Welcome", body = "<p>hi</p>" } },
        { WELCOME })
      assert.same({}, r.ctx.api:writes())
    end)

    it("posts the whole template when the patch finds none", function()
      local r = deploy(A{ { template = "welcome_email", subject = "Hello" } }, { WELCOME },
        { ["PATCH /email-templates/welcome_email"] = fake.fail(404, "not found") })
      local posted = env.bodies(r.ctx.api, "POST", "/email-templates")[1]
      assert.equal("welcome_email", posted.template)
      assert.equal("Hello", posted.subject)
      assert.equal("hi@x", posted.from)
    end)

    it("never deletes a template", function()
      local r = env.deploy{ config = { AUTH0_ALLOW_DELETE = true }, routes = routes{ WELCOME },
        desired = { emailTemplates = A{} } }
      assert.same({}, r.ctx.api:writes())
    end)
  end)
end)
