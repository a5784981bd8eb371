-- handlers/clients.lua: applications (a0deploy type `clients`), docs/handlers.md §clients.
-- Data first; the behaviour below is only where the generic handler is wrong for clients.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base

-- A client is a CIMD client (Client ID Metadata Document) when external_client_id is truthy.
-- Regular clients match by client_id then name, CIMD clients by client_id then
-- external_client_id, never across the two kinds: REGULAR marks regular clients on both sides so
-- that the compound identifier {name, REGULAR} only pairs regular with regular.
local REGULAR = "__regular"

-- What PATCH may change on a CIMD client (docs/handlers.md §clients).
local CIMD_EDITABLE = {
  "description", "app_type", "allowed_origins", "web_origins", "grant_types", "oidc_conformant",
  "organization_discovery_methods", "client_metadata", "default_organization",
  "require_proof_of_possession", "token_quota",
  "skip_non_verifiable_callback_uri_confirmation_prompt", "jwt_configuration", "refresh_token",
}

local CREDENTIAL_METHODS = { "private_key_jwt", "self_signed_tls_client_auth", "tls_client_auth" }

-- Arrays exported as [] when the tenant has them null (docs/handlers.md §clients).
local NULL_TO_EMPTY = { "allowed_clients", "allowed_logout_urls", "allowed_origins", "callbacks" }

local function str() return { type = "string" } end
local function bool() return { type = "boolean" } end
local strings = handler.strings_schema
local function enabled_flag() return { type = "object", properties = { enabled = bool() } } end

-- client_authentication_methods: the credentials the clientAuthCredentials step deploys
-- (handlers/client_auth_credentials.lua). a0deploy leaves the field unchecked and the API refuses
-- a misspelt method or credential type only once the client is written; a0lua refuses it here.
local function credential_method(credential_type)
  return {
    type = "object",
    properties = {
      credentials = handler.objects_schema({
        name = { type = "string", minLength = 1, maxLength = 128 },
        credential_type = { type = "string", enum = { credential_type } },
        pem = { type = "string" },
        alg = { type = "string", enum = { "RS256", "RS384", "PS256" } },
        subject_dn = { type = "string", minLength = 1, maxLength = 256 },
        expires_at = { type = "string" },
        parse_expiry_from_cert = { type = "boolean" },
      }, { required = { "name" } }),
    },
  }
end

local client_authentication_methods = {
  type = { "object", "null" },
  additionalProperties = false,
  properties = {
    private_key_jwt = credential_method("public_key"),
    self_signed_tls_client_auth = credential_method("x509_cert"),
    tls_client_auth = credential_method("cert_subject_dn"),
  },
}

