-- A type in the files that a0lua has no handler for is never passed over in silence: validate,
-- plan and import fail naming file, line and type (docs/handlers.md "Types without a handler"),
-- and pass once the type is excluded; a handler on the user's search path makes it deployable.
-- Every type has a built-in handler, so the commands run from a relocated install whose
-- handlers/ lacks the one for rateLimitPolicies (the binary finds its tree beside itself).
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")
local registry = require("a0lua.handlers")

local MISSING = "rate_limit_policies.lua"

-- tree/bin/a0lua (a copy of build/a0lua) with tree/share/a0lua/{lua,recipes} linked to the
-- checkout's and tree/share/a0lua/handlers holding links to every built-in handler but MISSING.
local function tree_without_handler(tree)
  local cwd = assert(io.popen("pwd")):read("l")
  local share = tree .. "/share/a0lua"
  local q = run.quote
  assert(os.execute("mkdir -p " .. q(tree .. "/bin") .. " " .. q(share .. "/handlers")
    .. " && cp " .. q(cwd .. "/build/a0lua") .. " " .. q(tree .. "/bin/a0lua")
    .. " && ln -s " .. q(cwd .. "/build/lib") .. " " .. q(tree .. "/bin/lib")
    .. " && ln -s " .. q(cwd .. "/lua") .. " " .. q(share .. "/lua")
    .. " && ln -s " .. q(cwd .. "/recipes") .. " " .. q(share .. "/recipes")))
  local list = assert(io.popen("ls " .. q(cwd .. "/handlers")))
  for name in list:lines() do
    if name:match("%.lua$") and name ~= MISSING then
      assert(os.execute("ln -s " .. q(cwd .. "/handlers/" .. name) .. " "
        .. q(share .. "/handlers/" .. name)))
    end
  end
  list:close()
  return tree .. "/bin/a0lua", share .. "/handlers"
end

local TENANT = [[
clients:
  - name: Drift Check App
    app_type: spa
rateLimitPolicies:
  - consumer_selector: all
    configuration: {}
]]

describe("a type without a handler", function()
  local emu, tmp, binary, builtin
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    binary, builtin = tree_without_handler(tmp .. "/tree")
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  -- emu:cli with the relocated binary
  local function a0lua(argv, env)
    local all = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
      AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" }
    for k, v in pairs(env or {}) do all[k] = v end
    return run.run({ binary, table.unpack(argv) }, { env = all })
  end

  it("fails plan, import, validate and drift with exit 1 naming file:line and the type",
      function()
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, TENANT)
    for _, command in ipairs({ "plan", "import", "validate" }) do
      local status, out, err = a0lua({ command, "-i", file })
      assert.equal(1, status, command .. ": " .. out .. err)
      assert.matches(file .. ":4:1: rateLimitPolicies: no handler for rateLimitPolicies",
        err, 1, true)
      assert.not_matches("No changes", out, 1, true)
    end
    -- nor does a drift check report "no drift"
    local status, out, err = a0lua({ "run", "drift", "-i", file })
    assert.equal(1, status, out .. err)
    assert.matches(file .. ":4:1: rateLimitPolicies: no handler", err, 1, true)
    -- nothing was written
    for _, c in ipairs(emu:state()["/clients"] or {}) do
      assert.not_equal("Drift Check App", c.name)
    end
  end)

  it("names the first file of a directory's folder", function()
    local dir = tmp .. "/tenant"
    os.execute("mkdir -p " .. run.quote(dir .. "/rate-limit-policies"))
    run.write_file(dir .. "/rate-limit-policies/all.json",
      '{\n  "consumer_selector": "all",\n  "configuration": {}\n}\n')
    local status, out, err = a0lua({ "plan", "-i", dir })
    assert.equal(1, status, out .. err)
    assert.matches(dir .. "/rate-limit-policies/all.json:1:1: rateLimitPolicies[0]: "
      .. "no handler for rateLimitPolicies", err, 1, true)
  end)

  it("passes plan when the type is excluded or not included", function()
    local file = tmp .. "/tenant.yaml"
    run.write_file(file, TENANT)
    local status, out, err = a0lua({ "plan", "-i", file },
      { AUTH0_EXCLUDED = '["rateLimitPolicies"]' })
    assert.equal(2, status, out .. err) -- the client is new: a change, and no error
    assert.matches("Drift Check App", out, 1, true)
    status, out, err = a0lua({ "plan", "-i", file }, { AUTH0_INCLUDED_ONLY = '["clients"]' })
    assert.equal(2, status, out .. err)
  end)

  it("is refused by tenant:plan given a desired state directly, before any request", function()
    local tenant = assert(require("a0lua").connect({ AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret },
      { log = require("a0lua.log").new{ level = "silent" },
        handlers = assert(registry.load{ paths = { builtin } }) }))
    emu:clear_requests()
    local p, err = tenant:plan({ rateLimitPolicies = json.array{ { consumer_selector = "x" } } })
    tenant:close()
    assert.is_nil(p)
    assert.equal("validation", err.code)
    assert.equal("no_handler", err.problems[1].code)
    assert.matches("no handler for rateLimitPolicies", err.message, 1, true)
    assert.same({}, emu:requests())
  end)

  it("deploys and exports the type once the user's search path has a handler for it (one file: "
    .. "the catalogue already knows its layout)", function()
    os.execute("mkdir -p " .. run.quote(tmp .. "/handlers") .. " "
      .. run.quote(tmp .. "/in/rate-limit-policies"))
    run.write_file(tmp .. "/handlers/rate_limit_policies.lua", [[
return { type = "rateLimitPolicies", path = "/rate-limit-policies",
  list = { paging = "checkpoint", key = "rate_limit_policies" } }
]])
    run.write_file(tmp .. "/in/rate-limit-policies/all.json", json.encode({
      resource = "oauth_authentication_api", consumer = "client", consumer_selector = "all",
      configuration = { action = "block", limit = 10 } }))
    local handlers = { "--handlers", tmp .. "/handlers" }
    local status, out, err = a0lua({ "import", "-i", tmp .. "/in", table.unpack(handlers) })
    assert.equal(0, status, out .. err)
    local created = (emu:state()["/rate-limit-policies"] or {})[1]
    assert.equal("all", created and created.consumer_selector)
    status, out, err = a0lua({ "export", "-f", "directory", "-o", tmp .. "/out",
      table.unpack(handlers) })
    assert.equal(0, status, out .. err)
    local exported = json.decode(assert(require("a0lua.core.fs").read(
      tmp .. "/out/rate-limit-policies/all.json")))
    assert.equal("client", exported.consumer)
    assert.is_nil(exported.id)
  end)
end)
