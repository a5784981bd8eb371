-- The layers of the code and which may require which (docs/architecture.md §2.1): every
-- `require("a0lua...")` in lua/, handlers/ and recipes/ is read and checked against the table.
local fs = require("a0lua.core.fs")

-- The layer of a module name.
local BASE = { ["a0lua.errors"] = true, ["a0lua.util"] = true, ["a0lua.secrets"] = true,
  ["a0lua.domain"] = true }
-- The part of the emulator wing that is the Management API's request schemas: the generated
-- tables, their router and the validator that answers as the API does.
local API_SCHEMAS = { ["a0lua.emulator.routes"] = true, ["a0lua.emulator.router"] = true,
  ["a0lua.emulator.validate"] = true }
local SURFACE = { ["a0lua"] = true, ["a0lua.repl"] = true }

local function layer_of_module(name)
  if name:match("^a0lua%.core%.") then return "core" end
  if API_SCHEMAS[name] then return "api_schemas" end
  if name == "a0lua.emulator" or name:match("^a0lua%.emulator%.") then return "emulator" end
  -- the fleet's modules serve recipes/fleet.lua and fleet-report.lua: they stand with them
  if name == "a0lua.cli" or name:match("^a0lua%.commands%.") or name:match("^a0lua%.fleet%.") then
    return "commands"
  end
  if SURFACE[name] then return "surface" end
  if BASE[name] then return "base" end
  return "engine"
end

-- The layer of a file: its module's, or handlers / recipes (loaded by path, never required).
local function layer_of_file(path)
  if path:match("^handlers/") then return "handlers" end
  if path:match("^recipes/") then return "commands" end
  local name = path:gsub("^lua/", ""):gsub("/init%.lua$", ""):gsub("%.lua$", ""):gsub("/", ".")
  return layer_of_module(name)
end

-- What each layer may require. The C primitives (core) require no Lua.
local MAY = {
  base = { core = true, base = true },
  engine = { core = true, base = true, engine = true, api_schemas = true },
  handlers = { core = true, base = true, engine = true, api_schemas = true },
  surface = { core = true, base = true, engine = true, surface = true },
  commands = { core = true, base = true, engine = true, surface = true, commands = true,
    api_schemas = true, emulator = true },
  emulator = { core = true, base = true, api_schemas = true, emulator = true },
  api_schemas = { core = true, api_schemas = true },
}

local function lua_files(dir, out)
  for _, name in ipairs(fs.list(dir) or {}) do
    local path = dir .. "/" .. name
    local info = fs.stat(path)
    if info and info.type == "directory" then
      lua_files(path, out)
    elseif name:match("%.lua$") then
      out[#out + 1] = path
    end
  end
  return out
end

-- The module names a Lua source requires, comments left out (require("x"), require("x"),
-- pcall(require, "x")).
local function requires_of(text)
  text = text:gsub("%-%-%[(=*)%[.-%]%1%]", "")
  local names = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do
    local code = line:gsub("%-%-.*$", "")
    for name in code:gmatch("require%s*%(?%s*[\"'](a0lua[%w_.]*)[\"']") do
      names[#names + 1] = name
    end
    for name in code:gmatch("pcall%(%s*require%s*,%s*[\"'](a0lua[%w_.]*)[\"']") do
      names[#names + 1] = name
    end
  end
  return names
end

describe("the layers", function()
  it("reads requires and names layers as the table says", function()
    assert.same({ "a0lua.util", "a0lua.core.json", "a0lua.tasks" }, requires_of(
      'local util = require("a0lua.util")\n-- require("a0lua.cli")\n--[[ require("a0lua.repl") ]]\n'
      .. 'local json = require("a0lua.core.json")\nlocal ok = pcall(require, "a0lua.tasks")\n'))
    assert.equal("engine", layer_of_file("lua/a0lua/format/yaml.lua"))
    assert.equal("surface", layer_of_file("lua/a0lua/init.lua"))
    assert.equal("emulator", layer_of_file("lua/a0lua/emulator/init.lua"))
    assert.equal("api_schemas", layer_of_file("lua/a0lua/emulator/routes.lua"))
    assert.equal("commands", layer_of_file("lua/a0lua/commands/emulate.lua"))
    assert.equal("commands", layer_of_file("recipes/drift.lua"))
    assert.equal("handlers", layer_of_file("handlers/clients.lua"))
    assert.equal("base", layer_of_file("lua/a0lua/errors.lua"))
    assert.is_nil(MAY.engine.emulator)
    assert.is_nil(MAY.handlers.commands)
  end)

  it("holds: no module requires a layer it may not", function()
    local files = {}
    for _, dir in ipairs({ "lua", "handlers", "recipes" }) do lua_files(dir, files) end
    table.sort(files)
    assert.is_true(#files > 100)
    local offenders = {}
    for _, path in ipairs(files) do
      local from = layer_of_file(path)
      local text = assert(fs.read(path))
      for _, name in ipairs(requires_of(text)) do
        local to = layer_of_module(name)
        if not MAY[from][to] then
          offenders[#offenders + 1] = ("%s (%s) requires %s (%s)"):format(path, from, name, to)
        end
      end
    end
    assert.same({}, offenders)
  end)
end)
