local plan = require("a0lua.plan")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")

local A = json.array

-- A registry of small handlers and a ctx whose current state is given (no fetch needed).
local function setup(cfg, current, no_fill)
  local registry = handlers.new{
    { type = "resourceServers", path = "/resource-servers", identifiers = { "id", "identifier" } },
    { type = "clients", path = "/clients", id = "client_id", identifiers = { "client_id", "name" },
      object_fields = { "client_metadata" }, strip_create = { "tenant" },
      strip_update = { "tenant" } },
    { type = "clientGrants", path = "/client-grants", depends_on = { "clients" },
      identifiers = { "id", { "client_id", "audience" } }, name_field = "audience" },
    { type = "connections", path = "/connections" },
    { type = "tenant", kind = "singleton", path = "/tenants/settings" },
    { type = "emailTemplates", kind = "keyed", path = "/email-templates",
      name_field = "template" },
  }
  current = current or {}
  if not no_fill then
    for _, t in ipairs(registry:types()) do
      if current[t] == nil then
        current[t] = registry:get(t).kind == "singleton" and {} or A{}
      end
    end
  end
  return { config = cfg or {}, handlers = registry, current = current }
end

local function by_op(p)
  local out = {}
  for _, c in ipairs(p:changes()) do
    out[#out + 1] = c.type .. " " .. c.op .. " " .. tostring(c.key)
  end
  return out
end

describe("a0lua.plan", function()
  describe("compute", function()
    it("creates what the tenant lacks, updates what differs and skips deletes", function()
      local ctx = setup({}, {
        clients = A{ { client_id = "c1", name = "Same", app_type = "spa" },
          { client_id = "c2", name = "Changed", app_type = "spa", callbacks = A{ "https://a" } },
          { client_id = "c3", name = "Gone" } },
      })
      local p = assert(plan.compute(ctx, { clients = A{
        { name = "Same", app_type = "spa" },
        { name = "Changed", app_type = "spa", callbacks = A{ "https://b" } },
        { name = "New", app_type = "regular_web", tenant = "t" } } }))
      assert.same({ "clients create New", "clients update Changed", "clients skip Gone" },
        by_op(p))
      local changes = p:changes()
      assert.same({ name = "New", app_type = "regular_web" }, changes[1].payload)
      assert.same({ callbacks = { "https://b" } }, changes[2].payload)
      assert.equal("c2", changes[2].id)
      assert.matches("AUTH0_ALLOW_DELETE", changes[3].reason)
      assert.is_true(p:has_changes())
      assert.same({ clients = { create = 1, update = 1, delete = 0, skip = 1 } }, p:summary())
    end)

    it("deletes with AUTH0_ALLOW_DELETE", function()
      local ctx = setup({ AUTH0_ALLOW_DELETE = true },
        { clients = A{ { client_id = "c3", name = "Gone" } } })
      local p = assert(plan.compute(ctx, { clients = A{} }))
      assert.same({ "clients delete Gone" }, by_op(p))
      assert.equal("c3", p:changes()[1].id)
    end)

    it("makes no change when the tenant already matches", function()
      local ctx = setup({}, { clients = A{ { client_id = "c1", name = "A", extra = 1 } },
        tenant = { friendly_name = "T", flags = { x = true } } })
      local p = assert(plan.compute(ctx, { clients = A{ { name = "A" } },
        tenant = { friendly_name = "T" } }))
      assert.same({}, p:changes())
      assert.is_false(p:has_changes())
      assert.equal("No changes.\n", p:render{})
    end)

    it("matches by the first identifier before the second", function()
      local ctx = setup({}, { clients = A{ { client_id = "c1", name = "Old name" },
        { client_id = "c2", name = "New name" } } })
      local p = assert(plan.compute(ctx, { clients = A{
        { client_id = "c1", name = "New name" } } }))
      local changes = p:changes()
      assert.equal("update", changes[1].op)
      assert.equal("c1", changes[1].id)
      assert.same({ name = "New name" }, changes[1].payload)
      assert.equal("skip", changes[2].op)
      assert.equal("c2", changes[2].id)
    end)

    it("matches compound identifiers only when every part is set", function()
      local ctx = setup({}, { clientGrants = A{
        { id = "g1", client_id = "c1", audience = "https://api", scope = A{ "a" } },
        { id = "g2", client_id = "c2", audience = "https://api", scope = A{} } } })
      local p = assert(plan.compute(ctx, { clientGrants = A{
        { client_id = "c1", audience = "https://api", scope = A{ "a", "b" } },
        { audience = "https://api", scope = A{} } } }))
      local ops = {}
      for _, c in ipairs(p:changes()) do ops[#ops + 1] = c.op .. ":" .. tostring(c.id) end
      assert.same({ "create:nil", "update:g1", "skip:g2" }, ops)
    end)

    it("matches resource servers by identifier, not by name", function()
      local ctx = setup({}, { resourceServers = A{ { id = "r1", name = "Old",
        identifier = "https://api" } } })
      local p = assert(plan.compute(ctx, { resourceServers = A{ { name = "New",
        identifier = "https://api" } } }))
      assert.equal(1, #p:changes())
      assert.equal("update", p:changes()[1].op)
      assert.same({ name = "New" }, p:changes()[1].payload)
    end)

    it("leaves out types in AUTH0_EXCLUDED and types not in AUTH0_INCLUDED_ONLY", function()
      local desired = { clients = A{ { name = "A" } }, connections = A{ { name = "db" } } }
      local p = assert(plan.compute(setup{ AUTH0_EXCLUDED = { "clients" } }, desired))
      assert.same({ "connections create db" }, by_op(p))
      p = assert(plan.compute(setup{ AUTH0_INCLUDED_ONLY = { "clients" } }, desired))
      assert.same({ "clients create A" }, by_op(p))
    end)

    it("leaves a type absent from the files untouched", function()
      local ctx = setup({ AUTH0_ALLOW_DELETE = true }, { clients = A{ { client_id = "x",
        name = "A" } } })
      local p = assert(plan.compute(ctx, { tenant = { friendly_name = "T" } }))
      assert.same({ "tenant update tenant" }, by_op(p))
    end)

    it("never touches names in the deprecated AUTH0_EXCLUDED_* lists or the deploying client",
      function()
        local ctx = setup({ AUTH0_ALLOW_DELETE = true, AUTH0_EXCLUDED_CLIENTS = { "Keep" },
          AUTH0_CLIENT_ID = "deployer", AUTH0_EXCLUDED_CONNECTIONS = { "ad" } }, {
          clients = A{ { client_id = "k", name = "Keep" },
            { client_id = "deployer", name = "CI" } },
          clientGrants = A{ { id = "g", client_id = "deployer", audience = "https://api" } },
          connections = A{ { id = "con", name = "ad" } },
        })
        local p = assert(plan.compute(ctx, { clients = A{ { name = "Keep", app_type = "x" } },
          clientGrants = A{}, connections = A{} }))
        assert.same({}, p:changes())
      end)

    it("keeps only AUTH0_INCLUDED_CONNECTIONS among connections", function()
      local ctx = setup({ AUTH0_INCLUDED_CONNECTIONS = { "a" } }, {})
      local p = assert(plan.compute(ctx, { connections = A{ { name = "a" }, { name = "b" } } }))
      assert.same({ "connections create a" }, by_op(p))
    end)

    it("applies a handler's filter to both sides", function()
      local ctx = setup({ AUTH0_ALLOW_DELETE = true }, { connections = A{ { id = "1",
        name = "hidden" } } })
      ctx.handlers:get("connections").filter = function(_, _, item)
        return item.name ~= "hidden"
      end
      local p = assert(plan.compute(ctx, { connections = A{ { name = "hidden" } } }))
      assert.same({}, p:changes())
    end)

    it("drops whole-value placeholders from payloads with a warning", function()
      local ctx = setup({}, {})
      local p = assert(plan.compute(ctx, { clients = A{ { name = "A", logo_uri = "##LOGO##",
        description = "the ##ENV## app" } } }))
      assert.same({ name = "A", description = "the ##ENV## app" }, p:changes()[1].payload)
      assert.matches("##LOGO##", p.warnings[1])
    end)

    it("follows the object_fields rule for client_metadata", function()
      local current = { clients = A{ { client_id = "c", name = "A",
        client_metadata = { keep = "1", old = "2" } } } }
      -- without deletes: keys only on the tenant are kept, with a warning
      local p = assert(plan.compute(setup({}, current), { clients = A{ { name = "A",
        client_metadata = { keep = "1" } } } }))
      assert.same({}, p:changes())
      assert.matches("client_metadata.old", p.warnings[1])
      -- with deletes: they are set to null
      p = assert(plan.compute(setup({ AUTH0_ALLOW_DELETE = true }, current), { clients = A{
        { name = "A", client_metadata = { keep = "1" } } } }))
      assert.equal(json.null, p:changes()[1].payload.client_metadata.old)
      assert.equal("1", p:changes()[1].payload.client_metadata.keep)
      -- an absent client_metadata empties it when deletes are allowed
      p = assert(plan.compute(setup({ AUTH0_ALLOW_DELETE = true }, current), { clients = A{
        { name = "A" } } }))
      assert.same({ client_metadata = {} }, p:changes()[1].payload)
      -- and is left alone otherwise
      p = assert(plan.compute(setup({}, current), { clients = A{ { name = "A" } } }))
      assert.same({}, p:changes())
      -- both empty: nothing
      p = assert(plan.compute(setup({}, { clients = A{ { client_id = "c", name = "A" } } }),
        { clients = A{ { name = "A", client_metadata = {} } } }))
      assert.same({}, p:changes())
    end)

    it("leaves the desired items as they were when object_fields adjusts them", function()
      local current = { clients = A{ { client_id = "c", name = "A",
        client_metadata = { keep = "1", old = "2" } }, { client_id = "d", name = "B",
        client_metadata = { x = "1" } }, { client_id = "e", name = "C" } } }
      local desired = { clients = A{ { name = "A", client_metadata = { keep = "1" } },
        { name = "B" }, { name = "C", client_metadata = {} } } }
      local before = require("a0lua.handler").deep_copy(desired)
      local p = assert(plan.compute(setup({ AUTH0_ALLOW_DELETE = true }, current), desired))
      assert.same({ "clients update A", "clients update B" }, by_op(p))
      assert.same(before, desired)
      for _, c in ipairs(p:changes()) do
        if c.desired.name == "A" then assert.same({ keep = "1" }, c.desired.client_metadata) end
        if c.desired.name == "B" then assert.is_nil(c.desired.client_metadata) end
      end
    end)

    it("never deletes keyed items and creates the ones the tenant lacks", function()
      local ctx = setup({ AUTH0_ALLOW_DELETE = true }, { emailTemplates = A{
        { template = "welcome_email", body = "a" }, { template = "other", body = "x" } } })
      local p = assert(plan.compute(ctx, { emailTemplates = A{
        { template = "welcome_email", body = "b" }, { template = "reset_email", body = "c" } } }))
      assert.same({ "emailTemplates create reset_email", "emailTemplates update welcome_email" },
        by_op(p))
    end)

    it("orders changes by type in registry order, then create, update, delete, by key", function()
      local ctx = setup({ AUTH0_ALLOW_DELETE = true }, {
        clients = A{ { client_id = "1", name = "b-old" }, { client_id = "2", name = "a-old" },
          { client_id = "3", name = "upd", x = 1 } },
        resourceServers = A{},
      })
      local p = assert(plan.compute(ctx, {
        clients = A{ { name = "z" }, { name = "upd", x = 2 }, { name = "m" } },
        resourceServers = A{ { name = "api", identifier = "https://api" } },
      }))
      assert.same({ "resourceServers create api", "clients create m", "clients create z",
        "clients update upd", "clients delete a-old", "clients delete b-old" }, by_op(p))
    end)

    it("fetches the current state of types it does not have yet", function()
      local ctx = setup({}, {}, true)
      local calls = 0
      ctx.handlers:get("connections").fetch = function()
        calls = calls + 1
        return A{ { id = "1", name = "db" } }
      end
      local p = assert(plan.compute(ctx, { connections = A{ { name = "db" } } }))
      assert.same({}, p:changes())
      assert.equal(1, calls)
      assert.equal("db", ctx.current.connections[1].name)
    end)

    it("returns the fetch error with the type", function()
      local ctx = setup({}, {}, true)
      ctx.handlers:get("connections").fetch = function()
        return nil, { code = "api_error", status = 500, message = "boom" }
      end
      local p, err = plan.compute(ctx, { connections = A{} })
      assert.is_nil(p)
      assert.equal("api_error", err.code)
      assert.equal("connections", err.type)
    end)
  end)

  describe("render", function()
    local function sample()
      local ctx = setup({}, { clients = A{ { client_id = "c", name = "A", callbacks = A{ "x" },
        client_secret = "old-secret" }, { client_id = "d", name = "Gone" } } })
      return assert(plan.compute(ctx, { clients = A{ { name = "A", callbacks = A{ "y" },
        client_secret = "new-secret" }, { name = "B" } } }))
    end

    it("prints a readable diff without colour", function()
      local text = sample():render{ color = false }
      assert.matches("clients\n", text, 1, true)
      assert.matches("+ create B", text, 1, true)
      assert.matches("~ update A", text, 1, true)
      assert.matches('callbacks: ["x"] -> ["y"]', text, 1, true)
      assert.matches("! skip   Gone", text, 1, true)
      assert.matches("Plan: 1 to create, 1 to update, 0 to delete, 1 skipped.", text, 1, true)
      assert.is_nil(text:find("\27", 1, true))
    end)

    it("says there are no changes when everything is skipped", function()
      local ctx = setup({}, { clients = A{ { client_id = "d", name = "Gone" } } })
      local p = assert(plan.compute(ctx, { clients = A{} }))
      assert.is_false(p:has_changes())
      assert.matches("No changes (1 skipped).", p:render{}, 1, true)
    end)

    it("colours the lines on request", function()
      local text = sample():render{ color = true }
      assert.matches("\27[32m", text, 1, true)
      assert.matches("\27[33m", text, 1, true)
    end)

    it("never shows secrets", function()
      local p = sample()
      local text = p:render{ color = false, verbose = true } .. p:json()
      assert.is_nil(text:find("old-secret", 1, true))
      assert.is_nil(text:find("new-secret", 1, true))
      assert.matches("(secret)", text, 1, true)
    end)

    -- A name that contains a secret's word does not make a boolean or a number a secret.
    it("masks strings only, never booleans or numbers", function()
      local ctx = setup({}, { tenant = { flags = { disable_self_service_change_password = true },
        password_options = { min_length = 8 } } })
      local p = assert(plan.compute(ctx, { tenant = { flags = {
        disable_self_service_change_password = false }, password_options = { min_length = 10 },
        credentials = { smtp_user = "mailer", smtp_pass = "s3cr3t-body", smtp_port = 587 } } }))
      local text = p:render{ color = false } .. p:json()
      assert.matches("flags.disable_self_service_change_password: true -> false", text, 1, true)
      assert.matches("password_options.min_length: 8 -> 10", text, 1, true)
      local doc = assert(json.decode(p:json()))
      local payload = doc.changes[1].payload
      assert.is_false(payload.flags.disable_self_service_change_password)
      assert.equal(10, payload.password_options.min_length)
      -- inside an object, each member by its own name (a0lua.secrets); numbers stay
      assert.same({ smtp_user = "mailer", smtp_pass = "(secret)", smtp_port = 587 },
        payload.credentials)
      assert.is_nil(text:find("s3cr3t-body", 1, true))
    end)
  end)

  describe("json", function()
    it("gives the changes, the summary and the warnings", function()
      local ctx = setup({}, {})
      local p = assert(plan.compute(ctx, { clients = A{ { name = "A", logo_uri = "##L##" } } }))
      local doc = assert(json.decode(p:json()))
      assert.equal("create", doc.changes[1].op)
      assert.equal("clients", doc.changes[1].type)
      assert.equal("A", doc.changes[1].payload.name)
      assert.equal(1, doc.summary.clients.create)
      assert.equal(1, #doc.warnings)
      assert.is_true(doc.has_changes)
    end)
  end)

  describe("match", function()
    it("returns pairs, leftover desired and leftover current in order", function()
      local pairs_, creates, deletes = plan.match({ "id", "name" },
        { { name = "b" }, { id = "1" }, { name = "new" } },
        { { id = "1", name = "one" }, { id = "2", name = "b" }, { id = "3", name = "old" } })
      assert.equal(2, #pairs_)
      assert.equal("2", pairs_[1].current.id)
      assert.equal("1", pairs_[2].current.id)
      assert.same({ { name = "new" } }, creates)
      assert.same({ { id = "3", name = "old" } }, deletes)
    end)
  end)
end)
