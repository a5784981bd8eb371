-- Rules, rules configs and hooks through import, export (both formats) and re-import against
-- `a0lua emulate`: companion scripts, write-only rules-config values and hook secrets (sent once,
-- never compared, never shown), an order collision moved out of the way, and a misspelt enum or
-- a wrong type of each type failing validation with file and line, nothing sent.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")

local DIR = "tests/fixtures/e2e/legacy"
local ONLY = '["rules","rulesConfigs","hooks"]'

local function named(list, name) return emulator.find(list, "name", name) end

describe("rules, rules configs and hooks through a0lua", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  -- tenant.yaml as `text`, beside copies of its companion scripts, in tmp.
  local function changed_copy(text)
    local changed = tmp .. "/changed.yaml"
    run.write_file(changed, text)
    assert.is_true(os.execute("mkdir -p '" .. tmp .. "/rules' '" .. tmp .. "/hooks'"))
    for _, f in ipairs({ "rules/add-claims.js", "rules/block-ip.js", "hooks/cce.js",
      "hooks/signup.js" }) do
      run.write_file(tmp .. "/" .. f, shared.read(DIR .. "/" .. f))
    end
    return changed
  end

  local function import(input, env)
    local all = { AUTH0_INCLUDED_ONLY = ONLY }
    for k, v in pairs(env or {}) do all[k] = v end
    return emu:cli({ "import", "-c", DIR .. "/config.json", "-i", input }, all)
  end

  it("imports into an empty tenant, exports both formats, and re-imports with no write",
    function()
      local status, out, err = import(DIR .. "/tenant.yaml")
      assert.equal(0, status, out .. err)
      assert.matches("Rules are deprecated", err, 1, true)
      for _, secret in ipairs({ "rules-config-secret-1", "hook-secret-value-1" }) do
        assert.is_nil((out .. err):find(secret, 1, true), secret)
      end
      local state = emu:state()
      local rule = named(state["/rules"], "Add Claims")
      assert.equal(1, rule.order)
      assert.matches("context.idToken", rule.script, 1, true)
      assert.equal("login_success", rule.stage)
      local keys = {}
      for _, c in ipairs(state["/rules-configs"]) do keys[#keys + 1] = c.key end
      table.sort(keys)
      assert.same({ "API_SECRET", "BLOCKED_IP" }, keys)
      local hook = named(state["/hooks"], "client-credentials-exchange")
      assert.equal("credentials-exchange", hook.triggerId)
      assert.same({ ["api-key"] = "_VALUE_NOT_SHOWN_" }, state["/hooks/" .. hook.id .. "/secrets"])
      -- The values went to the API once, in the requests' bodies, which the log keeps masked.
      local puts = 0
      for _, r in ipairs(emu:requests()) do
        if r.method == "PUT" and r.path:find("/rules-configs/", 1, true) then puts = puts + 1 end
      end
      assert.equal(2, puts)

      emu:clear_requests()
      status, out, err = import(DIR .. "/tenant.yaml")
      assert.equal(0, status, out .. err)
      assert.same({}, emu:writes())

      for _, format in ipairs({ "yaml", "directory" }) do
        local dir = tmp .. "/" .. format
        status, out, err = emu:cli({ "export", "-f", format, "-o", dir },
          { AUTH0_INCLUDED_ONLY = ONLY })
        assert.equal(0, status, out .. err)
        local input = format == "yaml" and dir .. "/tenant.yaml" or dir
        if format == "yaml" then
          local exported = assert(yaml.decode(shared.read(input)))
          assert.equal("./rules/Add Claims.js", named(exported.rules, "Add Claims").script)
          assert.same({}, exported.rulesConfigs)
          local h = named(exported.hooks, "client-credentials-exchange")
          assert.equal("./hooks/client-credentials-exchange.js", h.script)
          assert.same({ ["api-key"] = "_VALUE_NOT_SHOWN_" }, h.secrets)
          assert.is_nil(h.id)
          assert.matches("context.idToken", shared.read(dir .. "/rules/Add Claims.js"), 1, true)
        else
          assert.is_truthy(shared.read(dir .. "/rules/block-ip.json"))
          assert.is_truthy(shared.read(dir .. "/hooks/pre-signup.js"))
          assert.is_nil(io.open(dir .. "/rules-configs"))
        end
        emu:clear_requests()
        status, out, err = import(input)
        assert.equal(0, status, out .. err)
        assert.same({}, emu:writes(), format)
      end
    end)

  it("sends only the changed rule and hook, moving a rule whose order is taken first", function()
    local status, out, err = import(DIR .. "/tenant.yaml")
    assert.equal(0, status, out .. err)
    local text = shared.read(DIR .. "/tenant.yaml")
      :gsub("order: 1\n", "order: 2\n", 1):gsub("order: 2\n    enabled: false", "order: 1\n"
        .. "    enabled: false", 1)
      :gsub("lodash: 4.17.21", "lodash: 4.17.20")
    local changed = changed_copy(text)
    emu:clear_requests()
    status, out, err = import(changed)
    assert.equal(0, status, out .. err)
    local state = emu:state()
    assert.equal(2, named(state["/rules"], "Add Claims").order)
    assert.equal(1, named(state["/rules"], "block-ip").order)
    local hook = named(state["/hooks"], "client-credentials-exchange")
    assert.equal("4.17.20", hook.dependencies.lodash)
    local methods = {}
    for _, w in ipairs(emu:writes()) do methods[#methods + 1] = w.method .. " " .. w.path end
    table.sort(methods)
    -- two moves out of the way, the two rule updates, the hook's update and its secret's value
    -- (sent along with the change)
    assert.equal(6, #methods, table.concat(methods, "\n"))
  end)

  it("deploys a0deploy's directory example of the three types, then sends nothing again",
    function()
      local root = shared.dir()
      if not root then
        pending(shared.MISSING)
        return
      end
      local input = root .. "/fixtures/deploy-cli/examples/directory"
      local env = { AUTH0_INCLUDED_ONLY = ONLY,
        AUTH0_KEYWORD_REPLACE_MAPPINGS = '{"MY_SECRET":"example-rules-config-value"}' }
      local status, out, err = emu:cli({ "import", "-i", input }, env)
      assert.equal(0, status, out .. err)
      local state = emu:state()
      assert.equal("login_success", named(state["/rules"], "Enrich-Identity-Token").stage)
      assert.same({ { key = "THISDATA_API_KEY" } }, state["/rules-configs"])
      local hook = assert(named(state["/hooks"], "cce-hook"))
      assert.equal("3.0.6", hook.dependencies.bcrypt)
      emu:clear_requests()
      status, out, err = emu:cli({ "import", "-i", input }, env)
      assert.equal(0, status, out .. err)
      assert.same({}, emu:writes())
    end)

  it("gives each type a REPL collection and a before hook a change to edit", function()
    local hooks = tmp .. "/hooks.lua"
    run.write_file(hooks, 'local hooks = require("a0lua.hooks")\n'
      .. 'hooks.on("before", "rules", function(change)\n'
      .. '  if change.op == "create" and change.payload.name == "block-ip" then\n'
      .. '    change.payload.enabled = true\n'
      .. '    return change.payload\n'
      .. '  end\n'
      .. 'end)\n')
    local status, out, err = emu:cli({ "import", "--hooks", hooks, "-c", DIR .. "/config.json",
      "-i", DIR .. "/tenant.yaml" }, { AUTH0_INCLUDED_ONLY = ONLY })
    assert.equal(0, status, out .. err)
    assert.is_true(named(emu:state()["/rules"], "block-ip").enabled)
    local cfg = tmp .. "/cfg.json"
    run.write_file(cfg, assert(json.encode({ AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret })))
    local script = "print(#tenant.rules, #tenant.rulesConfigs, #tenant.hooks)\n"
      .. "print(tenant.hooks['client-credentials-exchange'].secrets['api-key'])\n"
    status, out, err = run.run({ "sh", "-c", ("printf '%%s' %s | build/a0lua repl -c %s")
      :format(run.quote(script), run.quote(cfg)) }, { env = { HOME = tmp } })
    assert.equal(0, status, err)
    assert.equal("2\t2\t2\n_VALUE_NOT_SHOWN_\n", out)
  end)

  it("names file and line of a stage or trigger that cannot change, and warns once", function()
    local status, out, err = import(DIR .. "/tenant.yaml")
    assert.equal(0, status, out .. err)
    local _, warnings = err:gsub("Rules are deprecated", "")
    assert.equal(1, warnings, err)
    local text = shared.read(DIR .. "/tenant.yaml")
      :gsub("    stage: login_success\n", "    stage: login_failure\n", 1)
      :gsub("triggerId: credentials%-exchange", "triggerId: post-change-password", 1)
    local changed = changed_copy(text)
    emu:clear_requests()
    status, out, err = import(changed)
    assert.equal(1, status, out .. err)
    assert.matches(changed .. ":11:5: rules block-ip: stage: the stage of a rule cannot change",
      err, 1, true)
    assert.same({}, emu:writes())
    text = shared.read(DIR .. "/tenant.yaml")
      :gsub("triggerId: credentials%-exchange", "triggerId: post-change-password", 1)
    run.write_file(changed, text)
    status, out, err = import(changed)
    assert.equal(1, status, out .. err)
    assert.matches(changed .. ":20:5: hooks client-credentials-exchange: triggerId: the "
      .. "trigger of a hook cannot change", err, 1, true)
    assert.same({}, emu:writes())
  end)

  it("refuses a misspelt enum and a wrong type with file and line, sending nothing", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = import(file)
    assert.equal(1, status)
    assert.matches(file .. ":5:5: rules[0].stage: must be one of login_success, login_failure, "
      .. "pre_authorize", err, 1, true)
    assert.matches(file .. ":6:5: rules[0].order: must be number,null", err, 1, true)
    assert.matches(file .. ":9:5: rulesConfigs[0].value: must be string", err, 1, true)
    assert.matches(file .. ":13:5: hooks[0].triggerId: must be one of credentials-exchange, "
      .. "pre-user-registration", err, 1, true)
    assert.matches(file .. ":14:5: hooks[0].enabled: must be boolean", err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
