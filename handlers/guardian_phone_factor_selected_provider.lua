-- handlers/guardian_phone_factor_selected_provider.lua: who sends the MFA phone messages
-- (a0deploy type `guardianPhoneFactorSelectedProvider`),
-- docs/handlers.md §guardianPhoneFactorSelectedProvider.
local setting = require("a0lua.setting")

local M = {
  type = "guardianPhoneFactorSelectedProvider",
  kind = "singleton",
  path = "/guardian/factors/phone/selected-provider",
  -- a0deploy's schema; the values are the API's GuardianFactorsProviderSmsProviderEnum
  schema = {
    type = "object",
    properties = {
      provider = { type = "string", enum = { "auth0", "twilio", "phone-message-hook" } },
    },
    additionalProperties = false,
  },
  update_method = "PUT",
  read_wanted = true,
}

-- 404 (an API without the endpoint) or 403 (hooks not allowed on its plan, or no scope): the
-- setting is not on this tenant, as a0deploy reads them
M.fetch = setting.reader(setting.ABSENT_OR_FORBIDDEN)

return M
