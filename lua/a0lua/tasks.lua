--[[
a0lua.tasks: coroutine tasks over a0lua.core.http, so code reads top to bottom while many
requests are in flight.

  local tasks = require("a0lua.tasks")
  local sched = tasks.new{
    session = http.session{...},  -- or a table of http.session options (the scheduler then owns
                                  -- the session and sched:close() closes it); default {}
    concurrency = 10,             -- requests in flight at once (default 10); the rest queue FIFO
  }
  local t = sched:spawn(fn, ...)  -- a task running fn(...); it starts at the next run/wait
  sched:run()                     -- runs until every task has finished; returns nothing
  t:wait() -> ...                 -- the values fn returned (runs the scheduler until t is done)
  sched:all{ f1, f2, ... } -> values, errs   -- see tasks.all
  sched:close()                   -- closes an owned session; the scheduler is unusable after

Inside a task (each raises when called outside one):
  tasks.request(req) -> res | nil, err
      req as for session:submit; waits for the completion without blocking other tasks.
      res = { id =, status =, headers =, body = }: any HTTP status, 4xx and 5xx included.
      err = { code = "http_network" | "http_timeout", message =, curl_code = }.
      Misuse (a bad req) raises in the calling task.
  tasks.sleep(ms)                 -- other tasks run meanwhile; sleep(0) just yields
  tasks.spawn(fn, ...) -> task    -- a task on the current scheduler
  tasks.signal() -> signal        -- sig:wait() suspends the task until sig:fire() (at once when it
                                  -- has fired); sig:fire(), from anywhere, wakes every waiter.
                                  -- For "wait until that answer is in" without polling; a task
                                  -- that waits on a signal nobody fires counts toward a deadlock
  tasks.semaphore(n) -> sem       -- at most n holders at once: sem:acquire() suspends the task
                                  -- until a place is free (FIFO), sem:release() gives one back
                                  -- (from anywhere). For a limit within a scheduler's own, e.g.
                                  -- one tenant's requests on a scheduler a fleet shares
  task:wait() -> ...              -- join: the task's return values
  tasks.all(fns) -> values, errs  -- runs every function of the array fns as its own task and
                                  -- waits for all: values[i], errs[i] are the first and second
                                  -- values fns[i] returned (so `res, err` functions fit);
                                  -- values.n = errs.n = #fns
  tasks.current() -> task | nil
  task:status() -> "ready" | "running" | "waiting" | "done" | "failed"
Anywhere:
  tasks.now() -> ms               -- monotonic milliseconds (a float), from core.http's clock

Errors: a task that raises stops the scheduler at once: run() (or the outside wait/all that was
driving it) raises that error, with the task's traceback appended to a string message or stored
in the `traceback` field of an error table. The other tasks are abandoned and the scheduler is
unusable afterwards (spawn and run raise); an owned session is closed, which cancels whatever was
in flight. Catch errors inside the task (pcall works across tasks.request) to keep going.

Caveats: one scheduler per session at a time (completions for ids it did not submit are dropped).
A task must call these functions from its own coroutine, not from a coroutine nested inside it.
When nothing can run, the scheduler blocks in session:poll until a completion or the nearest
timer: no busy loop. When nothing can ever wake the remaining tasks (they wait for each other),
run raises "tasks: deadlock". Timers are not exact: a timer fires at the first turn after it is
due, in due order (ties in the order the sleeps started).
]]
local http = require("a0lua.core.http")

local M = {}

local YIELD = setmetatable({}, { __name = "a0lua.tasks.yield" })
local task_of = setmetatable({}, { __mode = "k" }) -- coroutine -> task

local Scheduler = {}
Scheduler.__index = Scheduler
local Task = {}
Task.__index = Task

M.now = http.now

-- A request submitted waits at most this long (and the task running then) before it is sent.
M.SEND_WITHIN_MS = 5

-- ---- small structures -----------------------------------------------------------------------

