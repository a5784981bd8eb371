local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local function http(extra)
  local s = { name = "HTTP", type = "http", sink = { httpEndpoint = "https://logs.example.com/",
    httpContentFormat = "JSONLINES", httpAuthorization = "Bearer file-secret-1" } }
  for k, v in pairs(extra or {}) do s[k] = v end
  return s
end

local function deploy(desired, remote, cfg)
  return env.deploy{ config = cfg or {}, routes = { ["LIST /log-streams"] = A(remote or {}) },
    desired = { logStreams = A(desired) } }
end

local function pointers(problems)
  local out = {}
  for _, p in ipairs(problems) do out[p.pointer] = true end
  return out
end

describe("handlers/log_streams", function()
  local h = env.handler("logStreams")

  describe("schema", function()
    it("knows the sink types, statuses, filter categories and PII settings", function()
      assert.is_true(env.check("logStreams", A{ http{ status = "paused", isPriority = true,
        filters = A{ { type = "category", name = "auth.login.fail" } },
        pii_config = { log_fields = A{ "email" } } } }))
      local ok, problems = env.check("logStreams", A{ http{ type = "htttp", status = "on",
        filters = A{ { type = "category", name = "auth.login.failed" } },
        pii_config = { log_fields = A{ "mail" }, method = "sha" } },
        { name = "Datadog", type = "datadog", sink = { datadogRegion = "asia" } } })
      assert.is_false(ok)
      local at = pointers(problems)
      for _, p in ipairs({ "/logStreams/0/type", "/logStreams/0/status",
        "/logStreams/0/filters/0/name", "/logStreams/0/pii_config/log_fields/0",
        "/logStreams/0/pii_config/method", "/logStreams/1/sink/datadogRegion" }) do
        assert.is_true(at[p], p)
      end
    end)

    it("requires a name", function()
      local ok, problems = env.check("logStreams", A{ { type = "http" } })
      assert.is_false(ok)
      assert.is_true(pointers(problems)["/logStreams/0"])
    end)
  end)

  describe("import", function()
    it("creates without status and the API's partner source, then pauses a paused one", function()
      local r = deploy({ http{ status = "paused" }, { name = "Bridge", type = "eventbridge",
        sink = { awsAccountId = "123456789012", awsRegion = "us-east-2",
          awsPartnerEventSource = "aws.partner/x" } } })
      assert.is_nil(r.err)
      local posts = env.bodies(r.ctx.api, "POST", "/log-streams")
      assert.equal(2, #posts)
      for _, body in ipairs(posts) do
        assert.is_nil(body.status)
        assert.is_nil(body.sink.awsPartnerEventSource)
      end
      local patches = r.ctx.api:find("PATCH")
      assert.equal(1, #patches)
      assert.same({ status = "paused" }, patches[1].body)
    end)

    it("sends nothing when only the write-only credential differs", function()
      local r = deploy({ http() }, { http{ id = "lst_1", status = "active",
        sink = { httpEndpoint = "https://logs.example.com/", httpContentFormat = "JSONLINES",
          httpAuthorization = "Bearer tenant-secret" } } })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends a changed sink whole, credential included, and never the type", function()
      local current = http{ id = "lst_1" }
      current.sink.httpContentFormat = "JSONARRAY"
      local r = deploy({ http() }, { current })
      assert.is_nil(r.err)
      assert.same({ { sink = http().sink } }, env.bodies(r.ctx.api, "PATCH", "/log-streams/lst_1"))
    end)

    it("never sends a credential a0deploy exported as _VALUE_NOT_SHOWN_", function()
      local want = http()
      want.sink.httpAuthorization = "_VALUE_NOT_SHOWN_"
      local r = deploy({ want })
      assert.is_nil(env.bodies(r.ctx.api, "POST", "/log-streams")[1].sink.httpAuthorization)
    end)

    it("does not try to set suspended, and resumes a suspended stream the file has active",
      function()
        local r = deploy({ http{ status = "suspended" } }, { http{ id = "lst_1",
          status = "suspended" } })
        assert.same({}, r.ctx.api:writes())
        r = deploy({ http{ status = "active" } }, { http{ id = "lst_1", status = "suspended" } })
        assert.same({ { status = "active" } }, env.bodies(r.ctx.api, "PATCH", "/log-streams/lst_1"))
      end)

    it("plans a changed sink type and refuses to send it (a0deploy drops it silently)",
      function()
        local current = { id = "lst_1", name = "HTTP", type = "datadog",
          sink = { datadogRegion = "eu" } }
        local r = deploy({ http() }, { current })
        local change = r.plan:changes()[1]
        assert.equal("http", change.payload.type)
        assert.equal("apply_failed", r.err.code)
        assert.equal("log_stream_type", r.err.failures[1].error.code)
        assert.matches("logStreams HTTP: type: the sink type of a log stream cannot change "
          .. "(datadog to http)", r.err.failures[1].error.message, 1, true)
        assert.same({}, r.ctx.api:writes())
      end)
  end)

  describe("export", function()
    it("writes a0deploy's placeholder for the credential and drops a suspended status", function()
      local item = http{ id = "lst_1", status = "suspended" }
      local out = handler.export_item(h, env.ctx(), item)
      assert.equal("##LOGSTREAMS_HTTP_SECRET##", out.sink.httpAuthorization)
      assert.is_nil(out.status)
      assert.is_nil(out.id)
      out = handler.export_item(h, env.ctx{ config = { AUTH0_EXPORT_SECRETS = true } }, item)
      assert.equal("Bearer file-secret-1", out.sink.httpAuthorization)
    end)
  end)
end)
