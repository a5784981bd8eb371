local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local function hook(name, extra)
  local h = { name = name, script = "module.exports = function () {};",
    triggerId = "credentials-exchange" }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local function tenant_hook(extra)
  local h = hook("my-hook", { id = "h1", enabled = false, dependencies = {} })
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local function deploy(desired, remote, secrets, cfg)
  local routes = { ["LIST /hooks"] = A(remote or {}) }
  for id, s in pairs(secrets or {}) do routes["GET /hooks/" .. id .. "/secrets"] = s end
  local r = env.deploy{ config = cfg or {}, routes = routes, desired = { hooks = A(desired) } }
  assert.is_nil(r.problems and r.problems[1] and tostring(r.problems[1].message))
  return r
end

describe("handlers/hooks", function()
  local h = env.handler("hooks")

  describe("schema and validation", function()
    it("requires script, name and triggerId, of a0deploy's enum, with its defaults", function()
      local value = A{ hook("my-hook") }
      assert.is_true(env.check("hooks", value))
      assert.is_false(value[1].enabled)
      assert.same({}, value[1].secrets)
      local ok, problems = env.check("hooks", A{ hook("my-hook", { triggerId = "post-login" }),
        { name = "no-script-hook" } })
      assert.is_false(ok)
      local at = {}
      for _, p in ipairs(problems) do at[p.pointer] = true end
      assert.is_true(at["/hooks/0/triggerId"])
      assert.is_true(at["/hooks/1"])
    end)

    it("allows one enabled hook per trigger", function()
      local ok, problems = env.check("hooks", A{ hook("first-hook", { enabled = true }),
        hook("second-hook", { enabled = true }), hook("third-hook", { enabled = false }) })
      assert.is_false(ok)
      assert.equal("/hooks/1/enabled", problems[1].pointer)
      assert.matches("only one enabled hook per trigger", problems[1].message, 1, true)
    end)
  end)

  describe("import", function()
    it("lower-cases names, creates without secrets, then posts them apart", function()
      local r = deploy({ hook("My Hook", { secrets = { KEY = "hook-secret-1" } }) })
      assert.is_nil(r.err)
      local posts = env.bodies(r.ctx.api, "POST", "/hooks")
      assert.equal(1, #posts)
      assert.equal("my-hook", posts[1].name)
      assert.is_nil(posts[1].secrets)
      local calls = r.ctx.api:writes()
      assert.equal(2, #calls)
      assert.matches("^/hooks/.+/secrets$", calls[2].path)
      assert.same({ KEY = "hook-secret-1" }, calls[2].body)
      assert.is_nil((r.plan:json() .. r.plan:render{ verbose = true }):find("hook-secret-1", 1,
        true))
    end)

    it("compares secrets by key: an unchanged hook sends nothing", function()
      local r = deploy({ hook("my-hook", { secrets = { KEY = "new-value" } }) }, { tenant_hook() },
        { h1 = { KEY = "_VALUE_NOT_SHOWN_" } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends a new key alone, and the values along with another change", function()
      local r = deploy({ hook("my-hook", { secrets = { KEY = "v1", NEW = "v2" } }) },
        { tenant_hook() }, { h1 = { KEY = "_VALUE_NOT_SHOWN_" } })
      assert.same({ { NEW = "v2" } }, env.bodies(r.ctx.api, "POST", "/hooks/h1/secrets"))
      assert.same({}, r.ctx.api:find("PATCH", "/hooks/h1/secrets"))
      r = deploy({ hook("my-hook", { enabled = true, secrets = { KEY = "v1" } }) },
        { tenant_hook() }, { h1 = { KEY = "_VALUE_NOT_SHOWN_" } })
      assert.same({ { enabled = true } }, env.bodies(r.ctx.api, "PATCH", "/hooks/h1"))
      assert.same({ { KEY = "v1" } }, env.bodies(r.ctx.api, "PATCH", "/hooks/h1/secrets"))
    end)

    it("never sends _VALUE_NOT_SHOWN_, and says a new key without a value is not made",
      function()
        local shown = "_VALUE_NOT_SHOWN_"
        local r = deploy({ hook("my-hook", { secrets = { KEY = shown, NEW = shown } }) },
          { tenant_hook() }, { h1 = { KEY = shown } })
        assert.same({}, r.ctx.api:writes())
        assert.matches("secret NEW has no value in the files",
          table.concat(r.ctx.log.lines.warn, "\n"), 1, true)
      end)

    it("deletes a tenant-only secret key only with AUTH0_ALLOW_DELETE", function()
      local secrets = { h1 = { KEY = "_VALUE_NOT_SHOWN_", OLD = "_VALUE_NOT_SHOWN_" } }
      local r = deploy({ hook("my-hook", { secrets = { KEY = "v" } }) }, { tenant_hook() },
        secrets)
      assert.same({}, r.ctx.api:writes())
      assert.matches("OLD are on the tenant only", table.concat(r.ctx.log.lines.warn, "\n"), 1,
        true)
      r = deploy({ hook("my-hook", { secrets = { KEY = "v" } }) }, { tenant_hook() }, secrets,
        { AUTH0_ALLOW_DELETE = true })
      assert.same({ A{ "OLD" } }, env.bodies(r.ctx.api, "DELETE", "/hooks/h1/secrets"))
    end)

    it("refuses a change of trigger", function()
      local ok, err = pcall(deploy, { hook("my-hook", { triggerId = "pre-user-registration" }) },
        { tenant_hook() }, { h1 = {} })
      assert.is_false(ok)
      assert.equal("hook_trigger", err.code)
    end)
  end)

  describe("reading the tenant", function()
    it("reads the secrets of the hooks the files name only, and the script when missing",
      function()
        local ctx = env.ctx{ routes = {
          ["LIST /hooks"] = A{ { id = "h1", name = "my-hook" }, { id = "h2", name = "other" } },
          ["GET /hooks/h1"] = { id = "h1", name = "my-hook", script = "code" },
          ["GET /hooks/h1/secrets"] = { KEY = "_VALUE_NOT_SHOWN_" } } }
        local list = assert(h:fetch(ctx, A{ hook("My Hook") }))
        assert.equal("code", list[1].script)
        assert.same({ KEY = "_VALUE_NOT_SHOWN_" }, list[1].secrets)
        assert.is_nil(list[2].secrets)
        assert.equal(0, #ctx.api:find("GET", "/hooks/h2/secrets"))
      end)

    it("reads 404 and 501 as none; 403 as none only when the files ask for none", function()
      for _, status in ipairs({ 404, 501 }) do
        local ctx = env.ctx{ routes = { ["LIST /hooks"] = fake.fail(status) } }
        assert.same({}, h:fetch(ctx))
      end
      local ctx = env.ctx{ routes = { ["LIST /hooks"] = fake.fail(403, "deprecated feature") } }
      assert.same({}, h:fetch(ctx, A{}))
      local list, err = h:fetch(ctx, A{ hook("my-hook") })
      assert.is_nil(list)
      assert.equal("hooks_unavailable", err.code)
    end)
  end)

  describe("export", function()
    it("writes secret keys with the API's _VALUE_NOT_SHOWN_, never a value", function()
      for _, secrets in ipairs({ false, true }) do
        local ctx = env.ctx{ config = { AUTH0_EXPORT_SECRETS = secrets } }
        local out = handler.export_item(h, ctx, tenant_hook{ secrets = { KEY = "leaked" } })
        assert.same({ KEY = "_VALUE_NOT_SHOWN_" }, out.secrets)
        assert.is_nil(out.id)
      end
    end)
  end)

  it("is a REPL collection and can be replaced by a user handler like any type", function()
    local registry = env.registry()
    for _, t in ipairs({ "rules", "rulesConfigs", "hooks" }) do
      assert.is_truthy(registry:get(t), t)
      local copy = require("a0lua.handlers").base(t)
      assert.equal(t, copy.type)
    end
  end)
end)
