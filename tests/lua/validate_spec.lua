local validate = require("a0lua.validate")
local handlers = require("a0lua.handlers")
local sources_mod = require("a0lua.sources")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local function registry()
  return handlers.new{
    { type = "clients", id = "client_id", identifiers = { "client_id", "name" },
      schema = { type = "object", required = { "name" }, properties = {
        name = { type = "string", minLength = 1 },
        token_exchange = { type = { "object", "null" }, properties = {
          allow_any_profile_of_type = { type = "array", items = { type = "string",
            enum = { "custom_authentication", "on_behalf_of_token_exchange" } } } } },
        session_transfer = { type = "object", properties = {
          allow_refresh_token = { type = "boolean", default = false } } },
      } } },
    { type = "clientGrants", name_field = "audience", schema = { type = "object",
      required = { "audience" }, properties = { audience = { type = "string" } } },
      validate = function(_, _, items, report)
        for i, g in ipairs(items) do
          if g.client_id and g.default_for then
            report(i, "default_for", "only one of client_id and default_for")
          end
        end
      end },
    { type = "tenant", kind = "singleton", schema = { type = "object", properties = {
      friendly_name = { type = "string" } } } },
  }
end

-- Parses YAML text as tenant.yaml and records its positions.
local function load(text)
  local value, positions = assert(yaml.decode(text, { name = "tenant.yaml" }))
  local sources = sources_mod.new()
  sources:add("", "tenant.yaml", positions)
  return value, sources
end

