-- The specs' own cleanup: tests/helpers/leftovers.lua and the emulator helper's stop.
local emulator = require("helpers.emulator")
local run = require("helpers.run")

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

describe("spec helpers' cleanup", function()
  it("removes the emulator's temp files when the spec closed the process itself", function()
    local emu = emulator.start({ state = { roles = {} } })
    local err_file, state_file = emu.err_file, emu.state_file
    assert.is_true(exists(err_file))
    assert.is_true(exists(state_file))
    emu:http("POST", "/__emulator/shutdown")
    emu.proc:close()
    emu.proc = nil
    emu:stop()
    assert.is_false(exists(err_file))
    assert.is_false(exists(state_file))
  end)

  it("cleans up at the suite's end what a spec left: dirs, files, emulators", function()
    local leftovers = dofile("tests/helpers/leftovers.lua") -- its own table, not the suite's
    local dir = run.temp_dir()
    run.write_file(dir .. "/x", "x")
    leftovers.add("dir", dir)
    local file = os.tmpname()
    leftovers.add("file", file)
    local emu = emulator.start()
    finally(function() emu:stop() end)
    leftovers.add("pid", emu.pid)
    leftovers.add("pid", 2 ^ 22 + 1) -- no such process: not counted, nothing killed

    assert.same({ dir = 1, file = 1, pid = 1 }, leftovers.clean())
    assert.is_false(exists(dir .. "/x"))
    run.remove_tree(dir) -- the suite's own record of it
    assert.is_false(exists(file))
    emu.proc:close() -- waits for the emulator, which the clean-up stopped
    emu.proc = nil
    assert.is_false(exists("/proc/" .. emu.pid .. "/cmdline"))
    assert.same({ dir = 0, file = 0, pid = 0 }, leftovers.clean())
  end)
end)
