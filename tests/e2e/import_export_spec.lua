-- import, export, plan and validate end to end: build/a0lua against `a0lua emulate`.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local json = require("a0lua.core.json")

local EXAMPLE = "recipes/examples/tenant.yaml"

-- Runs build/a0lua with the emulator's domain and client in the environment.
local function a0lua(emu, argv, extra_env)
  local env = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
    AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" }
  for k, v in pairs(extra_env or {}) do env[k] = v end
  local words = { "build/a0lua" }
  for _, a in ipairs(argv) do words[#words + 1] = a end
  return run.run(words, { env = env })
end

-- The write requests of the request log (anything but GET below /api/v2).
local function writes(emu)
  local out = {}
  for _, r in ipairs(emu:requests()) do
    if r.method ~= "GET" and r.path:sub(1, 8) == "/api/v2/" then
      out[#out + 1] = r.method .. " " .. r.path
    end
  end
  return out
end

local function find_named(state, path, name)
  for _, item in ipairs(state[path] or {}) do
    if item.name == name then return item end
  end
  return nil
end

describe("a0lua import and export against the emulator", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("imports the example, exports it and imports the export again with no write", function()
    local status, out, err = a0lua(emu, { "import", "-i", EXAMPLE })
    assert.equal(0, status, err)
    assert.matches("Applied:", out)
    local state = emu:state()
    local mcp = find_named(state, "/clients", "Orders MCP Server")
    assert.is_not_nil(mcp, "the MCP server's client was not created")
    assert.same({ "on_behalf_of_token_exchange" }, mcp.token_exchange.allow_any_profile_of_type)
    assert.is_not_nil(find_named(state, "/resource-servers", "Orders API"))

    status, out, err = a0lua(emu, { "export", "-o", tmp .. "/yaml", "-f", "yaml" })
    assert.equal(0, status, err)
    assert.matches(tmp .. "/yaml/tenant.yaml", out, 1, true)
    local exported = shared.read(tmp .. "/yaml/tenant.yaml")
    assert.matches("Orders MCP Server", exported, 1, true)
    assert.matches("on_behalf_of_token_exchange", exported, 1, true)

    emu:clear_requests()
    status, out, err = a0lua(emu, { "import", "-i", tmp .. "/yaml/tenant.yaml" })
    assert.equal(0, status, err)
    assert.same({}, writes(emu))
    assert.matches("Applied: 0 created, 0 updated, 0 deleted", out, 1, true)

    -- and the export of an unchanged tenant is byte-identical
    status, out, err = a0lua(emu, { "export", "-o", tmp .. "/again", "-f", "yaml" })
    assert.equal(0, status, err)
    assert.matches("exported", out, 1, true)
    assert.equal(exported, shared.read(tmp .. "/again/tenant.yaml"))
  end)

  it("does the same through the directory format", function()
    local status, out, err = a0lua(emu, { "deploy", "-i", EXAMPLE })
    assert.equal(0, status, err)
    assert.matches("Applied:", out, 1, true)
    status, out, err = a0lua(emu, { "dump", "-o", tmp .. "/dir", "-f", "directory" })
    assert.equal(0, status, err)
    assert.matches("exported", out, 1, true)
    emu:clear_requests()
    status, out, err = a0lua(emu, { "import", "-i", tmp .. "/dir" })
    assert.equal(0, status, err)
    assert.matches("Applied: 0 created, 0 updated, 0 deleted", out, 1, true)
    assert.same({}, writes(emu))
  end)

  it("plans with exit 2 when something would change and 0 when nothing would", function()
    emu:clear_requests()
    local status, out, err = a0lua(emu, { "plan", "-i", EXAMPLE })
    assert.equal(2, status, err)
    assert.matches("+ create Orders MCP Server", out, 1, true)
    assert.same({}, writes(emu))
    status, out, err = a0lua(emu, { "import", "-i", EXAMPLE })
    assert.equal(0, status, err)
    assert.matches("Applied:", out, 1, true)
    status, out, err = a0lua(emu, { "plan", "-i", EXAMPLE })
    assert.equal(0, status, err .. out)
    assert.matches("No changes", out, 1, true)
  end)

  it("prints the plan as JSON with --json", function()
    local status, out, err = a0lua(emu, { "plan", "-i", EXAMPLE, "--json" })
    assert.equal(2, status, err)
    local doc = assert(json.decode(out))
    assert.is_true(doc.has_changes)
    assert.equal(2, doc.summary.clients.create)
    local seen = false
    for _, c in ipairs(doc.changes) do
      if c.type == "clients" and c.key == "Orders MCP Server" then seen = c.op == "create" end
    end
    assert.is_true(seen)
  end)

  it("makes no write with --dry-run and shows the plan", function()
    emu:clear_requests()
    local status, out, err = a0lua(emu, { "import", "-i", EXAMPLE, "--dry-run" })
    assert.equal(0, status, err)
    assert.matches("Plan: ", out, 1, true)
    assert.same({}, writes(emu))
  end)

  it("validates with no request at all", function()
    emu:clear_requests()
    local status, out, err = a0lua(emu, { "validate", "-i", EXAMPLE })
    assert.equal(0, status, err)
    assert.matches("valid", out)
    assert.same({}, emu:requests())
  end)

  it("writes an export with --export_secrets 0600, and keeps a file the user made 0600", function()
    local fs = require("a0lua.core.fs")
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, table.concat({
      "connections:",
      "  - name: google",
      "    strategy: google-oauth2",
      "    options:",
      "      client_id: google-id",
      "      client_secret: s3cret-of-google",
      "",
    }, "\n"))
    local status, _, err = a0lua(emu, { "import", "-i", file })
    assert.equal(0, status, err)
    local function mode(path) return assert(fs.stat(path)).mode end
    -- under umask 022, as the issue was seen under 077 (0644 whatever the umask)
    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/dir", "-f", "directory",
                                  "--export_secrets" })
    assert.equal(0, status, err)
    local conn = tmp .. "/dir/connections/google.json"
    assert.matches("s3cret-of-google", shared.read(conn), 1, true)
    assert.equal(384, mode(conn)) -- 0600
    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/yaml", "-f", "yaml",
                                  "--export_secrets" })
    assert.equal(0, status, err)
    assert.equal(384, mode(tmp .. "/yaml/tenant.yaml"))
    -- without secrets the file is 0666 less the umask, but never wider than the one it replaces
    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/yaml", "-f", "yaml" })
    assert.equal(0, status, err)
    assert.no.matches("s3cret-of-google", shared.read(tmp .. "/yaml/tenant.yaml"), 1, true)
    assert.equal(384, mode(tmp .. "/yaml/tenant.yaml"))
    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/plain", "-f", "yaml" })
    assert.equal(0, status, err)
    assert.equal(438 & ~run.umask(), mode(tmp .. "/plain/tenant.yaml"))
  end)

  it("reports a failed apply with exit 1 and what was already applied", function()
    -- The emulator (as the API) refuses a grant for an API the tenant does not have: only the
    -- tenant can say no (a body the API's schema refuses is caught before any write, see
    -- preflight_spec.lua). The API and the client before it are created.
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, table.concat({
      "resourceServers:",
      "  - name: Fine API",
      "    identifier: https://fine.example.com",
      "clients:",
      "  - name: Refused",
      "    app_type: non_interactive",
      "clientGrants:",
      "  - client_id: Refused",
      "    audience: https://nowhere.example.com",
      "    scope: []",
      "",
    }, "\n"))
    local status, _, err = a0lua(emu, { "import", "-i", file })
    assert.equal(1, status)
    assert.matches("inexistent_resource_server", err, 1, true)
    assert.matches("already applied (2)", err, 1, true)
    assert.matches("create resourceServers Fine API", err, 1, true)
    assert.matches("create clients Refused", err, 1, true)
  end)
end)
