-- handlers/client_auth_credentials.lua: the private-key-JWT and mTLS credentials of clients
-- (a0deploy type `clientAuthCredentials`), docs/handlers.md §clientAuthCredentials.
--
-- The type has no data of its own: its items are derived from the clients' own
-- `client_authentication_methods` (M.derive), one item per client whose credentials the files
-- manage: { client = <client name>, credentials = [{name, credential_type, method, pem, ...}],
-- token_endpoint_auth_method = <the client's, for when no credential remains> }. The tenant's
-- side is read per such client: GET /clients/{id}/credentials, and which method lists which
-- credential from the clients' state. Credentials match by name. A credential's key is never
-- readable, so a changed `pem` under the same name is not seen: rotate a key under a new name.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null

-- Method -> the credential type it takes, and back (a0deploy's inference).
local TYPE_OF_METHOD = {
  private_key_jwt = "public_key",
  self_signed_tls_client_auth = "x509_cert",
  tls_client_auth = "cert_subject_dn",
}
local METHOD_OF_TYPE = {
  public_key = "private_key_jwt",
  x509_cert = "self_signed_tls_client_auth",
  cert_subject_dn = "tls_client_auth",
}
local METHODS = { "private_key_jwt", "self_signed_tls_client_auth", "tls_client_auth" }

-- What a create may carry besides name, credential_type and pem (the API's request schema).
local CREATE_EXTRA = { "alg", "subject_dn", "expires_at", "parse_expiry_from_cert" }

-- Key material is never compared, never shown in a plan, never exported.
local M = {
  type = "clientAuthCredentials",
  path = "/clients",
  id = "client_id",
  identifiers = { "client" },
  name_field = "client",
  -- The files' own key (a0deploy reads it as null; a0lua's readers drop it) is never deployed.
  schema = { type = "array", items = { type = "object" } },
  read_wanted = true,
}

local function is_table(v) return type(v) == "table" and v ~= NULL end

local allow_delete = util.allow_delete

local warn = handler.warn

local function credentials_path(client_id)
  return "/clients/" .. handler.escape(client_id) .. "/credentials"
end

--------------------------------------------------------------------------------------------------
-- The desired items, from the clients of the files

-- The credentials a client's methods name with a key (`pem`): an export names credentials
-- without keys, and importing it again must change nothing.
local function wanted_credentials(methods)
  local out = json.array()
  for _, method in ipairs(METHODS) do
    local m = methods[method]
    for _, cred in ipairs(is_table(m) and is_table(m.credentials) and m.credentials or {}) do
      if is_table(cred) and type(cred.pem) == "string" and cred.pem ~= "" then
        local want = { name = cred.name, pem = cred.pem, method = method,
          credential_type = cred.credential_type or TYPE_OF_METHOD[method] }
        for _, f in ipairs(CREATE_EXTRA) do want[f] = cred[f] end
        out[#out + 1] = want
      end
    end
  end
  return out
end

-- One item per client of the files whose credentials are managed: a client whose methods name
-- credentials with keys (those are wanted), a client whose methods are null (none is wanted),
-- and, only when deletes are allowed, a client without the field (none is wanted: a0deploy's
-- clientAuthCredentialsPre). Methods that name no key leave the client's credentials alone.
function M.derive(_, ctx, desired)
  local clients = desired.clients
  if type(clients) ~= "table" or clients == NULL then return nil end
  local items = json.array()
  for _, c in ipairs(clients) do
    if is_table(c) and type(c.name) == "string" then
      local methods = c.client_authentication_methods
      local creds
      if methods == NULL then
        creds = json.array()
      elseif methods == nil then
        if allow_delete(ctx) then creds = json.array() end
      elseif is_table(methods) then
        local wanted = wanted_credentials(methods)
        if #wanted > 0 then creds = wanted end
      end
      if creds then
        items[#items + 1] = { client = c.name, credentials = creds,
          token_endpoint_auth_method = c.token_endpoint_auth_method,
          is_first_party = c.is_first_party }
      end
    end
  end
  if #items == 0 then return nil end
  return items
end

--------------------------------------------------------------------------------------------------
-- The tenant's side

-- Which method lists each credential name, from the clients' state (whose read names the
-- credential stubs: handlers/clients.lua).
local function wiring_of(client)
  local out = {}
  local methods = is_table(client) and client.client_authentication_methods
  for _, method in ipairs(METHODS) do
    local m = is_table(methods) and methods[method]
    for _, cred in ipairs(is_table(m) and is_table(m.credentials) and m.credentials or {}) do
      if is_table(cred) and cred.name ~= nil then out[cred.name] = method end
    end
  end
  return out
end

local function client_named(ctx, name)
  for _, c in ipairs(handler.current_of(ctx, "clients") or {}) do
    if c.name == name then return c end
  end
  return nil
end

-- Only the clients `want` names (a plan reads nothing else). Without `want` (an export) the type
-- reads as null and is left out: the clients' files already name their credentials.
function M.fetch(_, ctx, want)
  if type(want) ~= "table" or want == NULL then return NULL end
  local found = {}
  for _, item in ipairs(want) do
    local client = is_table(item) and client_named(ctx, item.client)
    if client then found[#found + 1] = { item = item, client = client } end
  end
  local out = json.array()
  local ok, err = handler.each_checked(found, function(f)
    local creds, lerr = ctx.api:list(credentials_path(f.client.client_id), { paging = "none" })
    if creds == nil then return nil, lerr end
    local wired = wiring_of(f.client)
    local list = json.array()
    for _, cred in ipairs(creds) do
      if is_table(cred) then
        list[#list + 1] = { id = cred.id, name = cred.name, credential_type = cred.credential_type,
          alg = cred.alg, expires_at = cred.expires_at,
          method = wired[cred.name] or METHOD_OF_TYPE[cred.credential_type] }
      end
    end
    out[#out + 1] = { client = f.client.name, client_id = f.client.client_id,
      is_first_party = f.client.is_first_party, credentials = list,
      wired = next(wired) ~= nil and wired or nil,
      methods_set = is_table(f.client.client_authentication_methods) }
    return true
  end)
  if not ok then return nil, err end
  table.sort(out, function(a, b) return tostring(a.client) < tostring(b.client) end)
  return out
end

-- The clients the clients step leaves alone (the deploying client, excluded names, excluded
-- third parties) keep their credentials too, on both sides of the plan.
function M.filter(_, ctx, item)
  local clients_h = ctx.handlers and ctx.handlers:get("clients")
  if not (clients_h and is_table(item)) then return true end
  return clients_h:filter(ctx, { name = item.client, client_id = item.client_id,
    is_first_party = item.is_first_party })
end

-- A client that neither is on the tenant nor wants a credential needs nothing.
function M.resolve(_, ctx, desired)
  local out = json.array()
  for _, item in ipairs(desired) do
    if #item.credentials > 0 or client_named(ctx, item.client) then out[#out + 1] = item end
  end
  return out
end

--------------------------------------------------------------------------------------------------
-- Comparing

local function by_name(list)
  local out, dup = {}, nil
  for _, cred in ipairs(list or {}) do
    if out[cred.name] ~= nil then dup = dup or cred.name end
    out[cred.name] = cred
  end
  return out, dup
end

-- What the client must be sent and have: creates, in-place updates (only expires_at can be
-- changed), replacements (a matched credential whose type or algorithm differs), deletes, and
-- whether the methods must be wired again.
local function work_of(ctx, desired, current)
  current = current or { credentials = {} }
  local have, dup = by_name(current.credentials)
  if dup ~= nil then
    return nil, ("clientAuthCredentials: client %q has two credentials named %q on the tenant: its "
      .. "credentials are left as they are"):format(tostring(desired.client), tostring(dup))
  end
  local want = by_name(desired.credentials)
  local w = { create = {}, patch = {}, delete = {}, rewire = false, keep = {} }
  for _, cred in ipairs(desired.credentials or {}) do
    local old = have[cred.name]
    if old == nil then
      w.create[#w.create + 1] = cred
    elseif old.credential_type ~= cred.credential_type
        or (cred.alg ~= nil and old.alg ~= nil and cred.alg ~= old.alg) then
      -- a key of another kind under the same name: a new credential, the old one goes
      w.create[#w.create + 1] = cred
      w.delete[#w.delete + 1] = old
    else
      w.keep[#w.keep + 1] = { id = old.id, name = cred.name, method = cred.method }
      if cred.expires_at ~= nil and cred.expires_at ~= old.expires_at then
        w.patch[#w.patch + 1] = { id = old.id, name = cred.name, expires_at = cred.expires_at }
      end
      if cred.method ~= old.method then w.rewire = true end
    end
  end
  for _, old in ipairs(current.credentials or {}) do
    if want[old.name] == nil then
      w.delete[#w.delete + 1] = old
      -- still listed by a method: the methods change even when the delete is not allowed
      if current.wired and current.wired[old.name] then w.rewire = true end
    end
  end
  if #w.create > 0 then w.rewire = true end
  if #desired.credentials == 0 and current.methods_set then w.rewire = true end
  if not allow_delete(ctx) and #w.delete > 0 then
    local names = {}
    for _, d in ipairs(w.delete) do names[#names + 1] = tostring(d.name) end
    w.refused = names
    w.delete = {}
  end
  return w
end

function M.diff(_, ctx, desired, current)
  local w, problem = work_of(ctx, desired, current)
  if w == nil then
    warn(ctx, problem)
    return nil
  end
  if w.refused then
    warn(ctx, ("clientAuthCredentials: client %q: the credentials %s are on the tenant only; "
      .. "deletes are not allowed (AUTH0_ALLOW_DELETE)"):format(tostring(desired.client),
      table.concat(w.refused, ", ")))
  end
  local diffs = {}
  for _, c in ipairs(w.create) do
    diffs[#diffs + 1] = { path = "credentials." .. tostring(c.name), from = nil,
      to = c.credential_type }
  end
  for _, p in ipairs(w.patch) do
    diffs[#diffs + 1] = { path = "credentials." .. tostring(p.name) .. ".expires_at",
      to = p.expires_at }
  end
  for _, d in ipairs(w.delete) do
    diffs[#diffs + 1] = { path = "credentials." .. tostring(d.name), from = d.credential_type,
      to = NULL }
  end
  if #diffs == 0 and w.rewire then
    diffs[#diffs + 1] = { path = "client_authentication_methods", to = "rewired" }
  end
  if #diffs == 0 then return nil end
  -- The payload is the desired item: the keys travel only to the POST of a new credential.
  return handler.deep_copy(desired), diffs
end

--------------------------------------------------------------------------------------------------
-- Writing

local function create_body(cred)
  local body = { name = cred.name, pem = cred.pem, credential_type = cred.credential_type }
  for _, f in ipairs(CREATE_EXTRA) do body[f] = cred[f] end
  return body
end

-- Creates first (the API keeps at most two credentials, so a rotation needs both at once), then
-- the methods wired to the credentials kept and made (a credential still listed by a method
-- cannot be deleted), then the deletes.
local function sync(ctx, client_id, desired, current)
  local w, problem = work_of(ctx, desired, current)
  if w == nil then
    warn(ctx, problem)
    return true
  end
  local final = {}
  for _, k in ipairs(w.keep) do final[#final + 1] = k end
  for _, cred in ipairs(w.create) do
    -- A create whose answer was lost is looked up by name among the client's credentials
    -- before it is sent again, so a lost answer neither fails the run nor makes a twin.
    local created, err = ctx.api:create(credentials_path(client_id), create_body(cred), {
      find = function(item) return item.name == cred.name end, list = { paging = "none" } })
    if created == nil then return nil, err end
    final[#final + 1] = { id = created.id, name = cred.name, method = cred.method }
  end
  local patched, perr = handler.send_each(ctx, w.patch, function(p)
    return "PATCH", credentials_path(client_id) .. "/" .. handler.escape(p.id),
      { body = { expires_at = p.expires_at }, idempotent = true }
  end)
  if not patched then return nil, perr end
  if w.rewire then
    local body
    if #final > 0 then
      local methods = {}
      for _, f in ipairs(final) do
        methods[f.method] = methods[f.method] or { credentials = json.array() }
        local list = methods[f.method].credentials
        list[#list + 1] = { id = f.id }
      end
      body = { client_authentication_methods = methods, token_endpoint_auth_method = NULL }
    else
      body = { client_authentication_methods = NULL,
        token_endpoint_auth_method = desired.token_endpoint_auth_method or "client_secret_post" }
    end
    local _, err = handler.send(ctx, "PATCH", "/clients/" .. handler.escape(client_id),
      { body = body, idempotent = true })
    if err then return nil, err end
  end
  for _, d in ipairs(w.delete) do
    local _, err = handler.send(ctx, "DELETE", credentials_path(client_id) .. "/"
      .. handler.escape(d.id), { idempotent = true })
    if err and not (type(err) == "table" and err.status == 404) then return nil, err end
  end
  return true
end

-- Several requests of their own per client, none of them the item's: nothing for preflight to
-- check beforehand (the API checks each credential's key).
function M.write_request() return nil end

-- A client created in this run: its id from the clients' state, which the run keeps current.
function M.create(_, ctx, payload)
  if #(payload.credentials or {}) == 0 then return { client = payload.client } end
  local client = client_named(ctx, payload.client)
  if not client then
    return nil, { code = "apply", type = M.type, message = ("clientAuthCredentials: no client "
      .. "named %q on the tenant"):format(tostring(payload.client)) }
  end
  local ok, err = sync(ctx, client.client_id, payload, nil)
  if not ok then return nil, err end
  return { client = payload.client, client_id = client.client_id }
end

function M.update(_, ctx, current, payload)
  local ok, err = sync(ctx, current.client_id, payload, current)
  if not ok then return nil, err end
  return current
end

-- Credentials are deleted only with their client's own item (M.sync); a client is never deleted
-- here.
function M.delete() return true end

-- Never written as a type of its own: the clients' files name their credentials.
function M.export() return nil end

return M
