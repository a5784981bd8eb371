-- a0lua.core.poll: readiness of LuaSocket descriptors in an epoll set (the watcher). Loopback only.
local poll = require("a0lua.core.poll")
local socket = require("socket")

local function fd(sock) return math.tointeger(sock:getfd()) end

-- A connected pair: the client side and the side accept gave, both kept in `made` for closing.
local function connected_pair(listener, made)
  local _, port = listener:getsockname()
  local c = assert(socket.connect("127.0.0.1", port))
  local s = assert(listener:accept())
  made[#made + 1] = c
  made[#made + 1] = s
  return c, s
end

describe("a0lua.core.poll watcher", function()
  local listener, socks, w

  local function pair() return connected_pair(listener, socks) end

  before_each(function()
    listener = assert(socket.bind("127.0.0.1", 0))
    socks = {}
    w = assert(poll.watcher())
  end)

  after_each(function()
    w:close()
    for _, sock in ipairs(socks) do sock:close() end
    listener:close()
  end)

  it("reports only the registered descriptors that are ready, by descriptor", function()
    local c1, s1 = pair()
    local _, s2 = pair()
    local c3, s3 = pair()
    for _, s in ipairs{ s1, s2, s3 } do assert(w:arm(fd(s), poll.READ, false)) end
    c1:send("a")
    c3:send("b")
    local ready = { "stale", "stale", "stale" }
    assert.equals(2, w:wait(1, ready))
    local got = { ready[1], ready[2] }
    table.sort(got)
    local want = { fd(s1), fd(s3) }
    table.sort(want)
    assert.same(want, got)
    assert.equals("stale", ready[3])
  end)

  it("reports a level-triggered descriptor on every wait while it is ready", function()
    local c, s = pair()
    assert(w:arm(fd(s), poll.READ, false))
    c:send("x")
    local ready = {}
    assert.equals(1, w:wait(1, ready))
    assert.equals(1, w:wait(1, ready))
    assert.equals(fd(s), ready[1])
  end)

  it("reports a one-shot descriptor once, not even a hang-up, until it is armed again", function()
    local c, s = pair()
    assert(w:arm(fd(s), poll.READ, true))
    c:send("x")
    local ready = {}
    assert.equals(1, w:wait(1, ready))
    assert.equals(0, w:wait(0, ready))
    c:close()
    assert.equals(0, w:wait(0, ready))
    assert(w:arm(fd(s), poll.READ, true))
    assert.equals(1, w:wait(1, ready))
    assert.equals(fd(s), ready[1])
  end)

  it("switches a descriptor between reading and writing", function()
    local _, s = pair()
    assert(w:arm(fd(s), poll.READ, true))
    local ready = {}
    assert.equals(0, w:wait(0, ready))
    assert(w:arm(fd(s), poll.WRITE, true))
    assert.equals(1, w:wait(1, ready))
    assert.equals(fd(s), ready[1])
  end)

  it("forgets a descriptor disarmed or closed, and takes a new socket on its number", function()
    local c1, s1 = pair()
    assert(w:arm(fd(s1), poll.READ, false))
    assert(w:disarm(fd(s1)))
    assert(w:disarm(fd(s1)))
    c1:send("x")
    local ready = {}
    assert.equals(0, w:wait(0, ready))
    assert(w:arm(fd(s1), poll.READ, false))
    local number = fd(s1)
    s1:close()
    assert.equals(0, w:wait(0, ready))
    -- The kernel dropped the closed one: a socket given its number is registered afresh.
    local c2, s2 = pair()
    if fd(s2) == number then
      assert(w:arm(fd(s2), poll.READ, true))
      c2:send("y")
      assert.equals(1, w:wait(1, ready))
      assert.equals(number, ready[1])
    end
  end)

  it("reports every ready descriptor, more than its first buffer holds", function()
    local ready = {}
    for _ = 1, 100 do
      local c, s = pair()
      assert(w:arm(fd(s), poll.READ, false))
      c:send("z")
    end
    assert.equals(100, w:wait(1, ready))
    local seen = {}
    for i = 1, 100 do seen[ready[i]] = true end
    for i = 2, #socks, 2 do assert.is_true(seen[fd(socks[i])]) end
  end)

  it("counts a closed peer as ready, as select does", function()
    local c, s = pair()
    assert(w:arm(fd(s), poll.READ, true))
    c:close()
    local ready = {}
    assert.equals(1, w:wait(1, ready))
    assert.equals(fd(s), ready[1])
  end)

  it("returns 0 after the timeout, and raises on bad arguments or once closed", function()
    local t0 = socket.gettime()
    assert.equals(0, w:wait(0.02, {}))
    assert.is_true(socket.gettime() - t0 >= 0.015)
    assert.has_error(function() w:arm(-1, poll.READ) end)
    assert.has_error(function() w:arm(0, 3) end)
    assert.has_error(function() w:wait(-1, {}) end)
    local bad, err = w:arm(1000000, poll.READ, true)
    assert.is_nil(bad)
    assert.equals("poll_failed", err.code)
    w:close()
    w:close()
    assert.has_error(function() w:wait(0, {}) end, "poll watcher: closed")
  end)
end)
