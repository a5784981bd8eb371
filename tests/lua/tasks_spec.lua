-- a0lua.tasks against the loopback test server (tests/helpers/loopback_server.lua), which runs in
-- its own process so the scheduler can block in session:poll.
local tasks = require("a0lua.tasks")
local http = require("a0lua.core.http")
local loopback = require("helpers.loopback")

-- Holds tasks.now still from now until the task this spawns last runs: the tasks spawned before
-- it book their timers in the scheduler's first turn from one instant, as a spec that compares
-- their sleeps means, however long a busy machine takes between them. Returns the function
-- that puts tasks.now back (call it from finally).
local function start_together(sched)
  local real = tasks.now
  local held = real()
  tasks.now = function() return held or real() end
  sched:spawn(function() held = nil end)
  return function() tasks.now = real end
end

describe("a0lua.tasks", function()
  local lb

  setup(function()
    lb = loopback.start()
  end)

  teardown(function()
    if lb then lb:stop() end
  end)

  describe("tasks.new", function()
    it("makes a scheduler that owns a session made from options", function()
      local sched = tasks.new{ session = { user_agent = "t/1" }, concurrency = 3 }
      assert.equals(3, sched.concurrency)
      assert.is_true(sched.owns_session)
      sched:close()
      assert.matches("closed", tostring(sched.session))
    end)

    it("uses a session it is given and leaves it open on close", function()
      local session = http.session()
      local sched = tasks.new{ session = session }
      assert.equals(10, sched.concurrency)
      sched:close()
      assert.matches("open", tostring(session))
      session:close()
    end)

    it("raises on an unknown option or a bad concurrency", function()
      assert.has_error(function() tasks.new{ concurency = 2 } end,
        "tasks.new: unknown option concurency")
      assert.has_error(function() tasks.new{ concurrency = 0 } end,
        "tasks.new: concurrency must be an integer >= 1")
      assert.has_error(function() tasks.new{ session = "x" } end)
      assert.has_error(function() tasks.new("x") end)
    end)
  end)

  describe("tasks.request", function()
    local sched

    before_each(function()
      sched = tasks.new()
    end)

    after_each(function()
      sched:close()
    end)

    it("takes answers in while timers fall due on every turn", function()
      local res, turns = nil, 0
      sched:spawn(function()
        res = tasks.request{ url = lb.url .. "/status/204" }
      end)
      sched:spawn(function()
        -- a task that is always due again (as many short sleeps of many tasks are)
        while res == nil and turns < 200000 do
          turns = turns + 1
          tasks.sleep(0)
        end
      end)
      sched:run()
      assert.equals(204, res.status)
      -- (before, the answer came in only once the busy task gave up, after 200,000 turns)
      assert.is_true(turns < 1000, "the answer was starved for " .. turns .. " turns")
    end)

    -- A turn of many tasks (a fleet's tenants computing their plans) must not hold back the
    -- requests submitted at its start until its end: they would arrive together, faster than
    -- the pacer sent them. The session is polled between two tasks once SEND_WITHIN_MS passed.
    it("sends a request submitted early in a long turn before the turn ends", function()
      local real_now, clock, events = tasks.now, 0, {}
      local session = sched.session
      sched.session = setmetatable({}, { __index = function(_, name)
        return function(_, ...)
          if name == "poll" then events[#events + 1] = "poll" end
          return session[name](session, ...)
        end
      end })
      tasks.now = function() return clock end
      local answers = 0
      finally(function() tasks.now = real_now; sched.session = session end)
      for _ = 1, 2 do
        sched:spawn(function()
          if tasks.request{ url = lb.url .. "/status/204" } then answers = answers + 1 end
        end)
      end
      for _ = 1, 3 do
        sched:spawn(function()
          events[#events + 1] = "busy"
          clock = clock + 10 -- a task that computes for a while (SEND_WITHIN_MS is 5)
        end)
      end
      sched:run()
      assert.equals(2, answers)
      -- the first request goes at once; the second, submitted in the same instant, with the
      -- next poll, once the first busy task has taken its time; then nothing is left to send
      assert.same({ "poll", "busy", "poll", "busy", "busy" }, { table.unpack(events, 1, 5) })
    end)

    it("returns the response to a request made inside a task", function()
      local res, err
      sched:spawn(function()
        res, err = tasks.request{ url = lb.url .. "/status/201" }
      end)
      sched:run()
      assert.is_nil(err)
      assert.equals(201, res.status)
      assert.equals("status 201", res.body)
      assert.equals("text/plain", res.headers["content-type"])
    end)

    it("returns nil and an http_network error when the server drops the connection", function()
      local res, err
      sched:spawn(function() res, err = tasks.request{ url = lb.url .. "/drop" } end)
      sched:run()
      assert.is_nil(res)
      assert.equals("http_network", err.code)
    end)

    it("returns nil and an http_timeout error when the request times out", function()
      local res, err
      sched:spawn(function()
        res, err = tasks.request{ url = lb.url .. "/slow", timeout_ms = 150 }
      end)
      sched:run()
      assert.is_nil(res)
      assert.equals("http_timeout", err.code)
    end)

    it("raises a bad request in the task that made it", function()
      sched:spawn(function() tasks.request{ method = "GET" } end)
      assert.has_error(function() sched:run() end)
    end)

    it("raises outside a task", function()
      assert.has_error(function() tasks.request{ url = lb.url } end,
        "tasks.request: called outside a task")
    end)

    it("runs 50 requests of 20 ms with 10 in flight at a time", function()
      -- The gate answers none before 10 are at the server at once; each stays 20 ms after.
      local s = tasks.new{ concurrency = 10 }
      local group = lb:group()
      local ok = 0
      for _ = 1, 50 do
        s:spawn(function()
          local res = tasks.request{ url = lb.url .. "/gate/10?ms=20&group=" .. group }
          if res and res.status == 200 then ok = ok + 1 end
        end)
      end
      s:run()
      s:close()
      local stats = lb:stats(group)
      assert.equals(50, ok)
      assert.equals(50, stats.requests)
      assert.equals(10, stats.max_in_flight)
    end)

    it("never has more than concurrency requests in flight", function()
      local s = tasks.new{ concurrency = 3 }
      local group = lb:group()
      local order = {}
      for i = 1, 12 do
        s:spawn(function()
          tasks.request{ url = lb.url .. "/gate/3?ms=30&group=" .. group }
          order[#order + 1] = i
        end)
      end
      s:run()
      s:close()
      local stats = lb:stats(group)
      assert.equals(12, stats.requests)
      assert.equals(3, stats.max_in_flight)
      assert.equals(12, #order)
    end)
  end)

  describe("tasks.sleep", function()
    it("wakes tasks in the order their timers fall due", function()
      local sched = tasks.new()
      local order = {}
      for _, ms in ipairs{ 60, 20, 40, 0, 20 } do
        sched:spawn(function()
          tasks.sleep(ms)
          order[#order + 1] = ms
        end)
      end
      finally(start_together(sched))
      sched:run()
      sched:close()
      assert.same({ 0, 20, 20, 40, 60 }, order)
    end)

    it("keeps the start order of sleeps that fall due together", function()
      local sched = tasks.new()
      local order = {}
      for i = 1, 5 do
        sched:spawn(function()
          tasks.sleep(10)
          order[#order + 1] = i
        end)
      end
      finally(start_together(sched))
      sched:run()
      sched:close()
      assert.same({ 1, 2, 3, 4, 5 }, order)
    end)

    it("lets requests and other sleeps go on meanwhile, without a busy loop", function()
      -- The request waits at a gate that only the request sent after the last sleep opens: it
      -- ends only if the sleeps went on while it was in flight. Every sleep starts before any
      -- ends, and the waiting burns no CPU.
      local sched = tasks.new()
      local group = lb:group()
      local gate = lb.url .. "/gate/2?group=" .. group
      local events, answers = {}, {}
      local t0 = tasks.now()
      local clock0 = os.clock()
      sched:spawn(function() answers[1] = tasks.request{ url = gate } end)
      for i = 1, 5 do
        sched:spawn(function()
          events[#events + 1] = "start"
          tasks.sleep(250)
          events[#events + 1] = "end"
          if i == 5 then answers[2] = tasks.request{ url = gate } end
        end)
      end
      sched:run()
      sched:close()
      local elapsed = tasks.now() - t0
      local cpu = os.clock() - clock0
      assert.equals("opened 2", answers[1] and answers[1].body)
      assert.equals("opened 2", answers[2] and answers[2].body)
      assert.same({ "start", "start", "start", "start", "start", "end", "end", "end", "end",
                    "end" }, events)
      assert.is_true(elapsed >= 245, "took " .. elapsed .. " ms")
      -- A busy loop would burn about as much CPU time as the 250 ms it waited.
      assert.is_true(cpu < 0.1, ("spent %.3f s of CPU while waiting"):format(cpu))
    end)

    it("raises outside a task or on a bad duration", function()
      assert.has_error(function() tasks.sleep(1) end, "tasks.sleep: called outside a task")
      local sched = tasks.new()
      sched:spawn(function() tasks.sleep(-1) end)
      assert.has_error(function() sched:run() end)
      sched:close()
    end)
  end)

  describe("tasks.signal", function()
    it("wakes every waiting task when fired, and lets later waits through at once", function()
      local sched = tasks.new()
      local sig = tasks.signal()
      local seen = {}
      for i = 1, 3 do
        sched:spawn(function()
          sig:wait()
          seen[#seen + 1] = "woken " .. i
        end)
      end
      sched:spawn(function()
        tasks.sleep(5)
        seen[#seen + 1] = "fire"
        sig:fire()
        sig:wait() -- fired already: no suspension
        seen[#seen + 1] = "after"
      end)
      sched:run()
      sched:close()
      assert.same({ "fire", "after", "woken 1", "woken 2", "woken 3" }, seen)
    end)

    it("counts toward a deadlock when nothing fires it", function()
      local sched = tasks.new()
      local sig = tasks.signal()
      sched:spawn(function() sig:wait() end)
      assert.has_error(function() sched:run() end,
        "tasks: deadlock: 1 task(s) wait and nothing can wake them")
      sched:close()
    end)
  end)

  describe("tasks.semaphore", function()
    it("lets n tasks hold it at once and hands each place on in the order asked", function()
      local sched = tasks.new()
      local sem = tasks.semaphore(2)
      local holding, most, order = 0, 0, {}
      for i = 1, 5 do
        sched:spawn(function()
          sem:acquire()
          holding = holding + 1
          most = math.max(most, holding)
          order[#order + 1] = i
          tasks.sleep(1)
          holding = holding - 1
          sem:release()
        end)
      end
      sched:run()
      sched:close()
      assert.are.equal(2, most)
      assert.same({ 1, 2, 3, 4, 5 }, order)
    end)

    it("refuses a size below 1 and an acquire outside a task", function()
      assert.has_error(function() tasks.semaphore(0) end,
        "tasks.semaphore: n must be an integer >= 1")
      assert.has_error(function() tasks.semaphore(1.5) end,
        "tasks.semaphore: n must be an integer >= 1")
      assert.has_error(function() tasks.semaphore(1):acquire() end,
        "semaphore:acquire: called outside a task")
    end)
  end)

  describe("tasks.spawn", function()
    it("starts a child task on the current scheduler", function()
      local sched = tasks.new()
      local seen = {}
      sched:spawn(function()
        local child = tasks.spawn(function(x)
          tasks.sleep(5)
          seen[#seen + 1] = "child " .. x
          return x * 2
        end, 21)
        seen[#seen + 1] = "parent"
        local doubled = child:wait()
        seen[#seen + 1] = doubled
      end)
      sched:run()
      sched:close()
      assert.same({ "parent", "child 21", 42 }, seen)
    end)

    it("raises outside a task", function()
      assert.has_error(function() tasks.spawn(function() end) end,
        "tasks.spawn: called outside a task")
    end)
  end)

  describe("task:wait", function()
    it("returns every value the task returned", function()
      local sched = tasks.new()
      local t = sched:spawn(function(a, b)
        tasks.sleep(5)
        return a, nil, b
      end, "x", "y")
      local a, b, c = t:wait()
      sched:close()
      assert.equals("x", a)
      assert.is_nil(b)
      assert.equals("y", c)
      assert.equals("done", t:status())
    end)

    it("returns as many values as the task returned, none for none", function()
      local sched = tasks.new()
      local none = sched:spawn(function() tasks.sleep(1) end)
      local nils = sched:spawn(function() tasks.sleep(1); return nil, nil end)
      local counts = {}
      sched:spawn(function()
        counts[1] = select("#", none:wait())
        counts[2] = select("#", nils:wait())
      end)
      sched:run()
      sched:close()
      assert.same({ 0, 2 }, counts)
    end)

    it("returns at once for a task that already finished", function()
      local sched = tasks.new()
      local t = sched:spawn(function() return 7 end)
      sched:run()
      assert.equals(7, t:wait())
      sched:close()
    end)

    it("raises when a task waits for itself", function()
      local sched = tasks.new()
      local me
      me = sched:spawn(function() tasks.sleep(1); me:wait() end)
      assert.has_error(function() sched:run() end)
      sched:close()
    end)
  end)

  describe("tasks.all", function()
    it("returns the results in the order of the functions, not of completion", function()
      local sched = tasks.new()
      local values, errs
      sched:spawn(function()
        values, errs = tasks.all{
          function() return tasks.request{ url = lb.url .. "/delay/80" } end,
          function() return tasks.request{ url = lb.url .. "/drop" } end,
          function() tasks.sleep(10); return "slept" end,
          function() return tasks.request{ url = lb.url .. "/status/404" } end,
        }
      end)
      sched:run()
      sched:close()
      assert.equals(4, values.n)
      assert.equals("delayed 80", values[1].body)
      assert.is_nil(values[2])
      assert.equals("http_network", errs[2].code)
      assert.equals("slept", values[3])
      assert.equals(404, values[4].status)
    end)

    it("runs from outside a task as sched:all", function()
      local sched = tasks.new()
      local values = sched:all{ function() return 1 end, function() tasks.sleep(5); return 2 end }
      sched:close()
      assert.same({ 1, 2, n = 2 }, values)
    end)

    it("raises outside a task", function()
      assert.has_error(function() tasks.all{} end, "tasks.all: called outside a task")
    end)
  end)

  describe("sched:run", function()
    it("returns once every task has finished", function()
      local sched = tasks.new()
      local done = 0
      for _ = 1, 3 do sched:spawn(function() tasks.sleep(5); done = done + 1 end) end
      sched:run()
      sched:close()
      assert.equals(3, done)
    end)

    it("raises a task's error with the task's traceback and stops the scheduler", function()
      local sched = tasks.new()
      local other_finished = false
      sched:spawn(function() tasks.sleep(50); other_finished = true end)
      sched:spawn(function()
        tasks.sleep(1)
        error("boom in task")
      end)
      finally(start_together(sched))
      local ok, err = pcall(sched.run, sched)
      assert.is_false(ok)
      assert.matches("boom in task", err)
      assert.matches("stack traceback", err)
      assert.is_false(other_finished)
      assert.has_error(function() sched:run() end,
        "sched:run: the scheduler stopped on a task error")
      assert.has_error(function() sched:spawn(function() end) end)
      assert.matches("closed", tostring(sched.session))
    end)

    it("keeps an error table and adds the traceback to it", function()
      local sched = tasks.new()
      local e = { code = "hook_veto", message = "vetoed" }
      sched:spawn(function() error(e) end)
      local ok, err = pcall(sched.run, sched)
      assert.is_false(ok)
      assert.equals(e, err)
      assert.equals("hook_veto", err.code)
      assert.matches("stack traceback", err.traceback)
    end)

    it("raises a deadlock when tasks wait for each other", function()
      local sched = tasks.new()
      local a, b
      a = sched:spawn(function() tasks.sleep(1); b:wait() end)
      b = sched:spawn(function() tasks.sleep(1); a:wait() end)
      assert.has_error(function() sched:run() end,
        "tasks: deadlock: 2 task(s) wait and nothing can wake them")
      sched:close()
    end)

    it("raises when a task yields outside the tasks API", function()
      local sched = tasks.new()
      sched:spawn(function() coroutine.yield("x") end)
      local ok, err = pcall(sched.run, sched)
      assert.is_false(ok)
      assert.matches("yielded outside the tasks API", err)
    end)

    it("raises when run from inside a task", function()
      local sched = tasks.new()
      sched:spawn(function() sched:run() end)
      local ok, err = pcall(sched.run, sched)
      assert.is_false(ok)
      assert.matches("cannot be run from inside a task", err)
    end)
  end)

  describe("tasks.now", function()
    it("returns milliseconds that advance with a sleep", function()
      local sched = tasks.new()
      local before, after
      sched:spawn(function()
        before = tasks.now()
        tasks.sleep(30)
        after = tasks.now()
      end)
      sched:run()
      sched:close()
      assert.is_true(after - before >= 29, "advanced " .. (after - before))
    end)
  end)

  describe("tasks.current", function()
    it("returns the running task inside a task and nil outside", function()
      local sched = tasks.new()
      local inside
      local t = sched:spawn(function() inside = tasks.current() end)
      sched:run()
      sched:close()
      assert.equals(t, inside)
      assert.is_nil(tasks.current())
    end)
  end)
end)
