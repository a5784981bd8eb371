-- Hooks in a deploy (--hooks FILE, A0LUA_HOOKS) against `a0lua emulate`: which points run in
-- an import, a dry run and a plan; vetoes that stop the run before any write; and the shipped
-- examples in recipes/hooks/.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")
local hooks = require("a0lua.hooks")

local FIXTURES = "tests/fixtures/scripting/"
local EXAMPLE = "recipes/examples/tenant.yaml"
local HOOKS_TENANT = FIXTURES .. "hooks_tenant.yaml"

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function lines_of(path)
  local out = {}
  for line in (read(path) or ""):gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

-- The webhook receiver (tests/fixtures/scripting/webhook_server.lua) in its own process.
local function start_webhook(out_file)
  local cmd = "echo $$; exec lua5.4 " .. FIXTURES .. "webhook_server.lua " .. run.quote(out_file)
  local proc = assert(io.popen("exec sh -c " .. run.quote(cmd), "r"))
  local pid = tonumber(proc:read("l"))
  local url = (proc:read("l") or ""):match("^listening on (http://[%d.]+:%d+)$")
  assert(url, "the webhook receiver did not start")
  return { url = url, stop = function()
    os.execute("kill " .. pid .. " 2>/dev/null")
    proc:close()
  end }
end

