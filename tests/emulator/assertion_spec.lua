-- a0lua.emulator.assertion: POST /oauth/token with a private-key JWT client assertion, through
-- `a0lua emulate --client-public-key`: what it accepts, and each refusal with its answer.
local crypto = require("a0lua.core.crypto")
local json = require("a0lua.core.json")
local emulator = require("helpers.emulator")
local keys = require("helpers.keys")

local TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

describe("a0lua.emulator.assertion", function()
  local k, emu, signer, other
  setup(function()
    k = keys.make()
    emu = emulator.start{ args = { "--client-public-key", k.public } }
    signer = assert(crypto.signer(k.rsa))
    other = assert(crypto.signer(k.other))
  end)
  teardown(function()
    if emu then emu:stop() end
    if k then k:remove() end
  end)

  local function tenant() return ("https://127.0.0.1:%d/"):format(emu.port) end

  -- A signed JWT: claims over the defaults (nil values taken out with json.null), header.alg.
  local function jwt(claims, opts)
    opts = opts or {}
    local now = os.time()
    local c = { iss = emu.client_id, sub = emu.client_id, aud = tenant(), iat = now,
                exp = now + 60, jti = crypto.base64url(crypto.random(16)) }
    for key, v in pairs(claims or {}) do
      if v == json.null then c[key] = nil else c[key] = v end
    end
    local alg = opts.alg or "RS256"
    local input = crypto.base64url(json.encode({ alg = alg, typ = "JWT", kid = opts.kid }))
      .. "." .. crypto.base64url(json.encode(c))
    local sig = (opts.signer or signer):sign(opts.sign_alg or alg, input)
    return input .. "." .. crypto.base64url(sig)
  end

  local function token(assertion, extra)
    local body = { grant_type = "client_credentials", client_id = emu.client_id,
      client_assertion = assertion, client_assertion_type = TYPE,
      audience = tenant() .. "api/v2/" }
    for key, v in pairs(extra or {}) do
      if v == json.null then body[key] = nil else body[key] = v end
    end
    return assert(emu:http("POST", "/oauth/token", { body = body }))
  end

  local function refused(res, description, status)
    assert.are.equal(status or 401, res.status, res.body)
    assert.are.same({ error = status == 400 and "invalid_request" or "invalid_client",
                      error_description = description }, res.json)
  end

  describe("accepts", function()
    it("an assertion signed with the registered key: a token with every scope", function()
      local res = token(jwt())
      assert.are.equal(200, res.status, res.body)
      assert.matches("create:clients", res.json.scope)
      local api = assert(emu:request("GET", "/clients", { token = res.json.access_token }))
      assert.are.equal(200, api.status)
    end)

    it("a form-encoded request without client_id, aud as a list or the token endpoint",
      function()
        local form = ("grant_type=client_credentials&client_assertion_type=%s"
          .. "&client_assertion=%s&audience=%s"):format(
          TYPE:gsub(":", "%%3A"), jwt({ aud = tenant() .. "oauth/token" }),
          (tenant() .. "api/v2/"):gsub(":", "%%3A"):gsub("/", "%%2F"))
        local res = assert(emu:http("POST", "/oauth/token", { raw = form,
          headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }))
        assert.are.equal(200, res.status, res.body)
        local listed = token(jwt({ aud = { "https://other.test/", tenant() } }))
        assert.are.equal(200, listed.status, listed.body)
      end)

    it("a client of the tenant with its own credential and grant: the grant's scope",
      function()
        local c = assert(emu:post("/clients", { name = "pkjwt-client",
          app_type = "non_interactive" })).json
        local cred = assert(emu:post("/clients/" .. c.client_id .. "/credentials", {
          credential_type = "public_key", alg = "PS256", pem = keys.read(k.other_public) })).json
        assert(emu:patch("/clients/" .. c.client_id, { client_authentication_methods = {
          private_key_jwt = { credentials = { { id = cred.id } } } } }))
        assert(emu:post("/client-grants", { client_id = c.client_id,
          audience = tenant() .. "api/v2/", scope = { "read:clients" } }))
        local res = token(jwt({ iss = c.client_id, sub = c.client_id },
          { alg = "PS256", signer = other, kid = cred.kid }), { client_id = c.client_id })
        assert.are.equal(200, res.status, res.body)
        assert.are.equal("read:clients", res.json.scope)
        refused(token(jwt({ iss = c.client_id, sub = c.client_id }, { alg = "PS256",
          signer = other, kid = "another-kid-0000" }), { client_id = c.client_id }),
          "No credential of the client has that 'kid'")
      end)
  end)

  describe("refuses, with Auth0's invalid_client answer", function()
    it("an expired assertion", function()
      refused(token(jwt({ iat = os.time() - 200, exp = os.time() - 100 })),
        "'exp' claim timestamp check failed (expired)")
    end)

    it("an assertion for another audience", function()
      refused(token(jwt({ aud = "https://elsewhere.test/" })),
        "'aud' claim must be the tenant's URL, e.g. https://<tenant domain>/")
    end)

    it("a replayed jti", function()
      local once = jwt()
      assert.are.equal(200, token(once).status)
      refused(token(once), "'jti' claim must be unique: the assertion was used")
    end)

    it("another algorithm than the credential's, or one Auth0 does not take", function()
      refused(token(jwt(nil, { alg = "PS256" })),
        "'alg' 'PS256' does not match the algorithm of the client's credential")
      refused(token(jwt(nil, { alg = "RS384" })),
        "'alg' 'RS384' does not match the algorithm of the client's credential")
      refused(token(jwt(nil, { alg = "HS256", sign_alg = "RS256" })),
        "'alg' 'HS256' is not supported: use RS256, RS384 or PS256")
    end)

    it("a signature of another key, or a tampered assertion", function()
      refused(token(jwt(nil, { signer = other })), "Invalid signature for client_assertion")
      local h, _, s = jwt():match("^([^.]+)%.([^.]+)%.([^.]+)$")
      local forged = crypto.base64url(json.encode({ iss = emu.client_id, sub = emu.client_id,
        aud = tenant(), exp = os.time() + 60, jti = "forged-jti" }))
      refused(token(h .. "." .. forged .. "." .. s), "Invalid signature for client_assertion")
    end)

    it("a lifetime over 5 minutes, a missing exp or jti", function()
      local now = os.time()
      refused(token(jwt({ iat = now, exp = now + 600 })), ("'exp' claim must specify a time "
        .. "that is no more than 5 minutes after 'iat': %d"):format(now + 600))
      refused(token(jwt({ exp = json.null })), "'exp' claim is required")
      refused(token(jwt({ jti = json.null })), "'jti' claim is required")
    end)

    it("iss or sub that is not the client", function()
      refused(token(jwt({ sub = "someone" })), "'sub' claim must be the client id")
      refused(token(jwt(), { client_id = "another-client" }),
        "'iss' claim must match the client_id parameter")
    end)

    it("a client with no registered credential", function()
      local c = assert(emu:post("/clients", { name = "no-key-client" })).json
      refused(token(jwt({ iss = c.client_id, sub = c.client_id }), { client_id = c.client_id }),
        "The client has no credential for private_key_jwt authentication")
    end)
  end)

  describe("answers 400 invalid_request to", function()
    it("another assertion type, a secret beside the assertion, a token that is no JWT",
      function()
        refused(token(jwt(), { client_assertion_type = "urn:other" }),
          "client_assertion_type must be " .. TYPE, 400)
        refused(token(jwt(), { client_secret = emu.client_secret }),
          "client_secret cannot be used together with client_assertion", 400)
        refused(token("not-a-jwt"), "client_assertion is not a valid JWT", 400)
      end)
  end)

  it("the configured secret still works beside the key", function()
    local res = token(nil, { client_assertion = json.null, client_assertion_type = json.null,
      client_secret = emu.client_secret })
    assert.are.equal(200, res.status, res.body)
  end)

  it("registers the key as the deploy client's credential, without showing it", function()
    local client = assert(emu:get("/clients/" .. emu.client_id)).json
    local ref = client.client_authentication_methods.private_key_jwt.credentials[1]
    local cred = assert(emu:get("/clients/" .. emu.client_id .. "/credentials/" .. ref.id)).json
    assert.are.equal("public_key", cred.credential_type)
    assert.are.equal("RS256", cred.alg)
    assert.is_nil(cred.pem)
  end)

  it("a0lua emulate refuses a --client-public-key that is not an RSA public key", function()
    for path, why in pairs({ [k.rsa] = "is not a PEM public key or certificate",
                             [k.ec_public] = "is not an RSA key" }) do
      local ok, out = keys.run("build/a0lua emulate --port 0 --client-public-key "
        .. keys.quote(path))
      assert.is_false(ok)
      assert.are.equal("a0lua: --client-public-key: the public key " .. why .. "\n", out)
    end
  end)
end)
