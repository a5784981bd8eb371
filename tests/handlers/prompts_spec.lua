local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A, null = json.array, json.null

local LOGIN_TEXT = { login = { title = "Welcome", description = "Log in" } }
local PARTIAL = { login = { ["form-content-start"] = "<div>hi</div>" } }

-- A tenant with English enabled, custom text for login, partials for login and one renderer.
local function routes(extra)
  local r = {
    ["GET /prompts"] = { universal_login_experience = "new", identifier_first = false },
    ["GET /tenants/settings"] = { enabled_locales = A{ "en" } },
    ["GET /prompts/login/custom-text/en"] = handler.deep_copy(LOGIN_TEXT),
    ["GET /prompts/login/partials"] = handler.deep_copy(PARTIAL),
    ["LIST /prompts/rendering"] = A{ { tenant = "t", prompt = "login-id", screen = "login-id",
      rendering_mode = "advanced", context_configuration = A{ "branding.settings" },
      default_head_tags_disabled = false, head_tags = A{ { tag = "script" } } } },
  }
  for _, p in ipairs(env.handler("prompts").PROMPTS) do
    local key = "GET /prompts/" .. p .. "/custom-text/en"
    if not r[key] then r[key] = {} end
  end
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local function deploy(desired, extra)
  return env.deploy{ routes = routes(extra), desired = { prompts = desired } }
end

