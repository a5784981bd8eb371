--[[
recipes/promote.lua: export one tenant and import it into another, with a keyword map for what
differs between the two (URLs, names, domains).

  a0lua run promote --from source.json --to target.json [--map map.json] [--types a,b]
                    [--dry-run] [--keep DIR]

--from and --to are config files as `-c` takes them (the environment is not read: it would
apply to both tenants). The map names each keyword with its value on the source and on the
target:

  { "APP_URL": { "from": "https://dev.example.com", "to": "https://www.example.com" } }

The source is exported as tenant.yaml (tenant:export); every occurrence of a "from" text is
turned into ##KEYWORD## (longest first), and the file is imported into the target with the
"to" values as its AUTH0_KEYWORD_REPLACE_MAPPINGS (a0lua.load, tenant:plan, tenant:apply).
Secrets are exported as placeholders and so are never copied: the target keeps its own. The
client the source was exported with (its AUTH0_CLIENT_ID) and that client's grants stay
behind. --types limits both sides to these resource types (AUTH0_INCLUDED_ONLY). The plan is
always printed; --dry-run stops there. --keep DIR keeps the mapped export in DIR (default: a
temporary folder, removed at the end).

Exit status: 0 promoted (or a dry run), 1 an error.
]]
local a0lua = require("a0lua")
local fs = require("a0lua.core.fs")
local json = require("a0lua.core.json")
local run = require("a0lua.commands.run")
local util = require("a0lua.util")

local USAGE = "a0lua run promote --from SOURCE.json --to TARGET.json [--map MAP.json] "
  .. "[--types a,b] [--dry-run] [--keep DIR]"

local specs = run.options("handlers", "hooks", "debug", "ca_file", "proxy_url")
specs[#specs + 1] = run.option("from", "string", { metavar = "FILE" })
specs[#specs + 1] = run.option("to", "string", { metavar = "FILE" })
specs[#specs + 1] = run.option("map", "string", { metavar = "FILE" })
specs[#specs + 1] = run.option("types", "string", { metavar = "LIST" })
specs[#specs + 1] = run.option("dry_run", "boolean")
specs[#specs + 1] = run.option("keep", "string", { metavar = "DIR" })

local parsed = run.parse({ ... }, specs, USAGE)
if not parsed.from or not parsed.to then
  error("promote: give both --from and --to\nusage: " .. USAGE, 0)
end

local function read_json(path, what)
  local text, err = fs.read(path)
  if not text then error(("promote: %s: %s"):format(what, tostring(err)), 0) end
  local value, jerr = json.decode(text)
  if value == nil then error(("%s:%s"):format(path, tostring(jerr)), 0) end
  return value
end

-- The keyword map: { {key =, from =, to =}, ... }, longest "from" first.
local map = {}
if parsed.map then
  local raw = read_json(parsed.map, "--map")
  if type(raw) ~= "table" or json.is_array(raw) then
    error(parsed.map .. ": an object { KEYWORD: {from, to} } is expected", 0)
  end
  for key, entry in pairs(raw) do
    if not tostring(key):match("^[A-Z0-9_]+$") then
      error(("%s: %s: a keyword is upper case letters, digits and _"):format(parsed.map, key), 0)
    end
    if type(entry) ~= "table" or type(entry.from) ~= "string" or type(entry.to) ~= "string"
        or entry.from == "" then
      error(("%s: %s: give {\"from\": \"text on the source\", \"to\": \"text on the target\"}")
        :format(parsed.map, key), 0)
    end
    map[#map + 1] = { key = key, from = entry.from, to = entry.to }
  end
  table.sort(map, function(a, b)
    if #a.from ~= #b.from then return #a.from > #b.from end
    return a.key < b.key
  end)
end

local types
if parsed.types then
  types = {}
  for t in parsed.types:gmatch("[^,%s]+") do types[#types + 1] = t end
end

local function config_for(file, extra)
  local values = { AUTH0_INCLUDED_ONLY = types }
  for k, v in pairs(extra or {}) do values[k] = v end
  local cfg, err = a0lua.config(values, { file = file, args = { handlers = parsed.handlers,
    hooks = parsed.hooks, debug = parsed.debug, ca_file = parsed.ca_file,
    proxy_url = parsed.proxy_url } })
  if not cfg then error(err, 0) end
  return cfg
end

local replace_plain = util.replace_plain

local log = require("a0lua.log").new{ level = parsed.debug and "debug" or "warn" }
local source_cfg = config_for(parsed.from)
local mappings = {}
for _, m in ipairs(map) do mappings[m.key] = m.to end
local target_cfg = config_for(parsed.to, { AUTH0_KEYWORD_REPLACE_MAPPINGS = mappings })

local dir = parsed.keep
local temporary = false
if not dir then
  dir = os.tmpname() .. ".promote"
  temporary = true
end
assert(fs.mkdir_p(dir))

local function main()
  -- 1. The source, exported; the name of the client the export ran as (not promoted).
  local source = assert(a0lua.connect(source_cfg, { log = log, hooks = false }))
  local exported, err = source:export(dir, { format = "yaml" })
  local deploy_name
  if exported then
    for _, c in ipairs(source.ctx.current.clients or {}) do
      if c.client_id == source_cfg.AUTH0_CLIENT_ID then deploy_name = c.name end
    end
  end
  source:close()
  if not exported then error(err, 0) end
  local file = dir .. "/tenant.yaml"

  -- 2. Its environment-specific texts, as keywords.
  local text = assert(fs.read(file))
  for _, m in ipairs(map) do
    local replaced = replace_plain(text, m.from, "##" .. m.key .. "##")
    if replaced ~= text then
      io.stdout:write(("mapped %s: %s -> %s\n"):format(m.key, m.from, m.to))
    end
    text = replaced
  end
  assert(fs.write(file, text))

  -- 3. The target, planned and applied.
  local desired, sources = a0lua.load(file, { config = target_cfg, log = log })
  if not desired then
    local lines = {}
    for _, p in ipairs(sources) do lines[#lines + 1] = tostring(p) end
    error("promote: the export does not load into the target:\n  "
      .. table.concat(lines, "\n  "), 0)
  end
  if deploy_name then
    for _, t in ipairs({ { "clients", "name" }, { "clientGrants", "client_id" } }) do
      local list = desired[t[1]]
      if type(list) == "table" then
        for i = #list, 1, -1 do
          local item = list[i]
          if type(item) == "table" and item[t[2]] == deploy_name then table.remove(list, i) end
        end
      end
    end
  end
  local target = assert(a0lua.connect(target_cfg, { log = log }))
  local plan, perr = target:plan(desired, { sources = sources })
  if not plan then
    target:close()
    error(perr, 0)
  end
  io.stdout:write(("promote %s -> %s\n"):format(tostring(source_cfg.host),
    tostring(target_cfg.host)))
  io.stdout:write(plan:render{ color = false })
  if parsed.dry_run or not plan:has_changes() then
    target:close()
    return 0
  end
  local report, aerr = target:apply(plan)
  target:close()
  if not report then error(aerr, 0) end
  io.stdout:write(require("a0lua.apply").render(report))
  return 0
end

local ok, status = pcall(main)
if temporary then
  fs.remove(dir, { recursive = true })
  os.remove(dir:sub(1, -#".promote" - 1))
end
if not ok then error(status, 0) end
return status
