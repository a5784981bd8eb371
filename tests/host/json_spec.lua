-- Specs for a0lua.core.json (host/json.c).

local json = require("a0lua.core.json")

-- Decodes text that must fail; returns the error table.
local function decode_error(text, opts)
  local value, err = json.decode(text, opts)
  assert.is_nil(value)
  assert.is_table(err)
  return err
end

local function encode_error(value, opts)
  local text, err = json.encode(value, opts)
  assert.is_nil(text)
  assert.is_table(err)
  return err
end

describe("a0lua.core.json", function()
  describe("decode", function()
    it("decodes every kind of value", function()
      local v = assert(json.decode(
        [[{"s": "text", "i": 42, "f": 2.5, "t": true, "n": false, "z": null, "a": [1, "two"],
          "o": {"k": "v"}}]]))
      assert.are.equal("text", v.s)
      assert.are.equal("integer", math.type(v.i))
      assert.are.equal(42, v.i)
      assert.are.equal("float", math.type(v.f))
      assert.are.equal(2.5, v.f)
      assert.is_true(v.t)
      assert.is_false(v.n)
      assert.are.equal(json.null, v.z)
      assert.are.same({ 1, "two" }, v.a)
      assert.are.same({ k = "v" }, v.o)
    end)

    it("decodes a scalar at the top level", function()
      assert.are.equal("x", json.decode([["x"]]))
      assert.are.equal(7, json.decode(" 7 "))
      assert.are.equal(false, json.decode("false"))
      assert.are.equal(json.null, json.decode("null"))
    end)

    it("marks arrays so that [] and {} stay apart through a round trip", function()
      local v = assert(json.decode([[{"a": [], "o": {}}]]))
      assert.is_true(json.is_array(v.a))
      assert.are.equal(json.array_mt, getmetatable(v.a))
      assert.is_false(json.is_array(v.o))
      assert.is_nil(getmetatable(v.o))
      assert.are.equal([[{"a":[],"o":{}}]], json.encode(v))
    end)

    it("gives json.null for null in objects and in arrays, keeping the array's length", function()
      local v = assert(json.decode([[{"k": null, "a": [null, 1, null]}]]))
      assert.are.equal(json.null, v.k)
      assert.are.equal(3, #v.a)
      assert.are.equal(json.null, v.a[1])
      assert.are.equal(json.null, v.a[3])
      assert.are.equal("null", tostring(v.k))
      assert.are.equal([[{"a":[null,1,null],"k":null}]], json.encode(v))
    end)

    it("keeps integers that fit int64 exact, 2^53+1 and the extremes included", function()
      local v = assert(json.decode("[9007199254740993, 9223372036854775807, -9223372036854775808]"))
      assert.are.equal("integer", math.type(v[1]))
      assert.are.equal(9007199254740993, v[1])
      assert.are.equal(math.maxinteger, v[2])
      assert.are.equal(math.mininteger, v[3])
      assert.are.equal("integer", math.type(v[3]))
    end)

    it("turns integers beyond int64 into floats", function()
      local v = assert(json.decode("[9223372036854775808, -9223372036854775809, 1" ..
        ("0"):rep(30) .. "]"))
      assert.are.equal("float", math.type(v[1]))
      assert.are.equal(2.0 ^ 63, v[1])
      assert.are.equal("float", math.type(v[2]))
      assert.are.equal(-(2.0 ^ 63), v[2])
      assert.are.equal(1e30, v[3])
    end)

    it("turns numbers with a fraction or an exponent into floats", function()
      local v = assert(json.decode("[1.0, 1e2, -2.5E-3, 0.1, 1E+2]"))
      for i = 1, 5 do assert.are.equal("float", math.type(v[i])) end
      assert.are.same({ 1.0, 100.0, -0.0025, 0.1, 100.0 }, v)
    end)

    it("reads huge and tiny numbers, and rejects those beyond a double", function()
      assert.are.equal(1.7976931348623157e308, json.decode("1.7976931348623157e308"))
      assert.are.equal(5e-324, json.decode("5e-324"))
      assert.are.equal(0.0, json.decode("1e-400"))
      assert.are.equal(1e300, json.decode("1" .. ("0"):rep(300)))
      local err = decode_error("[1, 1e400]")
      assert.are.equal("json_syntax", err.code)
      assert.are.same({ 1, 5 }, { err.line, err.column })
      assert.matches("out of range", err.message)
    end)

    it("decodes escapes and surrogate pairs to UTF-8", function()
      assert.are.equal('"\\/\b\f\n\r\t', json.decode([["\"\\\/\b\f\n\r\t"]]))
      assert.are.equal("é€😀", json.decode([["\u00e9\u20AC\ud83d\ude00"]]))
      assert.are.equal("a\0b", json.decode([["a\u0000b"]]))
      assert.are.equal("é", json.decode('"é"'))
    end)

    it("returns a json_syntax error for a lone surrogate", function()
      for _, text in ipairs({ [["\ud800"]], [["\ud800\u0041"]], [["x\udc00"]] }) do
        local err = decode_error(text)
        assert.are.equal("json_syntax", err.code)
        assert.matches("lone surrogate", err.message)
      end
      local err = decode_error([["ab\udc00"]])
      assert.are.same({ 1, 4 }, { err.line, err.column })
    end)

    it("returns a json_syntax error for invalid UTF-8, in strings and out of them", function()
      local cases = {
        { '"ab\255"', 4 }, { '"\192\175"', 2 }, { '"\237\160\128"', 2 },
        { '"\244\144\128\128"', 2 }, { '"\226\130"', 2 }, { "[\200]", 2 },
      }
      for _, case in ipairs(cases) do
        local err = decode_error(case[1])
        assert.are.equal("json_syntax", err.code)
        assert.matches("UTF%-8", err.message)
        assert.are.same({ 1, case[2] }, { err.line, err.column })
      end
    end)

    it("skips a leading UTF-8 byte order mark", function()
      assert.are.same({ a = 1 }, json.decode('\239\187\191{"a": 1}'))
      local err = decode_error("\239\187\191[x]")
      assert.are.same({ 1, 2 }, { err.line, err.column })
    end)

    it("accepts CRLF, tabs and spaces as whitespace and counts CRLF as one line", function()
      assert.are.same({ a = { 1, 2 } }, json.decode('{\r\n\t"a" :\t[ 1 ,\r\n2 ]\r\n}\r\n'))
      local err = decode_error('{\r\n  "a": x\r\n}')
      assert.are.same({ 2, 8 }, { err.line, err.column })
    end)

    it("returns a json_syntax error with line and column for each kind of bad text", function()
      local cases = {
        { "[1,2", 1, 5, "end of input" },
        { '{"a":1,}', 1, 8, "expected a string key" },
        { "[1,]", 1, 4, "expected a value" },
        { "[1 2]", 1, 4, "expected ',' or ']'" },
        { '{"a" 1}', 1, 6, "expected ':'" },
        { '{"a":1 "b":2}', 1, 8, "expected ',' or '}'" },
        { "{a:1}", 1, 2, "expected a string key" },
        { "tru", 1, 1, "invalid literal" },
        { "nul", 1, 1, "invalid literal" },
        { "01", 1, 1, "leading zero" },
        { "-", 1, 2, "expected a digit" },
        { "1.", 1, 3, "expected a digit after '.'" },
        { "1e+", 1, 4, "expected a digit in the exponent" },
        { '"abc', 1, 5, "unterminated string" },
        { '"a\tb"', 1, 3, "control character" },
        { [["\x"]], 1, 2, "invalid escape" },
        { [["\u12G4"]], 1, 2, "4 hex digits" },
        { "'a'", 1, 1, "unexpected '''" },
        { "[1] // comment", 1, 5, "expected the end of input" },
        { "\n\n  [nan]", 3, 4, "invalid literal" },
        { "[x]", 1, 2, "unexpected 'x', expected a value" },
        { "[1]\0", 1, 4, "byte 0x00" },
      }
      for _, case in ipairs(cases) do
        local err = decode_error(case[1])
        assert.are.equal("json_syntax", err.code)
        assert.are.same({ case[2], case[3] }, { err.line, err.column }, case[1])
        assert.is_truthy(err.message:find(case[4], 1, true), err.message)
      end
    end)

    it("returns a json_syntax error for trailing garbage after the value", function()
      local err = decode_error('{"a": 1}\n  }')
      assert.are.equal("json_syntax", err.code)
      assert.are.same({ 2, 3 }, { err.line, err.column })
      assert.are.same({ 1 }, json.decode("[1] \n\t "))
    end)

    it("returns a json_syntax error at 1:1 for empty or blank text", function()
      local err = decode_error("")
      assert.are.equal("json_syntax", err.code)
      assert.are.same({ 1, 1 }, { err.line, err.column })
      assert.matches("end of input", err.message)
      err = decode_error("  \n ")
      assert.are.same({ 2, 2 }, { err.line, err.column })
    end)

    it("accepts nesting up to 512 levels and returns json_depth just past it", function()
      local ok = assert(json.decode(("["):rep(512) .. ("]"):rep(512)))
      assert.is_true(json.is_array(ok))
      local err = decode_error(("["):rep(513) .. ("]"):rep(513))
      assert.are.equal("json_depth", err.code)
      assert.are.same({ 1, 513 }, { err.line, err.column })
      err = decode_error(('{"a":'):rep(600))
      assert.are.equal("json_depth", err.code)
      assert.are.same({ 1, 512 * 5 + 1 }, { err.line, err.column })
    end)

    it("lowers the depth limit with opts.max_depth", function()
      assert.are.same({ { 1 } }, json.decode("[[1]]", { max_depth = 2 }))
      local err = decode_error("[[[1]]]", { max_depth = 2 })
      assert.are.equal("json_depth", err.code)
      assert.are.same({ 1, 3 }, { err.line, err.column })
      assert.are.equal(5, json.decode("5", { max_depth = 1 }))
    end)

    it("gives errors whose tostring is line:column: message", function()
      local err = decode_error("[1,\n  x]")
      assert.are.equal("2:3: unexpected 'x', expected a value", tostring(err))
      assert.are.equal("2:3: " .. err.message, tostring(err))
    end)

    it("keeps the last of duplicate keys", function()
      assert.are.same({ a = 2 }, json.decode([[{"a": 1, "a": 2}]]))
    end)

    it("returns json_duplicate_key at the second key with opts.unique_keys", function()
      local err = decode_error('{\n  "a": 1,\n  "b": {"x": 1, "\\u0078": 2}\n}',
                               { unique_keys = true })
      assert.are.same({ "json_duplicate_key", 3, 17 }, { err.code, err.line, err.column })
      assert.are.equal("3:17: duplicate key 'x'", tostring(err))
      -- a key far from its first writing (past the pairs staged before the table exists)
      local members = {}
      for i = 1, 100 do members[i] = ('"k%d": %d'):format(i, i) end
      members[#members + 1] = '"k7": 0'
      err = decode_error("{" .. table.concat(members, ",") .. "}", { unique_keys = true })
      assert.are.equal("duplicate key 'k7'", err.message)
      -- keys that differ, and the same key in two objects, are fine
      assert.are.same({ a = { k = 1 }, b = { k = 2 }, [""] = 0, A = 3 },
        json.decode('{"a": {"k": 1}, "b": {"k": 2}, "": 0, "A": 3}', { unique_keys = true }))
      assert.are.same({ a = 2 }, json.decode('{"a": 1, "a": 2}', { unique_keys = false }))
    end)

    it("decodes long arrays and large objects whole", function()
      local items, members = {}, {}
      for i = 1, 1000 do
        items[i] = tostring(i)
        members[i] = ('"k%d": %d'):format(i, i)
      end
      local a = assert(json.decode("[" .. table.concat(items, ",") .. "]"))
      local o = assert(json.decode("{" .. table.concat(members, ",") .. "}"))
      assert.are.equal(1000, #a)
      for i = 1, 1000 do
        assert.are.equal(i, a[i])
        assert.are.equal(i, o["k" .. i])
      end
    end)

    it("raises on misuse", function()
      assert.has_error(function() json.decode(42) end)
      assert.has_error(function() json.decode() end)
      assert.has_error(function() json.decode("[]", "opts") end)
      assert.has_error(function() json.decode("[]", { depth = 3 }) end)
      assert.has_error(function() json.decode("[]", { max_depth = 0 }) end)
      assert.has_error(function() json.decode("[]", { max_depth = 513 }) end)
      assert.has_error(function() json.decode("[]", { max_depth = 1.5 }) end)
      assert.has_error(function() json.decode("[]", { unique_keys = 1 }) end)
      assert.has_error(function() json.encode({}, { unique_keys = true }) end)
    end)
  end)

  describe("encode", function()
    it("encodes every kind of value compactly", function()
      assert.are.equal("null", json.encode(nil))
      assert.are.equal("null", json.encode(json.null))
      assert.are.equal("true", json.encode(true))
      assert.are.equal("false", json.encode(false))
      assert.are.equal("42", json.encode(42))
      assert.are.equal("2.5", json.encode(2.5))
      assert.are.equal('"s"', json.encode("s"))
      assert.are.equal("[1,2,3]", json.encode({ 1, 2, 3 }))
      assert.are.equal('{"a":[true,null],"b":{"c":"d"}}',
        json.encode({ a = json.array({ true, json.null }), b = { c = "d" } }))
    end)

    it("writes an empty plain table as {} and a marked one as []", function()
      assert.are.equal("{}", json.encode({}))
      assert.are.equal("[]", json.encode(json.array()))
      assert.are.equal("[]", json.encode(json.array({})))
      assert.are.equal('{"1":"a","3":"b"}', json.encode({ [1] = "a", [3] = "b" }))
    end)

    it("writes a marked array's nil holes as null", function()
      local a = json.array({ 1, 2, 3 })
      a[2] = nil
      assert.are.equal("[1,null,3]", json.encode(a))
    end)

    it("sorts object keys by bytes", function()
      assert.are.equal('{"A":1,"B":2,"a":3,"aa":4,"b":5,"é":6}',
        json.encode({ b = 5, a = 3, ["é"] = 6, aa = 4, B = 2, A = 1 }))
      local big, expect = {}, {}
      for i = 100, 1, -1 do big["k" .. i] = i end
      local keys = {}
      for k in pairs(big) do keys[#keys + 1] = k end
      table.sort(keys)
      for i, k in ipairs(keys) do expect[i] = ('"%s":%d'):format(k, big[k]) end
      assert.are.equal("{" .. table.concat(expect, ",") .. "}", json.encode(big))
    end)

    it("writes integer keys of an object as decimal strings", function()
      assert.are.equal('{"-1":"m","10":"t","2":"b","x":1}',
        json.encode({ [2] = "b", [10] = "t", [-1] = "m", x = 1 }))
    end)

    it("writes integers exactly, math.mininteger included", function()
      assert.are.equal("[0,-7,9007199254740993,9223372036854775807,-9223372036854775808]",
        json.encode({ 0, -7, 9007199254740993, math.maxinteger, math.mininteger }))
    end)

    it("writes floats in their shortest round-trip form, always looking like floats", function()
      assert.are.equal("0.1", json.encode(0.1))
      assert.are.equal("1.0", json.encode(1.0))
      assert.are.equal("-0.0", json.encode(-0.0))
      assert.are.equal("1e+300", json.encode(1e300))
      assert.are.equal("9007199254740992.0", json.encode(2.0 ^ 53))
      assert.are.equal("1.7976931348623157e+308", json.encode(1.7976931348623157e308))
      for _, x in ipairs({ 0.1, 1.0, 5e-324, 1.7976931348623157e308, 1 / 3, -2.5e-8, 1e300,
                           123456789.125, 2.0 ^ 63 }) do
        local back = json.decode(json.encode(x))
        assert.are.equal("float", math.type(back))
        assert.are.equal(x, back)
      end
    end)

    it("escapes what JSON requires and passes UTF-8 and '/' through", function()
      assert.are.equal([["q\" b\\ n\n r\r t\t b\b f\f \u0000\u001f / é😀"]],
        json.encode('q" b\\ n\n r\r t\t b\b f\f \0\31 / é😀'))
      assert.are.equal('{"k\\n\\"":1}', json.encode({ ['k\n"'] = 1 }))
    end)

    it("pretty-prints with 2-space indents, sorted keys and no trailing newline", function()
      local value = { b = { 1, 2 }, a = {}, c = { y = json.array(), x = json.null, z = "s" } }
      assert.are.equal(table.concat({
        "{",
        '  "a": {},',
        '  "b": [',
        "    1,",
        "    2",
        "  ],",
        '  "c": {',
        '    "x": null,',
        '    "y": [],',
        '    "z": "s"',
        "  }",
        "}",
      }, "\n"), json.encode(value, { pretty = true }))
      assert.are.equal("[]", json.encode(json.array(), { pretty = true }))
      assert.are.equal("7", json.encode(7, { pretty = true }))
    end)

    it("round-trips a document through decode and encode unchanged", function()
      local text = '{"a":[],"b":{},"c":[null,1,2.5,"x"],"d":{"e":[{"f":true}]},"g":-1e-07}'
      assert.are.equal(text, json.encode(json.decode(text)))
      local pretty = json.encode(json.decode(text), { pretty = true })
      assert.are.equal(text, json.encode(json.decode(pretty)))
    end)

    it("returns a json_encode error with the JSON pointer of a value JSON cannot hold", function()
      local err = encode_error({ a = { { b = print } } })
      assert.are.equal("json_encode", err.code)
      assert.are.equal("/a/0/b", err.path)
      assert.are.equal("/a/0/b: cannot encode a function value", err.message)
      assert.are.equal(err.message, tostring(err))
      err = encode_error({ x = coroutine.create(print) })
      assert.are.equal("/x", err.path)
      err = encode_error(io.stdout)
      assert.are.equal("json_encode", err.code)
      assert.are.equal("", err.path)
      err = encode_error({ ["a/b"] = { ["c~d"] = print } })
      assert.are.equal("/a~1b/c~0d", err.path)
    end)

    it("returns a json_encode error for NaN and the infinities", function()
      for _, x in ipairs({ 0 / 0, math.huge, -math.huge }) do
        local err = encode_error({ n = { x } })
        assert.are.equal("json_encode", err.code)
        assert.are.equal("/n/0", err.path)
      end
      assert.matches("NaN", encode_error(0 / 0).message)
    end)

    it("returns a json_encode error for invalid UTF-8 in a string or a key", function()
      local err = encode_error({ s = "ab\255" })
      assert.are.equal("json_encode", err.code)
      assert.are.equal("/s", err.path)
      err = encode_error({ t = { ["\192\175"] = 1 } })
      assert.are.equal("json_encode", err.code)
      assert.matches("key is not valid UTF%-8", err.message)
    end)

    it("returns a json_encode error for keys JSON cannot hold", function()
      local err = encode_error({ o = { [true] = 1 } })
      assert.are.equal("json_encode", err.code)
      assert.are.equal("/o", err.path)
      err = encode_error({ [1.5] = 1 })
      assert.are.equal("json_encode", err.code)
      err = encode_error({ [1] = "a", ["1"] = "b", x = 1 })
      assert.are.equal("json_encode", err.code)
      assert.matches('two keys write "1"', err.message)
    end)

    it("returns a json_depth error for a cycle and for nesting past the limit", function()
      local t = { a = {} }
      t.a.b = t
      local err = encode_error(t)
      assert.are.equal("json_depth", err.code)
      assert.are.equal("/a/b/a/b", err.path:sub(1, 8))
      local deep = {}
      local cur = deep
      for _ = 1, 511 do cur[1] = {}; cur = cur[1] end
      assert.is_string(json.encode(deep))
      cur[1] = {}
      err = encode_error(deep)
      assert.are.equal("json_depth", err.code)
      assert.are.equal(("/0"):rep(512), err.path)
      assert.are.equal("json_depth", encode_error({ { { 1 } } }, { max_depth = 2 }).code)
    end)

    it("raises on misuse", function()
      assert.has_error(function() json.encode() end)
      assert.has_error(function() json.encode({}, "pretty") end)
      assert.has_error(function() json.encode({}, { indent = 2 }) end)
      assert.has_error(function() json.encode({}, { pretty = "yes" }) end)
      assert.has_error(function() json.encode({}, { max_depth = 0 }) end)
    end)
  end)

  describe("markers", function()
    it("share one null sentinel and one array marker with the registry", function()
      assert.are.equal("userdata", type(json.null))
      assert.are.equal("null", tostring(json.null))
      assert.is_nil(json.null.anything)
      assert.are.equal(json.null, json.decode("null"))
      assert.are.equal(json.array_mt, getmetatable(json.decode("[1]")))
      assert.are.equal(json.null, debug.getregistry()["a0lua.null"])
      assert.are.equal(json.array_mt, debug.getregistry()["a0lua.array"])
    end)

    it("marks tables as arrays and tells arrays from objects", function()
      local t = {}
      assert.are.equal(t, json.array(t))
      assert.is_true(json.is_array(t))
      assert.is_true(json.is_array({ 1, 2 }))
      assert.is_false(json.is_array({}))
      assert.is_false(json.is_array({ a = 1 }))
      assert.is_false(json.is_array("x"))
      assert.is_true(json.is_array(json.array()))
      assert.has_error(function() json.array("x") end)
    end)

    it("names the module version", function()
      assert.are.equal("a0lua-json 1", json.version)
    end)
  end)
end)
