-- a0lua.api: while the first request of a bucket (the pacer's probe) is out, the requests that
-- wait for its answer are woken by it, not by polling every few milliseconds: a fleet runs
-- hundreds of such waiting tasks at once.
local api = require("a0lua.api")
local json = require("a0lua.core.json")
local pacer = require("a0lua.api.pacer")
local tasks = require("a0lua.tasks")

local function answer(status, body)
  return { status = status, body = assert(json.encode(body)),
           headers = { ["content-type"] = "application/json",
                       ["x-ratelimit-limit"] = "50", ["x-ratelimit-remaining"] = "49",
                       ["x-ratelimit-reset"] = tostring(os.time() + 1) } }
end

describe("a0lua.api waiting for the pacer's probe", function()
  local real_sleep
  before_each(function() real_sleep = tasks.sleep end)
  after_each(function() tasks.sleep = real_sleep end)

  -- A client whose transport takes `wire_ms` per request on the tasks clock, with the
  -- scheduler's own sleep (no seam), counting the sleeps of PROBE_POLL_MS.
  local function client(wire_ms)
    local polls, sent = 0, 0
    tasks.sleep = function(ms)
      if ms == pacer.PROBE_POLL_MS then polls = polls + 1 end
      return real_sleep(ms)
    end
    local c = assert(api.new{
      domain = "tenant.test", client_id = "cid", client_secret = "a-client-secret-value",
      transport = function(req)
        sent = sent + 1
        real_sleep(wire_ms)
        if req.url:match("/oauth/token$") then
          return answer(200, { access_token = "tok", token_type = "Bearer", expires_in = 86400 })
        end
        return answer(200, { ok = true })
      end,
    })
    return c, function() return polls, sent end
  end

  it("wakes the waiting requests with the probe's answer, without a poll", function()
    local c, counts = client(40)
    local results = c:run(function()
      local fns = {}
      for i = 1, 12 do
        fns[i] = function() return c:get("/clients/c" .. i) end
      end
      return tasks.all(fns)
    end)
    assert.equals(12, results.n)
    for i = 1, 12 do assert.same({ ok = true }, results[i]) end
    local polls, sent = counts()
    assert.equals(0, polls)
    assert.equals(13, sent) -- the token, then each request once
  end)
end)
