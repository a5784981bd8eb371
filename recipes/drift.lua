--[[
recipes/drift.lua: has the tenant drifted from the files? A plan against the live tenant, for CI.

  a0lua run drift -i tenant.yaml|DIR [-c config.json] [--report drift.json] [--json]

Prints the plan (what an import would change to bring the tenant back to the files). --report
FILE also writes a JSON report there; --json prints the report on stdout instead of the plan.
The report: { drift = bool, tenant =, input =, checked_at = "2026-01-02T03:04:05Z",
summary = { [type] = {create =, update =, delete =, skip =} }, changes = [...], warnings = [...] }
(secrets masked, as in every plan).

Exit status: 0 no drift, 2 drift, 1 an error (files that do not validate, the tenant unreachable).
]]
local a0lua = require("a0lua")
local fs = require("a0lua.core.fs")
local json = require("a0lua.core.json")
local run = require("a0lua.commands.run")

local USAGE = "a0lua run drift -i tenant.yaml|DIR [-c config.json] [--report FILE] [--json]"

local specs = run.options("input_file", "config_file", "env", "handlers", "hooks", "debug",
  "json", "ca_file", "proxy_url")
specs[#specs + 1] = run.option("report", "string", { metavar = "FILE" })

local parsed = run.parse({ ... }, specs, USAGE)
local cfg, log = run.config(parsed)
if not cfg.input then error("drift: give the files to compare with -i\nusage: " .. USAGE, 0) end

local desired, sources = a0lua.load(nil, { config = cfg, log = log })
if not desired then
  for _, p in ipairs(sources) do log:error(tostring(p)) end
  return 1
end

local tenant = assert(a0lua.connect(cfg, { log = log }))
local plan, err = tenant:plan(desired, { sources = sources })
tenant:close()
if not plan then error(err, 0) end

local from_plan = json.decode(plan:json())
local report = {
  drift = plan:has_changes(),
  tenant = cfg.host or cfg.AUTH0_DOMAIN,
  input = cfg.input,
  checked_at = os.date("!%Y-%m-%dT%H:%M:%SZ"),
  summary = from_plan.summary,
  changes = from_plan.changes,
  warnings = from_plan.warnings,
}
local text = assert(json.encode(report, { pretty = true })) .. "\n"
if parsed.report then
  local ok, werr = fs.write(parsed.report, text)
  if not ok then error(werr, 0) end
end
if cfg.json then
  io.stdout:write(text)
else
  io.stdout:write(plan:render{ color = false })
  io.stdout:write(report.drift and "drift: the tenant differs from the files\n"
    or "no drift: the tenant matches the files\n")
end
return report.drift and 2 or 0
