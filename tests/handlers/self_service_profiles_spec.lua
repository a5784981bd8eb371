local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")

local A = env.A

local TEXT = { introduction = "Welcome!" }
local UAPS = A{ { id = "uap_1", name = "Workforce" } }

local function deploy(desired, remote, texts, cfg)
  local routes = { ["LIST /self-service-profiles"] = A(remote or {}),
    ["LIST /user-attribute-profiles"] = UAPS }
  for id, text in pairs(texts or {}) do
    routes["GET /self-service-profiles/" .. id .. "/custom-text/en/get-started"] = text
  end
  return env.deploy{ config = cfg or {}, routes = routes,
    desired = { selfServiceProfiles = desired } }
end

describe("handlers/self_service_profiles", function()
  local h = env.handler("selfServiceProfiles")

  describe("schema", function()
    it("accepts a0deploy's example profile with its custom text", function()
      assert.is_true(env.check("selfServiceProfiles", A{ { name = "self-service profile 1",
        allowed_strategies = A{ "google-apps", "keycloak-samlp", "okta" },
        branding = { colors = { primary = "#19aecc" } },
        customText = { en = { ["get-started"] = TEXT } },
        user_attributes = A{ { name = "email", description = "Email", is_optional = false } } } }))
    end)

    it("refuses unknown strategies, colours without primary, and both attribute sources",
        function()
      local ok, problems = env.check("selfServiceProfiles", A{
        { name = "A", allowed_strategies = A{ "okta-saml" }, branding = { colors = {} } },
        { name = "B", user_attribute_profile_id = "Workforce",
          user_attributes = A{ { name = "email", description = "E", is_optional = true } } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = p.message end
      assert.is_not_nil(pointers["/selfServiceProfiles/0/allowed_strategies/0"])
      assert.is_not_nil(pointers["/selfServiceProfiles/0/branding/colors"])
      assert.matches("both user_attribute_profile_id and user_attributes",
        pointers["/selfServiceProfiles/1/user_attribute_profile_id"])
    end)
  end)

  describe("fetch", function()
    it("reads each profile's get-started text, leaving an empty one out", function()
      local ctx = env.ctx{ routes = {
        ["LIST /self-service-profiles"] = A{ { id = "ssp_1", name = "A" },
          { id = "ssp_2", name = "B" } },
        ["GET /self-service-profiles/ssp_1/custom-text/en/get-started"] = TEXT,
        ["GET /self-service-profiles/ssp_2/custom-text/en/get-started"] = {} } }
      local list = h:fetch(ctx)
      assert.same({ en = { ["get-started"] = TEXT } }, list[1].customText)
      assert.is_nil(list[2].customText)
    end)

    it("fails when a custom text cannot be read", function()
      local ctx = env.ctx{ routes = {
        ["LIST /self-service-profiles"] = A{ { id = "ssp_1", name = "A" } },
        ["GET /self-service-profiles/ssp_1/custom-text/en/get-started"] = fake.fail(500) } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    it("creates the profile without its text and with the attribute profile's id, then PUTs "
        .. "the text", function()
      local r = deploy(A{ { name = "A", user_attribute_profile_id = "Workforce",
        allowed_strategies = A{}, customText = { en = { ["get-started"] = TEXT } } } })
      assert.is_nil(r.err)
      assert.same({ { name = "A", user_attribute_profile_id = "uap_1" } },
        env.bodies(r.ctx.api, "POST", "/self-service-profiles"))
      assert.same({ TEXT },
        env.bodies(r.ctx.api, "PUT", "/self-service-profiles/id1/custom-text/en/get-started"))
    end)

    it("makes no request when the profile and its text match", function()
      local r = deploy(A{ { name = "A", description = "d", user_attribute_profile_id = "Workforce",
        customText = { en = { ["get-started"] = TEXT } } } },
        { { id = "ssp_1", name = "A", description = "d", user_attribute_profile_id = "uap_1",
          user_attributes = A{}, created_at = "2026-01-01T00:00:00.000Z" } },
        { ssp_1 = TEXT })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends only the text when only the text differs, only the PATCH when only a field does",
        function()
      local remote = { { id = "ssp_1", name = "A", description = "d" } }
      local r = deploy(A{ { name = "A", description = "d",
        customText = { en = { ["get-started"] = { introduction = "Hello" } } } } }, remote,
        { ssp_1 = TEXT })
      local writes = r.ctx.api:writes()
      assert.equal(1, #writes)
      assert.equal("PUT", writes[1].method)
      assert.same({ introduction = "Hello" }, writes[1].body)
      r = deploy(A{ { name = "A", description = "e",
        customText = { en = { ["get-started"] = TEXT } } } }, remote, { ssp_1 = TEXT })
      writes = r.ctx.api:writes()
      assert.equal(1, #writes)
      assert.same({ method = "PATCH", path = "/self-service-profiles/ssp_1",
        body = { description = "e" } }, { method = writes[1].method, path = writes[1].path,
        body = writes[1].body })
    end)

    it("deletes only with AUTH0_ALLOW_DELETE", function()
      local remote = { { id = "ssp_1", name = "Gone" } }
      assert.same({}, deploy(A{}, remote).ctx.api:writes())
      local r = deploy(A{}, remote, nil, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/self-service-profiles/ssp_1"))
    end)
  end)

  describe("export", function()
    it("names the attribute profile and drops its empty attributes and timestamps", function()
      local ctx = env.ctx{ routes = { ["LIST /user-attribute-profiles"] = UAPS } }
      local item = handler.export_item(h, ctx, { id = "ssp_1", name = "A",
        user_attribute_profile_id = "uap_1", user_attributes = A{},
        allowed_strategies = A{ "okta" },
        created_at = "2026-01-01T00:00:00.000Z", updated_at = "2026-01-01T00:00:00.000Z" })
      assert.same({ name = "A", user_attribute_profile_id = "Workforce",
        allowed_strategies = A{ "okta" } }, item)
    end)
  end)
end)
