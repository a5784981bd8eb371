-- bench/floor.lua: the requests a benchmark step needs, and the least time the Enterprise limits
-- and the emulator's latency allow for them.
local floor = dofile("bench/floor.lua")
local gen = dofile("bench/tenant-gen.lua")

local function manifest(size)
  local m = gen.generate(size, 1)
  local _, changes = gen.change(m, 1)
  local shape = { role_permissions = 0, org_connections = 0, org_client_grants = 0,
    connections_with_clients = 0, triggers = {}, email_templates = #m.emailTemplates }
  for _, r in ipairs(m.roles) do
    if #r.permissions > 0 then shape.role_permissions = shape.role_permissions + 1 end
  end
  for _, o in ipairs(m.organizations) do
    shape.org_connections = shape.org_connections + #o.connections
    shape.org_client_grants = shape.org_client_grants + #o.client_grants
  end
  shape.connections_with_clients = #m.connections + #m.databases
  for _, t in ipairs(gen.TRIGGERS) do
    if m.triggers[t.id] then shape.triggers[#shape.triggers + 1] = t.id end
  end
  shape.profiles = { connection = #m.connectionProfiles, user_attribute = #m.userAttributeProfiles,
    self_service = #m.selfServiceProfiles, custom_texts = 1 }
  shape.phone = { providers = #m.phoneProviders, templates = #m.phoneTemplates }
  return { size = size, seed = 1, counts = m.counts, shape = shape, changes = changes }
end

describe("bench/floor.lua", function()
  describe("needed", function()
    it("needs no write for the unchanged re-import and one per change", function()
      local m = manifest(1000)
      assert.equals(0, floor.needed(m, "reimport").writes)
      assert.equals(0, floor.needed(m, "export").writes)
      assert.equals(#m.changes, floor.needed(m, "change").writes)
      assert.equals(floor.needed(m, "reimport").reads, floor.needed(m, "change").reads)
    end)

    it("creates every resource, its sub-resources and the singletons on import", function()
      local m = manifest(100)
      local need = floor.needed(m, "import")
      local c, s = m.counts, m.shape
      local expected = c.resourceServers + c.clients + c.clientGrants + c.roles
        + s.role_permissions + c.connections + c.databases + s.connections_with_clients
        + c.organizations + s.org_connections + s.org_client_grants + 2 * c.actions
        + #s.triggers + 1 + 1 + 1 + s.email_templates + 1
        + 2 + 1 + 2 + 1 -- connection, user attribute, self-service profiles, a custom text
        + 1 + 2 -- the phone provider and two phone templates
      assert.equals(expected, need.writes)
      assert.equals(c.organizations, need.groups.organizations_write)
      assert.equals(s.org_connections, need.groups.organization_connections_write)
      assert.equals(1, need.build_s)
    end)

    it("reads every sub-list of what the seeded tenant holds", function()
      local m = manifest(100)
      local d = floor.needed(m, "reimport").detail
      assert.equals(m.counts.roles, d.role_permissions)
      assert.equals(4 * m.counts.organizations, d.organization_sublists)
      assert.equals(1 + m.counts.connections + m.counts.databases, d.connection_clients)
      assert.equals(#m.shape.triggers, d.trigger_bindings)
      assert.equals(3, d.profile_lists)
      assert.equals(2, d.phone_lists)
      assert.equals(m.shape.profiles.self_service, d.self_service_custom_text)
      local e = floor.needed(m, "export").detail
      assert.equals(floor.EMAIL_TEMPLATES, e.email_templates)
      assert.equals(floor.PROMPT_TYPES, e.prompt_custom_text)
    end)

    it("counts the types of issues 13 and 14 when the manifest has them", function()
      local m = manifest(100)
      local before = { reimport = floor.needed(m, "reimport"), import = floor.needed(m, "import") }
      m.shape.newer = { action_modules = 1, token_exchange_profiles = 1, custom_domains = 2,
        default_domain = 1, forms = 1, flows = 1, vault_connections = 2, branding_template = 1,
        themes = 1, attack_sections = 5 }
      local re = floor.needed(m, "reimport")
      -- modules + versions, exchange profiles, domains, provisionings, forms + 1, flows + 1,
      -- vault, branding + template, theme, attack protection, risk
      assert.equals(before.reimport.reads + 2 + 1 + 1 + 1 + 2 + 2 + 1 + 2 + 1
        + floor.ATTACK_SECTIONS + floor.RISK_PARTS, re.reads)
      assert.equals(0, re.writes)
      local im = floor.needed(m, "import")
      assert.equals(0, im.detail.forms - 1)
      -- a module and its version, the profile, two domains and the default, the Forms trio,
      -- branding, its template and the theme, five sections, the risk settings
      assert.equals(before.import.writes + 2 + 1 + 3 + 4 + 3 + 5 + 1, im.writes)
    end)
  end)

  describe("seconds", function()
    it("is the burst plus the refill for the busiest bucket, plus one latency", function()
      local need = { groups = { global = 150, second = 150 }, chain = 3, build_s = 0 }
      local s, parts = floor.seconds(need, { latency_s = 0.03 })
      assert.near(100 / 50 + 0.03, parts.rate, 1e-9)
      assert.near(100 / 50 + 0.03, s, 1e-9)
      need = { groups = { global = 1500, second = 1500 }, chain = 3, build_s = 0 }
      s = floor.seconds(need, { latency_s = 0.03 })
      assert.near(math.max(1450 / 50, 500 / (1000 / 60)) + 0.03, s, 1e-9)
      need = { groups = { global = 40, second = 40, organizations_write = 30 }, chain = 3,
        build_s = 0 }
      s = floor.seconds(need, { latency_s = 0.03 })
      assert.near(25 / 2.5 + 0.03, s, 1e-9)
    end)

    it("is the chain of round trips when the buckets never run low", function()
      local need = { groups = { global = 10, second = 10 }, chain = 20, build_s = 0 }
      local s, parts = floor.seconds(need, { latency_s = 0.03 })
      assert.near(0.6, s, 1e-9)
      assert.near(0.6, parts.chain, 1e-9)
      need.build_s = 1
      assert.near(6 * 0.03 + 1, (floor.seconds(need, { latency_s = 0.03 })), 1e-9)
    end)
  end)
end)
