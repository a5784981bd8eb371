--[[
a0lua.emulator.head: the server's fast path for a request head that has arrived whole.

  local head = require("a0lua.emulator.head")
  head.parse(buf, pos, limits) -> method, target, version, headers, budget, next
      limits = { max_request_line =, max_header_bytes =, max_headers = } (the server's options)

It reads the head that starts at buf's byte pos when all of it, up to its empty line, is there
and is well-formed and within the limits: the request line ("METHOD target HTTP/1.x", the method
a token), then "name: value" fields, each line ended by CRLF. The answer is what the server's
line-by-line reader (a0lua.emulator.server) would give for the same bytes: headers by lower-case
name with the blanks around the value trimmed and a repeated name's values joined with ", ",
budget = max_header_bytes less each field line and its CRLF, next = the byte after the empty
line. Anything else (a head not complete yet, a bare LF, leading empty lines, a bad line, a limit
passed) returns nil and leaves the head to that reader, which waits for more bytes or answers
the error: this path only saves the work, it never decides.
]]
local M = {}

-- RFC 9110's token characters, as the server checks them.
local NAME = "^[%w!#$%%&'*+%-.^_`|~]+()"
local METHOD = "^[%w!#$%%&'*+%-.^_`|~]+$"
local REQUEST_LINE = "^(%S+) (%S+) (HTTP/1%.[01])\r\n"

-- Lower-case names already seen: the few names clients send, each lowered once. Bounded, for
-- clients that make names up.
local lowered, nlowered = {}, 0
local MAX_LOWERED = 256

local function lower(name)
  local low = lowered[name]
  if low then return low end
  low = name:lower()
  if nlowered < MAX_LOWERED then
    lowered[name] = low
    nlowered = nlowered + 1
  end
  return low
end

-- The end of the line that starts at p (the CR of its CRLF), or nil when the line is not
-- complete or ends with a bare LF.
local function line_end(buf, p)
  local lf = buf:find("\n", p, true)
  if not lf or lf == p or buf:byte(lf - 1) ~= 13 then return nil end
  return lf - 1
end

-- The field lines from p to the empty line into headers. Returns the budget left and the byte
-- after the empty line, or nil.
local function fields(buf, p, limits, headers)
  local budget, count, max_lines = limits.max_header_bytes, 0, limits.max_headers
  while true do
    local e = line_end(buf, p)
    if not e then return nil end
    if e == p then return budget, p + 2 end
    budget = budget - (e - p) - 2
    count = count + 1
    if count > max_lines or budget < 0 then return nil end
    local colon = buf:match(NAME, p)
    if not colon or colon > e or buf:byte(colon) ~= 58 then return nil end
    local first = buf:find("[^ \t]", colon + 1)
    local value = ""
    if first < e then
      local last = e - 1
      local b = buf:byte(last)
      while b == 32 or b == 9 do
        last = last - 1
        b = buf:byte(last)
      end
      value = buf:sub(first, last)
    end
    local name = lower(buf:sub(p, colon - 1))
    local old = headers[name]
    headers[name] = old and (old .. ", " .. value) or value
    p = e + 2
  end
end

function M.parse(buf, pos, limits)
  if not buf:find("\r\n\r\n", pos, true) then return nil end
  local e = line_end(buf, pos)
  if not e or e == pos or e - pos > limits.max_request_line then return nil end
  local method, target, version = buf:match(REQUEST_LINE, pos)
  if not method or not method:find(METHOD) then return nil end
  local headers = {}
  local budget, next_pos = fields(buf, e + 2, limits, headers)
  if not budget then return nil end
  return method, target, version, headers, budget, next_pos
end

return M
