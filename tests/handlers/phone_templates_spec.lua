local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")

local A = env.A

local PATH = "/branding/phone/templates"

-- A template as the tenant lists it; id = false: a default the tenant never changed.
local function tenant_template(type_name, over)
  local t = { id = "tem_" .. type_name, tenant = "t", channel = "phone", customizable = true,
    type = type_name, disabled = false, created_at = "2026-01-01T00:00:00.000Z",
    content = { syntax = "liquid", from = "", body = { text = type_name .. " {{ code }}",
      voice = type_name .. " voice {{ code }}" } } }
  for k, v in pairs(over or {}) do
    if v == false then t[k] = nil else t[k] = v end
  end
  return t
end

local function deploy(desired, current, cfg, routes)
  routes = routes or {}
  routes["LIST " .. PATH] = routes["LIST " .. PATH] or A(current or {})
  return env.deploy{ config = cfg or {}, routes = routes,
    desired = { phoneTemplates = A(desired) } }
end

describe("handlers/phone_templates", function()
  local h = env.handler("phoneTemplates")

  describe("schema", function()
    it("takes a0deploy's templates", function()
      assert.is_true(env.check("phoneTemplates", A{ { type = "otp_verify", disabled = false,
        content = { syntax = "liquid", from = "+1", body = { text = "a", voice = "b" } } } }))
    end)

    it("refuses a misspelt type, a wrong type of value, a template without type", function()
      assert.is_false((env.check("phoneTemplates", A{ { type = "otp_verfy" } })))
      assert.is_false((env.check("phoneTemplates", A{ { type = "otp_verify", disabled = 1 } })))
      assert.is_false((env.check("phoneTemplates", A{ { type = "otp_verify",
        content = { body = { text = 5 } } } })))
      assert.is_false((env.check("phoneTemplates", A{ { disabled = true } })))
      assert.is_false((env.check("phoneTemplates", A{ { type = "otp_verify" },
        { type = "otp_verify" } })))
    end)
  end)

  it("waits for the phone provider (templates are customized once one is configured)", function()
    assert.same({ { "phoneProviders" }, { "phoneTemplates" } },
      env.registry():stages({ "phoneTemplates", "phoneProviders" }))
  end)

  describe("fetch", function()
    local listed = A{ tenant_template("otp_verify"), tenant_template("otp_enroll", { id = false }),
      tenant_template("change_password", { id = false }) }

    it("reads everything in one list call for an export", function()
      local ctx = env.ctx{ routes = { ["LIST " .. PATH] = listed } }
      assert.equal(3, #h:fetch(ctx))
      assert.equal(1, #ctx.api.calls)
    end)

    it("keeps for a plan only the defaults of the types the files list", function()
      local ctx = env.ctx{ routes = { ["LIST " .. PATH] = listed } }
      local got = h:fetch(ctx, A{ { type = "otp_enroll" } })
      assert.same({ "otp_verify", "otp_enroll" }, { got[1].type, got[2].type })
    end)

    it("returns a failed read", function()
      local ctx = env.ctx{ routes = { ["LIST " .. PATH] = fake.fail(500, "x") } }
      assert.is_nil((h:fetch(ctx, A{})))
    end)
  end)

  describe("import", function()
    it("sends nothing when an export of the tenant is imported again", function()
      local current = { tenant_template("otp_verify"),
        tenant_template("otp_enroll", { id = false }) }
      local exported = {}
      for i, t in ipairs(current) do exported[i] = handler.export_item(h, env.ctx{}, t) end
      local r = deploy(exported, current)
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      assert.equal(1, #r.ctx.api.calls)
    end)

    it("patches a changed template with only the update's fields", function()
      local r = deploy({ { type = "otp_verify", disabled = false, content = { syntax = "other",
        from = "+1555", body = { text = "new {{ code }}" } } } }, { tenant_template("otp_verify") })
      assert.is_nil(r.err)
      assert.same({ { content = { from = "+1555", body = { text = "new {{ code }}" } } } },
        env.bodies(r.ctx.api, "PATCH", PATH .. "/tem_otp_verify"))
    end)

    it("patches only disabled when only disabled differs", function()
      local r = deploy({ { type = "otp_verify", disabled = true } },
        { tenant_template("otp_verify") })
      assert.same({ { disabled = true } },
        env.bodies(r.ctx.api, "PATCH", PATH .. "/tem_otp_verify"))
    end)

    it("leaves an unchanged template alone, a syntax or an empty from included", function()
      local r = deploy({ { type = "otp_verify", content = { syntax = "mustache", from = "",
        body = { text = "otp_verify {{ code }}" } } } }, { tenant_template("otp_verify") })
      assert.same({}, r.ctx.api:writes())
    end)

    it("creates a changed default (no id) over the default's content", function()
      local r = deploy({ { type = "otp_enroll", disabled = true } },
        { tenant_template("otp_enroll", { id = false }) })
      assert.is_nil(r.err)
      assert.same({ { type = "otp_enroll", disabled = true, content = { syntax = "liquid",
        body = { text = "otp_enroll {{ code }}", voice = "otp_enroll voice {{ code }}" } } } },
        env.bodies(r.ctx.api, "POST", PATH))
      assert.same({}, r.ctx.api:find("PATCH"))
    end)

    it("creates a template the tenant does not list, without the API's fields", function()
      local r = deploy({ { type = "password_breach", channel = "phone", customizable = true,
        content = { from = "", body = { text = "leaked" } } } }, {})
      assert.same({ { type = "password_breach", content = { body = { text = "leaked" } } } },
        env.bodies(r.ctx.api, "POST", PATH))
    end)

    it("on a 409 lists again and patches the template of that type", function()
      local routes = {
        ["POST " .. PATH] = fake.fail(409, "A phone template of this type already exists"),
        ["LIST " .. PATH] = fake.sequence{ A{}, A{ tenant_template("otp_verify") } },
      }
      local r = deploy({ { type = "otp_verify", disabled = true,
        content = { body = { text = "x" } } } }, nil, nil, routes)
      assert.is_nil(r.err)
      assert.same({ { disabled = true, content = { body = { text = "x" } } } },
        env.bodies(r.ctx.api, "PATCH", PATH .. "/tem_otp_verify"))
    end)

    it("deletes a changed template the files do not list only with AUTH0_ALLOW_DELETE", function()
      local current = { tenant_template("otp_verify"),
        tenant_template("otp_enroll", { id = false }) }
      local r = deploy({}, current)
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, current, { AUTH0_ALLOW_DELETE = true })
      assert.same(1, #r.ctx.api:writes())
      assert.equal(1, #r.ctx.api:find("DELETE", PATH .. "/tem_otp_verify"))
    end)
  end)

  it("exports without the API's fields, the id only with AUTH0_EXPORT_IDENTIFIERS", function()
    local out = handler.export_item(h, env.ctx{}, tenant_template("otp_verify"))
    assert.same({ type = "otp_verify", disabled = false, content = { syntax = "liquid", from = "",
      body = { text = "otp_verify {{ code }}", voice = "otp_verify voice {{ code }}" } } }, out)
    out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_IDENTIFIERS = true } },
      tenant_template("otp_verify"))
    assert.equal("tem_otp_verify", out.id)
  end)
end)
