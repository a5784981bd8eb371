-- handlers/risk_assessment.lua: the risk assessment settings (a0deploy type `riskAssessment`),
-- a singleton of two endpoints: docs/handlers.md §riskAssessment.
local handler = require("a0lua.handler")

local PARTS = {
  { key = "settings", path = "/risk-assessments/settings" },
  { key = "new_device", path = "/risk-assessments/settings/new-device" },
}

local M = {
  type = "riskAssessment",
  kind = "singleton",
  path = "/risk-assessments/settings",
  schema = {
    type = "object",
    properties = {
      settings = {
        type = "object",
        properties = { enabled = { type = "boolean" } },
        required = { "enabled" },
        additionalProperties = false,
      },
      new_device = {
        type = "object",
        properties = { remember_for = { type = "integer", minimum = 1, maximum = 365 } },
        required = { "remember_for" },
        additionalProperties = false,
      },
    },
    required = { "settings" },
    additionalProperties = false,
  },
  read_wanted = true,
}

local is_object = handler.is_table

local function not_found(err)
  return type(err) == "table" and (err.code == "api_not_found" or err.status == 404)
end

-- Both parts (a plan: the new-device setting only when the files set it). A tenant that never
-- set them may answer 404: settings are then {enabled: false}, new_device is left out (the API
-- takes no remember_for below 1, so a0deploy's 0 could not be deployed back).
function M.fetch(_, ctx, want)
  local parts = {}
  for _, p in ipairs(PARTS) do
    if want == nil or p.key == "settings" or (is_object(want) and is_object(want[p.key])) then
      parts[#parts + 1] = p
    end
  end
  return handler.read_sections(ctx, parts, function(p, err, out)
    if not not_found(err) then return false end
    if p.key == "settings" then out.settings = { enabled = false } end
    return true
  end)
end

-- Each part whose fields differ, whole: { settings = {...}, new_device = {...} }.
function M.diff(_, _, desired, current)
  return handler.diff_sections(PARTS, desired, current, function(p, want, have, diffs)
    if handler.matches(want, have) then return nil end
    handler.collect_diffs(want, is_object(have) and have or {}, p.key, diffs)
    return handler.deep_copy(want)
  end)
end

return handler.by_sections(M, PARTS)
