-- tests/helpers/loopback.lua: the loopback test server (tests/helpers/loopback_server.lua) in a
-- separate process, so a client under test can block in session:poll while it answers.
--
--   local loopback = require("helpers.loopback")
--   local lb = loopback.start()          -- lb.url = "http://127.0.0.1:PORT", lb.port, lb.pid
--   ... lb.url .. "/echo" ...
--   lb:stats([group])  lb:reset_stats()  -- the server's counters (see loopback_server.lua)
--   lb:group()                           -- a fresh group name for /delay/<ms>?group=NAME
--   lb:stop()                            -- kills and reaps the process; idempotent
--   local tls = loopback.start_tls(lb)   -- stunnel in front: tls.url = "https://127.0.0.1:PORT",
--                                        -- tls.ca_file (self-signed for a0lua.test and
--                                        -- 127.0.0.1), tls:stop(); nil, why when stunnel or
--                                        -- openssl is missing
--   loopback.fetch(session, req [, timeout_ms]) -> completion   submit + poll until it is back
--                                        (completions of other ids polled meanwhile are dropped;
--                                        timeout_ms, default 60 s, only bounds a hang)
--
-- Call stop() from teardown or finally so the process is reaped even when a spec fails; as a
-- last resort the server exits on its own after its lifetime (300 s).
local http = require("a0lua.core.http")
local json = require("helpers.loopback_json")
local socket = require("socket")

local M = {}

-- How long a helper waits for what must come (an answer, stunnel listening): it only bounds a
-- hang, so that a busy machine never fails a spec by being slow.
local HANG_MS = 60000
M.HANG_MS = HANG_MS

local Loopback = {}
Loopback.__index = Loopback

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs cmd through popen's shell as "echo $$; exec cmd": the first line read is the pid of the
-- program itself, and no shell is left around it.
local function spawn(cmd)
  local proc = assert(io.popen("echo $$; exec " .. cmd, "r"))
  local pid = proc:read("l")
  return proc, tonumber(pid)
end

function M.start(lifetime)
  local proc, pid = spawn("lua5.4 tests/helpers/loopback_server.lua " .. (lifetime or 300))
  local line = proc:read("l")
  local url = line and line:match("^listening on (http://[%d.]+:%d+)$")
  if not url then
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    proc:close()
    error("loopback server did not start: " .. tostring(line))
  end
  return setmetatable({ url = url, port = tonumber(url:match(":(%d+)$")), pid = pid,
                        proc = proc }, Loopback)
end

function Loopback:stop()
  if not self.proc then return end
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  self.proc:close()
  self.proc = nil
  if self.dir then os.execute("rm -rf " .. sh_quote(self.dir)) end
end

function M.fetch(session, req, timeout_ms)
  local id = session:submit(req)
  local deadline = http.now() + (timeout_ms or HANG_MS)
  while http.now() < deadline do
    for _, c in ipairs(session:poll(100)) do
      if c.id == id then return c end
    end
  end
  error("loopback.fetch: no completion for " .. req.url)
end

local function get_json(self, path)
  local session = http.session()
  local c = M.fetch(session, { url = self.url .. path })
  session:close()
  assert(c.status == 200, "loopback " .. path .. ": " .. tostring(c.status or c.err))
  return json.decode(c.body)
end

function Loopback:stats(group)
  return get_json(self, group and "/stats?group=" .. group or "/stats")
end

local groups = 0
function Loopback:group()
  groups = groups + 1
  return ("g%d_%d"):format(self.port, groups)
end
function Loopback:reset_stats() return get_json(self, "/stats/reset") end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function command_exists(name)
  return os.execute("command -v " .. name .. " >/dev/null 2>&1") == true
end

-- stunnel terminating TLS on a free loopback port and forwarding to lb.
function M.start_tls(lb)
  if not command_exists("stunnel4") and not command_exists("stunnel") then
    return nil, "stunnel is not installed"
  end
  if not command_exists("openssl") then return nil, "openssl is not installed" end
  local p = assert(io.popen("mktemp -d /tmp/a0lua-tls-XXXXXX"))
  local dir = p:read("l")
  p:close()
  local key, cert = dir .. "/key.pem", dir .. "/cert.pem"
  local ok = os.execute(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=a0lua.test"
    .. " -addext subjectAltName=DNS:a0lua.test,IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1")
    :format(sh_quote(key), sh_quote(cert)))
  if ok ~= true then
    os.execute("rm -rf " .. sh_quote(dir))
    return nil, "openssl could not make a certificate"
  end
  local port = free_port()
  local conf = dir .. "/stunnel.conf"
  local f = assert(io.open(conf, "w"))
  f:write(("foreground = yes\npid =\noutput = %s/stunnel.log\n[https]\naccept = 127.0.0.1:%d\n"
    .. "connect = 127.0.0.1:%d\ncert = %s\nkey = %s\n"):format(dir, port, lb.port, cert, key))
  f:close()
  local bin = command_exists("stunnel4") and "stunnel4" or "stunnel"
  local proc, pid = spawn(bin .. " " .. sh_quote(conf) .. " >/dev/null 2>&1")
  local tls = setmetatable({ url = "https://127.0.0.1:" .. port, port = port, pid = pid,
                             proc = proc, ca_file = cert, dir = dir }, Loopback)
  local deadline = socket.gettime() + HANG_MS / 1000
  while socket.gettime() < deadline do
    local c = socket.connect("127.0.0.1", port)
    if c then
      c:close()
      return tls
    end
    socket.sleep(0.05)
  end
  tls:stop()
  return nil, "stunnel did not start"
end

return M
