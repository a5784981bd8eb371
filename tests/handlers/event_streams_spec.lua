local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local function webhook(token, endpoint)
  return { name = "Hook", status = "enabled", subscriptions = A{ { event_type = "user.created" } },
    destination = { type = "webhook", configuration = {
      webhook_endpoint = endpoint or "https://example.com/events",
      webhook_authorization = { method = "bearer", token = token } } } }
end

local function action_stream(action)
  return { name = "Act", subscriptions = A{ { event_type = "user.created" } },
    destination = { type = "action", configuration = { action_id = action } } }
end

local function deploy(desired, remote, routes)
  local all = { ["LIST /event-streams"] = A(remote or {}) }
  for k, v in pairs(routes or {}) do all[k] = v end
  return env.deploy{ routes = all, desired = { eventStreams = A(desired) } }
end

describe("handlers/event_streams", function()
  local h = env.handler("eventStreams")

  describe("schema", function()
    it("knows the destination types, statuses and authorization methods", function()
      assert.is_true(env.check("eventStreams", A{ webhook("t0ken"), action_stream("a") }))
      local bad = webhook("t0ken")
      bad.status = "on"
      bad.destination.configuration.webhook_authorization.method = "digest"
      local ok, problems = env.check("eventStreams", A{ bad,
        { name = "X", destination = { type = "sqs", configuration = {} } } })
      assert.is_false(ok)
      local at = {}
      for _, p in ipairs(problems) do at[p.pointer] = true end
      assert.is_true(at["/eventStreams/0/status"])
      assert.is_true(at["/eventStreams/0/destination/configuration/webhook_authorization/method"])
      assert.is_true(at["/eventStreams/1/destination/type"])
    end)
  end)

  describe("import", function()
    it("makes no request when only the write-only secret differs (the API never shows it)",
      function()
        local current = webhook(nil)
        current.id = "est_1"
        current.created_at = "2026-01-01T00:00:00.000Z"
        local r = deploy({ webhook("file-token-1") }, { current })
        assert.is_nil(r.err)
        assert.same({}, r.ctx.api:writes())
      end)

    it("sends a changed destination whole, the secret with it", function()
      local current = webhook(nil)
      current.id = "est_1"
      local r = deploy({ webhook("file-token-1", "https://example.com/v2") }, { current })
      assert.is_nil(r.err)
      local bodies = env.bodies(r.ctx.api, "PATCH", "/event-streams/est_1")
      assert.same({ { destination = webhook("file-token-1", "https://example.com/v2")
        .destination } }, bodies)
    end)

    it("names the action by id, reading the actions again for one made in this run", function()
      local reads = 0
      local r = deploy({ action_stream("new-action") }, {}, {
        ["LIST /actions/actions"] = function()
          reads = reads + 1
          return reads == 1 and A{} or A{ { id = "act_9", name = "new-action" } }
        end })
      assert.is_nil(r.err)
      assert.same({ { name = "Act", subscriptions = A{ { event_type = "user.created" } },
        destination = { type = "action", configuration = { action_id = "act_9" } } } },
        env.bodies(r.ctx.api, "POST", "/event-streams"))
    end)

    it("fails the stream whose action does not exist, sending nothing for it", function()
      local r = deploy({ action_stream("missing") })
      assert.is_not_nil(r.err)
      assert.matches("no action named missing", tostring(r.err.message or r.err))
      assert.same({}, env.bodies(r.ctx.api, "POST", "/event-streams"))
    end)

    it("matches an action stream by the action's id: no change", function()
      local current = action_stream("act_1")
      current.id = "est_2"
      local r = deploy({ action_stream("my-action") }, { current },
        { ["LIST /actions/actions"] = A{ { id = "act_1", name = "my-action" } } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)
  end)

  describe("export", function()
    it("writes the action's name and a0deploy's placeholder for the secret", function()
      local ctx = env.ctx{ routes = { ["LIST /actions/actions"] = A{ { id = "act_1",
        name = "my-action" } } } }
      local stream = action_stream("act_1")
      stream.id, stream.created_at, stream.updated_at = "est_1", "t1", "t2"
      assert.same(action_stream("my-action"), handler.export_item(h, ctx, stream))
      local hook = webhook(nil)
      local out = handler.export_item(h, ctx, hook)
      assert.equal("##EVENT_STREAM_WEBHOOK_BEARER_TOKEN##",
        out.destination.configuration.webhook_authorization.token)
      out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_SECRETS = true } }, hook)
      assert.is_nil(out.destination.configuration.webhook_authorization.token)
    end)
  end)
end)
