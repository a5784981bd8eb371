-- handlers/supplemental_signals.lua: the tenant's supplemental signals, Akamai's bot and risk
-- headers (a0deploy type `supplementalSignals`), docs/handlers.md §supplementalSignals.
local setting = require("a0lua.setting")

local M = {
  type = "supplementalSignals",
  kind = "singleton",
  path = "/supplemental-signals",
  -- a0deploy's schema: other keys pass validation (the API's request schema refuses them
  -- before any write: a0lua.preflight)
  schema = {
    type = "object",
    properties = {
      akamai_enabled = { type = "boolean" },
    },
  },
  read_wanted = true,
}

-- A tenant without the attack protection entitlement (or the scope) answers 403: not on this
-- tenant, as a0deploy reads it (a 404 is an error, as in a0deploy)
M.fetch = setting.reader({ [403] = true })

return M
