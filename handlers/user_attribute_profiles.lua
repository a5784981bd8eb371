-- handlers/user_attribute_profiles.lua: user attribute profiles (a0deploy type
-- `userAttributeProfiles`), docs/handlers.md §userAttributeProfiles. Clients and self-service
-- profiles name them (handlers/clients.lua, handlers/self_service_profiles.lua).
local handler = require("a0lua.handler")


local STRATEGIES = { "pingfederate", "ad", "adfs", "waad", "google-apps", "okta", "oidc", "samlp" }

local function str(min, max) return { type = "string", minLength = min, maxLength = max } end

local function saml_mapping(unique)
  return { type = "array", items = unique and str(1, 128) or { type = "string" }, minItems = 1,
    maxItems = 3, uniqueItems = unique or nil }
end

local function oidc_mapping()
  return {
    type = "object", additionalProperties = false, required = { "mapping" },
    properties = { mapping = { type = "string" }, display_name = str(1, 50) },
  }
end

-- strategy -> item schema, for each strategy a profile may override.
local function per_strategy(item)
  local props = {}
  for _, s in ipairs(STRATEGIES) do props[s] = item() end
  return props
end

-- How the user id maps per strategy (user_id.strategy_overrides): an enum for OIDC.
local function user_id_override()
  return {
    type = "object", additionalProperties = false,
    properties = {
      oidc_mapping = { type = "string", enum = { "sub", "oid", "email" }, minLength = 1,
        maxLength = 50 },
      saml_mapping = saml_mapping(false),
      scim_mapping = { type = "string", default = "externalId" },
    },
  }
end

-- How one attribute maps per strategy (user_attributes.<name>.strategy_overrides).
local function attribute_override()
  return {
    type = "object", additionalProperties = false,
    properties = { oidc_mapping = oidc_mapping(), saml_mapping = saml_mapping(true),
      scim_mapping = str(1, 128) },
  }
end

-- a0deploy's schema, defaults included (they are injected, then sent, as a0deploy does).
local SCHEMA = handler.named_schema{
  properties = {
    user_id = {
      type = "object",
      properties = {
        oidc_mapping = { type = "string", enum = { "sub" }, default = "sub" },
        saml_mapping = saml_mapping(false),
        scim_mapping = { type = "string", default = "externalId" },
        strategy_overrides = { type = "object", properties = per_strategy(user_id_override) },
      },
    },
    user_attributes = {
      type = "object",
      minProperties = 1,
      maxProperties = 64,
      additionalProperties = {
        type = "object",
        required = { "description", "label", "profile_required", "auth0_mapping" },
        additionalProperties = false,
        properties = {
          description = str(1, 128),
          label = str(1, 128),
          profile_required = { type = "boolean" },
          auth0_mapping = str(1, 50),
          oidc_mapping = oidc_mapping(),
          saml_mapping = saml_mapping(true),
          scim_mapping = str(1, 128),
          strategy_overrides = { type = "object", additionalProperties = false,
            properties = per_strategy(attribute_override) },
        },
      },
    },
  },
}

local LIST = { paging = "checkpoint", key = "user_attribute_profiles", take = 10,
  query = { is_global = false } }

-- The generic list handler's defaults hold (architecture.md §8.2): identifiers id, name; nothing
-- stripped or secret; PATCH.
local M = {
  type = "userAttributeProfiles", path = "/user-attribute-profiles", list = LIST, schema = SCHEMA,
}

-- GET /user-attribute-profiles?is_global=false (checkpoint, take 10); a tenant without the
-- feature has none.
function M.fetch(self, ctx)
  return handler.optional_list(ctx, self.path, handler.deep_copy(self.list))
end

-- The attributes are one map, replaced as a whole by PATCH: an attribute the files no longer
-- name is a difference too (the generic comparison ignores keys only the tenant has).
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  local want, have = desired.user_attributes, current.user_attributes
  if type(want) ~= "table" or type(have) ~= "table" or (payload and payload.user_attributes) then
    return payload, diffs
  end
  for name in pairs(have) do
    if want[name] == nil then
      payload, diffs = payload or {}, diffs or {}
      payload.user_attributes = handler.deep_copy(want)
      diffs[#diffs + 1] = { path = "user_attributes." .. tostring(name), from = have[name] }
    end
  end
  return payload, diffs
end)

return M