local SCHEMA = {
  type = "object",
  required = { "name" },
  properties = {
    name = { type = "string", minLength = 1, pattern = "[^<>]+" },
    client_authentication_methods = client_authentication_methods,
    external_client_id = str(),
    external_metadata_type = str(),
    external_metadata_created_by = str(),
    jwks_uri = str(),
    mobile = {
      type = "object",
      properties = {
        android = {
          type = "object",
          properties = { app_package_name = str(), sha256_cert_fingerprints = strings() },
        },
        ios = { type = "object", properties = { team_id = str(), app_bundle_identifier = str() } },
      },
    },
    native_social_login = {
      type = "object",
      properties = { apple = enabled_flag(), facebook = enabled_flag(), google = enabled_flag() },
    },
    refresh_token = {
      type = { "object", "null" },
      properties = {
        policies = {
          type = { "array", "null" },
          items = {
            type = "object",
            properties = {
              audience = str(),
              scope = { type = "array", items = str(), uniqueItems = true },
            },
            required = { "audience", "scope" },
          },
        },
      },
    },
    token_quota = handler.token_quota_schema(true),
    session_transfer = {
      type = "object",
      additionalProperties = true,
      properties = {
        can_create_session_transfer_token = { type = "boolean", default = false },
        enforce_cascade_revocation = { type = "boolean", default = true },
        allowed_authentication_methods = {
          type = { "array", "null" },
          items = { type = "string", enum = { "cookie", "query" } },
        },
        enforce_device_binding = { type = "string", enum = { "ip", "asn", "none" },
          default = "ip" },
        allow_refresh_token = { type = "boolean", default = false },
        enforce_online_refresh_tokens = { type = "boolean", default = true },
        delegation = {
          type = "object",
          additionalProperties = false,
          properties = {
            allow_delegated_access = bool(),
            enforce_device_binding = { type = "string", enum = { "ip", "asn" } },
          },
        },
      },
    },
    identity_assertion_authorization_grant = {
      type = "object",
      required = { "active" },
      additionalProperties = false,
      properties = { active = bool() },
    },
    app_type = str(),
    resource_server_identifier = str(),
    organization_usage = { type = "string", enum = { "deny", "allow", "require" } },
    organization_require_behavior = {
      type = "string", enum = { "no_prompt", "pre_login_prompt", "post_login_prompt" },
    },
    organization_discovery_methods = {
      type = { "array", "null" },
      items = { type = "string", enum = { "email", "organization_name" } },
    },
    my_organization_configuration = {
      type = { "object", "null" },
      required = { "allowed_strategies", "connection_deletion_behavior" },
      properties = {
        allowed_strategies = {
          type = "array",
          uniqueItems = true,
          items = {
            type = "string",
            enum = { "pingfederate", "adfs", "waad", "google-apps", "okta", "oidc", "samlp" },
          },
        },
        connection_deletion_behavior = { type = "string", enum = { "allow", "allow_if_empty" } },
        connection_profile_id = str(),
        user_attribute_profile_id = str(),
        invitation_landing_client_id = str(),
      },
    },
    async_approval_notification_channels = {
      type = { "array", "null" },
      items = { type = "string", enum = { "guardian-push", "email" } },
    },
    skip_non_verifiable_callback_uri_confirmation_prompt = { type = { "boolean", "null" } },
    express_configuration = {
      type = { "object", "null" },
      required = {
        "initiate_login_uri_template", "user_attribute_profile_id", "connection_profile_id",
        "enable_client", "enable_organization", "okta_oin_client_id", "admin_login_domain",
      },
      properties = {
        initiate_login_uri_template = str(),
        user_attribute_profile_id = str(),
        connection_profile_id = str(),
        enable_client = bool(),
        enable_organization = bool(),
        okta_oin_client_id = str(),
        admin_login_domain = str(),
        linked_clients = handler.objects_schema({ client_id = str() },
          { required = { "client_id" } }),
        oin_submission_id = str(),
      },
    },
    token_exchange = {
      type = { "object", "null" },
      properties = {
        allow_any_profile_of_type = {
          type = "array",
          items = {
            type = "string", enum = { "custom_authentication", "on_behalf_of_token_exchange" },
          },
        },
      },
    },
    token_vault_privileged_access = {
      type = { "object", "null" },
      properties = {
        ip_allowlist = strings(),
        grants = handler.objects_schema({ connection = str(), scopes = strings() },
          { required = { "connection", "scopes" } }),
      },
    },
    third_party_security_mode = { type = "string", enum = { "strict", "permissive" } },
    redirection_policy = {
      type = "string", enum = { "allow_always", "open_redirect_protection" },
    },
    oidc_logout = {
      type = { "object", "null" },
      properties = {
        backchannel_logout_urls = strings(),
        backchannel_logout_initiators = {
          type = "object",
          properties = {
            mode = { type = "string", enum = { "custom", "all" } },
            selected_initiators = {
              type = "array",
              items = {
                type = "string",
                enum = {
                  "rp-logout", "idp-logout", "password-changed", "session-expired",
                  "session-revoked", "account-deleted", "email-identifier-changed",
                  "mfa-phone-unenrolled", "account-deactivated",
                },
              },
            },
          },
        },
        backchannel_logout_session_metadata = {
          type = { "object", "null" },
          properties = { include = bool() },
        },
      },
    },
    fedcm_login = {
      type = { "object", "null" },
      required = { "google" },
      properties = {
        google = {
          type = "object", required = { "is_enabled" }, properties = { is_enabled = bool() },
        },
      },
    },
  },
}

