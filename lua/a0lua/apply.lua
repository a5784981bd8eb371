--[[
a0lua.apply: carries out a plan on the tenant.

  local apply = require "a0lua.apply"
  apply.run(ctx, plan) -> report | nil, err, report
      Creates and updates go stage by stage (ctx.handlers:stages over the plan's types: a type
      after everything it depends_on); the types of one stage, and the items of one type, run
      at the same time as tasks when called inside a0lua.tasks (sequentially otherwise). Deletes
      come last, in the reverse stage order (grants before their clients). Once an earlier stage
      has written anything, a later type's changes are computed again against the tenant state
      as it now is (ctx.current, kept up to date with every answer), so names of objects created
      in this run resolve to their new ids. On the first failed stage nothing further is
      started; the error lists what was already applied.
      Progress: ctx.log:progress("apply", done, total) after each change; ctx.log:info per change.
      While it runs, the API client's coalescing is on (ctx.api.coalesce, a0lua.api): the
      handlers of one stage read the same lists from many tasks at once.
      Hooks (ctx.hooks, a0lua.hooks): the `before` hooks of every change run before the first
      write (a veto returns nil, err with nothing written); a change computed again after an
      earlier stage keeps its hooked payload, or meets the hooks again when it now differs;
      `after` runs after each change done.
  report = { types = { [type] = {created =, updated =, deleted =, skipped =} },
             applied = { {type =, op =, key =, id =}, ... } }
  apply.render(report) -> text       one line per type with something in it, then the total
  err = { code = "apply_failed", message =, failures = { {type =, op =, key =, error =} },
          applied = report.applied }  tostring(err) names each failure and what was applied
]]
local json = require "a0lua.core.json"
local handler = require "a0lua.handler"
local plan_mod = require "a0lua.plan"

local M = {}

local NULL = json.null

local function in_task()
  local ok, tasks = pcall(require, "a0lua.tasks")
  if ok and tasks.current() then return tasks end
  return nil
end

-- Runs fns (each -> value, err) at the same time inside a task, else one after the other.
local function run_all(fns)
  local tasks = in_task()
  if tasks and #fns > 1 then
    local values, errs = tasks.all(fns)
    return values, errs
  end
  local values, errs = {}, {}
  for i, fn in ipairs(fns) do values[i], errs[i] = fn() end
  return values, errs
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

