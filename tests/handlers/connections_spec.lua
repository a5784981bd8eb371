local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A, null = json.array, json.null

local CLIENTS = A{ { client_id = "c1", name = "Web" }, { client_id = "c2", name = "Mobile" },
  { client_id = "c3", name = "Hidden" } }

local PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

local function routes(conns, extra)
  local r = { ["LIST /clients"] = CLIENTS, ["LIST /connections"] = A(conns or {}) }
  for _, c in ipairs(conns or {}) do
    r["LIST /connections/" .. c.id .. "/clients"] = A(c._enabled or {})
    c._enabled = nil
  end
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local function deploy(desired, conns, cfg, extra)
  return env.deploy{ config = cfg or {}, routes = routes(conns, extra),
    desired = { connections = desired } }
end

local function delta(r, id)
  return env.bodies(r.ctx.api, "PATCH", "/connections/" .. id .. "/clients")
end

describe("handlers/connections", function()
  local h = env.handler("connections")

  describe("schema", function()
    it("accepts a connection with typed options and an open rest", function()
      assert.is_true(env.check("connections", A{ { name = "oidc", strategy = "oidc",
        options = { dpop_signing_alg = "ES256", token_endpoint_auth_signing_alg = "RS256",
          id_token_signed_response_algs = A{ "RS256", "PS256" }, anything = { x = 1 } },
        authentication = { active = true }, cross_app_access_resource_app = { status = "enabled" },
        enabled_clients = A{ "Web" } } }))
    end)

    it("requires name and strategy", function()
      local ok, problems = env.check("connections", A{ { name = "x" } })
      assert.is_false(ok)
      assert.matches("strategy", problems[1].message)
    end)

    it("rejects an unknown signing algorithm and extra keys in authentication", function()
      local ok, problems = env.check("connections", A{ { name = "x", strategy = "oidc",
        options = { dpop_signing_alg = "HS256" }, authentication = { active = true, x = 1 } } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/connections/0/options/dpop_signing_alg"])
      assert.is_true(pointers["/connections/0/authentication/x"])
    end)

    it("requires mapping and user_id_attribute in a SCIM configuration", function()
      local ok, problems = env.check("connections", A{ { name = "x", strategy = "samlp",
        scim_configuration = { mapping = A{} } } })
      assert.is_false(ok)
      assert.equal("/connections/0/scim_configuration", problems[1].pointer)
    end)
  end)

  describe("validate", function()
    it("reports oidc-only options on another strategy", function()
      local ok, problems = env.check("connections", A{ { name = "x", strategy = "samlp",
        options = { token_endpoint_auth_signing_alg = "RS256" } } })
      assert.is_false(ok)
      assert.equal("/connections/0/options/token_endpoint_auth_signing_alg", problems[1].pointer)
      assert.matches("oidc and okta", problems[1].message)
    end)

    it("accepts them on oidc and okta", function()
      assert.is_true(env.check("connections", A{ { name = "x", strategy = "okta",
        options = { token_endpoint_jwtca_aud_format = "issuer" } } }))
    end)
  end)

  describe("fetch", function()
    it("reads non-database connections with their enabled clients and SCIM configuration",
      function()
        local ctx = env.ctx{ routes = {
          ["LIST /connections"] = A{ { id = "db", name = "users", strategy = "auth0" },
            { id = "s1", name = "saml", strategy = "samlp", enabled_clients = A{ "old" } },
            { id = "g1", name = "gw", strategy = "google-apps" } },
          ["LIST /connections/s1/clients"] = A{ { client_id = "c1" } },
          ["LIST /connections/g1/clients"] = A{},
          ["GET /connections/s1/scim-configuration"] = { mapping = A{ { scim = "a",
            auth0 = "b" } }, user_id_attribute = "id", tenant_name = "t" },
          ["LIST /connections-directory-provisionings"] = A{ { connection_id = "g1",
            mapping = A{ { auth0 = "email", idp = "primaryEmail" } },
            synchronize_automatically = true, synchronize_groups = "all" } },
        } }
        local list = h:fetch(ctx)
        assert.equal(2, #list)
        assert.same(A{ "c1" }, list[1].enabled_clients)
        assert.same({ mapping = A{ { scim = "a", auth0 = "b" } }, user_id_attribute = "id" },
          list[1].scim_configuration)
        assert.same({ mapping = A{ { auth0 = "email", idp = "primaryEmail" } },
          synchronize_automatically = true, synchronize_groups = "all" },
          list[2].directory_provisioning_configuration)
      end)

    it("returns the error of a failed enabled-clients read", function()
      local ctx = env.ctx{ routes = {
        ["LIST /connections"] = A{ { id = "s1", name = "saml", strategy = "github" } },
        ["LIST /connections/s1/clients"] = fake.fail(500, "boom") } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    local github = { id = "con1", name = "github", strategy = "github", options = { scope = "x" },
      _enabled = { { client_id = "c1" } } }

    it("creates the connection, then enables its clients by id", function()
      local r = deploy(A{ { name = "github", strategy = "github",
        enabled_clients = A{ "Web", "Mobile" } } }, {})
      assert.is_nil(r.err)
      assert.same({ { name = "github", strategy = "github" } },
        env.bodies(r.ctx.api, "POST", "/connections"))
      local id = r.ctx.api:find("POST", "/connections")[1] and "id1"
      assert.same({ A{ { client_id = "c1", status = true }, { client_id = "c2", status = true } } },
        delta(r, id))
    end)

    it("makes no request when the enabled clients are the same set", function()
      local r = deploy(A{ { name = "github", strategy = "github", options = { scope = "x" },
        enabled_clients = A{ "Web" } } }, { handler.deep_copy(github) })
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends only the delta of the enabled clients", function()
      local conn = handler.deep_copy(github)
      local r = deploy(A{ { name = "github", strategy = "github", options = { scope = "x" },
        enabled_clients = A{ "Mobile" } } }, { conn })
      assert.same({ A{ { client_id = "c2", status = true },
        { client_id = "c1", status = false } } }, delta(r, "con1"))
      assert.same({}, r.ctx.api:find("PATCH", "/connections/con1"))
    end)

    it("never disables every client for an empty list", function()
      local r = deploy(A{ { name = "github", strategy = "github", options = { scope = "x" },
        enabled_clients = A{} } }, { handler.deep_copy(github) })
      assert.same({}, r.ctx.api:writes())
    end)

    it("leaves an excluded client enabled", function()
      local conn = handler.deep_copy(github)
      conn._enabled = { { client_id = "c1" }, { client_id = "c3" } }
      local r = deploy(A{ { name = "github", strategy = "github", options = { scope = "x" },
        enabled_clients = A{ "Mobile" } } }, { conn }, { AUTH0_EXCLUDED_CLIENTS = { "Hidden" } })
      assert.same({ A{ { client_id = "c2", status = true },
        { client_id = "c1", status = false } } }, delta(r, "con1"))
    end)

    it("sends the whole options with the EXCLUDED_PROPS paths kept from the tenant", function()
      local conn = handler.deep_copy(github)
      conn.options = { scope = "x", client_secret = "real" }
      local r = deploy(A{ { name = "github", strategy = "github",
        options = { scope = "y" } } }, { conn },
        { EXCLUDED_PROPS = { connections = { "options.client_secret" } } })
      assert.same({ { options = { scope = "y", client_secret = "real" } } },
        env.bodies(r.ctx.api, "PATCH", "/connections/con1"))
    end)

    it("treats a base64 certificate equal to the tenant's PEM as no change", function()
      local b64 = h.b64_encode(PEM)
      assert.equal(PEM, h.b64_decode(b64))
      local r = deploy(A{ { name = "saml", strategy = "samlp", options = { cert = b64 } } },
        { { id = "s1", name = "saml", strategy = "samlp", options = { cert = PEM } } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("creates a SCIM configuration with the connection", function()
      local scim = { mapping = A{ { scim = "userName", auth0 = "email" } },
        user_id_attribute = "externalId" }
      local r = deploy(A{ { name = "saml", strategy = "samlp", scim_configuration = scim } }, {})
      assert.same({ scim }, env.bodies(r.ctx.api, "POST", "/connections/id1/scim-configuration"))
      assert.is_nil(env.bodies(r.ctx.api, "POST", "/connections")[1].scim_configuration)
    end)

    it("deletes a SCIM configuration the files lack only when deletes are allowed", function()
      local function conn()
        return { id = "s1", name = "saml", strategy = "samlp", options = {} }
      end
      local extra = { ["GET /connections/s1/scim-configuration"] = { mapping = A{},
        user_id_attribute = "id" } }
      local r = deploy(A{ { name = "saml", strategy = "samlp", options = {} } }, { conn() },
        { AUTH0_ALLOW_DELETE = true }, extra)
      assert.equal(1, #r.ctx.api:find("DELETE", "/connections/s1/scim-configuration"))
      r = deploy(A{ { name = "saml", strategy = "samlp", options = {} } }, { conn() }, {}, extra)
      assert.same({}, r.ctx.api:writes())
    end)

    describe("directory provisioning", function()
      local MAPPING = A{ { auth0 = "email", idp = "mail" } }
      local function gw()
        return { id = "g1", name = "gw", strategy = "google-apps", options = {} }
      end
      local function tenant(groups)
        return { ["LIST /connections-directory-provisionings"] = A{ { connection_id = "g1",
          mapping = MAPPING, synchronize_automatically = false, synchronize_groups = "selected" } },
          ["LIST /connections/g1/directory-provisioning/synchronized-groups"] = A(groups) }
      end
      local function wanted(groups, sync)
        return A{ { name = "gw", strategy = "google-apps", options = {},
          directory_provisioning_configuration = { mapping = MAPPING,
            synchronize_automatically = false, synchronize_groups = sync or "selected",
            synchronized_groups = A(groups) } } }
      end

      it("compares synchronized groups by id only, in any order", function()
        local r = deploy(wanted({ { id = "b2", name = "Sales" }, { id = "a1", name = "Eng",
          email = "eng@example.com", direct_members_count = 42 } }), { gw() }, {},
          tenant({ { id = "a1" }, { id = "b2" } }))
        assert.is_nil(r.err)
        assert.same({}, r.ctx.api:writes())
      end)

      it("puts the group ids when a group differs", function()
        local r = deploy(wanted({ { id = "a1", name = "Eng" }, { id = "c3" } }), { gw() }, {},
          tenant({ { id = "a1" } }))
        assert.same({ { groups = A{ { id = "a1" }, { id = "c3" } } } }, env.bodies(r.ctx.api,
          "PUT", "/connections/g1/directory-provisioning/synchronized-groups"))
      end)

      it("ignores groups listed without synchronize_groups selected", function()
        local extra = tenant({})
        extra["LIST /connections-directory-provisionings"][1].synchronize_groups = "all"
        local r = deploy(wanted({ { id = "a1" } }, "all"), { gw() }, {}, extra)
        assert.same({}, r.ctx.api:writes())
      end)
    end)

    it("keeps enabled-client failures as warnings", function()
      local r = deploy(A{ { name = "github", strategy = "github", enabled_clients = A{ "Web" } } },
        {}, {}, { ["PATCH /connections/id1/clients"] = fake.fail(400, "bad client") })
      assert.is_nil(r.err)
      assert.matches("cannot update the enabled clients", r.ctx.log.lines.warn[1])
    end)

    it("returns the API error of a failed update", function()
      local r = deploy(A{ { name = "github", strategy = "github", options = { scope = "y" } } },
        { handler.deep_copy(github) }, {},
        { ["PATCH /connections/con1"] = fake.fail(400, "Payload validation error") })
      assert.equal("apply_failed", r.err.code)
      assert.matches("Payload validation error", tostring(r.err))
    end)
  end)

  describe("export", function()
    local function export(item, cfg)
      local ctx = env.ctx{ config = cfg, current = { clients = CLIENTS } }
      return handler.export_item(h, ctx, item)
    end

    it("writes client names sorted, the secret placeholder and a base64 certificate", function()
      local out = export({ id = "s1", name = "saml", strategy = "samlp",
        enabled_clients = A{ "c2", "c1", "zz" }, provisioning_ticket_url = "u", realms = A{ "r" },
        options = { client_secret = "s", cert = PEM,
          idpinitiated = { client_id = "c1" } } })
      assert.same(A{ "Mobile", "Web", "zz" }, out.enabled_clients)
      assert.equal("##CONNECTIONS_SAMLP_SECRET##", out.options.client_secret)
      assert.equal(h.b64_encode(PEM), out.options.cert)
      assert.equal("Web", out.options.idpinitiated.client_id)
      assert.is_nil(out.id)
      assert.is_nil(out.realms)
      assert.is_nil(out.provisioning_ticket_url)
    end)

    it("keeps the secret with AUTH0_EXPORT_SECRETS", function()
      local out = export({ name = "g", strategy = "google-oauth2",
        options = { client_secret = "s" } }, { AUTH0_EXPORT_SECRETS = true })
      assert.equal("s", out.options.client_secret)
    end)

    it("names the placeholder after the strategy", function()
      assert.equal("##CONNECTIONS_GOOGLE_OAUTH2_SECRET##", h.secret_name("google-oauth2"))
    end)

    it("leaves a null value alone", function()
      local out = export({ name = "g", strategy = "github", options = { x = null } })
      assert.equal(null, out.options.x)
    end)
  end)
end)
