--[[
recipes/fleet.lua: one configuration to many tenants, at the same time.

  a0lua run fleet -i tenant.yaml|DIR --tenants tenants.json [-c base.json] [--dry-run]

tenants.json is an array with one object per tenant: its `name` (shown in the summary), and
either `config` (a config file, relative to tenants.json) or the config keys themselves, on top
of the base config (-c):

  [ { "name": "eu", "config": "eu.json" },
    { "name": "us", "AUTH0_DOMAIN": "us.example.auth0.com", "AUTH0_CLIENT_ID": "...",
      "AUTH0_CLIENT_SECRET": "...", "AUTH0_KEYWORD_REPLACE_MAPPINGS": {"REGION": "us"} } ]

The environment is not read (its AUTH0_DOMAIN would be every tenant's). The files are loaded
once per tenant (its own keywords), then every tenant is planned and applied concurrently: all
tenants share one scheduler (so their requests interleave) while each keeps its own API client
and so its own rate-limit budget (the pacer follows that tenant's x-ratelimit-* headers). A
failing tenant does not stop the others. One table at the end:

  tenant  status   create  update  delete  skip  note

Exit status: 0 every tenant done, 1 any tenant failed, 2 (with --dry-run) some tenant would change.
]]
local a0lua = require "a0lua"
local fs = require "a0lua.core.fs"
local json = require "a0lua.core.json"
local tasks = require "a0lua.tasks"
local run = require "a0lua.commands.run"

local USAGE = "a0lua run fleet -i tenant.yaml|DIR --tenants FILE [-c base.json] [--dry-run]"

local specs = run.options("input_file", "config_file", "handlers", "hooks", "debug", "ca_file",
  "proxy_url", "concurrency")
specs[#specs + 1] = run.option("tenants", "string", { metavar = "FILE" })
specs[#specs + 1] = run.option("dry_run", "boolean")

local parsed = run.parse({ ... }, specs, USAGE)
if not parsed.input_file or not parsed.tenants then
  error("fleet: give the files (-i) and the tenants (--tenants)\nusage: " .. USAGE, 0)
end

local function read_json(path)
  local text, err = fs.read(path)
  if not text then error(tostring(err), 0) end
  local value, jerr = json.decode(text)
  if value == nil then error(("%s:%s"):format(path, tostring(jerr)), 0) end
  return value
end

local base = parsed.config_file and read_json(parsed.config_file) or {}
local list = read_json(parsed.tenants)
if not json.is_array(list) or #list == 0 then
  error(parsed.tenants .. ": an array of tenants is expected", 0)
end
local here = parsed.tenants:match("^(.*)/[^/]*$") or "."

local function merged(entry, index)
  if type(entry) ~= "table" or json.is_array(entry) then
    error(("%s: tenant %d: an object is expected"):format(parsed.tenants, index), 0)
  end
  local values = {}
  for k, v in pairs(base) do values[k] = v end
  if entry.config then
    local path = entry.config:sub(1, 1) == "/" and entry.config or (here .. "/" .. entry.config)
    for k, v in pairs(read_json(path)) do values[k] = v end
  end
  for k, v in pairs(entry) do
    if k ~= "name" and k ~= "config" then values[k] = v end
  end
  if parsed.dry_run then values.AUTH0_DRY_RUN = true end
  local cfg, err = a0lua.config(values, { args = { input_file = parsed.input_file,
    handlers = parsed.handlers, hooks = parsed.hooks, ca_file = parsed.ca_file,
    proxy_url = parsed.proxy_url, concurrency = parsed.concurrency } })
  if not cfg then error(("%s: tenant %s: %s"):format(parsed.tenants,
    tostring(entry.name or index), tostring(err)), 0) end
  return cfg
end

local log = require("a0lua.log").new{ level = parsed.debug and "debug" or "error" }
local per_tenant = parsed.concurrency or 8
local scheduler = tasks.new{ session = { ca_file = parsed.ca_file, proxy = parsed.proxy_url },
  concurrency = per_tenant * #list }

local results = {}
local function deploy(i, entry)
  local r = { name = tostring(entry.name or ("tenant " .. i)), status = "failed",
    counts = { create = 0, update = 0, delete = 0, skip = 0 } }
  results[i] = r
  local ok, err = pcall(function()
    local cfg = merged(entry, i)
    local desired, sources = a0lua.load(nil, { config = cfg, log = log })
    if not desired then
      error(("%d problem%s in the files: %s"):format(#sources, #sources == 1 and "" or "s",
        tostring(sources[1])), 0)
    end
    local tenant = assert(a0lua.connect(cfg, { log = log, scheduler = scheduler }))
    local plan, perr = tenant:plan(desired, { sources = sources })
    if not plan then error(perr, 0) end
    for _, s in pairs(plan:summary()) do
      for op, n in pairs(s) do r.counts[op] = r.counts[op] + n end
    end
    if parsed.dry_run then
      r.status = plan:has_changes() and "changes" or "in sync"
      r.changed = plan:has_changes()
      return
    end
    if not plan:has_changes() then
      r.status = "in sync"
      return
    end
    local report, aerr = tenant:apply(plan)
    if not report then error(aerr, 0) end
    r.status = "applied"
  end)
  if not ok then r.note = (tostring(err):gsub("\n.*", "")) end
end

for i, entry in ipairs(list) do scheduler:spawn(deploy, i, entry) end
scheduler:run()
scheduler:close()

local rows = { { "tenant", "status", "create", "update", "delete", "skip", "note" } }
local failed, changed = false, false
for i = 1, #list do
  local r = results[i]
  if r.status == "failed" then failed = true end
  if r.changed then changed = true end
  rows[#rows + 1] = { r.name, r.status, tostring(r.counts.create), tostring(r.counts.update),
    tostring(r.counts.delete), tostring(r.counts.skip), r.note or "" }
end
local widths = {}
for _, row in ipairs(rows) do
  for c, cell in ipairs(row) do widths[c] = math.max(widths[c] or 0, #cell) end
end
for _, row in ipairs(rows) do
  local cells = {}
  for c, cell in ipairs(row) do
    cells[c] = c < #row and (cell .. (" "):rep(widths[c] - #cell)) or cell
  end
  io.stdout:write((table.concat(cells, "  "):gsub("%s+$", "")), "\n")
end
if failed then return 1 end
if parsed.dry_run and changed then return 2 end
return 0
