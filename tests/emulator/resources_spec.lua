-- The emulated resource types (a0lua.emulator.resources.*), through `a0lua emulate` in its own
-- process: create, read, update and delete for each of the 44 types a0deploy manages, with the
-- fields the server fills in and the sub-resources.
local json = require("a0lua.core.json")
local emulator = require("helpers.emulator")
local keys = require("helpers.keys")

local emu

local function ok(res, status)
  assert(res, "no answer")
  assert.are.equal(status or 200, res.status, res.body)
  return res.json
end

local function find_by(list, field, value)
  for _, item in ipairs(list or {}) do
    if item[field] == value then return item end
  end
  return nil
end

describe("a0lua.emulator.resources", function()
  setup(function()
    emu = emulator.start({ args = { "--build-delay", "0.2" } })
  end)

  teardown(function()
    if emu then emu:stop() end
  end)

  describe("clients", function()
    it("creates a client with a 32-character id, a secret and the server's defaults", function()
      local c = ok(emu:post("/clients", { name = "spa", app_type = "spa" }), 201)
      assert.matches("^[%w]+$", c.client_id)
      assert.are.equal(32, #c.client_id)
      assert.are.equal(64, #c.client_secret)
      assert.are.equal(false, c.global)
      assert.are.equal("RS256", c.jwt_configuration.alg)
      assert.are.equal(1, #c.signing_keys)
      assert.are.same({}, c.callbacks)
    end)

    it("reads, updates (merging client_metadata) and deletes a client", function()
      local c = ok(emu:post("/clients", { name = "web", client_metadata = { a = "1", b = "2" } }),
        201)
      local got = ok(emu:get("/clients/" .. c.client_id))
      assert.are.equal("web", got.name)
      local patched = ok(emu:patch("/clients/" .. c.client_id, {
        name = "web2", client_metadata = { b = "3", c = "4" } }))
      assert.are.same({ a = "1", b = "3", c = "4" }, patched.client_metadata)
      assert.are.equal(204, emu:delete("/clients/" .. c.client_id).status)
      assert.are.equal(404, emu:get("/clients/" .. c.client_id).status)
    end)

    it("filters the global client with is_global", function()
      local list = ok(emu:get("/clients?is_global=true"))
      assert.are.equal(1, #list)
      assert.are.equal("All Applications", list[1].name)
      for _, c in ipairs(ok(emu:get("/clients?is_global=false"))) do
        assert.are.equal(false, c.global)
      end
    end)

    it("keeps token_exchange.allow_any_profile_of_type as created", function()
      local c = ok(emu:post("/clients", { name = "obo", token_exchange = {
        allow_any_profile_of_type = { "on_behalf_of_token_exchange" } } }), 201)
      local got = ok(emu:get("/clients/" .. c.client_id))
      assert.are.same({ allow_any_profile_of_type = { "on_behalf_of_token_exchange" } },
        got.token_exchange)
    end)

    it("refuses to delete the global client", function()
      local global = ok(emu:get("/clients?is_global=true"))[1]
      assert.are.equal(400, emu:delete("/clients/" .. global.client_id).status)
    end)
  end)

  describe("pages", function()
    it("keeps the login page on the global client", function()
      local global = ok(emu:get("/clients?is_global=true"))[1]
      ok(emu:patch("/clients/" .. global.client_id, { custom_login_page = "<html>login</html>",
        custom_login_page_on = true }))
      local got = ok(emu:get("/clients?is_global=true"))[1]
      assert.are.equal("<html>login</html>", got.custom_login_page)
      assert.is_true(got.custom_login_page_on)
    end)
  end)

  describe("client credentials", function()
    it("adds, lists and removes a client's credential", function()
      local c = ok(emu:post("/clients", { name = "jwt-client" }), 201)
      local cred = ok(emu:post("/clients/" .. c.client_id .. "/credentials", {
        credential_type = "public_key", name = "key1", pem = keys.public_pem() }), 201)
      assert.matches("^cred_", cred.id)
      assert.is_nil(cred.pem)
      local list = ok(emu:get("/clients/" .. c.client_id .. "/credentials"))
      assert.are.equal(cred.id, list[1].id)
      assert.are.equal(204,
        emu:delete("/clients/" .. c.client_id .. "/credentials/" .. cred.id).status)
      assert.are.equal(0, #ok(emu:get("/clients/" .. c.client_id .. "/credentials")))
    end)

    it("refuses a pem that is not an RSA public key or certificate, and never shows one",
      function()
        local c = ok(emu:post("/clients", { name = "jwt-client-2" }), 201)
        local res = emu:post("/clients/" .. c.client_id .. "/credentials", {
          credential_type = "public_key", name = "key1",
          pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n" })
        assert.are.equal(400, res.status)
        assert.are.equal("Payload validation error: 'pem' must be an RSA public key or an X.509 "
          .. "certificate in PEM format.", res.json.message)
        local cred = ok(emu:post("/clients/" .. c.client_id .. "/credentials", {
          credential_type = "public_key", alg = "PS256", pem = keys.public_pem() }), 201)
        local got = ok(emu:get("/clients/" .. c.client_id .. "/credentials/" .. cred.id))
        assert.is_nil(got.pem)
        assert.are.equal("PS256", got.alg)
        assert.is_nil(ok(emu:get("/clients/" .. c.client_id .. "/credentials"))[1].pem)
      end)

    it("answers 404 for the credentials of a client that does not exist", function()
      assert.are.equal(404, emu:get("/clients/nope/credentials").status)
    end)
  end)

  describe("resource servers", function()
    it("creates an API with a 24-hex id and refuses a second one with its identifier", function()
      local rs = ok(emu:post("/resource-servers", { name = "api", identifier = "https://api",
        scopes = { { value = "read:x", description = "Read X" } } }), 201)
      assert.matches("^%x+$", rs.id)
      assert.are.equal(24, #rs.id)
      assert.are.equal(86400, rs.token_lifetime)
      local dup = emu:post("/resource-servers", { name = "other", identifier = "https://api" })
      assert.are.equal(409, dup.status)
      assert.are.equal("Conflict", dup.json.error)
    end)

    it("finds an API by its identifier too, updates and deletes it", function()
      local rs = ok(emu:post("/resource-servers", { name = "api2", identifier = "urn:api2" }), 201)
      assert.are.equal(rs.id, ok(emu:get("/resource-servers/urn%3Aapi2")).id)
      assert.are.equal(3600, ok(emu:patch("/resource-servers/" .. rs.id,
        { token_lifetime = 3600 })).token_lifetime)
      assert.are.equal(204, emu:delete("/resource-servers/" .. rs.id).status)
    end)

    it("protects the Auth0 Management API", function()
      local mgmt = find_by(ok(emu:get("/resource-servers")), "name", "Auth0 Management API")
      assert.is_true(mgmt.is_system)
      assert.are.equal(403, emu:delete("/resource-servers/" .. mgmt.id).status)
    end)
  end)

  describe("client grants", function()
    it("creates a grant and answers 409 for the same client and audience", function()
      local c = ok(emu:post("/clients", { name = "m2m" }), 201)
      ok(emu:post("/resource-servers", { name = "g-api", identifier = "https://g-api" }), 201)
      local g = ok(emu:post("/client-grants", { client_id = c.client_id,
        audience = "https://g-api", scope = { "read:x" } }), 201)
      assert.matches("^cgr_%w+$", g.id)
      local dup = emu:post("/client-grants", { client_id = c.client_id,
        audience = "https://g-api", scope = json.array() })
      assert.are.equal(409, dup.status)
      assert.are.same({ "read:x", "write:x" }, ok(emu:patch("/client-grants/" .. g.id,
        { scope = { "read:x", "write:x" } })).scope)
    end)

    it("deletes a client's grants with the client", function()
      local c = ok(emu:post("/clients", { name = "m2m-gone" }), 201)
      ok(emu:post("/resource-servers", { name = "g2", identifier = "https://g2" }), 201)
      local g = ok(emu:post("/client-grants", { client_id = c.client_id,
        audience = "https://g2", scope = json.array() }), 201)
      emu:delete("/clients/" .. c.client_id)
      assert.are.equal(404, emu:get("/client-grants/" .. g.id).status)
    end)

    it("answers 404 for a grant to an unknown client", function()
      local res = emu:post("/client-grants", { client_id = "nobody", audience = "https://g-api",
        scope = json.array() })
      assert.are.equal(404, res.status)
    end)
  end)

  describe("connections", function()
    it("creates a connection with a con_ id and refuses a duplicate name", function()
      local conn = ok(emu:post("/connections", { name = "google", strategy = "google-oauth2" }),
        201)
      assert.matches("^con_%w+$", conn.id)
      assert.are.equal(20, #conn.id)
      assert.are.same({ "google" }, conn.realms)
      assert.are.equal(409, emu:post("/connections", { name = "google",
        strategy = "google-oauth2" }).status)
    end)

    it("applies a delta to the enabled clients and shows it in both places", function()
      local a = ok(emu:post("/clients", { name = "ec-a" }), 201)
      local b = ok(emu:post("/clients", { name = "ec-b" }), 201)
      local conn = ok(emu:post("/connections", { name = "db-ec", strategy = "auth0" }), 201)
      local path = "/connections/" .. conn.id .. "/clients"
      assert.are.equal(204, emu:patch(path, { { client_id = a.client_id, status = true },
        { client_id = b.client_id, status = true } }).status)
      assert.are.equal(204, emu:patch(path, { { client_id = a.client_id, status = false } })
        .status)
      local list = ok(emu:get(path .. "?take=100"))
      assert.are.same({ { client_id = b.client_id } }, list.clients)
      assert.are.same({ b.client_id }, ok(emu:get("/connections/" .. conn.id)).enabled_clients)
      assert.are.equal(400, emu:patch(path, {}).status)
    end)

    it("filters by strategy and name, and replaces options on PATCH", function()
      local conn = ok(emu:post("/connections", { name = "db-f", strategy = "auth0",
        options = { mfa = { active = true }, passwordPolicy = "good" } }), 201)
      for _, c in ipairs(ok(emu:get("/connections?strategy=auth0"))) do
        assert.are.equal("auth0", c.strategy)
      end
      assert.are.equal(1, #ok(emu:get("/connections?name=db-f")))
      local patched = ok(emu:patch("/connections/" .. conn.id,
        { options = { passwordPolicy = "fair" } }))
      assert.are.same({ passwordPolicy = "fair" }, patched.options)
      assert.are.equal(202, emu:delete("/connections/" .. conn.id).status)
    end)

    it("keeps a SCIM configuration per connection", function()
      local conn = ok(emu:post("/connections", { name = "okta-scim", strategy = "okta",
        options = { domain = "x.okta.com", client_id = "a", client_secret = "b" } }), 201)
      local path = "/connections/" .. conn.id .. "/scim-configuration"
      assert.are.equal(404, emu:get(path).status)
      local scim = ok(emu:post(path, {}), 201)
      assert.are.equal(conn.id, scim.connection_id)
      assert.are.equal(409, emu:post(path, {}).status)
      assert.are.equal(204, emu:delete(path).status)
    end)

    it("fills the server fields of SCIM and directory provisioning, and words their 404 and 409",
        function()
      local conn = ok(emu:post("/connections", { name = "gws-fields", strategy = "google-apps",
        options = { domain = "example.org", tenant_domain = "example.org" } }), 201)
      local cases = {
        { "/scim-configuration", "SCIM configuration", "inexistent_scim_configuration",
          { tenant_name = "a0lua-emulator", user_id_attribute = "externalId" }, "updated_on" },
        { "/directory-provisioning", "Directory provisioning",
          "inexistent_directory_provisioning", { synchronize_automatically = false },
          "updated_at" },
      }
      for _, case in ipairs(cases) do
        local path = "/connections/" .. conn.id .. case[1]
        for _, res in ipairs({ emu:delete(path), emu:get(path) }) do
          assert.are.same({ 404, "Not Found", case[3] },
            { res.status, res.json.message, res.json.errorCode })
        end
        local made = ok(emu:post(path, {}), 201)
        assert.are.same({ conn.id, "gws-fields", "google-apps" },
          { made.connection_id, made.connection_name, made.strategy })
        assert.are.same({}, made.mapping)
        for k, v in pairs(case[4]) do assert.are.equal(v, made[k]) end
        assert.is_string(made.created_at)
        assert.is_string(made[case[5]])
        local again = emu:post(path, {})
        assert.are.same({ 409, case[2] .. " already exists for this connection", "conflict" },
          { again.status, again.json.message, again.json.errorCode })
        assert.are.equal(204, emu:delete(path).status)
      end
    end)
  end)

  describe("directory provisioning", function()
    it("keeps a Google Workspace connection's provisioning and synchronized groups", function()
      local conn = ok(emu:post("/connections", { name = "gws", strategy = "google-apps",
        options = { domain = "example.com", tenant_domain = "example.com" } }), 201)
      local path = "/connections/" .. conn.id .. "/directory-provisioning"
      local dp = ok(emu:post(path, { mapping = { { auth0 = "email", idp = "mail" } },
        synchronize_automatically = false, synchronize_groups = "selected" }), 201)
      assert.are.equal(conn.id, dp.connection_id)
      assert.is_true(ok(emu:patch(path, { synchronize_automatically = true }))
        .synchronize_automatically)
      local listed = ok(emu:get("/connections-directory-provisionings?take=50"))
      assert.are.equal(conn.id, listed.directory_provisionings[1].connection_id)
      local groups = { groups = { { id = "g1" } } }
      assert.are.equal(204, emu:put(path .. "/synchronized-groups", groups).status)
      assert.are.equal("g1", ok(emu:get(path .. "/synchronized-groups")).groups[1].id)
      assert.are.equal(204, emu:delete(path).status)
      assert.are.equal(404, emu:get(path).status)
    end)
  end)

  describe("tenant settings", function()
    it("merges a PATCH and turns minutes into the hour fields", function()
      local s = ok(emu:patch("/tenants/settings", { friendly_name = "Spec",
        flags = { enable_apis_section = true }, session_lifetime_in_minutes = 181,
        idle_session_lifetime_in_minutes = 60 }))
      assert.are.equal("Spec", s.friendly_name)
      assert.is_true(s.flags.enable_apis_section)
      assert.is_true(s.flags.enable_sso)
      assert.are.equal(181 / 60, s.session_lifetime)
      assert.are.equal(1, s.idle_session_lifetime)
      assert.is_nil(s.session_lifetime_in_minutes)
    end)

    it("keeps the pages (error page, MFA page) with the settings", function()
      ok(emu:patch("/tenants/settings", { error_page = { html = "<p>e</p>",
        show_log_link = false, url = "https://x/e" } }))
      assert.are.equal("<p>e</p>", ok(emu:get("/tenants/settings")).error_page.html)
    end)
  end)

  describe("email provider", function()
    it("answers 404 until created and never shows the credentials", function()
      assert.are.equal(404, emu:get("/emails/provider").status)
      assert.are.equal(404, emu:patch("/emails/provider", { enabled = false }).status)
      local p = ok(emu:post("/emails/provider", { name = "mandrill",
        credentials = { api_key = "secret" }, default_from_address = "a@b.c" }), 201)
      assert.are.same({}, p.credentials)
      assert.are.equal(409, emu:post("/emails/provider", { name = "mandrill",
        credentials = { api_key = "x" } }).status)
      assert.are.equal("x@b.c", ok(emu:patch("/emails/provider",
        { default_from_address = "x@b.c" })).default_from_address)
      local fields = ok(emu:get("/emails/provider?fields=name,enabled&include_fields=true"))
      assert.are.same({ name = "mandrill", enabled = true }, fields)
      assert.are.equal(204, emu:delete("/emails/provider").status)
      assert.are.equal(404, emu:get("/emails/provider").status)
    end)
  end)

  describe("email templates", function()
    it("creates, patches and replaces a template, and has no DELETE", function()
      local path = "/email-templates/welcome_email"
      assert.are.equal(404, emu:get(path).status)
      assert.are.equal("inexistent_email_template", emu:patch(path, { body = "x" }).json
        .errorCode)
      local body = { template = "welcome_email", body = "<p>hi</p>", from = "a@b.c",
                     subject = "Hi", syntax = "liquid", enabled = true }
      ok(emu:post("/email-templates", body))
      assert.are.equal(409, emu:post("/email-templates", body).status)
      assert.are.equal("Hello", ok(emu:patch(path, { subject = "Hello" })).subject)
      body.subject = "Put"
      assert.are.equal("Put", ok(emu:put(path, body)).subject)
      assert.are.equal(404, emu:delete(path).status)
      assert.are.equal("Put", ok(emu:get(path)).subject)
    end)
  end)

  describe("guardian", function()
    it("enables a factor and lists the eight factors", function()
      assert.are.same({ enabled = true }, ok(emu:put("/guardian/factors/sms",
        { enabled = true })))
      local factors = ok(emu:get("/guardian/factors"))
      assert.are.equal(8, #factors)
      assert.is_true(find_by(factors, "name", "sms").enabled)
    end)

    it("sets templates, providers, policies, the phone provider and message types", function()
      local t = { enrollment_message = "enroll {{code}}", verification_message = "v {{code}}" }
      ok(emu:put("/guardian/factors/sms/templates", t))
      assert.are.same(t, ok(emu:get("/guardian/factors/sms/templates")))
      ok(emu:put("/guardian/factors/sms/providers/twilio", { from = "+1555", sid = "AC1" }))
      assert.are.equal("AC1", ok(emu:get("/guardian/factors/sms/providers/twilio")).sid)
      assert.are.same({ "all-applications" }, ok(emu:put("/guardian/policies",
        { "all-applications" })))
      assert.are.same({ "all-applications" }, ok(emu:get("/guardian/policies")))
      ok(emu:put("/guardian/factors/phone/selected-provider", { provider = "twilio" }))
      assert.are.equal("twilio",
        ok(emu:get("/guardian/factors/phone/selected-provider")).provider)
      ok(emu:put("/guardian/factors/phone/message-types", { message_types = { "sms" } }))
      assert.are.same({ "sms" },
        ok(emu:get("/guardian/factors/phone/message-types")).message_types)
    end)

    it("keeps the push providers' credentials and never answers them", function()
      local push = "/guardian/factors/push-notification/providers/"
      ok(emu:put(push .. "sns", { aws_access_key_id = "AKIA1", aws_region = "us-west-2",
        aws_secret_access_key = "sns-secret" }))
      assert.are.same({ aws_access_key_id = "AKIA1", aws_region = "us-west-2" },
        ok(emu:patch(push .. "sns", {})))
      assert.is_nil(ok(emu:get(push .. "sns")).aws_secret_access_key)
      assert.are.same({ bundle_id = "com.x" }, ok(emu:put(push .. "apns",
        { bundle_id = "com.x", p12 = "cert" })))
      assert.are.same({}, ok(emu:put(push .. "fcm", { server_key = "k" })))
      local state = ok(emu:http("GET", "/__emulator/state"))
      assert.are.equal("sns-secret", state[push .. "sns"].aws_secret_access_key)
      assert.are.equal("cert", state[push .. "apns"].p12)
      assert.are.equal(400, emu:put(push .. "apns", { enabled = true }).status)
    end)
  end)

  describe("roles", function()
    it("creates a role, assigns and removes permissions", function()
      ok(emu:post("/resource-servers", { name = "perm-api", identifier = "https://perm",
        scopes = { { value = "read:a", description = "A" }, { value = "read:b" } } }), 201)
      local role = ok(emu:post("/roles", { name = "admins", description = "d" }))
      assert.matches("^rol_%w+$", role.id)
      assert.are.equal(409, emu:post("/roles", { name = "admins" }).status)
      local path = "/roles/" .. role.id .. "/permissions"
      ok(emu:post(path, { permissions = {
        { permission_name = "read:a", resource_server_identifier = "https://perm" },
        { permission_name = "read:b", resource_server_identifier = "https://perm" } } }), 201)
      local perms = ok(emu:get(path .. "?per_page=100"))
      assert.are.equal(2, #perms)
      assert.are.equal("perm-api", perms[1].resource_server_name)
      ok(emu:delete(path, { body = { permissions = {
        { permission_name = "read:a", resource_server_identifier = "https://perm" } } } }))
      assert.are.equal(1, #ok(emu:get(path)))
      assert.are.equal(400, emu:post(path, { permissions = {
        { permission_name = "write:z", resource_server_identifier = "https://perm" } } })
        .status)
      assert.are.equal(200, emu:delete("/roles/" .. role.id).status)
      assert.are.equal(404, emu:get(path).status)
    end)
  end)

  describe("branding", function()
    it("merges branding settings", function()
      ok(emu:patch("/branding", { colors = { primary = "#111111" } }))
      local b = ok(emu:patch("/branding", { logo_url = "https://x/logo.png" }))
      assert.are.equal("#111111", b.colors.primary)
      assert.are.equal("https://x/logo.png", b.logo_url)
    end)

    it("resets identifier_first on a settings PATCH without colors, as the API does", function()
      ok(emu:patch("/prompts", { identifier_first = true }))
      ok(emu:patch("/branding", { colors = { primary = "#222222" } }))
      assert.is_true(ok(emu:get("/prompts")).identifier_first)
      ok(emu:patch("/branding", { favicon_url = "https://x/f.ico" }))
      assert.is_false(ok(emu:get("/prompts")).identifier_first)
      ok(emu:patch("/prompts", { identifier_first = true }))
    end)

    it("needs a custom domain for the Universal Login template", function()
      local path = "/branding/templates/universal-login"
      local tpl = "<html>{%- auth0:head -%}{%- auth0:widget -%}</html>"
      assert.are.equal(400, emu:put(path, { template = tpl }).status)
      ok(emu:post("/custom-domains", { domain = "login.brand.test",
        type = "auth0_managed_certs" }), 201)
      assert.are.equal(201, emu:put(path, { template = tpl }).status)
      assert.are.equal(tpl, ok(emu:get(path)).body)
      -- as the API: one auth0:head tag and at least one auth0:widget tag
      assert.are.equal(400, emu:put(path, { template = "<html>{%- auth0:widget -%}</html>" })
        .status)
      assert.are.equal(tpl, ok(emu:get(path)).body)
    end)

    it("keeps one theme", function()
      assert.are.equal("theme_not_found", emu:get("/branding/themes/default").json.errorCode)
      local body = {
        borders = { button_border_radius = 3, button_border_weight = 1, buttons_style = "rounded",
          input_border_radius = 3, input_border_weight = 1, inputs_style = "rounded",
          show_widget_shadow = true, widget_border_weight = 0, widget_corner_radius = 5 },
        colors = { body_text = "#1e212a", error = "#d03c38", header = "#1e212a", icons = "#65676e",
          input_background = "#ffffff", input_border = "#c9cace",
          input_filled_text = "#000000", input_labels_placeholders = "#65676e",
          links_focused_components = "#635dff", primary_button = "#635dff",
          primary_button_label = "#ffffff", secondary_button_border = "#c9cace",
          secondary_button_label = "#1e212a", success = "#13a688",
          widget_background = "#ffffff", widget_border = "#c9cace" },
        fonts = { body_text = { bold = false, size = 87.5 }, buttons_text = { bold = false,
          size = 100 }, font_url = "", input_labels = { bold = false, size = 100 },
          links = { bold = true, size = 87.5 }, links_style = "normal", reference_text_size = 16,
          subtitle = { bold = false, size = 87.5 }, title = { bold = false, size = 150 } },
        page_background = { background_color = "#000000", background_image_url = "",
          page_layout = "center" },
        widget = { header_text_alignment = "center", logo_height = 52, logo_position = "center",
          logo_url = "", social_buttons_layout = "bottom" },
      }
      local theme = ok(emu:post("/branding/themes", body))
      assert.is_string(theme.themeId)
      assert.are.equal(409, emu:post("/branding/themes", body).status)
      assert.are.equal(theme.themeId, ok(emu:get("/branding/themes/default")).themeId)
      body.displayName = "Mine"
      assert.are.equal("Mine", ok(emu:patch("/branding/themes/" .. theme.themeId, body))
        .displayName)
      assert.are.equal(204, emu:delete("/branding/themes/" .. theme.themeId).status)
    end)
  end)

  describe("phone providers and templates", function()
    it("creates, updates and deletes the phone provider, hiding its credentials", function()
      local p = ok(emu:post("/branding/phone/providers", { name = "twilio",
        configuration = { sid = "AC1", delivery_methods = { "text" }, default_from = "+1555" },
        credentials = { auth_token = "secret" } }), 201)
      assert.matches("^pro_", p.id)
      local list = ok(emu:get("/branding/phone/providers")).providers
      assert.are.equal(1, #list)
      assert.are.equal(json.null, list[1].credentials)
      ok(emu:patch("/branding/phone/providers/" .. p.id, { disabled = true }))
      assert.are.equal(204, emu:delete("/branding/phone/providers/" .. p.id).status)
    end)

    it("creates one template per type and resets it", function()
      local t = ok(emu:post("/branding/phone/templates", { type = "otp_verify",
        content = { body = { text = "code {{code}}", voice = "code {{code}}" } } }), 201)
      assert.matches("^tem_", t.id)
      assert.are.equal(409, emu:post("/branding/phone/templates", { type = "otp_verify" }).status)
      local patched = ok(emu:patch("/branding/phone/templates/" .. t.id,
        { content = { body = { text = "new" } } }))
      assert.are.equal("new", patched.content.body.text)
      assert.matches("verification code", ok(emu:patch("/branding/phone/templates/" .. t.id
        .. "/reset", {})).content.body.text)
      local listed = ok(emu:get("/branding/phone/templates")).templates
      assert.are.equal(5, #listed)
      assert.are.equal(t.id, listed[1].id)
    end)

    it("lists the default of each type never created, without an id, as the API does", function()
      emu:reset()
      local listed = ok(emu:get("/branding/phone/templates")).templates
      local types = {}
      for _, t in ipairs(listed) do
        assert.is_nil(t.id)
        assert.matches("{{ code | escape }}", t.content.body.text .. "{{ code | escape }}", 1, true)
        types[#types + 1] = t.type
      end
      assert.same({ "otp_verify", "otp_enroll", "change_password", "blocked_account",
        "password_breach" }, types)
      ok(emu:post("/branding/phone/templates", { type = "change_password",
        content = { body = { text = "pw {{code}}" } } }), 201)
      listed = ok(emu:get("/branding/phone/templates")).templates
      assert.are.equal(5, #listed)
      assert.are.equal("change_password", listed[1].type)
      assert.matches("^tem_", listed[1].id)
    end)

    it("keeps the provider's credentials but never shows them", function()
      emu:reset()
      local p = ok(emu:post("/branding/phone/providers", { name = "twilio",
        configuration = { sid = "AC1", delivery_methods = { "text" } },
        credentials = { auth_token = "tok-1" } }), 201)
      assert.are.equal(json.null, p.credentials)
      local patched = ok(emu:patch("/branding/phone/providers/" .. p.id,
        { credentials = { auth_token = "tok-2" } }))
      assert.are.equal(json.null, patched.credentials)
      assert.are.equal(json.null, ok(emu:get("/branding/phone/providers/" .. p.id)).credentials)
      assert.are.equal(409, emu:post("/branding/phone/providers", { name = "custom",
        configuration = { delivery_methods = { "text" } }, credentials = {} }).status)
    end)
  end)

  describe("prompts", function()
    it("updates settings, custom text, partials and screen rendering", function()
      assert.are.equal("classic", ok(emu:patch("/prompts",
        { universal_login_experience = "classic" })).universal_login_experience)
      assert.are.same({}, ok(emu:get("/prompts/login/custom-text/en")))
      local text = { login = { title = "Welcome" } }
      ok(emu:put("/prompts/login/custom-text/en", text))
      assert.are.same(text, ok(emu:get("/prompts/login/custom-text/en")))
      assert.are.equal(400, emu:get("/prompts/no-such-prompt/custom-text/en").status)
      local partials = { login = { ["form-content-start"] = "<div>x</div>" } }
      ok(emu:put("/prompts/login/partials", partials))
      assert.are.same(partials, ok(emu:get("/prompts/login/partials")))
      ok(emu:patch("/prompts/login-id/screen/login-id/rendering",
        { rendering_mode = "advanced", head_tags = json.array() }))
      local configs = ok(emu:get("/prompts/rendering?include_totals=true")).configs
      assert.are.equal("advanced", configs[1].rendering_mode)
    end)
  end)

  describe("actions", function()
    -- Polls until the draft is built (0.2 s here); a minute is only a bound on a hang.
    local function wait_built(id)
      local deadline = os.time() + 60
      repeat
        local a = ok(emu:get("/actions/actions/" .. id))
        if a.status == "built" then return a end
        os.execute("sleep 0.05")
      until os.time() > deadline
      error("action never built")
    end

    -- Drafts that stay "pending" for as long as a spec may take, however busy the machine:
    -- on emu, 0.2 s may pass between two requests.
    local building
    setup(function()
      building = emulator.start({ args = { "--build-delay", "86400" } })
    end)
    teardown(function()
      if building then building:stop() end
    end)

    it("refuses to deploy or bind a draft that is still building", function()
      local a = ok(building:post("/actions/actions", { name = "act0", code = "exports.x = 1",
        supported_triggers = { { id = "post-login", version = "v3" } } }), 201)
      assert.are.equal("pending", a.status)
      local early = building:post("/actions/actions/" .. a.id .. "/deploy")
      assert.are.equal(400, early.status)
      assert.matches("built", early.json.message)
      local bind_early = building:patch("/actions/triggers/post-login/bindings", { bindings = {
        { ref = { type = "action_name", value = "act0" }, display_name = "act0" } } })
      assert.are.equal(400, bind_early.status)
      assert.are.equal("pending", ok(building:get("/actions/actions/" .. a.id)).status)
    end)

    it("builds a draft, deploys it once built, and binds it to a trigger", function()
      local a = ok(emu:post("/actions/actions", { name = "act1", code = "exports.x = 1",
        supported_triggers = { { id = "post-login", version = "v3" } },
        secrets = { { name = "K", value = "V" } } }), 201)
      assert.matches("^%x+%-%x+%-4%x+%-%x+%-%x+$", a.id)
      assert.are.equal("pending", a.status)
      assert.are.same({ "K" }, { a.secrets[1].name })
      assert.is_nil(a.secrets[1].value)
      wait_built(a.id)
      local v = ok(emu:post("/actions/actions/" .. a.id .. "/deploy"), 202)
      assert.are.equal(1, v.number)
      local deployed = ok(emu:get("/actions/actions/" .. a.id))
      assert.is_true(deployed.all_changes_deployed)
      assert.are.equal(v.id, deployed.deployed_version.id)
      local b = ok(emu:patch("/actions/triggers/post-login/bindings", { bindings = {
        { ref = { type = "action_name", value = "act1" }, display_name = "act1" } } }))
      assert.are.equal(a.id, b.bindings[1].action.id)
      local listed = ok(emu:get("/actions/triggers/post-login/bindings"))
      assert.are.equal(1, #listed.bindings)
      assert.are.equal(1, listed.total)
      assert.are.equal(400, emu:delete("/actions/actions/" .. a.id).status)
      assert.are.equal(204, emu:delete("/actions/actions/" .. a.id .. "?force=true").status)
      assert.are.equal(0, #ok(emu:get("/actions/triggers/post-login/bindings")).bindings)
    end)

    it("lists actions in the Actions envelope and the versions of one", function()
      local a = ok(emu:post("/actions/actions", { name = "act2",
        supported_triggers = { { id = "credentials-exchange", version = "v2" } } }), 201)
      local env = ok(emu:get("/actions/actions?actionName=act2&page=0&per_page=10"))
      assert.are.equal(1, env.total)
      assert.are.equal(10, env.per_page)
      assert.are.equal(a.id, env.actions[1].id)
      wait_built(a.id)
      ok(emu:post("/actions/actions/" .. a.id .. "/deploy"), 202)
      -- The PATCH's own answer: a GET after it may come when the 0.2 s build is over.
      local patched = ok(emu:patch("/actions/actions/" .. a.id, { code = "exports.y = 2" }))
      assert.are.equal("pending", patched.status)
      assert.is_false(ok(emu:get("/actions/actions/" .. a.id)).all_changes_deployed)
      assert.are.equal(1, #ok(emu:get("/actions/actions/" .. a.id .. "/versions")).versions)
    end)

    it("reads one version, and answers 404 for an unknown action or version", function()
      local a = ok(emu:post("/actions/actions", { name = "act3",
        supported_triggers = { { id = "credentials-exchange", version = "v2" } } }), 201)
      wait_built(a.id)
      local v = ok(emu:post("/actions/actions/" .. a.id .. "/deploy"), 202)
      local base = "/actions/actions/" .. a.id .. "/versions/"
      assert.are.equal(1, ok(emu:get(base .. v.id)).number)
      local gone = emu:get(base .. "nope")
      assert.are.equal(404, gone.status)
      assert.are.same({ "Version not found", "inexistent_action_version" },
        { gone.json.message, gone.json.errorCode })
      assert.are.equal(404, emu:post(base .. "nope/deploy").status)
      for _, path in ipairs({ "/actions/actions/nope/versions",
                              "/actions/actions/nope/versions/x" }) do
        local res = emu:get(path)
        assert.are.equal(404, res.status)
        assert.are.equal("inexistent_action", res.json.errorCode)
      end
    end)

    it("lists the triggers", function()
      local triggers = ok(emu:get("/actions/triggers")).triggers
      assert.is_truthy(find_by(triggers, "id", "post-login"))
    end)
  end)

  describe("action modules", function()
    it("creates a module and publishes numbered versions", function()
      local m = ok(emu:post("/actions/modules", { name = "helper", code = "module.exports={}" }),
        201)
      assert.is_nil(m.latest_version_number)
      assert.is_false(m.all_changes_published)
      local v = ok(emu:post("/actions/modules/" .. m.id .. "/versions"))
      assert.are.equal(1, v.version_number)
      local got = ok(emu:get("/actions/modules/" .. m.id))
      assert.are.equal(1, got.latest_version_number)
      assert.is_true(got.all_changes_published)
      assert.is_false(ok(emu:patch("/actions/modules/" .. m.id, { code = "x" }))
        .all_changes_published)
      local list = ok(emu:get("/actions/modules?page=0&per_page=100"))
      assert.are.equal(1, list.total)
    end)

    it("publishes version 1 of a module created with publish: true, and keeps no publish field",
        function()
      local m = ok(emu:post("/actions/modules", { name = "pub", code = "", publish = true }), 201)
      assert.are.equal(1, m.latest_version_number)
      assert.is_true(m.all_changes_published)
      assert.is_nil(m.publish)
      local versions = ok(emu:get("/actions/modules/" .. m.id .. "/versions"))
      assert.are.equal(1, #versions.versions)
      local id = versions.versions[1].id
      assert.are.equal(1, ok(emu:get("/actions/modules/" .. m.id .. "/versions/" .. id))
        .version_number)
      local gone = emu:get("/actions/modules/" .. m.id .. "/versions/nope")
      assert.are.same({ 404, "Module version not found", "inexistent_module" },
        { gone.status, gone.json.message, gone.json.errorCode })
      gone = emu:get("/actions/modules/nope/versions")
      assert.are.same({ 404, "Module not found", "inexistent_module" },
        { gone.status, gone.json.message, gone.json.errorCode })
      -- a duplicate name is refused and publishes nothing
      assert.are.equal(409, emu:post("/actions/modules", { name = "pub", code = "",
        publish = true }).status)
    end)
  end)

  describe("organizations", function()
    it("creates an organization and enables a connection for it", function()
      local org = ok(emu:post("/organizations", { name = "acme", display_name = "Acme" }), 201)
      assert.matches("^org_%w+$", org.id)
      assert.are.equal(409, emu:post("/organizations", { name = "acme" }).status)
      local conn = ok(emu:post("/connections", { name = "org-db", strategy = "auth0" }), 201)
      local path = "/organizations/" .. org.id .. "/enabled_connections"
      local ec = ok(emu:post(path, { connection_id = conn.id,
        assign_membership_on_login = true }), 201)
      assert.are.equal("org-db", ec.connection.name)
      assert.are.equal(409, emu:post(path, { connection_id = conn.id }).status)
      local listed = ok(emu:get("/organizations/" .. org.id .. "/connections?page=0&per_page=50"))
      assert.are.equal(conn.id, listed[1].connection_id)
      ok(emu:patch(path .. "/" .. conn.id, { show_as_button = false }))
      assert.is_false(ok(emu:get(path .. "/" .. conn.id)).show_as_button)
      assert.are.equal(204, emu:delete(path .. "/" .. conn.id).status)
      assert.are.equal(org.id, ok(emu:get("/organizations/name/acme")).id)
    end)

    it("associates client grants, discovery domains and clients", function()
      local org = ok(emu:post("/organizations", { name = "globex" }), 201)
      local c = ok(emu:post("/clients", { name = "org-app" }), 201)
      ok(emu:post("/resource-servers", { name = "org-api", identifier = "https://org-api" }), 201)
      local g = ok(emu:post("/client-grants", { client_id = c.client_id,
        audience = "https://org-api", scope = json.array(), organization_usage = "allow" }), 201)
      local base = "/organizations/" .. org.id
      ok(emu:post(base .. "/client-grants", { grant_id = g.id }), 201)
      assert.are.equal(g.id, ok(emu:get(base .. "/client-grants"))[1].id)
      assert.are.equal(204, emu:delete(base .. "/client-grants/" .. g.id).status)
      local dd = ok(emu:post(base .. "/discovery-domains", { domain = "globex.test" }), 201)
      assert.are.equal("pending", dd.status)
      assert.are.equal(1, #ok(emu:get(base .. "/discovery-domains?take=50")).domains)
      assert.are.equal(204, emu:post(base .. "/clients", { clients = {
        { client_id = c.client_id, use_for_member_access = true } } }).status)
      local entitled = ok(emu:get(base .. "/clients?take=50")).clients[1]
      assert.are.equal(c.client_id, entitled.client_id)
      assert.are.equal("org-app", entitled.client.name)
      assert.are.equal(204, emu:delete(base .. "/clients", { body = { clients = {
        c.client_id } } }).status)
      assert.are.equal(0, #ok(emu:get(base .. "/clients?take=50")).clients)
      assert.are.equal(204, emu:delete("/organizations/" .. org.id).status)
      assert.are.equal(404, emu:get(base .. "/discovery-domains").status)
    end)
  end)

  describe("attack protection, risk assessment and supplemental signals", function()
    it("updates each object and keeps the rest of it", function()
      local bf = ok(emu:patch("/attack-protection/brute-force-protection", { max_attempts = 5 }))
      assert.are.equal(5, bf.max_attempts)
      assert.is_true(bf.enabled)
      ok(emu:patch("/attack-protection/breached-password-detection", { enabled = true }))
      ok(emu:patch("/attack-protection/suspicious-ip-throttling", { enabled = false }))
      ok(emu:patch("/attack-protection/bot-detection", { bot_detection_level = "high" }))
      local cap = ok(emu:patch("/attack-protection/captcha", { active_provider_id = "hcaptcha",
        hcaptcha = { site_key = "k", secret = "s" } }))
      assert.are.equal("k", cap.hcaptcha.site_key)
      assert.is_nil(cap.hcaptcha.secret)
      assert.is_true(ok(emu:patch("/risk-assessments/settings", { enabled = true })).enabled)
      assert.are.equal(7, ok(emu:patch("/risk-assessments/settings/new-device",
        { remember_for = 7 })).remember_for)
      assert.is_true(ok(emu:patch("/supplemental-signals", { akamai_enabled = true }))
        .akamai_enabled)
    end)

    it("answers and takes the custom token exchange stage; never answers a captcha api_key",
      function()
        local sit = ok(emu:get("/attack-protection/suspicious-ip-throttling"))
        assert.are.same({ max_attempts = 10, rate = 600000 },
          sit.stage["pre-custom-token-exchange"])
        sit = ok(emu:patch("/attack-protection/suspicious-ip-throttling", { stage = {
          ["pre-custom-token-exchange"] = { max_attempts = 20, rate = 600000 } } }))
        assert.are.equal(20, sit.stage["pre-custom-token-exchange"].max_attempts)
        assert.are.equal(100, sit.stage["pre-login"].max_attempts)
        local cap = ok(emu:patch("/attack-protection/captcha", { recaptcha_enterprise = {
          site_key = "k", api_key = "key-1", project_id = "p" } }))
        assert.is_nil(cap.recaptcha_enterprise.api_key)
        assert.are.equal("p", cap.recaptcha_enterprise.project_id)
        assert.is_nil(ok(emu:get("/attack-protection/captcha")).recaptcha_enterprise.api_key)
        assert.are.equal(400, emu:patch("/attack-protection/bot-detection", {
          bot_detection_level = "hihg" }).status)
        assert.are.equal(400, emu:patch("/risk-assessments/settings/new-device", {
          remember_for = 0 }).status)
      end)
  end)

  describe("custom domains", function()
    it("creates a domain pending verification, verifies it and makes it the default", function()
      local d = ok(emu:post("/custom-domains", { domain = "auth.cd.test",
        type = "auth0_managed_certs" }), 201)
      assert.matches("^cd_%w+$", d.custom_domain_id)
      assert.are.equal("pending_verification", d.status)
      assert.are.equal(409, emu:post("/custom-domains", { domain = "auth.cd.test",
        type = "auth0_managed_certs" }).status)
      assert.are.equal("ready", ok(emu:post("/custom-domains/" .. d.custom_domain_id
        .. "/verify")).status)
      ok(emu:patch("/custom-domains/default", { domain = "auth.cd.test" }))
      assert.are.equal(d.custom_domain_id, ok(emu:get("/custom-domains/default"))
        .custom_domain_id)
      assert.is_truthy(find_by(ok(emu:get("/custom-domains")), "domain", "auth.cd.test"))
      assert.are.equal(204, emu:delete("/custom-domains/" .. d.custom_domain_id).status)
    end)
  end)

  describe("rules, rules configs and hooks", function()
    it("numbers rules and refuses a duplicate order or name", function()
      local r1 = ok(emu:post("/rules", { name = "rule-one", script = "function(u,c,cb){}" }), 201)
      assert.matches("^rul_%w+$", r1.id)
      local r2 = ok(emu:post("/rules", { name = "rule-two", script = "x" }), 201)
      assert.are.equal(r1.order + 1, r2.order)
      assert.are.equal(409, emu:post("/rules", { name = "rule-three", script = "x",
        order = r1.order }).status)
      assert.is_false(ok(emu:patch("/rules/" .. r1.id, { enabled = false })).enabled)
      assert.are.equal(204, emu:delete("/rules/" .. r1.id).status)
    end)

    it("takes a rule's stage on create, as the real API does, and not on update", function()
      local r = ok(emu:post("/rules", { name = "failure-rule", script = "x",
        stage = "login_failure" }), 201)
      assert.are.equal("login_failure", r.stage)
      assert.are.equal("login_success", ok(emu:post("/rules", { name = "default-rule",
        script = "x" }), 201).stage)
      assert.are.equal(400, emu:post("/rules", { name = "bad-stage", script = "x",
        stage = "login" }).status)
      assert.are.equal(400, emu:patch("/rules/" .. r.id, { stage = "login_success" }).status)
    end)

    it("keeps rules-configs keys but never their values", function()
      assert.are.same({ key = "API_KEY", value = "v" }, ok(emu:put("/rules-configs/API_KEY",
        { value = "v" })))
      assert.are.same({ { key = "API_KEY" } }, ok(emu:get("/rules-configs")))
      assert.are.equal(204, emu:delete("/rules-configs/API_KEY").status)
    end)

    it("creates a hook and keeps its secrets masked", function()
      local h = ok(emu:post("/hooks", { name = "my-hook", script = "module.exports=1",
        triggerId = "credentials-exchange" }), 201)
      assert.are.same({}, ok(emu:get("/hooks/" .. h.id .. "/secrets")))
      ok(emu:post("/hooks/" .. h.id .. "/secrets", { A = "1", B = "2" }), 201)
      ok(emu:delete("/hooks/" .. h.id .. "/secrets", { body = { "A" } }), 204)
      assert.are.same({ B = "_VALUE_NOT_SHOWN_" }, ok(emu:get("/hooks/" .. h.id .. "/secrets")))
      assert.is_true(ok(emu:patch("/hooks/" .. h.id, { enabled = true })).enabled)
    end)
  end)

  describe("log streams, forms, flows and vault connections", function()
    it("creates a log stream with a lst_ id", function()
      local ls = ok(emu:post("/log-streams", { name = "http-logs", type = "http",
        sink = { httpEndpoint = "https://logs.test", httpContentType = "application/json",
                 httpContentFormat = "JSONLINES", httpAuthorization = "x" } }))
      assert.matches("^lst_%d+$", ls.id)
      assert.are.equal("active", ls.status)
      assert.are.equal("paused", ok(emu:patch("/log-streams/" .. ls.id, { status = "paused" }))
        .status)
      assert.is_truthy(find_by(ok(emu:get("/log-streams")), "id", ls.id))
    end)

    it("gives a stream to EventBridge or Event Grid its partner source, whatever was sent",
      function()
        local bridge = ok(emu:post("/log-streams", { name = "bridge", type = "eventbridge",
          sink = { awsAccountId = "123456789012", awsRegion = "us-east-2",
                   awsPartnerEventSource = "aws.partner/mine" } }))
        assert.matches("^aws%.partner/auth0%.com/.+/auth0%.logs$",
          bridge.sink.awsPartnerEventSource)
        local grid = ok(emu:post("/log-streams", { name = "grid", type = "eventgrid",
          sink = { azureSubscriptionId = "b69a6835-57c7-4d53-b0d5-1c6ae580b6d5",
                   azureRegion = "westeurope", azureResourceGroup = "logs" } }))
        assert.matches("^auth0%-logs%-", grid.sink.azurePartnerTopic)
        local es = ok(emu:post("/event-streams", { name = "bridge-events",
          subscriptions = { { event_type = "user.created" } },
          destination = { type = "eventbridge", configuration = { aws_account_id = "123456789012",
            aws_region = "us-east-2" } } }), 201)
        assert.matches("^aws%.partner/auth0%.com/.+/auth0%.events$",
          es.destination.configuration.aws_partner_event_source)
        for _, path in ipairs({ "/log-streams/" .. bridge.id, "/log-streams/" .. grid.id,
          "/event-streams/" .. es.id }) do
          assert.are.equal(204, emu:delete(path).status)
        end
      end)

    it("lists forms and flows as summaries and reads them whole", function()
      local f = ok(emu:post("/forms", { name = "form1",
        nodes = { { id = "step1", type = "STEP", coordinates = { x = 0, y = 0 } } } }), 201)
      assert.matches("^ap_", f.id)
      local listed = ok(emu:get("/forms?page=0&per_page=50&include_totals=true"))
      assert.are.equal(1, listed.total)
      assert.is_nil(listed.forms[1].nodes)
      assert.are.equal("step1", ok(emu:get("/forms/" .. f.id)).nodes[1].id)
      local fl = ok(emu:post("/flows", { name = "flow1" }), 201)
      assert.matches("^af_", fl.id)
      assert.are.equal("flow2", ok(emu:patch("/flows/" .. fl.id, { name = "flow2" })).name)
      local vc = ok(emu:post("/flows/vault/connections", { name = "vault1", app_id = "HTTP",
        setup = { type = "BEARER", token = "t" } }), 201)
      assert.matches("^ac_", vc.id)
      assert.is_nil(vc.setup)
      assert.are.equal(204, emu:delete("/flows/vault/connections/" .. vc.id).status)
    end)
  end)

  describe("profiles, network ACLs, rate limit policies and event streams", function()
    it("creates a self-service profile and its custom text", function()
      local p = ok(emu:post("/self-service-profiles", { name = "ssp1" }), 201)
      assert.matches("^ssp_", p.id)
      local path = "/self-service-profiles/" .. p.id .. "/custom-text/en/get-started"
      assert.are.same({}, ok(emu:get(path)))
      ok(emu:put(path, { introduction = "Hi" }))
      assert.are.same({ introduction = "Hi" }, ok(emu:get(path)))
    end)

    it("creates, replaces and deletes a network ACL with a unique priority", function()
      local acl = { description = "block", active = true, priority = 1,
                    rule = { action = { block = true }, scope = "tenant",
                             match = { geo_country_codes = { "AQ" } } } }
      local a = ok(emu:post("/network-acls", acl), 201)
      assert.matches("^acl_", a.id)
      assert.are.equal(409, emu:post("/network-acls", acl).status)
      acl.description = "replaced"
      assert.are.equal("replaced", ok(emu:put("/network-acls/" .. a.id, acl)).description)
      assert.are.equal(204, emu:delete("/network-acls/" .. a.id).status)
    end)

    it("takes a network ACL matching Auth0-managed lists (a signal the document lacks)",
      function()
        local acl = { description = "bots", active = true, priority = 2,
                      rule = { action = { block = true }, scope = "authentication",
                               match = { auth0_managed = { "auth0.bots" } } } }
        local a = ok(emu:post("/network-acls", acl), 201)
        assert.are.same({ "auth0.bots" }, a.rule.match.auth0_managed)
        acl.rule.match.auth0_managed = {}
        assert.are.equal(400, emu:patch("/network-acls/" .. a.id, { rule = acl.rule }).status)
      end)

    it("pages user attribute and connection profiles with checkpoints", function()
      local uap = ok(emu:post("/user-attribute-profiles", { name = "uap1", user_attributes = {
        email = { description = "Email", label = "Email", profile_required = true,
                  auth0_mapping = "email" } } }), 201)
      assert.matches("^uap_", uap.id)
      -- the user id mappings the body leaves out, as Auth0 fills them in
      assert.are.same({ oidc_mapping = "sub", scim_mapping = "externalId", saml_mapping = {
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" } }, uap.user_id)
      local kept = ok(emu:post("/user-attribute-profiles", { name = "uap2",
        user_id = { saml_mapping = { "urn:oid:0.9.2342.19200300.100.1.1" } },
        user_attributes = { email = { description = "Email", label = "Email",
          profile_required = true, auth0_mapping = "email" } } }), 201)
      assert.are.same({ "urn:oid:0.9.2342.19200300.100.1.1" }, kept.user_id.saml_mapping)
      assert.are.equal(uap.id, ok(emu:get("/user-attribute-profiles?take=10"))
        .user_attribute_profiles[1].id)
      local cop = ok(emu:post("/connection-profiles", { name = "cop1" }), 201)
      assert.are.equal(cop.id, ok(emu:get("/connection-profiles?take=10"))
        .connection_profiles[1].id)
      assert.are.equal(400, emu:get("/connection-profiles?take=11").status)
    end)

    it("creates a token exchange profile for an existing action", function()
      local a = ok(emu:post("/actions/actions", { name = "cte",
        supported_triggers = { { id = "custom-token-exchange", version = "v1" } } }), 201)
      local tep = ok(emu:post("/token-exchange-profiles", { name = "tep1",
        subject_token_type = "urn:acme:token", action_id = a.id,
        type = "custom_authentication" }), 201)
      assert.matches("^tep_", tep.id)
      assert.are.equal(409, emu:post("/token-exchange-profiles", { name = "tep2",
        subject_token_type = "urn:acme:token", action_id = a.id,
        type = "custom_authentication" }).status)
      assert.are.equal("tep3", ok(emu:patch("/token-exchange-profiles/" .. tep.id,
        { name = "tep3" })).name)
    end)

    it("keeps rate limit policies, a route the OpenAPI document lacks", function()
      local p = ok(emu:post("/rate-limit-policies", { resource = "oauth_authentication_api",
        consumer = "client", consumer_selector = "client-1",
        configuration = { action = "allow" } }), 201)
      assert.matches("^rlp_", p.id)
      assert.are.equal(p.id, ok(emu:get("/rate-limit-policies?take=50"))
        .rate_limit_policies[1].id)
      ok(emu:patch("/rate-limit-policies/" .. p.id, { configuration = { action = "log",
        limit = 5 } }))
      assert.are.equal(204, emu:delete("/rate-limit-policies/" .. p.id).status)
    end)

    it("refuses a rate limit policy body the API's SDK types do not allow", function()
      local body = { resource = "oauth_authentication_api", consumer = "client",
        consumer_selector = "default", configuration = { action = "allow", limit = 5 } }
      assert.are.equal(400, emu:post("/rate-limit-policies", body).status)
      body.configuration = { action = "block", limit = 5 }
      body.created_at = "2026-01-01T00:00:00.000Z"
      assert.are.equal(400, emu:post("/rate-limit-policies", body).status)
      body.created_at = nil
      local p = ok(emu:post("/rate-limit-policies", body), 201)
      assert.are.equal(400, emu:patch("/rate-limit-policies/" .. p.id,
        { consumer_selector = "third_party_clients", configuration = { action = "allow" } })
        .status)
      assert.are.equal(400, emu:patch("/rate-limit-policies/" .. p.id,
        { configuration = { action = "redirect", limit = 1 } }).status)
    end)

    it("creates an event stream with an est_ id", function()
      local es = ok(emu:post("/event-streams", { name = "es1", subscriptions = {
        { event_type = "user.created" } }, destination = { type = "webhook", configuration = {
        webhook_endpoint = "https://hook.test",
        webhook_authorization = { method = "bearer" } } } }), 201)
      assert.matches("^est_%w+$", es.id)
      assert.are.equal(es.id, ok(emu:get("/event-streams?take=50")).eventStreams[1].id)
    end)

    it("keeps a webhook's write-only secret out of every answer", function()
      local es = ok(emu:post("/event-streams", {
        name = "hook", subscriptions = { { event_type = "user.created" } },
        destination = { type = "webhook", configuration = {
          webhook_endpoint = "https://hooks.example.com/a0",
          webhook_authorization = { method = "bearer", token = "s3cr3t-token" } } },
      }), 201)
      assert.is_nil(es.destination.configuration.webhook_authorization.token)
      local read = ok(emu:get("/event-streams/" .. es.id))
      assert.are.equal("bearer", read.destination.configuration.webhook_authorization.method)
      assert.is_nil(read.destination.configuration.webhook_authorization.token)
      local listed = find_by(ok(emu:get("/event-streams?take=50")).eventStreams, "id", es.id)
      assert.are.equal("bearer", listed.destination.configuration.webhook_authorization.method)
      assert.is_nil(listed.destination.configuration.webhook_authorization.token)
    end)
  end)

  describe("unknown ids", function()
    -- Each lookup of a parent or an item by hand: the 404 it answers, worded as the API does.
    local CASES = {
      { "GET", "/roles/rol_nope/permissions", "The role does not exist", "inexistent_role" },
      { "POST", "/clients/nope/rotate-secret", "The client does not exist", "inexistent_client" },
      { "GET", "/hooks/nope/secrets", "The hook does not exist", "inexistent_hook" },
      { "GET", "/organizations/org_nope/client-grants",
        "No organization found by that id or name", "inexistent_organization" },
      { "GET", "/organizations/org_nope/clients", "No organization found by that id or name",
        "inexistent_organization" },
      { "GET", "/organizations/name/nope", "No organization found by that id or name",
        "inexistent_organization" },
      { "GET", "/organizations/org_nope/enabled_connections/con_nope",
        "No organization found by that id or name", "inexistent_organization" },
      { "POST", "/custom-domains/cd_nope/verify", "The custom domain does not exist",
        "inexistent_custom_domain" },
      { "PATCH", "/custom-domains/default", "The custom domain does not exist",
        "inexistent_custom_domain", { domain = "nope.example.com" } },
      { "PATCH", "/branding/phone/templates/tem_nope/reset", "Phone template not found",
        "inexistent_phone_template" },
      { "GET", "/connections/con_nope/clients", "The connection does not exist",
        "inexistent_connection" },
    }
    for _, case in ipairs(CASES) do
      it(case[1] .. " " .. case[2], function()
        local res = emu:request(case[1], case[2], { body = case[5] })
        assert.are.same({ 404, case[3], case[4] },
          { res.status, res.json and res.json.message, res.json and res.json.errorCode })
      end)
    end

    it("an organization's enabled connection, grant or client that is not there", function()
      local org = ok(emu:post("/organizations", { name = "org-404" }), 201)
      local base = "/organizations/" .. org.id
      local function not_found(res, message, code)
        assert.are.same({ 404, message, code },
          { res.status, res.json.message, res.json.errorCode })
      end
      not_found(emu:get(base .. "/enabled_connections/con_nope"),
        "The connection is not enabled for this organization",
        "inexistent_organization_connection")
      not_found(emu:post(base .. "/enabled_connections", { connection_id = "con_nope" }),
        "The connection does not exist", "inexistent_connection")
      not_found(emu:post(base .. "/client-grants", { grant_id = "cgr_nope" }),
        "The client grant does not exist", "inexistent_client_grant")
      not_found(emu:post(base .. "/clients", { clients = { { client_id = "nope" } } }),
        "The client does not exist", "inexistent_client")
      not_found(emu:patch(base .. "/clients/nope", { use_for_member_access = true }),
        "The client does not exist", "inexistent_client")
    end)

    it("a token exchange profile's action that is not there", function()
      local res = emu:post("/token-exchange-profiles", { name = "tep-404",
        subject_token_type = "urn:acme:404", action_id = "nope", type = "custom_authentication" })
      assert.are.same({ 404, "Action not found", "inexistent_action" },
        { res.status, res.json.message, res.json.errorCode })
    end)
  end)
end)
