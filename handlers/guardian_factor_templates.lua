-- handlers/guardian_factor_templates.lua: the enrollment and verification messages of the phone
-- factor (a0deploy type `guardianFactorTemplates`), docs/handlers.md §guardianFactorTemplates.
-- A fixed set, never created nor deleted: `sms` (a0deploy's one name, GET/PUT
-- /guardian/factors/sms/templates) and `phone` (the API's current endpoint for the same
-- messages). A template is PUT whole, and only when a message differs from the tenant's.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local NULL = json.null

local NAMES = { "sms", "phone" }
-- What an export (or the REPL) reads: a0deploy's one template; `phone` only when a file names it.
local READ_BY_DEFAULT = { "sms" }
local MESSAGES = { "enrollment_message", "verification_message" }

local SCHEMA = handler.keyed_schema("name", NAMES, {
  enrollment_message = { type = "string" },
  verification_message = { type = "string" },
})

local M = {
  type = "guardianFactorTemplates",
  kind = "keyed",
  path = "/guardian/factors",
  names = NAMES,
  schema = SCHEMA,
  strip_update = { "name" },
  update_method = "PUT",
  -- an import reads only the templates the file names
  read_wanted = true,
}

M.NAMES = NAMES

local function template_path(self, name)
  return handler.item_path(self, name) .. "/templates"
end

M.validate = handler.validate_keys

-- GET /guardian/factors/{sms|phone}/templates for each name read; an empty answer (never set, or
-- 204) and a tenant without the feature (403, 404, 501) leave the template out, as a0deploy does.
function M.fetch(self, ctx, want)
  local names = want and handler.wanted_names(self, want) or READ_BY_DEFAULT
  return handler.optional_items(ctx, names, function(name) return template_path(self, name) end,
    function(name) return { name = name } end)
end

-- The PUT replaces both messages (the API requires both): the tenant's with the file's on top.
function M.write_request(self, _, op, payload, current)
  local body = {}
  if op == "update" then
    for _, k in ipairs(MESSAGES) do body[k] = current and current[k] end
  end
  for _, k in ipairs(MESSAGES) do
    if payload[k] ~= nil and payload[k] ~= NULL then body[k] = payload[k] end
  end
  local name = op == "update" and current and current.name or payload.name
  if name == nil or next(body) == nil then return nil end
  return "PUT", template_path(self, name), body
end

M.create = handler.create_own

M.update = handler.update_own

return M
