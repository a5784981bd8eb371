-- a0lua.api with AUTH0_CLIENT_SIGNING_KEY_PATH: the token request sends a private-key JWT client
-- assertion instead of the secret (a0lua.api.assertion), against a fake transport; and the CLI
-- against `a0lua emulate --client-public-key` with the same key.
local api = require("a0lua.api")
local assertion = require("a0lua.api.assertion")
local config = require("a0lua.config")
local crypto = require("a0lua.core.crypto")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")
local emulator = require("helpers.emulator")
local keys = require("helpers.keys")

local EPOCH = 1700000000

local function answer(status, body)
  return { status = status, headers = { ["content-type"] = "application/json" },
           body = assert(json.encode(body)) }
end

local function claims_of(jwt)
  local h, p = jwt:match("^([^.]+)%.([^.]+)%.[^.]+$")
  return json.decode(crypto.base64url_decode(p)), json.decode(crypto.base64url_decode(h))
end

describe("a0lua.api with a signing key", function()
  local k
  setup(function() k = keys.make() end)
  teardown(function() if k then k:remove() end end)

  -- A client on a fake transport: token_handler(req, n) answers the n-th token request,
  -- api_handler the API requests (default 200 {}).
  local function fake(opts)
    local f = { tokens = {}, logged = {}, t = 0 }
    local logger = {}
    for _, level in ipairs({ "debug", "info", "warn", "error" }) do
      logger[level] = function(_, msg, fields)
        f.logged[#f.logged + 1] = msg .. " " .. (fields and json.encode(fields) or "")
      end
    end
    local client_opts = {
      domain = "tenant.test", client_id = "cid", signing_key_path = k.rsa, log = logger,
      retry_base_ms = 10, retry_max_ms = 10, now = function() return f.t end,
      epoch = function() return EPOCH + f.t / 1000 end,
      sleep = function(ms) f.t = f.t + ms; tasks.sleep(0) end,
      transport = function(req)
        if req.url:match("/oauth/token$") then
          f.tokens[#f.tokens + 1] = json.decode(req.body)
          if opts.token_handler then return opts.token_handler(req, #f.tokens) end
          return answer(200, { access_token = "tok" .. #f.tokens, expires_in = 86400 })
        end
        return (opts.api_handler or function() return answer(200, {}) end)(req)
      end,
    }
    for key, v in pairs(opts.client or {}) do client_opts[key] = v end
    f.client = assert(api.new(client_opts))
    return f
  end

  it("sends a client assertion with a0deploy's claims", function()
    local f = fake{}
    assert(f.client:run(function() return f.client:get("/clients") end))
    local body = f.tokens[1]
    assert.is_nil(body.client_secret)
    assert.same({ "audience", "client_assertion", "client_assertion_type", "client_id",
                  "grant_type" }, (function()
      local names = {}
      for name in pairs(body) do names[#names + 1] = name end
      table.sort(names)
      return names
    end)())
    assert.equals("urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      body.client_assertion_type)
    assert.equals("https://tenant.test/api/v2/", body.audience)
    local claims, header = claims_of(body.client_assertion)
    assert.same({ alg = "RS256", typ = "JWT" }, header)
    assert.equals("cid", claims.iss)
    assert.equals("cid", claims.sub)
    assert.equals("https://tenant.test/", claims.aud)
    assert.equals(EPOCH, claims.iat)
    assert.equals(EPOCH + 60, claims.exp)
    assert.matches("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$", claims.jti)
    local input, sig = body.client_assertion:match("^(.*)%.([^.]+)$")
    assert.is_true(crypto.verify(keys.read(k.public), "RS256", input,
      crypto.base64url_decode(sig)))
    f.client:close()
  end)

  it("signs with AUTH0_CLIENT_SIGNING_ALGORITHM", function()
    local f = fake{ client = { signing_algorithm = "PS256" } }
    f.client:run(function() return f.client:get("/clients") end)
    local input, sig = f.tokens[1].client_assertion:match("^(.*)%.([^.]+)$")
    assert.equals("PS256", select(2, claims_of(f.tokens[1].client_assertion)).alg)
    assert.is_true(crypto.verify(keys.read(k.public), "PS256", input,
      crypto.base64url_decode(sig)))
  end)

  it("makes a fresh assertion for every token request: each retry and each renewal", function()
    local api_calls = 0
    local f = fake{
      token_handler = function(_, n)
        if n == 1 then return answer(503, { error = "temporarily_unavailable" }) end
        return answer(200, { access_token = "tok" .. n, expires_in = 86400 })
      end,
      api_handler = function()
        api_calls = api_calls + 1
        if api_calls == 1 then
          return answer(401, { statusCode = 401, message = "Invalid token" })
        end
        return answer(200, {})
      end,
    }
    assert(f.client:run(function() return f.client:get("/clients") end))
    assert.equals(3, #f.tokens)
    local seen = {}
    for _, body in ipairs(f.tokens) do
      local jti = claims_of(body.client_assertion).jti
      assert.is_nil(seen[jti])
      seen[jti] = true
    end
  end)

  it("keeps the assertion out of errors and logs", function()
    local sent
    local f = fake{ token_handler = function(req)
      sent = json.decode(req.body).client_assertion
      return answer(401, { error = "invalid_client",
        error_description = "Invalid signature for client_assertion " .. sent })
    end }
    local body, err = f.client:run(function() return f.client:get("/clients") end)
    assert.is_nil(body)
    assert.equals("api_auth", err.code)
    local text = tostring(err)
    assert.equals("POST /oauth/token: 401: Invalid signature for client_assertion [REDACTED] "
      .. "(invalid_client); check AUTH0_CLIENT_ID, AUTH0_CLIENT_SIGNING_KEY_PATH (its public key "
      .. "registered as the client's credential), AUTH0_CLIENT_SIGNING_ALGORITHM and "
      .. "AUTH0_AUDIENCE", text)
    for _, line in ipairs(f.logged) do assert.is_nil(line:find(sent, 1, true)) end
    assert.is_nil(tostring(f.client):find(sent, 1, true))
  end)

  it("refuses a key it cannot use before any request, naming the file", function()
    local c, err = api.new{ domain = "tenant.test", client_id = "cid",
      signing_key_path = k.encrypted }
    assert.is_nil(c)
    assert.equals("crypto_key", err.code)
    assert.matches(k.encrypted, err.message, 1, true)
    local c2, err2 = api.new{ domain = "tenant.test", client_id = "cid",
      signing_key_path = k.rsa, signing_algorithm = "ES256" }
    assert.is_nil(c2)
    assert.equals("api_config", err2.code)
    assert.equals('AUTH0_CLIENT_SIGNING_ALGORITHM "ES256" is not one a0deploy accepts: use '
      .. "RS256, RS384 or PS256", err2.message)
  end)

  it("takes the key path instead of the secret, the secret over the key (as a0deploy 8.44 "
    .. "does), and the access token over both", function()
    local c = assert(api.new{ domain = "tenant.test", client_id = "cid",
      signing_key_path = k.rsa })
    c:close()
    local f = fake{ client = { client_secret = "the-secret-value", signing_key_path = k.missing } }
    assert(f.client:run(function() return f.client:get("/clients") end))
    assert.same({ grant_type = "client_credentials", client_id = "cid",
      client_secret = "the-secret-value", audience = "https://tenant.test/api/v2/" }, f.tokens[1])
    -- with a ready token the key is not even read
    local c2 = assert(api.new{ domain = "tenant.test", access_token = "abc",
      signing_key_path = k.missing })
    c2:close()
  end)

  it("assertion.new refuses an unknown algorithm and checks its options", function()
    local m, err = assertion.new{ path = k.rsa, client_id = "c", audience = "https://t/",
      algorithm = "none" }
    assert.is_nil(m)
    assert.equals("api_config", err.code)
    assert.has_error(function() assertion.new{ path = k.rsa, audience = "https://t/" } end,
      "assertion.new: client_id must be a non-empty string")
  end)
end)

describe("config: the signing keys", function()
  local base = { AUTH0_DOMAIN = "tenant.test", AUTH0_CLIENT_ID = "cid" }
  local function check(env)
    local e = {}
    for key, v in pairs(base) do e[key] = v end
    for key, v in pairs(env) do e[key] = v end
    local cfg = assert(config.load{ env = e, command = "export",
      args = { output_folder = "out", format = "yaml" } })
    return config.check(cfg, "export")
  end

  it("a key path stands for the secret", function()
    assert.is_true(check{ AUTH0_CLIENT_SIGNING_KEY_PATH = "key.pem" })
    local ok, err = check{}
    assert.is_nil(ok)
    assert.matches("AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_SIGNING_KEY_PATH)", err.message, 1, true)
  end)

  it("refuses an algorithm a0deploy does not accept, naming where it came from", function()
    local ok, err = check{ AUTH0_CLIENT_SIGNING_KEY_PATH = "key.pem",
      AUTH0_CLIENT_SIGNING_ALGORITHM = "HS256" }
    assert.is_nil(ok)
    assert.equals("config", err.code)
    assert.equals('AUTH0_CLIENT_SIGNING_ALGORITHM (environment): "HS256" is not one a0deploy '
      .. "accepts: use RS256, RS384 or PS256", err.message)
    assert.is_true(check{ AUTH0_CLIENT_SIGNING_KEY_PATH = "key.pem",
      AUTH0_CLIENT_SIGNING_ALGORITHM = "PS256" })
  end)
end)

describe("a0lua against a0lua emulate with the same key", function()
  local k, emu, out
  setup(function()
    k = keys.make()
    emu = emulator.start{ args = { "--client-public-key", k.public } }
    out = k.dir .. "/export"
  end)
  teardown(function()
    if emu then emu:stop() end
    if k then k:remove() end
  end)

  it("exports with the key and no secret; --json output carries no assertion", function()
    local status, stdout, stderr = emu:cli({ "export", "--json", "-f", "yaml", "-o", out },
      { AUTH0_CLIENT_SECRET = "", AUTH0_CLIENT_SIGNING_KEY_PATH = k.rsa })
    assert.equals(0, status, stderr)
    assert.is_truthy(io.open(out .. "/tenant.yaml"))
    assert.is_nil((stdout .. stderr):find("eyJ", 1, true))
    local requests = emu:requests()
    local token_bodies = 0
    for _, r in ipairs(requests) do
      if r.path == "/oauth/token" then
        token_bodies = token_bodies + 1
        assert.is_nil(json.encode(r):find("eyJ", 1, true))
      end
    end
    assert.equals(1, token_bodies)
  end)

  it("fails with the emulator's answer when the key is not the registered one", function()
    local status, _, stderr = emu:cli({ "export", "-f", "yaml", "-o", out },
      { AUTH0_CLIENT_SECRET = "", AUTH0_CLIENT_SIGNING_KEY_PATH = k.other })
    assert.equals(1, status)
    assert.matches("POST /oauth/token: 401: Invalid signature for client_assertion "
      .. "(invalid_client)", stderr, 1, true)
  end)

  it("fails before any request with a bad key file", function()
    emu:clear_requests()
    local status, _, stderr = emu:cli({ "export", "-f", "yaml", "-o", out },
      { AUTH0_CLIENT_SECRET = "", AUTH0_CLIENT_SIGNING_KEY_PATH = k.ec })
    assert.equals(1, status)
    assert.equals(("a0lua: the signing key %s is an EC key: RS256, RS384 and PS256 need an RSA "
      .. "key\n"):format(k.ec), stderr)
    assert.equals(0, #emu:requests())
  end)
end)
