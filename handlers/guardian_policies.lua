-- handlers/guardian_policies.lua: when MFA is asked for (a0deploy type `guardianPolicies`),
-- docs/handlers.md §guardianPolicies.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local setting = require("a0lua.setting")

local NULL = json.null

local M = {
  type = "guardianPolicies",
  kind = "singleton",
  path = "/guardian/policies",
  -- a0deploy's schema; the values are the API's MFAPolicyEnum
  schema = handler.enum_list_schema("policies", { "all-applications", "confidence-score" }),
  update_method = "PUT",
}

-- The API reads and writes a bare array; the files (and ctx.current) hold {policies = [...]}.
local function wrap(list)
  return { policies = type(list) == "table" and list ~= NULL and list or json.array() }
end

function M.fetch(self, ctx)
  local list, err = ctx.api:request("GET", self.path)
  if list == nil then return nil, err end
  return wrap(list)
end

M.diff = setting.list_diff("policies")

function M.write_request(self, _, _, payload)
  return "PUT", self.path, payload.policies
end

function M.update(self, ctx, _, payload)
  local method, path, body = self:write_request(ctx, "update", payload)
  local list, err = ctx.api:request(method, path, { body = body, idempotent = true })
  if list == nil then return nil, err end
  return wrap(list)
end

function M.create(self, ctx, payload) return self:update(ctx, nil, payload) end

return M
