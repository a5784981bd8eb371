--[[
bench/deploy_report.lua: the table of the deploy benchmark (bench/deploy.sh), and its JSON.

  a0lua run bench/deploy_report.lua --runs RUNS_JSONL --startup STARTUP_JSONL --tenants DIR
      --json OUT [--a0deploy-version V] [--seconds S]

RUNS_JSONL has one line per run ({size, round, step, tool, status, ok, wall_ns, log, check});
each run's files are LOG.time (/usr/bin/time -v) and LOG.requests (the emulator's --log: "time
METHOD PATH?QUERY STATUS duration"). DIR/tenant-SIZE/manifest.json is bench/tenant-gen.lua's.
STARTUP_JSONL has {name, run, wall_ns, rss_kb}.

Per size and step: the median wall time of each tool, its peak RSS (the largest over the
rounds), the API requests, writes and 429s of its median run, the requests the step needs and
its floor (bench/floor.lua), the ratios a0lua/a0deploy and a0lua/floor, and which of issue 5's
targets the row meets. Prints the table (Markdown) and the misses; writes OUT.

As a module: M.parse_requests(text) -> { requests =, writes =, rate_limited =, token =,
templates = { ["GET /roles/{id}/permissions"] = n } }, M.parse_time(text) -> { rss_kb =,
elapsed_s = }, M.median(list), M.template(path), M.fmt_s(seconds) -> "1.23 s" (or "–").
]]
local json = require("a0lua.core.json")

local M = {}

M.STEPS = { "export", "import", "reimport", "change" }
M.STEP_NAMES = {
  export = "export of the seeded tenant",
  import = "import into an empty tenant",
  reimport = "same import again (no change)",
  change = "import with 1 % changed",
}
M.TARGETS = {
  floor = 1.25,            -- every row at most 1.25 x the floor
  reimport_vs_a0deploy = 0.1,
  export_1000_vs_a0deploy = 1 / 3,
  memory = 1 / 5,
  startup = 1 / 50,
}

local function bench_dir()
  local script = arg and arg[0]
  return script and script:match("^(.*)/deploy_report%.lua$") or "bench"
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

function M.median(list)
  if #list == 0 then return nil end
  local s = {}
  for i, v in ipairs(list) do s[i] = v end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

