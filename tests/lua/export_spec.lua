local export = require("a0lua.export")
local handlers = require("a0lua.handlers")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local run = require("helpers.run")
local shared = require("helpers.shared")

local A = json.array

-- Handlers whose fetch returns canned state (or an error) instead of asking an API.
local function setup(cfg, state, errors)
  errors = errors or {}
  local function fetcher(t)
    return function()
      if errors[t] then return nil, errors[t] end
      return handler.deep_copy(state[t])
    end
  end
  local registry = handlers.new{
    { type = "clients", id = "client_id", strip_export = { "tenant" }, fetch = fetcher("clients") },
    { type = "clientGrants", fetch = fetcher("clientGrants"), name_field = "audience",
      export = function(_, ctx, item)
        item.client_id = handler.id_to_name(ctx, "clients", item.client_id) or item.client_id
        return item
      end },
    { type = "roles", fetch = fetcher("roles") },
    { type = "tenant", kind = "singleton", fetch = fetcher("tenant"),
      secrets = { "session_cookie.secret" } },
  }
  return { config = cfg or {}, handlers = registry }
end

local STATE = {
  clients = A{ { client_id = "c1", name = "App", tenant = "t", callbacks = A{} } },
  clientGrants = A{ { id = "g1", client_id = "c1", audience = "https://api", scope = A{} } },
  roles = A{},
  tenant = { friendly_name = "T", session_cookie = { secret = "s3cret" } },
}

describe("a0lua.export", function()
  describe("collect", function()
    it("reads every enabled type and turns it into export form", function()
      local ctx = setup({}, STATE)
      local exported, warnings, types = assert(export.collect(ctx))
      assert.same({}, warnings)
      assert.same({ "clients", "tenant", "clientGrants", "roles" }, types)
      assert.same({ { name = "App", callbacks = {} } }, exported.clients)
      assert.same({ { client_id = "App", audience = "https://api", scope = {} } },
        exported.clientGrants)
      assert.is_true(json.is_array(exported.roles))
      assert.equal("##TENANT_SESSION_COOKIE_SECRET##", exported.tenant.session_cookie.secret)
    end)

    it("keeps ids and secrets when the config says so", function()
      local ctx = setup({ AUTH0_EXPORT_IDENTIFIERS = true, AUTH0_EXPORT_SECRETS = true }, STATE)
      local exported = assert(export.collect(ctx))
      assert.equal("c1", exported.clients[1].client_id)
      assert.equal("g1", exported.clientGrants[1].id)
      assert.equal("s3cret", exported.tenant.session_cookie.secret)
    end)

    it("leaves out excluded types", function()
      local ctx = setup({ AUTH0_EXCLUDED = { "roles", "tenant" } }, STATE)
      local exported = assert(export.collect(ctx))
      assert.is_nil(exported.roles)
      assert.is_nil(exported.tenant)
      assert.is_not_nil(exported.clients)
    end)

    it("turns a type it may not read into a warning", function()
      local ctx = setup({}, STATE, { roles = { code = "api_error", status = 403,
        message = "Insufficient scope, expected any of: read:roles" } })
      local exported, warnings = assert(export.collect(ctx))
      assert.is_nil(exported.roles)
      assert.is_not_nil(exported.clients)
      assert.equal(1, #warnings)
      assert.matches("cannot read roles", warnings[1])
    end)

    it("returns any other read error", function()
      local ctx = setup({}, STATE, { roles = { code = "api_error", status = 500,
        message = "boom" } })
      local exported, err = export.collect(ctx)
      assert.is_nil(exported)
      assert.equal("api_error", err.code)
      assert.equal("roles", err.type)
    end)
  end)

  describe("run", function()
    local tmp
    before_each(function() tmp = run.temp_dir() end)
    after_each(function() run.remove_tree(tmp) end)

    it("writes the files of the format and gives the same bytes for the same tenant", function()
      local ctx = setup({ format = "yaml", output_folder = tmp .. "/a" }, STATE)
      local result = assert(export.run(ctx))
      assert.equal(tmp .. "/a", result.output)
      local text = shared.read(tmp .. "/a/tenant.yaml")
      assert.matches("name: App", text, 1, true)
      assert.matches("client_id: App", text, 1, true)
      local again = setup({ format = "yaml", output_folder = tmp .. "/b" }, STATE)
      assert(export.run(again))
      assert.equal(text, shared.read(tmp .. "/b/tenant.yaml"))
    end)

    it("refuses items of a list type that share a name, naming them, and writes nothing",
      function()
        local state = handler.deep_copy(STATE)
        for i, name in ipairs({ "App", "a/b", "Solo", "a/b", "App" }) do
          state.clients[i] = { client_id = "c" .. i, name = name }
        end
        state.roles = A{ { id = "r1", name = "admin" }, { id = "r2", name = "admin" } }
        for _, format in ipairs({ "yaml", "directory" }) do
          local ctx = setup({ format = format, output_folder = tmp .. "/" .. format }, state)
          local result, err = export.run(ctx)
          assert.is_nil(result)
          assert.equal("export_duplicate", err.code)
          assert.matches('clients "App", "a/b"; roles "admin"', err.message, 1, true)
          assert.is_nil(require("a0lua.core.fs").stat(tmp .. "/" .. format))
        end
      end)

    it("returns the error of a format it cannot write", function()
      local ctx = setup({ output_folder = tmp }, STATE)
      local result, err = export.run(ctx)
      assert.is_nil(result)
      assert.equal("config", err.code)
    end)
  end)
end)
