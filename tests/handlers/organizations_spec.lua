local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local CLIENTS = A{ { client_id = "c1", name = "Web" }, { client_id = "c2", name = "Portal" } }
local CONNECTIONS = A{ { id = "con1", name = "Username-Password", strategy = "auth0" },
  { id = "con2", name = "google", strategy = "google-oauth2" } }
local GRANTS = A{ { id = "g1", client_id = "c1", audience = "https://api/" },
  { id = "g2", client_id = "c2", audience = "https://api/" } }

-- An organization on the tenant, with its sub-resources as the API lists them.
local function remote(sub)
  sub = sub or {}
  local routes = {
    ["LIST /organizations"] = A{ { id = "org1", name = "acme", display_name = "Acme" } },
    ["LIST /organizations/org1/connections"] = A(sub.connections or {}),
    ["LIST /organizations/org1/client-grants"] = A(sub.grants or {}),
    ["LIST /organizations/org1/discovery-domains"] = A(sub.domains or {}),
    ["LIST /organizations/org1/clients"] = A(sub.clients or {}),
  }
  return routes
end

local function deploy(desired, routes, cfg)
  routes = routes or {}
  routes["LIST /clients"] = routes["LIST /clients"] or CLIENTS
  routes["LIST /connections"] = routes["LIST /connections"] or CONNECTIONS
  routes["LIST /client-grants"] = routes["LIST /client-grants"] or GRANTS
  return env.deploy{ config = cfg or {}, routes = routes, desired = { organizations = desired } }
end

local GOOGLE = { connection_id = "con2", assign_membership_on_login = false,
  show_as_button = true, is_signup_enabled = false,
  connection = { name = "google", strategy = "google-oauth2" } }

