--[[
a0lua.api.assertion: private-key JWT client assertions (RFC 7523), what the token request sends
instead of a client secret when AUTH0_CLIENT_SIGNING_KEY_PATH is set (docs/management-api.md §1).

  local assertion = require("a0lua.api.assertion")
  assertion.new{ path =, algorithm = "RS256", client_id =, audience =, epoch = fn }
      -> maker | nil, err
      path       the RSA private key in PEM (read by a0lua.core.crypto, in C: the key never
                 becomes a Lua string)
      algorithm  "RS256" (default), "RS384" or "PS256": what a0deploy accepts
      audience   the tenant's issuer, "https://<domain>/"
      epoch      the wall clock in seconds (default os.time)
      err: { code = "crypto_key", message = "the signing key <path> is ...", key_file = } for a
      key that cannot be used, { code = "api_config", message = } for an unknown algorithm
  maker:make() -> jwt | nil, err     a fresh assertion: header { alg, typ = "JWT" }, claims
      iss = sub = the client id, aud, iat, exp = iat + LIFETIME_S, jti = a random UUID (v4)
  maker:close()                      frees the key (also when the api client closes)
  assertion.TYPE                     the client_assertion_type of the token request
  assertion.ALGORITHMS, assertion.LIFETIME_S

Every call of make() is a new assertion with its own jti: the token request makes one per
attempt, since an assertion the server saw once is refused the next time (a replayed jti).
crypto is required here, on first use, so commands that never sign never load libcrypto.
]]
local json = require("a0lua.core.json")

local M = {}

M.TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
M.ALGORITHMS = { "RS256", "RS384", "PS256" }
-- Auth0 takes at most 5 minutes between iat and exp and recommends the shortest; one minute
-- leaves room for a slow token request without keeping a usable assertion around.
M.LIFETIME_S = 60

local KNOWN = {}
for _, alg in ipairs(M.ALGORITHMS) do KNOWN[alg] = true end

local ErrorMt = { __tostring = function(e) return e.message end, __name = "a0lua.error" }

local Maker = {}
Maker.__index = Maker
Maker.__name = "a0lua.api.assertion"
Maker.__tostring = function(self) return ("a0lua.api.assertion (%s)"):format(self.algorithm) end

function M.new(opts)
  if type(opts) ~= "table" then error("assertion.new: opts must be a table", 2) end
  for _, k in ipairs({ "path", "client_id", "audience" }) do
    if type(opts[k]) ~= "string" or opts[k] == "" then
      error(("assertion.new: %s must be a non-empty string"):format(k), 2)
    end
  end
  local algorithm = opts.algorithm or "RS256"
  if not KNOWN[algorithm] then
    return nil, setmetatable({ code = "api_config", message = ("AUTH0_CLIENT_SIGNING_ALGORITHM "
      .. "%q is not one a0deploy accepts: use RS256, RS384 or PS256"):format(algorithm) },
      ErrorMt)
  end
  local crypto = require("a0lua.core.crypto")
  local signer, err = crypto.signer(opts.path)
  if not signer then return nil, err end
  return setmetatable({
    crypto = crypto, signer = signer, algorithm = algorithm, client_id = opts.client_id,
    audience = opts.audience, epoch = opts.epoch or os.time,
    header = crypto.base64url(assert(json.encode({ alg = algorithm, typ = "JWT" }))),
  }, Maker)
end

-- A version 4 UUID from 16 random bytes (RFC 9562 §5.4).
local function uuid4(bytes)
  local b = { bytes:byte(1, 16) }
  b[7] = (b[7] & 0x0f) | 0x40
  b[9] = (b[9] & 0x3f) | 0x80
  local hex = ("%02x"):rep(16):format(table.unpack(b))
  return ("%s-%s-%s-%s-%s"):format(hex:sub(1, 8), hex:sub(9, 12), hex:sub(13, 16),
    hex:sub(17, 20), hex:sub(21, 32))
end
M.uuid4 = uuid4

function Maker:make()
  local crypto = self.crypto
  local iat = math.floor(self.epoch())
  local claims = assert(json.encode({
    iss = self.client_id, sub = self.client_id, aud = self.audience, iat = iat,
    exp = iat + M.LIFETIME_S, jti = uuid4(crypto.random(16)),
  }))
  local input = self.header .. "." .. crypto.base64url(claims)
  local signature, err = self.signer:sign(self.algorithm, input)
  if not signature then return nil, err end
  return input .. "." .. crypto.base64url(signature)
end

function Maker:close()
  self.signer:close()
end

return M
