local env = require("fixtures.handlers.env")
local json = require("a0lua.core.json")

local A = json.array

local function deploy(desired, remote, cfg)
  return env.deploy{ config = cfg or {}, routes = { ["GET /rules-configs"] = A(remote or {}) },
    desired = { rulesConfigs = A(desired) } }
end

describe("handlers/rules_configs", function()
  it("requires key and value, the key of a0deploy's pattern, each key once", function()
    assert.is_true(env.check("rulesConfigs", A{ { key = "API_KEY-1", value = "v" } }))
    local ok, problems = env.check("rulesConfigs", A{ { key = "bad key", value = "v" },
      { key = "K" }, { key = "D", value = "1" }, { key = "D", value = "2" } })
    assert.is_false(ok)
    local at = {}
    for _, p in ipairs(problems) do at[p.pointer] = true end
    for _, p in ipairs({ "/rulesConfigs/0/key", "/rulesConfigs/1", "/rulesConfigs/3/key" }) do
      assert.is_true(at[p], p)
    end
    local twice
    for _, p in ipairs(problems) do
      if p.pointer == "/rulesConfigs/3/key" then twice = p.message end
    end
    assert.matches('must be unique: key "D" is also item 2', twice, 1, true)
  end)

  it("PUTs only the keys the tenant lacks, the value never in the plan", function()
    local r = deploy({ { key = "NEW", value = "new-secret-value" },
      { key = "OLD", value = "changed-value" } }, { { key = "OLD" } })
    assert.is_nil(r.err)
    local writes = r.ctx.api:writes()
    assert.equal(1, #writes)
    assert.equal("PUT", writes[1].method)
    assert.equal("/rules-configs/NEW", writes[1].path)
    assert.same({ value = "new-secret-value" }, writes[1].body)
    local text = r.plan:json() .. r.plan:render{ verbose = true }
    assert.is_nil(text:find("new-secret-value", 1, true))
    assert.matches("OLD already on the tenant", table.concat(r.ctx.log.lines.info, "\n"), 1, true)
  end)

  it("never deletes a key, even with AUTH0_ALLOW_DELETE", function()
    local r = deploy({}, { { key = "OLD" } }, { AUTH0_ALLOW_DELETE = true })
    assert.is_nil(r.err)
    assert.same({}, r.ctx.api:writes())
    assert.same({}, r.plan:changes())
  end)

  it("exports the keys only", function()
    local h = env.handler("rulesConfigs")
    local out = require("a0lua.handler").export_item(h, env.ctx{}, { key = "K", value = "x" })
    assert.same({ key = "K" }, out)
  end)
end)
