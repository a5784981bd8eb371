--[[
bench/deploy_check.lua: checks what a benchmark run left behind (bench/deploy.sh), so a fast run
that did not do the work cannot count.

  a0lua run bench/deploy_check.lua state URL STATE_JSON [MANIFEST_JSON]
      reads the emulator's state (GET URL/__emulator/state) and compares it with STATE_JSON (the
      seeded tenant, bench/tenant-gen.lua): the same number of clients, resource servers, client
      grants, roles, connections, organizations, actions and profiles, of role permissions, enabled
      clients, organization connections and client grants, trigger bindings and email templates.
      With MANIFEST_JSON (the change step), also that every change of tenant-changed.yaml is in
      the tenant.
  a0lua run bench/deploy_check.lua export TENANT_YAML MANIFEST_JSON
      reads an exported tenant.yaml and checks that every generated resource is in it (by name;
      resource servers by identifier; grants by count).

Prints "ok: ..." and exits 0, or one line per difference and exits 1.
]]
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")

local M = {}

-- The folder of this script (tenant-gen.lua is beside it).
local function bench_dir()
  local script = arg and arg[0]
  local dir = script and script:match("^(.*)/deploy_check%.lua$")
  return dir or "bench"
end

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return text
end

local function get(url)
  local http = require("a0lua.core.http")
  local session = http.session({ proxy = "", timeout_ms = 60000 })
  session:submit({ method = "GET", url = url, headers = { Accept = "application/json" } })
  local done = {}
  while #done == 0 do done = session:poll(1000) end
  session:close()
  local c = done[1]
  if c.err then return nil, c.err.message end
  if c.status ~= 200 then return nil, ("GET %s: status %d"):format(url, c.status) end
  return c.body
end

local LISTS = { "/clients", "/resource-servers", "/client-grants", "/roles", "/connections",
  "/organizations", "/actions/actions", "/connection-profiles", "/user-attribute-profiles",
  "/self-service-profiles" }
local SUBS = {
  { "role permissions", "^/roles/[^/]+/permissions$" },
  { "connection clients", "^/connections/[^/]+/clients$" },
  { "organization connections", "^/organizations/[^/]+/enabled_connections$" },
  { "organization client grants", "^/organizations/[^/]+/client%-grants$" },
  { "trigger bindings", "^/actions/triggers/[^/]+/bindings$" },
}

-- counts(state) -> { [what] = n }
function M.counts(state)
  local out = {}
  for _, k in ipairs(LISTS) do
    out[k] = type(state[k]) == "table" and #state[k] or 0
  end
  for _, s in ipairs(SUBS) do out[s[1]] = 0 end
  out["email templates"] = 0
  for k, v in pairs(state) do
    for _, s in ipairs(SUBS) do
      if k:match(s[2]) and type(v) == "table" then out[s[1]] = out[s[1]] + #v end
    end
    if k:match("^/email%-templates/") then out["email templates"] = out["email templates"] + 1 end
  end
  return out
end

