--[[
a0lua.fleet.deploy: many tenants deployed in one process, a bounded number at a time, on one task
scheduler (their requests interleave) while each tenant has its own API client and so its own
rate-limit budget.

  local deploy = require("a0lua.fleet.deploy")
  local entries = deploy.run{
    tenants = { {name =, index =, config = function() -> cfg (raises an error value),
                 secrets = {strings never to show}, input_key = (a0lua.fleet.inputs.key)}, ... },
    inputs = a0lua.fleet.inputs object or nil,   -- the files loaded once per input_key
    share_handlers = {} or nil,  -- one handler registry per search path (not with hooks)
    parallel = 64,          -- tenants in flight at once (M.DEFAULT_PARALLEL)
    retries = 1,            -- whole-tenant retries of a failure worth it (a0lua.fleet.retry)
    retry_wait_ms = 1000,   -- times the attempt number
    per_tenant = 8,         -- requests in flight per tenant (a0lua.config.DEFAULT_CONCURRENCY)
    dry_run = false, shard = "K/N", log = logger,
    session = {ca_file =, proxy =},     -- the scheduler's http.session options; without
                                        -- max_total_connections, M.connections(...)
    progress = a0lua.fleet.progress object or nil,
  }
  -> entries (a0lua.fleet.results.entry each, in the order of tenants)

A tenant's config, files, plan, Tenant object and API client live only while it is deployed:
once done, only its entry is kept (and its slot of `tenants` is cleared, closure and all), so
memory grows with the tenants in flight, not the fleet.
A tenant that fails does not stop the others.
]]
local a0lua = require("a0lua")
local config = require("a0lua.config")
local errors = require("a0lua.errors")
local handlers = require("a0lua.handlers")
local poll = require("a0lua.core.poll")
local results = require("a0lua.fleet.results")
local retry = require("a0lua.fleet.retry")
local tasks = require("a0lua.tasks")

local M = {}

-- Tenants in flight at once, unless --parallel says. The rate limit is per tenant, so tenants in
-- flight add throughput (a free-plan tenant's import of 100 resources takes over a minute however
-- fast the client is: 16 at a time, 200 of them took 13 rounds of that); each holds its files,
-- the tenant as read, its plan and its client, 2 to 3.5 MB for 100 resources, so 64 stay near
-- 200 MB, with 512 requests in flight (docs/fleet.md).
M.DEFAULT_PARALLEL = 64
M.DEFAULT_RETRIES = 1

-- The collector's pace for a fleet (set by `a0lua run fleet`; a0lua.cli's 110/400 is for an
-- export's peak). A fleet keeps many tenants' plans and answers alive at once, and each cycle
-- walks all of them, so a short pause makes the collector most of the fleet's CPU. Measured with
-- 60 tenants, --parallel 60, Enterprise limits, on 2 cores (user CPU, peak RSS of the import
-- into empty tenants; of the same import again), before the copies a plan made were cut:
--   incremental 110/400  20.7 s 155 MB; 6.5-8.3 s  85 MB
--   incremental 150/200  12.3 s 193 MB; 5.4 s     101 MB
--   incremental 200/200   9.8 s 226 MB; 4.0 s     127 MB
--   incremental 300/200  10.2 s 261 MB; 3.9 s     138 MB
--   generational         11.3 s 240 MB; 4.8 s     109 MB
-- and after (the same import again): 150/200 3.7-4.0 s 94 MB, 200/200 3.5-3.6 s 117 MB,
-- generational 4.1 s 100 MB. 200/200 halves the collector's share for about 1.4 times the
-- peak memory of the tenants in flight (here 3.8 MB a tenant instead of 2.6 MB for the import,
-- 1.9 MB instead of 1.4 MB for the same import again).
M.GC_PAUSE, M.GC_STEPMUL = 200, 200

local function load_problem(problems)
  local first = problems[1]
  return errors.new(type(first) == "table" and first.code or "validation",
    ("%d problem%s in the files: %s"):format(#problems, #problems == 1 and "" or "s",
      tostring(first)))
end

-- The handler registry of a config. Handlers keep no state of a tenant, so without hooks (which
-- may change a registry) tenants with the same search path share one: loading the 44 handler
-- files for each tenant costs more time and memory than anything else a tenant in flight holds.
local function registry_for(cfg, opts)
  if not opts.share_handlers then return a0lua.handlers(cfg) end
  local key = table.concat(handlers.search_path(cfg), "\0")
  local registry = opts.share_handlers[key]
  if not registry then
    registry = a0lua.handlers(cfg)
    opts.share_handlers[key] = registry
  end
  return registry
