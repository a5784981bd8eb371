--[[
a0lua.emulator.faults: injected latency, failures and dropped connections, reproducible under a
seed.

  local faults = require("a0lua.emulator.faults")
  local f = faults.new{ latency_ms = 0, jitter_ms = 0, fail_rate = 0, drop_rate = 0, seed = n }
  f:draw() -> { delay = seconds, fail = nil | 500 | 503, drop = nil | "before" | "after" }
  faults.error_body(status) -> the Management error body of an injected failure

Every draw takes the same five numbers from the generator whatever the options, so one seed and
one sequence of requests give the same faults. Latency is latency_ms plus a uniform jitter in
[-jitter_ms, +jitter_ms] (never below 0). A drop happens before the request is handled, or, half
of the time, after it was applied (the client then cannot tell a lost answer from a failed write).
A request is not both failed and dropped: fail is drawn first.
]]
local random = require("a0lua.emulator.random")

local M = {}

local Faults = {}
Faults.__index = Faults

local function rate(name, v)
  v = v or 0
  if type(v) ~= "number" or v < 0 or v > 1 then
    error(("faults.new: %s must be a number in [0, 1]"):format(name), 3)
  end
  return v
end

function M.new(opts)
  opts = opts or {}
  local latency, jitter = opts.latency_ms or 0, opts.jitter_ms or 0
  if type(latency) ~= "number" or latency < 0 or type(jitter) ~= "number" or jitter < 0 then
    error("faults.new: latency_ms and jitter_ms must be numbers >= 0", 2)
  end
  return setmetatable({
    latency = latency / 1000, jitter = jitter / 1000,
    fail_rate = rate("fail_rate", opts.fail_rate), drop_rate = rate("drop_rate", opts.drop_rate),
    rng = random.new(opts.seed),
  }, Faults)
end

function Faults:active()
  return self.latency > 0 or self.jitter > 0 or self.fail_rate > 0 or self.drop_rate > 0
end

function Faults:draw()
  local rng = self.rng
  local r_delay, r_fail, r_kind, r_drop, r_when = rng:float(), rng:float(), rng:float(),
    rng:float(), rng:float()
  local out = {}
  local delay = self.latency + (r_delay * 2 - 1) * self.jitter
  out.delay = delay > 0 and delay or 0
  if r_fail < self.fail_rate then
    out.fail = r_kind < 0.5 and 500 or 503
  elseif r_drop < self.drop_rate then
    out.drop = r_when < 0.5 and "before" or "after"
  end
  return out
end

local BODIES = {
  [500] = { statusCode = 500, error = "Internal Server Error",
            message = "An internal server error occurred", errorCode = "internal_error" },
  [503] = { statusCode = 503, error = "Service Unavailable",
            message = "The service is temporarily unavailable. Please try again later.",
            errorCode = "service_unavailable" },
}

function M.error_body(status)
  return BODIES[status]
end

return M
