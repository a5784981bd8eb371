local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local TRIGGERS = A{ { id = "post-login", version = "v3" } }

local function remote(extra)
  local a = { id = "act1", name = "tag-login", code = "exports.onExecutePostLogin = 1;",
    runtime = "node22", dependencies = A{}, secrets = A{ { name = "KEY",
      updated_at = "2026-01-01T00:00:00Z" } }, supported_triggers = TRIGGERS,
    status = "built", all_changes_deployed = true }
  for k, v in pairs(extra or {}) do a[k] = v end
  return a
end

local function desired(extra)
  local a = { name = "tag-login", code = "exports.onExecutePostLogin = 1;", runtime = "node22",
    dependencies = A{}, secrets = A{ { name = "KEY" } }, supported_triggers = TRIGGERS,
    deployed = true }
  for k, v in pairs(extra or {}) do a[k] = v end
  return a
end

local function deploy(list, actions, extra, cfg)
  local routes = { ["LIST /actions/actions"] = A(actions or {}) }
  for k, v in pairs(extra or {}) do routes[k] = v end
  return env.deploy{ config = cfg or {}, routes = routes, desired = { actions = list } }
end

describe("handlers/actions", function()
  local h = env.handler("actions")

  describe("schema", function()
    it("fills code and name and accepts secrets, dependencies and modules", function()
      local list = A{ { supported_triggers = A{ {} }, secrets = A{ { name = "K", value = "v",
        updated_at = "2026-01-01T10:00:00Z" } }, dependencies = A{ { name = "lodash",
        version = "4" } }, modules = A{ { module_name = "m", module_version_number = 2 } } } }
      assert.is_true(env.check("actions", list))
      assert.equal("", list[1].code)
      assert.equal("", list[1].name)
      assert.equal("", list[1].supported_triggers[1].id)
    end)

    it("requires supported_triggers and rejects bad dependencies, dates and modules", function()
      local ok, problems = env.check("actions", A{ { name = "a", code = "x",
        dependencies = A{ { name = "x", url = "y" } },
        secrets = A{ { name = "K", updated_at = "2026-01-01" } },
        modules = A{ { module_name = "m" } } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/actions/0"])
      assert.is_true(pointers["/actions/0/dependencies/0/url"])
      assert.is_true(pointers["/actions/0/secrets/0/updated_at"])
      assert.is_true(pointers["/actions/0/modules/0"])
    end)
  end)

  describe("fetch", function()
    it("reads actions switched off on the tenant as none", function()
      local ctx = env.ctx{ routes = { ["LIST /actions/actions"] = fake.fail(403, "off",
        "feature_not_enabled") } }
      assert.same(A{}, h:fetch(ctx))
    end)

    it("says how to skip actions when the service fails", function()
      local ctx = env.ctx{ routes = { ["LIST /actions/actions"] = fake.fail(500,
        "An internal server error occurred") } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.matches("AUTH0_EXCLUDED", err.message)
    end)
  end)

  describe("import", function()
    it("creates the draft, waits for the build, then deploys it", function()
      local slept = {}
      local r = env.deploy{ routes = {
        ["GET /actions/actions/id1"] = fake.sequence{ { status = "pending" },
          { status = "building" }, { status = "built" } },
      }, desired = { actions = A{ desired() } },
        sleep = function(ms) slept[#slept + 1] = ms end }
      assert.is_nil(r.err)
      local sent = env.bodies(r.ctx.api, "POST", "/actions/actions")[1]
      assert.is_nil(sent.deployed)
      assert.equal("tag-login", sent.name)
      assert.equal(3, #r.ctx.api:find("GET", "/actions/actions/id1"))
      assert.equal(2, #slept)
      assert.equal(1, #r.ctx.api:find("POST", "/actions/actions/id1/deploy"))
    end)

    it("tries the deploy again while the draft is not built", function()
      local r = env.deploy{ routes = {
        ["GET /actions/actions/id1"] = { status = "built" },
        ["POST /actions/actions/id1/deploy"] = fake.sequence{
          fake.fail(400, "A draft must be in the 'built' state before it can be deployed."),
          { id = "v1" } },
      }, desired = { actions = A{ desired() } } }
      assert.is_nil(r.err)
      assert.equal(2, #r.ctx.api:find("POST", "/actions/actions/id1/deploy"))
    end)

    it("fails when the build fails", function()
      local r = env.deploy{ routes = { ["GET /actions/actions/id1"] = { status = "failed" } },
        desired = { actions = A{ desired() } } }
      assert.equal("apply_failed", r.err.code)
      assert.matches("build failed", tostring(r.err))
      assert.same({}, r.ctx.api:find("POST", "/actions/actions/id1/deploy"))
    end)

    it("does not deploy an action marked deployed: false", function()
      local r = deploy(A{ desired{ deployed = false } })
      assert.equal(1, #r.ctx.api:find("POST", "/actions/actions"))
      assert.same({}, r.ctx.api:find("GET"))
    end)

    it("makes no request when the deployed action matches", function()
      local r = deploy(A{ desired{ status = "built" } }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("patches the changed code, then deploys", function()
      local r = deploy(A{ desired{ code = "new code" } }, { remote() },
        { ["GET /actions/actions/act1"] = { status = "built" } })
      assert.same({ { code = "new code" } }, env.bodies(r.ctx.api, "PATCH",
        "/actions/actions/act1"))
      assert.equal(1, #r.ctx.api:find("POST", "/actions/actions/act1/deploy"))
    end)

    it("only deploys an action whose changes are not all deployed", function()
      local r = deploy(A{ desired() }, { remote{ all_changes_deployed = false } },
        { ["GET /actions/actions/act1"] = { status = "built" } })
      assert.same({}, r.ctx.api:find("PATCH"))
      assert.equal(1, #r.ctx.api:find("POST", "/actions/actions/act1/deploy"))
    end)

    it("sends the secrets when their names differ", function()
      local r = deploy(A{ desired{ deployed = false, secrets = A{ { name = "KEY" },
        { name = "NEW", value = "v" } } } }, { remote() })
      assert.same({ { secrets = A{ { name = "KEY" }, { name = "NEW", value = "v" } } } },
        env.bodies(r.ctx.api, "PATCH", "/actions/actions/act1"))
    end)

    it("turns module names and versions into ids", function()
      local r = deploy(A{ desired{ deployed = false,
        modules = A{ { module_name = "helpers", module_version_number = 2 } } } }, {}, {
        ["LIST /actions/modules"] = A{ { id = "mod1", name = "helpers" } },
        ["LIST /actions/modules/mod1/versions"] = A{ { id = "ver1", version_number = 1 },
          { id = "ver2", version_number = 2 } } })
      assert.same(A{ { module_name = "helpers", module_id = "mod1", module_version_number = 2,
        module_version_id = "ver2" } }, env.bodies(r.ctx.api, "POST", "/actions/actions")[1]
        .modules)
    end)

    it("stops on an unknown module version", function()
      assert.has_error(function()
        deploy(A{ desired{ modules = A{ { module_name = "helpers",
          module_version_number = 9 } } } }, {}, {
          ["LIST /actions/modules"] = A{ { id = "mod1", name = "helpers" } },
          ["LIST /actions/modules/mod1/versions"] = A{ { id = "ver1", version_number = 1 } } })
      end, nil)
    end)

    it("deletes with force, but never a marketplace action", function()
      local r = deploy(A{}, { remote(), remote{ id = "m1", name = "market",
        integration = { id = "i" } } }, {}, { AUTH0_ALLOW_DELETE = true })
      assert.same({ { method = "DELETE", path = "/actions/actions/act1",
        query = { force = true } } }, r.ctx.api:writes())
    end)
  end)

  describe("export", function()
    it("writes the action as a0deploy does, with deployed from all_changes_deployed", function()
      local out = handler.export_item(h, env.ctx(), remote{ created_at = "x",
        deployed_version = { id = "v" } })
      assert.same({ name = "tag-login", deployed = true, code = "exports.onExecutePostLogin = 1;",
        runtime = "node22", dependencies = A{}, status = "built", secrets = A{ { name = "KEY" } },
        supported_triggers = TRIGGERS }, out)
    end)

    it("keeps the id with AUTH0_EXPORT_IDENTIFIERS and skips marketplace actions", function()
      local ctx = env.ctx{ config = { AUTH0_EXPORT_IDENTIFIERS = true } }
      assert.equal("act1", handler.export_item(h, ctx, remote()).id)
      assert.is_nil(handler.export_item(h, ctx, remote{ integration = { id = "i" } }))
    end)
  end)
end)
