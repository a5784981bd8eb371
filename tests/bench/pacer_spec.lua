-- a0lua.api.pacer with the small, fast buckets of the Organizations endpoints (5 requests,
-- refilled at 150 a minute), which the deploy benchmark showed paced at one request in 12 s.
-- (The rest of the pacer is specified in tests/lua/api_pacer_spec.lua.)
local pacer = require("a0lua.api.pacer")
local ratelimit = require("a0lua.emulator.ratelimit")

local EPOCH = 1767225600

describe("a0lua.api.pacer (small buckets that refill fast)", function()
  local t, p

  before_each(function()
    t = 0 -- ms
    p = pacer.new{ now = function() return t end,
                   epoch = function() return EPOCH + t / 1000 end,
                   random = function() return 0 end }
  end)

  local function headers(limit, remaining, reset_at)
    return { ["x-ratelimit-limit"] = tostring(limit),
             ["x-ratelimit-remaining"] = tostring(remaining),
             ["x-ratelimit-reset"] = tostring(reset_at) }
  end

  -- n organization creates one after the other against the emulator's Enterprise buckets (30 ms
  -- answers): the 429s received
  local function create_organizations(n)
    local rl = ratelimit.new("enterprise", function() return EPOCH + t / 1000 end)
    local ok, h = rl:take("GET", "/clients")
    local first = p:ticket("read /clients#1")
    p:wait(first)
    p:observe(first, ok and 200 or 429, h)
    local done, limited = 0, 0
    while done < n do
      local ticket = p:ticket("write /organizations#1")
      local wait = p:wait(ticket)
      while wait > 0 do
        t = t + wait
        wait = p:wait(ticket)
      end
      ok, h = rl:take("POST", "/organizations")
      t = t + 30
      p:observe(ticket, ok and 201 or 429, h)
      if ok then done = done + 1 else limited = limited + 1 end
    end
    return limited
  end

  local function exchange(group, status, h)
    local ticket = p:ticket(group)
    local wait = p:wait(ticket)
    t = t + wait
    if wait > 0 then assert.equals(0, p:wait(ticket)) end
    p:observe(ticket, status, h)
  end

  it("raises the rate to what one answer proves: a token missing until the reset", function()
    exchange("write /clients#1", 200, headers(1000, 999, EPOCH + 1))
    exchange("write /organizations#1", 201, headers(5, 4, EPOCH + 1))
    local buckets = p:snapshot().buckets
    assert.near(1, buckets["5 write /organizations"].rate, 1e-9)     -- not 5/60
    assert.near(1000 / 60, buckets[1000].rate, 1e-9) -- a weak bound never lowers a rate
    -- three missing until the reset in 2 s: at least 1.5 per second
    exchange("write /organizations#1", 201, headers(5, 1, EPOCH + 2))
    local rate = p:snapshot().buckets["5 write /organizations"].rate
    assert.is_true(rate >= 1.5 and rate < 1.6, "rate " .. rate)
    -- a lower bound later does not lower it
    exchange("write /organizations#1", 201, headers(5, 4, EPOCH + 3))
    assert.equals(rate, p:snapshot().buckets["5 write /organizations"].rate)
  end)

  it("takes no bound from an answer with nothing remaining (its reset is the next token's)",
      function()
    exchange("read /clients#1", 200, headers(120, 119, EPOCH + 1))
    local before = p:snapshot().buckets[120].rate
    t = t + 900
    exchange("read /clients#1", 200, headers(120, 0, EPOCH + 1))
    assert.equals(before, p:snapshot().buckets[120].rate)
  end)

  it("keeps apart endpoint buckets of one size that serve different endpoints", function()
    exchange("read /clients#1", 200, headers(1000, 999, EPOCH + 1))
    exchange("write /organizations#1", 201, headers(5, 4, EPOCH + 1))
    exchange("write /organizations/*/connections#3", 201, headers(5, 2, EPOCH + 2))
    exchange("write /organizations#2", 200, headers(5, 3, EPOCH + 1))
    local orgs = p:model_for("write /organizations#1")
    assert.equals(orgs, p:model_for("write /organizations#2")) -- one family: one bucket
    assert.not_equals(orgs, p:model_for("write /organizations/*/connections#3"))
    -- more answers from the small buckets than from the tenant's: the tenant's stays the default
    assert.equals(1000, p:snapshot().default_limit)
    assert.equals(50, p:snapshot().cap)
    assert.equals(1000, p:model_for("read /roles#1").limit)
    local buckets = p:snapshot().buckets
    assert.equals(5, buckets["5 write /organizations/*/connections"].limit)
    assert.is_table(buckets[1000])
  end)

  it("lets a group no answer has come for send one request at a time", function()
    exchange("read /clients#1", 200, headers(1000, 999, EPOCH + 1))
    local a, b = p:ticket("write /organizations/*/connections#3"),
      p:ticket("write /organizations/*/connections#3")
    assert.equals(0, p:wait(a))
    assert.equals(pacer.PROBE_POLL_MS, p:wait(b))
    -- another group's first request is not held up by this one's
    local other = p:ticket("read /roles/*/permissions#3")
    local w = p:wait(other)
    assert.is_true(w ~= pacer.PROBE_POLL_MS and w <= 20, "waits " .. w)
    p:observe(a, 201, headers(5, 4, EPOCH + 1))
    local waited, wait = 0, p:wait(b)
    while wait > 0 do
      t, waited = t + wait, waited + wait
      wait = p:wait(b)
    end
    assert.is_true(waited <= 40, "waited " .. waited .. " ms")
  end)

  it("gives the tokens of waiting sends back on a 429, so the first to book again goes first",
      function()
    exchange("read /clients#1", 200, headers(1000, 999, EPOCH + 1))
    exchange("write /organizations#1", 201, headers(5, 4, EPOCH + 1))
    local waiting = {}
    for _ = 1, 20 do
      local ticket = p:ticket("write /organizations#1")
      -- (those the bucket lets go at once are sent: the rest wait)
      if p:wait(ticket) > 0 then waiting[#waiting + 1] = ticket end
    end
    local sent = p:ticket("write /organizations#1")
    local w = p:wait(sent)
    t = t + w
    p:wait(sent)
    -- the bucket is empty: its next token in a second
    p:observe(sent, 429, headers(5, 0, EPOCH + math.floor(t / 1000) + 1))
    local first = p:wait(waiting[1])
    -- until the reset (about a second), not until 20 more tokens came (20 s at 1/s)
    assert.is_true(first > 0 and first <= 3000, "waits " .. first .. " ms")
  end)

  it("sends 40 organization creates against the emulator's bucket in under a minute", function()
    local limited = create_organizations(40)
    -- the bucket allows 5 at once and 2.5 a second: about 14 s at best; limit/60 took 7 min
    assert.is_true(t < 60000, ("took %.0f s"):format(t / 1000))
    assert.is_true(limited <= 2, "429s: " .. limited)
  end)

  it("learns the organization bucket's refill from the answers: 100 creates near its pace",
      function()
    local limited = create_organizations(100)
    -- 5 at once, then 2.5 a second: 38 s at best
    assert.is_true(t < 44000, ("took %.1f s"):format(t / 1000))
    assert.is_true(limited <= 3, "429s: " .. limited)
  end)

  it("measures the organization bucket at its 2.5 a second, whatever its reset header says",
      function()
    local rl = ratelimit.new("enterprise", function() return EPOCH + t / 1000 end)
    local ok, h = rl:take("GET", "/clients")
    local first = p:ticket("read /clients#1")
    p:wait(first)
    p:observe(first, ok and 200 or 429, h)
    -- sends at 4 a second, faster than the bucket refills: it runs dry, and its reset (whole
    -- seconds) reads 2 s away with 1 token left, which a sample of the reset takes for 1.5/s
    for _ = 1, 60 do
      local ticket = p:ticket("write /organizations#1")
      p:wait(ticket)
      ok, h = rl:take("POST", "/organizations")
      t = t + 250
      p:observe(ticket, ok and 201 or 429, h)
    end
    assert.near(2.5, p:model_for("write /organizations#1").rate, 0.3)
  end)

  it("sends for a small endpoint bucket ahead of the sends booked for the tenant's", function()
    exchange("write /clients#1", 201, headers(1000, 999, EPOCH + 1))
    exchange("write /organizations#1", 201, headers(5, 4, EPOCH + 1))
    -- 200 client creates book the cap's slots for the next seconds
    local clients = {}
    for i = 1, 200 do
      clients[i] = p:ticket("write /clients#1")
      p:wait(clients[i])
    end
    local last = clients[200]
    local before = p:wait(last)
    assert.is_true(before > 2000, "the last client create waits " .. before .. " ms")
    -- an organization create goes within a slot or two, not after the 200
    local org = p:ticket("write /organizations#1")
    local w = p:wait(org)
    assert.is_true(w <= 40, "the organization create waits " .. w .. " ms")
    -- and the client creates move back one slot (20 ms at 50 a second)
    assert.near(before + 20, p:wait(last), 1e-6)
  end)

  it("keeps a send's place under the cap when its bucket books it again", function()
    exchange("write /clients#1", 201, headers(1000, 999, EPOCH + 60))
    for _ = 1, 60 do p:wait(p:ticket("write /clients#1")) end
    local early = p:ticket("write /clients#1")
    local w1 = p:wait(early)
    for _ = 1, 200 do p:wait(p:ticket("write /clients#1")) end
    -- an answer showing a faster refill: every send not yet out books its bucket again
    p:observe(p:ticket("write /clients#1"), 201, headers(1000, 900, EPOCH + 2))
    local w2 = p:wait(early)
    assert.is_true(w2 <= w1, ("waits %d ms, %d ms before"):format(w2, w1))
  end)
  it("takes a 429 from an endpoint bucket with tokens left for the tenant's bucket running dry",
      function()
    exchange("read /clients#1", 200, headers(120, 100, EPOCH + 10))
    exchange("write /organizations/*/connections#3", 201, headers(5, 4, EPOCH + 1))
    local cap = p:snapshot().cap
    local ticket = p:ticket("write /organizations/*/connections#3")
    local wait = p:wait(ticket)
    while wait > 0 do
      t = t + wait
      wait = p:wait(ticket)
    end
    p:observe(ticket, 429, headers(5, 3, EPOCH + 1))
    -- not a limit the headers do not show: the cap stays, the tenant's bucket waits
    assert.equals(cap, p:snapshot().cap)
    assert.is_true(p:snapshot().buckets[120].blocked_ms > 0)
    assert.is_true(p:wait(p:ticket("write /clients#1")) >= 400)
    assert.is_true(p:wait(p:ticket("write /organizations/*/connections#3")) >= 400)
  end)

  -- A run against the emulator's buckets on virtual time: `tasks` senders, each sending its
  -- requests one after the other ({group, method, template} each), asking the pacer again at
  -- least every second while it waits (as api.PACE_POLL_MS) and sending again after a 429;
  -- answers take 30 ms. -> the 429s, the time taken (ms), the most attempts one request took
  local function run(plan, senders)
    local rl = ratelimit.new(plan, function() return EPOCH + t / 1000 end)
    local ok, h = rl:take("GET", "/clients")
    local first = p:ticket("read /clients#1")
    p:wait(first)
    p:observe(first, ok and 200 or 429, h)
    local active, limited, most = {}, 0, 1
    for i, list in ipairs(senders) do active[i] = { list = list, next = 1, attempts = 0 } end
    local inflight = {}
    while true do
      local wake = math.huge
      local busy = false
      for _, s in ipairs(active) do
        local req = s.list[s.next]
        if req and not s.sending then
          busy = true
          s.ticket = s.ticket or p:ticket(req[1])
          local wait = p:wait(s.ticket)
          if wait <= 0 then
            s.sending = true
            s.attempts = s.attempts + 1
            local sent, headers_ = rl:take(req[2], req[3])
            inflight[#inflight + 1] = { s = s, at = t + 30, ok = sent, h = headers_ }
          else
            wake = math.min(wake, t + math.min(wait, 1000))
          end
        elseif s.sending then
          busy = true
        end
      end
      if not busy then break end
      for _, f in ipairs(inflight) do wake = math.min(wake, f.at) end
      t = math.max(t, wake)
      local still = {}
      for _, f in ipairs(inflight) do
        if f.at <= t then
          local s = f.s
          p:observe(s.ticket, f.ok and 201 or 429, f.h)
          s.ticket, s.sending = nil, false
          if f.ok then
            most = math.max(most, s.attempts)
            s.next, s.attempts = s.next + 1, 0
          else
            limited = limited + 1
          end
        else
          still[#still + 1] = f
        end
      end
      inflight = still
    end
    return limited, t, most
  end

  it("keeps the organization buckets busy on Enterprise while client creates crowd the tenant's",
      function()
    -- 1,800 client creates, 210 organization creates and 210 organization connection writes:
    -- the organization writes book the tenant's bucket ahead of the client creates booked
    -- there, so their own buckets (5, 2.5 a second) never stand idle behind them
    local senders = {}
    for i = 1, 90 do
      local list = {}
      for _ = 1, i <= 60 and 30 or 14 do
        list[#list + 1] = i <= 60 and { "write /clients#1", "POST", "/clients" }
          or i <= 75 and { "write /organizations#1", "POST", "/organizations" }
          or { "write /organizations/*/connections#3", "POST", "/organizations/{}/connections" }
      end
      senders[i] = list
    end
    local limited, took, most = run("enterprise", senders)
    -- the organization buckets: 5 at once, then 2.5 a second: 82 s at best
    assert.is_true(took < 86000, ("took %.0f s"):format(took / 1000))
    assert.is_true(limited <= 15, "429s: " .. limited)
    assert.is_true(most <= 3, "a request took " .. most .. " attempts")
  end)

  it("books a token of the tenant's bucket for a write to an endpoint bucket (free plan)",
      function()
    -- 150 client creates and 150 organization connection writes, 5 senders each: the
    -- connection writes draw from their own bucket (2.5 a second) and from the tenant's (2 a
    -- second), which they must not drain behind the client creates' back
    local senders = {}
    for i = 1, 10 do
      local list = {}
      for _ = 1, 30 do
        list[#list + 1] = i <= 5 and { "write /clients#1", "POST", "/clients" }
          or { "write /organizations/*/connections#3", "POST", "/organizations/{}/connections" }
      end
      senders[i] = list
    end
    local limited, took, most = run("free", senders)
    -- 300 writes: 120 at once, then 2 a second: 90 s at best
    assert.is_true(limited <= 5, "429s: " .. limited)
    assert.is_true(most <= 3, "a request took " .. most .. " attempts")
    assert.is_true(took < 110000, ("took %.0f s"):format(took / 1000))
  end)
end)
