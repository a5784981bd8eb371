-- a0lua.emulator.secrets: the request log keeps no write-only secret of any resource type, and
-- keeps everything else of the bodies.
local json = require("a0lua.core.json")
local emulator = require("a0lua.emulator")
local secrets = require("a0lua.emulator.secrets")

local S = "s3cr3t-" -- every secret below starts with it; nothing else does

-- Requests whose bodies carry secrets (answered 2xx or not: rejected bodies are logged too, and
-- a few are refused on purpose).
local function send_all(call)
  call("POST", "/api/v2/clients", { name = "refused", client_secret = S .. "client" })
  local client = json.decode(call("POST", "/api/v2/clients", { name = "app",
    jwt_configuration = { secret_encoded = true },
    refresh_token = { rotation_type = "non-rotating", expiration_type = "non-expiring",
                      token_lifetime = 100 } }).body)
  call("PATCH", "/api/v2/clients/" .. client.client_id, { client_secret = S .. "client2" })
  call("POST", "/api/v2/connections", { name = "google", strategy = "google-oauth2",
    options = { client_id = "google-id", client_secret = S .. "conn", scope = { "email" } } })
  call("POST", "/api/v2/emails/provider", { name = "smtp", enabled = true, credentials = {
    smtp_host = "smtp.example.com", smtp_port = 587, smtp_user = "mailer",
    smtp_pass = S .. "smtp" } })
  call("PATCH", "/api/v2/emails/provider", { name = "sendgrid", credentials = {
    api_key = S .. "sendgrid" } })
  call("PATCH", "/api/v2/emails/provider", { name = "azure_cs", credentials = {
    connectionString = S .. "azure" } })
  call("POST", "/api/v2/resource-servers", { name = "api", identifier = "https://api",
    signing_alg = "HS256", signing_secret = S .. "signing-secret-long-enough" })
  call("POST", "/api/v2/log-streams", { name = "splunk", type = "splunk", sink = {
    splunkDomain = "splunk.example.com", splunkPort = "8088", splunkSecure = true,
    splunkToken = S .. "splunk" } })
  call("POST", "/api/v2/log-streams", { name = "http", type = "http", sink = {
    httpEndpoint = "https://logs.example.com", httpContentType = "application/json",
    httpContentFormat = "JSONOBJECT", httpAuthorization = S .. "http-auth" } })
  call("POST", "/api/v2/event-streams", { name = "hook", subscriptions = { { event_type =
    "user.created" } }, destination = { type = "webhook", configuration = {
    webhook_endpoint = "https://hooks.example.com", webhook_authorization = {
      method = "bearer", token = S .. "bearer" } } } })
  call("POST", "/api/v2/event-streams", { name = "hook2", subscriptions = { { event_type =
    "user.created" } }, destination = { type = "webhook", configuration = {
    webhook_endpoint = "https://hooks.example.com", webhook_authorization = {
      method = "custom", header_key = "X-Key", header_value = S .. "header" } } } })
  call("POST", "/api/v2/flows/vault/connections", { name = "vault", app_id = "HTTP",
    setup = { type = "BEARER", token = S .. "vault-token" } })
  call("POST", "/api/v2/flows/vault/connections", { name = "vault2", app_id = "SALESFORCE",
    setup = { type = "OAUTH_APP", client_id = "sf", client_secret = S .. "vault-secret",
              private_key = S .. "vault-key" } })
  call("POST", "/api/v2/actions/actions", { name = "act", code = "x", supported_triggers = {
    { id = "post-login", version = "v3" } }, secrets = { { name = "API_KEY",
    value = S .. "action" } } })
  call("POST", "/api/v2/hooks", { name = "refused", script = "x",
    triggerId = "credentials-exchange", secrets = { MY_SECRET = S .. "hook" } })
  local hook = json.decode(call("POST", "/api/v2/hooks", { name = "hook", script = "x",
    triggerId = "credentials-exchange" }).body)
  call("POST", "/api/v2/hooks/" .. hook.id .. "/secrets", { OTHER = S .. "hook-secret" })
  call("PATCH", "/api/v2/hooks/" .. hook.id .. "/secrets", { OTHER = S .. "hook-secret2" })
  call("PUT", "/api/v2/rules-configs/MY_KEY", { value = S .. "rules-config" })
  call("PUT", "/api/v2/guardian/factors/sms/providers/twilio", { from = "+15555550100",
    sid = "AC1", auth_token = S .. "twilio" })
  call("PATCH", "/api/v2/attack-protection/captcha", { active_provider_id = "recaptcha_v2",
    recaptcha_v2 = { site_key = "public-site-key", secret = S .. "captcha" } })
end

describe("a0lua.emulator.secrets", function()
  it("finds secret names by their words, and leaves the rest", function()
    for _, name in ipairs({ "client_secret", "smtp_pass", "secretAccessKey", "splunkToken",
        "api_key", "private_key", "auth_token", "httpAuthorization", "client_assertion",
        "masterkey", "server_credentials", "mixpanelServiceAccountPassword", "signing_secret",
        "aws_secret_access_key", "secrets" }) do
      assert.is_true(secrets.is_secret_name(name), name)
    end
    for _, name in ipairs({ "client_id", "site_key", "public_key", "token_endpoint",
        "subject_token_type", "token_endpoint_auth_method", "name", "passwordPolicy",
        "refresh_token_rotation", "smtp_user", "header_key", "key_id" }) do
      assert.is_false(secrets.is_secret_name(name), name)
    end
  end)

  it("copies only what holds a secret, and never changes its input", function()
    local r = secrets.new({ "connectionString" })
    local plain = { a = { b = 1 } }
    local body = { plain = plain, credentials = { connectionString = "x", user = "u" } }
    local out = r:value(body)
    assert.are.equal(plain, out.plain)
    assert.are.same({ connectionString = "[REDACTED]", user = "u" }, out.credentials)
    assert.are.equal("x", body.credentials.connectionString)
    assert.are.same({ N = "[REDACTED]", name = "kept" }, r:value({ N = "v", name = "kept" }, true))
    assert.are.equal("grant_type=x&client_secret=[REDACTED]&client_id=c",
      r:form("grant_type=x&client_secret=abc&client_id=c"))
  end)

  it("keeps no secret of any resource type in the request log", function()
    local emu = assert(emulator.new({ listen = false }))
    local auth = { authorization = "Bearer " .. emu:token() }
    send_all(function(method, path, body)
      return emu:handle({ method = method, path = path, headers = auth,
                          body = assert(json.encode(body)) })
    end)
    emu:handle({ method = "POST", path = "/oauth/token",
      headers = { ["content-type"] = "application/x-www-form-urlencoded" },
      body = "grant_type=client_credentials&client_id=x&client_secret=" .. S .. "form" })
    local res = emu:handle({ method = "GET", path = "/__emulator/requests" })
    local text = type(res.body) == "table" and table.concat(res.body) or res.body
    assert.is_nil(text:find(S, 1, true), "a secret is in the log: "
      .. tostring(text:match('"[^"]*"%s*:%s*"' .. S .. '[^"]*"')))
    -- What is not secret stays.
    for _, kept in ipairs({ "google-id", "mailer", "smtp.example.com", "public-site-key",
        "API_KEY", "X-Key", "non-rotating", '"method":"bearer"', '"secret_encoded":true',
        "MY_SECRET", "OTHER" }) do
      assert.truthy(text:find(kept, 1, true), kept)
    end
    assert.are.equal(23, #json.decode(text))
  end)
end)
