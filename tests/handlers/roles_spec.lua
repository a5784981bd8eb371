local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A, null = json.array, json.null

local function perm(name, api)
  return { permission_name = name, resource_server_identifier = api or "https://api/" }
end

local function deploy(desired, remote, perms, cfg, extra)
  local routes = { ["LIST /roles"] = A(remote or {}) }
  for id, list in pairs(perms or {}) do routes["LIST /roles/" .. id .. "/permissions"] = A(list) end
  for k, v in pairs(extra or {}) do routes[k] = v end
  return env.deploy{ config = cfg or {}, routes = routes, desired = { roles = desired } }
end

describe("handlers/roles", function()
  local h = env.handler("roles")

  describe("schema", function()
    it("accepts a role with permissions", function()
      assert.is_true(env.check("roles", A{ { name = "Admin", description = "All",
        permissions = A{ perm("read") } } }))
    end)

    it("requires a name and knows the role types", function()
      local ok, problems = env.check("roles", A{ { description = "x", type = "group" } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/roles/0"])
      assert.is_true(pointers["/roles/0/type"])
    end)
  end)

  describe("fetch", function()
    it("reads tenant roles with their permissions reduced and sorted", function()
      local ctx = env.ctx{ routes = {
        ["LIST /roles"] = A{ { id = "r1", name = "Admin" },
          { id = "r2", name = "Org", type = "organization" } },
        ["LIST /roles/r1/permissions"] = A{
          { permission_name = "write", resource_server_identifier = "https://api/",
            resource_server_name = "API", description = "d" },
          { permission_name = "read", resource_server_identifier = "https://api/" } },
      } }
      local list = h:fetch(ctx)
      assert.equal(1, #list)
      assert.same(A{ perm("read"), perm("write") }, list[1].permissions)
    end)

    it("reads a role whose permissions are not available as having none", function()
      local ctx = env.ctx{ routes = { ["LIST /roles"] = A{ { id = "r1", name = "Admin" } },
        ["LIST /roles/r1/permissions"] = fake.fail(404, "not found") } }
      assert.same(A{}, h:fetch(ctx)[1].permissions)
    end)
  end)

  describe("import", function()
    it("creates the role, then adds its permissions", function()
      local r = deploy(A{ { name = "Admin", permissions = A{ perm("read") } } })
      assert.is_nil(r.err)
      assert.same({ { name = "Admin" } }, env.bodies(r.ctx.api, "POST", "/roles"))
      assert.same({ { permissions = A{ perm("read") } } },
        env.bodies(r.ctx.api, "POST", "/roles/id1/permissions"))
    end)

    it("makes no request when the role and its permissions match in any order", function()
      local r = deploy(A{ { name = "Admin", description = "d",
        permissions = A{ perm("write"), perm("read") } } },
        { { id = "r1", name = "Admin", description = "d" } },
        { r1 = { perm("read"), perm("write") } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("removes and adds only the permissions that differ", function()
      local r = deploy(A{ { name = "Admin", permissions = A{ perm("read"), perm("admin") } } },
        { { id = "r1", name = "Admin" } }, { r1 = { perm("read"), perm("write") } })
      assert.same({ { permissions = A{ perm("write") } } },
        env.bodies(r.ctx.api, "DELETE", "/roles/r1/permissions"))
      assert.same({ { permissions = A{ perm("admin") } } },
        env.bodies(r.ctx.api, "POST", "/roles/r1/permissions"))
      assert.same({}, r.ctx.api:find("PATCH"))
    end)

    it("patches the role's own fields without permissions", function()
      local r = deploy(A{ { name = "Admin", description = "new" } },
        { { id = "r1", name = "Admin", description = "old" } }, { r1 = {} })
      assert.same({ { description = "new" } }, env.bodies(r.ctx.api, "PATCH", "/roles/r1"))
    end)

    it("deletes a role the files lack when deletes are allowed", function()
      local r = deploy(A{}, { { id = "r1", name = "Admin" } }, { r1 = {} },
        { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/roles/r1"))
    end)

    it("reports a failed permission change", function()
      local r = deploy(A{ { name = "Admin", permissions = A{ perm("x") } } },
        { { id = "r1", name = "Admin" } }, { r1 = {} }, {},
        { ["POST /roles/r1/permissions"] = fake.fail(400, "unknown permission") })
      assert.equal("apply_failed", r.err.code)
      assert.matches("unknown permission", tostring(r.err))
    end)
  end)

  describe("export", function()
    it("drops a null description and the id", function()
      local out = handler.export_item(h, env.ctx(), { id = "r1", name = "Admin",
        description = null, permissions = A{} })
      assert.same({ name = "Admin", permissions = A{} }, out)
    end)
  end)
end)
