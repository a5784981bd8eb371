--[[
a0lua.emulator.resources.clients: applications (/clients), their credentials
(/clients/{client_id}/credentials) and client grants (/client-grants).

Server side: a 32-character client_id and a 64-character client_secret, the fields the API fills
in on create (tenant, global, signing_keys, jwt_configuration, refresh_token, ...; see
CLIENT_DEFAULTS, taken from recorded answers), client_metadata merged on PATCH (null removes a
key), the global client ("All Applications") that cannot be deleted, and on delete of a client its
grants and its place in connections' enabled clients go too. A grant is unique per client,
audience and subject_type (409); its client and API must exist (404). A credential keeps its
`pem` (an RSA public key or certificate, checked on create with a0lua.core.crypto) for the
client-assertion check of /oauth/token, and never shows it, as the API does not.
register_public_key(ctx, client_id, pem, alg) gives the deploy client such a credential
(`a0lua emulate --client-public-key`).
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")
local connections = require("a0lua.emulator.resources.connections")

local M = {}

M.TENANT = "a0lua-emulator"

local arr = values.array

local NOT_FOUND = { message = "The client does not exist", code = "inexistent_client" }

local JWT_DEFAULT = { alg = "RS256", lifetime_in_seconds = 36000, secret_encoded = false }
local REFRESH_DEFAULT = {
  expiration_type = "non-expiring", leeway = 0, infinite_token_lifetime = true,
  infinite_idle_token_lifetime = true, token_lifetime = 2592000, idle_token_lifetime = 1296000,
  rotation_type = "non-rotating",
}

local function client_defaults()
  return {
    tenant = M.TENANT, global = false, is_first_party = true,
    is_token_endpoint_ip_header_trusted = false, callbacks = arr(), allowed_clients = arr(),
    client_aliases = arr(), cross_origin_authentication = false, cross_origin_auth = false,
    sso_disabled = false, oidc_conformant = false, encrypted = true,
    callback_url_template = false, custom_login_page_on = true,
    jwt_configuration = values.copy(JWT_DEFAULT),
    refresh_token = values.copy(REFRESH_DEFAULT),
    token_endpoint_auth_method = "client_secret_post",
    grant_types = arr({ "authorization_code", "implicit", "refresh_token",
                        "client_credentials" }),
  }
end
M.client_defaults = client_defaults

-- A placeholder signing key of the real shape; nothing checks it as a certificate.
local function signing_key(ctx)
  local body = ctx.ids:make({ prefix = "", length = 64 })
  local pem = "-----BEGIN CERTIFICATE-----\r\n" .. body .. "\r\n-----END CERTIFICATE-----\r\n"
  return { cert = pem, pkcs7 = "-----BEGIN PKCS7-----\r\n" .. body
    .. "\r\n-----END PKCS7-----\r\n", subject = "/CN=" .. M.TENANT .. ".emulator" }
end
M.signing_key = signing_key

local function truthy(v) return v == "true" or v == "1" end

local function in_list(csv, value)
  for part in tostring(csv):gmatch("[^,]+") do
    if part == value then return true end
  end
  return false
end

-- An object merges into the object the client has; anything else replaces it (null removes it).
local function merge_object(item, v, k)
  if values.is_object(v) and values.is_object(item[k]) then
    values.deep_merge(item[k], v)
  else
    values.merge(item, { [k] = v })
  end
end

local MERGED = { client_metadata = merge_object, jwt_configuration = merge_object,
                 refresh_token = merge_object }

M.CLIENTS = {
  path = "/clients", id = "client_id", id_format = "client_id", key = "clients",
  paging = "both",
  not_found = NOT_FOUND,
  defaults = client_defaults,
  filters = {
    is_global = function(item, v) return (item.global == true) == truthy(v) end,
    is_first_party = function(item, v)
      return (item.is_first_party ~= false) == truthy(v)
    end,
    app_type = function(item, v) return item.app_type ~= nil and in_list(v, item.app_type) end,
  },
  create = function(ctx, item, body)
    for _, k in ipairs({ "jwt_configuration", "refresh_token" }) do
      if values.is_object(body[k]) then
        item[k] = values.deep_merge(values.copy(k == "jwt_configuration" and JWT_DEFAULT
          or REFRESH_DEFAULT), body[k])
      end
    end
    item.signing_keys = arr({ signing_key(ctx) })
    if body.client_secret == nil then item.client_secret = ctx.ids:make("client_secret") end
  end,
  update = function(_, item, body)
    values.merge(item, body, MERGED)
  end,
  on_delete = function(ctx, item)
    if item.global then
      errors.raise(400, "The global client cannot be deleted", "operation_not_supported")
    end
    M.delete_grants(ctx, "client_id", item.client_id)
    connections.remove_client(ctx, item.client_id)
  end,
}

-- Deletes the client grants whose field is value (those of a client, or of an API).
function M.delete_grants(ctx, field, value)
  local grants = ctx.store:get("/client-grants") or {}
  for i = #grants, 1, -1 do
    if grants[i][field] == value then
      ctx.store:delete_item("/client-grants", "id", grants[i].id)
    end
  end
end

-- The Management API itself is not in /resource-servers' identifiers when the emulator sits
-- behind a TLS terminator on another host, so any https://<host>/api/v2/ counts as it.
local function audience_known(ctx, audience)
  if type(audience) ~= "string" then return false end
  if audience:match("^https://[^/]+/api/v2/$") then return true end
  return ctx.store:find("/resource-servers", "identifier", audience) ~= nil
end

M.GRANTS = {
  path = "/client-grants", id = "id", id_format = { prefix = "cgr_", length = 16 },
  key = "client_grants", paging = "both",
  not_found = { message = "The client grant does not exist", code = "inexistent_client_grant" },
  unique = {
    {
      value = function(g)
        if g.audience == nil then return nil end
        local who = g.client_id and ("client:" .. tostring(g.client_id))
          or (g.default_for and ("default:" .. tostring(g.default_for)))
        if not who then return nil end
        return who .. "\0" .. g.audience .. "\0" .. tostring(g.subject_type or "client")
      end,
      fields = { "client_id", "default_for", "audience", "subject_type" },
      message = "client_grant already exists", code = "conflict",
    },
  },
  filters = {
    audience = function(item, v) return item.audience == v end,
    client_id = function(item, v) return item.client_id == v end,
    subject_type = function(item, v) return (item.subject_type or "client") == v end,
    allow_any_organization = function(item, v)
      return (item.allow_any_organization == true) == truthy(v)
    end,
  },
  create = function(ctx, item)
    if item.client_id then
      kinds.find_or_404(ctx, "/clients", "client_id", item.client_id, NOT_FOUND)
    end
    if not audience_known(ctx, item.audience) then
      errors.raise(404, ("No resource server found for audience %s"):format(
        tostring(item.audience)), "inexistent_resource_server")
    end
    if item.scope == nil then item.scope = arr() end
  end,
}

M.CREDENTIALS = {
  path = "/clients/{client_id}/credentials", item = "/clients/{client_id}/credentials/{id}",
  parent = { path = "/clients", id = "client_id", not_found = NOT_FOUND },
  id_format = { prefix = "cred_", length = 22 }, timestamps = true,
  not_found = { message = "The credential does not exist", code = "inexistent_credential" },
  create = function(ctx, item)
    item.credential_type = item.credential_type or "public_key"
    if item.pem ~= nil then
      local key = type(item.pem) == "string" and require("a0lua.core.crypto").public_key(item.pem)
      if not key then
        errors.raise(400, "Payload validation error: 'pem' must be an RSA public key or an X.509 "
          .. "certificate in PEM format.", "invalid_body")
      end
    end
    item.kid = item.kid or ctx.ids:make({ prefix = "", length = 43 })
    item.alg = item.alg or "RS256"
    item.name = item.name or ""
  end,
  -- The API never answers with the key it was given.
  view = function(_, item)
    local out = {}
    for k, v in pairs(item) do
      if k ~= "pem" then out[k] = v end
    end
    return out
  end,
}

-- Registers pem as a private_key_jwt credential of the client client_id (which must exist) and
-- sets the client's client_authentication_methods to use it. -> credential | nil, message
function M.register_public_key(ctx, client_id, pem, alg)
  local client = ctx.store:find("/clients", "client_id", client_id)
  if not client then return nil, ("no client %s in the tenant"):format(client_id) end
  local key, err = require("a0lua.core.crypto").public_key(pem)
  if not key then return nil, err.message end
  local item = {
    id = ctx.ids:make(M.CREDENTIALS.id_format), credential_type = "public_key",
    name = "a0lua emulate --client-public-key", pem = pem, alg = alg or "RS256",
    kid = ctx.ids:make({ prefix = "", length = 43 }), created_at = ctx.now(),
    updated_at = ctx.now(),
  }
  ctx.store:insert("/clients/" .. client_id .. "/credentials", item)
  client.client_authentication_methods = {
    private_key_jwt = { credentials = arr({ { id = item.id } }) },
  }
  return item
end

local function rotate_secret()
  return {
    method = "POST", template = "/clients/{id}/rotate-secret",
    handler = function(ctx, _, params)
      local client = kinds.find_or_404(ctx, "/clients", "client_id", params[1], NOT_FOUND)
      client.client_secret = ctx.ids:make("client_secret")
      return 200, client
    end,
  }
end

-- Client ID Metadata Document clients. The real API fetches the document at the URL; the
-- emulator makes no network calls, so it maps what the URL itself says (its host as the name)
-- and reports no violations.
local function cimd_fields(url)
  return {
    external_client_id = url, name = url:match("^https?://([^/]+)") or url,
    app_type = "regular_web", grant_types = arr({ "authorization_code" }),
    token_endpoint_auth_method = "none", callbacks = arr(),
  }
end

local function cimd_url(body)
  local url = type(body) == "table" and body.external_client_id
  if type(url) ~= "string" or not url:match("^https://") then
    errors.raise(400, "Payload validation error: 'external_client_id must be an absolute https "
      .. "URI'.", "invalid_body")
  end
  return url
end

local function cimd_bindings()
  local function validation()
    return { valid = true, violations = arr(), warnings = arr() }
  end
  return {
    {
      method = "POST", template = "/clients/cimd/preview",
      handler = function(_, _, _, body)
        return 200, { mapped_fields = cimd_fields(cimd_url(body)), validation = validation() }
      end,
    },
    {
      -- 201 for a new client, 200 when the URL was registered before.
      method = "POST", template = "/clients/cimd/register", keep_status = true,
      handler = function(ctx, req, _, body)
        local url = cimd_url(body)
        local fields = cimd_fields(url)
        local status = 200
        local client = ctx.store:find("/clients", "external_client_id", url)
        if client then
          values.merge(client, fields)
        else
          local item = values.merge({}, fields)
          item.external_metadata_type, item.external_metadata_created_by = "cimd", "admin"
          client = kinds.create_item(ctx, M.CLIENTS, "/clients", item, req)
          status = 201
        end
        return status, { client_id = client.client_id, mapped_fields = fields,
                         validation = validation() }
      end,
    },
  }
end

function M.bindings()
  return kinds.join({ kinds.collection(M.CLIENTS), kinds.collection(M.GRANTS),
                      kinds.collection(M.CREDENTIALS), { rotate_secret() }, cimd_bindings() })
end

-- A fresh tenant: the global client, a default application, and the client that deploys
-- (the configured --client-id), granted the Management API.
function M.fresh(ctx, state)
  local global = client_defaults()
  values.merge(global, {
    name = "All Applications", global = true, client_id = ctx.ids:make("client_id"),
    client_secret = ctx.ids:make("client_secret"), callbacks = arr(),
    custom_login_page_on = true, signing_keys = arr({ signing_key(ctx) }),
    owners = arr(), cross_origin_authentication = true,
  })
  global.grant_types, global.jwt_configuration, global.token_endpoint_auth_method = nil, nil, nil
  local default_app = client_defaults()
  values.merge(default_app, {
    name = "Default App", client_id = ctx.ids:make("client_id"),
    client_secret = ctx.ids:make("client_secret"), oidc_conformant = true,
    signing_keys = arr({ signing_key(ctx) }),
  })
  local deployer = client_defaults()
  values.merge(deployer, {
    name = "a0lua emulate (deploy client)", client_id = ctx.config.client_id,
    client_secret = ctx.config.client_secret, app_type = "non_interactive",
    grant_types = arr({ "client_credentials" }), oidc_conformant = true,
    signing_keys = arr({ signing_key(ctx) }),
  })
  state["/clients"] = arr({ global, default_app, deployer })
  state["/client-grants"] = arr({
    {
      id = ctx.ids:make({ prefix = "cgr_", length = 16 }), client_id = ctx.config.client_id,
      audience = "https://" .. ctx.config.domain .. "/api/v2/",
      scope = arr({ "read:clients", "create:clients", "update:clients", "delete:clients" }),
    },
  })
end

return M
