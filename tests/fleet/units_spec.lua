-- The pieces of `a0lua run fleet` that need no tenant: the shard assignment, the results and
-- their merge, the emitted matrix and Job, which failures are retried, the progress line.
local json = require("a0lua.core.json")
local emit = require("a0lua.fleet.emit")
local progress = require("a0lua.fleet.progress")
local results = require("a0lua.fleet.results")
local retry = require("a0lua.fleet.retry")
local shard = require("a0lua.fleet.shard")
local errors = require("a0lua.errors")
local inputs = require("a0lua.fleet.inputs")
local run = require("helpers.run")

local function names(n, prefix)
  local out = {}
  for i = 1, n do out[i] = (prefix or "tenant-") .. i end
  return out
end

describe("fleet.shard", function()
  it("hashes with FNV-1a 64 (the published vectors) before its finalizer", function()
    -- The finalizer is a bijection, so equal FNV values give equal hashes; pinned values keep
    -- the assignment the same on every machine and in every release.
    local function hex(n) return ("0x%016x"):format(n) end
    assert.equal("0xcbf29ce484222325", hex(shard.fnv1a64("")))
    assert.equal("0xaf63dc4c8601ec8c", hex(shard.fnv1a64("a")))
    assert.equal("0x85944171f73967e8", hex(shard.fnv1a64("foobar")))
    assert.equal("0xefd01f60ba992926", hex(shard.hash("")))
    assert.equal("0x2c22194922d1672b", hex(shard.hash("foobar")))
    assert.equal("0xb3fbee65a850597f", hex(shard.hash("eu\0" .. 1)))
    assert.equal(3, shard.of("eu", 3))
    assert.equal(2, shard.of("us", 3))
  end)

  it("parses K/N and refuses what is out of range", function()
    assert.same({ index = 2, count = 4 }, shard.parse("2/4"))
    for _, bad in ipairs({ "0/4", "5/4", "1/0", "x", "1/", "-1/3" }) do
      local s, err = shard.parse(bad)
      assert.is_nil(s, bad)
      assert.equal("fleet_shard", err.code)
      assert.matches(bad, err.message, 1, true)
    end
  end)

  it("takes a 0-based index from the environment", function()
    local env = { JOB_COMPLETION_INDEX = "0", BAD = "3" }
    local function getenv(n) return env[n] end
    assert.same({ index = 1, count = 3 }, shard.from_env("JOB_COMPLETION_INDEX", 3, getenv))
    local s, err = shard.from_env("BAD", 3, getenv)
    assert.is_nil(s)
    assert.matches("below --shards 3", err.message, 1, true)
    s, err = shard.from_env("UNSET", 3, getenv)
    assert.is_nil(s)
    assert.matches("UNSET: the variable is not set", err.message, 1, true)
  end)

  it("puts every tenant in exactly one shard, spread over all of them", function()
    local list = names(300)
    local owner, sizes = {}, {}
    for k = 1, 4 do
      local picked = shard.select(list, { index = k, count = 4 })
      sizes[k] = #picked
      for _, i in ipairs(picked) do
        assert.is_nil(owner[i])
        owner[i] = k
      end
    end
    for i = 1, #list do assert.is_not_nil(owner[i]) end
    for k = 1, 4 do assert.is_true(sizes[k] > 40, "shard " .. k .. ": " .. sizes[k]) end
  end)

  it("moves no tenant when one is added, and about 1/(N+1) from N to N+1 shards", function()
    local list = names(400)
    local before = {}
    for i, n in ipairs(list) do before[i] = shard.of(n, 5) end
    local grown = names(401)
    for i = 1, 400 do assert.equal(before[i], shard.of(grown[i], 5)) end
    local moved = 0
    for i, n in ipairs(list) do
      local now = shard.of(n, 6)
      if now ~= before[i] then
        moved = moved + 1
        assert.equal(6, now, "a tenant moves only to the new shard")
      end
    end
    -- 400/6 is about 67.
    assert.is_true(moved > 35 and moved < 100, "moved " .. moved)
  end)
end)

