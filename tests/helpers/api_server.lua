-- tests/helpers/api_server.lua: an echo server for the api specs, for what the emulator does not
-- show (the headers a request carried). Every request, whatever its path, is answered 200 with
-- JSON { method, path, query, headers, body }; POST /oauth/token answers a token.
--
--   lua5.4 tests/helpers/api_server.lua [lifetime_seconds]     prints "listening on URL"
--
--   local server = require("helpers.api_server").start()
--   server.url ("http://127.0.0.1:PORT"), server:stop()
local M = {}

if arg and arg[0] and arg[0]:match("api_server%.lua$") then
  local root = arg[0]:match("^(.-)tests/helpers/[^/]*$") or ""
  package.path = root .. "lua/?.lua;" .. root .. "tests/?.lua;" .. package.path
  -- The server waits on its sockets with a0lua.core.poll, built into build/lib.
  package.cpath = root .. "build/lib/?.so;" .. package.cpath
  local server = require("a0lua.emulator.server")
  local socket = require("socket")
  local json = require("helpers.loopback_json")
  local srv = assert(server.new{ host = "127.0.0.1", port = 0, handler = function(req)
    local body
    if req.method == "POST" and req.path == "/oauth/token" then
      body = json.encode{ access_token = "echo-token", token_type = "Bearer", expires_in = 60 }
    else
      body = json.encode{ method = req.method, path = req.path, query = req.query,
                          headers = req.headers, body = req.body }
    end
    return { status = 200, headers = { ["Content-Type"] = "application/json" }, body = body }
  end })
  io.stdout:write("listening on ", srv:url(), "\n")
  io.stdout:flush()
  local deadline = socket.gettime() + (tonumber(arg[1]) or 120)
  while socket.gettime() < deadline do srv:step(1) end
  srv:close()
  os.exit(0)
end

local Server = {}
Server.__index = Server

function M.start(lifetime)
  local proc = assert(io.popen("echo $$; exec lua5.4 tests/helpers/api_server.lua "
    .. (lifetime or 120), "r"))
  local pid = tonumber(proc:read("l"))
  local line = proc:read("l")
  local url = line and line:match("^listening on (http://[%d.]+:%d+)$")
  local self = setmetatable({ proc = proc, pid = pid, url = url }, Server)
  if not url then
    self:stop()
    error("api_server did not start: " .. tostring(line))
  end
  return self
end

function Server:stop()
  if not self.proc then return end
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  self.proc:close()
  self.proc = nil
end

return M
