-- scripts/function-length.lua (make lint): every Lua function over the limit named by
-- file:line, the generated route table left out, exit status 1 when there is any.
local run = require("helpers.run")

local SCRIPT = "scripts/function-length.lua"

-- A Lua function `name` of exactly `lines` lines, from `local function` to `end`.
local function function_text(name, lines)
  local body = {}
  for i = 1, lines - 2 do body[#body + 1] = ("  local v%d = %d"):format(i, i) end
  return ("local function %s()\n%s\nend\n"):format(name, table.concat(body, "\n"))
end

local function write(path, text)
  os.execute("mkdir -p " .. run.quote(path:match("^(.*)/")))
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

describe("scripts/function-length.lua", function()
  local dir

  before_each(function() dir = run.temp_dir() end)
  after_each(function() run.remove_tree(dir) end)

  it("names each function over the limit by file and first line, and exits 1", function()
    -- line 1: a short function; line 4: one of 121 lines; after it, one of exactly 120
    write(dir .. "/lua/long.lua", function_text("short", 3) .. function_text("long", 121)
      .. function_text("limit", 120) .. "return short, long, limit\n")
    write(dir .. "/recipes/fine.lua", function_text("fine", 40) .. "return fine\n")
    local status, out = run.run({ "lua5.4", SCRIPT, dir .. "/lua", dir .. "/recipes" })
    assert.equal(1, status)
    assert.equal(dir .. "/lua/long.lua:4: function of 121 lines (lines 4-124), more than the "
      .. "120 allowed\n", out)
  end)

  it("counts a nested function on its own, and takes --max", function()
    write(dir .. "/lua/nested.lua", "local function outer()\n" .. function_text("inner", 10)
      .. "  return inner\nend\nreturn outer\n")
    local status, out = run.run({ "lua5.4", SCRIPT, "--max", "10", dir .. "/lua" })
    assert.equal(1, status)
    assert.equal(dir .. "/lua/nested.lua:1: function of 13 lines (lines 1-13), more than the "
      .. "10 allowed\n", out)
  end)

  it("leaves the generated route table out, and exits 0 when nothing is too long", function()
    write(dir .. "/lua/a0lua/emulator/routes.lua", function_text("routes", 500)
      .. "return routes\n")
    local status, out = run.run({ "lua5.4", SCRIPT, dir .. "/lua" })
    assert.equal(0, status)
    assert.equal("", out)
  end)

  it("exits 2 naming a file luac cannot read", function()
    write(dir .. "/lua/broken.lua", "local function (\n")
    local status, _, err = run.run({ "lua5.4", SCRIPT, dir .. "/lua" })
    assert.equal(2, status)
    assert.truthy(err:find(dir .. "/lua/broken.lua", 1, true))
  end)
end)
