-- bench/yaml_bench.lua: the best time of ROUNDS decodes of one YAML file by one library.
--
--   lua5.4 bench/yaml_bench.lua <a0lua|lyaml> FILE ROUNDS     -> prints seconds on one line
--
-- a0lua is a0lua.core.yaml with positions on (what format/yaml.lua uses); lyaml is Debian's
-- lua-yaml (`lyaml.load`). Run each side in its own process (bench/primitives.lua does).

local which, file, rounds = arg[1], arg[2], tonumber(arg[3] or "5")
if (which ~= "a0lua" and which ~= "lyaml") or not file or not rounds then
  io.stderr:write("usage: lua5.4 bench/yaml_bench.lua <a0lua|lyaml> FILE ROUNDS\n")
  os.exit(2)
end

local f = assert(io.open(file, "rb"))
local text = f:read("a")
f:close()

local decode
if which == "a0lua" then
  local yaml = require("a0lua.core.yaml")
  decode = function(s)
    local value, positions = yaml.decode(s)
    assert(value ~= nil and positions ~= nil, positions)
    return value
  end
else
  local lyaml = require("lyaml")
  decode = function(s) return assert(lyaml.load(s)) end
end

local best = math.huge
for _ = 1, rounds do
  collectgarbage("collect")
  local t0 = os.clock()
  decode(text)
  local dt = os.clock() - t0
  if dt < best then best = dt end
end
print(("%.6f"):format(best))
