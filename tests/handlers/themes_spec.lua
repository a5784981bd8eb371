local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local theme = require("fixtures.handlers.theme")

local A = env.A

local function tenant_theme(over)
  local t = theme.new(over)
  t.themeId = "th_1"
  return t
end

local function deploy(desired, current, cfg)
  local routes = {
    ["GET /branding/themes/default"] = current and current or fake.fail(404, "invalid theme ID"),
    ["POST /branding/themes"] = function(req)
      local t = handler.deep_copy(req.body)
      t.themeId = "th_new"
      return t
    end,
  }
  return env.deploy{ config = cfg or {}, routes = routes, desired = { themes = A(desired) } }
end

describe("handlers/themes", function()
  local h = env.handler("themes")

  describe("schema", function()
    it("is strictly typed: ranges, colour and URL patterns, enums, no extra keys", function()
      assert.is_true(env.check("themes", A{ theme.new() }))
      assert.is_true(env.check("themes", A{ tenant_theme() }))
      local function refused(over, expect)
        local ok, problems = env.check("themes", A{ theme.new(over) })
        assert.is_false(ok)
        assert.matches(expect, tostring(problems[1]), 1, true)
      end
      local b = theme.new().borders
      b.buttons_style = "pil"
      refused({ borders = b }, "themes[0].borders.buttons_style: must be one of")
      local f = theme.new().fonts
      f.title.size = 20
      refused({ fonts = f }, "themes[0].fonts.title.size")
      local c = theme.new().colors
      c.error = "red"
      refused({ colors = c }, "themes[0].colors.error")
      local w = theme.new().widget
      w.logo_url = "http://example.com/logo.png"
      refused({ widget = w }, "themes[0].widget.logo_url")
      refused({ colour = {} }, "themes[0]")
      refused({ widget = 3 }, "themes[0].widget")
    end)
  end)

  describe("fetch", function()
    it("reads the default theme; 404 is none", function()
      local ctx = env.ctx{ routes = { ["GET /branding/themes/default"] = tenant_theme() } }
      assert.equal("th_1", h:fetch(ctx)[1].themeId)
      ctx = env.ctx{ routes = { ["GET /branding/themes/default"] = fake.fail(404, "no") } }
      assert.same(A{}, h:fetch(ctx))
    end)

    it("leaves a tenant without customisation (400) out, and fails a plan that sets a theme",
      function()
        local route = fake.fail(400, "Universal Login customization is not enabled")
        local ctx = env.ctx{ routes = { ["GET /branding/themes/default"] = route } }
        assert.equal(env.null, h:fetch(ctx))
        assert.equal(env.null, h:fetch(ctx, A{}))
        local list, err = h:fetch(ctx, A{ theme.new() })
        assert.is_nil(list)
        assert.matches("AUTH0_EXCLUDED", err.message, 1, true)
        local r = env.deploy{ routes = { ["GET /branding/themes/default"] = route },
          desired = { themes = A{ theme.new() } } }
        assert.is_not_nil(r.err)
        assert.same({}, r.ctx.api:writes())
      end)
  end)

  describe("import", function()
    it("creates the theme without a themeId when the tenant has none", function()
      local t = theme.new()
      t.themeId = "from_another_tenant"
      local r = deploy({ t })
      assert.is_nil(r.err)
      assert.same({ theme.new() }, env.bodies(r.ctx.api, "POST", "/branding/themes"))
    end)

    it("sends nothing when an export of the tenant is imported again", function()
      local exported = handler.export_item(h, env.ctx{}, tenant_theme())
      assert.is_nil(exported.themeId)
      local r = deploy({ exported }, tenant_theme())
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("patches the tenant's theme, whole, when something differs", function()
      local w = theme.new().widget
      w.logo_height = 60
      local r = deploy({ theme.new({ widget = w }) }, tenant_theme())
      assert.is_nil(r.err)
      assert.same({ theme.new({ widget = w }) },
        env.bodies(r.ctx.api, "PATCH", "/branding/themes/th_1"))
      assert.equal(1, #r.ctx.api:writes())
    end)

    it("deploys only the first theme, with a warning", function()
      local r = deploy({ theme.new(), theme.new({ displayName = "Other" }) }, tenant_theme())
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      assert.matches("only the first of the 2 themes", r.ctx.log.lines.warn[1], 1, true)
    end)

    it("deletes the theme for themes: [] only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, tenant_theme())
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, tenant_theme(), { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/branding/themes/th_1"))
    end)

    it("reads the theme back when the answer to its create was lost", function()
      -- as a0lua.api answers an idempotent POST whose lost attempt made the item (409)
      local sent = {}
      local api = { request = function(_, method, path, opts)
        sent[#sent + 1] = method .. " " .. path
        if method == "POST" then
          assert.is_true(opts.idempotent)
          return true, { status = 409, recovered = true }
        end
        return tenant_theme(), { status = 200 }
      end }
      assert.equal("th_1", h:create(env.ctx{ api = api }, theme.new()).themeId)
      assert.same({ "POST /branding/themes", "GET /branding/themes/default" }, sent)
    end)
  end)
end)
