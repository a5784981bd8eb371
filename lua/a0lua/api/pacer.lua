--[[
a0lua.api.pacer: keeps a run inside the Management API's rate limits instead of draining the
bucket and bouncing off 429s. Pure bookkeeping: it never sleeps or sends; the client asks it how
long to wait and tells it what came back. The clocks are passed in, so specs can drive it.

  local pacer = require("a0lua.api.pacer")
  local p = pacer.new{
    now = function() -> ms end,       -- monotonic milliseconds (required)
    epoch = function() -> s end,      -- wall clock in seconds (default os.time); x-ratelimit-reset
                                      -- is compared with it, corrected by the Date header's skew
    max_rate = nil,                   -- a hard cap in requests per second (nil: none)
    random = math.random,             -- jitter source
  }
  local t = p:ticket(group)   -- one per request; group names the endpoint family, e.g. "GET
                              -- /organizations#1" (requests of one group share a bucket)
  p:wait(t) -> ms [, probe]   -- 0: send now (the send is booked); otherwise sleep ms and ask again.
                              -- probe: the ticket whose answer t waits for (the first request of
                              -- the tenant or of t's group, M.PROBE_POLL_MS): a caller that can
                              -- wait for that answer (observe or abandon of it) need not poll
  p:observe(t, status, headers) -- the answer, any status (headers: lower-case names)
  p:abandon(t)                -- the request got no answer, or was never sent (its token is
                              -- given back then)
  p:snapshot() -> { cap =, default_limit =, buckets = { [key] = { limit =, tokens =, rate =,
                    blocked_ms =, outstanding = } } }
                    key: the limit for the tenant's bucket (the largest limit); "LIMIT FAMILY"
                    for a smaller one, e.g. "5 write /organizations" (also under its limit)

The model. Auth0 answers with x-ratelimit-limit (bucket size), -remaining and -reset (epoch
seconds: when the bucket is full again, or when the next token comes once it is empty). The pacer
keeps one token bucket per distinct limit (the tenant's bucket and per-endpoint buckets have
different sizes, so the size tells them apart; endpoint buckets, smaller than the tenant's, are
also told apart by the endpoint family, api.group_of without the depth) and learns which bucket
each group draws from.
  - tokens: set from x-ratelimit-remaining minus the requests still outstanding in that bucket,
    refilled at the bucket's rate, and booked one per send. Each send gets a start time at which
    the bucket will still hold a small reserve (5 % of its size), so when remaining runs low the
    requests spread out at the refill rate instead of arriving together. A request whose group
    draws from an endpoint bucket also takes a token of the tenant's bucket (Auth0 checks both),
    so it books one in each and goes when both can spare it, booking the tenant's ahead of the
    sends booked there for it alone (which move back a token's refill each); a 429 from an
    endpoint bucket that still had tokens says the tenant's bucket is empty, and blocks that
    one until its next token.
  - rate: first limit/60 per second, then measured from (limit - remaining - 1) / (reset - now),
    which rounding can only make smaller, so the highest measure is kept. Buckets that refill
    within a second or two never show that measure; for them max(1, limit - remaining - 1) /
    (reset - now) (the answered request took a token) may raise the rate, never lower it.
  - a 429 blocks its bucket until the reset (or Retry-After), and sends booked before it are
    booked again; so are they when the measured rate rises by a fifth or more (the client asks
    again at least every second while it waits, api.PACE_POLL_MS).
  - a cap on requests per second, because Auth0 also limits bursts (Free: 10/s for a bucket of
    120, Enterprise: 50/s for 1000) and no header says so: limit/12 per second (at least 1, at
    most 50), itself a token bucket (a burst of 80 % of a second's sends, then the cap's rate;
    booked as a slot per send, and checked again when the send goes, so that the slots that
    fell due while the process was busy elsewhere do not all go out together; the sends
    still in flight hold room in that burst until answered, as the server counts a request
    when it arrives and may not have counted them yet). When a 429 comes while the bucket
    still had plenty of tokens (the per-second limit, which the headers do not show), the
    sends go without a burst for 10 s (requests under the cap met it because they arrived
    closer together than they went); when one more comes for a send that went so, the cap is
    lowered by 30 % and raised again by 1/s every 2 s after 10 s without one. Sends for an
    endpoint bucket smaller than the tenant's take the cap's next slot ahead of the sends
    booked for the tenant's bucket (those move back a slot each).
Until the first answer arrives, one request goes at a time, so a run does not start with a burst
into a bucket it knows nothing about; the same holds for each group until its first answer (it
may draw from a small bucket of its own). After a 429, the sends booked and not yet sent give
their tokens back before they book again. An API that sends no x-ratelimit-* headers is not paced.
]]
local backoff = require("a0lua.api.backoff")

local M = {}

M.PROBE_POLL_MS = 10
M.RESERVE = 0.05
M.MAX_CAP = 50
M.CAP_DIVISOR = 12
M.SURPRISE_MARGIN = 2
M.RECOVER_AFTER_MS = 10000
M.RECOVER_EVERY_MS = 2000
M.REBOOK_GAIN = 1.2
M.BURST = 0.8
M.MEASURE_MS = 3000

local Pacer = {}
Pacer.__index = Pacer

local function check_fn(opts, name, required)
  local v = opts[name]
  if v == nil and not required then return nil end
  if type(v) ~= "function" then error(("pacer.new: %s must be a function"):format(name), 3) end
  return v
end

function M.new(opts)
  if type(opts) ~= "table" then error("pacer.new: opts must be a table", 2) end
  for k in pairs(opts) do
    if k ~= "now" and k ~= "epoch" and k ~= "max_rate" and k ~= "random" then
      error("pacer.new: unknown option " .. tostring(k), 2)
    end
  end
  local max_rate = opts.max_rate
  if max_rate ~= nil and (type(max_rate) ~= "number" or max_rate <= 0) then
    error("pacer.new: max_rate must be a number > 0", 2)
  end
  return setmetatable({
    now = check_fn(opts, "now", true),
    epoch = check_fn(opts, "epoch") or os.time,
    random = check_fn(opts, "random") or math.random,
    max_rate = max_rate,
    models = {}, group_limit = {}, answered = {}, group_probe = {},
    seen_any = false, probe = nil, in_flight = 0,
    skew = 0, slot_tokens = nil, slot_t = 0, slot_shift = 0, priority_next = -math.huge,
    adaptive = nil, last_surprise = -math.huge, last_raise = -math.huge,
    spaced_until = -math.huge, last_cut = -math.huge,
  }, Pacer)
end

local function reserve(m)
  return math.max(1, math.floor(m.limit * M.RESERVE))
end

local function refill(m, now)
  if now > m.t then
    local t = m.tokens + m.rate * (now - m.t) / 1000
    m.tokens = t > m.limit and m.limit or t
    m.t = now
  end
end

local function new_model(limit, now)
  return { limit = limit, tokens = limit, t = now, rate = limit / 60, sampled = false,
           blocked_until = -math.huge, gen = 0, outstanding = 0, booked = {}, shift = 0 }
end

-- The cap in force: the user's, the one guessed from the bucket size, and the adaptive one.
function Pacer:cap()
  local cap = self.max_rate
  local default = self.default_limit
  if default then
    local base = math.min(M.MAX_CAP, math.max(1, default / M.CAP_DIVISOR))
    if not cap or base < cap then cap = base end
  end
  if self.adaptive and (not cap or self.adaptive < cap) then cap = self.adaptive end
  return cap
end

-- The cap as a bucket of its own: BURST of a second's sends may go at once, then `cap` a second
-- (the slack leaves room for the first request, sent before the cap was known, and for requests
-- that arrive closer together than they were sent). -> the send's time (a time later than now
-- books a slot ahead: the next send's comes after it).
-- A send for a small endpoint bucket (priority) goes ahead of the sends booked for the tenant's
-- bucket, which each move back one slot (slot_shift): hundreds of client creates booked over
-- the next seconds must not hold up an organization write, whose own bucket is what the whole
-- run waits for.
function Pacer:take_slot(now, cap, ticket, priority)
  local size = math.max(1, math.floor(cap * M.BURST))
  local tokens = self.slot_tokens or size
  tokens = math.min(size, tokens + (now - self.slot_t) * cap / 1000)
  self.slot_t = now
  self.slot_tokens = tokens - 1
  if tokens >= 1 then return now end
  local interval = 1000 / cap
  if priority then
    local at = math.max(now, self.priority_next)
    self.priority_next = at + interval
    self.slot_shift = self.slot_shift + interval
    return at
  end
  ticket.shift = self.slot_shift
  return now + (1 - tokens) * interval
end

-- When a send may go under the cap: its slot, moved back by the priority sends booked since.
local function slot_due(self, ticket)
  if ticket.shift then return ticket.slot_at + (self.slot_shift - ticket.shift) end
  return ticket.slot_at
end

-- The cap's slot of a send whose bucket time has come: taken once, and kept when the send books
-- its bucket again (after a 429 or a faster measured rate), so that it does not go to the back
-- of the queue behind everything booked since. -> ms to wait (0: send now)
function Pacer:wait_slot(ticket, now, priority)
  local cap = self:cap()
  if not cap then return 0 end
  if not ticket.slot_at then ticket.slot_at = self:take_slot(now, cap, ticket, priority) end
  local at = slot_due(self, ticket)
  if at > now then return at - now end
  return self:send_room(now, cap)
end

-- The sends themselves under the cap, a bucket of the same size and rate as the slots' charged
-- when a send goes: slots booked over the next seconds that all fall due while the process was
-- busy elsewhere (a fleet's tenants computing their plans at once, a collection) would
-- otherwise go out together, as many as the stall was long, into a per-second bucket that
-- holds BURST of a second's sends plus a little. -> ms to wait (0: the send is charged, it goes)
function Pacer:send_room(now, cap)
  local size = now < self.spaced_until and 1 or math.max(1, math.floor(cap * M.BURST))
  -- A send still in flight may not have been counted yet (it is counted when it arrives): the
  -- server's bucket may refill meanwhile and count it later together with the sends that
  -- follow. So the sends in flight hold room in the burst until they are answered; with answers
  -- that come at once this changes nothing, with a slow path (a loaded process, a queue) the
  -- bursts shrink by as much as is on the way.
  local room = math.max(1, size - self.in_flight)
  local tokens = self.send_tokens or size
  tokens = math.min(room, tokens + (now - (self.send_t or now)) * cap / 1000)
  self.send_t = now
  -- (the wait below refills exactly one token: rounding must not leave it a hair short, asked
  -- again for ever after waits too small to move the clock)
  if tokens < 1 - 1e-6 then
    self.send_tokens = tokens
    return (1 - tokens) * 1000 / cap
  end
  self.send_tokens = tokens - 1
  return 0
end

function Pacer.ticket(_, group)
  if type(group) ~= "string" then error("pacer:ticket: group must be a string", 2) end
  return { group = group }
end

-- The model of a bucket: the tenant's (the largest limit) by its size; a smaller one by its size
-- and the endpoint family (the group without its depth), because endpoint buckets of one size are
-- several (Auth0: organization writes and organization connection writes, 5 each).
function Pacer:model_key(group, limit)
  if limit >= (self.top_limit or limit) then return limit end
  return limit .. " " .. group:gsub("#%d+$", "")
end

function Pacer:model_for(group)
  local limit = self.group_limit[group] or self.default_limit
  return limit and self.models[self:model_key(group, limit)] or nil
end

-- The buckets a booked send took a token of: its own, and the tenant's when its own is an
-- endpoint bucket (ticket.tenant).
local function unbook(ticket)
  for _, field in ipairs({ "model", "tenant" }) do
    local m = ticket[field]
    if m then
      m.tokens = m.tokens + 1
      m.outstanding = m.outstanding - 1
      m.booked[ticket] = nil
      ticket[field] = nil
    end
  end
end

-- Books one token of m for the ticket at the time m can spare it (ticket.times[m]). ahead: the
-- send goes before the sends booked on m for m alone and not yet sent (their tokens count as
-- its own), which move back by one token's refill each (m.shift, as slot_shift under the cap);
-- the sends booked ahead keep their order among themselves.
local function book_one(m, ticket, now, ahead)
  refill(m, now)
  local start = now
  if m.blocked_until > start then start = m.blocked_until end
  local need = 1 + reserve(m)
  local avail = m.tokens + m.rate * (start - now) / 1000
  if avail < need then
    m.limited_at = now
    if ahead then
      for t in pairs(m.booked) do
        if t.model == m then avail = avail + 1 end
      end
      m.shift = m.shift + 1000 / m.rate
    end
    if avail < need then start = start + (need - avail) / m.rate * 1000 end
  end
  m.tokens = m.tokens - 1
  m.outstanding = m.outstanding + 1
  m.booked[ticket] = true
  ticket.times = ticket.times or {}
  ticket.times[m] = { at = start, shift = not ahead and m.shift or nil }
end

-- When the send may go: the latest of its buckets' times, each moved back by the sends booked
-- ahead of it since.
local function due(ticket)
  local at = -math.huge
  for m, time in pairs(ticket.times) do
    local t = time.shift and time.at + (m.shift - time.shift) or time.at
    if t > at then at = t end
  end
  return at
end

-- The bucket's time for the send; the slot under the cap is taken once that time has come
-- (wait_slot), so a send that waits for a slow bucket holds up no other bucket's sends.
-- A request to an endpoint with a bucket of its own also takes a token of the tenant's bucket
-- (Auth0 and the emulator check both): it books both, and goes when both can spare one, so
-- that organization connection writes do not drain the tenant's bucket behind the back of the
-- sends booked there (on the Free plan that bucket, 2 a second, is the slower of the two).
-- Such a send books the tenant's bucket ahead of the sends booked there (as it takes the
-- cap's slots ahead of them): the endpoint bucket, which refills slowly, is what the whole run
-- waits for on Enterprise, and must not stand idle behind hundreds of client creates.
function Pacer:book(ticket, m, now)
  ticket.times = {}
  book_one(m, ticket, now)
  ticket.model, ticket.gen = m, m.gen
  local tenant = self:tenant_model(m)
  if tenant then
    book_one(tenant, ticket, now, true)
    ticket.tenant, ticket.tenant_gen = tenant, tenant.gen
  end
end

-- The tenant's bucket when m is an endpoint bucket (smaller), else nil.
function Pacer:tenant_model(m)
  local top = self.top_limit
  if not top or m.limit >= top then return nil end
  return self.models[top]
end

function Pacer:wait(ticket)
  if type(ticket) ~= "table" or not ticket.group then error("pacer:wait: not a ticket", 2) end
  if ticket.sent then error("pacer:wait: the ticket was already sent", 2) end
  local now = self.now()
  if not self.seen_any then
    if self.probe and self.probe ~= ticket then return M.PROBE_POLL_MS, self.probe end
    self.probe = ticket
    self:mark_sent(ticket, now)
    return 0
  end
  -- A group no answer has come for yet may draw from a bucket of its own (a small one): one
  -- request at a time until it is known, as at the start.
  local g = ticket.group
  if self.default_limit and not self.answered[g] then
    local probe = self.group_probe[g]
    if probe and probe ~= ticket and not probe.done then return M.PROBE_POLL_MS, probe end
    self.group_probe[g] = ticket
  end
  local m = self:model_for(g)
  if not m then
    local wait = self:wait_slot(ticket, now, false)
    if wait > 0 then return wait end
    self:mark_sent(ticket, now)
    return 0
  end
  local tenant = ticket.tenant
  if ticket.model ~= m or ticket.gen ~= m.gen or tenant ~= self:tenant_model(m)
      or (tenant and ticket.tenant_gen ~= tenant.gen) then
    unbook(ticket)
    self:book(ticket, m, now)
    tenant = ticket.tenant
  end
  local at = due(ticket)
  if at > now then return at - now end
  local wait = self:wait_slot(ticket, now, m.limit < (self.top_limit or m.limit))
  if wait > 0 then return wait end
  m.booked[ticket] = nil
  if tenant then tenant.booked[ticket] = nil end
  self:mark_sent(ticket, now)
  return 0
end

-- The send goes: it is in flight until its answer (observe) or abandon.
function Pacer:mark_sent(ticket, now)
  ticket.sent, ticket.sent_at = true, now
  self.in_flight = self.in_flight + 1
end

-- The send is over (answered or given up): no longer in flight.
function Pacer:landed(ticket)
  if ticket.sent and not ticket.done then self.in_flight = self.in_flight - 1 end
end

function Pacer:abandon(ticket)
  self:landed(ticket)
  if self.probe == ticket then self.probe = nil end
  for _, field in ipairs({ "model", "tenant" }) do
    local m = ticket[field]
    if m then
      -- a send that went out may have used its token; one that did not gives it back
      if not ticket.sent then m.tokens = m.tokens + 1 end
      m.outstanding = m.outstanding - 1
      m.booked[ticket] = nil
      ticket[field] = nil
    end
  end
  ticket.done = true
end

-- The server's clock in seconds: the local wall clock plus the skew the Date header showed.
function Pacer:server_epoch()
  return self.epoch() + self.skew
end

local function release(ticket)
  for _, field in ipairs({ "model", "tenant" }) do
    local m = ticket[field]
    if m then
      m.outstanding = m.outstanding - 1
      ticket[field] = nil
    end
  end
end

function Pacer:note_limit(group, limit, now)
  self.group_limit[group] = limit
  -- The tenant's bucket is the largest (Auth0's endpoint buckets are smaller). Counting answers
  -- instead would make an organization bucket (5) the tenant's once most answers came from it,
  -- and the cap limit/12 one request a second for everything.
  if limit > (self.top_limit or 0) then
    self.top_limit = limit
    self.default_limit = limit
  end
  local key = self:model_key(group, limit)
  local m = self.models[key]
  if not m then
    m = new_model(limit, now)
    self.models[key] = m
  end
  return m
end

-- The refill of a bucket the reset cannot measure (one that refills within a second or two:
-- the reset has whole seconds), from the answers themselves: the tokens that came between an
-- earlier answer and this one are what is left now, less what was left then, plus the answers
-- in between (each took one), over at least MEASURE_MS. A window in which the bucket was found
-- full says only that the rate is higher than the one sent at: then, if the bucket has been
-- holding sends back, the rate goes up by a quarter (once per MEASURE_MS), until the bucket
-- drains and a window measures it.
function Pacer.measure(_, m, limit, remaining, now)
  m.answers = (m.answers or 0) + 1
  local hist = m.hist or {}
  m.hist = hist
  local entry = { t = now, remaining = remaining, n = m.answers, full = remaining >= limit - 1 }
  hist[#hist + 1] = entry
  -- (how many entries of the window found the bucket full: not counted again at each answer)
  if entry.full then m.hist_full = (m.hist_full or 0) + 1 end
  while #hist > 2 and now - hist[2].t >= M.MEASURE_MS do
    if table.remove(hist, 1).full then m.hist_full = m.hist_full - 1 end
  end
  local first = hist[1]
  if now - first.t < M.MEASURE_MS then return end
  if (m.hist_full or 0) > 0 then
    -- (only while the bucket holds sends back: a caller that sends slowly proves nothing)
    if now - (m.limited_at or -math.huge) < M.MEASURE_MS
        and now - (m.raised_at or -math.huge) >= M.MEASURE_MS then
      m.rate = m.rate * 1.25
      m.raised_at = now
    end
    return
  end
  local came = remaining - first.remaining + (m.answers - first.n)
  local rate = came / ((now - first.t) / 1000)
  if rate > 0 then
    m.rate = rate
    m.measured = true -- (the reset's weaker bound no longer applies)
  end
end

-- A 429 from an endpoint whose own bucket still had tokens (the answer describes that bucket):
-- the tenant's bucket, which the request also drew from, is empty. It is blocked until its next
-- token and every send booked on it books again; the endpoint bucket is only corrected. (Taken
-- for a limit no header shows, it would lower the cap and leave the sends as booked: they came
-- back 5 a second into an empty bucket, 77 429s in a Free-plan import.)
function Pacer.tenant_refused(_, tenant, m, remaining, now)
  for t in pairs(tenant.booked) do unbook(t) end
  m.tokens, m.t = remaining - m.outstanding, now
  tenant.tokens, tenant.t = -tenant.outstanding, now
  local next_token = now + 1000 / tenant.rate
  if next_token > tenant.blocked_until then tenant.blocked_until = next_token end
  tenant.gen = tenant.gen + 1
end

-- An answer came for the ticket: the send is over, and whatever the answer says of the
-- buckets, the first answer of its group included, is known from now on.
function Pacer:settle(ticket)
  self:landed(ticket)
  self.seen_any = true
  self.answered[ticket.group] = true
  if self.probe == ticket then self.probe = nil end
  release(ticket)
  ticket.done = true
end

-- The x-ratelimit-* headers of an answer -> limit, remaining, reset (limit nil when absent or
-- below 1: the answer says nothing of a bucket).
local function rate_limit_headers(headers)
  local limit = backoff.header_number(headers, "x-ratelimit-limit")
  limit = limit and math.floor(limit)
  if not limit or limit < 1 then return nil end
  return limit, backoff.header_number(headers, "x-ratelimit-remaining"),
    backoff.header_number(headers, "x-ratelimit-reset")
end

-- A 429 for bucket m. Every send booked and not yet sent books again (m.gen below): their
-- tokens go back first, so that the first to book again does not wait for the refill of all
-- the others.
-- (ep: the server's clock when the answer came)
function Pacer:refused(ticket, m, headers, remaining, ep, now)
  for t in pairs(m.booked) do unbook(t) end
  local wait = backoff.rate_limit_wait(headers, ep, { random = self.random }) or 1000
  local believed = m.tokens + m.outstanding
  local echo = (ticket.sent_at or now) <= self.last_surprise
  local surprise = not echo and m.observed and believed >= 1 + reserve(m) + M.SURPRISE_MARGIN
  if surprise and now >= self.spaced_until and now - self.last_surprise > M.RECOVER_AFTER_MS then
    -- The bucket had tokens: the per-second limit, which no header shows. The sends kept under
    -- the cap, so they arrived closer together than they went (a slow path, a loaded process):
    -- first they go one at a time, at the cap's rate, with no burst; keep the bucket.
    self.spaced_until = now + M.RECOVER_AFTER_MS
    self.last_surprise = now
  elseif surprise and now < self.spaced_until and now - self.last_cut > M.RECOVER_AFTER_MS then
    -- Again, for a send that went one at a time: a limit lower than the cap. Slow down.
    local cap = self:cap() or M.MAX_CAP
    self.adaptive = math.max(1, cap * 0.7)
    self.last_surprise, self.last_cut = now, now
  elseif not echo then
    -- (an echo was sent before the last surprise was noticed: the same event, acted on already)
    m.tokens = (remaining or 0) - m.outstanding
    m.t = now
  end
  if now + wait > m.blocked_until then m.blocked_until = now + wait end
  m.gen = m.gen + 1
  self.last_raise = now
end

-- The rate of bucket m from the reset: a sample (limit - remaining - 1) / span for the tenant's
-- bucket, or a weaker bound for an endpoint bucket the sample never sees.
local function rate_from_reset(m, limit, remaining, span, small)
  -- remaining is rounded down and the reset up: one token less makes an underestimate
  if span >= 2 and limit - remaining >= 3 and not small then
    local sample = (limit - remaining - 1) / span
    if not m.sampled or sample > m.rate then m.rate = math.max(sample, m.bound or 0) end
    m.sampled = true
  elseif span > 0 and remaining >= 1 and not m.measured then
    -- A weaker bound for buckets that refill within a second or two (Auth0's organization
    -- buckets: 5, refilled at 150 a minute), which the sample above never sees: the request
    -- just answered took a token, so at least one is missing until the reset. It only ever
    -- raises the rate: without it such a bucket stays paced at limit/60 (one request in 12 s).
    -- (With nothing remaining the reset is the next token's time, not the full bucket's.)
    local bound = math.max(1, limit - remaining - 1) / span
    if bound > (m.bound or 0) then m.bound = bound end
    if bound > m.rate then m.rate = bound end
  end
end

-- An answer that says what is left of bucket m: its tokens and its rate follow.
function Pacer:learn(m, limit, remaining, reset, ep, now)
  local old_rate = m.rate
  m.tokens = remaining - m.outstanding
  m.t = now
  m.observed = true
  -- An endpoint bucket, smaller than the tenant's, refills within seconds: the reset's whole
  -- seconds cannot measure it (a sample from them held organization writes at 1.7 a second
  -- where the bucket gives 2.5); the answers themselves do (measure).
  local small = limit < (self.top_limit or limit)
  if reset then rate_from_reset(m, limit, remaining, reset - ep, small) end
  if small or not m.sampled then self:measure(m, limit, remaining, now) end
  if m.rate > old_rate * M.REBOOK_GAIN then
    -- Sends booked at the old rate would keep their late start times: they book again.
    for t in pairs(m.booked) do unbook(t) end
    m.gen = m.gen + 1
  end
end

-- The adaptive cap goes up by 1/s every RECOVER_EVERY_MS once RECOVER_AFTER_MS have passed
-- without a surprise, and ends where the cap from the bucket size is.
function Pacer:recover_cap(now)
  if self.adaptive and now - self.last_surprise > M.RECOVER_AFTER_MS
      and now - self.last_raise > M.RECOVER_EVERY_MS then
    self.adaptive = self.adaptive + 1
    self.last_raise = now
    local default = self.default_limit
    local base = default and math.min(M.MAX_CAP, default / M.CAP_DIVISOR) or M.MAX_CAP
    if self.adaptive >= base then self.adaptive = nil end
  end
end

function Pacer:observe(ticket, status, headers)
  if type(ticket) ~= "table" or not ticket.group then error("pacer:observe: not a ticket", 2) end
  if math.type(status) ~= "integer" then error("pacer:observe: status must be an integer", 2) end
  local now = self.now()
  self:settle(ticket)
  headers = headers or {}
  local date = backoff.parse_http_date(headers.date)
  if date then self.skew = date - self.epoch() end
  local limit, remaining, reset = rate_limit_headers(headers)
  if not limit then return end
  local m = self:note_limit(ticket.group, limit, now)
  refill(m, now)
  local ep = self:server_epoch()
  local tenant = self:tenant_model(m)
  if status == 429 and tenant and remaining and remaining >= 1 then
    self:tenant_refused(tenant, m, remaining, now)
    return
  end
  if status == 429 then
    self:refused(ticket, m, headers, remaining, ep, now)
    return
  end
  if remaining then self:learn(m, limit, remaining, reset, ep, now) end
  self:recover_cap(now)
end

function Pacer:snapshot()
  local now = self.now()
  local buckets = {}
  for key, m in pairs(self.models) do
    refill(m, now)
    local b = { limit = m.limit, tokens = m.tokens, rate = m.rate, outstanding = m.outstanding,
                blocked_ms = math.max(0, m.blocked_until - now) }
    buckets[key] = b
    if buckets[m.limit] == nil then buckets[m.limit] = b end
  end
  return { cap = self:cap(), default_limit = self.default_limit, buckets = buckets }
end

return M
