-- a0lua.repl: the REPL's values, collections, evaluation and completion, with a fake tenant and a
-- fake line editor (no network, no terminal).
local repl = require("a0lua.repl")
local handlers = require("a0lua.handlers")
local json = require("a0lua.core.json")

local NULL = json.null

local function sink()
  local s = { text = "" }
  function s.write(_, ...)
    for _, v in ipairs({ ... }) do s.text = s.text .. tostring(v) end
    return s
  end
  function s.flush() end
  return s
end

local function clients_data()
  return json.array{
    { client_id = "c1", name = "OBO App", client_secret = "s3cr3t-value", __regular = true,
      token_exchange = { allow_any_profile_of_type = json.array{ "custom_authentication",
        "on_behalf_of_token_exchange" } } },
    { client_id = "c2", name = "Custom Only",
      token_exchange = { allow_any_profile_of_type = json.array{ "custom_authentication" } } },
    { client_id = "c3", name = "Null Exchange", token_exchange = NULL, app_type = "spa" },
    { client_id = "c4", name = "No Exchange", app_type = "spa" },
  }
end

local function fake_tenant()
  local t = {
    handlers = handlers.load{ paths = { "handlers" } },
    config = { host = "fake.example.com" },
    ctx = { current = {} },
    fetches = {},
    requests = {},
  }
  function t.fetch(self, type_name)
    self.fetches[type_name] = (self.fetches[type_name] or 0) + 1
    if type_name == "clients" then return clients_data() end
    if type_name == "tenant" then return { friendly_name = "Fake", support_url = NULL } end
    if type_name == "roles" then return nil, { code = "api_error", message = "roles: 403" } end
    if type_name == "guardianFactorProviders" then
      return json.array{ { name = "sms", provider = "twilio", sid = "AC1",
          auth_token = "tw1l10-t0ken" },
        { name = "push-notification", provider = "apns", bundle_id = "com.x" } }
    end
    if type_name == "logStreams" then
      return json.array{ { id = "lst_1", name = "HTTP Logs", type = "http",
        sink = { httpEndpoint = "https://logs.example.com",
          httpAuthorization = "Bearer l0g-t0ken" } } }
    end
    if type_name == "phoneProviders" then
      return json.array{ { id = "pro_1", name = "twilio", channel = "phone",
        configuration = { sid = "AC1", delivery_methods = json.array{ "text" } },
        credentials = { auth_token = "tw1l10-t0ken" } } }
    end
    if type_name == "phoneTemplates" then
      return json.array{ { type = "otp_verify", disabled = false,
        content = { body = { text = "code {{ code }}" } } } }
    end
    return json.array()
  end
  function t.run(_, fn, ...) return fn(...) end
  t.api = {
    request = function(_, method, path, opts)
      t.requests[#t.requests + 1] = { method = method, path = path, opts = opts }
      if path == "/missing" then return nil, setmetatable({ code = "api_not_found" },
        { __tostring = function() return "GET /missing: 404" end }) end
      return { ok = true, method = method }
    end,
  }
  function t.close() end
  return t
end

local function fake_editor(lines, tty)
  local e = { lines = lines, history = {}, saved = 0, prompts = {} }
  function e.readline(prompt)
    e.prompts[#e.prompts + 1] = prompt
    return table.remove(e.lines, 1)
  end
  function e.isatty() return tty or false end
  function e.add_history(line) e.history[#e.history + 1] = line end
  function e.save_history() e.saved = e.saved + 1 return true end
  function e.load_history() return nil end
  function e.set_completer(fn) e.completer = fn end
  return e
end

local function session(lines, opts)
  opts = opts or {}
  local out, err = sink(), sink()
  local tenant
  if not opts.no_tenant then tenant = opts.tenant or fake_tenant() end
  local s = repl.new{ tenant = tenant,
    editor = fake_editor(lines or {}, opts.tty), out = out, err = err,
    interactive = opts.tty or false, history = opts.history }
  return s, out, err
end

describe("a0lua.repl", function()
  describe("present", function()
    it("drops the nulls of objects and engine markers, keeps nulls inside arrays", function()
      local shown = repl.present({ a = NULL, b = 1, __regular = true,
        c = json.array{ NULL, 2 }, d = { e = NULL } })
      assert.same({ b = 1, c = json.array{ NULL, 2 }, d = {} }, shown)
      assert.is_true(json.is_array(shown.c))
      assert.equal(2, #shown.c)
    end)
  end)

  describe("contains", function()
    it("matches nested fields and arrays by containment", function()
      local c = repl.present(clients_data()[1])
      assert.is_true(repl.contains(c, { token_exchange = {
        allow_any_profile_of_type = { "on_behalf_of_token_exchange" } } }))
      assert.is_true(repl.contains(c, { name = "OBO App" }))
      assert.is_false(repl.contains(c, { name = "Other" }))
      assert.is_false(repl.contains(c, { token_exchange = {
        allow_any_profile_of_type = { "something_else" } } }))
    end)

    it("does not match a null or absent field against a pattern", function()
      local null_client = repl.present(clients_data()[3])
      local absent = repl.present(clients_data()[4])
      local pattern = { token_exchange = { allow_any_profile_of_type = { "x" } } }
      assert.is_false(repl.contains(null_client, pattern))
      assert.is_false(repl.contains(absent, pattern))
      assert.is_true(repl.contains(absent, { token_exchange = NULL }))
    end)

    it("calls a function in the pattern with the field's value", function()
      assert.is_true(repl.contains({ n = 5 }, { n = function(v) return v > 3 end }))
      assert.is_false(repl.contains({ n = 2 }, { n = function(v) return v > 3 end }))
    end)
  end)

  describe("pretty", function()
    it("sorts keys, masks secrets and shows null, arrays and nesting", function()
      assert.equal('{ a = 1, client_secret = (secret), list = [ "x", null ], z = { y = true } }',
        repl.pretty({ z = { y = true }, a = 1, client_secret = "s",
          list = json.array{ "x", NULL } }))
    end)

    it("breaks a value that does not fit on one line into indented lines", function()
      local text = repl.pretty({ description = ("d"):rep(60), name = ("n"):rep(60) })
      assert.equal('{\n  description = "' .. ("d"):rep(60) .. '",\n  name = "' .. ("n"):rep(60)
        .. '"\n}', text)
    end)

    it("quotes strings and odd keys, and shows cycles", function()
      local t = { ["a b"] = "line\nbreak" }
      t.self = t
      assert.equal('{ ["a b"] = "line\\nbreak", self = <cycle> }', repl.pretty(t))
    end)

    it("escapes the controls a terminal would obey, C1 ones included", function()
      -- an OSC title sequence, a UTF-8 CSI (U+009B), and a lone 0x9B byte in text not UTF-8
      assert.equal([["a\027]0;x\007b\194\155c"]], repl.pretty("a\27]0;x\7b\194\155c"))
      assert.equal([["z\155y"]], repl.pretty("z\155y"))
      assert.equal('"café"', repl.pretty("café"))
      assert.equal([[{ ["\027[2K"] = 1 }]], repl.pretty({ ["\27[2K"] = 1 }))
    end)
  end)

  describe("tenant collections", function()
    it("reads a collection once, on first use", function()
      local s = session()
      local tenant = s.env.tenant
      local coll = tenant.clients
      assert.is_nil(s.tenant.fetches.clients)
      assert.equal(4, #coll)
      assert.equal("OBO App", coll[1].name)
      assert.equal("c2", coll["Custom Only"].client_id)
      assert.equal("Custom Only", coll.c2.name)
      assert.equal(1, s.tenant.fetches.clients)
      coll:reload()
      assert.equal(4, #coll)
      assert.equal(2, s.tenant.fetches.clients)
    end)

    it("presents the API's nulls as nil", function()
      local s = session()
      local c = s.env.tenant.clients["Null Exchange"]
      assert.is_nil(c.token_exchange)
      assert.is_nil(s.env.tenant.clients["OBO App"].__regular)
      assert.is_nil(s.env.tenant.tenant.support_url)
      assert.equal("Fake", s.env.tenant.tenant.friendly_name)
    end)

    it("selects with a pattern or a predicate that reads fields null on some items", function()
      local s = session()
      local coll = s.env.tenant.clients
      local obo = coll:where{ token_exchange = {
        allow_any_profile_of_type = { "on_behalf_of_token_exchange" } } }
      assert.same({ "OBO App" }, obo:names())
      local any = coll:where(function(c)
        return c.token_exchange and c.token_exchange.allow_any_profile_of_type
      end)
      assert.same({ "OBO App", "Custom Only" }, any:names())
      assert.same({ "Null Exchange", "No Exchange" }, coll:where{ app_type = "spa" }:names())
      assert.equal("No Exchange", coll:where{ app_type = "spa" }:where(function(c)
        return c.token_exchange == nil and c.name:find("No")
      end)[1].name)
      assert.equal("c4", coll:find{ name = "No Exchange" }.client_id)
    end)

    it("accepts snake_case type names and knows nothing else", function()
      local s = session()
      assert.equal(repl.Collection, getmetatable(s.env.tenant.resource_servers))
      assert.equal(s.env.tenant.resourceServers, s.env.tenant.resource_servers)
      assert.is_nil(s.env.tenant.nothing_like_this)
      assert.equal("fake.example.com", s.env.tenant.domain)
    end)

    it("has the stream types, a sink credential shown masked", function()
      local s = session()
      local streams = s.env.tenant.log_streams
      assert.equal(repl.Collection, getmetatable(streams))
      assert.equal("http", streams["HTTP Logs"].type)
      assert.equal(repl.Collection, getmetatable(s.env.tenant.eventStreams))
      local text = repl.pretty(streams["HTTP Logs"].sink)
      assert.matches("httpAuthorization = (secret)", text, 1, true)
      assert.not_matches("l0g-t0ken", text, 1, true)
    end)

    it("has the phone types, templates by type, a provider's token shown masked", function()
      local s = session()
      local providers = s.env.tenant.phone_providers
      assert.equal(repl.Collection, getmetatable(providers))
      assert.equal(repl.Collection, getmetatable(s.env.tenant.phoneTemplates))
      assert.equal("code {{ code }}", s.env.tenant.phoneTemplates.otp_verify.content.body.text)
      local text = repl.pretty(providers.twilio)
      assert.matches("credentials = { auth_token = (secret) }", text, 1, true)
      assert.not_matches("tw1l10-t0ken", text, 1, true)
    end)

    it("has the network ACL and rate limit policy types, by either name", function()
      local s = session()
      assert.equal(repl.Collection, getmetatable(s.env.tenant.network_acls))
      assert.equal(s.env.tenant.networkACLs, s.env.tenant.network_acls)
      assert.equal(repl.Collection, getmetatable(s.env.tenant.rate_limit_policies))
      assert.equal(s.env.tenant.rateLimitPolicies, s.env.tenant.rate_limit_policies)
    end)

    it("has the guardian providers by factor and provider, the credential masked", function()
      local s = session()
      local providers = s.env.tenant.guardian_factor_providers
      assert.equal(repl.Collection, getmetatable(providers))
      assert.equal("com.x", providers["push-notification-apns"].bundle_id)
      assert.equal("AC1", providers["sms-twilio"].sid)
      local text = repl.pretty(providers["sms-twilio"])
      assert.matches("auth_token = (secret)", text, 1, true)
      assert.not_matches("tw1l10-t0ken", text, 1, true)
      assert.equal(repl.Collection, getmetatable(s.env.tenant.guardianFactors))
      assert.equal(repl.Collection, getmetatable(s.env.tenant.guardian_factor_templates))
    end)

    it("raises where on something that is neither a pattern nor a function", function()
      local s = session()
      assert.has_error(function() s.env.tenant.clients:where(42) end,
        "where: give a predicate function(item) or a pattern table {field = value}")
    end)
  end)

  describe("eval", function()
    it("prints an expression's values and runs statements", function()
      local s, out = session()
      assert.equal("ok", s:eval("1 + 1"))
      assert.equal("ok", s:eval("x = 5"))
      assert.equal("ok", s:eval("=x * 2"))
      assert.equal("ok", s:eval("print('hi', nil)"))
      assert.equal("2\n10\nhi\tnil\n", out.text)
    end)

    it("says incomplete for a chunk cut short", function()
      local s = session()
      assert.equal("incomplete", s:eval("for i = 1, 2 do"))
      assert.equal("incomplete", s:eval("x = {"))
    end)

    it("prints an error's message and goes on", function()
      local s, out, err = session()
      assert.equal("error", s:eval("error('boom')"))
      assert.equal("error", s:eval("nil_global.field = 1"))
      assert.equal("error", s:eval("x = = 1"))
      assert.equal("ok", s:eval("'still here'"))
      assert.equal('"still here"\n', out.text)
      assert.matches("^error: stdin:1: boom\n", err.text)
      assert.matches("attempt to index a nil value %(global 'nil_global'%)", err.text)
      assert.matches("unexpected symbol near '='", err.text)
    end)

    it("prints a fetch error from a collection as an error", function()
      local s, _, err = session()
      assert.equal("error", s:eval("#tenant.roles"))
      assert.matches("roles: 403", err.text, 1, true)
    end)

    it("sends raw requests through api and returns nil and the error on failure", function()
      local s, out = session()
      assert.equal("ok", s:eval('api.get("/clients", {fields = "name"})'))
      assert.equal("ok", s:eval('api:post("/roles", {name = "r"})'))
      assert.equal("ok", s:eval('api.get("/missing")'))
      local reqs = s.tenant.requests
      assert.same({ "GET", "/clients", { query = { fields = "name" } } },
        { reqs[1].method, reqs[1].path, reqs[1].opts })
      assert.same({ body = { name = "r" } }, reqs[2].opts)
      assert.equal('{ method = "GET", ok = true }\n{ method = "POST", ok = true }\nnil\n'
        .. "GET /missing: 404\n", out.text)
    end)

    it("explains that there is no tenant when none was configured", function()
      local s, _, err = session({}, { no_tenant = true })
      assert.equal("error", s:eval("tenant.clients"))
      assert.matches("no tenant: start the REPL with %-c config.json", err.text)
      assert.equal("ok", s:eval("1"))
    end)

    it("loads files with load and shows help", function()
      local s, out, err = session()
      assert.equal("ok", s:eval('d = load("recipes/examples/tenant.yaml")'))
      assert.equal("ok", s:eval("d.clients[1].name"))
      local bad = "tests/fixtures/bad/unknown_token_exchange_profile.yaml"
      assert.equal("error", s:eval('load("' .. bad .. '")'))
      assert.matches('"Orders MCP Server"', out.text, 1, true)
      assert.matches("validation failed", err.text, 1, true)
      assert.equal("ok", s:eval("help()"))
      assert.matches("tenant.clients:where", out.text, 1, true)
      assert.equal("error", s:eval("load(42)"))
    end)

    it("lists differences with diff", function()
      local s, out = session()
      assert.equal("ok", s:eval("#diff({a = 1, b = 2}, {a = 1, b = 3})"))
      assert.equal("1\n", out.text)
    end)
  end)

  describe("loop", function()
    it("joins the lines of a multi-line chunk and exits 0 on a clean run", function()
      local s, out = session({ "for i = 1, 2 do", "print(i)", "end", "'done'" })
      assert.equal(0, s:loop())
      assert.equal('1\n2\n"done"\n', out.text)
      assert.same({}, s.editor.history)
    end)

    it("exits 1 on piped input where a chunk failed, and reports an unfinished chunk", function()
      local s, out, err = session({ "error('x')", "print('after')", "if true then" })
      assert.equal(1, s:loop())
      assert.equal("after\n", out.text)
      assert.matches("'end' expected", err.text, 1, true)
    end)

    it("on a terminal shows a banner, keeps history and completes", function()
      local s, out = session({ "x = 1", "", "for i = 1, 1 do", "end" }, { tty = true,
        history = "/nonexistent/a0lua_history" })
      assert.equal(0, s:loop())
      assert.matches("^a0lua [^\n]* REPL on tenant fake.example.com", out.text)
      assert.same({ "x = 1", "for i = 1, 1 do\nend" }, s.editor.history)
      assert.equal(2, s.editor.saved)
      assert.same({ "> ", "> ", "> ", ">> ", "> " }, s.editor.prompts)
    end)
  end)

  describe("complete", function()
    it("completes globals, tenant types and methods, fields and names", function()
      local s = session()
      s.env.my_value = { alpha = 1, beta = { gamma = 2 } }
      assert.same({ "tenant" }, s:complete("tena", "tena", 1))
      assert.same({ "tenant.clientAuthCredentials", "tenant.clientGrants", "tenant.clients" },
        s:complete("tenant.cli", "tenant.cli", 1))
      assert.same({ "tenant.clients:where" }, s:complete("tenant.clients:wh", "x", 1))
      assert.same({ "my_value.beta.gamma" }, s:complete("my_value.beta.g", "my_value.beta.g", 1))
      assert.same({ "tenant.clients[1].name" },
        s:complete("tenant.clients[1].na", "tenant.clients[1].na", 1))
      local line = 'tenant.clients["Null Ex'
      assert.same({ 'Exchange"]' }, s:complete("Ex", line, #line - 1))
      local empty = 'tenant.clients["'
      assert.same({ 'Custom Only"]', 'No Exchange"]', 'Null Exchange"]', 'OBO App"]' },
        s:complete("", empty, #empty + 1))
    end)

    it("completes nothing for what it cannot resolve", function()
      local s = session()
      assert.same({}, s:complete("nothing.here", "nothing.here", 1))
      assert.same({}, s:complete("tenant.roles[1].x", "tenant.roles[1].x", 1))
    end)
  end)
end)
