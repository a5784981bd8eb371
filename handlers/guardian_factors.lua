-- handlers/guardian_factors.lua: the MFA factors (a0deploy type `guardianFactors`),
-- docs/handlers.md §guardianFactors. A fixed set of eight, never created nor deleted: a factor is
-- PUT {enabled} only when its `enabled` differs from the tenant's.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local NULL = json.null

local NAMES = { "sms", "push-notification", "otp", "email", "duo", "webauthn-roaming",
  "webauthn-platform", "recovery-code" }

local SCHEMA = handler.keyed_schema("name", NAMES, {
  enabled = { type = "boolean" },
  -- read-only: what a tenant answers, never sent
  trial_expired = { type = "boolean" },
})

local M = {
  type = "guardianFactors",
  kind = "keyed",
  path = "/guardian/factors",
  names = NAMES,
  schema = SCHEMA,
  strip_update = { "name" },
  read_only = { "trial_expired" },
  update_method = "PUT",
}

M.NAMES = NAMES

-- Two entries for one factor would be two PUTs of which the last wins.
M.validate = handler.validate_keys

-- One GET lists every factor (a bare array).
function M.fetch(self, ctx)
  local body, err = ctx.api:request("GET", self.path)
  if body == nil then return nil, err end
  local out = json.array()
  for _, factor in ipairs(type(body) == "table" and body or {}) do out[#out + 1] = factor end
  table.sort(out, function(a, b) return tostring(a.name) < tostring(b.name) end)
  return out
end

-- PUT /guardian/factors/{name} takes exactly {enabled}; an entry without `enabled` sends nothing.
function M.write_request(self, _, op, payload, current)
  local name = op == "update" and current and current.name or payload.name
  if payload.enabled == nil or payload.enabled == NULL or name == nil then return nil end
  return "PUT", handler.item_path(self, name), { enabled = payload.enabled }
end

M.create = handler.create_own

M.update = handler.update_own

return M
