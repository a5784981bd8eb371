--[[
a0lua.emulator.ratelimit: the Management API's token buckets.

  local ratelimit = require("a0lua.emulator.ratelimit")
  local rl = ratelimit.new(plan, clock)     -- plan "none" | "free" | "enterprise"; clock() -> s
  rl:take(method, template [, at]) -> ok, headers [, body]
    at       when the request arrived (clock seconds; default: now). Auth0 counts a request when
             it arrives: a request read before a stall (the emulator's injected latency, or a
             busy loop) and handled after it must not find the tokens of the stall's refill,
             nor be counted together with the requests that arrived during it
    headers  { ["x-ratelimit-limit"] =, ["x-ratelimit-remaining"] =, ["x-ratelimit-reset"] = }
             (empty under "none")
    body     the 429 body when ok is false
  rl:fill()                                 -- every bucket full again, as at the start

One bucket for the tenant (PLANS: sustained rate, bucket size, and a second bucket that caps
requests per second), plus the per-endpoint buckets of ENDPOINT_GROUPS, which a request must also
find a token in. The headers describe the bucket that decided: the endpoint's when it has one,
else the tenant's. x-ratelimit-reset is in epoch seconds: when the bucket is full again, or, once
it is empty, when the next token arrives.
]]
local M = {}

M.PLANS = {
  free = { capacity = 120, rate = 2, per_second = 10 },
  enterprise = { capacity = 1000, rate = 1000 / 60, per_second = 50 },
}

-- Per-endpoint buckets (docs/management-api.md §4.2). match(method, template).
M.ENDPOINT_GROUPS = {
  {
    name = "organizations_read", capacity = 10, rate = 100 / 60,
    match = function(method, template)
      return method == "GET" and template == "/organizations"
    end,
  },
  {
    name = "organizations_write", capacity = 5, rate = 150 / 60,
    match = function(method, template)
      return (method == "POST" and template == "/organizations")
        or ((method == "PATCH" or method == "DELETE") and template == "/organizations/{}")
    end,
  },
  {
    name = "organization_connections_write", capacity = 5, rate = 150 / 60,
    match = function(method, template)
      return method ~= "GET" and (template:find("^/organizations/{}/connections")
        or template:find("^/organizations/{}/enabled_connections")) ~= nil
    end,
  },
}

local Bucket = {}
Bucket.__index = Bucket

local function bucket(capacity, rate, now)
  return setmetatable({ capacity = capacity, rate = rate, tokens = capacity, at = now }, Bucket)
end

-- (a request that arrived before the last one counted refills nothing: the clock of a bucket
-- never goes back, so requests handled out of their arrival order take no token twice)
function Bucket:refill(now)
  if now <= self.at then return end
  local t = self.tokens + (now - self.at) * self.rate
  self.tokens = t > self.capacity and self.capacity or t
  self.at = now
end

function Bucket:headers(now)
  local remaining = math.floor(self.tokens)
  local wait
  if remaining >= 1 then
    wait = (self.capacity - self.tokens) / self.rate
  else
    wait = (1 - self.tokens) / self.rate
  end
  return {
    ["x-ratelimit-limit"] = tostring(self.capacity),
    ["x-ratelimit-remaining"] = tostring(remaining < 0 and 0 or remaining),
    ["x-ratelimit-reset"] = tostring(math.ceil(now + wait)),
  }
end

local Limiter = {}
Limiter.__index = Limiter

function M.new(plan, clock)
  plan = plan or "none"
  if plan ~= "none" and not M.PLANS[plan] then
    error("ratelimit.new: plan must be none, free or enterprise", 2)
  end
  local now = clock()
  local self = setmetatable({ plan = plan, clock = clock, groups = {} }, Limiter)
  local p = M.PLANS[plan]
  if p then
    self.global = bucket(p.capacity, p.rate, now)
    self.second = bucket(p.per_second, p.per_second, now)
  end
  return self
end

local GLOBAL_BODY = {
  statusCode = 429, error = "Too Many Requests", message = "Global limit has been reached",
  errorCode = "too_many_requests",
}

local function group_body(name)
  return {
    statusCode = 429, error = "Too Many Requests",
    message = ("Global per minute %s group limit has been reached"):format(name),
    errorCode = "too_many_requests",
  }
end

function Limiter:fill()
  if not self.global then return end
  local now = self.clock()
  for _, b in ipairs({ self.global, self.second }) do b.tokens, b.at = b.capacity, now end
  self.groups = {} -- (an endpoint bucket is made full when its first request comes)
end

-- template: the route's template with its placeholders written "{}".
function Limiter:take(method, template, at)
  if not self.global then return true, {} end
  local now = at or self.clock()
  local g, s = self.global, self.second
  g:refill(now)
  s:refill(now)
  local group, gb
  for _, grp in ipairs(M.ENDPOINT_GROUPS) do
    if template and grp.match(method, template) then
      group = grp
      gb = self.groups[grp.name]
      if not gb then
        gb = bucket(grp.capacity, grp.rate, now)
        self.groups[grp.name] = gb
      end
      gb:refill(now)
      break
    end
  end
  if g.tokens < 1 then
    return false, (gb or g):headers(now), GLOBAL_BODY
  end
  if s.tokens < 1 then -- the per-second cap: nothing left until its next token
    local h = (gb or g):headers(now)
    h["x-ratelimit-remaining"] = "0"
    h["x-ratelimit-reset"] = tostring(math.ceil(now + (1 - s.tokens) / s.rate))
    return false, h, GLOBAL_BODY
  end
  if gb and gb.tokens < 1 then
    return false, gb:headers(now), group_body(group.name)
  end
  g.tokens = g.tokens - 1
  s.tokens = s.tokens - 1
  if gb then gb.tokens = gb.tokens - 1 end
  return true, (gb or g):headers(now)
end

return M
