-- json and yaml together: the values of real Management API responses survive
-- JSON -> Lua -> YAML -> Lua -> JSON -> Lua unchanged (arrays, empty containers, null, numbers).
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")
local deep = require("helpers.deep")
local shared = require("helpers.shared")

local function through_yaml_and_back(s)
  local v = assert(json.decode(s))
  local y = assert(yaml.encode(v))
  local back = assert(yaml.decode(y))
  return assert(json.decode(assert(json.encode(back)))), v
end

describe("json and yaml round trip", function()
  it("shares one null and one array marker between the modules", function()
    assert.are.equal(json.null, yaml.null)
    assert.are.equal(json.array_mt, yaml.array_mt)
    local v = assert(yaml.decode("a: []\nb: {}\nc: null\n"))
    assert.are.equal('{"a":[],"b":{},"c":null}', json.encode(v))
  end)

  it("keeps a varied value exactly", function()
    local s = '{"a":[],"b":{},"c":null,"d":[null,1,-0.5,9007199254740993,"x\\ny"],'
      .. '"e":{"f":[{"g":true,"h":false}]},"i":"0123","j":"true","k":"##KEY##","l":" pad ",'
      .. '"m":1.0,"n":1e300,"o":"multi\\nline\\n","p":"","q":"2021-01-01","r":"yes"}'
    local back, v = through_yaml_and_back(s)
    assert.is_true(deep.equal(v, back))
  end)

  local dir = shared.dir()
  if not dir then
    pending(shared.MISSING)
    return
  end

  for _, file in ipairs(shared.files(dir .. "/fixtures/deploy-cli/recordings", "%.json$")) do
    it("keeps every response body of " .. file:match("[^/]+$"), function()
      local entries = assert(json.decode(shared.read(file)))
      assert.is_true(#entries > 0)
      for i, entry in ipairs(entries) do
        local s = assert(json.encode(entry.response))
        local back, v = through_yaml_and_back(s)
        local ok, where = deep.equal(v, back)
        assert(ok, ("entry %d (%s %s): differs at %s"):format(i, entry.method, entry.path,
          tostring(where)))
      end
    end)
  end
end)