local M = {
  type = "clients",
  path = "/clients",
  id = "client_id",
  identifiers = { "client_id", "external_client_id", { "name", REGULAR } },
  list = { paging = "offset", key = "clients", query = { is_global = false } },
  schema = SCHEMA,
  -- Besides a0deploy's list, the read-only fields a GET shows (and hand-written files copy):
  -- the API refuses them on POST (not in its create schema).
  -- `encrypted` is in every GET answer (the recordings show it) and in no request schema.
  strip_create = {
    REGULAR, "client_id", "external_metadata_type", "external_metadata_created_by", "jwks_uri",
    "callback_url_template", "signing_keys", "global", "tenant", "encrypted",
  },
  strip_update = {
    REGULAR, "callback_url_template", "signing_keys", "global", "tenant",
    "jwt_configuration.secret_encoded", "resource_server_identifier", "external_metadata_type",
    "external_metadata_created_by", "jwks_uri", "third_party_security_mode", "client_id",
    "encrypted",
  },
  strip_export = {
    REGULAR, "client_secret", "callback_url_template", "signing_keys", "global", "tenant",
    "custom_login_page_preview", "config_route", "owners", "encrypted",
  },
  object_fields = { "client_metadata" },
  ignore_diff = { "encrypted" },
}

M.CIMD_EDITABLE = CIMD_EDITABLE

local present = util.present

local function is_cimd(item)
  return type(item) == "table" and present(item.external_client_id)
end
M.is_cimd = is_cimd

local function config(ctx) return ctx.config or {} end

local warn = handler.warn

local set_of = util.set_of

-- The profiles by name and id, as the tenant now holds them: ctx.current, which a0lua.apply keeps
-- in step with every write, so that a profile created in this run is found by its name when the
-- clients' changes are computed again (the clients wait for the profiles: §order).
local PROFILE_TYPES = {
  connection = "connectionProfiles", user_attribute = "userAttributeProfiles",
}

local function profiles(ctx)
  local out = { connection = {}, user_attribute = {} }
  if not ctx.api then return out end
  for kind, type_name in pairs(PROFILE_TYPES) do
    local ok, list = pcall(handler.current_of, ctx, type_name)
    if ok then
      out[kind] = list or {}
    else
      local c = handler.run_state(ctx, "clients")
      c.warned = c.warned or {}
      if not c.warned[type_name] then
        c.warned[type_name] = true
        warn(ctx, ("clients: cannot read %s, their names are sent as given: %s"):format(
          type_name, tostring(list)))
      end
    end
  end
  return out
end

local function lookup(list, from, to, value)
  if value == nil or value == NULL then return nil end
  for _, item in ipairs(list or {}) do
    if item[from] == value then return item[to] end
  end
  return nil
end

-- The references inside express_configuration / my_organization_configuration, and what each
-- refers to: {field, profile kind or "client"}.
local REFERENCES = {
  express_configuration = {
    { "user_attribute_profile_id", "user_attribute" }, { "connection_profile_id", "connection" },
    { "okta_oin_client_id", "client" },
  },
  my_organization_configuration = {
    { "user_attribute_profile_id", "user_attribute" }, { "connection_profile_id", "connection" },
    { "invitation_landing_client_id", "client" },
  },
}

local function has_references(items)
  for _, c in handler.items(items) do
    if type(c.express_configuration) == "table"
        or type(c.my_organization_configuration) == "table" then
      return true
    end
  end
  return false
end

-- Rewrites the references of one client: to_id true turns names into ids, false ids into names.
-- Values that are not found stay as they are.
local function map_references(ctx, client, to_id)
  local p = profiles(ctx)
  local clients = ctx.current and ctx.current.clients or {}
  for field, refs in pairs(REFERENCES) do
    local obj = client[field]
    if type(obj) == "table" and obj ~= NULL then
      for _, ref in ipairs(refs) do
        local key, kind = ref[1], ref[2]
        local list, id_field, name_field = p[kind], "id", "name"
        if kind == "client" then list, id_field = clients, "client_id" end
        local found
        if to_id then
          found = lookup(list, name_field, id_field, obj[key])
        else
          found = lookup(list, id_field, name_field, obj[key])
        end
        if found ~= nil then obj[key] = found end
      end
    end
  end
