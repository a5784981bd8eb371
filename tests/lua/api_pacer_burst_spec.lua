-- a0lua.api.pacer with many senders at once against the emulator's buckets
-- (a0lua.emulator.ratelimit), in virtual time: how long a burst takes is then exact, whatever the
-- machine's load. (tests/lua/api_emulator_spec.lua sends the same burst for real.)
local api = require("a0lua.api")
local pacer = require("a0lua.api.pacer")
local ratelimit = require("a0lua.emulator.ratelimit")

local EPOCH = 1767225600

-- n requests to /roles (every tenth a POST, the rest GETs) through `senders` tasks at once, as
-- a0lua.api sends them: each asks the pacer, sleeps what it says (at most api.PACE_POLL_MS at a
-- time, then asks again), sends, and gets its answer `latency_ms` later; a 429 is sent again.
-- -> the virtual ms it took, the 429s received
local function burst(plan, n, senders, latency_ms)
  local t = 0
  local p = pacer.new{ now = function() return t end,
                       epoch = function() return EPOCH + t / 1000 end,
                       random = function() return 0 end }
  local rl = ratelimit.new(plan, function() return EPOCH + t / 1000 end)
  local next_request, done, limited = 1, 0, 0
  local state = {}
  for i = 1, senders do state[i] = { at = 0 } end
  while done < n do
    local s
    for _, candidate in ipairs(state) do
      if not s or candidate.at < s.at then s = candidate end
    end
    assert(s.at < math.huge, "every sender is idle with requests left")
    t = math.max(t, s.at)
    if s.answer then
      p:observe(s.ticket, s.answer.ok and 200 or 429, s.answer.headers)
      if s.answer.ok then
        done, s.method = done + 1, nil
      else
        limited = limited + 1
      end
      s.answer, s.ticket = nil, nil
    end
    if not s.method and next_request <= n then
      s.method = next_request % 10 == 0 and "POST" or "GET"
      next_request = next_request + 1
    end
    if not s.method then
      s.at = math.huge
    else
      s.ticket = s.ticket or p:ticket(api.group_of(s.method, "/roles"))
      local wait = p:wait(s.ticket)
      if wait > 0 then
        s.at = t + math.min(wait, api.PACE_POLL_MS)
      else
        local ok, headers = rl:take(s.method, "/roles")
        s.answer = { ok = ok, headers = headers }
        s.at = t + latency_ms
      end
    end
  end
  return t, limited
end

describe("a0lua.api.pacer (a burst from many senders)", function()
  it("sends 300 requests from 20 senders at the free plan's pace, with few or no 429s", function()
    local ms, limited = burst("free", 300, 20, 30)
    -- 120 tokens at once, then 2 a second: about 90 s; pacing must not be much slower
    assert.is_true(ms < 130000, ("took %.1f s"):format(ms / 1000))
    assert.is_true(limited <= 3, "429s: " .. limited)
  end)
end)
