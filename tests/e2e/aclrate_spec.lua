-- Network ACLs and rate limit policies through import, export (both formats) and re-import
-- against `a0lua emulate`: every ACL action, both match kinds, every policy configuration, a
-- keyword in a policy's selector; a changed item sends only itself; a misspelt enum or a wrong
-- type fails validation with file and line, and nothing is sent.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/aclrate"
local MAPPINGS = { AUTH0_KEYWORD_REPLACE_MAPPINGS = '{"MY_CLIENT_ID":"abc123"}' }

local find = emulator.find

describe("network ACLs and rate limit policies through a0lua", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function import(file)
    return emu:cli({ "import", "-i", file }, MAPPINGS)
  end

  it("imports into an empty tenant, exports, and re-imports with no write", function()
    local status, out, err = import(DIR .. "/tenant.yaml")
    assert.equal(0, status, out .. err)
    local state = emu:state()
    local acls = state["/network-acls"]
    assert.equal(3, #acls)
    assert.same({ "auth0.bots" }, find(acls, "priority", 5).rule.match.auth0_managed)
    local policies = state["/rate-limit-policies"]
    assert.equal(3, #policies)
    assert.equal("https://example.com/rate-limited",
      find(policies, "consumer_selector", "client_id:abc123").configuration.redirect_uri)

    emu:clear_requests()
    status, out, err = import(DIR .. "/tenant.yaml")
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = emu:cli({ "export", "-f", format, "-o", dir })
      assert.equal(0, status, out .. err)
      local input = format == "yaml" and dir .. "/tenant.yaml" or dir
      local exported
      if format == "yaml" then
        exported = assert(yaml.decode(shared.read(input)))
      else
        exported = {
          acl = json.decode(shared.read(dir .. "/network-acls/Send crawlers away-p-7.json")),
          policy = json.decode(shared.read(dir .. "/rate-limit-policies/client_id-abc123.json")),
        }
        exported.networkACLs, exported.rateLimitPolicies = { exported.acl }, { exported.policy }
        assert.is_truthy(shared.read(dir .. "/network-acls/Allow Specific Countries-p-2.json"))
        assert.is_truthy(shared.read(dir .. "/rate-limit-policies/default.json"))
      end
      for _, item in ipairs(exported.networkACLs) do
        assert.is_nil(item.id)
        assert.is_nil(item.created_at)
        assert.is_nil(item.updated_at)
      end
      for _, item in ipairs(exported.rateLimitPolicies) do
        assert.is_nil(item.id)
        assert.is_nil(item.created_at)
      end
      emu:clear_requests()
      status, out, err = emu:cli({ "import", "-i", input })
      assert.equal(0, status, out .. err)
      assert.same({}, emu:writes(), format)
    end

    -- With AUTH0_EXPORT_IDENTIFIERS the ids are written.
    status, out, err = emu:cli({ "export", "-f", "yaml", "-o", tmp .. "/ids" },
      { AUTH0_EXPORT_IDENTIFIERS = "true" })
    assert.equal(0, status, out .. err)
    local with_ids = assert(yaml.decode(shared.read(tmp .. "/ids/tenant.yaml")))
    assert.equal(find(acls, "priority", 2).id, find(with_ids.networkACLs, "priority", 2).id)
    assert.equal(find(policies, "consumer_selector", "default").id,
      find(with_ids.rateLimitPolicies, "consumer_selector", "default").id)
  end)

  it("keeps the keyword in a policy's selector on an export that preserves keywords", function()
    local status, out, err = import(DIR .. "/tenant.yaml")
    assert.equal(0, status, out .. err)
    local dir = tmp .. "/preserved"
    os.execute("mkdir -p " .. run.quote(dir))
    run.write_file(dir .. "/tenant.yaml", shared.read(DIR .. "/tenant.yaml"))
    local env = { AUTH0_PRESERVE_KEYWORDS = "true" }
    for k, v in pairs(MAPPINGS) do env[k] = v end
    status, out, err = emu:cli({ "export", "-f", "yaml", "-o", dir }, env)
    assert.equal(0, status, out .. err)
    local exported = assert(yaml.decode(shared.read(dir .. "/tenant.yaml")))
    assert.is_truthy(find(exported.rateLimitPolicies, "consumer_selector",
      "client_id:##MY_CLIENT_ID##"))
    assert.is_nil(find(exported.rateLimitPolicies, "consumer_selector", "client_id:abc123"))
  end)

  it("exports no networkACLs for a tenant without ACLs, as a0deploy, and rateLimitPolicies: []",
    function()
      local status, out, err = emu:cli({ "export", "-f", "yaml", "-o", tmp .. "/empty" })
      assert.equal(0, status, out .. err)
      local exported = assert(yaml.decode(shared.read(tmp .. "/empty/tenant.yaml")))
      assert.is_nil(exported.networkACLs)
      assert.same({}, exported.rateLimitPolicies)
      status, out, err = emu:cli({ "export", "-f", "directory", "-o", tmp .. "/empty-dir" })
      assert.equal(0, status, out .. err)
      assert.is_nil(io.open(tmp .. "/empty-dir/network-acls"))
    end)

  it("sends only the changed ACL and the changed policy's configuration", function()
    local status, out, err = import(DIR .. "/tenant.yaml")
    assert.equal(0, status, out .. err)
    local text = shared.read(DIR .. "/tenant.yaml")
      :gsub("geo_country_codes: %[US, CA%]", "geo_country_codes: [US]")
      :gsub("action: block\n      limit: 100", "action: log\n      limit: 100")
    local changed = tmp .. "/changed.yaml"
    run.write_file(changed, text)
    emu:clear_requests()
    status, out, err = import(changed)
    assert.equal(0, status, out .. err)
    local writes = emu:writes()
    assert.equal(2, #writes)
    local state = emu:state()
    local policy = find(state["/rate-limit-policies"], "consumer_selector", "default")
    local acl = find(state["/network-acls"], "priority", 2)
    for _, w in ipairs(writes) do
      assert.equal("PATCH", w.method)
      if w.path:find("rate-limit-policies", 1, true) then
        assert.equal("/api/v2/rate-limit-policies/" .. policy.id, w.path)
        assert.same({ configuration = { action = "log", limit = 100 } }, w.body)
      else
        assert.equal("/api/v2/network-acls/" .. acl.id, w.path)
        assert.same({ "US" }, w.body.rule.match.geo_country_codes)
      end
    end
  end)

  it("runs hooks for both types: a payload changed, a change vetoed before any write", function()
    local hooks_file = DIR .. "/hooks.lua"
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml", "--hooks",
      hooks_file }, MAPPINGS)
    assert.equal(0, status, out .. err)
    local policies = emu:state()["/rate-limit-policies"]
    assert.equal(50, find(policies, "consumer_selector", "default").configuration.limit)
    local text = shared.read(DIR .. "/tenant.yaml"):gsub("redirect: true\n", "block: true\n")
      :gsub("        redirect_uri: https://example.com/blocked\n", "")
    local changed = tmp .. "/blocking.yaml"
    run.write_file(changed, text)
    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", changed, "--hooks", hooks_file }, MAPPINGS)
    assert.equal(1, status, out .. err)
    assert.matches("vetoed: no blocking of the management API", err, 1, true)
    assert.same({}, emu:writes())
  end)

  it("refuses a misspelt enum and a wrong type with file and line, sending nothing", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":4:5: networkACLs[0].active: must be boolean", err, 1, true)
    assert.matches(file .. ":6:5: networkACLs[0].rule: must match a schema in anyOf (must be "
      .. "one of management, authentication, tenant, dynamic_client_registration at "
      .. "[0].rule.scope)", err, 1, true)
    assert.matches(file .. ":16:5: rateLimitPolicies[0].configuration: must match exactly one "
      .. "schema in oneOf (must be one of block, log at [0].configuration.action)", err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
