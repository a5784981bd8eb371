-- a0lua.emulator.validate: request bodies against the generated request schemas, with the real
-- Management API's 400 bodies.
local json = require("a0lua.core.json")
local routes = require("a0lua.emulator.routes")
local validate = require("a0lua.emulator.validate")
local shared = require("helpers.shared")

local function find(method, template)
  for _, route in ipairs(routes.routes) do
    if route.method == method and route.template == template then return route end
  end
  error("no route " .. method .. " " .. template)
end

-- The route a request path (without /api/v2 and the query) goes to: literal segments first.
local function route_of(method, path)
  local function segments(p)
    local out = {}
    for s in p:gmatch("[^/]+") do out[#out + 1] = s end
    return out
  end
  local wanted = segments(path)
  local best, best_score
  for _, route in ipairs(routes.routes) do
    local t = segments(route.template)
    if route.method == method and #t == #wanted then
      local score = 0
      for i = 1, #t do
        if t[i] == wanted[i] then
          score = score + 1
        elseif not t[i]:match("^{") then
          score = nil
          break
        end
      end
      if score and (not best_score or score > best_score) then best, best_score = route, score end
    end
  end
  return best
end

-- The message of the 400 body for a JSON body sent to a route.
local function message_for(route, text)
  local ok, err = validate.body(route, assert(json.decode(text)))
  assert.are.equal(false, ok)
  assert.are.equal(400, err.statusCode)
  assert.are.equal("Bad Request", err.error)
  assert.are.equal("invalid_body", err.errorCode)
  return err.message
end

-- Schemas for keywords no request schema of the document uses, added to the tables for the
-- length of a test.
local function test_route(name, schema)
  routes.schemas[name] = schema
  finally(function() routes.schemas[name] = nil end)
  return { method = "POST", template = "/test", op = "test", body = name }
end

describe("a0lua.emulator.validate", function()
  local post_clients = find("POST", "/clients")
  local patch_client = find("PATCH", "/clients/{id}")

  describe("body", function()
    it("answers a client PATCH carrying client_id with the real 400 body", function()
      local body = assert(json.decode('{"client_id":"abc","name":"x"}'))
      local ok, err = validate.body(patch_client, body)
      assert.are.equal(false, ok)
      assert.are.same({
        statusCode = 400,
        error = "Bad Request",
        message = "Payload validation error: 'Additional properties not allowed: client_id'.",
        errorCode = "invalid_body",
      }, err)
    end)

    it("accepts a client with token_exchange on_behalf_of_token_exchange", function()
      local body = assert(json.decode('{"name":"api","app_type":"non_interactive",'
        .. '"token_exchange":{"allow_any_profile_of_type":["on_behalf_of_token_exchange"]},'
        .. '"callbacks":[],"client_metadata":{"owner":"me"}}'))
      assert.is_true(validate.body(post_clients, body))
      assert.is_true(validate.body(patch_client, body))
    end)

    it("accepts the tenant settings the real API takes beyond the document", function()
      local body = assert(json.decode('{"universal_login":{"colors":{"primary":"#F8F8F2"}},'
        .. '"session_lifetime_in_minutes":181,"idle_session_lifetime_in_minutes":60,'
        .. '"flags":{"use_scope_descriptions_for_consent":false}}'))
      assert.is_true(validate.body(find("PATCH", "/tenants/settings"), body))
    end)

    it("reports a wrong type with both type names and the property", function()
      assert.are.equal("Payload validation error: 'Expected type string but found type integer' "
        .. "on property name.", message_for(post_clients, '{"name":5}'))
      assert.are.equal("Payload validation error: 'Expected type boolean but found type string' "
        .. "on property oidc_conformant.", message_for(post_clients,
        '{"name":"x","oidc_conformant":"yes"}'))
      assert.are.equal("Payload validation error: 'Expected type object but found type array'.",
        message_for(post_clients, "[]"))
    end)

    it("names array positions from 0 in the property path", function()
      assert.are.equal("Payload validation error: 'Expected type string but found type number' "
        .. "on property callbacks[1].",
        message_for(post_clients, '{"name":"x","callbacks":["a",1.5]}'))
    end)

    it("reports a missing required property", function()
      assert.are.equal("Payload validation error: 'Missing required property: name'.",
        message_for(post_clients, "{}"))
    end)

    it("reports an unknown property on the object that holds it", function()
      assert.are.equal("Payload validation error: 'Additional properties not allowed: enabled' "
        .. "on property error_page.", message_for(find("PATCH", "/tenants/settings"),
        '{"error_page":{"enabled":true,"html":"","show_log_link":false}}'))
    end)

    it("reports a value outside an enum with the value as JSON", function()
      assert.are.equal("Payload validation error: 'No enum match for: \"x\"' on property "
        .. "token_exchange.allow_any_profile_of_type[0].", message_for(post_clients,
        '{"name":"a","token_exchange":{"allow_any_profile_of_type":["x"]}}'))
    end)

    it("reports too few properties", function()
      assert.are.equal("Payload validation error: 'Too few properties defined (0), minimum 1' "
        .. "on property client_authentication_methods.", message_for(post_clients,
        '{"name":"a","client_authentication_methods":{}}'))
    end)

    it("reports string lengths and patterns", function()
      local route = find("POST", "/resource-servers")
      assert.are.equal("Payload validation error: 'String is too short (0 chars), minimum 1' "
        .. "on property identifier.", message_for(route, '{"identifier":""}'))
      assert.are.equal("Payload validation error: 'String does not match pattern ^[^<>]+$: <b>' "
        .. "on property name.", message_for(route, '{"identifier":"https://api","name":"<b>"}'))
      assert.are.equal("Payload validation error: 'String is too long (201 chars), maximum 200' "
        .. "on property name.", message_for(route,
        '{"identifier":"https://api","name":"' .. ("é"):rep(201) .. '"}'))
    end)

    it("reports numbers below a minimum and above a maximum", function()
      assert.are.equal("Payload validation error: 'Value 10 is less than minimum 900' on property "
        .. "addons.aws.lifetime_in_seconds.", message_for(post_clients,
        '{"name":"a","addons":{"aws":{"lifetime_in_seconds":10}}}'))
      assert.are.equal("Payload validation error: 'Value 50000 is greater than maximum 43200' on "
        .. "property addons.aws.lifetime_in_seconds.", message_for(post_clients,
        '{"name":"a","addons":{"aws":{"lifetime_in_seconds":50000}}}'))
    end)

    it("reports a value that matches no branch of an anyOf", function()
      assert.are.equal("Payload validation error: 'None of the valid schemas were met' on property "
        .. "addons.sharepoint.external_url.", message_for(post_clients,
        '{"name":"a","addons":{"sharepoint":{"external_url":5}}}'))
    end)

    it("reports too short arrays, and a root array's positions", function()
      local route = find("PATCH", "/connections/{id}/clients")
      assert.are.equal("Payload validation error: 'Array is too short (0), minimum 1'.",
        message_for(route, "[]"))
      assert.are.equal("Payload validation error: 'Expected type boolean but found type string' "
        .. "on property [0].status.", message_for(route, '[{"client_id":"a","status":"on"}]'))
      assert.is_true(validate.body(route, assert(json.decode('[{"client_id":"a","status":true}]'))))
    end)

    it("reports long arrays, repeated items, many properties and bad date-times", function()
      local route = test_route("TestKeywords", {
        type = "object",
        properties = {
          list = { type = "array", maxItems = 2, uniqueItems = true },
          map = { type = "object", maxProperties = 1 },
          at = { type = "string", format = "date-time" },
          kinds = { type = { "string", "null" } },
        },
      })
      assert.are.equal("Payload validation error: 'Array is too long (3), maximum 2' on property "
        .. "list.", message_for(route, '{"list":[1,2,3]}'))
      assert.are.equal("Payload validation error: 'Array items are not unique "
        .. "(indexes 0 and 1)' on property list.", message_for(route, '{"list":[7,7]}'))
      assert.are.equal("Payload validation error: 'Too many properties defined (2), maximum 1' on "
        .. "property map.", message_for(route, '{"map":{"a":1,"b":2}}'))
      assert.are.equal("Payload validation error: 'Object didn't pass validation for format "
        .. "date-time: 2021-01-01' on property at.", message_for(route, '{"at":"2021-01-01"}'))
      assert.are.equal("Payload validation error: 'Expected type string,null but found type "
        .. "boolean' on property kinds.", message_for(route, '{"kinds":true}'))
    end)

    it("reports the object's own problem before its properties' and sorts extra names", function()
      assert.are.equal("Payload validation error: 'Additional properties not allowed: a'.",
        message_for(patch_client, '{"name":5,"z":1,"a":2}'))
      assert.are.equal("Payload validation error: 'Missing required property: name'.",
        message_for(post_clients, '{"callbacks":[1]}'))
    end)

    it("checks flow actions nested inside flow actions", function()
      local route = find("POST", "/flows")
      local valid = '{"name":"f","actions":[{"id":"a","type":"FLOW","action":"BOOLEAN_CONDITION",'
        .. '"params":{"if":true,"then":[{"id":"b","type":"FLOW","action":"DO_NOTHING"}]}}]}'
      assert.is_true(validate.body(route, assert(json.decode(valid))))
      local invalid = valid:gsub('"DO_NOTHING"', '"DO_NOTHING","extra":1')
      assert.are.equal("Payload validation error: 'None of the valid schemas were met' on property "
        .. "actions[0].", message_for(route, invalid))
    end)

    it("takes a missing body as null", function()
      local ok, err = validate.body(patch_client, nil)
      assert.are.equal(false, ok)
      assert.are.equal("Payload validation error: 'Expected type object but found type null'.",
        err.message)
    end)

    it("accepts anything on a route without a request schema", function()
      assert.is_true(validate.body(find("GET", "/clients"), { anything = true }))
      assert.is_true(validate.body(find("DELETE", "/clients/{id}"), nil))
    end)

    it("accepts every write body of a0deploy's recordings that the real API took", function()
      local root = shared.dir()
      if not root then
        pending(shared.MISSING)
        return
      end
      local dir = root .. "/fixtures/deploy-cli/recordings"
      local checked = 0
      for _, file in ipairs(shared.files(dir, "%.json$")) do
        for _, e in ipairs(assert(json.decode(shared.read(file)))) do
          if e.method ~= "GET" and e.status >= 200 and e.status < 300 then
            local path = e.path:match("^/api/v2([^?]*)")
            local route = assert(route_of(e.method, path), e.method .. " " .. path)
            local ok, err = validate.body(route, e.body ~= "" and e.body or nil)
            assert(ok, ("%s %s in %s: %s"):format(e.method, path, file, err and err.message))
            checked = checked + 1
          end
        end
      end
      assert.is_true(checked >= 7)
    end)

    it("raises on a route naming a schema the tables do not have", function()
      assert.has_error(function() validate.body({ body = "NoSuchSchema" }, {}) end)
      assert.has_error(function() validate.body("POST /clients", {}) end)
    end)
  end)

  describe("compile", function()
    it("compiles a schema once and keeps it", function()
      local first = validate.compile("CreateRoleRequestContent")
      assert.are.equal(first, validate.compile("CreateRoleRequestContent"))
      assert.is_true(first:validate({ name = "admin" }))
    end)

    it("raises on an unknown schema name", function()
      assert.has_error(function() validate.compile("NoSuchSchema") end)
    end)
  end)

  describe("parse", function()
    it("decodes a JSON body", function()
      local value = validate.parse('{"name":"x","callbacks":[]}')
      assert.are.equal("x", value.name)
      assert.is_true(json.is_array(value.callbacks))
    end)

    it("takes an empty body as null", function()
      assert.are.equal(json.null, validate.parse(""))
      assert.are.equal(json.null, validate.parse(" \r\n"))
    end)

    it("answers text that is not JSON with the real 400 body", function()
      local value, err = validate.parse('{"name":')
      assert.is_nil(value)
      assert.are.same({
        statusCode = 400,
        error = "Bad Request",
        message = "Invalid request payload JSON format",
        errorCode = "invalid_body",
      }, err)
    end)

    it("raises when given something else than a string", function()
      assert.has_error(function() validate.parse({}) end)
    end)
  end)
end)
