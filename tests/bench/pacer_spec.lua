-- a0lua.api.pacer with the small, fast buckets of the Organizations endpoints (5 requests,
-- refilled at 150 a minute), which the deploy benchmark showed paced at one request in 12 s.
-- (The rest of the pacer is specified in tests/lua/api_pacer_spec.lua.)
local pacer = require "a0lua.api.pacer"
local ratelimit = require "a0lua.emulator.ratelimit"

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
    for i = 1, 20 do
      waiting[i] = p:ticket("write /organizations#1")
      p:wait(waiting[i])
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
    local rl = ratelimit.new("enterprise", function() return EPOCH + t / 1000 end)
    exchange("read /clients#1", 200, select(2, rl:take("GET", "/clients")))
    local done, limited = 0, 0
    while done < 40 do
      local ticket = p:ticket("write /organizations#1")
      local wait = p:wait(ticket)
      while wait > 0 do
        t = t + wait
        wait = p:wait(ticket)
      end
      local ok, h = rl:take("POST", "/organizations")
      t = t + 30 -- the answer's latency
      p:observe(ticket, ok and 201 or 429, h)
      if ok then done = done + 1 else limited = limited + 1 end
    end
    -- the bucket allows 5 at once and 2.5 a second: about 14 s at best; limit/60 took 7 min
    assert.is_true(t < 60000, ("took %.0f s"):format(t / 1000))
    assert.is_true(limited <= 2, "429s: " .. limited)
  end)
end)
