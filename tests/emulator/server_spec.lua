-- a0lua.emulator.server, driven in-process: the spec steps the server itself while raw LuaSocket
-- clients (non-blocking) write requests byte for byte and read what comes back. Loopback only.
local server = require("a0lua.emulator.server")
local poll = require("a0lua.core.poll")
local socket = require("socket")

-- Steps srv until cond() is true; false when `seconds` (default 60: only a bound on a hang, so
-- that a busy machine never fails a spec by being slow) passed first.
local function drive(srv, cond, seconds)
  local deadline = socket.gettime() + (seconds or 60)
  while not cond() do
    if socket.gettime() > deadline then return false end
    srv:step(0.005)
  end
  return true
end

local Client = {}
Client.__index = Client

local function connect(srv)
  local sock = assert(socket.connect("127.0.0.1", srv:port()))
  sock:settimeout(0)
  return setmetatable({ sock = sock, srv = srv, buf = "", closed = false }, Client)
end

function Client:send(data)
  local i = 1
  while i <= #data do
    local last, err, partial = self.sock:send(data, i)
    if last then
      i = last + 1
    elseif err == "timeout" then
      i = partial + 1
      self.srv:step(0.005)
    else
      error(err)
    end
  end
end

function Client:pump()
  local data, err, partial = self.sock:receive(65536)
  local chunk = data or partial
  if chunk and #chunk > 0 then self.buf = self.buf .. chunk end
  if err == "closed" then self.closed = true end
end

-- One complete response taken from the buffer, or nil.
function Client:parse(bodiless)
  local head_end = self.buf:find("\r\n\r\n", 1, true)
  if not head_end then return nil end
  local head = self.buf:sub(1, head_end - 1)
  local status = tonumber(head:match("^HTTP/1%.1 (%d%d%d) "))
  local headers = {}
  for name, value in head:gmatch("\r\n([^:\r\n]+): ([^\r\n]*)") do
    local key = name:lower()
    headers[key] = headers[key] and headers[key] .. ", " .. value or value
  end
  local len = (bodiless or status < 200) and 0 or tonumber(headers["content-length"] or 0)
  if #self.buf < head_end + 3 + len then return nil end
  local body = self.buf:sub(head_end + 4, head_end + 3 + len)
  self.buf = self.buf:sub(head_end + 4 + len)
  return { status = status, headers = headers, body = body, head = head }
end

-- Drives the server until a whole response arrived; nil when the connection closed first.
function Client:response(bodiless)
  local res
  drive(self.srv, function()
    self:pump()
    res = self:parse(bodiless)
    return res ~= nil or self.closed
  end)
  return res
end

function Client:wait_closed(seconds)
  drive(self.srv, function()
    self:pump()
    return self.closed
  end, seconds)
  return self.closed
end

function Client:close() self.sock:close() end

local function echo(req)
  return {
    status = 200,
    headers = { ["Content-Type"] = "text/plain" },
    body = ("%s %s body=%s conn=%d"):format(req.method, req.path, req.body, req.connection),
  }
end

