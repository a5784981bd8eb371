local handlers = require("a0lua.handlers")
local run = require("helpers.run")

describe("a0lua.handlers", function()
  local dirs = {}
  local function dir_with(files)
    local d = run.temp_dir()
    dirs[#dirs + 1] = d
    for name, text in pairs(files) do run.write_file(d .. "/" .. name, text) end
    return d
  end
  after_each(function()
    for _, d in ipairs(dirs) do run.remove_tree(d) end
    dirs = {}
  end)

  describe("load", function()
    it("loads every handler file of the search list, the first directory winning", function()
      local user = dir_with{ ["clients.lua"] = 'return { type = "clients", path = "/mine" }' }
      local builtin = dir_with{
        ["clients.lua"] = 'return { type = "clients", path = "/clients" }',
        ["roles.lua"] = 'return { type = "roles", path = "/roles" }',
        ["notes.txt"] = "not a handler",
      }
      local registry = assert(handlers.load{ paths = { user, builtin } })
      assert.equal("/mine", registry:get("clients").path)
      assert.equal("/roles", registry:get("roles").path)
      assert.same({ "clients", "roles" }, registry:types())
      assert.equal(user .. "/clients.lua", registry.files.clients)
    end)

    it("skips a directory that does not exist", function()
      local d = dir_with{ ["roles.lua"] = 'return { type = "roles" }' }
      local registry = assert(handlers.load{ paths = { "/nonexistent/a0lua", d } })
      assert.is_not_nil(registry:get("roles"))
    end)

    it("returns a handler_load error naming the file for a broken handler", function()
      for _, text in ipairs({ "return {", 'error("boom")', "return 42",
        'return { type = "x", kind = "weird" }' }) do
        local d = dir_with{ ["bad.lua"] = text }
        local registry, err = handlers.load{ paths = { d } }
        assert.is_nil(registry)
        assert.equal("handler_load", err.code)
        assert.equal(d .. "/bad.lua", err.file)
        assert.matches("bad.lua", tostring(err), 1, true)
      end
    end)

    it("finds the built-in handlers through the config's search path", function()
      local d = dir_with{ ["x.lua"] = 'return { type = "x" }' }
      local path = handlers.search_path{ handlers_path = { d } }
      assert.equal(d, path[1])
      assert.matches("handlers$", path[#path])
    end)
  end)

  describe("types and enabled", function()
    it("orders types as a0deploy's registry, unknown types last by name", function()
      local registry = handlers.new{ { type = "zeta" }, { type = "tenant", kind = "singleton" },
        { type = "clients" }, { type = "alpha" }, { type = "pages" } }
      assert.same({ "pages", "clients", "tenant", "alpha", "zeta" }, registry:types())
    end)

    it("gives each caller its own list, and a handler added later is in the next", function()
      local registry = handlers.new{ { type = "zeta" }, { type = "clients" } }
      local first = registry:types()
      first[#first + 1] = "mine"
      assert.same({ "clients", "zeta" }, registry:types())
      registry:add{ type = "pages" }
      assert.same({ "pages", "clients", "zeta" }, registry:types())
    end)

    it("applies AUTH0_EXCLUDED and AUTH0_INCLUDED_ONLY", function()
      local registry = handlers.new{ { type = "clients" }, { type = "roles" }, { type = "pages" } }
      assert.same({ "pages", "roles" }, registry:enabled{ AUTH0_EXCLUDED = { "clients" } })
      assert.same({ "clients" }, registry:enabled{ AUTH0_INCLUDED_ONLY = { "clients" } })
      assert.same({ "pages", "clients", "roles" }, registry:enabled{})
    end)
  end)

  describe("stages", function()
    local registry = handlers.new{
      { type = "resourceServers" },
      { type = "clients", depends_on = { "resourceServers" } },
      { type = "connections", depends_on = { "clients" } },
      { type = "clientGrants", depends_on = { "clients", "resourceServers" } },
      { type = "roles", depends_on = { "resourceServers" } },
      { type = "tenant", kind = "singleton", depends_on = { "connections" } },
      { type = "pages" },
    }

    it("puts each type after its dependencies and independent types together", function()
      local stages = registry:stages(registry:types())
      assert.same({ { "pages", "resourceServers" }, { "clients", "roles" },
        { "connections", "clientGrants" }, { "tenant" } }, stages)
    end)

    it("ignores dependencies outside the given types", function()
      assert.same({ { "clients", "tenant" } }, registry:stages{ "tenant", "clients" })
    end)

    it("raises a handler_cycle error for a cycle", function()
      local cyclic = handlers.new{ { type = "a", depends_on = { "b" } },
        { type = "b", depends_on = { "a" } } }
      local ok, err = pcall(cyclic.stages, cyclic, { "a", "b" })
      assert.is_false(ok)
      assert.equal("handler_cycle", err.code)
    end)
  end)

  describe("file_name and base", function()
    it("turns type names into file names", function()
      assert.equal("resource_servers", handlers.file_name("resourceServers"))
      assert.equal("email_provider", handlers.file_name("emailProvider"))
      assert.equal("network_acls", handlers.file_name("networkACLs"))
    end)

    it("gives the built-in handler of a type named with capitals, for an override to start from",
      function()
        assert.equal("networkACLs", handlers.base("networkACLs").type)
        assert.equal("rateLimitPolicies", handlers.base("rateLimitPolicies").type)
      end)

    it("raises when the built-in handler does not exist", function()
      assert.has_error(function() handlers.base("noSuchType") end)
    end)
  end)
end)
