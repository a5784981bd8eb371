--[[
a0lua.setting: what the small singleton settings share (guardianPolicies, the guardian phone
factor's provider and message types, supplementalSignals; docs/handlers.md §guardianPolicies and
the sections after it): a read of a setting a tenant's plan may lack, and the diff of a setting
whose value is one list of values.

  local setting = require("a0lua.setting")
  setting.read(h, ctx, want, statuses) -> value | json.null | nil, err
      GET h.path. An answer whose status is in `statuses` (a set: {[403] = true, [404] = true})
      means the tenant does not offer the setting: with nothing asked of it (`want`, the
      files' value handed to a handler with read_wanted, is absent or an empty object) it reads
      as json.null, which plans nothing and leaves the type out of an export, with a warning as
      a0deploy gives; when the files set it, the error `feature_unavailable` naming the type,
      the status and the API's message, so that a setting the files ask for is never skipped
      in silence. Other failures are returned as they are.
  setting.reader(statuses) -> function(h, ctx, want)   an h:fetch that is setting.read
  setting.ABSENT_OR_FORBIDDEN     {[403] = true, [404] = true}: an API without the endpoint, or
                                  a plan (or a token) without the feature
  setting.asks(want) -> boolean   whether the files' value sets anything
  setting.list_diff(field) -> function(h, ctx, desired, current) -> payload, diffs | nil
      An h:diff for a setting {<field>: [values]} that the API replaces whole: the lists
      compare as sets (the values are choices: their order means nothing), and a difference
      sends the file's whole list; a value without the field asks for nothing.
]]
local errors = require("a0lua.errors")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local M = {}

local NULL = json.null

function M.asks(want)
  return type(want) == "table" and want ~= NULL and next(want) ~= nil
end

local function describe(err)
  local text = ("%s %s"):format(tostring(err.status), tostring(err.message or "refused"))
  if err.error_code then text = text .. " (" .. tostring(err.error_code) .. ")" end
  return text
end

function M.read(h, ctx, want, statuses)
  local body, err = ctx.api:request("GET", h.path)
  if body ~= nil then return body end
  if type(err) ~= "table" or not statuses[err.status] then return nil, err end
  if M.asks(want) then
    return nil, errors.new("feature_unavailable", ("%s: the tenant does not offer this setting "
      .. "(GET %s: %s), and the files set it: remove it from the files or exclude the type "
      .. "(AUTH0_EXCLUDED)"):format(h.type, h.path, describe(err)),
      { type = h.type, status = err.status })
  end
  if ctx.log then
    ctx.log:warn(("%s: not available on this tenant (%s): skipped"):format(h.type,
      describe(err)))
  end
  return NULL
end

function M.reader(statuses)
  return function(h, ctx, want) return M.read(h, ctx, want, statuses) end
end

M.ABSENT_OR_FORBIDDEN = { [403] = true, [404] = true }

function M.list_diff(field)
  return function(_, _, desired, current)
    local want = type(desired) == "table" and desired[field]
    if type(want) ~= "table" or want == NULL then return nil end
    local have = type(current) == "table" and current[field]
    if type(have) == "table" and have ~= NULL and handler.same_set(want, have) then return nil end
    return { [field] = handler.deep_copy(want) }, { { path = field, from = have, to = want } }
  end
end

return M