describe("handlers/prompts", function()
  local h = env.handler("prompts")

  describe("schema", function()
    it("accepts settings, custom text and partials", function()
      assert.is_true(env.check("prompts", { universal_login_experience = "new",
        identifier_first = true, customText = { en = LOGIN_TEXT, ["fr-CA"] = {} },
        partials = { login = PARTIAL, signup = null } }))
    end)

    it("rejects an unknown experience, non-object text and non-string partials", function()
      local ok, problems = env.check("prompts", { universal_login_experience = "old",
        customText = { en = { login = { login = "text" } } },
        partials = { login = { login = { ["form-content-end"] = 3 } } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/prompts/universal_login_experience"])
      assert.is_true(pointers["/prompts/customText/en/login/login"])
      assert.is_true(pointers["/prompts/partials/login/login/form-content-end"])
    end)

    it("rejects partial keys Auth0 does not have, at the key, whatever level it is at", function()
      local ok, problems = env.check("prompts", { partials = {
        login = { login = { ["../../../tmp/x/ESCAPED"] = "<p>x</p>" }, ["../up"] = {} },
        ["/abs"] = {},
        ["customized-consent"] = { ["customized-consent"] = { ["form-content"] = "<p>c</p>" } },
      } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do
        pointers[#pointers + 1] = p.pointer
        assert.matches("must not have additional property", p.message, 1, true)
      end
      table.sort(pointers)
      assert.same({ "/prompts/partials/login/..~1up",
        "/prompts/partials/login/login/..~1..~1..~1tmp~1x~1ESCAPED", "/prompts/partials/~1abs" },
        pointers)
    end)
  end)

  describe("fetch", function()
    it("reads settings, custom text of the enabled languages, partials and renderers",
      function()
        local ctx = env.ctx{ routes = routes() }
        local p = h:fetch(ctx)
        assert.equal("new", p.universal_login_experience)
        assert.same({ en = { login = LOGIN_TEXT } }, p.customText)
        assert.same({ login = PARTIAL }, p.partials)
        assert.equal("login-id", p.screenRenderers[1].prompt)
        assert.equal(#h.PROMPTS, #ctx.api:find("GET", nil) - 2 - #h.PARTIAL_PROMPTS)
      end)

    it("stops reading partials when the tenant does not support them", function()
      local ctx = env.ctx{ routes = routes{ ["GET /prompts/login/partials"] = fake.fail(403,
        "not allowed") } }
      local p = h:fetch(ctx)
      assert.same({}, p.partials)
      assert.equal(1, #ctx.api:find("GET", nil) - 2 - #h.PROMPTS)
      assert.matches("partials are not supported", ctx.log.lines.warn[1])
    end)
  end)

  describe("import", function()
    it("makes no request when everything matches", function()
      local r = deploy({ universal_login_experience = "new",
        customText = { en = { login = LOGIN_TEXT } }, partials = { login = PARTIAL },
        screenRenderers = A{ { prompt = "login-id", screen = "login-id",
          rendering_mode = "advanced", context_configuration = A{ "branding.settings" },
          default_head_tags_disabled = false, head_tags = A{ { tag = "script" } } } } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("patches the settings that differ", function()
      local r = deploy({ universal_login_experience = "classic", identifier_first = false })
      assert.same({ { universal_login_experience = "classic" } },
        env.bodies(r.ctx.api, "PATCH", "/prompts"))
    end)

    it("puts only the custom text and partials that differ", function()
      local text = { login = { title = "Hello" } }
      local r = deploy({ customText = { en = { login = text, signup = { signup = {
        title = "Join" } } } }, partials = { login = PARTIAL, signup = { signup = {
        ["form-content-end"] = "<p>x</p>" } } } })
      assert.same({ text }, env.bodies(r.ctx.api, "PUT", "/prompts/login/custom-text/en"))
      assert.equal(1, #r.ctx.api:find("PUT", "/prompts/signup/custom-text/en"))
      assert.same({}, r.ctx.api:find("PUT", "/prompts/login/partials"))
      assert.equal(1, #r.ctx.api:find("PUT", "/prompts/signup/partials"))
      assert.same({}, r.ctx.api:find("PATCH", "/prompts"))
    end)

    it("sends a standard renderer's head tags only", function()
      local r = deploy({ screenRenderers = A{ { prompt = "login-id", screen = "login-id",
        rendering_mode = "standard", head_tags = A{} } } })
      assert.same({ { rendering_mode = "standard", head_tags = A{} } },
        env.bodies(r.ctx.api, "PATCH", "/prompts/login-id/screen/login-id/rendering"))
    end)

    it("sends an advanced renderer without prompt, screen and tenant", function()
      local r = deploy({ screenRenderers = A{ { prompt = "signup", screen = "signup",
        rendering_mode = "advanced", tenant = "t", head_tags = A{ { tag = "link" } },
        context_configuration = A{} } } })
      assert.same({ { rendering_mode = "advanced", head_tags = A{ { tag = "link" } },
        context_configuration = A{} } },
        env.bodies(r.ctx.api, "PATCH", "/prompts/signup/screen/signup/rendering"))
    end)

    it("takes a renderer flag the tenant leaves out as the API's default false", function()
      local r = deploy({ screenRenderers = A{ { prompt = "login-id", screen = "login-id",
        rendering_mode = "advanced", default_head_tags_disabled = false,
        use_page_template = false, head_tags = A{ { tag = "script" } } } } },
        { ["LIST /prompts/rendering"] = A{ { tenant = "t", prompt = "login-id",
          screen = "login-id", rendering_mode = "advanced",
          head_tags = A{ { tag = "script" } } } } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends default_head_tags_disabled false to a tenant set to true", function()
      local r = deploy({ screenRenderers = A{ { prompt = "login-id", screen = "login-id",
        rendering_mode = "advanced", default_head_tags_disabled = false } } },
        { ["LIST /prompts/rendering"] = A{ { tenant = "t", prompt = "login-id",
          screen = "login-id", rendering_mode = "advanced",
          default_head_tags_disabled = true } } })
      assert.same({ { rendering_mode = "advanced", default_head_tags_disabled = false } },
        env.bodies(r.ctx.api, "PATCH", "/prompts/login-id/screen/login-id/rendering"))
    end)

    it("returns a failed custom text write", function()
      local r = deploy({ customText = { en = { login = { login = { title = "x" } } } } },
        { ["PUT /prompts/login/custom-text/en"] = fake.fail(400, "bad key") })
      assert.equal("apply_failed", r.err.code)
    end)

    it("goes on when the tenant refuses partials", function()
      local r = deploy({ partials = { signup = { signup = { ["form-content-end"] = "x" } } } },
        { ["PUT /prompts/signup/partials"] = fake.fail(400,
          "This feature requires at least one custom domain") })
      assert.is_nil(r.err)
      assert.matches("custom domain", r.ctx.log.lines.warn[1])
    end)
  end)

  describe("export", function()
    it("writes screen renderers without their tenant", function()
      local out = handler.export_item(h, env.ctx(), { screenRenderers = A{ { tenant = "t",
        prompt = "a", screen = "b" } } })
      assert.same(A{ { prompt = "a", screen = "b" } }, out.screenRenderers)
    end)
  end)
end)
