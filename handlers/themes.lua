-- handlers/themes.lua: the Universal Login theme (a0deploy type `themes`), docs/handlers.md
-- §themes. A tenant has at most one theme: only the files' first is deployed, matched to the
-- tenant's whatever its themeId, and sent whole (the API's update body requires every group).
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local api_schemas = require("a0lua.emulator.validate")

local NULL = json.null
local Base = handler.Base

local DEFAULT_PATH = "/branding/themes/default"

-- a0deploy's schema is the API's create body (ranges, colour and URL patterns, no extra keys),
-- plus the themeId an export with AUTH0_EXPORT_IDENTIFIERS keeps.
local function schema()
  local s = handler.deep_copy(api_schemas.linked("CreateBrandingThemeRequestContent"))
  s.properties.themeId = { type = "string" }
  return s
end

local M = {
  type = "themes",
  path = "/branding/themes",
  id = "themeId",
  identifiers = { "themeId" },
  name_field = "displayName",
  schema = schema(),
  strip_create = { "themeId" },
  strip_update = { "themeId" },
  -- fetch is told whether the files set a theme (a tenant without the feature)
  read_wanted = true,
}

local status_of = handler.status_of

local warn = handler.warn

-- GET /branding/themes/default: 404 is no theme. A 400 is a tenant without Universal Login
-- customisation: an export leaves the type out (as a0deploy does); a plan whose files set a
-- theme fails, naming the cause, before anything is written.
function M.fetch(self, ctx, want)
  local theme, err = ctx.api:request("GET", DEFAULT_PATH)
  if theme ~= nil then return json.array{ theme } end
  local status = status_of(err)
  if status == 404 then return json.array() end
  if status == 400 then
    if type(want) == "table" and want ~= NULL and #want > 0 then
      return nil, { code = "fetch", type = self.type, status = 400,
        message = "themes: the tenant cannot have a theme (Universal Login customisation is "
          .. "not enabled: " .. tostring(err.message or "400") .. "); exclude the type "
          .. "(AUTH0_EXCLUDED)" }
    end
    return NULL
  end
  return nil, err
end

-- Only the first theme is deployed (a tenant has one); it takes the tenant's themeId, so that
-- it updates the tenant's theme whatever id the files carry.
function M.resolve(_, ctx, desired)
  if type(desired) ~= "table" or desired == NULL then return desired end
  if #desired > 1 then
    warn(ctx, ("themes: only the first of the %d themes is deployed (a tenant has one)")
      :format(#desired))
  end
  local out = json.array()
  local first = desired[1]
  if type(first) == "table" and first ~= NULL then
    local current = ctx.current and ctx.current.themes
    local have = type(current) == "table" and current ~= NULL and current[1] or nil
    first.themeId = have and have.themeId or nil
    out[1] = first
  end
  return out
end

-- Any difference sends the whole theme (the update body requires borders, colors, fonts,
-- page_background and widget); an equal theme sends nothing.
function M.diff(self, ctx, desired, current)
  local payload, diffs = Base.diff(self, ctx, desired, current)
  if payload == nil then return nil end
  return handler.strip(desired, { "themeId" }), diffs
end

-- POST, sent again if its answer is lost (a 409 then means the lost one made the theme: it is
-- read back).
function M.create(self, ctx, payload)
  local created, res = ctx.api:request("POST", self.path, { body = payload, idempotent = true })
  if created == nil then return nil, res end
  if type(res) == "table" and res.recovered then
    return ctx.api:request("GET", DEFAULT_PATH)
  end
  return created
end

return M
