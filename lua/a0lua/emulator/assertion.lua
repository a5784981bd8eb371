--[[
a0lua.emulator.assertion: the check of a private-key JWT client assertion at POST /oauth/token.

  local assertion = require("a0lua.emulator.assertion")
  local checker = assertion.new{ store =, clock = }
  checker:check(params, hosts) -> client_id | nil, status, body
      params  the token request's parameters (client_assertion, client_assertion_type,
              client_id, client_secret)
      hosts   { [host] = true }: the hosts whose https://<host>/ (or https://<host>/oauth/token)
              is a valid aud
  assertion.TYPE   the client_assertion_type Auth0 accepts

The client is the assertion's iss. It must have client_authentication_methods.private_key_jwt
with credentials registered under /clients/{id}/credentials (a PEM public key or certificate,
kept as `pem`); the header's alg must be RS256, RS384 or PS256 and the credential's alg (kid,
when given, picks the credential); the signature must verify with that key (a0lua.core.crypto);
iss and sub must be the client id; aud the tenant (https://<host>/ or its /oauth/token, a string
or a list holding one); exp present, not past (10 s of clock skew, as Auth0 allows) and at
most 5 minutes after iat (or after now without iat); jti present and never seen before for the
client while its assertion could still be used. A refused assertion gets Auth0's shape for a
failed client authentication, 401 { error = "invalid_client", error_description = }; a
request that is malformed (another assertion type, no JWT, a secret beside the assertion)
gets 400 invalid_request. docs/emulator.md lists the descriptions.
]]
local json = require("a0lua.core.json")

local M = {}

M.TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
M.SKEW_S = 10
M.MAX_LIFETIME_S = 300
local ALGORITHMS = { RS256 = true, RS384 = true, PS256 = true }

local Checker = {}
Checker.__index = Checker

function M.new(opts)
  return setmetatable({ store = opts.store, clock = opts.clock, seen = {}, seen_count = 0 },
    Checker)
end

local function refuse(description)
  return nil, 401, { error = "invalid_client", error_description = description }
end

local function bad_request(description)
  return nil, 400, { error = "invalid_request", error_description = description }
end

-- header, claims, signing input and signature of a compact JWS, or nil.
local function decode(crypto, jwt)
  local h, p, s = jwt:match("^([%w_-]+)%.([%w_-]+)%.([%w_-]+)$")
  if not h then return nil end
  local header = json.decode(crypto.base64url_decode(h) or "")
  local claims = json.decode(crypto.base64url_decode(p) or "")
  local signature = crypto.base64url_decode(s)
  if type(header) ~= "table" or type(claims) ~= "table" or not signature then return nil end
  return header, claims, h .. "." .. p, signature
end