describe("a0lua.validate", function()
  describe("run", function()
    it("accepts valid files and injects schema defaults", function()
      local desired, sources = load([[
clients:
  - name: MCP server
    token_exchange:
      allow_any_profile_of_type: [on_behalf_of_token_exchange]
    session_transfer: {}
tenant:
  friendly_name: T
]])
      local ok = validate.run({ handlers = registry(), config = {} }, desired, sources)
      assert.is_true(ok)
      assert.is_false(desired.clients[1].session_transfer.allow_refresh_token)
    end)

    it("reports every problem at once with file, line, column and path", function()
      local desired, sources = load([[
clients:
  - name: ok
  - name: MCP server
    token_exchange:
      allow_any_profile_of_type:
        - on_behalf_of_token_exhange
  - app_type: spa
tenant:
  friendly_name: 5
]])
      local ok, problems = validate.run({ handlers = registry(), config = {} }, desired, sources)
      assert.is_nil(ok)
      assert.equal(3, #problems)
      local p = problems[1]
      assert.equal("validation", p.code)
      assert.equal("tenant.yaml", p.file)
      assert.equal(6, p.line)
      assert.equal("clients[1].token_exchange.allow_any_profile_of_type[0]", p.path)
      assert.matches("custom_authentication, on_behalf_of_token_exchange", p.message, 1, true)
      assert.matches("^tenant%.yaml:6:%d+: clients%[1%]%.token_exchange", tostring(p))
      assert.equal(7, problems[2].line)
      assert.matches("name", problems[2].message)
      assert.equal(9, problems[3].line)
      assert.equal("tenant.friendly_name", problems[3].path)
    end)

    it("reports an unknown top-level key and drops null types", function()
      local desired, sources = load("clientz:\n  - name: a\nroles: ~\n")
      local ok, problems = validate.run({ handlers = registry(), config = {} }, desired, sources)
      assert.is_nil(ok)
      assert.equal(1, #problems)
      assert.equal("clientz", problems[1].path)
      assert.equal(1, problems[1].line)
      assert.matches("unknown resource type", problems[1].message)
      assert.is_nil(desired.roles)
    end)

    it("reports duplicate names at the second one", function()
      local desired, sources = load("clients:\n  - name: a\n  - name: a\n")
      local ok, problems = validate.run({ handlers = registry(), config = {} }, desired, sources)
      assert.is_nil(ok)
      assert.equal(3, problems[1].line)
      assert.equal("clients[1].name", problems[1].path)
      assert.matches("unique", problems[1].message)
    end)

    it("runs the handler's own rules with report(index, field, message)", function()
      local desired, sources = load([[
clientGrants:
  - audience: https://api
    client_id: a
    default_for: third_party_clients
]])
      local ok, problems = validate.run({ handlers = registry(), config = {} }, desired, sources)
      assert.is_nil(ok)
      assert.equal("clientGrants[0].default_for", problems[1].path)
      assert.equal(4, problems[1].line)
    end)

    it("refuses a type it has no handler for, naming its line, and skips excluded types",
        function()
      local desired, sources = load("clients:\n  - {}\nrules:\n  - name: r\n")
      local ok, problems = validate.run({ handlers = registry(),
        config = { AUTH0_EXCLUDED = { "clients" } } }, desired, sources)
      assert.is_nil(ok)
      assert.equal(1, #problems)
      assert.equal("no_handler", problems[1].code)
      assert.equal(3, problems[1].line)
      assert.equal("rules", problems[1].path)
      assert.matches("no handler for rules", problems[1].message)
      assert.matches("AUTH0_EXCLUDED", problems[1].message)
    end)

    it("accepts a type without a handler once it is excluded or not included", function()
      local desired, sources = load("rules:\n  - name: r\nclients:\n  - name: c\n")
      assert.is_true((validate.run({ handlers = registry(),
        config = { AUTH0_EXCLUDED = { "rules" } } }, desired, sources)))
      assert.is_true((validate.run({ handlers = registry(),
        config = { AUTH0_INCLUDED_ONLY = { "clients" } } }, desired, sources)))
    end)

    it("deploys a type once a handler for it is loaded (a user's own)", function()
      local desired, sources = load("rules:\n  - name: r\n")
      local own = registry()
      own:add{ type = "rules", path = "/rules" }
      assert.is_true((validate.run({ handlers = own, config = {} }, desired, sources)))
    end)

    it("warns about references it cannot find in the files", function()
      local desired, sources = load("clientGrants:\n  - audience: x\n    client_id: Elsewhere\n")
      local ok, warnings = validate.run({ handlers = registry(), config = {} }, desired, sources)
      assert.is_true(ok)
      assert.equal(1, #warnings)
      assert.equal("clientGrants[0].client_id", warnings[1].path)
    end)

    it("rejects a configuration that is not a mapping", function()
      local ok, problems = validate.run({ handlers = registry(), config = {} }, json.array{ 1 })
      assert.is_nil(ok)
      assert.matches("mapping", problems[1].message)
    end)

    it("raises when a handler's schema does not compile", function()
      local bad = handlers.new{ { type = "clients", schema = { type = "nonsense" } } }
      assert.has_error(function()
        validate.run({ handlers = bad, config = {} }, { clients = json.array{} })
      end)
    end)
  end)

  describe("references", function()
    it("is an error for a grant whose client is neither in the files nor on the tenant", function()
      local desired, sources = load([[
clients:
  - name: Known
clientGrants:
  - audience: https://api
    client_id: Known
  - audience: https://api
    client_id: OnTenant
  - audience: https://api
    client_id: tenant-id-1
  - audience: https://api
    client_id: Nowhere
]])
      local ctx = { handlers = registry(), config = {}, current = {
        clients = json.array{ { client_id = "tenant-id-1", name = "OnTenant" } } } }
      local problems = validate.references(ctx, desired, sources, { tenant = true })
      assert.equal(1, #problems)
      assert.equal("clientGrants[3].client_id", problems[1].path)
      assert.equal(11, problems[1].line)
      assert.matches('"Nowhere" is not one of the clients', problems[1].message)
    end)

    it("only warns about a dangling reference that is not strict", function()
      local desired, sources = load([[
connections:
  - name: corp
    enabled_clients: [Ghost]
]])
      local ctx = { handlers = handlers.new{ { type = "clients" }, { type = "connections" } },
        config = {}, current = { clients = json.array{} } }
      local problems, warnings = validate.references(ctx, desired, sources, { tenant = true })
      assert.same({}, problems)
      assert.equal(1, #warnings)
      assert.equal("connections[0].enabled_clients[0]", warnings[1].path)
      assert.equal(3, warnings[1].line)
    end)

    it("names the element of a nested list that holds the dangling reference", function()
      local desired, sources = load([[
clients:
  - name: Known
organizations:
  - name: acme
    client_grants:
      - client_id: Known
      - client_id: Ghost
]])
      local ctx = { handlers = handlers.new{ { type = "clients" }, { type = "organizations" } },
        config = {}, current = { clients = json.array{} } }
      local _, warnings = validate.references(ctx, desired, sources, { tenant = true })
      assert.equal(1, #warnings)
      assert.equal("organizations[0].client_grants[1].client_id", warnings[1].path)
      assert.equal(7, warnings[1].line)
      assert.matches('"Ghost" is not one of the clients', warnings[1].message)
    end)

    it("lists the types whose tenant state it needs", function()
      local ctx = { handlers = registry(), config = {} }
      assert.same({ "clients" }, validate.reference_types(ctx, { clientGrants = json.array{} }))
      assert.same({}, validate.reference_types(ctx, { tenant = {} }))
    end)
  end)

  describe("error", function()
    it("joins every problem into one message", function()
      local s = sources_mod.new()
      local err = validate.error{ s:problem("/a", "x"), s:problem("/b", "y") }
      assert.equal("validation", err.code)
      assert.matches("2 problems", tostring(err))
      assert.matches("a: x\n  b: y", tostring(err), 1, true)
    end)
  end)
end)
