-- bench/faults_check.lua: the invariants of `make faults` (duplicates, the emulator log's counts,
-- what breaks a scenario) and its table; bench/faults.lua's choice of scenarios.
local check = dofile("bench/faults_check.lua")
local faults = dofile("bench/faults.lua")

local function import_run(over)
  local run = { kind = "import", status = 0, seconds = 2, writes = 10, rate_limited = 1,
    duplicates = 0 }
  for k, v in pairs(over or {}) do run[k] = v end
  return run
end

describe("bench/faults_check.lua", function()
  describe("duplicates", function()
    it("finds nothing in a tenant whose names and identifiers are unique", function()
      assert.same({}, check.duplicates({
        ["/clients"] = { { client_id = "a", name = "App" }, { client_id = "b", name = "Api" } },
        ["/resource-servers"] = { { identifier = "https://a" }, { identifier = "https://b" } },
        ["/tenants/settings"] = { friendly_name = "x" },
      }))
    end)

    it("catches a client created twice, with the name and the count", function()
      local d = check.duplicates({
        ["/clients"] = { { client_id = "a", name = "App" }, { client_id = "b", name = "Api" },
          { client_id = "c", name = "App" } },
      })
      assert.same({ { path = "/clients", key = "App", count = 2 } }, d)
    end)

    it("keys client grants by client, audience and subject type", function()
      local grants = {
        { id = "cgr_1", client_id = "a", audience = "https://x" },
        { id = "cgr_2", client_id = "a", audience = "https://x", subject_type = "user" },
        { id = "cgr_3", client_id = "a", audience = "https://y" },
      }
      assert.same({}, check.duplicates({ ["/client-grants"] = grants }))
      grants[4] = { id = "cgr_4", client_id = "a", audience = "https://y" }
      assert.same({ { path = "/client-grants", key = "a | https://y | ", count = 2 } },
        check.duplicates({ ["/client-grants"] = grants }))
    end)

    it("checks the sub-lists by what they point at, nested fields included", function()
      local d = check.duplicates({
        ["/roles/rol_1/permissions"] = {
          { resource_server_identifier = "https://a", permission_name = "read:x" },
          { resource_server_identifier = "https://a", permission_name = "read:x" },
        },
        ["/organizations/org_1/enabled_connections"] = { { connection_id = "con_1" },
          { connection_id = "con_2" } },
        ["/actions/triggers/post-login/bindings"] = {
          { id = "b1", action = { name = "tag" } }, { id = "b2", action = { name = "tag" } },
        },
      })
      assert.equals(2, #d)
      assert.same({ path = "/actions/triggers/post-login/bindings", key = "tag", count = 2 }, d[1])
      assert.same({ path = "/roles/rol_1/permissions", key = "https://a | read:x", count = 2 },
        d[2])
    end)
  end)

  describe("tally", function()
    it("counts API writes and 429s, leaves the token request out, and counts drops", function()
      local t = check.tally(table.concat({
        "2026-01-01T00:00:00Z POST /oauth/token 200 1.0ms",
        "2026-01-01T00:00:00Z GET /api/v2/clients?page=0&per_page=100 200 1.0ms",
        "2026-01-01T00:00:00Z POST /api/v2/clients 201 dropped-after 1.0ms",
        "2026-01-01T00:00:01Z POST /api/v2/roles 0 dropped-before 1.0ms",
        "2026-01-01T00:00:01Z POST /api/v2/roles 429 1.0ms",
        "2026-01-01T00:00:02Z PATCH /api/v2/tenants/settings 503 1.0ms",
      }, "\n"))
      assert.same({ requests = 5, writes = 4, rate_limited = 1, token = 1, dropped = 2 }, t)
    end)
  end)

  describe("summary", function()
    it("passes a scenario whose first run succeeded and whose re-run wrote nothing", function()
      local final = import_run({ kind = "final", writes = 0, rate_limited = 0 })
      local row = check.summary({ name = "drop", label = "drop", first_must_succeed = true,
        converged = true, runs = { import_run(), final }, final = final })
      assert.same({}, row.broken)
      assert.is_true(row.first_ok)
      assert.is_true(row.zero_write)
      assert.equals(2, row.runs)
      assert.equals(10, row.writes)
      assert.equals(4, row.seconds)
    end)

    it("breaks on a failed first run, a duplicate, and a re-run that writes", function()
      local final = import_run({ kind = "final", writes = 3 })
      local row = check.summary({ name = "drop", label = "drop", first_must_succeed = true,
        converged = true, final = final,
        runs = { import_run({ status = 1 }), import_run({ duplicates = 2 }), final } })
      assert.same({ "first run failed", "duplicates",
        "the re-run after convergence wrote or failed" }, row.broken)
      assert.equals(1, row.failed)
      assert.equals(2, row.duplicates)
    end)

    it("breaks when the runs never converged, and then has no zero-write re-run", function()
      local row = check.summary({ name = "5xx", label = "5xx", first_must_succeed = true,
        runs = { import_run({ status = 1 }), import_run({ status = 1 }) } })
      assert.same({ "first run failed", "did not converge",
        "no zero-write re-run (not converged)" }, row.broken)
    end)

    it("does not count killed imports as failures, nor as the first run", function()
      local final = import_run({ kind = "final", writes = 0 })
      local row = check.summary({ name = "kill", label = "kill", first_must_succeed = false,
        converged = true, final = final,
        runs = { import_run({ kind = "killed", status = 137 }), import_run(), final } })
      assert.same({}, row.broken)
      assert.equals(1, row.killed)
      assert.equals(0, row.failed)
      assert.is_true(row.first_ok)
    end)
  end)

  describe("render", function()
    it("prints a row per scenario and what broke, or that every invariant holds", function()
      local final = import_run({ kind = "final", writes = 0 })
      local good = check.summary({ name = "slow", label = "slow answers",
        first_must_succeed = true, converged = true, runs = { import_run(), final },
        final = final })
      local bad = check.summary({ name = "drop", label = "dropped connections",
        first_must_succeed = true, runs = { import_run({ status = 1 }) } })
      bad.errors = { "run1: error: lost answer" }
      local text = check.render({ good, bad }, { title = "Fault injection" })
      assert.matches("| slow answers | 2 | 0 | yes | 1 / 2 | 10 / 10 | 2.00 s / 4.00 s | 0 | "
        .. "yes | yes |", text, 1, true)
      assert.matches("| dropped connections | 1 | 1 | NO |", text, 1, true)
      assert.matches("Invariants broken in 1 of 2 scenarios:\n- dropped connections: first "
        .. "run failed, did not converge, no zero-write re-run (not converged): run1: error: "
        .. "lost answer", text, 1, true)
      assert.matches("Every invariant holds (1 scenarios).",
        check.render({ good }), 1, true)
    end)
  end)
end)

describe("bench/faults.lua scenarios", function()
  it("has a free-plan import per seed, then the other faults on the first seed", function()
    local list = faults.scenarios({ seeds = { 7, 13, 21 }, kills = 3 })
    local names, seeds = {}, {}
    for i, s in ipairs(list) do names[i], seeds[i] = s.name, s.seed end
    assert.same({ "429-free-7", "429-free-13", "429-free-21", "429-enterprise", "5xx", "drop",
      "slow", "kill" }, names)
    assert.same({ 7, 13, 21, 7, 7, 7, 7, 7 }, seeds)
    assert.is_false(list[8].first_must_succeed)
    assert.is_true(list[6].first_must_succeed)
  end)

  it("keeps only the scenarios named, by name or prefix", function()
    local list = faults.scenarios({ seeds = { 7, 13 }, kills = 3, only = "429-free,drop" })
    assert.same({ "429-free-7", "429-free-13", "drop" },
      { list[1].name, list[2].name, list[3].name })
    assert.equals(3, #list)
  end)
end)
