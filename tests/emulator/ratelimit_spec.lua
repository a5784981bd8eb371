-- a0lua.emulator.ratelimit: the token buckets, with a clock of the spec's own; then a burst
-- against `a0lua emulate --limits free`.
local ratelimit = require("a0lua.emulator.ratelimit")
local emulator = require("helpers.emulator")
local http = require("a0lua.core.http")

describe("a0lua.emulator.ratelimit", function()
  local now
  local function clock() return now end
  before_each(function() now = 1000 end)

  describe("take", function()
    it("lets everything through and sends no headers under none", function()
      local rl = ratelimit.new("none", clock)
      for _ = 1, 500 do assert.is_true((rl:take("GET", "/clients"))) end
      assert.are.same({}, select(2, rl:take("GET", "/clients")))
    end)

    it("caps a free tenant at 10 requests in one second, with the headers", function()
      local rl = ratelimit.new("free", clock)
      local last
      for i = 1, 10 do
        local ok, headers = rl:take("GET", "/clients")
        assert.is_true(ok)
        last = headers
        assert.are.equal(tostring(120 - i), headers["x-ratelimit-remaining"])
      end
      assert.are.equal("120", last["x-ratelimit-limit"])
      local ok, headers, body = rl:take("GET", "/clients")
      assert.is_false(ok)
      assert.are.equal("0", headers["x-ratelimit-remaining"])
      assert.are.equal(tostring(math.ceil(now + 0.1)), headers["x-ratelimit-reset"])
      assert.are.same({ statusCode = 429, error = "Too Many Requests",
        message = "Global limit has been reached", errorCode = "too_many_requests" }, body)
    end)

    it("empties the 120-token bucket, refilling it at 2 per second meanwhile", function()
      local rl = ratelimit.new("free", clock)
      local served = 0
      while true do
        now = now + 0.1
        local ok, headers = rl:take("GET", "/roles")
        if not ok then
          assert.is_true(tonumber(headers["x-ratelimit-reset"]) > now)
          break
        end
        served = served + 1
      end
      -- 120 tokens, plus 0.2 more for each of the 0.1 s steps: 120 / (1 - 0.2) = 150.
      assert.is_true(served >= 149 and served <= 151, tostring(served))
      now = now + 1
      assert.is_true((rl:take("GET", "/roles")))
    end)

    it("gives an enterprise tenant a bucket of 1000 and 50 per second", function()
      local rl = ratelimit.new("enterprise", clock)
      local ok, headers
      for _ = 1, 50 do ok, headers = rl:take("GET", "/clients") end
      assert.is_true(ok)
      assert.are.equal("1000", headers["x-ratelimit-limit"])
      assert.is_false((rl:take("GET", "/clients")))
    end)

    it("keeps a bucket per organization endpoint group", function()
      local rl = ratelimit.new("enterprise", clock)
      for _ = 1, 5 do
        now = now + 0.05
        assert.is_true((rl:take("POST", "/organizations")))
      end
      now = now + 0.05
      local ok, headers, body = rl:take("PATCH", "/organizations/{}")
      assert.is_false(ok)
      assert.are.equal("5", headers["x-ratelimit-limit"])
      assert.are.equal("Global per minute organizations_write group limit has been reached",
        body.message)
      assert.is_true((rl:take("GET", "/clients")))
    end)

    -- Auth0 counts a request when it arrives: requests that arrived at 10 a second and were
    -- handled together after a stall (the emulator's injected latency, a busy loop) all pass.
    it("counts a request when it arrived, not when it was handled", function()
      local rl = ratelimit.new("free", clock)
      local arrivals = {}
      for _ = 1, 10 do arrivals[#arrivals + 1] = 1000 end
      for i = 1, 4 do arrivals[#arrivals + 1] = 1000 + i / 8 end
      now = 1000.5
      local refused = 0
      for _, at in ipairs(arrivals) do
        if not rl:take("GET", "/clients", at) then refused = refused + 1 end
      end
      assert.are.equal(0, refused)
      -- by 1000.5 five tokens came and four were taken: one more passes, the next does not
      assert.is_true((rl:take("GET", "/clients", 1000.5)))
      assert.is_false((rl:take("GET", "/clients", 1000.5)))
    end)

    it("refills nothing for a request that arrived before the last one counted", function()
      local rl = ratelimit.new("free", clock)
      for _ = 1, 10 do assert.is_true((rl:take("GET", "/clients", 1000))) end
      assert.is_true((rl:take("GET", "/clients", 1000.25))) -- 2.5 tokens came: 1.5 left
      assert.is_true((rl:take("GET", "/clients", 1000.1)))  -- 0.5 left, the clock stays
      assert.is_false((rl:take("GET", "/clients", 1000.1)))
      now = 1000.35 -- from 1000.25: one token more
      assert.is_true((rl:take("GET", "/clients")))
    end)

    it("raises on an unknown plan", function()
      assert.has_error(function() ratelimit.new("gold", clock) end)
    end)
  end)

  describe("through the emulator", function()
    local emu
    setup(function() emu = emulator.start({ args = { "--limits", "free" } }) end)
    teardown(function() if emu then emu:stop() end end)

    it("sends x-ratelimit headers and answers 429 to a burst", function()
      local token = emu:token()
      local session = http.session({ proxy = "", max_connections = 20 })
      for _ = 1, 30 do
        session:submit({ url = emu.url .. "/api/v2/roles",
                         headers = { Authorization = "Bearer " .. token } })
      end
      local statuses, limited = {}, nil
      while session:pending() > 0 do
        for _, c in ipairs(session:poll(1000)) do
          statuses[c.status] = (statuses[c.status] or 0) + 1
          assert.are.equal("120", c.headers["x-ratelimit-limit"])
          assert.is_string(c.headers["x-ratelimit-reset"])
          if c.status == 429 then limited = c end
        end
      end
      session:close()
      assert.is_true((statuses[200] or 0) >= 10)
      assert.is_true((statuses[429] or 0) >= 1)
      assert.matches('"errorCode":"too_many_requests"', limited.body)
    end)
  end)
end)
