-- a0lua.emulator.requestlog: the request log bounded in bytes (bodies cut with a marker, the
-- oldest entries dropped past the total), its memory given back on clear, and its GET sent as
-- the log's own strings.
local json = require("a0lua.core.json")
local emulator = require("a0lua.emulator")
local requestlog = require("a0lua.emulator.requestlog")

local function in_process(opts)
  opts = opts or {}
  opts.listen = false
  local emu = assert(emulator.new(opts))
  local auth = { authorization = "Bearer " .. emu:token() }
  local function call(method, path, body)
    return emu:handle({ method = method, path = path, headers = auth,
                        body = body and assert(json.encode(body)) or "" })
  end
  return emu, call
end

local function heap_mb()
  collectgarbage("collect")
  return collectgarbage("count") / 1024
end

describe("a0lua.emulator.requestlog", function()
  it("cuts a body past max_body at a UTF-8 boundary and says so", function()
    local log = requestlog.new{ max_body = 12 } -- "0123456789" and its quotes
    log:add({ method = "POST", path = "/p", query = {}, status = 200 }, "0123456789é and more")
    log:add({ method = "POST", path = "/p", query = {}, status = 200 }, { a = 1 })
    local entries = log:entries()
    assert.are.equal("0123456789", entries[1].body)
    assert.is_true(entries[1].body_truncated)
    assert.are.equal(#"0123456789é and more", entries[1].body_bytes)
    assert.are.same({ a = 1 }, entries[2].body)
    assert.is_nil(entries[2].body_truncated)
    log = requestlog.new{ max_body = 13 }
    log:add({ method = "POST", path = "/p", status = 200 }, "0123456789é")
    assert.are.equal("0123456789", log:entries()[1].body)
  end)

  it("keeps a body that is not UTF-8, its bad bytes replaced", function()
    local log = requestlog.new()
    log:add({ method = "POST", path = "/oauth/token", status = 401 }, "a=\xff\xfe&b=1")
    assert.are.equal("a=??&b=1", log:entries()[1].body)
  end)

  it("drops the oldest entries past max_bytes and past max_entries", function()
    local log = requestlog.new{ max_bytes = 1000, max_body = 200 }
    for i = 1, 50 do
      log:add({ method = "POST", path = "/p/" .. i, status = 200 }, string.rep("x", 500))
    end
    local n, bytes = log:size()
    assert.is_true(bytes <= 1000, "bytes " .. bytes)
    assert.is_true(n >= 3 and n < 50)
    local entries = log:entries()
    assert.are.equal("/p/50", entries[#entries].path)
    log = requestlog.new{ max_entries = 2 }
    for i = 1, 5 do log:add({ method = "GET", path = "/p/" .. i, status = 200 }) end
    assert.are.same({ "/p/4", "/p/5" }, { log:entries()[1].path, log:entries()[2].path })
  end)

  it("streams: the GET's body is the log's pieces, never one joined string", function()
    local emu, call = in_process()
    call("POST", "/api/v2/roles", { name = "streamed" })
    local res = emu:handle({ method = "GET", path = "/__emulator/requests" })
    assert.are.equal(200, res.status)
    assert.are.equal("table", type(res.body))
    local log = json.decode(table.concat(res.body))
    assert.are.equal(1, #log)
    assert.are.same({ name = "streamed" }, log[1].body)
  end)

  it("bounds what big rejected bodies keep, and gives the memory back on DELETE", function()
    local emu, call = in_process({ max_logged_body = 4096 })
    local big = { name = "too-big", description = string.rep("d", 100), unknown = {} }
    for i = 1, 10000 do big.unknown["field" .. i] = { i, "value " .. i } end
    call("POST", "/api/v2/roles", big) -- warm-up: the validator's schemas, the decoder's buffers
    emu:clear_requests()
    local before = heap_mb()
    for _ = 1, 10 do
      assert.are.equal(400, call("POST", "/api/v2/roles", big).status)
    end
    local grown = heap_mb() - before
    -- 10 parsed bodies of ~0.3 MB of JSON each would hold over 10 MB of tables.
    assert.is_true(grown < 2, ("the log grew the heap by %.1f MB"):format(grown))
    local log = emu:requests()
    assert.are.equal(10, #log)
    assert.is_true(log[1].body_truncated)
    assert.is_true(#json.encode(log[1].body) <= 4096 and #log[1].body > 1000)
    log = nil -- luacheck: ignore 311
    local _, bytes = emu:request_log():size()
    assert.is_true(bytes < 10 * (4096 + 200), "bytes " .. bytes)
    assert.are.equal(204, emu:handle({ method = "DELETE", path = "/__emulator/requests" }).status)
    assert.are.same({ 0, 0 }, { emu:request_log():size() })
    local left = heap_mb() - before
    assert.is_true(left < 0.5, ("%.1f MB left after DELETE"):format(left))
  end)
end)
