local env = require("fixtures.handlers.env")
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local A = json.array

local SETUP = { type = "API_KEY", api_key = "vault-k3y-value" }

local function conn(extra)
  local c = { name = "Sheets", app_id = "GOOGLE_SHEETS" }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

local function remote(extra)
  local c = { id = "ac_1", name = "Sheets", app_id = "GOOGLE_SHEETS", ready = true,
    account_name = "ops@example.com", fingerprint = "fp1", created_at = "2026-01-01T00:00:00Z",
    updated_at = "2026-01-01T00:00:00Z", refreshed_at = "2026-01-01T00:00:00Z" }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

local function deploy(desired, current, cfg)
  return env.deploy{ config = cfg or {}, desired = { flowVaultConnections = A(desired) },
    routes = { ["LIST /flows/vault/connections"] = A(current or {}) } }
end

describe("handlers/flow_vault_connections", function()
  local h = env.handler("flowVaultConnections")

  describe("schema", function()
    it("accepts a connection with its setup", function()
      assert.is_true(env.check("flowVaultConnections", A{ conn{ setup = SETUP } }))
    end)

    it("requires name and app_id, knows the API's 21 apps and types the rest", function()
      local ok, problems = env.check("flowVaultConnections", A{ { name = "x" },
        conn{ name = "y", app_id = "GOOGLE_SHEET" }, conn{ name = "z", setup = "key",
          ready = "yes" } })
      assert.is_false(ok)
      local all = {}
      for _, p in ipairs(problems) do all[#all + 1] = p.pointer .. " " .. p.message end
      all = table.concat(all, "\n")
      assert.matches("/flowVaultConnections/0 ", all, 1, true)
      assert.matches("/flowVaultConnections/1/app_id must be one of ACTIVECAMPAIGN", all, 1, true)
      assert.matches("/flowVaultConnections/2/setup must be object", all, 1, true)
      assert.matches("/flowVaultConnections/2/ready must be boolean", all, 1, true)
    end)

    it("refuses two connections of one name", function()
      local ok, problems = env.check("flowVaultConnections", A{ conn(), conn() })
      assert.is_false(ok)
      assert.matches("must be unique", problems[1].message, 1, true)
    end)
  end)

  describe("import", function()
    it("creates with only name, app_id and setup", function()
      local r = deploy({ conn{ setup = SETUP, ready = true, account_name = "a",
        environment = "e" } })
      assert.is_nil(r.err)
      assert.same({ { name = "Sheets", app_id = "GOOGLE_SHEETS", setup = SETUP } },
        env.bodies(r.ctx.api, "POST", "/flows/vault/connections"))
    end)

    it("creates an uninitialised connection when the files give no setup", function()
      local r = deploy({ conn() })
      assert.same({ { name = "Sheets", app_id = "GOOGLE_SHEETS" } },
        env.bodies(r.ctx.api, "POST", "/flows/vault/connections"))
    end)

    it("sends nothing for a matching connection, whatever its setup or read-only fields",
      function()
      local r = deploy({ conn{ setup = SETUP, ready = false, account_name = "other",
        environment = "dev" } }, { remote() })
      assert.is_nil(r.err)
      assert.same({}, r.ctx.api:writes())
    end)

    it("renames by id with {name, setup}, setup only when the files give one", function()
      local r = deploy({ conn{ id = "ac_1", name = "Sheets 2", setup = SETUP } }, { remote() })
      assert.is_nil(r.err)
      assert.same({ { name = "Sheets 2", setup = SETUP } },
        env.bodies(r.ctx.api, "PATCH", "/flows/vault/connections/ac_1"))
      r = deploy({ conn{ id = "ac_1", name = "Sheets 2" } }, { remote() })
      assert.same({ { name = "Sheets 2" } },
        env.bodies(r.ctx.api, "PATCH", "/flows/vault/connections/ac_1"))
    end)

    it("warns about a changed app, which the API cannot change, and sends nothing", function()
      local r = deploy({ conn{ app_id = "HTTP" } }, { remote() })
      assert.same({}, r.ctx.api:writes())
      assert.matches("app_id GOOGLE_SHEETS on the tenant, HTTP in the files",
        r.ctx.log.lines.warn[1], 1, true)
    end)

    it("deletes a connection the files lack only with AUTH0_ALLOW_DELETE", function()
      local r = deploy({}, { remote() })
      assert.same({}, r.ctx.api:writes())
      r = deploy({}, { remote() }, { AUTH0_ALLOW_DELETE = true })
      assert.equal(1, #r.ctx.api:find("DELETE", "/flows/vault/connections/ac_1"))
    end)

    it("masks the setup's values in everything logged", function()
      local ctx = env.ctx{}
      local added = {}
      ctx.log.add_secret = function(_, v) added[#added + 1] = v end
      h:resolve(ctx, A{ conn{ setup = SETUP } })
      assert.same({ "vault-k3y-value" }, added)
    end)

    it("shows a setup sent with a rename as write-only in the plan", function()
      local r = env.deploy{ dry_run = true, desired = { flowVaultConnections = A{
        conn{ id = "ac_1", name = "Sheets 2", setup = SETUP } } },
        routes = { ["LIST /flows/vault/connections"] = A{ remote() } } }
      local text = r.plan:render{ color = false }
      assert.is_nil(text:find("vault-k3y-value", 1, true))
    end)

    it("masks the whole setup in a verbose plan, whatever its keys are called", function()
      local r = env.deploy{ dry_run = true, desired = { flowVaultConnections = A{
        conn{ app_id = "HUBSPOT", setup = { type = "OAUTH_CODE", code = "hub-oauth-code" } } } },
        routes = { ["LIST /flows/vault/connections"] = A{} } }
      local text = r.plan:render{ color = false, verbose = true }
      assert.matches("setup", text, 1, true)
      assert.is_nil(text:find("hub-oauth-code", 1, true))
      assert.is_nil(json.encode(r.plan:json()):find("hub-oauth-code", 1, true))
    end)
  end)

  describe("export", function()
    it("leaves out the id and the API's timestamps, and warns once that setup is not kept",
      function()
      local ctx = env.ctx{}
      assert.same({ name = "Sheets", app_id = "GOOGLE_SHEETS", ready = true,
        account_name = "ops@example.com" }, handler.export_item(h, ctx, remote()))
      handler.export_item(h, ctx, remote{ name = "Other" })
      assert.equal(1, #ctx.log.lines.warn)
      assert.matches("setup", ctx.log.lines.warn[1], 1, true)
    end)
  end)
end)
