--[[
a0lua.commands.import: `a0lua import` (alias `deploy`). The command is the shipped recipe
recipes/import.lua (run through a0lua.commands.run), which `plan` and `validate` share.

  a0lua import -i tenant.yaml|DIR [-c config.json] [--dry-run] [--apply | --interactive] ...

  M.pipeline(name, argv, mode) -> status      name "import" | "deploy" | "plan" | "validate",
                                              mode "import" | "plan" | "validate"
  M.run(args, argv, first) -> status          the command (cli.lua)

Exit status: 0 done (or a dry run), 1 any error; see recipes/import.lua for the steps.
]]
local M = {}

M.summary = "deploy tenant.yaml or a directory to the tenant (alias: deploy)"

function M.pipeline(name, argv, mode)
  return require("a0lua.commands.run").recipe("import", argv, { command = name, mode = mode })
end

M.usage = require("a0lua.args").usage("import")

function M.run(args, argv, first)
  local name = argv and first and argv[first - 1] == "deploy" and "deploy" or "import"
  return M.pipeline(name, args, "import")
end

return M
