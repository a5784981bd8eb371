--[[
a0lua.secrets: the one rule for which values are secrets, by the names they sit under. Plans,
logs, preflight messages, the REPL and the emulator's request log all mask with it.

  local secrets = require("a0lua.secrets")
  secrets.class(name) -> "secret" | "field" | nil
      "secret": every string under the name is secret, at any depth (but a "name": action
      secrets [{name, value}]); "field": a string right under it is; nil: not a secret name.
  secrets.is_secret_name(name) -> boolean         class(name) ~= nil
  secrets.mentions_secret(name) -> boolean        any word of the name is a secret's (for
                                                  keyword names, SMTP_PASSWORD_VALUE: masking
                                                  a value too many in a log costs nothing)
  secrets.mask(value, opts) -> copy               strings under secret names replaced by
                                                  opts.mask (default "(secret)"); opts.keep(s)
                                                  -> true keeps a string (placeholders);
                                                  opts.extra: more "field" names; opts.whole:
                                                  the value itself is secret (class "secret");
                                                  opts.key: the name the value sits under.
                                                  The input is never changed: tables are copied
                                                  only where something inside them is masked.

The rule. A name is split into lower-case words (snake_case, camelCase, kebab-case, dots). It is
"secret" when a word is "secret" or "secrets" (client_secret, signing_secret, secretAccessKey),
and "field" when its last word is a password, token, key, credential, authorization, assertion,
cookie or p12, or ends in "key" or "token" (smtp_pass, splunkToken, auth_token, api_key,
private_key, masterkey, server_credentials, httpAuthorization, client_assertion, set-cookie),
except "key" alone (a map's key: a change's, a rules config's) and site_key, public_key and
header_key (public by design, or a header's name); and a vault connection's "setup", secret
whole. Only strings are masked: numbers and booleans
(token_lifetime, secret_encoded) stay, and objects are walked, so a client's refresh_token
settings stay while a webhook's authorization.token goes, and an email provider's credentials
show their smtp_user and smtp_host but not their smtp_pass.
]]
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local M = {}

M.MASK = "(secret)"

local LAST_WORDS = {
  password = true, passwd = true, pass = true, passphrase = true, pwd = true,
  token = true, key = true, keys = true, credential = true, credentials = true,
  authorization = true, assertion = true, cookie = true,
  p12 = true,   -- a PKCS#12 bundle holds a private key (a push provider's APNs certificate)
}
local PUBLIC_KEYS = { site = true, public = true, header = true }
-- Names whose whole value is a set of secrets, whatever its members are called: a flow vault
-- connection's `setup` (an API key, an OAuth code, a JWT signing secret, ...).
local SECRET_NAMES = { setup = true }

local function words_of(name)
  local spaced = name:gsub("(%l)(%u)", "%1 %2"):gsub("[_%-%.]", " "):lower()
  local words = {}
  for w in spaced:gmatch("%S+") do words[#words + 1] = w end
  return words
end

local function secret_word(w)
  return LAST_WORDS[w] or (#w > 3 and w:sub(-3) == "key") or (#w > 5 and w:sub(-5) == "token")
end

function M.class(name)
  if type(name) ~= "string" then return nil end
  if SECRET_NAMES[name] then return "secret" end
  local words = words_of(name)
  for _, w in ipairs(words) do
    if w == "secret" or w == "secrets" then return "secret" end
  end
  local last = words[#words]
  if not last or not secret_word(last) then return nil end
  -- "key" alone names a map's key (a change's key, a rules config's key), not a secret
  if (last == "key" or last == "keys") and (#words == 1 or PUBLIC_KEYS[words[#words - 1]]) then
    return nil
  end
  return "field"
end

function M.is_secret_name(name)
  return M.class(name) ~= nil
end

function M.mentions_secret(name)
  if type(name) ~= "string" then return false end
  for _, w in ipairs(words_of(name)) do
    if w == "secret" or w == "secrets" or secret_word(w) then
      return true
    end
  end
  return false
end

local function walk(value, whole, opts)
  if type(value) == "string" then
    if whole and not (opts.keep and opts.keep(value)) then return opts.mask end
    return value
  end
  if type(value) ~= "table" then return value end
  local out
  for k, v in pairs(value) do
    local class = M.class(k) or (opts.extra[k] and "field")
    local new
    if (whole and k ~= "name") or class == "secret" then
      new = walk(v, true, opts)
    elseif class == "field" and type(v) == "string" then
      new = walk(v, true, opts)
    else
      new = walk(v, false, opts)
    end
    if new ~= v and not out then
      out = json.is_array(value) and json.array() or {}
      for k2, v2 in pairs(value) do out[k2] = v2 end
    end
    if out then out[k] = new end
  end
  return out or value
end

function M.mask(value, opts)
  opts = opts or {}
  local o = { mask = opts.mask or M.MASK, keep = opts.keep, extra = util.set_of(opts.extra) }
  local whole = opts.whole == true
  if opts.key ~= nil then
    local class = M.class(opts.key)
    whole = whole or class == "secret" or (class == "field" and type(value) == "string")
  end
  return walk(value, whole, o)
end

return M
