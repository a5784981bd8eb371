-- tests/helpers/emulator.lua: `build/a0lua emulate` in a separate process, and a small client for
-- it, for the emulator specs and the e2e specs.
--
--   local emulator = require("helpers.emulator")
--   local emu = emulator.start{ args = { "--limits", "free" },   -- more command-line options
--                               state = { ["/roles"] = {...} } } -- written to a file: --state
--   emu.url, emu.port, emu.pid, emu.client_id, emu.client_secret
--   emu:token() -> access token (asked once, then cached)
--   emu:request(method, path [, { body =, headers =, token = false | string, raw = string }])
--     -> res { status =, headers =, body = (text), json = (decoded or nil) } | nil, err
--     path is below /api/v2 ("/clients"); body is encoded as JSON; raw is sent as is;
--     timeout_ms (default 60 s) only bounds a hang
--   emu:get(path [, opts])  emu:post(path, body [, opts])  emu:patch  emu:put  emu:delete
--   emu:http(method, full_path [, opts]) -> res     any path ("/oauth/token", "/__emulator/..")
--   emu:state() -> the state (GET /__emulator/state)      emu:requests() -> the request log
--   emu:writes() -> the requests of the log below /api/v2 that are not a GET
--   emu:reset()  emu:clear_requests()  emu:load(state)
--   emu:tenant() -> require("a0lua").connect(...) to this emulator, logging nothing
--   emu:cli(argv [, env]) -> status, stdout, stderr   build/a0lua with this emulator's domain
--                           and client in the environment
--   emu:stop()   SIGTERM, then reaps the process; idempotent. Call it from teardown / finally.
--   emulator.start returns the instance or raises with the emulator's stderr.
--   emulator.find(list, field, value) -> the first item of a state list (or an export's list)
--                           whose field equals value, or nil
local http = require("a0lua.core.http")
local leftovers = require("helpers.leftovers")
local json = require("a0lua.core.json")

local M = {}

-- How long a request to the emulator may take unless a spec says: only a bound on a hang, so
-- that a busy machine never fails a spec by being slow.
local HANG_MS = 60000

M.CLIENT_ID = "specClientId0000000000000000000X"
M.CLIENT_SECRET = "spec-client-secret"

local Emu = {}
Emu.__index = Emu

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function tmp_name()
  local p = assert(io.popen("mktemp /tmp/a0lua-emu-XXXXXX"))
  local name = p:read("l")
  p:close()
  leftovers.add("file", name)
  return name
end

function M.start(opts)
  opts = opts or {}
  local argv = { "build/a0lua", "emulate", "--port", "0",
                 "--client-id", opts.client_id or M.CLIENT_ID,
                 "--client-secret", opts.client_secret or M.CLIENT_SECRET }
  local state_file
  if opts.state then
    state_file = tmp_name()
    local f = assert(io.open(state_file, "wb"))
    f:write(assert(json.encode(opts.state)))
    f:close()
    argv[#argv + 1] = "--state"
    argv[#argv + 1] = state_file
  end
  for _, a in ipairs(opts.args or {}) do argv[#argv + 1] = a end
  local err_file = tmp_name()
  local words = {}
  for i, a in ipairs(argv) do words[i] = quote(a) end
  local cmd = "echo $$; exec " .. table.concat(words, " ") .. " 2>" .. quote(err_file)
  local proc = assert(io.popen("exec sh -c " .. quote(cmd), "r"))
  local pid = tonumber(proc:read("l"))
  if pid then leftovers.add("pid", pid) end
  local line = proc:read("l")
  local url = line and line:match("^listening on (http://[%d.]+:%d+)$")
  local self = setmetatable({
    proc = proc, pid = pid, url = url, err_file = err_file, state_file = state_file,
    client_id = opts.client_id or M.CLIENT_ID,
    client_secret = opts.client_secret or M.CLIENT_SECRET,
    session = http.session({ proxy = "" }),
  }, Emu)
  if not url then
    local err = self:stderr()
    self:stop()
    error("emulator did not start: " .. tostring(line) .. " " .. err, 2)
  end
  self.port = tonumber(url:match(":(%d+)$"))
  return self
end

-- Stops the process unless a spec already closed it (self.proc = nil), and always removes the
-- temporary files and closes the session.
function Emu:stop()
  if self.proc then
    if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
    self.proc:close()
    self.proc = nil
  end
  if self.pid then leftovers.done("pid", self.pid) end
  if self.session then
    self.session:close()
    self.session = nil
  end
  for _, field in ipairs({ "err_file", "state_file" }) do
    if self[field] then
      os.remove(self[field])
      leftovers.done("file", self[field])
      self[field] = nil
    end
  end
end

-- Whatever the emulator wrote to stderr so far.
function Emu:stderr()
  local f = self.err_file and io.open(self.err_file, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

function Emu:http(method, path, opts)
  opts = opts or {}
  local headers = {}
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  local body = opts.raw
  if opts.body ~= nil then
    body = assert(json.encode(opts.body))
    headers["Content-Type"] = headers["Content-Type"] or "application/json"
  end
  local id = self.session:submit({ method = method, url = self.url .. path, headers = headers,
                                   body = body, timeout_ms = opts.timeout_ms or HANG_MS })
  while true do
    for _, c in ipairs(self.session:poll(1000)) do
      if c.id == id then
        if c.err then return nil, c.err end
        c.json = (c.body ~= "" and json.decode(c.body)) or nil
        return c
      end
    end
  end
end

function Emu:token()
  if not self.cached_token then
    local res = assert(self:http("POST", "/oauth/token", { body = {
      grant_type = "client_credentials", client_id = self.client_id,
      client_secret = self.client_secret,
      audience = ("https://127.0.0.1:%d/api/v2/"):format(self.port),
    } }))
    assert(res.status == 200, "token: " .. tostring(res.body))
    self.cached_token = res.json.access_token
  end
  return self.cached_token
end

function Emu:request(method, path, opts)
  opts = opts or {}
  local o = { body = opts.body, raw = opts.raw, headers = {}, timeout_ms = opts.timeout_ms }
  for k, v in pairs(opts.headers or {}) do o.headers[k] = v end
  local token = opts.token
  if token == nil then token = self:token() end
  if token then o.headers.Authorization = "Bearer " .. token end
  return self:http(method, "/api/v2" .. path, o)
end

function Emu:get(path, opts) return self:request("GET", path, opts) end
function Emu:delete(path, opts) return self:request("DELETE", path, opts) end

for _, m in ipairs({ "post", "patch", "put" }) do
  Emu[m] = function(self, path, body, opts)
    opts = opts or {}
    opts.body = body
    return self:request(m:upper(), path, opts)
  end
end

-- Runs build/a0lua with this emulator's domain and client in the environment (plus env):
-- status, stdout, stderr.
function Emu:cli(argv, env)
  local all = { AUTH0_DOMAIN = self.url, AUTH0_CLIENT_ID = self.client_id,
    AUTH0_CLIENT_SECRET = self.client_secret, NO_COLOR = "1" }
  for k, v in pairs(env or {}) do all[k] = v end
  local words = { "build/a0lua" }
  for _, a in ipairs(argv) do words[#words + 1] = a end
  return require("helpers.run").run(words, { env = all })
end

function Emu:tenant()
  local log = require("a0lua.log")
  return assert(require("a0lua").connect({ AUTH0_DOMAIN = self.url,
    AUTH0_CLIENT_ID = self.client_id, AUTH0_CLIENT_SECRET = self.client_secret },
    { log = log.new{ level = "silent" } }))
end

function Emu:state()
  local res = assert(self:http("GET", "/__emulator/state"))
  return res.json
end

function Emu:requests()
  return assert(self:http("GET", "/__emulator/requests")).json
end

-- The writes of the request log: every request below /api/v2 but a GET.
function Emu:writes()
  local out = {}
  for _, r in ipairs(self:requests()) do
    if r.method ~= "GET" and r.path:sub(1, 8) == "/api/v2/" then out[#out + 1] = r end
  end
  return out
end

function Emu:clear_requests()
  return assert(self:http("DELETE", "/__emulator/requests")).status
end

function Emu:reset()
  return assert(self:http("POST", "/__emulator/reset")).status
end

function Emu:load(state)
  return assert(self:http("PUT", "/__emulator/state", { body = state })).status
end

function M.find(list, field, value)
  for _, item in ipairs(list or {}) do
    if item[field] == value then return item end
  end
  return nil
end

return M
