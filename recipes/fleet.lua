--[[
recipes/fleet.lua: one configuration to many tenants, at the same time, in one process or split
into shards across machines (docs/fleet.md has the workflows).

  a0lua run fleet -i tenant.yaml|DIR --tenants tenants.json [-c base.json] [--dry-run] [--json]
                  [--parallel N] [--retries N] [--shard K/N | --shard-index-env VAR --shards N]
  a0lua run fleet --emit github-matrix --tenants tenants.json --shards N
  a0lua run fleet --emit k8s-indexed-job -i tenant.yaml --tenants tenants.json --shards N
                  --image IMAGE [-c base.json] [--job-name NAME] [--dry-run] [--yaml]

tenants.json is an array with one object per tenant: its `name` (unique; shown in the summary and
what the shards are computed from), and either `config` (a config file, relative to
tenants.json) or the config keys themselves, on top of the base config (-c):

  [ { "name": "eu", "config": "eu.json" },
    { "name": "us", "AUTH0_DOMAIN": "us.example.auth0.com", "AUTH0_CLIENT_ID": "...",
      "AUTH0_CLIENT_SECRET": "...", "AUTH0_KEYWORD_REPLACE_MAPPINGS": {"REGION": "us"} } ]

The environment is not read (its AUTH0_DOMAIN would be every tenant's). Each tenant loads the
files with its own keywords (tenants whose configs differ only in domain and credentials share
one load: a0lua.fleet.inputs), then is planned and applied; --parallel tenants (default 64) are in
flight at once on one scheduler (their requests interleave) while each keeps its own API client
and so its own rate-limit budget. A tenant's state is released when it is done. A tenant that
fails on what a second try can change (network, 5xx, rate limits exhausted) is run again up to
--retries times (default 1); a failing tenant does not stop the others. On a terminal, one
updating progress line on stderr. One table at the end, and a totals line:

  tenant  status   create  update  delete  skip  note

--json prints instead one JSON document (a0lua.fleet.results): each tenant's name, status,
counts, attempts, seconds, error {code, message} and shard, the shard "K/N", the size of the
whole list, and a summary {tenants, applied, in_sync, changes, failed, exit};
`a0lua run fleet-report` merges the shards' documents.

--shard K/N deploys only the tenants rendezvous hashing gives shard K of N (a0lua.fleet.shard);
--shard-index-env VAR --shards N takes K from a 0-based index in the environment (a Kubernetes
Indexed Job's JOB_COMPLETION_INDEX). A shard with no tenant succeeds with an empty result.

Exit status: 0 every tenant done, 1 any tenant failed, 2 (with --dry-run) some tenant would change.
]]
local a0lua = require("a0lua")
local fs = require("a0lua.core.fs")
local json = require("a0lua.core.json")
local run = require("a0lua.commands.run")
local secrets = require("a0lua.secrets")
local tasks = require("a0lua.tasks")
local deploy = require("a0lua.fleet.deploy")
local inputs = require("a0lua.fleet.inputs")
local emit = require("a0lua.fleet.emit")
local progress = require("a0lua.fleet.progress")
local results = require("a0lua.fleet.results")
local shard = require("a0lua.fleet.shard")

local USAGE = "a0lua run fleet -i tenant.yaml|DIR --tenants FILE [-c base.json] [--dry-run] "
  .. "[--json] [--parallel N] [--retries N] [--shard K/N | --shard-index-env VAR --shards N] "
  .. "[--emit github-matrix|k8s-indexed-job --shards N [--image IMAGE] [--job-name NAME] "
  .. "[--yaml]]"

local specs = run.options("input_file", "config_file", "handlers", "hooks", "debug", "json",
  "ca_file", "proxy_url", "concurrency")
for _, o in ipairs({
  { "tenants", "string", "FILE" }, { "dry_run", "boolean" }, { "parallel", "number", "N" },
  { "retries", "string", "N" }, { "shard", "string", "K/N" }, { "shards", "number", "N" },
  { "shard_index_env", "string", "VAR" }, { "emit", "string", "FORMAT" },
  { "image", "string", "IMAGE" }, { "job_name", "string", "NAME" }, { "yaml", "boolean" },
}) do
  specs[#specs + 1] = run.option(o[1], o[2], { metavar = o[3] })
end

local parsed = run.parse({ ... }, specs, USAGE)
local function usage(message) error("fleet: " .. message .. "\nusage: " .. USAGE, 0) end
if not parsed.tenants then usage("give the tenants (--tenants)") end

local function read_json(path)
  local text, err = fs.read(path)
  if not text then error(tostring(err), 0) end
  local value, jerr = json.decode(text)
  if value == nil then error(("%s:%s"):format(path, tostring(jerr)), 0) end
  return value
end

-- The tenants file: its entries and their names (unique: shards are computed from them).
local function read_tenants(path)
  local list = read_json(path)
  if not json.is_array(list) then error(path .. ": an array of tenants is expected", 0) end
  local names, seen = {}, {}
  for i, entry in ipairs(list) do
    if type(entry) ~= "table" or json.is_array(entry) then
      error(("%s: tenant %d: an object is expected"):format(path, i), 0)
    end
    local name = entry.name ~= nil and tostring(entry.name) or ("tenant " .. i)
    if seen[name] then
      error(("%s: tenant %d: the name %q is also tenant %d's (names must be unique: shards "
        .. "are computed from them)"):format(path, i, name, seen[name]), 0)
    end
    names[i], seen[name] = name, i
  end
  return list, names
end
local list, names = read_tenants(parsed.tenants)

local function print_emitted()
  if not parsed.shards then usage("--emit needs --shards N") end
  local value
  if parsed.emit == "github-matrix" then
    value = emit.github_matrix(names, parsed.shards)
  elseif parsed.emit == "k8s-indexed-job" then
    if not parsed.input_file or not parsed.image then
      usage("--emit k8s-indexed-job needs -i and --image")
    end
    local extra = {}
    for _, o in ipairs({ "parallel", "retries", "concurrency" }) do
      if parsed[o] then extra[#extra + 1] = "--" .. o .. "=" .. tostring(parsed[o]) end
    end
    value = emit.k8s_indexed_job{ count = parsed.shards, image = parsed.image,
      name = parsed.job_name, input = parsed.input_file, tenants = parsed.tenants,
      config = parsed.config_file, dry_run = parsed.dry_run, extra = extra }
  else
    usage(("--emit %s: github-matrix or k8s-indexed-job"):format(parsed.emit))
  end
  if parsed.yaml then
    if parsed.emit ~= "k8s-indexed-job" then usage("--yaml goes with --emit k8s-indexed-job") end
    io.stdout:write(assert(require("a0lua.core.yaml").encode(value,
      { key_order = { "apiVersion", "kind", "metadata", "name", "spec" } })))
    return
  end
  -- The matrix on one line, for `echo "matrix=$(...)" >> "$GITHUB_OUTPUT"`.
  io.stdout:write(assert(json.encode(value, { pretty = parsed.emit ~= "github-matrix" })), "\n")
end
if parsed.emit then
  print_emitted()
  return 0
end

if not parsed.input_file then usage("give the files (-i)") end
local function the_retries()
  if not parsed.retries then return deploy.DEFAULT_RETRIES end
  local n = math.tointeger(tonumber(parsed.retries))
  if not n or n < 0 then usage("--retries needs a whole number >= 0") end
  return n
end
local retries = the_retries()

local function the_shard()
  local s, err
  if parsed.shard then
    if parsed.shard_index_env then usage("--shard and --shard-index-env exclude each other") end
    s, err = shard.parse(parsed.shard)
  elseif parsed.shard_index_env then
    if not parsed.shards then usage("--shard-index-env needs --shards N") end
    s, err = shard.from_env(parsed.shard_index_env, parsed.shards)
  else
    if parsed.shards then usage("--shards N goes with --shard-index-env VAR or --emit") end
    s = { index = 1, count = 1 }
  end
  if not s then error(err, 0) end
  return s
end
local mine = the_shard()

local base = parsed.config_file and read_json(parsed.config_file) or {}
local here = parsed.tenants:match("^(.*)/[^/]*$") or "."

-- The config keys of tenant `entry`: the base, its config file, its own keys.
local function values_of(entry)
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
  return values
end

-- The strings a tenant's error must never show: its credentials and secret-named keywords.
local function secrets_of(values)
  local out = {}
  for k, v in pairs(values) do
    if type(v) == "string" and (secrets.is_secret_name(k) or k == "AUTH0_ACCESS_TOKEN") then
      out[#out + 1] = v
    end
  end
  local mappings = values.AUTH0_KEYWORD_REPLACE_MAPPINGS
  for k, v in pairs(type(mappings) == "table" and mappings or {}) do
    if type(v) == "string" and secrets.mentions_secret(tostring(k)) then out[#out + 1] = v end
  end
  return out
end

local CONFIG_ARGS = { input_file = parsed.input_file, handlers = parsed.handlers,
  hooks = parsed.hooks, ca_file = parsed.ca_file, proxy_url = parsed.proxy_url,
  concurrency = parsed.concurrency }

-- This shard's tenants, for a0lua.fleet.deploy. A config file that cannot be read fails its
-- tenant only, when its turn comes.
local tenants, keys = {}, {}
for _, i in ipairs(shard.select(names, mine)) do
  local ok, values = pcall(values_of, list[i])
  keys[#keys + 1] = ok and inputs.key(values, parsed.hooks ~= nil) or false
  tenants[#tenants + 1] = { name = names[i], index = i, input_key = keys[#keys] or nil,
    secrets = ok and secrets_of(values) or {},
    config = function()
      if not ok then error(values, 0) end
      local fresh = {} -- each attempt from the same keys
      for k, v in pairs(values) do fresh[k] = v end
      local cfg, err = a0lua.config(fresh, { args = CONFIG_ARGS })
      if not cfg then error(err, 0) end
      return cfg
    end }
end
local fleet_size = #list

-- The progress line only on a terminal and not with --json; the log's lines pass around it.
local log_mod = require("a0lua.log")
local on_tty = log_mod.new{ json = parsed.json == true }.tty
local shown = progress.new{ total = #tenants, tty = on_tty, now = tasks.now }
local log = log_mod.new{ level = parsed.debug and "debug" or parsed.json and "silent" or "error",
  stream = shown:wrap(io.stderr), tty = on_tty }
collectgarbage("incremental", deploy.GC_PAUSE, deploy.GC_STEPMUL)
local entries = deploy.run{ tenants = tenants, parallel = parsed.parallel, retries = retries,
  per_tenant = parsed.concurrency, dry_run = parsed.dry_run, shard = shard.label(mine), log = log,
  session = { ca_file = parsed.ca_file, proxy = parsed.proxy_url }, progress = shown,
  inputs = inputs.new(keys, parsed.parallel or deploy.DEFAULT_PARALLEL),
  share_handlers = not parsed.hooks and {} or nil }

local doc = results.document(entries, { shard = shard.label(mine), fleet_tenants = fleet_size,
  dry_run = parsed.dry_run })
if parsed.json then
  io.stdout:write(assert(json.encode(doc)), "\n")
else
  io.stdout:write(results.table(entries, doc.summary))
end
return doc.summary.exit
