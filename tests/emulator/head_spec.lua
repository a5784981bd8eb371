-- a0lua.emulator.head: the fast path for a whole request head. It answers exactly what the
-- server's line reader would, or nil to leave the head to it.
local head = require("a0lua.emulator.head")

local LIMITS = { max_request_line = 40, max_header_bytes = 60, max_headers = 3 }

local function parse(buf, pos, limits)
  return { head.parse(buf, pos or 1, limits or LIMITS) }
end

describe("a0lua.emulator.head", function()
  it("reads a whole head: lower names, trimmed values, repeats joined, budget left", function()
    local buf = "xxGET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A:  1 \t\r\nx-a:2\r\n\r\nBODY"
    local method, target, version, headers, budget, after = head.parse(buf, 3, LIMITS)
    assert.equals("GET", method)
    assert.equals("/a?b=1", target)
    assert.equals("HTTP/1.1", version)
    assert.same({ host = "h", ["x-a"] = "1, 2" }, headers)
    assert.equals(60 - 9 - 11 - 7, budget)
    assert.equals("BODY", buf:sub(after))
  end)

  it("keeps an empty value, and a CR that does not end the line", function()
    local _, _, _, headers = head.parse("GET / HTTP/1.0\r\nA:   \r\nB: \r\r\n\r\n", 1, LIMITS)
    assert.same({ a = "", b = "\r" }, headers)
  end)

  it("takes a head without fields", function()
    local got = parse("DELETE /x HTTP/1.0\r\n\r\n")
    assert.same({ "DELETE", "/x", "HTTP/1.0", {}, 60, 23 }, got)
  end)

  it("leaves to the line reader a head not complete yet", function()
    assert.same({}, parse("GET / HTTP/1.1\r\nHost: h\r\n"))
    assert.same({}, parse("GET / HTTP/1.1\r\nHost: h\r\n\r"))
  end)

  it("leaves to the line reader what it would refuse or read its own way", function()
    local cases = {
      "\r\nGET / HTTP/1.1\r\n\r\n",                 -- a leading empty line
      "GET / HTTP/1.1\nHost: h\r\n\r\n",            -- a bare LF
      "GET / HTTP/1.1\r\nHost: h\n\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",                     -- 505
      "GET /a b HTTP/1.1\r\n\r\n",                  -- 400
      "G@T / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
      "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
      "GET / HTTP/1.1\r\nBad name: x\r\n\r\n",
      "GET / HTTP/1.1\r\n: x\r\n\r\n",
      "GET /" .. ("a"):rep(40) .. " HTTP/1.1\r\n\r\n",   -- request line over the limit
      "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",  -- too many fields
      "GET / HTTP/1.1\r\nA: " .. ("v"):rep(60) .. "\r\n\r\n",    -- over the header bytes
    }
    for _, buf in ipairs(cases) do
      assert.same({}, parse(buf), buf)
    end
  end)

  it("takes fields that use the budget to the byte", function()
    local value = ("v"):rep(60 - 5)
    local got = parse("GET / HTTP/1.1\r\nA: " .. value .. "\r\n\r\n")
    assert.equals(value, got[4].a)
    assert.equals(0, got[5])
    assert.same({}, parse("GET / HTTP/1.1\r\nA: " .. value .. "v\r\n\r\n"))
  end)
end)