-- A request path as its endpoint: ids and names in the path replaced by {id}.
function M.template(path)
  path = path:gsub("%?.*$", ""):gsub("^/api/v2", "")
  local out = {}
  local parts = {}
  for seg in path:gmatch("[^/]+") do parts[#parts + 1] = seg end
  for i, seg in ipairs(parts) do
    local prev = parts[i - 1]
    local prefix, rest = seg:match("^(%l+)_(%w+)$")
    if (prefix and #prefix <= 4 and #rest >= 8) or seg:match("^%x+%-%x+%-%x+%-%x+%-%x+$")
        or (seg:match("^%w+$") and #seg >= 20 and seg:match("%d"))
        or prev == "email-templates" or prev == "triggers" or prev == "prompts"
        or (prev == "custom-text") then
      out[#out + 1] = "{id}"
    else
      out[#out + 1] = seg
    end
  end
  return "/" .. table.concat(out, "/")
end

function M.parse_requests(text)
  local r = { requests = 0, writes = 0, rate_limited = 0, token = 0, templates = {} }
  for line in (text or ""):gmatch("[^\n]+") do
    local method, target, status = line:match("^%S+ (%u+) (%S+) (%d+)")
    if method then
      if target:find("^/oauth/token") then
        r.token = r.token + 1
      elseif target:find("^/api/v2") then
        r.requests = r.requests + 1
        if method ~= "GET" then r.writes = r.writes + 1 end
        if status == "429" then r.rate_limited = r.rate_limited + 1 end
        local key = method .. " " .. M.template(target)
        r.templates[key] = (r.templates[key] or 0) + 1
      end
    end
  end
  return r
end

function M.parse_time(text)
  local t = {}
  t.rss_kb = tonumber((text or ""):match("Maximum resident set size %(kbytes%): (%d+)"))
  local v = (text or ""):match("Elapsed %(wall clock%) time %(h:mm:ss or m:ss%): ([%d:.]+)")
  if v then
    local secs = 0
    for part in v:gmatch("[^:]+") do secs = secs * 60 + tonumber(part) end
    t.elapsed_s = secs
  end
  return t
end

local function lines_of(path)
  local out = {}
  for line in (read(path) or ""):gmatch("[^\n]+") do
    local v = json.decode(line)
    if v then out[#out + 1] = v end
  end
  return out
end

local function fmt_s(v)
  if v == nil then return "–" end
  if v >= 100 then return ("%.0f s"):format(v) end
  if v >= 10 then return ("%.1f s"):format(v) end
  if v >= 1 then return ("%.2f s"):format(v) end
  return ("%.0f ms"):format(v * 1000)
end
M.fmt_s = fmt_s

local function fmt_ratio(v)
  if v == nil then return "–" end
  if v >= 10 then return ("%.0f×"):format(v) end
  if v >= 1 then return ("%.2f×"):format(v) end
  return ("%.3f×"):format(v)
end

local function fmt_mb(kb)
  if not kb then return "–" end
  return ("%.0f MB"):format(kb / 1024)
end

local function tool_summary(runs)
  if #runs == 0 then return nil end
  local walls, by_wall = {}, {}
  local rss, ok = 0, true
  for _, r in ipairs(runs) do
    walls[#walls + 1] = r.wall_s
    if not r.ok then ok = false end
    if r.rss_kb and r.rss_kb > rss then rss = r.rss_kb end
    by_wall[#by_wall + 1] = r
  end
  table.sort(by_wall, function(a, b) return a.wall_s < b.wall_s end)
  local mid = by_wall[(#by_wall + 1) // 2]
  local failed = {}
  for _, r in ipairs(runs) do
    if not r.ok then
      failed[#failed + 1] = ("round %d: exit %d, %s"):format(r.round, r.status, r.check or "")
    end
  end
  return {
    runs = #runs, median_s = M.median(walls), walls_s = walls, rss_kb = rss > 0 and rss or nil,
    requests = mid.req.requests, writes = mid.req.writes, rate_limited = mid.req.rate_limited,
    token_requests = mid.req.token, templates = mid.req.templates, ok = ok,
    failures = failed, log = mid.log,
  }
end

local function top_templates(templates, n)
  local list = {}
  for k, v in pairs(templates or {}) do list[#list + 1] = { k, v } end
  table.sort(list, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    return a[1] < b[1]
  end)
  local out = {}
  for i = 1, math.min(n, #list) do out[i] = ("%d %s"):format(list[i][2], list[i][1]) end
  return table.concat(out, ", ")
end

function M.build(opts)
  local floor = dofile(bench_dir() .. "/floor.lua")
  local runs = lines_of(opts.runs)
  local groups, sizes, seen = {}, {}, {}
  for _, r in ipairs(runs) do
    r.wall_s = r.wall_ns / 1e9
    r.req = M.parse_requests(read(r.log .. ".requests"))
    r.rss_kb = M.parse_time(read(r.log .. ".time")).rss_kb
    local key = r.size .. " " .. r.step
    groups[key] = groups[key] or { a0lua = {}, a0deploy = {} }
    table.insert(groups[key][r.tool], r)
    if not seen[r.size] then
      seen[r.size] = true
      sizes[#sizes + 1] = r.size
    end
  end
  table.sort(sizes)
  local rows = {}
  for _, size in ipairs(sizes) do
    local manifest = json.decode(read(("%s/tenant-%d/manifest.json"):format(opts.tenants, size))
      or "null")
    for _, step in ipairs(M.STEPS) do
      local g = groups[size .. " " .. step]
      if g then
        local row = { size = size, step = step, a0lua = tool_summary(g.a0lua),
          a0deploy = tool_summary(g.a0deploy) }
        if manifest then
          local need = floor.needed(manifest, step)
          local secs, parts = floor.seconds(need)
          row.needed = { requests = need.requests, writes = need.writes, floor_s = secs,
            rate_s = parts.rate, chain_s = parts.chain, detail = need.detail }
        end
        local a, d = row.a0lua, row.a0deploy
        if a and d and d.median_s and d.ok then row.vs_a0deploy = a.median_s / d.median_s end
        if a and row.needed then row.vs_floor = a.median_s / row.needed.floor_s end
        rows[#rows + 1] = row
      end
    end
  end
  local startup = {}
  local by_name, names = {}, {}
  for _, s in ipairs(lines_of(opts.startup)) do
    if not by_name[s.name] then
      by_name[s.name] = {}
      names[#names + 1] = s.name
    end
    table.insert(by_name[s.name], s)
  end
  for _, name in ipairs(names) do
    local walls, rss = {}, 0
    for _, s in ipairs(by_name[name]) do
      walls[#walls + 1] = s.wall_ns / 1e9
      if s.rss_kb > rss then rss = s.rss_kb end
    end
    startup[#startup + 1] = { name = name, median_s = M.median(walls), rss_kb = rss,
      runs = #walls }
  end
  return rows, startup
end

-- The targets of issue 5, row by row: { {row =, target =, met =, detail =} }
function M.targets(rows, startup)
  local T = M.TARGETS
  local out = {}
  local function add(row, target, met, detail)
    out[#out + 1] = { size = row and row.size, step = row and row.step, target = target,
      met = met, detail = detail }
  end
  for _, row in ipairs(rows) do
    local a, d = row.a0lua, row.a0deploy
    -- a failed a0deploy run did not do the same work: nothing to compare with
    if d and not d.ok then d = nil end
    if a then
      if row.vs_floor then
        add(row, "at most 1.25× the floor", row.vs_floor <= T.floor,
          ("%s against a floor of %s (%.2f×); %d requests made, %d needed"):format(
            fmt_s(a.median_s), fmt_s(row.needed.floor_s), row.vs_floor, a.requests,
            row.needed.requests))
      end
      if row.step == "reimport" then
        add(row, "no write request", a.writes == 0, ("%d writes"):format(a.writes))
        if d then
          add(row, "at most a tenth of a0deploy's time", row.vs_a0deploy <= T.reimport_vs_a0deploy,
            ("%.3f×"):format(row.vs_a0deploy))
        end
      end
      if row.step == "export" and row.size == 1000 and d then
        add(row, "at most a third of a0deploy's time",
          row.vs_a0deploy <= T.export_1000_vs_a0deploy, ("%.3f×"):format(row.vs_a0deploy))
      end
      if d then
        add(row, "no more requests than a0deploy", a.requests <= d.requests,
          ("%d against %d"):format(a.requests, d.requests))
        if a.rss_kb and d.rss_kb then
          add(row, "at most a fifth of a0deploy's memory", a.rss_kb <= d.rss_kb * T.memory,
            ("%s against %s"):format(fmt_mb(a.rss_kb), fmt_mb(d.rss_kb)))
        end
      end
      add(row, "no 429 that ends in a failure", a.ok,
        ("%d 429s%s"):format(a.rate_limited, a.ok and "" or ("; " .. table.concat(a.failures,
          "; "))))
    end
  end
  local a0deploy_start
  for _, s in ipairs(startup) do
    if s.name:find("^a0deploy") then a0deploy_start = s end
  end
  if a0deploy_start then
    for _, s in ipairs(startup) do
      if s.name:find("^a0lua") then
        add(nil, s.name .. ": start-up at most 1/50 of a0deploy's",
          s.median_s <= a0deploy_start.median_s * T.startup,
          ("%s against %s"):format(fmt_s(s.median_s), fmt_s(a0deploy_start.median_s)))
      end
    end
  end
  return out
end

function M.render(rows, startup, targets, opts)
  local out = {}
  local function p(s) out[#out + 1] = s end
  local lanes = tonumber(opts.lanes) or 0
  p(("Deploy benchmark, %s: `a0lua emulate --limits enterprise --latency 30:10` behind stunnel; "
    .. "a0lua %s, a0deploy %s. Medians of the rounds; RSS the peak. %s")
    :format(opts.date, opts.a0lua_version or "?", opts.a0deploy_version or "not run",
      lanes > 0 and ("a0deploy's runs went %d at a time in the background, beside a0lua's "
        .. "(BENCH_PARALLEL)."):format(lanes) or "One run at a time, alternating."))
  p("")
  p("| size | step | a0lua | a0deploy | a0lua/a0deploy | floor | a0lua/floor | requests "
    .. "a0lua / a0deploy / needed | writes a0lua / a0deploy / needed | 429s a0lua / a0deploy "
    .. "| peak RSS a0lua / a0deploy |")
  p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
  for _, row in ipairs(rows) do
    local a, d, n = row.a0lua or {}, row.a0deploy or {}, row.needed or {}
    local function okmark(t)
      if t and t.ok == false then return " (failed)" end
      return ""
    end
    p(("| %s | %s | %s%s | %s%s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s | %s / %s |")
      :format(row.size, M.STEP_NAMES[row.step], fmt_s(a.median_s), okmark(row.a0lua),
        fmt_s(d.median_s), okmark(row.a0deploy), fmt_ratio(row.vs_a0deploy), fmt_s(n.floor_s),
        fmt_ratio(row.vs_floor), a.requests or "–", d.requests or "–", n.requests or "–",
        a.writes or "–", d.writes or "–", n.writes or "–", a.rate_limited or "–",
        d.rate_limited or "–", fmt_mb(a.rss_kb), fmt_mb(d.rss_kb)))
  end
  local a0deploy_start
  for _, s in ipairs(startup) do
    if s.name:find("^a0deploy") then a0deploy_start = s end
  end
  for _, s in ipairs(startup) do
    if s.name:find("^a0lua") then
      local ratio = a0deploy_start and s.median_s / a0deploy_start.median_s
      p(("| – | start-up: `%s` / `%s` | %s | %s | %s | – | – | – | – | – | %s / %s |"):format(
        s.name, a0deploy_start and a0deploy_start.name or "a0deploy --version",
        fmt_s(s.median_s), fmt_s(a0deploy_start and a0deploy_start.median_s),
        fmt_ratio(ratio), fmt_mb(s.rss_kb), fmt_mb(a0deploy_start and a0deploy_start.rss_kb)))
    end
  end
  p("")
  local misses = {}
  for _, t in ipairs(targets) do
    if not t.met then
      misses[#misses + 1] = ("- %s%s: %s (%s)"):format(t.size and (t.size .. " ") or "",
        t.step and M.STEP_NAMES[t.step] or "", t.target, t.detail)
    end
  end
  if #misses == 0 then
    p("Every target of issue 5 is met.")
  else
    p(("Targets missed (%d of %d checks):"):format(#misses, #targets))
    for _, m in ipairs(misses) do p(m) end
  end
  local failed = {}
  for _, row in ipairs(rows) do
    if row.a0deploy and not row.a0deploy.ok then
      failed[#failed + 1] = ("- %d %s: %s"):format(row.size, M.STEP_NAMES[row.step],
        table.concat(row.a0deploy.failures, "; "))
    end
  end
  if #failed > 0 then
    p("")
    p("a0deploy failed (its time is up to the failure; no comparison made on these rows):")
    for _, f in ipairs(failed) do p(f) end
  end
  p("")
  p("Where a0lua's requests went (its median run), per row:")
  for _, row in ipairs(rows) do
    if row.a0lua then
      p(("- %d %s: %s"):format(row.size, row.step, top_templates(row.a0lua.templates, 8)))
    end
  end
  return table.concat(out, "\n") .. "\n"
end

local function version_of(bin)
  local p = io.popen(bin .. " version 2>/dev/null")
  if not p then return nil end
  local v = p:read("l")
  p:close()
  return v and v:match("a0lua (%S+)")
end

local function main(argv)
  local opts = {}
  local i = 1
  while i <= #argv do
    local k = argv[i]:gsub("^%-%-", ""):gsub("%-", "_")
    opts[k] = argv[i + 1]
    i = i + 2
  end
  if not (opts.runs and opts.startup and opts.tenants and opts.json) then
    io.stderr:write("usage: deploy_report.lua --runs F --startup F --tenants DIR --json OUT\n")
    return 2
  end
  opts.date = os.date("!%Y-%m-%d")
  opts.a0lua_version = version_of(bench_dir() .. "/../build/a0lua")
  if opts.a0deploy_version == "" then opts.a0deploy_version = nil end
  local rows, startup = M.build(opts)
  local targets = M.targets(rows, startup)
  local text = M.render(rows, startup, targets, opts)
  io.stdout:write(text)
  local doc = {
    date = opts.date, a0lua_version = opts.a0lua_version,
    a0deploy_version = opts.a0deploy_version or json.null,
    emulator = { limits = "enterprise", latency = "30:10", tls = "stunnel4" },
    seconds = tonumber(opts.seconds), parallel = tonumber(opts.lanes) or 0,
    rows = json.array(rows), startup = json.array(startup),
    targets = json.array(targets), table = text,
  }
  local f = assert(io.open(opts.json, "wb"))
  f:write(assert(json.encode(doc, { pretty = true })), "\n")
  f:close()
  local all = true
  for _, row in ipairs(rows) do
    if (row.a0lua and not row.a0lua.ok) then all = false end
  end
  return all and 0 or 1
end

if arg and arg[0] and arg[0]:match("deploy_report%.lua$") then os.exit(main(arg)) end

return M
