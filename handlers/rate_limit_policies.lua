-- handlers/rate_limit_policies.lua: rate limit policies of the Authentication API (a0deploy type
-- `rateLimitPolicies`), docs/handlers.md §rateLimitPolicies.
-- A policy is matched by its consumer_selector; only its configuration can change (the PATCH
-- body is `{configuration}`), and it is compared and sent whole.
local handler = require("a0lua.handler")

local Base = handler.Base

local function config(actions, required, props)
  local properties = { action = { type = "string", enum = actions } }
  for k, v in pairs(props or {}) do properties[k] = v end
  return { required = required, additionalProperties = false, properties = properties }
end

local LIMIT = { type = "number" }

local SCHEMA = {
  type = "object",
  required = { "resource", "consumer", "consumer_selector", "configuration" },
  properties = {
    id = { type = "string" },
    resource = { type = "string", enum = { "oauth_authentication_api" } },
    consumer = { type = "string", enum = { "client" } },
    -- The selectors the API takes: a client by id (or a CIMD client by URL), all CIMD clients,
    -- all third-party clients, or the default for everything else.
    consumer_selector = { type = "string",
      pattern = "^(default|third_party_clients|cimd_clients|client_id:.+)$" },
    configuration = {
      type = "object",
      oneOf = {
        config({ "allow" }, { "action" }),
        config({ "block", "log" }, { "action", "limit" }, { limit = LIMIT }),
        config({ "redirect" }, { "action", "limit", "redirect_uri" },
          { limit = LIMIT, redirect_uri = { type = "string" } }),
      },
    },
    created_at = { type = "string" },
    updated_at = { type = "string" },
  },
}

local M = {
  type = "rateLimitPolicies",
  path = "/rate-limit-policies",
  identifiers = { "id", "consumer_selector" },
  name_field = "consumer_selector",
  list = { paging = "checkpoint", key = "rate_limit_policies", take = 50 },
  schema = SCHEMA,
  -- Fixed once created: what the policy applies to.
  strip_update = { "resource", "consumer", "consumer_selector" },
  read_only = { "created_at", "updated_at" },
}

-- The configuration compares exactly (an `allow` has no limit: the generic comparison would
-- ignore the tenant's), and a change sends it whole, alone.
function M.diff(self, ctx, desired, current)
  current = current or {}
  local want, have = desired.configuration, current.configuration
  if want == nil or handler.deep_equal(want, have) then return nil end
  local _, diffs = Base.diff(self, ctx, { configuration = want }, { configuration = have })
  if not diffs or #diffs == 0 then
    diffs = { { path = "configuration", from = have, to = want } }
  end
  return { configuration = handler.deep_copy(want) }, diffs
end

return M
