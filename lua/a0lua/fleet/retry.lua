--[[
a0lua.fleet.retry: whether a tenant that failed may pass if its whole deploy runs again.

  local retry = require "a0lua.fleet.retry"
  retry.worth_it(err) -> boolean
      true for what a second try can change: a network error or timeout (api_network,
      http_network, http_timeout), a 5xx, 408 or 429 the API client gave up on (its own retries
      and rate-limit waits exhausted), and an import that failed (apply_failed) only because of
      such errors; false for the rest: bad input, validation, 4xx, a hook's veto, a raised
      string. A deploy plans afresh each time, so a retry writes only what is still missing.
]]
local backoff = require "a0lua.api.backoff"

local M = {}

local NETWORK = { api_network = true, http_network = true, http_timeout = true }

function M.worth_it(err)
  if type(err) ~= "table" then return false end
  if NETWORK[err.code] then return true end
  if err.code == "apply_failed" and type(err.failures) == "table" and #err.failures > 0 then
    for _, f in ipairs(err.failures) do
      if not M.worth_it(f.error) then return false end
    end
    return true
  end
  return math.type(err.status) == "integer" and backoff.retryable_status(err.status)
end

return M
