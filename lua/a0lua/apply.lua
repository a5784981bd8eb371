--[[
a0lua.apply: carries out a plan on the tenant.

  local apply = require("a0lua.apply")
  apply.run(ctx, plan) -> report | nil, err, report
      Creates and updates of a type start once every type it depends_on is done; inside
      a0lua.tasks the types run as tasks of their own (a type waits only for what it needs) and
      the items of one type at the same time; outside, stage by stage (ctx.handlers:stages),
      sequentially. Inside one type, a change whose handler awaits other items' creates
      (h:awaits) is written after them. The parts of an item (handler.parts: an organization's
      connections, grants, clients) are written by h:write_part once the item and what the part
      names exist. Deletes
      come last, in the reverse order (grants before their clients, organizations before the
      connections they name). Once anything has been written, a type's changes are computed
      again when it starts, against the tenant state as it now is (ctx.current, kept up to date
      with every answer), so names of objects created in this run resolve to their new ids.
      Once a change has failed, no further type starts; the error lists what was applied.
      Progress: ctx.log:progress("apply", done, total) after each change; ctx.log:info per change.
      While it runs, the API client's coalescing is on (ctx.api.coalesce, a0lua.api): the
      changes running at once read the same lists from many tasks.
      Hooks (ctx.hooks, a0lua.hooks): the `before` hooks of every change run before the first
      write (a veto returns nil, err with nothing written), and the bodies they leave are
      checked against the API's request schemas (a0lua.preflight with plan.sources: a body it
      would refuse returns nil, err with nothing written); a change computed again after earlier
      writes keeps its hooked payload, or meets the hooks again when it now differs; `after`
      runs after each change done (for an item with parts, after its last part).
  report = { types = { [type] = {created =, updated =, deleted =, skipped =} },
             applied = { {type =, op =, key =, id =}, ... } }
  apply.render(report) -> text       one line per type with something in it, then the total
  err = { code = "apply_failed", message =, failures = { {type =, op =, key =, error =} },
          applied = report.applied }  tostring(err) names each failure and what was applied
]]
local json = require("a0lua.core.json")
local errors = require("a0lua.errors")
local handler = require("a0lua.handler")
local plan_mod = require("a0lua.plan")

local M = {}

local NULL = json.null

local function in_task()
  local ok, tasks = pcall(require, "a0lua.tasks")
  if ok and tasks.current() then return tasks end
  return nil
end

local function log_of(ctx)
  local log = ctx.log
  if log then return log end
  local nop = function() end
  return { info = nop, warn = nop, debug = nop, error = nop, progress = nop }
end

local function describe_error(err)
  if type(err) == "table" then
    if getmetatable(err) and getmetatable(err).__tostring then return tostring(err) end
    return tostring(err.message or err.code)
  end
  return tostring(err)
end

