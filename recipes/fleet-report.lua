--[[
recipes/fleet-report.lua: one summary and exit status for a fleet run split into shards.

  a0lua run fleet-report [--json] FILE...

Each FILE is the --json result of one shard (`a0lua run fleet ... --shard K/N --json`). They are
merged (a0lua.fleet.results.merge): every shard 1..N must be there once, a tenant in two shards
is refused, and so are results of different tenants files or of --dry-run and not; the error
names the missing shards or the files that disagree. Then the table of every tenant with a
totals line, or with --json the merged document (shard "all").

Exit status: 0 every tenant done, 1 any tenant failed or the results do not fit together, 2 (the
shards ran with --dry-run) some tenant would change.
]]
local fs = require "a0lua.core.fs"
local json = require "a0lua.core.json"
local run = require "a0lua.commands.run"
local results = require "a0lua.fleet.results"

local USAGE = "a0lua run fleet-report [--json] FILE..."

local parsed = run.parse({ ... }, run.options("json"), USAGE)
if #parsed.positional == 0 then
  error("fleet-report: give the shards' --json results\nusage: " .. USAGE, 0)
end

local docs = {}
for _, path in ipairs(parsed.positional) do
  local text, err = fs.read(path)
  if not text then error(tostring(err), 0) end
  local doc, jerr = json.decode(text)
  if doc == nil then error(("%s:%s"):format(path, tostring(jerr)), 0) end
  docs[#docs + 1] = { path = path, doc = doc }
end

local merged, err = results.merge(docs)
if not merged then error("fleet-report: " .. tostring(err), 0) end
if parsed.json then
  io.stdout:write(assert(json.encode(merged)), "\n")
else
  io.stdout:write(results.table(merged.tenants, merged.summary))
end
return merged.summary.exit
