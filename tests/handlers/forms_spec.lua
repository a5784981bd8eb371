local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local FLOWS = A{ { id = "af_1", name = "Update name" }, { id = "af_2", name = "Notify" } }

-- A form naming flows in the three places the API has a flow_id.
local function form(flow, extra)
  local f = {
    name = "KYC",
    languages = { primary = "en" },
    nodes = A{
      { id = "step_1", type = "STEP", coordinates = { x = 500, y = 0 }, config = {
        components = A{
          { id = "full_name", category = "FIELD", type = "TEXT", label = "Name",
            config = { multiline = false } },
          { id = "resend", category = "BLOCK", type = "RESEND_BUTTON", config = {
            flow_id = flow, active_text = "a", button_text = "b", waiting_text = "c" } } },
        next_node = "flow_1" } },
      { id = "flow_1", type = "FLOW", config = { flow_id = flow, next_node = "$ending" } } },
    start = { next_node = "step_1", coordinates = { x = 0, y = 0 } },
    ending = { resume_flow = true, after_submit = { flow_id = flow } },
  }
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

local function remote(extra)
  local f = form("af_1", { id = "ap_1", created_at = "2026-01-01T00:00:00Z",
    updated_at = "2026-01-01T00:00:00Z", submitted_at = "2026-01-02",
    embedded_at = "2026-01-02" })
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

local function routes(current)
  local r = { ["LIST /flows"] = FLOWS, ["LIST /forms"] = A{} }
  for _, f in ipairs(current or {}) do
    r["LIST /forms"][#r["LIST /forms"] + 1] = { id = f.id, name = f.name, flow_count = 1 }
    r["GET /forms/" .. f.id] = f
  end
  return r
end

local function deploy(desired, current, cfg)
  return env.deploy{ config = cfg or {}, desired = { forms = A(desired) },
    routes = routes(current) }
end

local function flow_ids(body)
  return { body.nodes[1].config.components[2].config.flow_id, body.nodes[2].config.flow_id,
    body.ending.after_submit.flow_id }
end

describe("handlers/forms", function()
  local h = env.handler("forms")

  describe("schema", function()
    it("accepts a form naming its flows", function()
      assert.is_true(env.check("forms", A{ form("Update name") }))
    end)

    it("types nodes and components: node types, categories and the types of each", function()
      local bad = form("Update name")
      bad.nodes[2].type = "FLOWS"
      bad.nodes[1].config.components[1].type = "NEXT_BUTTON"
      bad.nodes[1].config.components[2].category = "BLOCKS"
      bad.ending.resume_flow = "yes"
      local ok, problems = env.check("forms", A{ bad })
      assert.is_false(ok)
      local all = {}
      for _, p in ipairs(problems) do all[#all + 1] = p.pointer .. " " .. p.message end
      all = table.concat(all, "\n")
      assert.matches("/forms/0/nodes/1/type must be one of STEP, FLOW, ROUTER", all, 1, true)
      assert.matches("/forms/0/nodes/0/config/components/0/type must be one of BOOLEAN, CARDS",
        all, 1, true)
      assert.matches("/forms/0/nodes/0/config/components/1/category must be one of BLOCK", all,
        1, true)
      assert.matches("/forms/0/ending/resume_flow must be boolean", all, 1, true)
    end)
  end)

  describe("fetch", function()
    it("reads each form whole and names its flows wherever a flow_id is", function()
      local ctx = env.ctx{ routes = routes({ remote() }) }
      local list = h:fetch(ctx)
      assert.same({ "Update name", "Update name", "Update name" }, flow_ids(list[1]))
    end)

    it("reads whole only the forms a plan names", function()
      local ctx = env.ctx{ routes = routes({ remote(), remote{ id = "ap_2", name = "Other" } }) }
      local list = h:fetch(ctx, A{ form("Update name") })
      assert.equal(2, #list)
      assert.same({}, ctx.api:find("GET", "/forms/ap_2"))
    end)
  end)

  describe("import", function()
    it("creates with flow ids in place of flow names", function()
      local r = deploy({ form("Update name") })
      assert.is_nil(r.err)
      local sent = env.bodies(r.ctx.api, "POST", "/forms")
      assert.equal(1, #sent)
      assert.same({ "af_1", "af_1", "af_1" }, flow_ids(sent[1]))
    end)

    it("sends nothing when the form matches (the API's dates and flow_count aside)", function()
      local r = deploy({ form("Update name") }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("sends only the part that changed", function()
      local r = deploy({ form("Update name", { style = { css = "h1 { color: red }" } }) },
        { remote() })
      assert.is_nil(r.err)
      assert.same({ { style = { css = "h1 { color: red }" } } },
        env.bodies(r.ctx.api, "PATCH", "/forms/ap_1"))
    end)

    it("sends a node list naming another flow with that flow's id", function()
      local r = deploy({ form("Notify") }, { remote() })
      assert.is_nil(r.err)
      local sent = env.bodies(r.ctx.api, "PATCH", "/forms/ap_1")
      assert.equal(1, #sent)
      assert.equal("af_2", sent[1].nodes[2].config.flow_id)
      assert.equal("af_2", sent[1].ending.after_submit.flow_id)
    end)

    it("deletes a form the files lack only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { remote() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { remote() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/forms/ap_1"))
    end)

    it("waits for a flow created in the same run and sends its new id", function()
      local r = env.deploy{ desired = { flows = A{ { name = "Fresh", actions = A{} } },
        forms = A{ form("Fresh") } },
        routes = { ["LIST /flows"] = A{}, ["LIST /forms"] = A{},
          ["POST /flows"] = function(req) return { id = "af_new", name = req.body.name } end } }
      assert.is_nil(r.err)
      assert.same({ "af_new", "af_new", "af_new" },
        flow_ids(env.bodies(r.ctx.api, "POST", "/forms")[1]))
    end)
  end)

  describe("export", function()
    it("names the flows and leaves out the id, the dates and flow_count", function()
      local ctx = env.ctx{ routes = routes({ remote{ flow_count = 1 } }) }
      local item = h:fetch(ctx)[1]
      assert.same(form("Update name"), handler.export_item(h, ctx, item))
    end)
  end)
end)
