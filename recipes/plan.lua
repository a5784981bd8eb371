--[[
recipes/plan.lua: `a0lua plan` as a recipe: an import with --dry-run that says by its exit
status whether the tenant differs from the files (0 nothing would change, 2 something would,
1 an error). The work is recipes/import.lua's.

  a0lua run plan -i tenant.yaml|DIR [-c config.json] [--json]
]]
local run = require("a0lua.commands.run")

return run.recipe("import", { ... }, { command = "plan", mode = "plan" })
