-- a0lua.api: the work done for every request, which a fleet does hundreds of thousands of times:
-- the debug event is not built when the level drops it, and a request's rate-limit group and
-- path are what they were. A fake transport, no network.
local api = require("a0lua.api")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")

local function client(logger)
  local t = 0
  return assert(api.new{
    domain = "tenant.test", access_token = "tok", log = logger,
    now = function() return t end, epoch = function() return 1000000 + t / 1000 end,
    sleep = function(ms) t = t + ms; tasks.sleep(0) end,
    transport = function(req)
      tasks.sleep(0)
      return { status = 200, headers = { ["content-type"] = "application/json" },
               body = assert(json.encode({ url = req.url })) }
    end,
  })
end

-- A logger that counts the debug events it is handed; enabled(level) as given (nil: no method).
local function counting(enabled)
  local l = { debug_events = 0 }
  function l.debug() l.debug_events = l.debug_events + 1 end
  for _, level in ipairs({ "info", "warn", "error" }) do l[level] = function() end end
  if enabled ~= nil then l.enabled = function(_, level) return level ~= "debug" or enabled end end
  return l
end

local function three_gets(c)
  return c:run(function()
    local out = {}
    for i = 1, 3 do out[i] = c:get("/roles/r" .. i) end
    return out
  end)
end

describe("a0lua.api per request", function()
  it("hands a logger whose level drops debug no debug event for a request", function()
    local l = counting(false)
    local c = client(l)
    three_gets(c)
    assert.equals(0, l.debug_events)
    c:close()
  end)

  it("logs each request at debug, and to a logger that does not say its level", function()
    for _, l in ipairs({ counting(true), counting(nil) }) do
      local c = client(l)
      three_gets(c)
      assert.equals(3, l.debug_events)
      c:close()
    end
  end)

  it("sends a GET that others may share from the asking task, not from a task of its own",
    function()
      local c = client(counting(false))
      local spawn, spawned = tasks.spawn, 0
      tasks.spawn = function(...) spawned = spawned + 1; return spawn(...) end
      local ok, first, second, third = pcall(c.run, c, function()
        return c:memoizing(function()
          local a, b = c:get("/roles/r1"), nil
          tasks.all({ function() b = c:get("/roles/r2") end,
                      function() c:get("/roles/r2") end })
          return a, b, c:get("/roles/r1")
        end)
      end)
      tasks.spawn = spawn
      assert.is_true(ok, tostring(first))
      assert.equals(0, spawned)
      assert.matches("/roles/r1$", first.url)
      assert.matches("/roles/r2$", second.url)
      assert.same(first, third)
      assert.is_false(first == third) -- each caller its own copy
      assert.equals(2, c:stats().requests)
      c:close()
    end)

  it("escapes only what a path and a query value need", function()
    local c = client(counting(false))
    local body = c:run(function()
      return c:get("/roles/a b|é~x", { query = { q = "name:\"x y\"", page = 1, fields = "a,b" } })
    end)
    assert.equals("https://tenant.test/api/v2/roles/a%20b%7C%C3%A9~x"
      .. "?fields=a%2Cb&page=1&q=name%3A%22x%20y%22", body.url)
    assert.equals("plain-value_1.2~", api.encode_component("plain-value_1.2~"))
    assert.equals("true", api.encode_component(true))
    c:close()
  end)

  it("groups requests into rate-limit buckets by collection, sub-collection and depth", function()
    local cases = {
      { "GET", "/clients", "read /clients#1" },
      { "HEAD", "/clients/abc", "read /clients#2" },
      { "POST", "/organizations/o1/connections", "write /organizations/*/connections#3" },
      { "DELETE", "/organizations/o1/client-grants/g1", "write /organizations/*/client-grants#4" },
      { "PATCH", "/", "write /#1" },
      { "GET", "", "read /#0" },
      { "GET", "/a//c", "read /a/*/c#3" },
    }
    for _, case in ipairs(cases) do
      assert.equals(case[3], api.group_of(case[1], case[2]))
    end
  end)
end)
