-- a0lua.log: text or JSON-lines events, progress on a terminal, secrets masked.
local args = require("a0lua.args")
local config = require("a0lua.config")
local json = require("a0lua.core.json")
local log = require("a0lua.log")

-- A stream that keeps what is written.
local function sink()
  local s = { parts = {} }
  function s:write(...)
    for _, part in ipairs({ ... }) do self.parts[#self.parts + 1] = part end
    return self
  end
  function s:text() return table.concat(self.parts) end
  function s:lines()
    local out = {}
    for line in self:text():gmatch("([^\n]*)\n") do out[#out + 1] = line end
    return out
  end
  return s
end

local function logger(opts)
  local stream, out = sink(), sink()
  opts = opts or {}
  opts.stream, opts.out = stream, out
  if opts.tty == nil then opts.tty = false end
  return log.new(opts), stream, out
end

local FIXED_CLOCK = function() return 1767322800 end  -- 2026-01-02T03:00:00Z

describe("a0lua.log", function()
  describe("text mode", function()
    it("writes one line per event with the level's prefix and sorted fields", function()
      local l, stream = logger()
      l:info("Created clients", { count = 2, name = "My App" })
      l:warn("deletes not allowed")
      l:error("Problem creating clients", { status = 400 })
      l:debug("not shown at info")
      assert.are.same({
        'Created clients count=2 name="My App"',
        "warning: deletes not allowed",
        "error: Problem creating clients status=400",
      }, stream:lines())
    end)

    it("drops events below its level", function()
      local l, stream = logger({ level = "warn" })
      l:info("hidden")
      l:warn("shown")
      assert.are.same({ "warning: shown" }, stream:lines())
      assert.is_false(l:enabled("info"))
      assert.is_true(l:enabled("error"))
      local d, dstream = logger({ level = "debug" })
      d:debug("details", { path = "/clients" })
      assert.are.same({ "debug: details path=/clients" }, dstream:lines())
      local s, sstream = logger({ level = "silent" })
      s:error("nothing")
      assert.are.equal("", sstream:text())
    end)

    it("counts the events written per level", function()
      local l = logger()
      l:info("a")
      l:warn("b")
      l:warn("c")
      l:debug("d")
      assert.are.same({ debug = 0, info = 1, warn = 2, error = 0 }, l:counts())
    end)

    it("takes an error table as the message and its fields", function()
      local l, stream = logger()
      local err = setmetatable({ code = "api_error", status = 429, message = "Too Many" },
        { __tostring = function(e) return "POST /clients: " .. e.message end })
      l:error(err)
      assert.are.same({ "error: POST /clients: Too Many code=api_error status=429" },
        stream:lines())
    end)

    it("colours the prefix on a terminal", function()
      local l, stream = logger({ tty = true, env = {} })
      l:warn("careful")
      l:error("broken")
      l:info("plain")
      assert.are.equal("\27[33mwarning: \27[0mcareful\n\27[31merror: \27[0mbroken\nplain\n",
        stream:text())
    end)

    it("does not colour when NO_COLOR is set, TERM is dumb, or not on a terminal", function()
      for _, opts in ipairs({ { tty = true, env = { NO_COLOR = "1" } },
        { tty = true, env = { TERM = "dumb" } }, { tty = false, env = {} } }) do
        local l, stream = logger(opts)
        l:warn("careful")
        assert.are.equal("warning: careful\n", stream:text())
      end
    end)

    it("returns false from result and writes nothing", function()
      local l, stream, out = logger()
      assert.is_false(l:result({ ok = true }))
      assert.are.equal("", out:text())
      assert.are.equal("", stream:text())
    end)
  end)

  describe("json mode", function()
    it("writes every event as one JSON object per line", function()
      local l, stream = logger({ json = true, clock = FIXED_CLOCK })
      l:info("Created clients", { count = 2, level = "ignored", type = "clients" })
      l:warn("careful")
      local lines = stream:lines()
      assert.are.equal(2, #lines)
      assert.are.same({ level = "info", message = "Created clients", count = 2,
        type = "clients", time = "2026-01-02T03:00:00Z" }, json.decode(lines[1]))
      assert.are.same({ level = "warn", message = "careful", time = "2026-01-02T03:00:00Z" },
        json.decode(lines[2]))
    end)

    it("never colours and shows no progress", function()
      local l, stream = logger({ json = true, tty = true, color = true })
      l:progress("clients", 1, 3)
      l:error("x")
      assert.is_nil(stream:text():find("\27", 1, true))
      assert.are.equal(1, #stream:lines())
    end)

    it("writes the result once as one JSON document on out", function()
      local l, stream, out = logger({ json = true })
      assert.is_true(l:result({ created = 1, types = json.array{ "clients" } }))
      assert.are.equal('{"created":1,"types":["clients"]}\n', out:text())
      assert.are.equal("", stream:text())
      assert.has_error(function() l:result({}) end)
    end)

    it("writes values JSON cannot hold as text", function()
      local l, stream = logger({ json = true })
      l:info("odd", { fn = print })
      assert.matches("^function", json.decode(stream:lines()[1]).fn)
    end)
  end)

  describe("progress", function()
    it("shows a live line on a terminal, redrawn after events and cleared when done", function()
      local l, stream = logger({ tty = true, color = false })
      l:progress("clients", 1, 3)
      l:info("Created clients")
      l:progress("clients", 3, 3)
      assert.are.equal("\r\27[Kclients 1/3\r\27[KCreated clients\nclients 1/3\r\27[K",
        stream:text())
    end)

    it("shows nothing when the stream is not a terminal or the level is above info", function()
      local l, stream = logger({ tty = false })
      l:progress("clients", 1, 3)
      local w, wstream = logger({ tty = true, level = "warn" })
      w:progress("clients", 1, 3)
      assert.are.equal("", stream:text() .. wstream:text())
    end)
  end)

  describe("redaction", function()
    local SECRET = "file-secret-value-123"

    local function cfg_with_secret()
      return assert(config.load{ file = "tests/fixtures/config/config.json",
        env = { AUTH0_ACCESS_TOKEN = "env-access-token-456", MY_API_KEY = "mapped-api-key-789" },
        args = assert(args.parse_command("import", { "-i", "t.yaml" })) })
    end

    it("never lets a client secret given in config appear", function()
      for _, mode in ipairs({ false, true }) do
        local l, stream, out = logger({ json = mode, level = "debug", config = cfg_with_secret() })
        l:info("token request with client_secret " .. SECRET)
        l:debug("body", { body = "grant_type=client_credentials&client_secret=" .. SECRET,
          nested = { deeper = { value = SECRET }, list = json.array{ SECRET } } })
        l:warn(setmetatable({ message = "failed: " .. SECRET, detail = SECRET },
          { __tostring = function(e) return e.message end }))
        l:error("config", { cfg = cfg_with_secret() })
        l:result({ echoed = SECRET })
        local all = stream:text() .. out:text()
        assert.is_nil(all:find(SECRET, 1, true), all)
        assert.is_nil(all:find("env-access-token-456", 1, true))
        assert.is_nil(all:find("mapped-api-key-789", 1, true))
        assert.truthy(all:find("***", 1, true))
      end
    end)

    it("masks secret fields, credentials in text and JWTs", function()
      local l = log.new({ stream = sink(), tty = false })
      local jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
      assert.are.same({
        client_secret = "***", password = "***", refresh_token = { rotation_type = "rotating" },
        smtp_pass = "***", sendgrid_api_key = "***", name = "kept", empty_secret = "",
        list = { "***" },
      }, l:redact({
        client_secret = "abcdef", password = "hunter22", refresh_token = {
          rotation_type = "rotating" }, smtp_pass = "p4ssw0rd", sendgrid_api_key = "SG.x",
        name = "kept", empty_secret = "", list = json.array{ jwt },
      }))
      assert.are.equal("Authorization: ***", l:redact("Authorization: Bearer abc.def.ghi"))
      assert.are.equal("sent Bearer ***", l:redact("sent Bearer 0123456789abcdefXYZ"))
      assert.are.equal("a Bearer token", l:redact("a Bearer token"))
      assert.are.equal("Basic ***", l:redact("Basic dXNlcjpwYXNz"))
      assert.are.equal("Basic authentication", l:redact("Basic authentication"))
      assert.are.equal("token ***", l:redact("token " .. jwt))
      assert.are.equal('{"access_token":"***","x":1}',
        l:redact('{"access_token":"opaque-token","x":1}'))
      assert.are.equal("a=1&client_secret=***&b=2", l:redact("a=1&client_secret=xyz&b=2"))
      assert.is_true(json.is_array(l:redact(json.array{})))
    end)

    it("masks values added at run time", function()
      local l, stream = logger()
      l:add_secret("runtime-token-value")
      l:add_secret("abc")
      l:info("got runtime-token-value and abc")
      assert.are.equal("got *** and abc\n", stream:text())
    end)
  end)

  describe("printable", function()
    it("writes C0 controls, DEL and C1 controls as \\xNN, nothing else", function()
      assert.equal("\\x1b[31mRED\\x1b[0m\\x1b]0;title\\x07",
        log.printable("\27[31mRED\27[0m\27]0;title\7"))
      assert.equal("a\\x0db\\x0ac\\x00d\\x7f", log.printable("a\rb\nc\0d\127"))
      assert.equal("csi \\xc2\\x9b2J", log.printable("csi \194\1552J"))
      local accents = "caf\195\169 \196\129 tab\there"
      assert.equal(accents, log.printable(accents))
      -- not UTF-8: a lone byte a terminal might take for a C1 control
      assert.equal("\255\\x9b", log.printable("\255\155"))
      assert.equal("two\nlines\\x1b", log.printable("two\nlines\27", true))
      assert.equal("12", log.printable(12))
    end)

    it("guards every event and the progress line in text mode; JSON lines stay JSON", function()
      local l, stream = logger({ tty = true, color = false })
      l:info("created clients \27]0;pwned\7", { name = "\27[2K" })
      l:progress("\27[1Aapply", 1, 2)
      -- (the progress line's own "\r\27[K" clears it; nothing else is live)
      local text = stream:text():gsub("\r\27%[K", "")
      assert.is_nil(text:find("[\27\7]"), text)
      assert.matches("created clients \\x1b]0;pwned\\x07 name=\\x1b[2K", text, 1, true)
      assert.matches("\\x1b[1Aapply 1/2", text, 1, true)
      local j, jstream = logger({ json = true, clock = FIXED_CLOCK })
      j:info("created clients \27]0;pwned\7")
      assert.equal("created clients \27]0;pwned\7", json.decode(jstream:lines()[1]).message)
    end)
  end)

  describe("from_config", function()
    it("takes json and the level from the config", function()
      local cfg = assert(config.load{ args = assert(args.parse_command("import",
        { "--json", "-d" })) })
      local l = log.from_config(cfg, { stream = sink(), out = sink() })
      assert.is_true(l.json)
      assert.are.equal("debug", l.level)
    end)
  end)

  describe("new", function()
    it("raises when misused", function()
      assert.has_error(function() log.new({ level = "loud" }) end)
      assert.has_error(function() log.new({ stream = 5 }) end)
      assert.has_error(function() log.from_config(nil) end)
      local l = logger()
      assert.has_error(function() l:info("x", "not a table") end)
    end)
  end)
end)