end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- Replaces each credential stub {id} by {name, credential_type}; stubs without a named match are
-- dropped. On an API failure the stubs stay as they are (docs/handlers.md §clients).
local function enrich_credentials(ctx, client)
  local methods = client.client_authentication_methods
  if type(methods) ~= "table" or methods == NULL then return end
  local creds = ctx.api:list("/clients/" .. handler.escape(client.client_id) .. "/credentials",
    { paging = "none" })
  if type(creds) ~= "table" then return end
  local by_id = {}
  for _, cred in ipairs(creds) do
    if type(cred) == "table" and cred.id then by_id[cred.id] = cred end
  end
  for _, method in ipairs(CREDENTIAL_METHODS) do
    local m = methods[method]
    if type(m) == "table" and type(m.credentials) == "table" then
      local out = json.array()
      for _, stub in ipairs(m.credentials) do
        local cred = type(stub) == "table" and by_id[stub.id]
        if cred and present(cred.name) then
          out[#out + 1] = { name = cred.name, credential_type = cred.credential_type }
        end
      end
      m.credentials = out
    end
  end
end

-- Reads GET /clients?is_global=false (with is_first_party=true when third-party clients are
-- excluded); migrates cross_origin_auth, drops token vault credential ids, names credentials.
function M.fetch(self, ctx)
  local query = { is_global = false }
  if config(ctx).AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS then query.is_first_party = true end
  local list, err = ctx.api:list(self.path, { paging = "offset", key = "clients", query = query })
  if list == nil then return nil, err end
  for _, c in ipairs(list) do
    if c.cross_origin_auth ~= nil then
      if c.cross_origin_authentication == nil then
        c.cross_origin_authentication = c.cross_origin_auth
      end
      c.cross_origin_auth = nil
    end
    if type(c.token_vault_privileged_access) == "table" then
      c.token_vault_privileged_access.credentials = nil
    end
    if c.client_authentication_methods ~= nil then enrich_credentials(ctx, c) end
    if not is_cimd(c) then c[REGULAR] = true end
  end
  return list
end

--------------------------------------------------------------------------------------------------
-- Import

-- Deprecated fields moved, fields owned elsewhere or export-only removed, and profile / client
-- names in express and my-organization configurations turned into ids (docs/handlers.md §clients).
function M.resolve(_, ctx, desired)
  if type(desired) ~= "table" then return desired end
  local old_logout, old_cors = {}, {}
  for _, c in ipairs(desired) do
    if type(c) == "table" then
      if c.oidc_backchannel_logout ~= nil then
        old_logout[#old_logout + 1] = tostring(c.name)
        if c.oidc_logout == nil then c.oidc_logout = c.oidc_backchannel_logout end
        c.oidc_backchannel_logout = nil
      end
      if c.cross_origin_auth ~= nil then
        old_cors[#old_cors + 1] = tostring(c.name)
        if c.cross_origin_authentication == nil then
          c.cross_origin_authentication = c.cross_origin_auth
        end
        c.cross_origin_auth = nil
      end
      if c.app_type == "resource_server" then
        c.oidc_backchannel_logout, c.oidc_logout, c.refresh_token = nil, nil, nil
      end
      if c.client_authentication_methods ~= nil then c.token_endpoint_auth_method = nil end
      c.client_authentication_methods = nil
      c.token_vault_privileged_access = nil
      if not is_cimd(c) then c[REGULAR] = true end
    end
  end
  if #old_logout > 0 then
    warn(ctx, "clients: oidc_backchannel_logout is deprecated, use oidc_logout (clients: "
      .. table.concat(old_logout, ", ") .. ")")
  end
  if #old_cors > 0 then
    warn(ctx, "clients: cross_origin_auth is deprecated, use cross_origin_authentication "
      .. "(clients: " .. table.concat(old_cors, ", ") .. ")")
  end
  if has_references(desired) then
    for _, c in handler.items(desired) do map_references(ctx, c, true) end
  end
  return desired
end

-- The filter runs for every client of the files and of the tenant: what it needs from the
-- tenant's list and the config is found once per list (not a walk of the tenant's clients per
-- client of the files). Keyed weakly by the list and the config's excluded names.
local deploying_entries_of = setmetatable({}, { __mode = "k" })
local excluded_set_of = setmetatable({}, { __mode = "k" })

-- The tenant's entries of the deploying client (client_id `deploying`; one, in practice). Their
-- names are read when used: a0lua.apply keeps those entries up to date in place, and adds or
-- removes entries only by growing or shrinking the list, which finds them again.
local function deploying_entries(list, deploying)
  local found = deploying_entries_of[list]
  if found and found.n == #list and found.id == deploying then return found end
  found = { n = #list, id = deploying }
  for _, c in ipairs(list) do
    if type(c) == "table" and c.client_id == deploying then found[#found + 1] = c end
  end
  deploying_entries_of[list] = found
  return found
end

local function excluded_names(cfg)
  local list = cfg.AUTH0_EXCLUDED_CLIENTS
  if type(list) ~= "table" then return {} end
  local set = excluded_set_of[list]
  if not set then
    set = set_of(list)
    excluded_set_of[list] = set
  end
  return set
end

-- The deploying client is never touched, also when the files name it without its client_id;
-- clients without a name, excluded names, excluded third-party clients (docs/handlers.md §clients).
function M.filter(_, ctx, item)
  if type(item) ~= "table" then return false end
  if not present(item.name) then return false end
  local cfg = config(ctx)
  local deploying = cfg.AUTH0_CLIENT_ID
  if present(deploying) then
    if item.client_id == deploying then return false end
    local list = ctx.current and ctx.current.clients
    if item.client_id == nil and type(list) == "table" then
      for _, c in ipairs(deploying_entries(list, deploying)) do
        if c.client_id == deploying and c.name == item.name then return false end
      end
    end
  end
  if excluded_names(cfg)[item.name] then return false end
  if cfg.AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS and not present(item.is_first_party) then
    return false
  end
  return true
end

-- A CIMD client's PATCH carries only its editable fields (docs/handlers.md §clients). A client
-- whose credentials are wired (client_authentication_methods) takes no token_endpoint_auth_method:
-- the API refuses it while credentials are in use, and the clientAuthCredentials step sends it
-- when it unwires them.
function M.diff(self, ctx, desired, current)
  local payload, diffs = Base.diff(self, ctx, desired, current)
  if payload ~= nil and payload.token_endpoint_auth_method ~= nil and type(current) == "table"
      and type(current.client_authentication_methods) == "table"
      and current.client_authentication_methods ~= NULL then
    payload, diffs = handler.keep_fields(payload, diffs, function(field)
      return field ~= "token_endpoint_auth_method"
    end)
  end
  if payload == nil or not is_cimd(current) then return payload, diffs end
  local editable = set_of(CIMD_EDITABLE)
  return handler.keep_fields(payload, diffs, function(field) return editable[field] end)
end

-- References between clients of the same files (express_configuration.okta_oin_client_id,
-- my_organization_configuration.invitation_landing_client_id naming a client this run creates)
-- cannot be resolved when the plan is made. A write that names such a client awaits its create
-- (apply's order_by_awaits) and then carries its new id, so the first import leaves the tenant
-- as the files say and the second has nothing to change.
local function client_references(body)
  local refs = {}
  for field, list in pairs(REFERENCES) do
    local obj = body[field]
    if type(obj) == "table" and obj ~= NULL then
      for _, ref in ipairs(list) do
        if ref[2] == "client" and type(obj[ref[1]]) == "string" then
          refs[#refs + 1] = { obj = obj, key = ref[1] }
        end
      end
    end
  end
  return refs
end

-- The names of the clients a write names in its references (apply awaits the ones it creates).
function M.awaits(_, _, change)
  local names = {}
  for _, ref in ipairs(client_references(change.write_payload or change.payload or {})) do
    names[#names + 1] = ref.obj[ref.key]
  end
  return names
end

local function client_id_of(ctx, value)
  for _, c in ipairs(ctx.current and ctx.current.clients or {}) do
    if c.client_id == value then return value end
  end
  return lookup(ctx.current and ctx.current.clients, "name", "client_id", value)
end

-- Names of clients in the references that now exist (created earlier in this run: ctx.current)
-- become their ids.
local function resolve_late(ctx, body)
  for _, ref in ipairs(client_references(body)) do
    local id = client_id_of(ctx, ref.obj[ref.key])
    if id ~= nil then ref.obj[ref.key] = id end
  end
end

-- After a CIMD registration (which takes the URL alone), the editable fields the files set
-- and the registration did not are PATCHed, so the client is as the files say.
local function complete_cimd(self, ctx, payload, registered)
  local id = type(registered) == "table" and registered.client_id
  if not id then return registered end
  local path = "/clients/" .. handler.escape(id)
  local current, err = ctx.api:request("GET", path)
  if current == nil then return nil, err end
  local patch = M.diff(self, ctx, payload, current)
  if patch == nil then return current end
  return ctx.api:request("PATCH", path, { body = patch })
end

-- A CIMD client is registered from its URL alone (then completed, above).
function M.write_request(self, ctx, op, payload, current)
  if op == "create" and is_cimd(payload) then
    return "POST", "/clients/cimd/register", { external_client_id = payload.external_client_id }
  end
  return Base.write_request(self, ctx, op, payload, current)
end

function M.create(self, ctx, payload)
  if is_cimd(payload) then
    local url = payload.external_client_id
    local _, path, body = self:write_request(ctx, "create", payload)
    local registered, err = ctx.api:create(path, body,
      { find = function(c) return c.external_client_id == url end, list_path = "/clients",
        list = { paging = "offset", key = "clients", query = { is_global = false } } })
    if registered == nil then return nil, err end
    return complete_cimd(self, ctx, payload, registered)
  end
  local body = handler.deep_copy(payload)
  resolve_late(ctx, body)
  local created, err = Base.create(self, ctx, body)
  if created == nil then return nil, err end
  return created
end

-- The client names in the references are resolved when the write is sent (above).
function M.update(self, ctx, current, payload)
  local body = handler.deep_copy(payload)
  resolve_late(ctx, body)
  return Base.update(self, ctx, current, body)
end

--------------------------------------------------------------------------------------------------
-- Export (docs/handlers.md §clients)

local EXPRESS_KEEP = { "name", "app_type", "client_authentication_methods",
  "organization_require_behavior" }

function M.export(_, ctx, item)
  local cfg = config(ctx)
  if set_of(cfg.AUTH0_EXCLUDED_CLIENTS)[item.name] then return nil end
  item[REGULAR] = nil
  if item.app_type == "express_configuration" then
    local keep = {}
    for _, k in ipairs(EXPRESS_KEEP) do keep[k] = item[k] end
    item = keep
  end
  if has_references({ item }) then map_references(ctx, item, false) end
  for _, k in ipairs(NULL_TO_EMPTY) do
    if item[k] == NULL then item[k] = json.array() end
  end
  local methods = item.client_authentication_methods
  if type(methods) == "table" and methods ~= NULL then
    local any = false
    for _, method in ipairs(CREDENTIAL_METHODS) do
      local m = methods[method]
      if type(m) == "table" and type(m.credentials) == "table" then
        local out = json.array()
        for _, cred in ipairs(m.credentials) do
          if type(cred) == "table" and present(cred.name) then
            out[#out + 1] = { name = cred.name, credential_type = cred.credential_type }
          end
        end
        m.credentials = out
        if #out > 0 then any = true end
      end
    end
    if not any then item.client_authentication_methods = nil end
  end
  return item
end

return M
