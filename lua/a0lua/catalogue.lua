--[[
a0lua.catalogue: every resource type of a0deploy, declared once (docs/architecture.md §8.1).

  local catalogue = require("a0lua.catalogue")
  catalogue.TYPES                  a0deploy's 44 type names in its registry order
  catalogue.RANK[type] -> n        the position in TYPES (nil for a type a0deploy does not have)
  catalogue.get(type) -> entry     nil for a type a0deploy does not have
  catalogue.is_type(name) -> boolean
  catalogue.identifiers(type) -> { "id", "name" } | nil   the fields that tell the items of a
                                   list type apart (a nested list is a compound identifier);
                                   keyword preservation matches items with them
  catalogue.depends_on(type) -> { type, ... } | nil       what a deploy of the type needs first
                                   (a handler module may still give its own `depends_on`)

An entry: { type =, identifiers =, depends_on =, layout = }. `type` is also the YAML key. `layout`
is where the directory format keeps the type (docs/formats.md §3), read by
a0lua.format.directory, which knows one reader and one writer per layout `kind`:

  list   a folder of JSON files, one item each: folder, and for the export: stem (the field
         whose value names an item's file; a list of fields is joined with "-"; "grant" and
         "network_acl" name a0deploy's two composed names), numbered (theme.json, theme1.json...
         instead of names), prune (files this export did not write are removed), unique (what
         the items are: duplicate names abort the export), skip_empty (no folder for an empty
         list), export = false (never written)
  file   one JSON file: file; first_in_folder: the first .json file of its folder is read
  parts  a singleton kept as one JSON file per field in folder: parts = { {key =, file =,
         required =}, ... } (a required file that is missing is a problem)
  scripts (rules, hooks), code (actions, modules), pages, clients, emailTemplates: a folder of
         JSON files each with a companion file: companion = { field = the JSON field that names
         it (the text inlined on import), ext = its extension beside the JSON file, or suffix =
         what follows the item's name, or file = its name in the item's own folder }; pages:
         optional = the pages that may lack it; emailTemplates: others = the folder's files of
         another type; scripts: lower_names, name_or_id, excluded_by (a config key of names
         left out of an export)
  databases: a folder per database holding file and its scripts (companion.ext), of the names
         in scripts only
  tenant, connections, branding, prompts: a shape of its own (folder or file here, the rest in
         directory.lua)
  none   nothing of its own in the files (clientAuthCredentials)

A type is deployed only when a handler for it is loaded (a0lua.handlers); the files may hold any
type of this catalogue, and validate refuses one without a handler unless it is excluded. Adding a
type a0lua can deploy means a handler module (handlers/<type>.lua) and, when its dependencies or
identifiers change, its entry here.
]]

local M = {}

local ID_NAME = { "id", "name" }

