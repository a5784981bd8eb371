-- `a0lua run fleet` and `a0lua run fleet-report` against `a0lua emulate`, one emulator per
-- tenant: one process and three shards give the same result, a tenant that cannot be reached is
-- retried and reported without stopping the others, --json says nothing else, and a tenant's
-- state is released when it is done (in process, with a0lua.fleet.deploy).
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")
local a0lua_api = require("a0lua")
local deploy = require("a0lua.fleet.deploy")
local errors = require("a0lua.errors")

local TENANT_YAML = [[
tenant:
  friendly_name: "##REGION## shop"
clients:
  - name: "Shop ##REGION##"
    app_type: spa
    callbacks: ["https://##REGION##.shop.example.com/callback"]
  - name: Shop Backend
    app_type: non_interactive
]]

local function a0lua(argv, env)
  local words = { "build/a0lua" }
  for _, a in ipairs(argv) do words[#words + 1] = a end
  return run.run(words, { env = env })
end

local function write_json(path, value)
  run.write_file(path, assert(json.encode(value)))
  return path
end

local function config_of(emu, region)
  return { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
    AUTH0_CLIENT_SECRET = emu.client_secret,
    AUTH0_KEYWORD_REPLACE_MAPPINGS = { REGION = region } }
end

-- What must be equal between two runs of one tenant (not its shard or its time).
local function comparable(r)
  return { name = r.name, index = r.index, status = r.status, counts = r.counts,
    attempts = r.attempts, error = r.error }
end

describe("a0lua run fleet", function()
  local tmp, emus, input
  local REGIONS = { "eu", "us", "ap", "sa", "af", "me" }

  setup(function()
    tmp = run.temp_dir()
    input = tmp .. "/tenant.yaml"
    run.write_file(input, TENANT_YAML)
    emus = {}
    for i = 1, #REGIONS do emus[i] = emulator.start() end
  end)
  teardown(function()
    for _, e in ipairs(emus or {}) do e:stop() end
    if tmp then run.remove_tree(tmp) end
  end)
  before_each(function()
    for _, e in ipairs(emus) do
      e:reset()
      e:clear_requests()
    end
  end)

  local function tenants_file(extra)
    local list = json.array()
    for i, region in ipairs(REGIONS) do
      local c = config_of(emus[i], region)
      c.name = region
      list[i] = c
    end
    for _, e in ipairs(extra or {}) do list[#list + 1] = e end
    return write_json(tmp .. "/tenants.json", list)
  end

  it("gives the same result in one process and as three shards merged by fleet-report",
    function()
      local tenants = tenants_file()
      local status, out, err = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants,
        "--json" })
      assert.equal(0, status, err)
      assert.equal("", err)
      local whole = assert(json.decode(out))
      assert.equal("1/1", whole.shard)
      assert.equal(6, whole.fleet_tenants)
      assert.same({ tenants = 6, applied = 6, in_sync = 0, changes = 0, failed = 0, exit = 0 },
        whole.summary)
      for i, r in ipairs(whole.tenants) do
        assert.equal(REGIONS[i], r.name)
        assert.equal("applied", r.status)
        assert.equal(1, r.attempts)
        assert.is_true(r.counts.create >= 2, out)
        assert.is_number(r.seconds)
      end
      local names = {}
      for _, c in ipairs(assert(emus[2]:get("/clients")).json) do names[c.name] = true end
      assert.is_true(names["Shop us"], "each tenant gets its own keywords")

      for _, e in ipairs(emus) do e:reset() end
      local files, total = {}, 0
      for k = 1, 3 do
        status, out, err = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants,
          "--shard", k .. "/3", "--json" })
        assert.equal(0, status, err)
        local doc = assert(json.decode(out))
        assert.equal(k .. "/3", doc.shard)
        total = total + #doc.tenants
        for _, r in ipairs(doc.tenants) do assert.equal(k .. "/3", r.shard) end
        files[k] = write_json(("%s/shard-%d.json"):format(tmp, k), doc)
      end
      assert.equal(6, total)
      status, out, err = a0lua({ "run", "fleet-report", "--json", files[3], files[1], files[2] })
      assert.equal(0, status, err)
      local merged = assert(json.decode(out))
      assert.same(whole.summary, merged.summary)
      assert.equal(#whole.tenants, #merged.tenants)
      for i, r in ipairs(whole.tenants) do
        assert.same(comparable(r), comparable(merged.tenants[i]))
      end
      -- The table, and a missing shard named.
      status, out = a0lua({ "run", "fleet-report", files[1], files[2], files[3] })
      assert.equal(0, status)
      assert.matches("\ntotal %(6%)%s+%d+%s+%d+%s+%d+%s+%d+%s+6 applied\n", out)
      local _
      status, _, err = a0lua({ "run", "fleet-report", files[1], files[3] })
      assert.equal(1, status)
      assert.matches("missing shard 2/3 (given 2 of 3)", err, 1, true)
    end)

  it("retries a tenant that cannot be reached, reports it, and deploys the others", function()
    local down = { name = "down", AUTH0_DOMAIN = "http://127.0.0.1:9",
      AUTH0_CLIENT_ID = "x", AUTH0_CLIENT_SECRET = "down-secret-value",
      AUTH0_API_MAX_RETRIES = 0 }
    -- Every answer a 500 or a 503, and no retry of the API client's own.
    local failing = emulator.start{ args = { "--fail-rate", "1" } }
    finally(function() failing:stop() end)
    local flaky = config_of(failing, "zz")
    flaky.name, flaky.AUTH0_API_MAX_RETRIES = "failing", 0
    local tenants = tenants_file({ down, flaky, { name = "nofile", config = "missing.json" } })
    local status, out, err = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants,
      "--json", "--retries", "1", "--parallel", "3" })
    assert.equal(1, status, err)
    assert.equal("", err)
    local doc = assert(json.decode(out))
    assert.same({ tenants = 9, applied = 6, in_sync = 0, changes = 0, failed = 3, exit = 1 },
      doc.summary)
    local r = doc.tenants[7]
    assert.equal("down", r.name)
    assert.equal("failed", r.status)
    assert.equal(2, r.attempts)
    assert.equal("api_network", r.error.code)
    assert.not_matches("down-secret-value", out, 1, true)
    r = doc.tenants[8]
    assert.equal("failing", r.name)
    assert.equal(2, r.attempts)
    assert.matches(": 50[03]: ", r.error.message)
    r = doc.tenants[9]
    assert.equal(1, r.attempts)
    assert.matches("missing.json", r.error.message, 1, true)
    -- In sync now, and a dry run says so; the unreachable one is left out.
    status, out = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants_file(),
      "--dry-run" })
    assert.equal(0, status, out)
    assert.matches("\ntotal %(6%)%s+0%s+0%s+0%s+%d+%s+6 in sync\n", out)
  end)

  it("with --dry-run exits 2 when a tenant would change; an empty shard succeeds", function()
    local tenants = tenants_file()
    local status, out = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants,
      "--dry-run", "--json" })
    assert.equal(2, status, out)
    local doc = assert(json.decode(out))
    assert.equal(6, doc.summary.changes)
    assert.is_true(doc.dry_run)
    assert.same({}, emus[1]:writes())
    -- 8 shards for 6 tenants: some shard has none.
    local empty
    for k = 1, 8 do
      status, out = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants, "--json",
        "--dry-run", "--shard-index-env", "JOB_COMPLETION_INDEX", "--shards", "8" },
        { JOB_COMPLETION_INDEX = tostring(k - 1) })
      doc = assert(json.decode(out))
      assert.equal(k .. "/8", doc.shard)
      if #doc.tenants == 0 then
        empty = true
        assert.equal(0, status)
        assert.equal(0, doc.summary.exit)
      end
    end
    assert.is_true(empty)
  end)

  it("shows progress on a terminal only", function()
    local tenants = tenants_file()
    local log = tmp .. "/tty.log"
    local cmd = ("build/a0lua run fleet -i %s --tenants %s --dry-run >/dev/null"):format(
      run.quote(input), run.quote(tenants))
    local _, _, status = os.execute(("script -qec %s %s >/dev/null 2>&1"):format(run.quote(cmd),
      run.quote(log)))
    assert.equal(2, status)
    local f = assert(io.open(log, "rb"))
    local text = f:read("a")
    f:close()
    assert.matches("fleet: %d+ done, %d+ failed, %d+ running, 6 total, %d+ s", text)
    local _, _, err = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants, "--dry-run" })
    assert.equal("", err)
    -- --json on a terminal: the document and nothing else.
    _, _, status = os.execute(("script -qec %s %s >/dev/null 2>&1"):format(
      run.quote(cmd .. " --json"), run.quote(log)))
    assert.equal(2, status)
    f = assert(io.open(log, "rb"))
    text = f:read("a")
    f:close()
    assert.not_matches("fleet: %d+ done", text)
  end)

  it("emits a matrix with every tenant in exactly one shard", function()
    local status, out = a0lua({ "run", "fleet", "--emit", "github-matrix", "--tenants",
      tenants_file(), "--shards", "4" })
    assert.equal(0, status, out)
    assert.equal(1, select(2, out:gsub("\n", "")), "one line, for $GITHUB_OUTPUT")
    local m = assert(json.decode(out))
    local seen = 0
    for k, e in ipairs(m.include) do
      assert.equal(k .. "/4", e.shard)
      for _ in e.tenants:gmatch("[^,]+") do seen = seen + 1 end
    end
    assert.equal(6, seen)
    local _, err
    status, _, err = a0lua({ "run", "fleet", "-i", input, "--tenants", tenants_file(),
      "--shards", "4" })
    assert.equal(1, status)
    assert.matches("--shards N goes with --shard-index-env VAR or --emit", err, 1, true)
  end)

  it("runs the emitted Kubernetes Job's command, one index at a time, into one report",
    function()
      -- The pod's filesystem: the ConfigMap and the Secret as folders, a0lua on the PATH.
      local root = tmp .. "/pod"
      assert(os.execute(("mkdir -p %s/input %s/tenants %s/bin && cp %s %s/input/ && "
        .. "ln -s %s/build/a0lua %s/bin/a0lua"):format(root, root, root, run.quote(input), root,
        run.quote(os.getenv("PWD")), root)))
      local tenants = tenants_file()
      assert(os.execute(("cp %s %s/tenants/"):format(run.quote(tenants), root)))
      local status, out = a0lua({ "run", "fleet", "--emit", "k8s-indexed-job", "-i", input,
        "--tenants", tenants, "--shards", "3", "--image", "a0lua:test", "--job-name", "shop",
        "--parallel", "2", "--retries", "0" })
      assert.equal(0, status, out)
      local job = assert(json.decode(out))
      local _, yout = a0lua({ "run", "fleet", "--emit", "k8s-indexed-job", "-i", input,
        "--tenants", tenants, "--shards", "3", "--image", "a0lua:test", "--job-name", "shop",
        "--parallel", "2", "--retries", "0", "--yaml" })
      assert.matches("^apiVersion: batch/v1\nkind: Job\n", yout)
      assert.same(job, (require("a0lua.core.yaml").decode(yout)))
      local container = job.spec.template.spec.containers[1]
      local script = container.command[3]
      assert.matches(" --parallel=2 --retries=0 ", script, 1, true)
      for _, m in ipairs(container.volumeMounts) do
        script = script:gsub(m.mountPath:gsub("%p", "%%%0"), root .. "/" .. m.name)
      end
      local files = {}
      for k = 1, 3 do
        local code
        code, out = run.run({ "sh", "-c", script }, { env = {
          PATH = root .. "/bin:" .. os.getenv("PATH"), JOB_COMPLETION_INDEX = tostring(k - 1) } })
        assert.equal(0, code, out)
        files[k] = tmp .. "/pod-" .. k .. ".json"
        run.write_file(files[k], out)
      end
      status, out = a0lua({ "run", "fleet-report", "--json", table.unpack(files) })
      assert.equal(0, status, out)
      assert.equal(6, assert(json.decode(out)).summary.applied)
      -- A pod that cannot even read its files fails, so that its index is tried again.
      os.remove(root .. "/tenants/tenants.json")
      local code = run.run({ "sh", "-c", script }, { env = {
        PATH = root .. "/bin:" .. os.getenv("PATH"), JOB_COMPLETION_INDEX = "0" } })
      assert.equal(1, code)
    end)
