-- bench/tenant-gen.lua: the benchmark tenant is the same for a seed, valid for `a0lua validate`,
-- and its state file loads into `a0lua emulate --state` with every resource in it.
local yaml = require("a0lua.core.yaml")
local emulator = require("helpers.emulator")

local gen = dofile("bench/tenant-gen.lua")

local function tmpdir()
  local p = assert(io.popen("mktemp -d /tmp/a0lua-tenant-gen-XXXXXX"))
  local dir = p:read("l")
  p:close()
  return dir
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- Runs build/a0lua with the arguments; -> exit code, output (stdout and stderr)
local function a0lua(args)
  local p = assert(io.popen("build/a0lua " .. args .. " 2>&1"))
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

local function sum(counts)
  local n = 0
  for _, v in pairs(counts) do n = n + v end
  return n
end

describe("bench/tenant-gen.lua", function()
  describe("counts", function()
    it("splits the size over the eight list types, at most 20 actions", function()
      for _, size in ipairs({ 100, 1000, 5000 }) do
        local c = gen.counts(size)
        assert.equals(size, sum(c))
        assert.is_true(c.actions >= 1 and c.actions <= 20)
        assert.is_true(c.clients <= 990 and c.roles <= 990 and c.resourceServers <= 990)
      end
      assert.is_true(gen.counts(1000).clients > gen.counts(1000).clientGrants)
      assert.equals(990, gen.counts(5000).clients)
      assert.equals(1000 + 2280 - 990, gen.counts(5000).clientGrants)
      assert.same({ resourceServers = 8, clientGrants = 20, roles = 10, databases = 2,
        connections = 4, organizations = 10, actions = 2, clients = 44 }, gen.counts(100))
    end)

    it("raises for a size below 20 or not a whole number", function()
      assert.has_error(function() gen.counts(19) end, "tenant-gen: size must be an integer >= 20")
      assert.has_error(function() gen.counts(100.5) end,
        "tenant-gen: size must be an integer >= 20")
    end)
  end)

  describe("generate and yaml", function()
    it("gives the same tenant.yaml for the same seed and another for another seed", function()
      local a = gen.yaml(gen.generate(100, 7))
      local b = gen.yaml(gen.generate(100, 7))
      local c = gen.yaml(gen.generate(100, 8))
      assert.equals(a, b)
      assert.not_equals(a, c)
    end)

    it("makes every kind of resource the benchmark needs", function()
      local m = gen.generate(200, 3)
      local app_types, exchange = {}, false
      for _, c in ipairs(m.clients) do
        app_types[c.app_type] = true
        if c.token_exchange then exchange = true end
        if c.app_type ~= "non_interactive" then assert.is_true(#c.callbacks >= 1) end
      end
      assert.same({ spa = true, regular_web = true, native = true, non_interactive = true },
        app_types)
      assert.is_true(exchange)
      for _, rs in ipairs(m.resourceServers) do assert.is_true(#rs.scopes >= 1) end
      for _, r in ipairs(m.roles) do assert.is_true(#r.permissions >= 1) end
      for _, o in ipairs(m.organizations) do assert.is_true(#o.connections >= 1) end
      local bound = 0
      for _, list in pairs(m.triggers) do bound = bound + #list end
      -- every action but the token exchange profile's (which no trigger binds)
      assert.equals(#m.actions - 1, bound)
      assert.equals("bench-token-exchange", m.tokenExchangeProfiles[1].action)
      assert.equals(1, m.actions[1].modules[1].module_version_number)
      local strategies = {}
      for _, c in ipairs(m.connections) do strategies[c.strategy] = true end
      assert.is_true(strategies["google-oauth2"] and strategies.github)
      assert.equals("auth0", m.databases[1].strategy)
    end)

    it("keeps the grant pairs unique and names only generated clients and APIs", function()
      local m = gen.generate(1000, 1)
      local clients, apis, pairs_seen = {}, {}, {}
      for _, c in ipairs(m.clients) do clients[c.name] = c end
      for _, a in ipairs(m.resourceServers) do apis[a.identifier] = true end
      for _, g in ipairs(m.clientGrants) do
        assert.equals("non_interactive", clients[g.client_id].app_type)
        assert.is_true(apis[g.audience])
        local key = g.client_id .. " " .. g.audience
        assert.is_nil(pairs_seen[key])
        pairs_seen[key] = true
      end
    end)

    it("writes YAML that reads back with the companion files named", function()
      local text, files = gen.yaml(gen.generate(100, 1))
      local doc = assert(yaml.decode(text))
      assert.equals(44, #doc.clients)
      assert.equals("./pages/login.html", doc.pages[1].html)
      assert.is_string(files["pages/login.html"])
      for _, a in ipairs(doc.actions) do
        assert.is_string(files[a.code:sub(3)])
      end
      assert.equals("##SMTP_PASS##", doc.emailProvider.credentials.smtp_pass)
      assert.equals("##TWILIO_AUTH_TOKEN##", doc.phoneProviders[1].credentials.auth_token)
      assert.equals(2, #doc.phoneTemplates)
    end)
  end)

  describe("change", function()
    it("changes 1 % of the resources, at least one, the same way for a seed", function()
      local m = gen.generate(1000, 1)
      local _, changes = gen.change(m, 1)
      local _, again = gen.change(m, 1)
      assert.equals(10, #changes)
      assert.same(changes, again)
      local _, small = gen.change(gen.generate(100, 1), 1)
      assert.equals(1, #small)
      assert.not_equals(gen.yaml(m), gen.yaml((gen.change(m, 1))))
    end)
  end)

  describe("write", function()
    local dir
    before_each(function() dir = tmpdir() end)
    after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

    it("writes tenant.yaml that `a0lua validate` accepts, and the same bytes again", function()
      local manifest = assert(gen.write(dir .. "/a", 100, 5))
      assert.equals(100, manifest.size)
      assert.equals(1, #manifest.changes)
      assert(gen.write(dir .. "/b", 100, 5))
      for _, f in ipairs({ "tenant.yaml", "tenant-changed.yaml", "state.json", "manifest.json",
          "config.json", "pages/login.html" }) do
        assert.equals(read(dir .. "/a/" .. f), read(dir .. "/b/" .. f), f)
      end
      for _, f in ipairs({ "tenant.yaml", "tenant-changed.yaml" }) do
        local code, out = a0lua(("validate -c %s/a/config.json -i %s/a/%s"):format(dir, dir, f))
        assert.equals(0, code, out)
        -- every type of M.TYPES but clientAuthCredentials, which lives inside the clients
        assert.matches(("valid %%(%d resource types%%)"):format(#gen.TYPES - 1), out)
      end
    end)

    it("exits 2 with usage for a size that is missing or too small", function()
      local code, out = a0lua("run bench/tenant-gen.lua --size 5 --out " .. dir .. "/x")
      assert.equals(2, code)
      assert.matches("%-%-size N %(an integer >= 20%) is required", out)
      code, out = a0lua("run bench/tenant-gen.lua --sizes 100")
      assert.equals(2, code)
      assert.matches("unknown argument %-%-sizes", out)
    end)
  end)

  describe("state", function()
    it("loads into the emulator with every generated resource", function()
      local m = gen.generate(100, 2)
      local state = assert(gen.state(m, { client_id = emulator.CLIENT_ID }))
      local emu = emulator.start{ state = state }
      local ok, err = pcall(function()
        local function count(path, key)
          local res = assert(emu:get(path))
          assert.equals(200, res.status)
          local body = res.json
          return #(key and body[key] or body)
        end
        -- the fresh tenant's clients (3, the global one included) and the generated ones
        assert.equals(3 + #m.clients, #state["/clients"])
        assert.equals(#m.clientGrants + 1, count("/client-grants?take=100", "client_grants"))
        assert.equals(#m.roles, count("/roles?per_page=100&include_totals=true", "roles"))
        assert.equals(#m.organizations, count("/organizations?take=100", "organizations"))
        assert.equals(#m.actions, count("/actions/actions?per_page=100", "actions"))
        local bindings = assert(emu:get("/actions/triggers/post-login/bindings")).json
        assert.equals(#m.triggers["post-login"], #bindings.bindings)
        assert.equals(#m.connectionProfiles, count("/connection-profiles", "connection_profiles"))
        local ssp = count("/self-service-profiles?per_page=100&include_totals=true",
          "self_service_profiles")
        assert.equals(#m.selfServiceProfiles, ssp)
        local uap = state["/user-attribute-profiles"][1]
        local named = state["/self-service-profiles"][2]
        assert.equals(uap.id, named.user_attribute_profile_id)
        assert.equals("Welcome to the Bench SSO setup.", assert(emu:get("/self-service-profiles/"
          .. named.id .. "/custom-text/en/get-started")).json.introduction)
        local provider = state["/branding/phone/providers"][1]
        assert.equals(gen.PHONE_SECRETS.TWILIO_AUTH_TOKEN, provider.credentials.auth_token)
        -- the two changed templates, and the defaults of the other three types
        assert.equals(2, #state["/branding/phone/templates"])
        assert.equals(5, count("/branding/phone/templates", "templates"))
        assert.equals(#m.networkACLs, count("/network-acls?per_page=100&include_totals=true",
          "network_acls"))
        assert.equals(#m.rateLimitPolicies, count("/rate-limit-policies?take=50",
          "rate_limit_policies"))
        assert.equals(#m.rules, count("/rules?per_page=100&include_totals=true", "rules"))
        assert.equals(#m.rulesConfigs, count("/rules-configs"))
        local hook = state["/hooks"][1]
        assert.same({ ["api-key"] = "_VALUE_NOT_SHOWN_" },
          assert(emu:get("/hooks/" .. hook.id .. "/secrets")).json)
        assert.is_true(emulator.find(state["/guardian/factors"], "name", "otp").enabled)
        local twilio = assert(emu:get("/guardian/factors/sms/providers/twilio")).json
        assert.equals(m.guardianFactorProviders[1].sid, twilio.sid)
        assert.equals(gen.GUARDIAN_SECRETS.GUARDIAN_TWILIO_AUTH_TOKEN, twilio.auth_token)
        assert.equals(m.guardianFactorTemplates[1].enrollment_message,
          assert(emu:get("/guardian/factors/sms/templates")).json.enrollment_message)
        local vault, flow = state["/flows/vault/connections"][1], state["/flows"][1]
        assert.equals(2, #state["/flows/vault/connections"])
        assert.equals(vault.id, flow.actions[1].params.connection_id)
        assert.equals(flow.id, state["/forms"][1].nodes[2].config.flow_id)
        local role = state["/roles"][1]
        assert.equals(#m.roles[1].permissions,
          count("/roles/" .. role.id .. "/permissions?per_page=100"))
      end)
      emu:stop()
      assert(ok, err)
    end)

    it("is what an import of tenant.yaml makes: a plan of it finds nothing to change", function()
      local dir = tmpdir()
      assert(gen.write(dir, 100, 4, { client_id = emulator.CLIENT_ID,
        client_secret = emulator.CLIENT_SECRET }))
      local state = assert(require("a0lua.core.json").decode(read(dir .. "/state.json")))
      local emu = emulator.start{ state = state }
      local ok, err = pcall(function()
        local code, out, errs = emu:cli({ "plan", "-c", dir .. "/config.json", "-i",
          dir .. "/tenant.yaml" })
        assert.equals(0, code, out .. errs)
      end)
      emu:stop()
      os.execute("rm -rf " .. dir)
      assert(ok, err)
    end)

    it("returns a tenant_gen error naming the request the emulator refused", function()
      local m = gen.generate(100, 2)
      m.clientGrants[1].audience = "https://no-such-api.example.com"
      local state, err = gen.state(m)
      assert.is_nil(state)
      assert.equals("tenant_gen", err.code)
      assert.matches("^POST /client%-grants: 4%d%d", err.message)
    end)
  end)
end)
