--[[
recipes/export.lua: `a0lua export` (alias dump) is this recipe.

  a0lua export -o DIR -f yaml|directory [-c config.json] [-e] [-s] [--export_secrets] [--json]
  a0lua run export -o DIR -f yaml ...           the same, run as a recipe

arg.command is "export" (default) or "dump". Reads every enabled type from the tenant, turns it
into export form (ids to names, read-only fields stripped, secrets as ##PLACEHOLDER## unless
AUTH0_EXPORT_SECRETS), preserves keywords of the existing local files when
AUTH0_PRESERVE_KEYWORDS, and writes DIR/tenant.yaml (yaml) or the directory layout
(tenant:export). The same tenant always gives byte-identical files. Exit status 0 or 1.
]]
local a0lua = require("a0lua")
local json = require("a0lua.core.json")
local run = require("a0lua.commands.run")

local script = _G.arg or {}
local name = script.command == "dump" and "dump" or "export"

local function plural(n, word)
  return ("%d %s%s"):format(n, word, n == 1 and "" or "s")
end

local function main(...)
  local cfg, log = run.command_config(name, { ... }, "export")
  if not cfg then return 0 end -- (--help)

  local tenant, terr = a0lua.connect(cfg, { log = log, hooks = false })
  if not tenant then error(terr, 0) end
  local result, err = tenant:export(cfg.output_folder, { format = cfg.format })
  tenant:close()
  if not result then error(err, 0) end
  local where = cfg.format == "yaml" and (cfg.output_folder .. "/tenant.yaml") or
    cfg.output_folder
  if cfg.json then
    local files, types = json.array(), json.array()
    for _, f in ipairs(result.files) do files[#files + 1] = f end
    for _, t in ipairs(result.types) do types[#types + 1] = t end
    log:result({ ok = true, output = where, files = files, types = types })
  else
    io.stdout:write(("exported %s to %s (%s)\n"):format(plural(#result.types, "resource type"),
      where, plural(#result.files, "file")))
  end
  log:info("export successful")
  return 0
end

return main(...)
