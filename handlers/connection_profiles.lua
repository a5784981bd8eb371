-- handlers/connection_profiles.lua: connection profiles (a0deploy type `connectionProfiles`),
-- docs/handlers.md §connectionProfiles. Clients name them (express and my-organization
-- configurations, handlers/clients.lua).
local handler = require("a0lua.handler")

local FEATURES = { type = "string", enum = { "scim", "universal_logout" } }
local MEMBERSHIP = { type = "string", enum = { "none", "optional", "required" } }

local function features()
  return { type = "array", items = FEATURES, uniqueItems = true }
end

-- The strategies a profile may override settings for.
local STRATEGIES = { "pingfederate", "ad", "adfs", "waad", "google-apps", "okta", "oidc", "samlp" }

local function strategy_overrides()
  local props = {}
  for _, s in ipairs(STRATEGIES) do
    props[s] = {
      type = "object",
      properties = { enabled_features = features(), connection_config = { type = "object" } },
    }
  end
  return { type = { "object", "null" }, properties = props }
end

local SCHEMA = handler.named_schema{
  properties = {
    organization = {
      type = "object",
      properties = { show_as_button = MEMBERSHIP, assign_membership_on_login = MEMBERSHIP },
    },
    connection_name_prefix_template = { type = "string" },
    enabled_features = features(),
    connection_config = { type = { "object", "null" } },
    strategy_overrides = strategy_overrides(),
  },
}

local LIST = { paging = "checkpoint", key = "connection_profiles", take = 10 }

-- The generic list handler's defaults hold (architecture.md §8.2): identifiers id, name; nothing
-- stripped or secret; PATCH.
local M = {
  type = "connectionProfiles", path = "/connection-profiles", list = LIST, schema = SCHEMA,
}

-- GET /connection-profiles (checkpoint, take 10); a tenant without the feature has none.
function M.fetch(self, ctx)
  return handler.optional_list(ctx, self.path, handler.deep_copy(self.list))
end

return M
