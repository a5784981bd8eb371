--[[
bench/faults_proc.lua: child processes for bench/faults.lua, started in the background and
watched from a0lua.tasks tasks, so several scenarios run at once in one Lua process.

  local proc = dofile("bench/faults_proc.lua")
  local p = proc.start(dir, name, argv, { timeout = seconds })
      runs argv (argv[1] a program, found on PATH) with stdin from /dev/null, stdout to
      DIR/NAME.out and stderr to DIR/NAME.err, under timeout(1) (default 3600 s). Its pid goes
      to DIR/NAME.pid (the program's own pid: exec keeps it), its exit status to DIR/NAME.rc
      once it ends (128 + the signal when a signal ended it, 124 when the timeout did).
  p:pid() -> pid | nil          once the program started
  p:status() -> exit status | nil while it runs
  p:wait([timeout_s]) -> status | nil     inside a task: polls every 100 ms (tasks.sleep)
  p:kill(signal)                "KILL", "TERM": to the program only, and only while it runs
  p.out, p.err                  the paths of its output
  proc.read(path) -> text | ""
  proc.guard(dir)               once: a watchdog process that, when this Lua process is gone
      (an interrupt, a crash), sends SIGTERM to every program under DIR that still runs
]]
local tasks = require("a0lua.tasks")

local M = {}

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

local Proc = {}
Proc.__index = Proc

function M.start(dir, name, argv, opts)
  opts = opts or {}
  local base = dir .. "/" .. name
  for _, ext in ipairs({ ".pid", ".rc", ".out", ".err" }) do os.remove(base .. ext) end
  local words = {}
  for i, a in ipairs(argv) do words[i] = quote(a) end
  -- The inner sh writes its own pid, then becomes the program; the subshell around it waits
  -- and writes the status (renamed into place, so a reader never sees half a number).
  local inner = ("echo $$ >%s.tmp && mv %s.tmp %s; exec \"$@\""):format(
    quote(base .. ".pid"), quote(base .. ".pid"), quote(base .. ".pid"))
  local cmd = ("( timeout -k 10 %d sh -c %s sh %s <%s >%s 2>%s; echo $? >%s && mv %s %s ) "
    .. ">/dev/null 2>&1 &"):format(math.floor(opts.timeout or 3600), quote(inner),
    table.concat(words, " "), "/dev/null", quote(base .. ".out"), quote(base .. ".err"),
    quote(base .. ".rc.tmp"), quote(base .. ".rc.tmp"), quote(base .. ".rc"))
  local ok = os.execute(cmd)
  if not ok then error("faults: cannot start " .. tostring(argv[1])) end
  return setmetatable({ base = base, out = base .. ".out", err = base .. ".err" }, Proc)
end

function Proc:pid()
  if not self.pid_value then
    self.pid_value = tonumber(M.read(self.base .. ".pid"):match("%d+"))
  end
  return self.pid_value
end

function Proc:status()
  if self.rc == nil then
    local text = M.read(self.base .. ".rc")
    self.rc = tonumber(text:match("%d+"))
  end
  return self.rc
end

function Proc:wait(timeout_s)
  local deadline = timeout_s and tasks.now() + timeout_s * 1000
  while self:status() == nil do
    if deadline and tasks.now() > deadline then return nil end
    tasks.sleep(100)
  end
  return self.rc
end

function Proc:kill(signal)
  local pid = self:pid()
  if pid and self:status() == nil then
    os.execute(("kill -%s %d 2>/dev/null"):format(signal, pid))
  end
end

-- The pid of this Lua process: the parent of the shell io.popen starts.
local function own_pid()
  local p = assert(io.popen("echo $PPID"))
  local pid = tonumber(p:read("l"))
  p:close()
  return pid
end

function M.guard(dir)
  local script = ([[
while kill -0 %d 2>/dev/null; do sleep 1; done
find %s -name '*.pid' | while read -r f; do
  [ -e "${f%%.pid}.rc" ] || kill -TERM "$(cat "$f")" 2>/dev/null
done]]):format(own_pid(), quote(dir))
  os.execute(("sh -c %s >/dev/null 2>&1 </dev/null &"):format(quote(script)))
end

return M
