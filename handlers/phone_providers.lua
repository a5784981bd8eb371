-- handlers/phone_providers.lua: the tenant's phone provider (a0deploy type `phoneProviders`),
-- docs/handlers.md §phoneProviders. A list in the files, but the API keeps one provider per
-- tenant: the first item is the provider, matched with the tenant's whatever its name. Its
-- credentials (Twilio's auth_token) are write-only: never compared, sent only with a write that
-- happens anyway, exported as a0deploy's placeholder unless AUTH0_EXPORT_SECRETS.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local Base = handler.Base

local DELIVERY_METHODS = {
  type = "array", minItems = 1, uniqueItems = true,
  items = { type = "string", enum = { "text", "voice" } },
}

-- a0deploy's schema: a Twilio or a custom configuration, a Twilio token or no credentials.
local SCHEMA = {
  type = "object",
  additionalProperties = false,
  properties = {
    id = { type = "string", minLength = 1, maxLength = 255 },
    name = { type = "string", enum = { "twilio", "custom" }, minLength = 1, maxLength = 100 },
    disabled = { type = "boolean" },
    configuration = {
      type = "object",
      anyOf = {
        { type = "object", required = { "sid", "delivery_methods" }, additionalProperties = false,
          properties = { default_from = { type = "string" }, mssid = { type = "string" },
            sid = { type = "string" }, delivery_methods = DELIVERY_METHODS } },
        { type = "object", required = { "delivery_methods" }, additionalProperties = false,
          properties = { delivery_methods = DELIVERY_METHODS } },
      },
    },
    credentials = {
      anyOf = {
        { type = "object", required = { "auth_token" }, additionalProperties = false,
          properties = { auth_token = { type = "string", minLength = 1, maxLength = 255 } } },
        { type = "object", additionalProperties = false, properties = {} },
      },
    },
  },
}

-- What the API sets: never sent, never compared, not exported.
local SERVER_FIELDS = { "tenant", "channel", "created_at", "updated_at" }
-- The placeholder a0deploy exports for a Twilio provider's token.
local TOKEN_PLACEHOLDER = "##TWILIO_AUTH_TOKEN##"
-- What both sides carry for matching (resolve and fetch): the API keeps one provider per
-- tenant, so the file's provider is the tenant's one whatever its name.
local MATCH_FIELD, MATCH_VALUE = "channel", "phone"

local M = {
  type = "phoneProviders",
  path = "/branding/phone/providers",
  identifiers = { "id", MATCH_FIELD },
  list = { paging = "none", key = "providers" },
  schema = SCHEMA,
  read_only = SERVER_FIELDS,
  ignore_diff = { "credentials" },
}

M.TOKEN_PLACEHOLDER = TOKEN_PLACEHOLDER

local is_obj = handler.is_table

local warn = handler.warn

-- One GET; every provider of the tenant carries the match field (the API's channel).
function M.fetch(self, ctx, want)
  local items, err = Base.fetch(self, ctx, want)
  if items == nil then return nil, err end
  for _, item in ipairs(items) do
    if is_obj(item) and item[MATCH_FIELD] == nil then item[MATCH_FIELD] = MATCH_VALUE end
  end
  return items
end

-- Only the first provider is used (a0deploy warns too); it matches the tenant's provider. The
-- token from the files is masked in everything logged.
function M.resolve(_, ctx, desired)
  if type(desired) ~= "table" or #desired == 0 then return desired end
  if #desired > 1 then
    warn(ctx, ("phoneProviders: %d providers in the files; a tenant has one, only the first "
      .. "(%s) is deployed"):format(#desired, tostring(is_obj(desired[1]) and desired[1].name)))
  end
  local first = desired[1]
  local out = json.array()
  if not is_obj(first) then return out end
  first[MATCH_FIELD] = MATCH_VALUE
  local creds = first.credentials
  if is_obj(creds) then handler.mask_secret(ctx, creds.auth_token) end
  out[1] = first
  return out
end

local function has_credentials(item)
  return is_obj(item.credentials) and next(item.credentials) ~= nil
end

-- Compared without the credentials (the tenant never shows them); when something else differs
-- the file's credentials go along, so a rotated token reaches the tenant with the change.
function M.diff(self, ctx, desired, current)
  local payload, diffs = Base.diff(self, ctx, desired, current)
  if payload == nil then return nil end
  if has_credentials(desired) then
    payload.credentials = handler.deep_copy(desired.credentials)
    diffs[#diffs + 1] = { path = "credentials", from = nil,
      to = "(write-only: sent with this change)" }
  end
  return payload, diffs
end

-- The create body always has credentials (the API requires them): a custom provider has none.
function M.write_request(self, ctx, op, payload, current)
  if op == "create" then
    local body = handler.strip(payload, self.strip_create)
    body[MATCH_FIELD], body.id = nil, nil
    if body.credentials == nil and body.name == "custom" then body.credentials = {} end
    return "POST", self.path, body
  end
  return Base.write_request(self, ctx, op, payload, current)
end

-- A create whose answer was lost (or met a 409) is looked up in the providers list by name.
function M.create(self, ctx, payload)
  local _, _, body = self:write_request(ctx, "create", payload)
  return ctx.api:create(self.path, body, { list = handler.deep_copy(self.list),
    find = function(item) return type(item) == "table" and item.name == body.name end })
end

-- A Twilio provider exports its token as a0deploy's placeholder unless AUTH0_EXPORT_SECRETS;
-- with it the token is absent (the API never shows it), and so are a custom provider's.
function M.export(_, ctx, item)
  local cfg = ctx.config or {}
  item.credentials = nil
  if item.name == "twilio" and not cfg.AUTH0_EXPORT_SECRETS then
    item.credentials = { auth_token = TOKEN_PLACEHOLDER }
  end
  return item
end

return M
