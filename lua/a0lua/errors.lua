--[[
a0lua.errors: the one kind of error value, the same for the C host and for Lua.

  errors.new(code, message [, fields]) -> err
      A table { code =, message =, ...fields } with the shared error metatable. `code` is a
      stable snake_case string (what specs and callers check); `fields` (file, line, column,
      path, status, method, ...) are copied in.
  errors.from(fields) -> fields
      The same for a table that already holds code and message: gives it the metatable.
  errors.is(v) -> boolean          whether v is such a value, made here or by a core module
  errors.mt                        the metatable itself (registry["a0lua.error"], also
                                   core.json.error_mt)

tostring(err) is "file:line:column: METHOD path: status: message (error_code) after N attempts;
hint", each part left out when its field is absent; a path without a method is printed as
"path: " unless the message already says it: begins with it or has it after ": ", or, without
a file, holds it anywhere (docs/architecture.md §13).

Misuse raises: code not a string, message neither a string nor nil, fields not a table (or,
for from, without a string code).
]]
local M = {}

-- The host's metatable, so C's and Lua's errors are one kind. Only a stand-alone socket server
-- under a stock lua5.4 (a test helper running a0lua.emulator.server) has no core module: its
-- errors, which carry no location, print their message.
local has_core, json = pcall(require, "a0lua.core.json")
local ErrorMt = has_core and json.error_mt or {
  __name = "a0lua.error",
  __tostring = function(e) return tostring(e.message or e.code) end,
}
M.mt = ErrorMt

function M.new(code, message, fields)
  if type(code) ~= "string" then error("errors.new: code must be a string", 2) end
  if message ~= nil and type(message) ~= "string" then
    error("errors.new: message must be a string", 2)
  end
  if fields ~= nil and type(fields) ~= "table" then
    error("errors.new: fields must be a table", 2)
  end
  local err = {}
  for k, v in pairs(fields or {}) do err[k] = v end
  err.code, err.message = code, message
  return setmetatable(err, ErrorMt)
end

function M.from(fields)
  if type(fields) ~= "table" or type(fields.code) ~= "string" then
    error("errors.from: fields must be a table with a string code", 2)
  end
  return setmetatable(fields, ErrorMt)
end

function M.is(v)
  return type(v) == "table" and getmetatable(v) == ErrorMt
end

return M
