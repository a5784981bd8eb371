--[[
a0lua.emulator.auth: POST /oauth/token (client credentials) and the bearer check of /api/v2.

  local auth = require("a0lua.emulator.auth")
  local a = auth.new{ client_id =, client_secret =, store =, rng =, clock =, domain =,
                      lifetime = 86400 }
  a:token(req) -> status, body            the Authentication API's answer
  a:check(req) -> grant | nil, status, body
                                          grant = { client_id =, scope =, expires = }

Clients: the configured pair (--client-id/--client-secret), and any client of the tenant's
/clients whose client_secret matches and that has a client grant for the Management API
audience (its scope is then the grant's). Instead of a secret, a client may send a private-key
JWT client assertion (client_assertion, client_assertion_type), checked against the public keys
registered as its credentials (a0lua.emulator.assertion); the configured client gets every
scope that way too (`a0lua emulate --client-public-key FILE` registers its key). The audience
must be https://<host>/api/v2/ where <host> is the request's Host header, the emulator's own
host:port, or the host of an "Auth0 Management API" resource server's identifier. Bodies: JSON
or form-encoded; client credentials may also come as HTTP Basic. Tokens are opaque to clients
but JWT-shaped (header.payload.sig); the emulator keeps what it issued and checks each bearer
against that, with its expiry.
]]
local json = require("a0lua.core.json")
local base64 = require("a0lua.emulator.base64")
local assertion = require("a0lua.emulator.assertion")
local errors = require("a0lua.emulator.errors")
local ids = require("a0lua.emulator.ids")
local server = require("a0lua.emulator.server")

local M = {}

local RESOURCES = {
  "client_grants", "users", "users_app_metadata", "user_custom_blocks", "clients",
  "client_keys", "client_credentials", "connections", "resource_servers", "device_credentials",
  "rules", "rules_configs", "hooks", "actions", "email_provider", "stats", "insights",
  "tenant_settings", "logs", "shields", "anomaly_blocks", "triggers", "grants", "guardian_factors",
  "custom_domains", "email_templates", "mfa_policies", "roles", "prompts", "branding",
  "log_streams", "signing_keys", "limits", "role_members", "entitlements", "attack_protection",
  "organizations", "organization_members", "organization_connections",
  "organization_member_roles", "organization_invitations", "organization_client_grants",
  "organization_discovery_domains", "phone_providers", "phone_templates", "forms", "flows",
  "flows_vault", "flows_vault_connections", "self_service_profiles",
  "self_service_profile_custom_texts",
  "sso_access_tickets", "network_acls", "token_exchange_profiles", "user_attribute_profiles",
  "connection_profiles", "event_streams", "event_deliveries", "rate_limit_policies",
  "scim_config", "scim_token", "directory_provisionings", "security_metrics",
  "connections_options", "authentication_methods", "custom_signing_keys", "encryption_keys",
  "sessions", "refresh_tokens", "actions_modules", "actions_module_versions",
}

-- Every read/create/update/delete scope over RESOURCES: what the configured client is granted.
local function all_scopes()
  local out = {}
  for _, r in ipairs(RESOURCES) do
    for _, verb in ipairs({ "read", "create", "update", "delete" }) do
      out[#out + 1] = verb .. ":" .. r
    end
  end
  return table.concat(out, " ")
end
M.ALL_SCOPES = all_scopes()

local Auth = {}
Auth.__index = Auth

function M.new(opts)
  return setmetatable({
    client_id = opts.client_id, client_secret = opts.client_secret, store = opts.store,
    rng = opts.rng, clock = opts.clock, domain = opts.domain, lifetime = opts.lifetime or 86400,
    tokens = {}, ids = ids.new(opts.rng),
    assertions = assertion.new{ store = opts.store, clock = opts.clock },
  }, Auth)
end

local function oauth_error(status, code, description)
  return status, { error = code, error_description = description }
end

-- The token request's parameters, from JSON, a form, and an Authorization: Basic header.
local function parameters(req)
  local body, params = req.body or "", {}
  local ctype = (req.headers["content-type"] or ""):lower()
  if ctype:find("json", 1, true) or body:match("^%s*{") then
    local value = json.decode(body)
    if type(value) ~= "table" then return nil end
    for k, v in pairs(value) do
      if type(v) == "string" then params[k] = v end
    end
  else
    for k, v in pairs(server.parse_query(body)) do
      params[k] = type(v) == "table" and v[#v] or v
    end
  end
  local basic = (req.headers.authorization or ""):match("^[Bb]asic%s+(%S+)$")
  if basic then
    local decoded = base64.decode(basic) or ""
    local id, secret = decoded:match("^([^:]*):(.*)$")
    if id then
      params.client_id = params.client_id or server.decode(id)
      params.client_secret = params.client_secret or server.decode(secret)
    end
  end
  return params
end

local function management_hosts(self, req)
  local hosts = {}
  if req.headers.host then hosts[req.headers.host:lower()] = true end
  if self.domain then hosts[self.domain:lower()] = true end
  for _, rs in ipairs(self.store:get("/resource-servers") or {}) do
    if rs.is_system and rs.name == "Auth0 Management API" and type(rs.identifier) == "string" then
      local host = rs.identifier:match("^https://([^/]+)/api/v2/$")
      if host then hosts[host:lower()] = true end
    end
  end
  return hosts
end

-- The scope granted to a tenant client for the Management API, or nil. secret == false: the
-- client proved who it is otherwise (a client assertion).
local function tenant_client_scope(self, client_id, secret, audience)
  local client = self.store:find("/clients", "client_id", client_id)
  if not client or (secret ~= false and client.client_secret ~= secret) then
    return nil, "secret"
  end
  for _, g in ipairs(self.store:get("/client-grants") or {}) do
    if g.client_id == client_id and g.audience == audience then
      local scope = {}
      for i, s in ipairs(g.scope or {}) do scope[i] = tostring(s) end
      return table.concat(scope, " ")
    end
  end
  return nil, "grant"
end

function Auth:token(req)
  local p = parameters(req)
  if not p then
    return oauth_error(400, "invalid_request", "The request body is not valid JSON.")
  end
  if p.grant_type ~= "client_credentials" then
    if not p.grant_type then
      return oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
    end
    return oauth_error(403, "unauthorized_client",
      ("Grant type '%s' not allowed for the client."):format(p.grant_type))
  end
  local by_assertion = p.client_assertion ~= nil or p.client_assertion_type ~= nil
  if not by_assertion and (not p.client_id or p.client_id == "") then
    return oauth_error(401, "access_denied", "Unauthorized")
  end
  local audience = p.audience
  if not audience or audience == "" then
    return oauth_error(403, "access_denied",
      "No audience parameter was provided, and no default audience has been configured")
  end
  local host = audience:match("^https://([^/]+)/api/v2/$")
  if not host or not management_hosts(self, req)[host:lower()] then
    return oauth_error(403, "access_denied",
      ("Service not enabled within domain: %s"):format(audience))
  end
  local scope
  if by_assertion then
    local client_id, status, body = self.assertions:check(p, management_hosts(self, req))
    if not client_id then return status, body end
    p.client_id = client_id
  end
  if by_assertion and p.client_id == self.client_id then
    scope = M.ALL_SCOPES
  elseif p.client_id == self.client_id then
    if p.client_secret ~= self.client_secret then
      return oauth_error(401, "access_denied", "Unauthorized")
    end
    scope = M.ALL_SCOPES
  else
    local why
    scope, why = tenant_client_scope(self, p.client_id,
      not by_assertion and p.client_secret, audience)
    if not scope then
      if why == "secret" then return oauth_error(401, "access_denied", "Unauthorized") end
      return oauth_error(403, "access_denied", ("Client is not authorized to access \"%s\". "
        .. "You need to create a \"client-grant\" associated to this API."):format(audience))
    end
  end
  local now = self.clock()
  local header = base64.encode(json.encode({ alg = "RS256", typ = "JWT",
    kid = "a0lua-emulator" }), true)
  -- The scope stays out of the token (it is in the answer): with every scope it would make
  -- each request's Authorization header about 10 KB.
  local payload = base64.encode(json.encode({
    iss = "https://" .. host .. "/", sub = p.client_id .. "@clients", aud = audience,
    iat = math.floor(now), exp = math.floor(now) + self.lifetime,
    gty = "client-credentials", azp = p.client_id,
  }), true)
  local token = header .. "." .. payload .. "." .. base64.encode(
    self.ids:make("client_secret"):sub(1, 32), true)
  self.tokens[token] = { client_id = p.client_id, scope = scope, expires = now + self.lifetime }
  return 200, {
    access_token = token, token_type = "Bearer", expires_in = self.lifetime, scope = scope,
  }
end

function Auth:check(req)
  local header = req.headers.authorization
  if not header or header == "" then
    return nil, 401, errors.body(401, "Missing authentication", "missing_authentication")
  end
  local token = header:match("^[Bb]earer%s+(%S+)%s*$")
  if not token then
    return nil, 400, errors.body(400, "Bad HTTP authentication header format",
      "invalid_authorization_header")
  end
  local grant = self.tokens[token]
  if not grant then
    return nil, 401, errors.body(401, "Invalid token", "invalid_token")
  end
  if self.clock() >= grant.expires then
    self.tokens[token] = nil
    return nil, 401, errors.body(401, "Expired token received for JSON Web Token validation",
      "token_expired")
  end
  return grant
end

return M
