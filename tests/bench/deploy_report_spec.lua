-- bench/deploy_report.lua and bench/deploy_check.lua: reading a run's files, and the targets of
-- issue 5 row by row.
local report = dofile("bench/deploy_report.lua")
local check = dofile("bench/deploy_check.lua")

describe("bench/deploy_report.lua", function()
  describe("parse_requests", function()
    it("counts API requests, writes, 429s and token requests from the emulator's log", function()
      local r = report.parse_requests(table.concat({
        "2026-01-01T00:00:00Z POST /oauth/token 200 30.1ms",
        "2026-01-01T00:00:00Z GET /api/v2/clients?page=0&per_page=100 200 31.0ms",
        "2026-01-01T00:00:00Z GET /api/v2/roles/rol_ikl0kgZkgOtweDAq/permissions 200 29.0ms",
        "2026-01-01T00:00:00Z GET /api/v2/roles/rol_Abcdefghijklmnop/permissions 200 29.0ms",
        "2026-01-01T00:00:01Z POST /api/v2/organizations 429 28.0ms",
        "2026-01-01T00:00:02Z POST /api/v2/organizations 201 28.0ms",
        "2026-01-01T00:00:02Z PATCH /api/v2/organizations/org_RJeu2Pn908gLBdh3/connections/"
          .. "con_fzOfGFJ42PheHQAO 200 28.0ms",
      }, "\n"))
      assert.equals(6, r.requests)
      assert.equals(3, r.writes)
      assert.equals(1, r.rate_limited)
      assert.equals(1, r.token)
      assert.equals(2, r.templates["GET /roles/{id}/permissions"])
      assert.equals(2, r.templates["POST /organizations"])
      assert.equals(1, r.templates["PATCH /organizations/{id}/connections/{id}"])
    end)
  end)

  describe("template", function()
    it("keeps collection names and replaces ids, names and languages", function()
      assert.equals("/organizations/{id}/enabled_connections",
        report.template("/api/v2/organizations/org_RJeu2Pn908gLBdh3/enabled_connections"))
      assert.equals("/prompts/{id}/custom-text/{id}",
        report.template("/api/v2/prompts/login-id/custom-text/en"))
      assert.equals("/actions/actions/{id}/deploy",
        report.template("/api/v2/actions/actions/2fda3f82-bff8-440c-875f-3125312e0b47/deploy"))
      assert.equals("/email-templates/{id}",
        report.template("/api/v2/email-templates/verify_email"))
      assert.equals("/client-grants", report.template("/api/v2/client-grants?take=100"))
    end)
  end)

  describe("parse_time", function()
    it("reads the peak RSS and the elapsed time of /usr/bin/time -v", function()
      local t = report.parse_time("\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:04.51\n"
        .. "\tMaximum resident set size (kbytes): 1949180\n")
      assert.equals(1949180, t.rss_kb)
      assert.near(64.51, t.elapsed_s, 1e-9)
      assert.same({}, report.parse_time(""))
    end)
  end)

  describe("median", function()
    it("is the middle value, or the mean of the two middle ones", function()
      assert.equals(2, report.median({ 3, 1, 2 }))
      assert.equals(2.5, report.median({ 4, 1, 2, 3 }))
      assert.is_nil(report.median({}))
    end)
  end)

  describe("targets", function()
    local function row(step, a, d, floor_s, size)
      return { size = size or 100, step = step, a0lua = a, a0deploy = d,
        needed = { floor_s = floor_s, requests = 10 },
        vs_floor = a.median_s / floor_s, vs_a0deploy = d and a.median_s / d.median_s }
    end

    it("marks the re-import with writes, or slower than a tenth of a0deploy, as missed", function()
      local a = { median_s = 2, requests = 10, writes = 1, rate_limited = 0, ok = true,
        rss_kb = 10000 }
      local d = { median_s = 10, requests = 20, writes = 5, rate_limited = 0, ok = true,
        rss_kb = 100000 }
      local t = report.targets({ row("reimport", a, d, 1.8) }, {})
      local met = {}
      for _, x in ipairs(t) do met[x.target] = x.met end
      assert.is_true(met["at most 1.25× the floor"])
      assert.is_false(met["no write request"])
      assert.is_false(met["at most a tenth of a0deploy's time"])
      assert.is_true(met["no more requests than a0deploy"])
      assert.is_true(met["at most a fifth of a0deploy's memory"])
      assert.is_true(met["no 429 that ends in a failure"])
    end)

    it("checks the export at 1,000 against a third of a0deploy and the start-up", function()
      local a = { median_s = 5, requests = 10, writes = 0, rate_limited = 3, ok = false,
        failures = { "round 1: exit 1, " } }
      local d = { median_s = 12, requests = 9, writes = 0, rate_limited = 0, ok = true }
      local t = report.targets({ row("export", a, d, 4, 1000) }, {
        { name = "a0lua version", median_s = 0.01 },
        { name = "a0deploy --version", median_s = 1.0 },
      })
      local met = {}
      for _, x in ipairs(t) do met[x.target] = x.met end
      assert.is_false(met["at most a third of a0deploy's time"])
      assert.is_false(met["no more requests than a0deploy"])
      assert.is_false(met["no 429 that ends in a failure"])
      assert.is_true(met["a0lua version: start-up at most 1/50 of a0deploy's"])
    end)
  end)
end)

