--[[
a0lua.emulator.server: a small HTTP/1.1 server on LuaSocket, one coroutine per connection. It is
the core of `a0lua emulate` and of the tests' loopback server.

  local server = require("a0lua.emulator.server")
  local srv = assert(server.new{
    host = "127.0.0.1",           -- default "127.0.0.1"
    port = 0,                     -- default 0: any free port; srv:port() says which
    handler = function(req) return { status = 200, headers = {}, body = "hi" } end,
    -- limits (optional; the defaults are shown):
    max_request_line = 8192,      -- bytes; longer gets 400 and the connection closes
    max_header_bytes = 65536,     -- the whole header block (and chunked trailers); over: 431
    max_headers = 100,            -- header lines; more: 431
    max_body = 16777216,          -- request body bytes; more: 413
    max_connections = 2048,       -- open connections, and never within 64 of the process's
                                  -- limit on descriptors (poll.fd_limit); more wait in the listen
                                  -- backlog (none is closed to make room: a client may have just
                                  -- sent on it)
    idle_timeout = 60,            -- seconds a keep-alive connection may wait for a request
    io_timeout = 30,              -- seconds a started request (or a response) may stall
    log = function(msg) end,      -- where handler errors go; default io.stderr
  })
  srv:port() -> number            srv:url() -> "http://127.0.0.1:PORT"
  srv:run()                       serve until srv:stop() (from a handler) is called
  srv:step([timeout])             one turn of the loop: wait at most timeout seconds (nil: until
                                  something happens), handle what is ready, return
  srv:stop()                      make run() return after the current turn
  srv:close()                     close the listening socket and every connection (idempotent)
  srv:stats() -> { connections =, active =, max_active =, requests =, in_flight =,
                   max_in_flight = }      totals since start or the last reset_stats()
  srv:reset_stats()               zero the totals; the peaks restart from the current values
  server.sleep(seconds)           inside a handler: let other connections run meanwhile
  server.decode(s [, plus])       percent-decoding (plus = true: "+" is a space, as in forms)
  server.parse_query(raw)         "a=1&b=x+y&a=2" -> { a = { "1", "2" }, b = "x y" }

server.new returns nil, err ({code = "server_listen", message =}) when it cannot listen.

The handler gets req = { method =, target = (as sent), path = (percent-decoded), raw_path =,
query = { name = value } (decoded; a repeated name gives an array of its values),
raw_query = (nil when absent), version = "HTTP/1.1", headers = { lower-case name = value }
(repeated headers joined with ", "), body = (string, "" when none), connection = (the
connection's number, counting from 1), remote = "ip:port" }. It returns
{ status = (default 200), headers = { name = value or { values } } (names as given),
body = (string, or an array of strings sent one after another without being joined first, so a
large answer made of strings the handler keeps anyway costs no copy; default ""),
close = (true: close after answering) }, or { drop = true } to close
the connection without answering. A handler that raises gets a 500 and the message is logged.
Content-Length is always computed by the server; HEAD, 1xx, 204 and 304 answers carry no body.

Requests: Content-Length and chunked bodies, "Expect: 100-continue", keep-alive (HTTP/1.1 by
default, HTTP/1.0 with "Connection: keep-alive"), pipelined requests answered in order. A
connection is served by one coroutine; a handler may call server.sleep (never from a nested
coroutine of its own). Clock: socket.gettime() (wall clock). The sockets are LuaSocket's; their
descriptors are registered with an epoll set (a0lua.core.poll's watcher), one-shot, each time a
connection waits for its socket, and the deadlines are kept in a heap (a0lua.emulator.deadlines):
a turn costs what its ready connections cost, not what the open ones do.
]]
local deadlines = require("a0lua.emulator.deadlines")
local errors = require("a0lua.errors")
local request_head = require("a0lua.emulator.head")
local poll = require("a0lua.core.poll")
local socket = require("socket")

local M = {}

local NAME = "a0lua.emulator.server"   -- in the messages of connections that failed

local DEFAULTS = {
  max_request_line = 8192,
  max_header_bytes = 65536,
  max_headers = 100,
  max_body = 16 * 1024 * 1024,
  max_connections = 2048,
  idle_timeout = 60,
  io_timeout = 30,
}

-- RFC 9110's token: methods and header field names.
local TCHAR = "[%w!#$%%&'*+%-.^_`|~]"
local TOKEN = "^" .. TCHAR .. "+$"

local BLOCK = 16384
local SMALL_BODY = 65536
local READ, WRITE, SLEEP = "read", "write", "sleep"

local REASONS = {
  [100] = "Continue", [101] = "Switching Protocols", [200] = "OK", [201] = "Created",
  [202] = "Accepted", [204] = "No Content", [206] = "Partial Content",
  [301] = "Moved Permanently", [302] = "Found", [303] = "See Other", [304] = "Not Modified",
  [307] = "Temporary Redirect", [308] = "Permanent Redirect", [400] = "Bad Request",
  [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [408] = "Request Timeout", [409] = "Conflict",
  [411] = "Length Required", [413] = "Content Too Large", [414] = "URI Too Long",
  [415] = "Unsupported Media Type", [422] = "Unprocessable Content",
  [429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
  [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout",
  [505] = "HTTP Version Not Supported",
}

-- coroutine -> connection, so server.sleep knows whom it is called for.
local serving = setmetatable({}, { __mode = "k" })

local Server = {}
Server.__index = Server

-- Suspends the connection's coroutine until its socket is ready (READ, WRITE) or, for SLEEP,
-- until `seconds` have passed. Waiting for the socket arms its one-shot registration: the
-- event is reported once and the descriptor is silent again (while it sleeps, too) until the
-- next wait.
local function wait(conn, what, seconds)
  local srv = conn.server
  conn.wait = what
  srv.deadlines:set(conn, socket.gettime() + seconds)
  if what ~= SLEEP then
    local ok, err = srv.watcher:arm(conn.fd, what == READ and poll.READ or poll.WRITE, true)
    if not ok then error(err.message, 0) end
  end
  coroutine.yield()
end

-- The next bytes from the socket (at most max), waiting for them; nil, err when it closed.
local function recv(conn, max)
  while true do
    local data, err, partial = conn.sock:receive(max)
    if data then return data end
    if partial and partial ~= "" then return partial end
    if err ~= "timeout" then return nil, err end
    wait(conn, READ, conn.idle and conn.server.opts.idle_timeout or conn.server.opts.io_timeout)
  end
end

-- conn.buf holds the bytes received; those before conn.pos are consumed. Reading moves pos
-- instead of copying the rest of the buffer for every line of a request head.
local function consumed(conn, pos)
  if pos > #conn.buf then
    conn.buf, conn.pos = "", 1
  else
    conn.pos = pos
  end
end

-- One line without its CRLF (or LF). nil, "too_long" past limit bytes; nil, err on close.
local function read_line(conn, limit)
  while true do
    local buf, pos = conn.buf, conn.pos
    local i = buf:find("\n", pos, true)
    if i then
      local last = (i > pos and buf:byte(i - 1) == 13) and i - 2 or i - 1
      if last - pos + 1 > limit then return nil, "too_long" end
      consumed(conn, i + 1)
      return buf:sub(pos, last)
    end
    if #buf - pos + 1 > limit + 1 then return nil, "too_long" end
    local chunk, err = recv(conn, BLOCK)
    if not chunk then return nil, err end
    conn.idle = false
    conn.buf = (pos > 1 and buf:sub(pos) or buf) .. chunk
    conn.pos = 1
  end
end

-- Exactly n bytes, appended to the array parts; nil, err on close.
local function read_exact(conn, n, parts)
  if n == 0 then return true end
  local buf, pos = conn.buf, conn.pos
  local have = #buf - pos + 1
  if have >= n then
    parts[#parts + 1] = buf:sub(pos, pos + n - 1)
    consumed(conn, pos + n)
    return true
  end
  if have > 0 then
    parts[#parts + 1] = pos > 1 and buf:sub(pos) or buf
    n = n - have
  end
  conn.buf, conn.pos = "", 1
  while n > 0 do
    local chunk, err = recv(conn, math.min(n, BLOCK))
    if not chunk then return nil, err end
    parts[#parts + 1] = chunk
    n = n - #chunk
  end
  return true
end

local function send_all(conn, data)
  local i, n = 1, #data
  while i <= n do
    local last, err, partial = conn.sock:send(data, i)
    if last then
      i = last + 1
    elseif err == "timeout" then
      i = partial + 1
      if i <= n then wait(conn, WRITE, conn.server.opts.io_timeout) end
    else
      return nil, err
    end
  end
  return true
end

local function decode(s, plus)
  if plus then s = s:gsub("+", " ") end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
M.decode = decode

-- "a=1&b=x+y&a=2" -> { a = { "1", "2" }, b = "x y" }
local function parse_query(raw)
  local query = {}
  for pair in raw:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=(.*)$")
    if not k then k, v = pair, "" end
    k, v = decode(k, true), decode(v, true)
    local old = query[k]
    if old == nil then
      query[k] = v
    elseif type(old) == "table" then
      old[#old + 1] = v
    else
      query[k] = { old, v }
    end
  end
  return query
end
M.parse_query = parse_query

local function has_token(value, token)
  if not value then return false end
  for t in value:lower():gmatch("[^,%s]+") do
    if t == token then return true end
  end
  return false
end

-- Request parsing, in the order a request arrives. Each step returns what it read, or nil,
-- status: the status to answer before closing (400, 413, 431, 501, 505), or nil when the peer
-- closed or went silent.

-- The request line's method, target and version (read_request has marked the connection idle).
local function read_request_line(conn, opts)
  local line, err = read_line(conn, opts.max_request_line)
  -- Leading empty lines before a request are tolerated (RFC 9112, 2.2).
  while line == "" do line, err = read_line(conn, opts.max_request_line) end
  if not line then return nil, err == "too_long" and 400 or nil end
  conn.idle = false
  local method, target, version = line:match("^(%S+) (%S+) (HTTP/%d%.%d)$")
  if not method or not method:match(TOKEN) then return nil, 400 end
  if version ~= "HTTP/1.1" and version ~= "HTTP/1.0" then return nil, 505 end
  return method, target, version
end

-- A field line's name and its value without the blanks around it (RFC 9112's
-- "name: value"), or nil when the name is no token. Found by position: a pattern with a lazy
-- value and trailing blanks tried the end at every byte of a long value (a bearer token).
local function split_field(line)
  local colon = line:find(":", 1, true)
  if not colon then return nil end
  local name = line:sub(1, colon - 1)
  if not name:find(TOKEN) then return nil end
  local first = line:find("[^ \t]", colon + 1)
  if not first then return name, "" end
  local last = #line
  local b = line:byte(last)
  while b == 32 or b == 9 do
    last = last - 1
    b = line:byte(last)
  end
  return name, line:sub(first, last)
end

-- Field lines up to the empty line, within `budget` bytes (each line with its CRLF) and at most
-- max_lines lines. With `headers`, each line must be a field and is added to it (a repeated
-- name joined with ", "); without, the lines are read and ignored (chunked trailers). Returns
-- the budget left.
local function read_fields(conn, budget, max_lines, headers)
  local count = 0
  while true do
    local line, err = read_line(conn, budget)
    if not line then return nil, err == "too_long" and 431 or nil end
    if line == "" then return budget end
    budget = budget - #line - 2
    count = count + 1
    if count > max_lines or budget < 0 then return nil, 431 end
    if headers then
      local name, value = split_field(line)
      if not name then return nil, 400 end -- also obsolete line folding
      name = name:lower()
      local old = headers[name]
      headers[name] = old and (old .. ", " .. value) or value
    end
  end
end

-- The request as the handler gets it, body still empty.
local function new_request(conn, method, target, version, headers)
  local raw_path, raw_query = target, nil
  local q = target:find("?", 1, true)
  if q then raw_path, raw_query = target:sub(1, q - 1), target:sub(q + 1) end
  local absolute = raw_path:match("^[hH][tT][tT][pP][sS]?://[^/]*(.*)$")
  if absolute then raw_path = absolute ~= "" and absolute or "/" end
  return {
    method = method, target = target, version = version, headers = headers,
    raw_path = raw_path, path = decode(raw_path), raw_query = raw_query,
    query = raw_query and parse_query(raw_query) or {},
    connection = conn.id, remote = conn.remote, body = "",
  }
end

-- Sends "100 Continue" when an HTTP/1.1 client waits for it before sending the body.
local function continue_if_expected(conn, req)
  local expect = req.headers.expect
  if expect and expect:lower() == "100-continue" and req.version == "HTTP/1.1" then
    if not send_all(conn, "HTTP/1.1 100 Continue\r\n\r\n") then return nil end
  end
  return true
end

-- A chunked body into parts, then its trailers (within what the head left of the budget).
local function read_chunked_body(conn, opts, req, budget, parts)
  if req.headers["transfer-encoding"]:lower():match("^%s*(.-)%s*$") ~= "chunked" then
    return nil, 501
  end
  if not continue_if_expected(conn, req) then return nil end
  local total = 0
  while true do
    local line, err = read_line(conn, 1024)
    if not line then return nil, err == "too_long" and 400 or nil end
    local hex, rest = line:match("^(%x+)(.*)$")
    if not hex or #hex > 8 or not (rest == "" or rest:match("^[ \t]*;")) then
      return nil, 400
    end
    local size = tonumber(hex, 16)
    if size == 0 then break end
    total = total + size
    if total > opts.max_body then return nil, 413 end
    if not read_exact(conn, size, parts) then return nil end
    line = read_line(conn, 0)
    if line ~= "" then return nil, 400 end
  end
  local left, status = read_fields(conn, budget, math.huge)
  if not left then return nil, status end
  req.headers["transfer-encoding"] = nil
  return true
end

-- A body of Content-Length bytes into parts.
local function read_sized_body(conn, opts, req, parts)
  local cl = req.headers["content-length"]
  if not cl:match("^%d+$") or #cl > 15 then return nil, 400 end
  local n = tonumber(cl)
  if n > opts.max_body then return nil, 413 end
  if n > 0 and not continue_if_expected(conn, req) then return nil end
  if not read_exact(conn, n, parts) then return nil end
  return true
end

-- Reads the request head and body. Returns req, or nil, status (answer it and close), or nil
-- when the peer closed or went silent.
local function read_request(conn)
  local opts = conn.server.opts
  conn.idle = true
  if conn.pos > #conn.buf then
    -- What read_line would do first: the next bytes, with the idle timeout.
    local chunk = recv(conn, BLOCK)
    if not chunk then return nil end
    conn.idle = false
    conn.buf, conn.pos = chunk, 1
  end
  -- A head that has arrived whole is read in one pass; the line reader takes any other.
  local method, target, version, headers, budget, after =
    request_head.parse(conn.buf, conn.pos, opts)
  local status
  if method then
    conn.idle = false
    consumed(conn, after)
  else
    method, target, version = read_request_line(conn, opts)
    if not method then return nil, target end
    headers = {}
    budget, status = read_fields(conn, opts.max_header_bytes, opts.max_headers, headers)
    if not budget then return nil, status end
  end
  local req = new_request(conn, method, target, version, headers)
  local parts, ok = {}, true
  if headers["transfer-encoding"] then
    ok, status = read_chunked_body(conn, opts, req, budget, parts)
  elseif headers["content-length"] then
    ok, status = read_sized_body(conn, opts, req, parts)
  end
  if not ok then return nil, status end
  req.body = table.concat(parts)
  return req
end

-- The head, then the pieces: small ones are gathered up to SMALL_BODY bytes per send, large
-- ones sent as they are (never joined into one string).
local function send_pieces(conn, head, pieces)
  local buf, size = { head }, #head
  for i = 1, #pieces do
    local piece = pieces[i]
    if size + #piece > SMALL_BODY and size > 0 then
      if not send_all(conn, table.concat(buf)) then return nil end
      buf, size = {}, 0
    end
    if #piece > SMALL_BODY then
      if not send_all(conn, piece) then return nil end
    else
      buf[#buf + 1] = piece
      size = size + #piece
    end
  end
  if size > 0 then return send_all(conn, table.concat(buf)) end
  return true
end

-- Response header names already found to be tokens, with their lower case: a handler answers
-- with the same few names request after request, each checked and lowered once. Bounded, for a
-- handler that makes up names.
local known_names, nknown = {}, 0
local MAX_KNOWN_NAMES = 256

local function lower_name(name)
  local lower = known_names[name]
  if lower then return lower end
  lower = tostring(name):lower()
  if type(name) == "string" and name:match(TOKEN)
      and nknown < MAX_KNOWN_NAMES then
    known_names[name] = lower
    nknown = nknown + 1
  end
  return lower
end

local function check_field(name, value)
  if not known_names[name] and not tostring(name):match(TOKEN) then
    error("response header name is not a token: " .. tostring(name), 0)
  end
  if tostring(value):find("[\r\n%z]") then
    error("response header " .. name .. " contains CR, LF or NUL", 0)
  end
end

-- The length of a response body (a string or an array of strings); raises on any other.
local function body_length(body)
  if type(body) == "string" then return #body end
  if type(body) ~= "table" then
    error("response body must be a string or an array of strings", 0)
  end
  local length = 0
  for i = 1, #body do
    if type(body[i]) ~= "string" then error("response body pieces must be strings", 0) end
    length = length + #body[i]
  end
  return length
end

-- Appends the handler's header lines to head, sorted by name, leaving out the framing ones the
-- server computes. Returns keep, false when a Connection header asks to close.
local function add_header_lines(head, headers, keep)
  local names, n, strings = {}, 0, true
  for name in pairs(headers) do
    n = n + 1
    names[n] = name
    if type(name) ~= "string" then strings = false end
  end
  if strings then
    table.sort(names)
  else
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  end
  for i = 1, n do
    local name = names[i]
    local lower = lower_name(name)
    local value = headers[name]
    if lower == "connection" then
      if has_token(tostring(value), "close") then keep = false end
    elseif lower ~= "content-length" and lower ~= "transfer-encoding" then
      if type(value) ~= "table" then
        check_field(name, value)
        head[#head + 1] = tostring(name) .. ": " .. tostring(value) .. "\r\n"
      else
        for _, v in ipairs(value) do
          check_field(name, v)
          head[#head + 1] = tostring(name) .. ": " .. tostring(v) .. "\r\n"
        end
      end
    end
  end
  return keep
end

-- Sends the head (an array of strings) and the body: a small body in the same send.
local function send_head_and_body(conn, head, body, length)
  if type(body) == "table" then return send_pieces(conn, table.concat(head), body) end
  if length <= SMALL_BODY then
    head[#head + 1] = body
    return send_all(conn, table.concat(head))
  end
  return send_all(conn, table.concat(head)) and send_all(conn, body)
end

-- Serialises and sends a response. Returns whether the connection stays open.
local function write_response(conn, req, res, keep)
  local status = math.tointeger(res.status or 200)
  if not status or status < 100 or status > 999 then error("bad response status", 0) end
  local body = res.body or ""
  local length = body_length(body)
  if res.close then keep = false end
  local head = { ("HTTP/1.1 %d %s\r\n"):format(status, REASONS[status] or "Status") }
  keep = add_header_lines(head, res.headers or {}, keep)
  local bodiless = status < 200 or status == 204 or status == 304
  if not bodiless then head[#head + 1] = ("Content-Length: %d\r\n"):format(length) end
  if not keep then
    head[#head + 1] = "Connection: close\r\n"
  elseif req.version == "HTTP/1.0" then
    head[#head + 1] = "Connection: keep-alive\r\n"
  end
  head[#head + 1] = "\r\n"
  if bodiless or req.method == "HEAD" then body, length = "", 0 end
  return send_head_and_body(conn, head, body, length) and keep
end

local function send_status(conn, status)
  local reason = REASONS[status] or "Error"
  local body = status .. " " .. reason .. "\n"
  send_all(conn, ("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
    .. "Connection: close\r\n\r\n%s"):format(status, reason, #body, body))
end

local function wants_keep_alive(req)
  local c = req.headers.connection
  if req.version == "HTTP/1.0" then return has_token(c, "keep-alive") end
  return not has_token(c, "close")
end

-- The body of a connection's coroutine: requests in order until one side closes.
local function serve(conn)
  local srv = conn.server
  local stats = srv.counters
  while true do
    local req, status = read_request(conn)
    if not req then
      if status then send_status(conn, status) end
      return
    end
    stats.requests = stats.requests + 1
    stats.in_flight = stats.in_flight + 1
    if stats.in_flight > stats.max_in_flight then stats.max_in_flight = stats.in_flight end
    local ok, res = xpcall(srv.handler, debug.traceback, req)
    stats.in_flight = stats.in_flight - 1
    if ok and type(res) ~= "table" then
      ok, res = false, "handler returned " .. type(res) .. ", not a table"
    end
    if not ok then
      srv.log((NAME .. ": %s %s: %s"):format(req.method, req.target, tostring(res)))
      res = { status = 500, headers = { ["Content-Type"] = "text/plain" },
              body = "internal server error\n", close = true }
    end
    if res.drop then return end
    local sent, keep = pcall(write_response, conn, req, res, wants_keep_alive(req))
    if not sent then
      srv.log((NAME .. ": %s %s: %s"):format(req.method, req.target, tostring(keep)))
      send_status(conn, 500)
      return
    end
    if not keep then return end
  end
end

--- server.new(opts) -> srv | nil, err
function M.new(opts)
  if type(opts) ~= "table" then error("server.new: opts must be a table", 2) end
  if type(opts.handler) ~= "function" then error("server.new: handler must be a function", 2) end
  local o = {}
  for k, v in pairs(DEFAULTS) do
    local given = opts[k]
    if given ~= nil and (type(given) ~= "number" or given < 0) then
      error("server.new: " .. k .. " must be a number >= 0", 2)
    end
    o[k] = given or v
  end
  -- the descriptors kept for the listening socket, the state and log files and stdio
  o.max_connections = math.max(1, math.min(o.max_connections, poll.fd_limit() - 64))
  local host, port = opts.host or "127.0.0.1", opts.port or 0
  local sock, err = socket.tcp()
  if not sock then return nil, errors.new("server_listen", "socket: " .. tostring(err)) end
  sock:setoption("reuseaddr", true)
  local ok
  ok, err = sock:bind(host, port)
  if ok then ok, err = sock:listen(128) end
  if not ok then
    sock:close()
    return nil, errors.new("server_listen",
      ("cannot listen on %s:%s: %s"):format(host, port, err))
  end
  sock:settimeout(0)
  local watcher
  watcher, err = poll.watcher()
  if not watcher then
    sock:close()
    return nil, errors.new("server_listen", tostring(err.message))
  end
  local log = opts.log or function(msg) io.stderr:write(msg, "\n") end
  local srv = setmetatable({
    opts = o, handler = opts.handler, log = log, host = host, sock = sock,
    conns = {}, nconns = 0, next_id = 0, stopped = false,
    watcher = watcher, listening = false, by_fd = {}, deadlines = deadlines.new(),
    polled = {}, due = {}, ready_ids = {}, ready_by_id = {}, turn = 0,
    fd = math.tointeger(sock:getfd()),
  }, Server)
  srv:reset_stats()
  return srv
end

function Server:port()
  local _, port = self.sock:getsockname()
  return tonumber(port)
end

function Server:url()
  return ("http://%s:%d"):format(self.host:find(":", 1, true) and "[" .. self.host .. "]"
    or self.host, self:port())
end

function Server:stats()
  local c = {}
  for k, v in pairs(self.counters) do c[k] = v end
  c.active = self.nconns
  return c
end

function Server:reset_stats()
  local c = self.counters or { in_flight = 0 }
  self.counters = {
    connections = 0, requests = 0, in_flight = c.in_flight, max_in_flight = c.in_flight,
    max_active = self.nconns,
  }
end

local function drop(self, conn)
  if self.conns[conn] then
    self.conns[conn] = nil
    self.nconns = self.nconns - 1
    self.deadlines:remove(conn)
    if self.by_fd[conn.fd] == conn then self.by_fd[conn.fd] = nil end
    self.watcher:disarm(conn.fd)
    conn.sock:close()
  end
end

-- The connection's deadline stays in the heap until its next wait moves it (or drop removes it).
local function resume(self, conn, ...)
  conn.wait = nil
  local ok, err = coroutine.resume(conn.co, ...)
  if not ok then
    self.log(NAME .. ": connection " .. conn.id .. ": " .. debug.traceback(conn.co, err))
    drop(self, conn)
  elseif coroutine.status(conn.co) == "dead" then
    drop(self, conn)
  elseif not conn.wait then
    self.log(NAME .. ": connection " .. conn.id .. ": a handler yielded outside server.sleep")
    drop(self, conn)
  end
end

local function accept(self)
  while self.nconns < self.opts.max_connections do
    local sock = self.sock:accept()
    if not sock then return end
    sock:settimeout(0)
    sock:setoption("tcp-nodelay", true)
    local ip, port = sock:getpeername()
    self.next_id = self.next_id + 1
    local conn = { sock = sock, fd = math.tointeger(sock:getfd()), buf = "", pos = 1,
                   id = self.next_id, server = self,
                   remote = tostring(ip) .. ":" .. tostring(port) }
    conn.co = coroutine.create(serve)
    serving[conn.co] = conn
    self.conns[conn] = true
    self.by_fd[conn.fd] = conn
    self.nconns = self.nconns + 1
    local c = self.counters
    c.connections = c.connections + 1
    if self.nconns > c.max_active then c.max_active = self.nconns end
    resume(self, conn, conn)
  end
end

-- The listening socket is in the epoll set (level-triggered) while there is room for another
-- connection; when max_connections are open, new ones wait in the listen backlog.
local function watch_listener(self)
  local room = self.nconns < self.opts.max_connections
  if room == self.listening then return end
  local ok, err
  if room then
    ok, err = self.watcher:arm(self.fd, poll.READ, false)
  else
    ok, err = self.watcher:disarm(self.fd)
  end
  if not ok then error("server: " .. tostring(err.message), 0) end
  self.listening = room
end

-- How long the next wait may last: until the soonest deadline of any connection, or timeout.
local function wait_limit(self, timeout, now)
  local soonest = timeout
  if soonest and soonest < 0 then soonest = nil end
  local at = self.deadlines:soonest()
  if at and (not soonest or at - now < soonest) then soonest = at - now end
  if soonest and soonest < 0 then soonest = 0 end
  return soonest
end

-- Resumes the ready connections in the order of their numbers, as a turn always has. Sorting
-- the numbers themselves compares in C, where a comparison function was a Lua call for each.
local function resume_in_order(self, ready)
  local n = #ready
  local ids, by_id = self.ready_ids, self.ready_by_id
  for i = 1, n do
    local conn = ready[i]
    ids[i] = conn.id
    by_id[conn.id] = conn
  end
  for i = n + 1, #ids do ids[i] = nil end
  table.sort(ids)
  for i = 1, n do
    local conn = by_id[ids[i]]
    by_id[ids[i]] = nil
    if self.conns[conn] then resume(self, conn) end
  end
end

-- Waits at most `limit` seconds for a socket to be ready. Returns whether the listening socket
-- has a connection to accept, and appends to ready the connections whose socket is ready; each
-- of those is stamped with the turn, so that the silent ones can be told from them.
local function poll_ready(self, limit, ready)
  local count = self.watcher:wait(limit, self.polled) or 0
  local polled, by_fd, turn = self.polled, self.by_fd, self.turn
  local listening = false
  for i = 1, count do
    local fd = polled[i]
    if fd == self.fd then
      listening = true
    else
      local conn = by_fd[fd]
      if conn then
        conn.ready_turn = turn
        ready[#ready + 1] = conn
      end
    end
  end
  return listening
end

--- srv:step([timeout]): one turn of the loop.
function Server:step(timeout)
  if not self.sock then error("server: closed", 2) end
  self.turn = self.turn + 1
  watch_listener(self)
  local ready = {}
  local listening = poll_ready(self, wait_limit(self, timeout, socket.gettime()), ready)
  local now = socket.gettime()
  -- The deadlines passed, taken before accept so that only connections that waited count.
  local due = self.due
  local ndue = self.deadlines:due(now, due)
  if listening then accept(self) end
  for i = 1, ndue do
    local conn = due[i]
    if conn.wait == SLEEP then
      ready[#ready + 1] = conn
    elseif conn.ready_turn ~= self.turn then
      -- Silent for too long (idle keep-alive or a stalled request).
      drop(self, conn)
    end
  end
  resume_in_order(self, ready)
end

--- srv:run(): serve until srv:stop().
function Server:run()
  self.stopped = false
  while not self.stopped and self.sock do self:step() end
end

function Server:stop()
  self.stopped = true
end

function Server:close()
  for conn in pairs(self.conns) do drop(self, conn) end
  if self.sock then
    self.sock:close()
    self.sock = nil
    self.watcher:close()
  end
  self.stopped = true
end

--- server.sleep(seconds): inside a handler, yields this connection for `seconds`.
function M.sleep(seconds)
  local conn = serving[coroutine.running()]
  if not conn then error("server.sleep: called outside a request handler", 2) end
  if type(seconds) ~= "number" or seconds < 0 then
    error("server.sleep: seconds must be a number >= 0", 2)
  end
  wait(conn, SLEEP, seconds)
end

return M
