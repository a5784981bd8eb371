--[[
a0lua.emulator: a stateful Auth0 Management API on loopback (`a0lua emulate`), usable in-process.

  local emulator = require("a0lua.emulator")
  local emu = assert(emulator.new{
    host = "127.0.0.1", port = 0,     -- port 0: any free port; listen = false: no socket at all
    state = { ["/clients"] = {...} }, -- or state_file = "tenant.json"; default: a fresh tenant
    limits = "none",                  -- "none" | "free" | "enterprise"
    latency_ms = 0, jitter_ms = 0, fail_rate = 0, drop_rate = 0, seed = nil,
    client_id = "...", client_secret = "...",   -- the client that may get tokens
    client_public_key = pem, client_key_alg = "RS256",  -- also by private-key JWT: its public
                                      -- key or certificate (PEM text), registered as a
                                      -- credential of that client in the initial state
    build_delay = 1,                  -- seconds an action stays "building"
    log = function(line) end,         -- one line per request (no bodies, no headers)
    error_log = function(msg) end,    -- handler errors; default io.stderr
    routes = nil, validate = nil,     -- default: a0lua.emulator.routes / .validate if present
    clock = nil,                      -- function() -> seconds; default socket.gettime
    sleep = nil,                      -- listen = false: how a delayed answer (latency) waits,
                                      -- e.g. the serving socket's server.sleep; default: no
                                      -- latency without a socket of its own
    max_logged = 10000,               -- request-log entries kept (the oldest go first)
    max_logged_bytes = 67108864,      -- request-log bytes kept (its entries' JSON text)
    max_logged_body = 65536,          -- a logged body's bytes; longer ones are cut, marked
  })
  emu:url() -> "http://127.0.0.1:PORT"    emu:port() -> PORT
  emu:run()                 serve until emu:stop()
  emu:step([timeout])       one turn of the server loop
  emu:stop()                make run() return        emu:close()  release the socket
  emu:handle(req) -> res    one request in-process (req as emulator.server gives it; no latency)
  emu:token() -> string     a token for the configured client, without an HTTP round trip
  emu:state() -> table      the live state (state-file format)
  emu:load(state) -> true | nil, err       replace it (the table is copied)
  emu:reset()               back to the state the emulator started with
  emu:requests() -> array   the request log (decoded)  emu:clear_requests()  (memory given back)
  emu:request_log()         the a0lua.emulator.requestlog itself

emulator.read_state_file(path) -> state | nil, err      a state file, as --state reads it

emulator.new returns nil, err ({code =, message =}) when the state file cannot be read, the
socket cannot listen, or client_public_key is not an RSA public key (code emulator_key); bad
options raise.
]]
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local socket = require("socket")
local server = require("a0lua.emulator.server")
local app = require("a0lua.emulator.app")
local auth = require("a0lua.emulator.auth")
local clients = require("a0lua.emulator.resources.clients")
local faults = require("a0lua.emulator.faults")
local ids = require("a0lua.emulator.ids")
local random = require("a0lua.emulator.random")
local ratelimit = require("a0lua.emulator.ratelimit")
local resources = require("a0lua.emulator.resources")
local requestlog = require("a0lua.emulator.requestlog")
local router = require("a0lua.emulator.router")
local secrets = require("a0lua.emulator.secrets")
local store = require("a0lua.emulator.store")
local values = require("a0lua.emulator.values")

local M = {}

M.DEFAULT_CLIENT_ID = "a0luaEmulatorDeployClient0000001"
M.DEFAULT_CLIENT_SECRET = "a0lua-emulator-client-secret"

local Emulator = {}
Emulator.__index = Emulator

local function optional_module(name)
  local ok, mod = pcall(require, name)
  if ok then return mod end
  if type(mod) == "string" and mod:find("module '" .. name .. "' not found", 1, true) then
    return nil
  end
  error(mod, 0)
end

function M.read_state_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, errors.new("emulator_state", "cannot read " .. tostring(err)) end
  local text = f:read("a")
  f:close()
  local value, derr = json.decode(text)
  if type(value) ~= "table" or json.is_array(value) then
    return nil, errors.new("emulator_state", ("%s: %s"):format(path,
      derr and tostring(derr) or "the state must be a JSON object of paths"))
  end
  return value
end

-- The template with its placeholders as "{}", the key the rate limiter groups by.
local function shape_key(template)
  return (template:gsub("{[^}]*}", "{}"))
end

local function build_router(spec_routes, bindings)
  local r = router.new()
  for _, route in ipairs(spec_routes or {}) do
    r:add(route.method, route.template, { spec = route, key = shape_key(route.template) })
  end
  for _, b in ipairs(bindings) do
    local entry = r:get(b.method, b.template)
    if not entry then
      entry = { key = shape_key(b.template) }
      r:add(b.method, b.template, entry)
    end
    b.names = router.names(b.template)
    entry.binding = b
  end
  return r
end

-- Routers built, by route table: the router is read-only once built and its bindings' handlers
-- take the emulator's ctx, so every emulator of a process (a fleet of tenants) shares one.
local routers = setmetatable({}, { __mode = "k" })
local NO_ROUTES = {}

local function shared_router(spec)
  local key = spec or NO_ROUTES
  local r = routers[key]
  if not r then
    r = build_router(spec and spec.routes, resources.bindings())
    routers[key] = r
  end
  return r
end

local function check_options(opts)
  if type(opts) ~= "table" then error("emulator.new: opts must be a table", 3) end
  local limits = opts.limits or "none"
  if limits ~= "none" and not ratelimit.PLANS[limits] then
    error("emulator.new: limits must be none, free or enterprise", 3)
  end
  for _, k in ipairs({ "fail_rate", "drop_rate" }) do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or v < 0 or v > 1) then
      error(("emulator.new: %s must be a number in [0, 1]"):format(k), 3)
    end
  end
  if opts.seed ~= nil and math.type(opts.seed) ~= "integer" then
    error("emulator.new: seed must be an integer", 3)
  end
  return limits
