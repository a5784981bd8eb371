-- `a0lua repl` against `a0lua emulate`: driven through a pipe, and through a pseudo-terminal
-- (tmux) for the banner, Tab completion and history.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")

local STATE = "tests/fixtures/scripting/obo_state.json"

-- The issue's "Done when" line, byte for byte.
local DONE_WHEN = [[printf 'for _, c in ipairs(tenant.clients:where{token_exchange = ]]
  .. [[{allow_any_profile_of_type = {"on_behalf_of_token_exchange"}}}) do print(c.name) end\n']]

local function write_config(dir, emu)
  local path = dir .. "/cfg.json"
  run.write_file(path, assert(json.encode({ AUTH0_DOMAIN = emu.url,
    AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret })))
  return path
end

local function has_tmux()
  return os.execute("command -v tmux >/dev/null 2>&1") == true
end

describe("a0lua repl", function()
  local emu, tmp, cfg
  setup(function()
    emu = emulator.start{ args = { "--state", STATE } }
    tmp = run.temp_dir()
    cfg = write_config(tmp, emu)
  end)
  teardown(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function pipe(script, extra)
    local cmd = ("printf '%%s' %s | build/a0lua repl -c %s %s"):format(run.quote(script),
      run.quote(cfg), extra or "")
    return run.run({ "sh", "-c", cmd }, { env = { HOME = tmp } })
  end

  describe("through a pipe", function()
    it("prints exactly the clients that allow On-Behalf-Of token exchange", function()
      local status, out, err = run.run({ "sh", "-c", DONE_WHEN .. " | build/a0lua repl -c "
        .. run.quote(cfg) }, { env = { HOME = tmp } })
      assert.equal(0, status, err)
      assert.equal("Orders MCP\nBoth Kinds\n", out)
      assert.equal("", err)
    end)

    it("runs a predicate that reads a field null on some clients without a null check", function()
      local status, out, err = pipe("for _, c in ipairs(tenant.clients:where(function(c)\n"
        .. "  local te = c.token_exchange\n"
        .. "  return te and te.allow_any_profile_of_type and #te.allow_any_profile_of_type > 0\n"
        .. "end)) do print(c.name) end\n"
        .. "print(tenant.clients['Null Exchange'].token_exchange)\n")
      assert.equal(0, status, err)
      assert.equal("Orders MCP\nCustom Auth Only\nBoth Kinds\nnil\n", out)
    end)

    it("pretty-prints results with secrets masked, and goes on after an error", function()
      local res = assert(emu:post("/clients", { name = "Secret Holder" }))
      local id = res.json.client_id
      assert.is_string(res.json.client_secret)
      local count = #assert(emu:get("/clients")).json
      local status, out, err = pipe("tenant.clients['Orders MCP'].client_id\n"
        .. "api.get('/clients/" .. id .. "', {fields = 'name,client_secret'})\n"
        .. "error('stop here')\n"
        .. "#tenant.clients\n")
      assert.equal(1, status)
      assert.equal('"oboOnly000000000000000000000001"\n'
        .. '{ client_secret = (secret), name = "Secret Holder" }\n' .. count .. "\n", out)
      assert.equal("error: stdin:1: stop here\n", err)
      assert.is_nil(out:find(res.json.client_secret, 1, true))
    end)

    it("plans a file against the tenant and prints the plan", function()
      local status, out, err = pipe("p = plan 'recipes/examples/tenant.yaml'\n"
        .. "p:summary().clients.create\n"
        .. "p\n")
      assert.equal(0, status, err)
      assert.matches("^2\n", out)
      assert.matches("+ create Orders Web", out, 1, true)
      assert.matches("Plan: ", out, 1, true)
    end)

    it("says what is missing without a tenant, and still runs Lua", function()
      local cmd = "printf 'tenant.clients\\n1 + 2\\n' | build/a0lua repl --env=false"
      local status, out, err = run.run({ "sh", "-c", cmd }, { env = { HOME = tmp } })
      assert.equal(1, status)
      assert.equal("3\n", out)
      assert.matches("no tenant: start the REPL with -c config.json", err, 1, true)
    end)

    it("refuses an unknown option", function()
      local status, _, err = run.run({ "build/a0lua", "repl", "--nope" })
      assert.equal(1, status)
      assert.matches("unknown option --nope", err, 1, true)
    end)
  end)

  describe("on a terminal", function()
    local socket = "a0lua-spec-" .. tostring(os.time()) .. "-" .. tostring(math.random(1e6))
    local function tmux(...)
      local words = { "tmux", "-L", socket }
      for _, w in ipairs({ ... }) do words[#words + 1] = w end
      return run.run(words)
    end
    local function screen()
      local _, out = tmux("capture-pane", "-p", "-t", "repl")
      return out
    end
    -- Waits until check(screen) is true; returns the screen. A minute is only a bound on a
    -- hang: a busy machine may take its time to draw.
    local function wait_until(what, check)
      local shown
      local deadline = os.time() + 60
      repeat
        shown = screen()
        if check(shown) then return shown end
        os.execute("sleep 0.1")
      until os.time() > deadline
      error(("the terminal never showed %s; it shows:\n%s"):format(what, shown), 3)
    end
    -- Waits until the screen shows `text` (plain).
    local function wait_for(text)
      return wait_until(("%q"):format(text), function(s) return s:find(text, 1, true) end)
    end
    -- Waits until the last line drawn is an empty prompt: the editor reads the terminal raw
    -- again. Keys sent before (while a line runs, or before the editor started) reach a
    -- terminal in its cooked mode, which takes C-d for an end of file of its own.
    local function wait_prompt()
      return wait_until("an empty prompt", function(s)
        local last = ""
        for line in s:gmatch("[^\n]+") do
          if line:match("%S") then last = line end
        end
        return last:match("^>%s*$") ~= nil
      end)
    end
    local function start()
      local cmd = ("HOME=%s exec build/a0lua repl -c %s"):format(run.quote(tmp), run.quote(cfg))
      assert.equal(0, (tmux("new-session", "-d", "-s", "repl", "-x", "150", "-y", "40", cmd)))
      local banner = wait_for("REPL on tenant")
      wait_prompt()
      return banner
    end
    after_each(function()
      tmux("kill-server")
    end)

    it("shows a banner naming the tenant and completes globals, fields and names", function()
      if not has_tmux() then
        pending("tmux is not installed")
        return
      end
      local banner = start()
      assert.matches("REPL on tenant 127.0.0.1:" .. emu.port, banner, 1, true)
      tmux("send-keys", "-t", "repl", "tena", "Tab")
      wait_for("> tenant")
      -- Two types start so (clients, clientGrants): Tab inserts what they share.
      tmux("send-keys", "-t", "repl", ".cli", "Tab")
      wait_for("> tenant.client")
      tmux("send-keys", "-t", "repl", "s", '["Orders M', "Tab")
      wait_for('> tenant.clients["Orders MCP"]')
      tmux("send-keys", "-t", "repl", ".app_t", "Tab")
      wait_for('> tenant.clients["Orders MCP"].app_type')
      tmux("send-keys", "-t", "repl", "Enter")
      local shown = wait_for('"non_interactive"')
      assert.matches('"non_interactive"\n>', shown, 1, true)
      tmux("send-keys", "-t", "repl", "for i = 1, 2 do", "Enter")
      wait_for("\n>>")
      tmux("send-keys", "-t", "repl", "print(i * 10) end", "Enter")
      shown = wait_for("20\n>")
      assert.matches(">> print(i * 10) end\n10\n20\n>", shown, 1, true)
    end)

    it("keeps history in ~/.a0lua_history across sessions", function()
      if not has_tmux() then
        pending("tmux is not installed")
        return
      end
      os.remove(tmp .. "/.a0lua_history")
      start()
      tmux("send-keys", "-t", "repl", "marker = 6 * 7", "Enter")
      wait_for("> marker = 6 * 7\n")
      wait_prompt()
      tmux("send-keys", "-t", "repl", "C-d")
      local deadline = os.time() + 60
      repeat
        local f = io.open(tmp .. "/.a0lua_history", "rb")
        local text = f and f:read("a") or ""
        if f then f:close() end
        if text:find("marker", 1, true) then break end
        os.execute("sleep 0.1")
      until os.time() > deadline
      tmux("kill-server")
      local f = assert(io.open(tmp .. "/.a0lua_history", "rb"))
      assert.matches("marker", f:read("a"), 1, true)
      f:close()
      start()
      tmux("send-keys", "-t", "repl", "Up")
      wait_for("> marker = 6 * 7")
      tmux("send-keys", "-t", "repl", "Enter")
      tmux("send-keys", "-t", "repl", "marker", "Enter")
      local shown = wait_for("42\n")
      assert.matches("> marker\n42\n", shown, 1, true)
    end)
  end)
end)
