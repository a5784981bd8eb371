-- a0lua.commands.emulate: `a0lua emulate` as users run it (options, the listening line,
-- signals, --log, --state-from-recording on a0deploy's recordings).
local json = require("a0lua.core.json")
local socket = require("socket")
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")

local function refused(port)
  local c = socket.connect("127.0.0.1", port)
  if c then c:close() end
  return c == nil
end

local function stop_with(emu, signal)
  os.execute(("kill -%s %d"):format(signal, emu.pid))
  local _, how, code = emu.proc:close()
  emu.proc = nil
  emu:stop()
  return how, code
end

describe("a0lua.commands.emulate", function()
  describe("serving", function()
    it("prints its URL once listening, on a free port for --port 0", function()
      local a, b = emulator.start(), emulator.start()
      finally(function()
        a:stop()
        b:stop()
      end)
      assert.matches("^http://127%.0%.0%.1:%d+$", a.url)
      assert.are_not.equal(a.port, b.port)
      assert.are.equal(200, a:get("/roles").status)
    end)

    it("listens on the port it is given", function()
      local probe = assert(socket.bind("127.0.0.1", 0))
      local _, port = probe:getsockname()
      probe:close()
      local emu = emulator.start({ args = { "--port", tostring(port) } })
      finally(function() emu:stop() end)
      assert.are.equal(tonumber(port), emu.port)
    end)

    it("stops on SIGTERM and on SIGINT and frees its port", function()
      for _, signal in ipairs({ "TERM", "INT" }) do
        local emu = emulator.start()
        local port = emu.port
        assert.are.equal(200, emu:get("/roles").status)
        local how = stop_with(emu, signal)
        assert.are.equal("signal", how)
        assert.is_true(refused(port))
      end
    end)

    it("writes one line per request to --log, without bodies or tokens", function()
      local dir = run.temp_dir()
      finally(function() run.remove_tree(dir) end)
      local log = dir .. "/emulate.log"
      local emu = emulator.start({ args = { "--log", log } })
      local token = emu:token()
      emu:post("/roles", { name = "secret-name" })
      emu:get("/roles?page=0")
      emu:stop()
      local f = assert(io.open(log))
      local text = f:read("a")
      f:close()
      assert.matches("POST /oauth/token 200", text, 1, true)
      assert.matches("POST /api/v2/roles 200", text, 1, true)
      assert.matches("GET /api/v2/roles?page=0 200", text, 1, true)
      assert.is_nil(text:find(token, 1, true))
      assert.is_nil(text:find(emu.client_secret, 1, true))
      assert.is_nil(text:find("secret-name", 1, true))
    end)
  end)

  describe("the collector", function()
    it("serves with the generational collector, whatever a0lua.cli set before", function()
      local emulate = require("a0lua.commands.emulate")
      local before = collectgarbage("incremental")
      finally(function() collectgarbage(before) end)
      emulate.use_serving_collector()
      assert.are.equal("generational", collectgarbage("incremental"))
    end)
  end)

  describe("options", function()
    it("rejects an unknown option and a bad value with the usage", function()
      local status, _, err = run.run({ "build/a0lua", "emulate", "--bogus" })
      assert.are.equal(1, status)
      assert.matches("unknown argument %-%-bogus", err)
      assert.matches("usage: a0lua emulate", err)
      status, _, err = run.run({ "build/a0lua", "emulate", "--limits", "gold" })
      assert.are.equal(1, status)
      assert.matches("none, free or enterprise", err)
      status, _, err = run.run({ "build/a0lua", "emulate", "--fail-rate", "2" })
      assert.are.equal(1, status)
      assert.matches("%-%-fail%-rate", err)
    end)

    it("fails with a message when the state file cannot be read", function()
      local status, _, err = run.run({ "build/a0lua", "emulate", "--state", "/nonexistent.json" })
      assert.are.equal(1, status)
      assert.matches("cannot read", err)
    end)

    it("is listed by a0lua help", function()
      local status, out = run.run({ "build/a0lua", "help" })
      assert.are.equal(0, status)
      assert.matches("emulate", out)
    end)
  end)

  describe("--state-from-recording", function()
    local dir = shared.dir()
    local recordings = dir and shared.files(dir .. "/fixtures/deploy-cli/recordings", "%.json$")
      or {}

    if #recordings == 0 then
      pending(shared.MISSING)
      return
    end

    it("converts each of the four recordings into a state the emulator serves", function()
      assert.are.equal(4, #recordings)
      local tmp = run.temp_dir()
      finally(function() run.remove_tree(tmp) end)
      for i, file in ipairs(recordings) do
        local out = ("%s/state%d.json"):format(tmp, i)
        local status, stdout, err = run.run({ "build/a0lua", "emulate",
          "--state-from-recording", file, out })
        assert.are.equal(0, status, err)
        assert.matches("^wrote %d+ paths to ", stdout)
        -- The state holds the recorded clients' secrets: readable by its owner only.
        assert.are.equal(384, require("a0lua.core.fs").stat(out).mode)  -- 0600
        local state = json.decode(shared.read(out))
        assert.is_table(state["/tenants/settings"])
        local emu = emulator.start({ args = { "--state", out } })
        local ok, why = pcall(function()
          local settings = emu:get("/tenants/settings").json
          assert.are.same(state["/tenants/settings"].friendly_name, settings.friendly_name)
          if state["/clients"] then
            local listed = emu:get("/clients?per_page=100").json
            assert.are.equal(#state["/clients"], #listed)
          end
        end)
        emu:stop()
        assert.is_true(ok, why)
      end
    end)

    it("serves a dump recording's answers back for its GET paths", function()
      local file
      for _, f in ipairs(recordings) do
        if f:find("should%-dump") then file = f end
      end
      local tmp = run.temp_dir()
      local emu
      -- (busted keeps only the last function given to finally)
      finally(function()
        if emu then emu:stop() end
        run.remove_tree(tmp)
      end)
      local out = tmp .. "/state.json"
      assert.are.equal(0, (run.run({ "build/a0lua", "emulate", "--state-from-recording", file,
        out })))
      emu = emulator.start({ args = { "--state", out } })
      local checks = {
        ["/attack-protection/brute-force-protection"] = "max_attempts",
        ["/branding"] = "logo_url",
        ["/guardian/factors/sms/templates"] = "enrollment_message",
        ["/risk-assessments/settings/new-device"] = "remember_for",
        ["/prompts"] = "universal_login_experience",
      }
      local entries = json.decode(shared.read(file))
      for path, field in pairs(checks) do
        local recorded
        for _, e in ipairs(entries) do
          if e.method == "GET" and e.path == "/api/v2" .. path and e.status == 200 then
            recorded = e.response
            break
          end
        end
        assert.is_table(recorded, path)
        assert.are.same(recorded[field], emu:get(path).json[field], path)
      end
      local forms = emu:get("/forms?include_totals=true").json
      assert.are.equal("Blank-form", forms.forms[1].name)
      assert.are.equal("step_ggeX", emu:get("/forms/" .. forms.forms[1].id).json.nodes[1].id)
      local conns = emu:get("/connections?strategy=auth0").json
      local enabled = emu:get("/connections/" .. conns[1].id .. "/clients?take=100").json
      assert.are.equal(#conns[1].enabled_clients, #enabled.clients)
    end)
  end)
end)