local function fifo() return { first = 1, last = 0 } end

local function fifo_push(q, v)
  q.last = q.last + 1
  q[q.last] = v
end

local function fifo_pop(q)
  if q.first > q.last then return nil end
  local v = q[q.first]
  q[q.first] = nil
  q.first = q.first + 1
  return v
end

local function fifo_empty(q) return q.first > q.last end

local function earlier(a, b) return a.at < b.at or (a.at == b.at and a.seq < b.seq) end

local function heap_push(h, v)
  local i = #h + 1
  h[i] = v
  while i > 1 do
    local p = i // 2
    if not earlier(h[i], h[p]) then break end
    h[i], h[p] = h[p], h[i]
    i = p
  end
end

local function heap_pop(h)
  local top, n = h[1], #h
  h[1] = h[n]
  h[n] = nil
  n = n - 1
  local i = 1
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if l <= n and earlier(h[l], h[m]) then m = l end
    if r <= n and earlier(h[r], h[m]) then m = r end
    if m == i then break end
    h[i], h[m] = h[m], h[i]
    i = m
  end
  return top
end

-- ---- tasks ----------------------------------------------------------------------------------

function M.current()
  return task_of[coroutine.running()]
end

local function current_task(what)
  local task = task_of[coroutine.running()]
  if not task then error(what .. ": called outside a task", 3) end
  return task
end

-- Suspends the running task; returns what the scheduler resumes it with.
local function suspend()
  return coroutine.yield(YIELD)
end

local function make_ready(sched, task, ...)
  task.state = "ready"
  task.args = table.pack(...)
  fifo_push(sched.ready, task)
end

local function check_usable(sched, what)
  if sched.failed then error(what .. ": the scheduler stopped on a task error", 3) end
  if sched.closed then error(what .. ": the scheduler is closed", 3) end
end

-- A request slot came free: hand it to the first queued task, if any.
local function release_slot(sched)
  sched.in_flight = sched.in_flight - 1
  local next_task = fifo_pop(sched.queue)
  if next_task then
    sched.in_flight = sched.in_flight + 1
    make_ready(sched, next_task)
  end
end

local function with_traceback(co, err)
  local tb = debug.traceback(co)
  if type(err) == "string" then return err .. "\n" .. tb end
  if type(err) == "table" and rawget(err, "traceback") == nil then
    rawset(err, "traceback", tb)
    return err
  end
  if type(err) ~= "table" then return tostring(err) .. "\n" .. tb end
  return err
end

local function fail(sched, task, err)
  task.state = "failed"
  err = with_traceback(task.co, err)
  sched.failed = err
  sched.ready, sched.queue, sched.timers, sched.waiting = fifo(), fifo(), {}, {}
  sched.live = 0
  if sched.owns_session then sched.session:close() end
  error(err, 0)
end

-- What a resume returned, taken as arguments: no table for it at each step.
local function resumed(sched, task, ok, ...)
  local first = ...
  if not ok then return fail(sched, task, first) end
  if coroutine.status(task.co) == "dead" then
    task.state = "done"
    task.results = table.pack(...)
    sched.live = sched.live - 1
    for _, waiter in ipairs(task.waiters) do make_ready(sched, waiter) end
    task.waiters = nil
  elseif first ~= YIELD then
    return fail(sched, task, "tasks: a task yielded outside the tasks API (coroutine.yield)")
  else
    task.state = "waiting"
  end
end

local function step(sched, task)
  task.state = "running"
  local args = task.args
  task.args = nil
  return resumed(sched, task, coroutine.resume(task.co, table.unpack(args, 1, args.n)))
end

-- Wakes the tasks whose requests completed.
local function collect(sched, completions)
  for _, c in ipairs(completions) do
    local waiter = sched.waiting[c.id]
    if waiter then
      sched.waiting[c.id] = nil
      release_slot(sched)
      make_ready(sched, waiter, c)
    end
  end
end

