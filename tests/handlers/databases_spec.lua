local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local CLIENTS = A{ { client_id = "c1", name = "Web" }, { client_id = "c2", name = "Mobile" } }
local ACTIONS = A{ { id = "act1", name = "hash-migrate" } }

local function remote_db(options, enabled)
  return { id = "db1", name = "users", strategy = "auth0", options = options or {},
    _enabled = enabled }
end

local function deploy(desired, dbs, cfg, extra)
  local routes = { ["LIST /clients"] = CLIENTS, ["LIST /actions/actions"] = ACTIONS,
    ["LIST /connections"] = A(dbs or {}) }
  for _, db in ipairs(dbs or {}) do
    routes["LIST /connections/" .. db.id .. "/clients"] = A(db._enabled or {})
    routes["GET /connections/" .. db.id] = handler.deep_copy(db)
    db._enabled = nil
  end
  for k, v in pairs(extra or {}) do routes[k] = v end
  return env.deploy{ config = cfg or {}, routes = routes, desired = { databases = desired } }
end

local function problems_at(value)
  local ok, problems = env.check("databases", value)
  local out = {}
  for _, p in ipairs(problems) do out[p.pointer] = p.message end
  return ok, out
end

describe("handlers/databases", function()
  local h = env.handler("databases")

  describe("schema", function()
    it("injects the strategy, self-service and email uniqueness defaults", function()
      local dbs = A{ { name = "users", options = { attributes = { email = {
        identifier = { active = true } } } } } }
      assert.is_true(env.check("databases", dbs))
      assert.equal("auth0", dbs[1].strategy)
      assert.is_false(dbs[1].options.disable_self_service_change_password)
      assert.is_true(dbs[1].options.attributes.email.unique)
    end)

    it("rejects another strategy, an unknown script type and too many blocked fields", function()
      local fields = A{}
      for i = 1, 13 do fields[i] = "f" .. i end
      local ok, at = problems_at(A{ { name = "users", strategy = "google-oauth2", options = {
        customScripts = { login = 1 },
        password_options = { profile_data = { blocked_fields = fields } } } } })
      assert.is_false(ok)
      assert.is_string(at["/databases/0/strategy"])
      assert.is_string(at["/databases/0/options/customScripts/login"])
      assert.is_string(at["/databases/0/options/password_options/profile_data/blocked_fields"])
    end)

    it("checks the password policy enums and bounds", function()
      local ok, at = problems_at(A{ { name = "u", options = { password_options = {
        complexity = { min_length = 0, character_type_rule = "two" },
        history = { size = 25 }, dictionary = { default = "fr" } } } } })
      assert.is_false(ok)
      assert.is_string(at["/databases/0/options/password_options/complexity/min_length"])
      assert.is_string(at["/databases/0/options/password_options/complexity/character_type_rule"])
      assert.is_string(at["/databases/0/options/password_options/history/size"])
      assert.is_string(at["/databases/0/options/password_options/dictionary/default"])
    end)
  end)

  describe("validate", function()
    it("needs an active identifier when attributes are given", function()
      local ok, at = problems_at(A{ { name = "u", options = { attributes = {
        email = { identifier = { active = false } } } } } })
      assert.is_false(ok)
      assert.matches("at least one identifier", at["/databases/0/options/attributes"])
    end)

    it("rejects an active email identifier that is not unique", function()
      local ok, at = problems_at(A{ { name = "u", options = { attributes = {
        email = { unique = false, identifier = { active = true } } } } } })
      assert.is_false(ok)
      assert.is_string(at["/databases/0/options/attributes/email/identifier/active"])
    end)

    it("rejects legacy password fields next to password_options", function()
      local ok, at = problems_at(A{ { name = "u", options = { passwordPolicy = "good",
        password_options = { history = { active = true } } } } })
      assert.is_false(ok)
      assert.matches("password_options", at["/databases/0/options/passwordPolicy"])
    end)

    it("needs all four character types for three_of_four", function()
      local ok, at = problems_at(A{ { name = "u", options = { password_options = {
        complexity = { character_type_rule = "three_of_four",
          character_types = A{ "lowercase", "number" } } } } } })
      assert.is_false(ok)
      assert.is_string(at["/databases/0/options/password_options/complexity/character_types"])
    end)

    it("rejects a blocked field longer than 100 characters", function()
      local ok, at = problems_at(A{ { name = "u", options = { password_options = {
        profile_data = { blocked_fields = A{ ("x"):rep(101) } } } } } })
      assert.is_false(ok)
      assert.is_string(at["/databases/0/options/password_options/profile_data/blocked_fields/0"])
    end)

    it("ties self-service password change to password authentication", function()
      local ok, at = problems_at(A{ { name = "u", options = { authentication_methods = {
        password = { enabled = false } } } } })
      assert.is_false(ok)
      assert.is_string(at["/databases/0/options/disable_self_service_change_password"])
      assert.is_true(env.check("databases", A{ { name = "u", options = {
        authentication_methods = { password = { enabled = false } },
        disable_self_service_change_password = true } } }))
    end)
  end)

  describe("fetch", function()
    it("reads auth0 connections only, with their enabled clients", function()
      local ctx = env.ctx{ routes = {
        ["LIST /connections"] = A{ { id = "db1", name = "users", strategy = "auth0",
          options = { mfa = {} } }, { id = "g", name = "g", strategy = "github" } },
        ["LIST /connections/db1/clients"] = A{ { client_id = "c1" } } } }
      local list = h:fetch(ctx)
      assert.equal(1, #list)
      assert.same(A{ "c1" }, list[1].enabled_clients)
      assert.same({ strategy = "auth0" }, ctx.api.calls[1].query)
    end)

    it("warns when the options cannot be read", function()
      local ctx = env.ctx{ routes = { ["LIST /connections"] = A{ { id = "db1", name = "users",
        strategy = "auth0", options = {} } } } }
      h:fetch(ctx)
      assert.matches("read:connections_options", ctx.log.lines.warn[1])
    end)
  end)

  describe("import", function()
    it("creates the database without enabled_clients, with the scripts and the action id",
      function()
        local r = deploy(A{ { name = "users", enabled_clients = A{ "Web" }, options = {
          customScripts = { login = "function login() {}" },
          custom_password_hash = { action_id = "hash-migrate" } } } }, {})
        assert.is_nil(r.err)
        local sent = env.bodies(r.ctx.api, "POST", "/connections")[1]
        assert.is_nil(sent.enabled_clients)
        assert.equal("auth0", sent.strategy)
        assert.equal("function login() {}", sent.options.customScripts.login)
        assert.equal("act1", sent.options.custom_password_hash.action_id)
        assert.same({ A{ { client_id = "c1", status = true } } },
          env.bodies(r.ctx.api, "PATCH", "/connections/id1/clients"))
      end)

    it("reads the connection again and sends its options merged with the desired ones",
      function()
        local r = deploy(A{ { name = "users", options = { attributes = {
          email = { identifier = { active = true } } } } } },
          { remote_db({ validation = { username = {} }, requires_username = true, mfa = {
            active = true }, disable_self_service_change_password = false }) })
        assert.is_nil(r.err)
        assert.equal(1, #r.ctx.api:find("GET", "/connections/db1"))
        local sent = env.bodies(r.ctx.api, "PATCH", "/connections/db1")[1]
        assert.same({ active = true }, sent.options.mfa)
        assert.is_nil(sent.options.validation)
        assert.is_nil(sent.options.requires_username)
        assert.is_true(sent.options.attributes.email.unique)
        assert.is_nil(sent.name)
        assert.is_nil(sent.strategy)
      end)

    it("drops the tenant's legacy password fields when password_options are sent", function()
      local r = deploy(A{ { name = "users", options = { password_options = {
        history = { active = true, size = 5 } } } } },
        { remote_db({ password_history = { enable = true }, passwordPolicy = "fair",
          disable_self_service_change_password = false }) })
      local sent = env.bodies(r.ctx.api, "PATCH", "/connections/db1")[1]
      assert.is_nil(sent.options.password_history)
      assert.is_nil(sent.options.passwordPolicy)
      assert.same({ active = true, size = 5 }, sent.options.password_options.history)
    end)

    it("refuses signup_behavior block without api_behavior optional", function()
      local r = deploy(A{ { name = "users", options = { authentication_methods = {
        password = { signup_behavior = "block" } } } } },
        { remote_db({ authentication_methods = { password = { api_behavior = "required" } },
          disable_self_service_change_password = false }) })
      assert.equal("apply_failed", r.err.code)
      assert.matches("api_behavior optional", tostring(r.err))
      assert.same({}, r.ctx.api:find("PATCH", "/connections/db1"))
    end)

    it("makes no request when the database already matches", function()
      local r = deploy(A{ { name = "users", enabled_clients = A{ "Web" },
        options = { mfa = { active = true } } } },
        { remote_db({ mfa = { active = true }, disable_self_service_change_password = false,
          brute_force_protection = true }, { { client_id = "c1" } }) })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("updates only the enabled clients when they alone differ", function()
      local r = deploy(A{ { name = "users", enabled_clients = A{ "Web", "Mobile" } } },
        { remote_db({ disable_self_service_change_password = false }, { { client_id = "c1" } }) })
      assert.same({}, r.ctx.api:find("PATCH", "/connections/db1"))
      assert.same({ A{ { client_id = "c2", status = true } } },
        env.bodies(r.ctx.api, "PATCH", "/connections/db1/clients"))
    end)

    it("leaves excluded databases alone", function()
      local r = deploy(A{}, { remote_db() }, { AUTH0_ALLOW_DELETE = true,
        AUTH0_EXCLUDED_DATABASES = { "users" } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("returns the error of the read before the update", function()
      local r = deploy(A{ { name = "users", options = { mfa = { active = false } } } },
        { remote_db({ mfa = { active = true } }) }, {},
        { ["GET /connections/db1"] = fake.fail(503, "unavailable") })
      assert.equal("apply_failed", r.err.code)
      assert.same({}, r.ctx.api:find("PATCH", "/connections/db1"))
    end)
  end)

  describe("export", function()
    it("writes client and action names, without configuration and legacy fields", function()
      local ctx = env.ctx{ current = { clients = CLIENTS, actions = ACTIONS } }
      local out = handler.export_item(h, ctx, { id = "db1", name = "users", strategy = "auth0",
        enabled_clients = A{ "c2", "c1" }, options = { configuration = { secret = "x" },
          password_options = { history = { active = true } }, password_history = {},
          custom_password_hash = { action_id = "act1" } } })
      assert.same({ name = "users", strategy = "auth0", enabled_clients = A{ "Mobile", "Web" },
        options = { password_options = { history = { active = true } },
          custom_password_hash = { action_id = "hash-migrate" } } }, out)
    end)
  end)
end)
