-- bench/fleet_report.lua: the fleet benchmark's rows from its runs (no timing is asserted).
local report = dofile("bench/fleet_report.lua")

local function run(mode, step, seconds, rss, before, after, tenants)
  return { limits = "free", mode = mode, step = step, tenants = tenants or 4,
           wall_ns = seconds * 1e9, before = before or "10,0", after = after or "110,3",
           status = 0, rss_kb = rss or { 20480 }, cpu_s = { 1.25 }, emulator_cpu_s = 0.5 }
end

describe("bench/fleet_report.lua", function()
  it("compares each fleet row with the slowest single tenant", function()
    local rows = report.build({
      run("single", "reimport", 2, nil, "0,0", "30,0", 1),
      run("single", "reimport", 3, nil, "30,0", "60,1", 1),
      run("one", "reimport", 4.5, { 40960 }),
      run("shards", "reimport", 6, { 10240, 10240, 10240, 10240 }),
    })
    assert.are.equal(3, #rows)
    assert.are.equal("4 tenants, one process", rows[1].run)
    assert.are.equal(1.5, rows[1].ratio)
    assert.are.equal(10240, rows[1].peak_per_tenant_kb)
    assert.are.equal(1.25, rows[1].cpu_s)
    assert.are.equal(0.5, rows[1].emulator_cpu_s)
    assert.are.equal(100, rows[1].requests)
    assert.are.equal(3, rows[1].rate_limited)
    assert.are.equal("4 tenants, 4 shards", rows[2].run)
    assert.are.equal(40960, rows[2].peak_kb)
    assert.are.equal(2, rows[2].ratio)
    assert.are.equal("slowest of 2 tenants alone", rows[3].run)
    assert.are.equal(1, rows[3].ratio)
    assert.are.equal(1, rows[3].rate_limited)
    local text = report.render(rows, { size = 100, latency = "30:10" })
    assert.matches("| free | same import again (no change) | 4 tenants, one process | 4.50 s "
      .. "| 1.50× | 40 MB | 10 MB | 1.25 s / 500 ms | 100 | 3 |", text, 1, true)
    assert.matches("missed: free, 4 tenants, 4 shards: 2.00×", text, 1, true)
  end)
end)
