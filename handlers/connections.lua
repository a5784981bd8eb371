-- handlers/connections.lua: every connection whose strategy is not auth0 (a0deploy type
-- `connections`), docs/handlers.md §connections. Database connections are handlers/databases.lua,
-- which reuses the enabled-clients functions exported here (M.read_enabled_clients,
-- M.sync_enabled_clients, M.client_ids, M.resolve_enabled_clients, M.enabled_clients_change).
local handler = require("a0lua.handler")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base

local ALGS = { "ES256", "ES384", "PS256", "PS384", "RS256", "RS384", "RS512" }
local OIDC_ONLY_OPTIONS = { "token_endpoint_auth_signing_alg", "id_token_signed_response_algs",
  "token_endpoint_jwtca_aud_format", "id_token_session_expiry_supported" }
local SCIM_STRATEGIES = { samlp = true, oidc = true, okta = true, waad = true }
local CHUNK = 50
-- Sub-resources written after the connection itself (never in its POST or PATCH body).
local SUB_RESOURCES = { "enabled_clients", "scim_configuration",
  "directory_provisioning_configuration" }

local function active_flag()
  return {
    type = "object",
    properties = { active = { type = "boolean" } },
    required = { "active" },
    additionalProperties = false,
  }
end

-- A list of attribute pairs (SCIM and directory provisioning mappings): `theirs` to auth0.
local function mapping(theirs)
  return {
    type = "array",
    items = {
      type = "object",
      properties = { [theirs] = { type = "string" }, auth0 = { type = "string" } },
    },
  }
end

local SCHEMA = {
  type = "object",
  required = { "name", "strategy" },
  properties = {
    name = { type = "string" },
    strategy = { type = "string" },
    options = {
      type = "object",
      additionalProperties = true,
      properties = {
        api_enable_groups = { type = "boolean" },
        dpop_signing_alg = { type = "string", enum = { "ES256", "ES384", "ES512", "Ed25519" } },
        token_endpoint_auth_signing_alg = { type = "string", enum = ALGS },
        id_token_signed_response_algs = {
          type = "array", items = { type = "string", enum = ALGS },
        },
        token_endpoint_jwtca_aud_format = {
          type = "string", enum = { "issuer", "token_endpoint" },
        },
      },
    },
    enabled_clients = handler.strings_schema(),
    realms = handler.strings_schema(),
    metadata = { type = "object" },
    scim_configuration = {
      type = "object",
      required = { "mapping", "user_id_attribute" },
      properties = {
        connection_name = { type = "string" },
        mapping = mapping("scim"),
        user_id_attribute = { type = "string" },
      },
    },
    authentication = active_flag(),
    connected_accounts = active_flag(),
    cross_app_access_requesting_app = active_flag(),
    cross_app_access_resource_app = {
      type = "object",
      properties = { status = { type = "string", enum = { "enabled", "disabled" } } },
    },
    directory_provisioning_configuration = {
      type = "object",
      properties = {
        mapping = mapping("idp"),
        synchronize_automatically = { type = "boolean" },
        synchronize_groups = { type = "string", enum = { "all", "off", "selected" } },
        synchronized_groups = handler.objects_schema({
          id = { type = "string" }, name = { type = "string" }, email = { type = "string" },
          direct_members_count = { type = "number" },
        }, { required = { "id" } }),
      },
    },
  },
}

local send = handler.send

local M = {
  type = "connections",
  path = "/connections",
  parts = { { field = "enabled_clients", depends_on = { "clients" } } },
  list = { paging = "checkpoint", key = "connections" },
  schema = SCHEMA,
  strip_update = { "strategy", "name", "id", "enabled_clients", "scim_configuration",
    "directory_provisioning_configuration" },
  strip_export = { "provisioning_ticket_url", "realms" },
}

local present = util.present

local function config(ctx) return ctx.config or {} end

local warn = handler.warn

local set_of = util.set_of

local allow_delete = util.allow_delete

local status_of = handler.status_of

