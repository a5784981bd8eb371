--[[
a0lua.emulator.resources.connections: /connections, their enabled clients
(/connections/{id}/clients), SCIM configuration and directory provisioning.

The enabled clients of a connection are kept twice, as the API shows them: the key
/connections/{id}/clients ([{client_id}], what GET of that path returns) and the deprecated
`enabled_clients` field of the connection. Every write keeps both the same; a loaded state may
hold either (normalize fills the other). PATCH /connections/{id}/clients takes a delta list
[{client_id, status}] (at least one item). Names are unique (409). PATCH replaces `options` as a
whole, as the real API does.
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

local NOT_FOUND = { message = "The connection does not exist", code = "inexistent_connection" }

local function clients_key(id) return "/connections/" .. id .. "/clients" end

-- Writes the enabled-client ids of a connection to both places.
local function set_enabled(ctx, conn, ids_list)
  local list, field = arr(), arr()
  for i, id in ipairs(ids_list) do
    list[i] = { client_id = id }
    field[i] = id
  end
  conn.enabled_clients = field
  ctx.store:set(clients_key(conn.id), list)
end

local function enabled_ids(ctx, conn)
  local list = ctx.store:get(clients_key(conn.id))
  local out = {}
  if list then
    for i, e in ipairs(list) do out[i] = e.client_id end
  else
    for i, id in ipairs(conn.enabled_clients or {}) do out[i] = id end
  end
  return out
end

-- Removes a deleted client from every connection.
function M.remove_client(ctx, client_id)
  for _, conn in ipairs(ctx.store:get("/connections") or {}) do
    local ids_list, changed = {}, false
    for _, id in ipairs(enabled_ids(ctx, conn)) do
      if id == client_id then changed = true else ids_list[#ids_list + 1] = id end
    end
    if changed then set_enabled(ctx, conn, ids_list) end
  end
end

local function in_values(v, wanted)
  if type(wanted) == "table" then
    for _, w in ipairs(wanted) do
      for part in w:gmatch("[^,]+") do
        if part == v then return true end
      end
    end
    return false
  end
  for part in tostring(wanted):gmatch("[^,]+") do
    if part == v then return true end
  end
  return false
end

M.CONNECTIONS = {
  path = "/connections", id = "id", id_format = { prefix = "con_", length = 16 },
  key = "connections", paging = "both", not_found = NOT_FOUND,
  unique = { { fields = { "name" }, message = "A connection with the same name already exists",
               code = "connection_conflict" } },
  defaults = function()
    return { options = {}, is_domain_connection = false, enabled_clients = arr(),
             authentication = { active = true }, connected_accounts = { active = false } }
  end,
  filters = {
    strategy = function(item, v) return in_values(item.strategy, v) end,
    name = function(item, v) return item.name == v end,
  },
  create = function(_, item)
    item.realms = item.realms or arr({ item.name })
    if item.strategy == "auth0" and values.is_object(item.options) then
      local o = item.options
      if o.brute_force_protection == nil then o.brute_force_protection = true end
      if o.disable_self_service_change_password == nil then
        o.disable_self_service_change_password = false
      end
    end
  end,
  -- The field and the key are always equal, so the field (new from a body, or as it was)
  -- is what both become.
  after_write = function(ctx, item)
    set_enabled(ctx, item, item.enabled_clients or {})
  end,
  on_delete = function(ctx, item)
    for _, org in ipairs(ctx.store:get("/organizations") or {}) do
      local key = "/organizations/" .. org.id .. "/enabled_connections"
      if ctx.store:find(key, "connection_id", item.id) then
        ctx.store:delete_item(key, "connection_id", item.id)
      end
    end
  end,
}

local function find_connection(ctx, id)
  return kinds.find_or_404(ctx, "/connections", "id", id, NOT_FOUND)
end

local function enabled_clients_bindings()
  return {
    {
      method = "GET", template = "/connections/{id}/clients", paging = "checkpoint",
      key = "clients", id_field = "client_id", max_take = 1000,
      handler = function(ctx, _, params)
        local conn = find_connection(ctx, params[1])
        local list = ctx.store:get(clients_key(conn.id))
        if not list then
          set_enabled(ctx, conn, conn.enabled_clients or {})
          list = ctx.store:get(clients_key(conn.id))
        end
        return 200, list, true
      end,
    },
    {
      method = "PATCH", template = "/connections/{id}/clients", status = 204,
      handler = function(ctx, _, params, body)
        local conn = find_connection(ctx, params[1])
        if not values.is_array(body) or #body == 0 then
          errors.raise(400, "Payload validation error: 'Array is too short (0), minimum 1'.",
            "invalid_body")
        end
        local current, seen = enabled_ids(ctx, conn), {}
        for _, id in ipairs(current) do seen[id] = true end
        for _, change in ipairs(body) do
          local id = change.client_id
          if change.status == true and not seen[id] then
            if not ctx.store:find("/clients", "client_id", id) then
              errors.raise(404, ("The client does not exist: %s"):format(tostring(id)),
                "inexistent_client")
            end
            current[#current + 1] = id
            seen[id] = true
          elseif change.status == false and seen[id] then
            seen[id] = nil
            for i, cur in ipairs(current) do
              if cur == id then
                table.remove(current, i)
                break
              end
            end
          end
        end
        set_enabled(ctx, conn, current)
        return 204
      end,
    },
  }
end

local PARENT = { path = "/connections", id = "id", not_found = NOT_FOUND }

-- A provisioning object of a connection (SCIM configuration, directory provisioning): made by
-- POST (once: 409 after), 404 to GET, PATCH or DELETE before. The server fills in the
-- connection's id, name and strategy, an empty mapping, created_at and the time of the last
-- write under updated (the two name it differently); defaults(v) its own fields.
local function provisioning(template, what, missing_code, updated, defaults)
  return {
    template = template, parent = PARENT,
    methods = { get = true, post = true, patch = true, delete = true },
    missing = { message = "Not Found", code = missing_code },
    patch_missing = true, delete_missing = true,
    conflict = { message = what .. " already exists for this connection", code = "conflict" },
    fill = function(ctx, v, params, _, op)
      local conn = ctx.store:find("/connections", "id", params[1])
      v.connection_id, v.connection_name, v.strategy = conn.id, conn.name, conn.strategy
      v.mapping = v.mapping or arr()
      defaults(v)
      if op == "post" then v.created_at = ctx.now() end
      v[updated] = ctx.now()
    end,
  }
end

M.SCIM = provisioning("/connections/{id}/scim-configuration", "SCIM configuration",
  "inexistent_scim_configuration", "updated_on", function(v)
    v.tenant_name = "a0lua-emulator"
    v.user_id_attribute = v.user_id_attribute or "externalId"
  end)

M.DIRECTORY = provisioning("/connections/{id}/directory-provisioning",
  "Directory provisioning", "inexistent_directory_provisioning", "updated_at", function(v)
    if v.synchronize_automatically == nil then v.synchronize_automatically = false end
  end)

M.SYNCED_GROUPS = {
  template = "/connections/{id}/directory-provisioning/synchronized-groups", parent = PARENT,
  methods = { get = true, put = true }, default = function() return { groups = arr() } end,
  put_status = 204,
}

-- Every connection's directory provisioning, as one checkpoint list.
local function provisionings_binding()
  return {
    method = "GET", template = "/connections-directory-provisionings", paging = "checkpoint",
    key = "directory_provisionings", id_field = "connection_id",
    handler = function(ctx)
      local out = arr()
      for _, conn in ipairs(ctx.store:get("/connections") or {}) do
        local v = ctx.store:get("/connections/" .. conn.id .. "/directory-provisioning")
        if v then out[#out + 1] = v end
      end
      return 200, out, true
    end,
  }
end

function M.bindings()
  return kinds.join({ kinds.collection(M.CONNECTIONS), enabled_clients_bindings(),
                      kinds.keyed(M.SCIM), kinds.keyed(M.DIRECTORY),
                      kinds.keyed(M.SYNCED_GROUPS), { provisionings_binding() } })
end

-- A fresh tenant's database connection, enabled for every client but the global one.
function M.fresh(ctx, state)
  local enabled = arr()
  for _, c in ipairs(state["/clients"] or {}) do
    if not c.global then enabled[#enabled + 1] = c.client_id end
  end
  local conn = {
    id = ctx.ids:make({ prefix = "con_", length = 16 }), name = "Username-Password-Authentication",
    strategy = "auth0", is_domain_connection = false, realms = arr({
      "Username-Password-Authentication" }),
    authentication = { active = true }, connected_accounts = { active = false },
    options = {
      mfa = { active = true, return_enroll_settings = true }, passwordPolicy = "good",
      strategy_version = 2, brute_force_protection = true,
      disable_self_service_change_password = false,
      authentication_methods = { passkey = { enabled = false },
        password = { enabled = true, api_behavior = "required", signup_behavior = "allow" } },
    },
    enabled_clients = enabled,
  }
  state["/connections"] = arr({ conn })
  local list = arr()
  for i, id in ipairs(enabled) do list[i] = { client_id = id } end
  state[clients_key(conn.id)] = list
end

-- A state may hold only one of the two forms of enabled clients: fill in the other.
function M.normalize(ctx)
  for _, conn in ipairs(ctx.store:get("/connections") or {}) do
    if conn.id then
      local list = ctx.store:get(clients_key(conn.id))
      if list then
        local field = arr()
        for i, e in ipairs(list) do field[i] = e.client_id end
        conn.enabled_clients = field
      else
        set_enabled(ctx, conn, conn.enabled_clients or {})
      end
    end
  end
end

return M
