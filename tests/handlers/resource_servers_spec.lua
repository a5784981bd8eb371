local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

describe("handlers/resource_servers", function()
  local h = env.handler("resourceServers")

  describe("schema", function()
    it("accepts an API with scopes, proof of possession and subject type policies", function()
      assert.is_true(env.check("resourceServers", A{ { name = "Orders",
        identifier = "https://orders.example/", scopes = A{ { value = "read:orders",
          description = "Read" } },
        proof_of_possession = { mechanism = "dpop", required = true,
          required_for = "public_clients" },
        subject_type_authorization = { user = { policy = "require_client_grant" },
          client = { policy = "deny_all" } } } }))
    end)

    it("requires name and identifier", function()
      local ok, problems = env.check("resourceServers", A{ { name = "x" } })
      assert.is_false(ok)
      assert.equal("/resourceServers/0", problems[1].pointer)
      assert.matches("identifier", problems[1].message)
    end)

    it("rejects an unknown proof of possession mechanism", function()
      local ok, problems = env.check("resourceServers", A{ { name = "x", identifier = "y",
        proof_of_possession = { mechanism = "tls", required = true } } })
      assert.is_false(ok)
      assert.equal("/resourceServers/0/proof_of_possession/mechanism", problems[1].pointer)
    end)

    it("rejects an unknown key in subject_type_authorization", function()
      local ok, problems = env.check("resourceServers", A{ { name = "x", identifier = "y",
        subject_type_authorization = { group = {} } } })
      assert.is_false(ok)
      assert.equal("/resourceServers/0/subject_type_authorization/group", problems[1].pointer)
    end)

    it("reports configuring the Management API", function()
      local ok, problems = env.check("resourceServers", A{ { name = "Auth0 Management API",
        identifier = "https://t/api/v2/" } })
      assert.is_false(ok)
      assert.equal("/resourceServers/0/name", problems[1].pointer)
      assert.matches("Auth0 Management API", problems[1].message)
    end)
  end)

  describe("fetch", function()
    it("leaves out the Management API and reduces system APIs", function()
      local ctx = env.ctx{ routes = { ["LIST /resource-servers"] = A{
        { id = "m", name = "Auth0 Management API", identifier = "https://t/api/v2/" },
        { id = "s", name = "Auth0 My Account API", identifier = "https://t/me/",
          is_system = true, token_lifetime = 600, scopes = A{ { value = "x" } } },
        { id = "o", name = "Orders", identifier = "https://orders/" } } } }
      local list = h:fetch(ctx)
      assert.equal(2, #list)
      assert.same({ id = "s", name = "Auth0 My Account API", identifier = "https://t/me/",
        is_system = true, token_lifetime = 600 }, list[1])
      assert.equal("Orders", list[2].name)
    end)
  end)

  describe("import", function()
    local remote = A{ { id = "rs1", name = "Orders", identifier = "https://orders/",
      client_id = "c9", is_system = false, token_lifetime = 86400 } }

    it("matches by identifier, so a rename is an update without the identifier", function()
      local r = env.deploy{ routes = { ["LIST /resource-servers"] = remote },
        desired = { resourceServers = A{ { name = "Orders v2", identifier = "https://orders/",
          token_lifetime = 86400 } } } }
      assert.is_nil(r.err)
      assert.same({ { name = "Orders v2" } }, env.bodies(r.ctx.api, "PATCH",
        "/resource-servers/rs1"))
    end)

    it("creates without client_id and is_system", function()
      local r = env.deploy{ routes = {}, desired = { resourceServers = A{ { name = "New",
        identifier = "https://new/", client_id = "x", is_system = false } } } }
      assert.same({ { name = "New", identifier = "https://new/" } },
        env.bodies(r.ctx.api, "POST", "/resource-servers"))
    end)

    it("sends only the fields a system API accepts", function()
      local r = env.deploy{ routes = { ["LIST /resource-servers"] = A{ { id = "s",
        name = "Auth0 My Account API", identifier = "https://t/me/", is_system = true,
        token_lifetime = 600 } } },
        desired = { resourceServers = A{ { name = "Auth0 My Account API",
          identifier = "https://t/me/", token_lifetime = 900, scopes = A{ { value = "x" } } } } } }
      assert.same({ { token_lifetime = 900 } }, env.bodies(r.ctx.api, "PATCH",
        "/resource-servers/s"))
    end)

    it("deletes an API the files lack when deletes are allowed", function()
      local r = env.deploy{ config = { AUTH0_ALLOW_DELETE = true },
        routes = { ["LIST /resource-servers"] = remote }, desired = { resourceServers = A{} } }
      assert.equal(1, #r.ctx.api:find("DELETE", "/resource-servers/rs1"))
    end)

    it("leaves excluded APIs alone", function()
      local r = env.deploy{ config = { AUTH0_ALLOW_DELETE = true,
        AUTH0_EXCLUDED_RESOURCE_SERVERS = { "Orders" } },
        routes = { ["LIST /resource-servers"] = remote }, desired = { resourceServers = A{} } }
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  describe("export", function()
    it("writes the linked client's name and no id", function()
      local ctx = env.ctx{ current = { clients = A{ { client_id = "c9", name = "MCP server" } } } }
      local out = handler.export_item(h, ctx, { id = "rs1", name = "Orders",
        identifier = "https://orders/", client_id = "c9" })
      assert.same({ name = "Orders", identifier = "https://orders/", client_id = "MCP server" },
        out)
    end)
  end)
end)
