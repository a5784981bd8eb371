-- handlers/guardian_phone_factor_message_types.lua: how MFA phone codes are sent, by SMS, voice
-- or both (a0deploy type `guardianPhoneFactorMessageTypes`),
-- docs/handlers.md §guardianPhoneFactorMessageTypes.
local handler = require("a0lua.handler")
local setting = require("a0lua.setting")

local M = {
  type = "guardianPhoneFactorMessageTypes",
  kind = "singleton",
  path = "/guardian/factors/phone/message-types",
  -- a0deploy's schema; the values are the API's GuardianFactorPhoneFactorMessageTypeEnum
  schema = handler.enum_list_schema("message_types", { "sms", "voice" }),
  update_method = "PUT",
  read_wanted = true,
}

-- 404 (an API without the endpoint) or 403 (voice MFA not on its plan, or no scope): the
-- setting is not on this tenant, as a0deploy reads them
M.fetch = setting.reader(setting.ABSENT_OR_FORBIDDEN)

M.diff = setting.list_diff("message_types")

return M
