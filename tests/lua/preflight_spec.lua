-- a0lua.preflight: every create and update body of a plan against the API's request schemas.
local handlers = require("a0lua.handlers")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local plan = require("a0lua.plan")
local preflight = require("a0lua.preflight")
local sources_mod = require("a0lua.sources")

local A = json.array

local function setup(specs, current)
  local registry = handlers.new(specs)
  current = current or {}
  for _, t in ipairs(registry:types()) do
    if current[t] == nil then current[t] = registry:get(t).kind == "singleton" and {} or A{} end
  end
  return { config = {}, handlers = registry, current = current }
end

local ROLES = {
  type = "roles", path = "/roles",
  -- as handlers/roles.lua: the permissions are requests of their own
  write_request = function(self, _, op, payload)
    if op == "create" then
      return "POST", self.path, handler.strip(payload, { "permissions" })
    end
  end,
}

describe("a0lua.preflight", function()
  it("passes what the API takes, and checks the body the handler says it sends", function()
    local ctx = setup{ ROLES }
    local p = assert(plan.compute(ctx, { roles = A{ { name = "Reader", description = "r",
      permissions = A{ { permission_name = "read", resource_server_identifier = "x" } } } } }))
    assert.is_true(preflight.check(ctx, p))
  end)

  it("names the item's file:line and the field, in the API's words", function()
    local ctx = setup{ ROLES }
    local desired = { roles = A{ { name = "Fine" }, { name = "Bad", description = 5,
      colour = "red" } } }
    local sources = sources_mod.new()
    sources:add("", "tenant.yaml", {
      ["/roles/1"] = { line = 3, column = 5 }, ["/roles/1/description"] = { line = 4, column = 5 },
      ["/roles/1/colour"] = { line = 5, column = 5 } })
    local p = assert(plan.compute(ctx, desired))
    local ok, err = preflight.check(ctx, p, sources)
    assert.is_nil(ok)
    assert.equal("validation", err.code)
    assert.equal(2, #err.problems)
    assert.equal("tenant.yaml:4:5: roles[1].description: the Management API would refuse this "
      .. "create (POST /roles): Expected type string but found type integer",
      tostring(err.problems[1]))
    assert.equal("tenant.yaml:5:5: roles[1].colour: the Management API would refuse this "
      .. "create (POST /roles): Additional properties not allowed: colour",
      tostring(err.problems[2]))
  end)

  it("checks updates against the update's route, singletons at their type", function()
    local ctx = setup({ { type = "resourceServers", path = "/resource-servers",
      identifiers = { "id", "identifier" } }, { type = "tenant", kind = "singleton",
      path = "/tenants/settings" } }, { resourceServers = A{ { id = "rs1", name = "API",
      identifier = "https://api" } } })
    local p = assert(plan.compute(ctx, { resourceServers = A{ { name = "API",
      identifier = "https://api", token_lifetime = "long" } },
      tenant = { friendly_name = A{ "not", "text" } } }))
    local _, err = preflight.check(ctx, p)
    assert.equal(2, #err.problems)
    assert.equal("resourceServers[0].token_lifetime", err.problems[1].path)
    assert.matches("update (PATCH /resource-servers/{id})", err.problems[1].message, 1, true)
    assert.equal("tenant.friendly_name", err.problems[2].path)
    assert.matches("update (PATCH /tenants/settings)", err.problems[2].message, 1, true)
  end)

  it("leaves alone a route the API's tables do not know and what a handler cannot tell", function()
    local ctx = setup{ { type = "widgets", path = "/widgets" }, { type = "roles", path = "/roles",
      write_request = function() return nil end } }
    local p = assert(plan.compute(ctx, { widgets = A{ { name = "w", anything = true } },
      roles = A{ { name = "r", colour = "red" } } }))
    assert.is_true(preflight.check(ctx, p))
  end)

  it("takes a property the handler's schema names on its word, the document trailing", function()
    local function check(schema)
      local ctx = setup{ { type = "clients", path = "/clients", id = "client_id",
        schema = schema } }
      local p = assert(plan.compute(ctx, { clients = A{ { name = "c",
        fedcm_login = { google = { is_enabled = true } }, not_a_field = true } } }))
      local _, err = preflight.check(ctx, p)
      local paths = {}
      for _, problem in ipairs(err.problems) do paths[#paths + 1] = problem.path end
      return paths
    end
    assert.same({ "clients[0].fedcm_login", "clients[0].not_a_field" }, check(nil))
    assert.same({ "clients[0].not_a_field" }, check({ type = "object", properties = {
      name = { type = "string" }, fedcm_login = { type = "object" } } }))
  end)

  it("checks each request of a singleton written by sections, named at its section", function()
    local sections = { { key = "bot", path = "/attack-protection/bot-detection" },
      { key = "brute", path = "/attack-protection/brute-force-protection" } }
    local ctx = setup{ handler.by_sections({ type = "attackProtection", kind = "singleton" },
      sections) }
    local p = assert(plan.compute(ctx, { attackProtection = { bot = {
      bot_detection_level = "medium" }, brute = { max_attempts = 500, colour = "red" } } }))
    local _, err = preflight.check(ctx, p)
    assert.equal(2, #err.problems)
    assert.equal("attackProtection.brute.colour", err.problems[1].path)
    assert.matches("update (PATCH /attack-protection/brute-force-protection): Additional "
      .. "properties not allowed: colour", err.problems[1].message, 1, true)
    assert.equal("attackProtection.brute.max_attempts", err.problems[2].path)
  end)

  it("never shows a secret's value in a problem", function()
    local ctx = setup{ { type = "clients", path = "/clients" } }
    local p = assert(plan.compute(ctx, { clients = A{ { name = "Blob", addons = { azure_blob = {
      accountName = "acct", storageAccessKey = "hunter2-not-base64" } } } } }))
    local _, err = preflight.check(ctx, p)
    assert.equal(1, #err.problems)
    assert.equal("clients[0].addons.azure_blob.storageAccessKey", err.problems[1].path)
    assert.is_nil(tostring(err):find("hunter2", 1, true))
    assert.matches("pattern check (a secret: not shown)", tostring(err), 1, true)
  end)
end)
