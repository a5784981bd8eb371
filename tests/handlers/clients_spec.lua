-- handlers/clients.lua: a0deploy's 49 cases (docs/handlers.md §clients), then a0lua's own.
local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local json = require("a0lua.core.json")

local A, null = json.array, json.null

-- a0deploy's test defaults: the deploying client is "client_id" and deletes are allowed.
local function config(extra)
  local cfg = { AUTH0_CLIENT_ID = "client_id", AUTH0_ALLOW_DELETE = true }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return cfg
end

local function deploy(remote, clients, extra, routes)
  routes = routes or {}
  routes["LIST /clients"] = routes["LIST /clients"] or A(remote or {})
  return env.deploy{ config = config(extra), routes = routes, desired = { clients = clients } }
end

local function creates(r) return env.bodies(r.ctx.api, "POST", "/clients") end

local function updates(r, id)
  return env.bodies(r.ctx.api, "PATCH", "/clients/" .. id)
end

local function deletes(r)
  local out = {}
  for _, c in ipairs(r.ctx.api:find("DELETE")) do out[#out + 1] = c.path end
  return out
end

local function assert_applied(r)
  assert.is_nil(r.problems)
  assert.is_nil(r.err)
  assert.is_table(r.report)
end

local FULL_SESSION_TRANSFER = {
  can_create_session_transfer_token = true, enforce_cascade_revocation = false,
  allowed_authentication_methods = A{ "cookie", "query" }, enforce_device_binding = "asn",
  allow_refresh_token = true, enforce_online_refresh_tokens = false,
}

describe("handlers/clients", function()
  describe("schema", function()
    it("accepts fedcm_login with google.is_enabled (case 1)", function()
      assert.is_true(env.check("clients", A{ { name = "c",
        fedcm_login = { google = { is_enabled = true } } } }))
    end)

    it("accepts a null fedcm_login (case 2)", function()
      assert.is_true(env.check("clients", A{ { name = "c", fedcm_login = null } }))
    end)

    it("rejects fedcm_login without google (case 3)", function()
      local ok, problems = env.check("clients", A{ { name = "c", fedcm_login = {} } })
      assert.is_false(ok)
      assert.equal("/clients/0/fedcm_login", problems[1].pointer)
      assert.matches("google", problems[1].message)
    end)

    it("rejects fedcm_login.google without is_enabled (case 4)", function()
      local ok, problems = env.check("clients", A{ { name = "c",
        fedcm_login = { google = {} } } })
      assert.is_false(ok)
      assert.equal("/clients/0/fedcm_login/google", problems[1].pointer)
    end)

    it("accepts token_vault_privileged_access with an ip allowlist and grants (case 15)",
      function()
        assert.is_true(env.check("clients", A{ { name = "c", token_vault_privileged_access = {
          ip_allowlist = A{ "10.0.0.0/8" },
          grants = A{ { connection = "google", scopes = A{ "email" } },
            { connection = "github", scopes = A{ "repo" } } } } } }))
      end)

    it("accepts both token_exchange profile types and rejects a misspelt one", function()
      assert.is_true(env.check("clients", A{ { name = "c", token_exchange = {
        allow_any_profile_of_type = A{ "custom_authentication", "on_behalf_of_token_exchange" },
      } } }))
      local ok, problems = env.check("clients", A{ { name = "c", token_exchange = {
        allow_any_profile_of_type = A{ "on_behalf_of_token_exhange" } } } })
      assert.is_false(ok)
      assert.equal("/clients/0/token_exchange/allow_any_profile_of_type/0", problems[1].pointer)
      assert.matches("custom_authentication, on_behalf_of_token_exchange", problems[1].message)
    end)

    it("accepts a null token_exchange and any unknown property", function()
      assert.is_true(env.check("clients", A{ { name = "c", token_exchange = null,
        some_future_field = { x = 1 } } }))
    end)

    it("rejects a name made only of < and > and accepts one that contains them", function()
      assert.is_true(env.check("clients", A{ { name = "a<b" } }))
      local ok, problems = env.check("clients", A{ { name = "<>" } })
      assert.is_false(ok)
      assert.equal("/clients/0/name", problems[1].pointer)
    end)

    it("requires a name", function()
      local ok, problems = env.check("clients", A{ { app_type = "spa" } })
      assert.is_false(ok)
      assert.matches("name", problems[1].message)
    end)

    it("injects the session_transfer and token_quota defaults", function()
      local clients = A{ { name = "c", session_transfer = {},
        token_quota = { client_credentials = { per_day = 5 } } } }
      assert.is_true(env.check("clients", clients))
      assert.same({ can_create_session_transfer_token = false, enforce_cascade_revocation = true,
        enforce_device_binding = "ip", allow_refresh_token = false,
        enforce_online_refresh_tokens = true }, clients[1].session_transfer)
      assert.is_true(clients[1].token_quota.client_credentials.enforce)
    end)
  end)

  describe("validate", function()
    it("reports two clients with the same name (case 5)", function()
      local ok, problems = env.check("clients", A{ { name = "someClient" },
        { name = "someClient" } })
      assert.is_false(ok)
      assert.equal("/clients/1/name", problems[1].pointer)
      assert.matches("unique", problems[1].message)
    end)

    it("passes one client (case 6)", function()
      assert.is_true(env.check("clients", A{ { name = "someClient" } }))
    end)

    it("passes third_party_security_mode strict with open_redirect_protection (case 7)",
      function()
        assert.is_true(env.check("clients", A{ { name = "someClient",
          third_party_security_mode = "strict",
          redirection_policy = "open_redirect_protection" } }))
      end)

    it("passes a CIMD metadata type without external_client_id (case 49)", function()
      assert.is_true(env.check("clients", A{ { name = "c", external_metadata_type = "cimd" } }))
    end)

    it("reports two clients with the same client_id", function()
      local ok, problems = env.check("clients", A{ { name = "a", client_id = "x" },
        { name = "b", client_id = "x" } })
      assert.is_false(ok)
      assert.equal("/clients/1/client_id", problems[1].pointer)
    end)
  end)

  describe("import", function()
    it("registers a new CIMD client from its URL only (case 8)", function()
      local r = deploy({}, A{ { name = "MCP", external_client_id = "https://app.example/cimd.json",
        external_metadata_type = "cimd", external_metadata_created_by = "admin",
        jwks_uri = "https://app.example/jwks", description = "d" } })
      assert_applied(r)
      assert.same({ { external_client_id = "https://app.example/cimd.json" } },
        env.bodies(r.ctx.api, "POST", "/clients/cimd/register"))
      assert.same({}, creates(r))
      assert.same({}, r.ctx.api:find("PATCH"))
    end)

    it("updates a renamed CIMD client matched by its URL with its editable fields (case 9)",
      function()
        local r = deploy(A{ { client_id = "client1", name = "old name",
          external_client_id = "https://app.example/cimd.json", description = "old" } },
          A{ { name = "new name", external_client_id = "https://app.example/cimd.json",
            external_metadata_type = "cimd", description = "updated description" } })
        assert_applied(r)
        assert.same({}, env.bodies(r.ctx.api, "POST", "/clients/cimd/register"))
        assert.same({}, deletes(r))
        assert.same({ { description = "updated description" } }, updates(r, "client1"))
      end)

    it("creates a client the tenant lacks (case 10)", function()
      local r = deploy({}, A{ { name = "someClient" } })
      assert_applied(r)
      assert.same({ { name = "someClient" } }, creates(r))
    end)

    it("creates a native client with all its fields unchanged (case 11)", function()
      local client = { name = "Native", app_type = "native",
        grant_types = A{ "authorization_code", "implicit", "refresh_token" },
        mobile = { android = { app_package_name = "com.example",
          sha256_cert_fingerprints = A{ "AA:BB" } } },
        native_social_login = { google = { enabled = true } },
        session_transfer = FULL_SESSION_TRANSFER }
      local r = deploy({}, A{ client })
      assert_applied(r)
      assert.same({ client }, creates(r))
    end)

    it("sends fedcm_login on create (case 12)", function()
      local r = deploy({}, A{ { name = "c", fedcm_login = { google = { is_enabled = true } } } })
      assert.same({ google = { is_enabled = true } }, creates(r)[1].fedcm_login)
    end)

    it("sends two refresh token policies unchanged (case 13)", function()
      local policies = A{ { audience = "https://a", scope = A{ "read" } },
        { audience = "https://b", scope = A{ "read", "write" } } }
      local r = deploy({}, A{ { name = "c", refresh_token = { policies = policies } } })
      assert.same(policies, creates(r)[1].refresh_token.policies)
    end)

    it("sends the token quota (case 14)", function()
      local quota = { client_credentials = { enforce = true, per_day = 1000, per_hour = 100 } }
      local r = deploy({}, A{ { name = "c", token_quota = quota } })
      assert.same(quota, creates(r)[1].token_quota)
    end)

    it("sends session_transfer.delegation (case 16)", function()
      local r = deploy({}, A{ { name = "c", session_transfer = {
        delegation = { allow_delegated_access = true, enforce_device_binding = "ip" } } } })
      assert.same({ allow_delegated_access = true, enforce_device_binding = "ip" },
        creates(r)[1].session_transfer.delegation)
    end)

    it("sends identity_assertion_authorization_grant (case 17)", function()
      local r = deploy({}, A{ { name = "c",
        identity_assertion_authorization_grant = { active = true } } })
      assert.same({ active = true }, creates(r)[1].identity_assertion_authorization_grant)
    end)

    it("keeps app_type resource_server and its identifier on create (case 18)", function()
      local r = deploy({}, A{ { name = "MCP server", app_type = "resource_server",
        resource_server_identifier = "https://mcp.example/" } })
      local sent = creates(r)[1]
      assert.equal("resource_server", sent.app_type)
      assert.equal("https://mcp.example/", sent.resource_server_identifier)
    end)

    local profiles = {
      ["LIST /user-attribute-profiles"] = A{ { id = "uap_123", name = "My UAP" } },
      ["LIST /connection-profiles"] = A{ { id = "cp_123", name = "My CP" } },
    }

    it("turns express_configuration names into ids (case 19)", function()
      local routes = { ["LIST /clients"] = A{ { client_id = "client_123", name = "OIN" } } }
      for k, v in pairs(profiles) do routes[k] = v end
      local r = deploy(nil, A{ { name = "c", express_configuration = {
        initiate_login_uri_template = "https://x/{id}", user_attribute_profile_id = "My UAP",
        connection_profile_id = "My CP", enable_client = true, enable_organization = false,
        okta_oin_client_id = "OIN", admin_login_domain = "x.example" } } }, nil, routes)
      assert_applied(r)
      local sent = creates(r)[1].express_configuration
      assert.equal("uap_123", sent.user_attribute_profile_id)
      assert.equal("cp_123", sent.connection_profile_id)
      assert.equal("client_123", sent.okta_oin_client_id)
    end)

    it("sends the id of a profile the same import creates, the clients waiting for it",
        function()
      local r = env.deploy{ routes = {}, desired = {
        connectionProfiles = A{ { name = "New CP" } },
        userAttributeProfiles = A{ { name = "New UAP", user_attributes = { email = {
          description = "E", label = "E", profile_required = true, auth0_mapping = "email" } } } },
        clients = A{ { name = "c", express_configuration = {
          initiate_login_uri_template = "https://x/{id}", user_attribute_profile_id = "New UAP",
          connection_profile_id = "New CP", enable_client = true, enable_organization = false,
          okta_oin_client_id = "OIN", admin_login_domain = "x.example" } } } } }
      assert_applied(r)
      assert.equal(1, #env.bodies(r.ctx.api, "POST", "/connection-profiles"))
      local sent = creates(r)[1].express_configuration
      assert.not_equal("New CP", sent.connection_profile_id)
      assert.not_equal("New UAP", sent.user_attribute_profile_id)
      assert.matches("^id%d+$", sent.connection_profile_id)
      assert.matches("^id%d+$", sent.user_attribute_profile_id)
    end)

    it("turns my_organization_configuration names into ids, unknown names stay (case 20)",
      function()
        local routes = { ["LIST /clients"] = A{ { client_id = "cli_abc", name = "Landing" } } }
        for k, v in pairs(profiles) do routes[k] = v end
        local function myorg(landing)
          return { allowed_strategies = A{ "oidc", "samlp" },
            connection_deletion_behavior = "allow_if_empty", user_attribute_profile_id = "My UAP",
            connection_profile_id = "My CP", invitation_landing_client_id = landing }
        end
        local r = deploy(nil, A{ { name = "a", my_organization_configuration = myorg("Landing") },
          { name = "b", my_organization_configuration = myorg("Nobody") } }, nil, routes)
        assert_applied(r)
        local sent = creates(r)
        local a = sent[1].my_organization_configuration
        assert.same({ "uap_123", "cp_123", "cli_abc" }, { a.user_attribute_profile_id,
          a.connection_profile_id, a.invitation_landing_client_id })
        assert.same(A{ "oidc", "samlp" }, a.allowed_strategies)
        assert.equal("allow_if_empty", a.connection_deletion_behavior)
        assert.equal("Nobody", sent[2].my_organization_configuration.invitation_landing_client_id)
      end)

    it("sends skip_non_verifiable_callback_uri_confirmation_prompt true (case 21)", function()
      local r = deploy({}, A{ { name = "c",
        skip_non_verifiable_callback_uri_confirmation_prompt = true } })
      assert.is_true(creates(r)[1].skip_non_verifiable_callback_uri_confirmation_prompt)
    end)

    it("does not create a third-party client when third parties are excluded (case 22)",
      function()
        local r = deploy({}, A{ { name = "c", is_first_party = false } },
          { AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS = true })
        assert_applied(r)
        assert.same({}, creates(r))
      end)

    it("creates it when third parties are not excluded (case 23)", function()
      local r = deploy({}, A{ { name = "c", is_first_party = false } },
        { AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS = false })
      assert.equal(1, #creates(r))
    end)

    it("updates the existing client by name with the new fields (case 26)", function()
      local r = deploy(A{ { client_id = "client1", name = "someClient" } },
        A{ { name = "someClient", description = "new description",
          session_transfer = FULL_SESSION_TRANSFER } })
      assert_applied(r)
      assert.same({ { description = "new description", session_transfer = FULL_SESSION_TRANSFER } },
        updates(r, "client1"))
      assert.same({}, creates(r))
    end)

    it("sends skip_non_verifiable_callback_uri_confirmation_prompt false on update (case 27)",
      function()
        local r = deploy(A{ { client_id = "client1", name = "someClient" } },
          A{ { name = "someClient",
            skip_non_verifiable_callback_uri_confirmation_prompt = false } })
        assert.same({ { skip_non_verifiable_callback_uri_confirmation_prompt = false } },
          updates(r, "client1"))
      end)

    it("sends my_organization_configuration null to clear it (case 28)", function()
      local r = deploy(A{ { client_id = "client1", name = "someClient",
        my_organization_configuration = { allowed_strategies = A{ "oidc" },
          connection_deletion_behavior = "allow" } } },
        A{ { name = "someClient", my_organization_configuration = null } })
      local sent = updates(r, "client1")[1]
      assert.equal(null, sent.my_organization_configuration)
    end)

    it("deletes the other client and creates the new one, never the deploying one (case 29)",
      function()
        local r = deploy(A{ { client_id = "client1", name = "existingClient" },
          { client_id = "client_id", name = "deploy client" } }, A{ { name = "someClient" } })
        assert_applied(r)
        assert.same({ "/clients/client1" }, deletes(r))
        assert.same({ { name = "someClient" } }, creates(r))
        assert.same({}, updates(r, "client_id"))
      end)

    it("deletes every client but the deploying one for an empty list (case 30)", function()
      local r = deploy(A{ { client_id = "client1", name = "existingClient" },
        { client_id = "client_id", name = "deploy client" } }, A{})
      assert_applied(r)
      assert.same({ "/clients/client1" }, deletes(r))
    end)

    it("deletes nothing without AUTH0_ALLOW_DELETE (case 31)", function()
      local r = deploy(A{ { client_id = "client1", name = "existingClient" } },
        A{ { name = "newClient" } }, { AUTH0_ALLOW_DELETE = false })
      assert_applied(r)
      assert.same({}, deletes(r))
      assert.equal(1, r.report.types.clients.skipped)
    end)

    it("leaves the excluded clients alone (case 32)", function()
      local r = deploy({}, A{ { name = "a" }, { name = "b" } },
        { AUTH0_EXCLUDED_CLIENTS = { "a", "b" } })
      assert_applied(r)
      assert.same({}, r.ctx.api:writes())
    end)

    it("deletes no client with only EXTENSION_SECRET set (case 33)", function()
      local r = env.deploy{ config = { EXTENSION_SECRET = "x" }, routes = {
        ["LIST /clients"] = A{ { client_id = "c1", name = "a" }, { client_id = "c2", name = "b" } },
      }, desired = { clients = A{} } }
      assert_applied(r)
      assert.same({}, deletes(r))
    end)

    it("protects nothing without AUTH0_CLIENT_ID (case 34)", function()
      local r = env.deploy{ config = { AUTH0_ALLOW_DELETE = true }, routes = {
        ["LIST /clients"] = A{ { client_id = "client-1", name = "Client 1" },
          { client_id = "client-2", name = "Client 2" } },
      }, desired = { clients = A{ { name = "Client 1", description = "changed" },
        { name = "Client 3" } } } }
      assert_applied(r)
      assert.same({ { description = "changed" } }, updates(r, "client-1"))
      assert.same({ { name = "Client 3" } }, creates(r))
      assert.same({ "/clients/client-2" }, deletes(r))
    end)

    it("sends the organization fields on create (case 35)", function()
      local r = deploy({}, A{ { name = "c", oidc_conformant = true, organization_usage = "require",
        organization_require_behavior = "pre_login_prompt",
        organization_discovery_methods = A{ "email" },
        async_approval_notification_channels = A{ "guardian-push" } } })
      local sent = creates(r)[1]
      assert.is_true(sent.oidc_conformant)
      assert.equal("require", sent.organization_usage)
      assert.equal("pre_login_prompt", sent.organization_require_behavior)
      assert.same(A{ "email" }, sent.organization_discovery_methods)
      assert.same(A{ "guardian-push" }, sent.async_approval_notification_channels)
    end)

    it("keeps the order of discovery methods and approval channels (case 36)", function()
      local r = deploy({}, A{ { name = "c",
        organization_discovery_methods = A{ "organization_name", "email" },
        async_approval_notification_channels = A{ "email", "guardian-push" } } })
      local sent = creates(r)[1]
      assert.same(A{ "organization_name", "email" }, sent.organization_discovery_methods)
      assert.same(A{ "email", "guardian-push" }, sent.async_approval_notification_channels)
    end)

    it("sends only the organization field that is given (case 37)", function()
      local r = deploy(A{ { client_id = "client1", name = "c", organization_usage = "require",
        organization_require_behavior = "pre_login_prompt",
        organization_discovery_methods = A{ "email" } } },
        A{ { name = "c", organization_usage = "allow" } })
      local sent = updates(r, "client1")[1]
      assert.same({ organization_usage = "allow" }, sent)
      assert.is_nil(sent.organization_require_behavior)
    end)

    it("sends nulls that clear discovery methods and channels (case 38)", function()
      local r = deploy(A{ { client_id = "client1", name = "c",
        organization_require_behavior = "pre_login_prompt",
        organization_discovery_methods = A{ "email" },
        async_approval_notification_channels = A{ "email" } } },
        A{ { name = "c", organization_discovery_methods = null,
          async_approval_notification_channels = null,
          organization_require_behavior = "post_login_prompt" } })
      assert.same({ { organization_discovery_methods = null,
        async_approval_notification_channels = null,
        organization_require_behavior = "post_login_prompt" } }, updates(r, "client1"))
    end)

    local CORS = A{
      { name = "old", cross_origin_auth = true },
      { name = "both", cross_origin_auth = false, cross_origin_authentication = true },
      { name = "new", cross_origin_authentication = false },
    }

    it("moves deprecated cross_origin_auth on create (case 39)", function()
      local r = deploy({}, CORS)
      local values = {}
      for _, body in ipairs(creates(r)) do
        assert.is_nil(body.cross_origin_auth)
        values[body.name] = body.cross_origin_authentication
      end
      assert.same({ old = true, both = true, new = false }, values)
      assert.matches("cross_origin_auth is deprecated", r.ctx.log.lines.warn[1])
    end)

    it("moves deprecated cross_origin_auth on update (case 40)", function()
      local r = deploy(A{ { client_id = "c1", name = "old" }, { client_id = "c2", name = "both" },
        { client_id = "c3", name = "new", cross_origin_authentication = true } }, CORS)
      assert.same({ { cross_origin_authentication = true } }, updates(r, "c1"))
      assert.same({ { cross_origin_authentication = true } }, updates(r, "c2"))
      assert.same({ { cross_origin_authentication = false } }, updates(r, "c3"))
    end)

    it("creates a client allowing on_behalf_of_token_exchange (case 41)", function()
      local r = deploy({}, A{ { name = "MCP server",
        token_exchange = { allow_any_profile_of_type = A{ "on_behalf_of_token_exchange" } } } })
      assert.same({ allow_any_profile_of_type = A{ "on_behalf_of_token_exchange" } },
        creates(r)[1].token_exchange)
    end)

    it("updates the token exchange profile types to the local value (case 42)", function()
      local r = deploy(A{ { client_id = "c1", name = "c",
        token_exchange = { allow_any_profile_of_type = A{ "custom_authentication" } } } },
        A{ { name = "c",
          token_exchange = { allow_any_profile_of_type = A{ "on_behalf_of_token_exchange" } } } })
      assert.same({ { token_exchange = {
        allow_any_profile_of_type = A{ "on_behalf_of_token_exchange" } } } }, updates(r, "c1"))
    end)

    it("creates a client with its whole oidc_logout (case 43)", function()
      local logout = { backchannel_logout_urls = A{ "https://app.example/logout" },
        backchannel_logout_initiators = { mode = "custom",
          selected_initiators = A{ "rp-logout", "idp-logout" } },
        backchannel_logout_session_metadata = { include = true } }
      local r = deploy({}, A{ { name = "c", oidc_logout = logout } })
      assert.same(logout, creates(r)[1].oidc_logout)
    end)

    it("updates oidc_logout to exactly the local value (case 44)", function()
      local logout = { backchannel_logout_urls = A{ "https://new.example/logout" },
        backchannel_logout_initiators = { mode = "all", selected_initiators = A{} },
        backchannel_logout_session_metadata = { include = false } }
      local r = deploy(A{ { client_id = "c1", name = "c", oidc_logout = {
        backchannel_logout_urls = A{ "https://old.example/logout" },
        backchannel_logout_initiators = { mode = "custom", selected_initiators = A{ "rp-logout" } },
        backchannel_logout_session_metadata = { include = true } } } },
        A{ { name = "c", oidc_logout = logout } })
      assert.same({ { oidc_logout = logout } }, updates(r, "c1"))
    end)

    it("never sends client_authentication_methods (case 47)", function()
      local r = deploy(A{ { client_id = "c1", name = "a" }, { client_id = "c2", name = "b" } },
        A{ { name = "a", description = "x", client_authentication_methods = {
          private_key_jwt = { credentials = A{ { name = "k", pem = "-----BEGIN" } } } } },
        { name = "b", description = "y", token_endpoint_auth_method = "private_key_jwt",
          client_authentication_methods = {
            private_key_jwt = { credentials = A{ { name = "k" } } } } } })
      for _, id in ipairs({ "c1", "c2" }) do
        local sent = updates(r, id)[1]
        assert.is_table(sent)
        assert.is_nil(sent.client_authentication_methods)
        assert.is_nil(sent.token_endpoint_auth_method)
      end
    end)

    it("never sends token_vault_privileged_access (case 48)", function()
      local vault = { ip_allowlist = A{ "10.0.0.1" } }
      local r = deploy(A{ { client_id = "c1", name = "a" } },
        A{ { name = "a", description = "x", token_vault_privileged_access = vault },
          { name = "b", token_vault_privileged_access = vault } })
      assert.is_nil(updates(r, "c1")[1].token_vault_privileged_access)
      assert.is_nil(creates(r)[1].token_vault_privileged_access)
    end)
  end)

  describe("fetch", function()
    local h = env.handler("clients")

    it("asks for first-party, non-global clients when third parties are excluded (case 24)",
      function()
        local ctx = env.ctx{ config = { AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS = true } }
        assert.is_table(h:fetch(ctx))
        local first = ctx.api.calls[1]
        assert.equal("/clients", first.path)
        assert.same({ is_global = false, is_first_party = true }, first.query)
      end)

    it("moves the deprecated cross_origin_auth (case 25)", function()
      local ctx = env.ctx{ routes = { ["LIST /clients"] = A{
        { client_id = "a", name = "a", cross_origin_auth = true },
        { client_id = "b", name = "b", cross_origin_auth = false,
          cross_origin_authentication = true },
        { client_id = "c", name = "c", cross_origin_authentication = false } } } }
      local list = h:fetch(ctx)
      for _, c in ipairs(list) do assert.is_nil(c.cross_origin_auth) end
      assert.same({ true, true, false }, { list[1].cross_origin_authentication,
        list[2].cross_origin_authentication, list[3].cross_origin_authentication })
    end)

    it("names each credential of client_authentication_methods (case 45)", function()
      local ctx = env.ctx{ routes = {
        ["LIST /clients"] = A{ { client_id = "c1", name = "a", client_authentication_methods = {
          private_key_jwt = { credentials = A{ { id = "cred_abc" } } } } } },
        ["LIST /clients/c1/credentials"] = A{ { id = "cred_abc", name = "my-key",
          credential_type = "public_key", kid = "k1", alg = "RS256" } },
      } }
      local list = h:fetch(ctx)
      assert.same(A{ { name = "my-key", credential_type = "public_key" } },
        list[1].client_authentication_methods.private_key_jwt.credentials)
    end)

    it("drops token vault credential ids and keeps the rest (case 46)", function()
      local ctx = env.ctx{ routes = { ["LIST /clients"] = A{ { client_id = "c1", name = "a",
        token_vault_privileged_access = { credentials = A{ { id = "x" } },
          ip_allowlist = A{ "10.0.0.1" }, grants = A{ { connection = "g", scopes = A{ "s" } } } },
      } } } }
      local vault = h:fetch(ctx)[1].token_vault_privileged_access
      assert.is_nil(vault.credentials)
      assert.same(A{ "10.0.0.1" }, vault.ip_allowlist)
      assert.same(A{ { connection = "g", scopes = A{ "s" } } }, vault.grants)
    end)

    it("keeps credential stubs when the credentials cannot be read", function()
      local ctx = env.ctx{ routes = {
        ["LIST /clients"] = A{ { client_id = "c1", name = "a", client_authentication_methods = {
          private_key_jwt = { credentials = A{ { id = "cred_abc" } } } } } },
        ["LIST /clients/c1/credentials"] = fake.fail(403, "Insufficient scope"),
      } }
      local list = h:fetch(ctx)
      assert.same(A{ { id = "cred_abc" } },
        list[1].client_authentication_methods.private_key_jwt.credentials)
    end)

    it("returns the API error when the clients cannot be read", function()
      local ctx = env.ctx{ routes = { ["LIST /clients"] = fake.fail(500, "boom") } }
      local list, err = h:fetch(ctx)
      assert.is_nil(list)
      assert.equal("api_error", err.code)
      assert.equal(500, err.status)
    end)
  end)

  describe("the deploying client", function()
    it("is not touched when the files name it without its client_id", function()
      local r = deploy(A{ { client_id = "client_id", name = "Deploy CLI", description = "x" } },
        A{ { name = "Deploy CLI", description = "changed" } })
      assert_applied(r)
      assert.same({}, r.ctx.api:writes())
    end)

    it("is looked for once in the tenant's list, not once per client of the files", function()
      local h = env.handler("clients")
      local real = {}
      for i = 1, 50 do real[i] = { client_id = "c" .. i, name = "App " .. i } end
      real[51] = { client_id = "client_id", name = "Deploy CLI" }
      local reads = 0
      local list = setmetatable({}, {
        __index = function(_, i) reads = reads + 1; return real[i] end,
        __len = function() return #real end,
      })
      local ctx = { config = config(), current = { clients = list } }
      for i = 1, 50 do assert.is_true(h:filter(ctx, { name = "App " .. i })) end
      assert.is_false(h:filter(ctx, { name = "Deploy CLI" }))
      -- one walk of the 51 entries (and the end of the list), where a walk per client took 2,600
      assert.equal(52, reads)
      -- a client added to the tenant's list (a0lua.apply, after a create) is seen
      real[52] = { client_id = "client_id", name = "Second" }
      assert.is_false(h:filter(ctx, { name = "Second" }))
    end)

    it("is not touched when the files name it by client_id", function()
      local r = deploy(A{ { client_id = "client_id", name = "Deploy CLI" } },
        A{ { name = "Renamed", client_id = "client_id" } })
      assert_applied(r)
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  describe("plan", function()
    it("makes no change when the tenant already matches (a second import)", function()
      local r = deploy(A{ { client_id = "c1", name = "App", app_type = "spa",
        callbacks = A{ "https://a" }, client_secret = "s3cret", tenant = "t",
        signing_keys = A{ { cert = "x" } } } },
        A{ { name = "App", app_type = "spa", callbacks = A{ "https://a" } } })
      assert_applied(r)
      assert.is_false(r.plan:has_changes())
      assert.same({}, r.ctx.api:writes())
    end)

    it("leaves the read-only fields a GET shows out of a create", function()
      local r = deploy({}, A{ { name = "c", app_type = "spa", callback_url_template = false,
        global = false, tenant = "t", signing_keys = A{ { cert = "x" } } } })
      assert_applied(r)
      assert.same({ { name = "c", app_type = "spa" } }, creates(r))
    end)

    it("completes a registered CIMD client with the editable fields the files set", function()
      local url = "https://app.example/cimd.json"
      local r = deploy({}, A{ { name = "MCP", external_client_id = url, description = "d",
        grant_types = A{ "authorization_code", "refresh_token" }, logo_uri = "https://logo" } },
        nil, {
          ["POST /clients/cimd/register"] = { client_id = "cimd1" },
          ["GET /clients/cimd1"] = { client_id = "cimd1", name = "app.example",
            external_client_id = url, grant_types = A{ "authorization_code" } },
        })
      assert_applied(r)
      assert.same({ { external_client_id = url } },
        env.bodies(r.ctx.api, "POST", "/clients/cimd/register"))
      assert.same({ { description = "d", grant_types = A{ "authorization_code",
        "refresh_token" } } }, updates(r, "cimd1"))
    end)

    it("sends no PATCH after a registration that already matches the files", function()
      local url = "https://app.example/cimd.json"
      local r = deploy({}, A{ { name = "MCP", external_client_id = url,
        grant_types = A{ "authorization_code" } } }, nil, {
          ["POST /clients/cimd/register"] = { client_id = "cimd1" },
          ["GET /clients/cimd1"] = { client_id = "cimd1", external_client_id = url,
            grant_types = A{ "authorization_code" } },
        })
      assert_applied(r)
      assert.same({}, r.ctx.api:find("PATCH"))
    end)

    it("returns the error of the read after a registration", function()
      local url = "https://app.example/cimd.json"
      local r = deploy({}, A{ { name = "MCP", external_client_id = url } }, nil, {
        ["POST /clients/cimd/register"] = { client_id = "cimd1" },
        ["GET /clients/cimd1"] = fake.fail(500, "boom"),
      })
      assert.equal("apply_failed", r.err.code)
      assert.matches("boom", tostring(r.err))
    end)

    describe("names of clients the same run creates", function()
      local tasks = require("a0lua.tasks")

      local function express(oin)
        return { initiate_login_uri_template = "https://x/{organization_name}",
          user_attribute_profile_id = "uap", connection_profile_id = "cp", enable_client = true,
          enable_organization = false, okta_oin_client_id = oin,
          admin_login_domain = "login.x" }
      end

      local function my_org(landing)
        return { allowed_strategies = A{ "oidc" }, connection_deletion_behavior = "allow",
          invitation_landing_client_id = landing }
      end

      -- The deploy inside a scheduler, each POST /clients taking a turn as a request does;
      -- the create of a client named in `failing` fails.
      local function deploy_in_tasks(clients, failing)
        local sched = tasks.new{}
        local routes = { ["POST /clients"] = function(req)
          tasks.sleep(5)
          if req.body.name == failing then return nil, fake.error(400, "refused") end
          return { client_id = "id-" .. req.body.name, name = req.body.name }
        end }
        local r
        sched:spawn(function() r = deploy({}, clients, nil, routes) end)
        sched:run()
        sched:close()
        return r
      end

      local function sent(r)
        local out = {}
        for _, b in ipairs(creates(r)) do out[b.name] = b end
        return out
      end

      it("waits for the create of a named client and sends its new id", function()
        local r = deploy_in_tasks(A{ { name = "Express", express_configuration = express("OIN") },
          { name = "OIN", app_type = "regular_web" } })
        assert_applied(r)
        assert.equal("id-OIN", sent(r).Express.express_configuration.okta_oin_client_id)
      end)

      it("does not wait forever for two clients that name each other", function()
        local r = deploy_in_tasks(A{
          { name = "A", my_organization_configuration = my_org("B") },
          { name = "B", my_organization_configuration = my_org("A") } })
        assert_applied(r)
        local got = sent(r)
        local a = got.A.my_organization_configuration.invitation_landing_client_id
        local b = got.B.my_organization_configuration.invitation_landing_client_id
        assert.is_true((a == "id-B" and b == "A") or (a == "B" and b == "id-A"))
      end)

      it("stops waiting when the named client's create fails", function()
        local r = deploy_in_tasks(A{ { name = "Express", express_configuration = express("OIN") },
          { name = "OIN", app_type = "regular_web" } }, "OIN")
        assert.equal("apply_failed", r.err.code)
        assert.equal("OIN", sent(r).Express.express_configuration.okta_oin_client_id)
      end)

      it("sends a name that no create of this run makes as it is", function()
        local r = deploy_in_tasks(A{ { name = "Express", express_configuration =
          express("Elsewhere") } })
        assert_applied(r)
        assert.equal("Elsewhere", sent(r).Express.express_configuration.okta_oin_client_id)
      end)
    end)

    it("sends a client_secret written in the files", function()
      local r = deploy({}, A{ { name = "c", client_secret = "from-files" } })
      assert.equal("from-files", creates(r)[1].client_secret)
    end)

    it("drops a client_secret left as an unmapped placeholder", function()
      local r = deploy({}, A{ { name = "c", client_secret = "##SECRET##" } })
      assert.is_nil(creates(r)[1].client_secret)
    end)

    it("sends only the editable fields of a CIMD client and none when they match", function()
      local r = deploy(A{ { client_id = "c1", name = "MCP",
        external_client_id = "https://app.example/cimd.json", description = "same" } },
        A{ { name = "MCP", external_client_id = "https://app.example/cimd.json",
          description = "same", logo_uri = "https://other" } })
      assert_applied(r)
      assert.same({}, r.ctx.api:writes())
    end)

    it("registers a CIMD client whose URL changed and deletes the old one", function()
      local r = deploy(A{ { client_id = "c1", name = "MCP",
        external_client_id = "https://old.example/cimd.json" } },
        A{ { name = "MCP", external_client_id = "https://new.example/cimd.json" } })
      assert_applied(r)
      assert.same({ { external_client_id = "https://new.example/cimd.json" } },
        env.bodies(r.ctx.api, "POST", "/clients/cimd/register"))
      assert.same({ "/clients/c1" }, deletes(r))
    end)

    it("never pairs a regular client with a CIMD client of the same name", function()
      local r = deploy(A{ { client_id = "c1", name = "Same",
        external_client_id = "https://app.example/cimd.json" } }, A{ { name = "Same" } },
        { AUTH0_ALLOW_DELETE = false })
      assert_applied(r)
      assert.same({ { name = "Same" } }, creates(r))
    end)

    it("nulls client_metadata keys missing from the files when deletes are allowed", function()
      local r = deploy(A{ { client_id = "c1", name = "c",
        client_metadata = { team = "a", old = "x" } } },
        A{ { name = "c", client_metadata = { team = "b" } } })
      assert.same({ { client_metadata = { team = "b", old = null } } }, updates(r, "c1"))
    end)
  end)

  describe("export", function()
    local h = env.handler("clients")
    local handler = require("a0lua.handler")

    local function export(item, cfg, current)
      local ctx = env.ctx{ config = cfg, current = current or {} }
      return handler.export_item(h, ctx, item)
    end

    it("strips read-only fields, the secret and the id", function()
      local out = export({ client_id = "c1", name = "App", client_secret = "s", tenant = "t",
        global = false, signing_keys = A{}, callback_url_template = false, config_route = "x",
        owners = A{}, custom_login_page_preview = "p", app_type = "spa", __regular = true })
      assert.same({ name = "App", app_type = "spa" }, out)
    end)

    it("keeps the secret with INCLUDED_PROPS and the id with AUTH0_EXPORT_IDENTIFIERS", function()
      local out = export({ client_id = "c1", name = "App", client_secret = "s" },
        { INCLUDED_PROPS = { clients = { "client_secret" } }, AUTH0_EXPORT_IDENTIFIERS = true })
      assert.same({ client_id = "c1", name = "App", client_secret = "s" }, out)
    end)

    it("writes null url lists as empty lists", function()
      local out = export({ name = "App", callbacks = null, allowed_origins = null,
        allowed_logout_urls = null, allowed_clients = null })
      assert.same({ name = "App", callbacks = A{}, allowed_origins = A{},
        allowed_logout_urls = A{}, allowed_clients = A{} }, out)
    end)

    it("reduces an express_configuration app", function()
      local out = export({ name = "E", app_type = "express_configuration", callbacks = A{ "x" },
        organization_require_behavior = "no_prompt" })
      assert.same({ name = "E", app_type = "express_configuration",
        organization_require_behavior = "no_prompt" }, out)
    end)

    it("does not write excluded clients", function()
      assert.is_nil(export({ name = "Hidden" }, { AUTH0_EXCLUDED_CLIENTS = { "Hidden" } }))
    end)

    it("removes credentials without a name and an empty methods object", function()
      local out = export({ name = "c", client_authentication_methods = {
        private_key_jwt = { credentials = A{ { id = "cred_x" } } } } })
      assert.is_nil(out.client_authentication_methods)
    end)

    it("writes the token exchange profile types back as they are", function()
      local out = export({ name = "MCP", token_exchange = {
        allow_any_profile_of_type = A{ "on_behalf_of_token_exchange" } } })
      assert.same({ allow_any_profile_of_type = A{ "on_behalf_of_token_exchange" } },
        out.token_exchange)
    end)
  end)
end)
