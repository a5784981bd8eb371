-- attackProtection and riskAssessment through import, export (both formats) and re-import
-- against `a0lua emulate`: every section and stage, the captcha secrets (sent, never compared,
-- never shown, exported as a0deploy's placeholders), a re-import that sends nothing, a change
-- that sends only its section, and a misspelt enum or a wrong type that fails with file:line
-- and no write.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/secprot"
local SECRETS = { "hcaptcha-secret-value-1", "recaptcha-api-key-value-1" }

local function paths(writes)
  local out = {}
  for _, w in ipairs(writes) do out[#out + 1] = w.method .. " " .. w.path end
  table.sort(out)
  return out
end

describe("attackProtection and riskAssessment through a0lua", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function import(input, env)
    emu:clear_requests()
    local status, out, err = emu:cli({ "import", "-i", input }, env)
    assert.equal(0, status, out .. err)
    for _, secret in ipairs(SECRETS) do
      assert.is_nil((out .. err):find(secret, 1, true), secret)
    end
    return emu:writes()
  end

  it("imports into an empty tenant, exports both formats, and re-imports with no write",
    function()
      local writes = import(DIR .. "/tenant.yaml")
      assert.same({ "PATCH /api/v2/attack-protection/bot-detection",
        "PATCH /api/v2/attack-protection/breached-password-detection",
        "PATCH /api/v2/attack-protection/brute-force-protection",
        "PATCH /api/v2/attack-protection/captcha",
        "PATCH /api/v2/attack-protection/suspicious-ip-throttling",
        "PATCH /api/v2/risk-assessments/settings",
        "PATCH /api/v2/risk-assessments/settings/new-device" }, paths(writes))
      local state = emu:state()
      assert.equal(7, state["/attack-protection/brute-force-protection"].max_attempts)
      assert.equal("hcaptcha", state["/attack-protection/captcha"].active_provider_id)
      assert.equal("hcaptcha-site-key-1", state["/attack-protection/captcha"].hcaptcha.site_key)
      -- The unset provider (empty site_key) was not sent.
      assert.equal("verify-api", state["/attack-protection/captcha"].arkose.verify_subdomain)
      assert.is_true(state["/risk-assessments/settings"].enabled)
      assert.equal(14, state["/risk-assessments/settings/new-device"].remember_for)

      assert.same({}, import(DIR .. "/tenant.yaml"))

      for _, format in ipairs({ "yaml", "directory" }) do
        local dir = tmp .. "/" .. format
        local status, out, err = emu:cli({ "export", "-f", format, "-o", dir })
        assert.equal(0, status, out .. err)
        local input = format == "yaml" and dir .. "/tenant.yaml" or dir
        local ap, ra
        if format == "yaml" then
          local exported = assert(yaml.decode(shared.read(input)))
          ap, ra = exported.attackProtection, exported.riskAssessment
        else
          ap = {}
          for _, part in ipairs({ { "captcha", "captcha" },
            { "bruteForceProtection", "brute-force-protection" } }) do
            ap[part[1]] = json.decode(shared.read(dir .. "/attack-protection/" .. part[2]
              .. ".json"))
          end
          ra = json.decode(shared.read(dir .. "/risk-assessment/settings.json"))
        end
        assert.equal("##CAPTCHA_HCAPTCHA_SECRET##", ap.captcha.hcaptcha.secret)
        assert.equal("##CAPTCHA_RECAPTCHA_ENTERPRISE_API_KEY##",
          ap.captcha.recaptcha_enterprise.api_key)
        assert.equal("project-1", ap.captcha.recaptcha_enterprise.project_id)
        -- Sets are written sorted, as a0deploy does.
        assert.same({ "block", "user_notification" }, ap.bruteForceProtection.shields)
        assert.same({ settings = { enabled = true }, new_device = { remember_for = 14 } }, ra)
        assert.same({}, import(input), format)
      end
    end)

  it("sends only the changed section, a provider's secret along with its change", function()
    import(DIR .. "/tenant.yaml")
    local text = shared.read(DIR .. "/tenant.yaml")
      :gsub("site_key: hcaptcha%-site%-key%-1", "site_key: hcaptcha-site-key-2")
      :gsub("remember_for: 14", "remember_for: 15")
    local changed = tmp .. "/changed.yaml"
    run.write_file(changed, text)
    local writes = import(changed)
    assert.same({ "PATCH /api/v2/attack-protection/captcha",
      "PATCH /api/v2/risk-assessments/settings/new-device" }, paths(writes))
    local state = emu:state()
    assert.equal("hcaptcha-site-key-2", state["/attack-protection/captcha"].hcaptcha.site_key)
    assert.equal(15, state["/risk-assessments/settings/new-device"].remember_for)
  end)

  it("replaces keywords on import and puts them back on export (AUTH0_PRESERVE_KEYWORDS)",
    function()
      local dir = tmp .. "/kw"
      assert(os.execute("mkdir -p " .. run.quote(dir)))
      local text = shared.read(DIR .. "/tenant.yaml")
        :gsub("site_key: hcaptcha%-site%-key%-1", "site_key: '##HCAPTCHA_SITE##'")
        :gsub("max_attempts: 7", "max_attempts: '@@BF_ATTEMPTS@@'")
      run.write_file(dir .. "/tenant.yaml", text)
      local env = { AUTH0_KEYWORD_REPLACE_MAPPINGS = json.encode({
        HCAPTCHA_SITE = "hcaptcha-site-key-1", BF_ATTEMPTS = 7 }),
        AUTH0_PRESERVE_KEYWORDS = "true" }
      import(DIR .. "/tenant.yaml")
      assert.same({}, import(dir .. "/tenant.yaml", env))
      local status, out, err = emu:cli({ "export", "-f", "yaml", "-o", dir }, env)
      assert.equal(0, status, out .. err)
      local exported = assert(yaml.decode(shared.read(dir .. "/tenant.yaml")))
      assert.equal("##HCAPTCHA_SITE##", exported.attackProtection.captcha.hcaptcha.site_key)
      assert.equal("@@BF_ATTEMPTS@@",
        exported.attackProtection.bruteForceProtection.max_attempts)
    end)

  it("works with the Lua API, a before hook and a user handler like any other type", function()
    local hooks = tmp .. "/hooks.lua"
    run.write_file(hooks, [[
local hooks = require("a0lua.hooks")
hooks.on("before", "attackProtection", function(change)
  change.payload.bruteForceProtection.max_attempts = 9
end)
]])
    assert(os.execute("mkdir -p " .. run.quote(tmp .. "/handlers")))
    run.write_file(tmp .. "/handlers/risk_assessment.lua", [[
local handlers = require("a0lua.handlers")
local h = handlers.base("riskAssessment")
local update = h.update
h.update = function(self, ctx, current, payload)
  payload.settings = { enabled = false }
  return update(self, ctx, current, payload)
end
return h
]])
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml", "--hooks", hooks,
      "--handlers", tmp .. "/handlers" })
    assert.equal(0, status, out .. err)
    local state = emu:state()
    assert.equal(9, state["/attack-protection/brute-force-protection"].max_attempts)
    assert.is_false(state["/risk-assessments/settings"].enabled)
    local tenant = emu:tenant()
    local ap = assert(tenant:fetch("attackProtection"))
    local ra = assert(tenant:fetch("riskAssessment"))
    tenant:close()
    assert.equal(9, ap.bruteForceProtection.max_attempts)
    assert.same({ settings = { enabled = false }, new_device = { remember_for = 14 } }, ra)
    -- the REPL shows both as singletons of the tenant
    local cfg = tmp .. "/cfg.json"
    run.write_file(cfg, assert(json.encode({ AUTH0_DOMAIN = emu.url,
      AUTH0_CLIENT_ID = emu.client_id, AUTH0_CLIENT_SECRET = emu.client_secret })))
    local script = "print(tenant.attackProtection.captcha.active_provider_id, "
      .. "tenant.riskAssessment.new_device.remember_for)\n"
    status, out, err = run.run({ "sh", "-c", ("printf '%%s' %s | build/a0lua repl -c %s")
      :format(run.quote(script), run.quote(cfg)) }, { env = { HOME = tmp } })
    assert.equal(0, status, err)
    assert.equal("hcaptcha\t14\n", out)
  end)

  it("refuses a misspelt enum of the directory format at its file:line, with no write", function()
    import(DIR .. "/tenant.yaml")
    local dir = tmp .. "/directory"
    local status, out, err = emu:cli({ "export", "-f", "directory", "-o", dir })
    assert.equal(0, status, out .. err)
    local file = dir .. "/attack-protection/bot-detection.json"
    local text = shared.read(file)
    run.write_file(file, (text:gsub('"bot_detection_level": "high"',
      '"bot_detection_level": "hihg"')))
    local line = select(2, text:sub(1, text:find("bot_detection_level", 1, true)):gsub("\n", ""))
      + 1
    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", dir })
    assert.equal(1, status, out .. err)
    assert.matches(file .. ":" .. line .. ":3: attackProtection.botDetection.bot_detection_level: "
      .. "must be one of low, medium, high", err, 1, true)
    assert.same({}, emu:writes())
  end)

  for _, case in ipairs({
    { "bot_detection_level: high", "bot_detection_level: hihg", "42:5",
      "attackProtection.botDetection.bot_detection_level" },
    { "max_attempts: 7", "max_attempts: seven", "26:5",
      "attackProtection.bruteForceProtection.max_attempts" },
    { "remember_for: 14", "remember_for: '14'", "68:5", "riskAssessment.new_device.remember_for" },
  }) do
    it("refuses " .. case[2] .. " with file:line and no write", function()
      local changed = tmp .. "/bad.yaml"
      run.write_file(changed, (shared.read(DIR .. "/tenant.yaml"):gsub(case[1], case[2])))
      emu:clear_requests()
      local status, out, err = emu:cli({ "import", "-i", changed })
      assert.equal(1, status, out .. err)
      assert.matches(changed .. ":" .. case[3] .. ": " .. case[4], err, 1, true)
      assert.same({}, emu:writes())
    end)
  end
end)
