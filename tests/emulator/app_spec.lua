-- a0lua.emulator.app: the request pipeline (body checks, unknown routes, conflicts, answers),
-- through `a0lua emulate`, and the in-process API of a0lua.emulator.
local json = require("a0lua.core.json")
local emulator = require("helpers.emulator")
local emulator_mod = require("a0lua.emulator")

describe("a0lua.emulator.app", function()
  local emu
  setup(function() emu = emulator.start() end)
  teardown(function() if emu then emu:stop() end end)

  describe("request bodies", function()
    it("answers the API's 400 to a PATCH of a client that carries client_id", function()
      local c = emu:post("/clients", { name = "acceptance" }).json
      local res = emu:patch("/clients/" .. c.client_id, { client_id = c.client_id,
        name = "renamed" })
      assert.are.equal(400, res.status)
      assert.are.same({ statusCode = 400, error = "Bad Request",
        message = "Payload validation error: 'Additional properties not allowed: client_id'.",
        errorCode = "invalid_body" }, res.json)
      assert.are.equal("acceptance", emu:get("/clients/" .. c.client_id).json.name)
    end)

    it("reads back token_exchange.allow_any_profile_of_type as it was created", function()
      local res = emu:post("/clients", { name = "obo-app", token_exchange = {
        allow_any_profile_of_type = { "on_behalf_of_token_exchange" } } })
      assert.are.equal(201, res.status)
      local got = emu:get("/clients/" .. res.json.client_id).json
      assert.are.same({ "on_behalf_of_token_exchange" },
        got.token_exchange.allow_any_profile_of_type)
    end)

    it("answers 400 to a wrong type and to a body that is not JSON", function()
      local res = emu:post("/roles", { name = 12 })
      assert.are.equal(400, res.status)
      assert.are.equal("invalid_body", res.json.errorCode)
      assert.matches("^Payload validation error:", res.json.message)
      res = emu:request("POST", "/roles", { raw = "{name:", headers = {
        ["Content-Type"] = "application/json" } })
      assert.are.equal(400, res.status)
      assert.are.equal("Invalid request payload JSON format", res.json.message)
    end)
  end)

  describe("routes", function()
    it("answers 404 in the Management shape to an unknown route", function()
      local res = emu:get("/no-such-thing")
      assert.are.equal(404, res.status)
      assert.are.same({ statusCode = 404, error = "Not Found", message = "Not Found",
        errorCode = "not_found" }, res.json)
      assert.are.equal(404, emu:http("GET", "/elsewhere").status)
    end)

    it("answers 404 to a method the route does not have", function()
      assert.are.equal(404, emu:delete("/tenants/settings").status)
    end)

    it("answers 409 in the Management shape to a duplicate", function()
      emu:post("/roles", { name = "dup-role" })
      local res = emu:post("/roles", { name = "dup-role" })
      assert.are.equal(409, res.status)
      assert.are.same({ "Conflict", 409, "conflict" }, { res.json.error, res.json.statusCode,
        res.json.errorCode })
    end)

    it("answers 501 to a route of the API that the emulator does not emulate", function()
      local res = emu:post("/jobs/verification-email", { user_id = "auth0|1" })
      assert.are.equal(501, res.status)
      assert.are.equal("not_emulated", res.json.errorCode)
    end)

    it("projects a single object with fields", function()
      local res = emu:get("/tenants/settings?fields=friendly_name&include_fields=true")
      assert.are.same({ friendly_name = "a0lua emulator" }, res.json)
    end)

    it("answers JSON with its content type", function()
      local res = emu:get("/roles")
      assert.matches("^application/json", res.headers["content-type"])
    end)
  end)

  describe("in-process", function()
    it("serves requests without a socket through emu:handle", function()
      local e = assert(emulator_mod.new({ listen = false, client_id = "in-process-client" }))
      local auth = { authorization = "Bearer " .. e:token() }
      local res = e:handle({ method = "POST", path = "/api/v2/roles", headers = auth,
                             body = json.encode({ name = "r" }) })
      assert.are.equal(200, res.status)
      res = e:handle({ method = "GET", path = "/api/v2/roles", headers = auth })
      assert.are.equal("r", json.decode(res.body)[1].name)
      assert.are.equal(1, #e:state()["/roles"])
      assert.are.equal(2, #e:requests())
    end)

    it("seeds a state, reloads it, and resets to it", function()
      local e = assert(emulator_mod.new({ listen = false,
        state = { ["/roles"] = json.array({ { id = "rol_1", name = "seed" } }) } }))
      local auth = { authorization = "Bearer " .. e:token() }
      e:handle({ method = "DELETE", path = "/api/v2/roles/rol_1", headers = auth })
      assert.are.equal(0, #e:state()["/roles"])
      e:reset()
      assert.are.equal("seed", e:state()["/roles"][1].name)
      assert.is_nil(e:load(json.array()))
      local ok, err = e:load({ roles = 1 })
      assert.is_nil(ok)
      assert.are.equal("emulator_state", err.code)
    end)

    it("raises on bad options and returns an error for an unreadable state file", function()
      assert.has_error(function() emulator_mod.new({ listen = false, limits = "gold" }) end)
      assert.has_error(function() emulator_mod.new({ listen = false, fail_rate = 3 }) end)
      local e, err = emulator_mod.new({ listen = false, state_file = "/nonexistent/x.json" })
      assert.is_nil(e)
      assert.are.equal("emulator_state", err.code)
    end)
  end)
end)
