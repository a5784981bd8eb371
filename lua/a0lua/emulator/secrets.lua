--[[
a0lua.emulator.secrets: request bodies without their secrets, for the request log.

  local secrets = require("a0lua.emulator.secrets")
  local redactor = secrets.new(extra_names) -- extra_names: field names the resources keep
                                             -- write-only ({ "connectionString", ... })
  redactor:value(v [, whole]) -> copy        a decoded JSON body with every secret string
                                             replaced by "[REDACTED]"; whole = true: every
                                             string in it (the body is a map of secrets)
  redactor:form(text) -> text                the same for a form body (a=1&client_secret=x)
  secrets.is_secret_name(name) -> boolean    the name rule below, without the extra names

The Management API's OpenAPI document marks no request field writeOnly (two SAML certificate
fields only), so which fields are secret comes from their names (a0lua.secrets, the rule plans
and logs use too), plus the names the resource modules already drop as write-only (their
`write_only` lists), plus the routes whose whole body is secret (bindings with secret_body: hook
secrets, a rules config's value).
The input is never changed (the handlers may keep parts of it in the state); the copy shares
every table that holds no secret with it.
]]
local rules = require("a0lua.secrets")
local server = require("a0lua.emulator.server")

local M = {}

M.REDACTED = "[REDACTED]"

function M.is_secret_name(name)
  return rules.is_secret_name(name)
end

local Redactor = {}
Redactor.__index = Redactor

function M.new(extra_names)
  local extra, list = {}, {}
  for _, name in ipairs(extra_names or {}) do
    extra[name] = true
    list[#list + 1] = name
  end
  return setmetatable({ extra = extra, extra_list = list }, Redactor)
end

function Redactor:value(value, whole)
  return rules.mask(value, { mask = M.REDACTED, extra = self.extra_list, whole = whole == true })
end

-- name=value&... with the values of secret names replaced (names as sent, percent-encoded).
function Redactor:form(text)
  return (text:gsub("([^&=]+)=([^&]*)", function(name, value)
    local decoded = server.decode(name, true)
    if rules.is_secret_name(decoded) or self.extra[decoded] then
      return name .. "=" .. M.REDACTED
    end
    return name .. "=" .. value
  end))
end

return M