end

function M.new(opts)
  opts = opts or {}
  local limits = check_options(opts)
  local clock = opts.clock or socket.gettime
  local self = setmetatable({
    clock = clock, log_lines = opts.log,
    error_log = opts.error_log or function(msg) io.stderr:write(msg, "\n") end,
    requests_log = requestlog.new{ max_entries = opts.max_logged,
                                   max_bytes = opts.max_logged_bytes,
                                   max_body = opts.max_logged_body },
    redactor = secrets.new(resources.write_only()),
    listen_host = opts.host or "127.0.0.1", timers = {},
    client_id = opts.client_id or M.DEFAULT_CLIENT_ID,
    client_secret = opts.client_secret or M.DEFAULT_CLIENT_SECRET,
  }, Emulator)

  local initial
  if opts.state then
    initial = values.copy(opts.state)
  elseif opts.state_file then
    local err
    initial, err = M.read_state_file(opts.state_file)
    if not initial then return nil, err end
  end

  if opts.listen ~= false then
    -- Idle keep-alive connections are kept 10 minutes, not the server's default minute: a
    -- client whose event loop stalls longer than that (a0deploy validating a large tenant on a
    -- loaded machine) reuses a connection the server has closed meanwhile and fails with "other
    -- side closed". A test double can afford the open sockets.
    local srv, err = server.new{ host = opts.host or "127.0.0.1", port = opts.port or 0,
                                 handler = function(req) return self.handler(req) end,
                                 log = self.error_log, idle_timeout = 600 }
    if not srv then return nil, err end
    self.server = srv
    self.sleep = server.sleep
    self.domain = (opts.host or "127.0.0.1") .. ":" .. srv:port()
  else
    self.domain = (opts.host or "127.0.0.1") .. ":" .. tostring(opts.port or 0)
    self.sleep = opts.sleep
  end

  -- Separate generators, so ids and faults never shift each other's draws.
  local base = random.new(opts.seed)
  local id_rng = random.new(base:next())
  self.store = store.new({})
  self.ids = ids.new(id_rng)
  self.faults = faults.new{ latency_ms = opts.latency_ms, jitter_ms = opts.jitter_ms,
                            fail_rate = opts.fail_rate, drop_rate = opts.drop_rate,
                            seed = base:next() }
  self.limiter = ratelimit.new(limits, clock)
  self.auth = auth.new{ client_id = self.client_id, client_secret = self.client_secret,
                        store = self.store, rng = random.new(base:next()), clock = clock,
                        domain = self.domain }
  self.ctx = {
    store = self.store, ids = self.ids, clock = clock,
    now = function() return ids.now_iso(clock()) end,
    later = function(seconds, fn) self:schedule(seconds, fn) end,
    config = { build_delay = opts.build_delay or 1, client_id = self.client_id,
               client_secret = self.client_secret, domain = self.domain },
  }

  local spec = opts.routes or optional_module("a0lua.emulator.routes")
  self.validate = opts.validate
  if self.validate == nil and spec and not opts.routes then
    self.validate = optional_module("a0lua.emulator.validate")
  end
  self.router = shared_router(spec)

  self.initial = initial or resources.fresh_state(self.ctx)
  self:load(self.initial)
  if opts.client_public_key then
    local _, kerr = clients.register_public_key(self.ctx, self.client_id, opts.client_public_key,
      opts.client_key_alg)
    if kerr then
      self:close()
      return nil, errors.new("emulator_key", "--client-public-key: " .. kerr)
    end
    -- A reset goes back to the tenant with the key registered.
    self.initial = values.copy(self.store:state())
  end
  self.handler = app.new(self)
  return self
