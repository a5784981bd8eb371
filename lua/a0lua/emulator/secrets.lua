--[[
a0lua.emulator.secrets: request bodies without their secrets, for the request log.

  local secrets = require "a0lua.emulator.secrets"
  local redactor = secrets.new(extra_names) -- extra_names: field names the resources keep
                                             -- write-only ({ "connectionString", ... })
  redactor:value(v [, whole]) -> copy        a decoded JSON body with every secret string
                                             replaced by "[REDACTED]"; whole = true: every
                                             string in it (the body is a map of secrets)
  redactor:form(text) -> text                the same for a form body (a=1&client_secret=x)
  secrets.is_secret_name(name) -> boolean    the name rule below, without the extra names

The Management API's OpenAPI document marks no request field writeOnly (two SAML certificate
fields only), so which fields are secret comes from their names, plus the names the resource
modules already drop as write-only (their `write_only` lists), plus the routes whose whole body
is secret (bindings with secret_body: hook secrets, a rules config's value). A name is split
into lower-case words (snake_case, camelCase, kebab-case). It is secret when a word is "secret"
or "secrets" (client_secret, signing_secret, secretAccessKey), or when its last word is a
password, token, key, credential, authorization or assertion (smtp_pass, splunkToken,
auth_token, api_key, private_key, masterkey, server_credentials, httpAuthorization,
client_assertion), except site_key, public_key and header_key (public by design, or a header's
name). Only strings are replaced: numbers and booleans (token_lifetime, secret_encoded) stay,
and objects are walked (refresh_token's settings stay, webhook_authorization.token goes). Under
a name with the word "secret(s)" every string goes but a "name" (action secrets [{name,
value}], a hook's {NAME = value}).
The input is never changed (the handlers may keep parts of it in the state); the copy shares
every table that holds no secret with it.
]]
local json = require "a0lua.core.json"
local server = require "a0lua.emulator.server"

local M = {}

M.REDACTED = "[REDACTED]"

local LAST_WORDS = {
  password = true, passwd = true, pass = true, passphrase = true, pwd = true,
  token = true, key = true, keys = true, credential = true, credentials = true,
  authorization = true, assertion = true,
}
local PUBLIC_KEYS = { site = true, public = true, header = true }

local function words_of(name)
  local spaced = name:gsub("(%l)(%u)", "%1 %2"):gsub("[_%-%.]", " "):lower()
  local words = {}
  for w in spaced:gmatch("%S+") do words[#words + 1] = w end
  return words
end

-- "secret" when the whole value under the name is secret, "field" when a string under it is,
-- nil when it is not a secret name.
local function classify(name)
  if type(name) ~= "string" then return nil end
  local words = words_of(name)
  for _, w in ipairs(words) do
    if w == "secret" or w == "secrets" then return "secret" end
  end
  local last = words[#words]
  if not last then return nil end
  if LAST_WORDS[last] or (last:sub(-3) == "key" and #last > 3) then
    if (last == "key" or last == "keys") and PUBLIC_KEYS[words[#words - 1]] then return nil end
    return "field"
  end
  return nil
end

function M.is_secret_name(name)
  return classify(name) ~= nil
end

-- value with strings under secret names replaced (all strings when whole). Tables are copied
-- only where something inside them changes; the rest is shared with the input.
local function walk(value, whole, extra)
  if type(value) == "string" then return whole and M.REDACTED or value end
  if type(value) ~= "table" then return value end
  local out
  for k, v in pairs(value) do
    local class = classify(k) or (extra[k] and "field")
    local new
    if whole and k ~= "name" then
      new = walk(v, true, extra)
    elseif class == "secret" then
      new = walk(v, true, extra)
    elseif class == "field" and type(v) == "string" then
      new = M.REDACTED
    else
      new = walk(v, false, extra)
    end
    if new ~= v and not out then
      out = json.is_array(value) and json.array() or {}
      for k2, v2 in pairs(value) do out[k2] = v2 end
    end
    if out then out[k] = new end
  end
  return out or value
end

local Redactor = {}
Redactor.__index = Redactor

function M.new(extra_names)
  local extra = {}
  for _, name in ipairs(extra_names or {}) do extra[name] = true end
  return setmetatable({ extra = extra }, Redactor)
end

function Redactor:value(value, whole)
  return walk(value, whole == true, self.extra)
end

-- name=value&... with the values of secret names replaced (names as sent, percent-encoded).
function Redactor:form(text)
  return (text:gsub("([^&=]+)=([^&]*)", function(name, value)
    local decoded = server.decode(name, true)
    if classify(decoded) or self.extra[decoded] then return name .. "=" .. M.REDACTED end
    return name .. "=" .. value
  end))
end

return M
