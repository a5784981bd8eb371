--[[
a0lua.preflight: the bodies an import would send, checked against what the Management API
accepts, before anything is written. A create the API refuses half-way through an import leaves
the tenant with the writes before it applied; this finds such a body first.

  local preflight = require("a0lua.preflight")
  preflight.check(ctx, plan [, sources]) -> true | nil, err
      For every create and update of the plan, the handler tells the request that writes the
      item's own fields (h:write_request, or h:write_requests for an item written by several
      requests: { {method, path, body, segments}, ... }, segments the item's path of what the
      body writes); its body is checked against the request schema of
      that route, from the API's OpenAPI document (a0lua.emulator.routes, the tables the
      emulator answers from, checked by the same validator: a0lua.emulator.validate). err is
      a0lua.validate's error: { code = "validation", problems = {...} }, each problem named by
      the item's file:line:column (sources, through the change's index) and the field, with the
      API's own words:
        tenant.yaml:4:5: clients[0].client_secret: the Management API would refuse this create
        (POST /clients): Additional properties not allowed: client_secret
      A request on a route the tables do not know, or without a body schema, is not checked;
      a property the tables do not know but the handler's own schema names (h.schema: the
      document trails the API, e.g. clients' fedcm_login) is not refused.

What this covers is the schema: properties the endpoint does not take (read-only ones
included), types, enums, required properties, lengths, patterns and the like. What it cannot
know is what the tenant decides: a name already taken, quotas and plan limits, references to
things that do not exist, and the server's other rules (a callback URL it finds unsafe...);
nor the requests a handler builds from the tenant's answers (an organization's members, a
trigger's bindings, a database's options merged with the tenant's).
]]
local router = require("a0lua.emulator.router")
local secret_key = require("a0lua.secrets").is_secret_name
local routes = require("a0lua.emulator.routes")
local sources_mod = require("a0lua.sources")
local validate = require("a0lua.emulator.validate")

local M = {}

local known_routes   -- the router of every route with a body schema, built on first use

local function route_of(method, path)
  if not known_routes then
    known_routes = router.new()
    for _, r in ipairs(routes.routes) do
      if r.body then known_routes:add(r.method, r.template, r) end
    end
  end
  local route = known_routes:match(method, path)
  return route
end

-- The JSON pointer of what a change writes, in the desired state.
local function item_pointer(ctx, change)
  local h = ctx.handlers:get(change.type)
  local pointer = sources_mod.pointer({ change.type })
  if h and h.kind ~= "singleton" then
    if change.index == nil then return pointer end
    pointer = pointer .. "/" .. (change.index - 1)
  end
  return pointer
end

-- Messages that end with the value itself; a secret's is left out.
local SHOWS_VALUE = { enum = true, pattern = true, format = true }

local function on_secret(segments)
  for _, name in ipairs(segments) do
    if not name:match("^%d+$") and secret_key(name) then return true end
  end
  return false
end

-- Does a handler's schema name the property at `segments` (the value's path in the body)? The
-- API's document trails the API: a property a0lua's handler knows (clients' fedcm_login) is
-- taken on its word, not refused as unknown.
local function declares(schema, segments, i)
  i = i or 1
  if type(schema) ~= "table" then return false end
  if i > #segments then return true end
  local segment = segments[i]
  for _, key in ipairs({ "anyOf", "oneOf", "allOf" }) do
    for _, branch in ipairs(type(schema[key]) == "table" and schema[key] or {}) do
      if declares(branch, segments, i) then return true end
    end
  end
  if segment:match("^%d+$") and type(schema.items) == "table" then
    return declares(schema.items, segments, i + 1)
  end
  local properties = schema.properties
  return type(properties) == "table" and declares(properties[segment], segments, i + 1)
end

-- The problems of one request's body, appended to `out`. within: the segments of the item
-- that the body writes (a singleton written by one request per section), or none.
local function check_request(ctx, change, sources, out, request)
  local h = ctx.handlers:get(change.type)
  local method, path, body, within = request[1], request[2], request[3], request[4] or {}
  local route = route_of(method, path)
  if not route then return end
  local item = item_pointer(ctx, change)
  for _, problem in ipairs(validate.problems(route.body, body)) do
    local segments = {}
    for _, s in ipairs(within) do segments[#segments + 1] = s end
    for _, s in ipairs(problem.segments) do segments[#segments + 1] = s end
    if problem.keyword == "additionalProperties" and declares(h.schema, segments) then
      goto next
    end
    local message = problem.message
    if SHOWS_VALUE[problem.keyword] and on_secret(problem.segments) then
      message = ("the value fails the %s check (a secret: not shown)"):format(problem.keyword)
    end
    out[#out + 1] = sources:problem(item .. sources_mod.pointer(segments),
      ("the Management API would refuse this %s (%s %s): %s"):format(change.op, method,
        route.template, message))
    ::next::
  end
end

-- The problems of one change: its request (h:write_request), or each of its requests when the
-- handler writes the item by several (h:write_requests).
local function check_change(ctx, change, sources, out)
  local h = ctx.handlers:get(change.type)
  if not h or type(change.payload) ~= "table" then return end
  if h.write_requests then
    for _, request in ipairs(h:write_requests(ctx, change.op, change.payload, change.current)) do
      check_request(ctx, change, sources, out, request)
    end
    return
  end
  local method, path, body = h:write_request(ctx, change.op, change.payload, change.current)
  if not method then return end
  check_request(ctx, change, sources, out, { method, path, body })
end

function M.check(ctx, plan, sources)
  sources = sources or sources_mod.new()
  local problems = {}
  for _, change in ipairs(plan:changes()) do
    if change.op == "create" or change.op == "update" then
      check_change(ctx, change, sources, problems)
    end
  end
  if #problems == 0 then return true end
  local validate_mod = require("a0lua.validate")
  return nil, validate_mod.error(validate_mod.sort(problems))
end

return M
