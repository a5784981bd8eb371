-- a0lua.emulator.admin: the admin endpoints refuse web pages (a foreign Origin, a Host that is
-- not the emulator's own address: DNS rebinding) while the Management API takes any Host; a
-- non-loopback --host is warned about; the request log's limits are flags.
local emulator = require("helpers.emulator")
local run = require("helpers.run")

describe("a0lua.emulator.admin (who may call it)", function()
  local emu
  setup(function() emu = emulator.start() end)
  teardown(function() if emu then emu:stop() end end)

  local function admin(method, path, headers)
    return assert(emu:http(method, path, { headers = headers }))
  end

  it("refuses a foreign Origin with 403 and a JSON error, and does nothing", function()
    emu:post("/roles", { name = "kept" })
    local res = admin("POST", "/__emulator/reset", { Origin = "http://evil.example" })
    assert.are.equal(403, res.status)
    assert.are.equal("forbidden_origin", res.json.errorCode)
    assert.are.equal(403, res.json.statusCode)
    assert.are.equal(1, #emu:state()["/roles"])
    for _, origin in ipairs({ "null", "https://127.0.0.1:" .. emu.port,
        "http://127.0.0.1:" .. (emu.port + 1), "http://localhost.evil.example" }) do
      assert.are.equal(403, admin("GET", "/__emulator/state", { Origin = origin }).status,
        origin)
    end
    assert.are.equal(403, admin("POST", "/__emulator/shutdown",
      { Origin = "http://evil.example" }).status)
    assert.are.equal(200, emu:get("/roles").status)
    emu:reset()
  end)

  it("refuses a Host that is not its own address and port (DNS rebinding)", function()
    for _, host in ipairs({ "evil.example:" .. emu.port, "evil.example", "127.0.0.1",
        "127.0.0.1:" .. (emu.port + 1), "localhost.evil.example:" .. emu.port }) do
      local res = admin("GET", "/__emulator/state", { Host = host })
      assert.are.equal(403, res.status, host)
      assert.are.equal("forbidden_host", res.json.errorCode)
      assert.matches("own address", res.json.message)
    end
  end)

  it("answers its own Host and Origin: 127.0.0.1, localhost, [::1] with its port", function()
    for _, name in ipairs({ "127.0.0.1", "localhost", "LOCALHOST", "[::1]" }) do
      local host = name .. ":" .. emu.port
      assert.are.equal(200, admin("GET", "/__emulator/state", { Host = host }).status, host)
      assert.are.equal(200, admin("GET", "/__emulator/requests",
        { Host = host, Origin = "http://" .. host }).status, host)
    end
  end)

  it("keeps the Management API open to any Host (a TLS terminator in front)", function()
    local res = emu:get("/roles", { headers = { Host = "localhost:8443",
      Origin = "https://localhost:8443" } })
    assert.are.equal(200, res.status)
  end)
end)

describe("a0lua emulate --host", function()
  it("warns on stderr that a non-loopback address has no real security", function()
    local open = emulator.start({ args = { "--host", "0.0.0.0" } })
    finally(function() open:stop() end)
    assert.matches("warning: %-%-host 0%.0%.0%.0 is not a loopback address", open:stderr())
    assert.matches("no real security", open:stderr())
    local res = assert(open:http("GET", "/__emulator/state",
      { headers = { Host = "127.0.0.1:" .. open.port } }))
    assert.are.equal(200, res.status)
  end)

  it("says nothing for a loopback address", function()
    local quiet = emulator.start({ args = { "--host", "127.0.0.1" } })
    finally(function() quiet:stop() end)
    assert.are.equal("", quiet:stderr())
  end)
end)

describe("a0lua emulate --request-body-bytes, --request-log-bytes", function()
  it("cuts logged bodies and bounds the log as told", function()
    local small = emulator.start({ args = { "--request-body-bytes", "64",
      "--request-log-bytes", "2000" } })
    finally(function() small:stop() end)
    for i = 1, 30 do
      small:post("/roles", { name = "role-" .. i, description = string.rep("d", 200) })
    end
    local log = small:requests()
    assert.is_true(#log < 30 and #log > 3, "entries " .. #log)
    local last = log[#log]
    assert.is_true(last.body_truncated)
    assert.is_true(#last.body <= 64)
    assert.matches('^{"description":"ddd', last.body)
  end)

  it("refuses a value that is not an integer", function()
    local status, _, err = run.run({ "build/a0lua", "emulate", "--request-body-bytes", "lots" })
    assert.are.equal(1, status)
    assert.matches("%-%-request%-body%-bytes needs a number", err)
    status, _, err = run.run({ "build/a0lua", "emulate", "--request-log-bytes", "1.5" })
    assert.are.equal(1, status)
    assert.matches("%-%-request%-log%-bytes needs an integer", err)
  end)
end)
