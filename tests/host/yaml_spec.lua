-- tests/host/yaml_spec.lua: a0lua.core.yaml (host/yaml.c).
local yaml = require("a0lua.core.yaml")

-- Deep equality that tells arrays from objects, null from nil and floats from integers.
-- Returns true, or false and the JSON pointer of the first difference.
local function kind(v)
  if v == yaml.null then return "null" end
  if type(v) == "table" then return yaml.is_array(v) and "array" or "object" end
  return math.type(v) or type(v)
end

local function same(a, b, path)
  path = path or ""
  local ka, kb = kind(a), kind(b)
  if ka ~= kb then return false, path .. " (" .. ka .. " vs " .. kb .. ")" end
  if ka == "array" then
    if #a ~= #b then return false, path .. " (length)" end
    for i = 1, #a do
      local ok, where = same(a[i], b[i], path .. "/" .. (i - 1))
      if not ok then return false, where end
    end
    return true
  elseif ka == "object" then
    for k, v in pairs(a) do
      local ok, where = same(v, b[k], path .. "/" .. tostring(k))
      if not ok then return false, where end
    end
    for k in pairs(b) do
      if a[k] == nil then return false, path .. "/" .. tostring(k) .. " (extra)" end
    end
    return true
  elseif ka == "float" and a ~= a then
    return b ~= b, path
  end
  return a == b, path .. " (" .. tostring(a) .. " vs " .. tostring(b) .. ")"
end

local function assert_same(expected, actual)
  local ok, where = same(expected, actual)
  assert(ok, "values differ at " .. tostring(where))
end

local function decode_ok(text, opts)
  local value, positions = yaml.decode(text, opts)
  assert(value ~= nil, positions and tostring(positions) or "empty document")
  return value, positions
end

local function decode_err(text, opts)
  local value, err = yaml.decode(text, opts)
  assert.is_nil(value)
  assert.is_table(err)
  return err
end

local function round_trip(v, opts)
  local text = assert(yaml.encode(v, opts))
  local back, err = yaml.decode(text, { positions = false })
  assert(back ~= nil, tostring(err) .. "\n" .. text)
  local ok, where = same(v, back)
  assert(ok, "round trip differs at " .. tostring(where) .. ":\n" .. text)
  return text
end

local function scalar(text) return decode_ok("v: " .. text .. "\n").v end