end

function Emulator:url()
  if self.server then return self.server:url() end
  return "http://" .. self.domain
end

function Emulator:port()
  return self.server and self.server:port()
end

function Emulator:run()
  if not self.server then error("emulator: started with listen = false", 2) end
  self.server:run()
end

function Emulator:step(timeout)
  if not self.server then error("emulator: started with listen = false", 2) end
  self.server:step(timeout)
end

function Emulator:stop()
  if self.server then self.server:stop() end
end

function Emulator:close()
  if self.server then self.server:close() end
end

function Emulator:handle(req)
  req.headers = req.headers or {}
  req.query = req.query or {}
  req.body = req.body or ""
  req.raw_path = req.raw_path or req.path
  req.target = req.target or req.path
  return self.handler(req)
end

function Emulator:token()
  local _, body = self.auth:token({
    headers = { ["content-type"] = "application/json" },
    body = json.encode({ grant_type = "client_credentials", client_id = self.client_id,
                         client_secret = self.client_secret,
                         audience = "https://" .. self.domain .. "/api/v2/" }),
  })
  return body.access_token
end

-- Timers: state changes due later (an action's build). They run, in order, before a request is
-- handled and before the state is read, so nothing needs a clock of its own.
function Emulator:schedule(seconds, fn)
  local timers = self.timers
  timers[#timers + 1] = { at = self.clock() + seconds, fn = fn }
end

function Emulator:run_timers()
  local timers = self.timers
  if #timers == 0 then return end
  local now = self.clock()
  local due, keep = {}, {}
  for _, t in ipairs(timers) do
    if t.at <= now then due[#due + 1] = t else keep[#keep + 1] = t end
  end
  if #due == 0 then return end
  self.timers = keep
  table.sort(due, function(a, b) return a.at < b.at end)
  for _, t in ipairs(due) do t.fn() end
end

function Emulator:state()
  self:run_timers()
  return self.store:state()
end

function Emulator:load(state)
  if type(state) ~= "table" or json.is_array(state) then
    return nil, errors.new("emulator_state", "the state must be a JSON object of paths")
  end
  for key in pairs(state) do
    if type(key) ~= "string" or key:sub(1, 1) ~= "/" then
      return nil, errors.new("emulator_state", ("state key %s is not a path"):format(
        tostring(key)))
    end
  end
  self.timers = {}
  self.store:replace(values.copy(state))
  resources.normalize(self.ctx)
  return true
end

function Emulator:reset()
  self:load(self.initial)
end

function Emulator:record(entry, seconds, raw_query)
  self.requests_log:add(entry, entry.body)
  if self.log_lines then
    self.log_lines(("%s %s %s%s %d%s %.1fms"):format(os.date("!%Y-%m-%dT%H:%M:%SZ"),
      entry.method, entry.path, raw_query and ("?" .. raw_query) or "", entry.status,
      entry.dropped and (" dropped-" .. entry.dropped) or "", seconds * 1000))
  end
end

function Emulator:request_log()
  return self.requests_log
end

function Emulator:requests()
  return self.requests_log:entries()
end

function Emulator:clear_requests()
  self.requests_log:clear()
end

return M
