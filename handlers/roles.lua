-- handlers/roles.lua: tenant roles and their permissions (a0deploy type `roles`),
-- docs/handlers.md §roles.
-- Permissions are a sub-resource (/roles/{id}/permissions): added and removed by difference.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local NULL = json.null
local Base = handler.Base

local SCHEMA = handler.named_schema{
  properties = {
    description = { type = "string" },
    type = { type = "string", enum = { "tenant", "organization" } },
    permissions = handler.objects_schema({
      permission_name = { type = "string" },
      resource_server_identifier = { type = "string" },
    }),
  },
}

local M = {
  type = "roles",
  path = "/roles",
  list = { paging = "offset", key = "roles" },
  schema = SCHEMA,
  strip_update = { "permissions", "id", "type" },
}

local function perm_key(p)
  return tostring(p.resource_server_identifier) .. "\0" .. tostring(p.permission_name)
end

local function reduce(p)
  return { permission_name = p.permission_name,
    resource_server_identifier = p.resource_server_identifier }
end

-- Permissions in a stable order (by API, then name), so that order never counts as a change.
local function sorted(perms)
  local out = json.array()
  for _, p in ipairs(type(perms) == "table" and perms or {}) do
    if type(p) == "table" then out[#out + 1] = reduce(p) end
  end
  table.sort(out, function(a, b) return perm_key(a) < perm_key(b) end)
  return out
end

local function perms_path(id)
  return "/roles/" .. handler.escape(id) .. "/permissions"
end

-- Tenant roles only (organization roles are not managed), each with its permissions reduced to
-- {permission_name, resource_server_identifier}.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil then return nil, err end
  local roles = json.array()
  for _, r in ipairs(list) do
    if r.type == nil or r.type == "tenant" then roles[#roles + 1] = r end
  end
  return handler.complete_each(roles, function(role)
    local perms, perr = ctx.api:list(perms_path(role.id),
      { paging = "offset", key = "permissions", per_page = 100 })
    if perms then
      role.permissions = sorted(perms)
    elseif type(perr) == "table" and (perr.status == 404 or perr.status == 501) then
      role.permissions = json.array()
    else
      return nil, perr
    end
    return true
  end)
end

-- Permissions compare as a set; the rest as the generic handler does.
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  if desired.permissions ~= nil and desired.permissions ~= NULL then
    local want, have = sorted(desired.permissions), sorted(current.permissions)
    if not handler.deep_equal(want, have) then
      payload, diffs = handler.add_change(payload, diffs, "permissions", want, current.permissions)
    end
  end
  return payload, diffs
end)

-- Adds and removes permissions so that the role has `want` (have: what it has now).
local function sync_permissions(ctx, id, want, have)
  local want_set, have_set = {}, {}
  for _, p in ipairs(want or {}) do want_set[perm_key(p)] = p end
  for _, p in ipairs(have or {}) do have_set[perm_key(p)] = p end
  local add, remove = json.array(), json.array()
  for _, p in ipairs(sorted(want)) do
    if not have_set[perm_key(p)] then add[#add + 1] = p end
  end
  for _, p in ipairs(sorted(have)) do
    if not want_set[perm_key(p)] then remove[#remove + 1] = p end
  end
  local writes = { { "DELETE", remove }, { "POST", add, true } }
  return handler.send_each(ctx, writes, function(w)
    if #w[2] == 0 then return nil end
    return w[1], perms_path(id), { body = { permissions = w[2] }, idempotent = w[3] }
  end)
end

-- The role itself, without its permissions (requests of their own).
M.write_request = handler.own_write_request({ "permissions", "type" })

-- POST the role without its permissions, then POST the permissions.
function M.create(self, ctx, payload)
  local perms = payload.permissions
  local created, err = handler.create_own_named(self, ctx, payload)
  if created == nil then return nil, err end
  if type(perms) == "table" and #perms > 0 then
    local ok, perr = sync_permissions(ctx, created.id, perms, {})
    if not ok then return nil, perr end
  end
  return created
end

-- PATCH the role when its own fields differ, then the permissions by difference.
function M.update(self, ctx, current, payload)
  return handler.update_then(self, ctx, current, payload, function()
    if payload.permissions == nil then return true end
    return sync_permissions(ctx, current.id, payload.permissions, current.permissions)
  end)
end

-- A null description is not written.
function M.export(_, _, item)
  if item.description == NULL then item.description = nil end
  return item
end

return M
