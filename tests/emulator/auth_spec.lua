-- a0lua.emulator.auth: POST /oauth/token and the bearer check of /api/v2, through
-- `a0lua emulate`.
local emulator = require("helpers.emulator")

describe("a0lua.emulator.auth", function()
  local emu
  setup(function() emu = emulator.start() end)
  teardown(function() if emu then emu:stop() end end)

  local function audience() return ("https://127.0.0.1:%d/api/v2/"):format(emu.port) end

  local function token_request(body, opts)
    opts = opts or {}
    opts.body = body
    return assert(emu:http("POST", "/oauth/token", opts))
  end

  describe("token", function()
    it("issues a bearer token for the client credentials", function()
      local res = token_request({ grant_type = "client_credentials", client_id = emu.client_id,
        client_secret = emu.client_secret, audience = audience() })
      assert.are.equal(200, res.status)
      assert.are.equal("Bearer", res.json.token_type)
      assert.are.equal(86400, res.json.expires_in)
      assert.matches("read:clients", res.json.scope)
      assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+$", res.json.access_token)
    end)

    it("takes a form-encoded body", function()
      local res = token_request(nil, {
        raw = ("grant_type=client_credentials&client_id=%s&client_secret=%s&audience=%s")
          :format(emu.client_id, emu.client_secret, audience():gsub(":", "%%3A")
          :gsub("/", "%%2F")),
        headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
      assert.are.equal(200, res.status)
      assert.is_string(res.json.access_token)
    end)

    it("answers 401 access_denied to a wrong secret", function()
      local res = token_request({ grant_type = "client_credentials", client_id = emu.client_id,
        client_secret = "wrong", audience = audience() })
      assert.are.equal(401, res.status)
      assert.are.same({ error = "access_denied", error_description = "Unauthorized" }, res.json)
    end)

    it("answers 403 to an audience that is not this tenant's Management API", function()
      local res = token_request({ grant_type = "client_credentials", client_id = emu.client_id,
        client_secret = emu.client_secret, audience = "https://elsewhere.test/api/v2/" })
      assert.are.equal(403, res.status)
      assert.are.equal("access_denied", res.json.error)
      assert.matches("Service not enabled within domain", res.json.error_description)
    end)

    it("refuses another grant type", function()
      local res = token_request({ grant_type = "password", client_id = emu.client_id,
        client_secret = emu.client_secret, audience = audience() })
      assert.are.equal(403, res.status)
      assert.are.equal("unauthorized_client", res.json.error)
    end)

    it("issues a token to a tenant client with a grant for the Management API", function()
      local c = emu:post("/clients", { name = "m2m-auth", app_type = "non_interactive" }).json
      local denied = token_request({ grant_type = "client_credentials", client_id = c.client_id,
        client_secret = c.client_secret, audience = audience() })
      assert.are.equal(403, denied.status)
      assert.are.equal(201, emu:post("/client-grants", { client_id = c.client_id,
        audience = audience(), scope = { "read:roles" } }).status)
      local res = token_request({ grant_type = "client_credentials", client_id = c.client_id,
        client_secret = c.client_secret, audience = audience() })
      assert.are.equal(200, res.status)
      assert.are.equal("read:roles", res.json.scope)
    end)

    it("does not log the secret of a token request, JSON or form", function()
      emu:clear_requests()
      token_request({ grant_type = "client_credentials", client_id = emu.client_id,
        client_secret = emu.client_secret, audience = audience() })
      token_request(nil, { raw = ("grant_type=client_credentials&client_secret=%s&client_id=%s")
        :format(emu.client_secret, emu.client_id),
        headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
      local log = emu:requests()
      assert.are.equal("[REDACTED]", log[1].body.client_secret)
      assert.matches("client_secret=%[REDACTED%]&", log[2].body)
      local text = assert(emu:http("GET", "/__emulator/requests")).body
      assert.is_nil(text:find(emu.client_secret, 1, true))
    end)
  end)

  describe("check", function()
    it("answers 401 in the Management shape without a token", function()
      local res = emu:get("/clients", { token = false })
      assert.are.equal(401, res.status)
      assert.are.same({ statusCode = 401, error = "Unauthorized",
        message = "Missing authentication", errorCode = "missing_authentication" }, res.json)
    end)

    it("answers 401 to a token it did not issue", function()
      local res = emu:get("/clients", { token = "eyJ.forged.token" })
      assert.are.equal(401, res.status)
      assert.are.equal("Invalid token", res.json.message)
    end)

    it("answers 400 to an Authorization header that is not a bearer", function()
      local res = emu:get("/clients", { token = false, headers = { Authorization = "Basic eA==" } })
      assert.are.equal(400, res.status)
      assert.are.equal("Bad HTTP authentication header format", res.json.message)
    end)
  end)
end)
