local env = require("fixtures.handlers.env")
local fake = require("fixtures.handlers.fake_api")
local json = require("a0lua.core.json")

local A = json.array

local ACTIONS = A{ { id = "act_1", name = "exchange-action" },
  { id = "act_2", name = "other-action" } }

local function profile(extra)
  local p = { name = "Legacy", type = "custom_authentication",
    subject_token_type = "urn:example:legacy", action = "exchange-action" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end

local function remote(extra)
  local p = { id = "tep_1", name = "Legacy", type = "custom_authentication",
    subject_token_type = "urn:example:legacy", action_id = "act_1",
    created_at = "2026-01-01T00:00:00.000Z", updated_at = "2026-01-01T00:00:00.000Z" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end

local function deploy(desired, current, cfg)
  return env.deploy{ config = cfg or {}, desired = { tokenExchangeProfiles = A(desired) },
    routes = { ["LIST /token-exchange-profiles"] = A(current or {}),
      ["LIST /actions/actions"] = ACTIONS } }
end

describe("handlers/token_exchange_profiles", function()
  local h = env.handler("tokenExchangeProfiles")

  describe("schema", function()
    it("accepts a profile naming its action", function()
      assert.is_true(env.check("tokenExchangeProfiles", A{ profile() }))
    end)

    it("requires name, subject_token_type, action and type, and knows the one type", function()
      local ok, problems = env.check("tokenExchangeProfiles",
        A{ { name = "x", subject_token_type = "urn:x" },
          profile{ type = "custom_authentification" } })
      assert.is_false(ok)
      local messages = {}
      for _, p in ipairs(problems) do messages[#messages + 1] = p.pointer .. " " .. p.message end
      local all = table.concat(messages, "\n")
      assert.matches("/tokenExchangeProfiles/0", all, 1, true)
      assert.matches("/tokenExchangeProfiles/1/type must be one of custom_authentication", all, 1,
        true)
    end)
  end)

  describe("fetch", function()
    it("names each profile's action instead of its id", function()
      local ctx = env.ctx{ routes = { ["LIST /token-exchange-profiles"] = A{ remote() },
        ["LIST /actions/actions"] = ACTIONS } }
      local list = h:fetch(ctx)
      assert.equal("exchange-action", list[1].action)
      assert.is_nil(list[1].action_id)
    end)

    it("keeps the id of an action not on the tenant, with a warning", function()
      local ctx = env.ctx{ routes = { ["LIST /token-exchange-profiles"] = A{
        remote{ action_id = "act_gone" } }, ["LIST /actions/actions"] = ACTIONS } }
      local list = h:fetch(ctx)
      assert.equal("act_gone", list[1].action_id)
      assert.matches("act_gone", ctx.log.lines.warn[1], 1, true)
    end)

    it("reads a tenant without the feature (403) as none, with a warning", function()
      local ctx = env.ctx{ routes = {
        ["LIST /token-exchange-profiles"] = fake.fail(403, "forbidden") } }
      assert.same(A{}, h:fetch(ctx))
      assert.equal(1, #ctx.log.lines.warn)
    end)
  end)

  describe("import", function()
    it("creates with exactly name, subject_token_type, action_id and type", function()
      local r = deploy({ profile() })
      assert.is_nil(r.err)
      assert.same({ { name = "Legacy", subject_token_type = "urn:example:legacy",
        action_id = "act_1", type = "custom_authentication" } },
        env.bodies(r.ctx.api, "POST", "/token-exchange-profiles"))
    end)

    it("sends nothing when the profile matches", function()
      local r = deploy({ profile() }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("renames by subject_token_type with only name and subject_token_type", function()
      local r = deploy({ profile{ name = "Legacy IdP" } }, { remote() })
      assert.is_nil(r.err)
      assert.same({ { name = "Legacy IdP" } },
        env.bodies(r.ctx.api, "PATCH", "/token-exchange-profiles/tep_1"))
      assert.equal(1, #r.ctx.api:writes())
    end)

    it("warns about a changed action, which the API cannot change, and sends nothing", function()
      local r = deploy({ profile{ action = "other-action" } }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
      assert.matches("other%-action", r.ctx.log.lines.warn[1])
    end)

    it("deletes a profile the files lack only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { remote() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { remote() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/token-exchange-profiles/tep_1"))
    end)

    it("fails the create when the action is on neither side", function()
      local r = deploy({ profile{ action = "missing-action" } })
      assert.is_not_nil(r.err)
      assert.matches("missing%-action", tostring(r.err))
      assert.same({}, r.ctx.api:find("POST", "/token-exchange-profiles"))
    end)
  end)

  describe("export", function()
    it("names the action and leaves out the id and the timestamps", function()
      local handler = require("a0lua.handler")
      local ctx = env.ctx{ routes = { ["LIST /actions/actions"] = ACTIONS } }
      assert.same(profile(), handler.export_item(h, ctx, remote()))
    end)
  end)
end)
