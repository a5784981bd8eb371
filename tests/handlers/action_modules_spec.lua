local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local function module(extra)
  local m = { name = "notifier", code = "module.exports = {};",
    dependencies = A{ { name = "uuid", version = "9.0.0" } },
    secrets = A{ { name = "KEY", value = "v" } } }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

local function remote(extra)
  local m = { id = "mod_1", name = "notifier", code = "module.exports = {};",
    dependencies = A{ { name = "uuid", version = "9.0.0" } },
    secrets = A{ { name = "KEY", updated_at = "2026-01-01T00:00:00.000Z" } },
    actions_using_module_total = 1, all_changes_published = true, latest_version_number = 1,
    created_at = "2026-01-01T00:00:00.000Z", updated_at = "2026-01-01T00:00:00.000Z" }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

local function deploy(desired, current, cfg, routes)
  local all = { ["LIST /actions/modules"] = A(current or {}),
    ["POST /actions/modules/mod_1/versions"] = { id = "ver_2", version_number = 2 },
    ["POST /actions/modules/id1/versions"] = { id = "ver_1", version_number = 1 } }
  for k, v in pairs(routes or {}) do all[k] = v end
  return env.deploy{ config = cfg or {}, desired = { actionModules = A(desired) }, routes = all }
end

describe("handlers/action_modules", function()
  local h = env.handler("actionModules")

  describe("schema", function()
    it("requires name and code; dependencies take only name and version", function()
      assert.is_true(env.check("actionModules", A{ module() }))
      local ok, problems = env.check("actionModules", A{ { name = "x" },
        module{ dependencies = A{ { name = "uuid", version = "9", registry_url = "x" } } } })
      assert.is_false(ok)
      assert.equal(2, #problems)
    end)

    it("wants all_changes_published to be a boolean", function()
      local ok = env.check("actionModules", A{ module{ all_changes_published = "yes" } })
      assert.is_false(ok)
    end)
  end)

  it("reads a tenant without action modules (403, 404) as none", function()
    for _, status in ipairs({ 403, 404 }) do
      local ctx = env.ctx{ routes = { ["LIST /actions/modules"] = fake.fail(status, "no") } }
      assert.same(A{}, h:fetch(ctx))
    end
  end)

  describe("import", function()
    it("creates without publishing unless all_changes_published is true", function()
      local r = deploy({ module() })
      assert.is_nil(r.err)
      assert.same({ module() }, env.bodies(r.ctx.api, "POST", "/actions/modules"))
      assert.same({}, r.ctx.api:find("POST", "/actions/modules/id1/versions"))
      r = deploy({ module{ all_changes_published = true } })
      assert.same({ module() }, env.bodies(r.ctx.api, "POST", "/actions/modules"))
      assert.equal(1, #r.ctx.api:find("POST", "/actions/modules/id1/versions"))
    end)

    it("sends nothing for an unchanged module, its counters and secrets' values aside", function()
      local r = deploy({ module{ all_changes_published = true, latest_version_number = 7,
        actions_using_module_total = 3 } }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("updates only what differs, with the secrets when values are given, then publishes",
        function()
      local r = deploy({ module{ code = "new", all_changes_published = true } }, { remote() })
      assert.is_nil(r.err)
      assert.same({ { code = "new", secrets = A{ { name = "KEY", value = "v" } } } },
        env.bodies(r.ctx.api, "PATCH", "/actions/modules/mod_1"))
      assert.equal(1, #r.ctx.api:find("POST", "/actions/modules/mod_1/versions"))
    end)

    it("publishes a module with unpublished changes when the files ask, sending no PATCH",
        function()
      local r = deploy({ module{ all_changes_published = true } },
        { remote{ all_changes_published = false } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:find("PATCH", "/actions/modules/mod_1"))
      assert.equal(1, #r.ctx.api:find("POST", "/actions/modules/mod_1/versions"))
    end)

    it("sends secrets whose names differ, never comparing values", function()
      local r = deploy({ module{ secrets = A{ { name = "OTHER", value = "x" } } } },
        { remote() })
      assert.same({ { secrets = A{ { name = "OTHER", value = "x" } } } },
        env.bodies(r.ctx.api, "PATCH", "/actions/modules/mod_1"))
    end)

    it("deletes a module the files lack only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { remote() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { remote() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/actions/modules/mod_1"))
    end)
  end)

  describe("actions importing a module", function()
    local function action(version)
      return { name = "a", code = "", supported_triggers = A{ { id = "post-login" } },
        modules = A{ { module_name = "notifier", module_version_number = version } } }
    end
    local versions = A{ { id = "ver_1", version_number = 1 } }

    it("resolve a version this run publishes once the modules are done", function()
      local r = env.deploy{ desired = {
        actionModules = A{ module{ code = "new", all_changes_published = true } },
        actions = A{ action(2) } }, routes = {
        ["LIST /actions/modules"] = A{ remote() },
        ["LIST /actions/modules/mod_1/versions"] = fake.sequence({ versions, versions,
          A{ { id = "ver_2", version_number = 2 }, versions[1] } }),
        ["POST /actions/modules/mod_1/versions"] = { id = "ver_2", version_number = 2 },
      } }
      assert.is_nil(r.err)
      local created = env.bodies(r.ctx.api, "POST", "/actions/actions")[1]
      assert.same(A{ { module_name = "notifier", module_id = "mod_1", module_version_number = 2,
        module_version_id = "ver_2" } }, created.modules)
    end)

    it("fail on a version that neither the tenant has nor this run publishes", function()
      local api = fake.new{ ["LIST /actions/modules"] = A{ remote() },
        ["LIST /actions/modules/mod_1/versions"] = versions }
      local ok, err = pcall(env.deploy, { api = api,
        desired = { actionModules = A{ module() }, actions = A{ action(2) } } })
      assert.is_false(ok)
      assert.matches("could not find version 2 of action module notifier", err.message, 1, true)
      assert.same({}, api:writes())
    end)
  end)

  it("exports as a0deploy does: secrets by name, the tenant's counters, no id", function()
    local ctx = env.ctx{}
    assert.same({ name = "notifier", code = "module.exports = {};",
      dependencies = A{ { name = "uuid", version = "9.0.0" } }, secrets = A{ { name = "KEY" } },
      actions_using_module_total = 1, all_changes_published = true, latest_version_number = 1 },
      handler.export_item(h, ctx, remote()))
  end)
end)