--------------------------------------------------------------------------------------------------
-- base64 (SAML certificates are exported base64-encoded, docs/handlers.md §connections)

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64_encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = {}
    for j = 1, 4 do
      local k = (n >> (6 * (4 - j))) & 63
      chars[j] = B64:sub(k + 1, k + 1)
    end
    if not b then chars[3] = "=" end
    if not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

local function b64_decode(s)
  if type(s) ~= "string" or s == "" or s:find("[^%w%+/=%s]") then return nil end
  s = s:gsub("%s", "")
  if #s % 4 ~= 0 then return nil end
  local out = {}
  for i = 1, #s, 4 do
    local n, pad = 0, 0
    for j = i, i + 3 do
      local ch = s:sub(j, j)
      local v
      if ch == "=" then v, pad = 0, pad + 1 else v = B64:find(ch, 1, true) - 1 end
      n = n * 64 + v
    end
    local bytes = string.char((n >> 16) & 255, (n >> 8) & 255, n & 255)
    out[#out + 1] = bytes:sub(1, 3 - pad)
  end
  return table.concat(out)
end
M.b64_encode, M.b64_decode = b64_encode, b64_decode

local function is_pem(v)
  return type(v) == "string" and v:find("^%s*%-%-%-%-%-BEGIN") ~= nil
end

--------------------------------------------------------------------------------------------------
-- Enabled clients (shared with databases)

-- The tenant's clients: those read for the plan, and (fresh = true, when applying) a fresh read
-- once per run so that clients created earlier in the run are found.

local function client_lists(ctx, fresh)
  return handler.client_lists(ctx, "connections", fresh)
end

-- Client names (or ids) as ids; unknown names are kept as given.
function M.client_ids(ctx, names, fresh)
  local lists = client_lists(ctx, fresh)
  local out = json.array()
  for _, v in ipairs(type(names) == "table" and names or {}) do
    local id
    for _, list in ipairs(lists) do
      for _, c in ipairs(list) do
        if c.client_id == v then id = v break end
      end
      if id then break end
      for _, c in ipairs(list) do
        if c.name == v then id = c.client_id break end
      end
      if id then break end
    end
    out[#out + 1] = id or v
  end
  return out
end

function M.client_names(ctx, ids)
  local by_id = {}
  for _, c in ipairs(client_lists(ctx, false)[1]) do by_id[c.client_id] = c.name end
  local out = json.array()
  for _, id in ipairs(type(ids) == "table" and ids or {}) do out[#out + 1] = by_id[id] or id end
  table.sort(out, function(a, b)
    local la, lb = tostring(a):lower(), tostring(b):lower()
    if la ~= lb then return la < lb end
    return tostring(a) < tostring(b)
  end)
  return out
end

-- The ids of the clients enabled on a connection, or nil and the error.
function M.read_enabled_clients(ctx, id)
  local list, err = ctx.api:list("/connections/" .. handler.escape(id) .. "/clients",
    { paging = "checkpoint", key = "clients", take = 100 })
  if list == nil then return nil, err end
  local out = json.array()
  for _, e in ipairs(list) do
    if type(e) == "table" and e.client_id then out[#out + 1] = e.client_id end
  end
  return out
end

local function excluded_ids(ctx)
  local names = set_of(config(ctx).AUTH0_EXCLUDED_CLIENTS)
  local out = {}
  if next(names) == nil then return out end
  for _, list in ipairs(client_lists(ctx, false)) do
    for _, c in ipairs(list) do
      if names[c.name] then out[c.client_id] = true end
    end
  end
  for n in pairs(names) do out[n] = true end
  return out
end

-- The delta that makes a connection's enabled clients `desired` (names or ids): PATCH
-- /connections/{id}/clients with {client_id, status = true} for each client to enable and
-- status = false for each to disable, in chunks of 50. An empty desired list sends nothing
-- (clients are never all disabled); excluded clients are left as they are. Failures are
-- warnings, as a0deploy logs them. Returns the number of requests made.
function M.sync_enabled_clients(ctx, type_name, conn_id, desired, current_ids)
  if type(desired) ~= "table" or #desired == 0 then return 0 end
  local excluded = excluded_ids(ctx)
  local want, want_set = {}, {}
  for _, id in ipairs(M.client_ids(ctx, desired, true)) do
    if not excluded[id] and not want_set[id] then
      want[#want + 1] = id
      want_set[id] = true
    end
  end
  local have = set_of(current_ids)
  local delta = {}
  for _, id in ipairs(want) do
    if not have[id] then delta[#delta + 1] = { client_id = id, status = true } end
  end
  for _, id in ipairs(type(current_ids) == "table" and current_ids or {}) do
    if not want_set[id] and not excluded[id] then
      delta[#delta + 1] = { client_id = id, status = false }
    end
  end
  local sent = 0
  for i = 1, #delta, CHUNK do
    local chunk = json.array()
    for j = i, math.min(i + CHUNK - 1, #delta) do chunk[#chunk + 1] = delta[j] end
    local _, err = send(ctx, "PATCH", "/connections/" .. handler.escape(conn_id)
      .. "/clients", { body = chunk })
    sent = sent + 1
    if err then
      warn(ctx, ("%s %s: cannot update the enabled clients: %s"):format(type_name,
        tostring(conn_id), tostring(err.message or err)))
    end
  end
  return sent
end

-- Set comparison of enabled clients (order does not matter).
local same_set = handler.same_set

--------------------------------------------------------------------------------------------------
-- Reading the tenant

local function read_scim(ctx, conn, state)
  if state.scim_off or not SCIM_STRATEGIES[conn.strategy] then return end
  local body, err = ctx.api:request("GET", "/connections/" .. handler.escape(conn.id)
    .. "/scim-configuration")
  if body ~= nil then
    conn.scim_configuration = { mapping = body.mapping, user_id_attribute = body.user_id_attribute }
  elseif status_of(err) == 403 then
    state.scim_off = true
    warn(ctx, "connections: SCIM configurations cannot be read (403); they are left as they are")
  elseif status_of(err) ~= 404 then
    warn(ctx, ("connections %s: cannot read the SCIM configuration: %s"):format(conn.name,
      tostring(err and err.message or err)))
  end
end

local function read_provisioning(ctx, conn, dp)
  local cfg = { mapping = dp.mapping, synchronize_automatically = dp.synchronize_automatically,
    synchronize_groups = dp.synchronize_groups }
  if dp.synchronize_groups == "selected" then
    local groups, err = ctx.api:list("/connections/" .. handler.escape(conn.id)
      .. "/directory-provisioning/synchronized-groups", { paging = "checkpoint", key = "groups" })
    if groups then
      local out = json.array()
      for _, g in ipairs(groups) do
        out[#out + 1] = { id = g.id, name = g.name, email = g.email,
          direct_members_count = g.direct_members_count }
      end
      cfg.synchronized_groups = out
    else
      warn(ctx, ("connections %s: cannot read the synchronized groups: %s"):format(conn.name,
        tostring(err and err.message or err)))
    end
  end
  conn.directory_provisioning_configuration = cfg
end

-- GET /connections minus database connections; per connection its enabled clients (replacing
-- the deprecated enabled_clients field), SCIM configuration and directory provisioning.
function M.fetch(self, ctx)
  local all, err = Base.fetch(self, ctx)
  if all == nil then return nil, err end
  local list = json.array()
  for _, c in ipairs(all) do
    if c.strategy ~= "auth0" then list[#list + 1] = c end
  end
  local provisionings = {}
  local dps, derr = ctx.api:list("/connections-directory-provisionings",
    { paging = "checkpoint", key = "directory_provisionings" })
  if dps then
    for _, dp in ipairs(dps) do provisionings[dp.connection_id] = dp end
  elseif status_of(derr) ~= 404 then
    warn(ctx, "connections: cannot read directory provisionings: "
      .. tostring(derr and derr.message or derr))
  end
  local state = {}
  return handler.complete_each(list, function(conn)
    local ids, cerr = M.read_enabled_clients(ctx, conn.id)
    conn.enabled_clients = ids or conn.enabled_clients
    read_scim(ctx, conn, state)
    if conn.strategy == "google-apps" and provisionings[conn.id] then
      read_provisioning(ctx, conn, provisionings[conn.id])
    end
    return ids, cerr
  end)
end

--------------------------------------------------------------------------------------------------
-- Import

-- Some options exist only for the oidc and okta strategies (docs/handlers.md §connections).
function M.validate(_, _, items, report)
  for i, c in handler.items(items) do
    if type(c.options) == "table" and c.strategy ~= "oidc"
        and c.strategy ~= "okta" then
      for _, opt in ipairs(OIDC_ONLY_OPTIONS) do
        if c.options[opt] ~= nil then
          report(i, "options." .. opt, ("is only allowed for the oidc and okta strategies "
            .. "(strategy %s)"):format(tostring(c.strategy)))
        end
      end
    end
  end
end

-- Client names become ids: enabled_clients and SAML options.idpinitiated.client_id.
-- An item's enabled_clients as ids (names of clients not on the tenant yet stay).
function M.resolve_enabled_clients(ctx, item)
  if type(item.enabled_clients) == "table" then
    item.enabled_clients = M.client_ids(ctx, item.enabled_clients)
  end
end

M.resolve = handler.resolve_each(function(ctx, c)
  M.resolve_enabled_clients(ctx, c)
  local idp = type(c.options) == "table" and c.options.idpinitiated
  if type(idp) == "table" and present(idp.client_id) then
    idp.client_id = M.client_ids(ctx, { idp.client_id })[1]
  end
end)

-- The desired item as compared with the tenant's: SAML certificates decoded when the file holds
-- them base64-encoded (as exports write them).
local function comparable(desired, current)
  local cmp = handler.deep_copy(desired)
  local o, co = cmp.options, current and current.options
  if type(o) == "table" and type(co) == "table" then
    for _, k in ipairs({ "cert", "signingCert" }) do
      if type(o[k]) == "string" and not is_pem(o[k]) and is_pem(co[k]) then
        local decoded = b64_decode(o[k])
        if decoded == co[k] then o[k] = co[k] end
      end
    end
  end
  return cmp
end

-- Directory provisioning as the API keeps it, for comparing: the synchronized groups are a set
-- of group ids (the API stores and returns only `id`; the name, email and member count a file
-- may carry are descriptive) and count only with synchronize_groups "selected", the only case
-- in which they are sent and read.
local function provisioning_shape(dp)
  if type(dp) ~= "table" or dp == NULL then return dp end
  local out = handler.deep_copy(dp)
  out.synchronized_groups = nil
  if dp.synchronize_groups == "selected" and type(dp.synchronized_groups) == "table" then
    local ids = {}
    for _, g in ipairs(dp.synchronized_groups) do
      if type(g) == "table" and g.id ~= nil then ids[#ids + 1] = tostring(g.id) end
    end
    table.sort(ids)
    out.synchronized_groups = json.array(ids)
  end
  return out
end
M.provisioning_shape = provisioning_shape

-- The options as sent: whole (the API replaces them), with the EXCLUDED_PROPS.connections
-- options paths kept from the tenant.
local function options_to_send(ctx, desired, current)
  local options = handler.deep_copy(desired.options)
  local excluded = config(ctx).EXCLUDED_PROPS
  excluded = type(excluded) == "table" and excluded.connections or nil
  for _, path in ipairs(type(excluded) == "table" and excluded or {}) do
    local sub = tostring(path):match("^options%.(.+)$")
    if sub and type(options) == "table" then
      local v = handler.get_path(current.options or {}, sub)
      if v ~= nil then handler.set_path(options, sub, handler.deep_copy(v)) end
    end
  end
  return options
end

-- The SCIM configuration to write: the file's when it differs, null (a delete) when the file has
-- none and deletes are allowed; nil when nothing is to be written.
local function scim_change(ctx, desired, current)
  local scim = desired.scim_configuration
  if scim ~= nil and scim ~= NULL then
    if not handler.matches(scim, current.scim_configuration) then
      return handler.deep_copy(scim)
    end
  elseif scim == nil and current.scim_configuration ~= nil and config(ctx).AUTH0_ALLOW_DELETE then
    return NULL
  end
  return nil
end

-- The same for the directory provisioning of a google-apps connection.
local function provisioning_change(ctx, desired, current)
  if desired.strategy ~= "google-apps" and current.strategy ~= "google-apps" then return nil end
  local dp = desired.directory_provisioning_configuration
  if dp ~= nil and dp ~= NULL then
    if not handler.matches(provisioning_shape(dp),
        provisioning_shape(current.directory_provisioning_configuration)) then
      return handler.deep_copy(dp)
    end
  elseif dp == nil and current.directory_provisioning_configuration ~= nil
      and allow_delete(ctx) then
    return NULL
  end
  return nil
end

-- The enabled clients to send: the file's, when they are not the tenant's set; an empty list
-- is never sent (it would take the connection from every client).
function M.enabled_clients_change(desired, current)
  local want = desired.enabled_clients
  if type(want) == "table" and #want > 0 and not same_set(want, current.enabled_clients) then
    return handler.deep_copy(want)
  end
  return nil
end

-- enabled_clients compared as a set, never emptied; options sent whole (options_to_send); SCIM
-- and directory provisioning compared on their own (they are sub-resources).
function M.diff(self, ctx, desired, current)
  current = current or {}
  local cmp = comparable(desired, current)
  local payload, diffs = Base.diff(self, ctx, cmp, current)
  diffs = diffs or {}
  if payload and payload.options ~= nil then
    payload.options = options_to_send(ctx, desired, current)
  end
  local function add(field, value)
    payload, diffs = handler.add_change(payload, diffs, field, value, current[field])
  end
  local clients = M.enabled_clients_change(desired, current)
  if clients then add("enabled_clients", clients) end
  local scim = scim_change(ctx, desired, current)
  if scim ~= nil then add("scim_configuration", scim) end
  local dp = provisioning_change(ctx, desired, current)
  if dp ~= nil then add("directory_provisioning_configuration", dp) end
  return payload, payload and diffs or nil
end

-- SCIM configuration of a connection: create, update or (value null) delete. Not fatal.
local function apply_scim(ctx, id, want, had)
  local path = "/connections/" .. handler.escape(id) .. "/scim-configuration"
  local _, err
  if want == NULL then
    _, err = send(ctx, "DELETE", path)
  elseif had then
    _, err = send(ctx, "PATCH", path, { body = { mapping = want.mapping,
      user_id_attribute = want.user_id_attribute } })
  else
    _, err = send(ctx, "POST", path, { body = want, idempotent = true })
  end
  if err then
    local s = status_of(err)
    local msg = tostring(err.message or err)
    if s == 404 or s == 403 or s == 429 or (s == 400 and msg:find("already exists", 1, true)) then
      warn(ctx, ("connections %s: SCIM configuration not changed: %s"):format(id, msg))
    else
      return nil, err
    end
  end
  return true
end

-- Directory provisioning (google-apps): create, update or (value null) delete, then the
-- synchronized groups when synchronize_groups is "selected".
local function apply_provisioning(ctx, id, want, had)
  local path = "/connections/" .. handler.escape(id) .. "/directory-provisioning"
  local _, err
  if want == NULL then
    _, err = send(ctx, "DELETE", path)
    if err then return nil, err end
    return true
  end
  local body = { mapping = want.mapping, synchronize_automatically = want.synchronize_automatically,
    synchronize_groups = want.synchronize_groups }
  _, err = send(ctx, had and "PATCH" or "POST", path, { body = body, idempotent = true })
  if err then return nil, err end
  if want.synchronize_groups == "selected" and type(want.synchronized_groups) == "table" then
    local groups = json.array()
    for _, g in ipairs(want.synchronized_groups) do groups[#groups + 1] = { id = g.id } end
    _, err = send(ctx, "PUT", path .. "/synchronized-groups", { body = { groups = groups } })
    if err then return nil, err end
  end
  return true
end

-- The types the connections of the file need before they are created: the clients when a SAML
-- connection's idpinitiated.client_id names one; nothing otherwise.
function M.depends_on_for(_, desired)
  for _, c in handler.items(desired) do
    local idp = type(c.options) == "table" and c.options.idpinitiated
    if type(idp) == "table" and idp.client_id ~= nil and idp.client_id ~= NULL then
      return { "clients" }
    end
  end
  return {}
end

-- One part of connection `id` (apply, handler.parts): its enabled clients. (Database
-- connections share it.)
function M.write_part(self, ctx, id, field, want, have)
  if field ~= "enabled_clients" then
    return nil, errors.from{
      code = "handler", message = self.type .. ": no part " .. tostring(field) }
  end
  M.sync_enabled_clients(ctx, self.type, id, want, have or {})
  return true
end

-- The connection itself, without its sub-resources (requests of their own).
M.write_request = handler.own_write_request(SUB_RESOURCES)

-- POST the connection without its sub-resources, then SCIM, enabled clients and provisioning.
function M.create(self, ctx, payload)
  local created, err = handler.create_own_named(self, ctx, payload)
  if created == nil then return nil, err end
  local id = created.id
  local ok
  if type(payload.scim_configuration) == "table" then
    ok, err = apply_scim(ctx, id, payload.scim_configuration, false)
    if not ok then return nil, err end
  end
  M.sync_enabled_clients(ctx, self.type, id, payload.enabled_clients, {})
  local dp = payload.directory_provisioning_configuration
  if payload.strategy == "google-apps" and type(dp) == "table" then
    ok, err = apply_provisioning(ctx, id, dp, false)
    if not ok then return nil, err end
  end
  return created
end

-- PATCH what changed on the connection itself, then its sub-resources.
function M.update(self, ctx, current, payload)
  local id = current.id
  return handler.update_then(self, ctx, current, payload, function()
    if payload.scim_configuration ~= nil then
      local ok, err = apply_scim(ctx, id, payload.scim_configuration,
        current.scim_configuration ~= nil)
      if not ok then return nil, err end
    end
    if payload.enabled_clients ~= nil then
      M.sync_enabled_clients(ctx, self.type, id, payload.enabled_clients, current.enabled_clients)
    end
    if payload.directory_provisioning_configuration == nil then return true end
    return apply_provisioning(ctx, id, payload.directory_provisioning_configuration,
      current.directory_provisioning_configuration ~= nil)
  end)
end

--------------------------------------------------------------------------------------------------
-- Export

local function secret_name(strategy)
  return handler.kind_secret_placeholder("CONNECTIONS", strategy)
end
M.secret_name = secret_name

-- Client ids as names (enabled clients sorted case-insensitively), the client secret as a
-- placeholder named after the strategy, SAML certificates base64-encoded.
function M.export(_, ctx, item)
  if type(item.enabled_clients) == "table" then
    item.enabled_clients = M.client_names(ctx, item.enabled_clients)
  end
  local o = item.options
  if type(o) == "table" then
    local idp = o.idpinitiated
    if type(idp) == "table" and present(idp.client_id) then
      idp.client_id = handler.id_to_name(ctx, "clients", idp.client_id) or idp.client_id
    end
    if o.client_secret ~= nil and not config(ctx).AUTH0_EXPORT_SECRETS then
      o.client_secret = secret_name(item.strategy)
    end
    if item.strategy == "samlp" then
      for _, k in ipairs({ "cert", "signingCert" }) do
        if is_pem(o[k]) then o[k] = b64_encode(o[k]) end
      end
    end
  end
  return item
end

return M
