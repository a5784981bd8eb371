-- a0lua.emulator.ids: server-assigned identifiers in the API's formats.
local ids = require("a0lua.emulator.ids")
local random = require("a0lua.emulator.random")

describe("a0lua.emulator.ids", function()
  local gen
  before_each(function() gen = ids.new(random.new(1)) end)

  describe("make", function()
    it("makes 32-character client ids and 64-character secrets", function()
      assert.matches("^[%w]+$", gen:make("client_id"))
      assert.are.equal(32, #gen:make("client_id"))
      local secret = gen:make("client_secret")
      assert.are.equal(64, #secret)
      assert.matches("^[%w_-]+$", secret)
    end)

    it("makes prefixed ids, digit ids, 24-hex ids and version-4 UUIDs", function()
      assert.matches("^con_[%w]+$", gen:make({ prefix = "con_", length = 16 }))
      assert.are.equal(20, #gen:make({ prefix = "con_", length = 16 }))
      assert.matches("^lst_%d+$", gen:make({ prefix = "lst_", length = 16, digits = true }))
      assert.matches("^%x+$", gen:make("hex24"))
      assert.are.equal(24, #gen:make("hex24"))
      assert.matches("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x+$",
        gen:make("uuid"))
    end)

    it("makes the same ids from the same seed", function()
      local a, b = ids.new(random.new(9)), ids.new(random.new(9))
      assert.are.equal(a:make("client_id"), b:make("client_id"))
    end)

    it("raises on an unknown format", function()
      assert.has_error(function() gen:make("nope") end)
    end)
  end)

  describe("now_iso", function()
    it("writes UTC time with milliseconds", function()
      assert.are.equal("2023-11-14T22:13:20.123Z", ids.now_iso(1700000000.1234))
    end)
  end)
end)
