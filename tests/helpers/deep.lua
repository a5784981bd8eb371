-- tests/helpers/deep.lua: deep equality that also tells arrays from objects and null from nil,
-- as the JSON and YAML primitives do. Returns true, or false and the JSON pointer of the first
-- difference.
local json = require("a0lua.core.json")

local M = {}

local function kind(v)
  if v == json.null then return "null" end
  if type(v) == "table" then return json.is_array(v) and "array" or "object" end
  if math.type(v) then return math.type(v) end
  return type(v)
end

local function equal(a, b, path)
  local ka, kb = kind(a), kind(b)
  if ka ~= kb then return false, path .. " (" .. ka .. " vs " .. kb .. ")" end
  if ka == "array" then
    if #a ~= #b then return false, path .. " (length " .. #a .. " vs " .. #b .. ")" end
    for i = 1, #a do
      local ok, where = equal(a[i], b[i], path .. "/" .. (i - 1))
      if not ok then return false, where end
    end
    return true
  elseif ka == "object" then
    for k, v in pairs(a) do
      local ok, where = equal(v, b[k], path .. "/" .. tostring(k))
      if not ok then return false, where end
    end
    for k in pairs(b) do
      if a[k] == nil then return false, path .. "/" .. tostring(k) .. " (missing on the left)" end
    end
    return true
  elseif ka == "float" and a ~= a then
    return b ~= b, path
  end
  if a == b then return true end
  return false, path .. " (" .. tostring(a) .. " vs " .. tostring(b) .. ")"
end

function M.equal(a, b) return equal(a, b, "") end

return M
