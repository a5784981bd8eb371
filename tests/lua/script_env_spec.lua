-- a0lua.script_env: the globals of recipes, `a0lua run` files, -e code and hooks files.
local helper = require("helpers.run")
local script_env = require("a0lua.script_env")

local function a0lua(args)
  local argv = { "build/a0lua" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return helper.run(argv)
end

describe("a0lua.script_env", function()
  local dir
  setup(function() dir = helper.temp_dir() end)
  teardown(function() helper.remove_tree(dir) end)

  local function write(name, text)
    local path = dir .. "/" .. name
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    return path
  end

  it("reads the standard library and top-level globals, and keeps them out of _G", function()
    local chunk, env = script_env.load(
      "helper_total = 0\nfunction add(n) helper_total = helper_total + n end\nadd(2)\n"
        .. "return string.rep('x', helper_total)", "=t")
    assert.are.equal("xx", chunk())
    assert.are.equal(2, env.helper_total)
    assert.is_nil(rawget(_G, "helper_total"))
    assert.is_nil(rawget(_G, "add"))
  end)

  it("refuses a read of an undeclared global, naming the file and line", function()
    local path = write("typo.lua", "local count = 1\n\nprint(cuont)\n")
    local chunk = assert(script_env.loadfile(path))
    local ok, err = pcall(chunk)
    assert.is_false(ok)
    assert.are.equal(path .. ":3: undeclared global 'cuont'", err)
  end)

  it("refuses an assignment to an undeclared global inside a function", function()
    local chunk = assert(script_env.load(
      "local function f()\n  local total = 0\n  totl = total + 1\nend\nf()\n", "=hook.lua"))
    local ok, err = pcall(chunk)
    assert.is_false(ok)
    assert.matches("^hook%.lua:3: assignment to undeclared global 'totl'", err)
  end)

  it("lets a function set a global the file declared, also to nil and back", function()
    local chunk = assert(script_env.load(
      "seen = nil\nlocal function mark(v) seen = v end\nmark(1)\nmark(nil)\n"
        .. "assert(seen == nil)\nmark(3)\nreturn seen", "=t"))
    assert.are.equal(3, chunk())
  end)

  it("gives two chunks their own globals", function()
    local a = assert(script_env.load("shared_name = 'a'", "=a"))
    local b = assert(script_env.load("return shared_name", "=b"))
    a()
    local ok, err = pcall(b)
    assert.is_false(ok)
    assert.matches("undeclared global 'shared_name'", err)
  end)

  it("guards `a0lua run FILE`: exit 1, the file and line of the typo", function()
    local path = write("recipe.lua", "local a0lua = require 'a0lua'\nreturn a0lau.version\n")
    local status, out, err = a0lua({ "run", path })
    assert.are.equal(1, status)
    assert.are.equal("", out)
    assert.matches(path:gsub("%p", "%%%0") .. ":2: undeclared global 'a0lau'", err)
  end)

  it("guards -e code", function()
    local status, _, err = a0lua({ "-e", "print(undefined_thing)" })
    assert.are.equal(1, status)
    assert.matches("%(command line%):1: undeclared global 'undefined_thing'", err)
  end)

  it("guards a hooks file: a typo is a hook_load error at its line", function()
    local hooks = require("a0lua.hooks")
    local path = write("hooks.lua", "local n = 0\nreturn { load = function(d) return d end, "
      .. "before = nn }\n")
    local registry, err = hooks.load(path)
    assert.is_nil(registry)
    assert.are.equal("hook_load", err.code)
    assert.are.equal(2, err.line)
    assert.matches("undeclared global 'nn'", err.message)
  end)
end)
