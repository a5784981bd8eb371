-- a0lua.emulator.validate: request bodies checked against the Management API's request schemas,
-- with the real API's 400 answers.
--
--   local validate = require("a0lua.emulator.validate")
--
--   validate.body(route, value) -> true | false, err
--     route  an entry of a0lua.emulator.routes .routes (only route.body is read); a route without
--            a body schema accepts anything.
--     value  the decoded body (a0lua.core.json values; nil counts as null).
--     err    the Management API error body to send with status 400:
--              { statusCode = 400, error = "Bad Request", errorCode = "invalid_body", message =
--                "Payload validation error: 'Additional properties not allowed: client_id'." }
--            The real API reports one problem; so does this, the first in the order the real
--            validator meets them (the object's own keywords before its properties', `type` first).
--            Messages, as the real API words them:
--              'Expected type string but found type integer' on property name.
--              'Missing required property: name'.
--              'Additional properties not allowed: client_id'.
--              'Too few properties defined (0), minimum 1' on property flags.
--              'No enum match for: "x"' on property app_type.
--              'String is too long (300 chars), maximum 255' on property name.
--              'Array is too short (0), minimum 1', 'Value 0 is less than minimum 1',
--              'String does not match pattern ^a$: b', 'None of the valid schemas were met', ...
--            " on property <path>" names where (a.b[2].c; absent for the body itself). The real
--            API follows it with the property's description in parentheses; the OpenAPI document
--            we generate from has no descriptions, so that part is left out.
--     A route whose body names no schema in the tables raises (the tables and the caller
--     disagree: a bug, not a bad request).
--
--   validate.parse(text) -> value | nil, err
--     text  the raw request body. Empty (or only whitespace) is null, as the real API takes a
--           missing body. Text that is not JSON gives the 400 body
--           { statusCode = 400, error = "Bad Request", message = "Invalid request payload JSON
--           format", errorCode = "invalid_body" }.
--
--   validate.problems(name, value) -> { {message =, path =, segments =, keyword =}, ... }: every
--   problem of a body checked against routes.schemas[name], for a caller of its own (a0lua.
--   preflight, before an import writes), in the order the real validator meets them (empty
--   when valid). message as in the 400 ('Additional properties not allowed: client_secret'),
--   path "a.b[2]" as after " on property", segments the value's path to the problem (the
--   refused property itself for an additional one; arrays count from 0), keyword the schema's.
--   validate.problem(name, value) -> the first of them (the one body() reports) | nil
--
--   validate.compile(name) -> validator, schema: the compiled schema of routes.schemas[name]
--   (cached), for callers that check bodies themselves, and the schema itself with its
--   references to other entries linked in. Raises on an unknown name.
--   validate.linked(name) -> schema: that linked schema alone (handlers that build their own
--   schema from the API's body: themes, branding). Do not change it: copy it first.
--
-- Schemas are compiled with a0lua.core.schema on first use and kept per name. Entries of the
-- tables that refer to each other ({ ["$ref"] = NAME }, only on the document's $ref cycles: flow
-- actions nest flow actions) are linked into plain tables before compiling, each name at most
-- REF_DEPTH times along one path; deeper nesting is accepted unchecked.

local json = require("a0lua.core.json")
local schema = require("a0lua.core.schema")
local routes = require("a0lua.emulator.routes")

local M = {}

local REF_DEPTH = 4

local null = json.null
local compiled = {}   -- schema name -> { validator =, schema = linked table }

---------------------------------------------------------------------------------------------------
-- Linking { ["$ref"] = NAME } entries.

local function has_ref(node, memo)
  if type(node) ~= "table" then return false end
  local known = memo[node]
  if known ~= nil then return known end
  memo[node] = false
  local found = node["$ref"] ~= nil
  if not found then
    for _, v in pairs(node) do
      if has_ref(v, memo) then found = true break end
    end
  end
  memo[node] = found
  return found
end

-- Returns node with every $ref replaced by its entry; tables without references are shared,
-- not copied. `counts` holds how many times each name is being expanded on the current path.
local function link(node, counts, memo)
  if not has_ref(node, memo) then return node end
  local name = node["$ref"]
  if name then
    local target = routes.schemas[name]
    if target == nil then error("a0lua.emulator.validate: $ref to an unknown schema " .. name) end
    local n = counts[name] or 0
    if n >= REF_DEPTH then return true end
    counts[name] = n + 1
    local linked = link(target, counts, memo)
    counts[name] = n
    return linked
  end
  local out = setmetatable({}, getmetatable(node))
  for k, v in pairs(node) do out[k] = link(v, counts, memo) end
  return out
end

function M.compile(name)
  local entry = compiled[name]
  if entry then return entry.validator, entry.schema end
  local raw = routes.schemas[name]
  if raw == nil then
    error("a0lua.emulator.validate: no request schema named " .. tostring(name), 2)
  end
  local linked = link(raw, {}, {})
  local validator, err = schema.compile(linked)
  if not validator then
    error(("a0lua.emulator.validate: schema %s does not compile: %s"):format(name,
      tostring(err.message or err)), 2)
  end
  compiled[name] = { validator = validator, schema = linked }
  return validator, linked
end

function M.linked(name)
  local _, linked = M.compile(name)
  return linked
end

---------------------------------------------------------------------------------------------------
-- Messages.

local function is_array(v)
  return type(v) == "table" and (json.is_array(v) or (#v > 0 and next(v, #v) == nil))
end

-- The type name the real validator reports for a value (integers apart from other numbers).
local function type_of(v)
  if v == nil or v == null then return "null" end
  local t = type(v)
  if t == "number" then
    if math.type(v) == "integer" or (v == math.floor(v) and v - v == 0) then return "integer" end
    return "number"
  end
  if t == "table" then return is_array(v) and "array" or "object" end
  return t
end

local function number_text(n)
  if math.type(n) == "float" and n == math.floor(n) and n - n == 0 and math.abs(n) < 2^63 then
    return ("%d"):format(n)
  end
  return tostring(n)
end

local function json_text(v)
  local text = json.encode(v)
  return text or tostring(v)
end

local function utf8_length(s)
  return utf8.len(s) or #s
end

-- JSON pointer -> list of unescaped segments.
local function pointer_segments(pointer)
  local segments = {}
  for segment in pointer:gmatch("/([^/]*)") do
    segments[#segments + 1] = segment:gsub("~1", "/"):gsub("~0", "~")
  end
  return segments
end

-- Walks value (or schema) along segments; array positions count from 0 in the pointer.
local function walk(node, segments, last)
  for i = 1, last or #segments do
    if type(node) ~= "table" then return nil end
    local s = segments[i]
    local index = s:match("^%d+$") and is_array(node) and tonumber(s) + 1
    if index then node = node[index] else node = node[s] end
  end
  return node
end

-- "a.b[2].c" for the first `count` segments of a value path.
local function property_path(value, segments, count)
  local parts = {}
  local node = value
  for i = 1, count do
    local s = segments[i]
    if is_array(node) and s:match("^%d+$") then
      parts[#parts + 1] = "[" .. s .. "]"
      node = node[tonumber(s) + 1]
    else
      parts[#parts + 1] = (#parts > 0 and "." or "") .. s
      node = type(node) == "table" and node[s] or nil
    end
  end
  return table.concat(parts)
end

local function type_names(t)
  if type(t) == "table" then return table.concat(t, ",") end
  return tostring(t)
end

-- Builds the real API's wording for one core.schema error. Returns the inner message and the
-- number of path segments it is reported on (the object itself for required and
-- additionalProperties, as the real validator does).
local function describe(e, value, schema_root)
  local segments = pointer_segments(e.path)
  local at = walk(value, segments)
  local keyword = e.keyword
  local where = #segments
  local keyword_value = walk(schema_root, pointer_segments(e.schema_path))
  local message
  if keyword == "type" then
    message = ("Expected type %s but found type %s"):format(type_names(keyword_value), type_of(at))
  elseif keyword == "additionalProperties" then
    where = where - 1
    message = "Additional properties not allowed: " .. tostring(e.property)
  elseif keyword == "required" then
    message = "Missing required property: " .. tostring(e.property)
  elseif keyword == "enum" then
    message = "No enum match for: " .. json_text(at)
  elseif keyword == "minProperties" or keyword == "maxProperties" then
    local count = 0
    if type(at) == "table" then for _ in pairs(at) do count = count + 1 end end
    message = (keyword == "minProperties" and "Too few properties defined (%d), minimum %s"
      or "Too many properties defined (%d), maximum %s"):format(count, number_text(keyword_value))
  elseif keyword == "minLength" or keyword == "maxLength" then
    message = (keyword == "minLength" and "String is too short (%d chars), minimum %s"
      or "String is too long (%d chars), maximum %s"):format(utf8_length(at),
      number_text(keyword_value))
  elseif keyword == "minItems" or keyword == "maxItems" then
    message = (keyword == "minItems" and "Array is too short (%d), minimum %s"
      or "Array is too long (%d), maximum %s"):format(#at, number_text(keyword_value))
  elseif keyword == "uniqueItems" then
    local i, j = e.message:match("items (%d+) and (%d+)")
    message = ("Array items are not unique (indexes %s and %s)"):format(i or "?", j or "?")
  elseif keyword == "minimum" then
    message = ("Value %s is less than minimum %s"):format(number_text(at),
      number_text(keyword_value))
  elseif keyword == "maximum" then
    message = ("Value %s is greater than maximum %s"):format(number_text(at),
      number_text(keyword_value))
  elseif keyword == "pattern" then
    message = ("String does not match pattern %s: %s"):format(tostring(keyword_value), tostring(at))
  elseif keyword == "format" then
    message = ("Object didn't pass validation for format %s: %s"):format(tostring(keyword_value),
      tostring(at))
  elseif keyword == "anyOf" or keyword == "oneOf" then
    message = "None of the valid schemas were met"
  else
    message = e.message
  end
  return message, property_path(value, segments, where), where
end

-- The order the real validator checks an object's keywords in: type first, then the others by
-- name; errors of the properties come after their object's own.
local RANK = {
  type = 0, additionalProperties = 1, anyOf = 2, enum = 3, format = 4, maxItems = 5,
  maxLength = 6, maxProperties = 7, maximum = 8, minItems = 9, minLength = 10,
  minProperties = 11, minimum = 12, oneOf = 13, pattern = 14, required = 15, uniqueItems = 16,
}

-- Every error, described, in the order the real validator meets them (the first is the one it
-- reports).
local function ranked(errors, value, schema_root)
  local list = {}
  for i, e in ipairs(errors) do
    local message, path, depth = describe(e, value, schema_root)
    list[i] = { message = message, path = path, segments = pointer_segments(e.path),
      keyword = e.keyword, key = { depth, RANK[e.keyword] or 99,
        e.keyword == "additionalProperties" and tostring(e.property) or "", i } }
  end
  table.sort(list, function(a, b)
    for n = 1, 4 do
      if a.key[n] ~= b.key[n] then return a.key[n] < b.key[n] end
    end
    return false
  end)
  for _, p in ipairs(list) do p.key = nil end
  return list
end

local function bad_request(message)
  return { statusCode = 400, error = "Bad Request", message = message, errorCode = "invalid_body" }
end

function M.problems(name, value)
  local validator, linked = M.compile(name)
  local ok, errors = validator:validate(value)
  if ok then return {} end
  return ranked(errors, value, linked)
end

function M.problem(name, value)
  return M.problems(name, value)[1]
end

function M.body(route, value)
  if type(route) ~= "table" then error("validate.body: route must be a table", 2) end
  if route.body == nil then return true end
  local e = M.problem(route.body, value)
  if e == nil then return true end
  local message = "Payload validation error: '" .. e.message .. "'"
  if e.path ~= "" then message = message .. " on property " .. e.path end
  return false, bad_request(message .. ".")
end

function M.parse(text)
  if type(text) ~= "string" then error("validate.parse: text must be a string", 2) end
  if not text:find("%S") then return null end
  local value = json.decode(text)
  if value == nil then return nil, bad_request("Invalid request payload JSON format") end
  return value
end

return M
