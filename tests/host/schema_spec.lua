-- tests/host/schema_spec.lua: a0lua.core.schema, the JSON-schema subset a0deploy's handlers use.
local schema = require("a0lua.core.schema")

local null, array = schema.null, schema.array

-- Compiles s (which must compile) and validates value; returns ok, errors.
local function check(s, value, opts)
  local v = assert(schema.compile(s))
  return v:validate(value, opts)
end

-- The single error of validating value against s.
local function only_error(s, value)
  local ok, errs = check(s, value)
  assert.is_false(ok)
  assert.are.equal(1, #errs)
  return errs[1]
end

local function accepts(s, value)
  local ok, errs = check(s, value)
  assert.is_true(ok, errs and errs[1] and (errs[1].path .. ": " .. errs[1].message))
end

local function rejects(s, value, keyword)
  local ok, errs = check(s, value)
  assert.is_false(ok)
  if keyword then assert.are.equal(keyword, errs[1].keyword) end
  return errs
end

-- The acceptance case from the task, as a0deploy's clients schema has it.
local CLIENTS = {
  type = "object",
  properties = {
    clients = {
      type = "array",
      items = {
        type = "object",
        properties = {
          name = { type = "string", minLength = 1 },
          token_exchange = {
            type = "object",
            properties = {
              allow_any_profile_of_type = {
                type = "array",
                items = {
                  type = "string",
                  enum = array { "custom_authentication", "on_behalf_of_token_exchange" },
                },
              },
            },
            required = array { "allow_any_profile_of_type" },
            additionalProperties = false,
          },
        },
        required = array { "name" },
      },
    },
  },
}

-- Just the pieces of a0deploy's schema that carry the defaults of the verified samples
-- (docs/architecture.md §7.1).
local DEFAULTS = {
  type = "object",
  properties = {
    clients = {
      type = "array",
      items = {
        type = "object",
        properties = {
          name = { type = "string" },
          session_transfer = {
            type = { "object", "null" },
            properties = {
              can_create_session_transfer_token = { type = "boolean", default = false },
              enforce_cascade_revocation = { type = "boolean", default = true },
              enforce_device_binding = {
                type = "string", enum = { "ip", "asn", "none" }, default = "ip",
              },
              allow_refresh_token = { type = "boolean", default = false },
              enforce_online_refresh_tokens = { type = "boolean", default = true },
            },
          },
        },
        required = { "name" },
      },
    },
    databases = {
      type = "array",
      items = {
        type = "object",
        properties = {
          name = { type = "string" },
          strategy = { type = "string", default = "auth0" },
          options = {
            type = "object",
            properties = {
              disable_self_service_change_password = { type = "boolean", default = false },
              attributes = {
                type = "object",
                properties = {
                  email = {
                    type = "object",
                    properties = { unique = { type = "boolean", default = true } },
                  },
                },
              },
            },
          },
        },
      },
    },
    organizations = {
      type = "array",
      items = {
        type = "object",
        properties = {
          name = { type = "string" },
          client_grants = { type = "array", default = array() },
          clients = { type = "array", default = array() },
        },
      },
    },
    rules = {
      type = "array",
      items = {
        type = "object",
        default = array(),
        properties = {
          name = { type = "string" },
          order = { type = { "number", "null" }, default = null },
          enabled = { type = "boolean", default = true },
        },
      },
    },
  },
}

-- The URL-ish pattern written for these specs: at most 64 characters (lookahead), no ".."
-- (negative lookahead), a host of 1..63 characters from [\w-\.~] (the ECMAScript hyphen edge),
-- an optional port of 1..5 digits (bounded repetition), then path segments.
local URL = [[^(?=.{0,64}$)(?!.*\.\.)https:\/\/[\w-\.~]{1,63}(?::\d{1,5})?(?:\/[\w-\.~%]*)*$]]

describe("a0lua.core.schema", function()
  describe("version", function()
    it("names the PCRE2 library", function()
      assert.matches("^PCRE2 %d+%.%d+$", schema.version)
    end)
  end)

  describe("compile", function()
    it("returns a validator for a schema table", function()
      local v, err = schema.compile(CLIENTS)
      assert.is_nil(err)
      assert.matches("^a0lua%.schema%.validator", tostring(v))
    end)

    it("compiles a schema with 190,000 nodes", function()
      local screens = {}
      for i = 1, 1000 do
        local fields = {}
        for j = 1, 189 do fields["text" .. j] = { type = "string" } end
        screens["screen" .. i] = { type = "object", properties = fields }
      end
      local v = assert(schema.compile({ type = "object", properties = screens }))
      assert.is_true(v:validate({ screen7 = { text3 = "hello" } }))
      assert.are.equal("/screen7/text3",
        select(2, v:validate({ screen7 = { text3 = 3 } }))[1].path)
    end)

    it("compiles the same subschema table used in several places", function()
      local name = { type = "string", minLength = 1 }
      local v = assert(schema.compile({ properties = { a = name, b = name } }))
      local ok, errs = v:validate({ a = "", b = "" })
      assert.is_false(ok)
      assert.are.equal(2, #errs)
      assert.are.equal("/properties/a/minLength", errs[1].schema_path)
      assert.are.equal("/properties/b/minLength", errs[2].schema_path)
    end)

    it("returns nil and a schema_invalid error with the path of a bad pattern", function()
      local v, err = schema.compile({ properties = { name = { pattern = "[a-" } } })
      assert.is_nil(v)
      assert.are.equal("schema_invalid", err.code)
      assert.are.equal("/properties/name/pattern", err.path)
      assert.matches("regular expression", err.message)
      assert.are.equal(err.message, tostring(err))
    end)

    it("returns a schema_invalid error for a keyword value of the wrong type", function()
      local _, err = schema.compile({ properties = { name = { minLength = "x" } } })
      assert.are.equal("schema_invalid", err.code)
      assert.are.equal("/properties/name/minLength", err.path)
      _, err = schema.compile({ items = { maxItems = -1 } })
      assert.are.equal("/items/maxItems", err.path)
      _, err = schema.compile({ required = "name" })
      assert.are.equal("/required", err.path)
      _, err = schema.compile({ enum = "a" })
      assert.are.equal("/enum", err.path)
      _, err = schema.compile({ additionalProperties = "no" })
      assert.are.equal("/additionalProperties", err.path)
      _, err = schema.compile({ anyOf = array() })
      assert.are.equal("/anyOf", err.path)
      _, err = schema.compile({ uniqueItems = 1 })
      assert.are.equal("/uniqueItems", err.path)
      _, err = schema.compile({ minimum = "1" })
      assert.are.equal("/minimum", err.path)
    end)

    it("returns a schema_invalid error for an unknown type name", function()
      local _, err = schema.compile({ properties = { a = { type = { "string", "text" } } } })
      assert.are.equal("schema_invalid", err.code)
      assert.are.equal("/properties/a/type/1", err.path)
      _, err = schema.compile({ type = "any" })
      assert.are.equal("/type", err.path)
    end)

    it("returns a schema_invalid error for keywords the subset does not implement", function()
      local _, err = schema.compile({ properties = { a = { ["$ref"] = "#/definitions/a" } } })
      assert.are.equal("schema_invalid", err.code)
      assert.are.equal("/properties/a/$ref", err.path)
      _, err = schema.compile({ items = { { type = "string" } } })
      assert.are.equal("/items", err.path)
    end)

    it("returns a schema_invalid error for a schema that contains itself", function()
      local s = { type = "object", properties = {} }
      s.properties.child = s
      local _, err = schema.compile(s)
      assert.are.equal("schema_invalid", err.code)
      assert.are.equal("/properties/child", err.path)
    end)

    it("escapes ~ and / in schema paths", function()
      local _, err = schema.compile({ properties = { ["a/b~c"] = { maxLength = 1.5 } } })
      assert.are.equal("/properties/a~1b~0c/maxLength", err.path)
    end)

    it("raises when the schema is not a table", function()
      assert.has_error(function() schema.compile("{}") end)
      assert.has_error(function() schema.compile() end)
      assert.has_error(function() schema.compile(true) end)
    end)
  end)

  describe("validator:validate", function()
    it("accepts both allowed token exchange profile types", function()
      accepts(CLIENTS, { clients = { {
        name = "app",
        token_exchange = {
          allow_any_profile_of_type = { "custom_authentication", "on_behalf_of_token_exchange" },
        },
      } } })
    end)

    it("rejects a misspelt profile type with the path, keyword and message of the enum", function()
      local err = only_error(CLIENTS, { clients = { {
        name = "app",
        token_exchange = { allow_any_profile_of_type = { "on_behalf_of_token_exhange" } },
      } } })
      assert.are.equal("/clients/0/token_exchange/allow_any_profile_of_type/0", err.path)
      assert.are.equal("enum", err.keyword)
      assert.are.equal("must be one of custom_authentication, on_behalf_of_token_exchange",
        err.message)
      assert.are.equal("/properties/clients/items/properties/token_exchange/properties/"
        .. "allow_any_profile_of_type/items/enum", err.schema_path)
      assert.are.equal("schema_violation", err.code)
    end)

    it("reports every error of a value together", function()
      local ok, errs = check(CLIENTS, { clients = {
        { name = "", token_exchange = { extra = 1 } },
        { token_exchange = { allow_any_profile_of_type = { "x", 7 } } },
      } })
      assert.is_false(ok)
      assert.is_true(schema.is_array(errs))
      local seen = {}
      for _, e in ipairs(errs) do seen[#seen + 1] = e.path .. " " .. e.keyword end
      table.sort(seen)
      assert.are.same({
        "/clients/0/name minLength",
        "/clients/0/token_exchange required",
        "/clients/0/token_exchange/extra additionalProperties",
        "/clients/1 required",
        "/clients/1/token_exchange/allow_any_profile_of_type/0 enum",
        "/clients/1/token_exchange/allow_any_profile_of_type/1 enum",
        "/clients/1/token_exchange/allow_any_profile_of_type/1 type",
      }, seen)
    end)

    describe("type", function()
      it("accepts each type name and rejects the others with 'must be <type>'", function()
        local samples = {
          object = {}, array = { 1 }, string = "s", number = 1.5, integer = 3, boolean = false,
          null = null,
        }
        for name, good in pairs(samples) do
          accepts({ type = name }, good)
          local err = only_error({ type = name }, name == "string" and 1 or "s")
          assert.are.equal("type", err.keyword)
          assert.are.equal("must be " .. name, err.message)
          assert.are.equal("", err.path)
          assert.are.equal("/type", err.schema_path)
        end
      end)

      it("accepts any value of a listed type", function()
        local s = { type = { "object", "null" } }
        accepts(s, { a = 1 })
        accepts(s, null)
        accepts(s, nil)
        assert.are.equal("must be object,null", only_error(s, array()).message)
        accepts({ type = { "string" } }, "x")
      end)

      it("counts 1.0 as an integer and 1.5 as not", function()
        accepts({ type = "integer" }, 1.0)
        accepts({ type = "integer" }, 1)
        rejects({ type = "integer" }, 1.5, "type")
        rejects({ type = "integer" }, math.huge, "type")
        accepts({ type = "number" }, 1)
        accepts({ type = "number" }, 1.5)
      end)

      it("classifies tables by the array marker and 1..n keys", function()
        accepts({ type = "array" }, array())
        accepts({ type = "array" }, { "a", "b" })
        accepts({ type = "object" }, {})
        accepts({ type = "object" }, { [1] = "a", [3] = "c" })
        rejects({ type = "array" }, {}, "type")
      end)

      it("fails functions, coroutines and userdata as 'must be <type>'", function()
        for _, value in ipairs({ print, coroutine.create(print), io.stdout }) do
          for _, name in ipairs({ "string", "object", "null", "number" }) do
            assert.are.equal("must be " .. name, only_error({ type = name }, value).message)
          end
          accepts({}, value)
        end
      end)
    end)

    describe("properties and required", function()
      it("checks present properties only", function()
        local s = { properties = { a = { type = "string" }, b = { type = "integer" } } }
        accepts(s, { a = "x" })
        local err = only_error(s, { a = "x", b = "y" })
        assert.are.equal("/b", err.path)
        assert.are.equal("/properties/b/type", err.schema_path)
      end)

      it("reports a missing property at the object with a property field", function()
        local s = { properties = { obj = { required = { "name", "id" } } } }
        accepts(s, { obj = { name = "n", id = 1 } })
        local err = only_error(s, { obj = { id = 1 } })
        assert.are.equal("/obj", err.path)
        assert.are.equal("required", err.keyword)
        assert.are.equal("must have required property 'name'", err.message)
        assert.are.equal("name", err.property)
        assert.are.equal("/properties/obj/required", err.schema_path)
      end)

      it("counts a present null as present", function()
        accepts({ required = { "a" } }, { a = null })
      end)

      it("escapes ~ and / in instance paths", function()
        local err = only_error({ properties = { ["a/b~c"] = { type = "string" } } },
          { ["a/b~c"] = 1 })
        assert.are.equal("/a~1b~0c", err.path)
      end)
    end)

    describe("additionalProperties", function()
      it("rejects each extra property at its own path when false", function()
        local s = { properties = { a = {} }, additionalProperties = false }
        accepts(s, { a = 1 })
        local err = only_error(s, { a = 1, foo = 2 })
        assert.are.equal("/foo", err.path)
        assert.are.equal("additionalProperties", err.keyword)
        assert.are.equal("must not have additional property 'foo'", err.message)
        assert.are.equal("foo", err.property)
        assert.are.equal("/additionalProperties", err.schema_path)
        local _, errs = check(s, { x = 1, y = 2, a = 3 })
        assert.are.equal(2, #errs)
      end)

      it("rejects every property when false and no properties are declared", function()
        local err = only_error({ additionalProperties = false }, { [2] = true })
        assert.are.equal("/2", err.path)
        assert.are.equal("must not have additional property '2'", err.message)
        assert.are.equal(2, err.property)
      end)

      it("allows anything when true", function()
        accepts({ properties = { a = { type = "string" } }, additionalProperties = true },
          { a = "x", b = 1 })
      end)

      it("checks extra properties against a schema", function()
        local s = {
          properties = { known = { type = "string" } },
          additionalProperties = { type = "object", required = { "label" } },
          minProperties = 1, maxProperties = 3,
        }
        accepts(s, { known = "k", email = { label = "Email" } })
        local err = only_error(s, { known = "k", phone = { label = "Phone" }, email = 3 })
        assert.are.equal("/email", err.path)
        assert.are.equal("/additionalProperties/type", err.schema_path)
      end)
    end)

    describe("minProperties and maxProperties", function()
      it("bounds the number of properties", function()
        local s = { minProperties = 1, maxProperties = 2 }
        accepts(s, { a = 1 })
        accepts(s, { a = 1, b = 2 })
        local err = only_error(s, {})
        assert.are.equal("minProperties", err.keyword)
        assert.are.equal("must not have fewer than 1 properties", err.message)
        err = only_error(s, { a = 1, b = 2, c = 3 })
        assert.are.equal("maxProperties", err.keyword)
        assert.are.equal("must not have more than 2 properties", err.message)
      end)
    end)

    describe("items, minItems and maxItems", function()
      it("checks each item with paths from 0", function()
        local s = { items = { type = "string" } }
        accepts(s, { "a", "b" })
        accepts(s, array())
        local _, errs = check(s, { "a", 2, "c", false })
        assert.are.equal(2, #errs)
        assert.are.equal("/1", errs[1].path)
        assert.are.equal("/3", errs[2].path)
        assert.are.equal("/items/type", errs[1].schema_path)
      end)

      it("bounds the number of items", function()
        local s = { minItems = 1, maxItems = 3 }
        accepts(s, { 1 })
        accepts(s, { 1, 2, 3 })
        assert.are.equal("must not have fewer than 1 items", only_error(s, array()).message)
        assert.are.equal("must not have more than 3 items", only_error(s, { 1, 2, 3, 4 }).message)
      end)
    end)

    describe("uniqueItems", function()
      it("compares items deeply and names the two indexes", function()
        local s = { uniqueItems = true }
        accepts(s, { { 1, 2 }, { 2, 1 } })
        accepts(s, { "1", 1 })
        accepts(s, { { a = 1 }, { a = 1, b = null } })
        local err = only_error(s, { { a = 1, b = { 1, 2 } }, "x", { b = { 1, 2 }, a = 1 } })
        assert.are.equal("uniqueItems", err.keyword)
        assert.are.equal("must not have duplicate items (items 0 and 2 are identical)", err.message)
        assert.are.equal("", err.path)
        rejects(s, { 1, 1.0 }, "uniqueItems")
        rejects(s, { null, "a", null }, "uniqueItems")
        rejects(s, { array(), array() }, "uniqueItems")
      end)

      it("finds a duplicate in a long array of strings", function()
        local list = {}
        for i = 1, 200 do list[i] = "item" .. i end
        accepts({ uniqueItems = true }, list)
        list[91] = "item11"
        assert.are.equal("must not have duplicate items (items 10 and 90 are identical)",
          only_error({ uniqueItems = true }, list).message)
      end)

      it("allows duplicates when false", function()
        accepts({ uniqueItems = false }, { 1, 1 })
      end)
    end)

    describe("enum", function()
      it("accepts strings, booleans, numbers and null strictly", function()
        local s = { enum = { "a", true, null, 2 } }
        accepts(s, "a")
        accepts(s, true)
        accepts(s, null)
        accepts(s, nil)
        accepts(s, 2.0)
        rejects(s, false, "enum")
        rejects(s, "2", "enum")
        rejects(s, "A", "enum")
      end)

      it("lists the values as written, null as null", function()
        local err = only_error({ enum = { "a", true, null, 2, 2.5 } }, "b")
        assert.are.equal("must be one of a, true, null, 2, 2.5", err.message)
        assert.are.equal("/enum", err.schema_path)
      end)

      it("compares arrays and objects deeply", function()
        local s = { enum = { array { 1, 2 }, { a = array() } } }
        accepts(s, { 1, 2 })
        accepts(s, { a = array() })
        rejects(s, { 2, 1 }, "enum")
        rejects(s, { a = {} }, "enum")
      end)
    end)

    describe("minLength and maxLength", function()
      it("counts code points of UTF-8 strings", function()
        accepts({ minLength = 5, maxLength = 5 }, "héllo")
        accepts({ minLength = 3, maxLength = 3 }, "日本語")
        local err = only_error({ maxLength = 2 }, "日本語")
        assert.are.equal("maxLength", err.keyword)
        assert.are.equal("must not have more than 2 characters", err.message)
        err = only_error({ minLength = 1 }, "")
        assert.are.equal("must not have fewer than 1 characters", err.message)
      end)

      it("counts an emoji outside the BMP as one character", function()
        accepts({ minLength = 1, maxLength = 1 }, "😀")
        rejects({ minLength = 2 }, "😀", "minLength")
      end)
    end)

    describe("pattern", function()
      local function matches(pattern, good, bad)
        local s = { pattern = pattern }
        for _, value in ipairs(good) do accepts(s, value) end
        for _, value in ipairs(bad) do
          local err = only_error(s, value)
          assert.are.equal("pattern", err.keyword)
          assert.are.equal('must match pattern "' .. pattern .. '"', err.message)
        end
      end

      it("handles the rules and hooks name pattern", function()
        matches([[^[^-\s][a-zA-Z0-9-\s]+[^-\s]$]], { "my rule-1", "abc" },
          { "-rule", "rule ", "ru_le", "ab" })
      end)

      it("handles the rules config key pattern", function()
        matches("^[A-Za-z0-9_-]*$", { "MY_KEY-1", "" }, { "my key", "a.b" })
      end)

      it("searches with an unanchored pattern", function()
        matches("[^<>]+", { "My App", "<b>x</b>", "<<x" }, { "<>", "" })
      end)

      it("handles the country code pattern", function()
        matches("^[A-Z]{2}$", { "US" }, { "USA", "us", "U" })
      end)

      it("handles the theme color pattern", function()
        matches("^#(([0-9a-fA-F]{3}){1,2}|([0-9a-fA-F]{4}){1,2})$",
          { "#fff", "#A1B2C3", "#ffff", "#ffffffff" }, { "#ff", "#fffff", "fff", "#ggg" })
      end)

      it("handles the captcha theme pattern", function()
        matches("^(auto|light|dark)$", { "auto", "dark" }, { "darker", "Dark" })
      end)

      it("handles the theme display name pattern", function()
        matches("^[^<>]*$", { "", "My Theme" }, { "a<b", "b>" })
      end)

      it("handles the network ACL auth0_managed pattern", function()
        matches([[^auth0\.[^.\s]+$]], { "auth0.bot_detection" },
          { "auth0.a.b", "auth0.a b", "auth0x", "auth0." })
      end)

      it("handles a URL pattern with lookaheads, bounded repetition and [\\w-\\.~]", function()
        matches(URL,
          { "https://cdn.example-1.com/fonts/a~b.woff2", "https://my-host:8443/", "https://x" },
          { "https://a..b.com/", "https://" .. string.rep("a", 60) .. ".com", "http://x",
            "https://ex ample.com", "https://a,b.com", "https://x:123456" })
      end)

      it("gives \\w, \\d and \\s their ECMAScript meaning", function()
        matches([[^\w+\s\d+$]], { "abc_1 42", "a\t0", "a\u{a0}1" }, { "é 1", "a 1x", "a1" })
      end)

      it("keeps ECMAScript's ., $ and \\u escapes", function()
        matches("^a.b$", { "axb", "a\u{e9}b" }, { "a\nb", "a\rb" })
        matches("^abc$", { "abc" }, { "abc\n" })
        matches([[^\u00e9$]], { "é" }, { "e" })
        matches("^x[^]$", { "xy", "x\n" }, { "x" })
        matches("x|a[]", { "x" }, { "a", "a[]" })
        matches([[^\e\v\-$]], { "e\v-" }, { "\27\v-", "e\n-" })
      end)

      it("checks strings that are not valid UTF-8 without raising", function()
        matches("^[a-z]+$", { "abc" }, { "ab\xff" })
      end)
    end)

    describe("minimum and maximum", function()
      it("bounds numbers inclusively", function()
        local s = { minimum = 1, maximum = 150 }
        accepts(s, 1)
        accepts(s, 150)
        accepts(s, 75.5)
        local err = only_error(s, 0)
        assert.are.equal("minimum", err.keyword)
        assert.are.equal("must be >= 1", err.message)
        err = only_error(s, 150.5)
        assert.are.equal("maximum", err.keyword)
        assert.are.equal("must be <= 150", err.message)
        rejects(s, 0 / 0, "minimum")
      end)
    end)

    describe("anyOf and oneOf", function()
      local twilio = { type = "object", required = { "sid" } }
      local custom = { type = "object", required = { "url" } }

      it("accepts a value matching any anyOf branch", function()
        local s = { anyOf = { twilio, custom } }
        accepts(s, { sid = "x" })
        accepts(s, { sid = "x", url = "y" })
      end)

      it("reports one anyOf error at the value with each branch's errors", function()
        local err = only_error({ properties = { c = { anyOf = { twilio, custom } } } },
          { c = { other = 1 } })
        assert.are.equal("/c", err.path)
        assert.are.equal("anyOf", err.keyword)
        assert.are.equal("must match a schema in anyOf", err.message)
        assert.are.equal("/properties/c/anyOf", err.schema_path)
        assert.are.equal(2, #err.branches)
        assert.are.equal("must have required property 'sid'", err.branches[1][1].message)
        assert.are.equal("/properties/c/anyOf/1/required", err.branches[2][1].schema_path)
      end)

      it("accepts a value matching exactly one oneOf branch", function()
        local s = { oneOf = { { type = "object" }, { type = "null" } } }
        accepts(s, {})
        accepts(s, null)
        assert.are.equal("oneOf", only_error(s, "x").keyword)
      end)

      it("rejects a value matching two oneOf branches", function()
        local err = only_error({ oneOf = { twilio, custom } }, { sid = "x", url = "y" })
        assert.are.equal("oneOf", err.keyword)
        assert.are.equal("", err.path)
        assert.are.equal("must match exactly one schema in oneOf", err.message)
        assert.are.same({}, err.branches[1])
        assert.are.same({}, err.branches[2])
      end)
    end)

    describe("format", function()
      local s = { format = "date-time" }

      it("accepts date-times Ajv's fast regex accepts", function()
        for _, value in ipairs({
          "2021-01-01T00:00:00Z", "2021-01-01t00:00:00.123z", "2021-01-01 23:59:60+01:00",
          "2021-01-01T12:00:00+0100", "2021-01-01T12:00:00-01", "2021-12-31T29:59:59.5Z",
        }) do
          accepts(s, value)
        end
      end)

      it("rejects what Ajv's fast regex rejects", function()
        for _, value in ipairs({
          "2021-01-01", "2021-01-01T00:00:00", "2021-21-01T00:00:00Z", "2021-01-01T00:60:00Z",
          "2021-01-01X00:00:00Z", "2021-01-01T00:00:00Z\n", "2021-01-01T00:00:00+1",
          "2021-01-01T00:00:00.Z", "21-01-01T00:00:00Z",
        }) do
          local err = only_error(s, value)
          assert.are.equal("format", err.keyword)
          assert.are.equal('must match format "date-time"', err.message)
        end
      end)

      it("ignores unknown formats and non-strings", function()
        accepts({ format = "email" }, "not an email")
        accepts(s, 42)
      end)
    end)

    describe("nullable", function()
      it("accepts null in addition to the type", function()
        local s = { type = "string", nullable = true }
        accepts(s, "x")
        accepts(s, null)
        assert.are.equal("must be string,null", only_error(s, 1).message)
        accepts({ type = "string", nullable = false }, "x")
        rejects({ type = "string", nullable = false }, null, "type")
      end)

      it("works with an enum that lists null", function()
        local s = { type = "string", enum = { "true-client-ip", null }, nullable = true }
        accepts(s, null)
        accepts(s, "true-client-ip")
        rejects(s, "x-forwarded-for", "enum")
      end)
    end)

    describe("boolean schemas", function()
      it("accepts anything for true and nothing for false", function()
        accepts({ properties = { a = true } }, { a = print })
        local err = only_error({ properties = { a = false } }, { a = 1 })
        assert.are.equal("false", err.keyword)
        assert.are.equal("/a", err.path)
        accepts({ properties = { a = false } }, {})
      end)
    end)

    it("ignores unknown keywords and annotations", function()
      local s = {
        ["$schema"] = "http://json-schema.org/draft-07/schema#", title = "T",
        description = "d", readOnly = true, defaultValue = false, schemaName = "mode",
        examples = { 1 }, type = "object",
        properties = { a = { type = "string", description = "x", defaultValue = "y" } },
      }
      accepts(s, { a = "x" })
      assert.are.equal("type", only_error(s, { a = 1 }).keyword)
    end)

    it("ignores keywords that do not apply to the value's type", function()
      local s = { type = { "string", "number", "array", "object" }, minLength = 3, minimum = 5,
        pattern = "^x", items = { type = "string" }, properties = { a = { type = "string" } },
        required = { "a" }, additionalProperties = false, uniqueItems = true }
      accepts(s, 10)
      accepts(s, "xyz")
      accepts(s, { "a" })
      accepts(s, { a = "x" })
      accepts({ type = "object", items = { type = "string" } }, { a = 1 })
      accepts({ type = "array", properties = { a = { type = "string" } } }, { 1 })
      accepts({ type = "array", additionalProperties = false }, { 1, 2 })
    end)

    describe("defaults", function()
      it("fills the client session_transfer defaults", function()
        local value = { clients = { { name = "app", session_transfer = {} } } }
        assert.is_true(check(DEFAULTS, value, { defaults = true }))
        assert.are.same({
          can_create_session_transfer_token = false, enforce_cascade_revocation = true,
          enforce_device_binding = "ip", allow_refresh_token = false,
          enforce_online_refresh_tokens = true,
        }, value.clients[1].session_transfer)
      end)

      it("fills the database strategy and nested option defaults", function()
        local value = { databases = { { name = "db", options = { attributes = { email = {} } } } } }
        assert.is_true(check(DEFAULTS, value, { defaults = true }))
        local db = value.databases[1]
        assert.are.equal("auth0", db.strategy)
        assert.is_false(db.options.disable_self_service_change_password)
        assert.is_true(db.options.attributes.email.unique)
      end)

      it("fills the organization arrays with fresh arrays", function()
        local value = { organizations = { { name = "a" }, { name = "b" } } }
        assert.is_true(check(DEFAULTS, value, { defaults = true }))
        local a, b = value.organizations[1], value.organizations[2]
        assert.is_true(schema.is_array(a.client_grants))
        assert.is_true(schema.is_array(a.clients))
        assert.are_not.equal(a.clients, b.clients)
        assert.are_not.equal(DEFAULTS.properties.organizations.items.properties.clients.default,
          a.clients)
      end)

      it("fills only missing properties and keeps a present null", function()
        local value = { rules = { { name = "r", enabled = false, order = null }, { name = "s" } } }
        assert.is_true(check(DEFAULTS, value, { defaults = true }))
        assert.is_false(value.rules[1].enabled)
        assert.are.equal(null, value.rules[1].order)
        assert.is_true(value.rules[2].enabled)
        assert.are.equal(null, value.rules[2].order)
      end)

      it("does not create a missing parent object", function()
        local value = { clients = { { name = "app" } }, databases = { { name = "db" } } }
        assert.is_true(check(DEFAULTS, value, { defaults = true }))
        assert.is_nil(value.clients[1].session_transfer)
        assert.is_nil(value.databases[1].options)
        assert.are.equal("auth0", value.databases[1].strategy)
      end)

      it("does not fill into a null or a non-object", function()
        local value = { clients = { { name = "app", session_transfer = null } } }
        assert.is_true(check(DEFAULTS, value, { defaults = true }))
        assert.are.equal(null, value.clients[1].session_transfer)
        local ok = check(DEFAULTS, { databases = { "db" } }, { defaults = true })
        assert.is_false(ok)
      end)

      it("ignores defaults on the root, on items and inside anyOf / oneOf", function()
        local s = {
          type = "object", default = { root = true },
          properties = {
            list = { type = "array", items = { default = "x" } },
            pick = {
              anyOf = { { type = "object", properties = { a = { default = 1 } } } },
              oneOf = { { type = "object", properties = { b = { default = 2 } } } },
            },
          },
        }
        local value = { list = { null }, pick = {} }
        assert.is_true(check(s, value, { defaults = true }))
        assert.is_nil(value.root)
        assert.are.equal(null, value.list[1])
        assert.are.same({}, value.pick)
      end)

      it("fills nothing without opts.defaults", function()
        local value = { organizations = { { name = "a" } } }
        assert.is_true(check(DEFAULTS, value))
        assert.is_true(check(DEFAULTS, value, { defaults = false }))
        assert.is_nil(value.organizations[1].clients)
      end)

      it("validates the filled values", function()
        local s = { properties = { n = { type = "string", default = 5 } } }
        local value = {}
        local err = select(2, check(s, value, { defaults = true }))[1]
        assert.are.equal(5, value.n)
        assert.are.equal("/n", err.path)
      end)
    end)

    it("validates a value that contains itself without raising", function()
      local a, b = { n = 1 }, { n = 1 }
      a.self, b.self = a, b
      local s = {
        type = "array", uniqueItems = true, enum = { { { n = 1 } } },
        items = { additionalProperties = { properties = { x = { default = 1 } } } },
      }
      local ok, errs = check(s, { a, b }, { defaults = true })
      assert.is_false(ok)
      assert.are.equal(1, #errs)
      assert.are.equal("enum", errs[1].keyword)
      assert.is_nil(a.x)
    end)

    it("raises on a closed validator", function()
      local v = assert(schema.compile({ type = "string" }))
      v:close()
      v:close()
      assert.matches("closed", tostring(v))
      assert.has_error(function() v:validate("x") end)
    end)

    it("closes at the end of a to-be-closed scope", function()
      local outer
      do
        local v <close> = assert(schema.compile({ type = "string" }))
        outer = v
        assert.is_true(v:validate("x"))
      end
      assert.has_error(function() outer:validate("x") end)
    end)

    it("raises on bad options", function()
      local v = assert(schema.compile({ type = "string" }))
      assert.has_error(function() v:validate("x", "defaults") end)
      assert.has_error(function() v:validate("x", { default = true }) end)
      assert.has_error(function() v:validate("x", { defaults = "yes" }) end)
      assert.has_error(function() v.validate({}, "x") end)
    end)
  end)
end)