local ErrorMt = {
  __tostring = function(e) return e.message end,
}

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
  return setmetatable({ code = "apply_failed", message = message, failures = failures,
    applied = applied }, ErrorMt)
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
    merge(cur, change.payload)
    if type(result) == "table" then merge(cur, result) end
    ctx.current[h.type] = cur
    return
  end
  if type(list) ~= "table" then
    list = json.array()
    ctx.current[h.type] = list
  end
  if change.op == "create" then
    local item = merge({}, change.payload)
    if type(result) == "table" then merge(item, result) end
    list[#list + 1] = item
  elseif change.op == "update" then
    for _, item in ipairs(list) do
      if item == change.current or (change.id ~= nil and handler.item_id(h, item) == change.id) then
        merge(item, change.payload)
        if type(result) == "table" then merge(item, result) end
        for k, v in pairs(item) do
          if v == NULL and change.payload and change.payload[k] == NULL then item[k] = nil end
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

local function perform(ctx, h, change)
  local ok, result, err
  if change.op == "create" then
    ok, result, err = pcall(h.create, h, ctx, change.payload)
  elseif change.op == "update" then
    ok, result, err = pcall(h.update, h, ctx, change.current, change.payload)
  elseif change.op == "delete" then
    ok, result, err = pcall(h.delete, h, ctx, change.current)
  else
    return true
  end
  if not ok then return nil, result end
  if result == nil and err ~= nil then return nil, err end
  return result == nil and true or result
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

-- Runs a list of changes (of one phase of one stage) at the same time; records the outcome.
local function run_changes(ctx, state, changes)
  local log = log_of(ctx)
  local fns = {}
  for i, change in ipairs(changes) do
    fns[i] = function()
      local h = ctx.handlers:get(change.type)
      local result, err = perform(ctx, h, change)
      if result == nil then return nil, err end
      track(ctx, h, change, result)
      if ctx.hooks then ctx.hooks:run_after(change, result, ctx) end
      state.done = state.done + 1
      log:progress("apply", state.done, state.total)
      log:info(("%s %s %s"):format(PAST[change.op], change.type, tostring(change.key or change.id
        or "")))
      return true
    end
  end
  -- With more changes than requests in flight, the first change of each type goes ahead of the
  -- others: handlers resolve names against lists they read once per run and keep (clients,
  -- connections, grants), and a change that finds its list not read yet reads it; started all
  -- at once, every change of the type would read it (a 1,000-resource import read the client
  -- list 200 times, and held every copy).
  local first, rest, seen = {}, {}, {}
  local ahead = #changes > ((ctx.config and ctx.config.concurrency) or 8)
  for i, change in ipairs(changes) do
    if seen[change.type] or not ahead then rest[#rest + 1] = i else
      seen[change.type] = true
      first[#first + 1] = i
    end
  end
  local values, errs = {}, {}
  for _, batch in ipairs({ first, rest }) do
    local batch_fns = {}
    for k, i in ipairs(batch) do batch_fns[k] = fns[i] end
    local v, e = run_all(batch_fns)
    for k, i in ipairs(batch) do values[i], errs[i] = v[k], e[k] end
  end
  for i, change in ipairs(changes) do
    if values[i] then
      count(state.report, change.type, change.op)
      local applied = state.report.applied
      applied[#applied + 1] = { type = change.type, op = change.op, key = change.key,
        id = change.id }
    else
      state.failures[#state.failures + 1] = { type = change.type, op = change.op,
        key = change.key, id = change.id, error = errs[i] }
      log:error(("failed to %s %s %s: %s"):format(change.op, change.type,
        tostring(change.key or change.id or ""), describe_error(errs[i])))
    end
  end
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
  local state = { done = 0, total = 0, report = report, failures = {} }
  for _, c in ipairs(plan:changes()) do
    if c.op ~= "skip" then state.total = state.total + 1 end
  end

  -- The user's `before` hooks see every change before the first write: a veto writes nothing.
  if ctx.hooks then
    local ok, err = ctx.hooks:run_before(plan:changes(), ctx)
    if not ok then return nil, err, report end
  end

  local stages = ctx.handlers:stages(types)
  local wrote = false
  local deletes_by_stage = {}
  for s, stage in ipairs(stages) do
    local writes = {}
    deletes_by_stage[s] = {}
    for _, t in ipairs(stage) do
      local changes = by_type[t] or {}
      if wrote and plan.desired and plan.desired[t] ~= nil then
        -- Earlier stages changed the tenant: compute this type again against its state now.
        local h = ctx.handlers:get(t)
        local fresh = plan_mod.changes_for(ctx, h, plan.desired[t], ctx.current and
          ctx.current[t])
        local old_total = 0
        for _, c in ipairs(changes) do
          if c.op == "create" or c.op == "update" then old_total = old_total + 1 end
        end
        local new_total = 0
        for _, c in ipairs(fresh) do
          if c.op == "create" or c.op == "update" then new_total = new_total + 1 end
        end
        state.total = state.total + new_total - old_total
        local keep_deletes = {}
        for _, c in ipairs(changes) do
          if c.op == "delete" then keep_deletes[#keep_deletes + 1] = c end
        end
        changes = {}
        for _, c in ipairs(fresh) do
          if c.op == "create" or c.op == "update" then changes[#changes + 1] = c end
        end
        -- Changes computed again keep what the `before` hooks made of them (or meet them
        -- again when they now differ).
        if ctx.hooks then
          local ok, err = ctx.hooks:run_before_again(changes, by_type[t] or {}, ctx)
          if not ok then
            state.failures[#state.failures + 1] = { type = t, op = err.op or "update",
              key = err.key, error = err }
            return nil, failed(state.failures, report.applied), report
          end
        end
        for _, c in ipairs(keep_deletes) do changes[#changes + 1] = c end
      end
      for _, c in ipairs(changes) do
        if c.op == "create" or c.op == "update" then
          writes[#writes + 1] = c
        elseif c.op == "delete" then
          table.insert(deletes_by_stage[s], c)
        end
      end
    end
    if #writes > 0 then
      run_changes(ctx, state, writes)
      wrote = true
      if #state.failures > 0 then return nil, failed(state.failures, report.applied), report end
    end
  end
  for s = #stages, 1, -1 do
    local deletes = deletes_by_stage[s] or {}
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
  local turned_on = type(api) == "table" and api.coalesce == false
  if turned_on then api.coalesce = true end
  local ok, report, err, partial = pcall(run, ctx, plan)
  if turned_on then api.coalesce = false end
  if not ok then error(report, 0) end
  return report, err, partial
end

function M.render(report)
  local types = {}
  for t in pairs(report.types) do types[#types + 1] = t end
  local handlers = require "a0lua.handlers"
  table.sort(types, function(a, b)
    local ra, rb = handlers.RANK[a] or math.huge, handlers.RANK[b] or math.huge
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  local out = {}
  local total = { created = 0, updated = 0, deleted = 0, skipped = 0 }
  for _, t in ipairs(types) do
    local s = report.types[t]
    out[#out + 1] = ("  %-22s %d created, %d updated, %d deleted, %d skipped"):format(t,
      s.created, s.updated, s.deleted, s.skipped)
    for k in pairs(total) do total[k] = total[k] + s[k] end
  end
  out[#out + 1] = ("Applied: %d created, %d updated, %d deleted, %d skipped."):format(
    total.created, total.updated, total.deleted, total.skipped)
  return table.concat(out, "\n") .. "\n"
end

return M
