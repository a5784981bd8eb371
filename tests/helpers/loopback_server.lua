-- tests/helpers/loopback_server.lua: the loopback HTTP server the http and tasks specs talk to,
-- run in its own process by tests/helpers/loopback.lua:
--
--   lua5.4 tests/helpers/loopback_server.lua [lifetime_seconds]
--
-- prints "listening on http://127.0.0.1:PORT" and serves until GET /shutdown, SIGTERM, or the
-- lifetime (default 300 s) runs out, so a crashed spec never leaves it behind for long. Routes:
--   /echo            200, JSON {method, path, raw_query, query, headers, body, connection}
--   /status/<n>      status n, body "status n"
--   /delay/<ms>      answers "delayed <ms>" after ms milliseconds (other requests go on);
--                    with ?group=NAME it counts in group NAME (see /stats)
--   /gate/<n>?group=NAME[&ms=M]   counts in group NAME like /delay, and answers "opened <n>"
--                    only once n requests of the group were in flight at the same time (from
--                    then on, at once), M ms after that (default 0); after 60 s without that,
--                    504 "gate: k of n". A spec proves with it that n requests run side by
--                    side, whatever the machine's load; M keeps them in flight a while after,
--                    so that more than n at once would show in max_in_flight.
--   /drop            closes the connection without an answer
--   /big/<bytes>     a body of that many bytes: "0123456789abcdef" repeated
--   /headers         repeated (X-Multi twice, Set-Cookie twice) and mixed-case headers
--   /slow            answers after 30 s (for client timeouts)
--   /stats           JSON of the server's counters (connections, max_active, requests,
--                    in_flight, max_in_flight, active); /stats/reset zeroes them first;
--                    /stats?group=NAME: { in_flight, max_in_flight, requests } of the delayed
--                    or gated requests of that group alone, unaffected by other specs' leftovers
--   /shutdown        answers, then the process exits
local root = (arg and arg[0] or ""):match("^(.-)tests/helpers/[^/]*$") or ""
package.path = root .. "lua/?.lua;" .. root .. "tests/?.lua;" .. package.path
-- The server waits on its sockets with a0lua.core.poll, built into build/lib.
package.cpath = root .. "build/lib/?.so;" .. package.cpath

local server = require("a0lua.emulator.server")
local socket = require("socket")
local json = require("helpers.loopback_json")

local lifetime = tonumber(arg and arg[1]) or 300
-- How long /gate waits for its requests: only a bound on a spec that hangs, never a race.
local GATE_HANG_S = 60
local srv
local groups = {}

local function text(status, body, headers)
  headers = headers or {}
  headers["Content-Type"] = headers["Content-Type"] or "text/plain"
  return { status = status, headers = headers, body = body }
end

-- Counts a request in its group (nil without one): requests, in_flight, max_in_flight.
local function enter_group(name)
  if not name then return nil end
  local g = groups[name] or { in_flight = 0, max_in_flight = 0, requests = 0 }
  groups[name] = g
  g.requests = g.requests + 1
  g.in_flight = g.in_flight + 1
  if g.in_flight > g.max_in_flight then g.max_in_flight = g.in_flight end
  return g
end

local function handler(req)
  local path = req.path
  if path == "/echo" then
    return { status = 200, headers = { ["Content-Type"] = "application/json" },
             body = json.encode{
               method = req.method, path = req.path, raw_query = req.raw_query,
               query = req.query, headers = req.headers, body = req.body,
               connection = req.connection,
             } }
  end
  local n = path:match("^/status/(%d+)$")
  if n then return text(tonumber(n), "status " .. n) end
  local ms = path:match("^/delay/(%d+)$")
  if ms then
    local g = enter_group(req.query.group)
    server.sleep(tonumber(ms) / 1000)
    if g then g.in_flight = g.in_flight - 1 end
    return text(200, "delayed " .. ms)
  end
  local size = path:match("^/gate/(%d+)$")
  if size and req.query.group then
    local g, want = enter_group(req.query.group), tonumber(size)
    local deadline = socket.gettime() + GATE_HANG_S
    while g.max_in_flight < want and socket.gettime() < deadline do server.sleep(0.005) end
    if g.max_in_flight >= want then server.sleep((tonumber(req.query.ms) or 0) / 1000) end
    g.in_flight = g.in_flight - 1
    if g.max_in_flight < want then
      return text(504, ("gate: %d of %d"):format(g.max_in_flight, want))
    end
    return text(200, "opened " .. size)
  end
  if path == "/drop" then return { drop = true } end
  local bytes = path:match("^/big/(%d+)$")
  if bytes then
    bytes = tonumber(bytes)
    local unit = "0123456789abcdef"
    return text(200, unit:rep(bytes // #unit + 1):sub(1, bytes),
                { ["Content-Type"] = "application/octet-stream" })
  end
  if path == "/headers" then
    return text(200, "headers", {
      ["X-Multi"] = { "one", "two" },
      ["Set-Cookie"] = { "a=1", "b=2" },
      ["X-Mixed-CASE-Name"] = "Value With Case",
      ["x-lower"] = "lower",
    })
  end
  if path == "/slow" then
    server.sleep(30)
    return text(200, "slow")
  end
  if path == "/stats" and req.query.group then
    local g = groups[req.query.group] or { in_flight = 0, max_in_flight = 0, requests = 0 }
    return { status = 200, headers = { ["Content-Type"] = "application/json" },
             body = json.encode(g) }
  end
  if path == "/stats" or path == "/stats/reset" then
    if path == "/stats/reset" then srv:reset_stats() end
    local stats = srv:stats()
    stats.in_flight = stats.in_flight - 1 -- not counting this request
    return { status = 200, headers = { ["Content-Type"] = "application/json" },
             body = json.encode(stats) }
  end
  if path == "/shutdown" then
    srv:stop()
    return text(200, "bye", { Connection = "close" })
  end
  return text(404, "no route " .. path)
end

srv = assert(server.new{ host = "127.0.0.1", port = 0, handler = handler })
io.stdout:write("listening on ", srv:url(), "\n")
io.stdout:flush()
local deadline = socket.gettime() + lifetime
while not srv.stopped and socket.gettime() < deadline do srv:step(1) end
srv:close()
