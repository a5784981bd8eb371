-- bench/primitives.lua: the C primitives against the Lua libraries people would use instead.
--
--   lua5.4 bench/primitives.lua [SIZE_MB] [ROUNDS]      (make bench)
--
-- Generates one tenant-like document (bench/tenant_doc.lua) as JSON and YAML, then times, each side
-- in its own process so neither warms the other's allocator:
--   json decode and encode: a0lua.core.json against Debian's lua-cjson;
--   yaml decode:            a0lua.core.yaml (with positions) against Debian's lyaml.
-- Each figure is the best of ROUNDS runs. Prints a table and the ratios.

local size_mb = tonumber(arg[1]) or 5
local rounds = tonumber(arg[2]) or 5

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function run(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local ok, _, code = p:close()
  if not ok then error(("benchmark step failed (exit %s): %s\n%s"):format(code, cmd, out), 0) end
  return out
end

local dir = os.getenv("BENCH_DIR") or "build/bench"
run("mkdir -p " .. shell_quote(dir))
local prefix = dir .. "/tenant-doc"
run(("lua5.4 bench/tenant_doc.lua %s %s"):format(shell_quote(prefix), size_mb))

-- The a0lua side loads the freshly built primitives from build/lib.
local env = "LUA_CPATH_5_4='build/lib/?.so;;' LUA_PATH_5_4='lua/?.lua;lua/?/init.lua;;' "

local function best_time(script, ...)
  local args = { ... }
  for i, a in ipairs(args) do args[i] = shell_quote(tostring(a)) end
  local out = run(env .. "lua5.4 " .. script .. " " .. table.concat(args, " "))
  return assert(tonumber(out:match("([%d%.e%-]+)%s*$")), "no time in: " .. out)
end

local function file_size(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

local json_file, yaml_file = prefix .. ".json", prefix .. ".yaml"
local rows = {
  { what = "json decode", file = json_file,
    ours = best_time("bench/json_bench.lua", "decode", "a0lua", json_file, rounds),
    peer_name = "lua-cjson",
    peer = best_time("bench/json_bench.lua", "decode", "cjson", json_file, rounds) },
  { what = "json encode", file = json_file,
    ours = best_time("bench/json_bench.lua", "encode", "a0lua", json_file, rounds),
    peer_name = "lua-cjson",
    peer = best_time("bench/json_bench.lua", "encode", "cjson", json_file, rounds) },
  { what = "yaml decode", file = yaml_file,
    ours = best_time("bench/yaml_bench.lua", "a0lua", yaml_file, rounds),
    peer_name = "lyaml",
    peer = best_time("bench/yaml_bench.lua", "lyaml", yaml_file, rounds) },
}

print(("%-12s %9s %10s %-10s %10s %14s"):format("benchmark", "size", "a0lua", "peer", "peer time",
  "a0lua / peer"))
for _, r in ipairs(rows) do
  print(("%-12s %8.1fM %9.1fms %-10s %8.1fms %14.2f"):format(r.what, file_size(r.file) / 2 ^ 20,
    r.ours * 1000, r.peer_name, r.peer * 1000, r.ours / r.peer))
end
print()
print(("json decode: a0lua takes %.2fx the time of lua-cjson (aim: <= 1.00)")
  :format(rows[1].ours / rows[1].peer))
print(("yaml decode: a0lua is %.1fx faster than lyaml (aim: >= 2.0)")
  :format(rows[3].peer / rows[3].ours))
