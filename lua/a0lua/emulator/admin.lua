--[[
a0lua.emulator.admin: the emulator's own endpoints, outside /api/v2 (no token, no faults, no rate
limit, not in the request log).

  GET    /__emulator/state      the state, pretty JSON with sorted keys
  PUT    /__emulator/state      replace the state with the body (a JSON object)       -> 204
  POST   /__emulator/reset      back to the state the emulator started with           -> 204
  GET    /__emulator/requests   the request log: [{method, path, query, status, body}]
  DELETE /__emulator/requests   clear it                                              -> 204
  POST   /__emulator/shutdown   answer, then stop serving (the process exits 0)       -> 204

  admin.handle(emu, req) -> res
]]
local json = require "a0lua.core.json"
local errors = require "a0lua.emulator.errors"

local M = {}

local JSON_TYPE = "application/json; charset=utf-8"

local function reply(status, body, pretty)
  local text = ""
  if body ~= nil then text = assert(json.encode(body, pretty and { pretty = true } or nil)) end
  return { status = status, headers = { ["Content-Type"] = JSON_TYPE }, body = text }
end

local function bad(message)
  return reply(400, errors.body(400, message, "invalid_body"))
end

local ROUTES = {
  ["GET /__emulator/state"] = function(emu)
    return reply(200, emu:state(), true)
  end,
  ["PUT /__emulator/state"] = function(emu, req)
    local value = json.decode(req.body or "")
    if type(value) ~= "table" or json.is_array(value) then
      return bad("the state must be a JSON object of paths")
    end
    local ok, err = emu:load(value)
    if not ok then return bad(tostring(err)) end
    return reply(204)
  end,
  ["POST /__emulator/reset"] = function(emu)
    emu:reset()
    return reply(204)
  end,
  ["GET /__emulator/requests"] = function(emu)
    return reply(200, emu:requests())
  end,
  ["DELETE /__emulator/requests"] = function(emu)
    emu:clear_requests()
    return reply(204)
  end,
  ["POST /__emulator/shutdown"] = function(emu)
    emu:stop()
    local res = reply(204)
    res.close = true
    return res
  end,
}

function M.handle(emu, req)
  local route = ROUTES[req.method .. " " .. req.path]
  if not route then
    return reply(404, errors.body(404, "Not Found", "not_found"))
  end
  return route(emu, req)
end

return M
