--[[
a0lua.config: a0deploy's configuration, read once and typed.

  local config = require("a0lua.config")
  config.load{ args = parsed_flags, env = env_table_or_nil, file = path_or_nil,
               values = programmatic_config_or_nil, command = "import" } -> cfg | nil, err
      args     what a0lua.args parsed (parsed.command names the command when `command` is absent);
               its config_file is the file when `file` is absent
      env      the environment as a table (config.environ()); nil reads no environment. With
               args.env == false (--env=false) it is used only for AUTH0_LOG and AUTH0_DEBUG.
      values   a table of config keys given in code (a0deploy's programmatic `config`)
      command  "import" | "export" | "plan" | "validate" (default "import")
  config.check(cfg, command) -> true, warnings | nil, err      docs/architecture.md §3.3
  config.environ() -> { NAME = value }                         the process environment
  config.parse_domain(text) -> base_url, host | nil, message   "tenant.auth0.com" ->
      "https://tenant.auth0.com", "tenant.auth0.com"; "http://127.0.0.1:3000" -> itself and
      "127.0.0.1:3000"; plain http:// only to loopback hosts (localhost, 127.0.0.0/8, [::1]);
      a0lua.domain's rules
  config.KEYS  every key: { name =, type =, default =, meaning = } (docs/architecture.md §3.5)
  config.KEY[name] -> that entry

cfg is a plain table. a0deploy's keys keep their names, with typed values: booleans are Lua
booleans ("false", "0", "no", "off" and "" are false everywhere; anything unrecognised is an
error), numbers are integers, lists are arrays (a JSON string is parsed, any other string is a
comma-separated list), maps are tables (a JSON string is parsed). Defaults are filled in (lists
and maps empty, except AUTH0_INCLUDED_ONLY, which stays nil when not given). a0lua's own keys are
lower case:
  command, input (file or directory), output_folder, format ("yaml" | "directory"; for import
  from the input's extension, or "directory" for an existing directory), dry_run, interactive,
  apply (booleans), json, debug, log_level ("error" | "warn" | "info" | "debug"), concurrency
  (default 8), ca_file, proxy_url, handlers_path (array), hooks (file), config_file, env (whether
  the environment was read), domain (AUTH0_DOMAIN as a0lua.domain.parse reads it, which the API
  client takes as it is), base_url and host (its origin and authority).

Precedence, as a0deploy's nconf (docs/architecture.md §3.1): environment > config file > flags >
programmatic values, per key; maps are merged key by key across all sources (the higher source
wins per key). A flag of a0deploy (--secret, --export_ids, -s, --export_secrets,
--experimental_ea) only counts when given as true. Keyword mappings: the file's and the
programmatic ones, then, on import with the environment on, every environment variable as a
keyword (the environment wins); AUTH0_KEYWORD_REPLACE_MAPPINGS set in the environment replaces
them all. Their order (docs/formats.md §4.2 rule 6) is the config file's, then the code's keys,
then the environment's, each sorted. Deliberate differences (docs/compat.md): values parsed once;
dry-run is on when any source turns it on; unknown values are errors, not silently truthy.

Errors: err = { code =, message =, key =, source = } with a __tostring giving the message, which
names where the value came from: a value of the config file has err.file, err.line and
err.column (tostring: "config.json:5:3: AUTH0_ALLOW_DELETE: expected true or false, ..."), others
say it in the message: "environment variable AUTH0_EXCLUDED: ...", "--dry-run: ...". Codes:
config_file (unreadable, JSON syntax or a key written twice, with line and column, not an
object), config (a bad value or
a broken rule), config_missing (required settings absent; err.missing lists them all).
Misuse (opts not a table, an unknown command) raises.
]]
local catalogue = require("a0lua.catalogue")
local domain = require("a0lua.domain")
local errors = require("a0lua.errors")
local fs = require("a0lua.core.fs")
local json = require("a0lua.core.json")
local keywords = require("a0lua.keywords")
local util = require("a0lua.util")

local M = {}

local function k(name, kind, default, meaning)
  return { name = name, type = kind, default = default, meaning = meaning }
end

M.KEYS = {
  k("AUTH0_DOMAIN", "string", nil, "tenant domain; may carry https:// or, to a loopback host, "
    .. "http://"),
  k("AUTH0_CLIENT_ID", "string", nil, "M2M client for the token; it and its grants are never "
    .. "changed by an import"),
  k("AUTH0_CLIENT_SECRET", "string", nil, "client secret for the client-credentials grant"),
  k("AUTH0_CLIENT_SIGNING_KEY_PATH", "string", nil, "private key file for a private_key_jwt "
    .. "client assertion"),
  k("AUTH0_CLIENT_SIGNING_ALGORITHM", "string", "RS256", "client assertion algorithm"),
  k("AUTH0_ACCESS_TOKEN", "string", nil, "a ready Management API token (no token request)"),
  k("AUTH0_AUDIENCE", "string", nil, "audience of the token request (default "
    .. "https://<domain>/api/v2/)"),
  k("AUTH0_INPUT_FILE", "input", nil, "import input (file or directory); for export the output "
    .. "folder or <folder>/tenant.yaml"),
  k("AUTH0_BASE_PATH", "string", nil, "YAML: root of referenced files (default: the YAML "
    .. "file's directory)"),
  k("AUTH0_KEYWORD_REPLACE_MAPPINGS", "map", {}, "keyword -> value for ##KEY## and @@KEY@@"),
  k("AUTH0_ALLOW_DELETE", "bool", false, "allow deletions (otherwise listed as skipped)"),
  k("AUTH0_EXCLUDED", "list", {}, "resource types ignored in both directions"),
  k("AUTH0_INCLUDED_ONLY", "list", nil, "only these resource types are handled"),
  k("AUTH0_EXCLUDED_RULES", "list", {}, "(deprecated) rule names skipped"),
  k("AUTH0_EXCLUDED_CLIENTS", "list", {}, "(deprecated) client names skipped, with their grants"),
  k("AUTH0_EXCLUDED_DATABASES", "list", {}, "(deprecated) database connection names skipped"),
  k("AUTH0_EXCLUDED_CONNECTIONS", "list", {}, "(deprecated) connection names skipped"),
  k("AUTH0_EXCLUDED_RESOURCE_SERVERS", "list", {}, "(deprecated) API names skipped"),
  k("AUTH0_EXCLUDED_DEFAULTS", "list", {}, "\"emailProvider\": export it without credential "
    .. "placeholders"),
  k("AUTH0_INCLUDED_CONNECTIONS", "list", {}, "import: only these non-database connections are "
    .. "written"),
  k("AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS", "bool", false, "only first-party clients (and their "
    .. "grants)"),
  k("AUTH0_PRESERVE_KEYWORDS", "bool", false, "export: keep keyword markers of the local files"),
  k("AUTH0_EXPORT_IDENTIFIERS", "bool", false, "export: keep id fields"),
  k("AUTH0_EXPORT_ORDERED", "bool", false, "export: sort object keys alphabetically"),
  k("AUTH0_EXPORT_SECRETS", "bool", false, "export: secrets as they are, not ##PLACEHOLDERS##"),
  k("AUTH0_CONNECTIONS_DIRECTORY", "string", "connections", "directory format: the connections "
    .. "folder"),
  k("AUTH0_API_MAX_RETRIES", "number", 10, "retries of one HTTP request (429, 5xx, network)"),
  k("AUTH0_MAX_RETRIES", "number", 3, "rate-limit retries around a create/update/delete"),
  k("AUTH0_RETRY_INITIAL_DELAY_MS", "number", 1000, "first retry delay"),
  k("AUTH0_RETRY_MAX_DELAY_MS", "number", 30000, "longest retry delay"),
  k("AUTH0_DRY_RUN", "dry_run", false, "true or \"preview\": show the plan, change nothing"),
  k("AUTH0_DRY_RUN_INTERACTIVE", "bool", false, "after the plan, ask whether to apply it"),
  k("AUTH0_DRY_RUN_APPLY", "bool", false, "after the plan, apply it without asking"),
  k("AUTH0_IGNORE_DRY_RUN_FIELDS", "props", {}, "{type: [paths]} not compared in dry runs"),
  k("EXCLUDED_PROPS", "props", {}, "{type: [paths]} removed from exported objects"),
  k("INCLUDED_PROPS", "props", {}, "{type: [paths]} taken off the export strip list"),
  k("AUTH0_EXPERIMENTAL_EA", "bool", false, "early-access switch (only logged)"),
  k("EXTENSION_SECRET", "string", nil, "legacy extension mode: rules and resource servers may be "
    .. "deleted"),
  k("AUTH0_IGNORE_UNAVAILABLE_MIGRATIONS", "bool", false, "declared by a0deploy, unused"),
}

M.KEY = {}
for _, entry in ipairs(M.KEYS) do M.KEY[entry.name] = entry end


local COMMANDS = { import = true, export = true, plan = true, validate = true }
local LOG_LEVELS = {
  error = "error", warn = "warn", warning = "warn", info = "info", debug = "debug",
  verbose = "debug", silly = "debug", trace = "debug",
}
local DEPRECATED = {
  "AUTH0_EXCLUDED_RULES", "AUTH0_EXCLUDED_CLIENTS", "AUTH0_EXCLUDED_DATABASES",
  "AUTH0_EXCLUDED_CONNECTIONS", "AUTH0_EXCLUDED_RESOURCE_SERVERS", "AUTH0_EXCLUDED_DEFAULTS",
}
M.DEFAULT_CONCURRENCY = 8

---------------------------------------------------------------------------------------------------
-- Typed parsing of one value. Each returns value | nil, message (the message says what is wrong,
-- the caller says where it came from).

local TRUE_WORDS = { ["true"] = true, ["1"] = true, yes = true, on = true }
local FALSE_WORDS = { ["false"] = true, ["0"] = true, no = true, off = true, [""] = true }

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function describe(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if v == json.null then return "null" end
  if type(v) == "table" then return json.is_array(v) and "a list" or "an object" end
  return tostring(v)
end

local function parse_bool(v)
  if type(v) == "boolean" then return v end
  if v == 1 then return true end
  if v == 0 then return false end
  if type(v) == "string" then
    local w = trim(v):lower()
    if TRUE_WORDS[w] then return true end
    if FALSE_WORDS[w] then return false end
  end
  return nil, "expected true or false, got " .. describe(v)
end

local function parse_number(v)
  local n = v
  if type(v) == "string" then n = tonumber(trim(v)) end
  n = math.type(n) and math.tointeger(n)
  if not n or n < 0 then return nil, "expected a whole number >= 0, got " .. describe(v) end
  return n
end

local function parse_string(v)
  if type(v) == "string" then return v end
  if math.type(v) then return tostring(v) end
  return nil, "expected a string, got " .. describe(v)
end

local function is_array(v)
  return type(v) == "table" and (json.is_array(v) or next(v) == nil or v[1] ~= nil)
end

local function parse_list(v)
  if type(v) == "string" then
    local text = trim(v)
    if text:sub(1, 1) == "[" then
      local decoded, err = json.decode(text)
      if decoded == nil then return nil, "is not a JSON list: " .. tostring(err) end
      v = decoded
    else
      local list = json.array()
      for item in text:gmatch("[^,]+") do
        local name = trim(item)
        if name ~= "" then list[#list + 1] = name end
      end
      return list
    end
  end
  if not is_array(v) then return nil, "expected a list of strings, got " .. describe(v) end
  local list = json.array()
  for i = 1, #v do
    if type(v[i]) ~= "string" then
      return nil, ("item %d: expected a string, got %s"):format(i, describe(v[i]))
    end
    list[i] = v[i]
  end
  return list
end

local function decode_object(v)
  if type(v) == "string" then
    local decoded, err = json.decode(trim(v))
    if decoded == nil then return nil, "is not a JSON object: " .. tostring(err) end
    v = decoded
  end
  if type(v) ~= "table" or (json.is_array(v) and #v > 0) then
    return nil, "expected an object, got " .. describe(v)
  end
  return v
end

local function copy(v)
  if type(v) ~= "table" or v == json.null then return v end
  local out = {}
  for key, value in pairs(v) do out[key] = copy(value) end
  if json.is_array(v) then json.array(out) end
  return out
end

-- An object (or its JSON text) with string keys, each value read by parse_value(value, key)
-- -> value | nil, why; key_problem is the message for a key that is not a string.
local function parse_object(v, key_problem, parse_value)
  local obj, err = decode_object(v)
  if not obj then return nil, err end
  local out = {}
  for key, value in pairs(obj) do
    if type(key) ~= "string" then return nil, key_problem end
    local parsed, why = parse_value(value, key)
    if parsed == nil then return nil, why end
    out[key] = parsed
  end
  return out
end

local function parse_map(v)
  return parse_object(v, "keys must be strings", copy)
end

-- EXCLUDED_PROPS / INCLUDED_PROPS: { type = [field paths] }, each list an array (or its JSON).
local function parse_field_paths(paths, type_name)
  local list, why = parse_list(paths)
  if not list or (type(paths) == "string" and trim(paths):sub(1, 1) ~= "[") then
    return nil, ("%s: %s"):format(type_name, why or "expected a list of field paths")
  end
  return list
end

local function parse_props(v)
  return parse_object(v, "keys must be resource type names", parse_field_paths)
end

local function parse_dry_run(v)
  if v == true or v == false then return v end
  if v == 0 then return false end
  if type(v) == "string" then
    local w = trim(v):lower()
    if w == "true" or w == "preview" then return true end
    if w == "false" or w == "0" or w == "" then return false end
  end
  return nil, "expected true, \"preview\" or false, got " .. describe(v)
end

local function parse_input(v)
  if type(v) == "table" and v ~= json.null then return v end
  return parse_string(v)
end

local PARSERS = {
  string = parse_string, bool = parse_bool, number = parse_number, list = parse_list,
  map = parse_map, props = parse_props, dry_run = parse_dry_run, input = parse_input,
}

---------------------------------------------------------------------------------------------------
-- AUTH0_DOMAIN

-- config.parse_domain(text) -> base_url, host | nil, message
function M.parse_domain(text)
  if type(text) ~= "string" then error("config.parse_domain: text must be a string", 2) end
  local parsed, why = domain.parse(text)
  if not parsed then return nil, why end
  return parsed.origin, parsed.authority
end

---------------------------------------------------------------------------------------------------
-- Sources

-- The member names of an object in valid JSON text, in the order written: those of the value of
-- the top-level member `member`, or of the top-level object itself when `member` is nil.
local function member_order(text, member)
  local order, stack = {}, {}
  local pending = member == nil
  local pos, len = 1, #text
  while pos <= len do
    local c = text:sub(pos, pos)
    local top = stack[#stack]
    if c == "{" then
      stack[#stack + 1] = { object = true, expect_key = true, collect = pending }
      pending = false
      pos = pos + 1
    elseif c == "[" then
      stack[#stack + 1] = { object = false }
      pending = false
      pos = pos + 1
    elseif c == "}" or c == "]" then
      if top and top.collect then return order end
      stack[#stack] = nil
      pos = pos + 1
    elseif c == "," then
      if top and top.object then top.expect_key = true end
      pos = pos + 1
    elseif c == ":" then
      if top then top.expect_key = false end
      pos = pos + 1
    elseif c == '"' then
      local j = pos + 1
      while true do
        local q = text:find('["\\]', j)
        if not q then return order end
        if text:sub(q, q) == "\\" then j = q + 2 else j = q; break end
      end
      if top and top.object and top.expect_key then
        local key = json.decode(text:sub(pos, j))
        if top.collect then order[#order + 1] = key end
        pending = #stack == 1 and key == member
      else
        pending = false
      end
      pos = j + 1
    else
      if not c:match("%s") then pending = false end
      pos = pos + 1
    end
  end
  return order
end

local function read_file(path)
  local text, err = fs.read(path)
  if not text then
    return nil, errors.new("config_file", ("cannot read the config file %s"):format(
      err and err.message or path), { path = path, source = path })
  end
  -- (a key written twice is an error: JSON.parse's last-wins would silently drop a setting)
  local value, jerr = json.decode(text, { unique_keys = true })
  if value == nil then
    return nil, errors.new("config_file", jerr and jerr.message or "not JSON", {
      file = path, line = jerr and jerr.line, column = jerr and jerr.column, source = path })
  end
  if type(value) ~= "table" or json.is_array(value) then
    return nil, errors.new("config_file", "the config file must hold a JSON object of config keys",
      { file = path, source = path })
  end
  return value, member_order(text, "AUTH0_KEYWORD_REPLACE_MAPPINGS")
end

-- Where the member `key` of the top-level object of a config file is written: { file =, line =,
-- column = } (line and column absent when it cannot be found).
local function locate_key(path, key)
  local where = { file = path }
  local text = fs.read(path)
  if not text then return where end
  local at = text:find('"' .. key:gsub("%p", "%%%0") .. '"%s*:')
  if at then
    local line, line_start = 1, 1
    for nl in text:sub(1, at - 1):gmatch("()\n") do
      line, line_start = line + 1, nl + 1
    end
    where.line, where.column = line, at - line_start + 1
  end
  return where
end

-- Parses every known key of raw (a table of one source) into typed values. label(key) says where
-- the value came from, for error messages.
local function parse_source(raw, label, skip_empty, locate)
  local typed = {}
  for _, entry in ipairs(M.KEYS) do
    local name = entry.name
    local v = raw[name]
    if v ~= nil and v ~= json.null and not (skip_empty and v == "" and entry.type ~= "bool"
        and entry.type ~= "dry_run") then
      local value, why = PARSERS[entry.type](v)
      if value == nil then
        local fields = { key = name, source = label(name) }
        for field, where in pairs(locate and locate(name) or {}) do fields[field] = where end
        return nil, errors.new("config", ("%s: %s"):format(label(name), why), fields)
      end
      typed[name] = value
    end
  end
  return typed
end

local function deep_merge(into, from)
  for key, value in pairs(from) do
    if type(value) == "table" and not json.is_array(value) and type(into[key]) == "table"
        and not json.is_array(into[key]) then
      deep_merge(into[key], value)
    else
      into[key] = copy(value)
    end
  end
  return into
end

-- The flags that set a0deploy config keys, and whether only `true` counts.
local FLAG_KEYS = {
  { flag = "secret", key = "AUTH0_CLIENT_SECRET" },
  { flag = "export_ids", key = "AUTH0_EXPORT_IDENTIFIERS", truthy = true },
  { flag = "export_ordered", key = "AUTH0_EXPORT_ORDERED", truthy = true },
  { flag = "export_secrets", key = "AUTH0_EXPORT_SECRETS", truthy = true },
  { flag = "experimental_ea", key = "AUTH0_EXPERIMENTAL_EA", truthy = true },
}

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function info_of(cfg)
  local mt = getmetatable(cfg)
  return mt and mt.a0lua_config or { sources = {}, unknown = {} }
end

-- Where cfg[key] came from, for messages: "AUTH0_EXCLUDED (config.json)".
local function label(cfg, key)
  local source = info_of(cfg).sources[key]
  if not source then return key end
  if source:sub(1, 2) == "--" then return source end
  return ("%s (%s)"):format(key, source)
end

-- config.environ() -> { NAME = value }
function M.environ()
  local env = {}
  local f = io.open("/proc/self/environ", "rb")
  if f then
    local data = f:read("a")
    f:close()
    for entry in data:gmatch("([^%z]+)") do
      local name, value = entry:match("^([^=]+)=(.*)$")
      if name then env[name] = value end
    end
    return env
  end
  local p = io.popen("env", "r")
  if p then
    for line in p:lines() do
      local name, value = line:match("^([%w_]+)=(.*)$")
      if name then env[name] = value end
    end
    p:close()
  end
  return env
end

---------------------------------------------------------------------------------------------------
-- config.load, in three stages: the sources (one layer each), the keys merged across them, then
-- the settings derived from the keys and flags.

-- Stage 1: a layer is { name =, typed = {KEY = value}, labels = {KEY = "--flag"}? } plus, for the
-- file, what later stages need of its text. Each returns layer | nil, err.

local function programmatic_layer(values)
  local typed, err = parse_source(values, function(key) return "config value " .. key end)
  if not typed then return nil, err end
  return { name = "programmatic", typed = typed, raw = values }
end

local function flag_layer(args)
  local raw, labels = {}, {}
  for _, f in ipairs(FLAG_KEYS) do
    local v = args[f.flag]
    if v ~= nil and (not f.truthy or v == true) then
      raw[f.key] = v
      labels[f.key] = "--" .. f.flag
    end
  end
  local typed, err = parse_source(raw, function(key) return labels[key] end)
  if not typed then return nil, err end
  return { name = "flag", typed = typed, labels = labels }
end

local function file_layer(file)
  local raw, order_or_err = read_file(file)
  if not raw then return nil, order_or_err end
  local locate = function(key) return locate_key(file, key) end
  local typed, err = parse_source(raw, function(key) return key end, false, locate)
  if not typed then return nil, err end
  local unknown = {}
  for _, key in ipairs(util.sorted_string_keys(raw)) do
    if not M.KEY[key] then unknown[#unknown + 1] = key end
  end
  return { name = file, typed = typed, raw = raw, mapping_order = order_or_err,
           locate = locate, unknown = unknown }
end

local function env_layer(env_table)
  local typed, err = parse_source(env_table, function(key)
    return "environment variable " .. key
  end, true)
  if not typed then return nil, err end
  return { name = "environment", typed = typed, raw = env_table }
end

-- The layers, lowest precedence first: programmatic values, flags, the config file, the
-- environment. Returns layers, by_name | nil, err.
local function read_sources(opts, args, use_env)
  local layers, by_name = {}, {}
  local function add(kind, layer, err)
    if not layer then return nil, err end
    layers[#layers + 1] = layer
    by_name[kind] = layer
    return true
  end
  local ok, err
  if opts.values ~= nil then
    if type(opts.values) ~= "table" then error("config.load: values must be a table", 3) end
    ok, err = add("values", programmatic_layer(opts.values))
    if not ok then return nil, err end
  end
  ok, err = add("flags", flag_layer(args))
  if not ok then return nil, err end
  local file = opts.file or args.config_file
  if file ~= nil then
    if type(file) ~= "string" then error("config.load: file must be a path", 3) end
    ok, err = add("file", file_layer(file))
    if not ok then return nil, err end
  end
  if use_env then
    ok, err = add("env", env_layer(opts.env))
    if not ok then return nil, err end
  end
  return layers, by_name
end

-- Stage 2: per key, scalars from the highest layer that has them, maps merged across layers;
-- defaults for the rest. Records in info.sources where each key came from.
local function merge_keys(layers, info)
  local cfg = {}
  local function from(layer, name)
    info.sources[name] = layer.labels and layer.labels[name] or layer.name
  end
  for _, entry in ipairs(M.KEYS) do
    local name = entry.name
    if entry.type == "map" or entry.type == "props" then
      local merged = {}
      for _, layer in ipairs(layers) do
        if layer.typed[name] ~= nil then
          deep_merge(merged, layer.typed[name])
          from(layer, name)
        end
      end
      cfg[name] = merged
    else
      for i = #layers, 1, -1 do
        if layers[i].typed[name] ~= nil then
          cfg[name] = layers[i].typed[name]
          from(layers[i], name)
          break
        end
      end
      if cfg[name] == nil and entry.default ~= nil then
        cfg[name] = copy(entry.default)
        if entry.type == "list" then json.array(cfg[name]) end
      end
    end
  end
  return cfg
end

-- Keyword mappings (docs/architecture.md §3.2) and their order (docs/formats.md §4.2 rule 6):
-- the environment's AUTH0_KEYWORD_REPLACE_MAPPINGS replaces all; else the file's in its order,
-- the code's sorted, then (importing with the environment on) every environment variable.
local function keyword_mappings(cfg, sources, info, importing)
  local env = sources.env
  if env and env.typed.AUTH0_KEYWORD_REPLACE_MAPPINGS then
    info.sources.AUTH0_KEYWORD_REPLACE_MAPPINGS = "environment"
    return keywords.with_order(env.typed.AUTH0_KEYWORD_REPLACE_MAPPINGS,
      member_order(env.raw.AUTH0_KEYWORD_REPLACE_MAPPINGS))
  end
  local mappings, order, seen = cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS, {}, {}
  local function add(name)
    if not seen[name] and mappings[name] ~= nil then
      seen[name] = true
      order[#order + 1] = name
    end
  end
  for _, name in ipairs(sources.file and sources.file.mapping_order or {}) do add(name) end
  local values = sources.values and sources.values.raw
  if values and type(values.AUTH0_KEYWORD_REPLACE_MAPPINGS) == "table" then
    for _, name in ipairs(util.sorted_string_keys(values.AUTH0_KEYWORD_REPLACE_MAPPINGS)) do
      add(name)
    end
  end
  if env and importing then
    local names = util.sorted_string_keys(env.raw)
    for _, name in ipairs(names) do
      if type(env.raw[name]) == "string" then mappings[name] = env.raw[name] end
    end
    for _, name in ipairs(names) do add(name) end
  end
  return keywords.with_order(mappings, order)
end

-- Unknown UPPER_CASE keys of the file and the programmatic values pass through untouched, as
-- a0deploy hands every key on.
local function pass_unknown_keys(cfg, sources)
  for _, layer in ipairs({ sources.values or {}, sources.file or {} }) do
    for key, value in pairs(layer.raw or {}) do
      if type(key) == "string" and not M.KEY[key] and key:match("^[A-Z][A-Z0-9_]*$") then
        cfg[key] = copy(value)
      end
    end
  end
end

-- Stage 3: settings derived from the keys and the flags. Each returns true | nil, err.

-- Dry run: the flag (bare or =preview; a0lua.args checked the value), or AUTH0_DRY_RUN.
local function derive_dry_run(cfg, args, info, command)
  local flag = args.dry_run
  if flag ~= nil and flag ~= false and flag ~= true and flag ~= "preview" then
    return nil, errors.new("config", ("--dry-run: invalid value %s (give --dry-run alone or "
      .. "--dry-run=preview)"):format(describe(flag)), { key = "AUTH0_DRY_RUN",
      source = "--dry-run" })
  end
  if flag == true or flag == "preview" then
    cfg.AUTH0_DRY_RUN = true
    info.sources.AUTH0_DRY_RUN = "--dry-run"
  end
  if args.interactive then
    cfg.AUTH0_DRY_RUN_INTERACTIVE = true
    info.sources.AUTH0_DRY_RUN_INTERACTIVE = "--interactive"
  end
  if args.apply then
    cfg.AUTH0_DRY_RUN_APPLY = true
    info.sources.AUTH0_DRY_RUN_APPLY = "--apply"
  end
  cfg.dry_run = command == "plan" or command == "validate" or
    (command == "import" and cfg.AUTH0_DRY_RUN == true)
  cfg.interactive = cfg.AUTH0_DRY_RUN_INTERACTIVE
  cfg.apply = cfg.AUTH0_DRY_RUN_APPLY
  return true
end

-- a0lua's own settings from its flags: json, ca_file, hooks, concurrency, handlers_path, proxy.
local function derive_flags(cfg, args)
  cfg.json = args.json == true
  cfg.ca_file = args.ca_file
  cfg.hooks = args.hooks
  cfg.concurrency = args.concurrency or M.DEFAULT_CONCURRENCY
  if math.type(cfg.concurrency) ~= "integer" or cfg.concurrency < 1 then
    return nil, errors.new("config", "--concurrency: expected a whole number >= 1, got "
      .. describe(cfg.concurrency), { key = "concurrency", source = "--concurrency" })
  end
  cfg.handlers_path = json.array(copy(args.handlers or {}))
  if args.proxy_url ~= nil then
    local url = args.proxy_url
    if type(url) ~= "string" or not url:match("^%a[%w+.-]*://[^/%s]+") then
      return nil, errors.new("config", "--proxy_url: expected a URL such as "
        .. "http://proxy.example:3128, got " .. describe(url),
        { key = "proxy_url", source = "--proxy_url" })
    end
    cfg.proxy_url = url
  end
  return true
end

-- The log level: --debug or AUTH0_DEBUG, else AUTH0_LOG, else info. The environment counts
-- here even with --env=false.
local function derive_log_level(cfg, args, env)
  env = env or {}
  local env_debug = env.AUTH0_DEBUG ~= nil and parse_bool(env.AUTH0_DEBUG) == true
  cfg.debug = args.debug == true or env_debug
  if cfg.debug then
    cfg.log_level = "debug"
  elseif env.AUTH0_LOG ~= nil and env.AUTH0_LOG ~= "" then
    local level = LOG_LEVELS[trim(env.AUTH0_LOG):lower()]
    if not level then
      return nil, errors.new("config", ("environment variable AUTH0_LOG: expected error, warn, "
        .. "info or debug, got %s"):format(describe(env.AUTH0_LOG)),
        { key = "AUTH0_LOG", source = "environment variable AUTH0_LOG" })
    end
    cfg.log_level = level
  else
    cfg.log_level = "info"
  end
  return true
end

-- AUTH0_DOMAIN, parsed once (a0lua.domain): cfg.domain, its origin and authority, and the
-- default audience. An error names where the value came from.
local function derive_domain(cfg, info, file_source)
  if cfg.AUTH0_DOMAIN == nil then return true end
  local parsed, why = domain.parse(cfg.AUTH0_DOMAIN)
  if not parsed then
    local where = info.sources.AUTH0_DOMAIN
    local fields = { key = "AUTH0_DOMAIN", source = where }
    local prefix = "AUTH0_DOMAIN"
    if where == "environment" then
      prefix = "environment variable AUTH0_DOMAIN"
    elseif file_source and where == file_source.name then
      for field, v in pairs(file_source.locate("AUTH0_DOMAIN")) do fields[field] = v end
    end
    return nil, errors.new("config", ("%s: %s"):format(prefix, why), fields)
  end
  cfg.domain, cfg.base_url, cfg.host = parsed, parsed.origin, parsed.authority
  if cfg.AUTH0_AUDIENCE == nil then
    cfg.AUTH0_AUDIENCE = "https://" .. parsed.authority .. "/api/v2/"
  end
  return true
end

-- Input (import, plan, validate: the file or directory and its format) or output (export).
local function derive_input_output(cfg, args, info, importing)
  if not importing then
    cfg.output_folder = args.output_folder
    cfg.format = args.format
    if cfg.output_folder then
      cfg.AUTH0_INPUT_FILE = cfg.format == "yaml" and (cfg.output_folder .. "/tenant.yaml")
        or cfg.output_folder
    end
    return true
  end
  if args.input_file ~= nil then
    cfg.AUTH0_INPUT_FILE = args.input_file
    info.sources.AUTH0_INPUT_FILE = "--input_file"
  end
  cfg.input = cfg.AUTH0_INPUT_FILE
  if type(cfg.input) == "string" then
    if cfg.input:lower():match("%.ya?ml$") then
      cfg.format = "yaml"
      if cfg.AUTH0_BASE_PATH == nil then cfg.AUTH0_BASE_PATH = dirname(cfg.input) end
    else
      local st = fs.stat(cfg.input)
      if st and st.type == "directory" then cfg.format = "directory" end
    end
  elseif type(cfg.input) == "table" then
    cfg.format = "yaml"
  end
  return true
end

function M.load(opts)
  if type(opts) ~= "table" then error("config.load: opts must be a table", 2) end
  local args = opts.args or {}
  if type(args) ~= "table" then error("config.load: args must be a table", 2) end
  local command = opts.command or args.command or "import"
  if not COMMANDS[command] then error("config.load: unknown command " .. tostring(command), 2) end
  local importing = command ~= "export"
  local use_env = opts.env ~= nil and args.env ~= false

  local layers, sources = read_sources(opts, args, use_env)
  if not layers then return nil, sources end

  local info = { sources = {}, unknown = sources.file and sources.file.unknown or {} }
  local cfg = merge_keys(layers, info)
  cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS = keyword_mappings(cfg, sources, info, importing)
  pass_unknown_keys(cfg, sources)

  cfg.command = command
  cfg.env = use_env
  cfg.config_file = sources.file and sources.file.name
  local ok, err = derive_dry_run(cfg, args, info, command)
  if ok then ok, err = derive_flags(cfg, args) end
  if ok then ok, err = derive_log_level(cfg, args, opts.env) end
  if ok then ok, err = derive_domain(cfg, info, sources.file) end
  if ok then ok, err = derive_input_output(cfg, args, info, importing) end
  if not ok then return nil, err end
  return setmetatable(cfg, { a0lua_config = info })
end

---------------------------------------------------------------------------------------------------
-- config.check

local function non_empty(list) return type(list) == "table" and #list > 0 end
local function blank(v) return v == nil or v == "" end
local SIGNING_ALGORITHMS = { RS256 = true, RS384 = true, PS256 = true }

local function join_names(names)
  if #names == 1 then return names[1] end
  return table.concat(names, ", ", 1, #names - 1) .. " and " .. names[#names]
end

-- Each check below takes (cfg, command, warnings) and returns true, or nil and the error; a
-- warning is appended to warnings. config.check runs them in this order and stops at the first
-- error.

local function fail(cfg, key, message)
  return nil, errors.new("config", message, { key = key, source = info_of(cfg).sources[key] })
end

-- 1. Everything required, in one message.
local function check_required(cfg, command)
  local missing = {}
  if command ~= "validate" then
    if blank(cfg.AUTH0_DOMAIN) then missing[#missing + 1] = "AUTH0_DOMAIN" end
    if blank(cfg.AUTH0_ACCESS_TOKEN) then
      if blank(cfg.AUTH0_CLIENT_ID) then missing[#missing + 1] = "AUTH0_CLIENT_ID" end
      if blank(cfg.AUTH0_CLIENT_SECRET) and blank(cfg.AUTH0_CLIENT_SIGNING_KEY_PATH) then
        missing[#missing + 1] = "AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_SIGNING_KEY_PATH)"
      end
    end
  end
  if command == "export" then
    if not cfg.output_folder then missing[#missing + 1] = "--output_folder (-o)" end
    if not cfg.format then missing[#missing + 1] = "--format (-f)" end
  elseif blank(cfg.input) then
    missing[#missing + 1] = "--input_file (-i)"
  end
  if #missing > 0 then
    return nil, errors.new("config_missing", ("missing %s: give them in the config file (-c), "
      .. "the environment, or as flags (see a0lua help %s)"):format(join_names(missing),
      command), { missing = missing })
  end
  return true
end

-- 2. Type lists: not empty, not both, and names of a0deploy's resource types.
local function check_type_lists(cfg, _, warnings)
  if cfg.AUTH0_INCLUDED_ONLY ~= nil then
    if #cfg.AUTH0_INCLUDED_ONLY == 0 then
      return fail(cfg, "AUTH0_INCLUDED_ONLY", label(cfg, "AUTH0_INCLUDED_ONLY")
        .. " is empty: name at least one resource type, or leave it out")
    end
    if non_empty(cfg.AUTH0_EXCLUDED) then
      return fail(cfg, "AUTH0_INCLUDED_ONLY", ("%s and %s cannot both be set: use one of them")
        :format(label(cfg, "AUTH0_INCLUDED_ONLY"), label(cfg, "AUTH0_EXCLUDED")))
    end
  end
  for _, key in ipairs({ "AUTH0_EXCLUDED", "AUTH0_INCLUDED_ONLY" }) do
    for _, name in ipairs(cfg[key] or {}) do
      if not catalogue.is_type(name) then
        warnings[#warnings + 1] = ("%s names %q, which is not one of a0deploy's resource types")
          :format(label(cfg, key), name)
      end
    end
  end
  return true
end

-- 3. Keyword preservation needs mappings and local files to preserve them from.
local function check_preserve_keywords(cfg, command)
  if command ~= "export" or not cfg.AUTH0_PRESERVE_KEYWORDS then return true end
  if next(cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS or {}) == nil then
    return fail(cfg, "AUTH0_PRESERVE_KEYWORDS", label(cfg, "AUTH0_PRESERVE_KEYWORDS")
      .. " is on but AUTH0_KEYWORD_REPLACE_MAPPINGS is empty: there are no keywords to keep")
  end
  local present
  if cfg.format == "yaml" then
    present = fs.exists(cfg.output_folder .. "/tenant.yaml")
  else
    local names = fs.list(cfg.output_folder)
    present = names ~= nil and #names > 0
  end
  if not present then
    return fail(cfg, "AUTH0_PRESERVE_KEYWORDS", ("%s is on but %s holds no files to take "
      .. "keywords from"):format(label(cfg, "AUTH0_PRESERVE_KEYWORDS"),
      cfg.format == "yaml" and (cfg.output_folder .. "/tenant.yaml") or cfg.output_folder))
  end
  return true
end

-- 4. Deprecated lists.
local function check_deprecated(cfg, _, warnings)
  for _, key in ipairs(DEPRECATED) do
    if non_empty(cfg[key]) then
      warnings[#warnings + 1] = label(cfg, key) .. " is deprecated: use AUTH0_EXCLUDED or "
        .. "AUTH0_INCLUDED_ONLY for whole types"
    end
  end
  return true
end

-- 5. Connections included and excluded by name.
local function check_connection_filters(cfg)
  if non_empty(cfg.AUTH0_INCLUDED_CONNECTIONS) and non_empty(cfg.AUTH0_EXCLUDED_CONNECTIONS) then
    return fail(cfg, "AUTH0_INCLUDED_CONNECTIONS", ("%s and %s cannot both be set"):format(
      label(cfg, "AUTH0_INCLUDED_CONNECTIONS"), label(cfg, "AUTH0_EXCLUDED_CONNECTIONS")))
  end
  return true
end

-- 6. A field both excluded from and included into the export.
local function check_props_overlap(cfg)
  local excluded, included = cfg.EXCLUDED_PROPS or {}, cfg.INCLUDED_PROPS or {}
  for _, type_name in ipairs(util.sorted_string_keys(excluded)) do
    local set = {}
    for _, path in ipairs(included[type_name] or {}) do set[path] = true end
    for _, path in ipairs(excluded[type_name]) do
      if set[path] then
        return fail(cfg, "EXCLUDED_PROPS", ("%s.%s and %s.%s both name %q: a field cannot be "
          .. "excluded and included"):format(label(cfg, "EXCLUDED_PROPS"), type_name,
          label(cfg, "INCLUDED_PROPS"), type_name, path))
      end
    end
  end
  return true
end

-- 7. --interactive / --apply go with a dry run, and not together.
local function check_dry_run_flags(cfg, command)
  if command ~= "import" and command ~= "plan" then return true end
  local dry = command == "plan" or cfg.dry_run
  if cfg.interactive and cfg.apply then
    return fail(cfg, "AUTH0_DRY_RUN_APPLY", ("%s and %s cannot be combined"):format(
      label(cfg, "AUTH0_DRY_RUN_INTERACTIVE"), label(cfg, "AUTH0_DRY_RUN_APPLY")))
  end
  if cfg.interactive and not dry then
    return fail(cfg, "AUTH0_DRY_RUN_INTERACTIVE", label(cfg, "AUTH0_DRY_RUN_INTERACTIVE")
      .. " needs --dry-run")
  end
  if cfg.apply and not dry then
    return fail(cfg, "AUTH0_DRY_RUN_APPLY", label(cfg, "AUTH0_DRY_RUN_APPLY")
      .. " needs --dry-run")
  end
  return true
end

-- 8. Files named by a0lua's own flags.
local function check_flag_files(cfg)
  if cfg.ca_file and not fs.exists(cfg.ca_file) then
    return fail(cfg, "ca_file", ("--ca-file %s: no such file"):format(cfg.ca_file))
  end
  if cfg.hooks and not fs.exists(cfg.hooks) then
    return fail(cfg, "hooks", ("--hooks %s: no such file"):format(cfg.hooks))
  end
  return true
end

-- 9. The client assertion's algorithm: one a0deploy accepts (a0lua.api.assertion).
local function check_signing_algorithm(cfg)
  local signing_alg = cfg.AUTH0_CLIENT_SIGNING_ALGORITHM
  if not blank(cfg.AUTH0_CLIENT_SIGNING_KEY_PATH) and not blank(signing_alg)
      and not SIGNING_ALGORITHMS[signing_alg] then
    return fail(cfg, "AUTH0_CLIENT_SIGNING_ALGORITHM", ("%s: %s is not one a0deploy accepts: "
      .. "use RS256, RS384 or PS256"):format(label(cfg, "AUTH0_CLIENT_SIGNING_ALGORITHM"),
      describe(signing_alg)))
  end
  return true
end

-- 10. Keys of the config file that a0deploy does not read.
local function check_unknown_keys(cfg, _, warnings)
  for _, key in ipairs(info_of(cfg).unknown) do
    warnings[#warnings + 1] = ("%s: %s is not a config key a0deploy or a0lua reads (ignored)")
      :format(cfg.config_file or "config", key)
  end
  return true
end

local CHECKS = {
  check_required, check_type_lists, check_preserve_keywords, check_deprecated,
  check_connection_filters, check_props_overlap, check_dry_run_flags, check_flag_files,
  check_signing_algorithm, check_unknown_keys,
}

function M.check(cfg, command)
  if type(cfg) ~= "table" then error("config.check: cfg must be a table", 2) end
  if not COMMANDS[command] then error("config.check: unknown command " .. tostring(command), 2) end
  local warnings = {}
  for _, check in ipairs(CHECKS) do
    local ok, err = check(cfg, command, warnings)
    if not ok then return nil, err end
  end
  return true, warnings
end

return M
