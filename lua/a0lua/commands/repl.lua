--[[
a0lua.commands.repl: `a0lua repl`, a Lua prompt with the tenant at hand (a0lua.repl).

  a0lua repl [-c config.json] [--handlers DIR] [--hooks FILE] [--env=false] [--debug] ...

The config is read as `a0lua import` reads it (file, environment, flags), so `load` replaces the
same keywords; no input file is needed. With AUTH0_DOMAIN (and credentials) the globals `tenant`
and `api` reach that tenant; without, the REPL still runs (load, diff, Lua) and `tenant` says
what is missing. On a terminal: a banner naming the tenant, prompts, history in
~/.a0lua_history, Tab completion. Piped: no banner or prompts, each chunk is run as it is
complete, and the exit status is 1 when any chunk failed (0 otherwise).
]]
local M = {}

M.summary = "a Lua prompt on the tenant: tenant.clients, api.get, load, plan, diff"

local OPTION_NAMES = { "config_file", "secret", "env", "proxy_url", "debug", "ca_file",
  "concurrency", "handlers", "hooks", "help" }

local function options()
  local args = require("a0lua.args")
  local by_name = {}
  for _, spec in ipairs(args.COMMANDS.import.options) do by_name[spec.name] = spec end
  local out = {}
  for _, name in ipairs(OPTION_NAMES) do out[#out + 1] = by_name[name] end
  return out
end

local function usage_text()
  local lines = { "a0lua repl [OPTIONS]", "", M.summary, "", "options:" }
  for _, spec in ipairs(options()) do
    local left = (spec.short and ("-" .. spec.short .. ", ") or "") .. "--"
      .. (spec.long or spec.name)
    if spec.kind ~= "boolean" then left = left .. " " .. (spec.metavar or "VALUE") end
    lines[#lines + 1] = ("  %-28s  %s"):format(left, spec.help)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Piped input runs without a terminal; the exit status is then 1 when a chunk"
  lines[#lines + 1] = "failed. See docs/scripting.md."
  return table.concat(lines, "\n") .. "\n"
end

M.usage = "a0lua repl [-c config.json] [--handlers DIR] [--hooks FILE] [OPTIONS]"

function M.run(argv)
  local args = require("a0lua.args")
  local config = require("a0lua.config")
  local log_mod = require("a0lua.log")
  local repl = require("a0lua.repl")

  local parsed, perr = args.parse(argv, options(), { command = "repl" })
  if not parsed then error(perr, 0) end
  if parsed.help then
    io.stdout:write(usage_text())
    return 0
  end
  local cfg, cerr = config.load{ args = parsed, env = config.environ(), command = "import" }
  if not cfg then error(cerr, 0) end
  local log = log_mod.from_config(cfg)

  local a0lua = require("a0lua")
  local tenant
  if cfg.AUTH0_DOMAIN and cfg.AUTH0_DOMAIN ~= "" then
    local terr
    tenant, terr = a0lua.connect(cfg, { log = log })
    if not tenant then error(terr, 0) end
  end
  local session = repl.new{ tenant = tenant, config = cfg, log = log }
  local ok, status = pcall(session.loop, session)
  if tenant then tenant:close() end
  if not ok then error(status, 0) end
  return status
end

return M