-- Hands the requests submitted since the last poll to the wire and takes the answers in.
local function poll(sched, wait)
  sched.unsent = 0
  collect(sched, sched.session:poll(wait))
  sched.polled_at = M.now()
end

-- Runs the ready tasks, and those they make ready, in turn. A request leaves only when the
-- session is polled: a turn with many tasks to run (a fleet's tenants computing their plans)
-- would hold back the requests submitted at its start until its end, and they would arrive
-- together, faster than the pacer sent them (a per-second limit counts them when they arrive).
-- So the session is polled, without waiting, between two tasks once SEND_WITHIN_MS have passed
-- since the last poll with a request submitted meanwhile.
local function run_ready(sched)
  local task = fifo_pop(sched.ready)
  while task do
    step(sched, task)
    if sched.unsent > 0 and M.now() - sched.polled_at >= M.SEND_WITHIN_MS then poll(sched, 0) end
    task = fifo_pop(sched.ready)
  end
end

-- Runs tasks until finished() is true.
local function loop(sched, finished)
  if task_of[coroutine.running()] then
    error("tasks: the scheduler cannot be run from inside a task", 3)
  end
  if sched.running then error("tasks: the scheduler is already running", 3) end
  sched.running = true
  local ok, err = pcall(function()
    while true do
      run_ready(sched)
      if finished() then return end
      local now = M.now()
      local timers = sched.timers
      while timers[1] and timers[1].at <= now do make_ready(sched, heap_pop(timers).task) end
      if fifo_empty(sched.ready) then
        local wait = timers[1] and math.ceil(timers[1].at - now) or nil
        if not wait and sched.in_flight == 0 then
          error(("tasks: deadlock: %d task(s) wait and nothing can wake them"):format(sched.live),
                0)
        end
        poll(sched, wait)
      elseif sched.in_flight > 0 then
        -- timers due every turn must not starve the answers: take those in without waiting
        poll(sched, 0)
      end
    end
  end)
  sched.running = false
  if not ok then error(err, 0) end
end

-- ---- scheduler ------------------------------------------------------------------------------

--- tasks.new([opts]) -> scheduler
function M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then error("tasks.new: opts must be a table", 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "session" and k ~= "concurrency" then
      error("tasks.new: unknown option " .. tostring(k), 2)
    end
  end
  local concurrency = opts.concurrency or 10
  if math.type(concurrency) ~= "integer" or concurrency < 1 then
    error("tasks.new: concurrency must be an integer >= 1", 2)
  end
  local session, owns = opts.session, false
  if session == nil or type(session) == "table" then
    session, owns = http.session(session), true
  elseif type(session) ~= "userdata" then
    error("tasks.new: session must be an http session or a table of session options", 2)
  end
  return setmetatable({
    session = session, owns_session = owns, concurrency = concurrency,
    in_flight = 0, live = 0, seq = 0, unsent = 0, polled_at = -math.huge,
    ready = fifo(), queue = fifo(), timers = {}, waiting = {},
  }, Scheduler)
end

--- sched:spawn(fn, ...) -> task
function Scheduler:spawn(fn, ...)
  check_usable(self, "sched:spawn")
  if type(fn) ~= "function" then error("sched:spawn: fn must be a function", 2) end
  local task = setmetatable({ sched = self, co = coroutine.create(fn), waiters = {} }, Task)
  task_of[task.co] = task
  self.live = self.live + 1
  make_ready(self, task, ...)
  return task
end

--- sched:run()
function Scheduler:run()
  check_usable(self, "sched:run")
  loop(self, function() return self.live == 0 end)
end

local function all(sched, fns)
  if type(fns) ~= "table" then error("tasks.all: fns must be an array of functions", 3) end
  local list = {}
  for i, fn in ipairs(fns) do list[i] = sched:spawn(fn) end
  local values, errs = { n = #list }, { n = #list }
  for i, task in ipairs(list) do
    local r = table.pack(task:wait())
    values[i], errs[i] = r[1], r[2]
  end
  return values, errs
end

--- sched:all(fns) -> values, errs
function Scheduler:all(fns)
  check_usable(self, "sched:all")
  return all(self, fns)
end

--- sched:close()
function Scheduler:close()
  if self.closed then return end
  self.closed = true
  if self.owns_session then self.session:close() end
end

Scheduler.__close = Scheduler.close

--- task:wait() -> ...
function Task:wait()
  local sched = self.sched
  local current = task_of[coroutine.running()]
  if self.state ~= "done" then
    check_usable(sched, "task:wait")
    if current then
      if current == self then error("task:wait: a task cannot wait for itself", 2) end
      if current.sched ~= sched then
        error("task:wait: the task belongs to another scheduler", 2)
      end
      self.waiters[#self.waiters + 1] = current
      suspend()
    else
      loop(sched, function() return self.state == "done" end)
    end
  end
  return table.unpack(self.results, 1, self.results.n)
end

--- task:status() -> "ready" | "running" | "waiting" | "done" | "failed"
function Task:status() return self.state end

-- ---- inside a task ----------------------------------------------------------------------------

--- tasks.request(req) -> res | nil, err
function M.request(req)
  local task = current_task("tasks.request")
  if type(req) ~= "table" then error("tasks.request: req must be a table", 2) end
  local sched = task.sched
  if sched.in_flight >= sched.concurrency then
    fifo_push(sched.queue, task)
    suspend() -- resumed holding a slot
  else
    sched.in_flight = sched.in_flight + 1
  end
  local ok, id = pcall(sched.session.submit, sched.session, req)
  if not ok then
    release_slot(sched)
    error(id, 2)
  end
  sched.waiting[id] = task
  sched.unsent = sched.unsent + 1
  local c = suspend()
  if c.err then return nil, c.err end
  return c
end

--- tasks.sleep(ms)
function M.sleep(ms)
  local task = current_task("tasks.sleep")
  if type(ms) ~= "number" or ms < 0 then error("tasks.sleep: ms must be a number >= 0", 2) end
  local sched = task.sched
  sched.seq = sched.seq + 1
  heap_push(sched.timers, { at = M.now() + ms, seq = sched.seq, task = task })
  suspend()
end

--- tasks.signal() -> signal
local Signal = {}
Signal.__index = Signal

function M.signal()
  return setmetatable({ waiters = {}, fired = false }, Signal)
end

function Signal:wait()
  local task = current_task("signal:wait")
  if self.fired then return end
  self.waiters[#self.waiters + 1] = task
  suspend()
end

function Signal:fire()
  self.fired = true
  local waiters = self.waiters
  self.waiters = {}
  for _, task in ipairs(waiters) do
    if task.state == "waiting" then make_ready(task.sched, task) end
  end
end

--- tasks.semaphore(n) -> semaphore
local Semaphore = {}
Semaphore.__index = Semaphore

function M.semaphore(n)
  if math.type(n) ~= "integer" or n < 1 then
    error("tasks.semaphore: n must be an integer >= 1", 2)
  end
  return setmetatable({ free = n, queue = { first = 1, last = 0 } }, Semaphore)
end

function Semaphore:acquire()
  local task = current_task("semaphore:acquire")
  if self.free > 0 then
    self.free = self.free - 1
  else
    fifo_push(self.queue, task)
    suspend() -- resumed holding the place release handed over
  end
end

function Semaphore:release()
  local task = fifo_pop(self.queue)
  if task then
    make_ready(task.sched, task)
  else
    self.free = self.free + 1
  end
end

--- tasks.spawn(fn, ...) -> task
function M.spawn(fn, ...)
  local task = current_task("tasks.spawn")
  return task.sched:spawn(fn, ...)
end

--- tasks.all(fns) -> values, errs
function M.all(fns)
  local task = current_task("tasks.all")
  return all(task.sched, fns)
end

return M
