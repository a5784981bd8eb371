-- a0lua.core.http against the loopback test server (tests/helpers/loopback_server.lua), which runs
-- in its own process so session:poll can block. TLS runs through stunnel on loopback; those specs
-- are pending when stunnel or openssl is missing. No request leaves the loopback interface.
local http = require("a0lua.core.http")
local loopback = require("helpers.loopback")
local json = require("helpers.loopback_json")
local socket = require("socket")

local fetch = loopback.fetch

-- A loopback port nobody listens on (bound, then released).
local function closed_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- Polls until n completions arrived (or a minute passed: only a bound on a hang); returns them
-- by id.
local function collect(session, n)
  local by_id, count = {}, 0
  local deadline = http.now() + loopback.HANG_MS
  while count < n and http.now() < deadline do
    for _, c in ipairs(session:poll(100)) do
      by_id[c.id] = c
      count = count + 1
    end
  end
  return by_id, count
end

-- Sends 8 requests one after another through s, in turn to t1.localhost and t2.localhost at
-- port; closes s -> how many distinct connections served them.
local function connections_in_turn(s, port)
  local seen, distinct = {}, 0
  for i = 1, 8 do
    local url = ("http://t%d.localhost:%d/echo"):format(i % 2 + 1, port)
    local conn = json.decode(fetch(s, { url = url }).body).connection
    if not seen[conn] then distinct = distinct + 1 end
    seen[conn] = true
  end
  s:close()
  return distinct
end

