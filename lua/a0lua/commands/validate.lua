--[[
a0lua.commands.validate: `a0lua validate`, the checks of an import that need no network.

  a0lua validate -i tenant.yaml|DIR [-c config.json] [--json]

Reads the files as import does (keywords, companion files), checks every handler's schema (with
a0deploy's defaults), the handlers' own rules, unknown keys and duplicate names, and references
between the files (a reference to something the files do not hold is a warning: it may exist on
the tenant; `a0lua plan` checks it against the tenant). Every problem is printed, each as
"file:line:column: path: message". Exit status 0 when valid, 1 otherwise.
]]
return require("a0lua.commands.import").mode_command("validate")