M.ENTRIES = {
  { type = "rules", identifiers = ID_NAME,
    layout = { kind = "scripts", folder = "rules", companion = { field = "script", ext = ".js" },
               excluded_by = "AUTH0_EXCLUDED_RULES" } },
  { type = "rulesConfigs", identifiers = { "key" },
    layout = { kind = "list", folder = "rules-configs", export = false } },
  { type = "hooks", identifiers = ID_NAME,
    layout = { kind = "scripts", folder = "hooks", companion = { field = "script", ext = ".js" },
               lower_names = true, name_or_id = true, skip_empty = true } },
  { type = "pages", identifiers = { "name" },
    layout = { kind = "pages", folder = "pages", companion = { field = "html", ext = ".html" },
               optional = { "login", "error_page" } } },
  { type = "resourceServers", identifiers = { "id", "identifier", "name" },
    layout = { kind = "list", folder = "resource-servers", stem = "name" } },
  -- Resource servers before clients (app_type resource_server links to an API); the profiles
  -- first so that express / my-organization configurations can name profiles made in this run.
  { type = "clients", identifiers = { "client_id", "name" },
    depends_on = { "resourceServers", "connectionProfiles", "userAttributeProfiles" },
    layout = { kind = "clients", folder = "clients",
               companion = { field = "custom_login_page", suffix = "_custom_login_page.html" } } },
  -- Clients for enabled_clients (a part: written once the clients exist); actions for
  -- options.custom_password_hash.action_id (only then: the handler's depends_on_for).
  { type = "databases", identifiers = ID_NAME, depends_on = { "clients", "actions" },
    layout = { kind = "databases", folder = "database-connections", file = "database.json",
               companion = { field = "options.customScripts.<name>", ext = ".js" },
               scripts = { "get_user", "create", "verify", "login", "change_password", "delete",
                           "change_email" } } },
  -- Clients first: enabled_clients and options.idpinitiated.client_id name clients. The enabled
  -- clients are a part, so a connection waits for the clients only when a SAML option names one
  -- (the handler's depends_on_for).
  { type = "connections", identifiers = ID_NAME, depends_on = { "clients" },
    layout = { kind = "connections", folder = "connections" } },
  -- Last, as in a0deploy: settings such as default_directory name connections made in this run.
  { type = "tenant",
    depends_on = { "clients", "connections", "databases", "pages", "prompts", "emailTemplates" },
    layout = { kind = "tenant", file = "tenant.json" } },
  { type = "emailProvider", layout = { kind = "file", file = "emails/provider.json" } },
  -- The provider first (a0deploy order: emailProvider 60, emailTemplates 70).
  { type = "emailTemplates", identifiers = { "template" }, depends_on = { "emailProvider" },
    layout = { kind = "emailTemplates", folder = "emails", stem = "template",
               companion = { field = "body", ext = ".html" }, others = { "provider.json" } } },
  -- Clients and APIs first: a grant names a client (created in this run or not) and an audience.
  { type = "clientGrants",
    identifiers = { "id", { "client_id", "audience", "subject_type" },
                    { "client_id", "audience" } },
    depends_on = { "clients", "resourceServers" },
    layout = { kind = "list", folder = "grants", stem = "grant" } },
  { type = "guardianFactors", identifiers = { "name" },
    layout = { kind = "list", folder = "guardian/factors", stem = "name" } },
  { type = "guardianFactorProviders", identifiers = { { "name", "provider" } },
    layout = { kind = "list", folder = "guardian/providers", stem = { "name", "provider" } } },
  { type = "guardianFactorTemplates", identifiers = { "name" },
    layout = { kind = "list", folder = "guardian/templates", stem = "name" } },
  { type = "guardianPolicies", layout = { kind = "file", file = "guardian/policies.json" } },
  { type = "guardianPhoneFactorSelectedProvider",
    layout = { kind = "file", file = "guardian/phoneFactorSelectedProvider.json" } },
  { type = "guardianPhoneFactorMessageTypes",
    layout = { kind = "file", file = "guardian/phoneFactorMessageTypes.json" } },
  -- Permissions name the APIs' scopes.
  { type = "roles", identifiers = ID_NAME, depends_on = { "resourceServers" },
    layout = { kind = "list", folder = "roles", stem = "name" } },
  -- The template needs a custom domain; the branding PATCH can reset the prompt settings, which
  -- branding then sets back (docs/handlers.md §branding), so prompts are written first.
  { type = "branding", depends_on = { "customDomains", "prompts" },
    layout = { kind = "branding", folder = "branding" } },
  { type = "phoneProviders", identifiers = ID_NAME,
    layout = { kind = "file", file = "phone-providers/provider.json" } },
  -- Templates are customized once a phone provider is configured (a0deploy's order too).
  { type = "phoneTemplates", identifiers = { "id", "type" }, depends_on = { "phoneProviders" },
    layout = { kind = "list", folder = "phone-templates", stem = "type" } },
  { type = "prompts", layout = { kind = "prompts", folder = "prompts" } },
  -- Modules first: an action names the module versions it uses.
  { type = "actions", identifiers = ID_NAME, depends_on = { "actionModules" },
    layout = { kind = "code", folder = "actions",
               companion = { field = "code", file = "code.js" } } },
  { type = "actionModules", identifiers = ID_NAME,
    layout = { kind = "code", folder = "action-modules",
               companion = { field = "code", file = "code.js" } } },
  -- Bound actions must be deployed first.
  { type = "triggers", depends_on = { "actions" },
    layout = { kind = "file", file = "triggers/triggers.json", first_in_folder = true } },
  -- The organization itself names nothing: it is created from the start. Its sub-resources name
  -- connections, clients and grants: apply writes each (the handler's parts) once those exist.
  { type = "organizations", identifiers = ID_NAME,
    layout = { kind = "list", folder = "organizations", stem = "name" } },
  { type = "attackProtection",
    layout = { kind = "parts", folder = "attack-protection", parts = {
      { key = "breachedPasswordDetection", file = "breached-password-detection.json",
        required = true },
      { key = "bruteForceProtection", file = "brute-force-protection.json", required = true },
      { key = "suspiciousIpThrottling", file = "suspicious-ip-throttling.json", required = true },
      { key = "botDetection", file = "bot-detection.json" },
      { key = "captcha", file = "captcha.json" },
    } } },
  { type = "riskAssessment", layout = { kind = "file", file = "risk-assessment/settings.json" } },
  { type = "logStreams", identifiers = ID_NAME,
    layout = { kind = "list", folder = "log-streams", stem = "name" } },
  { type = "customDomains", identifiers = { "custom_domain_id", "domain" },
    layout = { kind = "file", file = "custom-domains/custom-domains.json" } },
  { type = "themes", identifiers = { "themeId" },
    layout = { kind = "list", folder = "themes", numbered = "theme" } },
  -- What a0deploy resolves by name (a form's flow_id, a flow's connection_id, a profile's
  -- user_attribute_profile_id, an action's name) is a dependency.
  { type = "forms", identifiers = ID_NAME, depends_on = { "flows" },
    layout = { kind = "list", folder = "forms", stem = "name", unique = "form" } },
  { type = "flows", identifiers = ID_NAME, depends_on = { "flowVaultConnections" },
    layout = { kind = "list", folder = "flows", stem = "name", unique = "flow" } },
  { type = "flowVaultConnections", identifiers = ID_NAME,
    layout = { kind = "list", folder = "flow-vault-connections", stem = "name",
               unique = "flow vault connection" } },
  { type = "selfServiceProfiles", identifiers = ID_NAME, depends_on = { "userAttributeProfiles" },
    layout = { kind = "list", folder = "self-service-profiles", stem = "name" } },
  { type = "networkACLs", identifiers = { "id", "priority" },
    layout = { kind = "list", folder = "network-acls", stem = "network_acl", skip_empty = true } },
  { type = "userAttributeProfiles", identifiers = ID_NAME,
    layout = { kind = "list", folder = "user-attribute-profiles", stem = "name" } },
  { type = "connectionProfiles", identifiers = ID_NAME,
    layout = { kind = "list", folder = "connection-profiles", stem = "name" } },
  { type = "tokenExchangeProfiles", identifiers = { "id", "subject_token_type" },
    depends_on = { "actions" },
    layout = { kind = "list", folder = "token-exchange-profiles", stem = "name" } },
  { type = "supplementalSignals", layout = { kind = "file", file = "supplemental-signals.json" } },
  { type = "rateLimitPolicies", identifiers = { "id", "consumer_selector" },
    layout = { kind = "list", folder = "rate-limit-policies", stem = "consumer_selector",
               prune = true } },
  { type = "eventStreams", identifiers = ID_NAME, depends_on = { "actions" },
    layout = { kind = "list", folder = "event-streams", stem = "name", prune = true } },
  { type = "clientAuthCredentials", depends_on = { "clients" }, layout = { kind = "none" } },
}

M.TYPES = {}
M.RANK = {}
local BY_TYPE = {}
for i, entry in ipairs(M.ENTRIES) do
  M.TYPES[i] = entry.type
  M.RANK[entry.type] = i
  BY_TYPE[entry.type] = entry
end

function M.get(type_name) return BY_TYPE[type_name] end

function M.is_type(name) return BY_TYPE[name] ~= nil end

function M.identifiers(type_name)
  local entry = BY_TYPE[type_name]
  return entry and entry.identifiers
end

function M.depends_on(type_name)
  local entry = BY_TYPE[type_name]
  return entry and entry.depends_on
end

return M
