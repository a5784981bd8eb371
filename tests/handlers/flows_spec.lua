local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local CONNECTIONS = A{ { id = "ac_1", name = "M2M", app_id = "AUTH0" },
  { id = "ac_2", name = "Sheets", app_id = "GOOGLE_SHEETS" } }

local function action(connection)
  return { id = "update_user", type = "AUTH0", action = "UPDATE_USER", allow_failure = false,
    params = { connection_id = connection, user_id = "{{context.user.user_id}}",
      changes = { user_metadata = { name = "{{fields.name}}" } } } }
end

local function flow(extra)
  local f = { name = "Update name", actions = A{ action("M2M") } }
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

local function remote(extra)
  local f = { id = "af_1", name = "Update name", actions = A{ action("ac_1") },
    created_at = "2026-01-01T00:00:00Z", updated_at = "2026-01-01T00:00:00Z",
    executed_at = "2026-01-02" }
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

local function summary(f) return { id = f.id, name = f.name, created_at = f.created_at } end

local function routes(current, extra)
  local r = { ["LIST /flows/vault/connections"] = CONNECTIONS, ["LIST /flows"] = A{} }
  for _, f in ipairs(current or {}) do
    r["LIST /flows"][#r["LIST /flows"] + 1] = summary(f)
    r["GET /flows/" .. f.id] = f
  end
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local function deploy(desired, current, cfg)
  return env.deploy{ config = cfg or {}, desired = { flows = A(desired) },
    routes = routes(current) }
end

describe("handlers/flows", function()
  local h = env.handler("flows")

  describe("schema", function()
    it("accepts a flow naming its vault connection", function()
      assert.is_true(env.check("flows", A{ flow() }))
    end)

    it("knows the API's action types and the actions of each", function()
      local bad = flow()
      bad.actions = A{ { id = "a", type = "AUTH", action = "UPDATE_USER" },
        { id = "b", type = "FLOW", action = "UPDATE_USER" },
        { id = "c", type = "FLOW", action = "DO_NOTHING", mask_output = "no" } }
      local ok, problems = env.check("flows", A{ bad })
      assert.is_false(ok)
      local all = {}
      for _, p in ipairs(problems) do all[#all + 1] = p.pointer .. " " .. p.message end
      all = table.concat(all, "\n")
      assert.matches("/flows/0/actions/0/type must be one of ACTIVECAMPAIGN", all, 1, true)
      assert.matches("/flows/0/actions/1/action must be one of BOOLEAN_CONDITION, DELAY_FLOW",
        all, 1, true)
      assert.matches("/flows/0/actions/2/mask_output must be boolean", all, 1, true)
    end)
  end)

  describe("fetch", function()
    it("reads each flow whole and names its vault connections", function()
      local ctx = env.ctx{ routes = routes({ remote() }) }
      local list = h:fetch(ctx)
      assert.equal("M2M", list[1].actions[1].params.connection_id)
      assert.equal(1, #ctx.api:find("GET", "/flows/af_1"))
    end)

    it("reads whole only the flows a plan names", function()
      local ctx = env.ctx{ routes = routes({ remote(), remote{ id = "af_2", name = "Other" } }) }
      local list = h:fetch(ctx, A{ flow() })
      assert.equal(2, #list)
      assert.equal(1, #ctx.api:find("GET", "/flows/af_1"))
      assert.same({}, ctx.api:find("GET", "/flows/af_2"))
    end)

    it("keeps the id of a connection not on the tenant, with a warning", function()
      local gone = remote()
      gone.actions[1].params.connection_id = "ac_gone"
      local ctx = env.ctx{ routes = routes({ gone }) }
      local list = h:fetch(ctx)
      assert.equal("ac_gone", list[1].actions[1].params.connection_id)
      assert.matches("ac_gone", ctx.log.lines.warn[1], 1, true)
    end)
  end)

  describe("import", function()
    it("creates with the connection's id in place of its name", function()
      local r = deploy({ flow() })
      assert.is_nil(r.err)
      local sent = env.bodies(r.ctx.api, "POST", "/flows")
      assert.equal(1, #sent)
      assert.equal("ac_1", sent[1].actions[1].params.connection_id)
    end)

    it("sends nothing when the flow matches", function()
      local r = deploy({ flow() }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("updates only the actions when one changes, with ids", function()
      local changed = flow()
      changed.actions[1].params.connection_id = "Sheets"
      local r = deploy({ changed }, { remote() })
      assert.is_nil(r.err)
      local sent = env.bodies(r.ctx.api, "PATCH", "/flows/af_1")
      assert.equal(1, #sent)
      assert.same({ "actions" }, (function()
        local keys = {}
        for k in pairs(sent[1]) do keys[#keys + 1] = k end
        return keys
      end)())
      assert.equal("ac_2", sent[1].actions[1].params.connection_id)
    end)

    it("deletes a flow the files lack only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { remote() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { remote() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/flows/af_1"))
    end)

    it("fails the write, before its request, when a connection is found nowhere", function()
      local r = deploy({ flow{ actions = A{ action("No such connection") } } })
      assert.is_not_nil(r.err)
      assert.matches("No such connection", tostring(r.err), 1, true)
      assert.same({}, r.ctx.api:find("POST", "/flows"))
    end)

    it("uses a connection created in the same run by its new id", function()
      local r = env.deploy{ desired = {
        flowVaultConnections = A{ { name = "New conn", app_id = "HTTP" } },
        flows = A{ flow{ actions = A{ action("New conn") } } } },
        routes = routes({}, { ["POST /flows/vault/connections"] = function(req)
          return { id = "ac_new", name = req.body.name, app_id = req.body.app_id } end }) }
      assert.is_nil(r.err)
      local sent = env.bodies(r.ctx.api, "POST", "/flows")
      assert.equal("ac_new", sent[1].actions[1].params.connection_id)
      local calls = r.ctx.api.calls
      local conn_at, flow_at
      for i, c in ipairs(calls) do
        if c.method == "POST" and c.path == "/flows/vault/connections" then conn_at = i end
        if c.method == "POST" and c.path == "/flows" then flow_at = i end
      end
      assert.is_true(conn_at < flow_at)
    end)
  end)

  describe("export", function()
    it("leaves out the id and the API's timestamps", function()
      local ctx = env.ctx{ routes = routes({ remote() }) }
      local item = h:fetch(ctx)[1]
      assert.same(flow(), handler.export_item(h, ctx, item))
    end)
  end)
end)
