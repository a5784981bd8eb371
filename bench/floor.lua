--[[
bench/floor.lua: the floor of the deploy benchmark: the requests each benchmark step truly needs
on the generated tenant (bench/tenant-gen.lua's manifest), and the least time the emulated
Enterprise rate limit and latency allow for them.

  local floor = dofile("bench/floor.lua")
  floor.needed(manifest, op) -> need
      op: "export" (the seeded tenant), "import" (tenant.yaml into a fresh tenant), "reimport"
      (tenant.yaml into the seeded tenant: nothing to change), "change" (tenant-changed.yaml
      into the seeded tenant).
      need = { requests =, reads =, writes =, groups = { [bucket] = n }, chain =, build_s =,
               detail = { [what] = n } }
  floor.seconds(need [, plan]) -> seconds, { rate =, chain = }
      plan: { latency_s = 0.030, buckets = floor.ENTERPRISE }
  floor.ENTERPRISE      the buckets of `a0lua emulate --limits enterprise` (docs/emulator.md)

What a step truly needs (a lower bound any tool must pay on this API; the token request is not
rate limited and is left out):
  reads   every list once, 100 items a page (tenant settings once for tenant, pages and prompts;
          the clients list once, the global client included; the connections list once for
          connections and databases); per connection its enabled clients (the supported
          endpoint: a connection's enabled_clients field is deprecated); per role its
          permissions; per organization its four sub-lists (connections, client grants,
          discovery domains, member clients: a file's absent list means an empty one, so the
          tenant's must be read); the email provider; the log and event streams, network ACL
          and rate limit policy lists (one page each); the triggers list. Import reads only the
          parts of prompts, email templates and trigger bindings that the file names; export
          reads all of them (13 templates,
          every trigger's bindings, 35 custom-text prompts per locale, 8 partial groups, the
          screen renderers). The three profile lists; per self-service profile of the tenant its
          custom text. The phone providers and phone templates lists. The rules, rules-configs
          and hooks lists, and per hook on the tenant its secret keys. Each singleton setting
          (shape.settings: the MFA policy, the phone factor's provider and message types,
          supplemental signals) once. The action modules (and per module on the tenant its
          versions), token exchange profiles, custom domains, directory provisionings, forms,
          flows and vault connections lists, and per form and flow on the tenant the item
          itself (the list leaves out their nodes); branding (and its Universal Login template
          when the file sets one), the theme, the five attack protection sections and the two
          risk assessment parts.
  writes  import into a fresh tenant: one create per item; a role's permissions; a
          connection's enabled clients; per organization each connection and client grant; an
          action's deploy; one binding update per trigger; tenant settings, login page, email
          provider, each template, each log and event stream, network ACL and rate limit
          policy, and prompt settings once; each profile, and each self-service profile's custom
          text; the phone provider and each phone template; each rule, rules config and hook,
          and a hook's secrets; each setting once; each action module and its first version;
          each token exchange profile, custom domain (and the default domain's setting), vault
          connection, flow and form; branding, its template and the theme; each attack
          protection section; the risk settings. The unchanged re-import: none. The 1 %
          change: one update per changed item.
  chain   round trips that must follow one another: the token; checkpoint pages one after
          another (offset pages after the first together); a sub-list after its list; and on
          import the stages resource servers -> clients -> grants -> organizations ->
          organization connections and grants, and action create -> (build) -> deploy ->
          bindings.
The floor is the larger of the rate bound (each bucket, starting full, must have refilled a
token for its n-th request: (n - size) / rate, plus the last answer's latency) and the chain
(chain x latency, plus the action build delay when actions are created).
]]
local M = {}

-- Fresh-tenant objects of `a0lua emulate` (docs/emulator.md): All Applications (global),
-- Default App and the deploy client; the Management API; Username-Password-Authentication; the
-- deploy client's grant; trigger ids in /actions/triggers.
M.FRESH = { clients = 3, resourceServers = 1, connections = 1, clientGrants = 1,
  trigger_ids = 15 }
M.EMAIL_TEMPLATES = 13
M.PROMPT_TYPES = 35
M.PARTIAL_GROUPS = 8
M.BUILD_S = 1
M.ATTACK_SECTIONS = 5 -- brute force, suspicious IPs, breached passwords, bots, captcha
M.RISK_PARTS = 2 -- the settings and the new-device settings

M.ENTERPRISE = {
  global = { size = 1000, rate = 1000 / 60 },
  second = { size = 50, rate = 50 },
  organizations_read = { size = 10, rate = 100 / 60 },
  organizations_write = { size = 5, rate = 150 / 60 },
  organization_connections_write = { size = 5, rate = 150 / 60 },
}

local function pages(n, per)
  return math.max(1, math.ceil(n / (per or 100)))
end

-- Round trips to read a list of n items: checkpoint pages in a row; offset pages after the first
-- at once (past 1,000 items offset paging stops, so checkpoint).
local function list_chain(n, paging)
  local p = pages(n)
  if paging == "checkpoint" or n > 1000 then return p end
  return p > 1 and 2 or 1
end

function M.needed(manifest, op)
  local c, s = manifest.counts, manifest.shape
  local seeded = op ~= "import"
  local cur = {
    clients = M.FRESH.clients + (seeded and c.clients or 0),
    resourceServers = M.FRESH.resourceServers + (seeded and c.resourceServers or 0),
    clientGrants = M.FRESH.clientGrants + (seeded and c.clientGrants or 0),
    connections = M.FRESH.connections + (seeded and (c.connections + c.databases) or 0),
    roles = seeded and c.roles or 0,
    organizations = seeded and c.organizations or 0,
    actions = seeded and c.actions or 0,
  }
  local d = {}
  local orgs_read, orgs_write, org_conn_write
  -- reads
  d.tenant_settings = 1
  d.clients = pages(cur.clients)
  d.resource_servers = pages(cur.resourceServers)
  d.client_grants = pages(cur.clientGrants)
  d.connections = pages(cur.connections)
  d.connection_clients = cur.connections
  d.roles = pages(cur.roles)
  d.role_permissions = cur.roles
  d.organizations = pages(cur.organizations)
  orgs_read = d.organizations
  d.organization_sublists = 4 * cur.organizations
  d.actions = pages(cur.actions)
  d.triggers = 1
  d.email_provider = 1
  d.prompts = 1
  d.log_streams = 1
  d.event_streams = 1
  -- (manifests written before the tenant had them have no network_acls)
  if s.network_acls then
    d.network_acls = 1
    d.rate_limit_policies = 1
  end
  -- (manifests written before the tenant had its settings have no shape.settings)
  d.settings = s.settings or 0
  -- (manifests written before the tenant had profiles have no shape.profiles)
  local profiles = s.profiles
  if profiles then
    d.profile_lists = 3
    d.self_service_custom_text = seeded and profiles.self_service or 0
  end
  -- (likewise shape.phone) the phone providers and phone templates lists, one call each
  local phone = s.phone
  if phone then d.phone_lists = 2 end
  -- the legacy lists (rules, rules configs, hooks) and each hook's secret keys, of the hooks on
  -- the tenant (manifests written before the tenant had them have no shape.legacy)
  local legacy = s.legacy
  if legacy then
    d.legacy_lists = 3
    d.hook_secrets = seeded and legacy.hooks or 0
  end
  -- (manifests written before the tenant had MFA settings have no shape.guardian)
  local guardian = s.guardian
  if guardian then
    -- the factors in one read; an export reads a0deploy's two providers and APNs, an import
    -- the providers and templates its file names
    d.guardian_factors = 1
    d.guardian_providers = op == "export" and 3 or guardian.providers
    d.guardian_templates = guardian.templates
  end
  -- (manifests written before issues 13 and 14 have no shape.newer)
  local newer = s.newer
  if newer then
    d.action_modules = 1
    d.action_module_versions = seeded and newer.action_modules or 0
    d.token_exchange_profiles = 1
    d.custom_domains = 1
    d.directory_provisionings = 1
    -- a form's and a flow's list entries lack their nodes: one read each on the tenant
    d.forms = 1 + (seeded and newer.forms or 0)
    d.flows = 1 + (seeded and newer.flows or 0)
    d.vault_connections = 1
    d.branding = 1 + newer.branding_template
    d.themes = 1
    d.attack_protection = M.ATTACK_SECTIONS
    d.risk_assessment = M.RISK_PARTS
  end
  if op == "export" then
    d.trigger_bindings = M.FRESH.trigger_ids
    d.email_templates = M.EMAIL_TEMPLATES
    d.prompt_custom_text = M.PROMPT_TYPES -- one locale (en)
    d.prompt_partials = M.PARTIAL_GROUPS
    d.prompt_rendering = 1
  else
    d.trigger_bindings = #s.triggers
    d.email_templates = s.email_templates
  end
  local reads = 0
  for _, n in pairs(d) do reads = reads + n end
  -- writes
  local w = {}
  orgs_write, org_conn_write = 0, 0
  if op == "import" then
    w.tenant = 1
    w.login_page = 1
    w.resource_servers = c.resourceServers
    w.clients = c.clients
    w.client_grants = c.clientGrants
    w.roles = c.roles + s.role_permissions
    w.connections = c.connections + c.databases + s.connections_with_clients
    w.organizations = c.organizations
    orgs_write = c.organizations
    w.organization_connections = s.org_connections
    org_conn_write = s.org_connections
    w.organization_client_grants = s.org_client_grants
    w.actions = 2 * c.actions
    w.trigger_bindings = #s.triggers
    w.email_provider = 1
    w.email_templates = s.email_templates
    w.prompts = 1
    w.log_streams = s.log_streams or 0
    w.event_streams = s.event_streams or 0
    w.network_acls = s.network_acls or 0
    w.rate_limit_policies = s.rate_limit_policies or 0
    w.settings = s.settings or 0
    if profiles then
      w.profiles = profiles.connection + profiles.user_attribute + profiles.self_service
        + profiles.custom_texts
    end
    if phone then w.phone = phone.providers + phone.templates end
    if legacy then
      w.legacy = legacy.rules + legacy.rules_configs + legacy.hooks + legacy.hook_secrets
    end
    if guardian then
      w.guardian = guardian.factors_on + guardian.providers + guardian.templates
    end
    if newer then
      -- a module's create and its first version; the default custom domain's setting; the
      -- risk settings (its new-device part is the fresh tenant's)
      w.action_modules = 2 * newer.action_modules
      w.token_exchange_profiles = newer.token_exchange_profiles
      w.custom_domains = newer.custom_domains + newer.default_domain
      w.forms = newer.forms + newer.flows + newer.vault_connections
      w.branding = 1 + newer.branding_template + newer.themes
      w.attack_protection = newer.attack_sections
      w.risk_assessment = 1
    end
  elseif op == "change" then
    for _, ch in ipairs(manifest.changes) do
      w[ch.type] = (w[ch.type] or 0) + 1
      if ch.type == "organizations" then orgs_write = orgs_write + 1 end
    end
  end
  local writes = 0
  for k, n in pairs(w) do
    writes = writes + n
    d["write_" .. k] = n
  end
  -- chain
  local read_chain = math.max(
    list_chain(cur.clients, "offset"),
    list_chain(cur.clientGrants, "checkpoint"),
    list_chain(cur.connections, "checkpoint") + 1,
    list_chain(cur.roles, "offset") + (cur.roles > 0 and 1 or 0),
    list_chain(cur.organizations, "checkpoint") + (cur.organizations > 0 and 1 or 0),
    2) -- triggers, then bindings
  local chain, build_s = 1 + read_chain, 0
  if op == "import" then
    chain = chain + 5
    if c.actions > 0 then build_s = M.BUILD_S end
  elseif op == "change" and writes > 0 then
    chain = chain + 1
  end
  return {
    requests = reads + writes, reads = reads, writes = writes, chain = chain, build_s = build_s,
    groups = { global = reads + writes, second = reads + writes,
      organizations_read = orgs_read, organizations_write = orgs_write,
      organization_connections_write = org_conn_write },
    detail = d,
  }
end

function M.seconds(need, plan)
  plan = plan or {}
  local latency = plan.latency_s or 0.030
  local buckets = plan.buckets or M.ENTERPRISE
  local rate = 0
  for name, n in pairs(need.groups) do
    local b = buckets[name]
    if b and n > b.size then
      local t = (n - b.size) / b.rate
      if t > rate then rate = t end
    end
  end
  rate = rate + latency
  local chain = need.chain * latency
  -- the build delay runs beside the other stages: it only lengthens the action branch
  local action_branch = (1 + 2 + 3) * latency + need.build_s
  if action_branch > chain then chain = action_branch end
  return math.max(rate, chain), { rate = rate, chain = chain }
end

return M
