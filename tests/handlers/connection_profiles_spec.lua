local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local A = env.A

local function deploy(desired, remote, cfg)
  return env.deploy{ config = cfg or {},
    routes = { ["LIST /connection-profiles"] = A(remote or {}) },
    desired = { connectionProfiles = desired } }
end

describe("handlers/connection_profiles", function()
  local h = env.handler("connectionProfiles")

  describe("schema", function()
    it("accepts a0deploy's example profile", function()
      assert.is_true(env.check("connectionProfiles", A{ { name = "Enterprise SSO Profile",
        organization = { show_as_button = "required", assign_membership_on_login = "optional" },
        connection_name_prefix_template = "org-{org_name}",
        enabled_features = A{ "scim", "universal_logout" },
        strategy_overrides = { samlp = { enabled_features = A{ "universal_logout" } } } } }))
    end)

    it("requires a name and refuses unknown enum values and repeated features", function()
      local ok, problems = env.check("connectionProfiles", A{
        { organization = { show_as_button = "requierd" } },
        { name = "B", enabled_features = A{ "scim", "scim" },
          strategy_overrides = { oidc = { enabled_features = A{ "sso" } } } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/connectionProfiles/0"])
      assert.is_true(pointers["/connectionProfiles/0/organization/show_as_button"])
      assert.is_true(pointers["/connectionProfiles/1/enabled_features"])
      assert.is_true(pointers["/connectionProfiles/1/strategy_overrides/oidc/enabled_features/0"])
    end)
  end)

  describe("fetch", function()
    it("reads the checkpoint list, ten at a time", function()
      local ctx = env.ctx{ routes = { ["LIST /connection-profiles"] = A{ { id = "cop_1",
        name = "P" } } } }
      assert.same(A{ { id = "cop_1", name = "P" } }, h:fetch(ctx))
      local call = ctx.api:find("LIST", "/connection-profiles")[1]
      assert.equal("checkpoint", call.opts.paging)
      assert.equal(10, call.opts.take)
    end)

    it("reads a tenant without the feature (404, 501, 403) as having none", function()
      for _, status in ipairs({ 404, 501, 403 }) do
        local ctx = env.ctx{ routes = { ["LIST /connection-profiles"] = fake.fail(status) } }
        assert.same(A{}, h:fetch(ctx))
      end
      local ctx = env.ctx{ routes = { ["LIST /connection-profiles"] = fake.fail(500) } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    it("creates, updates only what differs, and makes no request when all matches", function()
      local r = deploy(A{ { name = "New", enabled_features = A{ "scim" } },
        { name = "Old", organization = { show_as_button = "none" } },
        { name = "Same", enabled_features = A{ "scim" } } },
        { { id = "cop_o", name = "Old", organization = { show_as_button = "optional",
            assign_membership_on_login = "none" } },
          { id = "cop_s", name = "Same", enabled_features = A{ "scim" } } })
      assert.is_nil(r.err)
      assert.same({ { name = "New", enabled_features = A{ "scim" } } },
        env.bodies(r.ctx.api, "POST", "/connection-profiles"))
      assert.same({ { organization = { show_as_button = "none" } } },
        env.bodies(r.ctx.api, "PATCH", "/connection-profiles/cop_o"))
      assert.equal(2, #r.ctx.api:writes())
    end)

    it("deletes a profile the files do not have only with AUTH0_ALLOW_DELETE", function()
      local remote = { { id = "cop_x", name = "Gone" } }
      local r = deploy(A{}, remote)
      assert.same({}, r.ctx.api:writes())
      r = deploy(A{}, remote, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/connection-profiles/cop_x"))
    end)
  end)

  it("exports without the id", function()
    local item = require("a0lua.handler").export_item(h, env.ctx{},
      { id = "cop_1", name = "P", enabled_features = A{ "scim" } })
    assert.same({ name = "P", enabled_features = A{ "scim" } }, item)
  end)
end)
