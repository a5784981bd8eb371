-- a0lua.api.backoff: retry delays and which failures are retried. Pure functions, no network.
local backoff = require("a0lua.api.backoff")

local function fixed(v) return function() return v end end

describe("a0lua.api.backoff", function()
  describe("delay", function()
    it("doubles from the base with each attempt", function()
      local opts = { base_ms = 100, max_ms = 100000, random = fixed(0.5) }
      assert.equals(100, backoff.delay(1, opts))
      assert.equals(200, backoff.delay(2, opts))
      assert.equals(800, backoff.delay(4, opts))
    end)

    it("jitters each delay by up to a quarter either way", function()
      assert.equals(75, backoff.delay(1, { base_ms = 100, random = fixed(0) }))
      assert.is_true(backoff.delay(1, { base_ms = 100, random = fixed(0.999) }) < 125)
      assert.is_true(backoff.delay(1, { base_ms = 100, random = fixed(0.999) }) > 124)
    end)

    it("never goes above the cap, however many attempts", function()
      local opts = { base_ms = 100, max_ms = 1000, random = fixed(0.999) }
      assert.equals(1000, backoff.delay(5, opts))
      assert.equals(1000, backoff.delay(500, opts))
      assert.is_true(backoff.delay(500, { base_ms = 100, max_ms = 1000, random = fixed(0) }) >= 750)
    end)

    it("uses 500 ms and 30 s by default", function()
      assert.equals(500, backoff.delay(1, { random = fixed(0.5) }))
      assert.equals(30000, backoff.delay(20, { random = fixed(0.5) }))
    end)

    it("raises on an attempt that is not a positive integer", function()
      assert.has_error(function() backoff.delay(0) end,
        "backoff.delay: attempt must be an integer >= 1")
      assert.has_error(function() backoff.delay(1.5) end)
    end)
  end)

  describe("rate_limit_wait", function()
    local opts = { random = fixed(0) }

    it("waits until x-ratelimit-reset", function()
      local ms = backoff.rate_limit_wait({ ["x-ratelimit-reset"] = "1005" }, 1000, opts)
      assert.equals(5050, ms) -- 5 s plus the 50 ms floor of the jitter
    end)

    it("adds up to 20 % jitter", function()
      local ms = backoff.rate_limit_wait({ ["x-ratelimit-reset"] = "1010" }, 1000,
                                         { random = fixed(0.5) })
      assert.equals(11000, ms)
    end)

    it("prefers Retry-After in seconds over the reset", function()
      local ms = backoff.rate_limit_wait({ ["retry-after"] = "2", ["x-ratelimit-reset"] = "1100" },
                                         1000, opts)
      assert.equals(2050, ms)
    end)

    it("reads Retry-After as an HTTP date", function()
      local at = backoff.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
      local ms = backoff.rate_limit_wait({ ["retry-after"] = "Sun, 06 Nov 1994 08:49:40 GMT" },
                                         at, opts)
      assert.equals(3050, ms)
    end)

    it("does not wait for a reset in the past beyond the jitter floor", function()
      assert.equals(50, backoff.rate_limit_wait({ ["x-ratelimit-reset"] = "900" }, 1000, opts))
    end)

    it("caps the wait at 60 s", function()
      assert.equals(60000,
        backoff.rate_limit_wait({ ["x-ratelimit-reset"] = "99999" }, 1000, opts))
    end)

    it("returns nil when the answer says nothing about when to come back", function()
      assert.is_nil(backoff.rate_limit_wait({}, 1000, opts))
      assert.is_nil(backoff.rate_limit_wait(nil, 1000, opts))
      assert.is_nil(backoff.rate_limit_wait({ ["retry-after"] = "soon" }, 1000, opts))
    end)
  end)

  describe("parse_http_date", function()
    it("reads an IMF-fixdate as epoch seconds", function()
      assert.equals(784111777, backoff.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"))
      assert.equals(951782400, backoff.parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"))
      assert.equals(0, backoff.parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"))
    end)

    it("returns nil for anything else", function()
      assert.is_nil(backoff.parse_http_date("yesterday"))
      assert.is_nil(backoff.parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"))
      assert.is_nil(backoff.parse_http_date(nil))
    end)
  end)

  describe("retryable_status", function()
    it("retries 408, 429 and the 5xx statuses but 501", function()
      for _, s in ipairs({ 408, 429, 500, 502, 503, 504, 599 }) do
        assert.is_true(backoff.retryable_status(s), tostring(s))
      end
      for _, s in ipairs({ 200, 400, 401, 403, 404, 409, 501 }) do
        assert.is_false(backoff.retryable_status(s), tostring(s))
      end
    end)
  end)

  describe("network_error_kind", function()
    it("knows when a request cannot have been sent", function()
      assert.equals("unsent", backoff.network_error_kind({ code = "http_network", curl_code = 7 }))
      assert.equals("unsent", backoff.network_error_kind({ code = "http_network", curl_code = 6 }))
    end)

    it("treats certificate and URL problems as fatal", function()
      assert.equals("fatal", backoff.network_error_kind({ code = "http_network", curl_code = 60 }))
      assert.equals("fatal", backoff.network_error_kind({ code = "http_network", curl_code = 77 }))
    end)

    it("counts timeouts, resets and empty replies as a lost answer", function()
      assert.equals("lost", backoff.network_error_kind({ code = "http_timeout", curl_code = 28 }))
      assert.equals("lost", backoff.network_error_kind({ code = "http_network", curl_code = 52 }))
      assert.equals("lost", backoff.network_error_kind({ code = "http_network" }))
    end)
  end)
end)