end)

describe("a0lua.fleet.deploy", function()
  local emu, tmp, input
  setup(function()
    tmp = run.temp_dir()
    input = tmp .. "/tenant.yaml"
    run.write_file(input, TENANT_YAML)
    emu = emulator.start()
  end)
  teardown(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function config()
    local values = config_of(emu, "eu")
    values.AUTH0_DRY_RUN = true
    return assert(a0lua_api.config(values, { args = { input_file = input } }))
  end
  local log = require("a0lua.log").new{ level = "silent" }

  it("retries what a second try can change, and only that", function()
    local calls = 0
    local flaky = { name = "flaky", index = 1, config = function()
      calls = calls + 1
      if calls == 1 then error(errors.new("api_network", "connection reset"), 0) end
      return config()
    end }
    local bad = { name = "bad", index = 2, config = function()
      error(errors.new("api_error", "Bad Request", { status = 400 }), 0)
    end }
    local entries = deploy.run{ tenants = { flaky, bad }, retries = 2, retry_wait_ms = 1,
      dry_run = true, log = log }
    assert.equal("changes", entries[1].status)
    assert.equal(2, entries[1].attempts)
    assert.is_nil(entries[1].error)
    assert.equal("failed", entries[2].status)
    assert.equal(1, entries[2].attempts)
    assert.equal("api_error", entries[2].error.code)
  end)

  it("loads the handlers once for tenants of one search path when asked to share them",
    function()
      local list = {}
      for i = 1, 3 do list[i] = { name = "t" .. i, index = i, config = config } end
      local loads = spy.on(a0lua_api, "handlers")
      finally(function() a0lua_api.handlers:revert() end)
      local entries = deploy.run{ tenants = list, dry_run = true, log = log,
        share_handlers = {} }
      for _, r in ipairs(entries) do assert.equal("changes", r.status) end
      assert.spy(loads).was.called(1)
    end)

  -- The most memory held while tenants run, sampled at each start and end of one (after a full
  -- collection), minus what was held before.
  local function peak_kb(n, parallel)
    local list = {}
    for i = 1, n do list[i] = { name = "t" .. i, index = i, config = config } end
    local peak = 0
    collectgarbage("collect")
    local before = collectgarbage("count")
    local sampler = { update = function()
      collectgarbage("collect")
      peak = math.max(peak, collectgarbage("count") - before)
    end, finish = function() end }
    local entries = deploy.run{ tenants = list, parallel = parallel, dry_run = true, log = log,
      progress = sampler }
    for _, r in ipairs(entries) do
      assert.equal("changes", r.status, r.error and r.error.message)
    end
    collectgarbage("collect")
    return peak, collectgarbage("count") - before
  end

  it("holds memory for the tenants in flight, not for the whole fleet", function()
    peak_kb(2, 2) -- modules and handlers loaded once, outside the measure
    local small = peak_kb(4, 2)
    local large, kept = peak_kb(16, 2)
    -- Four times the tenants, the same number in flight: about the same peak.
    assert.is_true(large < small * 1.5 + 64, ("peak %.0f KB for 16, %.0f KB for 4"):format(
      large, small))
    assert.is_true(kept < 16 * 4, ("%.0f KB kept after 16 tenants"):format(kept))
  end)
end)
