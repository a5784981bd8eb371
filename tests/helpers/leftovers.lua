-- tests/helpers/leftovers.lua: what the specs' helpers made and a spec has not yet cleaned up
-- (temp dirs, emulator processes and their files), so that the suite's end can clean up after a
-- spec that failed before its teardown or forgot it (tests/helpers/suite.lua).
--
-- The busted helper loads this module before any spec, so every spec file sees the same table:
-- busted gives each spec file fresh copies only of the modules loaded after that.
local M = { dir = {}, file = {}, pid = {} }

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Is pid still an `a0lua emulate` (and not a process that got its number since)?
local function is_emulator(pid)
  local f = io.open("/proc/" .. math.tointeger(pid) .. "/cmdline", "rb")
  if not f then return false end
  local cmdline = f:read("a")
  f:close()
  return cmdline:find("a0lua\0emulate\0", 1, true) ~= nil
end

-- kind: "dir" (removed with everything in it), "file" or "pid" (an emulator, sent SIGTERM).
-- The spec line that made it (the first frame in a *_spec.lua file), for the suite's message.
local function origin()
  for level = 3, 30 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if info.short_src:match("_spec%.lua$") then
      return info.short_src .. ":" .. info.currentline
    end
  end
  return "a helper"
end

function M.add(kind, value) M[kind][value] = origin() end
function M.done(kind, value) M[kind][value] = nil end

-- Cleans up everything still recorded; returns how many of each kind there were, and where
-- they were made (a list of "kind made at file:line").
function M.clean()
  local counts = { dir = 0, file = 0, pid = 0 }
  local made = {}
  for _, kind in ipairs({ "pid", "dir", "file" }) do
    for _, at in pairs(M[kind]) do made[#made + 1] = kind .. " made at " .. at end
  end
  table.sort(made)
  for pid in pairs(M.pid) do
    if is_emulator(pid) then
      os.execute("kill " .. math.tointeger(pid) .. " 2>/dev/null")
      counts.pid = counts.pid + 1
    end
  end
  for file in pairs(M.file) do
    os.remove(file)
    counts.file = counts.file + 1
  end
  for dir in pairs(M.dir) do
    assert(dir:match("^/tmp/a0lua%-spec%-"), "refusing to remove " .. dir)
    os.execute("rm -rf " .. quote(dir))
    counts.dir = counts.dir + 1
  end
  M.dir, M.file, M.pid = {}, {}, {}
  return counts, made
end

return M