describe("fleet.results", function()
  local function doc(k, n, entries, total, dry)
    local list = {}
    for i, e in ipairs(entries) do
      local r = results.entry(e[1], e[2], k .. "/" .. n)
      r.status = e[3]
      list[i] = r
    end
    return results.document(list, { shard = k .. "/" .. n, fleet_tenants = total, dry_run = dry })
  end

  it("sums statuses into the exit status", function()
    local e = { results.entry("a", 1), results.entry("b", 2) }
    e[1].status, e[2].status = "in_sync", "changes"
    assert.same({ tenants = 2, applied = 0, in_sync = 1, changes = 1, failed = 0, exit = 2 },
      results.summary(e, true))
    assert.equal(0, results.summary(e, false).exit)
    e[2].status = "failed"
    assert.equal(1, results.summary(e, true).exit)
  end)

  it("keeps secrets out of an error's message and keeps its code", function()
    local r = results.entry("a", 1)
    results.set_error(r, errors.new("api_auth", "bad s3cr3t-value\nmore"), { "s3cr3t-value" })
    assert.same({ code = "api_auth", message = "bad (secret)" }, r.error)
  end)

  it("merges shards in the list's order, and an empty shard", function()
    local merged = assert(results.merge{
      { path = "2.json", doc = doc(2, 3, { { "b", 2, "applied" }, { "c", 3, "failed" } }, 3) },
      { path = "1.json", doc = doc(1, 3, { { "a", 1, "in_sync" } }, 3) },
      { path = "3.json", doc = doc(3, 3, {}, 3) },
    })
    assert.equal("all", merged.shard)
    assert.same({ "a", "b", "c" }, { merged.tenants[1].name, merged.tenants[2].name,
      merged.tenants[3].name })
    assert.same({ tenants = 3, applied = 1, in_sync = 1, changes = 0, failed = 1, exit = 1 },
      merged.summary)
  end)

  it("names missing shards, and refuses overlaps and results that do not fit", function()
    local a = doc(1, 3, { { "a", 1, "applied" } }, 2)
    local _, err = results.merge{ { path = "1.json", doc = a } }
    assert.equal("fleet_report", err.code)
    assert.matches("missing shards 2/3, 3/3 (given 1 of 3)", err.message, 1, true)
    _, err = results.merge{ { path = "1.json", doc = a },
      { path = "2.json", doc = doc(2, 3, { { "a", 1, "applied" } }, 2) } }
    assert.matches("tenant a is in 1.json and in 2.json", err.message, 1, true)
    _, err = results.merge{ { path = "1.json", doc = a }, { path = "x.json", doc = a } }
    assert.matches("shard 1/3 given twice: 1.json and x.json", err.message, 1, true)
    _, err = results.merge{ { path = "1.json", doc = a },
      { path = "2.json", doc = doc(2, 4, {}, 2) } }
    assert.matches("2.json: shard 2/4, but 1.json is of 3 shards", err.message, 1, true)
    _, err = results.merge{ { path = "1.json", doc = a },
      { path = "2.json", doc = doc(2, 3, {}, 5) } }
    assert.matches("not the same tenants file", err.message, 1, true)
    _, err = results.merge{ { path = "1.json", doc = a },
      { path = "2.json", doc = doc(2, 3, {}, 2, true) } }
    assert.matches("--dry-run differs", err.message, 1, true)
    _, err = results.merge{ { path = "p.json", doc = { plan = {} } } }
    assert.matches("p.json: not the --json result", err.message, 1, true)
  end)

  it("prints a table with a totals line", function()
    local e = { results.entry("eu", 1), results.entry("us", 2) }
    e[1].status, e[1].counts.create = "applied", 3
    e[2].error = { code = "api_network", message = "down" }
    local text = results.table(e, results.summary(e))
    assert.matches("\ntotal %(2%)%s+3%s+0%s+0%s+0%s+1 applied, 1 failed\n$", text)
    assert.matches("\nus%s+failed%s+0%s+0%s+0%s+0%s+down\n", text)
  end)
end)

