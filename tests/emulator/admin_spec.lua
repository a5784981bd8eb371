-- a0lua.emulator.admin: the /__emulator endpoints (state seed, dump, replace, reset; the request
-- log; shutdown), through `a0lua emulate`.
local json = require("a0lua.core.json")
local emulator = require("helpers.emulator")

local SEED = {
  ["/roles"] = json.array({ { id = "rol_seed000000001", name = "seeded", description = "d" } }),
  ["/roles/rol_seed000000001/permissions"] = json.array(),
  ["/tenants/settings"] = { friendly_name = "Seeded tenant", enabled_locales = { "en" } },
  ["/email-templates/welcome_email"] = { template = "welcome_email", body = "<p>hi</p>",
                                         enabled = true },
}

describe("a0lua.emulator.admin", function()
  local emu
  setup(function() emu = emulator.start({ state = SEED }) end)
  teardown(function() if emu then emu:stop() end end)

  describe("state", function()
    it("starts from the --state file and serves it", function()
      assert.are.equal("seeded", emu:get("/roles").json[1].name)
      assert.are.equal("Seeded tenant", emu:get("/tenants/settings").json.friendly_name)
      assert.are.equal("<p>hi</p>", emu:get("/email-templates/welcome_email").json.body)
    end)

    it("dumps the state as pretty JSON with sorted keys", function()
      local res = emu:http("GET", "/__emulator/state")
      assert.are.equal(200, res.status)
      assert.are.equal(res.body, json.encode(json.decode(res.body), { pretty = true }))
      local keys = {}
      for k in res.body:gmatch('\n  "([^"]+)":') do keys[#keys + 1] = k end
      local sorted = { table.unpack(keys) }
      table.sort(sorted)
      assert.are.same(sorted, keys)
      assert.are.same({ "/email-templates/welcome_email", "/roles",
        "/roles/rol_seed000000001/permissions", "/tenants/settings" }, keys)
    end)

    it("shows writes in the dump and resets to the seed", function()
      assert.are.equal(200, emu:post("/roles", { name = "added" }).status)
      assert.are.equal(2, #emu:state()["/roles"])
      assert.are.equal(204, emu:reset())
      assert.are.equal(1, #emu:state()["/roles"])
    end)

    it("replaces the state with PUT", function()
      assert.are.equal(204, emu:load({ ["/roles"] = json.array() }))
      assert.are.same({ ["/roles"] = {} }, emu:state())
      assert.are.equal(400, emu:http("PUT", "/__emulator/state", { raw = "[1]" }).status)
      assert.are.equal(400, emu:http("PUT", "/__emulator/state", { body = { roles = 1 } })
        .status)
      emu:reset()
    end)
  end)

  describe("requests", function()
    it("logs method, path, query, status and body, and clears the log", function()
      assert.are.equal(204, emu:clear_requests())
      emu:post("/roles", { name = "logged" })
      emu:get("/roles?page=0&per_page=5")
      local log = emu:requests()
      assert.are.equal(2, #log)
      assert.are.same({ method = "POST", path = "/api/v2/roles", query = {}, status = 200,
        body = { name = "logged" } }, log[1])
      assert.are.same({ page = "0", per_page = "5" }, log[2].query)
      emu:clear_requests()
      assert.are.same({}, emu:requests())
      emu:reset()
    end)

    it("keeps admin requests out of the log", function()
      emu:clear_requests()
      emu:state()
      assert.are.same({}, emu:requests())
    end)
  end)

  describe("shutdown", function()
    it("stops the emulator, which exits 0", function()
      local other = emulator.start()
      local res = other:http("POST", "/__emulator/shutdown")
      assert.are.equal(204, res.status)
      local _, _, code = other.proc:close()
      other.proc = nil
      other:stop()
      assert.are.equal(0, code)
    end)

    it("answers 404 to an unknown admin path", function()
      assert.are.equal(404, emu:http("GET", "/__emulator/nothing").status)
    end)
  end)
end)
