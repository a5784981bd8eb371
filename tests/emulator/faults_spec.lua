-- a0lua.emulator.faults: latency, failures and drops, reproducible under a seed; unit checks,
-- then each fault through `a0lua emulate`.
local faults = require("a0lua.emulator.faults")
local random = require("a0lua.emulator.random")
local emulator = require("helpers.emulator")
local http = require("a0lua.core.http")

local function draws(opts, n)
  local f = faults.new(opts)
  local out = {}
  for i = 1, n do
    local d = f:draw()
    out[i] = ("%.6f/%s/%s"):format(d.delay, tostring(d.fail), tostring(d.drop))
  end
  return out
end

describe("a0lua.emulator.faults", function()
  describe("draw", function()
    it("draws the same faults from the same seed", function()
      local opts = { latency_ms = 10, jitter_ms = 5, fail_rate = 0.3, drop_rate = 0.3, seed = 7 }
      assert.are.same(draws(opts, 200), draws(opts, 200))
      opts.seed = 8
      local other = draws(opts, 200)
      opts.seed = 7
      assert.are_not.same(draws(opts, 200), other)
    end)

    it("keeps latency within latency plus or minus jitter", function()
      local f = faults.new({ latency_ms = 100, jitter_ms = 20, seed = 1 })
      for _ = 1, 500 do
        local d = f:draw()
        assert.is_true(d.delay >= 0.08 - 1e-9 and d.delay <= 0.12 + 1e-9)
      end
    end)

    it("fails and drops at about the rates asked, half the drops after the write", function()
      local f = faults.new({ fail_rate = 0.2, drop_rate = 0.25, seed = 3 })
      local fails, drops, after, codes = 0, 0, 0, {}
      for _ = 1, 4000 do
        local d = f:draw()
        if d.fail then
          fails = fails + 1
          codes[d.fail] = true
        end
        if d.drop then drops = drops + 1 end
        if d.drop == "after" then after = after + 1 end
      end
      assert.is_true(fails > 700 and fails < 900, tostring(fails))
      assert.is_true(drops > 680 and drops < 920, tostring(drops))
      assert.is_true(after > drops * 0.4 and after < drops * 0.6)
      assert.is_true(codes[500] and codes[503])
    end)

    it("is inactive without options and gives Management error bodies", function()
      assert.is_false(faults.new({}):active())
      assert.are.equal(503, faults.error_body(503).statusCode)
      assert.are.equal("Internal Server Error", faults.error_body(500).error)
    end)

    it("raises on a rate outside [0, 1]", function()
      assert.has_error(function() faults.new({ fail_rate = 2 }) end)
      assert.has_error(function() faults.new({ latency_ms = -1 }) end)
    end)
  end)

  describe("random", function()
    it("reproduces a sequence from a seed and stays in range", function()
      local a, b = random.new(42), random.new(42)
      for _ = 1, 100 do
        assert.are.equal(a:next(), b:next())
        local f, n = a:float(), a:int(6)
        assert.is_true(f >= 0 and f < 1 and n >= 1 and n <= 6)
        b:float()
        b:int(6)
      end
      assert.has_error(function() random.new(1.5) end)
    end)
  end)

  describe("through the emulator", function()
    it("delays answers by --latency", function()
      local emu = emulator.start({ args = { "--latency", "150:0" } })
      finally(function() emu:stop() end)
      emu:token()
      local t0 = http.now()
      assert.are.equal(200, emu:get("/roles").status)
      assert.is_true(http.now() - t0 >= 140)
    end)

    it("keeps other connections served while one answer is delayed", function()
      local emu = emulator.start({ args = { "--latency", "500:0" } })
      finally(function() emu:stop() end)
      local token = emu:token()
      local session = http.session({ proxy = "", max_connections = 20 })
      local t0 = http.now()
      for _ = 1, 20 do
        session:submit({ url = emu.url .. "/api/v2/roles",
                         headers = { Authorization = "Bearer " .. token } })
      end
      local done = 0
      while session:pending() > 0 do
        for _, c in ipairs(session:poll(1000)) do
          assert.are.equal(200, c.status)
          done = done + 1
        end
      end
      session:close()
      assert.are.equal(20, done)
      -- Not a measure of speed: answered one at a time, 20 answers held 500 ms each cannot all
      -- arrive in less than 10 s; side by side they take about 0.5 s, and the 9.5 s between is
      -- what a busy machine may add.
      assert.is_true(http.now() - t0 < 20 * 500)
    end)

    it("answers 500 or 503 in the Management shape under --fail-rate 1", function()
      local emu = emulator.start({ args = { "--fail-rate", "1", "--seed", "5" } })
      finally(function() emu:stop() end)
      local res = emu:http("POST", "/oauth/token", { body = { grant_type = "client_credentials",
        client_id = emu.client_id, client_secret = emu.client_secret,
        audience = ("https://127.0.0.1:%d/api/v2/"):format(emu.port) } })
      assert.is_true(res.status == 500 or res.status == 503)
      assert.are.equal(res.status, res.json.statusCode)
      assert.is_string(res.json.errorCode)
    end)

    it("drops connections under --drop-rate, sometimes after applying the write", function()
      local emu = emulator.start({ args = { "--drop-rate", "0.5", "--seed", "11" } })
      finally(function() emu:stop() end)
      local token
      for _ = 1, 20 do
        local res = emu:http("POST", "/oauth/token", { body = {
          grant_type = "client_credentials", client_id = emu.client_id,
          client_secret = emu.client_secret,
          audience = ("https://127.0.0.1:%d/api/v2/"):format(emu.port) } })
        if res then
          token = res.json.access_token
          break
        end
      end
      assert.is_string(token)
      local lost = 0
      for i = 1, 30 do
        local res, err = emu:post("/roles", { name = "drop-" .. i }, { token = token })
        if not res then
          assert.are.equal("http_network", err.code)
          lost = lost + 1
        end
      end
      assert.is_true(lost > 0)
      local log = emu:requests()
      local applied_but_lost = 0
      for _, entry in ipairs(log) do
        if entry.dropped == "after" and entry.status == 200 then
          applied_but_lost = applied_but_lost + 1
        end
      end
      assert.is_true(applied_but_lost > 0)
      local roles = #emu:state()["/roles"]
      assert.is_true(roles > 30 - lost)
    end)

    it("reproduces the same faults for the same seed and requests", function()
      local runs = {}
      for r = 1, 2 do
        local emu = emulator.start({ args = { "--fail-rate", "0.4", "--seed", "99" } })
        local ok, got = pcall(function()
          local out = {}
          for i = 1, 15 do
            local res = emu:http("GET", "/oauth/token")
            out[i] = res.status
          end
          return out
        end)
        emu:stop()
        assert.is_true(ok, tostring(got))
        runs[r] = got
      end
      assert.are.same(runs[1], runs[2])
      local distinct = {}
      for _, s in ipairs(runs[1]) do distinct[s] = true end
      assert.is_true(distinct[404] and (distinct[500] or distinct[503]))
    end)
  end)
end)
