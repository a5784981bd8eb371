-- handlers/resource_servers.lua: APIs (a0deploy type `resourceServers`),
-- docs/handlers.md §resourceServers.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local Base = handler.Base

local MANAGEMENT_API = "Auth0 Management API"
local MY_ACCOUNT_API = "Auth0 My Account API"

-- What a system API (is_system, e.g. the My Account API) keeps when read, and what its PATCH may
-- carry.
local SYSTEM_READ = { "token_lifetime", "proof_of_possession",
  "skip_consent_for_verifiable_first_party_clients", "name", "identifier", "id", "is_system",
  "authorization_policy" }
local SYSTEM_UPDATE = { "token_lifetime", "proof_of_possession",
  "skip_consent_for_verifiable_first_party_clients", "subject_type_authorization",
  "authorization_policy" }

local SCHEMA = {
  type = "object",
  required = { "name", "identifier" },
  properties = {
    name = { type = "string" },
    identifier = { type = "string" },
    scopes = handler.objects_schema(
      { name = { type = "string" }, description = { type = "string" } }),
    enforce_policies = { type = "boolean" },
    token_dialect = { type = "string" },
    proof_of_possession = {
      type = "object",
      required = { "mechanism", "required" },
      properties = {
        mechanism = { type = "string", enum = { "mtls", "dpop" } },
        required = { type = "boolean" },
        required_for = { type = "string", enum = { "public_clients", "all_clients" } },
      },
    },
    subject_type_authorization = {
      type = "object",
      additionalProperties = false,
      properties = {
        user = {
          type = "object",
          properties = {
            policy = {
              type = "string", enum = { "allow_all", "deny_all", "require_client_grant" },
            },
          },
        },
        client = {
          type = "object",
          properties = {
            policy = { type = "string", enum = { "deny_all", "require_client_grant" } },
          },
        },
      },
    },
    client_id = { type = "string", readOnly = true },
  },
}

local M = {
  type = "resourceServers",
  path = "/resource-servers",
  -- Matched by the audience, not by name (docs/handlers.md §resourceServers).
  identifiers = { "id", "identifier" },
  list = { paging = "offset", key = "resource_servers" },
  schema = SCHEMA,
  -- token_lifetime_for_web is read-only (the API derives it from token_lifetime and refuses it in a
  -- body), yet exports of other tools carry it: never send it, never compare it, never write it.
  strip_create = { "client_id", "is_system" },
  strip_update = { "identifier", "client_id", "is_system", "id" },
  read_only = { "token_lifetime_for_web" },
  ignore_diff = { "token_lifetime_for_web" },
}

local function pick(item, fields)
  local out = {}
  for _, f in ipairs(fields) do out[f] = item[f] end
  return out
end

local function is_system(item)
  return type(item) == "table" and (item.is_system == true or item.name == MY_ACCOUNT_API)
end

-- The Management API is never listed; system APIs are reduced to what can be managed.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil then return nil, err end
  local out = json.array()
  for _, rs in ipairs(list) do
    if rs.name ~= MANAGEMENT_API then
      if rs.is_system == true then rs = pick(rs, SYSTEM_READ) end
      out[#out + 1] = rs
    end
  end
  return out
end

-- Configuring the Management API is an error (docs/handlers.md §resourceServers).
function M.validate(_, _, items, report)
  for i, rs in handler.items(items) do
    if rs.name == MANAGEMENT_API then
      report(i, "name", "You can not configure the '" .. MANAGEMENT_API .. "'.")
    end
  end
end

-- A system API's PATCH carries only the fields such an API accepts.
function M.diff(self, ctx, desired, current)
  local payload, diffs = Base.diff(self, ctx, desired, current)
  if payload == nil or not (is_system(current) or is_system(desired)) then
    return payload, diffs
  end
  local allowed = {}
  for _, f in ipairs(SYSTEM_UPDATE) do allowed[f] = true end
  return handler.keep_fields(payload, diffs, function(field) return allowed[field] end)
end

-- The read-only client_id link (an API's own client) is written as that client's name.
function M.export(_, ctx, item)
  if item.client_id ~= nil then
    local name = handler.id_to_name(ctx, "clients", item.client_id)
    if name ~= nil then item.client_id = name end
  end
  return item
end

return M