-- The client's registered private_key_jwt credentials (with their pem), in order.
local function credentials_of(self, client)
  local methods = type(client.client_authentication_methods) == "table"
    and client.client_authentication_methods.private_key_jwt
  local refs = type(methods) == "table" and methods.credentials
  local out = {}
  if type(refs) ~= "table" then return out end
  local key = "/clients/" .. client.client_id .. "/credentials"
  for _, ref in ipairs(refs) do
    local cred = type(ref) == "table" and self.store:find(key, "id", ref.id)
    if cred and type(cred.pem) == "string" then out[#out + 1] = cred end
  end
  return out
end

local function audience_ok(aud, hosts)
  local list = type(aud) == "table" and aud or { aud }
  for _, a in ipairs(list) do
    if type(a) == "string" then
      local host = a:match("^https://([^/]+)/$") or a:match("^https://([^/]+)/oauth/token$")
      if host and hosts[host:lower()] then return true end
    end
  end
  return false
end

-- Forgets the jti of assertions that can no longer be used.
function Checker:prune(now)
  if self.seen_count < 1000 then return end
  local count = 0
  for k, exp in pairs(self.seen) do
    if exp + M.SKEW_S < now then self.seen[k] = nil else count = count + 1 end
  end
  self.seen_count = count
end

-- The steps of a check, in the order Auth0 answers them. Each returns nothing when the
-- assertion passes it, or the error_description of the refusal.

-- iss and sub name the client (and match the client_id parameter when one is given).
local function subject_problem(p, claims)
  local client_id = claims.iss
  if type(client_id) ~= "string" or client_id == "" then
    return "'iss' claim is required and must be the client id"
  end
  if p.client_id and p.client_id ~= "" and p.client_id ~= client_id then
    return "'iss' claim must match the client_id parameter"
  end
  if claims.sub ~= client_id then return "'sub' claim must be the client id" end
end

-- A credential of the client, of the header's alg (and kid, when given), verifies the signature.
local function signature_problem(crypto, creds, header, input, signature)
  if #creds == 0 then return "The client has no credential for private_key_jwt authentication" end
  local alg = header.alg
  if not ALGORITHMS[alg] then
    return ("'alg' %s is not supported: use RS256, RS384 or PS256"):format(
      type(alg) == "string" and ("'" .. alg .. "'") or "(absent)")
  end
  local candidates = {}
  for _, cred in ipairs(creds) do
    if header.kid == nil or header.kid == cred.kid then candidates[#candidates + 1] = cred end
  end
  if #candidates == 0 then return "No credential of the client has that 'kid'" end
  local alg_matched = false
  for _, cred in ipairs(candidates) do
    if (cred.alg or "RS256") == alg then
      alg_matched = true
      if crypto.verify(cred.pem, alg, input, signature) == true then return end
    end
  end
  if not alg_matched then
    return ("'alg' '%s' does not match the algorithm of the client's credential"):format(alg)
  end
  return "Invalid signature for client_assertion"
end

-- exp is present and not past, iat (when given) not in the future, and the assertion lives at
-- most MAX_LIFETIME_S.
local function lifetime_problem(claims, now)
  local exp, iat = claims.exp, claims.iat
  if math.type(exp) == nil then return "'exp' claim is required" end
  if exp + M.SKEW_S <= now then return "'exp' claim timestamp check failed (expired)" end
  if iat ~= nil then
    if math.type(iat) == nil then return "'iat' claim must be a number" end
    if iat > now + M.SKEW_S then return "'iat' claim is in the future" end
    if exp - iat > M.MAX_LIFETIME_S then
      return ("'exp' claim must specify a time that is no more than 5 minutes after "
        .. "'iat': %s"):format(math.tointeger(exp) or exp)
    end
  elseif exp - now > M.MAX_LIFETIME_S + M.SKEW_S then
    return "'exp' claim must specify a time that is no more than 5 minutes from now"
  end
end

function Checker:check(p, hosts)
  if p.client_assertion_type ~= M.TYPE then
    return bad_request(("client_assertion_type must be %s"):format(M.TYPE))
  end
  if p.client_secret ~= nil then
    return bad_request("client_secret cannot be used together with client_assertion")
  end
  local crypto = require("a0lua.core.crypto")
  local header, claims, input, signature = decode(crypto, p.client_assertion or "")
  if not header then return bad_request("client_assertion is not a valid JWT") end
  local problem = subject_problem(p, claims)
  if problem then return refuse(problem) end
  local client_id = claims.iss
  local client = self.store:find("/clients", "client_id", client_id)
  if not client then return refuse("Unknown client") end
  problem = signature_problem(crypto, credentials_of(self, client), header, input, signature)
  if problem then return refuse(problem) end
  if not audience_ok(claims.aud, hosts) then
    return refuse("'aud' claim must be the tenant's URL, e.g. https://<tenant domain>/")
  end
  local now = self.clock()
  problem = lifetime_problem(claims, now)
  if problem then return refuse(problem) end
  local jti = claims.jti
  if type(jti) ~= "string" or jti == "" then return refuse("'jti' claim is required") end
  local key = client_id .. "\0" .. jti
  if self.seen[key] then return refuse("'jti' claim must be unique: the assertion was used") end
  self:prune(now)
  self.seen[key] = claims.exp
  self.seen_count = self.seen_count + 1
  return client_id
end

return M
