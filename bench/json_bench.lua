-- bench/json_bench.lua: times one JSON library on one file, for bench/primitives.lua.
--
--   lua5.4 bench/json_bench.lua <decode|encode> <a0lua|cjson> FILE ROUNDS
--
-- Prints the best time in seconds (CPU time, os.clock) of ROUNDS runs on one line. decode times
-- decoding the file's text; encode decodes it once with the same library, then times encoding the
-- result (a0lua sorts object keys, cjson does not). A full garbage collection runs before each
-- round, so each round starts from the same heap. Run one side per process; the a0lua side needs
-- build/lib on the C path (primitives.lua sets LUA_CPATH_5_4; this script also adds it).

local op, lib, file, rounds = arg[1], arg[2], arg[3], tonumber(arg[4] or "5")
local usage = "usage: json_bench.lua <decode|encode> <a0lua|cjson> FILE ROUNDS"
assert(op == "decode" or op == "encode", usage)
assert(lib == "a0lua" or lib == "cjson", usage)
assert(file and rounds and rounds >= 1, usage)

local json
if lib == "a0lua" then
  local here = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
  package.cpath = here .. "/build/lib/?.so;" .. package.cpath
  json = require("a0lua.core.json")
else
  json = require("cjson")
  -- cjson refuses deep documents and sparse arrays by default; the tenant document has neither.
end

local f = assert(io.open(file, "rb"))
local text = f:read("a")
f:close()

local run
if op == "decode" then
  run = function() return json.decode(text) end
else
  local value = assert(json.decode(text))
  run = function() return json.encode(value) end
end

assert(run(), "the first run failed")
local best = math.huge
for _ = 1, rounds do
  collectgarbage("collect")
  local start = os.clock()
  run()
  local elapsed = os.clock() - start
  if elapsed < best then best = elapsed end
end
print(("%.6f"):format(best))
