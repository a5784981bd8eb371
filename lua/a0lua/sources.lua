-- a0lua.sources: where each value of the desired state came from, so an error found later (a
-- schema violation at /clients/2/token_exchange/...) can name the file, line and column.
--
--   local sources = require("a0lua.sources").new()
--   sources:add(prefix, file, positions [, base])
--       The subtree of the desired state at JSON pointer `prefix` ("/clients/3", "" for all of
--       it) came from `file`. `positions` is what core.yaml returns for that file (pointer in the
--       file -> { line =, column = }), or nil for a file without positions (HTML, code, a JSON
--       file only core.json could read): every value in it is then at line 1, column 1. `base`
--       is the pointer inside the file that corresponds to `prefix` (default "": the whole file
--       is that subtree).
--   sources:locate(pointer) -> file, line, column | nil
--       Of the records whose prefix contains `pointer`, the one that knows the deepest node on
--       the way to it wins (a later record wins a tie, so a companion file added after the YAML
--       that referenced it is the one named). Within a record the pointer is walked up to the
--       nearest node the file has a position for.
--   sources:format(pointer, message) -> "file:line:column: path: message"
--       path is written a0deploy-style from the pointer: clients[2].token_exchange.x[0]. Without
--       a known location: "path: message"; for the root pointer the path part is left out.
--   sources:problem(pointer, message [, code]) -> error table
--       { code = code or "validation", file =, line =, column =, path =, pointer =, message = }
--       whose tostring is sources:format(pointer, message).
--   sources:warn(message [, fields]) appends { message =, file =, line =, ... } to
--       sources.warnings: what the format layer noticed but did not reject (a skipped file...).
--
--   sources.path(pointer) -> "clients[2].name"      sources.pointer(segments) -> "/a/b~1c"
--   sources.split(pointer) -> { "a", "b/c" }
--
-- Problems and warnings are a0lua.errors values.

local errors = require("a0lua.errors")

local M = {}

local Sources = {}
Sources.__index = Sources


local function unescape(segment)
  return (segment:gsub("~1", "/"):gsub("~0", "~"))
end

local function escape(segment)
  return (tostring(segment):gsub("~", "~0"):gsub("/", "~1"))
end

-- "" -> {}, "/a/b" -> { "a", "b" }. Raises on a pointer that does not start with "/".
function M.split(pointer)
  local segments = {}
  if pointer == "" then return segments end
  if type(pointer) ~= "string" or pointer:sub(1, 1) ~= "/" then
    error("not a JSON pointer: " .. tostring(pointer), 3)
  end
  for segment in (pointer:sub(2) .. "/"):gmatch("(.-)/") do
    segments[#segments + 1] = unescape(segment)
  end
  return segments
end

function M.pointer(segments, first, last)
  local parts = {}
  for i = first or 1, last or #segments do parts[#parts + 1] = "/" .. escape(segments[i]) end
  return table.concat(parts)
end

-- "/clients/2/token_exchange/allow_any_profile_of_type/0"
--   -> "clients[2].token_exchange.allow_any_profile_of_type[0]"
function M.path(pointer)
  local out = {}
  for _, segment in ipairs(M.split(pointer)) do
    if segment:match("^%d+$") then
      out[#out + 1] = "[" .. segment .. "]"
    elseif segment:match("^[%a_$][%w_$%-]*$") then
      out[#out + 1] = (#out > 0 and "." or "") .. segment
    else
      out[#out + 1] = "['" .. segment:gsub("\\", "\\\\"):gsub("'", "\\'") .. "']"
    end
  end
  return table.concat(out)
end

function M.new()
  return setmetatable({ roots = {}, by_top = {}, count = 0, warnings = {} }, Sources)
end

function Sources:add(prefix, file, positions, base)
  if type(prefix) ~= "string" then error("sources:add: prefix must be a JSON pointer", 2) end
  if type(file) ~= "string" then error("sources:add: file must be a string", 2) end
  if positions ~= nil and type(positions) ~= "table" then
    error("sources:add: positions must be a table or nil", 2)
  end
  if base ~= nil and type(base) ~= "string" then
    error("sources:add: base must be a JSON pointer", 2)
  end
  local segments = M.split(prefix)
  self.count = self.count + 1
  local record = { segments = segments, file = file, positions = positions, base = base or "",
                   order = self.count }
  local list
  if #segments == 0 then
    list = self.roots
  else
    list = self.by_top[segments[1]]
    if not list then
      list = {}
      self.by_top[segments[1]] = list
    end
  end
  list[#list + 1] = record
  return self
end

-- How deep into `segments` the record knows, and the position it knows there.
local function match(record, segments)
  local own = record.segments
  if #own > #segments then return nil end
  for i = 1, #own do
    if own[i] ~= segments[i] then return nil end
  end
  local positions = record.positions
  if not positions then return #own, 1, 1 end
  for k = #segments, #own, -1 do
    local pos = positions[record.base .. M.pointer(segments, #own + 1, k)]
    if pos then return k, pos.line or 1, pos.column or 1 end
  end
  return #own, 1, 1
end

function Sources:locate(pointer)
  local segments = M.split(pointer)
  local best, best_depth, best_line, best_column
  local function consider(list)
    for _, record in ipairs(list or {}) do
      local depth, line, column = match(record, segments)
      if depth and (not best or depth > best_depth
          or (depth == best_depth and record.order > best.order)) then
        best, best_depth, best_line, best_column = record, depth, line, column
      end
    end
  end
  consider(self.roots)
  if segments[1] then consider(self.by_top[segments[1]]) end
  if not best then return nil end
  return best.file, best_line, best_column
end

function Sources:problem(pointer, message, code)
  local file, line, column = self:locate(pointer)
  return errors.new(code or "validation", message, { file = file, line = line, column = column,
                    path = M.path(pointer), pointer = pointer })
end

function Sources:format(pointer, message)
  return tostring(self:problem(pointer, message))
end

function Sources:warn(message, fields)
  local w = { message = message }
  for k, v in pairs(fields or {}) do w[k] = v end
  self.warnings[#self.warnings + 1] = setmetatable(w, errors.mt)
  return w
end

return M
