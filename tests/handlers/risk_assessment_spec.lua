-- handlers/risk_assessment.lua: settings and new_device, each its own endpoint, written only
-- when they differ (a0deploy writes both on every run).
local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")

local SETTINGS, DEVICE = "/risk-assessments/settings", "/risk-assessments/settings/new-device"

local function routes(settings, device)
  return { ["GET " .. SETTINGS] = settings or fake.fail(404, "Not Found"),
    ["GET " .. DEVICE] = device or fake.fail(404, "Not Found"),
    ["PATCH " .. SETTINGS] = {}, ["PATCH " .. DEVICE] = {} }
end

-- The PATCH bodies sent, by path.
local function patched(api)
  return { [SETTINGS] = env.bodies(api, "PATCH", SETTINGS)[1],
    [DEVICE] = env.bodies(api, "PATCH", DEVICE)[1] }
end

describe("handlers/risk_assessment", function()
  local h = env.handler("riskAssessment")

  describe("schema", function()
    it("takes settings with new_device, and settings alone", function()
      assert.is_true(env.check("riskAssessment", { settings = { enabled = true },
        new_device = { remember_for = 30 } }))
      assert.is_true(env.check("riskAssessment", { settings = { enabled = false } }))
    end)

    for _, case in ipairs({
      { { new_device = { remember_for = 30 } }, "riskAssessment" },
      { { settings = { enabled = "yes" } }, "riskAssessment.settings.enabled" },
      { { settings = { enabled = true }, new_device = { remember_for = 0 } },
        "riskAssessment.new_device.remember_for" },
      { { settings = { enabled = true }, new_device = { remember_for = 366 } },
        "riskAssessment.new_device.remember_for" },
      { { settings = { enabled = true, level = "high" } }, "riskAssessment.settings.level" },
      { { settings = { enabled = true }, newDevice = {} }, "riskAssessment.newDevice" },
    }) do
      it("refuses " .. case[2], function()
        local ok, problems = env.check("riskAssessment", case[1])
        assert.is_false(ok)
        assert.equal(case[2], problems[1].path)
      end)
    end
  end)

  describe("fetch", function()
    it("reads both for an export", function()
      local ctx = env.ctx{ routes = routes({ enabled = true }, { remember_for = 7 }) }
      assert.same({ settings = { enabled = true }, new_device = { remember_for = 7 } },
        h:fetch(ctx))
    end)

    it("reads a tenant that never set them as disabled, without new_device", function()
      assert.same({ settings = { enabled = false } }, h:fetch(env.ctx{ routes = routes() }))
    end)

    it("reads new_device for a plan only when the files set it", function()
      local ctx = env.ctx{ routes = routes({ enabled = true }, { remember_for = 7 }) }
      h:fetch(ctx, { settings = { enabled = true } })
      assert.equal(1, #ctx.api.calls)
      assert.equal(SETTINGS, ctx.api.calls[1].path)
    end)

    it("fails on another error", function()
      local r = routes({ enabled = true })
      r["GET " .. DEVICE] = fake.fail(500, "boom")
      local _, err = h:fetch(env.ctx{ routes = r })
      assert.equal(500, err.status)
    end)
  end)

  describe("import", function()
    local function deploy(desired, settings, device)
      return env.deploy{ routes = routes(settings, device), desired = { riskAssessment = desired } }
    end

    it("sends nothing when nothing differs", function()
      local r = deploy({ settings = { enabled = true }, new_device = { remember_for = 7 } },
        { enabled = true }, { remember_for = 7 })
      assert.is_nil(r.err)
      assert.same({}, patched(r.ctx.api))
    end)

    it("sends only the part that differs", function()
      local r = deploy({ settings = { enabled = true }, new_device = { remember_for = 8 } },
        { enabled = true }, { remember_for = 7 })
      assert.same({ [DEVICE] = { remember_for = 8 } }, patched(r.ctx.api))
      r = deploy({ settings = { enabled = true } }, { enabled = false }, { remember_for = 7 })
      assert.same({ [SETTINGS] = { enabled = true } }, patched(r.ctx.api))
    end)
  end)
end)
