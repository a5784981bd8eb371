-- a0lua.api: the Management API client against a fake transport (no network) and a virtual
-- clock. The same behaviour against the real emulator is in api_emulator_spec.lua.
local api = require("a0lua.api")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")

local SECRET = "s3cr3t-client-secret-value"
local TOKEN = "tok-AAAAAAAAAAAAAAAAAAAAAAAA"

-- An answer with a JSON body.
local function answer(status, body, headers)
  local h = { ["content-type"] = "application/json; charset=utf-8" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return { status = status, headers = h, body = body == nil and "" or assert(json.encode(body)) }
end

local function decode_query(url)
  local q = {}
  local raw = url:match("%?(.*)$") or ""
  for pair in raw:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=(.*)$")
    v = v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    if q[k] then
      if type(q[k]) ~= "table" then q[k] = { q[k] } end
      table.insert(q[k], v)
    else
      q[k] = v
    end
  end
  return q
end

-- A fake Management API. handle(req) is called with req.path (below /api/v2), req.query
-- (decoded) and req.json (the decoded body); it returns an answer, or nil, err for a network
-- failure. The token endpoint answers TOKEN unless token_handler says otherwise.
local function fake(handle, opts)
  opts = opts or {}
  local f = { requests = {}, tokens = 0, in_flight = 0, max_in_flight = 0, sleeps = {}, t = 0,
              logged = {} }
  local logger = {}
  for _, level in ipairs({ "debug", "info", "warn", "error" }) do
    logger[level] = function(_, msg, fields)
      f.logged[#f.logged + 1] = { level = level, msg = msg, fields = fields }
    end
  end
  local client_opts = {
    domain = opts.domain or "tenant.test", client_id = "cid", client_secret = SECRET,
    retry_base_ms = 10, retry_max_ms = 100, log = logger,
    now = function() return f.t end,
    epoch = function() return 1000000 + f.t / 1000 end,
    sleep = function(ms)
      f.sleeps[#f.sleeps + 1] = ms
      f.t = f.t + ms
      tasks.sleep(0)
    end,
    transport = function(req)
      f.in_flight = f.in_flight + 1
      if f.in_flight > f.max_in_flight then f.max_in_flight = f.in_flight end
      tasks.sleep(0) -- others run while this one is "on the wire"
      f.in_flight = f.in_flight - 1
      if req.url:match("/oauth/token$") then
        f.tokens = f.tokens + 1
        f.token_requests = f.token_requests or {}
        f.token_requests[#f.token_requests + 1] = req
        if opts.token_handler then return opts.token_handler(req, f) end
        return answer(200, { access_token = TOKEN .. f.tokens, token_type = "Bearer",
                             expires_in = 86400 })
      end
      local path = req.url:match("^https?://[^/]+/api/v2(/[^?]*)")
      local r = { method = req.method, url = req.url, path = path, headers = req.headers,
                  query = decode_query(req.url), body = req.body,
                  json = req.body and json.decode(req.body) or nil }
      f.requests[#f.requests + 1] = r
      return handle(r, f)
    end,
  }
  for k, v in pairs(opts.client or {}) do client_opts[k] = v end
  f.client = assert(api.new(client_opts))
  function f.run(fn) return f.client:run(fn) end
  function f.count(method, path)
    local n = 0
    for _, r in ipairs(f.requests) do
      if (not method or r.method == method) and (not path or r.path == path) then n = n + 1 end
    end
    return n
  end
  return f
end

-- A list endpoint over items (offset, checkpoint, actions as the query asks).
local function paged(items, key, opts)
  opts = opts or {}
  return function(q)
    if q.take or q.from then
      local take = tonumber(q.take or 50)
      local first = tonumber(q.from or 1)
      local page = json.array()
      for i = first, math.min(#items, first + take - 1) do page[#page + 1] = items[i] end
      local body = { [key] = page }
      if first + take <= #items then body.next = tostring(first + take) end
      return answer(200, body)
    end
    local p, per = tonumber(q.page or 0), tonumber(q.per_page or 50)
    if opts.offset_limit and (p + 1) * per > 1000 then
      return answer(400, { statusCode = 400, message = "Requesting page exceeds 1000",
                           errorCode = "invalid_paging" })
    end
    local page = json.array()
    for i = p * per + 1, math.min(#items, (p + 1) * per) do page[#page + 1] = items[i] end
    if opts.bare or (q.include_totals ~= "true" and not opts.actions) then
      return answer(200, page)
    end
    if opts.actions then
      return answer(200, { [key] = page, total = opts.no_total and nil or #items, page = p,
                           per_page = per })
    end
    return answer(200, { start = p * per, limit = per, total = opts.total or #items, [key] = page })
  end
end

local function items_of(n, prefix)
  local out = {}
  for i = 1, n do out[i] = { id = (prefix or "item") .. i, name = "name " .. i } end
  return out
end

-- Every string anywhere in v (keys and values), for "no secret anywhere" checks.
local function strings_in(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then
    out[#out + 1] = v
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do
      strings_in(k, out, seen)
      strings_in(x, out, seen)
    end
  end
  return out
end

local function contains_secret(v)
  for _, s in ipairs(strings_in(v)) do
    if s:find(SECRET, 1, true) or s:find(TOKEN, 1, true) then return true end
  end
  return false
end

describe("a0lua.api", function()
  describe("api.new", function()
    local creds = { client_id = "cid", client_secret = SECRET }
    local function new(domain, extra)
      local o = { domain = domain, client_id = creds.client_id,
                  client_secret = creds.client_secret }
      for k, v in pairs(extra or {}) do o[k] = v end
      return api.new(o)
    end

    it("talks https to a bare domain, with the tenant's API audience", function()
      local c = assert(new("tenant.eu.auth0.com"))
      assert.equals("https://tenant.eu.auth0.com", c.base_url)
      assert.equals("https://tenant.eu.auth0.com/api/v2", c.api_url)
      assert.equals("https://tenant.eu.auth0.com/api/v2/", c.audience)
      c:close()
    end)

    it("accepts an https:// scheme, a trailing slash and the default port", function()
      local c = assert(new(" https://Tenant.auth0.com:443/ "))
      assert.equals("https://Tenant.auth0.com", c.base_url)
      c:close()
      c = assert(new("https://tenant.auth0.com:8443", { audience = "https://x/api/v2/" }))
      assert.equals("https://tenant.auth0.com:8443", c.base_url)
      assert.equals("https://x/api/v2/", c.audience)
      c:close()
    end)

    it("talks plain HTTP to a loopback emulator", function()
      for _, d in ipairs({ "http://127.0.0.1:4000", "http://localhost:99", "http://[::1]:8080",
                           "http://127.1.2.3" }) do
        local c = assert(new(d))
        assert.equals(d, c.base_url)
        c:close()
      end
      local c = assert(new("http://127.0.0.1:4000"))
      assert.equals("https://127.0.0.1:4000/api/v2/", c.audience)
      c:close()
    end)

    it("refuses plain HTTP to any other host with an api_config error", function()
      for _, d in ipairs({ "http://tenant.auth0.com", "http://10.0.0.1:4000",
                           "http://127.0.0.1.example.com", "http://128.0.0.1" }) do
        local c, err = new(d)
        assert.is_nil(c)
        assert.equals("api_config", err.code)
        assert.matches("AUTH0_DOMAIN: plain http:// is only allowed to a loopback host",
          tostring(err), 1, true)
      end
    end)

    it("returns api_config for a missing or unreadable domain", function()
      for _, d in ipairs({ "", "   ", "ftp://tenant.auth0.com", "tenant.auth0.com/api/v2",
                           "https://", "https://a..b", "tenant:99999", "user@tenant" }) do
        local c, err = new(d)
        assert.is_nil(c, d)
        assert.equals("api_config", err.code, d)
        assert.matches("AUTH0_DOMAIN", tostring(err), 1, true)
      end
      local _, err = api.new{ client_id = "cid", client_secret = SECRET }
      assert.equals("AUTH0_DOMAIN is required", tostring(err))
    end)

    it("names the missing credentials", function()
      local c, err = api.new{ domain = "t.auth0.com" }
      assert.is_nil(c)
      assert.equals("api_config", err.code)
      assert.equals("AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_SIGNING_KEY_PATH) "
        .. "required (or AUTH0_ACCESS_TOKEN): the Management API needs a token", tostring(err))
      local _, err2 = api.new{ domain = "t.auth0.com", client_id = "x" }
      assert.matches("^AUTH0_CLIENT_SECRET %(or AUTH0_CLIENT_SIGNING_KEY_PATH%) required",
        tostring(err2))
      c = assert(api.new{ domain = "t.auth0.com", access_token = "abc" })
      c:close()
    end)

    it("refuses a CA file it cannot read", function()
      local c, err = new("t.auth0.com", { ca_file = "/nonexistent/ca.pem" })
      assert.is_nil(c)
      assert.equals("api_config", err.code)
      assert.matches("/nonexistent/ca.pem", tostring(err), 1, true)
    end)

    it("refuses a negative retry count and a zero concurrency", function()
      local _, err = new("t.auth0.com", { max_retries = -1 })
      assert.equals("api_config", err.code)
      _, err = new("t.auth0.com", { concurrency = 0 })
      assert.equals("api_config", err.code)
      local c = assert(new("t.auth0.com", { max_retries = 3.0, concurrency = 4.0 }))
      assert.equals(3, c.max_retries)
      assert.equals(4, c.scheduler.concurrency)
      c:close()
    end)

    it("raises on an unknown option or a wrong type", function()
      assert.has_error(function() api.new{ domain = "t.auth0.com", retries = 3 } end,
        "api.new: unknown option retries")
      assert.has_error(function() api.new{ domain = 3 } end,
        "api.new: domain must be a string or table")
      assert.has_error(function() api.new("t.auth0.com") end, "api.new: opts must be a table")
    end)

    it("keeps the secret and the token out of the client table and its printed form", function()
      local c = assert(new("t.auth0.com"))
      assert.is_false(contains_secret(c))
      assert.equals("a0lua.api client for https://t.auth0.com", tostring(c))
      c:close()
    end)
  end)

  describe("client:request", function()
    it("sends the bearer token and a JSON body and returns the decoded answer", function()
      local f = fake(function(r)
        return answer(201, { got = r.json, auth = r.headers.Authorization,
                             ctype = r.headers["Content-Type"], accept = r.headers.Accept })
      end)
      local body, res = f.run(function()
        return f.client:request("POST", "/clients",
                                { body = { name = "x", callbacks = json.array() } })
      end)
      assert.equals(201, res.status)
      assert.equals("Bearer " .. TOKEN .. "1", body.auth)
      assert.equals("application/json", body.ctype)
      assert.equals("application/json", body.accept)
      assert.equals("x", body.got.name)
      assert.is_true(json.is_array(body.got.callbacks))
      assert.equals('{"callbacks":[],"name":"x"}', f.requests[1].body)
      local token_body = json.decode(f.token_requests[1].body)
      assert.same({ grant_type = "client_credentials", client_id = "cid", client_secret = SECRET,
                    audience = "https://tenant.test/api/v2/" }, token_body)
    end)

    it("encodes the query and escapes the path", function()
      local f = fake(function() return answer(200, {}) end)
      f.run(function()
        return f.client:get("/users/auth0|abc def", { query = {
          include_totals = true, per_page = 50.0, fields = "a,b", q = { "x y", "z&w" } } })
      end)
      assert.equals("https://tenant.test/api/v2/users/auth0%7Cabc%20def?fields=a%2Cb&"
        .. "include_totals=true&per_page=50&q=x%20y&q=z%26w", f.requests[1].url)
    end)

    it("returns true for an empty answer", function()
      local f = fake(function() return { status = 204, headers = {}, body = "" } end)
      local body, res = f.run(function() return f.client:delete("/clients/abc") end)
      assert.is_true(body)
      assert.equals(204, res.status)
    end)

    it("fetches one token for many concurrent requests and caches it", function()
      local f = fake(function() return answer(200, { ok = true }) end)
      f.run(function()
        local fns = {}
        for i = 1, 20 do fns[i] = function() return f.client:get("/clients/" .. i) end end
        local values = tasks.all(fns)
        for i = 1, 20 do assert.is_true(values[i].ok) end
        f.client:get("/clients")
      end)
      assert.equals(1, f.tokens)
      assert.equals(21, f.count())
    end)

    it("fetches a new token when the cached one is about to expire", function()
      local f = fake(function() return answer(200, {}) end, { token_handler = function(_, f)
        return answer(200, { access_token = TOKEN .. f.tokens, expires_in = 3600 })
      end })
      f.run(function()
        f.client:get("/clients")
        f.t = f.t + 3000 * 1000
        f.client:get("/clients")
        assert.equals(1, f.tokens)
        f.t = f.t + 301 * 1000 -- inside the last 5 minutes
        f.client:get("/clients")
      end)
      assert.equals(2, f.tokens)
      assert.equals("Bearer " .. TOKEN .. "2", f.requests[3].headers.Authorization)
    end)

    it("fetches a new token once after a 401", function()
      local f = fake(function(r)
        if r.headers.Authorization == "Bearer " .. TOKEN .. "1" then
          return answer(401, { statusCode = 401, message = "Invalid token",
                               errorCode = "invalid_token" })
        end
        return answer(200, { ok = true })
      end)
      local body = f.run(function() return f.client:get("/clients") end)
      assert.is_true(body.ok)
      assert.equals(2, f.tokens)
    end)

    it("gives up on a second 401 with an api_error", function()
      local f = fake(function()
        return answer(401, { statusCode = 401, message = "Invalid token",
                             errorCode = "invalid_token" })
      end)
      local body, err = f.run(function() return f.client:get("/clients") end)
      assert.is_nil(body)
      assert.equals("api_error", err.code)
      assert.equals(401, err.status)
      assert.equals(2, f.tokens)
    end)

    it("uses AUTH0_ACCESS_TOKEN as it is, without a token request", function()
      local f = fake(function(r) return answer(200, { auth = r.headers.Authorization }) end,
                     { client = { access_token = "static-token", client_id = "",
                                  client_secret = "" } })
      local body = f.run(function() return f.client:get("/clients") end)
      assert.equals("Bearer static-token", body.auth)
      assert.equals(0, f.tokens)
    end)

    it("returns api_auth when the secret is refused, naming the settings but not the secret",
      function()
        local f = fake(function() return answer(200, {}) end, { token_handler = function(req)
          -- an answer that echoes the secret back must not leak it either
          local sent = json.decode(req.body).client_secret
          return answer(401, { error = "access_denied",
                               error_description = "Unauthorized: " .. sent })
        end })
        local body, err = f.run(function() return f.client:get("/clients") end)
        assert.is_nil(body)
        assert.equals("api_auth", err.code)
        assert.equals(401, err.status)
        assert.equals("access_denied", err.error_code)
        local text = tostring(err)
        assert.matches("POST /oauth/token: 401: Unauthorized: [REDACTED]", text, 1, true)
        assert.matches("AUTH0_CLIENT_SECRET", text, 1, true)
        assert.is_false(contains_secret(err))
        assert.equals(0, f.count())
      end)

    it("returns api_auth when the token answer has no access_token", function()
      local f = fake(function() return answer(200, {}) end, { token_handler = function()
        return answer(200, { token_type = "Bearer" })
      end })
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("api_auth", err.code)
      assert.matches("no access_token", tostring(err))
    end)

    it("returns api_not_found for a 404", function()
      local f = fake(function()
        return answer(404, { statusCode = 404, error = "Not Found",
                             message = "The client does not exist",
                             errorCode = "inexistent_client" })
      end)
      local body, err = f.run(function() return f.client:get("/clients/nope") end)
      assert.is_nil(body)
      assert.equals("api_not_found", err.code)
      assert.equals(404, err.status)
      assert.equals("GET", err.method)
      assert.equals("/clients/nope", err.path)
      assert.equals("The client does not exist", err.message)
      assert.equals("GET /clients/nope: 404: The client does not exist (inexistent_client)",
                    tostring(err))
      assert.equals(1, f.count())
    end)

    it("returns api_error with the API's message and errorCode, without retrying a 400", function()
      local f = fake(function()
        return answer(400, { statusCode = 400, error = "Bad Request",
                             message = "Payload validation error: 'Additional properties not "
                               .. "allowed: client_id'", errorCode = "invalid_body" })
      end)
      local _, err = f.run(function()
        return f.client:patch("/clients/abc", { client_id = "x" })
      end)
      assert.equals("api_error", err.code)
      assert.equals(400, err.status)
      assert.equals("invalid_body", err.error_code)
      assert.equals("PATCH", err.method)
      assert.matches("Additional properties not allowed", tostring(err), 1, true)
      assert.equals(1, f.count())
    end)

    it("uses the body of a non-JSON error answer as its message", function()
      local f = fake(function()
        return { status = 502, headers = { ["content-type"] = "text/html" }, body = "bad gateway" }
      end, { client = { max_retries = 0 } })
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("GET /clients: 502: bad gateway", tostring(err))
    end)

    it("retries 5xx and 408 answers with growing delays, then succeeds", function()
      local statuses = { 500, 503, 408 }
      local f = fake(function()
        local s = table.remove(statuses, 1)
        if s then return answer(s, { statusCode = s, message = "try again" }) end
        return answer(200, { ok = true })
      end)
      local body = f.run(function() return f.client:get("/clients") end)
      assert.is_true(body.ok)
      assert.equals(4, f.count())
      assert.equals(3, f.client:stats().retries)
      assert.equals(3, #f.sleeps)
      assert.is_true(f.sleeps[3] > f.sleeps[1])
    end)

    it("gives up after max_retries and says how many attempts were made", function()
      local f = fake(function() return answer(503, { statusCode = 503, message = "down" }) end,
                     { client = { max_retries = 2 } })
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("api_error", err.code)
      assert.equals(503, err.status)
      assert.equals(3, err.attempts)
      assert.equals("GET /clients: 503: down after 3 attempts", tostring(err))
      assert.equals(3, f.count())
    end)

    it("does not retry a 501", function()
      local f = fake(function() return answer(501, { statusCode = 501, message = "nope" }) end)
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals(501, err.status)
      assert.equals(1, f.count())
    end)

    it("waits until x-ratelimit-reset after a 429 and counts it", function()
      local first = true
      local f = fake(function()
        local h = { ["x-ratelimit-limit"] = "120", ["x-ratelimit-remaining"] = "0",
                    ["x-ratelimit-reset"] = tostring(1000000 + 30) }
        if first then
          first = false
          return answer(429, { statusCode = 429, message = "Global limit has been reached",
                               errorCode = "too_many_requests" }, h)
        end
        h["x-ratelimit-remaining"] = "119"
        return answer(200, { ok = true }, h)
      end)
      local body = f.run(function() return f.client:get("/clients") end)
      assert.is_true(body.ok)
      assert.is_true(f.t >= 30000, "waited " .. f.t)
      local stats = f.client:stats()
      assert.equals(1, stats.rate_limited)
      assert.equals(1, stats.retries)
      assert.equals(2, stats.requests)
    end)

    it("backs off after a 429 that carries no rate-limit headers", function()
      local first = true
      local f = fake(function()
        if first then
          first = false
          return answer(429, { statusCode = 429, message = "slow down" }, { ["retry-after"] = "7" })
        end
        return answer(200, { ok = true })
      end)
      f.run(function() return f.client:get("/clients") end)
      assert.is_true(f.sleeps[#f.sleeps] >= 7000)
    end)

    it("sends a GET again after its answer was lost", function()
      local n = 0
      local f = fake(function()
        n = n + 1
        if n == 1 then
          return nil, { code = "http_network", message = "Empty reply", curl_code = 52 }
        end
        return answer(200, { ok = true })
      end)
      local body = f.run(function() return f.client:get("/clients") end)
      assert.is_true(body.ok)
      assert.equals(2, f.count())
    end)

    it("returns api_network after the retries when nothing answers", function()
      local f = fake(function()
        return nil, { code = "http_network", message = "Operation timed out", curl_code = 28 }
      end, { client = { max_retries = 3 } })
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("api_network", err.code)
      assert.equals(4, err.attempts)
      assert.equals("GET /clients: Operation timed out after 4 attempts", tostring(err))
    end)

    it("gives up on a refused connection after 3 attempts a second apart, saying so each time",
        function()
      local f = fake(function()
        return nil, { code = "http_network", message = "Couldn't connect to server", curl_code = 7 }
      end, { client = { access_token = "tok", max_retries = 10, retry_base_ms = 500,
                        retry_max_ms = 30000 } })
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("api_network", err.code)
      assert.equals(3, err.attempts)
      assert.equals("GET /clients: Couldn't connect to server after 3 attempts", tostring(err))
      assert.same({ api.UNREACHABLE_WAIT_MS, api.UNREACHABLE_WAIT_MS }, f.sleeps)
      local warned = {}
      for _, l in ipairs(f.logged) do
        if l.level == "warn" then warned[#warned + 1] = l.msg end
      end
      assert.same({
        "GET /clients: Couldn't connect to server; sending again in 1.0 s (attempt 2 of at most 3)",
        "GET /clients: Couldn't connect to server; sending again in 1.0 s (attempt 3 of at most 3)",
      }, warned)
    end)

    it("gives up on a token request whose host does not resolve after 3 attempts", function()
      local f = fake(function() return answer(200, {}) end, {
        client = { max_retries = 10, retry_base_ms = 500, retry_max_ms = 30000 },
        token_handler = function()
          return nil, { code = "http_network", message = "Could not resolve host", curl_code = 6 }
        end })
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("api_network", err.code)
      assert.equals(3, f.tokens)
      assert.is_true(f.t <= 3000, "took " .. f.t .. " ms")
    end)

    it("does not retry a certificate failure", function()
      local f = fake(function()
        return nil, { code = "http_network", message = "SSL certificate problem", curl_code = 60 }
      end)
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.equals("api_network", err.code)
      assert.equals(1, f.count())
    end)

    it("does not send a POST again when its answer was lost", function()
      local f = fake(function()
        return nil, { code = "http_timeout", message = "Operation timed out", curl_code = 28 }
      end)
      local _, err = f.run(function() return f.client:post("/clients", { name = "a" }) end)
      assert.equals("api_network", err.code)
      assert.is_true(err.maybe_applied)
      assert.matches("may have been applied", tostring(err))
      assert.equals(1, f.count())
    end)

    it("sends a POST again when it surely did not go out, or is marked idempotent", function()
      local n = 0
      local f = fake(function()
        n = n + 1
        if n == 1 then return nil, { code = "http_network", message = "refused", curl_code = 7 } end
        if n == 2 then return nil, { code = "http_network", message = "reset", curl_code = 56 } end
        return answer(202, { ok = true })
      end)
      f.run(function()
        assert.is_nil(f.client:post("/actions/actions/a1/deploy")) -- refused, then reset: unknown
        assert.equals(2, f.count())
        n = 1
        local body = f.client:post("/actions/actions/a1/deploy", nil, { idempotent = true })
        assert.is_true(body.ok)
      end)
    end)

    it("takes a 409 after a lost idempotent POST as done: the lost attempt made it", function()
      local n = 0
      local f = fake(function()
        n = n + 1
        if n == 1 then return nil, { code = "http_network", message = "reset", curl_code = 56 } end
        return answer(409, { statusCode = 409, errorCode = "conflict",
                             message = "The connection is already enabled for this organization" })
      end)
      local ok, res = f.run(function()
        return f.client:post("/organizations/org_1/connections", { connection_id = "con_1" },
                             { idempotent = true })
      end)
      assert.is_true(ok)
      assert.is_true(res.recovered)
      assert.equals(2, f.count("POST"))
      -- without a lost attempt before it, a 409 is the error it is
      n = 1
      local _, err = f.run(function()
        return f.client:post("/organizations/org_1/connections", { connection_id = "con_1" },
                             { idempotent = true })
      end)
      assert.equals(409, err.status)
    end)

    it("takes a 404 after a lost DELETE as done", function()
      local n = 0
      local f = fake(function()
        n = n + 1
        if n == 1 then return nil, { code = "http_network", message = "reset", curl_code = 56 } end
        return answer(404, { statusCode = 404, message = "gone" })
      end)
      local ok, res = f.run(function() return f.client:delete("/roles/r1") end)
      assert.is_true(ok)
      assert.equals(404, res.status)
    end)

    it("adds the extra headers to every request", function()
      local f = fake(function(r)
        return answer(200, { mode = r.headers["X-Auth0-Deploy-Mode"] })
      end,
                     { client = { headers = { ["X-Auth0-Deploy-Mode"] = "dry-run" } } })
      local body = f.run(function() return f.client:get("/clients") end)
      assert.equals("dry-run", body.mode)
    end)

    it("never logs or returns the token or the secret", function()
      local f = fake(function()
        return answer(400, { statusCode = 400, message = "bad token " .. TOKEN .. "1" })
      end)
      local _, err = f.run(function() return f.client:get("/clients") end)
      assert.matches("[REDACTED]", err.message, 1, true)
      assert.is_false(contains_secret(err))
      assert.is_true(#f.logged > 0)
      assert.is_false(contains_secret(f.logged))
    end)

    it("raises on misuse: outside a task, another scheduler, bad method, path, options", function()
      local f = fake(function() return answer(200, {}) end)
      assert.has_error(function() f.client:get("/clients") end,
        "client:request: must run inside a task of client.scheduler "
          .. "(client:run(fn) runs fn as one)")
      local other = tasks.new()
      assert.has_error(function()
        other:spawn(function() f.client:get("/clients") end):wait()
      end)
      other:close()
      f.run(function()
        assert.has_error(function() f.client:request("FETCH", "/clients") end,
          "client:request: method must be GET, POST, PUT, PATCH, DELETE or HEAD")
        assert.has_error(function() f.client:request("GET", "clients") end,
          "client:request: path must be a string starting with / (below /api/v2)")
        assert.has_error(function() f.client:request("GET", "/clients?x=1") end)
        assert.has_error(function() f.client:request("GET", "/clients", { qeury = {} }) end,
          "client:request: unknown option qeury")
        assert.has_error(function()
          f.client:request("GET", "/clients", { query = { b = print } })
        end)
        assert.has_error(function() f.client:post("/clients", { f = print }) end)
        local ok, err = pcall(function() f.client:post("/clients", {}, { qeury = 1 }) end)
        assert.is_false(ok)
        assert.matches("api_spec%.lua:%d+: client:post: unknown option qeury", err)
      end)
      assert.equals(0, f.count())
    end)
  end)

  describe("client:list", function()
    it("reads offset pages with totals, the later ones concurrently", function()
      local data = items_of(250)
      local handler = paged(data, "clients")
      local f = fake(function(r) return handler(r.query) end)
      local list = f.run(function()
        return f.client:list("/clients", { key = "clients", query = { is_global = false } })
      end)
      assert.equals(250, #list)
      assert.is_true(json.is_array(list))
      assert.equals("item1", list[1].id)
      assert.equals("item250", list[250].id)
      assert.equals(3, f.count())
      assert.equals("true", f.requests[1].query.include_totals)
      assert.equals("100", f.requests[1].query.per_page)
      assert.equals("false", f.requests[2].query.is_global)
      assert.is_true(f.max_in_flight >= 2, "pages 1 and 2 in flight together")
    end)

    it("finds the list in the answer by itself when no key is given", function()
      local handler = paged(items_of(3), "resource_servers")
      local f = fake(function(r) return handler(r.query) end)
      local list = f.run(function() return f.client:list("/resource-servers") end)
      assert.equals(3, #list)
    end)

    it("switches to checkpoint paging beyond 1,000 records where the endpoint has it", function()
      local handler = paged(items_of(2345), "clients", { offset_limit = true })
      local f = fake(function(r) return handler(r.query) end)
      local list = f.run(function() return f.client:list("/clients", { key = "clients" }) end)
      assert.equals(2345, #list)
      assert.equals("item2345", list[2345].id)
      local seen = {}
      for _, item in ipairs(list) do
        assert.is_nil(seen[item.id])
        seen[item.id] = true
      end
      assert.equals("100", f.requests[2].query.take)
      assert.is_nil(f.requests[2].query.page)
    end)

    it("returns api_paging_limit beyond 1,000 records where only offset paging exists", function()
      local handler = paged(items_of(1200), "roles", { offset_limit = true })
      local f = fake(function(r) return handler(r.query) end)
      local list, err = f.run(function() return f.client:list("/roles", { key = "roles" }) end)
      assert.is_nil(list)
      assert.equals("api_paging_limit", err.code)
      assert.matches("1200 records", tostring(err))
      assert.equals(1, f.count())
    end)

    it("returns api_list_changed when the pages do not add up to the total twice", function()
      local handler = paged(items_of(150), "roles", { total = 160 })
      local f = fake(function(r) return handler(r.query) end)
      local list, err = f.run(function() return f.client:list("/roles", { key = "roles" }) end)
      assert.is_nil(list)
      assert.equals("api_list_changed", err.code)
      assert.equals(4, f.count()) -- read twice
    end)

    it("pages answers without totals until a short page", function()
      local handler = paged(items_of(230), "x", { bare = true })
      local f = fake(function(r) return handler(r.query) end)
      local list = f.run(function() return f.client:list("/rules") end)
      assert.equals(230, #list)
      assert.equals(3, f.count())
    end)

    it("follows checkpoints until next is absent", function()
      local handler = paged(items_of(250), "organizations")
      local f = fake(function(r) return handler(r.query) end)
      local list = f.run(function()
        return f.client:list("/organizations", { paging = "checkpoint", key = "organizations",
                                                 take = 50 })
      end)
      assert.equals(250, #list)
      assert.equals(5, f.count())
      assert.is_nil(f.requests[1].query.from)
      assert.equals("50", f.requests[1].query.take)
      assert.equals("51", f.requests[2].query.from)
    end)

    it("stops a checkpoint loop with api_bad_response", function()
      local f = fake(function()
        return answer(200, { items = json.array({ 1 }), next = "same" })
      end)
      local list, err = f.run(function()
        return f.client:list("/token-exchange-profiles", { paging = "checkpoint" })
      end)
      assert.is_nil(list)
      assert.equals("api_bad_response", err.code)
      assert.equals(2, f.count())
    end)

    it("reads the Actions envelope, with and without a total", function()
      local handler = paged(items_of(130), "actions", { actions = true })
      local f = fake(function(r) return handler(r.query) end)
      local list = f.run(function()
        return f.client:list("/actions/actions", { paging = "actions", key = "actions" })
      end)
      assert.equals(130, #list)
      handler = paged(items_of(130), "actions", { actions = true, no_total = true })
      f = fake(function(r) return handler(r.query) end)
      list = f.run(function()
        return f.client:list("/actions/actions", { paging = "actions", key = "actions" })
      end)
      assert.equals(130, #list)
    end)

    it("reads an unpaged list with one request", function()
      local f = fake(function()
        return answer(200, json.array({ { name = "a" }, { name = "b" } }))
      end)
      local list = f.run(function()
        return f.client:list("/custom-domains", { paging = "none" })
      end)
      assert.equals(2, #list)
      assert.equals(1, f.count())
    end)

    it("returns api_bad_response when the answer holds several lists and no key is given",
      function()
        local f = fake(function()
          return answer(200, { a = json.array({ 1 }), b = json.array({ 2 }) })
        end)
        local list, err = f.run(function() return f.client:list("/x", { paging = "none" }) end)
        assert.is_nil(list)
        assert.equals("api_bad_response", err.code)
        assert.matches("a, b", tostring(err))
      end)

    it("passes on the error of a page", function()
      local f = fake(function() return answer(403, { statusCode = 403,
        message = "Insufficient scope, expected any of: read:roles",
        errorCode = "insufficient_scope" })
      end)
      local list, err = f.run(function() return f.client:list("/roles") end)
      assert.is_nil(list)
      assert.equals(403, err.status)
      assert.equals("insufficient_scope", err.error_code)
    end)

    it("raises on a bad paging style or page size", function()
      local f = fake(function() return answer(200, {}) end)
      f.run(function()
        assert.has_error(function() f.client:list("/clients", { paging = "cursor" }) end,
          "client:list: paging must be offset, checkpoint, actions or none")
        assert.has_error(function() f.client:list("/clients", { per_page = 0 }) end,
          "client:list: per_page must be an integer >= 1")
      end)
    end)
  end)

  describe("client:create", function()
    local function find_name(name) return function(item) return item.name == name end end

    it("returns the created item", function()
      local f = fake(function(r) return answer(201, { id = "r1", name = r.json.name }) end)
      local created, res = f.run(function()
        return f.client:create("/roles", { name = "admin" }, { find = find_name("admin") })
      end)
      assert.equals("r1", created.id)
      assert.equals(201, res.status)
    end)

    it("looks up a create whose answer was lost and does not send it again", function()
      local store = {}
      local f = fake(function(r)
        if r.method == "POST" then
          store[#store + 1] = { id = "r" .. (#store + 1), name = r.json.name }
          return nil, { code = "http_network", message = "Empty reply from server", curl_code = 52 }
        end
        return answer(200, { roles = json.array(store), total = #store, start = 0, limit = 100 })
      end)
      local created, res = f.run(function()
        return f.client:create("/roles", { name = "admin" }, { find = find_name("admin"),
                                                              list = { key = "roles" } })
      end)
      assert.equals("r1", created.id)
      assert.is_true(res.recovered)
      assert.equals(1, #store)
      assert.equals(1, f.count("POST"))
      local stats = f.client:stats()
      assert.equals(1, stats.lookups)
      assert.equals(1, stats.recovered)
    end)

    it("sends the create again when the look-up does not find it", function()
      local store, posts = {}, 0
      local f = fake(function(r)
        if r.method == "POST" then
          posts = posts + 1
          if posts == 1 then -- lost before the server handled it
            return nil, { code = "http_network", message = "reset", curl_code = 56 }
          end
          store[#store + 1] = { id = "r" .. (#store + 1), name = r.json.name }
          return answer(201, store[#store])
        end
        return answer(200, { roles = json.array(store), total = #store })
      end)
      local created = f.run(function()
        return f.client:create("/roles", { name = "admin" }, { find = find_name("admin") })
      end)
      assert.equals("r1", created.id)
      assert.equals(1, #store)
      assert.equals(2, f.count("POST"))
    end)

    -- The page the query asks for of store[1..last], counted as total.
    local function page_of(store, query, last, total)
      local page = tonumber(query.page) or 0
      local items = json.array()
      for i = page * 100 + 1, math.min(last, page * 100 + 100) do items[#items + 1] = store[i] end
      return answer(200, { roles = items, total = total, start = page * 100, limit = 100 })
    end

    -- A create of "role 150" whose answer is lost, among 150 roles that serve(query) lists:
    -- it must be found, and sent once.
    local function lost_create_found(serve)
      local store = {}
      for i = 1, 150 do store[i] = { id = "r" .. i, name = "role " .. i } end
      local f = fake(function(r)
        if r.method == "POST" then
          return nil, { code = "http_network", message = "Empty reply from server", curl_code = 52 }
        end
        return serve(store, r.query)
      end)
      local created, res = f.run(function()
        return f.client:create("/roles", { name = "role 150" }, { find = find_name("role 150"),
                                                                 list = { key = "roles" } })
      end)
      assert.equals("r150", created and created.id, tostring(res))
      assert.equals(1, f.count("POST"))
    end

    it("finds a lost create in a list that grew while it was read (other creates of the run)",
        function()
      -- each read of the list counts 149 but serves 150: another task's create landed between
      -- the first page and the next
      lost_create_found(function(store, query) return page_of(store, query, 150, 149) end)
    end)

    it("reads the list again when it changed and the lost create was not in it", function()
      local reads = 0
      lost_create_found(function(store, query)
        if (tonumber(query.page) or 0) == 0 then reads = reads + 1 end
        -- the first two look-ups (each reads the list twice) miss the item sought: a page
        -- shifted under them
        return page_of(store, query, reads <= 4 and 149 or 150, 151)
      end)
    end)

    it("returns the existing item when a create meets a 409 and find knows it", function()
      local store = { { id = "r1", name = "admin" } }
      local f = fake(function(r)
        if r.method == "POST" then
          return answer(409, { statusCode = 409, message = "Role name already exists",
                               errorCode = "conflict" })
        end
        return answer(200, { roles = json.array(store), total = #store })
      end)
      local created, res = f.run(function()
        return f.client:create("/roles", { name = "admin" }, { find = find_name("admin") })
      end)
      assert.equals("r1", created.id)
      assert.is_true(res.conflict)
      assert.equals(1, f.count("POST"))
    end)

    it("returns the 409 when the look-up does not find the item", function()
      local f = fake(function(r)
        if r.method == "POST" then
          return answer(409, { statusCode = 409, message = "already exists",
                               errorCode = "conflict" })
        end
        return answer(200, { roles = json.array(), total = 0 })
      end)
      local created, err = f.run(function()
        return f.client:create("/roles", { name = "admin" }, { find = find_name("admin") })
      end)
      assert.is_nil(created)
      assert.equals("api_error", err.code)
      assert.equals(409, err.status)
      assert.equals(1, f.count("POST"))
      assert.equals(1, f.count("GET"))
    end)

    it("returns the maybe_applied error when there is no find", function()
      local f = fake(function()
        return nil, { code = "http_network", message = "reset", curl_code = 56 }
      end)
      local created, err = f.run(function() return f.client:create("/roles", { name = "a" }) end)
      assert.is_nil(created)
      assert.is_true(err.maybe_applied)
      assert.equals(1, f.count())
    end)

    it("raises on a find that is not a function", function()
      local f = fake(function() return answer(201, {}) end)
      f.run(function()
        assert.has_error(function() f.client:create("/roles", {}, { find = "admin" }) end,
          "client:create: find must be a function")
      end)
    end)
  end)

  describe("client:stats", function()
    it("counts requests, writes, retries and 429s", function()
      local n = 0
      local f = fake(function(r)
        n = n + 1
        if n == 2 then return answer(503, {}) end
        if r.method == "GET" then return answer(200, {}) end
        return answer(201, {})
      end)
      f.run(function()
        f.client:get("/clients")
        f.client:post("/clients", { name = "x" })
        f.client:patch("/clients/a", { name = "y" })
      end)
      local stats = f.client:stats()
      assert.equals(4, stats.requests)
      assert.equals(3, stats.writes)
      assert.equals(1, stats.retries)
      assert.equals(0, stats.rate_limited)
      assert.equals(1, stats.token_requests)
    end)
  end)

  describe("client:run", function()
    it("runs a function as a task of the client's scheduler and returns its values", function()
      local f = fake(function() return answer(200, {}) end)
      local a, b = f.client:run(function(x) return x, tasks.current() ~= nil end, 7)
      assert.equals(7, a)
      assert.is_true(b)
      local inner = f.client:run(function()
        return f.client:run(function() return "nested" end)
      end)
      assert.equals("nested", inner)
      assert.has_error(function() f.client:run("x") end, "client:run: fn must be a function")
    end)
  end)
end)