-- count_differences(have, expected) -> { "what: n in the tenant, m expected", ... } (sorted)
function M.count_differences(have, expected)
  local a, b = M.counts(have), M.counts(expected)
  local problems = {}
  local names = {}
  for k in pairs(b) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    if a[k] ~= b[k] then
      problems[#problems + 1] = ("%s: %d in the tenant, %d expected"):format(k, a[k], b[k])
    end
  end
  return problems
end

local function find(list, field, value)
  for _, item in ipairs(list or {}) do
    if item[field] == value then return item end
  end
end

-- The changes of tenant-changed.yaml, looked up in the tenant.
function M.changes_applied(state, manifest)
  local gen = dofile(bench_dir() .. "/tenant-gen.lua")
  local model = gen.generate(manifest.size, manifest.seed)
  local changed = gen.change(model, manifest.seed)
  local problems = {}
  local function want(ok, what)
    if not ok then problems[#problems + 1] = "change not in the tenant: " .. what end
  end
  local client_ids = {}
  for _, c in ipairs(state["/clients"] or {}) do client_ids[c.name] = c.client_id end
  for _, ch in ipairs(manifest.changes) do
    local t = ch.type
    if t == "clients" then
      local want_item = find(changed.clients, "name", ch.name)
      local have = find(state["/clients"], "name", ch.name)
      want(have and have.description == want_item.description, "clients " .. ch.name)
    elseif t == "resourceServers" then
      local want_item = find(changed.resourceServers, "name", ch.name)
      local have = find(state["/resource-servers"], "identifier", want_item.identifier)
      want(have and have.token_lifetime == want_item.token_lifetime, "resourceServers " .. ch.name)
    elseif t == "clientGrants" then
      local client, audience = ch.name:match("^(.-) %-> (.*)$")
      local want_item
      for _, g in ipairs(changed.clientGrants) do
        if g.client_id == client and g.audience == audience then want_item = g end
      end
      local have
      for _, g in ipairs(state["/client-grants"] or {}) do
        if g.client_id == client_ids[client] and g.audience == audience then have = g end
      end
      want(have and want_item and #have.scope == #want_item.scope, "clientGrants " .. ch.name)
    elseif t == "roles" then
      local want_item = find(changed.roles, "name", ch.name)
      local have = find(state["/roles"], "name", ch.name)
      want(have and have.description == want_item.description, "roles " .. ch.name)
    elseif t == "databases" or t == "connections" then
      local want_item = find(changed[t], "name", ch.name)
      local have = find(state["/connections"], "name", ch.name)
      local field = t == "databases" and "brute_force_protection" or "email"
      want(have and type(have.options) == "table"
        and have.options[field] == want_item.options[field], t .. " " .. ch.name)
    elseif t == "organizations" then
      local want_item = find(changed.organizations, "name", ch.name)
      local have = find(state["/organizations"], "name", ch.name)
      want(have and have.display_name == want_item.display_name, "organizations " .. ch.name)
    end
  end
  return problems
end

function M.check_state(url, state_file, manifest_file)
  local body, err = get(url .. "/__emulator/state")
  if not body then return nil, { "cannot read the tenant: " .. tostring(err) } end
  local have = json.decode(body)
  local text, rerr = read(state_file)
  if not text then return nil, { "cannot read " .. state_file .. ": " .. tostring(rerr) } end
  local problems = M.count_differences(have, json.decode(text))
  local a = M.counts(have)
  if manifest_file then
    local mtext = read(manifest_file)
    for _, p in ipairs(M.changes_applied(have, json.decode(mtext))) do
      problems[#problems + 1] = p
    end
  end
  if #problems > 0 then return nil, problems end
  return ("%d clients, %d grants, %d roles, %d organizations as expected"):format(
    a["/clients"], a["/client-grants"], a["/roles"], a["/organizations"])
end

function M.check_export(file, manifest_file)
  local text, err = read(file)
  if not text then return nil, { "no export: " .. tostring(err) } end
  local doc, derr = yaml.decode(text, { name = file })
  if type(doc) ~= "table" then
    return nil, { "the export does not read: " .. tostring(derr and derr.message or derr) }
  end
  local manifest = json.decode(read(manifest_file))
  local gen = dofile(bench_dir() .. "/tenant-gen.lua")
  local model = gen.generate(manifest.size, manifest.seed)
  local problems = {}
  local function check(t, field)
    local have = {}
    for _, item in ipairs(doc[t] or {}) do
      if type(item) == "table" and item[field] ~= nil then have[item[field]] = true end
    end
    local missing = 0
    for _, item in ipairs(model[t]) do
      if not have[item[field]] then missing = missing + 1 end
    end
    if missing > 0 then
      problems[#problems + 1] = ("%s: %d of %d not exported"):format(t, missing, #model[t])
    end
  end
  check("clients", "name")
  check("resourceServers", "identifier")
  check("roles", "name")
  check("databases", "name")
  check("connections", "name")
  check("organizations", "name")
  check("actions", "name")
  check("connectionProfiles", "name")
  check("userAttributeProfiles", "name")
  check("selfServiceProfiles", "name")
  local grants = type(doc.clientGrants) == "table" and #doc.clientGrants or 0
  if grants < #model.clientGrants then
    problems[#problems + 1] = ("clientGrants: %d exported, %d generated"):format(grants,
      #model.clientGrants)
  end
  if #problems > 0 then return nil, problems end
  return ("%d clients, %d grants, %d organizations exported"):format(#(doc.clients or {}),
    grants, #(doc.organizations or {}))
end

local function main(argv)
  local ok, problems
  if argv[1] == "state" and argv[2] and argv[3] then
    ok, problems = M.check_state(argv[2], argv[3], argv[4])
  elseif argv[1] == "export" and argv[2] and argv[3] then
    ok, problems = M.check_export(argv[2], argv[3])
  else
    io.stderr:write("usage: deploy_check.lua state URL STATE_JSON [MANIFEST_JSON] | "
      .. "export TENANT_YAML MANIFEST_JSON\n")
    return 2
  end
  if ok then
    io.stdout:write("ok: ", ok, "\n")
    return 0
  end
  for _, p in ipairs(problems) do io.stdout:write(p, "\n") end
  return 1
end

if arg and arg[0] and arg[0]:match("deploy_check%.lua$") then os.exit(main(arg)) end

return M
