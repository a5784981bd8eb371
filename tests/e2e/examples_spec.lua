-- a0deploy's own examples (../shared/fixtures/deploy-cli/examples) load, validate and deploy
-- (with the few edits of EDITS below where they ask what the API or a0deploy's schema refuses),
-- limited to the types this engine has handlers for (AUTH0_INCLUDED_ONLY), with the keyword
-- mappings of their config.json.example; a second import of them makes no write request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local json = require("a0lua.core.json")

-- (userAttributeProfiles is not among them: the examples' user_attributes is a list where
-- a0deploy's schema, and a0lua's, want a map keyed by attribute name.)
local TYPES = { "tenant", "clients", "resourceServers", "clientGrants", "connections", "databases",
  "roles", "organizations", "emailProvider", "emailTemplates", "pages", "prompts", "actions",
  "triggers", "actionModules", "tokenExchangeProfiles", "logStreams", "eventStreams",
  "connectionProfiles", "selfServiceProfiles",
  "customDomains", "clientAuthCredentials", "phoneProviders", "phoneTemplates",
  "networkACLs", "rateLimitPolicies",
  "guardianFactors", "guardianFactorProviders", "guardianFactorTemplates",
  "guardianPolicies", "guardianPhoneFactorSelectedProvider", "guardianPhoneFactorMessageTypes",
  "supplementalSignals",
  "attackProtection", "riskAssessment" }

local function writes(emu)
  local out = {}
  for _, r in ipairs(emu:requests()) do
    if r.method ~= "GET" and r.path:sub(1, 8) == "/api/v2/" then
      out[#out + 1] = r.method .. " " .. r.path
    end
  end
  return out
end

describe("a0deploy's examples", function()
  local root = shared.dir()
  local examples = root and root .. "/fixtures/deploy-cli/examples"
  if not examples or not io.open(examples .. "/yaml/tenant.yaml") then
    pending(shared.MISSING)
    return
  end

  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  -- config.json.example with this run's emulator and the engine's types.
  local function config_file()
    local cfg = assert(json.decode(shared.read(examples .. "/yaml/config.json.example")))
    cfg.AUTH0_DOMAIN = emu.url
    cfg.AUTH0_CLIENT_ID = emu.client_id
    cfg.AUTH0_CLIENT_SECRET = emu.client_secret
    cfg.AUTH0_INCLUDED_ONLY = json.array(TYPES)
    cfg.AUTH0_EXCLUDED_RULES = nil
    -- The captcha providers' keys are keywords the example config does not map; unreplaced,
    -- the providers would have no site_key, which the API refuses.
    for _, name in ipairs({ "FRIENDLY_CAPTCHA_SITE_KEY", "FRIENDLY_CAPTCHA_SECRET",
      "RECAPTCHA_V2_SITE_KEY", "RECAPTCHA_V2_SECRET", "RECAPTCHA_ENTERPRISE_SITE_KEY",
      "RECAPTCHA_ENTERPRISE_API_KEY", "RECAPTCHA_ENTERPRISE_PROJECT_ID", "HCAPTCHA_SITE_KEY",
      "HCAPTCHA_SECRET", "ARKOSE_SITE_KEY", "ARKOSE_SECRET" }) do
      cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS["CAPTCHA_" .. name] = "example-" .. name:lower()
    end
    local path = tmp .. "/config.json"
    run.write_file(path, assert(json.encode(cfg)))
    return path
  end

  -- A copy of the example in this run's temp dir, for deploying, where the example asks for
  -- what the Management API refuses (the real API as the emulator does, both from the OpenAPI
  -- document); nothing else of it changes. Returns the input path to deploy.
  --  * The directory provisioning's synchronized group id `some_google_group_id` is a
  --    placeholder, not a valid Google group id: the API's pattern is ^[A-Za-z0-9]+$. The copy
  --    carries a valid id.
  --  * The custom domain `my_domain.com` is no host name (no "_" in one): the copy says
  --    my-domain.com.
  --  * The directory example's guardian/phoneFactorMessageTypes.json says `message-types`,
  --    which a0deploy's schema refuses as well (the key is message_types): the copy says
  --    message_types.
  local EDITS = {
    yaml = { { file = "tenant.yaml", edits = {
      { "some_google_group_id", "someGoogleGroupId" },
      { "domain: my_domain.com", "domain: my-domain.com" },
    } } },
    directory = {
      { file = "connections/google-apps.json", edits = {
        { "some_google_group_id", "someGoogleGroupId" },
      } },
      { file = "custom-domains/custom-domains.json", edits = {
        { '"domain": "my_domain.com"', '"domain": "my-domain.com"' },
      } },
      { file = "guardian/phoneFactorMessageTypes.json", edits = {
        { '"message-types"', '"message_types"' },
      } },
    },
  }
  local function example_copy(format)
    local dir = tmp .. "/" .. format
    local status = run.run({ "cp", "-R", examples .. "/" .. format, dir })
    assert.equal(0, status, "cannot copy the " .. format .. " example")
    for _, f in ipairs(EDITS[format]) do
      local path = dir .. "/" .. f.file
      local text = shared.read(path)
      for _, e in ipairs(f.edits) do
        local from = e[1]:gsub("%p", "%%%0")
        local n
        text, n = text:gsub(from, e[2])
        assert.equal(1, n, path .. ": no longer has " .. e[1])
      end
      run.write_file(path, text)
    end
    return format == "yaml" and dir .. "/tenant.yaml" or dir
  end

  -- What each example expects to find on the tenant already: objects it names but does not
  -- define. Both: the token exchange profile's action and version 1 of the action modules
  -- (tests/peer/admin.lua's seed, as `make peer` seeds the tenant), and the action "action-name"
  -- the event stream "My Action Stream" delivers to. yaml: the organization entitles "My App".
  -- directory: the grant is for "My M2M"; the send-phone-message trigger binds the action
  -- "ldoorz" (deployed, so that it can be bound).
  local function seed(format)
    assert(require("peer.admin").seed(emu.url, emu.client_id, emu.client_secret))
    local function post(path, body)
      local res = assert(emu:post(path, body))
      assert.is_true(res.status >= 200 and res.status < 300, path .. ": " .. tostring(res.body))
      return res.json
    end
    local function deployed_action(name, trigger, fn)
      local action = post("/actions/actions", { name = name,
        code = "exports." .. fn .. " = async () => {};",
        supported_triggers = json.array({ { id = trigger, version = "v1" } }) })
      -- The emulator builds a draft in 1 s; a minute is only a bound on a hang.
      local deadline, status = os.time() + 60
      repeat
        local res = assert(emu:get("/actions/actions/" .. action.id))
        status = res.json and res.json.status
        if status ~= "built" then run.run({ "sleep", "0.1" }) end
      until status == "built" or os.time() > deadline
      assert.equal("built", status, "the seeded action " .. name .. " was never built")
      post("/actions/actions/" .. action.id .. "/deploy")
    end
    deployed_action("action-name", "event-stream", "onExecuteEventStream")
    if format == "yaml" then
      post("/clients", { name = "My App", app_type = "regular_web" })
      return
    end
    post("/clients", { name = "My M2M", app_type = "non_interactive" })
    deployed_action("ldoorz", "send-phone-message", "onExecuteSendPhoneMessage")
  end

  local function a0lua(argv)
    local words = { "build/a0lua" }
    for _, a in ipairs(argv) do words[#words + 1] = a end
    return run.run(words, { env = { NO_COLOR = "1" } })
  end

  for _, format in ipairs({ "yaml", "directory" }) do
    local input = examples .. "/" .. format .. (format == "yaml" and "/tenant.yaml" or "")
    if io.open(format == "yaml" and input or (input .. "/tenant.json")) then
      it("loads and validates the " .. format .. " example", function()
        local cfg = config_file()
        local status, out, err = a0lua({ "validate", "-c", cfg, "-i", example_copy(format),
          "--env=false" })
        assert.equal(0, status, out .. err)
        assert.matches("valid", out)
        if format == "directory" then
          -- as it is, the example's message types file is refused where it says so
          status, out, err = a0lua({ "validate", "-c", cfg, "-i", input, "--env=false" })
          assert.equal(1, status, out .. err)
          assert.matches(input .. "/guardian/phoneFactorMessageTypes.json:2:3: "
            .. "guardianPhoneFactorMessageTypes.message-types: must not have additional property",
            err, 1, true)
        else
          status, out, err = a0lua({ "validate", "-c", cfg, "-i", input, "--env=false" })
          assert.equal(0, status, out .. err)
        end
      end)

      it("deploys the " .. format .. " example, then finds nothing to change", function()
        local cfg = config_file()
        local copy = example_copy(format)
        seed(format)
        local status, out, err = a0lua({ "import", "-c", cfg, "-i", copy, "--env=false" })
        assert.equal(0, status, out .. err)
        assert.matches("Applied:", out)
        emu:clear_requests()
        status, out, err = a0lua({ "import", "-c", cfg, "-i", copy, "--env=false" })
        assert.equal(0, status, out .. err)
        assert.same({}, writes(emu))
      end)
    end
  end
end)
