-- handlers/branding.lua: the branding settings and the Universal Login page template (a0deploy
-- type `branding`), docs/handlers.md §branding. A singleton: the settings are PATCHed when they
-- differ, the template is PUT when its body differs, and nothing is ever deleted.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local api_schemas = require("a0lua.emulator.validate")

local NULL = json.null
local Base = handler.Base

local TEMPLATE_PATH = "/branding/templates/universal-login"
-- The one template the API has, under the name the files give it.
local TEMPLATE = "universal_login"
local PROMPTS_PATH = "/prompts"

-- The settings as the API's update body types them (enums and all), and the templates as
-- a0deploy's schema has them. Keys the API's body lacks are left to the preflight (the API's
-- answer may show more than its update takes).
local function schema()
  local s = handler.deep_copy(api_schemas.linked("UpdateBrandingRequestContent"))
  s.additionalProperties = nil
  s.minProperties = nil
  s.properties.templates = {
    type = "array",
    items = {
      type = "object",
      required = { "template" },
      properties = { template = { type = "string" }, body = { type = "string" } },
    },
  }
  return s
end

local M = {
  type = "branding",
  kind = "singleton",
  path = "/branding",
  schema = schema(),
  -- a plan reads the template only when the files set one
  read_wanted = true,
}

M.TEMPLATE = TEMPLATE

local is_obj = handler.is_table

local status_of = handler.status_of

local warn = handler.warn

-- The body of the universal_login entry of a templates list (nil when there is none).
local function template_body(templates)
  for _, t in ipairs(is_obj(templates) and templates or {}) do
    if is_obj(t) and t.template == TEMPLATE and type(t.body) == "string" then return t.body end
  end
  return nil
end

-- Does the desired value set a template body a plan must compare?
local function wants_template(want)
  return is_obj(want) and template_body(want.templates) ~= nil
end

-- GET /branding; the template only when the files set one (want, a plan) or for an export
-- (want nil). The API refuses the template (400) to a tenant without a custom domain, and 404
-- is a template never set: both read as no template. 403 (scope) is a warning, as in a0deploy.
function M.fetch(self, ctx, want)
  local settings, err = ctx.api:request("GET", self.path)
  if settings == nil then return nil, err end
  if not is_obj(settings) then settings = {} end
  local templates = json.array()
  if want == nil or wants_template(want) then
    local body, terr = ctx.api:request("GET", TEMPLATE_PATH)
    local status = status_of(terr)
    if body ~= nil then
      local text = is_obj(body) and body.body or body
      if type(text) == "string" then
        templates[1] = { template = TEMPLATE, body = text }
      end
    elseif status == 403 then
      warn(ctx, "branding: cannot read the Universal Login template (missing scope "
        .. "read:branding?): templates left out")
    elseif status ~= 400 and status ~= 404 and status ~= 501 then
      return nil, terr
    end
  end
  settings.templates = templates
  return settings
end

local function count(text, word)
  local _, n = text:gsub(word, "")
  return n
end

-- The API refuses a template without exactly one auth0:head tag and at least one auth0:widget
-- tag (400 "The template must contain a single auth0:head tag and at least one auth0:widget
-- tag."): said here with the file's line, before anything is written.
function M.validate(_, _, branding, report)
  if not is_obj(branding) then return end
  for i, t in ipairs(is_obj(branding.templates) and branding.templates or {}) do
    if is_obj(t) and t.template == TEMPLATE and type(t.body) == "string"
        and (count(t.body, "auth0:head") ~= 1 or count(t.body, "auth0:widget") < 1) then
      report(nil, "templates." .. (i - 1) .. ".body", "the template must contain a single "
        .. "auth0:head tag and at least one auth0:widget tag (the API refuses it otherwise)")
    end
  end
end

-- Unknown template names are warned about and dropped (the API has one template); logo_url ""
-- is not sent (the API refuses it; a0deploy drops it too).
function M.resolve(_, ctx, desired)
  if not is_obj(desired) then return desired end
  if desired.logo_url == "" then desired.logo_url = nil end
  if is_obj(desired.templates) then
    local kept = json.array()
    for _, t in ipairs(desired.templates) do
      if is_obj(t) and t.template == TEMPLATE then
        kept[#kept + 1] = t
      elseif is_obj(t) then
        warn(ctx, ("branding: unknown template %q is not deployed (the API has only %s)")
          :format(tostring(t.template), TEMPLATE))
      end
    end
    desired.templates = kept
  end
  return desired
end

local function settings_of(value)
  local out = {}
  for k, v in pairs(is_obj(value) and value or {}) do
    if k ~= "templates" then out[k] = v end
  end
  return out
end

-- The settings as the generic handler compares them; the template by its body, exactly. An
-- empty templates list changes nothing (templates are never deleted).
function M.diff(self, ctx, desired, current)
  current = current or {}
  local payload, diffs = Base.diff(self, ctx, settings_of(desired), settings_of(current))
  local want = template_body(desired.templates)
  local have = template_body(current.templates)
  if want ~= nil and want ~= have then
    payload = payload or {}
    diffs = diffs or {}
    payload.templates = json.array{ { template = TEMPLATE, body = want } }
    diffs[#diffs + 1] = { path = "templates." .. TEMPLATE .. ".body", from = have, to = want }
  end
  if payload == nil then return nil end
  return payload, diffs
end

-- The settings' PATCH (the template is a request of its own).
function M.write_request(self, _, _, payload)
  local settings = settings_of(payload)
  if next(settings) == nil then return nil end
  return "PATCH", self.path, settings
end

-- PATCH /branding can reset the prompt settings (identifier_first, when the body has no
-- colors: auth0-deploy-cli issue 1402, also met by the Terraform provider), so the settings
-- are read before it and, where the PATCH changed them, set back after it.
local function patch_keeping_prompts(ctx, method, path, body)
  local before = ctx.api:request("GET", PROMPTS_PATH)
  local _, err = handler.send(ctx, method, path, { body = body })
  if err then return nil, err end
  if not is_obj(before) then return true end
  local after, aerr = ctx.api:request("GET", PROMPTS_PATH)
  if after == nil then return nil, aerr end
  local restore
  for k, v in pairs(before) do
    if not handler.deep_equal(v, is_obj(after) and after[k] or nil) then
      restore = restore or {}
      restore[k] = v
    end
  end
  if restore then
    _, err = handler.send(ctx, "PATCH", PROMPTS_PATH, { body = restore })
    if err then return nil, err end
  end
  return true
end

function M.update(self, ctx, current, payload)
  local method, path, settings = self:write_request(ctx, "update", payload, current)
  if method then
    local ok, err = patch_keeping_prompts(ctx, method, path, settings)
    if not ok then return nil, err end
  end
  local body = template_body(payload.templates)
  if body ~= nil then
    local _, err = handler.send(ctx, "PUT", TEMPLATE_PATH, { body = { template = body } })
    if err then return nil, err end
  end
  return current
end

M.create = function(self, ctx, payload) return self:update(ctx, {}, payload) end

-- Without a template on the tenant the export still names the list (as a0deploy writes it).
function M.export(_, _, item)
  if item.templates == nil or item.templates == NULL then item.templates = json.array() end
  return item
end

return M