describe("fleet.emit", function()
  it("a GitHub matrix: one entry per shard, every tenant in exactly one", function()
    local list = names(20)
    local m = emit.github_matrix(list, 4)
    assert.is_true(json.is_array(m.include))
    assert.equal(4, #m.include)
    local seen = {}
    for k, e in ipairs(m.include) do
      assert.equal(k .. "/4", e.shard)
      for n in e.tenants:gmatch("[^,]+") do
        assert.is_nil(seen[n], n)
        seen[n] = true
        assert.equal(k, shard.of(n, 4))
      end
    end
    for _, n in ipairs(list) do assert.is_true(seen[n], n) end
  end)

  it("a Kubernetes Indexed Job running the shard of JOB_COMPLETION_INDEX", function()
    local job = emit.k8s_indexed_job{ count = 3, image = "registry.example/a0lua:1",
      input = "conf/tenant.yaml", tenants = "conf/tenants.json", config = "conf/base.json",
      dry_run = true }
    assert.equal("batch/v1", job.apiVersion)
    assert.equal("Job", job.kind)
    assert.equal("Indexed", job.spec.completionMode)
    assert.equal(3, job.spec.completions)
    assert.equal(3, job.spec.parallelism)
    local pod = job.spec.template.spec
    assert.equal("Never", pod.restartPolicy)
    local c = pod.containers[1]
    assert.equal("registry.example/a0lua:1", c.image)
    local cmd = c.command[3]
    for _, part in ipairs({ "a0lua run fleet", "-i /fleet/input/tenant.yaml",
        "--tenants /fleet/tenants/tenants.json", "-c /fleet/tenants/base.json", "--dry-run",
        "--shard-index-env JOB_COMPLETION_INDEX --shards 3", "--json" }) do
      assert.matches(part, cmd, 1, true)
    end
    assert.equal("a0lua-fleet-input", pod.volumes[1].configMap.name)
    assert.equal("a0lua-fleet-tenants", pod.volumes[2].secret.secretName)
    assert.truthy(json.encode(job))
  end)
end)

describe("fleet.retry", function()
  it("retries network errors, 5xx and 429, not bad input or 4xx", function()
    assert.is_true(retry.worth_it(errors.new("api_network", "x")))
    assert.is_true(retry.worth_it(errors.new("api_error", "x", { status = 503 })))
    assert.is_true(retry.worth_it(errors.new("api_error", "x", { status = 429 })))
    assert.is_false(retry.worth_it(errors.new("api_error", "x", { status = 400 })))
    assert.is_false(retry.worth_it(errors.new("api_auth", "x", { status = 401 })))
    assert.is_false(retry.worth_it(errors.new("validation", "x")))
    assert.is_false(retry.worth_it("a raised string"))
    local net = errors.new("api_network", "x")
    local bad = errors.new("api_error", "x", { status = 400 })
    assert.is_true(retry.worth_it(errors.new("apply_failed", "x",
      { failures = { { error = net } } })))
    assert.is_false(retry.worth_it(errors.new("apply_failed", "x",
      { failures = { { error = net }, { error = bad } } })))
  end)
end)

describe("fleet.progress", function()
  it("writes one updating line on a terminal and nothing otherwise", function()
    local out = {}
    local stream = { write = function(_, ...)
      for _, s in ipairs({ ... }) do out[#out + 1] = s end
    end }
    local t = 0
    local p = progress.new{ total = 5, tty = true, stream = stream, now = function() return t end }
    p:update{ done = 1, failed = 0, running = 2 }
    t = 2500
    p:update{ done = 2, failed = 1, running = 2 }
    p:finish()
    local text = table.concat(out)
    assert.matches("fleet: 1 done, 0 failed, 2 running, 5 total, 0 s", text, 1, true)
    assert.matches("\r\27[Kfleet: 2 done, 1 failed, 2 running, 5 total, 2 s", text, 1, true)
    -- A log line written meanwhile: the progress line cleared, the log line, then it again.
    p = progress.new{ total = 5, tty = true, stream = stream, now = function() return t end }
    p:update{ done = 1, failed = 0, running = 2 }
    out = {}
    p:wrap(stream):write("error: x", "\n")
    assert.equal("\r\27[Kerror: x\nfleet: 1 done, 0 failed, 2 running, 5 total, 0 s",
      table.concat(out))
    out = {}
    p = progress.new{ total = 5, tty = false, stream = stream, now = function() return t end }
    assert.equal(stream, p:wrap(stream))
    p:update{ done = 1, failed = 0, running = 2 }
    p:finish()
    assert.same({}, out)
  end)
end)

describe("fleet.inputs", function()
  it("keys the load by what is not per tenant, and never with hooks", function()
    local a = { AUTH0_DOMAIN = "a.example.com", AUTH0_CLIENT_SECRET = "x",
      AUTH0_KEYWORD_REPLACE_MAPPINGS = { REGION = "eu" } }
    local b = { AUTH0_DOMAIN = "b.example.com", AUTH0_CLIENT_SECRET = "y",
      AUTH0_KEYWORD_REPLACE_MAPPINGS = { REGION = "eu" } }
    local c = { AUTH0_DOMAIN = "b.example.com", AUTH0_KEYWORD_REPLACE_MAPPINGS = { REGION = "us" } }
    assert.equal(inputs.key(a), inputs.key(b))
    assert.are_not.equal(inputs.key(a), inputs.key(c))
    assert.is_nil(inputs.key(a, true))
  end)

  it("loads once for the tenants of one key, each given the same load", function()
    local a0lua = require("a0lua")
    local tmp = run.temp_dir()
    local load
    -- (busted keeps only the last function given to finally)
    finally(function()
      if load then a0lua.load:revert() end
      run.remove_tree(tmp)
    end)
    run.write_file(tmp .. "/tenant.yaml", "clients:\n  - name: \"Web ##REGION##\"\n")
    local cfg = assert(a0lua.config({ AUTH0_DOMAIN = "x.example.com", AUTH0_ACCESS_TOKEN = "t",
      AUTH0_KEYWORD_REPLACE_MAPPINGS = { REGION = "eu" } },
      { args = { input_file = tmp .. "/tenant.yaml" } }))
    load = spy.on(a0lua, "load")
    local shared = inputs.new({ "k", false, "k", "k" }, 4)
    local got = {}
    for i, key in ipairs({ "k", false, "k", "k" }) do
      got[i] = assert(shared:load(key or nil, { config = cfg, validate = false }))
      assert.equal("Web eu", got[i].clients[1].name)
    end
    assert.spy(load).was.called(2)
    assert.equal(got[1], got[3])
    assert.equal(got[1], got[4])
    assert.are_not.equal(got[1], got[2])
    assert.equal(0, shared.held, "the last tenant of a key takes the load")
  end)

  it("a shared load is left as it was by the plans of the tenants that share it", function()
    local plan = require("a0lua.plan")
    local handler = require("a0lua.handler")
    local A = json.array
    -- A resolve that writes into the items it is given, and object_fields that adjust them.
    local registry = require("a0lua.handlers").new{
      { type = "clients", path = "/clients", id = "client_id",
        identifiers = { "client_id", "name" },
        object_fields = { "client_metadata" },
        resolve = function(_, _, items)
          for _, item in ipairs(items) do
            item.description = "resolved"
            item.client_metadata.added = "by resolve"
          end
          return items
        end },
      -- and a type without a resolve of its own, whose items are not copied
      { type = "resourceServers", path = "/resource-servers", identifiers = { "id", "identifier" },
        object_fields = { "metadata" } },
    }
    local desired = { clients = A{ { name = "A", client_metadata = { keep = "1" } } },
      resourceServers = A{ { identifier = "https://api", name = "Api",
        metadata = { a = "1" } }, { identifier = "https://new", name = "##NAME##" } } }
    local before = handler.deep_copy(desired)
    local function plan_for(current)
      local ctx = { config = { AUTH0_ALLOW_DELETE = true }, handlers = registry,
        current = { clients = A{ current }, resourceServers = A{ { id = "r1",
          identifier = "https://api", name = "Api", metadata = { b = "2" } } } } }
      return assert(plan.compute(ctx, desired))
    end
    local first = plan_for({ client_id = "c1", name = "A", client_metadata = { old = "x" } })
    local second = plan_for({ client_id = "c2", name = "A", description = "resolved",
      client_metadata = { keep = "1", added = "by resolve" } })
    assert.same(before, desired)
    local function of_type(p, t)
      local out = {}
      for _, c in ipairs(p:changes()) do
        if c.type == t then out[#out + 1] = { op = c.op, payload = c.payload } end
      end
      return out
    end
    assert.same({ { op = "update", payload = { description = "resolved", client_metadata = {
      keep = "1", added = "by resolve", old = json.null } } } }, of_type(first, "clients"))
    assert.same({}, of_type(second, "clients"))
    local servers = { { op = "create", payload = { identifier = "https://new" } },
      { op = "update", payload = { metadata = { a = "1", b = json.null } } } }
    assert.same(servers, of_type(first, "resourceServers"))
    assert.same(servers, of_type(second, "resourceServers"))
  end)
end)
