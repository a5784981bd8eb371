--[==[
bench/faults.lua (make faults): imports of generated tenants under injected faults, each followed
by re-runs, with the invariants checked after every run.

  build/a0lua run bench/faults.lua [--json] [--only NAME[,NAME...]]

Each scenario gets a fresh `a0lua emulate` (its limits and faults), then:
  1. (kill -9 only) imports killed with SIGKILL at random points (delays drawn from the seed);
  2. the import of bench/tenant-gen.lua's tenant.yaml, run again (up to FAULTS_RERUNS times,
     default 3) until it exits 0 and the tenant has every resource (bench/deploy_check.lua's
     counts against the generated state.json): it converged;
  3. once converged, the same import again, which must succeed and send no write.
After every run the tenant is read (GET /__emulator/state) and checked for duplicates (two items
of a collection with the same name or identifier: bench/faults_check.lua); requests, writes and
429s of each run come from the emulator's --log.

Scenarios (every import at FAULTS_SIZE resources, default 300; the tenant and the emulator's
fault draws seeded with the first of FAULTS_SEEDS unless said otherwise):
  429-free-SEED    --limits free, once per seed of FAULTS_SEEDS (default "7 13 21")
  429-enterprise   --limits enterprise; another client empties the bucket just before the
                   first import and goes on sending 8 requests a second while it runs (a
                   storm: the import starts on an empty bucket that it shares)
  5xx              --limits enterprise --fail-rate 0.15 (500 and 503 answers)
  drop             --limits enterprise --drop-rate 0.15 (connections closed without an answer,
                   half of them after the request was applied)
  slow             --limits enterprise --latency 800:700 (answers after 0.1 to 1.5 s)
  kill             --limits enterprise, FAULTS_KILLS imports (default 3) killed with SIGKILL at
                   a random point of their first 0.2 + FAULTS_SIZE / 40 seconds (an import of
                   300 resources under enterprise limits takes about 18 s), each taking up
                   what the one before left
Invariants, each failing the run: no duplicate after any run; converged; the zero-write re-run;
and, for every scenario but kill, that the very first import succeeded (a fault that a retry can
absorb must not fail a run).

Scenarios run FAULTS_JOBS at a time (default 4; most of an import under limits is waiting), the
longest first. Progress goes to stderr, then the table (Markdown) to stdout; --json prints only
the JSON document instead. The document is always written to FAULTS_OUT/faults.json (default
build/faults), beside each run's output and the emulators' logs. Exit status: 0 when every
invariant holds, 1 when one breaks, 2 when the harness itself cannot run.

Environment: FAULTS_SEEDS, FAULTS_SIZE, FAULTS_JOBS, FAULTS_RERUNS, FAULTS_KILLS, FAULTS_ONLY
(scenario names, comma-separated; also --only), FAULTS_TIMEOUT (seconds one import may take,
default 900), FAULTS_OUT, FAULTS_BIN (the a0lua that imports and emulates: default build/a0lua;
another build, or a wrapper that breaks an invariant on purpose to see the harness catch it).
]==]
local json = require("a0lua.core.json")
local fs = require("a0lua.core.fs")
local tasks = require("a0lua.tasks")
local random = require("a0lua.emulator.random")

local function bench_dir()
  local script = arg and arg[0]
  return script and script:match("^(.*)/faults%.lua$") or "bench"
end

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local p = assert(io.popen("pwd"))
  local cwd = p:read("l")
  p:close()
  return cwd .. "/" .. path
end

local BENCH = absolute(bench_dir())
local ROOT = BENCH:gsub("/bench$", "")
local check = dofile(BENCH .. "/faults_check.lua")
local proc = dofile(BENCH .. "/faults_proc.lua")
local deploy_check = dofile(BENCH .. "/deploy_check.lua")
local gen = dofile(BENCH .. "/tenant-gen.lua")

local M = {}

local ENTERPRISE = { "--limits", "enterprise" }

