--[[
a0lua.plan: what an import would change, computed from the desired state and the tenant's.

  local plan = require("a0lua.plan")
  local p = plan.compute(ctx, desired [, {types = {...}}]) -> plan | nil, err
      For every enabled type (ctx.handlers:enabled(ctx.config)) present in `desired`, the current
      state is fetched once (concurrently when running inside a0lua.tasks; kept in ctx.current)
      and compared with plan.changes_for. types: restrict to these types. The API client
      keeps its GET answers meanwhile (client:memoizing): a list is read once per plan.
  plan.fetch(ctx, types [, want]) -> true | nil, err
      Reads each type not yet in ctx.current, once. want = { [type] = desired value }: handlers
      with read_wanted read only what the value names (kept as partial, see below).
  plan.changes_for(ctx, h, desired_value, current_value) -> changes, warnings
      One type: h:resolve, the exclusions (h:filter, the deprecated AUTH0_EXCLUDED_* lists,
      AUTH0_INCLUDED_CONNECTIONS, the deploying client AUTH0_CLIENT_ID), matching by h.identifiers
      (docs/architecture.md §4.4: identifier by identifier; a nested list is a compound one whose
      parts must all be set), object_fields, then per item: create (payload = the item minus
      strip_create), update (payload = h:diff: only the fields that differ; nothing when nothing
      differs), delete (with AUTH0_ALLOW_DELETE) or skip (without). Whole-value ##KEY## / @@KEY@@
      placeholders are removed from payloads with a warning (docs/formats.md §4.3). Singletons and
      keyed lists are never deleted (an item the tenant lacks is a create).
  plan.new{changes =, warnings =} -> plan   (sorted: registry order of types, then create,
                                              update, delete, skip, then by key)

  p:changes() -> the list       p:summary() -> { [type] = {create =, update =, delete =, skip =} }
  p:has_changes() -> bool       (skips are not changes)
  p:render{color = bool} -> text    a readable diff; secrets masked
  p:json() -> string            { changes = [...], summary = {...}, warnings = [...],
                                  has_changes = bool }; secrets masked

A change: { type =, op = "create"|"update"|"delete"|"skip", key = display name, id = tenant id,
payload =, current =, desired =, reason = (skip), diff = { {path =, from =, to =}, ... },
index = the item's place in the file's list (from 1; absent for a singleton, or when the handler's
resolve did not keep the list's order) }.
]]
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local printable = require("a0lua.log").printable
local secrets = require("a0lua.secrets")
local util = require("a0lua.util")

local M = {}

local NULL = json.null

local OP_RANK = { create = 1, update = 2, delete = 3, skip = 4 }

local is_object = util.is_object

local present = util.present

local set_of = util.set_of

--------------------------------------------------------------------------------------------------
-- Plan objects

local Plan = {}
Plan.__index = Plan

local function sort_key(change)
  return tostring(change.key or "") .. "\0" .. tostring(change.id or "")
end

function M.new(t)
  t = t or {}
  local self = setmetatable({ list = t.changes or {}, warnings = t.warnings or {} }, Plan)
  table.sort(self.list, function(a, b)
    local ra, rb = handlers.RANK[a.type] or math.huge, handlers.RANK[b.type] or math.huge
    if ra ~= rb then return ra < rb end
    if a.type ~= b.type then return a.type < b.type end
    if a.op ~= b.op then return OP_RANK[a.op] < OP_RANK[b.op] end
    return sort_key(a) < sort_key(b)
  end)
  return self
end

function Plan:changes() return self.list end

function Plan:summary()
  local out = {}
  for _, c in ipairs(self.list) do
    local s = out[c.type]
    if not s then
      s = { create = 0, update = 0, delete = 0, skip = 0 }
      out[c.type] = s
    end
    s[c.op] = s[c.op] + 1
  end
  return out
end

function Plan:has_changes()
  for _, c in ipairs(self.list) do
    if c.op ~= "skip" then return true end
  end
  return false
end

-- Secrets never appear in plans: values under secret names are masked by a0lua.secrets' rule
-- (only strings; placeholders such as ##SMTP_PASS## stay, they are not the secret).
M.secret_key = secrets.is_secret_name

-- mask(v [, key [, under_secret]]): v as a plan shows it; key: the name v sits under;
-- under_secret: v is inside a secret (every string in it is masked).
local function mask(v, key, under_secret)
  return secrets.mask(v, { key = key, whole = under_secret, keep = handler.is_placeholder })
end
M.mask = mask

-- A diff's value at a dot path ("options.credentials.key"): a name on the way whose whole value
-- is secret ("client_secret", "secrets") masks it all; else the last name decides.
local function mask_at(path, v)
  local last
  for name in tostring(path):gmatch("[^.%[%]]+") do
    if not name:match("^%d+$") then
      if secrets.class(name) == "secret" then return mask(v, nil, true) end
      last = name
    end
  end
  return mask(v, last)
end

local function show(v)
  if v == nil then return "(absent)" end
  if v == NULL then return "null" end
  local text = json.encode(v)
  if not text then return tostring(v) end
  if #text > 200 then text = text:sub(1, 197) .. "..." end
  return text
end

local COLORS = { create = "\27[32m", update = "\27[33m", delete = "\27[31m", skip = "\27[2m" }
local RESET = "\27[0m"
local SIGNS = { create = "+", update = "~", delete = "-", skip = "!" }

local function payload_lines(payload, out, indent)
  local keys = {}
  for k in pairs(payload or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    out[#out + 1] = printable(indent .. tostring(k) .. ": " .. show(mask(payload[k], k)))
  end
end

function Plan:render(opts)
  opts = opts or {}
  local color = opts.color
  local out = {}
  local current_type
  for _, c in ipairs(self.list) do
    if c.type ~= current_type then
      current_type = c.type
      out[#out + 1] = printable(c.type)
    end
    local head = ("  %s %-6s %s"):format(SIGNS[c.op], c.op, tostring(c.key or c.id or c.type))
    if c.op == "skip" and c.reason then head = head .. " (" .. c.reason .. ")" end
    -- names and values come from the files and the tenant: no live control characters
    head = printable(head)
    if color then head = COLORS[c.op] .. head .. RESET end
    out[#out + 1] = head
    if c.op == "update" then
      for _, d in ipairs(c.diff or {}) do
        out[#out + 1] = printable(("      %s: %s -> %s"):format(d.path,
          show(mask_at(d.path, d.from)), show(mask_at(d.path, d.to))))
      end
    elseif c.op == "create" and opts.verbose then
      payload_lines(c.payload, out, "      ")
    end
  end
  if #self.list == 0 then out[#out + 1] = "No changes." end
  local counts = { create = 0, update = 0, delete = 0, skip = 0 }
  for _, c in ipairs(self.list) do counts[c.op] = counts[c.op] + 1 end
  if #self.list > 0 and not self:has_changes() then
    out[#out + 1] = ("No changes (%d skipped)."):format(counts.skip)
  elseif #self.list > 0 then
    out[#out + 1] = ("Plan: %d to create, %d to update, %d to delete, %d skipped."):format(
      counts.create, counts.update, counts.delete, counts.skip)
  end
  for _, w in ipairs(self.warnings) do
    local line = printable("warning: " .. tostring(w))
    if color then line = "\27[33m" .. line .. RESET end
    out[#out + 1] = line
  end
  return table.concat(out, "\n") .. "\n"
end

function Plan:json()
  local changes = json.array()
  for _, c in ipairs(self.list) do
    local diff = json.array()
    for _, d in ipairs(c.diff or {}) do
      diff[#diff + 1] = { path = d.path, from = mask_at(d.path, d.from),
        to = mask_at(d.path, d.to) }
    end
    changes[#changes + 1] = {
      type = c.type, op = c.op, key = c.key, id = c.id, reason = c.reason,
      payload = c.payload and mask(c.payload) or nil, diff = diff,
    }
  end
  local warnings = json.array()
  for _, w in ipairs(self.warnings) do warnings[#warnings + 1] = tostring(w) end
  local summary = self:summary()
  return assert(json.encode({ changes = changes, summary = summary, warnings = warnings,
    has_changes = self:has_changes() }, { pretty = true }))
end

--------------------------------------------------------------------------------------------------
-- Matching

-- The value of an identifier on an item: a field, or for a compound identifier every part (all
-- must be set) joined so that equal parts give equal keys.
local function ident_value(item, ident)
  if type(ident) == "table" then
    local parts = {}
    for _, f in ipairs(ident) do
      local v = item[f]
      if not present(v) then return nil end
      parts[#parts + 1] = tostring(v)
    end
    return table.concat(parts, "\0")
  end
  local v = item[ident]
  if type(v) == "string" then -- nearly every identifier: present unless empty
    if v == "" then return nil end
    return v
  end
  if not present(v) or type(v) == "table" then return nil end
  return tostring(v)
end

-- docs/architecture.md §4.4: returns matched pairs {desired, current}, unmatched desired,
-- unmatched current (each in their original order). (The items still unmatched are kept as
-- their positions, not wrapped: a fleet matches every item of every tenant.)
function M.match(identifiers, desired, current)
  local creates, dels = {}, {}
  for i = 1, #desired do creates[i] = i end
  for i = 1, #current do dels[i] = i end
  local pairs_out = {}
  for _, ident in ipairs(identifiers) do
    if #creates == 0 or #dels == 0 then break end -- (nothing left to pair)
    local index = {}
    for pos, ci in ipairs(dels) do
      local v = ident_value(current[ci], ident)
      if v and not index[v] then index[v] = pos end
    end
    local still = {}
    local taken = {}
    for _, di in ipairs(creates) do
      local v = ident_value(desired[di], ident)
      local pos = v and index[v]
      if pos and not taken[pos] then
        taken[pos] = true
        pairs_out[#pairs_out + 1] = { desired = desired[di], current = current[dels[pos]], i = di }
      else
        still[#still + 1] = di
      end
    end
    creates = still
    local left = {}
    for pos, ci in ipairs(dels) do
      if not taken[pos] then left[#left + 1] = ci end
    end
    dels = left
  end
  table.sort(pairs_out, function(a, b) return a.i < b.i end)
  local out_creates, out_dels = {}, {}
  for k, di in ipairs(creates) do out_creates[k] = desired[di] end
  for k, ci in ipairs(dels) do out_dels[k] = current[ci] end
  return pairs_out, out_creates, out_dels
end

--------------------------------------------------------------------------------------------------
-- Exclusions

-- The deprecated per-type name lists (docs/architecture.md §3.4).
local EXCLUDED_BY_NAME = {
  rules = "AUTH0_EXCLUDED_RULES",
  clients = "AUTH0_EXCLUDED_CLIENTS",
  databases = "AUTH0_EXCLUDED_DATABASES",
  connections = "AUTH0_EXCLUDED_CONNECTIONS",
  resourceServers = "AUTH0_EXCLUDED_RESOURCE_SERVERS",
}

local function excluder(ctx, h)
  local cfg = ctx.config or {}
  local names = set_of(EXCLUDED_BY_NAME[h.type] and cfg[EXCLUDED_BY_NAME[h.type]])
  local only = h.type == "connections" and cfg.AUTH0_INCLUDED_CONNECTIONS
  local only_set = type(only) == "table" and #only > 0 and set_of(only) or nil
  local deploying = cfg.AUTH0_CLIENT_ID
  local excluded_clients = set_of(cfg.AUTH0_EXCLUDED_CLIENTS)
  return function(item)
    if type(item) ~= "table" then return false end
    local name = item[h.name_field]
    if name ~= nil and names[name] then return false end
    if only_set and not only_set[name] then return false end
    if deploying and deploying ~= "" then
      if h.type == "clients" and item.client_id == deploying then return false end
      if h.type == "clientGrants" and item.client_id == deploying then return false end
    end
    if h.type == "clientGrants" and item.client_id and excluded_clients[item.client_id] then
      return false
    end
    return h:filter(ctx, item) ~= false
  end
end

--------------------------------------------------------------------------------------------------
-- Payloads

local function strip_placeholders(h, item, key, warnings)
  local copy, removed = handler.placeholders(item)
  for _, r in ipairs(removed) do
    warnings[#warnings + 1] = ("%s %s: %s is %s: define it in AUTH0_KEYWORD_REPLACE_MAPPINGS; the "
      .. "value on the tenant is kept"):format(h.type, tostring(key), r.path, r.value)
  end
  return copy
end

local allow_delete = util.allow_delete
local shallow_copy = util.shallow_copy

-- docs/architecture.md §4.5. Returns the desired item adjusted (a shallow copy, with a copy of each
-- object field it changes: the item it is given is left as it was) and the fields to force into
-- the payload.
local function object_fields(ctx, h, item, current, key, warnings)
  local forced = {}
  local desired = item
  local function set(f, v)
    if desired == item then desired = shallow_copy(item) end
    desired[f] = v
  end
  for _, f in ipairs(h.object_fields or {}) do
    local d, c = desired[f], current[f]
    local d_empty = d == nil or d == NULL or (type(d) == "table" and next(d) == nil)
    local c_empty = c == nil or c == NULL or (type(c) == "table" and next(c) == nil)
    if d_empty and c_empty then
      if d ~= nil then set(f, nil) end
    elseif not d_empty and is_object(d) then
      if is_object(c) then
        local ks = {}
        for k in pairs(c) do if d[k] == nil then ks[#ks + 1] = k end end
        table.sort(ks)
        for _, k in ipairs(ks) do
          if allow_delete(ctx) then
            if desired[f] == item[f] then set(f, shallow_copy(d)) end
            desired[f][k] = NULL
          else
            warnings[#warnings + 1] = ("%s %s: %s.%s is on the tenant only and is kept (deletes "
              .. "are not allowed: AUTH0_ALLOW_DELETE)"):format(h.type, tostring(key), f, k)
          end
        end
      end
    elseif d_empty and not c_empty then
      if d ~= nil then set(f, nil) end
      if allow_delete(ctx) then
        forced[f] = {}
      else
        warnings[#warnings + 1] = ("%s %s: %s is set on the tenant only and is kept (deletes are "
          .. "not allowed: AUTH0_ALLOW_DELETE)"):format(h.type, tostring(key), f)
      end
    end
  end
  return desired, forced
end

local function create_change(h, item, warnings)
  local key = handler.item_name(h, item)
  local payload = handler.strip(item, h.strip_create)
  if h.kind == "list" and h.id then payload[h.id] = nil end
  payload = strip_placeholders(h, payload, key, warnings)
  return { type = h.type, op = "create", key = key, payload = payload, desired = item,
    diff = {} }
end

local function update_change(ctx, h, item, current, warnings)
  local key = handler.item_name(h, item) or handler.item_name(h, current)
  if h.kind == "singleton" then key = h.type end
  local desired, forced = object_fields(ctx, h, strip_placeholders(h, item, key, warnings),
    current, key, warnings)
  local payload, diffs = h:diff(ctx, desired, current)
  for f, v in pairs(forced) do
    payload = payload or {}
    payload[f] = v
    diffs = diffs or {}
    diffs[#diffs + 1] = { path = f, from = current[f], to = v }
  end
  if payload == nil then return nil end
  return { type = h.type, op = "update", key = key, id = handler.item_id(h, current),
    payload = payload, current = current, desired = item, diff = diffs or {} }
end

-- Changes of one type.
function M.changes_for(ctx, h, desired_value, current_value)
  local warnings = {}
  local changes = {}
  if desired_value == nil or desired_value == NULL then return changes, warnings end
  -- A handler's resolve may change what it is given: it gets a copy (desired_value may be a
  -- fleet's shared load, and apply plans a type again from it). Without one of its own, nothing
  -- changes the items (object_fields and placeholders copy before they change one).
  local desired = desired_value
  if h.resolve ~= handler.Base.resolve then
    desired = h:resolve(ctx, handler.deep_copy(desired_value))
    if desired == nil then desired = desired_value end
  end

  if h.kind == "singleton" then
    if type(desired) ~= "table" or next(desired) == nil then return changes, warnings end
    local current = is_object(current_value) and current_value or {}
    local c = update_change(ctx, h, desired, current, warnings)
    if c then changes[#changes + 1] = c end
    return changes, warnings
  end

  -- Where each item is in the file's list (change.index, from 1), when h:resolve kept them in
  -- place: a problem found later (a0lua.preflight) names its file:line.
  local index_of = {}
  if type(desired_value) == "table" and #desired == #desired_value then
    for i, item in ipairs(desired) do index_of[item] = i end
  end
  local keep = excluder(ctx, h)
  local want, have = {}, {}
  for _, item in ipairs(desired) do
    if keep(item) then want[#want + 1] = item end
  end
  for _, item in ipairs(type(current_value) == "table" and current_value or {}) do
    if keep(item) then have[#have + 1] = item end
  end

  local matched, creates, deletes = M.match(h.identifiers, want, have)
  for _, m in ipairs(matched) do
    local c = update_change(ctx, h, m.desired, m.current, warnings)
    if c then
      c.index = index_of[m.desired]
      changes[#changes + 1] = c
    end
  end
  for _, item in ipairs(creates) do
    local c = create_change(h, item, warnings)
    c.index = index_of[item]
    changes[#changes + 1] = c
  end
  if h.kind == "list" then
    for _, item in ipairs(deletes) do
      local c = { type = h.type, key = handler.item_name(h, item), id = handler.item_id(h, item),
        current = item, diff = {} }
      if allow_delete(ctx) then
        c.op = "delete"
      else
        c.op = "skip"
        c.reason = "on the tenant only; deletes are not allowed (AUTH0_ALLOW_DELETE)"
      end
      changes[#changes + 1] = c
    end
  end
  return changes, warnings
end

--------------------------------------------------------------------------------------------------
-- The whole plan

local function in_task()
  local ok, tasks = pcall(require, "a0lua.tasks")
  if ok and tasks.current() then return tasks end
  return nil
end

-- A function that reads one type -> value | nil, err. pending (a whole type read beside others):
-- another type's fetch that needs this type meanwhile (handler.current_of: the client grants
-- name the clients) waits for this read instead of making its own.
local function fetcher(ctx, t, want, pending)
  return function()
    local h = ctx.handlers:get(t)
    if pending then pending.task = pending.tasks.current() end
    local ok, value, err = pcall(h.fetch, h, ctx, want)
    if pending then
      pending.value = ok and value or nil
      pending.done:fire()
    end
    if not ok then return nil, value end
    return value, err
  end
end

-- The reads of whole types that run beside others, each kept in ctx.fetching[type] until
-- plan.fetch has them all -> { [i] = pending } (none when the types are read one by one).
local function pending_reads(ctx, tasks, to_read, wants)
  local pending = {}
  if not tasks or #to_read < 2 then return pending end
  ctx.fetching = ctx.fetching or {}
  for i, t in ipairs(to_read) do
    if wants[i] == nil then
      pending[i] = { tasks = tasks, done = tasks.signal() }
      ctx.fetching[t] = pending[i]
    end
  end
  return pending
end

-- Fetches the current state of each type not yet in ctx.current (concurrently inside a task),
-- each type once however often `types` names it. want (optional): { [type] = desired value }; a
-- handler with read_wanted reads only what that value names (prompts' custom texts, email
-- templates, trigger bindings: an import need not read the 35 custom-text prompts of every
-- locale to set one). Such a partial state is kept for that desired value only: ctx.partial[t]
-- holds it, and a read for anything else (an export, another plan) reads the type again.
function M.fetch(ctx, types, want)
  ctx.current = ctx.current or {}
  ctx.partial = ctx.partial or {}
  local to_read, wants, seen = {}, {}, {}
  for _, t in ipairs(types) do
    if not seen[t] then
      seen[t] = true
      local h = ctx.handlers:get(t)
      local w = h and h.read_wanted and want and want[t] or nil
      if w == NULL then w = nil end
      local have, partial_for = ctx.current[t], ctx.partial[t]
      if have == nil or (partial_for ~= nil and partial_for ~= w) then
        to_read[#to_read + 1] = t
        wants[#to_read] = w
      end
    end
  end
  if #to_read == 0 then return true end
  local tasks = in_task()
  local pending = pending_reads(ctx, tasks, to_read, wants)
  local fns = {}
  for i, t in ipairs(to_read) do fns[i] = fetcher(ctx, t, wants[i], pending[i]) end
  local values, errs
  local api = ctx.api
  if tasks and #fns > 1 and type(api) == "table" and type(api.coalescing) == "function" then
    -- handlers that look up the same lists at once (the clients, the connections) send each once
    values, errs = api:coalescing(tasks.all, fns)
  elseif tasks and #fns > 1 then
    values, errs = tasks.all(fns)
  else
    values, errs = {}, {}
    for i, fn in ipairs(fns) do values[i], errs[i] = fn() end
  end
  for i, t in ipairs(to_read) do
    if pending[i] then ctx.fetching[t] = nil end
  end
  for i, t in ipairs(to_read) do
    if values[i] == nil then
      local err = errs[i]
      if type(err) == "table" then
        err.type = err.type or t
        return nil, err
      end
      return nil, errors.from{ code = "fetch", type = t,
        message = ("cannot read %s from the tenant: %s"):format(t, tostring(err)) }
    end
    ctx.current[t] = values[i]
    ctx.partial[t] = wants[i]
  end
  return true
end

-- The types of `desired` that are enabled and have a handler, in registry order.
function M.types_of(ctx, desired, only)
  local only_set = only and set_of(only)
  local out = {}
  for _, t in ipairs(ctx.handlers:enabled(ctx.config)) do
    if desired[t] ~= nil and desired[t] ~= NULL and (not only_set or only_set[t]) then
      out[#out + 1] = t
    end
  end
  return out
end

-- A type without data of its own in the files (h.derive: clientAuthCredentials, from the
-- clients) gets its desired value from the other types'. The caller's table is left as it was.
local function with_derived(ctx, desired)
  local out
  for _, t in ipairs(ctx.handlers:enabled(ctx.config)) do
    local h = ctx.handlers:get(t)
    if h and type(h.derive) == "function" then
      if not out then
        out = {}
        for k, v in pairs(desired) do out[k] = v end
      end
      out[t] = h:derive(ctx, desired)
    end
  end
  return out or desired
end

function M.compute(ctx, desired, opts)
  local api = ctx.api
  -- a list that several handlers read (their own type, or the one they name) is read once
  if type(api) == "table" and type(api.memoizing) == "function" and not api.memo then
    return api:memoizing(M.compute, ctx, desired, opts)
  end
  opts = opts or {}
  desired = with_derived(ctx, desired)
  local types = M.types_of(ctx, desired, opts.types)
  local ok, err = M.fetch(ctx, types, desired)
  if not ok then return nil, err end
  -- Handlers that resolve names see the file's other types too (an organization may name a
  -- connection that this import creates): ctx.desired.
  ctx.desired = desired
  local changes, warnings = {}, {}
  for _, t in ipairs(types) do
    local h = ctx.handlers:get(t)
    local cs, ws = M.changes_for(ctx, h, desired[t], ctx.current[t])
    for _, c in ipairs(cs) do changes[#changes + 1] = c end
    for _, w in ipairs(ws) do warnings[#warnings + 1] = w end
  end
  local p = M.new{ changes = changes, warnings = warnings }
  p.types = types
  p.desired = desired
  return p
end

return M
