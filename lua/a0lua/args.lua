--[[
a0lua.args: the command-line options of import, export, plan and validate.

  local args = require("a0lua.args")
  args.parse_command(name, argv) -> parsed | nil, err
      name   "import" | "deploy" | "export" | "dump" | "plan" | "validate"
      argv   the words after the command name (a plain array of strings)
      parsed { command = "import" (the canonical name), input_file = "tenant.yaml",
               dry_run = "preview", handlers = { "dir1", "dir2" }, ... }: one key per option
             given, named by the option's canonical name (underscores), typed by its kind;
             options not given are absent (nil), so config.lua can tell "not given" from false.
  args.parse(argv, options, {command =}) -> parsed | nil, err
      the same for any option list (a list of option specs, below)
  args.usage(name) -> text           the usage text of a command, for `a0lua help COMMAND`
  args.COMMANDS[name] = { name =, summary =, options = {...} }   (aliases deploy and dump too)
  args.ALIASES = { deploy = "import", dump = "export" }

Option spec: { name = "input_file", short = "i", aliases = { "dry-run" }, long = "ca-file" (the
spelling shown in the usage, when not the name), kind =, metavar =, help =,
choices = { "yaml", "directory" } }. Kinds:
  boolean   --x, --x=true|false|1|0|yes|no|on|off, --no-x (false)
  string    --x VALUE, --x=VALUE, -s VALUE, -s=VALUE
  number    as string, a positive integer
  list      as string, repeatable: every occurrence appends (--handlers DIR)
  optional  a flag that may carry a value: bare gives `true`, --x=VALUE or --x VALUE (when the
            next word does not start with "-") give VALUE; `dry_run` only accepts "preview"
Long names are matched with "-" and "_" interchangeable (--input-file is --input_file), as are
the aliases. "--" ends the options; any word that is not an option is an error (these commands take
no positional arguments), and so are an unknown option, a missing value, a bad boolean or number, a
value outside `choices` and a value given to --no-x. Errors are nil, err with
err = { code = "usage", message = "unknown option --x (see a0lua help import)", option = "--x" }
and a __tostring that gives the message. Misuse (argv not a table, a bad option spec) raises.
]]
local errors = require("a0lua.errors")

local M = {}

local function usage_error(command, fmt, ...)
  local message = fmt:format(...)
  if command then message = ("%s (see a0lua help %s)"):format(message, command) end
  return errors.new("usage", message)
end

local function o(name, kind, extra)
  local spec = { name = name, kind = kind }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

-- Options every command shares: a0deploy's global ones, then a0lua's own.
local COMMON = {
  o("config_file", "string", { short = "c", metavar = "FILE",
    help = "JSON config file (a0deploy's config.json works unchanged)" }),
  o("secret", "string", { short = "x", metavar = "SECRET",
    help = "client secret (AUTH0_CLIENT_SECRET, lowest precedence)" }),
  o("env", "boolean", {
    help = "read config keys (and, on import, keywords) from the environment; --env=false: not" }),
  o("proxy_url", "string", { short = "p", metavar = "URL",
    help = "send every request through this HTTP proxy" }),
  o("experimental_ea", "boolean", { help = "a0deploy's early-access switch (only logged)" }),
  o("debug", "boolean", { short = "d", help = "log at debug level, tracebacks on errors" }),
  o("json", "boolean", {
    help = "machine output: events as JSON lines on stderr, the result as JSON on stdout" }),
  o("ca_file", "string", { long = "ca-file", metavar = "FILE",
    help = "PEM bundle of CA certificates to trust" }),
  o("concurrency", "number", { metavar = "N", help = "requests in flight at most (default 8)" }),
  o("handlers", "list", { metavar = "DIR",
    help = "directory of handler modules searched first (repeatable)" }),
  o("help", "boolean", { short = "h", help = "show this text" }),
}

local IMPORT = {
  o("input_file", "string", { short = "i", metavar = "PATH",
    help = "tenant.yaml (YAML format) or a directory (directory format); required" }),
  o("dry_run", "optional", { aliases = { "dry-run" }, metavar = "preview",
    help = "show the plan and change nothing (bare flag or =preview)" }),
  o("interactive", "boolean", {
    help = "with --dry-run: ask whether to apply after showing the plan" }),
  o("apply", "boolean", { help = "with --dry-run: show the plan, then apply it without asking" }),
  o("hooks", "string", { metavar = "FILE", help = "Lua file of plan/apply hooks" }),
}

local EXPORT = {
  o("output_folder", "string", { short = "o", metavar = "DIR",
    help = "folder to write into (created when missing); required" }),
  o("format", "string", { short = "f", metavar = "FORMAT", choices = { "yaml", "directory" },
    help = "yaml (DIR/tenant.yaml) or directory; required" }),
  o("export_ids", "boolean", { short = "e",
    help = "keep the id fields (AUTH0_EXPORT_IDENTIFIERS)" }),
  o("export_ordered", "boolean", { short = "s",
    help = "sort object keys alphabetically (AUTH0_EXPORT_ORDERED)" }),
  o("export_secrets", "boolean", {
    help = "write secrets instead of ##PLACEHOLDERS## (AUTH0_EXPORT_SECRETS)" }),
}

