-- a0lua.emulator.store: the state in the state-file format, with indexes for collections.
local json = require "a0lua.core.json"
local store = require "a0lua.emulator.store"

describe("a0lua.emulator.store", function()
  describe("get, set and remove", function()
    it("keeps values under their paths and lists the keys sorted", function()
      local st = store.new({ ["/b"] = 1 })
      st:set("/a", { x = 1 })
      assert.are.same({ x = 1 }, st:get("/a"))
      assert.are.same({ "/a", "/b" }, st:keys())
    end)

    it("removes a key together with every key below it", function()
      local st = store.new({})
      st:set("/roles", json.array({ { id = "rol_1" } }))
      st:set("/roles/rol_1/permissions", json.array())
      st:set("/roles/rol_10/permissions", json.array())
      st:remove("/roles/rol_1")
      assert.is_nil(st:get("/roles/rol_1/permissions"))
      assert.is_table(st:get("/roles/rol_10/permissions"))
      assert.is_table(st:get("/roles"))
    end)

    it("replaces the whole state", function()
      local st = store.new({ ["/a"] = 1 })
      st:replace({ ["/c"] = 3 })
      assert.are.same({ "/c" }, st:keys())
    end)
  end)

  describe("collections", function()
    local st
    before_each(function()
      st = store.new({})
      for i = 1, 5 do st:insert("/roles", { id = "rol_" .. i, name = "n" .. i }) end
    end)

    it("finds items by id and by another field without scanning", function()
      assert.are.equal("n3", st:find("/roles", "id", "rol_3").name)
      assert.are.equal("rol_4", st:find("/roles", "name", "n4").id)
      assert.is_nil(st:find("/roles", "id", "rol_9"))
      assert.is_nil(st:find("/nothing", "id", "x"))
    end)

    it("creates an empty JSON array for a list that does not exist", function()
      assert.is_true(json.is_array(st:list("/clients")))
      assert.are.equal("[]", json.encode(st:get("/clients")))
    end)

    it("deletes an item, its sub-keys, and keeps positions right", function()
      st:set("/roles/rol_2/permissions", json.array({ { permission_name = "a" } }))
      local gone = st:delete_item("/roles", "id", "rol_2")
      assert.are.equal("rol_2", gone.id)
      assert.is_nil(st:get("/roles/rol_2/permissions"))
      assert.are.equal(2, st:position("/roles", "id", "rol_3"))
      assert.are.equal(4, st:position("/roles", "id", "rol_5"))
      assert.is_nil(st:delete_item("/roles", "id", "rol_2"))
      assert.are.equal(4, #st:get("/roles"))
    end)

    it("rebuilds its indexes when the array behind a key is replaced", function()
      st:set("/roles", json.array({ { id = "rol_x", name = "x" } }))
      assert.is_nil(st:find("/roles", "id", "rol_1"))
      assert.are.equal("x", st:find("/roles", "id", "rol_x").name)
    end)

    it("finds an item by a field that changed after reindex", function()
      st:find("/roles", "name", "n1")
      st:get("/roles")[1].name = "renamed"
      st:reindex("/roles")
      assert.are.equal("rol_1", st:find("/roles", "name", "renamed").id)
    end)
  end)
end)
