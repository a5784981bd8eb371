-- a0lua.commands.emulate: `a0lua emulate`, the local tenant (see docs/emulator.md).
--
--   a0lua emulate [--host H] [--port N] [--state FILE] [--limits none|free|enterprise]
--                 [--latency MS[:JITTER_MS]] [--fail-rate P] [--drop-rate P] [--seed N]
--                 [--client-id ID] [--client-secret S] [--log FILE] [--build-delay SECONDS]
--                 [--request-log-bytes N] [--request-body-bytes N]
--                 [--client-public-key FILE [--client-key-alg RS256|RS384|PS256]]
--                 [--tenants N [--fleet-file PATH]]
--   a0lua emulate --state-from-recording FILE OUT
--
-- Prints "listening on http://HOST:PORT" once ready, then serves until POST /__emulator/shutdown
-- (exit 0) or a signal ends the process. Nothing is kept in buffers (the log is flushed per
-- line, the state lives in memory only), so SIGINT and SIGTERM lose nothing. A --host that is not
-- a loopback address gets a warning on stderr: the emulator has no real security.
-- --client-public-key registers FILE (an RSA public key or certificate in PEM) as the deploy
-- client's private_key_jwt credential, so a0deploy and a0lua with AUTH0_CLIENT_SIGNING_KEY_PATH
-- can get tokens without the secret (--client-key-alg: the credential's algorithm).
-- --tenants N serves tenants t1 .. tN from this one process, each at http://tK.localhost:PORT
-- with its own state, secret, rate limits and request log (a0lua.emulator.tenants); the other
-- options apply to each tenant. --fleet-file PATH writes the tenants' domains and credentials
-- (mode 0600) in the form `a0lua run fleet --tenants PATH` reads, before the listening line.
local json = require("a0lua.core.json")
local errors = require("a0lua.errors")

local M = {}

M.summary = "run a local, stateful Auth0 Management API (the emulator)"
M.usage = "a0lua emulate [--host H] [--port N] [--state FILE] [--limits none|free|enterprise]\n"
  .. "                     [--latency MS[:JITTER_MS]] [--fail-rate P] [--drop-rate P] "
  .. "[--seed N]\n"
  .. "                     [--client-id ID] [--client-secret S] [--log FILE] "
  .. "[--build-delay SECONDS]\n"
  .. "                     [--request-log-bytes N] [--request-body-bytes N]\n"
  .. "                     [--client-public-key FILE [--client-key-alg RS256|RS384|PS256]]\n"
  .. "                     [--tenants N [--fleet-file PATH]]\n"
  .. "       a0lua emulate --state-from-recording FILE OUT"

local function usage_error(message)
  error(errors.new("usage", "emulate: " .. message .. "\nusage: " .. M.usage), 0)
end

local function number_arg(name, value, min, max)
  local n = tonumber(value)
  if not n or (min and n < min) or (max and n > max) then
    usage_error(("%s needs a number%s, not %s"):format(name,
      min and max and (" in [%s, %s]"):format(min, max) or "", tostring(value)))
  end
  return n
end

local TAKES_VALUE = {
  ["--host"] = true, ["--port"] = true, ["--state"] = true, ["--limits"] = true,
  ["--latency"] = true, ["--fail-rate"] = true, ["--drop-rate"] = true, ["--seed"] = true,
  ["--client-id"] = true, ["--client-secret"] = true, ["--log"] = true,
  ["--build-delay"] = true, ["--request-log-bytes"] = true, ["--request-body-bytes"] = true,
  ["--client-public-key"] = true, ["--client-key-alg"] = true, ["--tenants"] = true,
  ["--fleet-file"] = true,
}

-- argv -> options table for emulator.new, plus the recording conversion when asked.
function M.parse(args)
  local o, i = {}, 1
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--state-from-recording" then
      o.recording, o.out = args[i + 1], args[i + 2]
      if not o.recording or not o.out then usage_error("--state-from-recording needs FILE OUT") end
      i = i + 3
    elseif TAKES_VALUE[name] then
      local v = inline
      if v == nil then
        v = args[i + 1]
        i = i + 1
      end
      if v == nil then usage_error(name .. " needs a value") end
      o[name:sub(3)] = v
      i = i + 1
    elseif name == "-h" or name == "--help" then
      o.help = true
      i = i + 1
    else
      usage_error("unknown argument " .. a)
    end
  end
  return o
end

function M.options(o)
  local opts = { host = o.host, state_file = o.state, client_id = o["client-id"],
                 client_secret = o["client-secret"] }
  if o.port then opts.port = math.tointeger(number_arg("--port", o.port, 0, 65535)) end
  if o.limits then
    if o.limits ~= "none" and o.limits ~= "free" and o.limits ~= "enterprise" then
      usage_error("--limits must be none, free or enterprise")
    end
    opts.limits = o.limits
  end
  if o.latency then
    local ms, jitter = o.latency:match("^([%d.]+):([%d.]+)$")
    ms = ms or o.latency
    opts.latency_ms = number_arg("--latency", ms, 0)
    opts.jitter_ms = jitter and number_arg("--latency jitter", jitter, 0) or 0
  end
  if o["fail-rate"] then opts.fail_rate = number_arg("--fail-rate", o["fail-rate"], 0, 1) end
  if o["drop-rate"] then opts.drop_rate = number_arg("--drop-rate", o["drop-rate"], 0, 1) end
  if o.seed then
    opts.seed = math.tointeger(number_arg("--seed", o.seed))
    if not opts.seed then usage_error("--seed needs an integer") end
  end
  if o["client-key-alg"] then
    local alg = o["client-key-alg"]
    if alg ~= "RS256" and alg ~= "RS384" and alg ~= "PS256" then
      usage_error("--client-key-alg must be RS256, RS384 or PS256")
    end
    if not o["client-public-key"] then usage_error("--client-key-alg needs --client-public-key") end
    opts.client_key_alg = alg
  end
  if o["client-public-key"] then
    local f, err = io.open(o["client-public-key"], "rb")
    if not f then usage_error("--client-public-key: " .. tostring(err)) end
    opts.client_public_key = f:read("a")
    f:close()
  end
  if o["build-delay"] then
    opts.build_delay = number_arg("--build-delay", o["build-delay"], 0)
  end
  for flag, key in pairs({ ["request-log-bytes"] = "max_logged_bytes",
                           ["request-body-bytes"] = "max_logged_body" }) do
    if o[flag] then
      opts[key] = math.tointeger(number_arg("--" .. flag, o[flag], 0))
      if not opts[key] then usage_error("--" .. flag .. " needs an integer") end
    end
  end
  if o.tenants then
    opts.tenants = math.tointeger(number_arg("--tenants", o.tenants, 1, 100000))
    if not opts.tenants then usage_error("--tenants needs an integer") end
  end
  if o["fleet-file"] then
    if not opts.tenants then usage_error("--fleet-file needs --tenants") end
    opts.fleet_file = o["fleet-file"]
  end
  return opts
end

-- Loopback: 127.0.0.0/8, ::1, localhost (a0lua.domain's test); no --host is 127.0.0.1.
function M.is_loopback(host)
  return require("a0lua.domain").is_loopback(host or "127.0.0.1")
end

M.EXPOSED_WARNING = "a0lua emulate: warning: --host %s is not a loopback address. The emulator "
  .. "has no real security: any client that reaches it with the printed client id and secret "
  .. "can change the tenant, and its admin endpoints (/__emulator/*: state, reset, shutdown) "
  .. "need no credentials at all."

-- The state converted from a recording can hold the recorded clients' secrets: 0600.
local function write_state(path, text)
  local ok, err = require("a0lua.core.fs").write(path, text .. "\n", { mode = 384 })
  if not ok then
    error(errors.new("emulate_write", tostring(err)), 0)
  end
end

local function convert(o)
  local recording = require("a0lua.emulator.recording")
  local entries, err = recording.read(o.recording)
  if not entries then error(err, 0) end
  local state = recording.to_state(entries)
  write_state(o.out, assert(json.encode(state, { pretty = true })))
  local n = 0
  for _ in pairs(state) do n = n + 1 end
  io.stdout:write(("wrote %d paths to %s\n"):format(n, o.out))
  return 0
end

-- `--tenants N`: the fleet behind one socket. The tenant options (all but host, port, the
-- client, the seed and the log) go to each tenant; t1 is made once here so that a bad option
-- (an unusable --client-public-key, a --state that is no state) stops the start.
local function fleet(opts)
  local tenants = require("a0lua.emulator.tenants")
  local per_tenant = {}
  for k, v in pairs(opts) do
    if k ~= "host" and k ~= "port" and k ~= "client_id" and k ~= "client_secret" and k ~= "seed"
        and k ~= "log" and k ~= "tenants" and k ~= "fleet_file" and k ~= "state_file" then
      per_tenant[k] = v
    end
  end
  if opts.state_file then
    -- Read once for all tenants (each copies it).
    local state, err = require("a0lua.emulator").read_state_file(opts.state_file)
    if not state then error(err, 0) end
    per_tenant.state = state
  end
  local f, err = tenants.new{ count = opts.tenants, host = opts.host, port = opts.port,
    client_id = opts.client_id, client_secret = opts.client_secret, seed = opts.seed,
    log = opts.log, tenant = per_tenant }
  if not f then error(err, 0) end
  local ok, terr = f:check()
  if not ok then
    f:close()
    error(terr, 0)
  end
  if opts.fleet_file then
    local written, werr = f:write_fleet_file(opts.fleet_file)
    if not written then
      f:close()
      error(errors.new("emulate_write", "--fleet-file: " .. tostring(werr)), 0)
    end
  end
  return f
end

-- The collector while serving: generational, not the incremental pace a0lua.cli sets for every
-- command. The emulator's heap is mostly its tenants' state, which lives as long as the process,
-- while a request's garbage dies young; an incremental cycle traverses all the state every time.
-- Measured for a fleet of 60 tenants (enterprise limits, 100 resources each), the emulator's CPU
-- for the import / the unchanged re-import and its peak RSS: incremental 110/400 12.2 s / 5.1 s,
-- 50 MB; incremental 200/300 7.3 s / 3.1 s, 109 MB; generational 6.1 s / 2.4 s, 73 MB. 200 such
-- tenants with one fleet run: 128 MB, 237 MB and 153 MB.
function M.use_serving_collector()
  collectgarbage("generational")
end

function M.run(args)
  local o = M.parse(args)
  if o.help then
    io.stdout:write("usage: ", M.usage, "\n")
    return 0
  end
  if o.recording then return convert(o) end
  local opts = M.options(o)
  M.use_serving_collector()
  local log_file
  if o.log then
    local err
    log_file, err = io.open(o.log, "a")
    if not log_file then
      error(errors.new("emulate_log", "--log: " .. tostring(err)), 0)
    end
    log_file:setvbuf("line")
    opts.log = function(line) log_file:write(line, "\n") end
  end
  local emu, err
  if opts.tenants then
    emu = fleet(opts)
  else
    emu, err = require("a0lua.emulator").new(opts)
    if not emu then error(err, 0) end
  end
  if not M.is_loopback(opts.host) then
    io.stderr:write(M.EXPOSED_WARNING:format(opts.host), "\n")
  end
  io.stdout:write("listening on ", emu:url(), "\n")
  if opts.tenants then
    io.stdout:write(("tenants: %d at http://t1.localhost:%d ... http://t%d.localhost:%d\n")
      :format(opts.tenants, emu:port(), opts.tenants, emu:port()))
  end
  io.stdout:flush()
  emu:run()
  emu:close()
  if log_file then log_file:close() end
  return 0
end

return M
