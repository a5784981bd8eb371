-- handlers/organizations.lua: organizations (a0deploy type `organizations`),
-- docs/handlers.md §organizations.
-- An organization carries four sub-resources, each kept in its file form:
--   connections        [{name, assign_membership_on_login, show_as_button, ...}] (by name)
--   client_grants      [{client_id = <client name>}]
--   discovery_domains  [{domain, status, use_for_organization_discovery}]
--   clients            [{client_id = <client name>, use_for_member_access}]
-- An absent list means an empty one (a0deploy treats them so); each is changed by difference.
local handler = require("a0lua.handler")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base

local SUB = { "connections", "client_grants", "discovery_domains", "clients" }
local CONNECTION_FIELDS = { "assign_membership_on_login", "show_as_button", "is_signup_enabled",
  "organization_access_level", "organization_connection_name", "is_enabled" }
local CLIENT_BATCH = 10

local SCHEMA = {
  type = "object",
  required = { "name" },
  properties = {
    name = { type = "string" },
    display_name = { type = "string" },
    branding = { type = "object" },
    metadata = { type = "object" },
    connections = handler.objects_schema({
      connection_id = { type = "string" },
      organization_connection_name = { type = "string" },
      assign_membership_on_login = { type = "boolean" },
      show_as_button = { type = "boolean" },
      is_signup_enabled = { type = "boolean" },
      organization_access_level = {
        type = "string", enum = { "none", "readonly", "limited", "full" },
      },
      is_enabled = { type = "boolean" },
    }),
    client_grants = handler.objects_schema({ client_id = { type = "string" } }, nil,
      { default = json.array() }),
    token_quota = handler.token_quota_schema(true),
    discovery_domains = handler.objects_schema({
      domain = { type = "string" },
      status = { type = "string", enum = { "pending", "verified" } },
      use_for_organization_discovery = { type = "boolean" },
    }, { required = { "domain", "status" } }),
    third_party_client_access = { type = "string", enum = { "block", "allow" } },
    is_app_entitlement_active = { type = "boolean" },
    clients = handler.objects_schema({
      client_id = { type = "string" },
      use_for_member_access = { type = "boolean" },
    }, { required = { "client_id", "use_for_member_access" } }, { default = json.array() }),
  },
}

local send = handler.send
local send_each = handler.send_each

local M = {
  type = "organizations",
  path = "/organizations",
  parts = {
    { field = "connections", depends_on = { "connections", "databases" } },
    { field = "client_grants", depends_on = { "clients", "clientGrants" } },
    { field = "discovery_domains", depends_on = {} },
    { field = "clients", depends_on = { "clients" } },
  },
  list = { paging = "checkpoint", key = "organizations" },
  schema = SCHEMA,
  strip_update = { "connections", "client_grants", "discovery_domains", "clients", "name", "id" },
}

local present = util.present

local warn = handler.warn

local allow_delete = util.allow_delete

local function list_of(v)
  if type(v) == "table" and v ~= NULL then return v end
  return {}
end

local status_of = handler.status_of

local function org_path(id, ...) return handler.item_path(M, id, ...) end

--------------------------------------------------------------------------------------------------
-- Lookups: clients, connections and client grants of the tenant

local function run_cache(ctx) return handler.run_state(ctx, "organizations") end

-- The tenant's clients: ctx.current.clients (or the plan's read of them in flight), or read once.
local function clients_of(ctx, fresh)
  local read = not fresh and handler.read_state(ctx, "clients")
  if read then return read end
  return handler.clients_once(ctx, "organizations", fresh and "fresh_clients" or "clients")
end

local function client_name(clients, id)
  for _, cl in ipairs(clients) do
    if cl.client_id == id then return cl.name end
  end
  return id
end

local function client_id(clients, name)
  for _, cl in ipairs(clients) do
    if cl.client_id == name then return name end
  end
  for _, cl in ipairs(clients) do
    if cl.name == name then return cl.client_id end
  end
  return nil
end

