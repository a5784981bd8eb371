--[[
a0lua.commands.export: `a0lua export` (alias `dump`), the tenant written as files.

  a0lua export -o DIR -f yaml|directory [-c config.json] [-e] [-s] [--export_secrets] [--json]

Reads every enabled type from the tenant, turns it into export form (ids to names, read-only
fields stripped, secrets as ##PLACEHOLDER## unless AUTH0_EXPORT_SECRETS), preserves keywords of
the existing local files when AUTH0_PRESERVE_KEYWORDS, and writes DIR/tenant.yaml (yaml) or the
directory layout. The same tenant always gives byte-identical files. Exit status 0 or 1.
]]
local M = {}

M.summary = "write the tenant's configuration to files (alias: dump)"
M.usage = require("a0lua.args").usage("export")

function M.run(args, argv, first)
  local args_mod = require "a0lua.args"
  local config = require "a0lua.config"
  local log_mod = require "a0lua.log"
  local name = argv and first and argv[first - 1] == "dump" and "dump" or "export"

  local parsed, perr = args_mod.parse_command(name, args)
  if not parsed then error(perr, 0) end
  if parsed.help then
    io.stdout:write(args_mod.usage(name))
    return 0
  end
  local cfg, cerr = config.load{ args = parsed, env = config.environ(), command = "export" }
  if not cfg then error(cerr, 0) end
  local log = log_mod.from_config(cfg)
  local ok, cwarn = config.check(cfg, "export")
  if not ok then error(cwarn, 0) end
  for _, w in ipairs(cwarn or {}) do log:warn(w) end

  local a0lua = require "a0lua"
  local tenant, terr = a0lua.connect(cfg, { log = log })
  if not tenant then error(terr, 0) end
  local result, err = tenant:export(cfg.output_folder, { format = cfg.format })
  tenant:close()
  if not result then error(err, 0) end
  local where = cfg.format == "yaml" and (cfg.output_folder .. "/tenant.yaml") or
    cfg.output_folder
  if cfg.json then
    local json = require "a0lua.core.json"
    local files, types = json.array(), json.array()
    for _, f in ipairs(result.files) do files[#files + 1] = f end
    for _, t in ipairs(result.types) do types[#types + 1] = t end
    log:result({ ok = true, output = where, files = files, types = types })
  else
    io.stdout:write(("exported %d resource type%s to %s (%d file%s)\n"):format(#result.types,
      #result.types == 1 and "" or "s", where, #result.files, #result.files == 1 and "" or "s"))
  end
  log:info("export successful")
  return 0
end

return M
