--[[
a0lua.emulator.app: the request pipeline of the emulator, as an a0lua.emulator.server handler.

  local app = require("a0lua.emulator.app")
  local handle = app.new(emu)      -- function(req) -> res, for server.new{handler = handle}

For each request:
  /__emulator/*  -> admin.lua (no faults, no auth, no rate limit, not logged)
  /oauth/token and /api/v2/*:
    faults (latency, 500/503, a drop before handling)
    -> /oauth/token: auth.lua's token endpoint
    -> /api/v2: bearer check -> route match -> rate limit -> route known? (404) -> body parse and
       check against the route's request schema (validate.lua) -> the resource handler -> paging
       and fields/include_fields of lists -> JSON answer with the x-ratelimit-* headers
    (a drop after handling: the write is applied, the answer never sent)
  anything else -> 404 in the Management error shape.
Every /oauth/token and /api/v2 request is appended to the request log (requestlog.lua: method,
path, query, status, request body with its secrets replaced by "[REDACTED]" as secrets.lua says,
the whole body for routes whose binding says secret_body) and, when a log function is set,
written as one line (no bodies, no headers: tokens never reach the log).
]]
local json = require("a0lua.core.json")
local admin = require("a0lua.emulator.admin")
local errors = require("a0lua.emulator.errors")
local faults = require("a0lua.emulator.faults")
local paging = require("a0lua.emulator.paging")
local values = require("a0lua.emulator.values")

local M = {}

local JSON_TYPE = "application/json; charset=utf-8"
local API_PREFIX = "/api/v2"
local WRITE_METHODS = { POST = true, PUT = true, PATCH = true, DELETE = true }

local function respond(status, value, headers)
  headers = headers or {}
  headers["Content-Type"] = JSON_TYPE
  local body = ""
  if status ~= 204 and value ~= nil then body = assert(json.encode(value)) end
  return { status = status, headers = headers, body = body }
end
M.respond = respond

local function not_found_route()
  return errors.body(404, "Not Found", "not_found")
end

-- fields=a,b&include_fields=false -> projection applied to one item.
local function projector(query)
  local fields = query.fields
  if type(fields) == "table" then fields = table.concat(fields, ",") end
  if not fields or fields == "" then return nil end
  local list = {}
  for f in fields:gmatch("[^,%s]+") do list[#list + 1] = f end
  local include = query.include_fields ~= "false"
  return function(item)
    if type(item) ~= "table" or values.is_array(item) then return item end
    return values.project(item, list, include)
  end
end

local function project_list(list, project)
  local out = json.array()
  for i, item in ipairs(list) do out[i] = project(item) end
  return out
end

-- Pages a full list the way the route says, then projects its items.
local function shape_list(entry, items, query)
  local b = entry.binding
  local spec = entry.spec
  local style = (spec and spec.paging) or b.paging or "bare"
  local opts = {
    key = (spec and spec.key) or b.key or "items", id_field = b.id_field,
    max_take = b.max_take, bare_without_params = b.bare_without_params, omit_zero = b.omit_zero,
  }
  if b.force_paging then style, opts.key = b.paging or "bare", b.key or opts.key end
  local body = paging.apply(style, items, query, opts)
  local project = projector(query)
  if project then
    if values.is_array(body) then return project_list(body, project) end
    body[opts.key] = project_list(body[opts.key], project)
  end
  return body
end

local function parse_body(req)
  local text = req.body
  if not text or text:match("^%s*$") then return nil end
  local value = json.decode(text)
  if value == nil then
    errors.raise(400, "Invalid request payload JSON format", "invalid_body")
  end
  return value
end

-- A route of the OpenAPI document that no resource emulates: reads of a key present in the
-- state work, everything else is 501.
local function unemulated(emu, req, api_path)
  if req.method == "GET" then
    local v = emu.store:get(api_path)
    if v ~= nil then return 200, v end
  end
  errors.raise(501, ("a0lua emulate does not emulate %s %s"):format(req.method,
    api_path), "not_emulated")
end

local function names_to_params(names, list)
  local p = {}
  for i, v in ipairs(list) do
    p[i] = v
    if names and names[i] then p[names[i]] = v end
  end
  return p
end

-- The success status to send: the document's wins over the handler's generic one for creates,
-- deletes and answers without a body (POST /roles is 200, DELETE /connections/{id} 202); its 201
-- for a few PATCHes is a slip of the document, the API answers 200 there.
local function success_status(entry, method, status)
  local spec = entry.spec
  if entry.binding.keep_status then return status end
  if spec and spec.status and status >= 200 and status < 300 and (method == "POST"
      or method == "DELETE" or spec.status == 204 or spec.status == 202) then
    return spec.status
  end
  return status
end

-- Body check, then the resource handler: status, value, is_list. Raises answers.
local function dispatch(emu, req, entry, params, log)
  local parsed
  if WRITE_METHODS[req.method] then
    parsed = parse_body(req)
    log.body = parsed
    log.secret_body = entry.binding and entry.binding.secret_body
    local spec = entry.spec
    if spec and spec.body and emu.validate and (parsed ~= nil or req.method ~= "DELETE") then
      local valid, err = emu.validate.body(spec, parsed)
      if not valid then errors.answer(err.statusCode or 400, err) end
    end
  end
  local b = entry.binding
  if not b then return unemulated(emu, req, req.path:sub(#API_PREFIX + 1)) end
  local status, value, is_list = b.handler(emu.ctx, req, names_to_params(b.names, params),
    parsed)
  status = success_status(entry, req.method, status)
  if is_list then
    value = shape_list(entry, value, req.query)
  elseif status == 200 and req.method == "GET" then
    local project = projector(req.query)
    if project then value = project(value) end
  end
  return status, value
end

-- arrived: the clock when the request was read, before any injected latency (the rate limits
-- count it then, as Auth0 does)
local function handle_api(emu, req, log, arrived)
  local grant, auth_status, auth_body = emu.auth:check(req)
  if not grant then return respond(auth_status, auth_body) end
  local entry, params = emu.router:match(req.method, req.raw_path:sub(#API_PREFIX + 1))
  local ok_rl, headers, rl_body = emu.limiter:take(req.method, entry and entry.key, arrived)
  if not ok_rl then return respond(429, rl_body, headers) end
  if not entry then return respond(404, not_found_route(), headers) end
  emu:run_timers()
  local ok, status, value = pcall(dispatch, emu, req, entry, params, log)
  if ok then return respond(status, value, headers) end
  if errors.is_answer(status) then
    for k, v in pairs(status.headers or {}) do headers[k] = v end
    return respond(status.status, status.body, headers)
  end
  emu.error_log(("a0lua emulate: %s %s: %s"):format(req.method, req.target, tostring(status)))
  return respond(500, errors.body(500, "An internal server error occurred", "internal_error"),
    headers)
end

-- The token request's body for the log, without its secrets (JSON or a form).
local function redacted_token_body(emu, req)
  local text = req.body or ""
  local value = json.decode(text)
  if type(value) == "table" then return emu.redactor:value(value) end
  return emu.redactor:form(text)
end

function M.new(emu)
  local clock = emu.clock
  return function(req)
    local path = req.path
    if path == "/__emulator" or path:sub(1, 12) == "/__emulator/" then
      return admin.handle(emu, req)
    end
    local is_token = path == "/oauth/token"
    local is_api = path == API_PREFIX or path:sub(1, #API_PREFIX + 1) == API_PREFIX .. "/"
    if not is_token and not is_api then
      return respond(404, not_found_route())
    end
    local started = clock()
    local log = { method = req.method, path = path, query = req.query }
    local fault
    if emu.faults:active() then
      fault = emu.faults:draw()
      if fault.delay > 0 and emu.sleep then emu.sleep(fault.delay) end
    end
    local res
    if fault and fault.fail then
      res = respond(fault.fail, faults.error_body(fault.fail))
    elseif fault and fault.drop == "before" then
      res = { drop = true }
    elseif is_token then
      log.body = redacted_token_body(emu, req)
      if req.method ~= "POST" then
        res = respond(404, not_found_route())
      else
        local status, body = emu.auth:token(req)
        res = respond(status, body)
      end
    else
      res = handle_api(emu, req, log, started)
    end
    log.status = res.status or 0
    if fault and fault.drop then
      log.dropped = fault.drop
      res = { drop = true }
    end
    if log.body ~= nil and not is_token then
      log.body = emu.redactor:value(log.body, log.secret_body)
    end
    emu:record(log, clock() - started, req.raw_query)
    return res
  end
end

return M