describe("a0lua.emulator.server", function()
  local srv, clients

  local function start(opts)
    opts = opts or {}
    opts.handler = opts.handler or echo
    srv = assert(server.new(opts))
    return srv
  end

  local function client()
    local c = connect(srv)
    clients[#clients + 1] = c
    return c
  end

  before_each(function()
    clients = {}
  end)

  after_each(function()
    for _, c in ipairs(clients) do c:close() end
    if srv then srv:close() end
    srv = nil
  end)

  describe("server.new", function()
    it("listens on a free loopback port", function()
      start()
      assert.is_true(srv:port() > 0)
      assert.equals("http://127.0.0.1:" .. srv:port(), srv:url())
    end)

    it("returns nil and a server_listen error when the port is taken", function()
      start()
      local other, err = server.new{ port = srv:port(), handler = echo }
      assert.is_nil(other)
      assert.equals("server_listen", err.code)
      assert.matches("cannot listen", tostring(err))
    end)

    it("raises without a handler or with a bad limit", function()
      assert.has_error(function() server.new{} end, "server.new: handler must be a function")
      assert.has_error(function() server.new{ handler = echo, max_body = "big" } end,
        "server.new: max_body must be a number >= 0")
      assert.has_error(function() server.new() end)
    end)
  end)

  describe("the handler", function()
    it("gets method, decoded path and query, lower-case headers and the body", function()
      local got
      start{ handler = function(req)
        got = req
        return { body = "ok" }
      end }
      local c = client()
      c:send("POST /a%20b/c?x=1&y=two+words&x=2&flag&e=%C3%A9 HTTP/1.1\r\nHost: t\r\n"
        .. "X-Twice: one\r\nx-twice: two\r\nContent-Length: 5\r\n\r\nhello")
      local res = c:response()
      assert.equals(200, res.status)
      assert.equals("ok", res.body)
      assert.equals("POST", got.method)
      assert.equals("/a b/c", got.path)
      assert.equals("/a%20b/c", got.raw_path)
      assert.equals("x=1&y=two+words&x=2&flag&e=%C3%A9", got.raw_query)
      assert.same({ x = { "1", "2" }, y = "two words", flag = "", e = "é" }, got.query)
      assert.equals("one, two", got.headers["x-twice"])
      assert.equals("t", got.headers.host)
      assert.equals("hello", got.body)
      assert.equals("HTTP/1.1", got.version)
      assert.equals(1, got.connection)
    end)

    it("trims the blanks around a header value, keeping those inside it", function()
      local got = {}
      start{ handler = function(req) got[#got + 1] = req; return {} end }
      local c = client()
      c:send("GET / HTTP/1.1\r\nX-Spaced: \t a  b\t \t\r\nX-Empty:\r\nX-Blank: \t \r\n"
        .. "X-Tight:v:w\r\n\r\nGET /second HTTP/1.1\r\nX-N: 2\r\n\r\n")
      assert.equals(200, c:response().status)
      assert.equals(200, c:response().status)
      local h = got[1].headers
      assert.equals("a  b", h["x-spaced"])
      assert.equals("", h["x-empty"])
      assert.equals("", h["x-blank"])
      assert.equals("v:w", h["x-tight"])
      assert.equals("/second", got[2].path)
      assert.equals("2", got[2].headers["x-n"])
    end)

    it("gets an empty query table and a nil raw_query without a query string", function()
      local got
      start{ handler = function(req) got = req; return {} end }
      local c = client()
      c:send("GET http://example.test/abs HTTP/1.1\r\n\r\n")
      assert.equals(200, c:response().status)
      assert.same({}, got.query)
      assert.is_nil(got.raw_query)
      assert.equals("/abs", got.path)
      assert.equals("", got.body)
    end)

    it("sets response headers, repeating those given as arrays", function()
      start{ handler = function()
        return { status = 201, headers = { ["X-Multi"] = { "a", "b" }, ["X-Case"] = "Keep" },
                 body = "made" }
      end }
      local c = client()
      c:send("GET / HTTP/1.1\r\n\r\n")
      local res = c:response()
      assert.equals(201, res.status)
      assert.matches("\r\nX%-Multi: a\r\nX%-Multi: b", res.head)
      assert.matches("\r\nX%-Case: Keep", res.head)
      assert.equals("4", res.headers["content-length"])
    end)

    it("writes header lines sorted by name, and refuses a name that is no token", function()
      -- More names than the server remembers as checked: each answer's names are still checked.
      local bad = false
      start{ handler = function()
        local headers = {}
        for i = 1, 300 do headers[("X-H%03d"):format(i)] = tostring(i) end
        if bad then headers["X Bad"] = "1" end
        return { headers = headers }
      end, log = function() end }
      local c = client()
      c:send("GET / HTTP/1.1\r\n\r\n")
      local res = c:response()
      assert.equals(200, res.status)
      local names = {}
      for name in res.head:gmatch("\r\n(X%-H%d+):") do names[#names + 1] = name end
      assert.equals(300, #names)
      assert.equals("X-H001", names[1])
      assert.equals("X-H300", names[300])
      for i = 2, #names do assert.is_true(names[i - 1] < names[i]) end
      bad = true
      c:send("GET / HTTP/1.1\r\n\r\n")
      assert.equals(500, c:response().status)
    end)

    it("sends a body given as an array of strings in order, small and large pieces", function()
      local big = string.rep("b", 200000)
      start{ handler = function(req)
        if req.method == "HEAD" then return { body = { "ab", "c" } } end
        return { body = { "[", "x", ",", big, "]", "" } }
      end }
      local c = client()
      c:send("GET / HTTP/1.1\r\n\r\n")
      local res = c:response()
      assert.equals(200, res.status)
      assert.equals(tostring(#big + 4), res.headers["content-length"])
      assert.equals("[x," .. big .. "]", res.body)
      c:send("HEAD / HTTP/1.1\r\n\r\n")
      res = c:response(true)
      assert.equals("3", res.headers["content-length"])
      assert.equals("", res.body)
      c:send("GET /after HTTP/1.1\r\n\r\n")
      assert.equals(#big + 4, #c:response().body)
    end)

    it("answers 500 and logs when the handler raises", function()
      local logged = {}
      start{ handler = function() error("handler broke") end,
             log = function(msg) logged[#logged + 1] = msg end }
      local c = client()
      c:send("GET /x HTTP/1.1\r\n\r\n")
      local res = c:response()
      assert.equals(500, res.status)
      assert.matches("handler broke", logged[1])
      assert.is_true(c:wait_closed())
    end)

    it("answers 500 when the handler returns a header with CR or LF", function()
      start{ handler = function() return { headers = { ["X-Bad"] = "a\r\nInjected: 1" } } end,
             log = function() end }
      local c = client()
      c:send("GET / HTTP/1.1\r\n\r\n")
      local res = c:response()
      assert.equals(500, res.status)
      assert.is_nil(res.headers.injected)
    end)

    it("closes the connection without an answer on drop", function()
      start{ handler = function() return { drop = true } end }
      local c = client()
      c:send("GET /drop HTTP/1.1\r\n\r\n")
      assert.is_true(c:wait_closed())
      assert.equals("", c.buf)
    end)

    it("sends no body for HEAD and none, nor a length, for 204", function()
      start{ handler = function(req)
        if req.path == "/empty" then return { status = 204 } end
        return { body = "twelve bytes" }
      end }
      local c = client()
      c:send("HEAD / HTTP/1.1\r\n\r\n")
      local res = c:response(true)
      assert.equals("12", res.headers["content-length"])
      assert.equals("", res.body)
      c:send("GET /empty HTTP/1.1\r\n\r\n")
      res = c:response(true)
      assert.equals(204, res.status)
      assert.is_nil(res.headers["content-length"])
    end)
  end)

  describe("connections", function()
    it("keeps an HTTP/1.1 connection alive for the next request", function()
      start()
      local c = client()
      c:send("GET /one HTTP/1.1\r\n\r\n")
      local a = c:response()
      c:send("GET /two HTTP/1.1\r\n\r\n")
      local b = c:response()
      assert.equals("GET /one body= conn=1", a.body)
      assert.equals("GET /two body= conn=1", b.body)
      assert.is_false(c.closed)
    end)

    it("answers pipelined requests in order", function()
      start()
      local c = client()
      c:send("GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
        .. "GET /3 HTTP/1.1\r\n\r\n")
      assert.equals("GET /1 body= conn=1", c:response().body)
      assert.equals("POST /2 body=hi conn=1", c:response().body)
      assert.equals("GET /3 body= conn=1", c:response().body)
    end)

    it("closes after answering Connection: close or HTTP/1.0", function()
      start()
      local c = client()
      c:send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
      local res = c:response()
      assert.equals("close", res.headers.connection)
      assert.is_true(c:wait_closed())
      local d = client()
      d:send("GET / HTTP/1.0\r\n\r\n")
      assert.equals(200, d:response().status)
      assert.is_true(d:wait_closed())
    end)

    it("keeps an HTTP/1.0 connection alive when asked", function()
      start()
      local c = client()
      c:send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
      local res = c:response()
      assert.equals("keep-alive", res.headers.connection)
      c:send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
      assert.equals("GET /again body= conn=1", c:response().body)
    end)

    -- Past the descriptor limit accept fails and the listening socket stays ready on every turn:
    -- the cap keeps 64 descriptors of the limit free, whatever was asked.
    it("keeps max_connections 64 below the process's descriptor limit", function()
      local limit = poll.fd_limit()
      assert.is_true(limit > 64)
      assert.equals(math.min(2048, limit - 64), start().opts.max_connections)
      srv:close()
      assert.equals(limit - 64, start{ max_connections = limit + 10 }.opts.max_connections)
    end)

    -- A server that closed an idle keep-alive connection to make room would race a request the
    -- client has just sent on it; at the cap the new connection waits in the backlog instead.
    it("at max_connections, leaves a new connection waiting and closes none", function()
      start{ max_connections = 1 }
      local a = client()
      a:send("GET /a HTTP/1.1\r\n\r\n")
      assert.equals(200, a:response().status) -- a is now an idle keep-alive connection
      local b = client()
      b:send("POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi")
      assert.is_false(drive(srv, function() a:pump() b:pump() return a.closed or b.buf ~= "" end,
        0.3))
      a:send("GET /a2 HTTP/1.1\r\n\r\n")
      assert.equals("GET /a2 body= conn=1", a:response().body)
      a:close()
      assert.equals("POST /b body=hi conn=2", b:response().body)
    end)

    it("closes a keep-alive connection that stays idle past idle_timeout", function()
      start{ idle_timeout = 0.1 }
      local c = client()
      -- Timed from before the request: the idle time starts after the answer, however late the
      -- busy machine lets this spec read it.
      local t0 = socket.gettime()
      c:send("GET / HTTP/1.1\r\n\r\n")
      assert.equals(200, c:response().status)
      assert.is_true(c:wait_closed())
      assert.is_true(socket.gettime() - t0 >= 0.0999) -- 0.1 s, less what floats may round
    end)

    it("answers many delayed requests at once without blocking each other", function()
      -- Each handler sleeps until all five have started: served one at a time, none would end.
      local started = 0
      start{ handler = function(req)
        started = started + 1
        local deadline = socket.gettime() + 60
        while started < 5 and socket.gettime() < deadline do server.sleep(0.01) end
        return { body = ("late %s after %d"):format(req.path, started) }
      end }
      local cs = {}
      for i = 1, 5 do
        cs[i] = client()
        cs[i]:send("GET /" .. i .. " HTTP/1.1\r\n\r\n")
      end
      for i = 1, 5 do assert.equals("late /" .. i .. " after 5", cs[i]:response().body) end
      local stats = srv:stats()
      assert.equals(5, stats.max_in_flight)
      assert.equals(5, stats.max_active)
      assert.equals(5, stats.requests)
    end)
  end)

  describe("request bodies", function()
    it("decodes a chunked body and ignores trailers", function()
      start()
      local c = client()
      c:send("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        .. "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\n")
      assert.equals("POST /c body=hello world! conn=1", c:response().body)
      c:send("GET /next HTTP/1.1\r\n\r\n")
      assert.equals("GET /next body= conn=1", c:response().body)
    end)

    it("reads a Content-Length body sent in pieces", function()
      start()
      local c = client()
      c:send("PUT /p HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
      srv:step(0.01)
      c:send("56789")
      assert.equals("PUT /p body=0123456789 conn=1", c:response().body)
    end)

    it("sends 100 Continue to a client that expects it", function()
      start()
      local c = client()
      c:send("POST /e HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
      local interim = c:response()
      assert.equals(100, interim.status)
      c:send("abc")
      assert.equals("POST /e body=abc conn=1", c:response().body)
    end)

    it("rejects a malformed chunk size with 400", function()
      start()
      local c = client()
      c:send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
      assert.equals(400, c:response().status)
      assert.is_true(c:wait_closed())
    end)

    it("rejects an unknown transfer coding with 501", function()
      start()
      local c = client()
      c:send("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")
      assert.equals(501, c:response().status)
    end)
  end)

  describe("limits", function()
    it("answers 400 and closes when the request line is too long", function()
      start{ max_request_line = 100 }
      local c = client()
      c:send("GET /" .. ("a"):rep(200) .. " HTTP/1.1\r\n\r\n")
      assert.equals(400, c:response().status)
      assert.is_true(c:wait_closed())
    end)

    it("answers 431 and closes when the header block is too big", function()
      start{ max_header_bytes = 200 }
      local c = client()
      c:send("GET / HTTP/1.1\r\nX-Big: " .. ("b"):rep(300) .. "\r\n\r\n")
      assert.equals(431, c:response().status)
      assert.is_true(c:wait_closed())
    end)

    it("answers 431 when there are too many headers", function()
      start{ max_headers = 3 }
      local c = client()
      c:send("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")
      assert.equals(431, c:response().status)
    end)

    it("answers 413 when the body is too big", function()
      start{ max_body = 10 }
      local c = client()
      c:send("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n01234567890")
      assert.equals(413, c:response().status)
      assert.is_true(c:wait_closed())
    end)

    it("answers 400 to a malformed request and 505 to an unknown version", function()
      start()
      local c = client()
      c:send("NOT A REQUEST AT ALL\r\n\r\n")
      assert.equals(400, c:response().status)
      local d = client()
      d:send("GET / HTTP/2.0\r\n\r\n")
      assert.equals(505, d:response().status)
      local e = client()
      e:send("GET / HTTP/1.1\r\nBad Header\r\n\r\n")
      assert.equals(400, e:response().status)
      local f = client()
      f:send("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
      assert.equals(400, f:response().status)
    end)

    -- Every rejection of the request parser, one raw request each: the status it answers.
    local REJECTED = {
      { "a method that is not a token", 400, "GE(T / HTTP/1.1\r\n\r\n" },
      { "a request line without a version", 400, "GET /\r\n\r\n" },
      { "an obsolete folded header line", 400, "GET / HTTP/1.1\r\nA: 1\r\n  folded\r\n\r\n" },
      { "a header name with a space", 400, "GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n" },
      { "a Content-Length of 16 digits", 400,
        "POST / HTTP/1.1\r\nContent-Length: 0000000000000001\r\n\r\nx" },
      { "a Content-Length that is not a number", 400,
        "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nx" },
      { "a chunk size of 9 hex digits", 400,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n000000001\r\nx\r\n0\r\n\r\n" },
      { "a chunk size line over 1024 bytes", 400,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" .. ("e"):rep(1100) .. "\r\n" },
      { "a chunk size followed by text that is no extension", 400,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\nx\r\n0\r\n\r\n" },
      { "chunk data without its CRLF", 400,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n" },
      { "chunked data over max_body", 413,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n"
        .. "8\r\n01234567\r\n0\r\n\r\n" },
      { "trailers over what is left of max_header_bytes", 431,
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: "
        .. ("t"):rep(200) .. "\r\n\r\n" },
      { "a transfer coding list", 501,
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" },
      { "a version HTTP/1.2", 505, "GET / HTTP/1.2\r\n\r\n" },
    }
    for _, case in ipairs(REJECTED) do
      it("answers " .. case[2] .. " and closes on " .. case[1], function()
        start{ max_body = 10, max_header_bytes = 120 }
        local c = client()
        c:send(case[3])
        assert.equals(case[2], c:response().status)
        assert.is_true(c:wait_closed())
      end)
    end

    it("takes leading empty lines, trailers it ignores, and a chunked 100-continue", function()
      start{ max_header_bytes = 120 }
      local c = client()
      c:send("\r\n\r\nPOST /t HTTP/1.1\r\nTransfer-Encoding: Chunked \r\n"
        .. "Expect: 100-Continue\r\n\r\n")
      assert.equals(100, c:response().status)
      c:send("3\r\nabc\r\n0\r\nnot a field at all\r\n\r\n")
      assert.equals("POST /t body=abc conn=1", c:response().body)
    end)

    it("sends no 100 Continue for an empty body nor to HTTP/1.0", function()
      start()
      local c = client()
      c:send("POST /z HTTP/1.1\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n")
      assert.equals("POST /z body= conn=1", c:response().body)
      local d = client()
      d:send("POST /o HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi")
      assert.equals("POST /o body=hi conn=2", d:response().body)
    end)

    it("counts the header lines and bytes within their limits exactly", function()
      start{ max_headers = 2, max_header_bytes = 12 }
      local c = client()
      -- With their CRLF, "A: 1" and "B: 2" are 12 bytes, "A: 12" and "B: 3" 13: one over.
      c:send("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n")
      assert.equals(200, c:response().status)
      c:send("GET / HTTP/1.1\r\nA: 12\r\nB: 3\r\n\r\n")
      assert.equals(431, c:response().status)
      local d = client()
      d:send("GET / HTTP/1.1\r\nA:\r\nB:\r\nC:\r\n\r\n")
      assert.equals(431, d:response().status)
    end)
  end)

  describe("srv:step", function()
    it("waits at most the timeout when nothing happens", function()
      start()
      -- What the watcher is asked to wait is exact, where the time it took is not on a busy
      -- machine.
      local real, asked = srv.watcher, {}
      srv.watcher = setmetatable({
        wait = function(_, timeout, ready)
          asked[#asked + 1] = timeout
          return real:wait(timeout, ready)
        end,
      }, {
        __index = function(_, name) return function(_, ...) return real[name](real, ...) end end,
      })
      local t0 = socket.gettime()
      local ok, err = pcall(srv.step, srv, 0.05)
      local elapsed = socket.gettime() - t0
      srv.watcher = real
      assert(ok, err)
      assert.same({ 0.05 }, asked)
      assert.is_true(elapsed >= 0.04, "waited " .. elapsed .. " s")
    end)

    it("re-arms only the connection it serves, and keeps nothing for a closed one", function()
      start()
      local cs = {}
      for i = 1, 50 do
        cs[i] = client()
        cs[i]:send("GET /" .. i .. " HTTP/1.1\r\n\r\n")
        assert.equals(200, cs[i]:response().status)
      end
      assert.equals(50, srv.deadlines:size())
      local real, armed = srv.watcher, {}
      srv.watcher = setmetatable({
        arm = function(_, fd, ...)
          armed[#armed + 1] = fd
          return real:arm(fd, ...)
        end,
      }, {
        __index = function(_, name) return function(_, ...) return real[name](real, ...) end end,
      })
      cs[7]:send("GET /again HTTP/1.1\r\n\r\n")
      assert.equals(200, cs[7]:response().status)
      srv.watcher = real
      -- The answered connection waits for its next request: one registration changed, not 50.
      assert.equals(1, #armed)
      assert.equals(50, srv.deadlines:size())
      for _, c in ipairs(cs) do c:close() end
      assert.is_true(drive(srv, function() return srv:stats().active == 0 end))
      assert.equals(0, srv.deadlines:size())
      assert.is_nil(next(srv.by_fd))
    end)

    it("raises once the server is closed", function()
      start()
      srv:close()
      assert.has_error(function() srv:step(0) end, "server: closed")
    end)
  end)

  describe("srv:run", function()
    it("serves until a handler calls srv:stop", function()
      start{ handler = function(req)
        if req.path == "/stop" then srv:stop() end
        return { body = req.path }
      end }
      local c = client()
      c:send("GET /first HTTP/1.1\r\n\r\nGET /stop HTTP/1.1\r\n\r\n")
      srv:run()
      assert.equals("/first", c:response().body)
      assert.equals("/stop", c:response().body)
    end)
  end)

  describe("srv:close", function()
    it("closes the listening socket and every connection", function()
      start()
      local port = srv:port()
      local c = client()
      c:send("GET / HTTP/1.1\r\n\r\n")
      assert.equals(200, c:response().status)
      srv:close()
      srv:close()
      -- Wait (a minute at most, a bound on a hang) for the close to reach the client.
      local deadline = socket.gettime() + 60
      c:pump()
      while not c.closed and socket.gettime() < deadline do
        socket.select({ c.sock }, nil, 0.05)
        c:pump()
      end
      assert.is_true(c.closed)
      assert.is_nil(socket.connect("127.0.0.1", port))
    end)
  end)

  describe("srv:stats", function()
    it("counts connections and requests, and reset_stats zeroes the totals", function()
      start()
      local c = client()
      c:send("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
      c:response()
      c:response()
      local stats = srv:stats()
      assert.equals(1, stats.connections)
      assert.equals(2, stats.requests)
      assert.equals(1, stats.active)
      assert.equals(0, stats.in_flight)
      srv:reset_stats()
      stats = srv:stats()
      assert.equals(0, stats.connections)
      assert.equals(0, stats.requests)
      assert.equals(1, stats.max_active)
    end)
  end)

  describe("server.sleep", function()
    it("raises outside a handler", function()
      assert.has_error(function() server.sleep(0.01) end,
        "server.sleep: called outside a request handler")
    end)
  end)
end)