describe("a0lua.core.http", function()
  local lb, session

  setup(function()
    lb = loopback.start()
  end)

  teardown(function()
    if lb then lb:stop() end
  end)

  before_each(function()
    session = http.session()
  end)

  after_each(function()
    session:close()
  end)

  describe("http.version", function()
    it("names the libcurl in use", function()
      assert.is_string(http.version)
      assert.matches("^libcurl/%d+%.%d+", http.version)
    end)
  end)

  describe("http.now", function()
    it("returns milliseconds that never go back", function()
      -- Read inside an interval timed by LuaSocket's clock (seconds): however long the busy
      -- machine makes it, http.now's difference is at most that interval in milliseconds.
      local outer0 = socket.gettime()
      local a = http.now()
      socket.sleep(0.02)
      local b = http.now()
      local outer = (socket.gettime() - outer0) * 1000
      assert.is_number(a)
      assert.is_true(b - a >= 15, "advanced " .. (b - a))
      assert.is_true(b - a <= outer + 1, ("advanced %.3f in %.3f ms"):format(b - a, outer))
    end)
  end)

  describe("http.session", function()
    it("returns an open session with nothing pending", function()
      assert.equals(0, session:pending())
      assert.matches("a0lua.http.session %(open", tostring(session))
    end)

    it("accepts every documented option", function()
      local s = http.session{
        ca_file = "/etc/ssl/certs/ca-certificates.crt", proxy = "", user_agent = "x/1",
        version = "1.0", max_connections = 4, connect_timeout_ms = 1000, timeout_ms = 5000,
        max_total_connections = 8, max_cached_connections = 6, insecure_loopback = false,
        resolve = { "a0lua.test:443:127.0.0.1" },
      }
      assert.equals(0, s:pending())
      s:close()
    end)

    it("sends a0lua/<version> as the user agent when given a version", function()
      local s = http.session{ version = "1.2.3" }
      local c = fetch(s, { url = lb.url .. "/echo" })
      s:close()
      assert.equals("a0lua/1.2.3", json.decode(c.body).headers["user-agent"])
    end)

    it("sends a0lua as the user agent without a version", function()
      local c = fetch(session, { url = lb.url .. "/echo" })
      assert.equals("a0lua", json.decode(c.body).headers["user-agent"])
    end)

    it("sends the user_agent option as given", function()
      local s = http.session{ user_agent = "custom/9", version = "1.2.3" }
      local c = fetch(s, { url = lb.url .. "/echo" })
      s:close()
      assert.equals("custom/9", json.decode(c.body).headers["user-agent"])
    end)

    it("applies timeout_ms to requests that set none", function()
      local s = http.session{ timeout_ms = 200 }
      local c = fetch(s, { url = lb.url .. "/slow" })
      s:close()
      assert.equals("http_timeout", c.err.code)
    end)

    it("raises on an unknown option", function()
      assert.has_error(function() http.session{ verify = false } end,
        "http.session: unknown option verify")
    end)

    it("raises on an option of the wrong type", function()
      assert.has_error(function() http.session{ insecure_loopback = "yes" } end)
      assert.has_error(function() http.session{ max_connections = 0 } end)
      assert.has_error(function() http.session{ max_total_connections = 0 } end)
      assert.has_error(function() http.session{ max_cached_connections = 2.5 } end)
      assert.has_error(function() http.session{ connect_timeout_ms = 1.5 } end)
      assert.has_error(function() http.session{ ca_file = 1 } end)
      assert.has_error(function() http.session{ resolve = "a:1:2" } end)
      assert.has_error(function() http.session("x") end)
    end)

    it("raises when resolve pins localhost", function()
      assert.has_error(function() http.session{ resolve = { "localhost:443:10.0.0.1" } } end,
        "http.session: resolve[1] may not pin localhost or a name under it")
    end)

    it("raises when resolve pins a name under .localhost", function()
      for _, entry in ipairs({ "t17.localhost:443:10.0.0.1", "+T1.LocalHost:80:10.0.0.1" }) do
        assert.has_error(function() http.session{ resolve = { entry } } end,
          "http.session: resolve[1] may not pin localhost or a name under it")
      end
      http.session{ resolve = { "t17.localhost.example:443:127.0.0.1" } }:close()
    end)
  end)

  -- RFC 6761 names (the fleet emulator's tN.localhost): always 127.0.0.1, never a proxy.
  describe("names under .localhost", function()
    it("connects them to the loopback, sending the name as Host", function()
      local c = fetch(session, { url = ("http://t17.localhost:%d/echo"):format(lb.port) })
      assert.equals(200, c.status)
      assert.equals("t17.localhost:" .. lb.port, json.decode(c.body).headers.host)
    end)

    it("never sends them through the proxy", function()
      local s = http.session{ proxy = ("http://127.0.0.1:%d"):format(closed_port()) }
      local c = fetch(s, { url = ("http://t2.localhost:%d/echo"):format(lb.port) })
      local other = fetch(s, { url = "http://a0lua.test/echo" })
      s:close()
      assert.equals(200, c.status)
      assert.equals("http_network", other.err.code) -- the (dead) proxy is used for other names
    end)

    it("refuses a name longer than a DNS name may be, rather than send it unpinned", function()
      local name = ("a"):rep(60):rep(5, ".") .. ".localhost" -- 314 bytes
      assert.has_error(function()
        session:submit{ url = ("http://%s:%d/echo"):format(name, lb.port) }
      end, "session:submit: host name longer than 253 bytes")
      local c = fetch(session, { url = ("http://%s.localhost:%d/echo"):format(("a"):rep(60)
        :rep(4, "."):sub(1, 243), lb.port) }) -- 253 bytes
      assert.equals(200, c.status)
    end)

    -- Each name is a host of its own, as tenants on different machines: with one connection
    -- per host, two names used in turn keep one connection each instead of taking it from
    -- each other (as when all of them counted as the one host 127.0.0.1).
    it("keeps each name's connections apart", function()
      assert.equals(2, connections_in_turn(http.session{ max_connections = 1 }, lb.port))
    end)
  end)

  describe("session:submit", function()
    it("returns integer ids unique within the session", function()
      local a = session:submit{ url = lb.url .. "/echo" }
      local b = session:submit{ url = lb.url .. "/echo" }
      assert.equals("integer", math.type(a))
      assert.are_not.equal(a, b)
      assert.equals(2, session:pending())
    end)

    it("copies the body, so the Lua string may be collected", function()
      local body = ("x"):rep(100000) .. "end"
      session:submit{ url = lb.url .. "/echo", method = "POST", body = body }
      body = nil -- luacheck: ignore 311
      collectgarbage()
      local c = collect(session, 1)[1]
      assert.equals(("x"):rep(100000) .. "end", json.decode(c.body).body)
    end)

    it("raises without a url", function()
      assert.has_error(function() session:submit{} end, "session:submit: url must be a string")
    end)

    it("raises on a url that is not http or https", function()
      assert.has_error(function() session:submit{ url = "file:///etc/passwd" } end,
        "session:submit: url must be http:// or https://")
      assert.has_error(function() session:submit{ url = "not a url" } end)
    end)

    it("raises on a method that is not a token string", function()
      assert.has_error(function() session:submit{ url = lb.url, method = 1 } end,
        "session:submit: method must be a string")
      assert.has_error(function() session:submit{ url = lb.url, method = "GET /x" } end,
        "session:submit: bad method")
    end)

    it("raises on a header that could smuggle another header", function()
      assert.has_error(function()
        session:submit{ url = lb.url, headers = { ["X-A"] = "a\r\nX-B: b" } }
      end, "session:submit: header X-A contains CR, LF or NUL")
      assert.has_error(function() session:submit{ url = lb.url, headers = { ["X A"] = "a" } } end)
      assert.has_error(function() session:submit{ url = lb.url, headers = { [1] = "a" } } end)
      assert.has_error(function() session:submit{ url = lb.url, headers = { A = {} } } end)
    end)

    it("raises on a body or timeout of the wrong type", function()
      assert.has_error(function() session:submit{ url = lb.url, body = {} } end,
        "session:submit: body must be a string or nil")
      assert.has_error(function() session:submit{ url = lb.url, timeout_ms = -1 } end)
      assert.has_error(function() session:submit("x") end)
    end)

    it("leaves nothing pending after a submit that raised", function()
      assert.has_error(function() session:submit{ url = lb.url, headers = { ["X A"] = "a" } } end)
      assert.equals(0, session:pending())
      assert.same({}, session:poll(0))
    end)
  end)

  describe("session:poll", function()
    it("returns a completion with status, lower-case headers and body", function()
      local id = session:submit{ url = lb.url .. "/status/200" }
      local c = collect(session, 1)[id]
      assert.equals(id, c.id)
      assert.equals(200, c.status)
      assert.equals("status 200", c.body)
      assert.equals("text/plain", c.headers["content-type"])
      assert.equals("10", c.headers["content-length"])
      assert.is_nil(c.err)
    end)

    it("passes 4xx and 5xx through as statuses, not errors", function()
      local a = session:submit{ url = lb.url .. "/status/404" }
      local b = session:submit{ url = lb.url .. "/status/503" }
      local got = collect(session, 2)
      assert.equals(404, got[a].status)
      assert.equals(503, got[b].status)
      assert.is_nil(got[a].err)
      assert.equals("status 503", got[b].body)
    end)

    it("lower-cases header names and joins repeated ones with a comma", function()
      local c = fetch(session, { url = lb.url .. "/headers" })
      assert.equals("one, two", c.headers["x-multi"])
      assert.equals("a=1, b=2", c.headers["set-cookie"])
      assert.equals("Value With Case", c.headers["x-mixed-case-name"])
      assert.equals("lower", c.headers["x-lower"])
      assert.is_nil(c.headers["X-Multi"])
    end)

    it("sends the method, headers, query and body", function()
      local c = fetch(session, {
        method = "PATCH", url = lb.url .. "/echo?a=1&b=two%20words",
        headers = { ["Content-Type"] = "application/json", ["X-Number"] = 42, ["X-Empty"] = "" },
        body = '{"name":"x"}',
      })
      local echo = json.decode(c.body)
      assert.equals("PATCH", echo.method)
      assert.same({ a = "1", b = "two words" }, echo.query)
      assert.equals('{"name":"x"}', echo.body)
      assert.equals("application/json", echo.headers["content-type"])
      assert.equals("42", echo.headers["x-number"])
      assert.equals("", echo.headers["x-empty"])
      assert.is_nil(echo.headers.expect)
    end)

    it("sends POST, PUT and DELETE without a body as Content-Length 0", function()
      for _, method in ipairs{ "POST", "PUT", "DELETE" } do
        local echo = json.decode(fetch(session, { method = method, url = lb.url .. "/echo" }).body)
        assert.equals(method, echo.method)
        assert.equals("0", echo.headers["content-length"])
        assert.equals("", echo.body)
        assert.is_nil(echo.headers["content-type"])
      end
    end)

    it("sends a HEAD request and returns no body", function()
      local c = fetch(session, { method = "HEAD", url = lb.url .. "/big/1000" })
      assert.equals(200, c.status)
      assert.equals("1000", c.headers["content-length"])
      assert.equals("", c.body)
    end)

    it("receives a big body intact", function()
      local n = 5 * 1024 * 1024 + 7
      local c = fetch(session, { url = lb.url .. "/big/" .. n })
      assert.equals(n, #c.body)
      assert.equals("0123456789abcdef0123", c.body:sub(1, 20))
      assert.equals(("0123456789abcdef"):rep(n // 16 + 1):sub(1, n), c.body)
    end)

    it("keeps many requests in flight at once", function()
      -- The gate answers none of the 30 until all 30 are at the server at the same time.
      local group = lb:group()
      for _ = 1, 30 do session:submit{ url = lb.url .. "/gate/30?group=" .. group } end
      local got, count = collect(session, 30)
      assert.equals(30, count)
      for _, c in pairs(got) do assert.equals("opened 30", c.body) end
      assert.equals(30, lb:stats(group).max_in_flight)
    end)

    it("reuses one kept-alive connection for requests made one after another", function()
      local seen = {}
      for i = 1, 5 do
        seen[i] = json.decode(fetch(session, { url = lb.url .. "/echo" }).body).connection
      end
      assert.same({ seen[1], seen[1], seen[1], seen[1], seen[1] }, seen)
    end)

    it("sends on a new connection when fresh_connect is set", function()
      local first = json.decode(fetch(session, { url = lb.url .. "/echo" }).body).connection
      local fresh = json.decode(fetch(session, { url = lb.url .. "/echo", method = "POST",
        body = "{}", fresh_connect = true }).body).connection
      assert.are_not.equal(first, fresh)
      assert.has_error(function() session:submit{ url = lb.url, fresh_connect = "yes" } end)
    end)

    -- Sends six requests to url_of(1..6) through a gate that opens at two in flight (each then
    -- stays 100 ms), closes s; -> the most of them that were in flight at once.
    local function gated_six(s, url_of)
      local group = lb:group()
      for i = 1, 6 do s:submit{ url = url_of(i) .. "/gate/2?ms=100&group=" .. group } end
      local got, count = collect(s, 6)
      s:close()
      assert.equals(6, count)
      for _, c in pairs(got) do assert.equals("opened 2", c.body) end
      local stats = lb:stats(group)
      assert.equals(6, stats.requests)
      return stats.max_in_flight
    end

    it("opens at most max_connections connections to one host", function()
      assert.equals(2, gated_six(http.session{ max_connections = 2 }, function() return lb.url end))
    end)

    it("opens at most max_total_connections connections over all hosts", function()
      local s = http.session{ max_total_connections = 2 }
      assert.equals(2, gated_six(s, function(i)
        return ("http://t%d.localhost:%d"):format(i % 3, lb.port)
      end))
    end)

    it("keeps at most max_cached_connections connections open after use", function()
      -- With one kept, at least one of the two names reconnects every other request (which
      -- one libcurl closes is its choice: the oldest idle, by the millisecond). Without the
      -- bound, 2.
      assert.is_true(connections_in_turn(http.session{ max_cached_connections = 1 }, lb.port) >= 5)
    end)

    it("returns an http_timeout error when the request takes too long", function()
      local t0 = http.now()
      local c = fetch(session, { url = lb.url .. "/slow", timeout_ms = 200 })
      assert.is_nil(c.status)
      assert.equals("http_timeout", c.err.code)
      assert.equals(28, c.err.curl_code)
      assert.is_string(c.err.message)
      assert.equals(c.err.message, tostring(c.err))
      -- /slow answers after 30 s: well before, the 200 ms timeout ended the request
      assert.is_true(http.now() - t0 < 20000)
    end)

    it("returns an http_network error when the connection is refused", function()
      local c = fetch(session, { url = "http://127.0.0.1:" .. closed_port() .. "/" })
      assert.equals("http_network", c.err.code)
      assert.equals(7, c.err.curl_code)
    end)

    it("returns an http_network error when the server closes without answering", function()
      local c = fetch(session, { url = lb.url .. "/drop" })
      assert.equals("http_network", c.err.code)
      assert.equals(52, c.err.curl_code)
    end)

    -- The request pending in these is /slow, which answers after 30 s: a poll that waited for
    -- it instead of returning on its timeout would take that long. The 20 s bounds below are
    -- that difference, never a measure of speed.
    it("returns an empty array when nothing finished within the timeout", function()
      session:submit{ url = lb.url .. "/slow" }
      local t0 = http.now()
      local got = session:poll(50)
      local elapsed = http.now() - t0
      assert.same({}, got)
      assert.is_true(elapsed >= 45 and elapsed < 20000, "waited " .. elapsed .. " ms")
      assert.equals(1, session:pending())
    end)

    it("does not wait when the timeout is 0", function()
      session:submit{ url = lb.url .. "/slow" }
      local t0 = http.now()
      assert.same({}, session:poll(0))
      assert.is_true(http.now() - t0 < 20000)
      assert.equals(1, session:pending())
    end)

    it("returns at once without a timeout when nothing is pending", function()
      local t0 = http.now()
      assert.same({}, session:poll())
      assert.is_true(http.now() - t0 < 20000)
    end)

    it("waits the whole timeout when nothing is pending", function()
      local t0 = http.now()
      assert.same({}, session:poll(60))
      assert.is_true(http.now() - t0 >= 55)
    end)

    it("raises on a negative or non-number timeout", function()
      assert.has_error(function() session:poll(-1) end)
      assert.has_error(function() session:poll("soon") end)
    end)
  end)

  describe("easy handle reuse", function()
    -- Submits n requests to /echo at once and takes all n answers.
    local function echo_burst(s, n)
      for _ = 1, n do s:submit{ url = lb.url .. "/echo" } end
      local got, count = collect(s, n)
      assert.equals(n, count)
      for _, c in pairs(got) do assert.equals(200, c.status) end
    end

    it("keeps the handles of a burst as big as max_total_connections for the next", function()
      local s = http.session{ max_total_connections = 100 }
      assert.equals(0, s:counters().easy_handles)
      echo_burst(s, 100)
      assert.equals(100, s:counters().easy_handles)
      echo_burst(s, 100)
      -- a free list of 64 would have made 36 more
      assert.equals(100, s:counters().easy_handles)
      s:close()
      assert.has_error(function() s:counters() end)
    end)

    it("carries nothing of a request into the next on the same handle", function()
      local first = json.decode(fetch(session, { url = lb.url .. "/echo" }).body).connection
      local put = json.decode(fetch(session, {
        method = "PUT", url = lb.url .. "/echo", body = "secret body", timeout_ms = 300,
        headers = { ["X-Carried"] = "no", ["Content-Type"] = "text/plain", Expect = "" },
        fresh_connect = true,
      }).body)
      assert.equals("PUT", put.method)
      assert.are_not.equal(first, put.connection)
      assert.equals(1, session:counters().easy_handles)
      local head = fetch(session, { method = "HEAD", url = lb.url .. "/big/10" })
      assert.equals("", head.body)
      local c = fetch(session, { url = lb.url .. "/echo" })
      local echo = json.decode(c.body)
      assert.equals("GET", echo.method)
      assert.equals("", echo.body)
      assert.is_nil(echo.headers["x-carried"])
      assert.is_nil(echo.headers["content-type"])
      assert.is_nil(echo.headers["content-length"])
      assert.is_true(echo.connection == first or echo.connection == put.connection)
      -- the PUT's 300 ms timeout is not this request's
      assert.equals(200, fetch(session, { url = lb.url .. "/delay/500" }).status)
      assert.equals(1, session:counters().easy_handles)
    end)
  end)

  describe("session:pending", function()
    it("counts requests submitted and not yet returned by poll", function()
      session:submit{ url = lb.url .. "/echo" }
      session:submit{ url = lb.url .. "/echo" }
      assert.equals(2, session:pending())
      collect(session, 2)
      assert.equals(0, session:pending())
    end)
  end)

  describe("session:counters", function()
    it("starts at zero and counts the waits and the actions of poll", function()
      assert.same({ easy_handles = 0, wakeups = 0, socket_actions = 0, timer_actions = 0 },
                  session:counters())
      fetch(session, { url = lb.url .. "/echo" })
      local n = session:counters()
      assert.is_true(n.wakeups >= 1 and n.socket_actions >= 1 and n.timer_actions >= 1)
    end)

    -- The gate never opens for 1000 requests: the 20 stay waiting at the server for 60 s.
    it("steps no waiting transfer while none of their sockets has activity", function()
      local group = lb:group()
      for _ = 1, 20 do session:submit{ url = lb.url .. "/gate/1000?group=" .. group } end
      local deadline = http.now() + loopback.HANG_MS
      while lb:stats(group).in_flight < 20 and http.now() < deadline do
        assert.same({}, session:poll(20))
      end
      assert.equals(20, lb:stats(group).in_flight)
      local before = session:counters()
      assert.same({}, session:poll(0))
      assert.same({}, session:poll(30))
      local after = session:counters()
      assert.equals(before.socket_actions, after.socket_actions)
      assert.is_true(after.wakeups >= before.wakeups + 2)
      assert.equals(20, session:pending())
    end)

    it("raises on a closed session", function()
      local s = http.session()
      s:close()
      assert.has_error(function() s:counters() end)
    end)
  end)

  describe("session:close", function()
    it("cancels requests in flight and makes the session unusable", function()
      local s = http.session()
      s:submit{ url = lb.url .. "/delay/5000" }
      s:poll(20)
      s:close()
      assert.matches("closed", tostring(s))
      assert.has_error(function() s:poll(0) end)
      assert.has_error(function() s:submit{ url = lb.url } end)
      assert.has_error(function() s:pending() end)
    end)

    it("can be called twice", function()
      local s = http.session()
      s:close()
      s:close()
      assert.matches("closed", tostring(s))
    end)

    it("runs when a to-be-closed variable goes out of scope", function()
      local outer
      do
        local s <close> = http.session()
        outer = s
        s:submit{ url = lb.url .. "/delay/5000" }
      end
      assert.matches("closed", tostring(outer))
    end)
  end)

  describe("TLS", function()
    local tls, why

    setup(function()
      tls, why = loopback.start_tls(lb)
    end)

    teardown(function()
      if tls then tls:stop() end
    end)

    local function need_tls()
      if not tls then
        pending("TLS specs need stunnel and openssl: " .. tostring(why))
        return false
      end
      return true
    end

    it("verifies the server certificate by default", function()
      if not need_tls() then return end
      local c = fetch(session, { url = tls.url .. "/echo" })
      assert.equals("http_network", c.err.code)
      assert.equals(60, c.err.curl_code)
    end)

    it("skips verification for a loopback address with insecure_loopback", function()
      if not need_tls() then return end
      local s = http.session{ insecure_loopback = true }
      local c = fetch(s, { url = tls.url .. "/echo" })
      s:close()
      assert.equals(200, c.status)
      assert.equals("GET", json.decode(c.body).method)
    end)

    it("treats localhost as a loopback host", function()
      if not need_tls() then return end
      local s = http.session{ insecure_loopback = true }
      local c = fetch(s, { url = ("https://localhost:%d/echo"):format(tls.port) })
      s:close()
      assert.equals(200, c.status)
    end)

    it("treats a name under .localhost as a loopback host", function()
      if not need_tls() then return end
      local s = http.session{ insecure_loopback = true }
      local c = fetch(s, { url = ("https://t17.localhost:%d/echo"):format(tls.port) })
      s:close()
      assert.equals(200, c.status)
    end)

    -- a0lua.test is pinned to 127.0.0.1 with `resolve`: the connection stays on loopback, but
    -- the URL's host is a name, so insecure_loopback must not switch verification off.
    it("keeps verification on for a host name even with insecure_loopback", function()
      if not need_tls() then return end
      local s = http.session{ insecure_loopback = true,
                              resolve = { ("a0lua.test:%d:127.0.0.1"):format(tls.port) } }
      local c = fetch(s, { url = ("https://a0lua.test:%d/echo"):format(tls.port) })
      s:close()
      assert.equals("http_network", c.err.code)
      assert.equals(60, c.err.curl_code)
    end)

    it("trusts a certificate signed by ca_file", function()
      if not need_tls() then return end
      local s = http.session{ ca_file = tls.ca_file,
                              resolve = { ("a0lua.test:%d:127.0.0.1"):format(tls.port) } }
      local c = fetch(s, { url = ("https://a0lua.test:%d/echo"):format(tls.port) })
      s:close()
      assert.equals(200, c.status)
      assert.equals("a0lua.test:" .. tls.port, json.decode(c.body).headers.host)
    end)
  end)
end)
