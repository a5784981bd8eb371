-- handlers/risk_assessment.lua: the risk assessment settings (a0deploy type `riskAssessment`),
-- a singleton of two endpoints: docs/handlers.md §riskAssessment.
local handler = require "a0lua.handler"

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
  local out = {}
  local parts = {}
  for _, p in ipairs(PARTS) do
    if want == nil or p.key == "settings" or (is_object(want) and is_object(want[p.key])) then
      parts[#parts + 1] = p
    end
  end
  local ok, err = handler.each_checked(parts, function(p)
    local body, rerr = ctx.api:request("GET", p.path)
    if body == nil and not_found(rerr) then
      if p.key == "settings" then out.settings = { enabled = false } end
      return true
    end
    out[p.key] = body
    return body, rerr
  end)
  if not ok then return nil, err end
  return out
end

-- Each part whose fields differ, whole: { settings = {...}, new_device = {...} }.
function M.diff(_, _, desired, current)
  current = is_object(current) and current or {}
  local payload, diffs = nil, {}
  for _, p in ipairs(PARTS) do
    local want, have = desired[p.key], current[p.key]
    if is_object(want) and next(want) ~= nil and not handler.matches(want, have) then
      payload = payload or {}
      payload[p.key] = handler.deep_copy(want)
      handler.collect_diffs(want, is_object(have) and have or {}, p.key, diffs)
    end
  end
  if payload == nil then return nil end
  return payload, diffs
end

return handler.by_sections(M, PARTS)