describe("bench/deploy_check.lua", function()
  describe("counts", function()
    it("counts the lists and the sub-lists of a state", function()
      local c = check.counts({
        ["/clients"] = { {}, {} }, ["/roles"] = { {} },
        ["/roles/rol_1/permissions"] = { {}, {} },
        ["/organizations/org_1/enabled_connections"] = { {} },
        ["/organizations/org_1/client-grants"] = { {}, {} },
        ["/email-templates/welcome_email"] = {},
      })
      assert.equals(2, c["/clients"])
      assert.equals(0, c["/client-grants"])
      assert.equals(2, c["role permissions"])
      assert.equals(1, c["organization connections"])
      assert.equals(2, c["organization client grants"])
      assert.equals(1, c["email templates"])
    end)
  end)

  describe("changes_applied", function()
    it("finds every change of tenant-changed.yaml, and reports those missing", function()
      local gen = dofile("bench/tenant-gen.lua")
      local m = gen.generate(100, 1)
      local changed, changes = gen.change(m, 1)
      local manifest = { size = 100, seed = 1, changes = changes }
      local state_before, state_after = { ["/clients"] = {} }, { ["/clients"] = {} }
      local rs_before, rs_after, orgs_before, orgs_after = {}, {}, {}, {}
      for i, c in ipairs(m.clients) do
        state_before["/clients"][i] = { name = c.name, client_id = "id" .. i,
          description = c.description }
        state_after["/clients"][i] = { name = c.name, client_id = "id" .. i,
          description = changed.clients[i].description }
      end
      for i, r in ipairs(m.resourceServers) do
        rs_before[i] = { identifier = r.identifier, token_lifetime = r.token_lifetime }
        rs_after[i] = { identifier = r.identifier,
          token_lifetime = changed.resourceServers[i].token_lifetime }
      end
      for i, o in ipairs(m.organizations) do
        orgs_before[i] = { name = o.name, display_name = o.display_name }
        orgs_after[i] = { name = o.name, display_name = changed.organizations[i].display_name }
      end
      local roles_before, roles_after = {}, {}
      for i, r in ipairs(m.roles) do
        roles_before[i] = { name = r.name, description = r.description }
        roles_after[i] = { name = r.name, description = changed.roles[i].description }
      end
      state_before["/resource-servers"], state_after["/resource-servers"] = rs_before, rs_after
      state_before["/organizations"], state_after["/organizations"] = orgs_before, orgs_after
      state_before["/roles"], state_after["/roles"] = roles_before, roles_after
      -- the 100-resource tenant of seed 1 changes one item; a grant needs the grants lists
      if changes[1].type == "clientGrants" or changes[1].type == "databases"
          or changes[1].type == "connections" then
        pending("seed 1 changes a type this test does not build")
        return
      end
      assert.same({}, check.changes_applied(state_after, manifest))
      local missing = check.changes_applied(state_before, manifest)
      assert.equals(1, #missing)
      assert.matches("^change not in the tenant: " .. changes[1].type, missing[1])
    end)
  end)
end)
