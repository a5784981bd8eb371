-- a0lua.emulator.tenants and `a0lua emulate --tenants N`: many tenants behind one socket, the
-- Host header picking the tenant. The first part drives fleet:handle in-process (a frozen clock
-- makes the rate limits exact); the second runs the command and the a0lua CLI against it.
local json = require("a0lua.core.json")
local http = require("a0lua.core.http")
local tenants = require("a0lua.emulator.tenants")
local run = require("helpers.run")

local CLIENT_ID = "specFleetClient00000000000000001"
local BASE_SECRET = "spec-fleet-base-secret"

local function request(fleet, host, method, path, opts)
  opts = opts or {}
  local headers = { host = host }
  for k, v in pairs(opts.headers or {}) do headers[k] = v end
  if opts.token then headers.authorization = "Bearer " .. opts.token end
  local body = opts.body ~= nil and assert(json.encode(opts.body)) or ""
  if opts.body ~= nil then headers["content-type"] = "application/json" end
  local res = fleet:handle({ method = method, path = path, headers = headers, body = body,
                             remote = "127.0.0.1:40000" })
  local text = type(res.body) == "table" and table.concat(res.body) or res.body
  res.json = text ~= "" and json.decode(text) or nil
  return res
end

local function token_request(fleet, host, name, secret, audience_host)
  return request(fleet, host, "POST", "/oauth/token", { body = {
    grant_type = "client_credentials", client_id = CLIENT_ID,
    client_secret = secret or fleet:secret(name),
    audience = ("https://%s/api/v2/"):format(audience_host or host) } })
end

local function token(fleet, name)
  local host = fleet:domain(name)
  local res = token_request(fleet, host, name)
  assert.are.equal(200, res.status, res.json and res.json.error_description)
  return res.json.access_token
end

