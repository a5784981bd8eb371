--[[
bench/faults_check.lua: the invariants of a fault-injection run (bench/faults.lua), and its table.
Pure functions of a tenant state, an emulator log and the results: no process, no network.

  check.duplicates(state) -> { {path =, key =, count =}, ... }
      items of one collection that share what must identify them: clients, roles, connections,
      organizations and actions by name, resource servers by identifier, client grants by
      client, audience and subject type, and the sub-lists (role permissions, a connection's
      clients, an organization's connections and client grants, a trigger's bindings) by what
      they point at. Sorted by path, then key.
  check.tally(log_text [, ignore]) -> { requests =, writes =, rate_limited =, token =, dropped = }
      the lines of `a0lua emulate --log` (bench/deploy_report.lua's parse_requests, plus the
      answers the emulator dropped), leaving out the requests for the target `ignore` (path
      and query: another client's)
  check.summary(scenario) -> row
      scenario = { name =, label =, first_must_succeed =, runs = { run, ... }, converged =,
      final = run | nil } where run = { kind = "import" | "killed" | "final", status =,
      seconds =, writes =, rate_limited =, duplicates = }. row adds the columns (runs, failed,
      first_ok, rate_limited, writes, seconds, duplicates, zero_write) and broken = the
      invariants that do not hold (empty: the scenario passed).
  check.render(rows, opts) -> text    the Markdown table and, under it, what broke and why
]]
local M = {}

local function bench_dir()
  local script = arg and arg[0]
  return script and script:match("^(.*)/faults[%w_]*%.lua$") or "bench"
end

-- What identifies an item of each collection (dotted names reach into nested objects).
M.UNIQUE = {
  { "^/clients$", { "name" } },
  { "^/resource%-servers$", { "identifier" } },
  { "^/client%-grants$", { "client_id", "audience", "subject_type" } },
  { "^/roles$", { "name" } },
  { "^/connections$", { "name" } },
  { "^/organizations$", { "name" } },
  { "^/actions/actions$", { "name" } },
  { "^/roles/[^/]+/permissions$", { "resource_server_identifier", "permission_name" } },
  { "^/connections/[^/]+/clients$", { "client_id" } },
  { "^/organizations/[^/]+/enabled_connections$", { "connection_id" } },
  { "^/organizations/[^/]+/client%-grants$", { "id" } },
  { "^/actions/triggers/[^/]+/bindings$", { "action.name" } },
}

local function field(item, name)
  local v = item
  for part in name:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = v[part]
  end
  return v
end

local function key_of(item, fields)
  local parts = {}
  for i, f in ipairs(fields) do
    local v = field(item, f)
    parts[i] = v == nil and "" or tostring(v)
  end
  return table.concat(parts, " | ")
end

function M.duplicates(state)
  local out = {}
  for path, list in pairs(state or {}) do
    if type(list) == "table" then
      for _, rule in ipairs(M.UNIQUE) do
        if path:match(rule[1]) then
          local seen, order = {}, {}
          for _, item in ipairs(list) do
            if type(item) == "table" then
              local k = key_of(item, rule[2])
              if not seen[k] then order[#order + 1] = k end
              seen[k] = (seen[k] or 0) + 1
            end
          end
          for _, k in ipairs(order) do
            if seen[k] > 1 then out[#out + 1] = { path = path, key = k, count = seen[k] } end
          end
          break
        end
      end
    end
  end
  table.sort(out, function(a, b)
    if a.path ~= b.path then return a.path < b.path end
    return a.key < b.key
  end)
  return out
end

local report
local function deploy_report()
  report = report or dofile(bench_dir() .. "/deploy_report.lua")
  return report
end

function M.tally(text, ignore)
  if ignore then
    local kept = {}
    for line in (text or ""):gmatch("[^\n]+") do
      if not line:find(" " .. ignore .. " ", 1, true) then kept[#kept + 1] = line end
    end
    text = table.concat(kept, "\n")
  end
  local r = deploy_report().parse_requests(text)
  local dropped = 0
  for _ in (text or ""):gmatch(" dropped%-%a+ ") do dropped = dropped + 1 end
  return { requests = r.requests, writes = r.writes, rate_limited = r.rate_limited,
    token = r.token, dropped = dropped }
end

function M.summary(s)
  local row = { name = s.name, label = s.label, runs = #s.runs, failed = 0, killed = 0,
    rate_limited = 0, writes = 0, seconds = 0, duplicates = 0, converged = s.converged == true }
  for _, run in ipairs(s.runs) do
    if run.kind == "killed" then
      row.killed = row.killed + 1
    elseif run.status ~= 0 then
      row.failed = row.failed + 1
    end
    row.rate_limited = row.rate_limited + (run.rate_limited or 0)
    row.writes = row.writes + (run.writes or 0)
    row.seconds = row.seconds + (run.seconds or 0)
    row.duplicates = math.max(row.duplicates, run.duplicates or 0)
  end
  local first
  for _, run in ipairs(s.runs) do
    if run.kind ~= "killed" then
      first = run
      break
    end
  end
  row.first_ok = first ~= nil and first.status == 0
  row.first = first and { status = first.status, seconds = first.seconds,
    rate_limited = first.rate_limited, writes = first.writes } or nil
  if s.final then
    row.zero_write = s.final.status == 0 and s.final.writes == 0
    row.final_writes = s.final.writes
  end
  local broken = {}
  if s.first_must_succeed and not row.first_ok then broken[#broken + 1] = "first run failed" end
  if row.duplicates > 0 then broken[#broken + 1] = "duplicates" end
  if not row.converged then broken[#broken + 1] = "did not converge" end
  if row.zero_write ~= true then
    broken[#broken + 1] = s.final and "the re-run after convergence wrote or failed"
      or "no zero-write re-run (not converged)"
  end
  row.broken = broken
  return row
end

local function yes_no(v)
  if v == nil then return "–" end
  return v and "yes" or "NO"
end

function M.render(rows, opts)
  opts = opts or {}
  local fmt_s = deploy_report().fmt_s
  local out = {}
  local function p(s) out[#out + 1] = s end
  if opts.title then
    p(opts.title)
    p("")
  end
  p("| fault | runs | failed runs | first-run ok | 429s first / all | writes first / all "
    .. "| time first / all | duplicates | converged | zero-write re-run |")
  p("|---|---:|---:|---|---:|---:|---:|---:|---|---|")
  for _, r in ipairs(rows) do
    local first = r.first or {}
    local runs = tostring(r.runs)
    if r.killed > 0 then runs = ("%d (%d killed)"):format(r.runs, r.killed) end
    p(("| %s | %s | %d | %s | %s / %d | %s / %d | %s / %s | %d | %s | %s |"):format(
      r.label, runs, r.failed, yes_no(r.first and r.first_ok), first.rate_limited or "–",
      r.rate_limited, first.writes or "–", r.writes, fmt_s(first.seconds), fmt_s(r.seconds),
      r.duplicates, yes_no(r.converged), yes_no(r.zero_write)))
  end
  local broken = {}
  for _, r in ipairs(rows) do
    if #r.broken > 0 then
      local why = table.concat(r.broken, ", ")
      if r.errors and #r.errors > 0 then why = why .. ": " .. table.concat(r.errors, " / ") end
      broken[#broken + 1] = ("- %s: %s"):format(r.label, why)
    end
  end
  p("")
  if #broken == 0 then
    p(("Every invariant holds (%d scenarios)."):format(#rows))
  else
    p(("Invariants broken in %d of %d scenarios:"):format(#broken, #rows))
    for _, b in ipairs(broken) do p(b) end
  end
  return table.concat(out, "\n") .. "\n"
end

return M
