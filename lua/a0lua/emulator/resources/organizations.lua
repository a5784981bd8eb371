--[[
a0lua.emulator.resources.organizations: /organizations and what hangs off one:
  /organizations/{id}/enabled_connections (and the newer /organizations/{id}/connections, the same
  list: the state keeps it under enabled_connections), /client-grants (the grants' current
  values), /discovery-domains, and /clients (organization-to-application access, a route the
  OpenAPI document does not have yet).
Names are unique (409). A connection is enabled once per organization (409) and must exist (404).
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

local NOT_FOUND = { message = "No organization found by that id or name",
                    code = "inexistent_organization" }
local PARENT = { path = "/organizations", id = "id", not_found = NOT_FOUND }

-- The 404s of the things an organization refers to.
local CONNECTION_NOT_FOUND = { message = "The connection does not exist",
                               code = "inexistent_connection" }
local CLIENT_NOT_FOUND = { message = "The client does not exist", code = "inexistent_client" }
local GRANT_NOT_FOUND = { message = "The client grant does not exist",
                          code = "inexistent_client_grant" }

local function find_organization(ctx, id)
  return kinds.find_or_404(ctx, "/organizations", "id", id, NOT_FOUND)
end

M.ORGANIZATIONS = {
  path = "/organizations", id = "id", id_format = { prefix = "org_", length = 16 },
  key = "organizations", paging = "both", not_found = NOT_FOUND,
  unique = { { fields = { "name" }, message = "An organization with the same name already exists",
               code = "conflict" } },
}

local function by_name_binding()
  return {
    method = "GET", template = "/organizations/name/{name}",
    handler = function(ctx, _, params)
      return 200, kinds.find_or_404(ctx, "/organizations", "name", params[1], NOT_FOUND)
    end,
  }
end

-- Enabled connections, one list per organization (keyed by the connection's id), served under
-- both paths.
local function connection_view(ctx, entry)
  local conn = ctx.store:find("/connections", "id", entry.connection_id)
  if conn then entry.connection = { name = conn.name, strategy = conn.strategy } end
  return entry
end

M.ENABLED_CONNECTIONS = {
  path = "/organizations/{id}/enabled_connections", id = "connection_id", parent = PARENT,
  view = connection_view,
  not_found = { message = "The connection is not enabled for this organization",
                code = "inexistent_organization_connection" },
  conflict = { message = "The connection is already enabled for this organization",
               code = "conflict" },
  defaults = function()
    return { assign_membership_on_login = false, show_as_button = true,
             is_signup_enabled = false }
  end,
}

-- The generic collection draws ids itself; here the id is the connection's, so these bindings
-- are written out, over the generic helpers.
local function connection_bindings(base)
  local def = M.ENABLED_CONNECTIONS
  local function key_of(ctx, params) return kinds.key_for(ctx, def, params) end
  local function find(ctx, params)
    local key = key_of(ctx, params)
    return key, kinds.find_or_404(ctx, key, "connection_id", params[2], def.not_found)
  end
  local item_t = base .. "/{connection_id}"
  return {
    {
      method = "GET", template = base, paging = "offset", key = "enabled_connections",
      id_field = "connection_id",
      handler = function(ctx, req, params)
        return 200, kinds.list_items(ctx, def, key_of(ctx, params), req.query), true
      end,
    },
    {
      method = "POST", template = base, status = 201,
      handler = function(ctx, _, params, body)
        local key = key_of(ctx, params)
        body = type(body) == "table" and body or {}
        kinds.find_or_404(ctx, "/connections", "id", body.connection_id, CONNECTION_NOT_FOUND)
        if ctx.store:find(key, "connection_id", body.connection_id) then
          errors.raise(409, def.conflict.message, def.conflict.code)
        end
        local item = values.merge(def.defaults(), body)
        -- The newer /connections route also answers whether the connection is enabled.
        if base:find("/connections$") and item.is_enabled == nil then item.is_enabled = true end
        ctx.store:insert(key, item)
        return 201, connection_view(ctx, item)
      end,
    },
    {
      method = "GET", template = item_t,
      handler = function(ctx, _, params)
        local _, item = find(ctx, params)
        return 200, connection_view(ctx, item)
      end,
    },
    {
      method = "PATCH", template = item_t,
      handler = function(ctx, _, params, body)
        local _, item = find(ctx, params)
        values.merge(item, type(body) == "table" and body or {})
        return 200, connection_view(ctx, item)
      end,
    },
    {
      method = "DELETE", template = item_t, status = 204,
      handler = function(ctx, _, params)
        local key = find(ctx, params)
        ctx.store:delete_item(key, "connection_id", params[2])
        return 204
      end,
    },
  }
end

local function grants_key(id) return "/organizations/" .. id .. "/client-grants" end

-- The organization's grants as the grants are now (a deleted grant is gone from the list).
local function current_grants(ctx, id)
  local list = ctx.store:get(grants_key(id)) or arr()
  local out = arr()
  for _, g in ipairs(list) do
    local grant = ctx.store:find("/client-grants", "id", g.id)
    if grant then out[#out + 1] = grant end
  end
  return out
end

local function grant_bindings()
  return {
    {
      method = "GET", template = "/organizations/{id}/client-grants", paging = "offset",
      key = "client_grants",
      handler = function(ctx, req, params)
        find_organization(ctx, params[1])
        local list = current_grants(ctx, params[1])
        local out = arr()
        for _, g in ipairs(list) do
          if kinds.query_matches(req.query, g, { "audience", "client_id" }) then
            out[#out + 1] = g
          end
        end
        return 200, out, true
      end,
    },
    {
      method = "POST", template = "/organizations/{id}/client-grants", status = 201,
      handler = function(ctx, _, params, body)
        find_organization(ctx, params[1])
        local grant_id = type(body) == "table" and body.grant_id
        local grant = kinds.find_or_404(ctx, "/client-grants", "id", grant_id, GRANT_NOT_FOUND)
        local key = grants_key(params[1])
        if not ctx.store:find(key, "id", grant_id) then
          ctx.store:insert(key, values.copy(grant))
        end
        return 201, grant
      end,
    },
    {
      method = "DELETE", template = "/organizations/{id}/client-grants/{grant_id}", status = 204,
      handler = function(ctx, _, params)
        find_organization(ctx, params[1])
        ctx.store:delete_item(grants_key(params[1]), "id", params[2])
        return 204
      end,
    },
  }
end

M.DISCOVERY_DOMAINS = {
  path = "/organizations/{id}/discovery-domains",
  item = "/organizations/{id}/discovery-domains/{discovery_domain_id}", parent = PARENT,
  id_format = { prefix = "ordd_", length = 22 }, key = "domains", paging = "checkpoint",
  not_found = { message = "The discovery domain does not exist",
                code = "inexistent_discovery_domain" },
  unique = { { fields = { "domain" }, message = "The discovery domain already exists",
               code = "conflict" } },
  create = function(ctx, item)
    item.status = item.status or "pending"
    item.verification_host = "_auth0-challenge." .. tostring(item.domain)
    item.verification_txt = "auth0-domain-verification=" .. ctx.ids:make({ length = 32 })
    if item.use_for_organization_discovery == nil then
      item.use_for_organization_discovery = false
    end
  end,
}

-- Organization-to-application access: [{client_id, use_for_member_access}], listed with a
-- summary of each client as the API shows it.
local function client_view(ctx, entry)
  local c = ctx.store:find("/clients", "client_id", entry.client_id)
  if not c then return entry end
  return { client_id = entry.client_id, use_for_member_access = entry.use_for_member_access,
           client = { name = c.name, app_type = c.app_type, logo_uri = c.logo_uri,
                      is_first_party = c.is_first_party, grant_types = c.grant_types } }
end

local function clients_bindings()
  local function key(ctx, id)
    find_organization(ctx, id)
    return "/organizations/" .. id .. "/clients"
  end
  return {
    {
      method = "GET", template = "/organizations/{id}/clients", paging = "checkpoint",
      key = "clients", id_field = "client_id",
      handler = function(ctx, _, params)
        local out = arr()
        for i, entry in ipairs(ctx.store:get(key(ctx, params[1])) or {}) do
          out[i] = client_view(ctx, entry)
        end
        return 200, out, true
      end,
    },
    {
      method = "POST", template = "/organizations/{id}/clients", status = 204,
      handler = function(ctx, _, params, body)
        local k = key(ctx, params[1])
        for _, c in ipairs(type(body) == "table" and body.clients or {}) do
          kinds.find_or_404(ctx, "/clients", "client_id", c.client_id, CLIENT_NOT_FOUND)
          local cur = ctx.store:find(k, "client_id", c.client_id)
          if cur then
            cur.use_for_member_access = c.use_for_member_access
          else
            ctx.store:insert(k, { client_id = c.client_id,
                                  use_for_member_access = c.use_for_member_access == true })
          end
        end
        return 204
      end,
    },
    {
      method = "DELETE", template = "/organizations/{id}/clients", status = 204,
      handler = function(ctx, _, params, body)
        local k = key(ctx, params[1])
        for _, id in ipairs(type(body) == "table" and body.clients or {}) do
          ctx.store:delete_item(k, "client_id", type(id) == "table" and id.client_id or id)
        end
        return 204
      end,
    },
    {
      method = "PATCH", template = "/organizations/{id}/clients/{client_id}",
      handler = function(ctx, _, params, body)
        local cur = kinds.find_or_404(ctx, key(ctx, params[1]), "client_id", params[2],
          CLIENT_NOT_FOUND)
        values.merge(cur, type(body) == "table" and body or {})
        return 200, cur
      end,
    },
  }
end

function M.bindings()
  return kinds.join({
    kinds.collection(M.ORGANIZATIONS), { by_name_binding() },
    connection_bindings("/organizations/{id}/enabled_connections"),
    connection_bindings("/organizations/{id}/connections"),
    grant_bindings(), kinds.collection(M.DISCOVERY_DOMAINS), clients_bindings(),
  })
end

function M.fresh(_, state)
  state["/organizations"] = arr()
end

-- /organizations/{id}/connections in a state file means enabled_connections.
function M.normalize(ctx)
  for _, key in ipairs(ctx.store:keys()) do
    local id = key:match("^/organizations/([^/]+)/connections$")
    if id then
      local target = "/organizations/" .. id .. "/enabled_connections"
      if ctx.store:get(target) == nil then ctx.store:set(target, ctx.store:get(key)) end
      ctx.store:remove(key)
    end
  end
end

return M
