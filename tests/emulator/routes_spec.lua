-- a0lua.emulator.routes (generated) and scripts/gen-emulator-routes.lua, which writes it from
-- the Management API OpenAPI document.
local json = require("a0lua.core.json")
local routes = require("a0lua.emulator.routes")
local validate = require("a0lua.emulator.validate")
local helper = require("helpers.run")
local shared = require("helpers.shared")

local ROUTES_FILE = "lua/a0lua/emulator/routes.lua"
local GENERATOR = "scripts/gen-emulator-routes.lua"

local function find(method, template)
  for _, route in ipairs(routes.routes) do
    if route.method == method and route.template == template then return route end
  end
  return nil
end

local function generate(doc_path)
  return helper.run({ "build/a0lua", "run", GENERATOR, doc_path })
end

describe("a0lua.emulator.routes", function()
  describe("routes", function()
    it("gives every route a method, a template, an operation id and a 2xx status", function()
      assert.is_true(#routes.routes > 300)
      local methods = { GET = true, POST = true, PUT = true, PATCH = true, DELETE = true }
      for _, route in ipairs(routes.routes) do
        assert.is_true(methods[route.method], route.template)
        assert.matches("^/", route.template)
        assert.is_string(route.op)
        assert.is_true(route.status >= 200 and route.status < 300, route.op)
      end
    end)

    it("lists each method and template once, sorted by template", function()
      local seen = {}
      for i, route in ipairs(routes.routes) do
        local id = route.method .. " " .. route.template
        assert.is_nil(seen[id], id)
        seen[id] = true
        if i > 1 then assert.is_true(routes.routes[i - 1].template <= route.template) end
      end
    end)

    it("describes POST /clients with its request schema and 201", function()
      local route = find("POST", "/clients")
      assert.are.equal("post_clients", route.op)
      assert.are.equal("CreateClientRequestContent", route.body)
      assert.are.equal(201, route.status)
    end)

    it("gives the success status the document lists: 200, 202, 204", function()
      assert.are.equal(200, find("PATCH", "/clients/{id}").status)
      assert.are.equal(202, find("POST", "/actions/actions/{id}/deploy").status)
      assert.are.equal(204, find("DELETE", "/clients/{id}").status)
    end)

    it("pages GET /clients both ways with the clients key", function()
      local route = find("GET", "/clients")
      assert.are.equal("both", route.paging)
      assert.are.equal("clients", route.key)
    end)

    it("pages by offset, by checkpoint and in the Actions envelope per the document", function()
      assert.are.equal("offset", find("GET", "/roles").paging)
      assert.are.equal("roles", find("GET", "/roles").key)
      assert.are.equal("checkpoint", find("GET", "/connections/{id}/clients").paging)
      assert.are.equal("clients", find("GET", "/connections/{id}/clients").key)
      assert.are.equal("actions", find("GET", "/actions/actions").paging)
      assert.are.equal("actions", find("GET", "/actions/actions").key)
      assert.are.equal("bindings", find("GET", "/actions/triggers/{triggerId}/bindings").key)
      assert.are.equal("client_grants", find("GET", "/client-grants").key)
    end)

    it("leaves unpaged routes without paging or key", function()
      local route = find("GET", "/tenants/settings")
      assert.is_nil(route.paging)
      assert.is_nil(route.key)
      assert.is_nil(find("GET", "/clients/{id}").paging)
    end)

    it("names a schema of the tables for every request body", function()
      local count = 0
      for _, route in ipairs(routes.routes) do
        if route.body then
          count = count + 1
          assert.is_table(routes.schemas[route.body], route.body)
        end
      end
      assert.is_true(count > 100)
    end)
  end)

  describe("schemas", function()
    it("forbids client_id in a new client and allows token_exchange profiles", function()
      local _, s = validate.compile("CreateClientRequestContent")
      assert.are.equal(false, s.additionalProperties)
      assert.is_nil(s.properties.client_id)
      local profiles = s.properties.token_exchange.properties.allow_any_profile_of_type
      assert.are.equal("array", profiles.type)
      assert.are.same({ "custom_authentication", "on_behalf_of_token_exchange" },
        profiles.items.enum)
    end)

    it("keeps nullable types as type lists and null in enums", function()
      local _, linked = validate.compile("CreateResourceServerRequestContent")
      local s = linked.properties.consent_policy
      assert.are.same({ "string", "null" }, s.type)
      assert.are.equal(json.null, s.enum[2])
    end)

    it("compiles every schema with core.schema", function()
      for name in pairs(routes.schemas) do
        assert.is_not_nil(validate.compile(name), name)
      end
    end)

    it("keeps only the keywords core.schema checks", function()
      local allowed = {
        ["$ref"] = true, type = true, nullable = true, enum = true, format = true, pattern = true,
        minLength = true, maxLength = true, minimum = true, maximum = true, minItems = true,
        maxItems = true, uniqueItems = true, items = true, minProperties = true,
        maxProperties = true, required = true, properties = true, additionalProperties = true,
        anyOf = true,
      }
      local function check(node, where)
        if type(node) ~= "table" then return end
        for k, v in pairs(node) do
          assert.is_true(allowed[k] == true, where .. ": " .. tostring(k))
          if k == "format" then assert.are.equal("date-time", v) end
          if k == "items" or k == "additionalProperties" then check(v, where .. "/" .. k) end
          if k == "properties" then
            for name, sub in pairs(v) do check(sub, where .. "/" .. name) end
          end
          if k == "anyOf" then
            for i, sub in ipairs(v) do check(sub, where .. "/anyOf/" .. i) end
          end
        end
      end
      for name, s in pairs(routes.schemas) do check(s, name) end
    end)

    it("writes a schema the document names once, and refers to it by name", function()
      -- A client's addons are a schema of their own in the document, used by the create and
      -- the update.
      local create = routes.schemas.CreateClientRequestContent.properties.addons
      local update = routes.schemas.UpdateClientRequestContent.properties.addons
      assert.are.same({ ["$ref"] = "ClientAddons" }, create)
      assert.are.same(create, update.anyOf and update.anyOf[1] or update)
      assert.is_table(routes.schemas.ClientAddons.properties)
    end)

    it("keeps the flow actions, which nest themselves, as references between entries", function()
      local items = routes.schemas.CreateFlowRequestContent.properties.actions.items
      assert.are.same({ ["$ref"] = "FlowAction" }, items)
      assert.is_table(routes.schemas.FlowAction)
    end)

    it("stays under 1.5 MB", function()
      local f = assert(io.open(ROUTES_FILE, "rb"))
      local size = f:seek("end")
      f:close()
      assert.is_true(size < 1500000, tostring(size))
    end)
  end)

  describe("the generator", function()
    local dir

    setup(function() dir = helper.temp_dir() end)
    teardown(function() helper.remove_tree(dir) end)

    local SMALL = {
      openapi = "3.1.0",
      info = { title = "Tiny", version = "9" },
      paths = {
        ["/things"] = {
          get = {
            operationId = "get_things",
            parameters = {
              { ["in"] = "query", name = "page" }, { ["in"] = "query", name = "per_page" },
              { ["in"] = "query", name = "include_totals" },
            },
            responses = { ["200"] = { content = { ["application/json"] = { schema = {
              oneOf = {
                { type = "array", items = { ["$ref"] = "#/components/schemas/Thing" } },
                { type = "object", properties = {
                  things = { type = "array" }, total = { type = "integer" } } },
              } } } } } },
          },
          post = {
            operationId = "post_things",
            requestBody = { content = { ["application/json"] = {
              schema = { ["$ref"] = "#/components/schemas/NewThing" } } } },
            responses = { ["201"] = { description = "" }, ["400"] = { description = "" } },
          },
        },
        ["/things/{id}/parts"] = {
          get = {
            operationId = "get_parts",
            parameters = {
              { ["in"] = "query", name = "from" }, { ["in"] = "query", name = "take" },
            },
            responses = { ["200"] = { content = { ["application/json"] = { schema = {
              type = "object",
              properties = { parts = { type = "array" }, next = { type = "string" } },
            } } } } },
          },
          put = {
            operationId = "put_parts",
            requestBody = { content = { ["application/json"] = {
              schema = { type = "array", items = { type = "string", const = "x" } } } } },
            responses = { ["204"] = { description = "" }, ["202"] = { description = "" } },
          },
        },
      },
      components = { schemas = {
        Thing = {
          type = "object", description = "prose", properties = { id = { type = "string" } },
        },
        NewThing = {
          type = "object", additionalProperties = false, title = "New thing",
          allOf = { { type = "object", additionalProperties = true } },
          required = { "name" },
          properties = {
            name = { type = { "string", "null" }, minLength = 1, examples = { "a" } },
            kind = { oneOf = { { type = "string", format = "uri" }, { type = "null" } } },
            ["end"] = { type = "string", format = "date-time" },
            auth = { type = { "string", "null" }, enum = { "a" } },
            tree = { ["$ref"] = "#/components/schemas/Node" },
          },
        },
        Node = { type = "object", properties = {
          children = { type = "array", items = { ["$ref"] = "#/components/schemas/Node" } } } },
      } },
    }

    local function run_small()
      local path = dir .. "/small.json"
      helper.write_file(path, assert(json.encode(SMALL)))
      local status, out, err = generate(path)
      assert.are.equal(0, status, err)
      return assert(load(out, "=routes", "t"))(), out
    end

    -- The routes of the small document, without the operations the script adds to every one.
    local function own_routes(t)
      local out = {}
      for _, r in ipairs(t.routes) do
        if not r.template:find("^/rate%-limit%-policies") then out[#out + 1] = r end
      end
      return out
    end

    it("writes routes with paging, key, body and the lowest 2xx status", function()
      local t = run_small()
      assert.are.same({
        { method = "GET", template = "/things", op = "get_things", paging = "offset",
          key = "things", status = 200 },
        { method = "POST", template = "/things", op = "post_things", body = "NewThing",
          status = 201 },
        { method = "GET", template = "/things/{id}/parts", op = "get_parts", paging = "checkpoint",
          key = "parts", status = 200 },
        { method = "PUT", template = "/things/{id}/parts", op = "put_parts",
          body = "put_parts_request", status = 202 },
      }, own_routes(t))
    end)

    it("adds the operations the document lacks (REAL_API_OPERATIONS: rate limit policies)",
      function()
        local t = run_small()
        local by = {}
        for _, r in ipairs(t.routes) do by[r.method .. " " .. r.template] = r end
        assert.are.same({ method = "GET", template = "/rate-limit-policies",
          op = "get_rate-limit-policies", paging = "checkpoint", key = "rate_limit_policies",
          status = 200 }, by["GET /rate-limit-policies"])
        assert.are.equal("CreateRateLimitPolicyRequestContent",
          by["POST /rate-limit-policies"].body)
        assert.are.equal("PatchRateLimitPolicyRequestContent",
          by["PATCH /rate-limit-policies/{id}"].body)
        assert.are.equal(204, by["DELETE /rate-limit-policies/{id}"].status)
        assert.are.same({ "configuration" },
          t.schemas.PatchRateLimitPolicyRequestContent.required)
      end)

    it("inlines references, merges allOf, writes const, oneOf and nullable enums for core.schema",
      function()
      local t = run_small()
      local s = t.schemas.NewThing
      assert.are.equal("object", s.type)
      assert.are.equal(false, s.additionalProperties)
      assert.are.same({ "name" }, s.required)
      assert.are.same({ type = { "string", "null" }, minLength = 1 }, s.properties.name)
      assert.are.same({ anyOf = { { type = "string" }, { type = "null" } } }, s.properties.kind)
      assert.are.same({ type = "string", format = "date-time" }, s.properties["end"])
      assert.are.same({ type = { "string", "null" }, enum = { "a", json.null } }, s.properties.auth)
      assert.are.same({ type = "array", items = { type = "string", enum = { "x" } } },
        t.schemas.put_parts_request)
      assert.is_nil(t.schemas.Thing)
    end)

    it("keeps schemas on a $ref cycle as entries that name each other", function()
      local t = run_small()
      assert.are.same({ ["$ref"] = "Node" }, t.schemas.NewThing.properties.tree)
      assert.are.same({ type = "object", properties = {
        children = { type = "array", items = { ["$ref"] = "Node" } } } }, t.schemas.Node)
    end)

    it("writes the same bytes on every run", function()
      local _, first = run_small()
      local _, second = run_small()
      assert.are.equal(first, second)
      assert.matches("^%-%- Generated by scripts/gen%-emulator%-routes%.lua from the "
        .. "Management API OpenAPI document\n%-%- %(Tiny 9%)%. Do not edit%.\n", first)
    end)

    it("exits 2 with its usage when the document is not given", function()
      local status, out, err = helper.run({ "build/a0lua", "run", GENERATOR })
      assert.are.equal(2, status)
      assert.are.equal("", out)
      assert.matches("usage:", err)
    end)

    it("fails with a message on a file that is not an OpenAPI document", function()
      local path = dir .. "/not.json"
      helper.write_file(path, '{"hello": 1}')
      local status, out, err = generate(path)
      assert.are.equal(1, status)
      assert.are.equal("", out)
      assert.matches("not an OpenAPI document", err)
    end)

    it("reproduces the committed file from ../shared's document byte for byte", function()
      local root = shared.dir()
      if not root then
        pending(shared.MISSING)
        return
      end
      local status, out, err = generate(root .. "/reference/auth0-mgmt-api/openapi.json")
      assert.are.equal(0, status, err)
      assert.is_true(out == shared.read(ROUTES_FILE), "the committed routes.lua is out of date")
    end)
  end)
end)
