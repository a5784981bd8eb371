--[[
bench/tenant-gen.lua: a realistic tenant of a given size, from a seed, for the deploy benchmark
(bench/deploy.sh) and its spec.

  build/a0lua run bench/tenant-gen.lua --size N [--seed S] [--out DIR] [--client-id ID]

writes into DIR (default build/bench/tenant-N):
  tenant.yaml           the tenant in a0deploy's YAML format, with its companion files
                        (actions/<name>/code.js, pages/login.html, emailTemplates/<name>.html)
  tenant-changed.yaml   the same with 1 % of the resources changed (at least one), beside it so
                        the companion paths are the same
  state.json            the emulator state (`a0lua emulate --state`) of a fresh tenant into which
                        tenant.yaml was imported: made by sending the Management API requests to
                        an in-process emulator (a0lua.emulator, no socket), so every id and every
                        field the API fills in is the emulator's own
  config.json           the a0deploy config both tools read with -c: no AUTH0_INCLUDED_ONLY (the
                        tenant has every one of the 44 types, M.TYPES, and a0lua a handler for
                        each), AUTH0_KEYWORD_REPLACE_MAPPINGS (the SMTP password,
                        the log and event streams' credentials, the Twilio tokens, the
                        vault connections' setups), no deletes
  manifest.json         size, seed, counts per type, the changes of tenant-changed.yaml, and the
                        numbers bench/floor.lua needs (bindings per trigger, sub-resources)

N counts the items of the list types: clients, resourceServers, clientGrants, roles, databases,
connections, organizations and actions. The mix (share of N): resource servers 8 %, client grants
20 %, roles 10 %, database connections 2 %, social connections 4 %, organizations 10 %, actions
2 % (1 to 20), clients the rest (about 44 %). Clients are SPAs, regular web apps, native apps and
machine-to-machine clients, with callbacks, logout URLs and origins; a fifth of the
machine-to-machine ones may use token exchange, and every tenth, when it is a machine-to-machine
one, signs its token requests with a private key (a private_key_jwt credential:
clientAuthCredentials). Clients, resource servers and roles stay at 990 at most, the rest going to
client grants: a0deploy 8.44 reads those lists by page number, which the Management API stops at
1,000 records (with 2,280 clients, its export and import of a 5,000 tenant fail with "Requesting
page 10 exceeds the allowed maximum of 1000 records"). Client grants give machine-to-machine
clients scopes of one or two APIs (token-exchange clients for users); roles hold one to four
permissions; connections enable one to five clients; organizations enable one or two connections
and a quarter of them a client grant; actions are bound to four triggers.

On top of N, a fixed set of every other type (each write-only value a keyword):
- settings: the tenant's, the login page, the email provider, three email templates, prompt
  settings, branding with a Universal Login template, a theme, attack protection (every section,
  an hCaptcha provider), risk assessment, the MFA policy, the phone factor's provider and message
  types, supplemental signals;
- identity: one action module, published, that the first action imports (version 1); one custom
  token exchange profile with its own action (trigger custom-token-exchange, not bound), the one
  the token-exchange clients allow (custom_authentication); two connection profiles, a user
  attribute profile, two self-service profiles (one naming that user attribute profile, with
  custom text); two custom domains, one the default;
- streams: an HTTP and a Datadog log stream, a webhook event stream;
- MFA: three factors on, the SMS factor's Twilio provider and its message templates;
- phone: a Twilio provider and two changed phone templates;
- security: two network ACLs (a match and a not_match rule), two rate limit policies (the
  default one and third-party clients');
- forms: two flow vault connections (an Auth0 one and an Airtable one, whose setup is a keyword
  holding an object), a flow whose action names the Auth0 connection, and a form whose FLOW node
  and ending name that flow (companion files forms/<name>.json and flows/<name>.json);
- legacy: two rules, a rules config value and a hook with a secret.

The same size and seed always give byte-identical files (own splitmix64 generator; the
emulator seeded with the same seed and run on a fixed clock).

As a module (`dofile("bench/tenant-gen.lua")` returns it when not run as a script):
  M.counts(size) -> { clients =, resourceServers =, ... }
  M.generate(size, seed) -> model         every resource, in API shape, references by name
  M.change(model, seed) -> changed_model, changes     changes = { {type =, name =, field =} }
  M.yaml(model) -> text, files            files = { [relative path] = content }
  M.state(model, opts) -> state | nil, err    opts: client_id, client_secret (the deploy client)
  M.write(dir, size, seed, opts) -> manifest | nil, err
  M.TYPES                                 the types the tenant has: all 44 of a0deploy's
  M.CLIENT_ID, M.CLIENT_SECRET, M.SMTP_PASS   defaults of the deploy client and the keyword
]]
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")

local M = {}

M.TYPES = { "tenant", "clients", "resourceServers", "clientGrants", "connections", "databases",
  "roles", "organizations", "emailProvider", "emailTemplates", "pages", "prompts", "actions",
  "triggers", "actionModules", "tokenExchangeProfiles", "logStreams", "eventStreams",
  "connectionProfiles", "userAttributeProfiles", "selfServiceProfiles",
  "customDomains", "clientAuthCredentials", "phoneProviders", "phoneTemplates",
  "networkACLs", "rateLimitPolicies",
  "rules", "rulesConfigs", "hooks",
  "guardianFactors", "guardianFactorProviders", "guardianFactorTemplates",
  "forms", "flows", "flowVaultConnections",
  "branding", "themes",
  "guardianPolicies", "guardianPhoneFactorSelectedProvider", "guardianPhoneFactorMessageTypes",
  "supplementalSignals",
  "attackProtection", "riskAssessment" }
-- The singleton settings, each set by one request (M.state) and read by one.
local SETTINGS = { "guardianPolicies", "guardianPhoneFactorSelectedProvider",
  "guardianPhoneFactorMessageTypes", "supplementalSignals" }
M.CLIENT_ID = "a0luaBenchDeployClient0000000001"
M.CLIENT_SECRET = "a0lua-bench-deploy-client-secret"
M.SMTP_PASS = "bench-smtp-password"

-- The Universal Login theme: every group the API's create body requires.
local function theme()
  local function text(bold, size) return { bold = bold, size = size } end
  return {
    displayName = "Bench Theme",
    borders = { button_border_radius = 3, button_border_weight = 1, buttons_style = "rounded",
      input_border_radius = 3, input_border_weight = 1, inputs_style = "rounded",
      show_widget_shadow = true, widget_border_weight = 0, widget_corner_radius = 5 },
    colors = { body_text = "#1e212a", error = "#d03c38", header = "#1e212a", icons = "#65676e",
      input_background = "#ffffff", input_border = "#c9cace", input_filled_text = "#000000",
      input_labels_placeholders = "#65676e", links_focused_components = "#0059d6",
      primary_button = "#0059d6", primary_button_label = "#ffffff",
      secondary_button_border = "#c9cace", secondary_button_label = "#1e212a",
      success = "#13a688", widget_background = "#ffffff", widget_border = "#c9cace" },
    fonts = { body_text = text(false, 87.5), buttons_text = text(false, 100), font_url = "",
      input_labels = text(false, 100), links = text(true, 87.5), links_style = "normal",
      reference_text_size = 16, subtitle = text(false, 87.5), title = text(false, 150) },
    page_background = { background_color = "#101820", background_image_url = "",
      page_layout = "center" },
    widget = { header_text_alignment = "center", logo_height = 52, logo_position = "center",
      logo_url = "https://bench.example.com/logo.png", social_buttons_layout = "bottom" },
  }
end
-- The write-only credentials of the streams and the Auth0 vault connection, as keywords in
-- tenant.yaml.
M.STREAM_SECRETS = { LOG_HTTP_AUTHORIZATION = "Bearer bench-log-http-token",
  LOG_DATADOG_API_KEY = "bench-datadog-api-key", EVENT_WEBHOOK_TOKEN = "bench-webhook-token",
  -- (and the legacy types': a rules config value, a hook secret)
  RULES_CONFIG_SECRET = "bench-rules-config-value", HOOK_API_KEY = "bench-hook-api-key",
  VAULT_CLIENT_SECRET = "bench-vault-client-secret",
  -- (and the captcha provider's secret)
  CAPTCHA_HCAPTCHA_SECRET = "bench-hcaptcha-secret" }
-- The Twilio provider's write-only token, as a keyword in tenant.yaml.
M.PHONE_SECRETS = { TWILIO_AUTH_TOKEN = "bench-twilio-auth-token" }
-- The Twilio provider's write-only auth token, as a keyword in tenant.yaml.
M.GUARDIAN_SECRETS = { GUARDIAN_TWILIO_AUTH_TOKEN = "bench-twilio-auth-token" }
-- The Airtable vault connection's setup, an object through an @@KEYWORD@@ in tenant.yaml.
M.VAULT_SETUP = { type = "API_KEY", api_key = "bench-airtable-api-key" }
-- The emulator's clock while the state is built: 2026-01-01T00:00:00Z, so timestamps are fixed.
M.EPOCH = 1767225600

local array = json.array

--------------------------------------------------------------------------------------------------
-- Random numbers: splitmix64 on Lua integers (wrapping arithmetic, logical shifts)

local function rng(seed)
  local state = math.tointeger(seed) or 0
  local r = {}
  function r.next()
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    return z ~ (z >> 31)
  end
  function r.int(lo, hi) -- lo..hi inclusive
    return lo + ((r.next() >> 1) % (hi - lo + 1))
  end
  function r.chance(p)
    return (r.next() >> 11) / (1 << 53) < p
  end
  function r.pick(list)
    return list[r.int(1, #list)]
  end
  -- k distinct items of list, in list order
  function r.sample(list, k)
    local idx = {}
    for i = 1, #list do idx[i] = i end
    for i = 1, math.min(k, #list) do
      local j = r.int(i, #idx)
      idx[i], idx[j] = idx[j], idx[i]
    end
    local chosen = {}
    for i = 1, math.min(k, #list) do chosen[#chosen + 1] = idx[i] end
    table.sort(chosen)
    local out = {}
    for i, v in ipairs(chosen) do out[i] = list[v] end
    return out
  end
  -- a shuffled copy of list
  function r.shuffle(list)
    local out = {}
    for i, v in ipairs(list) do out[i] = v end
    for i = #out, 2, -1 do
      local j = r.int(1, i)
      out[i], out[j] = out[j], out[i]
    end
    return out
  end
  return r
end
M.rng = rng

--------------------------------------------------------------------------------------------------
-- The mix

local SHARES = {
  resourceServers = 0.08, clientGrants = 0.20, roles = 0.10, databases = 0.02,
  connections = 0.04, organizations = 0.10,
}
local MAX_ACTIONS = 20
local MAX_OFFSET_LIST = 990

function M.counts(size)
  if math.type(size) ~= "integer" or size < 20 then
    error("tenant-gen: size must be an integer >= 20", 2)
  end
  local c = {}
  local used = 0
  for t, share in pairs(SHARES) do
    c[t] = math.max(1, math.floor(size * share + 0.5))
    used = used + c[t]
  end
  c.actions = math.max(1, math.min(MAX_ACTIONS, math.floor(size * 0.02 + 0.5)))
  c.clients = size - used - c.actions
  -- Lists a0deploy reads by page number stay within the 1,000 records that offset paging
  -- reaches (with the fresh tenant's own items); the rest become client grants.
  for _, t in ipairs({ "clients", "resourceServers", "roles" }) do
    if c[t] > MAX_OFFSET_LIST then
      c.clientGrants = c.clientGrants + c[t] - MAX_OFFSET_LIST
      c[t] = MAX_OFFSET_LIST
    end
  end
  return c
end

local WORDS = { "acme", "billing", "orders", "catalog", "support", "payments", "inventory",
  "shipping", "reports", "search", "identity", "profile", "loyalty", "partners", "analytics",
  "checkout", "media", "notify", "ledger", "booking" }
local NOUNS = { "orders", "invoices", "customers", "products", "reports", "users", "payments",
  "shipments", "tickets", "accounts" }
local VERBS = { "read", "write", "delete", "admin" }
local APP_TYPES = { "spa", "spa", "spa", "regular_web", "regular_web", "native",
  "non_interactive", "non_interactive", "non_interactive" }
local SOCIAL = {
  { strategy = "google-oauth2", options = { email = true, profile = true,
    scope = { "email", "profile" } } },
  { strategy = "github", options = { email = true, profile = true, scope = { "user:email" } } },
  { strategy = "facebook", options = { email = true, public_profile = true,
    scope = "email,public_profile" } },
  { strategy = "linkedin", options = { email = true, profile = true,
    scope = { "r_emailaddress", "r_liteprofile" } } },
  { strategy = "windowslive", options = { signin = true, emails = true,
    scope = { "wl.signin", "wl.emails" } } },
}
local TRIGGERS = {
  { id = "post-login", version = "v3", fn = "onExecutePostLogin" },
  { id = "credentials-exchange", version = "v2", fn = "onExecuteCredentialsExchange" },
  { id = "pre-user-registration", version = "v2", fn = "onExecutePreUserRegistration" },
  { id = "post-change-password", version = "v2", fn = "onExecutePostChangePassword" },
}
M.TRIGGERS = TRIGGERS
local TEMPLATES = {
  { template = "verify_email", subject = "Verify your email", lifetime = 432000 },
  { template = "reset_email", subject = "Reset your password", lifetime = 86400 },
  { template = "welcome_email", subject = "Welcome to Bench" },
}

local function slug(s)
  return (s:lower():gsub("[^%w]+", "-"):gsub("^-+", ""):gsub("-+$", ""))
end

local function strings(t)
  local out = array()
  for i, v in ipairs(t) do out[i] = v end
  return out
end

--------------------------------------------------------------------------------------------------
-- The model

local function make_resource_servers(r, n)
  local list = {}
  for i = 1, n do
    local word = WORDS[(i - 1) % #WORDS + 1]
    local scopes = array()
    local nouns = r.sample(NOUNS, r.int(1, 3))
    for _, noun in ipairs(nouns) do
      for _, verb in ipairs(r.sample(VERBS, r.int(1, 2))) do
        scopes[#scopes + 1] = { value = verb .. ":" .. noun,
          description = ("%s %s"):format(verb:gsub("^%l", string.upper), noun) }
      end
    end
    local rs = {
      name = ("%s API %04d"):format(word:gsub("^%l", string.upper), i),
      identifier = ("https://%s-%04d.api.bench.example.com"):format(word, i),
      signing_alg = "RS256",
      token_lifetime = r.pick({ 3600, 7200, 86400 }),
      allow_offline_access = r.chance(0.3),
      skip_consent_for_verifiable_first_party_clients = true,
      scopes = scopes,
    }
    if r.chance(0.3) then
      rs.enforce_policies = true
      rs.token_dialect = "access_token_authz"
    end
    list[i] = rs
  end
  return list
end

-- The public key of the private_key_jwt credentials (a key made for the benchmark; its private
-- half was never kept).
local BENCH_PUBLIC_KEY = [[
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAriE3/DtSWq9tmlq0iaQN
28ztcK8E0PCx+KQg8Jm1AJ3zMwP4Zv60THshhyE6U7Kib6G8Ao78wcHcN9cS2d6R
bbEmJ8o8iCFmQJi2D1r3Qr0mC0igt4s+XVrT6zqEwu9o9tdNlJWHuAtDJRWnSVo2
Dt1aQPL1pYRrtJeMcic0JzxboWKEYlfyicquMwXJDGoNtlA6Orkz0KMbbIJZfmrA
zvXgL+PNcdPpIS/0TSZ8lNTYftWfcJVUltE6aFtXfA7ab1POqXyJsm9QB5x/RLLJ
bJftwWyE1s5q+OmrYVL1ONpsidnWA3XYPc8Cl9cA4K2bZRGxVS5VFhyHC7Jm+Dfz
MwIDAQAB
-----END PUBLIC KEY-----
]]

local function make_clients(r, n)
  local list = {}
  for i = 1, n do
    local app_type = r.pick(APP_TYPES)
    local word = r.pick(WORDS)
    local label = ({ spa = "SPA", regular_web = "Web", native = "Mobile",
      non_interactive = "Service" })[app_type]
    local name = ("%s %s %04d"):format(word:gsub("^%l", string.upper), label, i)
    local host = ("%s-%04d.bench.example.com"):format(slug(word .. "-" .. label), i)
    local c = { name = name, app_type = app_type, oidc_conformant = true,
      description = ("Bench %s client %d"):format(label:lower(), i) }
    if app_type == "spa" then
      local cbs = array()
      for k = 1, r.int(1, 3) do
        cbs[k] = k == 1 and ("https://%s/callback"):format(host)
          or ("https://%s/callback-%d"):format(host, k)
      end
      c.callbacks = cbs
      c.allowed_logout_urls = strings({ "https://" .. host })
      c.web_origins = strings({ "https://" .. host })
      c.allowed_origins = strings({ "https://" .. host })
      c.grant_types = strings({ "authorization_code", "implicit", "refresh_token" })
      c.token_endpoint_auth_method = "none"
    elseif app_type == "regular_web" then
      c.callbacks = strings({ ("https://%s/auth/callback"):format(host) })
      c.allowed_logout_urls = strings({ "https://" .. host })
      c.grant_types = strings({ "authorization_code", "refresh_token" })
      c.token_endpoint_auth_method = "client_secret_post"
    elseif app_type == "native" then
      c.callbacks = strings({ ("com.bench.%s%04d://callback"):format(word, i) })
      c.allowed_logout_urls = strings({ ("com.bench.%s%04d://logout"):format(word, i) })
      c.grant_types = strings({ "authorization_code", "refresh_token" })
      c.token_endpoint_auth_method = "none"
    else
      c.grant_types = strings({ "client_credentials" })
      c.token_endpoint_auth_method = "client_secret_post"
      if r.chance(0.2) then
        c.grant_types[2] = "urn:ietf:params:oauth:grant-type:token-exchange"
        c.token_exchange = { allow_any_profile_of_type = strings({ "custom_authentication" }) }
      end
    end
    if r.chance(0.5) then c.client_metadata = { team = "team-" .. r.int(1, 12) } end
    if app_type == "non_interactive" and i % 10 == 0 then
      c.token_endpoint_auth_method = nil
      c.client_authentication_methods = { private_key_jwt = { credentials = array({
        { name = ("bench-key-%04d"):format(i), credential_type = "public_key",
          pem = BENCH_PUBLIC_KEY } }) } }
    end
    list[i] = c
  end
  return list
end

local function make_grants(r, n, clients, apis)
  local m2m = {}
  for _, c in ipairs(clients) do
    if c.app_type == "non_interactive" then m2m[#m2m + 1] = c end
  end
  local list, used = {}, {}
  if #m2m == 0 then return list end
  local round = 0
  while #list < n do
    round = round + 1
    local added = false
    for _, c in ipairs(m2m) do
      if #list >= n then break end
      if round == 1 or r.chance(0.5) then
        for _ = 1, 4 do
          local api = r.pick(apis)
          local key = c.name .. "\0" .. api.identifier
          if not used[key] then
            used[key] = true
            local values = {}
            for _, s in ipairs(api.scopes) do values[#values + 1] = s.value end
            local g = { client_id = c.name, audience = api.identifier,
              scope = strings(r.sample(values, r.int(1, #values))) }
            if c.token_exchange then g.subject_type = "user" end
            list[#list + 1] = g
            added = true
            break
          end
        end
      end
    end
    if not added and round > 50 then break end
  end
  return list
end

local function make_roles(r, n, apis)
  local perms = {}
  for _, api in ipairs(apis) do
    for _, s in ipairs(api.scopes) do
      perms[#perms + 1] = { permission_name = s.value, resource_server_identifier = api.identifier }
    end
  end
  local list = {}
  for i = 1, n do
    local word = r.pick(WORDS)
    local picked = array()
    for k = 1, r.int(1, 4) do picked[k] = r.pick(perms) end
    -- distinct permissions, in a stable order
    local seen, uniq = {}, array()
    for _, p in ipairs(picked) do
      local key = p.resource_server_identifier .. " " .. p.permission_name
      if not seen[key] then
        seen[key] = true
        uniq[#uniq + 1] = { permission_name = p.permission_name,
          resource_server_identifier = p.resource_server_identifier }
      end
    end
    list[i] = { name = ("%s-role-%04d"):format(word, i),
      description = ("May work with %s (%d)"):format(word, i), permissions = uniq }
  end
  return list
end

local function interactive_names(clients)
  local out = {}
  for _, c in ipairs(clients) do
    if c.app_type ~= "non_interactive" then out[#out + 1] = c.name end
  end
  if #out == 0 then out[1] = clients[1].name end
  return out
end

local function make_databases(r, n, clients)
  local names = interactive_names(clients)
  local list = {}
  for i = 1, n do
    list[i] = {
      name = ("bench-users-%03d"):format(i), strategy = "auth0",
      enabled_clients = strings(r.sample(names, r.int(1, 4))),
      options = {
        requires_username = r.chance(0.3), brute_force_protection = true,
        disable_signup = r.chance(0.2), passwordPolicy = r.pick({ "fair", "good" }),
        password_complexity_options = { min_length = r.pick({ 8, 10, 12 }) },
      },
    }
  end
  return list
end

local function make_connections(r, n, clients)
  local names = interactive_names(clients)
  local list = {}
  for i = 1, n do
    local s = SOCIAL[(i - 1) % #SOCIAL + 1]
    local options = {}
    for k, v in pairs(s.options) do
      options[k] = type(v) == "table" and strings(v) or v
    end
    list[i] = { name = ("%s-%03d"):format(s.strategy, i), strategy = s.strategy,
      enabled_clients = strings(r.sample(names, r.int(1, 5))), options = options }
  end
  return list
end

local function make_organizations(r, n, connections, grants)
  -- Organization client grants name a client with exactly one grant (the name is the reference).
  local count = {}
  for _, g in ipairs(grants) do count[g.client_id] = (count[g.client_id] or 0) + 1 end
  local single = {}
  for _, g in ipairs(grants) do
    if count[g.client_id] == 1 and not g.subject_type then single[#single + 1] = g.client_id end
  end
  local list = {}
  for i = 1, n do
    local word = r.pick(WORDS)
    local o = { name = ("%s-org-%04d"):format(word, i),
      display_name = ("%s Customer %04d"):format(word:gsub("^%l", string.upper), i) }
    if r.chance(0.3) then
      o.branding = { colors = { primary = ("#%06x"):format(r.int(0, 0xffffff)),
        page_background = ("#%06x"):format(r.int(0, 0xffffff)) } }
    end
    if r.chance(0.3) then o.metadata = { tier = r.pick({ "gold", "silver", "bronze" }) } end
    local conns = array()
    for _, c in ipairs(r.sample(connections, r.chance(0.3) and 2 or 1)) do
      conns[#conns + 1] = { name = c.name, assign_membership_on_login = r.chance(0.5),
        show_as_button = true }
    end
    o.connections = conns
    o.client_grants = array()
    if #single > 0 and r.chance(0.25) then
      o.client_grants[1] = { client_id = r.pick(single) }
    end
    list[i] = o
  end
  return list
end

local function action_code(trigger, i)
  return ("// Bench action %d: tags the %s event.\n"
    .. "exports.%s = async (event, api) => {\n"
    .. "  const tag = 'bench-%d';\n"
    .. "  if (event.secrets && event.secrets.DEBUG) console.log(tag);\n"
    .. "};\n"):format(i, trigger.id, trigger.fn, i)
end

local function make_actions(r, n)
  local list = {}
  for i = 1, n do
    local t = TRIGGERS[(i - 1) % #TRIGGERS + 1]
    local deps = array()
    if r.chance(0.4) then deps[1] = { name = "lodash", version = "4.17.21" } end
    list[i] = {
      name = ("bench-%s-%02d"):format(t.id, i), code = action_code(t, i), runtime = "node22",
      dependencies = deps, secrets = array(),
      supported_triggers = array({ { id = t.id, version = t.version } }), deployed = true,
      trigger = t.id,
    }
  end
  return list
end

-- The action module the first action imports, and the token exchange profile (with its own
-- action, which no trigger binds) that the token-exchange clients allow.
local function add_exchange(model)
  model.actionModules = { { name = "bench-shared",
    code = "// Bench module: shared helpers.\nmodule.exports = { tag: (i) => 'bench-' + i };\n",
    dependencies = array({ { name = "uuid", version = "9.0.0" } }), secrets = array(),
    all_changes_published = true } }
  model.actions[1].modules = array({ { module_name = "bench-shared",
    module_version_number = 1 } })
  model.actions[#model.actions + 1] = { name = "bench-token-exchange",
    code = "// Bench action: accepts the legacy token.\n"
      .. "exports.onExecuteCustomTokenExchange = async (event, api) => {};\n",
    runtime = "node22", dependencies = array(), secrets = array(),
    supported_triggers = array({ { id = "custom-token-exchange", version = "v1" } }),
    deployed = true }
  model.tokenExchangeProfiles = { { name = "Bench Legacy Exchange",
    type = "custom_authentication", subject_token_type = "urn:bench:legacy-token",
    action = "bench-token-exchange" } }
  model.counts.actionModules = #model.actionModules
  model.counts.tokenExchangeProfiles = #model.tokenExchangeProfiles
end

-- The profiles, the same at every size (docs/handlers.md §selfServiceProfiles): the second
-- self-service profile names the user attribute profile, which is created first.
local function profiles()
  local connection = array{
    { name = "Bench Enterprise SSO", organization = { show_as_button = "required",
        assign_membership_on_login = "optional" },
      connection_name_prefix_template = "b-{org_name}",
      enabled_features = strings({ "scim", "universal_logout" }) },
    { name = "Bench Basic SSO", organization = { show_as_button = "optional",
        assign_membership_on_login = "none" }, enabled_features = strings({ "scim" }) },
  }
  local attributes = array{
    { name = "Bench Workforce", user_id = { oidc_mapping = "sub", scim_mapping = "externalId" },
      user_attributes = {
        email = { description = "Email of the user", label = "Email", profile_required = true,
          auth0_mapping = "email" },
        name = { description = "Full name", label = "Name", profile_required = false,
          auth0_mapping = "name" } } },
  }
  local self_service = array{
    { name = "Bench Partners", description = "Partners set up their own SSO",
      allowed_strategies = strings({ "okta", "samlp" }),
      branding = { colors = { primary = "#19aecc" } },
      user_attributes = array{ { name = "email", description = "Email of the user",
        is_optional = false } } },
    { name = "Bench Workforce SSO", allowed_strategies = strings({ "oidc", "waad" }),
      user_attribute_profile_id = "Bench Workforce",
      customText = { en = { ["get-started"] = {
        introduction = "Welcome to the Bench SSO setup." } } } },
  }
  return connection, attributes, self_service
end

-- The Forms trio: vault connections, a flow naming one, a form naming the flow.
local function forms()
  local connections = array({
    { name = "Bench Auth0 M2M", app_id = "AUTH0", setup = { type = "OAUTH_APP",
      client_id = "bench-vault-client", client_secret = "##VAULT_CLIENT_SECRET##",
      domain = "bench.eu.auth0.com" } },
    { name = "Bench Airtable", app_id = "AIRTABLE", setup = "@@VAULT_AIRTABLE_SETUP@@" },
  })
  local flows = array({
    { name = "Bench Update Profile", actions = array({
      { id = "update_user", type = "AUTH0", action = "UPDATE_USER", allow_failure = false,
        mask_output = false, params = { connection_id = "Bench Auth0 M2M",
          user_id = "{{context.user.user_id}}",
          changes = { user_metadata = { full_name = "{{fields.full_name}}" } } } } }) },
  })
  local form_list = array({
    { name = "Bench Profile Form", languages = { primary = "en" },
      nodes = array({
        { id = "step_name", type = "STEP", coordinates = { x = 500, y = 0 }, alias = "Name",
          config = { components = array({
            { id = "full_name", category = "FIELD", type = "TEXT", label = "Your name",
              required = true, sensitive = false,
              config = { multiline = false, min_length = 1, max_length = 50 } },
            { id = "next", category = "BLOCK", type = "NEXT_BUTTON",
              config = { text = "Continue" } } }), next_node = "flow_update" } },
        { id = "flow_update", type = "FLOW", coordinates = { x = 1000, y = 0 },
          alias = "Update profile",
          config = { flow_id = "Bench Update Profile", next_node = "$ending" } } }),
      start = { next_node = "step_name", coordinates = { x = 0, y = 0 } },
      ending = { resume_flow = true, coordinates = { x = 1250, y = 0 } } },
  })
  return connections, flows, form_list
end

function M.generate(size, seed)
  local counts = M.counts(size)
  local r = rng(seed or 1)
  local model = { size = size, seed = seed or 1, counts = counts }
  model.resourceServers = make_resource_servers(r, counts.resourceServers)
  model.clients = make_clients(r, counts.clients)
  model.clientGrants = make_grants(r, counts.clientGrants, model.clients, model.resourceServers)
  -- (a tenant too small for its grants keeps fewer: the manifest counts what was made)
  counts.clientGrants = #model.clientGrants
  model.roles = make_roles(r, counts.roles, model.resourceServers)
  model.databases = make_databases(r, counts.databases, model.clients)
  model.connections = make_connections(r, counts.connections, model.clients)
  local all_connections = {}
  for _, c in ipairs(model.databases) do all_connections[#all_connections + 1] = c end
  for _, c in ipairs(model.connections) do all_connections[#all_connections + 1] = c end
  model.organizations = make_organizations(r, counts.organizations, all_connections,
    model.clientGrants)
  model.actions = make_actions(r, counts.actions)
  model.triggers = {}
  for _, a in ipairs(model.actions) do
    local list = model.triggers[a.trigger] or array()
    list[#list + 1] = { action_name = a.name, display_name = a.name }
    model.triggers[a.trigger] = list
  end
  add_exchange(model)
  model.tenant = { friendly_name = ("Bench Tenant %d"):format(size),
    support_email = "support@bench.example.com", support_url = "https://bench.example.com/help",
    enabled_locales = strings({ "en" }) }
  model.pages = { { name = "login", enabled = true,
    html = "<!DOCTYPE html>\n<html>\n  <head><title>Sign in to Bench</title></head>\n"
      .. "  <body><div id=\"login\"></div></body>\n</html>\n" } }
  model.emailProvider = { name = "smtp", enabled = true,
    default_from_address = "no-reply@bench.example.com",
    credentials = { smtp_host = "smtp.bench.example.com", smtp_port = 587,
      smtp_user = "bench-mailer", smtp_pass = "##SMTP_PASS##" } }
  model.emailTemplates = {}
  for i, t in ipairs(TEMPLATES) do
    local e = { template = t.template, enabled = true, syntax = "liquid",
      from = "Bench <no-reply@bench.example.com>", subject = t.subject,
      body = ("<html>\n  <body>\n    <h1>%s</h1>\n    <p>{{ url }}</p>\n  </body>\n</html>\n")
        :format(t.subject) }
    if t.lifetime then e.urlLifetimeInSeconds = t.lifetime end
    model.emailTemplates[i] = e
  end
  model.prompts = { universal_login_experience = "new", identifier_first = false,
    webauthn_platform_first_factor = true }
  model.logStreams = {
    { name = "Bench HTTP Logs", type = "http", filters = array({
        { type = "category", name = "auth.login.fail" },
        { type = "category", name = "management.fail" } }),
      sink = { httpEndpoint = "https://logs.bench.example.com/ingest",
        httpContentType = "application/json", httpContentFormat = "JSONLINES",
        httpAuthorization = "##LOG_HTTP_AUTHORIZATION##" } },
    { name = "Bench Datadog Logs", type = "datadog",
      sink = { datadogRegion = "eu", datadogApiKey = "##LOG_DATADOG_API_KEY##" } },
  }
  model.eventStreams = {
    { name = "Bench User Events", status = "enabled", subscriptions = array({
        { event_type = "user.created" }, { event_type = "user.deleted" } }),
      destination = { type = "webhook", configuration = {
        webhook_endpoint = "https://events.bench.example.com/auth0",
        webhook_authorization = { method = "bearer", token = "##EVENT_WEBHOOK_TOKEN##" } } } },
  }
  model.connectionProfiles, model.userAttributeProfiles, model.selfServiceProfiles = profiles()
  model.customDomains = array({
    { domain = "login.bench.example.com", type = "auth0_managed_certs", is_default = true,
      tls_policy = "recommended", custom_client_ip_header = "true-client-ip" },
    { domain = "id.bench.example.com", type = "self_managed_certs" },
  })
  -- The phone provider (its token a keyword) and two of the five phone templates changed; the
  -- other three stay the tenant's defaults.
  model.phoneProviders = array({
    { name = "twilio", disabled = false, configuration = { sid = "ACbench0000000000000000001",
      default_from = "+15550100100", delivery_methods = array({ "text", "voice" }) },
      credentials = { auth_token = "##TWILIO_AUTH_TOKEN##" } },
  })
  model.phoneTemplates = array({
    { type = "otp_verify", disabled = false, content = { from = "+15550100100",
      body = { text = "{{ code }} is your Bench verification code",
        voice = "Your Bench verification code is {{ code }}" } } },
    { type = "otp_enroll", disabled = false, content = {
      body = { text = "{{ code }} is your Bench enrollment code",
        voice = "Your Bench enrollment code is {{ code }}" } } },
  })
  model.networkACLs = array({
    { description = "Bench allow home countries", active = true, priority = 1,
      rule = { action = { allow = true }, scope = "authentication",
        match = { geo_country_codes = array({ "US", "CA" }) } } },
    { description = "Bench log bots", active = false, priority = 2,
      rule = { action = { log = true }, scope = "tenant",
        not_match = { ipv4_cidrs = array({ "10.0.0.0/8" }) } } },
  })
  model.rateLimitPolicies = array({
    { resource = "oauth_authentication_api", consumer = "client", consumer_selector = "default",
      configuration = { action = "log", limit = 1000 } },
    { resource = "oauth_authentication_api", consumer = "client",
      consumer_selector = "third_party_clients",
      configuration = { action = "block", limit = 100 } },
  })
  model.rules = {
    { name = "Bench Add Roles", order = 1, enabled = true, stage = "login_success",
      script = "function addRoles(user, context, callback) {\n"
        .. "  var roles = (user.app_metadata || {}).roles;\n"
        .. "  context.idToken['https://bench.example.com/roles'] = roles;\n"
        .. "  callback(null, user, context);\n}\n" },
    { name = "Bench Block IP", order = 2, enabled = false, stage = "login_success",
      script = "function blockIp(user, context, callback) {\n"
        .. "  if (context.request.ip === configuration.BLOCKED_IP) {\n"
        .. "    return callback(new Error('blocked'));\n  }\n"
        .. "  callback(null, user, context);\n}\n" },
  }
  model.rulesConfigs = { { key = "BLOCKED_IP", value = "##RULES_CONFIG_SECRET##" } }
  model.hooks = {
    { name = "bench-client-credentials", triggerId = "credentials-exchange", enabled = true,
      secrets = { ["api-key"] = "##HOOK_API_KEY##" }, dependencies = {},
      script = "module.exports = function (client, scope, audience, context, cb) {\n"
        .. "  cb(null, { scope: scope, access_token: { scope: scope } });\n};\n" },
  }
  model.guardianFactors = array({ { name = "sms", enabled = true },
    { name = "otp", enabled = true }, { name = "webauthn-roaming", enabled = true },
    { name = "email", enabled = false } })
  model.guardianFactorProviders = array({ { name = "sms", provider = "twilio",
    sid = "ACbench0000000000000000000000000001", messaging_service_sid = "MGbench00000000000001",
    auth_token = "##GUARDIAN_TWILIO_AUTH_TOKEN##" } })
  model.guardianFactorTemplates = array({ { name = "sms",
    enrollment_message = "{{code}} is your Bench enrollment code",
    verification_message = "{{code}} is your Bench verification code" } })
  model.flowVaultConnections, model.flows, model.forms = forms()
  model.branding = { colors = { primary = "#0059d6", page_background = "#101820" },
    logo_url = "https://bench.example.com/logo.png",
    favicon_url = "https://bench.example.com/favicon.ico",
    template = "<!DOCTYPE html>\n<html lang=\"{{locale}}\">\n  <head>\n    {%- auth0:head -%}\n"
      .. "  </head>\n  <body class=\"_widget-auto-layout\">\n    {%- auth0:widget -%}\n"
      .. "  </body>\n</html>\n" }
  model.themes = array({ theme() })
  model.guardianPolicies = { policies = strings({ "all-applications" }) }
  model.guardianPhoneFactorSelectedProvider = { provider = "twilio" }
  model.guardianPhoneFactorMessageTypes = { message_types = strings({ "sms", "voice" }) }
  model.supplementalSignals = { akamai_enabled = true }
  model.attackProtection = {
    breachedPasswordDetection = { enabled = true, shields = array({ "block",
      "admin_notification" }), admin_notification_frequency = array({ "daily" }),
      method = "standard", stage = { ["pre-user-registration"] = { shields = array({ "block" }) },
      ["pre-change-password"] = { shields = array({ "block", "admin_notification" }) } } },
    bruteForceProtection = { enabled = true, shields = array({ "block", "user_notification" }),
      mode = "count_per_identifier_and_ip", allowlist = array({ "10.0.0.1" }), max_attempts = 8 },
    suspiciousIpThrottling = { enabled = true, shields = array({ "admin_notification", "block" }),
      allowlist = array({ "192.168.0.0/16" }), stage = {
        ["pre-login"] = { max_attempts = 150, rate = 864000 },
        ["pre-user-registration"] = { max_attempts = 60, rate = 1800 } } },
    botDetection = { bot_detection_level = "medium", challenge_password_policy = "when_risky",
      challenge_passwordless_policy = "never", challenge_password_reset_policy = "when_risky",
      allowlist = array({ "10.1.0.0/24" }), monitoring_mode_enabled = false },
    captcha = { active_provider_id = "hcaptcha", hcaptcha = { site_key = "bench-hcaptcha-site",
      secret = "##CAPTCHA_HCAPTCHA_SECRET##" } },
  }
  model.riskAssessment = { settings = { enabled = true }, new_device = { remember_for = 30 } }
  return model
end

--------------------------------------------------------------------------------------------------
-- 1 % of the resources changed

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return setmetatable(out, getmetatable(v))
end

local CHANGEABLE = { "clients", "resourceServers", "clientGrants", "roles", "databases",
  "connections", "organizations" }

function M.change(model, seed)
  local changed = copy(model)
  local r = rng((seed or model.seed) * 7919 + 17)
  local pool = {}
  for _, t in ipairs(CHANGEABLE) do
    for i = 1, #changed[t] do pool[#pool + 1] = { t, i } end
  end
  local k = math.max(1, math.floor(model.size / 100 + 0.5))
  local changes = {}
  -- The pool in a random order; items that cannot change (a grant holding its API's only
  -- scope) are passed over until k have changed.
  for _, pick in ipairs(r.shuffle(pool)) do
    if #changes >= k then break end
    local t, item = pick[1], changed[pick[1]][pick[2]]
    local field
    if t == "clients" then
      field = "description"
      item.description = item.description .. " (changed)"
    elseif t == "resourceServers" then
      field = "token_lifetime"
      item.token_lifetime = item.token_lifetime + 600
    elseif t == "clientGrants" then
      field = "scope"
      local api
      for _, a in ipairs(changed.resourceServers) do
        if a.identifier == item.audience then api = a end
      end
      local have = {}
      for _, s in ipairs(item.scope) do have[s] = true end
      local added
      for _, s in ipairs(api.scopes) do
        if not have[s.value] then added = s.value break end
      end
      if added then item.scope[#item.scope + 1] = added
      elseif #item.scope > 1 then table.remove(item.scope)
      else field = nil end
    elseif t == "roles" then
      field = "description"
      item.description = item.description .. " (changed)"
    elseif t == "databases" then
      field = "options.brute_force_protection"
      item.options.brute_force_protection = not item.options.brute_force_protection
    elseif t == "connections" then
      field = "options.email"
      item.options.email = not item.options.email
    elseif t == "organizations" then
      field = "display_name"
      item.display_name = item.display_name .. " (changed)"
    end
    if field then
      changes[#changes + 1] = { type = t, name = item.name or (item.client_id .. " -> "
        .. item.audience), field = field }
    end
  end
  return changed, changes
end

--------------------------------------------------------------------------------------------------
-- tenant.yaml

-- Item keys first (name before the rest), then the types in a0deploy's order.
local KEY_ORDER = { "name", "template", "identifier", "strategy", "client_id", "audience",
  "description", "app_type", "display_name", "tenant", "pages", "resourceServers", "clients",
  "clientGrants", "roles", "databases", "connections", "organizations", "actions", "triggers",
  "emailProvider", "emailTemplates", "prompts", "actionModules", "tokenExchangeProfiles",
  "logStreams", "eventStreams", "connectionProfiles", "userAttributeProfiles",
  "selfServiceProfiles", "customDomains", "phoneProviders", "phoneTemplates",
  "networkACLs", "rateLimitPolicies",
  "rules", "rulesConfigs", "hooks",
  "guardianFactors", "guardianFactorProviders", "guardianFactorTemplates", "provider",
  "forms", "flows", "flowVaultConnections",
  "branding", "themes",
  "guardianPolicies", "guardianPhoneFactorSelectedProvider", "guardianPhoneFactorMessageTypes",
  "supplementalSignals",
  "attackProtection", "riskAssessment" }

local function without(item, fields)
  local out = {}
  for k, v in pairs(item) do
    if not fields[k] then out[k] = v end
  end
  return out
end

function M.yaml(model)
  local files = {}
  local doc = {}
  doc.tenant = model.tenant
  doc.pages = array()
  for i, p in ipairs(model.pages) do
    local path = ("pages/%s.html"):format(p.name)
    files[path] = p.html
    local out = without(p, { html = true })
    out.html = "./" .. path
    doc.pages[i] = out
  end
  for _, t in ipairs({ "resourceServers", "clients", "clientGrants", "roles", "databases",
      "connections", "organizations" }) do
    doc[t] = array()
    for i, item in ipairs(model[t]) do doc[t][i] = item end
  end
  doc.actions = array()
  for i, a in ipairs(model.actions) do
    local path = ("actions/%s/code.js"):format(a.name)
    files[path] = a.code
    local out = without(a, { code = true, trigger = true })
    out.code = "./" .. path
    doc.actions[i] = out
  end
  doc.triggers = {}
  for id, list in pairs(model.triggers) do doc.triggers[id] = list end
  doc.actionModules = array()
  for i, m in ipairs(model.actionModules) do
    local path = ("action-modules/%s/code.js"):format(m.name)
    files[path] = m.code
    local out = without(m, { code = true })
    out.code = "./" .. path
    doc.actionModules[i] = out
  end
  doc.tokenExchangeProfiles = array(model.tokenExchangeProfiles)
  doc.emailProvider = model.emailProvider
  doc.emailTemplates = array()
  for i, e in ipairs(model.emailTemplates) do
    local path = ("emailTemplates/%s.html"):format(e.template)
    files[path] = e.body
    local out = without(e, { body = true })
    out.body = "./" .. path
    doc.emailTemplates[i] = out
  end
  doc.prompts = model.prompts
  doc.logStreams = array(model.logStreams)
  doc.eventStreams = array(model.eventStreams)
  for _, t in ipairs({ "connectionProfiles", "userAttributeProfiles", "selfServiceProfiles" }) do
    doc[t] = model[t]
  end
  doc.customDomains = model.customDomains
  doc.phoneProviders = model.phoneProviders
  doc.phoneTemplates = model.phoneTemplates
  doc.networkACLs = model.networkACLs
  doc.rateLimitPolicies = model.rateLimitPolicies
  for _, t in ipairs({ "rules", "hooks" }) do
    doc[t] = array()
    for i, item in ipairs(model[t]) do
      local path = ("%s/%s.js"):format(t, item.name)
      files[path] = item.script
      local out = without(item, { script = true })
      out.script = "./" .. path
      doc[t][i] = out
    end
  end
  doc.rulesConfigs = array(model.rulesConfigs)
  for _, t in ipairs({ "guardianFactors", "guardianFactorProviders", "guardianFactorTemplates" }) do
    doc[t] = model[t]
  end
  for _, t in ipairs({ "forms", "flows" }) do
    doc[t] = array()
    for i, item in ipairs(model[t]) do
      local path = ("%s/%s.json"):format(t, item.name)
      files[path] = assert(json.encode(item, { pretty = true })) .. "\n"
      doc[t][i] = { name = item.name, body = "./" .. path }
    end
  end
  doc.flowVaultConnections = array(model.flowVaultConnections)
  files["branding_templates/universal_login.html"] = model.branding.template
  doc.branding = without(model.branding, { template = true })
  doc.branding.templates = array({ { template = "universal_login",
    body = "./branding_templates/universal_login.html" } })
  doc.themes = model.themes
  for _, t in ipairs(SETTINGS) do doc[t] = model[t] end
  doc.attackProtection = model.attackProtection
  doc.riskAssessment = model.riskAssessment
  local text = assert(yaml.encode(doc, { key_order = KEY_ORDER }))
  local header = ("# A generated benchmark tenant: %d resources, seed %d (bench/tenant-gen.lua).\n")
    :format(model.size, model.seed)
  return header .. text, files
end

--------------------------------------------------------------------------------------------------
-- The emulator state: the import, sent to an in-process emulator

local function state_error(message)
  return { code = "tenant_gen", message = message }
end

function M.state(model, opts)
  opts = opts or {}
  local emulator = require("a0lua.emulator")
  local now = M.EPOCH
  local emu, eerr = emulator.new{ listen = false, seed = model.seed,
    client_id = opts.client_id or M.CLIENT_ID,
    client_secret = opts.client_secret or M.CLIENT_SECRET,
    clock = function() return now end, error_log = function() end }
  if not emu then return nil, eerr end
  local token = emu:token()
  local failure
  local function call(method, path, body, query)
    if failure then return nil end
    local res = emu:handle{ method = method, path = "/api/v2" .. path, query = query or {},
      headers = { authorization = "Bearer " .. token, ["content-type"] = "application/json" },
      body = body ~= nil and assert(json.encode(body)) or "" }
    now = now + 0.01
    if res.status < 200 or res.status >= 300 then
      failure = state_error(("%s %s: %d %s"):format(method, path, res.status,
        tostring(res.body):sub(1, 300)))
      return nil
    end
    if res.body == nil or res.body == "" then return true end
    return json.decode(res.body)
  end

  call("PATCH", "/tenants/settings", model.tenant)
  for _, rs in ipairs(model.resourceServers) do call("POST", "/resource-servers", rs) end
  local client_ids = {}
  for _, c in ipairs(model.clients) do
    local methods = c.client_authentication_methods
    local body = methods and without(c, { client_authentication_methods = true }) or c
    local made = call("POST", "/clients", body)
    if made then client_ids[c.name] = made.client_id end
    -- a credential is its own resource, which the client's methods then name
    if made and methods then
      local wired = array()
      for _, cred in ipairs(methods.private_key_jwt.credentials) do
        local cm = call("POST", "/clients/" .. made.client_id .. "/credentials", cred)
        if cm then wired[#wired + 1] = { id = cm.id } end
      end
      call("PATCH", "/clients/" .. made.client_id, { token_endpoint_auth_method = json.null,
        client_authentication_methods = { private_key_jwt = { credentials = wired } } })
    end
  end
  local global = call("GET", "/clients", nil, { is_global = "true" })
  if global and global[1] then
    for _, p in ipairs(model.pages) do
      if p.name == "login" then
        call("PATCH", "/clients/" .. global[1].client_id,
          { custom_login_page = p.html, custom_login_page_on = p.enabled })
      end
    end
  end
  local grant_of = {}
  for _, g in ipairs(model.clientGrants) do
    local body = { client_id = client_ids[g.client_id], audience = g.audience, scope = g.scope,
      subject_type = g.subject_type }
    local made = call("POST", "/client-grants", body)
    if made and not grant_of[g.client_id] then grant_of[g.client_id] = made.id end
  end
  for _, role in ipairs(model.roles) do
    local made = call("POST", "/roles", { name = role.name, description = role.description })
    if made and #role.permissions > 0 then
      call("POST", "/roles/" .. made.id .. "/permissions", { permissions = role.permissions })
    end
  end
  local connection_ids = {}
  for _, t in ipairs({ "databases", "connections" }) do
    for _, c in ipairs(model[t]) do
      local ids = array()
      for i, name in ipairs(c.enabled_clients) do ids[i] = client_ids[name] end
      local made = call("POST", "/connections", { name = c.name, strategy = c.strategy,
        options = c.options, enabled_clients = ids })
      if made then connection_ids[c.name] = made.id end
    end
  end
  for _, o in ipairs(model.organizations) do
    local made = call("POST", "/organizations", { name = o.name, display_name = o.display_name,
      branding = o.branding, metadata = o.metadata })
    if made then
      for _, c in ipairs(o.connections) do
        call("POST", "/organizations/" .. made.id .. "/enabled_connections", {
          connection_id = connection_ids[c.name],
          assign_membership_on_login = c.assign_membership_on_login,
          show_as_button = c.show_as_button })
      end
      for _, g in ipairs(o.client_grants) do
        call("POST", "/organizations/" .. made.id .. "/client-grants",
          { grant_id = grant_of[g.client_id] })
      end
    end
  end
  local modules = {}
  for _, m in ipairs(model.actionModules) do
    local made = call("POST", "/actions/modules", { name = m.name, code = m.code,
      dependencies = m.dependencies, secrets = m.secrets })
    local version = made and call("POST", "/actions/modules/" .. made.id .. "/versions")
    if version then modules[m.name] = { id = made.id, [1] = version.id } end
  end
  local action_ids = {}
  for _, a in ipairs(model.actions) do
    local refs
    for _, ref in ipairs(a.modules or {}) do
      local m = modules[ref.module_name] or {}
      refs = refs or array()
      refs[#refs + 1] = { module_name = ref.module_name, module_id = m.id,
        module_version_number = ref.module_version_number,
        module_version_id = m[ref.module_version_number] }
    end
    local made = call("POST", "/actions/actions", { name = a.name, code = a.code,
      runtime = a.runtime, dependencies = a.dependencies, secrets = a.secrets,
      supported_triggers = a.supported_triggers, modules = refs })
    if made then action_ids[a.name] = made.id end
  end
  now = now + 5 -- the drafts are built
  for _, a in ipairs(model.actions) do
    local id = action_ids[a.name]
    if id then call("POST", "/actions/actions/" .. id .. "/deploy") end
  end
  for _, p in ipairs(model.tokenExchangeProfiles) do
    call("POST", "/token-exchange-profiles", { name = p.name, type = p.type,
      subject_token_type = p.subject_token_type, action_id = action_ids[p.action] })
  end
  for _, t in ipairs(TRIGGERS) do
    local list = model.triggers[t.id]
    if list then
      local bindings = array()
      for i, b in ipairs(list) do
        bindings[i] = { ref = { type = "action_name", value = b.action_name },
          display_name = b.display_name }
      end
      call("PATCH", "/actions/triggers/" .. t.id .. "/bindings", { bindings = bindings })
    end
  end
  local provider = copy(model.emailProvider)
  provider.credentials.smtp_pass = opts.smtp_pass or M.SMTP_PASS
  call("POST", "/emails/provider", provider)
  for _, e in ipairs(model.emailTemplates) do call("POST", "/email-templates", e) end
  call("PATCH", "/prompts", model.prompts)
  -- The streams with their credentials, as the import sends them once keywords are replaced.
  local function with_secrets(v)
    if type(v) == "string" then
      local key = v:match("^##([A-Z_]+)##$")
      return key and M.STREAM_SECRETS[key] or v
    end
    if type(v) ~= "table" then return v end
    local out = {}
    for k, x in pairs(v) do out[k] = with_secrets(x) end
    return setmetatable(out, getmetatable(v))
  end
  for _, l in ipairs(model.logStreams) do call("POST", "/log-streams", with_secrets(l)) end
  for _, e in ipairs(model.eventStreams) do call("POST", "/event-streams", with_secrets(e)) end
  for _, p in ipairs(model.connectionProfiles) do call("POST", "/connection-profiles", p) end
  local attribute_ids = {}
  for _, p in ipairs(model.userAttributeProfiles) do
    local made = call("POST", "/user-attribute-profiles", p)
    if made then attribute_ids[p.name] = made.id end
  end
  for _, p in ipairs(model.selfServiceProfiles) do
    local body = without(p, { customText = true })
    body.user_attribute_profile_id = attribute_ids[p.user_attribute_profile_id]
    local made = call("POST", "/self-service-profiles", body)
    local text = p.customText and p.customText.en["get-started"]
    if made and text then
      call("PUT", "/self-service-profiles/" .. made.id .. "/custom-text/en/get-started", text)
    end
  end
  for _, d in ipairs(model.customDomains) do
    call("POST", "/custom-domains", without(d, { is_default = true }))
    if d.is_default then call("PATCH", "/custom-domains/default", { domain = d.domain }) end
  end
  for _, p in ipairs(model.phoneProviders) do
    local body = copy(p)
    body.credentials = { auth_token = M.PHONE_SECRETS.TWILIO_AUTH_TOKEN }
    call("POST", "/branding/phone/providers", body)
  end
  for _, t in ipairs(model.phoneTemplates) do call("POST", "/branding/phone/templates", t) end
  for _, a in ipairs(model.networkACLs) do call("POST", "/network-acls", a) end
  for _, p in ipairs(model.rateLimitPolicies) do call("POST", "/rate-limit-policies", p) end
  for _, rule in ipairs(model.rules) do call("POST", "/rules", rule) end
  for _, c in ipairs(model.rulesConfigs) do
    call("PUT", "/rules-configs/" .. c.key, { value = with_secrets(c.value) })
  end
  for _, h in ipairs(model.hooks) do
    local made = call("POST", "/hooks", without(h, { secrets = true }))
    if made and next(h.secrets) then
      call("POST", "/hooks/" .. made.id .. "/secrets", with_secrets(h.secrets))
    end
  end
  for _, f in ipairs(model.guardianFactors) do
    call("PUT", "/guardian/factors/" .. f.name, { enabled = f.enabled })
  end
  for _, p in ipairs(model.guardianFactorProviders) do
    local body = without(p, { name = true, provider = true })
    body.auth_token = M.GUARDIAN_SECRETS.GUARDIAN_TWILIO_AUTH_TOKEN
    call("PUT", "/guardian/factors/" .. p.name .. "/providers/" .. p.provider, body)
  end
  for _, t in ipairs(model.guardianFactorTemplates) do
    call("PUT", "/guardian/factors/" .. t.name .. "/templates", without(t, { name = true }))
  end
  local vault_ids, flow_ids = {}, {}
  for _, c in ipairs(model.flowVaultConnections) do
    local body = copy(c)
    body.setup = type(c.setup) == "table" and with_secrets(c.setup) or copy(M.VAULT_SETUP)
    local made = call("POST", "/flows/vault/connections", body)
    if made then vault_ids[c.name] = made.id end
  end
  for _, f in ipairs(model.flows) do
    local body = copy(f)
    for _, a in ipairs(body.actions) do
      a.params.connection_id = vault_ids[a.params.connection_id]
    end
    local made = call("POST", "/flows", body)
    if made then flow_ids[f.name] = made.id end
  end
  for _, f in ipairs(model.forms) do
    local body = copy(f)
    for _, n in ipairs(body.nodes) do
      if n.config.flow_id then n.config.flow_id = flow_ids[n.config.flow_id] end
    end
    call("POST", "/forms", body)
  end
  call("PATCH", "/branding", without(model.branding, { template = true }))
  call("PUT", "/branding/templates/universal-login", { template = model.branding.template })
  for _, t in ipairs(model.themes) do call("POST", "/branding/themes", t) end
  call("PUT", "/guardian/policies", model.guardianPolicies.policies)
  call("PUT", "/guardian/factors/phone/selected-provider",
    model.guardianPhoneFactorSelectedProvider)
  call("PUT", "/guardian/factors/phone/message-types", model.guardianPhoneFactorMessageTypes)
  call("PATCH", "/supplemental-signals", model.supplementalSignals)
  local ap = with_secrets(model.attackProtection)
  for _, section in ipairs({ { "breachedPasswordDetection", "breached-password-detection" },
    { "bruteForceProtection", "brute-force-protection" },
    { "suspiciousIpThrottling", "suspicious-ip-throttling" },
    { "botDetection", "bot-detection" }, { "captcha", "captcha" } }) do
    call("PATCH", "/attack-protection/" .. section[2], ap[section[1]])
  end
  call("PATCH", "/risk-assessments/settings", model.riskAssessment.settings)
  call("PATCH", "/risk-assessments/settings/new-device", model.riskAssessment.new_device)
  if failure then return nil, failure end
  return emu:state()
end

--------------------------------------------------------------------------------------------------
-- Files

local function write_file(path, text)
  local fs = require("a0lua.core.fs")
  local dir = path:match("^(.*)/[^/]*$")
  if dir then
    local ok, err = fs.mkdir_p(dir)
    if not ok then return nil, err end
  end
  return fs.write(path, text)
end

-- The numbers bench/floor.lua needs, beyond the counts.
local function shape(model)
  local s = { role_permissions = 0, org_connections = 0, org_client_grants = 0,
    connections_with_clients = 0, triggers = {}, email_templates = #model.emailTemplates,
    pages = #model.pages, log_streams = #model.logStreams, event_streams = #model.eventStreams,
    network_acls = #model.networkACLs, rate_limit_policies = #model.rateLimitPolicies }
  for _, r in ipairs(model.roles) do
    if #r.permissions > 0 then s.role_permissions = s.role_permissions + 1 end
  end
  for _, o in ipairs(model.organizations) do
    s.org_connections = s.org_connections + #o.connections
    s.org_client_grants = s.org_client_grants + #o.client_grants
  end
  for _, t in ipairs({ "databases", "connections" }) do
    for _, c in ipairs(model[t]) do
      if #c.enabled_clients > 0 then
        s.connections_with_clients = s.connections_with_clients + 1
      end
    end
  end
  for _, t in ipairs(TRIGGERS) do
    if model.triggers[t.id] then s.triggers[#s.triggers + 1] = t.id end
  end
  s.triggers = strings(s.triggers)
  local texts = 0
  for _, p in ipairs(model.selfServiceProfiles) do
    if p.customText then texts = texts + 1 end
  end
  local hook_secrets = 0
  for _, h in ipairs(model.hooks) do
    if next(h.secrets) then hook_secrets = hook_secrets + 1 end
  end
  s.legacy = { rules = #model.rules, rules_configs = #model.rulesConfigs, hooks = #model.hooks,
    hook_secrets = hook_secrets }
  local enabled = 0
  for _, f in ipairs(model.guardianFactors) do
    if f.enabled then enabled = enabled + 1 end
  end
  -- (a fresh tenant has every factor off: only those turned on are written)
  s.guardian = { factors_on = enabled, providers = #model.guardianFactorProviders,
    templates = #model.guardianFactorTemplates }
  s.profiles = { connection = #model.connectionProfiles,
    user_attribute = #model.userAttributeProfiles, self_service = #model.selfServiceProfiles,
    custom_texts = texts }
  s.phone = { providers = #model.phoneProviders, templates = #model.phoneTemplates }
  s.settings = #SETTINGS
  -- the types added with issues 13 and 14, and the two lists before them (bench/floor.lua)
  local default_domain = 0
  for _, d in ipairs(model.customDomains) do
    if d.is_default then default_domain = 1 end
  end
  s.newer = { action_modules = #model.actionModules,
    token_exchange_profiles = #model.tokenExchangeProfiles,
    custom_domains = #model.customDomains, default_domain = default_domain,
    forms = #model.forms, flows = #model.flows, vault_connections = #model.flowVaultConnections,
    branding_template = model.branding.template and 1 or 0, themes = #model.themes,
    attack_sections = 0 }
  for _ in pairs(model.attackProtection) do
    s.newer.attack_sections = s.newer.attack_sections + 1
  end
  return s
end

function M.write(dir, size, seed, opts)
  opts = opts or {}
  local model = M.generate(size, seed)
  local changed, changes = M.change(model, seed)
  local text, files = M.yaml(model)
  local ctext = M.yaml(changed)
  local state, err = M.state(model, opts)
  if not state then return nil, err end
  local ok, werr = write_file(dir .. "/tenant.yaml", text)
  if not ok then return nil, werr end
  local paths = {}
  for path in pairs(files) do paths[#paths + 1] = path end
  table.sort(paths)
  for _, path in ipairs(paths) do
    ok, werr = write_file(dir .. "/" .. path, files[path])
    if not ok then return nil, werr end
  end
  local config = {
    AUTH0_KEYWORD_REPLACE_MAPPINGS = { SMTP_PASS = opts.smtp_pass or M.SMTP_PASS },
    AUTH0_ALLOW_DELETE = false,
  }
  for k, v in pairs(M.STREAM_SECRETS) do config.AUTH0_KEYWORD_REPLACE_MAPPINGS[k] = v end
  for k, v in pairs(M.PHONE_SECRETS) do config.AUTH0_KEYWORD_REPLACE_MAPPINGS[k] = v end
  for k, v in pairs(M.GUARDIAN_SECRETS) do config.AUTH0_KEYWORD_REPLACE_MAPPINGS[k] = v end
  config.AUTH0_KEYWORD_REPLACE_MAPPINGS.VAULT_AIRTABLE_SETUP = M.VAULT_SETUP
  local counts = {}
  for k, v in pairs(model.counts) do counts[k] = v end
  local manifest = { size = size, seed = model.seed, counts = counts, shape = shape(model),
    changes = array(changes), files = strings(paths) }
  local outputs = {
    { "tenant-changed.yaml", ctext },
    { "state.json", assert(json.encode(state, { pretty = true })) .. "\n" },
    { "config.json", assert(json.encode(config, { pretty = true })) .. "\n" },
    { "manifest.json", assert(json.encode(manifest, { pretty = true })) .. "\n" },
  }
  for _, o in ipairs(outputs) do
    ok, werr = write_file(dir .. "/" .. o[1], o[2])
    if not ok then return nil, werr end
  end
  return manifest
end

--------------------------------------------------------------------------------------------------
-- Command line

local function main(argv)
  local opts = { seed = 1 }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local v = argv[i + 1]
    if a == "--size" then opts.size = tonumber(v)
    elseif a == "--seed" then opts.seed = tonumber(v)
    elseif a == "--out" then opts.out = v
    elseif a == "--client-id" then opts.client_id = v
    elseif a == "--help" or a == "-h" then
      io.stdout:write("usage: a0lua run bench/tenant-gen.lua --size N [--seed S] [--out DIR] "
        .. "[--client-id ID]\n")
      return 0
    else
      io.stderr:write("tenant-gen: unknown argument " .. tostring(a) .. "\n")
      return 2
    end
    i = i + 2
  end
  local size = math.tointeger(opts.size)
  local seed = math.tointeger(opts.seed)
  if not size or size < 20 or not seed then
    io.stderr:write("tenant-gen: --size N (an integer >= 20) is required; --seed is an integer\n")
    return 2
  end
  local dir = opts.out or ("build/bench/tenant-" .. size)
  local manifest, err = M.write(dir, size, seed, { client_id = opts.client_id })
  if not manifest then
    io.stderr:write("tenant-gen: " .. tostring(err and err.message or err) .. "\n")
    return 1
  end
  local parts = {}
  local names = {}
  for k in pairs(manifest.counts) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do parts[#parts + 1] = k .. " " .. manifest.counts[k] end
  io.stdout:write(("%s: %d resources (%s), %d changed in tenant-changed.yaml\n"):format(dir,
    size, table.concat(parts, ", "), #manifest.changes))
  return 0
end

-- Run as a script (a0lua run bench/tenant-gen.lua ...), or loaded as a module (dofile).
if arg and arg[0] and arg[0]:match("tenant%-gen%.lua$") and not package.loaded["busted"] then
  os.exit(main(arg))
end

return M
