-- The acceptance case of the issue: token_exchange.allow_any_profile_of_type with
-- on_behalf_of_token_exchange is created on the tenant and exported back the same; the misspelt
-- on_behalf_of_token_exhange fails validation with file, line, path and the allowed values, and
-- no request at all.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")

local DIR = "tests/fixtures/e2e/token_exchange"

local function a0lua(emu, argv)
  local words = { "build/a0lua" }
  for _, a in ipairs(argv) do words[#words + 1] = a end
  return run.run(words, { env = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
    AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" } })
end

local function client_named(list, name)
  for _, c in ipairs(list or {}) do
    if c.name == name then return c end
  end
  return nil
end

describe("token_exchange through a0lua import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("creates the client with on_behalf_of_token_exchange and exports it the same", function()
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    local created = client_named(emu:state()["/clients"], "Calendar MCP Server")
    assert.is_not_nil(created)
    assert.same({ "on_behalf_of_token_exchange" },
      created.token_exchange.allow_any_profile_of_type)
    local grant
    for _, g in ipairs(emu:state()["/client-grants"] or {}) do
      if g.client_id == created.client_id then grant = g end
    end
    assert.is_not_nil(grant, "the grant was not created for the client's id")
    assert.equal("https://calendar.example.com/api", grant.audience)

    status, _, err = a0lua(emu, { "export", "-o", tmp, "-f", "yaml" })
    assert.equal(0, status, err)
    local exported = assert(yaml.decode(shared.read(tmp .. "/tenant.yaml")))
    local client = client_named(exported.clients, "Calendar MCP Server")
    assert.same({ allow_any_profile_of_type = { "on_behalf_of_token_exchange" } },
      client.token_exchange)
    assert.is_nil(client.client_id)
    local exported_grant
    for _, g in ipairs(exported.clientGrants or {}) do
      if g.client_id == "Calendar MCP Server" then exported_grant = g end
    end
    assert.is_not_nil(exported_grant, "the grant is not exported with the client's name")
  end)

  it("rejects on_behalf_of_token_exhange naming file, line, path and the allowed values", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = a0lua(emu, { "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":7:11: clients[0].token_exchange.allow_any_profile_of_type[0]: "
      .. "must be one of custom_authentication, on_behalf_of_token_exchange", err, 1, true)
    assert.same({}, emu:requests())
  end)
end)
