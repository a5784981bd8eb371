--[[
a0lua.commands.plan: `a0lua plan`, an import with --dry-run that says by its exit status whether
the tenant differs from the files: 0 nothing would change, 2 something would, 1 an error.

  a0lua plan -i tenant.yaml|DIR [-c config.json] [--json]

The plan prints as a readable diff (coloured on a terminal), or with --json as one JSON document
on stdout ({changes, summary, warnings, has_changes}). Nothing is written to the tenant.
]]
return require("a0lua.commands.import").mode_command("plan")
