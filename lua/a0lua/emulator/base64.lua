--[[
a0lua.emulator.base64: base64 (RFC 4648) for checkpoint cursors and token parts.

  base64.encode(s [, url]) -> string     url: the URL-safe alphabet, no padding
  base64.decode(s) -> string | nil       accepts both alphabets, padding optional; nil when s
                                         holds anything else
]]
local M = {}

local STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local DECODE = {}
for i = 1, 64 do
  DECODE[STD:byte(i)] = i - 1
  DECODE[URL:byte(i)] = i - 1
end

function M.encode(s, url)
  local alphabet = url and URL or STD
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chars = 4
    if not b then chars = 2 elseif not c then chars = 3 end
    for k = 1, chars do
      local v = (n >> (6 * (4 - k))) & 63
      out[#out + 1] = alphabet:sub(v + 1, v + 1)
    end
    if not url then
      for _ = chars + 1, 4 do out[#out + 1] = "=" end
    end
  end
  return table.concat(out)
end

function M.decode(s)
  s = s:gsub("=+$", "")
  if #s % 4 == 1 then return nil end
  local out = {}
  for i = 1, #s, 4 do
    local n, count = 0, 0
    for k = i, math.min(i + 3, #s) do
      local v = DECODE[s:byte(k)]
      if not v then return nil end
      n = (n << 6) | v
      count = count + 1
    end
    n = n << (6 * (4 - count))
    local bytes = count - 1
    for k = 1, bytes do
      out[#out + 1] = string.char((n >> (8 * (3 - k))) & 255)
    end
  end
  return table.concat(out)
end

return M
