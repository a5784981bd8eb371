local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")

local A = env.A

local PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"

local function methods(creds, method)
  return { [method or "private_key_jwt"] = { credentials = A(creds) } }
end

-- A tenant with client "api" (id c1): `creds` its credentials, wired to private_key_jwt when
-- `wired` (the clients read names the stubs).
local function deploy(desired_methods, creds, cfg, extra)
  creds = creds or {}
  local tenant_client = { client_id = "c1", name = "api", app_type = "non_interactive",
    token_endpoint_auth_method = #creds > 0 and env.null or "client_secret_post" }
  if #creds > 0 then
    local stubs = {}
    for _, c in ipairs(creds) do stubs[#stubs + 1] = { id = c.id } end
    tenant_client.client_authentication_methods = methods(stubs)
  end
  local client = { name = "api", app_type = "non_interactive",
    client_authentication_methods = desired_methods }
  for k, v in pairs(extra or {}) do client[k] = v end
  local routes = {
    ["LIST /clients"] = A{ tenant_client },
    ["LIST /clients/c1/credentials"] = function() return A(handler.deep_copy(creds)) end,
    ["POST /clients/c1/credentials"] = function(req)
      return { id = "cred_" .. req.body.name, name = req.body.name,
        credential_type = req.body.credential_type }
    end,
  }
  return env.deploy{ config = cfg or {}, routes = routes, desired = { clients = A{ client } } }
end

local function writes(r)
  local out = {}
  for _, c in ipairs(r.ctx.api:writes()) do out[#out + 1] = c.method .. " " .. c.path end
  return out
end

describe("handlers/client_auth_credentials", function()
  it("refuses a misspelt method or credential type in a client with its path", function()
    local ok, problems = env.check("clients", A{ { name = "api",
      client_authentication_methods = methods({ { name = "k", credential_type = "public_keys",
        pem = PEM } }) } })
    assert.is_false(ok)
    assert.matches("client_authentication_methods.private_key_jwt.credentials[0]."
      .. "credential_type: must be one of public_key", tostring(problems[1]), 1, true)
    ok, problems = env.check("clients", A{ { name = "api",
      client_authentication_methods = { private_key_jwd = { credentials = A{} } } } })
    assert.is_false(ok)
    assert.matches("private_key_jwd", tostring(problems[1]), 1, true)
  end)

  it("creates a credential, then wires the client to it", function()
    local r = deploy(methods({ { name = "k1", pem = PEM } }))
    assert.is_nil(r.err)
    assert.same({ "POST /clients/c1/credentials", "PATCH /clients/c1" }, writes(r))
    assert.same({ { name = "k1", pem = PEM, credential_type = "public_key" } },
      env.bodies(r.ctx.api, "POST", "/clients/c1/credentials"))
    assert.same({ { client_authentication_methods = { private_key_jwt = { credentials = {
      { id = "cred_k1" } } } }, token_endpoint_auth_method = env.null } },
      env.bodies(r.ctx.api, "PATCH", "/clients/c1"))
  end)

  it("infers the credential type from the method", function()
    local r = deploy(methods({ { name = "m", pem = PEM } }, "self_signed_tls_client_auth"))
    assert.equal("x509_cert", env.bodies(r.ctx.api, "POST", "/clients/c1/credentials")[1]
      .credential_type)
  end)

  it("sends nothing when the credential is there and wired", function()
    local r = deploy(methods({ { name = "k1", credential_type = "public_key", pem = PEM } }),
      { { id = "cred_1", name = "k1", credential_type = "public_key", alg = "RS256" } })
    assert.is_nil(r.err)
    assert.same({}, writes(r))
  end)

  it("leaves the credentials alone for an export's methods without keys", function()
    local r = deploy(methods({ { name = "other", credential_type = "public_key" } }),
      { { id = "cred_1", name = "k1", credential_type = "public_key" } },
      { AUTH0_ALLOW_DELETE = true })
    assert.same({}, writes(r))
  end)

  it("rotates: creates the new key, wires it alone, deletes the old with deletes allowed",
    function()
      local r = deploy(methods({ { name = "k2", pem = PEM } }),
        { { id = "cred_1", name = "k1", credential_type = "public_key" } },
        { AUTH0_ALLOW_DELETE = true })
      assert.is_nil(r.err)
      assert.same({ "POST /clients/c1/credentials", "PATCH /clients/c1",
        "DELETE /clients/c1/credentials/cred_1" }, writes(r))
      assert.same({ { id = "cred_k2" } }, env.bodies(r.ctx.api, "PATCH", "/clients/c1")[1]
        .client_authentication_methods.private_key_jwt.credentials)
    end)

  it("keeps an old credential without AUTH0_ALLOW_DELETE (a warning), unwired", function()
    local r = deploy(methods({ { name = "k2", pem = PEM } }),
      { { id = "cred_1", name = "k1", credential_type = "public_key" } })
    assert.same({ "POST /clients/c1/credentials", "PATCH /clients/c1" }, writes(r))
    local warned = false
    for _, m in ipairs(r.ctx.log.lines.warn) do
      if tostring(m):find("k1 are on the tenant only", 1, true) then warned = true end
    end
    assert.is_true(warned)
  end)

  it("null methods unwire the client with its own token_endpoint_auth_method", function()
    local r = deploy(env.null, { { id = "cred_1", name = "k1", credential_type = "public_key" } },
      { AUTH0_ALLOW_DELETE = true }, { token_endpoint_auth_method = "client_secret_basic" })
    assert.is_nil(r.err)
    assert.same({ "PATCH /clients/c1", "DELETE /clients/c1/credentials/cred_1" }, writes(r))
    assert.same({ { client_authentication_methods = env.null,
      token_endpoint_auth_method = "client_secret_basic" } },
      env.bodies(r.ctx.api, "PATCH", "/clients/c1"))
  end)

  it("an absent field removes every credential only with AUTH0_ALLOW_DELETE", function()
    local creds = { { id = "cred_1", name = "k1", credential_type = "public_key" } }
    local r = deploy(nil, creds, {}, { token_endpoint_auth_method = "client_secret_post" })
    assert.same({}, writes(r))
    r = deploy(nil, creds, { AUTH0_ALLOW_DELETE = true },
      { token_endpoint_auth_method = "client_secret_post" })
    assert.same({ "PATCH /clients/c1", "DELETE /clients/c1/credentials/cred_1" }, writes(r))
    assert.same({ { client_authentication_methods = env.null,
      token_endpoint_auth_method = "client_secret_post" } },
      env.bodies(r.ctx.api, "PATCH", "/clients/c1"))
  end)

  it("leaves the deploying client's credentials alone, also with deletes allowed", function()
    local r = deploy(nil, { { id = "cred_1", name = "k1", credential_type = "public_key" } },
      { AUTH0_ALLOW_DELETE = true, AUTH0_CLIENT_ID = "c1" })
    assert.is_nil(r.err)
    for _, c in ipairs(r.plan.list) do assert.not_equal("clientAuthCredentials", c.type) end
    assert.same({}, writes(r))
  end)

  it("changes expires_at in place", function()
    local r = deploy(methods({ { name = "k1", pem = PEM, expires_at = "2030-01-01T00:00:00Z" } }),
      { { id = "cred_1", name = "k1", credential_type = "public_key" } })
    assert.same({ "PATCH /clients/c1/credentials/cred_1" }, writes(r))
  end)

  it("leaves a client with two credentials of one name alone", function()
    local r = deploy(methods({ { name = "k2", pem = PEM } }),
      { { id = "cred_1", name = "k1", credential_type = "public_key" },
        { id = "cred_2", name = "k1", credential_type = "public_key" } },
      { AUTH0_ALLOW_DELETE = true })
    assert.same({}, writes(r))
  end)

  it("keeps the key out of the plan", function()
    local r = deploy(methods({ { name = "k1", pem = PEM } }), nil, {}, nil)
    local text = r.plan:render{ color = false }
    assert.is_nil(text:find("MIIB", 1, true))
    assert.matches("clientAuthCredentials", text, 1, true)
  end)

  it("is not deployed when excluded, and never exported", function()
    local r = deploy(methods({ { name = "k1", pem = PEM } }), nil,
      { AUTH0_EXCLUDED = { "clientAuthCredentials" } })
    assert.same({}, r.ctx.api:find("POST", "/clients/c1/credentials"))
    local h = env.handler("clientAuthCredentials")
    assert.equal(env.null, h:fetch(env.ctx{}))
  end)
end)
