-- a0lua.commands.run: finding recipes and the helpers recipes parse their words with (no
-- network).
local run = require("a0lua.commands.run")

describe("a0lua.commands.run", function()
  -- Under busted with lua5.4 that is ./recipes; run by the a0lua binary, its tree's recipes/.
  local dir = run.recipes_dir()

  describe("find", function()
    it("takes an existing file as it is and a name as a shipped recipe", function()
      assert.equal("recipes/drift.lua", run.find("recipes/drift.lua"))
      assert.equal(dir .. "/drift.lua", run.find("drift"))
      assert.equal(dir .. "/enable-obo.lua", run.find("enable-obo"))
    end)

    it("returns nil and a message for a name that is neither", function()
      local path, err = run.find("no-such-recipe")
      assert.is_nil(path)
      assert.matches("cannot open no%-such%-recipe", err)
      assert.is_nil(run.find("recipes"))
      assert.is_nil((run.find(nil)))
    end)
  end)

  describe("parse", function()
    local specs = run.options("config_file", "env", "handlers")
    specs[#specs + 1] = run.option("keep", "number")
    specs[#specs + 1] = run.option("yes", "boolean", { short = "y" })

    it("parses options and keeps the other words as positional", function()
      local parsed = run.parse({ "-c", "cfg.json", "First Client", "--keep", "3", "-y",
        "--handlers", "a", "--handlers", "b", "--", "--literal" }, specs, "usage")
      assert.equal("cfg.json", parsed.config_file)
      assert.equal(3, parsed.keep)
      assert.is_true(parsed.yes)
      assert.same({ "a", "b" }, parsed.handlers)
      assert.same({ "First Client", "--literal" }, parsed.positional)
    end)

    it("raises a usage error that shows the usage", function()
      assert.has_error(function() run.parse({ "--nope" }, specs, "a0lua run x") end,
        "unknown option --nope\nusage: a0lua run x")
      assert.has_error(function() run.parse({ "--keep", "zero" }, specs, "u") end,
        "--keep needs a positive whole number, not 'zero'\nusage: u")
    end)

    it("raises for an option name it does not share", function()
      assert.has_error(function() run.options("nothing") end,
        "run.options: no shared option nothing")
    end)
  end)

  describe("recipe", function()
    it("raises when the recipe does not exist", function()
      assert.has_error(function() run.recipe("no-such-recipe", {}) end,
        "run: cannot open no-such-recipe (no such file, and no recipe of that name in "
          .. dir .. ")")
    end)
  end)
end)
