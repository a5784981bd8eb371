--[[
a0lua.emulator.requestlog: the emulator's request log, bounded in entries and in bytes.

  local requestlog = require("a0lua.emulator.requestlog")
  local log = requestlog.new{ max_entries = 10000, max_bytes = 64 * 2^20, max_body = 65536 }
  log:add(entry, body)   entry = { method, path, query, status [, dropped] }; body = the logged
                         body (a decoded JSON value or a string, secrets already redacted) or nil
  log:chunks() -> array of strings     the log as one JSON array, in pieces that are the stored
                                       strings themselves (emulator.server sends them in order)
  log:entries() -> array               the log decoded (a fresh copy)
  log:clear()                          forget every entry and give the memory back
  log:size() -> entries, bytes

Each entry is kept as its JSON text, so the log holds bytes, not tables. A body whose JSON text
(or string) is longer than max_body bytes is cut at a UTF-8 boundary and kept as a string whose
JSON form, escapes included, fits in max_body bytes, with `body_truncated: true` and
`body_bytes` (the whole length).
Past max_entries entries or max_bytes bytes (the entries' JSON text), the oldest go first; an
entry larger than max_bytes alone is still kept (it is at most max_body plus its head).
]]
local json = require("a0lua.core.json")

local M = {}

M.DEFAULTS = { max_entries = 10000, max_bytes = 64 * 1024 * 1024, max_body = 64 * 1024 }

local Log = {}
Log.__index = Log

function M.new(opts)
  opts = opts or {}
  local self = setmetatable({}, Log)
  for k, default in pairs(M.DEFAULTS) do
    local v = opts[k]
    if v ~= nil and (math.type(v) ~= "integer" or v < 0) then
      error(("requestlog.new: %s must be an integer >= 0"):format(k), 2)
    end
    self[k] = v or default
  end
  self:clear()
  return self
end

-- s with every byte that does not start a valid UTF-8 sequence replaced by "?".
local function valid_utf8(s)
  if utf8.len(s) then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local ok, bad = utf8.len(s, i)
    if ok then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "?"
    i = bad + 1
  end
  return table.concat(out)
end

-- The first n bytes of s, shortened so that no UTF-8 sequence is cut.
local function utf8_prefix(s, n)
  while n > 0 do
    local b = s:byte(n + 1)
    if not b or b < 0x80 or b >= 0xC0 then break end
    n = n - 1
  end
  return s:sub(1, n)
end

-- The body as JSON text to splice into the entry, plus the whole length when it was cut.
local function body_json(self, body)
  local text = type(body) == "string" and valid_utf8(body) or nil
  local value = assert(json.encode(text or body))
  if #value <= self.max_body then return value end
  text = text or value
  -- Cut so that the kept JSON string, escapes included, fits in max_body.
  local keep = self.max_body
  value = assert(json.encode(utf8_prefix(text, keep)))
  while #value > self.max_body and keep > 0 do
    keep = math.max(0, keep - math.max(#value - self.max_body, 1))
    value = assert(json.encode(utf8_prefix(text, keep)))
  end
  return value, #text
end

function Log:add(entry, body)
  local head = assert(json.encode({ method = entry.method, path = entry.path,
    query = entry.query or {}, status = entry.status, dropped = entry.dropped }))
  local text = head
  if body ~= nil then
    local value, whole = body_json(self, body)
    text = head:sub(1, -2) .. ',"body":' .. value
      .. (whole and (',"body_truncated":true,"body_bytes":' .. whole) or "") .. "}"
  end
  local last = self.last + 1
  self.items[last] = text
  self.last = last
  self.bytes = self.bytes + #text
  while self.first < last and (last - self.first + 1 > self.max_entries
      or self.bytes > self.max_bytes) do
    self.bytes = self.bytes - #self.items[self.first]
    self.items[self.first] = nil
    self.first = self.first + 1
  end
  if self.max_entries == 0 then self:clear() end
end

function Log:chunks()
  local out, n = { "[" }, 1
  for i = self.first, self.last do
    if i > self.first then
      n = n + 1
      out[n] = ","
    end
    n = n + 1
    out[n] = self.items[i]
  end
  out[n + 1] = "]"
  return out
end

function Log:entries()
  local out = json.array()
  for i = self.first, self.last do out[#out + 1] = json.decode(self.items[i]) end
  return out
end

function Log:clear()
  local had = self.items and self.last >= self.first
  self.items, self.first, self.last, self.bytes = {}, 1, 0, 0
  if had then collectgarbage("collect") end
end

function Log:size()
  return self.last - self.first + 1, self.bytes
end

return M
