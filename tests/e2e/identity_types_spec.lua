-- clientAuthCredentials and customDomains through a0lua import and export against the emulator:
-- into an empty tenant, exported in both formats, imported again with no write, and a misspelt
-- enum refused with file:line:column before any request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/identity"

local function a0lua(emu, argv, extra_env)
  local words = { "build/a0lua" }
  for _, a in ipairs(argv) do words[#words + 1] = a end
  local env = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
    AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" }
  for k, v in pairs(extra_env or {}) do env[k] = v end
  return run.run(words, { env = env })
end

local named = emulator.find

local function write_lines(emu)
  local out = {}
  for _, r in ipairs(emu:writes()) do out[#out + 1] = r.method .. " " .. r.path end
  return out
end

describe("clientAuthCredentials and customDomains through import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("imports, exports in both formats, and imports each export with no write", function()
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    local state = emu:state()
    local client = assert(named(state["/clients"], "name", "Signing Service"))
    local creds = state["/clients/" .. client.client_id .. "/credentials"]
    assert.equal(1, #creds)
    assert.equal("signing-key-2026", creds[1].name)
    assert.same({ private_key_jwt = { credentials = { { id = creds[1].id } } } },
      client.client_authentication_methods)
    local domains = state["/custom-domains"]
    assert.equal(2, #domains)
    assert.is_true(named(domains, "domain", "login.example.com").is_default)
    assert.is_false(named(domains, "domain", "auth.example.org").is_default)

    -- the same files again: nothing to write
    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    assert.same({}, write_lines(emu))

    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/yaml", "-f", "yaml" })
    assert.equal(0, status, err)
    local text = shared.read(tmp .. "/yaml/tenant.yaml")
    assert.is_nil(text:find("BEGIN PUBLIC KEY", 1, true), "the key is never exported")
    assert.is_nil(text:find("clientAuthCredentials", 1, true))
    local exported = assert(yaml.decode(text))
    local c = assert(named(exported.clients, "name", "Signing Service"))
    assert.same({ private_key_jwt = { credentials = { { name = "signing-key-2026",
      credential_type = "public_key" } } } }, c.client_authentication_methods)
    local d = assert(named(exported.customDomains, "domain", "login.example.com"))
    assert.equal("auth0_managed_certs", d.type)
    assert.equal("cf-connecting-ip", d.custom_client_ip_header)
    assert.is_nil(d.custom_domain_id)

    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/dir", "-f", "directory" })
    assert.equal(0, status, err)
    local file = json.decode(shared.read(tmp .. "/dir/custom-domains/custom-domains.json"))
    assert.equal(2, #file)

    for _, input in ipairs({ tmp .. "/yaml/tenant.yaml", tmp .. "/dir" }) do
      emu:clear_requests()
      status, _, err = a0lua(emu, { "import", "-i", input }, { AUTH0_ALLOW_DELETE = "true" })
      assert.equal(0, status, err)
      assert.same({}, write_lines(emu), input)
    end
  end)

  it("rotates a key under a new name and deletes the old one with deletes allowed", function()
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    local rotated = shared.read(DIR .. "/tenant.yaml")
      :gsub("signing%-key%-2026", "signing-key-2027")
    local f = assert(io.open(tmp .. "/rotated.yaml", "w"))
    f:write(rotated)
    f:close()
    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", tmp .. "/rotated.yaml" },
      { AUTH0_ALLOW_DELETE = "true" })
    assert.equal(0, status, err)
    local client = named(emu:state()["/clients"], "name", "Signing Service")
    -- (the emulator's other clients are deleted too: they are not in the files)
    local lines = {}
    for _, line in ipairs(write_lines(emu)) do
      if line:find(client.client_id, 1, true) then lines[#lines + 1] = line end
    end
    assert.equal(3, #lines, table.concat(lines, "\n"))
    assert.matches("^POST /api/v2/clients/[^/]+/credentials$", lines[1])
    assert.matches("^PATCH /api/v2/clients/[^/]+$", lines[2])
    assert.matches("^DELETE /api/v2/clients/[^/]+/credentials/cred_", lines[3])
    local creds = emu:state()["/clients/" .. client.client_id .. "/credentials"]
    assert.equal(1, #creds)
    assert.equal("signing-key-2027", creds[1].name)
  end)

  for _, case in ipairs({
    { file = "misspelt-domain.yaml", where = ":4:5: customDomains[0].type: must be one of "
      .. "auth0_managed_certs, self_managed_certs" },
    { file = "misspelt-credential.yaml", where = ":9:13: clients[0].client_authentication_methods"
      .. ".private_key_jwt.credentials[0].credential_type: must be one of public_key" },
  }) do
    it("refuses " .. case.file .. " naming file:line:column, before any request", function()
      emu:clear_requests()
      local file = DIR .. "/" .. case.file
      local status, _, err = a0lua(emu, { "import", "-i", file })
      assert.equal(1, status)
      assert.matches(file .. case.where, err, 1, true)
      assert.same({}, emu:requests())
    end)
  end
end)