describe("handlers/organizations", function()
  local h = env.handler("organizations")

  describe("schema", function()
    it("injects empty client_grants and clients", function()
      local orgs = A{ { name = "acme" } }
      assert.is_true(env.check("organizations", orgs))
      assert.same(A{}, orgs[1].client_grants)
      assert.same(A{}, orgs[1].clients)
    end)

    it("checks the access level, discovery domains and organization clients", function()
      local ok, problems = env.check("organizations", A{ { name = "acme",
        connections = A{ { name = "google", organization_access_level = "admin" } },
        discovery_domains = A{ { domain = "acme.example" } },
        clients = A{ { client_id = "Web" } } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/organizations/0/connections/0/organization_access_level"])
      assert.is_true(pointers["/organizations/0/discovery_domains/0"])
      assert.is_true(pointers["/organizations/0/clients/0"])
    end)
  end)

  describe("fetch", function()
    it("reads connections by name and grants and clients by client name", function()
      local routes = remote{ connections = { GOOGLE }, grants = { { id = "g1", client_id = "c1",
        audience = "https://api/" } }, domains = { { id = "dd1", domain = "acme.example",
        status = "verified" } }, clients = { { client_id = "c2", use_for_member_access = true } } }
      routes["LIST /clients"] = CLIENTS
      local ctx = env.ctx{ routes = routes }
      local org = h:fetch(ctx)[1]
      assert.same(A{ { connection_id = "con2", name = "google", assign_membership_on_login = false,
        show_as_button = true, is_signup_enabled = false } }, org.connections)
      assert.same(A{ { client_id = "Web", grant_id = "g1" } }, org.client_grants)
      assert.same(A{ { client_id = "Portal", use_for_member_access = true } }, org.clients)
      assert.equal("acme.example", org.discovery_domains[1].domain)
    end)

    it("leaves out discovery domains and clients the tenant does not offer", function()
      local routes = remote()
      routes["LIST /organizations/org1/discovery-domains"] = fake.fail(403, "off",
        "feature_not_enabled")
      routes["LIST /organizations/org1/clients"] = fake.fail(404, "no")
      local org = h:fetch(env.ctx{ routes = routes })[1]
      assert.is_nil(org.discovery_domains)
      assert.is_nil(org.clients)
    end)
  end)

  describe("import", function()
    it("creates the organization, then its connections, grants, domains and clients",
      function()
        local r = deploy(A{ { name = "beta", display_name = "Beta",
          connections = A{ { name = "google", show_as_button = true }, { name = "nowhere" } },
          client_grants = A{ { client_id = "Web" } },
          discovery_domains = A{ { domain = "beta.example", status = "pending" } },
          clients = A{ { client_id = "Portal", use_for_member_access = true } } } })
        assert.is_nil(r.err)
        assert.same({ { name = "beta", display_name = "Beta" } },
          env.bodies(r.ctx.api, "POST", "/organizations"))
        assert.same({ { connection_id = "con2", show_as_button = true } },
          env.bodies(r.ctx.api, "POST", "/organizations/id1/connections"))
        assert.same({ { grant_id = "g1" } },
          env.bodies(r.ctx.api, "POST", "/organizations/id1/client-grants"))
        assert.same({ { domain = "beta.example", status = "pending" } },
          env.bodies(r.ctx.api, "POST", "/organizations/id1/discovery-domains"))
        assert.same({ { clients = A{ { client_id = "c2", use_for_member_access = true } } } },
          env.bodies(r.ctx.api, "POST", "/organizations/id1/clients"))
      end)

    it("makes no request when the organization already matches", function()
      local r = deploy(A{ { name = "acme", display_name = "Acme",
        connections = A{ { name = "google", show_as_button = true } },
        client_grants = A{ { client_id = "Web" } } } },
        remote{ connections = { GOOGLE }, grants = { { id = "g1", client_id = "c1" } } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("patches only the fields that differ and the changed connection", function()
      local r = deploy(A{ { name = "acme", display_name = "Acme Inc",
        connections = A{ { name = "google", show_as_button = false } } } },
        remote{ connections = { GOOGLE } })
      assert.same({ { display_name = "Acme Inc" } },
        env.bodies(r.ctx.api, "PATCH", "/organizations/org1"))
      assert.same({ { show_as_button = false } },
        env.bodies(r.ctx.api, "PATCH", "/organizations/org1/connections/con2"))
    end)

    it("removes connections and client grants the files lack, without AUTH0_ALLOW_DELETE",
      function()
        local r = deploy(A{ { name = "acme", display_name = "Acme", connections = A{} } },
          remote{ connections = { GOOGLE }, grants = { { id = "g1", client_id = "c1" } } })
        assert.equal(1, #r.ctx.api:find("DELETE", "/organizations/org1/connections/con2"))
        assert.equal(1, #r.ctx.api:find("DELETE", "/organizations/org1/client-grants/g1"))
      end)

    it("removes discovery domains and organization clients only with AUTH0_ALLOW_DELETE",
      function()
        local sub = { domains = { { id = "dd1", domain = "acme.example", status = "verified" } },
          clients = { { client_id = "c2", use_for_member_access = false } } }
        local r = deploy(A{ { name = "acme", display_name = "Acme" } }, remote(sub))
        assert.same({}, r.ctx.api:writes())
        r = deploy(A{ { name = "acme", display_name = "Acme" } }, remote(sub),
          { AUTH0_ALLOW_DELETE = true })
        assert.equal(1, #r.ctx.api:find("DELETE", "/organizations/org1/discovery-domains/dd1"))
        assert.same({ { clients = A{ "c2" } } },
          env.bodies(r.ctx.api, "DELETE", "/organizations/org1/clients"))
      end)

    it("updates a discovery domain's status and an organization client's member access",
      function()
        local r = deploy(A{ { name = "acme", display_name = "Acme",
          discovery_domains = A{ { domain = "acme.example", status = "verified" } },
          clients = A{ { client_id = "Portal", use_for_member_access = true } } } },
          remote{ domains = { { id = "dd1", domain = "acme.example", status = "pending" } },
            clients = { { client_id = "c2", use_for_member_access = false } } })
        assert.same({ { status = "verified" } },
          env.bodies(r.ctx.api, "PATCH", "/organizations/org1/discovery-domains/dd1"))
        assert.same({ { use_for_member_access = true } },
          env.bodies(r.ctx.api, "PATCH", "/organizations/org1/clients/c2"))
      end)

    it("finds nothing to change for an organization client no one has", function()
      local r = deploy(A{ { name = "acme", display_name = "Acme",
        clients = A{ { client_id = "Nowhere", use_for_member_access = true } } } },
        remote{ clients = {} })
      assert.is_nil(r.err)
      assert.is_false(r.plan:has_changes())
      assert.same({}, r.ctx.api:writes())
    end)

    it("adds an organization client the files create in the same run", function()
      local routes = remote()
      local created = false
      routes["LIST /clients"] = function()
        local list = handler.deep_copy(CLIENTS)
        if created then list[#list + 1] = { client_id = "c9", name = "New App" } end
        return list
      end
      routes["LIST /connections"] = CONNECTIONS
      routes["LIST /client-grants"] = GRANTS
      routes["POST /clients"] = function()
        created = true
        return { client_id = "c9", name = "New App" }
      end
      local r = env.deploy{ routes = routes, desired = {
        clients = A{ { name = "New App" } },
        organizations = A{ { name = "acme", display_name = "Acme",
          clients = A{ { client_id = "New App", use_for_member_access = true } } } } } }
      assert.is_nil(r.err)
      assert.same({ { clients = A{ { client_id = "c9", use_for_member_access = true } } } },
        env.bodies(r.ctx.api, "POST", "/organizations/org1/clients"))
    end)

    it("adds a connection created earlier in the same run", function()
      local routes = remote()
      routes["LIST /clients"] = CLIENTS
      routes["LIST /connections"] = CONNECTIONS
      routes["LIST /client-grants"] = GRANTS
      local r = env.deploy{ routes = routes, desired = {
        connections = A{ { name = "corp", strategy = "github" } },
        organizations = A{ { name = "acme", display_name = "Acme",
          connections = A{ { name = "corp", show_as_button = true } } } } } }
      assert.is_nil(r.err)
      local created = env.bodies(r.ctx.api, "POST", "/connections")[1]
      assert.equal("corp", created.name)
      assert.same({ { connection_id = "id1", show_as_button = true } },
        env.bodies(r.ctx.api, "POST", "/organizations/org1/connections"))
    end)

    it("reports a failed sub-resource write", function()
      local routes = remote()
      routes["POST /organizations/org1/connections"] = fake.fail(409, "already enabled")
      local r = deploy(A{ { name = "acme", display_name = "Acme",
        connections = A{ { name = "google" } } } }, routes)
      assert.equal("apply_failed", r.err.code)
      assert.matches("already enabled", tostring(r.err))
    end)
  end)

  describe("export", function()
    it("writes connections by name and no ids", function()
      local out = handler.export_item(h, env.ctx(), { id = "org1", name = "acme",
        connections = A{ { connection_id = "con2", name = "google", show_as_button = true } },
        client_grants = A{ { client_id = "Web", grant_id = "g1" } },
        discovery_domains = A{ { id = "dd1", domain = "acme.example", status = "verified" } } })
      assert.same({ name = "acme", connections = A{ { name = "google", show_as_button = true } },
        client_grants = A{ { client_id = "Web" } },
        discovery_domains = A{ { domain = "acme.example", status = "verified" } } }, out)
    end)
  end)
end)
