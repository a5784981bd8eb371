-- a0lua.cli: the command line. host/main.c calls main(argv) with argv[0] the program name.
--
-- Global options come before the command: --debug (tracebacks on errors). Each command is a
-- table { summary =, usage =, run = function(args) -> exit status }; later commands (import,
-- export, plan, emulate, repl) register the same way.
--
-- An error that reaches main() is printed once as "a0lua: <message>" and gives exit status 1.
-- Error tables print through their __tostring ("file:line:column: message").

local M = {}

local function host_info()
  local ok, host = pcall(require, "a0lua.core.host")
  if ok then return host end
  return { version = "dev", root = ".", handlers_dir = "handlers", recipes_dir = "recipes" }
end

-- Versions of the libraries behind the primitives, for `a0lua version --verbose` and bug reports.
local function library_versions()
  local parts = { _VERSION }
  for _, name in ipairs({ "http", "yaml", "schema", "repl" }) do
    local ok, mod = pcall(require, "a0lua.core." .. name)
    if ok and mod.version then parts[#parts + 1] = mod.version end
  end
  return table.concat(parts, ", ")
end

local commands = {}
local command_order = {}

-- Commands that live in their own module, loaded only when used, each
-- { name, module, summary }. The module returns { usage =, run = function(args, argv, first) }.
local LAZY_COMMANDS = {
  { "emulate", "a0lua.commands.emulate", "run a local, stateful Auth0 Management API" },
  { "import", "a0lua.commands.import", "deploy tenant.yaml or a directory (alias: deploy)" },
  { "export", "a0lua.commands.export", "write the tenant to files (alias: dump)" },
  { "plan", "a0lua.commands.plan", "show what an import would change (exit 2: changes)" },
  { "validate", "a0lua.commands.validate", "check files, schemas and references, no network" },
  { "repl", "a0lua.commands.repl", "a Lua prompt on the tenant (tenant.clients, api.get, plan)" },
}

-- Other names of commands (a0deploy's): they run the command, which sees the name it was given
-- as argv[first - 1].
local ALIASES = { deploy = "import", dump = "export" }

-- Registers a command; `spec` is { summary =, usage =, run = function(args, argv) }.
function M.command(name, spec)
  if not commands[name] then command_order[#command_order + 1] = name end
  commands[name] = spec
end

M.command("version", {
  summary = "print the version (--verbose: with the versions of Lua and the libraries)",
  usage = "a0lua version [--verbose]",
  run = function(args)
    local host = host_info()
    io.stdout:write("a0lua ", host.version, "\n")
    if args[1] == "--verbose" or args[1] == "-v" then
      io.stdout:write(library_versions(), "\n")
    end
    return 0
  end,
})

M.command("help", {
  summary = "list the commands, or show how to use one",
  usage = "a0lua help [COMMAND]",
  run = function(args)
    local name = args[1]
    if name then
      local spec = commands[ALIASES[name] or name]
      if not spec then error(("unknown command '%s' (see a0lua help)"):format(name), 0) end
      io.stdout:write("usage: ", spec.usage, "\n\n", spec.summary, "\n")
      return 0
    end
    local out = {
      "a0lua: Auth0 tenants as code, scripted in Lua.",
      "",
      "usage: a0lua [--debug] COMMAND [ARGS]",
      "       a0lua -e CODE",
      "",
      "commands:",
    }
    for _, command_name in ipairs(command_order) do
      out[#out + 1] = ("  %-10s %s"):format(command_name, commands[command_name].summary)
    end
    out[#out + 1] = ""
    out[#out + 1] = "--debug prints a traceback with errors. A0LUA_PATH is searched before the"
    out[#out + 1] = "built-in Lua modules."
    io.stdout:write(table.concat(out, "\n"), "\n")
    return 0
  end,
})

M.command("run", {
  summary = "run a Lua file or a shipped recipe (drift, backup, ...) with the a0lua API",
  usage = "a0lua run FILE|RECIPE [ARGS...]",
  run = function(args, argv, first)
    local run = require("a0lua.commands.run")
    local file, ferr = run.find(args[1])
    if not file then error(ferr, 0) end
    local chunk, err = require("a0lua.script_env").loadfile(file)
    if not chunk then error(err, 0) end
    -- Like lua.c: arg[0] is the script, positive indexes its arguments, negative ones what came
    -- before it on the command line.
    local script_arg = {}
    for i = 0, #argv do script_arg[i - first] = argv[i] end
    return run.chunk(chunk, script_arg)
  end,
})

-- The lazy commands come after the built-in ones in `a0lua help`.
for _, entry in ipairs(LAZY_COMMANDS) do
  M.command(entry[1], setmetatable({ summary = entry[3] }, {
    __index = function(spec, key)
      local loaded = require(entry[2])
      for k, v in pairs(loaded) do rawset(spec, k, v) end
      return rawget(spec, key)
    end,
  }))
end

local function exec_code(code)
  local chunk, err = require("a0lua.script_env").load(code, "=(command line)")
  if not chunk then error(err, 0) end
  return require("a0lua.commands.run").chunk(chunk, { [0] = "-e" })
end

-- Turns any error value into the one line printed after "a0lua: ".
local function message_of(err)
  if type(err) == "table" and getmetatable(err) and getmetatable(err).__tostring then
    return tostring(err)
  end
  if type(err) == "table" and err.message then return tostring(err.message) end
  return tostring(err)
end

-- The collector's pace: a new cycle once the heap is 1.1 times what the last one kept (Lua's
-- default: twice), at 4 times the default speed. Most of what a0lua allocates is the short-lived
-- garbage of decoding answers; with the default, an export of 5,000 resources peaked at 43 MB
-- RSS for 9 MB of live data, with this at 31 MB, for 0.4 s more CPU (validating that tenant:
-- 0.49 s instead of 0.39 s). (1.0 makes the collector run without pause: ten times slower.)
M.GC_PAUSE, M.GC_STEPMUL = 110, 400

-- main(argv) -> exit status. argv[0] is the program; the rest are the command line.
function M.main(argv)
  collectgarbage("incremental", M.GC_PAUSE, M.GC_STEPMUL)
  local with_traceback = false
  local i = 1
  while argv[i] == "--debug" do
    with_traceback = true
    i = i + 1
  end
  local name = argv[i]
  local handler = function(err)
    if with_traceback then return debug.traceback(message_of(err), 2) end
    return message_of(err)
  end
  local ok, status = xpcall(function()
    if name == nil then return commands.help.run({}) end
    if name == "-e" then
      if not argv[i + 1] then error("-e needs CODE", 0) end
      return exec_code(argv[i + 1])
    end
    if name == "--version" then name = "version" end
    if name == "--help" or name == "-h" then name = "help" end
    local spec = commands[ALIASES[name] or name]
    if not spec then error(("unknown command '%s' (see a0lua help)"):format(name), 0) end
    local args = table.move(argv, i + 1, #argv, 1, {})
    return spec.run(args, argv, i + 1)
  end, handler)
  io.stdout:flush()
  if not ok then
    io.stderr:write("a0lua: ", require("a0lua.log").printable(status, true), "\n")
    return 1
  end
  return status or 0
end

return M
