-- a0lua.emulator.router: route templates matched against request paths.
local router = require "a0lua.emulator.router"

describe("a0lua.emulator.router", function()
  local r
  before_each(function()
    r = router.new()
    r:add("GET", "/custom-domains/{id}", { n = "by id" })
    r:add("GET", "/custom-domains/default", { n = "default" })
    r:add("GET", "/organizations/{id}/connections", { n = "org connections" })
    r:add("GET", "/organizations/name/{name}", { n = "by name" })
    r:add("PATCH", "/clients/{id}", { n = "patch client" })
  end)

  describe("match", function()
    it("prefers a literal segment over a placeholder", function()
      local e, params = r:match("GET", "/custom-domains/default")
      assert.are.equal("default", e.n)
      assert.are.same({}, params)
      e, params = r:match("GET", "/custom-domains/cd_1")
      assert.are.equal("by id", e.n)
      assert.are.same({ "cd_1" }, params)
    end)

    it("falls back to the placeholder branch when the literal one leads nowhere", function()
      local e, params = r:match("GET", "/organizations/name/connections")
      assert.are.equal("by name", e.n)
      assert.are.same({ "connections" }, params)
      e, params = r:match("GET", "/organizations/org_1/connections")
      assert.are.equal("org connections", e.n)
      assert.are.same({ "org_1" }, params)
    end)

    it("decodes each segment on its own", function()
      local _, params = r:match("GET", "/custom-domains/a%2Fb%20c")
      assert.are.same({ "a/b c" }, params)
    end)

    it("tells an unknown path from a known path with another method", function()
      assert.are.same({ nil, "not_found" }, { r:match("GET", "/nope") })
      assert.are.same({ nil, "method_not_allowed" }, { r:match("DELETE", "/clients/x") })
      assert.are.same({ nil, "not_found" }, { r:match("GET", "/custom-domains/") })
    end)
  end)

  describe("add and get", function()
    it("replaces an entry of the same method and template whatever the names", function()
      r:add("GET", "/custom-domains/{custom_domain_id}", { n = "again" })
      assert.are.equal("again", r:get("GET", "/custom-domains/{x}").n)
      assert.is_nil(r:get("POST", "/custom-domains/{x}"))
    end)

    it("lists a template's placeholder names", function()
      assert.are.same({ "id", "connection_id" },
        router.names("/organizations/{id}/connections/{connection_id}"))
    end)

    it("raises on a template that is not a path", function()
      assert.has_error(function() r:add("GET", "clients", {}) end)
    end)
  end)
end)
