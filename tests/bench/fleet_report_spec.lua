-- bench/fleet_report.lua: the fleet benchmark's rows from its runs (no timing is asserted).
local report = dofile("bench/fleet_report.lua")

local function run(mode, step, seconds, rss, before, after, tenants, cpu)
  return { limits = "free", mode = mode, step = step, tenants = tenants or 4,
           wall_ns = seconds * 1e9, before = before or "10,0", after = after or "110,3",
           status = 0, rss_kb = rss or { 20480 }, cpu_s = cpu or { 1.25 }, emulator_cpu_s = 0.5 }
end

describe("bench/fleet_report.lua", function()
  it("compares each fleet row with the slowest single tenant", function()
    local rows = report.build({
      run("single", "reimport", 2, nil, "0,0", "30,0", 1),
      run("single", "reimport", 3, nil, "30,0", "60,1", 1),
      run("one", "reimport", 4.5, { 40960 }, "10,0,7", "110,3,39"),
      run("shards", "reimport", 6, { 10240, 10240, 10240, 10240 }, nil, nil, nil,
        { 1, 1.5, 1, 1 }),
    }, { cores = 2 })
    assert.are.equal(3, #rows)
    assert.are.equal("4 tenants, one process", rows[1].run)
    assert.are.equal(1.5, rows[1].ratio)
    assert.are.equal(10240, rows[1].peak_per_tenant_kb)
    assert.are.equal(1.25, rows[1].cpu_s)
    assert.are.equal(0.5, rows[1].emulator_cpu_s)
    assert.are.equal(100, rows[1].requests)
    assert.are.equal(25, rows[1].requests_per_tenant)
    assert.are.equal(3, rows[1].rate_limited)
    assert.are.equal(32, rows[1].connections)
    assert.are.equal("4 tenants, 4 shards", rows[2].run)
    assert.is_nil(rows[2].connections) -- counters of an emulator that did not count them
    assert.are.equal(40960, rows[2].peak_kb)
    assert.are.equal(2, rows[2].ratio)
    assert.are.equal("slowest of 2 tenants alone", rows[3].run)
    assert.are.equal(1, rows[3].ratio)
    assert.are.equal(1, rows[3].rate_limited)
    assert.are.equal(30, rows[3].requests_per_tenant)
    local text = report.render(rows, { size = 100, latency = "30:10", cores = 2, parallel = 4 })
    assert.matches("| free | same import again (no change) | 4 tenants, one process | 4.50 s "
      .. "| 1.50× | 40 MB | 10 MB | 1.25 s / 500 ms | 1.25 s (a0lua) | 3.60× | 100 | 25 | 3 | 32 |",
      text, 1, true)
    assert.matches("`a0lua run fleet --parallel 4`", text, 1, true)
    assert.matches("missed: free, 4 tenants, 4 shards: 2.00×", text, 1, true)
    assert.matches("every step starts with full rate-limit buckets (POST /__emulator/fleet/refill "
      .. "before each step on tenants an earlier step used)", text, 1, true)
  end)

  it("takes the CPU floor from the busiest process or from all the CPU over the cores", function()
    -- one a0lua process busier than the emulator, on 2 cores: that process is the floor
    local s, bound = report.cpu_floor({ 3 }, 1, 2)
    assert.are.equal(3, s)
    assert.are.equal("a0lua", bound)
    -- the emulator the busiest process
    s, bound = report.cpu_floor({ 1, 1 }, 2.5, 2)
    assert.are.equal(2.5, s)
    assert.are.equal("emulator", bound)
    -- 4 shards and the emulator, 9 s of CPU on 2 cores: the cores are the floor
    s, bound = report.cpu_floor({ 2, 2, 2, 2 }, 1, 2)
    assert.are.equal(4.5, s)
    assert.are.equal("cores", bound)
    -- without the cores there is no floor
    assert.is_nil(report.cpu_floor({ 1 }, 1, nil))
  end)

  it("gives the wall time's ratio to the floor, and requests per tenant", function()
    local rows = report.build({
      run("one", "import", 10, nil, "0,0", "800,0", 8, { 6 }),
      run("shards", "import", 5, { 1, 1, 1, 1 }, "800,0", "1600,0", 8, { 2, 2, 2, 2 }),
    }, { cores = 2 })
    assert.are.equal(6, rows[1].cpu_floor_s)
    assert.are.equal("a0lua", rows[1].cpu_bound)
    assert.is_true(math.abs(rows[1].vs_cpu_floor - 10 / 6) < 1e-9)
    assert.are.equal(4.25, rows[2].cpu_floor_s) -- (8 + 0.5) / 2
    assert.are.equal("cores", rows[2].cpu_bound)
    assert.are.equal(100, rows[2].requests_per_tenant)
  end)
end)