local function with(base, more)
  local out = {}
  for _, a in ipairs(base) do out[#out + 1] = a end
  for _, a in ipairs(more or {}) do out[#out + 1] = a end
  return out
end

-- The scenarios, longest first (the free plan's imports wait for their bucket most of the time).
function M.scenarios(opts)
  local first = opts.seeds[1]
  local list = {}
  for _, seed in ipairs(opts.seeds) do
    list[#list + 1] = { name = "429-free-" .. seed, seed = seed, first_must_succeed = true,
      label = ("429 storm: free limits, seed %d"):format(seed), args = { "--limits", "free" } }
  end
  local more = {
    { name = "429-enterprise", drain = true, competitor = 8, args = ENTERPRISE,
      label = "429 storm: enterprise limits, bucket emptied, another client at 8/s" },
    { name = "5xx", label = "5xx: --fail-rate 0.15",
      args = with(ENTERPRISE, { "--fail-rate", "0.15" }) },
    { name = "drop", label = "dropped connections: --drop-rate 0.15",
      args = with(ENTERPRISE, { "--drop-rate", "0.15" }) },
    { name = "slow", label = "slow answers: --latency 800:700",
      args = with(ENTERPRISE, { "--latency", "800:700" }) },
    { name = "kill", kills = opts.kills, first_must_succeed = false,
      label = ("kill -9 at %d random points, then re-runs"):format(opts.kills),
      args = ENTERPRISE },
  }
  for _, s in ipairs(more) do
    s.seed = first
    if s.first_must_succeed == nil then s.first_must_succeed = true end
    list[#list + 1] = s
  end
  if opts.only then
    local keep = {}
    for _, s in ipairs(list) do
      for name in opts.only:gmatch("[^,%s]+") do
        if s.name == name or s.name:find(name, 1, true) == 1 then
          keep[#keep + 1] = s
          break
        end
      end
    end
    list = keep
  end
  return list
end

--------------------------------------------------------------------------------------------------
-- Talking to an emulator (inside tasks)

local function call(method, url, body, headers)
  local res, err = tasks.request({ method = method, url = url, body = body,
    headers = headers or {}, timeout_ms = 60000 })
  if not res then error(("faults: %s %s: %s"):format(method, url, err.message), 0) end
  return res
end

local function get_state(emu)
  local res = call("GET", emu.url .. "/__emulator/state")
  if res.status ~= 200 then error("faults: GET /__emulator/state: " .. res.status, 0) end
  return json.decode(res.body)
end

local function start_emulator(ctx, sc, dir)
  local log = dir .. "/emulator.log"
  os.remove(log)
  local p = proc.start(dir, "emulator", with({ ctx.bin, "emulate", "--port", "0",
    "--seed", tostring(sc.seed), "--client-id", gen.CLIENT_ID,
    "--client-secret", gen.CLIENT_SECRET, "--log", log }, sc.args), { timeout = 4 * 3600 })
  for _ = 1, 300 do
    local url = proc.read(p.out):match("listening on (http://[%d.]+:%d+)")
    if url then return { url = url, port = url:match(":(%d+)$"), proc = p, log = log } end
    if p:status() then break end
    tasks.sleep(100)
  end
  p:kill("TERM")
  error("faults: the emulator did not start: " .. proc.read(p.err):sub(1, 300), 0)
end

local function stop_emulator(emu)
  pcall(call, "POST", emu.url .. "/__emulator/shutdown")
  if not emu.proc:wait(5) then
    emu.proc:kill("TERM")
    if not emu.proc:wait(5) then emu.proc:kill("KILL") end
  end
end

-- The requests of "another client" (the drain and the competitor below) ask for this target,
-- which an import never does, so a run's tally leaves them out.
local OTHER_CLIENT = "/api/v2/clients?per_page=1&fields=client_id"

local function other_client(emu)
  local res = call("POST", emu.url .. "/oauth/token", assert(json.encode({
    grant_type = "client_credentials", client_id = gen.CLIENT_ID,
    client_secret = gen.CLIENT_SECRET,
    audience = ("https://127.0.0.1:%s/api/v2/"):format(emu.port) })),
    { ["Content-Type"] = "application/json" })
  local headers = { Authorization = "Bearer " .. json.decode(res.body).access_token }
  return function() return call("GET", emu.url .. OTHER_CLIENT, nil, headers) end
end

-- Empties the tenant's bucket as another client would: 45 requests a second (under the
-- enterprise cap of 50 a second, so none is wasted on that cap) until an answer says nothing is
-- left. Returns the requests sent.
local function drain(emu)
  local send = other_client(emu)
  local empty, sent = false, 0
  local function one()
    local r = send()
    if r.status == 429 or tonumber(r.headers["x-ratelimit-remaining"]) == 0 then empty = true end
  end
  local burst = {}
  for i = 1, 45 do burst[i] = one end
  while not empty and sent < 10000 do
    local second = tasks.now() + 1000
    tasks.all(burst)
    sent = sent + #burst
    tasks.sleep(math.max(0, second - tasks.now()))
  end
  return sent
end

-- Another client that goes on using the tenant, RATE requests a second, until flag.stop (or
-- until the emulator stops answering: an error in a task would stop every scenario).
local function compete(emu, rate, flag)
  local ok, send = pcall(other_client, emu)
  while ok and not flag.stop do
    ok = pcall(send)
    tasks.sleep(1000 / rate)
  end
end

--------------------------------------------------------------------------------------------------
-- One import

-- The first error lines of a run's stderr (a0lua's closing "a0lua: ..." when there are none).
local function error_lines(text)
  local out, closing = {}, nil
  for line in text:gmatch("[^\n]+") do
    if #line > 300 then line = line:sub(1, 297) .. "..." end
    if line:find("^error:") and #out < 2 then out[#out + 1] = line end
    if line:find("^a0lua:") then closing = closing or line end
  end
  if #out == 0 and closing then out[1] = closing end
  return out
end

local function import(ctx, sc, emu, name, kill_after)
  local before = #proc.read(emu.log)
  local t0 = tasks.now()
  local p = proc.start(sc.dir, name, { "env", "-i", "PATH=" .. (os.getenv("PATH") or ""),
    "HOME=" .. sc.dir, "LANG=C.UTF-8", "AUTH0_DOMAIN=" .. emu.url,
    "AUTH0_CLIENT_ID=" .. gen.CLIENT_ID, "AUTH0_CLIENT_SECRET=" .. gen.CLIENT_SECRET,
    ctx.bin, "import", "-c", sc.tenant.dir .. "/config.json",
    "-i", sc.tenant.dir .. "/tenant.yaml" }, { timeout = ctx.timeout })
  local killed = false
  if kill_after then
    while p:status() == nil and tasks.now() - t0 < kill_after * 1000 do tasks.sleep(20) end
    if p:status() == nil then
      p:kill("KILL")
      killed = true
    end
  end
  local status = p:wait()
  local seconds = (tasks.now() - t0) / 1000
  -- A killed import's requests in flight are still answered: let them land in this run's log.
  if killed then tasks.sleep(1500) end
  local tally = check.tally(proc.read(emu.log):sub(before + 1), OTHER_CLIENT)
  local state = get_state(emu)
  local dups = check.duplicates(state)
  local diffs = deploy_check.count_differences(state, sc.tenant.state)
  local matches = #diffs == 0
  local run = { name = name, kind = killed and "killed" or (name == "final" and "final")
    or "import", status = status, seconds = seconds, requests = tally.requests,
    writes = tally.writes, rate_limited = tally.rate_limited, dropped = tally.dropped,
    duplicates = #dups, duplicate_items = json.array({ table.unpack(dups, 1, 5) }),
    matches = matches, differences = json.array(diffs),
    errors = json.array(error_lines(proc.read(p.err))), kill_after = kill_after }
  local ended = killed and "killed" or ("exit " .. status)
  if kill_after and not killed then ended = ended .. " (ended before its kill)" end
  ctx.progress(("%-16s %-6s %s in %.1f s: %d requests, %d writes, %d 429s, %d dropped, "
    .. "%d duplicates%s"):format(sc.name, name, ended,
    seconds, run.requests, run.writes, run.rate_limited, run.dropped, run.duplicates,
    matches and ", tenant complete" or ""))
  return run
end

--------------------------------------------------------------------------------------------------
-- One scenario

local function run_scenario(ctx, sc)
  sc.dir = ctx.out .. "/" .. sc.name
  fs.mkdir_p(sc.dir)
  sc.tenant = ctx.tenants[sc.seed]
  local result = { name = sc.name, label = sc.label, first_must_succeed = sc.first_must_succeed,
    runs = {} }
  local t0 = tasks.now()
  ctx.progress(("%-16s start: %s"):format(sc.name, sc.label))
  local emu, competitor
  local flag = { stop = false }
  local ok, err = pcall(function()
    emu = start_emulator(ctx, sc, sc.dir)
    if sc.drain then
      ctx.progress(("%-16s bucket emptied after %d requests"):format(sc.name, drain(emu)))
      competitor = tasks.spawn(compete, emu, sc.competitor, flag)
    end
    local rng = random.new(sc.seed)
    for k = 1, sc.kills or 0 do
      local delay = 0.2 + rng:float() * ctx.kill_window
      result.runs[#result.runs + 1] = import(ctx, sc, emu, "kill" .. k, delay)
    end
    for attempt = 1, 1 + ctx.reruns do
      local run = import(ctx, sc, emu, "run" .. attempt)
      result.runs[#result.runs + 1] = run
      flag.stop = true -- the storm lasts for the first import
      if run.status == 0 and run.matches then
        result.converged = true
        break
      end
    end
    if result.converged then
      result.final = import(ctx, sc, emu, "final")
      result.runs[#result.runs + 1] = result.final
    end
  end)
  flag.stop = true
  if competitor then competitor:wait() end
  if emu then stop_emulator(emu) end
  local row = check.summary(result)
  row.seed, row.wall = sc.seed, (tasks.now() - t0) / 1000
  row.errors = {}
  for _, run in ipairs(result.runs) do
    if run.kind ~= "killed" then
      for _, line in ipairs(run.errors) do
        if #row.errors < 2 then row.errors[#row.errors + 1] = run.name .. ": " .. line end
      end
    end
    if run.duplicates > 0 and not row.duplicate_seen then
      row.duplicate_seen = true
      local d = run.duplicate_items[1]
      row.errors[#row.errors + 1] = ("%s: %d x %s %s"):format(run.name, d.count, d.path, d.key)
    end
  end
  if not ok then
    table.insert(row.broken, 1, "harness error")
    table.insert(row.errors, 1, tostring(err))
  end
  row.errors = json.array(row.errors)
  row.broken = json.array(row.broken)
  row.run_details = json.array(result.runs)
  ctx.progress(("%-16s done in %.0f s: %s"):format(sc.name, row.wall,
    #row.broken == 0 and "every invariant holds" or table.concat(row.broken, ", ")))
  return row
end

--------------------------------------------------------------------------------------------------
-- Command line

local function env_number(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  local n = math.tointeger(tonumber(v))
  if not n or n < 0 then error(("faults: %s must be a whole number, not %q"):format(name, v), 0) end
  return n
end

function M.options(argv)
  local opts = {
    size = env_number("FAULTS_SIZE", 300), jobs = env_number("FAULTS_JOBS", 4),
    reruns = env_number("FAULTS_RERUNS", 3), kills = env_number("FAULTS_KILLS", 3),
    timeout = env_number("FAULTS_TIMEOUT", 900), only = os.getenv("FAULTS_ONLY"),
    out = os.getenv("FAULTS_OUT") or (ROOT .. "/build/faults"), seeds = {},
  }
  for s in (os.getenv("FAULTS_SEEDS") or "7 13 21"):gmatch("[^%s,]+") do
    local n = math.tointeger(tonumber(s))
    if not n then error(("faults: FAULTS_SEEDS: %q is not a whole number"):format(s), 0) end
    opts.seeds[#opts.seeds + 1] = n
  end
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--json" then
      opts.json = true
    elseif a == "--only" and argv[i + 1] then
      opts.only = argv[i + 1]
      i = i + 1
    else
      error("faults: unknown argument " .. a
        .. "\nusage: a0lua run bench/faults.lua [--json] [--only NAME[,NAME...]]", 0)
    end
    i = i + 1
  end
  if #opts.seeds == 0 then error("faults: FAULTS_SEEDS is empty", 0) end
  if opts.size < 20 then error("faults: FAULTS_SIZE must be 20 or more", 0) end
  opts.jobs = math.max(opts.jobs, 1)
  opts.out = absolute(opts.out)
  return opts
end

local function main(argv)
  local ok, opts = pcall(M.options, argv)
  if not ok then
    io.stderr:write(tostring(opts), "\n")
    return 2
  end
  local started = os.time()
  local bin = absolute(os.getenv("FAULTS_BIN") or (ROOT .. "/build/a0lua"))
  if not fs.exists(bin) then
    io.stderr:write("faults: " .. bin .. " is missing (run make)\n")
    return 2
  end
  local list = M.scenarios(opts)
  if #list == 0 then
    io.stderr:write("faults: no scenario matches " .. tostring(opts.only) .. "\n")
    return 2
  end
  local function progress(line)
    if not opts.json then
      io.stderr:write(os.date("!%H:%M:%S "), "faults: ", line, "\n")
      io.stderr:flush()
    end
  end
  local ctx = { bin = bin, out = opts.out, reruns = opts.reruns, timeout = opts.timeout,
    kill_window = opts.size / 40, tenants = {}, progress = progress }
  fs.mkdir_p(opts.out)
  proc.guard(opts.out)
  for _, sc in ipairs(list) do
    if not ctx.tenants[sc.seed] then
      local dir = ("%s/tenant-%d-%d"):format(opts.out, opts.size, sc.seed)
      local manifest, err = gen.write(dir, opts.size, sc.seed, { client_id = gen.CLIENT_ID,
        client_secret = gen.CLIENT_SECRET })
      if not manifest then
        io.stderr:write("faults: tenant-gen: ", tostring(err), "\n")
        return 2
      end
      ctx.tenants[sc.seed] = { dir = dir, state = json.decode(proc.read(dir .. "/state.json")) }
      progress(("tenant of %d resources, seed %d: %s"):format(opts.size, sc.seed, dir))
    end
  end
  local rows, next_index = {}, 0
  local function lane()
    while true do
      next_index = next_index + 1
      local i = next_index
      if i > #list then return end
      rows[i] = run_scenario(ctx, list[i])
    end
  end
  local sched = tasks.new({ session = { proxy = "" }, concurrency = 32 })
  for _ = 1, math.min(opts.jobs, #list) do sched:spawn(lane) end
  sched:run()
  sched:close()
  local seconds = os.time() - started
  local title = ("Fault injection, %s: imports of a %d-resource tenant (bench/tenant-gen.lua), "
    .. "each scenario on a fresh `a0lua emulate`; %d at a time; %d s in all."):format(
    os.date("!%Y-%m-%d"), opts.size, math.min(opts.jobs, #list), seconds)
  local text = check.render(rows, { title = title })
  local passed = true
  for _, r in ipairs(rows) do
    if #r.broken > 0 then passed = false end
  end
  local doc = { date = os.date("!%Y-%m-%d"), size = opts.size, seeds = json.array(opts.seeds),
    jobs = opts.jobs, reruns = opts.reruns, seconds = seconds, ok = passed,
    rows = json.array(rows), table = text }
  local encoded = assert(json.encode(doc, { pretty = true }))
  local f = io.open(opts.out .. "/faults.json", "wb")
  if f then
    f:write(encoded, "\n")
    f:close()
  end
  if opts.json then
    io.stdout:write(encoded, "\n")
  else
    io.stdout:write(text)
    progress(("%d s in all; runs, logs and faults.json in %s"):format(seconds, opts.out))
  end
  return passed and 0 or 1
end

if arg and arg[0] and arg[0]:match("faults%.lua$") and not package.loaded["busted"] then
  return main(arg)
end

return M
