-- tests/helpers/api_proxy.lua: a tiny HTTP CONNECT proxy for the api specs, so `--proxy_url` is
-- tested for real. Every CONNECT, whatever host it names, is tunnelled to 127.0.0.1:TARGET_PORT.
--
--   lua5.4 tests/helpers/api_proxy.lua TARGET_PORT [lifetime_seconds]
--
-- prints "listening on http://127.0.0.1:PORT", then one line "CONNECT <authority>" per tunnel it
-- opens, and exits after its lifetime (default 120 s) or on SIGTERM. From a spec:
--
--   local proxy = require("helpers.api_proxy").start(target_port)
--   proxy.url, proxy:stop(), proxy:connects() -> the authorities asked for so far
local socket = require("socket")

local M = {}

if arg and arg[0] and arg[0]:match("api_proxy%.lua$") and arg[1] then
  local target = tonumber(arg[1])
  local deadline = socket.gettime() + (tonumber(arg[2]) or 120)
  local server = assert(socket.bind("127.0.0.1", 0))
  server:settimeout(0)
  local _, port = server:getsockname()
  io.stdout:write(("listening on http://127.0.0.1:%d\n"):format(port))
  io.stdout:flush()
  local peer = {}     -- socket -> the other end of its tunnel
  local pending = {}  -- client socket -> request head read so far
  local function close(s)
    local other = peer[s]
    peer[s], pending[s] = nil, nil
    s:close()
    if other then
      peer[other] = nil
      other:close()
    end
  end
  while socket.gettime() < deadline do
    local watch = { server }
    for s in pairs(peer) do watch[#watch + 1] = s end
    for s in pairs(pending) do watch[#watch + 1] = s end
    local ready = socket.select(watch, nil, 1)
    for _, s in ipairs(ready) do
      if s == server then
        local c = server:accept()
        if c then
          c:settimeout(0)
          pending[c] = ""
        end
      elseif pending[s] then
        local data, err, partial = s:receive(4096)
        local head = pending[s] .. (data or partial or "")
        if err == "closed" then
          close(s)
        elseif head:find("\r\n\r\n", 1, true) then
          local authority = head:match("^CONNECT (%S+) HTTP/1%.[01]\r\n")
          local up = authority and socket.connect("127.0.0.1", target)
          if up then
            up:settimeout(0)
            pending[s] = nil
            peer[s], peer[up] = up, s
            io.stdout:write("CONNECT ", authority, "\n")
            io.stdout:flush()
            s:settimeout(5)
            s:send("HTTP/1.1 200 Connection established\r\n\r\n")
            s:settimeout(0)
          else
            s:settimeout(5)
            s:send("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            close(s)
          end
        else
          pending[s] = head
        end
      elseif peer[s] then
        local data, err, partial = s:receive(65536)
        local chunk = data or partial
        if chunk and #chunk > 0 then
          local other = peer[s]
          other:settimeout(5)
          other:send(chunk)
          other:settimeout(0)
        end
        if err == "closed" then close(s) end
      end
    end
  end
  os.exit(0)
end

local Proxy = {}
Proxy.__index = Proxy

function M.start(target_port, lifetime)
  local out = os.tmpname()
  local proc = assert(io.popen(("echo $$; exec lua5.4 tests/helpers/api_proxy.lua %d %d > %s")
    :format(target_port, lifetime or 120, out), "r"))
  local pid = tonumber(proc:read("l"))
  local self = setmetatable({ proc = proc, pid = pid, out = out }, Proxy)
  local deadline = socket.gettime() + 60 -- only a bound on a hang: a busy machine starts slowly
  while socket.gettime() < deadline do
    local f = io.open(out, "rb")
    local line = f and f:read("l")
    if f then f:close() end
    local url = line and line:match("^listening on (http://[%d.]+:%d+)$")
    if url then
      self.url = url
      return self
    end
    socket.sleep(0.02)
  end
  self:stop()
  error("api_proxy did not start")
end

function Proxy:connects()
  local list = {}
  local f = io.open(self.out, "rb")
  if not f then return list end
  for line in f:lines() do
    local authority = line:match("^CONNECT (%S+)$")
    if authority then list[#list + 1] = authority end
  end
  f:close()
  return list
end

function Proxy:stop()
  if not self.proc then return end
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  self.proc:close()
  self.proc = nil
  os.remove(self.out)
end

return M
