local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")

local A = env.A

local HTML = "<!DOCTYPE html><html><head>{%- auth0:head -%}</head>"
  .. "<body>{%- auth0:widget -%}</body></html>"

local function tenant_branding()
  return { colors = { primary = "#F8F8F2", page_background = "#222221" },
    logo_url = "https://example.com/logo.png", favicon_url = "https://example.com/f.ico" }
end

local function deploy(desired, routes, cfg)
  local all = {
    ["GET /branding"] = tenant_branding(),
    ["GET /branding/templates/universal-login"] = { body = HTML },
    ["GET /prompts"] = { universal_login_experience = "new", identifier_first = true },
  }
  for k, v in pairs(routes or {}) do all[k] = v end
  return env.deploy{ config = cfg or {}, routes = all, desired = { branding = desired } }
end

local function lines(api)
  local out = {}
  for _, c in ipairs(api.calls) do out[#out + 1] = c.method .. " " .. c.path end
  return out
end

describe("handlers/branding", function()
  local h = env.handler("branding")

  describe("schema", function()
    it("types the settings as the API's update body and the templates as a0deploy's", function()
      assert.is_true(env.check("branding", { colors = { primary = "#000000" },
        logo_url = "https://example.com/l.png", templates = A{ { template = "universal_login",
        body = HTML } } }))
      local ok, problems = env.check("branding", { identifiers = { login_display = "unifed" } })
      assert.is_false(ok)
      assert.matches("identifiers.login_display: must be one of unified, separate",
        tostring(problems[1]), 1, true)
      ok, problems = env.check("branding", { logo_url = 12 })
      assert.is_false(ok)
      assert.matches("logo_url", tostring(problems[1]), 1, true)
      assert.is_false((env.check("branding", { templates = A{ { body = HTML } } })))
    end)

    it("refuses a template without one auth0:head and an auth0:widget tag, as the API does",
      function()
        local ok, problems = env.check("branding", { templates = A{ { template = "universal_login",
          body = "<html>{%- auth0:widget -%}</html>" } } })
        assert.is_false(ok)
        assert.matches("branding.templates[0].body: the template must contain a single "
          .. "auth0:head tag", tostring(problems[1]), 1, true)
      end)
  end)

  describe("fetch", function()
    it("reads the template for an export, and for a plan only when the files set one", function()
      local ctx = env.ctx{ routes = { ["GET /branding"] = tenant_branding(),
        ["GET /branding/templates/universal-login"] = { body = HTML } } }
      local all = h:fetch(ctx)
      assert.same(A{ { template = "universal_login", body = HTML } }, all.templates)
      ctx = env.ctx{ routes = { ["GET /branding"] = tenant_branding() } }
      local partial = h:fetch(ctx, { logo_url = "x", templates = A{} })
      assert.same({ "GET /branding" }, lines(ctx.api))
      assert.same(A{}, partial.templates)
    end)

    it("reads no template from a tenant without a custom domain (400) or template (404)",
      function()
        for _, status in ipairs({ 400, 404 }) do
          local ctx = env.ctx{ routes = { ["GET /branding"] = {},
            ["GET /branding/templates/universal-login"] = fake.fail(status, "no") } }
          assert.same(A{}, h:fetch(ctx).templates)
        end
        local ctx = env.ctx{ routes = { ["GET /branding"] = {},
          ["GET /branding/templates/universal-login"] = fake.fail(403, "Insufficient scope") } }
        assert.same(A{}, h:fetch(ctx).templates)
        assert.equal(1, #ctx.log.lines.warn)
      end)
  end)

  describe("import", function()
    it("sends nothing when an export of the tenant is imported again", function()
      local exported = tenant_branding()
      exported.templates = A{ { template = "universal_login", body = HTML } }
      local r = deploy(exported)
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      r = deploy(handler.export_item(h, env.ctx{}, tenant_branding()))
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      assert.same({ "GET /branding" }, lines(r.ctx.api))
    end)

    it("patches only the settings that differ and leaves the template alone", function()
      local r = deploy({ logo_url = "https://example.com/new.png", colors = {
        primary = "#F8F8F2", page_background = "#222221" }, templates = A{} })
      assert.is_nil(r.err)
      assert.same({ { logo_url = "https://example.com/new.png" } },
        env.bodies(r.ctx.api, "PATCH", "/branding"))
      assert.same({}, r.ctx.api:find("PUT", "/branding/templates/universal-login"))
      assert.same({}, r.ctx.api:find("PATCH", "/prompts"))
    end)

    it("sets back the prompt settings a branding PATCH reset, and only those", function()
      local r = deploy({ logo_url = "https://example.com/new.png" }, {
        ["GET /prompts"] = fake.sequence{
          { universal_login_experience = "new", identifier_first = true },
          { universal_login_experience = "new", identifier_first = false } } })
      assert.is_nil(r.err)
      assert.same({ { identifier_first = true } }, env.bodies(r.ctx.api, "PATCH", "/prompts"))
      local order = {}
      for _, c in ipairs(r.ctx.api:writes()) do order[#order + 1] = c.method .. " " .. c.path end
      assert.same({ "PATCH /branding", "PATCH /prompts" }, order)
    end)

    it("puts the template only when its body differs", function()
      local r = deploy({ templates = A{ { template = "universal_login", body = HTML .. "\n" } } })
      assert.is_nil(r.err)
      assert.same({ { template = HTML .. "\n" } },
        env.bodies(r.ctx.api, "PUT", "/branding/templates/universal-login"))
      assert.same({}, r.ctx.api:find("PATCH", "/branding"))
      assert.same({}, r.ctx.api:find("GET", "/prompts"))
    end)

    it("warns about an unknown template and does not send it", function()
      local r = deploy({ templates = A{ { template = "login", body = HTML } } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      assert.matches('unknown template "login"', r.ctx.log.lines.warn[1], 1, true)
    end)

    it("does not send an empty logo_url", function()
      local r = deploy({ logo_url = "", favicon_url = "https://example.com/f.ico" })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  it("exports the settings with an empty template list when the tenant has none", function()
    local out = handler.export_item(h, env.ctx{}, tenant_branding())
    assert.same(A{}, out.templates)
    assert.equal("https://example.com/logo.png", out.logo_url)
  end)
end)
