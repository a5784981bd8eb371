-- handlers/self_service_profiles.lua: self-service SSO profiles (a0deploy type
-- `selfServiceProfiles`), docs/handlers.md §selfServiceProfiles.
-- Each profile's custom text (customText.<language>.<page>) is a sub-resource of its own:
-- PUT /self-service-profiles/{id}/custom-text/{language}/{page}, written only when it differs.
-- user_attribute_profile_id may name a user attribute profile; it is sent as that profile's id.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base

local STRATEGIES = { "oidc", "samlp", "waad", "google-apps", "adfs", "okta", "auth0-samlp",
  "okta-samlp", "keycloak-samlp", "pingfederate" }

-- The custom text a0deploy reads: the only language and page the API has.
local LANGUAGE, PAGE = "en", "get-started"

local SCHEMA = handler.named_schema{
  properties = {
    description = { type = "string" },
    user_attributes = handler.objects_schema({
      name = { type = "string" },
      description = { type = "string" },
      is_optional = { type = "boolean" },
    }),
    allowed_strategies = { type = "array", items = { type = "string", enum = STRATEGIES } },
    branding = {
      type = "object",
      properties = {
        logo_url = { type = "string" },
        colors = {
          type = "object", required = { "primary" },
          properties = { primary = { type = "string" } },
        },
      },
    },
    customText = {
      type = "object",
      properties = {
        [LANGUAGE] = { type = "object", properties = { [PAGE] = { type = "object" } } },
      },
    },
    user_attribute_profile_id = { type = "string" },
  },
}

local M = {
  type = "selfServiceProfiles",
  path = "/self-service-profiles",
  list = { paging = "offset", key = "self_service_profiles" },
  schema = SCHEMA,
  -- (customText is kept in the create payload: it is written after the POST, write_request)
  strip_update = { "customText" },
  read_only = { "created_at", "updated_at" },
  -- A name that is neither in the files nor on the tenant fails the plan with its file:line, as
  -- a0deploy fails the import (docs/architecture.md §4.7).
  references = { { path = "user_attribute_profile_id", type = "userAttributeProfiles",
    strict = true } },
}

local is_object = util.is_object

local function is_empty(v)
  return v == nil or v == NULL or (type(v) == "table" and next(v) == nil)
end

local function text_path(id, language, page)
  return ("/self-service-profiles/%s/custom-text/%s/%s"):format(handler.escape(id),
    handler.escape(language), handler.escape(page))
end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- The profiles, each with customText.en["get-started"] when that text is set.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil then return nil, err end
  return handler.complete_each(list, function(profile)
    local text, rerr = ctx.api:request("GET", text_path(profile.id, LANGUAGE, PAGE))
    if is_object(text) and next(text) ~= nil then
      profile.customText = { [LANGUAGE] = { [PAGE] = text } }
    elseif text == nil and not (type(rerr) == "table" and rerr.status == 404) then
      return nil, rerr
    end
    return true
  end)
end

--------------------------------------------------------------------------------------------------
-- Import

-- A profile cannot both name a user attribute profile and list its own attributes.
function M.validate(_, _, items, report)
  for i, p in handler.items(items) do
    if type(p.user_attribute_profile_id) == "string"
        and p.user_attribute_profile_id:match("%S") and type(p.user_attributes) == "table"
        and #p.user_attributes > 0 then
      report(i, "user_attribute_profile_id", ("self-service profile %s has both "
        .. "user_attribute_profile_id and user_attributes: remove one"):format(tostring(p.name)))
    end
  end
end

-- A user attribute profile's name becomes its id. A name the tenant does not have yet stays: it
-- is a profile this run creates, and the change is computed again, with its id, once the user
-- attribute profiles are written (a0lua.apply).
M.resolve = handler.resolve_each(function(ctx, p)
  local name = p.user_attribute_profile_id
  if type(name) == "string" then
    p.user_attribute_profile_id = handler.name_to_id(ctx, "userAttributeProfiles", name) or name
  end
end)

-- The custom text pages of `desired` that differ from the tenant's: {language = {page = text}}.
local function changed_text(desired, current)
  local want = desired.customText
  if not is_object(want) then return nil end
  local have = is_object(current.customText) and current.customText or {}
  local out
  for language, pages in pairs(want) do
    for page, text in pairs(is_object(pages) and pages or {}) do
      local old = is_object(have[language]) and have[language][page] or nil
      if is_object(text) and not handler.deep_equal(text, old or {}) then
        out = out or {}
        out[language] = out[language] or {}
        out[language][page] = handler.deep_copy(text)
      end
    end
  end
  return out
end

-- The profile's own fields as the generic handler compares them; the custom text page by page.
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  local text = changed_text(desired, current)
  if text then
    payload, diffs = payload or {}, diffs or {}
    payload.customText = text
    for language, pages in pairs(text) do
      for page in pairs(pages) do
        diffs[#diffs + 1] = { path = ("customText.%s.%s"):format(language, page),
          from = handler.get_path(current, "customText." .. language .. "." .. page),
          to = pages[page] }
      end
    end
  end
  return payload, diffs
end)

-- The profile's own request, without its custom text. An empty allowed_strategies is left out
-- of a create: the API refuses it (minItems 1) and gives a new profile none anyway.
function M.write_request(self, _, op, payload, current)
  if op == "create" then
    local body = handler.strip(payload, self.strip_create)
    body.customText = nil
    if type(body.allowed_strategies) == "table" and next(body.allowed_strategies) == nil then
      body.allowed_strategies = nil
    end
    return "POST", self.path, body
  end
  local body = handler.strip(payload, self.strip_update)
  body[self.id] = nil
  if next(body) == nil or current == nil then return nil end
  return "PATCH", handler.item_path(self, current.id), body
end

-- PUT each page of custom text in `text` ({language = {page = text}}).
local function put_text(ctx, id, text)
  for language, pages in pairs(text or {}) do
    for page, value in pairs(pages) do
      if not is_empty(value) then
        local ok, err = handler.send(ctx, "PUT", text_path(id, language, page), { body = value })
        if not ok then return nil, err end
      end
    end
  end
  return true
end

function M.create(self, ctx, payload)
  return handler.create_then(self, ctx, payload, function(created)
    return put_text(ctx, created.id, changed_text(payload, {}))
  end)
end

-- PATCH the profile when its own fields differ, then PUT the custom text that differs.
function M.update(self, ctx, current, payload)
  return handler.update_then(self, ctx, current, payload, function()
    return put_text(ctx, current.id, payload.customText)
  end)
end

--------------------------------------------------------------------------------------------------
-- Export

-- The user attribute profile by name; its attributes are then the profile's, not these.
function M.export(_, ctx, item)
  local id = item.user_attribute_profile_id
  if type(id) == "string" then
    item.user_attribute_profile_id = handler.id_to_name(ctx, "userAttributeProfiles", id) or id
    if type(item.user_attributes) == "table" and next(item.user_attributes) == nil then
      item.user_attributes = nil
    end
  end
  return item
end

return M
