-- The a0lua binary and a0lua.cli: commands, arguments, errors, search paths, installation.
local helper = require("helpers.run")

local BIN = "build/a0lua"

local function a0lua(args, opts)
  local argv = { BIN }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return helper.run(argv, opts)
end

describe("a0lua binary", function()
  local dir

  setup(function() dir = helper.temp_dir() end)
  teardown(function() helper.remove_tree(dir) end)

  describe("version", function()
    it("prints the version and exits 0", function()
      local status, out, err = a0lua({ "version" })
      assert.are.equal(0, status)
      assert.matches("^a0lua %d+%.%d+%.%d+\n$", out)
      assert.are.equal("", err)
    end)

    it("names Lua and the libraries with --verbose", function()
      local status, out = a0lua({ "version", "--verbose" })
      assert.are.equal(0, status)
      assert.matches("Lua 5%.4", out)
      assert.matches("libcurl", out)
      assert.matches("libyaml", out)
      assert.matches("PCRE2", out)
    end)

    it("answers --version like version", function()
      local _, out = a0lua({ "--version" })
      local _, expected = a0lua({ "version" })
      assert.are.equal(expected, out)
    end)
  end)

  describe("help", function()
    it("lists every command with its summary", function()
      local status, out = a0lua({ "help" })
      assert.are.equal(0, status)
      for _, name in ipairs({ "version", "help", "run" }) do
        assert.matches("\n  " .. name .. " +%S", out)
      end
    end)

    it("shows the usage of one command", function()
      local status, out = a0lua({ "help", "run" })
      assert.are.equal(0, status)
      assert.matches("^usage: a0lua run FILE", out)
    end)

    it("prints help when no command is given", function()
      local status, out = a0lua({})
      assert.are.equal(0, status)
      assert.matches("usage: a0lua", out)
    end)
  end)

  describe("run", function()
    it("runs a Lua file with arg and ... set to its arguments", function()
      local script = dir .. "/args.lua"
      helper.write_file(script, [[
        local n = select("#", ...)
        print(arg[0], arg[1], arg[2], #arg, n, arg[-1])
      ]])
      local status, out = a0lua({ "run", script, "one", "two words" })
      assert.are.equal(0, status)
      assert.are.equal(script .. "\tone\ttwo words\t2\t2\trun\n", out)
    end)

    it("finds the core primitives and the in-tree Lua modules", function()
      local script = dir .. "/modules.lua"
      helper.write_file(script, [[
        local json = require("a0lua.core.json")
        local cli = require("a0lua.cli")
        print(json.encode(json.decode('{"a":[]}')), type(cli.main))
      ]])
      local status, out, err = a0lua({ "run", script })
      assert.are.equal("", err)
      assert.are.equal(0, status)
      assert.are.equal('{"a":[]}\tfunction\n', out)
    end)

    it("exits with the integer the file returns", function()
      local script = dir .. "/exit2.lua"
      helper.write_file(script, "return 2\n")
      assert.are.equal(2, (a0lua({ "run", script })))
    end)

    it("prints a missing file once and exits 1", function()
      local status, out, err = a0lua({ "run", dir .. "/missing.lua" })
      assert.are.equal(1, status)
      assert.are.equal("", out)
      assert.matches("^a0lua: cannot open .*missing%.lua", err)
      assert.are.equal(1, select(2, err:gsub("\n", "")))
    end)

    it("needs a file", function()
      local status, _, err = a0lua({ "run" })
      assert.are.equal(1, status)
      assert.matches("^a0lua: run needs a FILE", err)
    end)
  end)

  describe("-e", function()
    it("runs the code", function()
      local status, out = a0lua({ "-e", "print(1 + 1)" })
      assert.are.equal(0, status)
      assert.are.equal("2\n", out)
    end)

    it("reports a syntax error once with exit 1", function()
      local status, _, err = a0lua({ "-e", "print(" })
      assert.are.equal(1, status)
      assert.matches("^a0lua: %(command line%):1:", err)
    end)
  end)

  describe("errors", function()
    it("prints an error once, without a traceback", function()
      local status, _, err = a0lua({ "-e", "error('boom')" })
      assert.are.equal(1, status)
      assert.are.equal("a0lua: (command line):1: boom\n", err)
    end)

    it("prints error tables through their __tostring", function()
      local status, _, err = a0lua({ "-e", [[
        local json = require("a0lua.core.json")
        assert(json.decode("[1,"))
      ]] })
      assert.are.equal(1, status)
      assert.matches("^a0lua: 1:%d+: ", err)
    end)

    it("adds a traceback with --debug", function()
      local status, _, err = a0lua({ "--debug", "-e", "error('boom')" })
      assert.are.equal(1, status)
      assert.matches("^a0lua: %(command line%):1: boom\nstack traceback:", err)
    end)

    it("names an unknown command", function()
      local status, _, err = a0lua({ "frobnicate" })
      assert.are.equal(1, status)
      assert.are.equal("a0lua: unknown command 'frobnicate' (see a0lua help)\n", err)
    end)
  end)

  describe("search paths", function()
    it("puts A0LUA_PATH before the built-in modules", function()
      helper.run({ "mkdir", "-p", dir .. "/override/a0lua" })
      helper.write_file(dir .. "/override/a0lua/extra.lua", "return { answer = 42 }\n")
      local status, out = a0lua({ "-e", "print(require('a0lua.extra').answer)" },
        { env = { A0LUA_PATH = dir .. "/override/?.lua" } })
      assert.are.equal(0, status)
      assert.are.equal("42\n", out)
    end)

    it("reports the tree it runs from", function()
      local _, out = a0lua({ "-e", "print(require('a0lua.core.host').root)" })
      local p = io.popen("pwd -P")
      local cwd = p:read("l")
      p:close()
      assert.are.equal(cwd .. "\n", out)
    end)
  end)

  describe("make install", function()
    it("installs a binary that runs from its own copies of the Lua tree", function()
      local stage = dir .. "/stage"
      local status, out = helper.run({ "make", "--no-print-directory", "-s", "install",
        "DESTDIR=" .. stage, "PREFIX=/opt/a0lua" })
      assert.are.equal(0, status, out)
      local bin = stage .. "/opt/a0lua/bin/a0lua"
      local ran, printed = helper.run({ bin, "-e", [[
        print(require('a0lua.core.host').root, package.searchpath('a0lua.cli', package.path),
          package.searchpath('a0lua.core.http', package.cpath), require('a0lua.core.http').version)
      ]] })
      assert.are.equal(0, ran)
      local root = stage .. "/opt/a0lua/share/a0lua"
      local lib = stage .. "/opt/a0lua/lib/a0lua/a0lua/core/http.so"
      assert.matches("^" .. root:gsub("%p", "%%%0") .. "\t" .. root:gsub("%p", "%%%0")
        .. "/lua/a0lua/cli%.lua\t" .. lib:gsub("%p", "%%%0") .. "\tlibcurl", printed)
      for _, name in ipairs({ "json", "yaml", "schema", "http", "fs", "repl" }) do
        local f = io.open(stage .. "/opt/a0lua/lib/a0lua/a0lua/core/" .. name .. ".so")
        assert.is_not_nil(f, name .. ".so installed")
        f:close()
      end
      status = helper.run({ "make", "--no-print-directory", "-s", "uninstall",
        "DESTDIR=" .. stage, "PREFIX=/opt/a0lua" })
      assert.are.equal(0, status)
      assert.is_nil(io.open(bin))
    end)
  end)
end)
