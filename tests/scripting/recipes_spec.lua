-- The shipped recipes (a0lua run NAME) against `a0lua emulate`: the commands as recipes, drift,
-- backup, enable-obo, promote and fleet.
local emulator = require "helpers.emulator"
local run = require "helpers.run"
local json = require "a0lua.core.json"
local fs = require "a0lua.core.fs"

local EXAMPLE = "recipes/examples/tenant.yaml"
local OBO_STATE = "tests/fixtures/scripting/obo_state.json"

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function a0lua(argv, env)
  local words = { "build/a0lua" }
  for _, a in ipairs(argv) do words[#words + 1] = a end
  return run.run(words, { env = env })
end

local function config_of(emu)
  return { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
    AUTH0_CLIENT_SECRET = emu.client_secret }
end

local function write_json(path, value)
  run.write_file(path, assert(json.encode(value)))
  return path
end

-- The requests that wrote to the tenant (the token request aside).
local function writes(emu)
  local out = {}
  for _, r in ipairs(emu:requests()) do
    if r.method ~= "GET" and r.path ~= "/oauth/token" then
      out[#out + 1] = r.method .. " " .. r.path
    end
  end
  return out
end

local function client_named(emu, name)
  for _, c in ipairs(assert(emu:get("/clients")).json) do
    if c.name == name then return c end
  end
  return nil
end

describe("recipes", function()
  local emu, tmp, cfg
  before_each(function()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    emu = nil
    if tmp then run.remove_tree(tmp) end
  end)

  local function start(opts)
    emu = emulator.start(opts)
    cfg = write_json(tmp .. "/cfg.json", config_of(emu))
    return emu
  end

  describe("a0lua run", function()
    it("runs a shipped recipe by name, and the commands are those recipes", function()
      start()
      local status, out = a0lua({ "run", "plan", "-c", cfg, "-i", EXAMPLE, "--env=false" })
      assert.equal(2, status)
      assert.matches("+ create Orders Web", out, 1, true)
      status, out = a0lua({ "run", "recipes/import.lua", "-c", cfg, "-i", EXAMPLE,
        "--env=false" })
      assert.equal(0, status, out)
      assert.matches("Applied: ", out, 1, true)
      status = a0lua({ "plan", "-c", cfg, "-i", EXAMPLE, "--env=false" })
      assert.equal(0, status)
      status, out = a0lua({ "run", "export", "-c", cfg, "-o", tmp .. "/out", "-f", "yaml",
        "--env=false" })
      assert.equal(0, status, out)
      assert.matches("Orders MCP Server", read(tmp .. "/out/tenant.yaml"), 1, true)
    end)

    it("says so when neither a file nor a recipe has the name", function()
      local status, _, err = a0lua({ "run", "no-such-recipe" })
      assert.equal(1, status)
      assert.matches("cannot open no%-such%-recipe %(no such file, and no recipe of that name", err)
    end)
  end)

  describe("drift", function()
    it("exits 2 with a JSON report on drift, and 0 once the tenant matches", function()
      start()
      local report = tmp .. "/drift.json"
      local status, out, err = a0lua({ "run", "drift", "-c", cfg, "-i", EXAMPLE, "--env=false",
        "--report", report })
      assert.equal(2, status, err)
      assert.matches("drift: the tenant differs from the files", out, 1, true)
      local r = assert(json.decode(read(report)))
      assert.is_true(r.drift)
      assert.equal(2, r.summary.clients.create)
      assert.equal("127.0.0.1:" .. emu.port, r.tenant)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", r.checked_at)
      assert.same({}, writes(emu))
      assert.equal(0, (a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false" })))
      status, out = a0lua({ "run", "drift", "-c", cfg, "-i", EXAMPLE, "--env=false", "--json" })
      assert.equal(0, status)
      local again = assert(json.decode(out))
      assert.is_false(again.drift)
      for _, c in ipairs(again.changes) do assert.equal("skip", c.op) end
    end)

    it("exits 1 when the files do not validate", function()
      start()
      local status, _, err = a0lua({ "run", "drift", "-c", cfg, "--env=false",
        "-i", "tests/fixtures/bad/unknown_token_exchange_profile.yaml" })
      assert.equal(1, status)
      assert.matches("allow_any_profile_of_type[0]", err, 1, true)
    end)
  end)

  describe("backup", function()
    it("writes a dated export and keeps only the newest N backups", function()
      start()
      local dir = tmp .. "/backups"
      for _, old in ipairs({ "2020-01-01T00-00-00Z", "2020-01-02T00-00-00Z",
        "2020-01-03T00-00-00Z" }) do
        assert(fs.mkdir_p(dir .. "/" .. old))
      end
      assert(fs.mkdir_p(dir .. "/notes"))
      local status, out, err = a0lua({ "run", "backup", "-c", cfg, "--env=false", "--dir", dir,
        "--keep", "2" })
      assert.equal(0, status, out .. err)
      local made = out:match("backup: " .. dir:gsub("%p", "%%%0") .. "/(%S+) %(")
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d%-%d%d%-%d%dZ$", made)
      assert.matches("removed: " .. dir .. "/2020-01-01T00-00-00Z", out, 1, true)
      assert.matches("removed: " .. dir .. "/2020-01-02T00-00-00Z", out, 1, true)
      local names = fs.list(dir)
      table.sort(names)
      assert.same({ "2020-01-03T00-00-00Z", made, "notes" }, names)
      assert.matches("Default App", read(dir .. "/" .. made .. "/tenant.yaml"), 1, true)
    end)

    it("needs --dir", function()
      local status, _, err = a0lua({ "run", "backup", "--env=false" })
      assert.equal(1, status)
      assert.matches("give the folder of backups with --dir", err, 1, true)
    end)
  end)

  describe("enable-obo", function()
    it("shows the plan, then turns On-Behalf-Of on for the named clients only", function()
      start{ args = { "--state", OBO_STATE } }
      local status, out, err = a0lua({ "run", "enable-obo", "-c", cfg, "--env=false", "--yes",
        "Custom Auth Only", "Null Exchange", "emptyObject000000000000000000007" })
      assert.equal(0, status, out .. err)
      assert.matches("~ update Custom Auth Only", out, 1, true)
      assert.matches("Applied: 0 created, 3 updated, 0 deleted", out, 1, true)
      assert.same({ "custom_authentication", "on_behalf_of_token_exchange" },
        client_named(emu, "Custom Auth Only").token_exchange.allow_any_profile_of_type)
      assert.same({ "on_behalf_of_token_exchange" },
        client_named(emu, "Null Exchange").token_exchange.allow_any_profile_of_type)
      assert.same({ "on_behalf_of_token_exchange" },
        client_named(emu, "Empty Object").token_exchange.allow_any_profile_of_type)
      assert.equal(3, #writes(emu))
      for _, w in ipairs(writes(emu)) do assert.matches("^PATCH /api/v2/clients/", w) end
    end)

    it("changes nothing for a dry run, without --yes when piped, or when all is enabled", function()
      start{ args = { "--state", OBO_STATE } }
      local status, out = a0lua({ "run", "enable-obo", "-c", cfg, "--env=false", "--dry-run",
        "No Exchange" })
      assert.equal(0, status)
      assert.matches("~ update No Exchange", out, 1, true)
      status, out = a0lua({ "run", "enable-obo", "-c", cfg, "--env=false", "No Exchange" })
      assert.equal(3, status)
      assert.matches("not applied: give --yes", out, 1, true)
      status, out = a0lua({ "run", "enable-obo", "-c", cfg, "--env=false", "--yes",
        "Orders MCP", "Both Kinds" })
      assert.equal(0, status)
      assert.matches("nothing to do", out, 1, true)
      assert.same({}, writes(emu))
    end)

    it("refuses a name that is no client, and no name at all", function()
      start{ args = { "--state", OBO_STATE } }
      local status, _, err = a0lua({ "run", "enable-obo", "-c", cfg, "--env=false", "--yes",
        "Orders MCP", "Nobody" })
      assert.equal(1, status)
      assert.matches('no client named "Nobody"', err, 1, true)
      status, _, err = a0lua({ "run", "enable-obo", "-c", cfg, "--env=false" })
      assert.equal(1, status)
      assert.matches("name at least one client", err, 1, true)
      assert.same({}, writes(emu))
    end)
  end)

  describe("promote", function()
    local target
    after_each(function()
      if target then target:stop() end
      target = nil
    end)

    it("exports one tenant and imports it into another through a keyword map", function()
      start()
      assert.equal(0, (a0lua({ "import", "-c", cfg, "-i", EXAMPLE, "--env=false" })))
      target = emulator.start()
      local to = write_json(tmp .. "/target.json", config_of(target))
      local map = write_json(tmp .. "/map.json", {
        ORDERS_HOST = { from = "orders.example.com", to = "orders.prod.example.com" },
        READER = { from = "Order Reader", to = "Order Auditor" },
      })
      local argv = { "run", "promote", "--from", cfg, "--to", to, "--map", map,
        "--types", "resourceServers,roles", "--keep", tmp .. "/promoted" }
      argv[#argv + 1] = "--dry-run"
      local status, out, err = a0lua(argv)
      assert.equal(0, status, out .. err)
      assert.matches("mapped ORDERS_HOST: orders.example.com -> orders.prod.example.com", out,
        1, true)
      assert.matches("+ create Order Auditor", out, 1, true)
      assert.same({}, writes(target))
      assert.matches("##ORDERS_HOST##", read(tmp .. "/promoted/tenant.yaml"), 1, true)
      argv[#argv] = nil
      status, out, err = a0lua(argv)
      assert.equal(0, status, out .. err)
      local identifiers = {}
      for _, a in ipairs(assert(target:get("/resource-servers")).json) do
        identifiers[a.identifier] = a.name
      end
      assert.equal("Orders API", identifiers["https://orders.prod.example.com/api"])
      assert.equal("Orders MCP Server", identifiers["https://mcp.orders.prod.example.com"])
      assert.is_nil(identifiers["https://orders.example.com/api"])
      local roles = assert(target:get("/roles")).json
      assert.equal("Order Auditor", roles[1].name)
      local perms = assert(target:get("/roles/" .. roles[1].id .. "/permissions")).json
      assert.equal("https://orders.prod.example.com/api", perms[1].resource_server_identifier)
      -- Promoted again: nothing left to do.
      status, out = a0lua(argv)
      assert.equal(0, status, out)
      assert.matches("No changes", out, 1, true)
    end)

    it("refuses a map entry without from and to", function()
      start()
      local bad = write_json(tmp .. "/map.json", { SHOP_URL = "https://shop.example.com" })
      local status, _, err = a0lua({ "run", "promote", "--from", cfg, "--to", cfg,
        "--map", bad })
      assert.equal(1, status)
      assert.matches("SHOP_URL: give {\"from\"", err, 1, true)
    end)
  end)

  describe("fleet", function()
    local second
    after_each(function()
      if second then second:stop() end
      second = nil
    end)

    it("deploys to every tenant at once and prints one summary table", function()
      start()
      second = emulator.start()
      write_json(tmp .. "/second.json", config_of(second))
      local broken = config_of(second)
      broken.name = "broken"
      broken.AUTH0_CLIENT_SECRET = "not-the-secret"
      local tenants = write_json(tmp .. "/tenants.json", json.array{
        { name = "first", config = "cfg.json" },
        { name = "second", config = "second.json" },
        broken,
      })
      local status, out, err = a0lua({ "run", "fleet", "-i", EXAMPLE, "--tenants", tenants })
      assert.equal(1, status, err)
      local lines = {}
      for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.equal(5, #lines, out)
      assert.matches("^tenant%s+status%s+create%s+update%s+delete%s+skip%s+note$", lines[1])
      assert.matches("^first%s+applied%s+%d+%s+%d+%s+0%s+%d+$", lines[2])
      assert.matches("^second%s+applied%s+", lines[3])
      assert.matches("^broken%s+failed%s+0%s+0%s+0%s+0%s+%S", lines[4])
      assert.matches("^total %(3%)%s+2 applied, 1 failed%s+%d+%s+%d+%s+0%s+%d+$", lines[5])
      assert.not_matches("not%-the%-secret", out)
      assert.is_not_nil(client_named(emu, "Orders Web"))
      assert.is_not_nil(client_named(second, "Orders Web"))
      -- The same files again: every tenant in sync.
      tenants = write_json(tmp .. "/tenants.json", json.array{
        { name = "first", config = "cfg.json" }, { name = "second", config = "second.json" } })
      status, out = a0lua({ "run", "fleet", "-i", EXAMPLE, "--tenants", tenants, "--dry-run" })
      assert.equal(0, status, out)
      assert.matches("first%s+in sync", out)
      assert.matches("second%s+in sync", out)
    end)
  end)
end)