describe("hooks in a deploy", function()
  local emu, tmp, cfg
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    cfg = tmp .. "/cfg.json"
    run.write_file(cfg, assert(json.encode({ AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret })))
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function a0lua(argv, env)
    local words = { "build/a0lua" }
    for _, a in ipairs(argv) do words[#words + 1] = a end
    return run.run(words, { env = env })
  end

  -- The requests that wrote to the tenant (the token request aside).
  local function writes()
    local out = {}
    for _, r in ipairs(emu:requests()) do
      if r.method ~= "GET" and r.path ~= "/oauth/token" then
        out[#out + 1] = r.method .. " " .. r.path
      end
    end
    return out
  end

  describe("points", function()
    it("runs load, plan, before, after and done in an import", function()
      local record = tmp .. "/points"
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", HOOKS_TENANT, "--env=false",
        "--hooks", FIXTURES .. "hooks/record_points.lua" }, { A0LUA_SPEC_RECORD = record })
      assert.equal(0, status, out .. err)
      local got = lines_of(record)
      assert.same({ "load 3", "plan 5" }, { got[1], got[2] })
      local before, after = 0, 0
      for _, l in ipairs(got) do
        if l:match("^before create") then before = before + 1 end
        if l:match("^after create .* table$") then after = after + 1 end
      end
      assert.equal(4, before)
      assert.equal(4, after)
      assert.equal("done false", got[#got])
    end)

    it("runs load, plan and done but not before or after in a plan and a dry run", function()
      for _, argv in ipairs({ { "plan" }, { "import", "--dry-run" } }) do
        local record = tmp .. "/points-" .. argv[1]
        local words = { argv[1], argv[2], "-c", cfg, "-i", HOOKS_TENANT, "--env=false" }
        if not argv[2] then table.remove(words, 2) end
        local status = a0lua(words, { A0LUA_SPEC_RECORD = record,
          A0LUA_HOOKS = FIXTURES .. "hooks/record_points.lua" })
        assert.equal(argv[1] == "plan" and 2 or 0, status)
        assert.same({ "load 3", "plan 5", "done true" }, lines_of(record))
      end
      assert.same({}, writes())
    end)

    it("runs the error hooks when the run fails", function()
      local record = tmp .. "/points"
      local status = a0lua({ "import", "-c", cfg, "-i", "tests/fixtures/bad/"
        .. "unknown_token_exchange_profile.yaml", "--env=false",
        "--hooks", FIXTURES .. "hooks/record_points.lua" }, { A0LUA_SPEC_RECORD = record })
      assert.equal(1, status)
      assert.same({ "load 1", "error validation" }, lines_of(record))
    end)
  end)

  describe("vetoes", function()
    it("stops at a load veto with the hook's message and file:line, writing nothing", function()
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", HOOKS_TENANT, "--env=false",
        "--hooks", FIXTURES .. "hooks/veto_load.lua" })
      assert.equal(1, status, out)
      assert.equal("a0lua: " .. FIXTURES .. "hooks/veto_load.lua:7: hook load (clients) vetoed: "
        .. "client Bare has no description\n", err)
      assert.same({}, writes())
    end)

    it("stops at an error in a before hook before the first write", function()
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", HOOKS_TENANT, "--env=false",
        "--hooks", FIXTURES .. "hooks/raise_before.lua" })
      assert.equal(1, status, out)
      assert.matches(FIXTURES .. "hooks/raise_before.lua:5: hook before (create clients "
        .. "Bare) failed: no writes to clients today: Bare", err, 1, true)
      assert.same({}, writes())
    end)

    it("reports a hooks file that does not compile, and one that is missing", function()
      local broken = tmp .. "/syntax_error.lua"
      run.write_file(broken, "local hooks = require \"a0lua.hooks\"\n"
        .. "hooks.on(\"load\", function( end)\n")
      local status, _, err = a0lua({ "plan", "-c", cfg, "-i", HOOKS_TENANT, "--env=false",
        "--hooks", broken })
      assert.equal(1, status)
      assert.matches(broken .. ":2:", err, 1, true)
      status, _, err = a0lua({ "plan", "-c", cfg, "-i", HOOKS_TENANT, "--env=false" },
        { A0LUA_HOOKS = tmp .. "/none.lua" })
      assert.equal(1, status)
      assert.matches("none.lua: no such hooks file", err, 1, true)
    end)
  end)

  describe("recipes/hooks/obo_allow_list.lua", function()
    local HOOK = "recipes/hooks/obo_allow_list.lua"

    it("lets the clients of the list use token exchange", function()
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--hooks", HOOK })
      assert.equal(0, status, out .. err)
    end)

    it("refuses token exchange on a client outside the list, before any write", function()
      local status, _, err = a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--hooks", HOOK }, { A0LUA_TOKEN_EXCHANGE_ALLOW = "Someone Else, Another" })
      assert.equal(1, status)
      assert.matches('token exchange is not allowed for "Orders MCP Server"', err, 1, true)
      assert.matches("^a0lua: recipes/hooks/obo_allow_list.lua:%d+: hook load", err)
      assert.same({}, writes())
    end)

    it("refuses a payload that would turn token exchange on", function()
      local r = assert(hooks.load(HOOK))
      local ok, err = r:run_before({ { type = "clients", op = "update", key = "Rogue",
        payload = { token_exchange = { allow_any_profile_of_type = json.array{
          "on_behalf_of_token_exchange" } } } } }, {})
      assert.is_nil(ok)
      assert.equal("hook_veto", err.code)
      assert.equal('token exchange is not allowed for "Rogue"', err.reason)
      assert.is_true(r:run_before({ { type = "clients", op = "update", key = "Rogue",
        payload = { description = "x" } } }, {}))
    end)
  end)

  describe("recipes/hooks/stamp_owner.lua", function()
    it("stamps client_metadata.owner on new clients and keeps an owner the files give", function()
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--hooks", "recipes/hooks/stamp_owner.lua" }, { A0LUA_OWNER = "spec-team" })
      assert.equal(0, status, out .. err)
      local owners = {}
      for _, c in ipairs(assert(emu:get("/clients?fields=name,client_metadata")).json) do
        owners[c.name] = c.client_metadata and c.client_metadata.owner or false
      end
      assert.equal("spec-team", owners["Orders Web"])
      assert.equal("platform-team", owners["Orders MCP Server"])
      assert.is_false(owners["Default App"])
    end)
  end)

  describe("recipes/hooks/require_api_description.lua", function()
    it("refuses an API whose scope has no description, even in validate", function()
      local status, _, err = a0lua({ "validate", "-c", cfg, "-i", HOOKS_TENANT, "--env=false",
        "--hooks", "recipes/hooks/require_api_description.lua" })
      assert.equal(1, status)
      assert.matches('API "Undescribed API": scope "read:things" has no description', err, 1,
        true)
    end)

    it("lets APIs whose scopes are described through", function()
      local status, out, err = a0lua({ "validate", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--hooks", "recipes/hooks/require_api_description.lua" })
      assert.equal(0, status, out .. err)
    end)
  end)

  describe("recipes/hooks/webhook_summary.lua", function()
    local hook_server
    after_each(function()
      if hook_server then hook_server.stop() end
      hook_server = nil
    end)

    it("posts a summary after a deploy and the error after a failure", function()
      local received = tmp .. "/webhook"
      hook_server = start_webhook(received)
      local env = { A0LUA_WEBHOOK_URL = hook_server.url .. "/deploys" }
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--hooks", "recipes/hooks/webhook_summary.lua" }, env)
      assert.equal(0, status, out .. err)
      status = a0lua({ "import", "-c", cfg, "-i", FIXTURES .. "hooks_tenant.yaml",
        "--env=false", "--hooks", "recipes/hooks/webhook_summary.lua" }, env)
      assert.equal(0, status)
      status = a0lua({ "plan", "-c", cfg, "-i", "tests/fixtures/bad/dangling_reference.yaml",
        "--env=false", "--hooks", "recipes/hooks/webhook_summary.lua" }, env)
      assert.equal(1, status)
      local posts = lines_of(received)
      assert.equal(3, #posts)
      local first = assert(json.decode(posts[1]))
      assert.is_true(first.ok)
      assert.is_false(first.dry_run)
      assert.equal("127.0.0.1:" .. emu.port, first.tenant)
      assert.equal(2, first.types.clients.created)
      assert.is_true(first.created >= 8)
      local failure = assert(json.decode(posts[3]))
      assert.is_false(failure.ok)
      assert.matches("validation failed", failure.error, 1, true)
      assert.is_nil(table.concat(posts, "\n"):find(emu.client_secret, 1, true))
    end)

    it("warns when the webhook fails, and the deploy still succeeds", function()
      hook_server = start_webhook(tmp .. "/webhook")
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--hooks", "recipes/hooks/webhook_summary.lua" },
        { A0LUA_WEBHOOK_URL = hook_server.url .. "/fail" })
      assert.equal(0, status, out .. err)
      assert.matches("warning: .*webhook_summary.lua:%d+: hook done vetoed: webhook: "
        .. "http://127%.0%.0%.1:%d+/fail answered 500", err)
    end)
  end)
end)