describe("a0lua.core.yaml", function()
  describe("decode", function()
    it("reads true/false in the three YAML 1.2 spellings as booleans", function()
      for _, s in ipairs({ "true", "True", "TRUE" }) do assert.is_true(scalar(s)) end
      for _, s in ipairs({ "false", "False", "FALSE" }) do assert.is_false(scalar(s)) end
    end)

    it("reads yes, no, on, off, y and n as strings", function()
      for _, s in ipairs({ "yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "y", "Y",
                           "n", "N", "tRUE" }) do
        assert.equals(s, scalar(s))
      end
    end)

    it("reads null, ~ and the empty plain scalar as yaml.null", function()
      for _, s in ipairs({ "null", "Null", "NULL", "~", "" }) do
        assert.equals(yaml.null, scalar(s))
      end
      assert.equals("nULL", scalar("nULL"))
    end)

    it("reads decimal, hex, octal and binary integers as Lua integers", function()
      local cases = {
        ["0"] = 0, ["-0"] = 0, ["+7"] = 7, ["42"] = 42, ["-17"] = -17, ["0x1F"] = 31,
        ["0xff"] = 255, ["-0x10"] = -16, ["0o17"] = 15, ["0b101"] = 5, ["1_000"] = 1000,
        ["0x_1F"] = 31, ["0123"] = 123, ["007"] = 7,
        ["9223372036854775807"] = math.maxinteger, ["-9223372036854775808"] = math.mininteger,
      }
      for text, n in pairs(cases) do
        local v = scalar(text)
        assert.equals("integer", math.type(v), text)
        assert.equals(n, v, text)
      end
    end)

    it("reads what js-yaml 4.1 does not take as a number as a string", function()
      for _, s in ipairs({ "0x", "0b2", "0o8", "_1", "1_", "1__", "0B1", "0X1F", "1:20",
                           "-.5", "+-1", "1.2.3", "1e", "e3", "12abc", "0x1G", "+", "." }) do
        assert.equals(s, scalar(s))
      end
    end)

    it("reads integers beyond int64 as floats, as js-yaml does", function()
      local v = scalar("12345678901234567890")
      assert.equals("float", math.type(v))
      assert.equals(12345678901234567890.0, v)
      assert.equals(-9223372036854775809.0, scalar("-9223372036854775809"))
      assert.equals(2.0 ^ 64 - 1, scalar("0xFFFFFFFFFFFFFFFF"))
      assert.equals("float", math.type(scalar("9223372036854775808")))
    end)

    it("reads decimal floats, exponents, .inf and .nan as floats", function()
      local cases = {
        ["1.5"] = 1.5, ["-2.25"] = -2.25, ["+0.5"] = 0.5, ["1e3"] = 1000.0, ["1E-2"] = 0.01,
        ["2.5e+2"] = 250.0, [".5"] = 0.5, ["1."] = 1.0, ["1_000.5"] = 1000.5, ["0_1"] = 1.0,
        [".inf"] = math.huge, [".Inf"] = math.huge, [".INF"] = math.huge, ["+.inf"] = math.huge,
        ["-.inf"] = -math.huge, ["-.Inf"] = -math.huge, ["-.INF"] = -math.huge,
      }
      for text, x in pairs(cases) do
        local v = scalar(text)
        assert.equals("float", math.type(v), text)
        assert.equals(x, v, text)
      end
      for _, s in ipairs({ ".nan", ".NaN", ".NAN" }) do
        local v = scalar(s)
        assert.equals("float", math.type(v))
        assert.is_true(v ~= v)
      end
      assert.equals(".Nan", scalar(".Nan"))
      assert.equals("-.nan", scalar("-.nan"))
    end)

    it("keeps dates, times and other text as strings", function()
      for _, s in ipairs({ "2021-01-01", "2001-12-14t21:59:43.10-05:00", "12:30", "hello world",
                           "https://example.com/a?b=c", "a##KEY##" }) do
        assert.equals(s, scalar(s))
      end
      assert.equals("@@KEY@@", scalar("'@@KEY@@'"))
      assert.equals("##KEY##", scalar("'##KEY##'"))
    end)

    it("keeps quoted and block scalars as strings whatever they look like", function()
      local v = decode_ok(table.concat({
        "a: 'true'", 'b: "0x1F"', "c: ''", 'd: "~"', "e: |", "  123", "f: >-", "  null",
        "  value", "g: |-", "  yes", "",
      }, "\n"))
      assert_same({ a = "true", b = "0x1F", c = "", d = "~", e = "123\n", f = "null value",
                    g = "yes" }, v)
    end)

    it("reads literal blocks with keep, strip and indentation indicators", function()
      local v = decode_ok("a: |+\n  x\n\nb: |2-\n   lead\n  next\nc: >\n  folded\n  line\n")
      assert.equals("x\n\n", v.a)
      assert.equals(" lead\nnext", v.b)
      assert.equals("folded line\n", v.c)
    end)

    it("honours !!str, !!int, !!float, !!bool, !!null, !!map, !!seq and !", function()
      local v = decode_ok(table.concat({
        "a: !!str 123", 'b: !!int "42"', "c: !!float 1", "d: !!bool 'true'", "e: !!null ''",
        "f: !!map {x: 1}", "g: !!seq [1]", "h: ! 12", "i: !!str", "j: !!int 0x10", "",
      }, "\n"))
      assert.equals("123", v.a)
      assert.equals(42, v.b)
      assert.equals("float", math.type(v.c))
      assert.equals(1.0, v.c)
      assert.is_true(v.d)
      assert.equals(yaml.null, v.e)
      assert_same({ x = 1 }, v.f)
      assert_same(yaml.array({ 1 }), v.g)
      assert.equals("12", v.h)
      assert.equals("", v.i)
      assert.equals(16, v.j)
    end)

    it("marks sequences as arrays and leaves mappings plain", function()
      local v = decode_ok("list: [1, two]\nempty: []\nmap: {}\nblock:\n  - a\n")
      assert.is_true(yaml.is_array(v.list))
      assert.equals(yaml.array_mt, getmetatable(v.empty))
      assert.is_true(yaml.is_array(v.empty))
      assert.is_false(yaml.is_array(v.map))
      assert.is_nil(getmetatable(v.map))
      assert.is_nil(getmetatable(v))
      assert_same(yaml.array({ "a" }), v.block)
    end)

    it("uses every key as its text", function()
      local v = decode_ok("1: a\ntrue: b\n0x1F: c\n'q': d\n1.5: e\n")
      assert_same({ ["1"] = "a", ["true"] = "b", ["0x1F"] = "c", q = "d", ["1.5"] = "e" }, v)
    end)

    it("gives an alias to a container the same table and to a scalar its value", function()
      local v = decode_ok("base: &b {a: 1}\nx: *b\ny: *b\ns: &s hello\nt: *s\nn: &n 5\nm: *n\n")
      assert.equals(v.base, v.x)
      assert.equals(v.x, v.y)
      assert.equals("hello", v.t)
      assert.equals(5, v.m)
    end)

    it("uses an aliased scalar as a key", function()
      local v = decode_ok("a: &k key1\n*k : 2\nb: &i 7\n*i : 3\n")
      assert.equals(2, v.key1)
      assert.equals(3, v["7"])
    end)

    it("merges << mappings with explicit keys winning and earlier mappings first", function()
      local v = decode_ok(table.concat({
        "base: &base {a: 1, b: 2}",
        "other: &other {b: 20, c: 30}",
        "single:",
        "  <<: *base",
        "  b: 3",
        "list:",
        "  <<: [*base, *other]",
        "  c: 300",
        "before:",
        "  a: 0",
        "  <<: *base",
        "inline:",
        "  <<: {z: 26}",
        "'<<': literal",
        "",
      }, "\n"))
      assert_same({ a = 1, b = 3 }, v.single)
      assert_same({ a = 1, b = 2, c = 300 }, v.list)
      assert_same({ a = 0, b = 2 }, v.before)
      assert_same({ z = 26 }, v.inline)
      assert.equals("literal", v["<<"])
      assert_same({ a = 1, b = 2 }, v.base)
    end)

    it("accepts a UTF-8 byte order mark", function()
      local v, pos = decode_ok("\239\187\191a: 1\n")
      assert_same({ a = 1 }, v)
      assert.same({ line = 1, column = 1 }, pos["/a"])
    end)

    it("reads CRLF line endings", function()
      local v, pos = decode_ok("a: 1\r\nb: |\r\n  x\r\n  y\r\nc: [1,\r\n 2]\r\n")
      assert_same({ a = 1, b = "x\ny\n", c = yaml.array({ 1, 2 }) }, v)
      assert.same({ line = 2, column = 1 }, pos["/b"])
    end)

    it("returns nothing at all for empty text or a document without content", function()
      local texts = { "", "\n", "# only a comment\n", "---\n", "---\n...\n", "\239\187\191" }
      for _, text in ipairs(texts) do
        assert.equals(0, select("#", yaml.decode(text)), text)
      end
      assert.equals(yaml.null, yaml.decode("~"))
      assert.equals(yaml.null, yaml.decode("--- null\n"))
    end)

    it("reads strings in any script", function()
      local v = decode_ok("é: 日本語\nemoji: \"\\U0001F600 😀\"\nesc: \"\\t\\u00e9\\x41\"\n")
      assert.equals("日本語", v["é"])
      assert.equals("😀 😀", v.emoji)
      assert.equals("\té" .. "A", v.esc)
    end)

    it("accepts nesting up to A0_MAX_DEPTH (512)", function()
      local v = decode_ok(("["):rep(512) .. ("]"):rep(512))
      local depth = 0
      while type(v) == "table" do depth, v = depth + 1, v[1] end
      assert.equals(512, depth)
    end)

    it("returns positions for every node, keys located at the key", function()
      local text = table.concat({
        "clients:",                 -- 1
        "  - name: a",              -- 2
        "    callbacks:",           -- 3
        "      - https://x",        -- 4
        "  - name: b",              -- 5
        "\"a/b\": 1",               -- 6
        "t~: {k: [x, y]}",          -- 7
        "",
      }, "\n")
      local _, pos = decode_ok(text)
      local expect = {
        [""] = { 1, 1 }, ["/clients"] = { 1, 1 }, ["/clients/0"] = { 2, 5 },
        ["/clients/0/name"] = { 2, 5 }, ["/clients/0/callbacks"] = { 3, 5 },
        ["/clients/0/callbacks/0"] = { 4, 9 }, ["/clients/1"] = { 5, 5 },
        ["/clients/1/name"] = { 5, 5 }, ["/a~1b"] = { 6, 1 }, ["/t~0"] = { 7, 1 },
        ["/t~0/k"] = { 7, 6 }, ["/t~0/k/0"] = { 7, 10 }, ["/t~0/k/1"] = { 7, 13 },
      }
      local count = 0
      for pointer, lc in pairs(expect) do
        assert.same({ line = lc[1], column = lc[2] }, pos[pointer], pointer)
        count = count + 1
      end
      for _ in pairs(pos) do count = count - 1 end
      assert.equals(0, count)
    end)

    it("locates an alias at the alias and merged keys where they were written", function()
      local _, pos = decode_ok("a: &x {k: 1}\nb: *x\nc:\n  <<: *x\n  d: 2\n")
      assert.same({ line = 2, column = 1 }, pos["/b"])
      assert.same({ line = 1, column = 8 }, pos["/a/k"])
      assert.same({ line = 5, column = 3 }, pos["/c/d"])
      assert.is_nil(pos["/b/k"])
      assert.is_nil(pos["/c/k"])
    end)

    it("returns the value alone when opts.positions is false", function()
      assert.equals(1, select("#", yaml.decode("a: 1\n", { positions = false })))
      assert_same({ a = 1 }, (yaml.decode("a: 1\n", { positions = false })))
    end)

    it("returns nil and a yaml_syntax error with line and column", function()
      local err = decode_err("a: 1\nb: [1, 2\n")
      assert.equals("yaml_syntax", err.code)
      assert.is_string(err.message)
      assert.equals(3, err.line)
      assert.is_number(err.column)
      err = decode_err("a: 'open\n")
      assert.equals("yaml_syntax", err.code)
    end)

    it("returns yaml_syntax for tabs used as indentation, saying it is a tab", function()
      local err = decode_err("a:\n\tb: 1\n")
      assert.equals("yaml_syntax", err.code)
      assert.equals(2, err.line)
      assert.equals(1, err.column)
      assert.equals("x\ty", decode_ok("a: x\ty\n").a)
      -- libyaml's three ways of meeting one, all at the tab
      for _, case in ipairs({
        { "clients:\n\t- name: x\n", 2, 1 },               -- "cannot start any token"
        { "a:\n  b: 1\n\tc: 2\n", 3, 1 },                   -- "violates indentation"
        { "a: |\n\tx\n", 2, 1 },                            -- "where a space is expected"
        { "a:\n \t- b\n", 2, 2 },
        { "\239\187\191a:\n  - b\n  -\tc\n", 3, 4 },        -- after a BOM and a '-'
        { "a: 1\r\nb:\r\n\tc: 2\r\n", 3, 1 },
      }) do
        err = decode_err(case[1], { name = "t.yaml" })
        assert.same({ "yaml_syntax", case[2], case[3] }, { err.code, err.line, err.column },
                    case[1])
        assert.matches("^t%.yaml:%d+:%d+: a tab is not allowed for indentation", tostring(err))
      end
      assert.matches("(indent with spaces)", decode_err("\ta: 1\n").message, 1, true)
      -- other problems keep libyaml's words
      assert.no.matches("tab", decode_err("a: @b\n").message)
    end)

    it("returns yaml_syntax with a position for text that is not UTF-8", function()
      local err = decode_err("a: 1\nb: \255\n")
      assert.equals("yaml_syntax", err.code)
      assert.equals(2, err.line)
      assert.equals(4, err.column)
    end)

    it("returns yaml_duplicate_key at the second key", function()
      local err = decode_err("a: 1\nb: 2\na: 3\n")
      assert.equals("yaml_duplicate_key", err.code)
      assert.equals(3, err.line)
      assert.equals(1, err.column)
      err = decode_err("x:\n  - k: 1\n    j: 2\n    k: 3\n")
      assert.same({ "yaml_duplicate_key", 4, 5 }, { err.code, err.line, err.column })
      err = decode_err("{a: 1, 'a': 2}")
      assert.same({ "yaml_duplicate_key", 1, 8 }, { err.code, err.line, err.column })
      -- as js-yaml: keys compare as text, through aliases too; a merged key is no duplicate
      err = decode_err("1: a\n'1': b\n")
      assert.same({ "yaml_duplicate_key", 2, 1 }, { err.code, err.line, err.column })
      err = decode_err("x: &k a\ny:\n  a: 1\n  *k : 2\n")
      assert.same({ "yaml_duplicate_key", 4, 3 }, { err.code, err.line, err.column })
      assert.matches("duplicate key 'a'", err.message, 1, true)
      assert_same({ b = { k = 2 }, a = { k = 1 } }, decode_ok("a: &a {k: 1}\nb: {<<: *a, k: 2}\n"))
    end)

    it("returns yaml_multiple_documents at the second document", function()
      local err = decode_err("a: 1\n---\nb: 2\n")
      assert.same({ "yaml_multiple_documents", 2, 1 }, { err.code, err.line, err.column })
      err = decode_err("--- 1\n...\n--- 2\n")
      assert.same({ "yaml_multiple_documents", 3, 1 }, { err.code, err.line, err.column })
    end)

    it("returns yaml_depth beyond A0_MAX_DEPTH", function()
      local err = decode_err(("["):rep(513) .. ("]"):rep(513))
      assert.same({ "yaml_depth", 1, 513 }, { err.code, err.line, err.column })
      err = decode_err(("- "):rep(100000) .. "x\n")
      assert.equals("yaml_depth", err.code)
      err = decode_err(("{a: "):rep(600))
      assert.equals("yaml_depth", err.code)
    end)

    it("returns yaml_tag for unknown tags and content that does not fit its tag", function()
      for _, text in ipairs({ "a: !foo x\n", "a: !!timestamp 2001-01-01\n", "a: !!int abc\n",
                              "a: !!float x\n", "a: !!bool yes\n", "a: !!null 0\n",
                              "a: !!map x\n", "a: !!str [1]\n", "a: !!seq {b: 1}\n",
                              "a: !!binary aGk=\n", "!local {}\n" }) do
        local err = decode_err(text)
        assert.equals("yaml_tag", err.code, text)
        assert.equals(1, err.line, text)
      end
      assert.equals(4, decode_err("a: !foo x\n").column)
    end)

    it("returns yaml_alias for an alias to an unknown anchor", function()
      local err = decode_err("a: 1\nb: *nope\n")
      assert.same({ "yaml_alias", 2, 4 }, { err.code, err.line, err.column })
      err = decode_err("a: *later\nb: &later 1\n")
      assert.equals("yaml_alias", err.code)
    end)

    it("returns yaml_alias for an alias inside the node it names (a cycle)", function()
      for _, case in ipairs({ { "a: &a [1, *a]\n", 1, 11 }, { "a: &a\n  b: *a\n", 2, 6 },
                              { "a: &a {<<: *a}\n", 1, 12 } }) do
        local err = decode_err(case[1])
        assert.same({ "yaml_alias", case[2], case[3] }, { err.code, err.line, err.column })
        assert.matches("cycle", err.message)
      end
      -- an anchor named again inside its node: the alias after it names the newer node
      assert_same({ a = { "x" }, b = "x" }, decode_ok("a: &a [&a x]\nb: *a\n"))
    end)

    -- The billion laughs: n levels of nine aliases to the level below, under clients[0].
    local function alias_bomb(levels)
      local lines = { "clients:", "  - name: bomb", "    client_metadata:",
                      "      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]" }
      for i = 1, levels do
        local a = "*l" .. (i - 1)
        lines[#lines + 1] = ("      l%d: &l%d [%s]"):format(i, i, (a .. ", "):rep(8) .. a)
      end
      return table.concat(lines, "\n") .. "\n"
    end

    it("returns yaml_alias_expansion at the alias when aliases expand too much", function()
      local t0 = os.clock()
      local err = decode_err(alias_bomb(9), { name = "tenant.yaml" }) -- 9^10 leaves once copied
      assert.equals("yaml_alias_expansion", err.code)
      assert.same({ "tenant.yaml", 7, 21 }, { err.file, err.line, err.column }) -- in l3
      assert.matches("^tenant%.yaml:7:21: aliases expand the document too much: %d+ of its %d+ "
                     .. "nodes come through aliases, more than 99 %%", tostring(err))
      assert.is_true(os.clock() - t0 < 1)
      assert.equals("yaml_alias_expansion", decode_err(alias_bomb(9), { positions = false }).code)
      -- a small one is fine, and so is anchored metadata shared by many clients
      assert.is_table(decode_ok(alias_bomb(2)))
      local lines = { "x: &m {a: 1, b: 2, c: 3, d: 4, e: [1, 2, 3], f: {g: h}}", "clients:" }
      for i = 1, 2000 do lines[#lines + 1] = "  - {name: c" .. i .. ", client_metadata: *m}" end
      local v = decode_ok(table.concat(lines, "\n"))
      assert.equals(v.x, v.clients[2000].client_metadata)
    end)

    it("counts every node, aliases expanded, against opts.max_nodes", function()
      -- 8 nodes: the list, 1, [2, 3] (3), {a: 4} (3)
      assert.is_table(decode_ok("[1, [2, 3], {a: 4}]", { max_nodes = 8 }))
      local err = decode_err("[1, [2, 3], {a: 4}]", { max_nodes = 7 })
      assert.same({ "yaml_too_large", 1, 17 }, { err.code, err.line, err.column })
      assert.matches("more than 7 nodes", err.message, 1, true)
      -- an alias counts all it names: here 3 nodes after 6, which cross the limit at the alias
      assert.is_table(decode_ok("a: &a [1, 2]\nb: *a\n", { max_nodes = 9 }))
      err = decode_err("a: &a [1, 2]\nb: *a\n", { max_nodes = 8 })
      assert.same({ "yaml_alias_expansion", 2, 4 }, { err.code, err.line, err.column })
      assert.equals("this alias adds 3 nodes, which takes the document past 8", err.message)
      assert.has_error(function() yaml.decode("a", { max_nodes = 0 }) end)
      assert.has_error(function() yaml.decode("a", { max_nodes = 1.5 }) end)
    end)

    it("returns yaml_key for null keys and keys that are not scalars", function()
      for _, text in ipairs({ "~: 1\n", "null: 1\n", "? [a]\n: 1\n", "{? {a: 1} : 2}\n",
                              "a: &n ~\n*n : 1\n", "a: &m {x: 1}\n*m : 1\n" }) do
        assert.equals("yaml_key", decode_err(text).code, text)
      end
      assert_same({ [""] = 1 }, decode_ok("'': 1\n"))
    end)

    it("returns yaml_merge when << is not given mappings", function()
      for _, text in ipairs({ "a:\n  <<: 1\n", "a:\n  <<: [1]\n", "a:\n  <<: [[]]\n" }) do
        local err = decode_err(text)
        assert.equals("yaml_merge", err.code, text)
        assert.same({ 2, 3 }, { err.line, err.column })
      end
    end)

    it("puts opts.name in errors and tostring shows file:line:column", function()
      local err = decode_err("a: 1\na: 2\n", { name = "tenant.yaml" })
      assert.equals("tenant.yaml", err.file)
      assert.matches("^tenant%.yaml:2:1: ", tostring(err))
      assert.matches("^2:1: ", tostring(decode_err("a: 1\na: 2\n")))
    end)

    it("raises on misuse", function()
      assert.has_error(function() yaml.decode() end)
      assert.has_error(function() yaml.decode(12) end)
      assert.has_error(function() yaml.decode({}) end)
      assert.has_error(function() yaml.decode("a", 5) end)
      assert.has_error(function() yaml.decode("a", { bogus = true }) end)
      assert.has_error(function() yaml.decode("a", { positions = "no" }) end)
      assert.has_error(function() yaml.decode("a", { name = 1 }) end)
    end)
  end)

  describe("encode", function()
    it("writes block style with sorted keys, compact list items and a final newline", function()
      local text = yaml.encode({
        name = "x", callbacks = yaml.array(), meta = {}, nested = { b = 1, a = true },
        list = { { name = "m", v = 1, sub = { "p", "q" } }, "s", { 1, { 2 } } },
      })
      assert.equals(table.concat({
        "callbacks: []",
        "list:",
        "  - name: m",
        "    sub:",
        "      - p",
        "      - q",
        "    v: 1",
        "  - s",
        "  - - 1",
        "    - - 2",
        "meta: {}",
        "name: x",
        "nested:",
        "  a: true",
        "  b: 1",
        "",
      }, "\n"), text)
    end)

    it("puts opts.key_order keys first at every level, then the rest in byte order", function()
      local v = { b = 1, a = 2, id = 3, name = "k", Z = 0, z = { x = 1, name = "m", id = 2 } }
      local text = yaml.encode(v, { key_order = { "name", "id" } })
      assert.equals("name: k\nid: 3\nZ: 0\na: 2\nb: 1\nz:\n  name: m\n  id: 2\n  x: 1\n", text)
      round_trip(v, { key_order = { "name", "id" } })
    end)

    it("writes top-level scalars and empty containers", function()
      assert.equals("null\n", yaml.encode(nil))
      assert.equals("null\n", yaml.encode(yaml.null))
      assert.equals("true\n", yaml.encode(true))
      assert.equals("42\n", yaml.encode(42))
      assert.equals("hello\n", yaml.encode("hello"))
      assert.equals("[]\n", yaml.encode(yaml.array()))
      assert.equals("{}\n", yaml.encode({}))
      assert.equals("- 1\n- 2\n", yaml.encode({ 1, 2 }))
    end)

    it("writes floats shortest and always as floats", function()
      local cases = {
        { 1.0, "1.0" }, { 0.1, "0.1" }, { -2.5, "-2.5" }, { 1e300, "1.0e+300" },
        { 1e20, "1.0e+20" }, { 1e-7, "1.0e-07" }, { math.huge, ".inf" }, { -math.huge, "-.inf" },
        { 123456789.125, "123456789.125" }, { -0.0, "-0.0" }, { 2.0 ^ 63, "9.223372036854776e+18" },
      }
      for _, case in ipairs(cases) do
        local x, s = case[1], case[2]
        assert.equals(s .. "\n", yaml.encode(x))
        local back = yaml.decode(yaml.encode(x))
        assert.equals("float", math.type(back))
        assert.equals(x, back)
      end
      assert.equals(".nan\n", yaml.encode(0 / 0))
      for _, x in ipairs({ 0.1 + 0.2, 1 / 3, 5e-324, 2 ^ 53, -0.0, 1.7976931348623157e308 }) do
        round_trip({ x })
      end
      assert.equals(math.mininteger, yaml.decode(yaml.encode(math.mininteger)))
    end)

    it("quotes every string whose plain form would read back differently", function()
      local quoted = {
        "true", "True", "FALSE", "null", "Null", "~", "", "0123", "1e3", "0x1F", "0o17", "0b1",
        "1_000", ".inf", "-.inf", ".nan", "123", "-1", "+1", ".5", "1.5", "yes", "No", "on",
        "OFF", "y", "n", "##KEY##", "@@KEY@@", " lead", "trail ", "a: b", "a #b", "-x", "- x",
        "?x", ":x", ",x", "[x", "]x", "{x", "}x", "#x", "&x", "*x", "!x", "|x", ">x", "'x",
        "\"x", "%x", "`x", "2021-01-01", "2001-12-14 21:59:43", "12:30", "1.2.3", "<<", "=",
        "key:", "---", "...", "tab\there", "\r", "nul\0", "\u{85}", "\u{2028}", "\u{FEFF}x",
        "bell\a", "del\127", "'it's", "\"quoted\"",
      }
      for _, s in ipairs(quoted) do
        local text = round_trip({ k = s })
        local first = text:sub(4, 4)
        assert.is_true(first == "'" or first == '"', s .. " -> " .. text)
      end
      assert.equals("k: '''it''s'\n", yaml.encode({ k = "'it's" }))
      assert.equals("k: it's\n", yaml.encode({ k = "it's" }))
      assert.equals("k: \"tab\\there\"\n", yaml.encode({ k = "tab\there" }))
    end)

    it("leaves ordinary text plain", function()
      for _, s in ipairs({ "hello world", "https://example.com/a?b=c#frag", "a-b", "a:b",
                           "alpha pixel app 1", "é", "日本語", "😀 smile", "RS256", "x.y" }) do
        assert.equals("k: " .. s .. "\n", yaml.encode({ k = s }))
        round_trip({ k = s })
      end
    end)

    it("quotes keys that need it and round-trips them", function()
      local v = { ["true"] = 1, ["1"] = 2, ["a: b"] = 3, [""] = 4, ["-"] = 5, ["#"] = 6,
                  ["<<"] = 7, ["a/b~c"] = 8, ["multi\nline"] = 9, ["~"] = 10 }
      local text = round_trip(v)
      assert.matches("\n'true': 1\n", "\n" .. text)
      assert.matches("\n'<<': 7\n", "\n" .. text)
    end)

    it("writes an explicit key for keys too long for an implicit one", function()
      local long = ("k"):rep(2000)
      local text = round_trip({ [long] = { a = 1 }, short = 2 })
      assert.equals("? ", text:sub(1, 2))
      round_trip({ { [("q'"):rep(600)] = "v" } })
    end)

    it("writes multi-line strings as literal blocks with the right chomping", function()
      assert.equals("k: |-\n  a\n  b\n", yaml.encode({ k = "a\nb" }))
      assert.equals("k: |\n  a\n", yaml.encode({ k = "a\n" }))
      assert.equals("k: |+\n  a\n\n", yaml.encode({ k = "a\n\n" }))
      assert.equals("k: |2\n   a\n  b\n", yaml.encode({ k = " a\nb\n" }))
      assert.equals("k: |-\n\n  a\n", yaml.encode({ k = "\na" }))
      assert.equals("- |-\n  a\n  b\n", yaml.encode({ "a\nb" }))
      assert.equals("|-\n  a\n  b\n", yaml.encode("a\nb"))
      assert.equals("- - |2-\n     a\n    b\n", yaml.encode({ { " a\nb" } }))
      assert.equals("- k: |2-\n     a\n    b\n", yaml.encode({ { k = " a\nb" } }))
      for _, s in ipairs({ "a\nb", "a\n", "a\n\n\n", " a\nb\n", "\ta\nb", "\n\na", "a\n\n b\n",
                           "x:\n  - y\n", "# not a comment\n--- not a document\n", "a\tb\nc" }) do
        round_trip({ k = s, list = { s, { s }, { { s } }, { k = s, m = { j = s } } } })
        round_trip(s)
      end
    end)

    it("falls back to double quotes when a literal block cannot hold the string", function()
      assert.equals("k: \"a \\nb\"\n", yaml.encode({ k = "a \nb" }))
      assert.equals("k: \"a\\r\\nb\"\n", yaml.encode({ k = "a\r\nb" }))
      assert.equals("\" a\\nb\"\n", yaml.encode(" a\nb"))
      for _, s in ipairs({ "a \nb", "a\r\nb", "\n", "\n\n", "a\n\0", " a\nb", "a\t\nb" }) do
        round_trip({ k = s })
        round_trip(s)
      end
    end)

    it("writes integer keys as their text", function()
      assert.equals("'1': a\n'3': b\n", yaml.encode({ [1] = "a", [3] = "b" }))
    end)

    it("round-trips a varied value exactly", function()
      local v = {
        name = "tenant", nothing = yaml.null, flags = { yes = true, no = false },
        numbers = yaml.array({ 0, -1, math.maxinteger, math.mininteger, 1.5, -0.25, 1e100,
                               math.huge, -math.huge }),
        strings = { "true", "0x10", "2021-01-01", "yes", "", " ", "a\nb\n", "日本語",
                    "##SECRET##", "@@LIST@@", "https://a.example.com/cb" },
        empty_list = yaml.array(), empty_map = {},
        holes = yaml.array({ yaml.null, 1, yaml.null }),
        nested = { { { { { deep = yaml.array({ yaml.array(), {} }) } } } } },
        clients = {
          { name = "a", callbacks = { "https://x" }, token_exchange = { allow = { "custom" } } },
          { name = "b", callbacks = yaml.array(), description = "line one\nline two\n" },
        },
        ["key with spaces"] = "v", ["ключ"] = "значение",
      }
      round_trip(v)
      round_trip(v, { key_order = { "name" } })
      local deep = {}
      local cur = deep
      for _ = 1, 511 do cur.x = {} cur = cur.x end
      round_trip(deep)
    end)

    it("round-trips what it decodes from a tenant-like file", function()
      local text = table.concat({
        "clients:",
        "  - name: My SPA",
        "    app_type: spa",
        "    callbacks:",
        "      - http://localhost:3000/callback",
        "    client_metadata: {owner: team-a, tier: '1'}",
        "    custom_login_page: |",
        "      <html>",
        "        <body>##TITLE##</body>",
        "      </html>",
        "    jwt_configuration: {alg: RS256, lifetime_in_seconds: 36000}",
        "    oidc_conformant: true",
        "    web_origins: []",
        "tenant:",
        "  friendly_name: '@@NAME@@'",
        "  session_lifetime: 1.5",
        "",
      }, "\n")
      local v = decode_ok(text)
      round_trip(v)
    end)

    it("returns yaml_encode with the path of a value that has no YAML form", function()
      local cases = {
        { { a = { b = print } }, "/a/b" },
        { { list = { 1, io.stdout } }, "/list/1" },
        { { [true] = 1 }, "" },
        { { a = { [1.5] = 1 } }, "/a" },
        { { s = "\255" }, "/s" },
        { { ["\255"] = 1 }, "/\255" },
        { { [1] = "a", ["1"] = "b", [2] = "c" }, "/1" },
        { coroutine.create(print), "" },
      }
      for _, case in ipairs(cases) do
        local text, err = yaml.encode(case[1])
        assert.is_nil(text)
        assert.equals("yaml_encode", err.code)
        assert.equals(case[2], err.path)
        assert.is_string(err.message)
      end
    end)

    it("returns yaml_depth for cycles and nesting deeper than A0_MAX_DEPTH", function()
      local cycle = {}
      cycle.self = cycle
      local text, err = yaml.encode(cycle)
      assert.is_nil(text)
      assert.equals("yaml_depth", err.code)
      assert.equals(("/self"):rep(512), err.path)
      local deep = {}
      local cur = deep
      for _ = 1, 512 do cur[1] = {} cur = cur[1] end
      text, err = yaml.encode(deep)
      assert.is_nil(text)
      assert.equals("yaml_depth", err.code)
    end)

    it("raises on misuse", function()
      assert.has_error(function() yaml.encode() end)
      assert.has_error(function() yaml.encode({}, 5) end)
      assert.has_error(function() yaml.encode({}, { bogus = 1 }) end)
      assert.has_error(function() yaml.encode({}, { key_order = "name" }) end)
      assert.has_error(function() yaml.encode({}, { key_order = { 1 } }) end)
    end)
  end)

  describe("markers", function()
    it("exposes the shared null sentinel and array marker", function()
      assert.equals("null", tostring(yaml.null))
      assert.equals(yaml.null, yaml.decode("~"))
      local t = yaml.array()
      assert.equals(yaml.array_mt, getmetatable(t))
      assert.is_true(yaml.is_array(t))
      assert.is_true(yaml.is_array({ 1, 2 }))
      assert.is_false(yaml.is_array({}))
      assert.is_false(yaml.is_array("x"))
      local plain = { 1 }
      assert.equals(plain, yaml.array(plain))
      assert.equals(yaml.array_mt, getmetatable(plain))
    end)

    it("shares the markers with a0lua.core.json when that module is built", function()
      local ok, json = pcall(require, "a0lua.core.json")
      if not ok then
        pending("a0lua.core.json is not built")
        return
      end
      assert.equals(json.null, yaml.null)
      assert.equals(json.array_mt, yaml.array_mt)
    end)
  end)

  describe("version", function()
    it("names libyaml and its version", function()
      assert.matches("^libyaml %d+%.%d+%.%d+$", yaml.version)
    end)
  end)
end)