describe("a0lua.emulator.tenants", function()
  local fleet, t1, t2

  before_each(function()
    -- A frozen clock: the free plan's 10 requests a second are then exactly 10.
    fleet = assert(tenants.new{ count = 3, client_id = CLIENT_ID, client_secret = BASE_SECRET,
      seed = 7, tenant = { limits = "free", clock = function() return 1000000 end } })
    t1, t2 = fleet:domain("t1"), fleet:domain("t2")
  end)

  after_each(function()
    fleet:close()
  end)

  it("names tenants t1 .. tN at tK.localhost:PORT", function()
    assert.same({ "t1", "t2", "t3" }, fleet:names())
    assert.are.equal("t2.localhost:" .. fleet:port(), t2)
    assert.are.equal("t2", fleet:tenant_of(t2))
    for _, host in ipairs({ "t0.localhost:" .. fleet:port(), "t4.localhost:" .. fleet:port(),
                            "t01.localhost:" .. fleet:port(), "t1.localhost:1",
                            "t1.localhost", "x.t1.localhost:" .. fleet:port() }) do
      assert.is_nil(fleet:tenant_of(host), host)
    end
  end)

  it("asks its socket for the port once, not for every request's Host", function()
    local asked = 0
    local port = fleet.server.port
    fleet.server.port = function(srv)
      asked = asked + 1
      return port(srv)
    end
    local tok = token(fleet, "t1")
    for _ = 1, 5 do
      assert.are.equal(200, request(fleet, t1, "GET", "/api/v2/roles", { token = tok }).status)
    end
    assert.are.equal(404, request(fleet, "t9.localhost:1", "GET", "/api/v2/roles").status)
    assert.are.equal(0, asked)
  end)

  it("keeps each tenant's state apart", function()
    local res = request(fleet, t1, "POST", "/api/v2/roles",
      { token = token(fleet, "t1"), body = { name = "only-in-t1" } })
    assert.are.equal(200, res.status)
    local function role_names(host, name)
      local out = {}
      local list = request(fleet, host, "GET", "/api/v2/roles", { token = token(fleet, name) })
      for _, r in ipairs(list.json.roles or list.json) do out[#out + 1] = r.name end
      return out
    end
    assert.same({ "only-in-t1" }, role_names(t1, "t1"))
    assert.same({}, role_names(t2, "t2"))
    local s1 = request(fleet, t1, "GET", "/__emulator/state").json
    local s2 = request(fleet, t2, "GET", "/__emulator/state").json
    assert.are.equal(1, #s1["/roles"])
    assert.is_true(s2["/roles"] == nil or #s2["/roles"] == 0)
    -- Each tenant's Management API is its own host.
    local function mapi(state)
      for _, rs in ipairs(state["/resource-servers"]) do
        if rs.is_system then return rs.identifier end
      end
    end
    assert.are.equal("https://" .. t1 .. "/api/v2/", mapi(s1))
    assert.are.equal("https://" .. t2 .. "/api/v2/", mapi(s2))
  end)

  it("gives each tenant its own secret, and a token only works where it was issued", function()
    assert.are_not.equal(fleet:secret("t1"), fleet:secret("t2"))
    assert.are.equal(tenants.derive_secret(BASE_SECRET, "t2"), fleet:secret("t2"))
    assert.matches("^%x+$", fleet:secret("t1"))
    -- t1's secret at t2, and t2's secret with t1 as the audience, get no token.
    assert.are.equal(401, token_request(fleet, t2, "t2", fleet:secret("t1")).status)
    local cross = token_request(fleet, t2, "t2", nil, t1)
    assert.are.equal(403, cross.status)
    -- t1's token at t2.
    local res = request(fleet, t2, "GET", "/api/v2/roles", { token = token(fleet, "t1") })
    assert.are.equal(401, res.status)
    assert.are.equal("invalid_token", res.json.errorCode)
  end)

  it("gives each tenant its own rate limit buckets, and counts requests and 429s", function()
    local tok1, tok2 = token(fleet, "t1"), token(fleet, "t2")
    local statuses = {}
    for i = 1, 12 do
      statuses[i] = request(fleet, t1, "GET", "/api/v2/roles", { token = tok1 }).status
    end
    -- The second's 10 (the token request is not the Management API's), then 429s.
    assert.same({ 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429, 429 }, statuses)
    assert.are.equal(200, request(fleet, t2, "GET", "/api/v2/roles", { token = tok2 }).status)
    local c = request(fleet, "127.0.0.1:" .. fleet:port(), "GET", "/__emulator/fleet").json
    assert.are.equal(3, c.tenants)
    assert.are.equal(2, c.live)
    assert.are.equal(15, c.requests)
    assert.are.equal(2, c.rate_limited)
    assert.are.equal(0, c.connections) -- fleet:handle was called directly, not through a socket
    assert.same({ live = true, name = "t1", requests = 13, rate_limited = 2 }, c.per_tenant[1])
    assert.same({ live = true, name = "t2", requests = 2, rate_limited = 0 }, c.per_tenant[2])
  end)

  -- A benchmark starts each timed step with full buckets: on the frozen clock nothing refills
  -- but this call.
  it("makes every tenant's rate-limit buckets full again on POST /__emulator/fleet/refill",
    function()
      local tok1, tok2 = token(fleet, "t1"), token(fleet, "t2")
      local function roles(host, tok, n)
        local statuses = {}
        for i = 1, n do
          statuses[i] = request(fleet, host, "GET", "/api/v2/roles", { token = tok }).status
        end
        return statuses
      end
      local ten = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200 }
      assert.same(ten, roles(t1, tok1, 10))
      assert.same(ten, roles(t2, tok2, 10))
      assert.same({ 429 }, roles(t1, tok1, 1))
      local bare = "127.0.0.1:" .. fleet:port()
      assert.are.equal(204, request(fleet, bare, "POST", "/__emulator/fleet/refill").status)
      ten[11] = 429
      assert.same(ten, roles(t1, tok1, 11))
      assert.same(ten, roles(t2, tok2, 11))
      assert.are.equal(404, request(fleet, t1, "POST", "/__emulator/fleet/refill").status)
    end)

  it("refuses a host that is no tenant, and serves only its own endpoints on the bare address",
    function()
      for _, host in ipairs({ "t4.localhost:" .. fleet:port(), "example.com", "" }) do
        local res = request(fleet, host, "GET", "/api/v2/roles")
        assert.are.equal(404, res.status, host)
        assert.are.equal("unknown_tenant", res.json.errorCode)
        assert.matches("http://t1.localhost:" .. fleet:port(), res.json.message, 1, true)
        -- every endpoint of the bare address is named
        assert.matches("/__emulator/fleet, /__emulator/fleet/refill and /__emulator/shutdown",
          res.json.message, 1, true)
      end
      local bare = "127.0.0.1:" .. fleet:port()
      assert.are.equal("unknown_tenant", request(fleet, bare, "POST", "/oauth/token").json
        .errorCode)
      assert.are.equal(404, request(fleet, bare, "GET", "/__emulator/state").status)
      assert.are.equal(200, request(fleet, "localhost:" .. fleet:port(), "GET",
        "/__emulator/fleet").status)
      -- The fleet's counters are not a tenant's admin endpoint.
      assert.are.equal(404, request(fleet, "evil.example:" .. fleet:port(), "GET",
        "/__emulator/fleet").status)
    end)

  it("keeps web pages out of the admin endpoints", function()
    local res = request(fleet, t1, "POST", "/__emulator/reset",
      { headers = { origin = "http://evil.example" } })
    assert.are.equal(403, res.status)
    assert.are.equal("forbidden_origin", res.json.errorCode)
    assert.are.equal(204, request(fleet, t1, "POST", "/__emulator/reset",
      { headers = { origin = "http://" .. t1 } }).status)
  end)

  it("frees a tenant's state: its next request starts a fresh tenant", function()
    local tok = token(fleet, "t1")
    request(fleet, t1, "POST", "/api/v2/roles", { token = tok, body = { name = "gone" } })
    assert.are.equal(204, request(fleet, t1, "DELETE", "/__emulator/tenant").status)
    assert.are.equal(0, fleet:counters().live)
    -- The old token went with the state.
    assert.are.equal(401, request(fleet, t1, "GET", "/api/v2/roles", { token = tok }).status)
    local s = request(fleet, t1, "GET", "/__emulator/state").json
    assert.is_true(s["/roles"] == nil or #s["/roles"] == 0)
    assert.are.equal(1, fleet:counters().live)
  end)
end)

-- The command, as users and bench/fleet.sh run it.
local function start(args)
  local err_file = os.tmpname()
  local words = {}
  for i, a in ipairs(args) do words[i] = "'" .. a:gsub("'", "'\\''") .. "'" end
  local proc = assert(io.popen("exec sh -c 'echo $$; exec build/a0lua emulate "
    .. table.concat(words, " "):gsub("'", "'\\''") .. " 2>" .. err_file .. "'"))
  local pid = tonumber(proc:read("l"))
  local line = proc:read("l") or ""
  local tenants_line = proc:read("l") or ""
  local port = tonumber(line:match("^listening on http://127%.0%.0%.1:(%d+)$"))
  return { proc = proc, pid = pid, port = port, line = line, tenants_line = tenants_line,
           err_file = err_file }
end

local function stop(e)
  os.execute("kill " .. e.pid .. " 2>/dev/null")
  e.proc:close()
  os.remove(e.err_file)
end

-- GET /__emulator/fleet of the emulator at port, decoded.
local function fleet_counters(port)
  local s = http.session{ proxy = "" }
  local id = s:submit{ url = ("http://127.0.0.1:%d/__emulator/fleet"):format(port) }
  local c
  repeat c = s:poll(1000)[1] until c and c.id == id
  s:close()
  return json.decode(c.body)
end

describe("a0lua emulate --tenants", function()
  local dir, emu

  before_each(function()
    dir = run.temp_dir()
  end)

  after_each(function()
    if emu then stop(emu) end
    emu = nil
    run.remove_tree(dir)
  end)

  it("writes the fleet file (0600) and a0lua imports into t1 and t2 through the CLI", function()
    local file = dir .. "/fleet.json"
    emu = start({ "--port", "0", "--tenants", "2", "--fleet-file", file, "--client-id", CLIENT_ID,
                  "--client-secret", BASE_SECRET })
    assert.is_number(emu.port, emu.line)
    assert.are.equal(("tenants: 2 at http://t1.localhost:%d ... http://t2.localhost:%d")
      :format(emu.port, emu.port), emu.tenants_line)
    local p = assert(io.popen("stat -c %a " .. file))
    assert.are.equal("600", p:read("l"))
    p:close()
    local f = assert(io.open(file))
    local list = json.decode(f:read("a"))
    f:close()
    assert.are.equal(2, #list)
    for i, t in ipairs(list) do
      assert.same({ name = "t" .. i,
        AUTH0_DOMAIN = ("http://t%d.localhost:%d"):format(i, emu.port),
        AUTH0_CLIENT_ID = CLIENT_ID,
        AUTH0_CLIENT_SECRET = tenants.derive_secret(BASE_SECRET, "t" .. i) }, t)
    end
    for _, t in ipairs(list) do
      local status, out, err = run.run({ "build/a0lua", "import", "-i",
        "recipes/examples/tenant.yaml" }, { env = { AUTH0_DOMAIN = t.AUTH0_DOMAIN,
        AUTH0_CLIENT_ID = t.AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET = t.AUTH0_CLIENT_SECRET,
        NO_COLOR = "1" } })
      assert.are.equal(0, status, err)
      assert.matches("Applied:", out)
    end
    -- Then the whole fleet again: nothing to change.
    local status, out, err = run.run({ "build/a0lua", "run", "fleet", "-i",
      "recipes/examples/tenant.yaml", "--tenants", file }, { env = { NO_COLOR = "1" } })
    assert.are.equal(0, status, err)
    assert.matches("t1%s+in sync", out)
    assert.matches("t2%s+in sync", out)
    local counters = fleet_counters(emu.port)
    assert.are.equal(2, counters.live)
    assert.is_true(counters.per_tenant[1].requests > 0 and counters.per_tenant[2].requests > 0)
  end)

  -- Every tenant is its own host to libcurl and the idle connections are one cache: sized for
  -- fewer than the fleet's requests in flight, it closed each tenant's connections for the
  -- others', and nearly every request opened a new one; and a tenant on the fleet's shared
  -- scheduler had up to the whole fleet's requests in flight, each on a connection of its own.
  it("keeps each tenant's connections for its next requests in a fleet run", function()
    local file = dir .. "/fleet.json"
    local n, per_tenant = 40, 8
    local gen_status, _, gen_err = run.run({ "build/a0lua", "run", "bench/tenant-gen.lua",
      "--size", "30", "--seed", "1", "--out", dir .. "/tenant", "--client-id", CLIENT_ID })
    assert.are.equal(0, gen_status, gen_err)
    emu = start({ "--port", "0", "--tenants", tostring(n), "--fleet-file", file,
                  "--client-id", CLIENT_ID })
    local function fleet_run()
      local status, _, err = run.run({ "build/a0lua", "run", "fleet", "-i",
        dir .. "/tenant/tenant.yaml", "-c", dir .. "/tenant/config.json", "--tenants", file,
        "--parallel", tostring(n), "--concurrency", tostring(per_tenant), "--json" })
      assert.are.equal(0, status, err)
    end
    fleet_run()
    local before = fleet_counters(emu.port)
    fleet_run()
    local after = fleet_counters(emu.port)
    local requests = after.requests - before.requests
    local connections = after.connections - before.connections
    assert.is_true(requests > 4 * n * per_tenant, requests .. " requests")
    -- (each tenant's token request, a POST, goes on a fresh connection: one more per tenant)
    assert.is_true(connections <= n * (per_tenant + 1), ("%d connections for %d requests")
      :format(connections, requests))
  end)

  it("refuses --fleet-file without --tenants and an unusable --tenants", function()
    for _, args in ipairs({ { "--fleet-file", dir .. "/f.json" }, { "--tenants", "0" },
                            { "--tenants", "x" } }) do
      local argv = { "build/a0lua", "emulate" }
      for _, a in ipairs(args) do argv[#argv + 1] = a end
      local status, _, err = run.run(argv)
      assert.are.equal(1, status)
      assert.matches("usage", err)
    end
  end)
end)
