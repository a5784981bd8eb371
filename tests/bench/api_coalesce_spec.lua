-- a0lua.api: client.coalesce, which the deploy benchmark asked for (handlers of one apply stage
-- read the same client list from every task at once: 1,324 GET /clients in a 1,000-resource
-- import). A fake transport, no network. (The rest of the client is specified in
-- tests/lua/api_spec.lua.)
local api = require("a0lua.api")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")

local function client(opts)
  local f = { calls = {}, t = 0 }
  local o = {
    domain = "tenant.test", access_token = "tok", now = function() return f.t end,
    epoch = function() return 1000000 + f.t / 1000 end,
    sleep = function(ms) f.t = f.t + ms; tasks.sleep(0) end,
    transport = function(req)
      f.calls[#f.calls + 1] = req.method .. " " .. req.url:gsub("^https://tenant.test/api/v2", "")
      -- on the wire for a few turns, so that other tasks run meanwhile
      for _ = 1, 3 do tasks.sleep(0) end
      local body = req.method == "GET" and { { name = "a" }, { name = "b" } } or { ok = true }
      return { status = 200, headers = { ["content-type"] = "application/json" },
               body = assert(json.encode(body)) }
    end,
  }
  for k, v in pairs(opts or {}) do o[k] = v end
  f.client = assert(api.new(o))
  return f
end

local function gets(f, n, path)
  return f.client:run(function()
    local fns = {}
    for i = 1, n do fns[i] = function() return f.client:get(path) end end
    return tasks.all(fns)
  end)
end

describe("a0lua.api client.coalesce", function()
  it("sends identical GETs in flight at once only once, each caller its own copy", function()
    local f = client{ coalesce = true }
    local values = gets(f, 5, "/clients")
    assert.same({ "GET /clients" }, f.calls)
    for i = 1, 5 do assert.same({ { name = "a" }, { name = "b" } }, values[i]) end
    values[1][1].name = "changed"
    assert.equals("a", values[2][1].name)
    local stats = f.client:stats()
    assert.equals(1, stats.requests)
    assert.equals(4, stats.coalesced)
    f.client:close()
  end)

  it("sends every GET when off, as it is by default", function()
    local f = client()
    assert.is_false(f.client.coalesce)
    gets(f, 3, "/clients")
    assert.equals(3, #f.calls)
    f.client:close()
  end)

  it("sends a GET again when a write began after the one in flight was sent", function()
    local f = client{ coalesce = true }
    f.client:run(function()
      local first = tasks.spawn(function() return f.client:get("/clients") end)
      tasks.sleep(0) -- the first GET is on the wire
      local write = tasks.spawn(function() return f.client:post("/clients", { name = "c" }) end)
      tasks.sleep(0) -- the write has begun
      local second = f.client:get("/clients")
      first:wait()
      write:wait()
      assert.is_table(second)
    end)
    assert.same({ "GET /clients", "POST /clients", "GET /clients" }, f.calls)
    f.client:close()
  end)

  it("does not join GETs of another path or query", function()
    local f = client{ coalesce = true }
    f.client:run(function()
      tasks.all({
        function() return f.client:get("/clients", { query = { page = 0 } }) end,
        function() return f.client:get("/clients", { query = { page = 1 } }) end,
        function() return f.client:get("/roles") end,
      })
    end)
    assert.equals(3, #f.calls)
    f.client:close()
  end)

  it("raises for a coalesce option that is not a boolean", function()
    assert.has_error(function() api.new{ domain = "tenant.test", access_token = "t",
      coalesce = "yes" } end, "api.new: coalesce must be a boolean")
  end)
end)