-- Every connection of the tenant (database connections included): those read for the plan, or
-- one read of /connections (once per run; fresh = true: a read made when applying, so that
-- connections created earlier in the run are there).
local function connections_of(ctx, fresh)
  local current = ctx.current or {}
  local lists = {}
  if not fresh then
    lists[1] = current.connections or {}
    lists[2] = current.databases or {}
  end
  if fresh or not (current.connections and current.databases) then
    local c = run_cache(ctx)
    local key = fresh and "fresh_connections" or "connections"
    if c[key] == nil then
      c[key] = ctx.api:list("/connections", { paging = "checkpoint", key = "connections" }) or {}
    end
    lists[#lists + 1] = c[key]
  end
  local out, seen = {}, {}
  for _, list in ipairs(lists) do
    for _, conn in ipairs(list) do
      local k = conn.id or conn.name
      if k == nil or not seen[k] then
        if k ~= nil then seen[k] = true end
        out[#out + 1] = conn
      end
    end
  end
  return out
end

-- Client name -> grant id, from a fresh read of the tenant's client grants.
local function grant_id_of(ctx, name)
  local c = run_cache(ctx)
  if c.grants == nil then
    c.grants = ctx.api:list("/client-grants", { paging = "checkpoint", key = "client_grants" })
      or {}
  end
  local clients = clients_of(ctx, true)
  local id = client_id(clients, name) or name
  for _, g in ipairs(c.grants) do
    if g.client_id == id then return g.id end
  end
  return nil
end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

local function read_sub(ctx, org, clients)
  local id = org.id
  local conns, err = ctx.api:list(org_path(id, "connections"),
    { paging = "offset", key = "connections", per_page = 50 })
  if conns == nil then return nil, err end
  local out = json.array()
  for _, c in ipairs(conns) do
    local entry = { connection_id = c.connection_id,
      name = type(c.connection) == "table" and c.connection.name or nil }
    for _, f in ipairs(CONNECTION_FIELDS) do entry[f] = c[f] end
    out[#out + 1] = entry
  end
  org.connections = out

  local grants
  grants, err = ctx.api:list(org_path(id, "client-grants"),
    { paging = "offset", key = "client_grants", per_page = 50 })
  if grants == nil then return nil, err end
  out = json.array()
  for _, g in ipairs(grants) do
    out[#out + 1] = { client_id = client_name(clients, g.client_id), grant_id = g.id }
  end
  org.client_grants = out

  local domains
  domains, err = ctx.api:list(org_path(id, "discovery-domains"),
    { paging = "checkpoint", key = "domains", take = 50 })
  if domains then
    org.discovery_domains = domains
  elseif not (status_of(err) == 404 or status_of(err) == 501 or status_of(err) == 403) then
    return nil, err
  end

  local members
  members, err = ctx.api:list(org_path(id, "clients"),
    { paging = "checkpoint", key = "clients", take = 50 })
  if members then
    out = json.array()
    for _, m in ipairs(members) do
      out[#out + 1] = { client_id = client_name(clients, m.client_id),
        use_for_member_access = m.use_for_member_access }
    end
    org.clients = out
  elseif not (status_of(err) == 404 or status_of(err) == 501 or status_of(err) == 403) then
    return nil, err
  end
  return true
end

function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil then
    if status_of(err) == 404 or status_of(err) == 501 then return json.array() end
    return nil, err
  end
  local clients = clients_of(ctx)
  return handler.complete_each(list, function(org)
    return read_sub(ctx, org, clients)
  end)
end

--------------------------------------------------------------------------------------------------
-- Import

-- Connections are named; those the tenant and the files do not know are dropped (a0deploy).
-- So are organization clients naming a client neither the tenant nor the files have: no write
-- can add them (the plan's reference check warns about each), so they are no difference.
function M.resolve(_, ctx, desired)
  local known = {}
  for _, c in ipairs(connections_of(ctx, false)) do known[c.name] = true known[c.id] = true end
  for _, t in ipairs({ "connections", "databases" }) do
    for _, c in ipairs(list_of(ctx.desired and ctx.desired[t])) do
      if type(c) == "table" and c.name then known[c.name] = true end
    end
  end
  local known_clients
  local function client_known(name)
    if not known_clients then
      known_clients = {}
      for _, cl in ipairs(clients_of(ctx, false)) do
        if cl.client_id then known_clients[cl.client_id] = true end
        if cl.name then known_clients[cl.name] = true end
      end
      for _, cl in ipairs(list_of(ctx.desired and ctx.desired.clients)) do
        if type(cl) == "table" and cl.name then known_clients[cl.name] = true end
      end
    end
    return known_clients[name] == true
  end
  for _, org in ipairs(list_of(desired)) do
    if type(org) == "table" and org.connections ~= nil then
      local out = json.array()
      for _, c in ipairs(list_of(org.connections)) do
        if type(c) == "table" and (known[c.name] or known[c.connection_id]) then
          out[#out + 1] = c
        end
      end
      org.connections = out
    end
    if type(org) == "table" and type(org.clients) == "table" and #org.clients > 0 then
      local out = json.array()
      for _, c in ipairs(org.clients) do
        if type(c) == "table" and client_known(c.client_id) then out[#out + 1] = c end
      end
      org.clients = out
    end
  end
  return desired
end

local function find_conn(list, want)
  for _, c in ipairs(list) do
    if (want.name ~= nil and c.name == want.name)
        or (want.connection_id ~= nil and c.connection_id == want.connection_id) then
      return c
    end
  end
  return nil
end

-- The fields of a desired organization connection that differ from the tenant's (is_enabled is
-- true unless said otherwise); nil when none.
local function conn_changes(want, have)
  local out
  for _, f in ipairs(CONNECTION_FIELDS) do
    local w, h = want[f], have[f]
    if f == "is_enabled" then
      w = w == nil and true or w
      h = h == nil and true or h
    end
    if want[f] ~= nil or f == "is_enabled" then
      if not handler.deep_equal(w, h) then
        out = out or {}
        out[f] = w
      end
    end
  end
  return out
end

-- What each sub-resource needs: adds, updates, removes (removes of discovery domains and of
-- organization clients only with AUTH0_ALLOW_DELETE).
local function sub_changes(ctx, field, want, have)
  want, have = list_of(want), list_of(have)
  local add, update, remove = {}, {}, {}
  if field == "connections" then
    for _, w in ipairs(want) do
      local h = find_conn(have, w)
      if not h then add[#add + 1] = w
      else
        local ch = conn_changes(w, h)
        if ch then update[#update + 1] = { want = w, have = h, fields = ch } end
      end
    end
    for _, h in ipairs(have) do
      if not find_conn(want, h) then remove[#remove + 1] = h end
    end
  else
    local key = field == "discovery_domains" and "domain" or "client_id"
    local have_by, want_by = {}, {}
    for _, h in ipairs(have) do have_by[h[key]] = h end
    for _, w in ipairs(want) do
      want_by[w[key]] = w
      local h = have_by[w[key]]
      if h == nil then
        add[#add + 1] = w
      elseif field ~= "client_grants" then
        local fields = field == "clients" and { "use_for_member_access" }
          or { "status", "use_for_organization_discovery" }
        for _, f in ipairs(fields) do
          if w[f] ~= nil and not handler.deep_equal(w[f], h[f]) then
            update[#update + 1] = { want = w, have = h }
            break
          end
        end
      end
    end
    local guarded = field == "discovery_domains" or field == "clients"
    for _, h in ipairs(have) do
      if want_by[h[key]] == nil and (not guarded or allow_delete(ctx)) then
        remove[#remove + 1] = h
      end
    end
  end
  return add, update, remove
end

-- Top-level fields as the generic handler compares them; each sub-resource by difference.
M.diff = handler.diff_then(function(_, ctx, desired, current, payload, diffs)
  for _, field in ipairs(SUB) do
    -- An organization without discovery domains or clients on the tenant's side (the feature is
    -- off there) is not compared for them.
    if not (current[field] == nil and (field == "discovery_domains" or field == "clients")
        and #list_of(desired[field]) == 0) then
      local add, update, remove = sub_changes(ctx, field, desired[field], current[field])
      if #add + #update + #remove > 0 then
        payload, diffs = handler.add_change(payload, diffs, field,
          handler.deep_copy(desired[field] or json.array()), current[field])
      end
    end
  end
  return payload, diffs
end)

--------------------------------------------------------------------------------------------------
-- Writes

local function connection_body(c, id)
  local body = { connection_id = id }
  for _, f in ipairs(CONNECTION_FIELDS) do body[f] = c[f] end
  return body
end

local function connection_id_of(ctx, c)
  if c.connection_id ~= nil and c.name == nil then return c.connection_id end
  local found = find_conn(connections_of(ctx, false), c)
  if found and found.id then return found.id end
  for _, conn in ipairs(connections_of(ctx, true)) do
    if conn.name == c.name then return conn.id end
  end
  return nil
end

local function sync_connections(ctx, id, want, have)
  local add, update, remove = sub_changes(ctx, "connections", want, have)
  return handler.send_steps(ctx, {
    { add, function(c)
      local cid = connection_id_of(ctx, c)
      if not cid then return nil end
      return "POST", org_path(id, "connections"),
        { body = connection_body(c, cid), idempotent = true }
    end },
    { update, function(u)
      return "PATCH", org_path(id, "connections", u.have.connection_id), { body = u.fields }
    end },
    { remove, function(c) return "DELETE", org_path(id, "connections", c.connection_id) end },
  })
end

local function sync_grants(ctx, id, want, have)
  local add, _, remove = sub_changes(ctx, "client_grants", want, have)
  return handler.send_steps(ctx, {
    { add, function(g)
      local grant = grant_id_of(ctx, g.client_id)
      if grant then
        return "POST", org_path(id, "client-grants"),
          { body = { grant_id = grant }, idempotent = true }
      end
      warn(ctx, ("organizations %s: no client grant of client %s to associate"):format(id,
        tostring(g.client_id)))
    end },
    { remove, function(g)
      local grant = g.grant_id or grant_id_of(ctx, g.client_id)
      if grant then return "DELETE", org_path(id, "client-grants", grant) end
    end },
  })
end

local function sync_domains(ctx, id, want, have)
  local add, update, remove = sub_changes(ctx, "discovery_domains", want, have)
  return handler.send_steps(ctx, {
    { update, function(u)
      return "PATCH", org_path(id, "discovery-domains", u.have.id),
        { body = { status = u.want.status,
          use_for_organization_discovery = u.want.use_for_organization_discovery } }
    end },
    { add, function(d)
      return "POST", org_path(id, "discovery-domains"),
        { body = { domain = d.domain, status = d.status,
          use_for_organization_discovery = d.use_for_organization_discovery },
          idempotent = true }
    end },
    { remove, function(d) return "DELETE", org_path(id, "discovery-domains", d.id) end },
  })
end

local function sync_clients(ctx, id, want, have)
  local add, update, remove = sub_changes(ctx, "clients", want, have)
  local clients = clients_of(ctx, true)
  local batch = json.array()
  local function flush()
    if #batch == 0 then return true end
    local _, err = send(ctx, "POST", org_path(id, "clients"),
      { body = { clients = batch }, idempotent = true })
    batch = json.array()
    return err == nil, err
  end
  for _, c in ipairs(add) do
    local cid = client_id(clients, c.client_id)
    if cid then
      batch[#batch + 1] = { client_id = cid, use_for_member_access = c.use_for_member_access }
      if #batch == CLIENT_BATCH then
        local ok, err = flush()
        if not ok then return nil, err end
      end
    end
  end
  local ok, err = flush()
  if not ok then return nil, err end
  local _
  local ids = json.array()
  for _, c in ipairs(remove) do
    local cid = client_id(clients, c.client_id)
    if cid then ids[#ids + 1] = cid end
  end
  if #ids > 0 then
    _, err = send(ctx, "DELETE", org_path(id, "clients"), { body = { clients = ids } })
    if err then return nil, err end
  end
  return send_each(ctx, update, function(u)
    local cid = client_id(clients, u.want.client_id)
    if cid then
      return "PATCH", org_path(id, "clients", cid),
        { body = { use_for_member_access = u.want.use_for_member_access } }
    end
  end)
end

local SYNC = { connections = sync_connections, client_grants = sync_grants,
  discovery_domains = sync_domains, clients = sync_clients }

-- The organization itself, without its sub-resources (requests of their own).
M.write_request = handler.own_write_request(SUB)

-- POST the organization without its sub-resources, then add each of them.
function M.create(self, ctx, payload)
  local created, err = handler.create_own_named(self, ctx, payload)
  if created == nil then return nil, err end
  if not present(created.id) then
    return nil, errors.from{
      code = "api_error", message = ("organization %s was created without an id")
      :format(tostring(payload.name)) }
  end
  for _, field in ipairs(SUB) do
    if #list_of(payload[field]) > 0 then
      local ok, serr = SYNC[field](ctx, created.id, payload[field], {})
      if not ok then return nil, serr end
    end
  end
  return created
end

-- One sub-resource of the organization `id` made what `want` says (have: the tenant's list).
function M.write_part(_, ctx, id, field, want, have)
  return SYNC[field](ctx, id, want, have or {})
end

-- PATCH the organization's own fields when they differ, then each sub-resource in the plan.
function M.update(self, ctx, current, payload)
  return handler.update_then(self, ctx, current, payload, function()
    for _, field in ipairs(SUB) do
      if payload[field] ~= nil then
        local ok, serr = SYNC[field](ctx, current.id, payload[field], current[field])
        if not ok then return nil, serr end
      end
    end
    return true
  end)
end

--------------------------------------------------------------------------------------------------
-- Export

-- Connections by name (no ids), grants and clients by client name, discovery domains without ids.
function M.export(_, _, item)
  for _, c in ipairs(list_of(item.connections)) do
    if c.name ~= nil then c.connection_id = nil end
  end
  for _, g in ipairs(list_of(item.client_grants)) do g.grant_id = nil end
  for _, d in ipairs(list_of(item.discovery_domains)) do d.id = nil end
  return item
end

return M
