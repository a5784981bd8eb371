-- User handlers (--handlers DIR, A0LUA_HANDLERS_PATH): a built-in handler wrapped, one replaced,
-- and one whose data is changed (log streams made to wait for the clients), against
-- `a0lua emulate`.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")
local handlers = require("a0lua.handlers")

local DIR = "tests/fixtures/scripting/handlers/"
local TENANT = "tests/fixtures/scripting/handlers_tenant.yaml"
local BAD = "tests/fixtures/scripting/handlers_bad.yaml"

describe("user handlers", function()
  describe("the registry", function()
    it("puts the user's directories first and places a type by its new depends_on", function()
      local registry = assert(handlers.load{ config = { handlers_path = { DIR .. "newtype",
        DIR .. "replace" } } })
      local streams = assert(registry:get("logStreams"))
      assert.equal("/log-streams", streams.path)
      assert.is_false(registry:get("roles").schema.additionalProperties)
      assert.equal(DIR .. "replace/roles.lua", registry.files.roles)
      local stages = registry:stages({ "logStreams", "clients", "resourceServers" })
      assert.same({ { "resourceServers" }, { "clients" }, { "logStreams" } }, stages)
    end)

    it("gives a copy of the built-in handler to start from", function()
      local a, b = handlers.base("clients"), handlers.base("clients")
      assert.equal("clients", a.type)
      assert.are_not.equal(a, b)
      a.strip_create = {}
      assert.is_true(#b.strip_create > 0)
    end)
  end)

  describe("a deploy", function()
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

    it("uses a wrapped, a replaced and a changed handler, in dependency order", function()
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", TENANT, "--env=false",
        "--handlers", DIR .. "override", "--handlers", DIR .. "newtype" },
        { A0LUA_HANDLERS_PATH = DIR .. "replace" })
      assert.equal(0, status, out .. err)
      assert.matches("logStreams%s+1 created", out)
      local clients = assert(emu:get("/clients?fields=name,client_metadata")).json
      local made
      for _, c in ipairs(clients) do
        if c.name == "Override Client" then made = c end
      end
      assert.same({ created_by = "override" }, made.client_metadata)
      local streams = assert(emu:get("/log-streams")).json
      assert.equal("Audit Stream", streams[1].name)
      assert.equal("https://logs.example.com/ingest", streams[1].sink.httpEndpoint)
      local order = {}
      for _, r in ipairs(emu:requests()) do
        if r.method == "POST" and r.path:match("^/api/v2/") then order[#order + 1] = r.path end
      end
      -- Clients and roles are independent (either may go first); the log stream, which depends
      -- on the clients, comes after the client.
      local at = {}
      for i, path in ipairs(order) do at[path] = i end
      assert.equal(3, #order)
      assert.truthy(at["/api/v2/roles"])
      assert.truthy(at["/api/v2/log-streams"] > at["/api/v2/clients"], table.concat(order, ", "))
      -- Once deployed, nothing differs.
      status, out = a0lua({ "plan", "-c", cfg, "-i", TENANT, "--env=false",
        "--handlers", DIR .. "override", "--handlers", DIR .. "newtype" },
        { A0LUA_HANDLERS_PATH = DIR .. "replace" })
      assert.equal(0, status, out)
    end)

    it("validates the changed and the replaced schemas, with file and line", function()
      emu:clear_requests()
      local status, out, err = a0lua({ "import", "-c", cfg, "-i", BAD, "--env=false",
        "--handlers", DIR .. "newtype" }, { A0LUA_HANDLERS_PATH = DIR .. "replace" })
      assert.equal(1, status, out)
      assert.matches(BAD .. ":4:5: roles[0].permissions: must not have additional property "
        .. "'permissions'", err, 1, true)
      assert.matches(BAD .. ":9:5: logStreams[0]: must have required property 'type'", err, 1,
        true)
      for _, r in ipairs(emu:requests()) do
        assert.is_true(r.method == "GET" or r.path == "/oauth/token", r.method .. " " .. r.path)
      end
    end)

    it("reports a handler file that does not load", function()
      local bad = tmp .. "/handlers"
      os.execute("mkdir -p " .. run.quote(bad))
      run.write_file(bad .. "/broken.lua", "return { type = \n")
      local status, _, err = a0lua({ "validate", "-c", cfg, "-i", TENANT, "--env=false",
        "--handlers", bad })
      assert.equal(1, status)
      assert.matches(bad .. "/broken.lua", err, 1, true)
    end)
  end)
end)
