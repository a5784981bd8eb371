--[[
a0lua.emulator.resources.apis: resource servers (/resource-servers) and roles (/roles) with
their permissions (/roles/{id}/permissions).

Resource servers: 24-hex ids, the identifier is unique (409) and also finds the API in
/resource-servers/{id}; the system "Auth0 Management API" cannot be changed or deleted; deleting an
API deletes its client grants. Roles: rol_ ids, names unique (409). A role's permissions are a set
of {permission_name, resource_server_identifier}: the API must exist and define the scope; GET
shows resource_server_name and description as the API gives them.
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")
local clients = require("a0lua.emulator.resources.clients")

local M = {}

local arr = values.array

local RS_NOT_FOUND = { message = "The resource server does not exist",
                       code = "inexistent_resource_server" }

M.RESOURCE_SERVERS = {
  path = "/resource-servers", id = "id", id_format = "hex24", key = "resource_servers",
  paging = "offset", not_found = RS_NOT_FOUND,
  unique = { { fields = { "identifier" },
               message = "A resource server with the same identifier already exists",
               code = "conflict" } },
  defaults = function()
    return { signing_alg = "RS256", token_lifetime = 86400, token_lifetime_for_web = 7200,
             allow_offline_access = false, skip_consent_for_verifiable_first_party_clients = false,
             scopes = arr() }
  end,
  filters = {
    ["identifiers"] = function(item, v)
      if type(v) == "table" then
        for _, x in ipairs(v) do if x == item.identifier then return true end end
        return false
      end
      return item.identifier == v
    end,
  },
  -- GET /resource-servers/{id} also takes the identifier (URL-encoded).
  find = function(ctx, key, id)
    return ctx.store:find(key, "identifier", id)
  end,
  update = function(_, item, body)
    if item.is_system then
      errors.raise(403, "You cannot update a system resource server", "operation_not_supported")
    end
    values.merge(item, body)
  end,
  on_delete = function(ctx, item)
    if item.is_system then
      errors.raise(403, "You cannot delete a system resource server", "operation_not_supported")
    end
    clients.delete_grants(ctx, "audience", item.identifier)
  end,
}

local ROLE_NOT_FOUND = { message = "The role does not exist", code = "inexistent_role" }

M.ROLES = {
  path = "/roles", id = "id", id_format = { prefix = "rol_", length = 16 }, key = "roles",
  paging = "offset", not_found = ROLE_NOT_FOUND,
  unique = { { fields = { "name" }, message = "Role name already exists", code = "conflict" } },
  filters = {
    name_filter = function(item, v)
      return tostring(item.name or ""):lower():find(v:lower(), 1, true) ~= nil
    end,
  },
}

local PERMISSIONS = {
  path = "/roles/{id}/permissions", parent = { path = "/roles", not_found = ROLE_NOT_FOUND },
  methods = { list = true }, paging = "offset", key = "permissions",
}

local function perms_key(id) return kinds.path_of(PERMISSIONS.path, { id }) end

local function find_role(ctx, id)
  return kinds.find_or_404(ctx, "/roles", "id", id, ROLE_NOT_FOUND)
end

local function permission_list(body)
  local list = type(body) == "table" and body.permissions
  if type(list) ~= "table" or #list == 0 then
    errors.raise(400, "Payload validation error: 'Missing required property: permissions'.",
      "invalid_body")
  end
  return list
end

-- The stored form of a permission, checked against the API that should define it.
local function resolve(ctx, p)
  local rs = ctx.store:find("/resource-servers", "identifier", p.resource_server_identifier)
  if not rs then
    errors.raise(404, ("The resource server does not exist: \"%s\""):format(
      tostring(p.resource_server_identifier)), "inexistent_resource_server")
  end
  local description
  for _, scope in ipairs(rs.scopes or {}) do
    if scope.value == p.permission_name then description = scope.description or "" end
  end
  if description == nil and not rs.is_system then
    errors.raise(400, ("Permission %s does not exist on resource server %s"):format(
      tostring(p.permission_name), tostring(p.resource_server_identifier)),
      "invalid_permission")
  end
  return {
    permission_name = p.permission_name, resource_server_identifier = rs.identifier,
    resource_server_name = rs.name, description = description or "",
  }
end

-- Whether list holds permission p (the same name of the same API).
local function holds(list, p)
  for _, cur in ipairs(list) do
    if cur.permission_name == p.permission_name
        and cur.resource_server_identifier == p.resource_server_identifier then
      return true
    end
  end
  return false
end

local function permission_bindings()
  return {
    {
      method = "POST", template = "/roles/{id}/permissions", status = 201,
      handler = function(ctx, _, params, body)
        find_role(ctx, params[1])
        local adds = {}
        for i, p in ipairs(permission_list(body)) do adds[i] = resolve(ctx, p) end
        local list = ctx.store:list(perms_key(params[1]))
        for _, p in ipairs(adds) do
          if not holds(list, p) then list[#list + 1] = p end
        end
        return 201
      end,
    },
    {
      method = "DELETE", template = "/roles/{id}/permissions", status = 200,
      handler = function(ctx, _, params, body)
        find_role(ctx, params[1])
        local list = ctx.store:get(perms_key(params[1])) or arr()
        local keep = arr()
        local drop = permission_list(body)
        for _, cur in ipairs(list) do
          if not holds(drop, cur) then keep[#keep + 1] = cur end
        end
        ctx.store:set(perms_key(params[1]), keep)
        return 200
      end,
    },
  }
end

function M.bindings()
  return kinds.join({ kinds.collection(M.RESOURCE_SERVERS), kinds.collection(M.ROLES),
                      kinds.collection(PERMISSIONS), permission_bindings() })
end

function M.fresh(ctx, state)
  local identifier = "https://" .. ctx.config.domain .. "/api/v2/"
  local scopes = arr()
  for verb_resource in require("a0lua.emulator.auth").ALL_SCOPES:gmatch("%S+") do
    scopes[#scopes + 1] = { value = verb_resource, description = verb_resource }
  end
  state["/resource-servers"] = arr({
    {
      id = ctx.ids:make("hex24"), name = "Auth0 Management API", identifier = identifier,
      is_system = true, allow_offline_access = false, signing_alg = "RS256",
      skip_consent_for_verifiable_first_party_clients = false, token_lifetime = 86400,
      token_lifetime_for_web = 7200, scopes = scopes,
      subject_type_authorization = { client = { policy = "require_client_grant" },
                                     user = { policy = "allow_all" } },
    },
  })
  state["/roles"] = arr()
end

return M
