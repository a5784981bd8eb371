-- bench/fleet_refill.lua: the wait that gives an emulated tenant full rate-limit buckets again.
local refill = dofile("bench/fleet_refill.lua")
local ratelimit = require("a0lua.emulator.ratelimit")

describe("bench/fleet_refill.lua", function()
  it("is the time the plan's slowest bucket takes to fill from empty", function()
    assert.are.equal(60, refill.seconds("free")) -- 120 tokens at 2 a second
    assert.are.equal(60, refill.seconds("enterprise")) -- 1000 at 1000 a minute
    assert.are.equal(0, refill.seconds("none"))
  end)

  it("reads the emulator's own limits, endpoint buckets included", function()
    local free = ratelimit.PLANS.free
    local group = ratelimit.ENDPOINT_GROUPS[1]
    local capacity, group_rate = free.capacity, group.rate
    finally(function()
      free.capacity, group.rate = capacity, group_rate
    end)
    free.capacity = 241
    assert.are.equal(121, refill.seconds("free")) -- 120.5 s, whole seconds up
    group.rate = group.capacity / 300
    assert.are.equal(300, refill.seconds("free"))
  end)

  it("names an unknown plan", function()
    local s, err = refill.seconds("gold")
    assert.is_nil(s)
    assert.matches("unknown plan 'gold'", err, 1, true)
  end)
end)
