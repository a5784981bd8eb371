--[[
a0lua.api.backoff: how long to wait before a retry, and which failures are worth one. Pure
functions: the clock and the random source are passed in, so the specs need no network or timer.

  local backoff = require("a0lua.api.backoff")
  backoff.delay(attempt, opts) -> ms
      capped exponential backoff with jitter for the attempt-th retry (1, 2, ...):
      min(max_ms, base_ms * 2^(attempt-1)) scaled by a random factor in [0.75, 1.25), and never
      above max_ms. opts = { base_ms = 500, max_ms = 30000, random = math.random }
  backoff.rate_limit_wait(headers, now_epoch [, opts]) -> ms | nil
      the wait a 429 asks for: Retry-After (seconds, or an HTTP date) when present, else until
      x-ratelimit-reset (epoch seconds), plus a jitter of 0-20 % (at least 50 ms, so a crowd of
      waiting requests does not arrive in the same millisecond), capped at opts.max_ms (60000).
      nil when the answer carries neither header. now_epoch is the server's clock in seconds.
  backoff.retryable_status(status) -> boolean      408, 429 and 5xx except 501
  backoff.network_error_kind(err) -> "unsent" | "lost" | "fatal"
      for a core.http error { code =, curl_code = }: "unsent" when the request cannot have
      reached the server (name resolution, connection refused, TLS handshake), "fatal" when
      trying again cannot help (bad URL, certificate or CA file problems), "lost" otherwise (the
      answer may be lost after the server acted: timeouts, resets, empty replies).
  backoff.unreachable(err) -> boolean
      true for a core.http error that says the server cannot be reached at all (the host or
      proxy name does not resolve, the connection is refused): not a passing overload, so a
      client tries again only a few times, quickly (api.UNREACHABLE_RETRIES)
  backoff.parse_http_date(text) -> epoch seconds | nil     IMF-fixdate, e.g. a Date header
]]
local M = {}

M.DEFAULT_BASE_MS = 500
M.DEFAULT_MAX_MS = 30000
M.RATE_LIMIT_MAX_MS = 60000

function M.delay(attempt, opts)
  if math.type(attempt) ~= "integer" or attempt < 1 then
    error("backoff.delay: attempt must be an integer >= 1", 2)
  end
  opts = opts or {}
  local base, cap = opts.base_ms or M.DEFAULT_BASE_MS, opts.max_ms or M.DEFAULT_MAX_MS
  local random = opts.random or math.random
  local d = base * 2 ^ math.min(attempt - 1, 60)
  if d > cap then d = cap end
  d = d * (0.75 + 0.5 * random())
  if d > cap then d = cap end
  return d
end

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9,
                 Oct = 10, Nov = 11, Dec = 12 }

-- Days since 1970-01-01 of a proleptic Gregorian date (no time zone involved, unlike os.time).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

function M.parse_http_date(text)
  if type(text) ~= "string" then return nil end
  local d, mon, y, hh, mm, ss = text:match(
    "^%a%a%a,%s+(%d%d?)%s+(%a%a%a)%s+(%d%d%d%d)%s+(%d%d):(%d%d):(%d%d)%s+GMT%s*$")
  if not d or not MONTHS[mon] then return nil end
  return days_from_civil(tonumber(y), MONTHS[mon], tonumber(d)) * 86400
    + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
end

local function header_number(headers, name)
  local v = headers and headers[name]
  if type(v) ~= "string" and type(v) ~= "number" then return nil end
  -- repeated headers arrive joined with ", ": the last one wins
  return tonumber(tostring(v):match("([^,%s]+)%s*$"))
end
M.header_number = header_number

function M.rate_limit_wait(headers, now_epoch, opts)
  opts = opts or {}
  local random = opts.random or math.random
  local cap = opts.max_ms or M.RATE_LIMIT_MAX_MS
  local wait
  local retry_after = headers and headers["retry-after"]
  if retry_after then
    local seconds = tonumber(retry_after)
    if seconds then
      wait = seconds * 1000
    else
      local at = M.parse_http_date(retry_after)
      if at then wait = (at - now_epoch) * 1000 end
    end
  end
  if not wait then
    local reset = header_number(headers, "x-ratelimit-reset")
    if reset then wait = (reset - now_epoch) * 1000 end
  end
  if not wait then return nil end
  if wait < 0 then wait = 0 end
  wait = wait + math.max(50, wait * 0.2 * random())
  if wait > cap then wait = cap end
  return wait
end

function M.retryable_status(status)
  return status == 408 or status == 429 or (status >= 500 and status <= 599 and status ~= 501)
end

-- libcurl codes: where the request surely did not get out, and where retrying cannot help.
local UNSENT = {
  [5] = true,  -- could not resolve the proxy
  [6] = true,  -- could not resolve the host
  [7] = true,  -- could not connect
  [35] = true, -- TLS handshake failed
}
local FATAL = {
  [1] = true, [3] = true, [4] = true,  -- unsupported protocol, malformed URL, not built in
  [43] = true,                         -- bad function argument
  [53] = true, [54] = true,            -- TLS engine
  [58] = true, [59] = true,            -- client certificate, cipher
  [60] = true,                         -- peer certificate cannot be verified
  [64] = true,                         -- requested TLS level failed
  [66] = true,                         -- TLS engine init
  [77] = true,                         -- CA file cannot be read
  [80] = true, [83] = true,            -- TLS shutdown, issuer check
  [90] = true, [91] = true,            -- pinned key, certificate status
}

local UNREACHABLE = {
  [5] = true, -- could not resolve the proxy
  [6] = true, -- could not resolve the host
  [7] = true, -- could not connect (refused, or no route)
}

function M.unreachable(err)
  local code = type(err) == "table" and math.tointeger(err.curl_code) or nil
  return code ~= nil and UNREACHABLE[code] == true
end

function M.network_error_kind(err)
  local code = type(err) == "table" and math.tointeger(err.curl_code) or nil
  if code and FATAL[code] then return "fatal" end
  if code and UNSENT[code] then return "unsent" end
  return "lost"
end

return M
