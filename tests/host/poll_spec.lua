-- a0lua.core.poll: readiness of LuaSocket descriptors in one poll(2) call. Loopback only.
local poll = require("a0lua.core.poll")
local socket = require("socket")

local function fd(sock) return math.tointeger(sock:getfd()) end

describe("a0lua.core.poll", function()
  local listener, pairs_made

  -- A connected pair: the client side and the side accept gave.
  local function pair()
    local _, port = listener:getsockname()
    local c = assert(socket.connect("127.0.0.1", port))
    local s = assert(listener:accept())
    pairs_made[#pairs_made + 1] = c
    pairs_made[#pairs_made + 1] = s
    return c, s
  end

  before_each(function()
    listener = assert(socket.bind("127.0.0.1", 0))
    pairs_made = {}
  end)

  after_each(function()
    for _, sock in ipairs(pairs_made) do sock:close() end
    listener:close()
  end)

  it("names the readable descriptors by index, in order, and fills only that many", function()
    local c1, s1 = pair()
    local _, s2 = pair()
    local c3, s3 = pair()
    c1:send("a")
    c3:send("b")
    local ready = { "stale", "stale", "stale", "stale" }
    local count = poll.wait({ fd(s1), fd(s2), fd(s3) }, { poll.READ, poll.READ, poll.READ }, 3, 1,
      ready)
    assert.equals(2, count)
    assert.same({ 1, 3, "stale", "stale" }, ready)
  end)

  it("waits only for the first n entries and for writability when asked", function()
    local c, s = pair()
    local ready = {}
    -- A fresh connection can be written at once and has nothing to read.
    assert.equals(1, poll.wait({ fd(s), fd(c) }, { poll.READ, poll.WRITE }, 2, 0, ready))
    assert.equals(2, ready[1])
    c:send("x")
    assert.equals(0, poll.wait({ fd(c), fd(s) }, { poll.READ, poll.READ }, 1, 0.01, ready))
  end)

  it("counts a closed peer as readable, as select does", function()
    local c, s = pair()
    c:close()
    local ready = {}
    assert.equals(1, poll.wait({ fd(s) }, { poll.READ }, 1, 1, ready))
  end)

  it("returns 0 after the timeout when nothing is ready, with no descriptors too", function()
    local _, s = pair()
    local t0 = socket.gettime()
    assert.equals(0, poll.wait({ fd(s) }, { poll.READ }, 1, 0.02, {}))
    assert.equals(0, poll.wait({}, {}, 0, 0, {}))
    assert.is_true(socket.gettime() - t0 >= 0.015)
  end)

  it("takes more descriptors than its first buffer holds", function()
    local fds, events, senders = {}, {}, {}
    for i = 1, 100 do
      local c, s = pair()
      fds[i], events[i], senders[i] = fd(s), poll.READ, c
    end
    senders[100]:send("z")
    local ready = {}
    assert.equals(1, poll.wait(fds, events, 100, 1, ready))
    assert.equals(100, ready[1])
  end)

  it("raises on a bad descriptor, event, count or timeout", function()
    local _, s = pair()
    assert.has_error(function() poll.wait({ "x" }, { 1 }, 1, 0, {}) end,
      "poll.wait: fds[1] is not a descriptor")
    assert.has_error(function() poll.wait({ fd(s) }, { 3 }, 1, 0, {}) end,
      "poll.wait: events[1] must be 1 (read) or 2 (write)")
    assert.has_error(function() poll.wait({}, {}, -1, 0, {}) end)
    assert.has_error(function() poll.wait({}, {}, 0, -1, {}) end)
    assert.has_error(function() poll.wait({}, {}, 0, 0 / 0, {}) end)
  end)
end)
