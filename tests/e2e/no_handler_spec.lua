-- A type in the files that a0lua has no handler for is never passed over in silence: validate,
-- plan and import fail naming file, line and type (docs/handlers.md "Types without a handler"),
-- and pass once the type is excluded; a handler on the user's search path makes it deployable.
local emulator = require "helpers.emulator"
local run = require "helpers.run"
local json = require "a0lua.core.json"

local TENANT = [[
clients:
  - name: Drift Check App
    app_type: spa
tokenExchangeProfiles:
  - name: exchange
    subject_token_type: urn:example:token
]]

describe("a type without a handler", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function a0lua(argv, env) return emu:cli(argv, env) end

  it("fails plan, import and validate with exit 1 naming file:line and the type", function()
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, TENANT)
    for _, command in ipairs({ "plan", "import", "validate" }) do
      local status, out, err = a0lua({ command, "-i", file })
      assert.equal(1, status, command .. ": " .. out .. err)
      assert.matches(file .. ":4:1: tokenExchangeProfiles: no handler for tokenExchangeProfiles",
        err, 1, true)
      assert.not_matches("No changes", out, 1, true)
    end
    -- nothing was written
    for _, c in ipairs(emu:state()["/clients"] or {}) do
      assert.not_equal("Drift Check App", c.name)
    end
  end)

  it("names the first file of a directory's folder", function()
    local dir = tmp .. "/tenant"
    os.execute("mkdir -p " .. run.quote(dir .. "/token-exchange-profiles"))
    run.write_file(dir .. "/token-exchange-profiles/exchange.json",
      '{\n  "name": "exchange",\n  "subject_token_type": "urn:example:token"\n}\n')
    local status, out, err = a0lua({ "plan", "-i", dir })
    assert.equal(1, status, out .. err)
    assert.matches(dir .. "/token-exchange-profiles/exchange.json:1:1: tokenExchangeProfiles[0]: "
      .. "no handler for tokenExchangeProfiles", err, 1, true)
  end)

  it("passes plan when the type is excluded or not included", function()
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, TENANT)
    local status, out, err = a0lua({ "plan", "-i", file },
      { AUTH0_EXCLUDED = '["tokenExchangeProfiles"]' })
    assert.equal(2, status, out .. err) -- the client is new: a change, and no error
    assert.matches("Drift Check App", out, 1, true)
    status, out, err = a0lua({ "plan", "-i", file }, { AUTH0_INCLUDED_ONLY = '["clients"]' })
    assert.equal(2, status, out .. err)
  end)

  it("is refused by tenant:plan given a desired state directly, before any request", function()
    local tenant = emu:tenant()
    emu:clear_requests()
    local p, err = tenant:plan({ tokenExchangeProfiles = json.array{ { name = "x" } } })
    tenant:close()
    assert.is_nil(p)
    assert.equal("validation", err.code)
    assert.equal("no_handler", err.problems[1].code)
    assert.matches("no handler for tokenExchangeProfiles", err.message, 1, true)
    assert.same({}, emu:requests())
  end)

  it("deploys the type once the user's handler search path has a handler for it", function()
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, TENANT)
    os.execute("mkdir -p " .. run.quote(tmp .. "/handlers"))
    run.write_file(tmp .. "/handlers/token_exchange_profiles.lua",
      'return { type = "tokenExchangeProfiles", path = "/token-exchange-profiles" }\n')
    local status, out, err = a0lua({ "validate", "-i", file, "--handlers", tmp .. "/handlers" })
    assert.equal(0, status, out .. err)
  end)
end)
