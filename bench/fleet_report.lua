--[[
bench/fleet_report.lua: the table of the fleet benchmark (bench/fleet.sh), and its JSON.

  a0lua run bench/fleet_report.lua --runs RUNS_JSONL --json OUT [--seconds S] [--latency L]
      [--size N] [--shards S]
  a0lua run bench/fleet_report.lua --totals        stdin: GET /__emulator/fleet's answer;
                                                   prints "REQUESTS,429S"
  a0lua run bench/fleet_report.lua --pick K FILE   the one-tenant fleet file of FILE's tenant K

RUNS_JSONL has one line per run: {limits, mode = "one" | "shards" | "single", step = "import" |
"reimport", tenants, wall_ns, before, after ("REQUESTS,429S" of the emulator around the run),
status (the exit status; 0 is success), rss_kb = [the peak RSS of each a0lua process], cpu_s =
[the CPU seconds of each], emulator_cpu_s = the emulator's CPU seconds during the run}.

Per plan of limits and step, three rows: the whole fleet in one process, the fleet as shards
(processes at once), and the slowest of the tenants run alone. Each gives the wall time, its
ratio to that slowest single tenant's (the issue's goal: the fleet's re-import within 1.5x), the
peak RSS (the sum of the processes' peaks for the shards) and that peak per tenant, the CPU
seconds of a0lua (summed over the shards) and of the emulator (which says where a fleet's time
goes when the machine's cores are the limit), and the requests and 429s the emulator counted.
Prints the table (Markdown); writes OUT.

As a module: M.build(runs) -> rows, M.render(rows, opts) -> text.
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
  local r, l = tostring(s or ""):match("^(%d+),(%d+)$")
  return tonumber(r), tonumber(l)
end

local function summed(list)
  local n = 0
  for _, v in ipairs(list or {}) do n = n + (tonumber(v) or 0) end
  return n
end

local function row_of(run, label)
  local r0, l0 = counts(run.before)
  local r1, l1 = counts(run.after)
  local peak = summed(run.rss_kb)
  return {
    limits = run.limits, mode = run.mode, step = run.step, tenants = run.tenants, run = label,
    seconds = run.wall_ns / 1e9, ok = run.status == 0, peak_kb = peak,
    peak_per_tenant_kb = peak / math.max(run.tenants, 1), processes = #(run.rss_kb or {}),
    cpu_s = run.cpu_s and summed(run.cpu_s) or nil, emulator_cpu_s = run.emulator_cpu_s,
    requests = r0 and r1 and (r1 - r0) or nil, rate_limited = l0 and l1 and (l1 - l0) or nil,
  }
end

-- runs -> rows: per limits (in the order met) and step, one, shards, then the slowest single.
function M.build(runs)
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
        local row = row_of(run, label)
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

function M.render(rows, opts)
  local out = {
    ("Fleet benchmark, %s: %s resources per tenant, `a0lua emulate --tenants N --latency %s`\n\n")
      :format(opts.date or "", opts.size or "?", opts.latency or "?"),
    "| limits | step | run | wall | ratio to the slowest single tenant | peak RSS | per tenant "
      .. "| CPU a0lua / emulator | requests | 429s |\n",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
  }
  for _, r in ipairs(rows) do
    out[#out + 1] = ("| %s | %s | %s | %s%s | %s | %s | %s | %s / %s | %s | %s |\n"):format(
      r.limits, M.STEP_NAMES[r.step] or r.step, r.run, fmt_s(r.seconds),
      r.ok and "" or " (failed)", r.ratio and ("%.2f×"):format(r.ratio) or "–", mb(r.peak_kb),
      mb(r.peak_per_tenant_kb), fmt_s(r.cpu_s), fmt_s(r.emulator_cpu_s), r.requests or "–",
      r.rate_limited or "–")
  end
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
      io.stdout:write(("%s,%s\n"):format(math.tointeger(doc.requests) or "",
        math.tointeger(doc.rate_limited) or ""))
      return 0
    end
  end
  local runs_path, out_path = option(args, "--runs"), option(args, "--json")
  if not runs_path or not out_path then
    io.stderr:write("usage: fleet_report.lua --runs RUNS_JSONL --json OUT\n")
    return 2
  end
  local opts = { date = os.date("!%Y-%m-%d"), size = option(args, "--size"),
                 latency = option(args, "--latency") }
  local rows = M.build(read_runs(runs_path))
  local text = M.render(rows, opts)
  io.stdout:write(text)
  local f = assert(io.open(out_path, "wb"))
  f:write(assert(json.encode({ date = opts.date, size = tonumber(opts.size),
    latency = opts.latency, shards = tonumber(option(args, "--shards")),
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
