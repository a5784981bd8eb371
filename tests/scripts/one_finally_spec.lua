-- scripts/one-finally.lua (make lint): a spec block that gives busted's finally more than one
-- function (only the last would run) is named by file:line; exit status 1 when there is any.
local run = require("helpers.run")

local SCRIPT = "scripts/one-finally.lua"

-- The fixture's lines, with "FIN(" for the call (so that this file passes the check itself).
local function spec_text(lines)
  return (table.concat(lines, "\n"):gsub("FIN%(", "fin" .. "ally(")) .. "\n"
end

describe("scripts/one-finally.lua", function()
  local dir

  before_each(function() dir = run.temp_dir() end)
  after_each(function() run.remove_tree(dir) end)

  it("names a block with two calls of finally, and exits 1", function()
    run.write_file(dir .. "/x_spec.lua", spec_text({
      'describe("x", function()',                     -- 1
      '  it("one cleanup", function()',               -- 2
      '    FIN(function() end)',                  -- 3
      '  end)',                                       -- 4
      '  it("two cleanups", function()',              -- 5
      '    FIN(function() end)',                  -- 6
      '    -- FIN(function() end) in a comment',  -- 7
      '    FIN(function() end)',                  -- 8
      '  end)',                                       -- 9
      '  before_each(function()',                     -- 10
      '    FIN(function() end)',                  -- 11
      '  end)',                                       -- 12
      'end)',
    }))
    run.write_file(dir .. "/helper.lua", spec_text({ "FIN(a)", "FIN(b)" })) -- not a spec file
    local status, out = run.run({ "lua5.4", SCRIPT, dir })
    assert.equals(1, status)
    assert.equals(dir .. "/x_spec.lua:5: 2 calls of finally in one block (lines 6, 8): busted "
      .. "runs only the last\n", out)
  end)

  it("exits 0 when every block gives at most one", function()
    run.write_file(dir .. "/y_spec.lua", spec_text({ 'it("a", function()', "  FIN(function() end)",
      "end)" }))
    local status, out = run.run({ "lua5.4", SCRIPT, dir })
    assert.equals(0, status)
    assert.equals("", out)
  end)
end)
