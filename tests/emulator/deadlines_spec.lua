-- a0lua.emulator.deadlines: the heap of connections by deadline.
local deadlines = require("a0lua.emulator.deadlines")

describe("a0lua.emulator.deadlines", function()
  local function sorted_due(d, now)
    local out = {}
    local n = d:due(now, out)
    local names = {}
    for i = 1, n do names[i] = out[i].name end
    table.sort(names)
    return names, n, out
  end

  it("holds nothing at first", function()
    local d = deadlines.new()
    assert.is_nil(d:soonest())
    assert.equals(0, d:size())
    assert.equals(0, d:due(100, {}))
  end)

  it("names the soonest deadline and the due items, moving an item that is set again", function()
    local d = deadlines.new()
    local a, b, c = { name = "a" }, { name = "b" }, { name = "c" }
    d:set(a, 5)
    d:set(b, 3)
    d:set(c, 9)
    assert.equals(3, d:soonest())
    assert.same({ "a", "b" }, (sorted_due(d, 5)))
    d:set(b, 20)
    assert.equals(5, d:soonest())
    assert.same({ "a" }, (sorted_due(d, 9 - 1)))
    d:set(c, 1)
    assert.equals(1, d:soonest())
    assert.equals(3, d:size())
  end)

  it("removes items (twice is no error) and clears what a longer earlier answer left", function()
    local d = deadlines.new()
    local items = {}
    for i = 1, 5 do
      items[i] = { name = "i" .. i }
      d:set(items[i], i)
    end
    local out = {}
    assert.equals(5, d:due(10, out))
    d:remove(items[1])
    d:remove(items[1])
    d:remove(items[4])
    assert.equals(3, d:size())
    assert.equals(2, d:soonest())
    assert.equals(3, d:due(10, out))
    assert.is_nil(out[4])
    assert.is_nil(items[1].deadline_slot)
  end)

  it("agrees with a sorted list over many random sets and removes", function()
    local d = deadlines.new()
    local items, live = {}, {}
    local seed = 7
    local function rand(n)
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n + 1
    end
    for i = 1, 60 do items[i] = { name = i } end
    for _ = 1, 3000 do
      local item = items[rand(60)]
      if rand(4) == 1 then
        d:remove(item)
        live[item] = nil
      else
        local at = rand(1000)
        d:set(item, at)
        live[item] = at
      end
      local soonest, count, now = nil, 0, rand(1000)
      local want = {}
      for it, at in pairs(live) do
        count = count + 1
        if not soonest or at < soonest then soonest = at end
        if at <= now then want[#want + 1] = it.name end
      end
      table.sort(want)
      assert.equals(soonest, d:soonest())
      assert.equals(count, d:size())
      assert.same(want, (sorted_due(d, now)))
    end
  end)
end)
