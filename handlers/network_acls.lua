-- handlers/network_acls.lua: the tenant's access control list (a0deploy type `networkACLs`),
-- docs/handlers.md §networkACLs.
-- An ACL is matched by its priority (the API keeps one ACL per priority), then by its
-- description: a0deploy's third identifier, `active`, pairs any two ACLs with the same boolean
-- (docs/compat.md). The rule is compared and sent whole: a PATCH replaces it.
local handler = require("a0lua.handler")


local function strings(item)
  return { type = "array", items = item or { type = "string" }, uniqueItems = true, minItems = 1 }
end

-- The signals a rule can match, as the API has them (auth0_managed: a0deploy's schema and the
-- Management API SDK; the others: the OpenAPI document).
local MATCH = {
  type = "object",
  additionalProperties = false,
  properties = {
    asns = strings({ type = "integer" }),
    auth0_managed = strings({ type = "string", pattern = "^auth0\\.[^.\\s]+$" }),
    geo_country_codes = strings(),
    geo_subdivision_codes = strings(),
    ipv4_cidrs = strings(),
    ipv6_cidrs = strings(),
    ja3_fingerprints = strings(),
    ja4_fingerprints = strings(),
    user_agents = strings(),
    hostnames = strings(),
    connecting_ipv4_cidrs = strings(),
    connecting_ipv6_cidrs = strings(),
  },
}

local function flag(name)
  return {
    type = "object",
    required = { name },
    additionalProperties = false,
    properties = { [name] = { type = "boolean", enum = { true } } },
  }
end

local REDIRECT = {
  type = "object",
  required = { "redirect", "redirect_uri" },
  additionalProperties = false,
  properties = {
    redirect = { type = "boolean", enum = { true } },
    redirect_uri = { type = "string", minLength = 1, maxLength = 2000 },
  },
}

-- a0deploy's scopes are management, authentication and tenant; the API also has
-- dynamic_client_registration (docs/compat.md).
local SCOPES = { "management", "authentication", "tenant", "dynamic_client_registration" }

-- A rule matches (match), or does not match (not_match), or both; it has one action.
local function rule_with(required)
  return {
    type = "object",
    required = { "action", "scope", required },
    additionalProperties = false,
    properties = {
      action = { type = "object", anyOf = { flag("block"), flag("allow"), flag("log"),
        REDIRECT } },
      match = MATCH,
      not_match = MATCH,
      scope = { type = "string", enum = SCOPES },
    },
  }
end

local SCHEMA = {
  type = "object",
  required = { "description", "active", "priority", "rule" },
  additionalProperties = false,
  properties = {
    id = { type = "string" },
    description = { type = "string", maxLength = 255 },
    active = { type = "boolean" },
    priority = { type = "number", minimum = 1, maximum = 100 },
    rule = { anyOf = { rule_with("match"), rule_with("not_match") } },
    created_at = { type = "string" },
    updated_at = { type = "string" },
  },
}

local M = {
  type = "networkACLs",
  path = "/network-acls",
  -- priority is unique on a tenant; an ACL whose priority changed is found by its description
  identifiers = { "id", "priority", "description" },
  -- also what must be unique in the files (handler.check_unique): the API refuses a second ACL
  -- of one priority
  name_field = "priority",
  list = { paging = "offset", key = "network_acls" },
  schema = SCHEMA,
  read_only = { "created_at", "updated_at" },
  -- a0deploy writes no networkACLs key (YAML) and no folder (directory) for a tenant without ACLs
  export_empty = false,
}

-- The rule compares exactly: a signal the files removed is a difference (the generic comparison
-- would ignore what only the tenant has), and a changed rule is sent whole.
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  local want, have = desired.rule, current.rule
  if type(want) == "table" and not handler.deep_equal(want, have)
      and not (payload and payload.rule) then
    payload, diffs = handler.add_change(payload, diffs, "rule", handler.deep_copy(want), have)
  end
  return payload, diffs
end)

return M
