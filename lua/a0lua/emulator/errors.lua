--[[
a0lua.emulator.errors: the Management API's error bodies, and the way resource handlers stop a
request with one.

  local errors = require("a0lua.emulator.errors")
  errors.body(404, "The role does not exist.", "inexistent_role")
    -> { statusCode = 404, error = "Not Found", message = "...", errorCode = "inexistent_role" }
  errors.raise(409, message, code)   -- raises an answer; app.lua turns it into the response
  errors.answer(status, body)        -- raises an answer with any body (e.g. an OAuth error)
  errors.is_answer(value) -> boolean

A raised answer is { status =, body = } with the Answer metatable; anything else a handler raises
is a bug and becomes a 500.
]]
local M = {}

M.REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [409] = "Conflict", [413] = "Payload Too Large",
  [429] = "Too Many Requests", [500] = "Internal Server Error", [501] = "Not Implemented",
  [503] = "Service Unavailable",
}

local Answer = {
  __tostring = function(a)
    local body = a.body
    return ("emulator answer %d: %s"):format(a.status,
      type(body) == "table" and tostring(body.message or body.error_description) or "")
  end,
}

function M.body(status, message, code)
  return {
    statusCode = status,
    error = M.REASONS[status] or "Error",
    message = message,
    errorCode = code,
  }
end

function M.answer(status, body, headers)
  error(setmetatable({ status = status, body = body, headers = headers }, Answer), 0)
end

function M.raise(status, message, code)
  M.answer(status, M.body(status, message, code))
end

function M.is_answer(value)
  return getmetatable(value) == Answer
end

-- Common answers, named once so every resource words them the same way.
function M.not_found(message, code)
  M.raise(404, message or "Not Found", code or "inexistent_resource")
end

function M.bad_request(message, code)
  M.raise(400, message, code or "invalid_body")
end

function M.conflict(message, code)
  M.raise(409, message, code or "conflict")
end

return M