end

-- One attempt: plan and, unless a dry run or nothing changes, apply. Raises an error value.
local function once(t, r, opts, scheduler)
  local cfg = t.config()
  local registry = registry_for(cfg, opts)
  local load_opts = { config = cfg, log = opts.log, handlers = registry }
  local desired, sources
  if opts.inputs then
    desired, sources = opts.inputs:load(t.input_key, load_opts)
  else
    desired, sources = a0lua.load(nil, load_opts)
  end
  if not desired then error(load_problem(sources), 0) end
  local tenant, cerr = a0lua.connect(cfg, { log = opts.log, scheduler = scheduler,
    handlers = registry })
  if not tenant then error(cerr, 0) end
  local plan, perr = tenant:plan(desired, { sources = sources })
  if not plan then error(perr, 0) end
  r.counts = { create = 0, update = 0, delete = 0, skip = 0 }
  for _, s in pairs(plan:summary()) do
    for op, n in pairs(s) do r.counts[op] = (r.counts[op] or 0) + n end
  end
  if not plan:has_changes() then
    r.status = "in_sync"
  elseif opts.dry_run then
    r.status = "changes"
  else
    local report, aerr = tenant:apply(plan)
    if not report then error(aerr, 0) end
    r.status = "applied"
  end
  tenant:close()
end

local function deploy_one(t, opts, scheduler)
  local r = results.entry(t.name, t.index, opts.shard)
  local started = tasks.now()
  local retries = opts.retries or M.DEFAULT_RETRIES
  for attempt = 1, retries + 1 do
    r.attempts, r.error, r.status = attempt, nil, "failed"
    local ok, err = pcall(once, t, r, opts, scheduler)
    if ok then break end
    results.set_error(r, err, t.secrets)
    if attempt > retries or not retry.worth_it(err) then break end
    tasks.sleep((opts.retry_wait_ms or 1000) * attempt)
  end
  r.seconds = math.floor(tasks.now() - started + 0.5) / 1000
  return r
end

-- Descriptors left for everything but the fleet's connections: files read, logs, the terminal.
M.FD_RESERVE = 64

-- The connections a fleet keeps open: one for each request it may have in flight, as far as the
-- descriptor limit allows. Each tenant is its own host to libcurl, and the session's cache of idle
-- connections is shared by all of them, oldest closed first: with fewer than the fleet uses, a
-- tenant's connection is closed for another's before its own next request, and nearly every
-- request opens a new one. Measured with the bench's 200 tenants at --parallel 200, free limits,
-- the same import again: with 128 connections, 21,763 connects for 23,612 requests and 17.3 s;
-- with 1,600, 1,597 connects and 13.5 s.
function M.connections(parallel, per_tenant, fd_limit)
  return math.max(1, math.min(parallel * per_tenant, fd_limit - M.FD_RESERVE))
end

-- The scheduler's http.session options: the caller's, with the fleet's connection budget unless
-- the caller set one.
local function session_options(opts, parallel, per_tenant)
  local session = {}
  for k, v in pairs(opts.session or {}) do session[k] = v end
  if session.max_total_connections == nil then
    session.max_total_connections = M.connections(parallel, per_tenant, poll.fd_limit())
  end
  return session
end

function M.run(opts)
  local list = opts.tenants
  local parallel = math.max(math.min(opts.parallel or M.DEFAULT_PARALLEL, #list), 1)
  local per_tenant = opts.per_tenant or config.DEFAULT_CONCURRENCY
  local scheduler = tasks.new{ session = session_options(opts, parallel, per_tenant),
    concurrency = per_tenant * parallel }
  local entries, next_one = {}, 1
  local counts = { done = 0, failed = 0, running = 0 }
  local progress = opts.progress
  local function show() if progress then progress:update(counts) end end
  local total = #list
  local function worker()
    while next_one <= total do
      local i = next_one
      next_one = i + 1
      counts.running = counts.running + 1
      show()
      local r = deploy_one(list[i], opts, scheduler)
      list[i] = nil -- its config closure and secrets go with it
      entries[i] = r
      counts.running = counts.running - 1
      if r.status == "failed" then
        counts.failed = counts.failed + 1
      else
        counts.done = counts.done + 1
      end
      show()
    end
  end
  for _ = 1, parallel do scheduler:spawn(worker) end
  if progress and progress.tty then
    scheduler:spawn(function()
      while counts.done + counts.failed < total do
        tasks.sleep(250)
        show()
      end
    end)
  end
  scheduler:run()
  scheduler:close()
  if progress then progress:finish() end
  return entries
end

return M
