-- tests/helpers/repl_driver.lua: a tiny line loop over a0lua.core.repl, run by repl_spec.lua in a
-- child lua5.4 fed by a pipe or inside a tmux pane.
--
--   lua5.4 tests/helpers/repl_driver.lua [history_file|- [log_file|- [max_lines]]]
--
-- Loads history_file (if given), reads lines with repl.readline("> ") until nil, adds each
-- non-empty line to the history and echoes it: exactly the line and "\n" when stdin is not a
-- terminal, "=> " and the line when it is. At the end saves history_file (keeping max_lines if
-- given). The completer offers the names in NAMES that start with the word, and raises for the word
-- "boom". The log file gets one tab-separated record per event: isatty, version, load, complete
-- (word, line, start), eof, save (true or the error code).
local root = arg[0]:match("^(.*)/tests/helpers/[^/]*$") or "."
package.cpath = root .. "/build/lib/?.so;" .. package.cpath
local repl = require("a0lua.core.repl")

local history = arg[1] ~= "-" and arg[1] or nil
local log = arg[2] and arg[2] ~= "-" and assert(io.open(arg[2], "w")) or nil
local max_lines = arg[3] and math.tointeger(tonumber(arg[3])) or nil

local NAMES = {
  "tenant.clients", "tenant.connections", "tenant.resource_servers",
  "client:update", "client:delete",
}

local function note(...)
  if not log then return end
  local fields = table.pack(...)
  for i = 1, fields.n do fields[i] = tostring(fields[i]) end
  log:write(table.concat(fields, "\t"), "\n")
  log:flush()
end

local function outcome(ok, err)
  if ok then return "true" end
  return err.code
end

local tty = repl.isatty()
note("isatty", tty)
note("version", repl.version)
if history then note("load", outcome(repl.load_history(history))) end

repl.set_completer(function(word, line, start)
  note("complete", word, line, start)
  if word == "boom" then error("the completer failed") end
  local out = {}
  for _, name in ipairs(NAMES) do
    if name:sub(1, #word) == word then out[#out + 1] = name end
  end
  return out
end)

while true do
  local line = repl.readline("> ")
  if line == nil then break end
  if line ~= "" then repl.add_history(line) end
  if tty then io.write("=> ", line, "\n") else io.write(line, "\n") end
  io.flush()
end
-- A terminal would wait for more input; a pipe at its end keeps giving nil.
if not tty then note("eof", repl.readline("> ")) end
if history then note("save", outcome(repl.save_history(history, max_lines))) end
if log then log:close() end