local function failed(failures, applied)
  local lines = {}
  for _, f in ipairs(failures) do
    lines[#lines + 1] = ("  %s %s %s: %s"):format(f.op, f.type, tostring(f.key or f.id or ""),
      describe_error(f.error))
  end
  local done = {}
  for _, a in ipairs(applied) do
    done[#done + 1] = ("  %s %s %s"):format(a.op, a.type, tostring(a.key or a.id or ""))
  end
  local message = ("import failed:\n%s\nalready applied (%d):\n%s"):format(
    table.concat(lines, "\n"), #applied, #done > 0 and table.concat(done, "\n") or "  nothing")
  return errors.new("apply_failed", message, { failures = failures, applied = applied })
end

-- Keeps ctx.current in step with what the tenant now holds.
local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = handler.deep_copy(v) end
  return into
end

local function track(ctx, h, change, result)
  ctx.current = ctx.current or {}
  local list = ctx.current[h.type]
  if h.kind == "singleton" then
    local cur = type(list) == "table" and list or {}
    merge(cur, change.write_payload or change.payload)
    if type(result) == "table" then merge(cur, result) end
    ctx.current[h.type] = cur
    return
  end
  if type(list) ~= "table" then
    list = json.array()
    ctx.current[h.type] = list
  end
  local payload = change.write_payload or change.payload
  if change.op == "create" then
    local item = merge({}, payload)
    if type(result) == "table" then merge(item, result) end
    list[#list + 1] = item
  elseif change.op == "update" then
    for _, item in ipairs(list) do
      if item == change.current or (change.id ~= nil and handler.item_id(h, item) == change.id) then
        merge(item, payload)
        if type(result) == "table" then merge(item, result) end
        for k, v in pairs(item) do
          if v == NULL and payload and payload[k] == NULL then item[k] = nil end
        end
        break
      end
    end
  elseif change.op == "delete" then
    for i = #list, 1, -1 do
      local item = list[i]
      if item == change.current or (change.id ~= nil and handler.item_id(h, item) == change.id) then
        table.remove(list, i)
      end
    end
  end
end

--------------------------------------------------------------------------------------------------
-- Item parts (handler.parts): fields of an item written by requests of their own once the item
-- exists and the types the part names are done. The item itself then waits only for its own
-- depends_on: organizations are created from the start, beside the clients, and their
-- connections go as soon as the connections exist, each in its own endpoint bucket.

local function parts_of(h)
  if h and type(h.parts) == "table" and type(h.write_part) == "function" then return h.parts end
  return nil
end

local function part_node(t, field) return t .. ":" .. field end

-- The nodes of the writes (each type, and each part of a type as a node of its own), their
-- dependencies (a type's own: depends_on, or h:depends_on_for(the file's items) where the
-- handler has parts and can tell), and the dependencies of the delete stages (a type after
-- everything it or its parts name, so it goes before them).
local function graph(ctx, types, desired)
  local nodes, own_deps, part_deps, all_deps = {}, {}, {}, {}
  for _, t in ipairs(types) do
    nodes[#nodes + 1] = t
    local h = ctx.handlers:get(t)
    local own = h and h.depends_on or {}
    if h and type(h.depends_on_for) == "function" and parts_of(h) then
      own = h:depends_on_for(desired and desired[t])
    end
    own_deps[t] = own
    local all = {}
    for _, d in ipairs(h and h.depends_on or {}) do all[#all + 1] = d end
    for _, part in ipairs(parts_of(h) or {}) do
      local node = part_node(t, part.field)
      nodes[#nodes + 1] = node
      local deps = { t }
      for _, d in ipairs(part.depends_on or {}) do
        deps[#deps + 1] = d
        all[#all + 1] = d
      end
      part_deps[node] = deps
    end
    all_deps[t] = all
  end
  return nodes, own_deps, part_deps, all_deps
end

-- Takes the parts out of a create or update: change.write_payload is the rest; each part that
-- has something to write becomes a change of its own, queued under its node.
local function split_parts(h, change, queued, state)
  local parts = parts_of(h)
  if not parts or type(change.payload) ~= "table" then return end
  local rest
  for _, part in ipairs(parts) do
    local want = change.payload[part.field]
    if want ~= nil then
      if not rest then
        rest = {}
        for k, v in pairs(change.payload) do rest[k] = v end
      end
      rest[part.field] = nil
      if change.op == "update" or (type(want) == "table" and next(want) ~= nil) then
        local node = part_node(change.type, part.field)
        queued[node] = queued[node] or {}
        table.insert(queued[node], { type = change.type, op = change.op, key = change.key,
          id = change.id, part = part.field, parent = change, want = want,
          have = type(change.current) == "table" and change.current[part.field] or nil })
        change.parts_left = (change.parts_left or 0) + 1
        state.total = state.total + 1
      end
    end
  end
  change.write_payload = rest
end

local function perform_part(ctx, h, change)
  local parent = change.parent
  local id = parent.id
  if parent.op == "create" then
    id = type(parent.result) == "table" and handler.item_id(h, parent.result) or nil
  end
  if id == nil then
    return nil, errors.new("apply", ("%s %s: no id to write its %s to"):format(
      change.type, tostring(change.key), change.part))
  end
  local ok, result, err = pcall(h.write_part, h, ctx, id, change.part, change.want, change.have)
  if not ok then return nil, result end
  if result == nil then return nil, err end
  return true
end

local function perform(ctx, h, change)
  if change.part then return perform_part(ctx, h, change) end
  local payload = change.write_payload or change.payload
  local ok, result, err
  if change.op == "create" then
    ok, result, err = pcall(h.create, h, ctx, payload)
  elseif change.op == "update" then
    -- only parts differ: nothing to send for the item itself
    if change.write_payload and next(payload) == nil then return change.current or true end
    ok, result, err = pcall(h.update, h, ctx, change.current, payload)
  elseif change.op == "delete" then
    ok, result, err = pcall(h.delete, h, ctx, change.current)
  else
    return true
  end
  if not ok then return nil, result end
  if result == nil and err ~= nil then return nil, err end
  return result == nil and true or result
end

-- A part written: the tenant's item now has it; the last part of an item runs its after hooks.
local function part_done(ctx, h, change)
  local parent = change.parent
  local list = ctx.current and ctx.current[h.type]
  local id = parent.id or (type(parent.result) == "table" and handler.item_id(h, parent.result))
  for _, item in ipairs(type(list) == "table" and list or {}) do
    if id ~= nil and handler.item_id(h, item) == id then
      item[change.part] = handler.deep_copy(change.want)
      break
    end
  end
  parent.parts_left = parent.parts_left - 1
  if parent.parts_left == 0 and ctx.hooks then ctx.hooks:run_after(parent, parent.result, ctx) end
end

local PAST = { create = "created", update = "updated", delete = "deleted", skip = "skipped" }

function M.new_report()
  return { types = {}, applied = {} }
end

local function count(report, t, op)
  local s = report.types[t]
  if not s then
    s = { created = 0, updated = 0, deleted = 0, skipped = 0 }
    report.types[t] = s
  end
  s[PAST[op]] = s[PAST[op]] + 1
end

-- The function that carries out one change and books it (the outcome is recorded by
-- finish_changes). A part waits for its item first (parent.task, inside a task).
local function change_fn(ctx, state, change)
  local log = log_of(ctx)
  return function()
    local h = ctx.handlers:get(change.type)
    if change.part then
      local parent = change.parent
      if parent.task then parent.task:wait() end
      if parent.result == nil then
        return nil, errors.new("apply_skipped", "not written: the item itself failed")
      end
    end
    local result, err = perform(ctx, h, change)
    if result == nil then return nil, err end
    if change.part then
      part_done(ctx, h, change)
    else
      change.result = result
      track(ctx, h, change, result)
      -- (an item with parts meets its after hooks once the last part is written)
      if ctx.hooks and (change.parts_left or 0) == 0 then
        ctx.hooks:run_after(change, result, ctx)
      end
      log:info(("%s %s %s"):format(PAST[change.op], change.type, tostring(change.key
        or change.id or "")))
    end
    state.done = state.done + 1
    log:progress("apply", state.done, state.total)
    return true
  end
end

-- Changes of one batch that wait for others of it: h:awaits(ctx, change) -> keys of items of the
-- same type whose create must be answered first (a client naming, by name, a client the same run
-- creates: its write then carries the new id). Returns the changes in an order where each comes
-- after what it awaits, and change -> { awaited changes }. An edge that would close a cycle is
-- left out: that write names the other item as the files do.
local function order_by_awaits(ctx, changes)
  local h = changes[1] and not changes[1].part and ctx.handlers:get(changes[1].type)
  if not (h and type(h.awaits) == "function") then return changes, {} end
  local creating = {}
  for _, change in ipairs(changes) do
    if change.op == "create" and change.key ~= nil then creating[change.key] = change end
  end
  local awaits = {}
  for _, change in ipairs(changes) do
    if change.op == "create" or change.op == "update" then
      for _, key in ipairs(h:awaits(ctx, change) or {}) do
        local other = creating[key]
        if other and other ~= change then
          awaits[change] = awaits[change] or {}
          table.insert(awaits[change], other)
        end
      end
    end
  end
  if next(awaits) == nil then return changes, awaits end
  local ordered, mark = {}, {}
  local function visit(change)
    mark[change] = "visiting"
    local kept = {}
    for _, other in ipairs(awaits[change] or {}) do
      if mark[other] ~= "visiting" then
        if not mark[other] then visit(other) end
        kept[#kept + 1] = other
      end
    end
    awaits[change] = kept
    mark[change] = "done"
    ordered[#ordered + 1] = change
  end
  for _, change in ipairs(changes) do
    if not mark[change] then visit(change) end
  end
  return ordered, awaits
end

-- Starts a list of changes (one type's, or one part's) at the same time: each a task of its own
-- (change.task), so that the parts of an item can wait for it. With more changes than requests
-- in flight, the others of a type wait for its first change: handlers resolve names against
-- lists they read once per run and keep (clients, connections, grants), and a change that finds
-- its list not read yet reads it; started all at once, every change of the type would read it
-- (a 1,000-resource import read the client list 200 times, and held every copy). A change that
-- awaits others (order_by_awaits) starts after their tasks end.
-- Outside a task, the changes run one after the other here. -> batch for finish_changes
local function start_changes(ctx, state, changes)
  local tasks = in_task()
  local awaits
  changes, awaits = order_by_awaits(ctx, changes)
  local batch = { changes = changes, values = {}, errs = {} }
  if not tasks then
    for i, change in ipairs(changes) do
      batch.values[i], batch.errs[i] = change_fn(ctx, state, change)()
    end
    return batch
  end
  local gated = #changes > ((ctx.config and ctx.config.concurrency) or 8)
  local first = {}
  for _, change in ipairs(changes) do
    local fn = change_fn(ctx, state, change)
    if awaits[change] then
      local run = fn
      fn = function()
        for _, other in ipairs(awaits[change]) do other.task:wait() end
        return run()
      end
    end
    local gate = change.part and part_node(change.type, change.part) or change.type
    local lead = gated and first[gate]
    if lead then
      change.task = tasks.spawn(function()
        lead:wait()
        return fn()
      end)
    else
      change.task = tasks.spawn(fn)
      first[gate] = change.task
    end
  end
  return batch
end

-- Waits for a batch and records each outcome in the report (a part counts with its item).
local function finish_changes(ctx, state, batch)
  local log = log_of(ctx)
  local values, errs = batch.values, batch.errs
  for i, change in ipairs(batch.changes) do
    if change.task then values[i], errs[i] = change.task:wait() end
  end
  for i, change in ipairs(batch.changes) do
    local key = change.key
    if change.part then key = ("%s (%s)"):format(tostring(change.key or change.id), change.part) end
    if values[i] then
      if not change.part then
        count(state.report, change.type, change.op)
        local applied = state.report.applied
        applied[#applied + 1] = { type = change.type, op = change.op, key = change.key,
          id = change.id }
      end
    else
      state.failures[#state.failures + 1] = { type = change.type, op = change.op,
        key = key, id = change.id, error = errs[i] }
      log:error(("failed to %s %s %s: %s"):format(change.op, change.type,
        tostring(key or change.id or ""), describe_error(errs[i])))
    end
  end
end

local function run_changes(ctx, state, changes)
  finish_changes(ctx, state, start_changes(ctx, state, changes))
end

-- Runs every node once the nodes it depends on are done. start_node(node) -> batch | nil starts
-- the node's changes. Inside a task each node is a task of its own that waits only for its
-- dependencies (a slow type, such as the organizations with their small buckets, holds up
-- nothing that does not need it), and a part node waits only until its item's type has started:
-- each part then waits for its own item, so an organization's connections go as soon as that
-- organization exists. Outside a task, stage by stage. Once a change has failed, no further node
-- starts.
local function run_graph(ctx, state, nodes, own_deps, part_deps, start_node)
  local function deps_of(n) return part_deps[n] or own_deps[n] or {} end
  local stages = ctx.handlers:stages(nodes, deps_of)
  local tasks = in_task()
  if not tasks then
    for _, stage in ipairs(stages) do
      for _, n in ipairs(stage) do
        if #state.failures > 0 then return end
        local batch = start_node(n)
        if batch then finish_changes(ctx, state, batch) end
      end
    end
    return
  end
  local started, done, list = {}, {}, {}
  for _, stage in ipairs(stages) do
    for _, n in ipairs(stage) do
      local waits = {}
      local item_type = part_deps[n] and part_deps[n][1]
      for _, d in ipairs(deps_of(n)) do
        local h = (d == item_type) and started[d] or done[d]
        if h and d ~= n then waits[#waits + 1] = h end
      end
      started[n] = tasks.spawn(function()
        for _, w in ipairs(waits) do w:wait() end
        if #state.failures == 0 then return start_node(n) end
      end)
      local s = started[n]
      done[n] = tasks.spawn(function()
        local batch = s:wait()
        if batch then finish_changes(ctx, state, batch) end
      end)
      list[#list + 1] = done[n]
    end
  end
  for _, h in ipairs(list) do h:wait() end
end

-- The writes and deletes of type t when it starts: the plan's, or, once anything has been
-- written, computed again against the tenant as it now is. -> changes | nil, err
local function stage_changes(ctx, state, plan, by_type, t)
  local changes = by_type[t] or {}
  if not (state.wrote and plan.desired and plan.desired[t] ~= nil) then return changes end
  local h = ctx.handlers:get(t)
  local fresh = plan_mod.changes_for(ctx, h, plan.desired[t], ctx.current and ctx.current[t])
  local function writes_of(list)
    local out = {}
    for _, c in ipairs(list) do
      if c.op == "create" or c.op == "update" then out[#out + 1] = c end
    end
    return out
  end
  local old_writes, new_writes = writes_of(changes), writes_of(fresh)
  state.total = state.total + #new_writes - #old_writes
  -- Changes computed again keep what the `before` hooks made of them (or meet them again when
  -- they now differ).
  if ctx.hooks then
    local ok, err = ctx.hooks:run_before_again(new_writes, changes, ctx)
    if not ok then
      state.failures[#state.failures + 1] = { type = t, op = err.op or "update", key = err.key,
        error = err }
      return nil, failed(state.failures, state.report.applied)
    end
  end
  for _, c in ipairs(changes) do
    if c.op == "delete" then new_writes[#new_writes + 1] = c end
  end
  return new_writes
end

local function run(ctx, plan)
  local report = M.new_report()
  local by_type = {}
  local types = {}
  local seen = {}
  for _, t in ipairs(plan.types or {}) do
    if not seen[t] then
      seen[t] = true
      types[#types + 1] = t
    end
  end
  for _, c in ipairs(plan:changes()) do
    by_type[c.type] = by_type[c.type] or {}
    table.insert(by_type[c.type], c)
    if not seen[c.type] then
      seen[c.type] = true
      types[#types + 1] = c.type
    end
    if c.op == "skip" then count(report, c.type, "skip") end
  end
  local state = { done = 0, total = 0, report = report, failures = {}, wrote = false }
  for _, c in ipairs(plan:changes()) do
    if c.op ~= "skip" then state.total = state.total + 1 end
  end

  -- The user's `before` hooks see every change before the first write: a veto writes nothing.
  if ctx.hooks then
    local ok, err = ctx.hooks:run_before(plan:changes(), ctx)
    if not ok then return nil, err, report end
    -- The bodies as those hooks left them meet the API's request schemas again
    -- (a0lua.preflight; Tenant:plan checked them as planned).
    if ctx.hooks:count("before") > 0 then
      local checked, cerr = require("a0lua.preflight").check(ctx, plan, plan.sources)
      if not checked then return nil, cerr, report end
    end
  end

  local nodes, own_deps, part_deps, all_deps = graph(ctx, types, plan.desired)
  local queued, deletes_of = {}, {}
  -- One node: its writes (a part node: the parts queued by its type) started, its deletes kept
  -- for last. -> batch | nil
  local function start_node(t)
    local writes = {}
    if part_deps[t] then
      writes = queued[t] or {}
    else
      local changes = stage_changes(ctx, state, plan, by_type, t)
      if not changes then return nil end
      local h = ctx.handlers:get(t)
      for _, c in ipairs(changes) do
        if c.op == "create" or c.op == "update" then
          split_parts(h, c, queued, state)
          writes[#writes + 1] = c
        elseif c.op == "delete" then
          deletes_of[t] = deletes_of[t] or {}
          table.insert(deletes_of[t], c)
        end
      end
    end
    if #writes == 0 then return nil end
    state.wrote = true
    return start_changes(ctx, state, writes)
  end
  run_graph(ctx, state, nodes, own_deps, part_deps, start_node)
  if #state.failures > 0 then return nil, failed(state.failures, report.applied), report end
  local delete_stages = ctx.handlers:stages(types, function(t) return all_deps[t] end)
  for s = #delete_stages, 1, -1 do
    local deletes = {}
    for _, t in ipairs(delete_stages[s]) do
      for _, c in ipairs(deletes_of[t] or {}) do deletes[#deletes + 1] = c end
    end
    if #deletes > 0 then
      run_changes(ctx, state, deletes)
      if #state.failures > 0 then return nil, failed(state.failures, report.applied), report end
    end
  end
  return report
end

function M.run(ctx, plan)
  -- Handlers resolve names against lists read from many tasks at once (one per change): with
  -- the API client's coalescing on, identical GETs in flight cost one request (a0lua.api).
  local api = ctx.api
  if type(api) == "table" and type(api.coalescing) == "function" then
    return api:coalescing(run, ctx, plan)
  end
  return run(ctx, plan)
end

function M.render(report)
  local types = {}
  for t in pairs(report.types) do types[#types + 1] = t end
  local handlers = require("a0lua.handlers")
  table.sort(types, function(a, b)
    local ra, rb = handlers.RANK[a] or math.huge, handlers.RANK[b] or math.huge
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  local out = {}
  local total = { created = 0, updated = 0, deleted = 0, skipped = 0 }
  -- the counts in one column, also after the longest names (guardianPhoneFactorSelectedProvider)
  local width = 22
  for _, t in ipairs(types) do width = math.max(width, #t) end
  for _, t in ipairs(types) do
    local s = report.types[t]
    out[#out + 1] = ("  %-" .. width .. "s %d created, %d updated, %d deleted, %d skipped")
      :format(t, s.created, s.updated, s.deleted, s.skipped)
    for k in pairs(total) do total[k] = total[k] + s[k] end
  end
  out[#out + 1] = ("Applied: %d created, %d updated, %d deleted, %d skipped."):format(
    total.created, total.updated, total.deleted, total.skipped)
  return table.concat(out, "\n") .. "\n"
end

return M
