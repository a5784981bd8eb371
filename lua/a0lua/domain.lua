--[[
a0lua.domain: AUTH0_DOMAIN read once. config.lua parses it and the API client takes the result
as it is (api.new{ domain = parsed }), so both agree on what a domain means.

  local domain = require("a0lua.domain")
  domain.parse(text) -> { scheme =, host =, port =, authority =, origin = } | nil, message
      "tenant.eu.auth0.com"          -> https, host tenant.eu.auth0.com, origin https://tenant...
      "https://t.auth0.com:8443/"    -> port 8443, authority t.auth0.com:8443
      "http://127.0.0.1:4000"        -> http (plain HTTP only to a loopback host)
      A default port (https 443, http 80) is dropped, so the audience is the same either way.
      message says what is wrong, without naming the setting (the caller knows where it came
      from).
  domain.is_loopback(host) -> boolean     127.0.0.0/8, localhost, ::1 (bracketed or not), and
      names under .localhost (t17.localhost: RFC 6761 reserves them for the loopback; the HTTP
      client, host/http.c, connects them to 127.0.0.1 itself, never asking DNS)
]]
local M = {}

function M.is_loopback(host)
  if type(host) ~= "string" then return false end
  host = host:lower():gsub("^%[(.*)%]$", "%1")
  if host == "localhost" or host == "::1" then return true end
  -- One or more DNS labels, then .localhost (no empty label, no trailing dot).
  local labels = host:match("^(.+)%.localhost$")
  if labels then
    for label in (labels .. "."):gmatch("([^.]*)%.") do
      if not label:match("^[%w][%w%-]*$") or #label > 63 then return false end
    end
    return true
  end
  local a, b, c, d = host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, n in ipairs({ a, b, c, d }) do
    if tonumber(n) > 255 then return false end
  end
  return a == "127"
end

function M.parse(text)
  if type(text) ~= "string" or text:match("^%s*$") then return nil, "no host name" end
  local s = text:match("^%s*(.-)%s*$")
  local scheme, rest = s:match("^(%a[%w+.%-]*)://(.*)$")
  if scheme then
    scheme = scheme:lower()
    if scheme ~= "http" and scheme ~= "https" then
      return nil, ("scheme %s:// is not supported (use https://, or http:// for a loopback "
        .. "host)"):format(scheme)
    end
  else
    scheme, rest = "https", s
  end
  rest = rest:gsub("/+$", "")
  if rest == "" then return nil, "no host name" end
  if rest:find("[/?#@]") then
    return nil, "expected a host name (tenant.auth0.com), not a URL with a path"
  end
  local host, port
  if rest:sub(1, 1) == "[" then
    host, port = rest:match("^(%[[%x:.]+%])(.*)$")
  else
    host, port = rest:match("^([%w.%-]+)(.*)$")
  end
  if port and port ~= "" then port = port:match("^:(%d+)$") end
  if not host or port == nil or host:find("..", 1, true) or host:match("^[.%-]") then
    return nil, ("%q is not a host name (expected e.g. tenant.eu.auth0.com or "
      .. "http://127.0.0.1:4000)"):format(rest)
  end
  port = port ~= "" and tonumber(port) or nil
  if port and (port < 1 or port > 65535) then
    return nil, ("port %d is out of range"):format(port)
  end
  if (scheme == "https" and port == 443) or (scheme == "http" and port == 80) then port = nil end
  if scheme == "http" and not M.is_loopback(host) then
    return nil, ("plain http:// is only allowed to a loopback host (localhost, "
      .. "*.localhost, 127.0.0.1, [::1]), not %s; use https://"):format(host)
  end
  local authority = port and (host .. ":" .. port) or host
  return { scheme = scheme, host = host, port = port, authority = authority,
           origin = scheme .. "://" .. authority }
end

return M
