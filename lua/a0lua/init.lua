--[[
a0lua: the public Lua API, for recipes (`a0lua run FILE`), hooks and the REPL. The commands
import, export, plan and validate are built on it.

  local a0lua = require("a0lua")
  local cfg = assert(a0lua.config{ AUTH0_DOMAIN = "...", AUTH0_CLIENT_ID = "...", ... })
      a config from plain keys (a0deploy's names), through a0lua.config; with
      {file = "config.json"} a config file too, with {env = true} the environment (as the
      commands read them)
  local desired, sources = a0lua.load(path [, {config = cfg, validate = true, hooks =}])
      -> desired, sources | nil, problems
      reads tenant.yaml or a directory (format.read: keywords replaced with the config's
      mappings, companion files inlined), runs the `load` hooks, and validates it
      (a0lua.validate: schemas with defaults, handler rules; no network). problems: error
      tables "file:line:column: path: msg" (a hook's veto: one hook_veto / hook_error).
  local tenant = assert(a0lua.connect(cfg [, {log =, hooks =, scheduler =}]))
      -> tenant | nil, err   (no request yet). Hooks: opts.hooks (an a0lua.hooks registry, or
      false for none), else those of cfg.hooks / A0LUA_HOOKS (a0lua.hooks.for_config).
      scheduler: an a0lua.tasks scheduler shared by several tenants, whose tasks then run at the
      same time (each tenant keeps its own rate-limit pacing); tenant:close() leaves it open.
  tenant:plan(desired [, {sources =}]) -> plan | nil, err
      refuses a type of desired that no handler deploys (validate.unhandled: a validation
      error, before any request), reads the tenant (afresh on every call), checks references
      against it (a grant for a
      client found nowhere is a validation error, other dangling names are plan warnings),
      computes the plan (a0lua.plan), runs the `plan` hooks, then checks every body it would
      send against the API's request schemas (a0lua.preflight: a refused body is a validation
      error naming the item's file:line and the field, and nothing is written)
  tenant:apply(plan) -> report | nil, err, report      (a0lua.apply: `before` hooks of every
      change before the first write, `after` hooks; then the `done` hooks, or `error`)
  tenant.hooks                       the hooks registry, or nil
  tenant:export(dir [, {format = "yaml"|"directory"}]) -> result | nil, err   (a0lua.export)
  tenant:fetch(type) -> current state of one type | nil, err
  tenant:run(fn, ...) -> ...        fn(...) inside a task of the API's scheduler
  tenant:close()
  a0lua.diff(a, b) -> diffs         { {path = "clients[0].name", from =, to =}, ... }: the
                                    differences between two values (strict, arrays in order)
  tenant.ctx: { config =, api =, log =, handlers =, current = {}, dry_run = }
  a0lua.handlers(cfg) -> registry   the handler registry for a config (search path)
]]
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local handler = require("a0lua.handler")

local M = {}

local ARRAY_MT = json.array_mt

local function lazy(name) return require(name) end

function M.config(values, opts)
  opts = opts or {}
  local config = lazy "a0lua.config"
  local env = opts.env
  if env == true then env = config.environ() end
  return config.load{ values = values, env = env, args = opts.args or {}, file = opts.file,
    command = opts.command or "import" }
end

-- The hooks of a run: opts.hooks (false: none), else those of the config.
local function hooks_for(cfg, given)
  if given == false then return nil end
  if given ~= nil then return given end
  local hooks = lazy "a0lua.hooks"
  return hooks.for_config(cfg)
end

local function silent_log()
  local nop = function() end
  return { debug = nop, info = nop, warn = nop, error = nop, progress = nop,
    redact = function(_, v) return v end, add_secret = nop }
end

local function logger_for(cfg, given)
  if given then return given end
  local ok, log = pcall(require, "a0lua.log")
  if ok then return log.from_config(cfg) end
  return silent_log()
end

function M.handlers(cfg)
  local handlers = lazy "a0lua.handlers"
  local registry, err = handlers.load{ config = cfg }
  if not registry then error(err, 0) end
  return registry
end

-- A cfg from a loaded config, or plain keys made into one.
local function as_config(cfg)
  if type(cfg) ~= "table" then error("a0lua: a config table is expected", 3) end
  if cfg.command ~= nil or cfg.base_url ~= nil then return cfg end
  local loaded, err = M.config(cfg)
  if not loaded then return nil, err end
  return loaded
end

function M.load(path, opts)
  opts = opts or {}
  local cfg = opts.config or {}
  local read_cfg = {}
  for k, v in pairs(cfg) do read_cfg[k] = v end
  if path ~= nil then
    read_cfg.input = path
    read_cfg.AUTH0_INPUT_FILE = nil
    read_cfg.format = nil
  end
  local format = lazy "a0lua.format"
  local desired, sources = format.read(read_cfg)
  if not desired then return nil, sources end
  local hooks, herr = hooks_for(cfg, opts.hooks)
  if herr then return nil, { herr } end
  local registry = opts.handlers
  if hooks or opts.validate ~= false then registry = registry or M.handlers(cfg) end
  local ctx = { config = cfg, handlers = registry, log = opts.log,
    dry_run = cfg.dry_run and true or false }
  if hooks then
    local changed, verr = hooks:run_load(desired, ctx)
    if not changed then
      hooks:run_error(verr, ctx)
      return nil, { verr }
    end
    desired = changed
  end
  if opts.validate == false then return desired, sources end
  local validate = lazy "a0lua.validate"
  local ok, problems, warnings = validate.run(ctx, desired, sources)
  if not ok then
    if hooks then hooks:run_error(validate.error(problems), ctx) end
    return nil, problems, warnings
  end
  if opts.log then
    for _, w in ipairs(problems or {}) do opts.log:warn(tostring(w)) end
  end
  return desired, sources, problems
end

local Tenant = {}
Tenant.__index = Tenant

function M.connect(cfg, opts)
  opts = opts or {}
  local err
  cfg, err = as_config(cfg)
  if not cfg then return nil, err end
  local log = logger_for(cfg, opts.log)
  local api_mod = lazy "a0lua.api"
  local api = opts.api
  if not api then
    api, err = api_mod.new{
      domain = cfg.domain or cfg.AUTH0_DOMAIN,
      client_id = cfg.AUTH0_CLIENT_ID,
      client_secret = cfg.AUTH0_CLIENT_SECRET,
      signing_key_path = cfg.AUTH0_CLIENT_SIGNING_KEY_PATH,
      signing_algorithm = cfg.AUTH0_CLIENT_SIGNING_ALGORITHM,
      access_token = cfg.AUTH0_ACCESS_TOKEN,
      audience = cfg.AUTH0_AUDIENCE,
      ca_file = cfg.ca_file,
      proxy = cfg.proxy_url,
      max_retries = cfg.AUTH0_API_MAX_RETRIES,
      concurrency = cfg.concurrency,
      log = log,
      headers = cfg.dry_run and { ["X-Auth0-Deploy-Mode"] = "dry-run" } or nil,
      -- Several tenants on one scheduler: their tasks interleave, each client keeps its pacer
      -- (and no http session of its own is made and closed again).
      scheduler = opts.scheduler,
    }
    if not api then return nil, err end
  elseif opts.scheduler then
    if api.scheduler and api.scheduler ~= opts.scheduler then api.scheduler:close() end
    api.scheduler = opts.scheduler
  end
  local hooks, herr = hooks_for(cfg, opts.hooks)
  if herr then return nil, herr end
  local registry = opts.handlers or M.handlers(cfg)
  local ctx = { config = cfg, api = api, log = log, handlers = registry, current = {},
    dry_run = cfg.dry_run and true or false, hooks = hooks }
  return setmetatable({ ctx = ctx, config = cfg, api = api, log = log, handlers = registry,
    hooks = hooks, shared_scheduler = opts.scheduler ~= nil }, Tenant)
end

function Tenant:run(fn, ...)
  if self.api.run then return self.api:run(fn, ...) end
  return fn(...)
end

function Tenant:close()
  if self.shared_scheduler then return end
  if self.api and self.api.close then self.api:close() end
end

-- Runs fn in a task, turning a raised error into nil, err.
local function guarded(self, fn)
  return self:run(function()
    local results = table.pack(pcall(fn))
    if not results[1] then return nil, results[2] end
    return table.unpack(results, 2, results.n)
  end)
end

-- The `error` hooks, in a task (they may use ctx.api); an error raised there is only logged.
function Tenant:report_error(err)
  local ok, why = pcall(self.run, self, function() self.hooks:run_error(err, self.ctx) end)
  if not ok and self.log and self.log.warn then self.log:warn(tostring(why)) end
end

function Tenant:fetch(type_name)
  local h = self.handlers:get(type_name)
  if not h then
    return nil, errors.from{ code = "handler", message = "no handler for " .. tostring(type_name) }
  end
  return guarded(self, function()
    local plan = lazy "a0lua.plan"
    local ok, err = plan.fetch(self.ctx, { type_name })
    if not ok then return nil, err end
    return self.ctx.current[type_name]
  end)
end

-- A handler's error about one value of the files (err.pointer: a rule's stage that cannot
-- change) gets the file, line and column of that value.
local function located(err, sources)
  if errors.is(err) and err.pointer and err.file == nil and sources then
    err.file, err.line, err.column = sources:locate(err.pointer)
  end
  return err
end

-- fn with the API client keeping its GET answers while fn runs (client:memoizing): the handlers
-- that name a type (forms name flows) read its list once with the type's own handler.
local function reading_once(ctx, fn)
  local api = ctx.api
  if type(api) ~= "table" or type(api.memoizing) ~= "function" then return fn end
  return function() return api:memoizing(fn) end
end

function Tenant:plan(desired, opts)
  opts = opts or {}
  local plan = lazy "a0lua.plan"
  local validate = lazy "a0lua.validate"
  local ctx = self.ctx
  local result, err = guarded(self, reading_once(ctx, function()
    -- A type no handler deploys is refused here too (a desired state need not come from
    -- a0lua.load): the plan would otherwise say nothing about it.
    local unhandled = validate.unhandled(ctx, desired, opts.sources)
    if #unhandled > 0 then return nil, validate.error(unhandled) end
    -- A plan is made against the tenant as it is now: read afresh.
    ctx.current, ctx.partial = {}, {}
    -- Everything the plan and the reference check need, read at the same time; of the types the
    -- file sets, only what it names where a handler can read that little (plan.fetch's want).
    local types = plan.types_of(ctx, desired)
    local need = {}
    for _, t in ipairs(types) do need[#need + 1] = t end
    -- A list type read only for the reference check needs its names: one that reads what it is
    -- given (read_wanted: forms name flows, read whole one by one) is given no item to read whole.
    local want = setmetatable({}, { __index = desired })
    for _, t in ipairs(validate.reference_types(ctx, desired)) do
      need[#need + 1] = t
      local h = ctx.handlers:get(t)
      if desired[t] == nil and h.read_wanted and h.kind == "list" then want[t] = json.array() end
    end
    local ok, err = plan.fetch(ctx, need, want)
    if not ok then return nil, err end
    local problems, warnings = validate.references(ctx, desired, opts.sources, { tenant = true })
    if #problems > 0 then return nil, validate.error(problems) end
    local computed, p, perr = pcall(plan.compute, ctx, desired)
    if not computed then p, perr = nil, p end
    if not p then return nil, located(perr, opts.sources) end
    for i, w in ipairs(warnings) do table.insert(p.warnings, i, tostring(w)) end
    if self.hooks then
      p, perr = self.hooks:run_plan(p, ctx)
      if not p then return nil, perr end
    end
    -- Bodies the API would refuse fail the plan, so that an import writes none of it (apply
    -- checks again what its `before` hooks make of them, with the same sources).
    p.sources = opts.sources
    local checked, cerr = lazy("a0lua.preflight").check(ctx, p, opts.sources)
    if not checked then return nil, cerr end
    return p
  end))
  if not result and self.hooks then self:report_error(err) end
  return result, err
end

function Tenant:apply(p)
  local apply = lazy "a0lua.apply"
  local ctx = self.ctx
  local report, err, partial = guarded(self, function()
    local r, e, part = apply.run(ctx, p)
    if self.hooks then
      local done = r or part
      if done then
        done.plan, done.dry_run = p, false
      end
      if r then self.hooks:run_done(r, ctx) else self.hooks:run_error(e, ctx) end
    end
    return r, e, part
  end)
  if not report and self.hooks then self:report_error(err) end
  return report, err, partial
end

function Tenant:export(dir, opts)
  opts = opts or {}
  local export = lazy "a0lua.export"
  local cfg = {}
  for k, v in pairs(self.config) do cfg[k] = v end
  cfg.output_folder = dir or cfg.output_folder
  cfg.format = opts.format or cfg.format or "yaml"
  local ctx = {}
  for k, v in pairs(self.ctx) do ctx[k] = v end
  ctx.config = cfg
  return guarded(self, function()
    return export.run(ctx, { types = opts.types })
  end)
end

-- The differences between two values, strict (arrays in order).
function M.diff(a, b)
  local out = {}
  local sources = lazy "a0lua.sources"
  local function walk(x, y, pointer)
    if handler.deep_equal(x, y) then return end
    local both_objects = type(x) == "table" and type(y) == "table"
      and getmetatable(x) ~= ARRAY_MT and getmetatable(y) ~= ARRAY_MT
    local both_arrays = type(x) == "table" and type(y) == "table"
      and getmetatable(x) == ARRAY_MT and getmetatable(y) == ARRAY_MT
    if both_objects then
      local keys, seen = {}, {}
      for k in pairs(x) do keys[#keys + 1] = k; seen[k] = true end
      for k in pairs(y) do if not seen[k] then keys[#keys + 1] = k end end
      table.sort(keys, function(p, q) return tostring(p) < tostring(q) end)
      for _, k in ipairs(keys) do walk(x[k], y[k], pointer .. "/" .. tostring(k)) end
      return
    end
    if both_arrays then
      local n = math.max(#x, #y)
      for i = 1, n do walk(x[i], y[i], pointer .. "/" .. (i - 1)) end
      return
    end
    out[#out + 1] = { path = pointer == "" and "" or sources.path(pointer), pointer = pointer,
      from = x, to = y }
  end
  walk(a, b, "")
  return out
end

return M
