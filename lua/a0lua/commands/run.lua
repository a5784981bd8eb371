--[[
a0lua.commands.run: finding and running recipes, Lua files that use the public API
(require("a0lua")). `a0lua run FILE [ARGS...]` (cli.lua) runs one; the commands import, deploy,
plan, validate and export run the shipped recipes recipes/import.lua and recipes/export.lua.

  local run = require("a0lua.commands.run")
  run.find(name) -> path | nil, err
      name as given when that file exists; else a shipped recipe: <recipes>/<name>.lua or
      <recipes>/<name> (so `a0lua run drift` runs recipes/drift.lua). <recipes> is the
      installed recipes folder (core.host's recipes_dir), or ./recipes.
  run.chunk(chunk, script_arg) -> status
      runs a loaded chunk the way lua.c runs a script: the global `arg` is script_arg, the
      arguments arg[1..n] are also passed as `...`; an integer returned is the exit status
      (recipes exit 2 on drift), anything else is 0. Recipes, `a0lua run` files and `-e` code
      are loaded with a0lua.script_env's globals (an undeclared global is an error).
  run.recipe(name, words [, fields]) -> status
      runs the shipped recipe `name` with arg = { [0] = its path, words..., fields... } (fields
      such as `command` tell a recipe which command runs it).
  run.recipes_dir() -> dir

Helpers for recipes that take command-line words like the commands do:
  run.option(name, kind [, extra]) -> spec      an a0lua.args option spec ("string", "boolean",
                                                "number", "list"; extra: short, metavar, help)
  run.options(names...) -> specs                the commands' shared options by name
                                                ("config_file", "env", "handlers", "hooks", ...)
  run.parse(words, specs, usage) -> parsed      a0lua.args.parse, plus words that are not
                                                options in parsed.positional; a usage error
                                                raises "<message>\nusage: <usage>"
  run.config(parsed [, values]) -> cfg, log     the config as `a0lua import` reads it (config
                                                file -c, environment unless --env=false, the
                                                flags; values: more keys, lowest precedence)
  run.command_config(name, words, mode)         the start of the import and export recipes: the
      -> cfg, log | nil                         words read as command `name` reads them, its
                                                usage printed for --help (then nil), the config
                                                loaded and checked (a0lua.config) for `mode`,
                                                the check's warnings logged

Errors: a recipe that cannot be found or does not compile raises "run: ..." (cli.lua prints it
and exits 1).
]]
local fs = require("a0lua.core.fs")

local M = {}

function M.recipes_dir()
  local ok, host = pcall(require, "a0lua.core.host")
  if ok and type(host) == "table" and host.recipes_dir then return host.recipes_dir end
  return "recipes"
end

local function is_file(path)
  local info = fs.stat(path)
  return info ~= nil and info.type == "file"
end

function M.find(name)
  if type(name) ~= "string" or name == "" then
    return nil, "run needs a FILE (usage: a0lua run FILE [ARGS...])"
  end
  if is_file(name) then return name end
  if not name:find("/", 1, true) then
    local dir = M.recipes_dir()
    for _, candidate in ipairs({ dir .. "/" .. name .. ".lua", dir .. "/" .. name }) do
      if is_file(candidate) then return candidate end
    end
  end
  return nil, ("cannot open %s (no such file, and no recipe of that name in %s)"):format(name,
    M.recipes_dir())
end

function M.chunk(chunk, script_arg)
  _G.arg = script_arg
  local status = chunk(table.unpack(script_arg, 1, #script_arg))
  if math.type(status) == "integer" then return status end
  return 0
end

function M.recipe(name, words, fields)
  local path, err = M.find(name)
  if not path then error("run: " .. err, 0) end
  local chunk, lerr = require("a0lua.script_env").loadfile(path)
  if not chunk then error("run: " .. tostring(lerr), 0) end
  local script_arg = { [0] = path }
  for i, w in ipairs(words or {}) do script_arg[i] = w end
  for k, v in pairs(fields or {}) do
    if type(k) == "string" then script_arg[k] = v end
  end
  return M.chunk(chunk, script_arg)
end

--------------------------------------------------------------------------------------------------
-- Helpers for recipes

function M.option(name, kind, extra)
  local spec = { name = name, kind = kind, help = "" }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

function M.options(...)
  local args = require("a0lua.args")
  local by_name = {}
  for _, spec in ipairs(args.COMMANDS.import.options) do by_name[spec.name] = spec end
  local out = {}
  for _, name in ipairs({ ... }) do
    local spec = by_name[name]
    if not spec then error("run.options: no shared option " .. tostring(name), 2) end
    out[#out + 1] = spec
  end
  return out
end

-- Words that are options (with their values) apart from the positional ones.
local function split_words(words, specs)
  local takes_value = {}
  for _, spec in ipairs(specs) do
    if spec.kind == "string" or spec.kind == "number" or spec.kind == "list" then
      takes_value["--" .. spec.name:gsub("_", "-")] = true
      takes_value["--" .. spec.name] = true
      if spec.long then takes_value["--" .. spec.long] = true end
      if spec.short then takes_value["-" .. spec.short] = true end
    end
  end
  local options, positional = {}, {}
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "--" then
      for j = i + 1, #words do positional[#positional + 1] = words[j] end
      break
    elseif w:sub(1, 1) == "-" and w ~= "-" then
      options[#options + 1] = w
      if takes_value[w] and words[i + 1] ~= nil then
        options[#options + 1] = words[i + 1]
        i = i + 1
      end
    else
      positional[#positional + 1] = w
    end
    i = i + 1
  end
  return options, positional
end

function M.parse(words, specs, usage)
  local args = require("a0lua.args")
  local options, positional = split_words(words or {}, specs)
  local parsed, err = args.parse(options, specs)
  if not parsed then error(("%s\nusage: %s"):format(tostring(err), usage or ""), 0) end
  parsed.positional = positional
  return parsed
end

function M.config(parsed, values)
  local config = require("a0lua.config")
  local log_mod = require("a0lua.log")
  local cfg, err = config.load{ args = parsed, env = config.environ(), values = values,
    command = "import" }
  if not cfg then error(err, 0) end
  return cfg, log_mod.from_config(cfg)
end

function M.command_config(name, words, mode)
  local args = require("a0lua.args")
  local config = require("a0lua.config")
  local log_mod = require("a0lua.log")
  local parsed, perr = args.parse_command(name, words)
  if not parsed then error(perr, 0) end
  if parsed.help then
    io.stdout:write(args.usage(name))
    return nil
  end
  local cfg, cerr = config.load{ args = parsed, env = config.environ(), command = mode }
  if not cfg then error(cerr, 0) end
  local log = log_mod.from_config(cfg)
  local ok, cwarn = config.check(cfg, mode)
  if not ok then error(cwarn, 0) end
  for _, w in ipairs(cwarn or {}) do log:warn(w) end
  return cfg, log
end

return M
