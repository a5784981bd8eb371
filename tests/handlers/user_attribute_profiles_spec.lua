local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local A = env.A

local EMAIL = { description = "Email of the User", label = "Email", profile_required = true,
  auth0_mapping = "email" }

local function deploy(desired, remote, cfg)
  return env.deploy{ config = cfg or {},
    routes = { ["LIST /user-attribute-profiles"] = A(remote or {}) },
    desired = { userAttributeProfiles = desired } }
end

describe("handlers/user_attribute_profiles", function()
  local h = env.handler("userAttributeProfiles")

  describe("schema", function()
    it("accepts a0deploy's lots-of-configuration profile and fills in the user id defaults",
        function()
      local value = A{ { name = "P", user_attributes = { email = EMAIL },
        user_id = { oidc_mapping = "sub" } } }
      assert.is_true(env.check("userAttributeProfiles", value))
      local r = deploy(value)
      assert.same({ { name = "P", user_attributes = { email = EMAIL },
        user_id = { oidc_mapping = "sub", scim_mapping = "externalId" } } },
        env.bodies(r.ctx.api, "POST", "/user-attribute-profiles"))
    end)

    it("refuses attributes as a list, missing attribute fields and unknown mappings", function()
      local ok, problems = env.check("userAttributeProfiles", A{
        { name = "List", user_attributes = A{ { name = "email" } } },
        { name = "Missing", user_attributes = { email = { label = "Email" } } },
        { name = "Enum", user_attributes = { email = EMAIL }, user_id = { oidc_mapping = "oid",
          strategy_overrides = { waad = { oidc_mapping = "upn" } } } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/userAttributeProfiles/0/user_attributes"])
      assert.is_true(pointers["/userAttributeProfiles/1/user_attributes/email"])
      assert.is_true(pointers["/userAttributeProfiles/2/user_id/oidc_mapping"])
      assert.is_true(pointers["/userAttributeProfiles/2/user_id/strategy_overrides/waad/"
        .. "oidc_mapping"])
    end)
  end)

  describe("fetch", function()
    it("reads the tenant's own profiles (is_global=false), a missing feature as none", function()
      local ctx = env.ctx{ routes = { ["LIST /user-attribute-profiles"] = A{ { id = "uap_1",
        name = "P" } } } }
      assert.equal(1, #h:fetch(ctx))
      local call = ctx.api:find("LIST", "/user-attribute-profiles")[1]
      assert.same({ is_global = false }, call.query)
      assert.equal(10, call.opts.take)
      ctx = env.ctx{ routes = { ["LIST /user-attribute-profiles"] = fake.fail(403) } }
      assert.same(A{}, h:fetch(ctx))
    end)
  end)

  describe("import", function()
    it("makes no request when the tenant has the same profile with API defaults", function()
      local r = deploy(A{ { name = "P", user_attributes = { email = EMAIL },
        user_id = { oidc_mapping = "sub" } } },
        { { id = "uap_1", name = "P", user_attributes = { email = EMAIL },
          user_id = { oidc_mapping = "sub", scim_mapping = "externalId",
            saml_mapping = A{ "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn" } } } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends the whole attribute map when the files drop an attribute", function()
      local name = { description = "Name", label = "Name", profile_required = false,
        auth0_mapping = "name" }
      local r = deploy(A{ { name = "P", user_attributes = { email = EMAIL } } },
        { { id = "uap_1", name = "P", user_attributes = { email = EMAIL, name = name },
          user_id = { oidc_mapping = "sub", scim_mapping = "externalId" } } })
      assert.same({ { user_attributes = { email = EMAIL } } },
        env.bodies(r.ctx.api, "PATCH", "/user-attribute-profiles/uap_1"))
    end)
  end)
end)
