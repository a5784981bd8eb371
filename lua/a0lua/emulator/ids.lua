--[[
a0lua.emulator.ids: server-assigned identifiers in the formats the Management API uses.

  local ids = require("a0lua.emulator.ids")
  local gen = ids.new(rng)            -- rng from a0lua.emulator.random
  gen:make(format) -> string

Formats (a string naming one of FORMATS, or a table):
  "client_id"       32 letters and digits                 Vp0gMRF8PtMzekil38qWoj4Fjw2VjRZE
  "client_secret"   64 letters, digits, "-" and "_"
  "hex24"           24 lower-case hex digits              62debacc54b4171c0378ea1f
  "uuid"            a version-4 UUID                      c15fe9d4-2e1b-4566-9246-c70c08893dc8
  { prefix = "con_", length = 16 }                        con_GCIw7tDhSMeiCyeZ
  { prefix = "lst_", length = 16, digits = true }         lst_0000000000012345
  ids.now_iso(clock) -> "2025-01-02T03:04:05.678Z" (UTC, milliseconds)
]]
local M = {}

local ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local SECRET = ALNUM .. "-_"
local HEX = "0123456789abcdef"
local DIGITS = "0123456789"

local Gen = {}
Gen.__index = Gen

local function draw(rng, alphabet, n)
  local out, size = {}, #alphabet
  for i = 1, n do
    local k = rng:int(size)
    out[i] = alphabet:sub(k, k)
  end
  return table.concat(out)
end

local FORMATS = {
  client_id = function(rng) return draw(rng, ALNUM, 32) end,
  client_secret = function(rng) return draw(rng, SECRET, 64) end,
  hex24 = function(rng) return draw(rng, HEX, 24) end,
  uuid = function(rng)
    local h = draw(rng, HEX, 32)
    local k = rng:int(4)
    local variant = ("89ab"):sub(k, k)
    return ("%s-%s-4%s-%s%s-%s"):format(h:sub(1, 8), h:sub(9, 12), h:sub(14, 16),
      variant, h:sub(18, 20), h:sub(21, 32))
  end,
}
M.FORMATS = FORMATS

function Gen:make(format)
  local f = FORMATS[format]
  if f then return f(self.rng) end
  if type(format) == "table" then
    return (format.prefix or "") .. draw(self.rng, format.digits and DIGITS or ALNUM,
      format.length or 16)
  end
  error("ids: unknown format " .. tostring(format), 2)
end

function M.new(rng)
  return setmetatable({ rng = rng }, Gen)
end

-- ISO-8601 UTC with milliseconds, as the API writes created_at / updated_at.
function M.now_iso(seconds)
  local whole = math.floor(seconds)
  local ms = math.floor((seconds - whole) * 1000)
  return os.date("!%Y-%m-%dT%H:%M:%S", whole) .. (".%03dZ"):format(ms)
end

return M
