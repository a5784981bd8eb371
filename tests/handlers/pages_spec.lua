local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local GLOBAL = { client_id = "global1", name = "All Applications", global = true,
  custom_login_page = "<html>login</html>", custom_login_page_on = true }

local function routes(global, settings)
  return { ["LIST /clients"] = global and A{ global } or A{},
    ["GET /tenants/settings"] = settings or { friendly_name = "T",
      change_password = { enabled = true, html = "<p>reset</p>" },
      error_page = { html = "", show_log_link = false, url = "https://x/error" } } }
end

local function deploy(desired, r)
  return env.deploy{ routes = r or routes(handler.deep_copy(GLOBAL)),
    desired = { pages = desired } }
end

describe("handlers/pages", function()
  local h = env.handler("pages")

  describe("schema", function()
    it("accepts the four pages and fills an empty html", function()
      local pages = A{ { name = "login", enabled = true }, { name = "error_page", url = "u",
        show_log_link = true } }
      assert.is_true(env.check("pages", pages))
      assert.equal("", pages[1].html)
    end)

    it("rejects an unknown page", function()
      local ok, problems = env.check("pages", A{ { name = "logout", html = "x" } })
      assert.is_false(ok)
      assert.equal("/pages/0/name", problems[1].pointer)
    end)
  end)

  describe("fetch", function()
    it("reads the login page from the global client and the others from the settings",
      function()
        local ctx = env.ctx{ routes = routes(GLOBAL) }
        local pages = h:fetch(ctx)
        assert.same(A{ { name = "login", html = "<html>login</html>", enabled = true },
          { name = "password_reset", enabled = true, html = "<p>reset</p>" },
          { name = "error_page", html = "", show_log_link = false, url = "https://x/error" } },
          pages)
        assert.same({ is_global = true }, ctx.api.calls[1].query)
      end)
  end)

  describe("import", function()
    it("sets the login page on the global client", function()
      local r = deploy(A{ { name = "login", html = "<html>new</html>", enabled = true } })
      assert.is_nil(r.err)
      assert.same({ { custom_login_page = "<html>new</html>", custom_login_page_on = true } },
        env.bodies(r.ctx.api, "PATCH", "/clients/global1"))
    end)

    it("sets a tenant page whole under its settings key", function()
      local r = deploy(A{ { name = "password_reset", html = "<p>new</p>" } })
      assert.same({ { change_password = { enabled = true, html = "<p>new</p>" } } },
        env.bodies(r.ctx.api, "PATCH", "/tenants/settings"))
    end)

    it("sets a page the tenant does not have yet", function()
      local r = deploy(A{ { name = "guardian_multifactor", enabled = true, html = "<p>mfa</p>" } })
      assert.same({ { guardian_mfa_page = { enabled = true, html = "<p>mfa</p>" } } },
        env.bodies(r.ctx.api, "PATCH", "/tenants/settings"))
    end)

    it("makes no request when the pages match", function()
      local r = deploy(A{ { name = "login", html = "<html>login</html>", enabled = true },
        { name = "error_page", url = "https://x/error" } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("fails to set the login page without a global client", function()
      local r = deploy(A{ { name = "login", html = "<p>x</p>" } }, routes(nil))
      assert.equal("apply_failed", r.err.code)
      assert.matches("global client", tostring(r.err))
    end)

    it("returns the error of a failed write", function()
      local rt = routes(GLOBAL)
      rt["PATCH /tenants/settings"] = fake.fail(400, "bad page")
      local r = deploy(A{ { name = "error_page", url = "https://y" } }, rt)
      assert.equal("apply_failed", r.err.code)
    end)
  end)

  describe("export", function()
    it("does not write a login page without html", function()
      assert.is_nil(handler.export_item(h, env.ctx(), { name = "login", html = "" }))
      assert.same({ name = "error_page", url = "u" },
        handler.export_item(h, env.ctx(), { name = "error_page", url = "u" }))
    end)
  end)
end)
