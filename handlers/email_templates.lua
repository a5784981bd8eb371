-- handlers/email_templates.lua: the 13 email templates (a0deploy type `emailTemplates`),
-- docs/handlers.md §emailTemplates. A keyed list: templates are set (PATCH, or POST the first
-- time), never deleted.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local NAMES = { "verify_email", "verify_email_by_code", "reset_email", "reset_email_by_code",
  "welcome_email", "blocked_account", "stolen_credentials", "enrollment_email", "change_password",
  "password_reset", "mfa_oob_code", "user_invitation", "async_approval" }

local SCHEMA = handler.keyed_schema("template", NAMES, {
  body = { type = "string", default = "" },
})

local M = {
  type = "emailTemplates",
  kind = "keyed",
  path = "/email-templates",
  names = NAMES,
  identifiers = { "template" },
  name_field = "template",
  schema = SCHEMA,
  strip_update = { "template" },
  -- an import reads only the templates the file sets
  read_wanted = true,
}

M.NAMES = NAMES

local status_of = handler.status_of

-- GET /email-templates/{name} for each of the 13: a 404 is a template never set; a 403 for
-- async_approval is a feature the tenant lacks. want: the templates of the file (plan.fetch).
function M.fetch(self, ctx, want)
  local names = handler.wanted_names(self, want)
  local found, err = handler.read_each(names, function(name)
    local body, rerr = ctx.api:request("GET", self.path .. "/" .. name)
    if body == nil and (status_of(rerr) == 404
        or (status_of(rerr) == 403 and name == "async_approval")) then
      return nil
    end
    return body, rerr
  end)
  if found == nil then return nil, err end
  local out = json.array()
  for _, name in ipairs(names) do
    if found[name] then out[#out + 1] = found[name] end
  end
  return out
end

local function post(self, ctx, item)
  return ctx.api:request("POST", self.path, { body = item, idempotent = true })
end

-- A template the tenant never had is created with POST.
function M.create(self, ctx, payload)
  return post(self, ctx, payload)
end

-- PATCH the template with what differs; a 404 means it does not exist yet: POST it whole.
function M.update(self, ctx, current, payload)
  local name = current.template
  local body, err = ctx.api:request("PATCH", handler.item_path(self, name),
    { body = payload })
  if body == nil and status_of(err) == 404 then
    local whole = handler.deep_copy(current)
    for k, v in pairs(payload) do whole[k] = v end
    whole.template = name
    return post(self, ctx, whole)
  end
  return body, err
end

return M
