-- a0lua.catalogue: each resource type declared once; the formats, the registry, config, validate
-- and keyword preservation read it, and the directory format reads and writes every type from its
-- layout.
local catalogue = require("a0lua.catalogue")
local common = require("a0lua.format.common")
local directory = require("a0lua.format.directory")
local format = require("a0lua.format")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")
local run = require("helpers.run")

local A = json.array

-- A value of each type whose directory layout is a list, a file or parts, with the fields its
-- export names files by.
local SAMPLES = {
  resourceServers = A{ { name = "API", identifier = "https://api" } },
  clientGrants = A{ { client_id = "App", audience = "https://api" } },
  guardianFactors = A{ { name = "sms", enabled = true } },
  guardianFactorProviders = A{ { name = "sms", provider = "twilio", sid = "x" } },
  guardianFactorTemplates = A{ { name = "sms", enrollment_message = "hi" } },
  roles = A{ { name = "Admin" } },
  phoneTemplates = A{ { type = "otp_verify", disabled = false } },
  organizations = A{ { name = "acme" } },
  logStreams = A{ { name = "stream", type = "http" } },
  themes = A{ { themeId = "t1", displayName = "One" }, { themeId = "t2", displayName = "Two" } },
  forms = A{ { name = "form" } },
  flows = A{ { name = "flow" } },
  flowVaultConnections = A{ { name = "vault", app_id = "HTTP" } },
  selfServiceProfiles = A{ { name = "sso" } },
  networkACLs = A{ { description = "block", priority = 2, active = true } },
  userAttributeProfiles = A{ { name = "attrs" } },
  connectionProfiles = A{ { name = "profile" } },
  tokenExchangeProfiles = A{ { name = "exchange", subject_token_type = "urn:x" } },
  rateLimitPolicies = A{ { consumer_selector = "all", configuration = { limit = 1 } } },
  eventStreams = A{ { name = "events" } },
  emailProvider = { name = "smtp", enabled = true },
  guardianPolicies = { policies = A{ "all-applications" } },
  guardianPhoneFactorSelectedProvider = { provider = "twilio" },
  guardianPhoneFactorMessageTypes = { message_types = A{ "sms" } },
  phoneProviders = A{ { name = "twilio" } },
  triggers = { ["post-login"] = A{ { action_name = "a", display_name = "a" } } },
  riskAssessment = { settings = { enabled = true } },
  customDomains = A{ { domain = "login.example.com", type = "auth0_managed_certs" } },
  supplementalSignals = { akamai_enabled = false },
  attackProtection = { breachedPasswordDetection = { enabled = true },
    bruteForceProtection = { enabled = true, max_attempts = 10 },
    suspiciousIpThrottling = { enabled = false }, captcha = { active_provider_id = "none" } },
}

describe("a0lua.catalogue", function()
  it("declares a0deploy's 44 types once, in its registry order", function()
    assert.equal(44, #catalogue.TYPES)
    local seen = {}
    for i, t in ipairs(catalogue.TYPES) do
      assert.is_nil(seen[t], t)
      seen[t] = true
      assert.equal(i, catalogue.RANK[t])
      assert.equal(t, catalogue.get(t).type)
    end
    assert.equal("rules", catalogue.TYPES[1])
    assert.equal("clientAuthCredentials", catalogue.TYPES[44])
    assert.is_true(catalogue.is_type("tokenExchangeProfiles"))
    assert.is_false(catalogue.is_type("widgets"))
  end)

  it("is the only list of types: the registry's and the formats' are the same table", function()
    assert.equal(catalogue.TYPES, handlers.TYPES)
    assert.equal(catalogue.RANK, handlers.RANK)
    assert.equal(catalogue.TYPES, common.TYPES)
    assert.equal(catalogue.TYPES, format.TYPES)
  end)

  it("gives the built-in handlers their dependencies", function()
    local registry = assert(handlers.load{ paths = { "handlers" } })
    for _, t in ipairs(registry:types()) do
      assert.same(catalogue.depends_on(t) or {}, registry:get(t).depends_on, t)
    end
    assert.same({ "clients", "resourceServers" }, registry:get("clientGrants").depends_on)
  end)

  it("gives every type a directory layout", function()
    for _, entry in ipairs(catalogue.ENTRIES) do
      assert.is_table(entry.layout, entry.type)
      assert.is_string(entry.layout.kind, entry.type)
      if entry.layout.kind == "list" then assert.is_string(entry.layout.folder, entry.type) end
      if entry.layout.kind == "file" then assert.is_string(entry.layout.file, entry.type) end
    end
  end)

  describe("layouts in the directory format", function()
    local tmp
    before_each(function() tmp = run.temp_dir() end)
    after_each(function() run.remove_tree(tmp) end)

    it("writes and reads back every list, file and parts type from its layout alone", function()
      local tested = 0
      for _, entry in ipairs(catalogue.ENTRIES) do
        local layout = entry.layout
        local plain = layout.kind == "list" or layout.kind == "file" or layout.kind == "parts"
        if plain and layout.export ~= false then
          local sample = assert(SAMPLES[entry.type], "no sample for " .. entry.type)
          local out = tmp .. "/" .. entry.type
          assert(directory.write({ output_folder = out }, { [entry.type] = sample }))
          local read = assert(directory.read({ input = out }))
          assert.same(sample, read[entry.type], entry.type)
          tested = tested + 1
        end
      end
      assert.equal(30, tested)
    end)

    it("names files as the layout says", function()
      local out = tmp .. "/out"
      assert(directory.write({ output_folder = out }, {
        networkACLs = SAMPLES.networkACLs, themes = SAMPLES.themes,
        guardianFactorProviders = SAMPLES.guardianFactorProviders,
        rulesConfigs = A{ { key = "k", value = "v" } },
      }))
      assert.same({ "guardian/providers/sms-twilio.json", "network-acls/block-p-2.json",
        "themes/theme.json", "themes/theme1.json" }, run.files_below(out))
    end)
  end)
end)
