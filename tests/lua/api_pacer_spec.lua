-- a0lua.api.pacer: the rate-limit model, driven by a virtual clock (no network, no sleeping).
local pacer = require("a0lua.api.pacer")

local EPOCH = 1000000

describe("a0lua.api.pacer", function()
  local t, p

  local function limits(limit, remaining, reset_in)
    return { ["x-ratelimit-limit"] = tostring(limit),
             ["x-ratelimit-remaining"] = tostring(remaining),
             ["x-ratelimit-reset"] = tostring(EPOCH + math.floor(t / 1000) + reset_in) }
  end

  -- Sends one request of group (the clock moves on while it waits): its ticket.
  local function send(group)
    local ticket = p:ticket(group)
    local wait = p:wait(ticket)
    t = t + wait
    if wait > 0 then assert.equals(0, p:wait(ticket)) end
    return ticket
  end

  -- Sends one request of group and answers it with status and headers.
  local function exchange(group, status, headers)
    local ticket = send(group)
    p:observe(ticket, status, headers)
    return ticket
  end

  before_each(function()
    t = 0
    p = pacer.new{ now = function() return t end,
                   epoch = function() return EPOCH + t / 1000 end,
                   random = function() return 0 end }
  end)

  describe("new", function()
    it("raises without a clock, on an unknown option and on a bad max_rate", function()
      assert.has_error(function() pacer.new{} end, "pacer.new: now must be a function")
      assert.has_error(function() pacer.new{ now = os.clock, speed = 1 } end,
        "pacer.new: unknown option speed")
      assert.has_error(function() pacer.new{ now = os.clock, max_rate = 0 } end,
        "pacer.new: max_rate must be a number > 0")
      assert.has_error(function() pacer.new("x") end, "pacer.new: opts must be a table")
    end)
  end)

  describe("wait", function()
    it("lets the first request go alone until its answer arrives", function()
      local a, b = p:ticket("read /clients#1"), p:ticket("read /clients#1")
      assert.equals(0, p:wait(a))
      assert.equals(pacer.PROBE_POLL_MS, p:wait(b))
      assert.equals(pacer.PROBE_POLL_MS, p:wait(b))
      p:observe(a, 200, {})
      assert.equals(0, p:wait(b))
    end)

    it("lets another request probe when the first got no answer", function()
      local a, b = p:ticket("read /clients#1"), p:ticket("read /clients#1")
      assert.equals(0, p:wait(a))
      p:abandon(a)
      assert.equals(0, p:wait(b))
    end)

    it("does not pace an API that sends no rate-limit headers", function()
      exchange("read /clients#1", 200, {})
      for _ = 1, 50 do assert.equals(0, p:wait(p:ticket("read /clients#1"))) end
      assert.is_nil(p:snapshot().cap)
    end)

    it("lets 80 % of a second's requests go at once, then a twelfth of the bucket a second",
        function()
      exchange("read /clients#1", 200, limits(120, 119, 1))
      assert.equals(10, p:snapshot().cap)
      local waits, tickets = {}, {}
      for i = 1, 11 do
        tickets[i] = p:ticket("read /clients#1")
        waits[i] = p:wait(tickets[i])
      end
      assert.same({ 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300 }, waits)
      t = t + 1000 -- a second later: 10 more slots, of which 3 were booked ahead
      for i = 1, 8 do p:observe(tickets[i], 200, limits(120, 111, 5)) end -- (none in flight)
      local later = {}
      for i = 1, 8 do later[i] = p:wait(p:ticket("read /clients#1")) end
      assert.same({ 0, 0, 0, 0, 0, 0, 0, 100 }, later)
    end)

    it("caps the spacing at 50 requests per second for big buckets", function()
      exchange("read /clients#1", 200, limits(1000, 999, 1))
      assert.equals(50, p:snapshot().cap)
    end)

    it("spreads requests at the refill rate when remaining runs low", function()
      exchange("read /clients#1", 200, limits(120, 9, 55)) -- 111 used, full in 55 s: 2/s
      assert.equals(2, p:snapshot().buckets[120].rate)
      local starts = {}
      for i = 1, 12 do starts[i] = p:wait(p:ticket("read /clients#1")) end
      -- the first few use what is left above the reserve, then one every 500 ms
      assert.equals(0, starts[1])
      for i = 7, 12 do
        assert.near(500, starts[i] - starts[i - 1], 1e-6)
      end
    end)

    it("keeps the send booked when asked again before its time", function()
      exchange("read /clients#1", 200, limits(120, 119, 1))
      for _ = 1, 8 do assert.equals(0, p:wait(p:ticket("read /clients#1"))) end
      local b = p:ticket("read /clients#1")
      assert.equals(100, p:wait(b))
      t = t + 40
      assert.equals(60, p:wait(b))
      t = t + 60
      assert.equals(0, p:wait(b))
      assert.has_error(function() p:wait(b) end, "pacer:wait: the ticket was already sent")
    end)

    it("honours max_rate even without rate-limit headers", function()
      p = pacer.new{ now = function() return t end, max_rate = 2 }
      exchange("read /clients#1", 200, {})
      local waits = {}
      for i = 1, 3 do waits[i] = p:wait(p:ticket("write /clients#1")) end
      assert.same({ 0, 500, 1000 }, waits)
    end)

    it("raises when given something that is not a ticket", function()
      assert.has_error(function() p:wait({}) end, "pacer:wait: not a ticket")
      assert.has_error(function() p:ticket(3) end, "pacer:ticket: group must be a string")
    end)
  end)

  describe("observe", function()
    it("blocks the bucket until x-ratelimit-reset after a 429 and books waiting sends again",
      function()
        exchange("read /clients#1", 200, limits(120, 3, 60))
        local waiting = p:ticket("read /clients#1")
        local before = p:wait(waiting)
        local hit = p:ticket("read /clients#1")
        p:wait(hit)
        p:observe(hit, 429, limits(120, 0, 5))
        local after = p:wait(waiting)
        assert.is_true(after >= 5000, "waits for the reset: " .. after)
        assert.is_true(after > before)
        assert.is_true(p:snapshot().buckets[120].blocked_ms >= 5000)
      end)

    it("reads the reset on the server's clock when a Date header shows a skew", function()
      exchange("read /clients#1", 200, limits(120, 3, 60))
      local hit = p:ticket("read /clients#1")
      p:wait(hit)
      local server_now = EPOCH + 3600 -- the server's clock is an hour ahead
      local days = os.date("!%a, %d %b %Y %H:%M:%S GMT", server_now)
      p:observe(hit, 429, { date = days, ["x-ratelimit-limit"] = "120",
                            ["x-ratelimit-remaining"] = "0",
                            ["x-ratelimit-reset"] = tostring(server_now + 2) })
      local blocked = p:snapshot().buckets[120].blocked_ms
      assert.is_true(blocked >= 2000 and blocked < 3000, "blocked " .. blocked)
    end)

    -- A 429 while the bucket had tokens: the per-second limit, which no header shows. Sends
    -- kept under the cap met it because they arrived closer together than they went (a slow
    -- path): first they go one at a time at the cap's rate; a second such 429, for a send that
    -- went so, says the limit is lower than the cap: then the cap comes down by 30 %.
    it("sends one at a time after a 429 while the bucket still had tokens, then slows down",
        function()
      exchange("read /clients#1", 200, limits(120, 110, 5))
      assert.equals(10, p:snapshot().cap)
      local hit = send("read /clients#1")
      p:observe(hit, 429, limits(120, 0, 1)) -- a per-second limit the headers do not show
      local snap = p:snapshot()
      assert.equals(10, snap.cap)
      assert.is_true(snap.buckets[120].tokens > 100, "the bucket is kept")
      t = t + 3000 -- past the block; a burst's worth of time later, one goes at a time
      local waits = {}
      for i = 1, 3 do waits[i] = p:wait(p:ticket("read /clients#1")) end
      assert.same({ 0, 100, 100 }, waits)
      t = t + 100
      p:observe(send("read /clients#1"), 429, limits(120, 0, 1))
      assert.equals(7, p:snapshot().cap)
    end)

    it("trusts a 429 about a bucket it has never seen answer otherwise", function()
      exchange("read /clients#1", 429, limits(120, 0, 3))
      local snap = p:snapshot()
      assert.is_nil(rawget(p, "adaptive"))
      assert.equals(10, snap.cap)
      assert.is_true(snap.buckets[120].tokens < 1, "the bucket is taken as empty")
      assert.is_true(snap.buckets[120].blocked_ms >= 3000)
    end)

    it("comes back to the full speed after 10 s without a 429", function()
      exchange("read /clients#1", 200, limits(120, 110, 5))
      p:observe(send("read /clients#1"), 429, limits(120, 0, 1)) -- one at a time from now
      t = t + 3000
      p:observe(send("read /clients#1"), 429, limits(120, 0, 1))
      assert.equals(7, p:snapshot().cap)
      t = t + 12000
      exchange("read /clients#1", 200, limits(120, 110, 5))
      assert.equals(8, p:snapshot().cap)
      for _ = 1, 3 do
        t = t + 2500
        exchange("read /clients#1", 200, limits(120, 110, 5))
      end
      assert.equals(10, p:snapshot().cap)
    end)

    it("keeps a bucket per limit and learns which one each group draws from", function()
      exchange("read /clients#1", 200, limits(120, 119, 1))
      exchange("read /clients#1", 200, limits(120, 118, 1))
      exchange("read /organizations#1", 200, limits(10, 9, 1))
      local snap = p:snapshot()
      assert.is_not_nil(snap.buckets[120])
      assert.is_not_nil(snap.buckets[10])
      assert.equals(120, snap.default_limit)
      assert.equals(10, p:model_for("read /organizations#1").limit)
      assert.equals(120, p:model_for("read /roles#1").limit) -- unknown groups: the tenant's
    end)

    it("raises on a bad status", function()
      local a = p:ticket("read /clients#1")
      assert.has_error(function() p:observe(a, "200", {}) end,
        "pacer:observe: status must be an integer")
    end)
  end)

  describe("abandon", function()
    it("gives back the token of a send that did not go out", function()
      -- 7 left: one send above the reserve of 6, then the next must wait
      exchange("read /clients#1", 200, limits(120, 7, 30))
      assert.equals(0, p:wait(p:ticket("read /clients#1")))
      local before = p:snapshot().buckets[120].tokens
      local a = p:ticket("read /clients#1")
      assert.is_true(p:wait(a) > 0)
      assert.near(before - 1, p:snapshot().buckets[120].tokens, 0.01)
      p:abandon(a)
      assert.near(before, p:snapshot().buckets[120].tokens, 0.01)
    end)

    it("keeps the token of a send whose answer was lost", function()
      exchange("read /clients#1", 200, limits(120, 50, 30))
      local before = p:snapshot().buckets[120].tokens
      local a = p:ticket("read /clients#1")
      assert.equals(0, p:wait(a))
      p:abandon(a)
      assert.near(before - 1, p:snapshot().buckets[120].tokens, 0.01)
      assert.equals(0, p:snapshot().buckets[120].outstanding)
    end)
  end)
end)