local function concat(...)
  local out = {}
  for _, list in ipairs({ ... }) do
    for _, spec in ipairs(list) do out[#out + 1] = spec end
  end
  return out
end

local function command_spec(name, summary, options)
  return { name = name, summary = summary, options = options }
end

M.COMMANDS = {
  import = command_spec("import", "deploy tenant.yaml or a directory to the tenant (alias: deploy)",
    concat(IMPORT, COMMON)),
  export = command_spec("export", "write the tenant's configuration to files (alias: dump)",
    concat(EXPORT, COMMON)),
  plan = command_spec("plan",
    "show what an import would change (exit 0: nothing, 2: changes, 1: error)",
    concat(IMPORT, COMMON)),
  validate = command_spec("validate",
    "check files, schemas and references without contacting the tenant",
    concat(IMPORT, COMMON)),
}
M.ALIASES = { deploy = "import", dump = "export" }
M.COMMANDS.deploy = M.COMMANDS.import
M.COMMANDS.dump = M.COMMANDS.export

local KINDS = { boolean = true, string = true, number = true, list = true, optional = true }

local function normal(name) return (name:gsub("%-", "_")) end

-- Builds the lookup tables of an option list: long (normalised) and short names -> spec.
local function index(options)
  local long, short = {}, {}
  for i, spec in ipairs(options) do
    if type(spec) ~= "table" or type(spec.name) ~= "string" or not KINDS[spec.kind] then
      error(("args: option %d needs a name and a kind (boolean, string, number, list, "
        .. "optional)"):format(i), 3)
    end
    long[normal(spec.name)] = spec
    if spec.long then long[normal(spec.long)] = spec end
    for _, alias in ipairs(spec.aliases or {}) do long[normal(alias)] = spec end
    if spec.short then short[spec.short] = spec end
  end
  return long, short
end

local BOOLEAN_WORDS = {
  ["true"] = true, ["1"] = true, yes = true, on = true,
  ["false"] = false, ["0"] = false, no = false, off = false,
}

local function in_choices(spec, value)
  if not spec.choices then return true end
  for _, c in ipairs(spec.choices) do
    if c == value then return true end
  end
  return false
end

-- Stores one occurrence of an option; returns nil, err on a bad value.
local function store(parsed, spec, shown, value, command)
  local key = spec.name
  if spec.kind == "boolean" then
    if value == nil then
      parsed[key] = true
      return true
    end
    local b = BOOLEAN_WORDS[value:lower()]
    if b == nil then
      return nil, usage_error(command, "%s takes true or false, not '%s'", shown, value)
    end
    parsed[key] = b
  elseif spec.kind == "number" then
    local n = math.tointeger(tonumber(value))
    if not n or n < 1 then
      return nil, usage_error(command, "%s needs a positive whole number, not '%s'", shown, value)
    end
    parsed[key] = n
  elseif spec.kind == "list" then
    local list = parsed[key] or {}
    list[#list + 1] = value
    parsed[key] = list
  else
    if value == nil then value = true end
    if spec.kind == "optional" and key == "dry_run" and value ~= true and value ~= "preview" then
      return nil, usage_error(command,
        "invalid value for --dry-run: '%s' (give --dry-run alone or --dry-run=preview)", value)
    end
    if value ~= true and not in_choices(spec, value) then
      return nil, usage_error(command, "%s must be one of %s, not '%s'", shown,
        table.concat(spec.choices, ", "), value)
    end
    parsed[key] = value
  end
  return true
end

-- A long option word ("--name", "--name=value", "--no-name") -> spec, shown, value, negated
-- | nil, err
local function read_long(word, long, command)
  local name, value = word:match("^%-%-([^=]+)=(.*)$")
  name = name or word:sub(3)
  local spec, negated = long[normal(name)], false
  if not spec then
    local base = normal(name):match("^no_(.+)$")
    local target = base and long[base]
    if target and target.kind == "boolean" then
      if value ~= nil then
        return nil, usage_error(command, "--%s takes no value", name)
      end
      spec, negated = target, true
    end
  end
  if not spec then return nil, usage_error(command, "unknown option --%s", name) end
  return spec, "--" .. name, value, negated
end

-- A short option word ("-x", "-x=value") -> spec, shown, value | nil, err
local function read_short(word, short, command)
  local letter, rest = word:sub(2, 2), word:sub(3)
  local spec = short[letter]
  if not spec then return nil, usage_error(command, "unknown option -%s", letter) end
  local value
  if rest ~= "" then
    if rest:sub(1, 1) == "=" then value = rest:sub(2)
    else return nil, usage_error(command, "unknown option %s", word) end
  end
  return spec, "-" .. letter, value
end

-- The value of an option given without "=VALUE": the next word where the kind takes one.
-- -> the number of words taken (0 or 1), value | nil, err
local function value_from_next(argv, i, spec, shown, command)
  local next_word = argv[i + 1]
  if spec.kind == "string" or spec.kind == "number" or spec.kind == "list" then
    if next_word == nil or (next_word:sub(1, 1) == "-" and next_word ~= "-") then
      return nil, usage_error(command, "%s needs a value", shown)
    end
    return 1, next_word
  elseif spec.kind == "optional" and next_word ~= nil and next_word:sub(1, 1) ~= "-" then
    return 1, next_word
  end
  return 0, nil
end

-- args.parse(argv, options [, {command =}]) -> parsed | nil, err
function M.parse(argv, options, opts)
  if type(argv) ~= "table" then error("args.parse: argv must be a table of strings", 2) end
  if type(options) ~= "table" then error("args.parse: options must be a list of specs", 2) end
  local command = opts and opts.command
  local long, short = index(options)
  local parsed = {}
  local i = 1
  while i <= #argv do
    local word = argv[i]
    if type(word) ~= "string" then error("args.parse: argv[" .. i .. "] is not a string", 2) end
    local spec, shown, value, negated
    if word == "--" then
      if argv[i + 1] ~= nil then
        return nil, usage_error(command, "unexpected argument '%s'", argv[i + 1])
      end
      break
    elseif word:sub(1, 2) == "--" then
      spec, shown, value, negated = read_long(word, long, command)
    elseif word:match("^%-.") then
      spec, shown, value = read_short(word, short, command)
    else
      return nil, usage_error(command, "unexpected argument '%s'", word)
    end
    if not spec then return nil, shown end
    if negated then
      parsed[spec.name] = false
    else
      if value == nil then
        local taken, next_value = value_from_next(argv, i, spec, shown, command)
        if not taken then return nil, next_value end
        value, i = next_value, i + taken
      end
      local ok, err = store(parsed, spec, shown, value, command)
      if not ok then return nil, err end
    end
    i = i + 1
  end
  return parsed
end

-- args.parse_command(name, argv) -> parsed | nil, err
function M.parse_command(name, argv)
  local command = M.COMMANDS[name]
  if not command then error("args.parse_command: unknown command " .. tostring(name), 2) end
  local parsed, err = M.parse(argv, command.options, { command = name })
  if not parsed then return nil, err end
  parsed.command = command.name
  return parsed
end

-- The left column of one option in the usage text.
local function synopsis(spec)
  local names = {}
  if spec.short then names[#names + 1] = "-" .. spec.short end
  names[#names + 1] = "--" .. (spec.long or spec.name)
  for _, alias in ipairs(spec.aliases or {}) do names[#names + 1] = "--" .. alias end
  local text = table.concat(names, ", ")
  if spec.kind == "optional" then
    text = text .. "[=" .. (spec.metavar or "VALUE") .. "]"
  elseif spec.kind ~= "boolean" then
    text = text .. " " .. (spec.metavar or "VALUE")
  end
  return text
end

local HELP_COLUMN = 34

-- Splits text into lines of at most width characters, at spaces.
local function wrap(text, width)
  local lines, line = {}, ""
  for word in text:gmatch("%S+") do
    if line ~= "" and #line + 1 + #word > width then
      lines[#lines + 1] = line
      line = word
    else
      line = line == "" and word or (line .. " " .. word)
    end
  end
  lines[#lines + 1] = line
  return lines
end

-- args.usage(name) -> text
function M.usage(name)
  local command = M.COMMANDS[name]
  if not command then error("args.usage: unknown command " .. tostring(name), 2) end
  local lines = {
    ("a0lua %s [OPTIONS]"):format(name),
    "",
    command.summary,
    "",
    "options:",
  }
  for _, spec in ipairs(command.options) do
    local left = synopsis(spec)
    local help = wrap(spec.help, 100 - HELP_COLUMN)
    if #left > HELP_COLUMN - 4 then
      lines[#lines + 1] = "  " .. left
      table.insert(help, 1, "")
    end
    for i, text in ipairs(help) do
      if i == 1 and text ~= "" then
        lines[#lines + 1] = ("  %-" .. (HELP_COLUMN - 4) .. "s  %s"):format(left, text)
      elseif text ~= "" then
        lines[#lines + 1] = (" "):rep(HELP_COLUMN) .. text
      end
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Boolean options also take --x=false and --no-x; '-' and '_' are "
    .. "interchangeable in"
  lines[#lines + 1] = "long names. Config keys come from the config file (-c), the environment "
    .. "and these flags,"
  lines[#lines + 1] = "merged as a0deploy merges them (docs/compat.md)."
  return table.concat(lines, "\n") .. "\n"
end

return M
