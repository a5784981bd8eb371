--[[
a0lua.commands.export: `a0lua export` (alias `dump`), the tenant written as files. The command is
the shipped recipe recipes/export.lua (run through a0lua.commands.run).

  a0lua export -o DIR -f yaml|directory [-c config.json] [-e] [-s] [--export_secrets] [--json]

Exit status 0 or 1.
]]
local args = require("a0lua.args")

local M = {}

M.summary = args.COMMANDS.export.summary
M.usage = args.usage("export")

function M.run(words, argv, first)
  local name = argv and first and argv[first - 1] == "dump" and "dump" or "export"
  return require("a0lua.commands.run").recipe("export", words, { command = name })
end

return M
