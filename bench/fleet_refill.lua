--[[
bench/fleet_refill.lua: how long an emulated tenant's rate-limit buckets take to fill up again
from empty under a plan of `a0lua emulate --limits`, read from the emulator's own definition
(a0lua.emulator.ratelimit: the tenant's bucket, its per-second cap and the per-endpoint buckets;
docs/emulator.md). bench/fleet.sh waits that long after a step before it times the next one on
the same tenants, so that every timed step starts with full buckets, as a tenant's first request
does.

  a0lua run bench/fleet_refill.lua PLAN     prints the whole seconds ("none": 0)

As a module: M.seconds(plan) -> whole seconds, or nil and a message for an unknown plan.
]]
local ratelimit = require("a0lua.emulator.ratelimit")

local M = {}

local function from_empty(capacity, rate)
  return capacity / rate
end

function M.seconds(plan)
  if plan == "none" then return 0 end
  local p = ratelimit.PLANS[plan]
  if not p then
    return nil, ("unknown plan '%s' (none, free or enterprise)"):format(tostring(plan))
  end
  -- The per-second cap is a bucket of per_second tokens refilled at per_second a second.
  local s = math.max(from_empty(p.capacity, p.rate), from_empty(p.per_second, p.per_second))
  for _, group in ipairs(ratelimit.ENDPOINT_GROUPS) do
    s = math.max(s, from_empty(group.capacity, group.rate))
  end
  return math.ceil(s)
end

if arg and arg[0] and arg[0]:match("fleet_refill%.lua$") then
  local s, err = M.seconds(arg[1])
  if not s then
    io.stderr:write("fleet_refill.lua: ", err, "\n")
    os.exit(2)
  end
  io.stdout:write(s, "\n")
  os.exit(0)
end

return M
