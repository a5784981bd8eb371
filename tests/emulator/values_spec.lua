-- a0lua.emulator.values and a0lua.emulator.base64: JSON value helpers and the codec of cursors.
local json = require("a0lua.core.json")
local values = require("a0lua.emulator.values")
local base64 = require("a0lua.emulator.base64")

describe("a0lua.emulator.values", function()
  it("copies deeply and keeps the array marker", function()
    local v = { a = json.array({ { b = 1 } }), c = {} }
    local c = values.copy(v)
    assert.are.same(v, c)
    assert.are_not.equal(v.a, c.a)
    assert.is_true(json.is_array(c.a))
    assert.are.equal('{"a":[{"b":1}],"c":{}}', json.encode(c))
  end)

  it("merges shallowly or deeply, removing keys set to null", function()
    local t = { a = { x = 1, y = 2 }, b = 1, c = 3 }
    values.merge(t, { a = { x = 9 }, c = json.null })
    assert.are.same({ a = { x = 9 }, b = 1 }, t)
    t = { a = { x = 1, y = 2 }, l = json.array({ 1, 2 }) }
    values.deep_merge(t, { a = { x = 9, y = json.null }, l = json.array({ 3 }) })
    assert.are.same({ a = { x = 9 }, l = { 3 } }, t)
  end)

  it("merges the keys given their own way, null included", function()
    local seen = {}
    local t = { a = 1, s = "kept" }
    values.merge(t, { a = json.null, s = json.null, b = 2 }, {
      s = function(target, v, k) seen[#seen + 1] = { target, v, k } end,
    })
    assert.are.same({ s = "kept", b = 2 }, t)
    assert.are.equal(1, #seen)
    assert.are.equal(t, seen[1][1])
    assert.are.equal(json.null, seen[1][2])
    assert.are.equal("s", seen[1][3])
  end)

  it("projects an object onto some fields, or all but them", function()
    local item = { a = 1, b = 2, c = 3 }
    assert.are.same({ a = 1, c = 3 }, values.project(item, { "a", "c" }, true))
    assert.are.same({ b = 2 }, values.project(item, { "a", "c" }, false))
  end)
end)

describe("a0lua.emulator.base64", function()
  it("round-trips text in both alphabets", function()
    for _, s in ipairs({ "", "a", "ab", "abc", "12:con_x", "\255\254\0" }) do
      assert.are.equal(s, base64.decode(base64.encode(s)))
      assert.are.equal(s, base64.decode(base64.encode(s, true)))
    end
    assert.are.equal("YWI=", base64.encode("ab"))
    assert.are.equal("__4A", base64.encode("\255\254\0", true))
  end)

  it("returns nil for text that is not base64", function()
    assert.is_nil(base64.decode("!!!!"))
    assert.is_nil(base64.decode("a"))
  end)
end)
