-- tests/peer/compare.lua: checks that an a0deploy export holds every resource that a0deploy
-- imported, by resource type and name/identifier.
--
--   a0lua run tests/peer/compare.lua EXPORT_YAML IMPORT_YAML[=CONFIG_JSON] ...
--
-- Each IMPORT_YAML is read the way a0deploy reads it: the AUTH0_KEYWORD_REPLACE_MAPPINGS of
-- CONFIG_JSON are replaced in the text first (@@K@@ by the JSON of the value, ##K## by the value),
-- and the types in its AUTH0_EXCLUDED are left out (a0deploy did not import them).
-- For each resource type of the import:
--   lists (clients, roles, ...)     every item is in the export, matched by the fields of IDENTITY
--                                   (client grants by client name + audience, resource servers by
--                                   identifier, email templates by template, CIMD clients by
--                                   external_client_id, ...); the named
--                                   members of MEMBERS (role permissions, organization
--                                   connections, enabled clients) are in the matched item too
--   singletons (tenant, branding)   the export has the type, and every top-level field the
--                                   import sets
--   triggers                        every bound action is bound to the same trigger
-- Imports are given in the order they ran: when a later one redefines an item (same type and
-- identity), the earlier one's members of it are not checked (the later import replaced them).
-- Types in NOT_EXPORTED are skipped (a0deploy never exports them). Prints one line per missing
-- thing and a last line "compare: N resources checked, M missing"; exits 1 when anything is
-- missing.
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")

local M = {}

-- How the items of a list type are told apart (what a0deploy matches on, ids aside).
M.IDENTITY = {
  rules = { "name" }, rulesConfigs = { "key" }, hooks = { "name" }, pages = { "name" },
  resourceServers = { "identifier" }, clients = { "name" }, databases = { "name" },
  connections = { "name" }, emailTemplates = { "template" },
  clientGrants = { "client_id", "audience" },
  guardianFactors = { "name" }, guardianFactorProviders = { "name", "provider" },
  guardianFactorTemplates = { "name" }, roles = { "name" }, phoneProviders = { "name" },
  phoneTemplates = { "type" }, actions = { "name" }, actionModules = { "name" },
  organizations = { "name" }, logStreams = { "name" }, customDomains = { "domain" },
  themes = { "displayName" }, forms = { "name" }, flows = { "name" },
  flowVaultConnections = { "name" }, selfServiceProfiles = { "name" },
  networkACLs = { "priority" }, userAttributeProfiles = { "name" },
  connectionProfiles = { "name" }, tokenExchangeProfiles = { "name" },
  rateLimitPolicies = { "consumer_selector" }, eventStreams = { "name" },
}

-- Sub-resources (their own endpoints in the API) checked inside a matched item:
-- type -> { field -> identity fields of its items, or false for a list of plain strings }.
M.MEMBERS = {
  roles = { permissions = { "permission_name", "resource_server_identifier" } },
  organizations = { connections = { "connection_name" } },
  connections = { enabled_clients = false },
  databases = { enabled_clients = false },
}

-- Types a0deploy imports but never exports, whatever the tenant holds: type -> why.
M.NOT_EXPORTED = {
  guardianFactorProviders = "a0deploy 8.44 reads `provider.data` from node-auth0 6 calls that "
    .. "return the body itself, so its export always writes []",
}

M.SINGLETONS = {
  tenant = true, emailProvider = true, branding = true, prompts = true, guardianPolicies = true,
  guardianPhoneFactorSelectedProvider = true, guardianPhoneFactorMessageTypes = true,
  attackProtection = true, riskAssessment = true, supplementalSignals = true,
}

local function is_null(v) return v == nil or v == json.null or v == yaml.null end

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then error(("compare.lua: cannot read %s: %s"):format(path, err), 0) end
  local text = f:read("a")
  f:close()
  return text
end

local function literal(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

-- Replaces keywords in `text` as a0deploy does: arrays/objects first (@@K@@, quoted or not, by
-- the JSON of the value), then strings (##K## by the value).
function M.replace_keywords(text, mappings)
  local keys = {}
  for k in pairs(mappings) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local encoded = assert(json.encode(mappings[k])):gsub("%%", "%%%%")
    for _, form in ipairs({ '"@@' .. k .. '@@"', "'@@" .. k .. "@@'", "@@" .. k .. "@@" }) do
      text = text:gsub(literal(form), encoded)
    end
  end
  for _, k in ipairs(keys) do
    local v = mappings[k]
    local s = type(v) == "string" and v or assert(json.encode(v))
    text = text:gsub(literal("##" .. k .. "##"), (s:gsub("%%", "%%%%")))
  end
  return text
end

local function key_of(item, fields)
  if type(item) ~= "table" then return tostring(item) end
  -- A CIMD client is matched by its metadata document URL: its name comes from that document.
  if fields == M.IDENTITY.clients and not is_null(item.external_client_id) then
    return "external_client_id " .. tostring(item.external_client_id)
  end
  local parts = {}
  for i, f in ipairs(fields) do
    local v = item[f]
    if is_null(v) then return nil end
    parts[i] = tostring(v)
  end
  return table.concat(parts, " | ")
end

local function index(list, fields)
  local by = {}
  if type(list) ~= "table" then return by end
  for _, item in ipairs(list) do
    local k = key_of(item, fields)
    if k then by[k] = item end
  end
  return by
end

local function check_singleton(t, want, have, miss)
  if type(have) ~= "table" then return miss("%s: not in the export", t) end
  if type(want) ~= "table" then return end
  local fields = {}
  for f, v in pairs(want) do
    if not is_null(v) and is_null(have[f]) then fields[#fields + 1] = f end
  end
  table.sort(fields)
  for _, f in ipairs(fields) do miss("%s.%s: not in the export", t, f) end
end

local function check_triggers(want, have, miss)
  local checked = 0
  for trigger, bindings in pairs(want) do
    local bound = index(type(have) == "table" and have[trigger] or {}, { "action_name" })
    for _, b in ipairs(bindings) do
      checked = checked + 1
      if not bound[b.action_name] then
        miss("triggers.%s: action %s not bound", trigger, tostring(b.action_name))
      end
    end
  end
  return checked
end

local function check_list(t, want, have, miss, later)
  local checked = 0
  local fields = M.IDENTITY[t]
  local by = index(have, fields)
  for i, item in ipairs(want) do
    checked = checked + 1
    local k = key_of(item, fields)
    local found = k and by[k]
    if not k then
      miss("%s[%d]: has no %s", t, i, table.concat(fields, "/"))
    elseif not found then
      miss("%s: %s not in the export", t, k)
    elseif not (later[t] and later[t][k]) then
      for field, sub in pairs(M.MEMBERS[t] or {}) do
        local sub_fields = sub or {}
        local have_sub = index(found[field], sub_fields)
        for _, member in ipairs(type(item[field]) == "table" and item[field] or {}) do
          checked = checked + 1
          local mk = key_of(member, sub_fields)
          if not have_sub[mk] then miss("%s: %s: %s %s missing", t, k, field, mk) end
        end
      end
    end
  end
  return checked
end

-- Identities of the list items an import defines: { type = { key = true } }.
function M.keys(imported)
  local out = {}
  for t, fields in pairs(M.IDENTITY) do
    if type(imported[t]) == "table" then
      out[t] = {}
      for _, item in ipairs(imported[t]) do
        local k = key_of(item, fields)
        if k then out[t][k] = true end
      end
    end
  end
  return out
end

-- check(imported, exported [, excluded types [, later]]) -> checked count, { missing lines }
-- `later` (from M.keys of the imports that came after this one) names items a later import
-- redefined: their presence is checked, their members are the later import's to check.
function M.check(imported, exported, excluded, later)
  later = later or {}
  local missing, checked = {}, 0
  local function miss(fmt, ...) missing[#missing + 1] = fmt:format(...) end
  local skip = {}
  for _, t in ipairs(excluded or {}) do skip[t] = true end
  local types = {}
  for t, v in pairs(imported) do
    if not is_null(v) and not skip[t] and not M.NOT_EXPORTED[t] then types[#types + 1] = t end
  end
  table.sort(types)
  for _, t in ipairs(types) do
    local want, have = imported[t], exported[t]
    if M.SINGLETONS[t] then
      checked = checked + 1
      check_singleton(t, want, have, miss)
    elseif t == "triggers" then
      checked = checked + check_triggers(want, have, miss)
    elseif M.IDENTITY[t] then
      checked = checked + check_list(t, want, have, miss, later)
    else
      miss("%s: compare.lua does not know this type", t)
    end
  end
  return checked, missing
end

local function load_yaml(path, mappings)
  local text = read(path)
  if mappings then text = M.replace_keywords(text, mappings) end
  local value, err = yaml.decode(text, { name = path, positions = false })
  if value == nil then error(("compare.lua: %s: %s"):format(path, tostring(err or "empty")), 0) end
  return value
end

local function main(args)
  if #args < 2 then
    error("usage: a0lua run tests/peer/compare.lua EXPORT_YAML IMPORT_YAML[=CONFIG] ...", 0)
  end
  local exported = load_yaml(args[1])
  local imports = {}
  for i = 2, #args do
    local path, config = args[i]:match("^(.-)=(.+)$")
    path = path or args[i]
    local cfg = {}
    if config then
      local err
      cfg, err = json.decode(read(config))
      if not cfg then error(("compare.lua: %s: %s"):format(config, tostring(err)), 0) end
    end
    imports[#imports + 1] = { path = path, excluded = cfg.AUTH0_EXCLUDED,
                              value = load_yaml(path, cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS) }
  end
  -- Later imports win: what one redefines, an earlier one's members no longer describe.
  local later = {}
  for i = #imports, 1, -1 do
    imports[i].later = {}
    for t, keys in pairs(later) do
      imports[i].later[t] = {}
      for k in pairs(keys) do imports[i].later[t][k] = true end
    end
    for t, keys in pairs(M.keys(imports[i].value)) do
      later[t] = later[t] or {}
      for k in pairs(keys) do later[t][k] = true end
    end
  end
  local total, all_missing = 0, {}
  for _, imp in ipairs(imports) do
    local checked, missing = M.check(imp.value, exported, imp.excluded, imp.later)
    total = total + checked
    for _, line in ipairs(missing) do all_missing[#all_missing + 1] = imp.path .. ": " .. line end
  end
  for _, line in ipairs(all_missing) do io.stdout:write("missing: ", line, "\n") end
  io.stdout:write(("compare: %d resources checked, %d missing\n"):format(total, #all_missing))
  return #all_missing == 0 and 0 or 1
end

if arg and arg[0] and arg[0]:match("compare%.lua$") then return main(arg) end
return M
