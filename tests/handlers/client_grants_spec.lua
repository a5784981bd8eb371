local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local CLIENTS = A{ { client_id = "c1", name = "Worker" }, { client_id = "deployer", name = "CLI" },
  { client_id = "c3", name = "Partner", is_first_party = false } }

local function deploy(grants, remote, cfg, extra)
  local routes = { ["LIST /clients"] = CLIENTS, ["LIST /client-grants"] = A(remote or {}),
    ["POST /clients"] = function(req) return { client_id = "new1", name = req.body.name } end }
  local desired = { clientGrants = grants }
  for k, v in pairs(extra or {}) do desired[k] = v end
  return env.deploy{ config = cfg or { AUTH0_CLIENT_ID = "deployer" }, routes = routes,
    desired = desired }
end

describe("handlers/client_grants", function()
  local h = env.handler("clientGrants")

  describe("schema", function()
    it("accepts a grant with scopes, subject type and authorization details", function()
      assert.is_true(env.check("clientGrants", A{ { client_id = "Worker",
        audience = "https://api/", scope = A{ "read" }, subject_type = "user",
        authorization_details_types = A{ "payment" } } }))
    end)

    it("requires the audience", function()
      local ok, problems = env.check("clientGrants", A{ { client_id = "Worker" } })
      assert.is_false(ok)
      assert.matches("audience", problems[1].message)
    end)

    it("rejects duplicate scopes and an unknown subject type", function()
      local ok, problems = env.check("clientGrants", A{ { client_id = "W", audience = "a",
        scope = A{ "x", "x" }, subject_type = "robot" } })
      assert.is_false(ok)
      local pointers = {}
      for _, p in ipairs(problems) do pointers[p.pointer] = true end
      assert.is_true(pointers["/clientGrants/0/scope"])
      assert.is_true(pointers["/clientGrants/0/subject_type"])
    end)
  end)

  describe("validate", function()
    it("reports a grant with both client_id and default_for", function()
      local ok, problems = env.check("clientGrants", A{ { client_id = "W", audience = "a",
        default_for = "third_party_clients" } })
      assert.is_false(ok)
      assert.equal("/clientGrants/0/client_id", problems[1].pointer)
      assert.matches("mutually exclusive", problems[1].message)
    end)

    it("reports a grant with neither client_id nor default_for", function()
      local ok, problems = env.check("clientGrants", A{ { audience = "a" } })
      assert.is_false(ok)
      assert.matches("is required", problems[1].message)
    end)

    it("reports scopes together with allow_all_scopes", function()
      local ok, problems = env.check("clientGrants", A{ { client_id = "W", audience = "a",
        allow_all_scopes = true, scope = A{ "read" } } })
      assert.is_false(ok)
      assert.equal("/clientGrants/0/scope", problems[1].pointer)
    end)

    it("accepts allow_all_scopes with an empty scope", function()
      assert.is_true(env.check("clientGrants", A{ { client_id = "W", audience = "a",
        allow_all_scopes = true, scope = A{} } }))
    end)
  end)

  describe("import", function()
    it("creates a grant with the client's id for its name", function()
      local r = deploy(A{ { client_id = "Worker", audience = "https://api/",
        scope = A{ "read" } } })
      assert.is_nil(r.err)
      assert.same({ { client_id = "c1", audience = "https://api/", scope = A{ "read" } } },
        env.bodies(r.ctx.api, "POST", "/client-grants"))
    end)

    it("gives a grant the id of a client created in the same run", function()
      local r = deploy(A{ { client_id = "New App", audience = "https://api/",
        scope = A{ "read" } } }, {}, nil, { clients = A{ { name = "New App" } } })
      assert.is_nil(r.err)
      local client = env.bodies(r.ctx.api, "POST", "/clients")[1]
      assert.equal("New App", client.name)
      local grant = env.bodies(r.ctx.api, "POST", "/client-grants")[1]
      assert.equal("new1", grant.client_id)
    end)

    it("updates scopes without the immutable fields", function()
      local r = deploy(A{ { client_id = "Worker", audience = "https://api/",
        scope = A{ "read", "write" } } }, { { id = "g1", client_id = "c1",
        audience = "https://api/", scope = A{ "read" }, subject_type = "client" } })
      assert.same({ { scope = A{ "read", "write" } } }, env.bodies(r.ctx.api, "PATCH",
        "/client-grants/g1"))
    end)

    it("makes no change when the grant already matches", function()
      local r = deploy(A{ { client_id = "Worker", audience = "https://api/",
        scope = A{ "read" } } }, { { id = "g1", client_id = "c1", audience = "https://api/",
        scope = A{ "read" }, subject_type = "client" } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("replaces a grant whose explicit subject_type differs (delete + create)", function()
      local r = deploy(A{ { client_id = "Worker", audience = "https://api/", scope = A{},
        subject_type = "user" } }, { { id = "g1", client_id = "c1", audience = "https://api/",
        scope = A{}, subject_type = "client" } },
        { AUTH0_CLIENT_ID = "deployer", AUTH0_ALLOW_DELETE = true })
      assert.is_nil(r.err)
      assert.equal(1, #r.ctx.api:find("DELETE", "/client-grants/g1"))
      assert.equal("user", env.bodies(r.ctx.api, "POST", "/client-grants")[1].subject_type)
      assert.same({}, r.ctx.api:find("PATCH"))
    end)

    it("matches a default_for grant by audience", function()
      local r = deploy(A{ { default_for = "third_party_clients", audience = "https://mcp/",
        scope = A{ "mcp" } } }, { { id = "g9", default_for = "third_party_clients",
        audience = "https://mcp/", scope = A{} } })
      assert.same({ { scope = A{ "mcp" } } }, env.bodies(r.ctx.api, "PATCH", "/client-grants/g9"))
    end)

    it("never touches the deploying client's grants", function()
      local r = deploy(A{ { client_id = "CLI", audience = "https://t/api/v2/",
        scope = A{ "read:clients" } } }, { { id = "g0", client_id = "deployer",
        audience = "https://t/api/v2/", scope = A{ "x" } } },
        { AUTH0_CLIENT_ID = "deployer", AUTH0_ALLOW_DELETE = true })
      assert.same({}, r.ctx.api:writes())
    end)

    it("never touches grants of excluded clients, named or by id", function()
      local r = deploy(A{}, { { id = "g1", client_id = "c1", audience = "https://api/" } },
        { AUTH0_ALLOW_DELETE = true, AUTH0_EXCLUDED_CLIENTS = { "Worker" } })
      assert.same({}, r.ctx.api:writes())
    end)

    it("never touches system grants", function()
      local r = deploy(A{}, { { id = "g1", client_id = "c1", audience = "https://api/",
        is_system = true } }, { AUTH0_ALLOW_DELETE = true })
      assert.same({}, r.ctx.api:writes())
    end)

    it("leaves third-party clients' grants when third parties are excluded", function()
      local r = deploy(A{ { client_id = "Partner", audience = "https://api/", scope = A{} } }, {},
        { AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS = true })
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  describe("fetch", function()
    it("drops the deploying client's grants and, when asked, third parties'", function()
      local ctx = env.ctx{ config = { AUTH0_CLIENT_ID = "deployer",
        AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS = true }, routes = {
        ["LIST /client-grants"] = A{ { id = "g0", client_id = "deployer", audience = "a" },
          { id = "g1", client_id = "c1", audience = "a" },
          { id = "g3", client_id = "c3", audience = "a" },
          { id = "g4", default_for = "third_party_clients", audience = "a" } },
        ["LIST /clients"] = A{ { client_id = "c1", name = "Worker" } } } }
      local list = h:fetch(ctx)
      local ids = {}
      for _, g in ipairs(list) do ids[#ids + 1] = g.id end
      assert.same({ "g1", "g4" }, ids)
    end)
  end)

  describe("export", function()
    it("writes the client's name and no id", function()
      local ctx = env.ctx{ current = { clients = CLIENTS } }
      local out = handler.export_item(h, ctx, { id = "g1", client_id = "c1", audience = "a",
        scope = A{ "read" }, __any_subject = true, __key = "Worker -> a" })
      assert.same({ client_id = "Worker", audience = "a", scope = A{ "read" } }, out)
    end)

    it("does not write grants of excluded clients", function()
      local ctx = env.ctx{ config = { AUTH0_EXCLUDED_CLIENTS = { "Worker" } },
        current = { clients = CLIENTS } }
      assert.is_nil(handler.export_item(h, ctx, { id = "g1", client_id = "c1", audience = "a" }))
    end)
  end)
end)
