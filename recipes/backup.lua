--[[
recipes/backup.lua: a dated export of the tenant, keeping the last N.

  a0lua run backup --dir DIR [-c config.json] [--keep 7] [--format yaml|directory]

Writes DIR/<UTC date and time>/ (tenant.yaml, or the directory layout) with tenant:export, then
removes the oldest dated backups of DIR until N are left. Only folders named like a backup
(2026-01-02T03-04-05Z, maybe with a -2 suffix) are counted or removed; anything else in DIR is
left alone. Exit status 0, or 1 on an error (nothing is removed when the export fails).
]]
local a0lua = require("a0lua")
local fs = require("a0lua.core.fs")
local run = require("a0lua.commands.run")

local USAGE = "a0lua run backup --dir DIR [-c config.json] [--keep N] [--format yaml|directory]"

local specs = run.options("config_file", "env", "handlers", "debug", "ca_file", "proxy_url")
specs[#specs + 1] = run.option("dir", "string", { metavar = "DIR" })
specs[#specs + 1] = run.option("keep", "number", { metavar = "N" })
specs[#specs + 1] = run.option("format", "string", { choices = { "yaml", "directory" } })

local parsed = run.parse({ ... }, specs, USAGE)
if not parsed.dir then
  error("backup: give the folder of backups with --dir\nusage: " .. USAGE, 0)
end
local keep = parsed.keep or 7
local cfg, log = run.config(parsed)

local DATED = "^%d%d%d%d%-%d%d%-%d%dT%d%d%-%d%d%-%d%dZ"

local function dated_backups(dir)
  local out = {}
  for _, name in ipairs(fs.list(dir) or {}) do
    local info = fs.stat(dir .. "/" .. name)
    local dated = name:match(DATED .. "$") or name:match(DATED .. "%-%d+$")
    if dated and info and info.type == "directory" then out[#out + 1] = name end
  end
  -- Oldest first: the date sorts as text; a -N suffix comes after its date.
  table.sort(out)
  return out
end

assert(fs.mkdir_p(parsed.dir))
local stamp = os.date("!%Y-%m-%dT%H-%M-%SZ")
local name, n = stamp, 1
while fs.exists(parsed.dir .. "/" .. name) do
  n = n + 1
  name = stamp .. "-" .. n
end
local target = parsed.dir .. "/" .. name

local tenant = assert(a0lua.connect(cfg, { log = log }))
local result, err = tenant:export(target, { format = parsed.format or "yaml" })
tenant:close()
if not result then error(err, 0) end
io.stdout:write(("backup: %s (%d file%s)\n"):format(target, #result.files,
  #result.files == 1 and "" or "s"))

local all = dated_backups(parsed.dir)
for i = 1, #all - keep do
  local ok, rerr = fs.remove(parsed.dir .. "/" .. all[i], { recursive = true })
  if not ok then error(rerr, 0) end
  io.stdout:write(("removed: %s/%s\n"):format(parsed.dir, all[i]))
end
return 0
