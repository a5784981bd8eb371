--[[
a0lua.emulator.admin: the emulator's own endpoints, outside /api/v2 (no token, no faults, no rate
limit, not in the request log).

  GET    /__emulator/state      the state, pretty JSON with sorted keys
  PUT    /__emulator/state      replace the state with the body (a JSON object)       -> 204
  POST   /__emulator/reset      back to the state the emulator started with           -> 204
  GET    /__emulator/requests   the request log: [{method, path, query, status, body}], sent
                                as the log's own strings (a0lua.emulator.requestlog)
  DELETE /__emulator/requests   clear it                                              -> 204
  POST   /__emulator/shutdown   answer, then stop serving (the process exits 0)       -> 204

  admin.handle(emu, req) -> res
  admin.own_hosts(listen_host, port) -> { "127.0.0.1:PORT" = true, ... }

They answer only requests meant for the emulator itself, so that a web page cannot use them
(a form posted to /__emulator/reset, or a DNS-rebound name reading /__emulator/state): a request
that came through the socket gets 403 with errorCode "forbidden_host" when its Host header is
not one of the emulator's own addresses with its port (127.0.0.1, localhost, [::1], and the
--host address unless it is a wildcard; the port may be left out only when it is 80), or
"forbidden_origin" when it has an Origin header that is not http:// and one of those. Clients
other than browsers can send any Host: this keeps web pages out, it is no authentication
(docs/emulator.md). In-process requests (emu:handle, no req.remote) are not checked.
]]
local json = require("a0lua.core.json")
local errors = require("a0lua.emulator.errors")

local M = {}

local JSON_TYPE = "application/json; charset=utf-8"

local function reply(status, body, pretty)
  local text = ""
  if body ~= nil then text = assert(json.encode(body, pretty and { pretty = true } or nil)) end
  return { status = status, headers = { ["Content-Type"] = JSON_TYPE }, body = text }
end

local function bad(message)
  return reply(400, errors.body(400, message, "invalid_body"))
end

local ROUTES = {
  ["GET /__emulator/state"] = function(emu)
    return reply(200, emu:state(), true)
  end,
  ["PUT /__emulator/state"] = function(emu, req)
    local value = json.decode(req.body or "")
    if type(value) ~= "table" or json.is_array(value) then
      return bad("the state must be a JSON object of paths")
    end
    local ok, err = emu:load(value)
    if not ok then return bad(tostring(err)) end
    return reply(204)
  end,
  ["POST /__emulator/reset"] = function(emu)
    emu:reset()
    return reply(204)
  end,
  ["GET /__emulator/requests"] = function(emu)
    return { status = 200, headers = { ["Content-Type"] = JSON_TYPE },
             body = emu:request_log():chunks() }
  end,
  ["DELETE /__emulator/requests"] = function(emu)
    emu:clear_requests()
    return reply(204)
  end,
  ["POST /__emulator/shutdown"] = function(emu)
    emu:stop()
    local res = reply(204)
    res.close = true
    return res
  end,
}

local WILDCARDS = { ["0.0.0.0"] = true, ["::"] = true, ["*"] = true, [""] = true }

local function bracketed(host)
  if host:find(":", 1, true) and host:sub(1, 1) ~= "[" then return "[" .. host .. "]" end
  return host
end

function M.own_hosts(listen_host, port)
  local names = { "127.0.0.1", "localhost", "[::1]" }
  listen_host = (listen_host or ""):lower()
  if not WILDCARDS[listen_host] then names[#names + 1] = bracketed(listen_host) end
  local hosts = {}
  for _, name in ipairs(names) do
    hosts[name .. ":" .. tostring(port)] = true
    if port == 80 then hosts[name] = true end
  end
  return hosts
end

-- nil when the request may use the admin endpoints, else the 403 answer.
local function refusal(emu, req)
  if not req.remote or not emu:port() then return nil end
  local hosts = emu.admin_hosts
  if not hosts then
    hosts = M.own_hosts(emu.listen_host, emu:port())
    emu.admin_hosts = hosts
  end
  local host, origin = req.headers.host, req.headers.origin
  local message, code = nil, "forbidden_host"
  if not host or not hosts[host:lower()] then
    message = ("the admin endpoints answer only requests to the emulator's own address "
      .. "(Host 127.0.0.1:%d, localhost:%d or [::1]:%d), not Host %s"):format(emu:port(),
      emu:port(), emu:port(), host and ("'" .. host .. "'") or "absent")
  elseif origin then
    local own = origin:lower():match("^http://(.+)$")
    if not own or not hosts[own] then
      code = "forbidden_origin"
      message = ("the admin endpoints refuse requests from web pages (Origin '%s')"):format(
        origin)
    end
  end
  if not message then return nil end
  return reply(403, errors.body(403, message, code))
end

function M.handle(emu, req)
  local refused = refusal(emu, req)
  if refused then return refused end
  local route = ROUTES[req.method .. " " .. req.path]
  if not route then
    return reply(404, errors.body(404, "Not Found", "not_found"))
  end
  return route(emu, req)
end

return M
