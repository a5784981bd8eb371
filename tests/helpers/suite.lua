-- tests/helpers/suite.lua: the busted helper (.busted). When the whole suite ends, it stops the
-- emulators and removes the temp dirs and files that specs left behind (a spec that failed before
-- its teardown, or a helper whose spec closed the process itself), and says so on stderr.
local busted = require("busted")
local leftovers = require("helpers.leftovers")

busted.subscribe({ "suite", "end" }, function()
  local n, made = leftovers.clean()
  if n.dir + n.file + n.pid > 0 then
    io.stderr:write(("suite: cleaned up after the specs: %d emulators stopped, %d temp dirs and "
      .. "%d temp files removed (%s)\n"):format(n.pid, n.dir, n.file, table.concat(made, "; ")))
  end
  return nil, true
end)
