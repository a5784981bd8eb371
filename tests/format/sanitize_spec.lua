-- tests/format/sanitize_spec.lua: a0lua.format.sanitize (docs/formats.md §5.5).
local sanitize = require "a0lua.format.sanitize"

describe("a0lua.format.sanitize", function()
  it("replaces each of / ? < > \\ : * | \" with a dash", function()
    assert.equals("a-b-c", sanitize("a/b:c"))
    assert.equals("My App-", sanitize("My App?"))
    assert.equals("-x-y-z-w-v-", sanitize("<x>y\\z*w|v\""))
  end)

  it("replaces control characters, C0 and C1, with a dash", function()
    assert.equals("a-b-c", sanitize("a\0b\31c"))
    assert.equals("x-y", sanitize("x\194\133y"))
  end)

  it("keeps other UTF-8 text as it is", function()
    assert.equals("Café Ünïcode 書店", sanitize("Café Ünïcode 書店"))
  end)

  it("turns a name made only of dots into a dash", function()
    assert.equals("-", sanitize("."))
    assert.equals("-", sanitize(".."))
  end)

  it("turns Windows reserved names into a dash, with or without an extension", function()
    assert.equals("-", sanitize("CON.txt"))
    assert.equals("-", sanitize("con"))
    assert.equals("-", sanitize("Lpt9"))
    assert.equals("-", sanitize("nul.json"))
    assert.equals("com", sanitize("com"))
    assert.equals("console", sanitize("console"))
  end)

  it("turns a run of trailing dots and spaces into one dash", function()
    assert.equals("name-", sanitize("name. ."))
    assert.equals("trail-", sanitize("trail   "))
  end)

  it("cuts the result to 255 bytes without splitting a UTF-8 character", function()
    local out = sanitize(string.rep("é", 200))
    assert.equals(254, #out)
    assert.truthy(utf8.len(out))
    assert.equals(255, #sanitize(string.rep("a", 300)))
  end)

  it("cuts to a smaller limit when the caller appends to the name", function()
    assert.equals(string.rep("a", 250), sanitize(string.rep("a", 300), 250))
    assert.equals("a", sanitize("a. b", 2))
    assert.equals("-", sanitize("é", 1))
  end)

  it("drops trailing dots or spaces left by the cut", function()
    local out = sanitize(string.rep("a", 254) .. "  b")
    assert.equals(string.rep("a", 254), out)
  end)

  it("gives 'undefined' for nil and the empty name, tostring for other values", function()
    assert.equals("undefined", sanitize(nil))
    assert.equals("undefined", sanitize(""))
    assert.equals("42", sanitize(42))
  end)

  it("tells name.json apart from name plus .json for reserved names", function()
    assert.equals("-", sanitize("CON" .. ".json"))
    assert.equals("-.json", sanitize("CON") .. ".json")
  end)
end)
