--[[
a0lua.hooks: the user's functions, called at fixed points of a deploy (docs/scripting.md).

A hooks file (`--hooks FILE`, or A0LUA_HOOKS: one or more files separated by ":") is a Lua file
that either registers functions with `require("a0lua.hooks").on(point, [type,] fn)` or returns a
table `{ [point] = fn or {fn, ...} }`, or both. It runs with its own globals (a0lua.script_env:
an undeclared global is an error at its line). Points, with what each function receives:

  load(desired, ctx)           the desired state, read from the files and before validation (so
                               what a hook adds is validated like the files); no network
  plan(plan, ctx)              the plan, once computed against the tenant
  before(change, ctx)          each create, update and delete, all of them once the plan is made
                               and before the first request that writes (not in a dry run)
  after(change, result, ctx)   each change done, with the API's answer (not in a dry run)
  done(report, ctx)            the run is over: report = { types =, applied =, plan =,
                               dry_run = bool }
  error(err, ctx)              the run failed (validation, a veto, the API), once per error

A type given to `on` ("clients") limits before and after to changes of that type, and load to
that type's value (fn(desired[type], ctx); a table returned replaces desired[type]). ctx is the
engine's ctx: { config =, log =, handlers =, dry_run = } plus, from plan on, api and current.

A function returns nothing to go on; a table to replace what it was given (the desired state,
the plan, or for `before` the payload); `nil, message` (or `false, message`) to veto. Raising an
error vetoes too. A veto or an error in load, plan or before stops the run: the caller gets an
error { code = "hook_veto" | "hook_error", point =, type =, op =, key =, file =, line =,
message =, reason = } whose tostring is "file:line: hook <point> (<op> <type> <key>) vetoed:
<message>", file:line being where the hook returned or raised. An error in an after, done or
error hook is logged as a warning (ctx.log) and the run goes on.

  hooks.new() -> registry
  hooks.on(point, [type,] fn)        on the registry of the file being loaded, else on
                                     hooks.default (programs that register hooks in code)
  hooks.load(file [, registry]) -> registry | nil, err       err.code "hook_load" (with file
                                     and line when the file does not compile or raises)
  hooks.for_config(cfg) -> registry | nil | nil, err
      cfg.hooks (--hooks), then the A0LUA_HOOKS files, then hooks.default; nil when there are no
      hooks at all. Cached per cfg table, so every part of one run shares one registry.
  hooks.clear()                      empties hooks.default
  hooks.POINTS                       { "load", "plan", "before", "after", "done", "error" }

  registry:on(point, [type,] fn) -> registry        misuse (unknown point, fn not a function,
                                                    a type for plan/done/error) raises
  registry:count([point]) -> n
  registry:run_load(desired, ctx) -> desired | nil, err
  registry:run_plan(plan, ctx) -> plan | nil, err   a plain table returned is made a plan
  registry:run_before(changes, ctx) -> true | nil, err   payloads replaced in place; skips are
                                                    not given to hooks
  registry:run_before_again(fresh, previous, ctx) -> true | nil, err   for changes apply
                                                    computed again: those equal to a previous
                                                    change keep its hooked payload, the others
                                                    go through the before hooks
  registry:run_after(change, result, ctx)
  registry:run_done(report, ctx)
  registry:run_error(err, ctx)                      an error already reported is not again
]]
local errors = require("a0lua.errors")
local script_env = require("a0lua.script_env")
local util = require("a0lua.util")

local M = {}

M.POINTS = { "load", "plan", "before", "after", "done", "error" }
local POINT = util.set_of(M.POINTS)
local TYPED = { load = true, before = true, after = true }

local Registry = {}
Registry.__index = Registry

function M.new()
  return setmetatable({ list = {}, reported = setmetatable({}, { __mode = "k" }) }, Registry)
end

M.default = M.new()

-- The registry `hooks.on` adds to while a file loads.
local loading

