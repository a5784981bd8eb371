-- a0lua.api: client:memoizing, the GET answers kept for the length of one plan (a0lua.init's
-- Tenant:plan turns it on), so that a list several handlers read goes out once. A fake
-- transport, no network.
local api = require("a0lua.api")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")

-- answer(method, path_and_query) -> status, body (a table, encoded as JSON)
local function client(answer)
  local f = { calls = {}, t = 0 }
  f.client = assert(api.new{
    domain = "tenant.test", access_token = "tok", now = function() return f.t end,
    epoch = function() return 1000000 + f.t / 1000 end,
    sleep = function(ms) f.t = f.t + ms; tasks.sleep(0) end,
    transport = function(req)
      local call = req.method .. " " .. req.url:gsub("^https://tenant.test/api/v2", "")
      f.calls[#f.calls + 1] = call
      tasks.sleep(0)
      local status, body = answer(req.method, call:match("^%S+ (.*)$"), #f.calls)
      return { status = status, headers = { ["content-type"] = "application/json" },
               body = assert(json.encode(body)) }
    end,
  })
  return f
end

local function roles(method)
  if method ~= "GET" then return 200, { ok = true } end
  return 200, { { name = "a" }, { name = "b" } }
end

describe("a0lua.api client:memoizing", function()
  it("sends a GET asked again while it runs once, each caller its own copy", function()
    local f = client(roles)
    local first, second = f.client:run(function()
      return f.client:memoizing(function()
        local a = f.client:get("/roles")
        a[1].name = "changed by the first caller"
        return a, f.client:get("/roles")
      end)
    end)
    assert.same({ "GET /roles" }, f.calls)
    assert.equals("changed by the first caller", first[1].name)
    assert.same({ { name = "a" }, { name = "b" } }, second)
    assert.equals(1, f.client:stats().coalesced)
    assert.is_nil(f.client.memo)
    f.client:close()
  end)

  it("keeps nothing past the window, nor past a write, nor an error answer", function()
    local f = client(function(method, path)
      if path == "/missing" then return 404, { statusCode = 404, message = "no" } end
      return roles(method)
    end)
    f.client:run(function()
      f.client:memoizing(function()
        f.client:get("/roles")
        f.client:post("/roles", { name = "c" })
        f.client:get("/roles")
        f.client:get("/missing")
        f.client:get("/missing")
      end)
      f.client:get("/roles")
    end)
    assert.same({ "GET /roles", "POST /roles", "GET /roles", "GET /missing", "GET /missing",
                  "GET /roles" }, f.calls)
    f.client:close()
  end)

  it("reads a list again for real when it changed while read", function()
    -- the total says 3 and the page holds 2 the first time; then 3 and 3
    local f = client(function(_, _, n)
      local items = { { name = "a" }, { name = "b" } }
      if n > 1 then items[3] = { name = "c" } end
      return 200, { roles = items, total = 3, start = 0, limit = 100 }
    end)
    local list = f.client:run(function()
      return f.client:memoizing(function() return f.client:list("/roles", { key = "roles" }) end)
    end)
    assert.equals(3, #list)
    assert.equals(2, #f.calls)
    f.client:close()
  end)
end)
