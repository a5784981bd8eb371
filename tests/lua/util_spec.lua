-- a0lua.util: the shared small helpers.
local util = require("a0lua.util")
local json = require("a0lua.core.json")

describe("a0lua.util", function()
  it("tells set values, objects and arrays apart", function()
    for _, v in ipairs({ "x", 0, true, {} }) do assert.is_true(util.present(v)) end
    for _, v in ipairs({ json.null, false, "" }) do assert.is_false(util.present(v)) end
    assert.is_false(util.present(nil))
    assert.is_true(util.is_object({ a = 1 }))
    assert.is_false(util.is_object(json.array{ 1 }))
    assert.is_true(util.is_array(json.array{}))
    assert.is_false(util.is_array({ 1, 2 }))   -- not marked: an object to the encoder
  end)

  it("makes sets and sorted keys", function()
    assert.same({ a = true, b = true }, util.set_of({ "a", "b", "a" }))
    assert.same({}, util.set_of(nil))
    assert.same({}, util.set_of("not a list"))
    assert.same({ "a", "b", "c" }, util.sorted_keys({ c = 1, a = 2, b = 3 }))
  end)

  it("replaces text without patterns, and says whether deletes are allowed", function()
    assert.equal("1 + 1 = 2%", util.replace_plain("a + a = 2%", "a", "1"))
    assert.equal("%d", util.replace_plain("%d", "x", "y"))
    assert.is_true(util.allow_delete({ config = { AUTH0_ALLOW_DELETE = "true" } }))
    assert.is_false(util.allow_delete({ config = { AUTH0_ALLOW_DELETE = false } }))
    assert.is_false(util.allow_delete({}))
  end)

  it("gives the message of any error value", function()
    local errors = require("a0lua.errors")
    local err = errors.new("fetch", "it failed", { file = "t.yaml", line = 2, column = 3 })
    assert.equal(tostring(err), util.message_of(err))
    assert.equal("plain", util.message_of({ message = "plain" }))
    assert.equal("boom", util.message_of("boom"))
    assert.equal("42", util.message_of(42))
  end)
end)
