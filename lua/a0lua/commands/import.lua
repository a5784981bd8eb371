--[[
a0lua.commands.import: `a0lua import` (alias `deploy`). The command is the shipped recipe
recipes/import.lua (run through a0lua.commands.run), which `plan` and `validate` share.

  a0lua import -i tenant.yaml|DIR [-c config.json] [--dry-run] [--apply | --interactive] ...

  M.pipeline(name, argv, mode) -> status      name "import" | "deploy" | "plan" | "validate",
                                              mode "import" | "plan" | "validate"
  M.run(args, argv, first) -> status          the command (cli.lua)
  M.mode_command(name) -> module              the module of `plan` or `validate`: the pipeline
                                              in that mode, summary and usage from a0lua.args

Exit status: 0 done (or a dry run), 1 any error; see recipes/import.lua for the steps.
]]
local args = require("a0lua.args")

local M = {}

M.summary = args.COMMANDS.import.summary
M.usage = args.usage("import")

function M.pipeline(name, argv, mode)
  return require("a0lua.commands.run").recipe("import", argv, { command = name, mode = mode })
end

function M.run(words, argv, first)
  local name = argv and first and argv[first - 1] == "deploy" and "deploy" or "import"
  return M.pipeline(name, words, "import")
end

function M.mode_command(name)
  return {
    summary = args.COMMANDS[name].summary,
    usage = args.usage(name),
    run = function(words) return M.pipeline(name, words, name) end,
  }
end

return M
