--[[
a0lua.emulator.deadlines: the server's connections ordered by deadline, in a binary min-heap that
knows where each of them sits, so that a turn of the loop finds the soonest deadline and the
ones that have passed without looking at the others (docs/emulator.md).

  local deadlines = require("a0lua.emulator.deadlines")
  local d = deadlines.new()
  d:set(item, at)          item (a table) is due at `at` (a number); moves it when already in
  d:remove(item)           takes item out (no error when it is not in)
  d:soonest() -> at | nil  the earliest deadline held
  d:due(now, out) -> n     out[1..n]: the items due at or before now, in no particular order;
                           they stay in (set or remove each); entries of out past n are cleared
  d:size() -> n

An item records its place in item.deadline_slot and its deadline in item.deadline.
]]
local M = {}

local Deadlines = {}
Deadlines.__index = Deadlines

function M.new()
  return setmetatable({ n = 0 }, Deadlines)
end

local function place(heap, i, item)
  heap[i] = item
  item.deadline_slot = i
end

local function sift_up(heap, i)
  local item = heap[i]
  local at = item.deadline
  while i > 1 do
    local parent = i // 2
    local above = heap[parent]
    if above.deadline <= at then break end
    place(heap, i, above)
    i = parent
  end
  place(heap, i, item)
end

local function sift_down(heap, i)
  local n = heap.n
  local item = heap[i]
  local at = item.deadline
  while true do
    local child = i * 2
    if child > n then break end
    local right = child + 1
    if right <= n and heap[right].deadline < heap[child].deadline then child = right end
    if heap[child].deadline >= at then break end
    place(heap, i, heap[child])
    i = child
  end
  place(heap, i, item)
end

function Deadlines:set(item, at)
  local old = item.deadline
  item.deadline = at
  local i = item.deadline_slot
  if not i then
    self.n = self.n + 1
    place(self, self.n, item)
    sift_up(self, self.n)
  elseif at < old then
    sift_up(self, i)
  elseif at > old then
    sift_down(self, i)
  end
end

function Deadlines:remove(item)
  local i = item.deadline_slot
  if not i then return end
  item.deadline_slot = nil
  local n = self.n
  local last = self[n]
  self[n] = nil
  self.n = n - 1
  if i == n then return end
  place(self, i, last)
  if i > 1 and self[i // 2].deadline > last.deadline then
    sift_up(self, i)
  else
    sift_down(self, i)
  end
end

function Deadlines:soonest()
  local top = self[1]
  return top and top.deadline
end

function Deadlines:size()
  return self.n
end

-- The heap's order means that below an item not yet due nothing is due: the walk stops there.
function Deadlines:due(now, out)
  local count, n = 0, self.n
  local function walk(i)
    if i > n then return end
    local item = self[i]
    if item.deadline > now then return end
    count = count + 1
    out[count] = item
    walk(2 * i)
    walk(2 * i + 1)
  end
  walk(1)
  for i = count + 1, #out do out[i] = nil end
  return count
end

return M
