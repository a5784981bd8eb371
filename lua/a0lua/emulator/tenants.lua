--[[
a0lua.emulator.tenants: many emulated tenants behind one socket (`a0lua emulate --tenants N`).

  local tenants = require("a0lua.emulator.tenants")
  local fleet = assert(tenants.new{
    count = 200,                      -- tenants t1 .. t200
    host = "127.0.0.1", port = 0,     -- where the one socket listens
    client_id = "...",                -- every tenant's deploy client id
    client_secret = "...",            -- the base secret (default: random, new in each process)
    tenant = { limits =, latency_ms =, state =, ... },  -- emulator.new options for each tenant
    seed = nil,                       -- tenant i gets seed + i (nil: random)
    log = function(line) end,         -- one line per request, the tenant's name first
    error_log = function(msg) end,    -- default io.stderr
  })
  fleet:port()  fleet:url()           the bare address, "http://127.0.0.1:PORT"
  fleet:names() -> { "t1", ... }      fleet:domain(name) -> "t1.localhost:PORT"
  fleet:secret(name) -> the tenant's client secret
  fleet:tenants_list() -> the fleet file's array (secrets included)
  fleet:write_fleet_file(path) -> true | nil, err       that array as JSON, mode 0600
  fleet:tenant(name) -> emulator      the tenant's a0lua.emulator (made on first use)
  fleet:check() -> true | nil, err    whether the tenant options make a tenant (nothing kept)
  fleet:free(name)                    drop a tenant's state; its next request starts it afresh
  fleet:counters() -> { tenants =, live =, requests =, rate_limited =, connections =,
                       per_tenant = {...} }   (connections: accepted since the start)
  fleet:handle(req) -> res            the server's handler
  fleet:run()  fleet:step([timeout])  fleet:stop()  fleet:close()

The Host header picks the tenant: tN.localhost:PORT (lower case, N without leading zeros, the
listening port; the port may be left out only when it is 80). Each tenant is an a0lua.emulator
made with listen = false on the first request for its host, so memory grows with the tenants
used; the routes, validators and router are shared. Each has its own state, tokens, rate limit
buckets, faults (latency waits through the server's sleep) and request log. Its secret is
sha256(base secret, "\n", name) in hex, so one tenant's credentials get no token from another,
and a token is only valid at the tenant that issued it.

/__emulator/* at a tenant's host are that tenant's admin endpoints (a0lua.emulator.admin), plus
DELETE /__emulator/tenant (free its state -> 204); POST /__emulator/shutdown stops the whole
process. The bare address (127.0.0.1, localhost or [::1] with the port) serves only
GET /__emulator/fleet (the counters), POST /__emulator/fleet/refill (every tenant's rate-limit
buckets full again -> 204) and POST /__emulator/shutdown; any other request there, and
any request for a host that is no tenant, gets 404 with errorCode "unknown_tenant" naming the
hosts to use. A request with an Origin header that is not http:// and the host it was sent to
gets 403 "forbidden_origin" from the admin endpoints (web pages are kept out; this is no
authentication, see docs/emulator.md).
]]
local admin = require("a0lua.emulator.admin")
local emulator = require("a0lua.emulator")
local errors = require("a0lua.emulator.errors")
local json = require("a0lua.core.json")
local server = require("a0lua.emulator.server")

local M = {}

local JSON_TYPE = "application/json; charset=utf-8"
local MAX_TENANTS = 100000

local Fleet = {}
Fleet.__index = Fleet

local function reply(status, body)
  local text = body ~= nil and assert(json.encode(body)) or ""
  return { status = status, headers = { ["Content-Type"] = JSON_TYPE }, body = text }
end

local function hex(bytes)
  return (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- A base secret for a process that was given none: random, so that secrets are not guessable.
local function random_secret()
  return hex(require("a0lua.core.crypto").random(32))
end

function M.derive_secret(base, name)
  return hex(require("a0lua.core.crypto").sha256(base .. "\n" .. name))
end

function M.new(opts)
  if type(opts) ~= "table" then error("tenants.new: opts must be a table", 2) end
  local count = opts.count
  if math.type(count) ~= "integer" or count < 1 or count > MAX_TENANTS then
    error(("tenants.new: count must be an integer in [1, %d]"):format(MAX_TENANTS), 2)
  end
  if opts.seed ~= nil and math.type(opts.seed) ~= "integer" then
    error("tenants.new: seed must be an integer", 2)
  end
  local self = setmetatable({
    count = count, tenant_opts = opts.tenant or {}, seed = opts.seed,
    client_id = opts.client_id or emulator.DEFAULT_CLIENT_ID,
    base_secret = opts.client_secret or random_secret(),
    log_lines = opts.log,
    error_log = opts.error_log or function(msg) io.stderr:write(msg, "\n") end,
    listen_host = opts.host or "127.0.0.1",
    live = {}, nlive = 0, counts = {}, secrets = {},
    total = { requests = 0, rate_limited = 0 },
  }, Fleet)
  -- Idle keep-alive connections are kept 10 minutes, as a single emulator's are.
  local srv, err = server.new{ host = self.listen_host, port = opts.port or 0,
    handler = function(req) return self:handle(req) end, log = self.error_log,
    idle_timeout = 600, max_connections = opts.max_connections }
  if not srv then return nil, err end
  self.server = srv
  -- Asked once: every request's Host is checked against it (getsockname is a system call).
  self.listen_port = srv:port()
  self.own_hosts = admin.own_hosts(self.listen_host, self.listen_port)
  return self
end

function Fleet:port() return self.listen_port end
function Fleet:url() return self.server:url() end
function Fleet:run() self.server:run() end
function Fleet:step(timeout) self.server:step(timeout) end
function Fleet:stop() self.server:stop() end
function Fleet:close() self.server:close() end

function Fleet:names()
  local out = {}
  for i = 1, self.count do out[i] = "t" .. i end
  return out
end

function Fleet:domain(name)
  local port = self:port()
  return name .. ".localhost" .. (port == 80 and "" or (":" .. port))
end

function Fleet:secret(name)
  local s = self.secrets[name]
  if not s then
    s = M.derive_secret(self.base_secret, name)
    self.secrets[name] = s
  end
  return s
end

-- The tenant a Host header names, or nil.
function Fleet:tenant_of(host)
  local digits, port = host:match("^t([1-9]%d*)%.localhost(.*)$")
  if not digits or #digits > 6 then return nil end
  local n = tonumber(digits)
  if n > self.count then return nil end
  local own = self:port()
  if port ~= ":" .. own and not (port == "" and own == 80) then return nil end
  return "t" .. digits
end

function Fleet:tenants_list()
  local out = json.array()
  for i, name in ipairs(self:names()) do
    out[i] = { name = name, AUTH0_DOMAIN = "http://" .. self:domain(name),
               AUTH0_CLIENT_ID = self.client_id, AUTH0_CLIENT_SECRET = self:secret(name) }
  end
  return out
end

-- The file holds every tenant's secret: 0600, written whole or not at all.
function Fleet:write_fleet_file(path)
  local text = assert(json.encode(self:tenants_list(), { pretty = true }))
  return require("a0lua.core.fs").write(path, text .. "\n", { mode = 384 })
end

-- A new emulator for the tenant name (not yet served).
function Fleet:make(name)
  local opts = {}
  for k, v in pairs(self.tenant_opts) do opts[k] = v end
  local index = tonumber(name:sub(2))
  opts.listen = false
  opts.host = name .. ".localhost"
  opts.port = self:port()
  opts.client_id = self.client_id
  opts.client_secret = self:secret(name)
  opts.sleep = server.sleep
  opts.error_log = self.error_log
  if self.seed then opts.seed = self.seed + index end
  if self.log_lines then
    local log = self.log_lines
    opts.log = function(line) log(name .. " " .. line) end
  end
  local emu, err = emulator.new(opts)
  if not emu then error(err, 0) end
  return emu
end

-- Makes one tenant and throws it away: true, or nil, err when the tenant options cannot make
-- a tenant (an unusable client_public_key), so that a start can fail before serving.
function Fleet:check()
  local ok, err = pcall(self.make, self, "t1")
  if ok then return true end
  return nil, err
end

function Fleet:tenant(name)
  local emu = self.live[name]
  if emu then return emu end
  emu = self:make(name)
  self.live[name] = emu
  self.nlive = self.nlive + 1
  if not self.counts[name] then self.counts[name] = { requests = 0, rate_limited = 0 } end
  return emu
end

function Fleet:free(name)
  if self.live[name] then
    self.live[name] = nil
    self.nlive = self.nlive - 1
  end
end

function Fleet:counters()
  local per = {}
  for _, name in ipairs(self:names()) do
    local c = self.counts[name]
    if c then
      per[#per + 1] = { name = name, live = self.live[name] ~= nil, requests = c.requests,
                        rate_limited = c.rate_limited }
    end
  end
  return { tenants = self.count, live = self.nlive, requests = self.total.requests,
           rate_limited = self.total.rate_limited, connections = self.server:stats().connections,
           per_tenant = json.array(per) }
end

local function is_admin_path(path)
  return path == "/__emulator" or path:sub(1, 12) == "/__emulator/"
end

-- The 403 for an admin request from a web page (an Origin other than the host itself), or nil.
local function origin_refusal(req, host)
  local origin = req.headers.origin
  if not origin or origin:lower() == "http://" .. host then return nil end
  return reply(403, errors.body(403, ("the admin endpoints refuse requests from web pages "
    .. "(Origin '%s')"):format(origin), "forbidden_origin"))
end

function Fleet:unknown(host)
  local port = self:port()
  return reply(404, errors.body(404, ("no tenant at Host %s: this emulator serves %d tenant%s "
    .. "at http://t1.localhost:%d ... http://t%d.localhost:%d (the Host header picks the "
    .. "tenant); http://127.0.0.1:%d answers only /__emulator/fleet, /__emulator/fleet/refill and "
    .. "/__emulator/shutdown")
    :format(host ~= "" and ("'" .. host .. "'") or "absent", self.count,
      self.count == 1 and "" or "s", port, self.count, port, port), "unknown_tenant"))
end

-- The bare address: the fleet's own endpoints.
function Fleet:handle_bare(req, host)
  local path = req.path
  if not is_admin_path(path) then return self:unknown(host) end
  local refused = origin_refusal(req, host)
  if refused then return refused end
  if req.method == "GET" and path == "/__emulator/fleet" then
    return reply(200, self:counters())
  elseif req.method == "POST" and path == "/__emulator/fleet/refill" then
    for _, emu in pairs(self.live) do emu.limiter:fill() end
    return reply(204)
  elseif req.method == "POST" and path == "/__emulator/shutdown" then
    return self:shutdown()
  end
  return self:unknown(host)
end

function Fleet:shutdown()
  self:stop()
  local res = reply(204)
  res.close = true
  return res
end

function Fleet:handle_admin(name, req, host)
  local refused = origin_refusal(req, host)
  if refused then return refused end
  if req.path == "/__emulator/tenant" and req.method == "DELETE" then
    self:free(name)
    return reply(204)
  elseif req.path == "/__emulator/shutdown" and req.method == "POST" then
    return self:shutdown()
  end
  return admin.handle(self:tenant(name), req)
end

function Fleet:handle(req)
  local host = (req.headers.host or ""):lower()
  local name = self:tenant_of(host)
  if not name then
    if self.own_hosts[host] then return self:handle_bare(req, host) end
    return self:unknown(host)
  end
  if is_admin_path(req.path) then return self:handle_admin(name, req, host) end
  local res = self:tenant(name):handle(req)
  local c, total = self.counts[name], self.total
  local path = req.path
  if path == "/oauth/token" or path == "/api/v2" or path:sub(1, 8) == "/api/v2/" then
    c.requests = c.requests + 1
    total.requests = total.requests + 1
    if res.status == 429 then
      c.rate_limited = c.rate_limited + 1
      total.rate_limited = total.rate_limited + 1
    end
  end
  return res
end

return M
