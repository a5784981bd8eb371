--[[
bench/fleet_report.lua: the table of the fleet benchmark (bench/fleet.sh), and its JSON.

  a0lua run bench/fleet_report.lua --runs RUNS_JSONL --json OUT [--seconds S] [--latency L]
      [--size N] [--shards S] [--cores N] [--parallel P]
  a0lua run bench/fleet_report.lua --totals        stdin: GET /__emulator/fleet's answer;
                                                   prints "REQUESTS,429S,CONNECTIONS"
  a0lua run bench/fleet_report.lua --pick K FILE   the one-tenant fleet file of FILE's tenant K

RUNS_JSONL has one line per run: {limits, mode = "one" | "shards" | "single", step = "import" |
"reimport", tenants, wall_ns, before, after ("REQUESTS,429S,CONNECTIONS" of the emulator around
the run; an older "REQUESTS,429S" has no connections),
status (the exit status; 0 is success), rss_kb = [the peak RSS of each a0lua process], cpu_s =
[the CPU seconds of each], emulator_cpu_s = the emulator's CPU seconds during the run}.

Per plan of limits and step, three rows: the whole fleet in one process, the fleet as shards
(processes at once), and the slowest of the tenants run alone. Each gives the wall time, its
ratio to that slowest single tenant's (the issue's goal: the fleet's re-import within 1.5x), the
peak RSS (the sum of the processes' peaks for the shards) and that peak per tenant, the CPU
seconds of a0lua (summed over the shards) and of the emulator, the CPU floor and the wall time's
ratio to it, and the requests (in all and per tenant), 429s and connections accepted the emulator
counted.

The CPU floor is the least wall time the run's CPU seconds allow on this machine: the larger of
the busiest process's CPU (one process, an a0lua or the emulator, uses one core at a time) and
all the CPU (a0lua's and the emulator's) divided by the cores (--cores, from nproc). A wall time
near its floor rides the machine's bound; well above it, the run waits on something else (the
rate limits, the latency, its own pacing). Prints the table (Markdown); writes OUT.

As a module: M.build(runs [, opts]) -> rows (opts.cores: the floor's cores),
M.cpu_floor(cpu_s, emulator_cpu_s, cores) -> seconds, bound, M.render(rows, opts) -> text.
]]
local json = require("a0lua.core.json")

local M = {}

local function bench_dir()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  return src:match("^(.*)/[^/]*$") or "."
end

local report
local function fmt_s(v)
  report = report or dofile(bench_dir() .. "/deploy_report.lua")
  return report.fmt_s(v)
end

M.STEP_NAMES = { import = "import into empty tenants", reimport = "same import again (no change)" }
M.GOAL = 1.5

local function counts(s)
  local r, l, c = tostring(s or ""):match("^(%d+),(%d+),?(%d*)$")
  return tonumber(r), tonumber(l), tonumber(c)
end

local function summed(list)
  local n = 0
  for _, v in ipairs(list or {}) do n = n + (tonumber(v) or 0) end
  return n
end

-- cpu_s: the CPU seconds of each a0lua process. -> the floor, and what sets it: "a0lua" or
-- "emulator" (its busiest process) or "cores" (all the CPU over the cores); nil without cores.
function M.cpu_floor(cpu_s, emulator_cpu_s, cores)
  cores = tonumber(cores)
  if not cores or cores < 1 or not cpu_s then return nil end
  local busiest, bound = 0, "a0lua"
  for _, v in ipairs(cpu_s) do busiest = math.max(busiest, tonumber(v) or 0) end
  local emu = tonumber(emulator_cpu_s) or 0
  if emu > busiest then busiest, bound = emu, "emulator" end
  local spread = (summed(cpu_s) + emu) / cores
  if spread > busiest then return spread, "cores" end
  return busiest, bound
end

local function row_of(run, label, cores)
  local r0, l0, c0 = counts(run.before)
  local r1, l1, c1 = counts(run.after)
  local peak = summed(run.rss_kb)
  local tenants = math.max(run.tenants, 1)
  local seconds = run.wall_ns / 1e9
  local floor_s, bound = M.cpu_floor(run.cpu_s, run.emulator_cpu_s, cores)
  local requests = r0 and r1 and (r1 - r0) or nil
  return {
    limits = run.limits, mode = run.mode, step = run.step, tenants = run.tenants, run = label,
    seconds = seconds, ok = run.status == 0, peak_kb = peak,
    peak_per_tenant_kb = peak / tenants, processes = #(run.rss_kb or {}),
    cpu_s = run.cpu_s and summed(run.cpu_s) or nil, emulator_cpu_s = run.emulator_cpu_s,
    cpu_floor_s = floor_s, cpu_bound = bound,
    vs_cpu_floor = floor_s and floor_s > 0 and seconds / floor_s or nil,
    requests = requests, requests_per_tenant = requests and requests / tenants,
    rate_limited = l0 and l1 and (l1 - l0) or nil,
    connections = c0 and c1 and (c1 - c0) or nil,
  }
end

-- runs -> rows: per limits (in the order met) and step, one, shards, then the slowest single.
function M.build(runs, opts)
  local cores = opts and opts.cores
  local order, by = {}, {}
  for _, run in ipairs(runs) do
    local key = run.limits .. " " .. run.step
    if not by[key] then
      by[key] = { limits = run.limits, step = run.step }
      order[#order + 1] = key
    end
    local g = by[key]
    if run.mode == "single" then
      if not g.single or run.wall_ns > g.single.wall_ns then g.single = run end
      g.singles = (g.singles or 0) + 1
    else
      g[run.mode] = run
    end
  end
  local rows = {}
  for _, key in ipairs(order) do
    local g = by[key]
    local base = g.single and g.single.wall_ns / 1e9
    for _, mode in ipairs({ "one", "shards", "single" }) do
      local run = g[mode]
      if run then
        local label = mode == "one" and ("%d tenants, one process"):format(run.tenants)
          or mode == "shards" and ("%d tenants, %d shards"):format(run.tenants, #run.rss_kb)
          or ("slowest of %d tenants alone"):format(g.singles)
        local row = row_of(run, label, cores)
        row.ratio = base and base > 0 and row.seconds / base or nil
        rows[#rows + 1] = row
      end
    end
  end
  return rows
end

local function mb(kb)
  if not kb or kb == 0 then return "–" end
  if kb >= 10240 then return ("%.0f MB"):format(kb / 1024) end
  return ("%.1f MB"):format(kb / 1024)
end

local function ratio(v)
  return v and ("%.2f×"):format(v) or "–"
end

local function per_tenant(v)
  if not v then return "–" end
  return v == math.floor(v) and ("%d"):format(v) or ("%.1f"):format(v)
end

local function floor_cell(r)
  if not r.cpu_floor_s then return "–" end
  return ("%s (%s)"):format(fmt_s(r.cpu_floor_s), r.cpu_bound)
end

local function header(opts)
  return ("Fleet benchmark, %s: %s resources per tenant, `a0lua emulate --tenants N --latency %s`"
    .. ", `a0lua run fleet --parallel %s`; every step starts with full rate-limit buckets (POST "
    .. "/__emulator/fleet/refill before each step on tenants an earlier step used)\n\n"):format(
      opts.date or "", opts.size or "?", opts.latency or "?", opts.parallel or "?")
end

function M.render(rows, opts)
  local out = {
    header(opts),
    "| limits | step | run | wall | ratio to the slowest single tenant | peak RSS | per tenant "
      .. "| CPU a0lua / emulator | CPU floor | wall / CPU floor | requests | requests per tenant "
      .. "| 429s | connections |\n",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
  }
  for _, r in ipairs(rows) do
    out[#out + 1] = ("| %s | %s | %s | %s%s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s "
      .. "| %s |\n")
      :format(r.limits, M.STEP_NAMES[r.step] or r.step, r.run, fmt_s(r.seconds),
        r.ok and "" or " (failed)", ratio(r.ratio), mb(r.peak_kb), mb(r.peak_per_tenant_kb),
        fmt_s(r.cpu_s), fmt_s(r.emulator_cpu_s), floor_cell(r), ratio(r.vs_cpu_floor),
        r.requests or "–", per_tenant(r.requests_per_tenant), r.rate_limited or "–",
        r.connections or "–")
  end
  out[#out + 1] = ("\nCPU floor: the least wall time the run's CPU allows, the larger of the "
    .. "busiest process's CPU (a0lua or emulator: a process runs on one core) and all the CPU "
    .. "over the %s cores (cores). wall / CPU floor near 1: the machine's CPU bounds the run; "
    .. "well above 1: it waits (rate limits, latency, pacing).\n"):format(opts.cores or "?")
  local misses = {}
  for _, r in ipairs(rows) do
    if r.step == "reimport" and r.mode ~= "single" and not (r.ok and r.ratio
        and r.ratio <= M.GOAL) then
      misses[#misses + 1] = ("%s, %s: %s"):format(r.limits, r.run,
        r.ratio and ("%.2f×"):format(r.ratio) or "no ratio")
    end
  end
  out[#out + 1] = #misses == 0 and ("\nEvery fleet re-import is within %.1f× of the slowest "
    .. "single tenant's.\n"):format(M.GOAL)
    or ("\nGoal (re-import within %.1f× of the slowest single tenant) missed: %s.\n"):format(
      M.GOAL, table.concat(misses, "; "))
  return table.concat(out)
end

local function read_runs(path)
  local runs = {}
  for line in io.lines(path) do
    if line:match("%S") then runs[#runs + 1] = assert(json.decode(line)) end
  end
  return runs
end

local function option(args, name)
  for i = 1, #args do
    if args[i] == name then return args[i + 1] end
  end
  return nil
end

local function main(args)
  if option(args, "--pick") then
    local k = math.tointeger(tonumber(option(args, "--pick")))
    local f = assert(io.open(args[#args], "rb"))
    local list = assert(json.decode(f:read("a")))
    f:close()
    assert(k and list[k], "no tenant " .. tostring(k))
    io.stdout:write(assert(json.encode(json.array({ list[k] }), { pretty = true })), "\n")
    return 0
  end
  for _, a in ipairs(args) do
    if a == "--totals" then
      local doc = json.decode(io.stdin:read("a")) or {}
      io.stdout:write(("%s,%s,%s\n"):format(math.tointeger(doc.requests) or "",
        math.tointeger(doc.rate_limited) or "", math.tointeger(doc.connections) or ""))
      return 0
    end
  end
  local runs_path, out_path = option(args, "--runs"), option(args, "--json")
  if not runs_path or not out_path then
    io.stderr:write("usage: fleet_report.lua --runs RUNS_JSONL --json OUT\n")
    return 2
  end
  local opts = { date = os.date("!%Y-%m-%d"), size = option(args, "--size"),
                 latency = option(args, "--latency"), cores = tonumber(option(args, "--cores")),
                 parallel = option(args, "--parallel") }
  local rows = M.build(read_runs(runs_path), opts)
  local text = M.render(rows, opts)
  io.stdout:write(text)
  local f = assert(io.open(out_path, "wb"))
  f:write(assert(json.encode({ date = opts.date, size = tonumber(opts.size),
    latency = opts.latency, shards = tonumber(option(args, "--shards")), cores = opts.cores,
    parallel = tonumber(opts.parallel),
    seconds = tonumber(option(args, "--seconds")), goal = M.GOAL, rows = json.array(rows),
    table = text }, { pretty = true })), "\n")
  f:close()
  for _, r in ipairs(rows) do
    if not r.ok then return 1 end
  end
  return 0
end

if arg and arg[0] and arg[0]:match("fleet_report%.lua$") then os.exit(main(arg)) end

return M
