-- An import whose answers get lost (`a0lua emulate --drop-rate`): every write that is safe to
-- send again is sent again (sub-resource writes: role permissions, an organization's connections
-- and client grants, an action's deploy), every create is looked up before it is sent again (a
-- client's private-key-JWT credentials among them), and the import succeeds on its first run
-- with nothing created twice.
local a0lua = require("a0lua")
local api = require("a0lua.api")
local emulator = require("helpers.emulator")
local json = require("a0lua.core.json")
local keys = require("helpers.keys")
local log = require("a0lua.log")

local A = json.array

local function desired(n, public_pem)
  local d = {
    resourceServers = A{ { name = "Orders", identifier = "https://orders.test/api",
      scopes = A{ { value = "read:orders" }, { value = "write:orders" } } } },
    clients = A{}, clientGrants = A{}, roles = A{}, organizations = A{}, actions = A{},
    connections = A{ { name = "gh", strategy = "github", enabled_clients = A{} } },
  }
  for i = 1, n do
    local client = ("Service %02d"):format(i)
    d.clients[i] = { name = client, app_type = "non_interactive",
      client_authentication_methods = { private_key_jwt = { credentials = A{
        { name = ("key-%02d"):format(i), credential_type = "public_key", pem = public_pem } } } } }
    d.connections[1].enabled_clients[i] = client
    d.clientGrants[i] = { client_id = client, audience = "https://orders.test/api",
                          scope = A{ "read:orders" } }
    d.roles[i] = { name = ("Role %02d"):format(i), permissions = A{
      { permission_name = "read:orders", resource_server_identifier = "https://orders.test/api" },
      { permission_name = "write:orders", resource_server_identifier = "https://orders.test/api" },
    } }
    d.organizations[i] = { name = ("org-%02d"):format(i), display_name = ("Org %02d"):format(i),
      connections = A{ { name = "gh", assign_membership_on_login = false } },
      client_grants = A{ { client_id = client } } }
  end
  for i = 1, 3 do
    d.actions[i] = { name = ("tag-%d"):format(i), runtime = "node22", deployed = true,
      code = "exports.onExecutePostLogin = async () => {};",
      supported_triggers = A{ { id = "post-login", version = "v3" } } }
  end
  -- the phone provider and all five phone templates (created over the defaults: a 409 after a
  -- lost answer lists them again and patches)
  d.phoneProviders = A{ { name = "twilio", configuration = { sid = "AC-lost",
    delivery_methods = A{ "text" } }, credentials = { auth_token = "lost-token" } } }
  d.phoneTemplates = A{}
  for i, t in ipairs({ "otp_verify", "otp_enroll", "change_password", "blocked_account",
    "password_breach" }) do
    d.phoneTemplates[i] = { type = t, disabled = true, content = { body = { text = t .. " x" } } }
  end
  return d
end

describe("an import whose answers get lost", function()
  local emu
  setup(function()
    emu = emulator.start({ args = { "--drop-rate", "0.25", "--seed", "5", "--build-delay", "0" } })
  end)
  teardown(function() if emu then emu:stop() end end)

  it("succeeds on its first run, with nothing created twice", function()
    local client = assert(api.new{ domain = emu.url, client_id = emu.client_id,
      client_secret = emu.client_secret, retry_base_ms = 20, retry_max_ms = 200 })
    local tenant = assert(a0lua.connect({ AUTH0_DOMAIN = emu.url }, { api = client,
      log = log.new{ level = "silent" } }))
    local d = desired(12, keys.public_pem())
    local report, err = tenant:apply(assert(tenant:plan(d)))
    assert.is_table(report, tostring(err))
    local dropped = 0
    for _, r in ipairs(emu:requests()) do
      if r.dropped and r.method ~= "GET" then dropped = dropped + 1 end
    end
    assert.is_true(dropped >= 10, "writes whose answer was lost: " .. dropped)
    local state = emu:state()
    local keys_of = {}
    for path in pairs(state) do
      if path:match("^/clients/[^/]+/credentials$") then keys_of[#keys_of + 1] = path end
    end
    assert.equal(12, #keys_of)
    assert.equal(1, #state["/branding/phone/providers"])
    assert.equal(5, #state["/branding/phone/templates"])
    for _, key in ipairs({ "/clients", "/roles", "/organizations", "/actions/actions",
                           "/client-grants", "/connections", "/branding/phone/templates",
                           table.unpack(keys_of) }) do
      local seen = {}
      for _, item in ipairs(state[key] or {}) do
        local name = item.name or item.type or (item.client_id .. " " .. tostring(item.audience))
        assert.is_nil(seen[name], key .. ": " .. name .. " twice")
        seen[name] = true
      end
    end
    tenant:close()
    -- everything is there: nothing left to change (a tenant read afresh)
    local fresh = emu:tenant()
    assert.is_false(assert(fresh:plan(d)):has_changes())
    fresh:close()
  end)
end)