function Registry:on(point, type_name, fn)
  if not POINT[point] then
    error(("hooks.on: unknown point %s (one of %s)"):format(tostring(point),
      table.concat(M.POINTS, ", ")), 2)
  end
  if fn == nil then type_name, fn = nil, type_name end
  if type(fn) ~= "function" then error("hooks.on: fn must be a function", 2) end
  if type_name ~= nil then
    if type(type_name) ~= "string" then error("hooks.on: the type must be a string", 2) end
    if not TYPED[point] then
      error(("hooks.on: %s hooks take no type (only load, before and after do)"):format(point),
        2)
    end
  end
  self.list[#self.list + 1] = { point = point, type = type_name, fn = fn }
  return self
end

function M.on(point, type_name, fn)
  local registry = loading or M.default
  if fn == nil then type_name, fn = nil, type_name end
  return registry:on(point, type_name, fn)
end

function M.clear()
  M.default = M.new()
end

function Registry:count(point)
  local n = 0
  for _, h in ipairs(self.list) do
    if point == nil or h.point == point then n = n + 1 end
  end
  return n
end

-- Adds every hook of `other` after this registry's own.
function Registry:merge(other)
  for _, h in ipairs(other.list) do self.list[#self.list + 1] = h end
  return self
end

--------------------------------------------------------------------------------------------------
-- Loading

local function load_error(file, message, line)
  return errors.from({ code = "hook_load", file = file, line = line, message = message })
end

-- "file:line: message" as Lua writes positions; the file name may be shortened ("...").
local function split_position(msg)
  local file, line, rest = tostring(msg):match("^(.-):(%d+): (.*)$")
  if file and not file:find("\n", 1, true) then return file, tonumber(line), rest end
  return nil, nil, msg
end

function M.load(file, registry)
  if type(file) ~= "string" then error("hooks.load: file must be a string", 2) end
  registry = registry or M.new()
  local chunk, err = script_env.loadfile(file)
  if not chunk then
    local _, line, rest = split_position(err)
    return nil, load_error(file, rest, line)
  end
  local previous = loading
  loading = registry
  local ok, result = pcall(chunk)
  loading = previous
  if not ok then
    local _, line, rest = split_position(result)
    return nil, load_error(file, tostring(rest), line)
  end
  if result ~= nil then
    if type(result) ~= "table" then
      return nil, load_error(file, "a hooks file returns nothing or a table {[point] = fn}")
    end
    local points = {}
    for point in pairs(result) do points[#points + 1] = point end
    table.sort(points, function(a, b) return tostring(a) < tostring(b) end)
    for _, point in ipairs(points) do
      local value = result[point]
      if not POINT[point] then
        return nil, load_error(file, ("unknown hook point %s (one of %s)"):format(
          tostring(point), table.concat(M.POINTS, ", ")))
      end
      local fns = type(value) == "function" and { value } or value
      if type(fns) ~= "table" then
        return nil, load_error(file, ("%s: a function or a list of functions is expected")
          :format(point))
      end
      for _, fn in ipairs(fns) do
        if type(fn) ~= "function" then
          return nil, load_error(file, ("%s: a function or a list of functions is expected")
            :format(point))
        end
        registry:on(point, fn)
      end
    end
  end
  return registry
end

local cache = setmetatable({}, { __mode = "k" })

local function files_of(cfg)
  local files = {}
  if type(cfg) == "table" and type(cfg.hooks) == "string" and cfg.hooks ~= "" then
    files[1] = cfg.hooks
  end
  local env = os.getenv("A0LUA_HOOKS")
  if env and env ~= "" then
    for f in env:gmatch("[^:]+") do files[#files + 1] = f end
  end
  return files
end

function M.for_config(cfg)
  if type(cfg) == "table" and cache[cfg] ~= nil then return cache[cfg] or nil end
  local registry = M.new()
  for _, file in ipairs(files_of(cfg)) do
    local f = io.open(file, "rb")
    if not f then return nil, load_error(file, "no such hooks file (--hooks / A0LUA_HOOKS)") end
    f:close()
    local ok, err = M.load(file, registry)
    if not ok then return nil, err end
  end
  registry:merge(M.default)
  local result = registry:count() > 0 and registry or nil
  if type(cfg) == "table" then cache[cfg] = result or false end
  return result
end

--------------------------------------------------------------------------------------------------
-- Calling

local function source_of(info)
  local src = info and info.source or "?"
  if src:sub(1, 1) == "@" then return src:sub(2) end
  return info and info.short_src or src
end

-- The message handler: the error and where it was raised (the innermost Lua frame).
local function catch(e)
  for level = 2, 30 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if info.what ~= "C" and (info.currentline or 0) > 0 then
      return { value = e, file = source_of(info), line = info.currentline }
    end
  end
  return { value = e }
end

-- Calls fn(...) -> { ok =, n =, [1..n] = results, file =, line = }: where fn returned (a return
-- hook notes the line of fn's own return statement) or raised.
local function call(fn, ...)
  local info = debug.getinfo(fn, "S")
  local returned_at
  local saved = table.pack(debug.gethook())
  local function on_return()
    local frame = debug.getinfo(2, "fl")
    if frame and frame.func == fn then returned_at = frame.currentline end
  end
  if info.what == "Lua" then debug.sethook(on_return, "r") end
  local results = table.pack(xpcall(fn, catch, ...))
  if saved[1] then
    debug.sethook(saved[1], saved[2], saved[3])
  else
    debug.sethook()
  end
  local out = { ok = results[1], n = results.n - 1 }
  for i = 2, results.n do out[i - 1] = results[i] end
  out.defined = info.linedefined
  if out.ok then
    out.file = source_of(info)
    out.line = (returned_at and returned_at > 0) and returned_at or info.linedefined
  else
    local caught = out[1]
    out.value = caught.value
    out.file = caught.file or source_of(info)
    out.line = caught.line or info.linedefined
  end
  return out
end

local message_of = util.message_of

-- Lua gives a return the line where its expression ends; the veto is shown at the line of the
-- `return` itself (looked for upwards, not above the function's first line).
local function return_line(file, line, defined)
  local f = file and line and io.open(file, "rb")
  if not f then return line end
  local lines = {}
  for l in f:lines() do
    lines[#lines + 1] = l
    if #lines >= line then break end
  end
  f:close()
  for n = line, math.max(defined or 1, 1), -1 do
    local text = lines[n]
    if text and text:find("%f[%w_]return%f[^%w_]") then return n end
  end
  return line
end

local function context_of(point, change, type_name)
  if not change then
    if type_name then return ("hook %s (%s)"):format(point, type_name) end
    return "hook " .. point
  end
  local key = change.key ~= nil and (" " .. tostring(change.key)) or ""
  return ("hook %s (%s %s%s)"):format(point, tostring(change.op), tostring(change.type), key)
end

-- A call's outcome: "go" (with the replacement or nil), or nil, err for a veto or an error.
local function outcome(res, point, change, type_name)
  local fields = { point = point, type = change and change.type or type_name,
    op = change and change.op, key = change and change.key, file = res.file, line = res.line }
  if not res.ok then
    local v = res.value
    local reason
    if type(v) == "string" then
      local _, _, rest = split_position(v)
      reason = rest
    else
      reason = message_of(v)
    end
    fields.code = "hook_error"
    fields.reason = reason
    fields.message = ("%s failed: %s"):format(context_of(point, change, type_name), reason)
    return nil, errors.from(fields)
  end
  local first, second = res[1], res[2]
  if first == false or (first == nil and second ~= nil) then
    local reason = second ~= nil and message_of(second) or "vetoed"
    fields.line = return_line(res.file, res.line, res.defined)
    fields.code = "hook_veto"
    fields.reason = reason
    fields.message = ("%s vetoed: %s"):format(context_of(point, change, type_name), reason)
    return nil, errors.from(fields)
  end
  return true, first
end

local function warn(ctx, err)
  local log = ctx and ctx.log
  if log and log.warn then log:warn(tostring(err)) end
end

function Registry:run_load(desired, ctx)
  for _, h in ipairs(self.list) do
    if h.point == "load" then
      if h.type then
        local value = desired[h.type]
        if value ~= nil then
          local ok, replaced = outcome(call(h.fn, value, ctx), "load", nil, h.type)
          if not ok then return nil, replaced end
          if type(replaced) == "table" then desired[h.type] = replaced end
        end
      else
        local ok, replaced = outcome(call(h.fn, desired, ctx), "load")
        if not ok then return nil, replaced end
        if type(replaced) == "table" then desired = replaced end
      end
    end
  end
  return desired
end

function Registry:run_plan(p, ctx)
  for _, h in ipairs(self.list) do
    if h.point == "plan" then
      local ok, replaced = outcome(call(h.fn, p, ctx), "plan")
      if not ok then return nil, replaced end
      if type(replaced) == "table" and replaced ~= p then
        if getmetatable(replaced) == nil then
          local plan_mod = require("a0lua.plan")
          local fresh = plan_mod.new{ changes = replaced.changes or replaced,
            warnings = replaced.warnings or p.warnings }
          fresh.types, fresh.desired = p.types, p.desired
          replaced = fresh
        end
        p = replaced
      end
    end
  end
  return p
end

function Registry:run_before(changes, ctx)
  local handler = require("a0lua.handler")
  for _, change in ipairs(changes) do
    if change.op ~= "skip" then
      -- What the plan made, before any hook changed it (see run_before_again).
      change.unhooked = handler.deep_copy(change.payload)
      for _, h in ipairs(self.list) do
        if h.point == "before" and (h.type == nil or h.type == change.type) then
          local ok, replaced = outcome(call(h.fn, change, ctx), "before", change)
          if not ok then return nil, replaced end
          if type(replaced) == "table" then change.payload = replaced end
        end
      end
    end
  end
  return true
end

-- Changes computed again during apply (after an earlier stage wrote): a change whose payload is
-- what the plan had made before the hooks ran takes the hooked payload of that earlier change;
-- only a change that really differs goes through the before hooks again.
function Registry:run_before_again(fresh, previous, ctx)
  local handler = require("a0lua.handler")
  local earlier = {}
  for _, c in ipairs(previous) do
    earlier[tostring(c.type) .. "\0" .. tostring(c.op) .. "\0" .. tostring(c.key)] = c
  end
  local again = {}
  for _, c in ipairs(fresh) do
    local old = earlier[tostring(c.type) .. "\0" .. tostring(c.op) .. "\0" .. tostring(c.key)]
    if old and old.unhooked ~= nil and handler.deep_equal(old.unhooked, c.payload) then
      c.unhooked, c.payload = old.unhooked, old.payload
    elseif c.op ~= "skip" then
      again[#again + 1] = c
    end
  end
  return self:run_before(again, ctx)
end

-- Calls the hooks of a point that cannot stop the run (after, done, error) with `...`; a veto or
-- an error is only logged. With a change, only the hooks of no type or of its type run.
local function run_logged(self, point, change, ctx, ...)
  for _, h in ipairs(self.list) do
    if h.point == point and (change == nil or h.type == nil or h.type == change.type) then
      local ok, err = outcome(call(h.fn, ...), point, change)
      if not ok then warn(ctx, err) end
    end
  end
end

function Registry:run_after(change, result, ctx)
  run_logged(self, "after", change, ctx, change, result, ctx)
end

function Registry:run_done(report, ctx)
  run_logged(self, "done", nil, ctx, report, ctx)
end

function Registry:run_error(failure, ctx)
  if type(failure) == "table" then
    if self.reported[failure] then return end
    self.reported[failure] = true
  end
  run_logged(self, "error", nil, ctx, failure, ctx)
end

M.Registry = Registry

return M
