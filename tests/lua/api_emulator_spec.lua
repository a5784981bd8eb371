-- a0lua.api against the real emulator (`build/a0lua emulate` on a free loopback port, through
-- tests/helpers/emulator.lua): tokens, paging past 1,000 records, rate limits, injected
-- failures and lost answers, concurrency, TLS with a CA file and a CONNECT proxy.
local api = require("a0lua.api")
local emulator = require("helpers.emulator")
local json = require("a0lua.core.json")
local loopback = require("helpers.loopback")
local tasks = require("a0lua.tasks")

-- A logger that keeps every line, to check that nothing secret is ever logged.
local function capture_log()
  local lines = {}
  local logger = { lines = lines }
  for _, level in ipairs({ "debug", "info", "warn", "error" }) do
    logger[level] = function(_, msg, fields)
      lines[#lines + 1] = { level = level, msg = msg, fields = fields }
    end
  end
  return logger
end

local function connect(emu, extra)
  local opts = { domain = emu.url, client_id = emu.client_id, client_secret = emu.client_secret }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(api.new(opts))
end

local function serialize(v, out)
  out = out or {}
  if type(v) == "table" then
    for k, x in pairs(v) do
      serialize(k, out)
      serialize(x, out)
    end
  elseif v ~= nil then
    out[#out + 1] = tostring(v)
  end
  return table.concat(out, "\n")
end

local function roles(n, prefix)
  local list = json.array()
  for i = 1, n do
    list[i] = { id = ("rol_%s%012d"):format(prefix or "seed", i), name = ("role %04d"):format(i),
                description = "seeded" }
  end
  return list
end

local function count_requests(emu, method, path_pattern)
  local n = 0
  for _, r in ipairs(emu:requests()) do
    if r.method == method and (r.path or ""):match(path_pattern) then n = n + 1 end
  end
  return n
end

describe("a0lua.api against the emulator", function()
  describe("tokens", function()
    local emu
    setup(function() emu = emulator.start() end)
    teardown(function() if emu then emu:stop() end end)

    it("fetches a token by client credentials once and uses it for every request", function()
      emu:clear_requests()
      local client = connect(emu)
      local stats = client:run(function()
        local fns = {}
        for i = 1, 10 do
          fns[i] = function() return client:get("/roles", { query = { per_page = i } }) end
        end
        local values, errs = tasks.all(fns)
        for i = 1, 10 do assert.is_not_nil(values[i], tostring(errs[i])) end
        return client:stats()
      end)
      client:close()
      assert.equals(1, stats.token_requests)
      assert.equals(10, stats.requests)
      assert.equals(1, count_requests(emu, "POST", "^/oauth/token"))
    end)

    it("works with a ready access token and no token request", function()
      local token = emu:token()
      emu:clear_requests()
      local client = assert(api.new{ domain = emu.url, access_token = token })
      local list = client:run(function() return client:list("/roles", { key = "roles" }) end)
      client:close()
      assert.is_true(json.is_array(list))
      assert.equals(0, count_requests(emu, "POST", "^/oauth/token"))
    end)

    it("fails clearly with a wrong secret, without the secret and without an API request",
      function()
        emu:clear_requests()
        local logger = capture_log()
        local secret = "wrong-secret-that-must-not-leak"
        local client = connect(emu, { client_secret = secret, log = logger })
        local body, err = client:run(function() return client:get("/clients") end)
        client:close()
        assert.is_nil(body)
        assert.equals("api_auth", err.code)
        assert.equals(401, err.status)
        local text = tostring(err)
        assert.matches("POST /oauth/token: 401", text, 1, true)
        assert.matches("AUTH0_CLIENT_SECRET", text, 1, true)
        assert.is_nil(text:find(secret, 1, true))
        assert.is_nil(serialize(err):find(secret, 1, true))
        assert.is_nil(serialize(logger.lines):find(secret, 1, true))
        assert.equals(0, count_requests(emu, "GET", "^/api/v2"))
      end)

    it("refuses plain HTTP to a host that is not the loopback", function()
      local client, err = api.new{ domain = "http://" .. emu.url:match("//(.*)$"):gsub("127.0.0.1",
        "emulator.example.com"), client_id = emu.client_id, client_secret = emu.client_secret }
      assert.is_nil(client)
      assert.equals("api_config", err.code)
      assert.matches("plain http:// is only allowed to a loopback host", tostring(err), 1, true)
    end)
  end)

  describe("pagination", function()
    local emu
    setup(function()
      local clients = json.array()
      for i = 1, 1234 do
        clients[i] = { client_id = ("c%031d"):format(i), name = ("client %04d"):format(i) }
      end
      emu = emulator.start({ state = { ["/clients"] = clients, ["/roles"] = roles(250) } })
    end)
    teardown(function() if emu then emu:stop() end end)

    it("reads more than 1,000 clients by checkpoint", function()
      emu:clear_requests()
      local client = connect(emu)
      local list, err = client:run(function()
        return client:list("/clients", { paging = "offset", key = "clients" })
      end)
      client:close()
      assert.is_not_nil(list, tostring(err))
      assert.equals(1234, #list)
      local names = {}
      for _, c in ipairs(list) do names[c.name] = true end
      assert.is_true(names["client 0001"] and names["client 1234"])
      local n = 0
      for _ in pairs(names) do n = n + 1 end
      assert.equals(1234, n)
      local checkpoint = 0
      for _, r in ipairs(emu:requests()) do
        local q = r.query or {}
        if r.path == "/api/v2/clients" and q.take then checkpoint = checkpoint + 1 end
        assert.is_true(r.status < 400, "no request failed: " .. tostring(r.status))
      end
      assert.equals(13, checkpoint)
    end)

    it("reads offset pages with totals", function()
      emu:clear_requests()
      local client = connect(emu)
      local list = client:run(function() return client:list("/roles", { key = "roles" }) end)
      client:close()
      assert.equals(250, #list)
      assert.equals("role 0250", list[250].name)
      assert.equals(3, count_requests(emu, "GET", "^/api/v2/roles"))
    end)
  end)

  describe("rate limits", function()
    local emu
    setup(function() emu = emulator.start({ args = { "--limits", "free" } }) end)
    teardown(function() if emu then emu:stop() end end)

    it("finishes a burst of 300 requests on the free plan with few or no 429s", function()
      local client = connect(emu, { concurrency = 20 })
      local failures = 0
      client:run(function()
        local fns = {}
        for i = 1, 300 do
          fns[i] = function()
            if i % 10 == 0 then
              return client:post("/roles", { name = ("burst role %03d"):format(i) })
            end
            return client:get("/roles", { query = { per_page = 1 } })
          end
        end
        local values = tasks.all(fns)
        for i = 1, 300 do
          if not values[i] then failures = failures + 1 end
        end
      end)
      local stats = client:stats()
      client:close()
      assert.equals(0, failures)
      assert.is_true(stats.rate_limited <= 3, "429s: " .. stats.rate_limited)
      -- How long it takes is a benchmark's measure on a busy machine: that pacing keeps near the
      -- bucket's pace is checked in virtual time, in tests/lua/api_pacer_burst_spec.lua.
    end)
  end)

  describe("injected failures", function()
    local emu
    setup(function()
      emu = emulator.start({ args = { "--fail-rate", "0.3", "--seed", "7" } })
    end)
    teardown(function() if emu then emu:stop() end end)

    it("retries the 500 and 503 answers until every request succeeds", function()
      local client = connect(emu, { retry_base_ms = 20, retry_max_ms = 200 })
      local errors = {}
      client:run(function()
        local fns = {}
        for i = 1, 60 do
          fns[i] = function() return client:get("/roles", { query = { per_page = 2 } }) end
        end
        local values, errs = tasks.all(fns)
        for i = 1, 60 do
          if not values[i] then errors[#errors + 1] = tostring(errs[i]) end
        end
      end)
      local stats = client:stats()
      client:close()
      assert.same({}, errors)
      assert.is_true(stats.retries >= 5, "retries: " .. stats.retries)
      assert.equals(60 + stats.retries - (stats.token_requests - 1), stats.requests)
    end)
  end)

  describe("lost answers", function()
    local emu
    setup(function()
      emu = emulator.start({ args = { "--drop-rate", "0.4", "--seed", "11" } })
    end)
    teardown(function() if emu then emu:stop() end end)

    it("never creates a role twice when the answers to creates are lost", function()
      local client = connect(emu, { retry_base_ms = 20, retry_max_ms = 200 })
      local errors = {}
      client:run(function()
        for i = 1, 25 do
          local name = ("lost role %02d"):format(i)
          local created, err = client:create("/roles", { name = name }, {
            find = function(item) return item.name == name end,
            list = { key = "roles" },
          })
          if not created then errors[#errors + 1] = tostring(err) end
        end
      end)
      local stats = client:stats()
      client:close()
      assert.same({}, errors)
      assert.is_true(stats.lookups > 0, "some creates lost their answer")
      local counts = {}
      for _, role in ipairs(emu:state()["/roles"] or {}) do
        counts[role.name] = (counts[role.name] or 0) + 1
      end
      for i = 1, 25 do
        assert.equals(1, counts[("lost role %02d"):format(i)], "role " .. i)
      end
    end)

    it("never creates a client twice, though client names give no 409 away", function()
      local client = connect(emu, { retry_base_ms = 20, retry_max_ms = 200 })
      local errors = {}
      client:run(function()
        for i = 1, 25 do
          local name = ("lost client %02d"):format(i)
          local created, err = client:create("/clients", { name = name }, {
            find = function(item) return item.name == name end,
            list = { key = "clients" },
          })
          if not created then errors[#errors + 1] = tostring(err) end
        end
      end)
      client:close()
      assert.same({}, errors)
      local counts = {}
      for _, c in ipairs(emu:state()["/clients"] or {}) do
        counts[c.name] = (counts[c.name] or 0) + 1
      end
      for i = 1, 25 do
        assert.equals(1, counts[("lost client %02d"):format(i)], "client " .. i)
      end
    end)
  end)

  describe("concurrency", function()
    local emu
    setup(function() emu = emulator.start({ args = { "--latency", "300" } }) end)
    teardown(function() if emu then emu:stop() end end)

    it("keeps many requests in flight", function()
      local client = connect(emu, { concurrency = 10 })
      client:run(function() assert(client:get("/roles")) end) -- token and first answer
      -- Counted where the requests are handed to libcurl, not timed: how many are out at once.
      local session, most = client.scheduler.session, 0
      client.scheduler.session = setmetatable({
        submit = function(_, req)
          local id = session:submit(req)
          most = math.max(most, session:pending())
          return id
        end,
      }, { __index = function(_, name)
        return function(_, ...) return session[name](session, ...) end
      end })
      local answers = 0
      client:run(function()
        local fns = {}
        for i = 1, 20 do fns[i] = function() return assert(client:get("/roles")) end end
        answers = #tasks.all(fns)
      end)
      client.scheduler.session = session
      client:close()
      assert.equals(20, answers)
      assert.equals(10, most)
    end)
  end)

  describe("TLS and proxy", function()
    local emu, tls, proxy, why
    setup(function()
      emu = emulator.start()
      tls, why = loopback.start_tls(emu)
      if tls then proxy = require("helpers.api_proxy").start(tls.port) end
    end)
    teardown(function()
      if proxy then proxy:stop() end
      if tls then tls:stop() end
      if emu then emu:stop() end
    end)

    it("talks https with a CA file", function()
      if not tls then pending("no TLS terminator: " .. tostring(why)) return end
      local client = assert(api.new{ domain = tls.url, ca_file = tls.ca_file,
                                     client_id = emu.client_id,
                                     client_secret = emu.client_secret })
      local list, err = client:run(function() return client:list("/roles", { key = "roles" }) end)
      client:close()
      assert.is_not_nil(list, tostring(err))
      assert.is_true(json.is_array(list))
    end)

    it("fails without retrying when the certificate is not trusted", function()
      if not tls then pending("no TLS terminator: " .. tostring(why)) return end
      local client = assert(api.new{ domain = tls.url, client_id = emu.client_id,
                                     client_secret = emu.client_secret })
      local body, err = client:run(function() return client:get("/roles") end)
      local stats = client:stats()
      client:close()
      assert.is_nil(body)
      assert.equals("api_network", err.code)
      assert.equals(0, stats.retries)
    end)

    it("goes through the proxy it is given", function()
      if not tls then pending("no TLS terminator: " .. tostring(why)) return end
      -- a0lua.test resolves nowhere: only the proxy can reach it
      local client = assert(api.new{ domain = "a0lua.test", ca_file = tls.ca_file,
                                     proxy = proxy.url, client_id = emu.client_id,
                                     client_secret = emu.client_secret })
      local list, err = client:run(function() return client:list("/roles", { key = "roles" }) end)
      client:close()
      assert.is_not_nil(list, tostring(err))
      assert.is_true(#proxy:connects() >= 1)
      assert.equals("a0lua.test:443", proxy:connects()[1])
    end)
  end)
end)
