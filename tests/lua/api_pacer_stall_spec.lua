-- a0lua.api.pacer after a stall: the sends whose slots under the cap fell due while the process
-- was busy elsewhere (a fleet's tenants computing their plans at once) do not all go together;
-- at most the cap's burst goes at once, then the cap's rate. On the fake clock.
local pacer = require("a0lua.api.pacer")

local EPOCH = 1767225600
local GROUP = "GET /roles#1"

-- A pacer that knows the Free plan's tenant bucket (120, so a cap of 10 a second) from one answer.
local function free_pacer()
  local clock = { t = 0 }
  local p = pacer.new{ now = function() return clock.t end,
                       epoch = function() return EPOCH + clock.t / 1000 end,
                       random = function() return 0 end }
  local first = p:ticket(GROUP)
  assert.equals(0, p:wait(first))
  p:observe(first, 200, { ["x-ratelimit-limit"] = "120", ["x-ratelimit-remaining"] = "119",
                          ["x-ratelimit-reset"] = tostring(EPOCH + 1) })
  return p, clock
end

-- Asks every ticket not sent yet once, at the clock's time -> how many may go now.
local function ask_all(p, tickets)
  local sent = 0
  for _, t in ipairs(tickets) do
    if not t.sent and p:wait(t) == 0 then sent = sent + 1 end
  end
  return sent
end

-- Answers every ticket sent and not answered yet (the bucket still well filled).
local function answer_all(p, tickets)
  for _, t in ipairs(tickets) do
    if t.sent and not t.done then
      p:observe(t, 200, { ["x-ratelimit-limit"] = "120", ["x-ratelimit-remaining"] = "100",
                          ["x-ratelimit-reset"] = tostring(EPOCH + 13) })
    end
  end
end

describe("a0lua.api.pacer after a stall", function()
  it("sends at most the cap's burst at once when the slots of seconds fell due meanwhile",
    function()
    local p, clock = free_pacer()
    local burst = math.floor(p:cap() * pacer.BURST)
    local tickets = {}
    for i = 1, 40 do tickets[i] = p:ticket(GROUP) end
    assert.equals(burst, ask_all(p, tickets))          -- the rest book slots 100 ms apart
    -- every slot booked was due 3 s later: the process was busy elsewhere until then (the
    -- sends that went were answered meanwhile)
    clock.t = clock.t + 3000
    answer_all(p, tickets)
    assert.equals(burst, ask_all(p, tickets))
    -- then the cap's rate: one more a tenth of a second later
    clock.t = clock.t + 100
    assert.equals(1, ask_all(p, tickets))
  end)

  -- A send in flight may not have arrived yet: the server's per-second bucket may refill
  -- meanwhile and count it later with the sends that follow. A slow path (a loaded process,
  -- answers a quarter of a second late) must not add a full burst on top of what is on the way.
  it("keeps room in the burst for the sends still in flight", function()
    local p, clock = free_pacer()
    local burst = math.floor(p:cap() * pacer.BURST)
    local tickets = {}
    for i = 1, 40 do tickets[i] = p:ticket(GROUP) end
    assert.equals(burst, ask_all(p, tickets))
    clock.t = clock.t + 3000 -- no answer yet: the whole burst is still on the way
    assert.equals(1, ask_all(p, tickets))
    local answered = 0
    for _, t in ipairs(tickets) do
      if t.sent and answered < burst then
        answered = answered + 1
        p:observe(t, 200, { ["x-ratelimit-limit"] = "120", ["x-ratelimit-remaining"] = "100",
                            ["x-ratelimit-reset"] = tostring(EPOCH + 13) })
      end
    end
    clock.t = clock.t + 3000 -- the burst answered, the send after the stall still in flight
    assert.equals(burst - 1, ask_all(p, tickets))
  end)

  it("leaves sends that go at their slots' times as they were", function()
    local p, clock = free_pacer()
    local tickets = {}
    for i = 1, 30 do tickets[i] = p:ticket(GROUP) end
    local sent = ask_all(p, tickets)
    for _ = 1, 22 do
      clock.t = clock.t + 100
      sent = sent + ask_all(p, tickets)
    end
    assert.equals(30, sent)
  end)
end)
