--[[
a0lua.api: the Management API v2 client. Tokens, JSON, pagination, pacing, retries, on
a0lua.tasks so many requests are in flight while the code reads top to bottom.

  local api = require("a0lua.api")
  local client = assert(api.new{
    domain = "tenant.eu.auth0.com",   -- AUTH0_DOMAIN; "https://host", or "http://127.0.0.1:PORT"
                                      -- (plain HTTP only to loopback: 127/8, localhost, [::1]),
                                      -- or what a0lua.domain.parse made of it (config's cfg.domain)
    client_id =, client_secret =,     -- client credentials, or:
    signing_key_path =,               -- AUTH0_CLIENT_SIGNING_KEY_PATH: without a secret, a
    signing_algorithm = "RS256",      -- private-key JWT client assertion (a0lua.api.assertion);
                                      -- with both, the secret is sent, as a0deploy 8.44 does
    access_token =,                   -- AUTH0_ACCESS_TOKEN: used as is, no token request
    audience =,                       -- default "https://<domain>/api/v2/"
    ca_file =, proxy =,               -- CA bundle, --proxy_url: given to the http session
    max_retries = 10,                 -- AUTH0_API_MAX_RETRIES: re-sends after the first try
    concurrency = 10,                 -- requests in flight at once
    log = logger,                     -- a0lua.log logger (debug lines: method, path, status, ms)
    -- less common:
    max_rate = nil,                   -- a hard cap in requests per second
    coalesce = false,                 -- identical GETs in flight at once sent once (see
                                      -- client.coalesce below)
    timeout_ms = 60000,               -- per request
    headers = {},                     -- extra headers on every API request
    retry_base_ms = 500, retry_max_ms = 30000,   -- backoff of 5xx, 408 and network errors
    transport =, sleep =, now =, epoch =, random =,  -- seams for specs: tasks.request,
                                      -- tasks.sleep, tasks.now, the wall clock, math.random
    scheduler =,                      -- an a0lua.tasks scheduler to run on (a fleet's, shared
                                      -- by its tenants; client:close leaves it open); default:
                                      -- one of the client's own, with its own http session
  })
  api.new returns nil, err (code "api_config") when the settings cannot work: no domain, a
  domain it cannot read, plain HTTP to a host that is not the loopback, no credentials, an
  unreadable CA file, an unknown signing algorithm; a signing key that cannot be used gives
  code "crypto_key" (a0lua.core.crypto: the message names the file). Wrong types and unknown
  options raise.

  client.scheduler                    the a0lua.tasks scheduler that owns the http session (with
                                      the CA file and proxy); every request must run in one of
                                      its tasks
  client:run(fn, ...) -> ...          runs fn(...) as a task of client.scheduler and returns its
                                      values (inside such a task: calls fn directly)
  client.coalesce                     true: a GET asked for while the same GET is in flight,
                                      with no write begun by this client since that one was
                                      sent, shares its answer (each caller gets its own decoded
                                      copy). Off by default; a0lua.apply and plan.fetch turn it
                                      on while they run, where many tasks read the same lists.
  client:coalescing(fn, ...) -> ...   fn(...) with client.coalesce on (as it was afterwards,
                                      errors included)
  client:memoizing(fn, ...) -> ...    fn(...) with client.memo on: a GET answered with JSON is
                                      kept, and the same GET asked again while fn runs, with no
                                      write begun by this client since, gets a decoded copy of
                                      it instead of a request (GETs in flight are shared too);
                                      a list found changed while read forgets what was kept.
                                      plan.compute turns it on: one read per list per plan
  client:close()

Inside a task of client.scheduler:
  client:request(method, path, {query =, body =, idempotent =, timeout_ms =})
      -> body, response | nil, err
      path is below /api/v2 ("/clients/abc"); query a table (arrays repeat the name); body is
      sent as JSON. body is the decoded JSON answer (true when the answer is empty, e.g. 204);
      response = { status =, headers = } (the raw text in response.body).
  client:get(path [, opts])  client:delete(path [, opts])
  client:post(path, body [, opts])   client:patch(path, body [, opts])
  client:put(path, body [, opts])
  client:list(path, {paging = "offset"|"checkpoint"|"actions"|"none", key = "clients",
                     query = {}, per_page = 100, take = 100}) -> array | nil, err
      every page. offset: page/per_page/include_totals, the pages after the first requested
      concurrently; when the total is above the 1,000 records offset paging reaches, endpoints
      that also page by checkpoint (/clients, /client-grants, /connections, /organizations,
      their members, /roles/{id}/users, /groups) are read by checkpoint instead, others give
      api_paging_limit. checkpoint: take, then from = next until next is absent. actions: the
      Actions envelope {actions|versions|bindings, total, page, per_page}. none: one request.
      key names the array in the answer; default: its only array-valued property.
  client:create(path, body, {find = function(item) -> bool, list = <list opts>, list_path =})
      -> created, response | nil, err
      a POST whose answer was lost (the connection broke after it was sent) is looked up with
      find over a fresh client:list(list_path or path, list) before it is sent again; found, it
      is returned (response.recovered = true), so nothing is created twice. A 409 is looked up
      the same way (libcurl silently sends a request again when a reused connection dies
      before answering, so the conflict may be with this create's own first copy): found, it is
      returned with response.conflict = true; not found, the 409 error is returned. The look-up
      holds against the run's own creates landing while the list is read: a list whose count
      changed meanwhile is still searched, and read again (LOOKUP_READS) when the item is not
      in it.
  client:stats() -> { requests =, writes =, retries =, rate_limited =, token_requests =,
                      lookups =, recovered =, paced_ms =, coalesced = }
      requests and writes count the API requests sent (each retry too; token requests apart),
      rate_limited the 429s received, lookups the look-ups of lost creates, recovered those
      that found the item, paced_ms the time requests waited for the pacer, summed over tasks,
      coalesced the GETs that shared the answer of the same GET in flight (sent while it was,
      with no write begun by this client in between: each caller gets its own copy) or, under
      client:memoizing, the answer kept of one sent before

Errors are tables with a __tostring that never holds a token or a secret:
  { code =, status =, message = (the API's message), error_code = (its errorCode), method =,
    path =, attempts = }
  api_error      an HTTP error answer (after the retries, for 408, 429 and 5xx)
  api_not_found  404
  api_auth       the token request was refused (wrong client id or secret, a refused client
                 assertion, audience)
  api_network    no answer (refused, reset, timeout, TLS) after the retries; maybe_applied = true
                 when a POST was sent and its answer lost (see create)
  api_paging_limit, api_list_changed, api_bad_response   from list and decoding
  api_config     from api.new

Retries: 408, 429, 5xx (not 501) and network errors are sent again up to max_retries times. A
429 waits until x-ratelimit-reset (or Retry-After); the others wait a capped exponential backoff
with jitter. A server that cannot be reached at all (connection refused, a host name that does
not resolve) gets 3 attempts a second apart (UNREACHABLE_RETRIES), not max_retries; every retry
after a network error is logged as a warning with its reason and its wait. A 401 with a cached
client-credentials token fetches a new token once (with a signing key, a new assertion: each
token request, each attempt of it included, signs a fresh one). PUT, PATCH,
DELETE and GET are sent again after a lost answer too (a DELETE that then gets 404 succeeded);
a POST only when it surely was not sent, or with opts.idempotent (a POST whose repetition does
no harm: adding permissions, enabling a connection, a deploy; a 409 after a lost attempt then
means that attempt made it, and succeeds with response.recovered), or through create's look-up.
Pacing (lua/a0lua/api/pacer.lua) spreads requests over the x-ratelimit-* bucket.
Nothing logged or raised ever carries the Authorization header, the token, the secret or a
client assertion.
]]
local domain_mod = require("a0lua.domain")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")
local backoff = require("a0lua.api.backoff")
local pacer = require("a0lua.api.pacer")

local M = {}

M.DEFAULT_MAX_RETRIES = 10
M.DEFAULT_CONCURRENCY = 10
M.DEFAULT_TIMEOUT_MS = 60000
M.PER_PAGE = 100
M.TAKE = 100
M.OFFSET_LIMIT = 1000
M.TOKEN_MARGIN_S = 300
M.PACE_POLL_MS = 1000
-- A server that cannot be reached at all (connection refused, a name that does not resolve) is
-- tried this many more times, this far apart, whatever max_retries says: 3 attempts over about
-- 2 s, where the backoff of max_retries would stay silent for minutes.
M.UNREACHABLE_RETRIES = 2
M.UNREACHABLE_WAIT_MS = 1000

-- Endpoints that page by checkpoint as well as by offset (docs/management-api.md §3).
M.CHECKPOINT_PATHS = {
  "^/clients$", "^/client%-grants$", "^/connections$", "^/organizations$",
  "^/organizations/[^/]+/members$", "^/roles/[^/]+/users$", "^/groups$",
}

-- The client_assertion_type of a private-key JWT token request (a0lua.api.assertion.TYPE, kept
-- here so that a client with a secret never loads that module).
local ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

local METHODS = { GET = true, POST = true, PUT = true, PATCH = true, DELETE = true, HEAD = true }
local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, PATCH = true, DELETE = true }

local Client = {}
Client.__index = Client
Client.__name = "a0lua.api.client"

-- Secrets live here, not in the client table, so printing a client shows none of them.
local SECRETS = setmetatable({}, { __mode = "k" })

-- Raises a misuse error pointing at the first caller outside this file.
local SOURCE = debug.getinfo(1, "S").source
local function misuse(message)
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if not info or info.source ~= SOURCE then break end
    level = level + 1
  end
  error(message, level)
end

-- ---- errors ----------------------------------------------------------------------------------

-- Every error here is an a0lua.errors value; its tostring is "METHOD path: status: message
-- (error_code) after N attempts; hint".
M.error = errors.from
M.is_error = errors.is

local function config_error(message)
  return errors.from{ code = "api_config", message = message }
end

-- Removes every known secret from a message (an API could echo a value back).
local function scrub(client, text)
  if type(text) ~= "string" then return text end
  local s = SECRETS[client]
  if s then
    local secrets = { s.client_secret, s.access_token, s.token and s.token.value, s.assertion }
    for i = 1, 4 do
      local secret = secrets[i]
      if type(secret) == "string" and #secret >= 4 then
        local at = text:find(secret, 1, true)
        while at do
          text = text:sub(1, at - 1) .. "[REDACTED]" .. text:sub(at + #secret)
          at = text:find(secret, at + 10, true)
        end
      end
    end
  end
  return text
end

-- ---- domain, URLs ----------------------------------------------------------------------------

--- api.parse_domain(text) -> { scheme =, host =, port =, origin =, authority = } | nil, err
--- (a0lua.domain's parse, its message an api_config error about AUTH0_DOMAIN)
function M.parse_domain(text)
  if type(text) ~= "string" or text:match("^%s*$") then
    return nil, config_error("AUTH0_DOMAIN is required")
  end
  local parsed, why = domain_mod.parse(text)
  if not parsed then return nil, config_error("AUTH0_DOMAIN: " .. why) end
  return parsed
end

local function escape_byte(c) return ("%%%02X"):format(c:byte()) end

-- (nearly every name, value and path needs no escape: returned as it is, no gsub)
local function encode_component(s)
  local text = tostring(s)
  if not text:find("[^%w%-._~]") then return text end
  return (text:gsub("[^%w%-._~]", escape_byte))
end
M.encode_component = encode_component

-- Characters a path may carry as they are; the rest (spaces, |, non-ASCII...) are escaped.
local PATH_ESCAPED = "[^%w%-._~!$&'()*+,;=:@/%%]"
local function encode_path(path)
  if not path:find(PATH_ESCAPED) then return path end
  return (path:gsub(PATH_ESCAPED, escape_byte))
end

local function query_value(v)
  if type(v) == "boolean" then return v and "true" or "false" end
  if math.type(v) == "float" and v == math.floor(v) then return tostring(math.tointeger(v)) end
  return tostring(v)
end

local function encode_query(query)
  if query == nil then return "" end
  local names = {}
  for k in pairs(query) do names[#names + 1] = k end
  table.sort(names)
  local out = {}
  for _, k in ipairs(names) do
    local v = query[k]
    local values = type(v) == "table" and v or { v }
    for _, one in ipairs(values) do
      out[#out + 1] = encode_component(k) .. "=" .. encode_component(query_value(one))
    end
  end
  if #out == 0 then return "" end
  return "?" .. table.concat(out, "&")
end
M.encode_query = encode_query

local function check_query(query, what)
  if query == nil then return end
  if type(query) ~= "table" then misuse(what .. ": query must be a table") end
  for k, v in pairs(query) do
    if type(k) ~= "string" then misuse(what .. ": query names must be strings") end
    local t = type(v)
    if t == "table" then
      for _, one in ipairs(v) do
        local ot = type(one)
        if ot ~= "string" and ot ~= "number" and ot ~= "boolean" then
          misuse(("%s: query value %s must be strings, numbers or booleans"):format(what, k))
        end
      end
    elseif t ~= "string" and t ~= "number" and t ~= "boolean" then
      misuse(("%s: query value %s must be a string, number, boolean or array"):format(what, k))
    end
  end
end

-- Requests of one group draw from one rate-limit bucket: read or write, the first and the third
-- segment (the collection and the sub-collection: /organizations/{id}/connections and
-- /organizations/{id}/client-grants are different buckets), depth.
local function group_of(method, path)
  local class = (method == "GET" or method == "HEAD") and "read" or "write"
  -- (the segments as path:gmatch("/([^/?]*)") gives them, without a table of them: one per
  -- request)
  local count, first, third, pos = 0, "", nil, 1
  while true do
    local from, to = path:find("/[^/?]*", pos)
    if not from then break end
    count = count + 1
    if count == 1 then first = path:sub(from + 1, to)
    elseif count == 3 then third = path:sub(from + 1, to) end
    pos = to + 1
  end
  local name = "/" .. first
  if third then name = name .. "/*/" .. third end
  return ("%s %s#%d"):format(class, name, count)
end
M.group_of = group_of

-- ---- construction ------------------------------------------------------------------------------

local OPTIONS = {
  domain = "string|table", client_id = "string", client_secret = "string", access_token = "string",
  signing_key_path = "string", signing_algorithm = "string",
  audience = "string", ca_file = "string", proxy = "string", max_retries = "number",
  concurrency = "number", log = "table", max_rate = "number", timeout_ms = "number",
  headers = "table", retry_base_ms = "number", retry_max_ms = "number",
  transport = "function", sleep = "function", now = "function", epoch = "function",
  random = "function", version = "string", coalesce = "boolean", scheduler = "table",
}

local function default_epoch()
  local ok, socket = pcall(require, "socket")
  if ok and type(socket) == "table" and socket.gettime then return socket.gettime end
  return os.time
end

local function host_version()
  local ok, host = pcall(require, "a0lua.core.host")
  if ok and type(host) == "table" and type(host.version) == "string" then return host.version end
  return "dev"
end

local function blank(v) return v == nil or v == "" end

-- A shallow copy (of an empty table for nil).
local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

-- Wrong types and unknown options are misuse: they raise.
local function check_option_types(opts)
  if type(opts) ~= "table" then misuse("api.new: opts must be a table") end
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then misuse("api.new: unknown option " .. tostring(k)) end
    if not ("|" .. want .. "|"):find("|" .. type(v) .. "|", 1, true) then
      misuse(("api.new: %s must be a %s"):format(k, want:gsub("|", " or ")))
    end
  end
end

local function check_headers(headers)
  for name, value in pairs(headers or {}) do
    if type(name) ~= "string" or (type(value) ~= "string" and type(value) ~= "number") then
      misuse("api.new: headers must map names to strings")
    end
  end
end

-- A token, or what fetches one: every setting that is missing, in one message.
local function check_credentials(opts)
  if not blank(opts.access_token) then return true end
  local missing = {}
  if blank(opts.client_id) then missing[#missing + 1] = "AUTH0_CLIENT_ID" end
  if blank(opts.client_secret) and blank(opts.signing_key_path) then
    missing[#missing + 1] = "AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_SIGNING_KEY_PATH)"
  end
  if #missing > 0 then
    return nil, config_error(table.concat(missing, " and ") .. " required (or "
      .. "AUTH0_ACCESS_TOKEN): the Management API needs a token")
  end
  return true
end

-- The numbers that shape the requests -> max_retries, concurrency | nil, err
local function check_limits(opts)
  local max_retries = opts.max_retries or M.DEFAULT_MAX_RETRIES
  if max_retries < 0 or max_retries ~= max_retries then
    return nil, config_error("AUTH0_API_MAX_RETRIES must be a number >= 0")
  end
  local concurrency = opts.concurrency or M.DEFAULT_CONCURRENCY
  if math.type(concurrency) ~= "integer" and concurrency == math.floor(concurrency) then
    concurrency = math.tointeger(concurrency)
  end
  if math.type(concurrency) ~= "integer" or concurrency < 1 then
    return nil, config_error("concurrency must be an integer >= 1")
  end
  if opts.max_rate and opts.max_rate <= 0 then
    return nil, config_error("the request rate must be a number > 0")
  end
  return math.floor(max_retries), concurrency
end

local function check_ca_file(path)
  if not path then return true end
  local f = io.open(path, "rb")
  if not f then return nil, config_error(("CA file '%s' cannot be read"):format(path)) end
  f:close()
  return true
end

-- The http session of the client's scheduler: the version (User-Agent a0lua/<version>), the CA
-- file, the proxy.
local function session_of(opts)
  local session = { version = opts.version or host_version() }
  if opts.ca_file then session.ca_file = opts.ca_file end
  if opts.proxy then session.proxy = opts.proxy end
  return session
end

-- A signing key and no secret or token: the token requests carry client assertions.
local function signs_assertions(opts)
  return blank(opts.access_token) and blank(opts.client_secret)
    and not blank(opts.signing_key_path)
end

-- The maker of the client's assertions. The key is read now, so a key that cannot be used
-- stops the command before any request. -> maker | nil, err
local function assertion_maker(self, opts, domain)
  return require("a0lua.api.assertion").new{
    path = opts.signing_key_path, algorithm = not blank(opts.signing_algorithm)
      and opts.signing_algorithm or nil,
    client_id = opts.client_id, audience = "https://" .. domain.authority .. "/",
    epoch = function() return self.epoch() end,
  }
end

--- api.new(opts) -> client | nil, err
function M.new(opts)
  check_option_types(opts)
  -- A table is a domain config.lua already parsed (a0lua.domain), taken as it is.
  local domain, err = opts.domain, nil
  if type(domain) ~= "table" then domain, err = M.parse_domain(opts.domain) end
  if not domain then return nil, err end
  local ok, cerr = check_credentials(opts)
  if not ok then return nil, cerr end
  local max_retries, concurrency = check_limits(opts)
  if not max_retries then return nil, concurrency end
  ok, cerr = check_ca_file(opts.ca_file)
  if not ok then return nil, cerr end
  check_headers(opts.headers)
  local now = opts.now or tasks.now
  local self = setmetatable({
    domain = domain.authority,
    base_url = domain.origin,
    api_url = domain.origin .. "/api/v2",
    audience = blank(opts.audience) and ("https://" .. domain.authority .. "/api/v2/")
      or opts.audience,
    client_id = opts.client_id,
    max_retries = max_retries,
    timeout_ms = math.floor(opts.timeout_ms or M.DEFAULT_TIMEOUT_MS),
    retry = { base_ms = opts.retry_base_ms, max_ms = opts.retry_max_ms,
              random = opts.random or math.random },
    extra_headers = opts.headers or {},
    log = opts.log,
    transport = opts.transport or tasks.request,
    sleep = opts.sleep or tasks.sleep,
    now = now,
    epoch = opts.epoch or default_epoch(),
    scheduler = opts.scheduler or tasks.new{ session = session_of(opts),
                                             concurrency = concurrency },
    owns_scheduler = opts.scheduler == nil,
    -- (a transport given in opts, a spec's seam, may run outside any task)
    slots = opts.transport == nil and tasks.semaphore(concurrency) or nil,
    counters = { requests = 0, writes = 0, retries = 0, rate_limited = 0, token_requests = 0,
                 lookups = 0, recovered = 0, paced_ms = 0, coalesced = 0 },
    inflight = {}, write_gen = 0, coalesce = opts.coalesce == true,
    probe_signals = opts.sleep == nil and setmetatable({}, { __mode = "k" }) or nil,
  }, Client)
  self.pacer = pacer.new{ now = now, epoch = function() return self.epoch() end,
                          max_rate = opts.max_rate, random = self.retry.random }
  SECRETS[self] = {
    client_secret = not blank(opts.client_secret) and opts.client_secret or nil,
    access_token = not blank(opts.access_token) and opts.access_token or nil,
  }
  if signs_assertions(opts) then
    local maker, kerr = assertion_maker(self, opts, domain)
    if not maker then
      self.scheduler:close()
      return nil, kerr
    end
    SECRETS[self].assertion_maker = maker
  end
  return self
end

Client.__tostring = function(self)
  return ("a0lua.api client for %s"):format(self.base_url)
end

function Client:close()
  if self.scheduler and self.owns_scheduler then self.scheduler:close() end
  local maker = SECRETS[self] and SECRETS[self].assertion_maker
  if maker then maker:close() end
end

function Client:stats()
  return copy(self.counters)
end

local function log(self, level, msg, fields)
  local l = self.log
  if l and type(l[level]) == "function" then l[level](l, msg, fields) end
end

-- Would an event at level be logged? (A logger without :enabled takes every event.) Lets an
-- event sent for every request skip building its fields when the level drops it.
local function logs(self, level)
  local l = self.log
  if not l or type(l[level]) ~= "function" then return false end
  return type(l.enabled) ~= "function" or l:enabled(level)
end

function Client:check_task(what)
  local t = tasks.current()
  if not t then
    misuse(what .. ": must run inside a task of client.scheduler (client:run(fn) runs fn as one)")
  end
  if t.sched ~= self.scheduler then
    misuse(what .. ": the task belongs to another scheduler than client.scheduler, whose http "
      .. "session carries the CA file and proxy (spawn on client.scheduler or use client:run)")
  end
end

--- client:run(fn, ...) -> ...
function Client:run(fn, ...)
  if type(fn) ~= "function" then misuse("client:run: fn must be a function") end
  local t = tasks.current()
  if t and t.sched == self.scheduler then return fn(...) end
  if t then misuse("client:run: called from a task of another scheduler") end
  return self.scheduler:spawn(fn, ...):wait()
end

-- ---- answers ---------------------------------------------------------------------------------

local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [408] = "Request Timeout", [409] = "Conflict", [413] = "Payload Too Large",
  [429] = "Too Many Requests", [500] = "Internal Server Error", [501] = "Not Implemented",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

local function looks_json(res)
  local ctype = res.headers and res.headers["content-type"] or ""
  return ctype:find("json", 1, true) or res.body:match("^%s*[%[{]")
end

-- The API's message and errorCode from an error answer (Management or Authentication shape).
local function error_details(res)
  local message, error_code
  if res.body and res.body ~= "" and looks_json(res) then
    local v = json.decode(res.body)
    if type(v) == "table" then
      message = type(v.message) == "string" and v.message
        or type(v.error_description) == "string" and v.error_description
        or type(v.error) == "string" and v.error or nil
      error_code = type(v.errorCode) == "string" and v.errorCode
        or (type(v.error) == "string" and v.error_description and v.error) or nil
    end
  end
  if not message and res.body and res.body ~= "" and not looks_json(res) then
    message = res.body:sub(1, 200):gsub("%s+", " ")
  end
  return message or REASONS[res.status] or "HTTP error", error_code
end

function Client:http_error(method, path, res, attempts)
  local message, error_code = error_details(res)
  return errors.from{
    code = res.status == 404 and "api_not_found" or "api_error",
    status = res.status, message = scrub(self, message), error_code = error_code,
    method = method, path = path, attempts = attempts,
  }
end

function Client:network_error(method, path, nerr, attempts, maybe_applied)
  local message = scrub(self, nerr and nerr.message or "no answer")
  if maybe_applied then
    message = message .. " (the request was sent and its answer lost: it may have been applied)"
  end
  return errors.from{
    code = "api_network", message = message, method = method, path = path,
    attempts = attempts, curl_code = nerr and nerr.curl_code, maybe_applied = maybe_applied,
  }
end

local function decode_answer(method, path, res)
  local body = res.body or ""
  if body == "" then return true, res end
  if not looks_json(res) then return body, res end
  local value, derr = json.decode(body)
  if value == nil then
    return nil, errors.from{ code = "api_bad_response", status = res.status, method = method,
                           path = path, message = "the answer is not valid JSON: "
                             .. tostring(derr and derr.message) }
  end
  return value, res
end

-- The wait before sending again after a network error (attempt: the retries so far), or nil to
-- give up: a server found unreachable `unreachable` times in a row gets UNREACHABLE_RETRIES
-- quick retries, not the backoff meant for overloads. Each retry is shown (a warning): a run
-- that keeps failing to reach the API must not look like one that hangs.
function Client:network_wait(method, path, nerr, attempt, unreachable)
  local left, wait = self.max_retries - attempt
  if unreachable > 0 then
    left = math.min(left, M.UNREACHABLE_RETRIES - unreachable + 1)
    wait = M.UNREACHABLE_WAIT_MS
  else
    wait = backoff.delay(attempt + 1, self.retry)
  end
  if left <= 0 then return nil end
  log(self, "warn", ("%s %s: %s; sending again in %.1f s (attempt %d of at most %d)"):format(
    method, path, scrub(self, nerr and nerr.message or "no answer"), wait / 1000, attempt + 2,
    attempt + 1 + left))
  return wait
end

-- ---- token -----------------------------------------------------------------------------------

-- The token request's body: the client secret, or a fresh client assertion (each attempt its own:
-- a jti the server has seen is refused as a replay).
function Client:token_body()
  local s = SECRETS[self]
  if not s.assertion_maker then
    return assert(json.encode{
      grant_type = "client_credentials", client_id = self.client_id,
      client_secret = s.client_secret, audience = self.audience,
    })
  end
  local jwt, err = s.assertion_maker:make()
  if not jwt then return nil, err end
  s.assertion = jwt
  return assert(json.encode{
    grant_type = "client_credentials", client_id = self.client_id,
    client_assertion = jwt, client_assertion_type = ASSERTION_TYPE, audience = self.audience,
  })
end

function Client:fetch_token()
  local s = SECRETS[self]
  local attempt, unreachable = 0, 0
  while true do
    local body, berr = self:token_body()
    if not body then return nil, berr end
    self.counters.token_requests = self.counters.token_requests + 1
    local res, nerr = self:exchange{
      method = "POST", url = self.base_url .. "/oauth/token", body = body,
      headers = { ["Content-Type"] = "application/json", Accept = "application/json" },
      timeout_ms = self.timeout_ms,
    }
    local wait, err
    if not res then
      err = self:network_error("POST", "/oauth/token", nerr, attempt + 1)
      if backoff.network_error_kind(nerr) ~= "fatal" then
        unreachable = backoff.unreachable(nerr) and unreachable + 1 or 0
        wait = self:network_wait("POST", "/oauth/token", nerr, attempt, unreachable)
      end
    elseif res.status == 200 then
      local value = json.decode(res.body or "")
      if type(value) ~= "table" or type(value.access_token) ~= "string"
          or value.access_token == "" then
        return nil, errors.from{ code = "api_auth", status = 200, method = "POST",
                               path = "/oauth/token",
                               message = "the token answer has no access_token" }
      end
      local lifetime = tonumber(value.expires_in) or 86400
      local margin = math.min(M.TOKEN_MARGIN_S, lifetime / 10)
      s.token = { value = value.access_token, expires_at = self.now() + (lifetime - margin) * 1000 }
      log(self, "debug", "api token", { expires_in = lifetime })
      return s.token.value
    else
      local message, error_code = error_details(res)
      err = errors.from{ code = "api_auth", status = res.status, message = scrub(self, message),
                       error_code = error_code, method = "POST", path = "/oauth/token",
                       attempts = attempt + 1 }
      if res.status == 401 or res.status == 403 then
        err.hint = s.assertion_maker and ("check AUTH0_CLIENT_ID, AUTH0_CLIENT_SIGNING_KEY_PATH "
            .. "(its public key registered as the client's credential), "
            .. "AUTH0_CLIENT_SIGNING_ALGORITHM and AUTH0_AUDIENCE")
          or "check AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET and AUTH0_AUDIENCE"
      end
      if backoff.retryable_status(res.status) then
        if res.status == 429 then self.counters.rate_limited = self.counters.rate_limited + 1 end
        wait = res.status == 429 and backoff.rate_limit_wait(res.headers, self.epoch(),
                                                             { random = self.retry.random })
          or backoff.delay(attempt + 1, self.retry)
      end
    end
    if not wait or attempt >= self.max_retries then return nil, err end
    attempt = attempt + 1
    self.counters.retries = self.counters.retries + 1
    self.sleep(wait)
  end
end

-- The bearer token: the static one, the cached one, or one fetched once for all waiting tasks.
function Client:bearer()
  local s = SECRETS[self]
  if s.access_token then return s.access_token end
  if s.token and self.now() < s.token.expires_at then return s.token.value end
  local t = self.token_task
  if not t then
    t = tasks.spawn(function() return self:fetch_token() end)
    self.token_task = t
  end
  local value, err = t:wait()
  if self.token_task == t then self.token_task = nil end
  return value, err
end

function Client:forget_token(value)
  local s = SECRETS[self]
  if s.token and s.token.value == value then s.token = nil end
end

-- ---- requests --------------------------------------------------------------------------------

-- One exchange on the transport, within the client's concurrency. On its own scheduler that is
-- the scheduler's limit too; on one a fleet's tenants share, the scheduler's limit is the
-- fleet's, and without this one tenant could have all of it in flight, each request on a
-- connection of its own (up to the session's limit per host).
function Client:exchange(req)
  local slots = self.slots
  if not slots then return self.transport(req) end
  slots:acquire()
  local ok, res, err = pcall(self.transport, req)
  slots:release()
  if not ok then error(res, 0) end
  return res, err
end

-- The Authorization header's value for token, made once per token (a JWT: most of a request's
-- header bytes), kept with the client's secrets.
local function authorization(self, token)
  local s = SECRETS[self]
  local kept = s.authorization
  if not kept or kept.token ~= token then
    kept = { token = token, value = "Bearer " .. token }
    s.authorization = kept
  end
  return kept.value
end

-- One paced HTTP exchange: -> res | nil, network err
function Client:send(method, url, group, token, body, timeout_ms)
  local p = self.pacer
  local ticket = p:ticket(group)
  while true do
    local wait, probe = p:wait(ticket)
    if wait <= 0 then break end
    if probe and self.probe_signals then
      -- the first request of the bucket is out: wait for its answer rather than poll for it
      -- (a fleet's hundreds of tasks polling every few ms cost more than the requests)
      local since = self.now()
      self:await_probe(probe)
      self.counters.paced_ms = self.counters.paced_ms + (self.now() - since)
    else
      -- asked again at least every PACE_POLL_MS: the pacer may move the send earlier meanwhile
      wait = math.min(wait, M.PACE_POLL_MS)
      self.counters.paced_ms = self.counters.paced_ms + wait
      self.sleep(wait)
    end
  end
  local headers = {}
  for k, v in pairs(self.extra_headers) do headers[k] = v end
  headers.Authorization = authorization(self, token)
  headers.Accept = "application/json"
  if body then headers["Content-Type"] = "application/json" end
  local c = self.counters
  c.requests = c.requests + 1
  if method ~= "GET" and method ~= "HEAD" then c.writes = c.writes + 1 end
  local started = self.now()
  -- A POST goes on a fresh connection: libcurl silently sends a request again when a reused
  -- connection dies before answering, which would create a resource twice unseen.
  local ok, res, nerr = pcall(self.exchange, self, { method = method, url = url,
    headers = headers, body = body, timeout_ms = timeout_ms, fresh_connect = method == "POST" })
  if not ok then
    p:abandon(ticket)
    self:probe_done(ticket)
    error(res, 0)
  end
  if res then
    p:observe(ticket, res.status, res.headers)
    if res.status == 429 then c.rate_limited = c.rate_limited + 1 end
  else
    p:abandon(ticket)
  end
  self:probe_done(ticket)
  return res, nerr, self.now() - started
end

-- The tasks that wait for a probe's answer (pacer:wait's second value), by its ticket. Only with
-- the tasks scheduler's own sleep: a spec's sleep seam drives time itself, and polls.
function Client:await_probe(probe)
  local signal = self.probe_signals[probe]
  if not signal then
    signal = tasks.signal()
    self.probe_signals[probe] = signal
  end
  signal:wait()
end

function Client:probe_done(ticket)
  local signals = self.probe_signals
  local signal = signals and signals[ticket]
  if signal then
    signals[ticket] = nil
    signal:fire()
  end
end

local function check_opts(opts, what, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then misuse(what .. ": opts must be a table") end
  for k in pairs(opts) do
    if not allowed[k] then misuse(what .. ": unknown option " .. tostring(k)) end
  end
  return opts
end

local REQUEST_OPTS = { query = true, body = true, idempotent = true, timeout_ms = true }

-- The JSON text of a request body (nil: none); a value JSON cannot carry is misuse.
local function encode_body(value)
  if value == nil then return nil end
  local text, jerr = json.encode(value)
  if not text then
    misuse("client:request: the body cannot be sent as JSON: " .. tostring(jerr and jerr.message))
  end
  return text
end

-- After a send that got no answer -> the wait before sending again (nil: give up), err. A
-- request that is not idempotent and may have been applied is not sent again.
function Client:after_no_answer(req, nerr, ms)
  local method, path = req.method, req.path
  log(self, "debug", "api request failed", { method = method, path = path,
                                              error = nerr and nerr.code, ms = ms })
  local kind = backoff.network_error_kind(nerr)
  if kind == "lost" and not req.idempotent then
    return nil, self:network_error(method, path, nerr, req.attempt + 1, true)
  end
  local err = self:network_error(method, path, nerr, req.attempt + 1)
  local wait
  if kind ~= "fatal" then
    req.unreachable = backoff.unreachable(nerr) and req.unreachable + 1 or 0
    wait = self:network_wait(method, path, nerr, req.attempt, req.unreachable)
  end
  if kind == "lost" then req.lost = true end
  return wait, err
end

-- An answer that ends the request -> true, body, response; else false. Besides a 2xx: after an
-- attempt whose answer was lost, a DELETE's 404 (that attempt deleted it) and a POST's 409
-- (opts.idempotent: that attempt made it, it exists now).
function Client:final_answer(req, res)
  local status = res.status
  if status >= 200 and status < 300 then
    return true, decode_answer(req.method, req.path, res)
  end
  if status == 404 and req.method == "DELETE" and req.lost then return true, true, res end
  if status == 409 and req.method == "POST" and req.lost then
    self.counters.recovered = self.counters.recovered + 1
    res.recovered = true
    return true, true, res
  end
  return false
end

-- After an error answer -> the wait before sending again (nil: give up), err. A 401 with a
-- fetched token fetches a new one once; 408, 429 and 5xx wait.
function Client:after_error_answer(req, res, token)
  local status = res.status
  local err = self:http_error(req.method, req.path, res, req.attempt + 1)
  if status == 401 and not SECRETS[self].access_token and not req.refreshed then
    req.refreshed = true
    self:forget_token(token)
    return 0, err
  end
  if not backoff.retryable_status(status) then return nil, err end
  if status == 429 then
    -- the pacer blocks the bucket until the reset when the answer tells it; else wait here
    return backoff.header_number(res.headers, "x-ratelimit-limit") and 0
      or backoff.rate_limit_wait(res.headers, self.pacer:server_epoch(),
                                 { random = self.retry.random })
      or backoff.delay(req.attempt + 1, self.retry), err
  end
  return backoff.delay(req.attempt + 1, self.retry), err
end

-- The retry loop of client:request (arguments already checked).
function Client:perform(method, path, opts)
  if method ~= "GET" and method ~= "HEAD" then self.write_gen = self.write_gen + 1 end
  local url = self.api_url .. encode_path(path) .. encode_query(opts.query)
  local body = encode_body(opts.body)
  local group = group_of(method, path)
  local timeout_ms = opts.timeout_ms or self.timeout_ms
  local req = { method = method, path = path, idempotent = IDEMPOTENT[method]
    or opts.idempotent == true, attempt = 0, lost = false, refreshed = false, unreachable = 0 }
  while true do
    local token, terr = self:bearer()
    if not token then return nil, terr end
    local res, nerr, ms = self:send(method, url, group, token, body, timeout_ms)
    local wait, err
    if not res then
      wait, err = self:after_no_answer(req, nerr, ms)
    else
      if logs(self, "debug") then
        log(self, "debug", "api request", { method = method, path = path, status = res.status,
                                           ms = ms, attempt = req.attempt + 1 })
      end
      local final, value, answer = self:final_answer(req, res)
      if final then return value, answer end
      wait, err = self:after_error_answer(req, res, token)
    end
    if not wait or req.attempt >= self.max_retries then return nil, err end
    req.attempt = req.attempt + 1
    self.counters.retries = self.counters.retries + 1
    log(self, "debug", "api retry", { method = method, path = path, attempt = req.attempt,
                                      wait_ms = math.floor(wait) })
    if wait > 0 then self.sleep(wait) end
  end
end

local function check_request(method, path, what)
  if type(method) ~= "string" or not METHODS[method:upper()] then
    misuse(what .. ": method must be GET, POST, PUT, PATCH, DELETE or HEAD")
  end
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then
    misuse(what .. ": path must be a string starting with / (below /api/v2)")
  end
  if path:find("[?#%c]") then
    misuse(what .. ": path must not hold a query (use opts.query) or control characters")
  end
  return method:upper()
end

--- client:request(method, path [, opts]) -> body, response | nil, err
function Client:request(method, path, opts)
  method = check_request(method, path, "client:request")
  opts = check_opts(opts, "client:request", REQUEST_OPTS)
  check_query(opts.query, "client:request")
  if opts.timeout_ms ~= nil and (math.type(opts.timeout_ms) ~= "integer" or opts.timeout_ms < 1)
  then
    misuse("client:request: timeout_ms must be an integer >= 1")
  end
  self:check_task("client:request")
  if method == "GET" and (self.coalesce or self.memo) then return self:coalesced(path, opts) end
  return self:perform(method, path, opts)
end

-- client.coalesce: a GET asked for while the same GET is in flight, with no write begun by this
-- client since that one was sent, shares its answer: a second request could only get the same.
-- (Handlers that read a list from many tasks at once then cost one request.) Each caller gets
-- its own decoded copy of the body.
function Client:coalesced(path, opts)
  local key = path .. encode_query(opts.query)
  local kept = self.memo and self.memo[key]
  if kept and kept.gen == self.write_gen then
    self.counters.coalesced = self.counters.coalesced + 1
    return json.decode(kept.res.body), kept.res
  end
  local entry = self.inflight[key]
  if entry and entry.gen == self.write_gen then
    self.counters.coalesced = self.counters.coalesced + 1
    entry.done:wait()
    local body, res = entry.body, entry.res
    if not entry.ok then error(body, 0) end
    if body ~= nil and type(body) == "table" and res and res.body then
      body = json.decode(res.body)
    end
    return body, res
  end
  -- the first caller sends it from its own task (no task of its own per GET: a fleet reads
  -- thousands); those that ask meanwhile wait for done
  entry = { gen = self.write_gen, done = tasks.signal() }
  self.inflight[key] = entry
  local ok, body, res = pcall(self.perform, self, "GET", path, opts)
  entry.ok, entry.body, entry.res = ok, body, res
  if self.inflight[key] == entry then self.inflight[key] = nil end
  entry.done:fire()
  if not ok then error(body, 0) end
  -- (only a JSON object or array is kept: an error answer, 204 or 404, is asked again)
  if self.memo and type(body) == "table" and res and res.body then
    self.memo[key] = { gen = entry.gen, res = res }
  end
  return body, res
end

function Client:coalescing(fn, ...)
  if self.coalesce then return fn(...) end
  self.coalesce = true
  local out = table.pack(pcall(fn, ...))
  self.coalesce = false
  if not out[1] then error(out[2], 0) end
  return table.unpack(out, 2, out.n)
end

-- client.memo: the answers of the GETs sent while a plan is computed, for the other handlers
-- that read the same list (a form names flows, a flow vault connections, a token exchange
-- profile actions) while the type's own handler reads it too. Dropped when fn returns; a
-- write by this client makes every kept answer stale (write_gen), so answers a poll or a
-- look-up waits for are never kept past it (apply runs outside such a window anyway).
function Client:memoizing(fn, ...)
  if self.memo then return fn(...) end
  self.memo = {}
  local out = table.pack(pcall(fn, ...))
  self.memo = nil
  if not out[1] then error(out[2], 0) end
  return table.unpack(out, 2, out.n)
end

function Client:get(path, opts)
  return self:request("GET", path, opts)
end

function Client:delete(path, opts)
  return self:request("DELETE", path, opts)
end

local function with_body(self, method, path, body, opts)
  local o = copy(check_opts(opts, "client:" .. method:lower(), REQUEST_OPTS))
  o.body = body
  return self:request(method, path, o)
end

function Client:post(path, body, opts) return with_body(self, "POST", path, body, opts) end
function Client:patch(path, body, opts) return with_body(self, "PATCH", path, body, opts) end
function Client:put(path, body, opts) return with_body(self, "PUT", path, body, opts) end

-- ---- lists -----------------------------------------------------------------------------------

local function bad_response(path, message)
  return errors.from{ code = "api_bad_response", method = "GET", path = path, message = message }
end

-- The items of one page: a bare array, body[key], or the body's only array-valued property.
local function extract(body, key, path)
  if json.is_array(body) then return body end
  if type(body) ~= "table" then return nil, bad_response(path, "the answer is not a list") end
  if key then
    local v = body[key]
    if v == nil or v == json.null then return json.array() end
    if type(v) ~= "table" then
      return nil, bad_response(path, ("'%s' in the answer is not a list"):format(key))
    end
    return v
  end
  local found, names = nil, {}
  for k, v in pairs(body) do
    if type(v) == "table" and json.is_array(v) then
      found = v
      names[#names + 1] = tostring(k)
    end
  end
  if #names == 1 then return found end
  if #names == 0 then return json.array() end
  table.sort(names)
  return nil, bad_response(path, ("the answer has several lists (%s): say which with opts.key")
    :format(table.concat(names, ", ")))
end

local function append(items, more)
  local n = #items
  for i = 1, #more do items[n + i] = more[i] end
end

local function checkpoint_capable(path)
  for _, pattern in ipairs(M.CHECKPOINT_PATHS) do
    if path:match(pattern) then return true end
  end
  return false
end
M.checkpoint_capable = checkpoint_capable

function Client:list_checkpoint(path, key, query, opts)
  local q = copy(query)
  q.page, q.per_page, q.include_totals = nil, nil, nil
  q.take, q.from = opts.take or M.TAKE, nil
  local items, seen = json.array(), {}
  while true do
    local body, err = self:get(path, { query = q })
    if not body then return nil, err end
    local page, perr = extract(body, key, path)
    if not page then return nil, perr end
    append(items, page)
    if json.is_array(body) then return items end
    local nxt = body.next
    if nxt == nil or nxt == json.null or nxt == "" then return items end
    if type(nxt) ~= "string" and type(nxt) ~= "number" then
      return nil, bad_response(path, "the answer's next is not a checkpoint")
    end
    nxt = tostring(nxt)
    if seen[nxt] then
      return nil, bad_response(path, "the checkpoint paging went round in a loop")
    end
    seen[nxt] = true
    q.from = nxt
  end
end

-- Pages first .. last of a page-numbered list, read concurrently and appended to items in
-- page order -> items | nil, err
function Client:append_pages(path, key, q, items, first, last)
  local fns = {}
  for page = first, last do
    fns[#fns + 1] = function()
      local pq = copy(q)
      pq.page = page
      local body, err = self:get(path, { query = pq })
      if not body then return nil, err end
      return extract(body, key, path)
    end
  end
  local values, errs = tasks.all(fns)
  for i = 1, #fns do
    if not values[i] then return nil, errs[i] end
  end
  for _, page in ipairs(values) do append(items, page) end
  return items
end

-- The items of one page of a list (a fresh array) and the total the answer gives (nil when it
-- gives none) -> items, total | nil, err
function Client:read_page(path, key, q)
  local body, err = self:get(path, { query = q })
  if not body then return nil, err end
  local first, perr = extract(body, key, path)
  if not first then return nil, perr end
  local items = json.array()
  append(items, first)
  local total = type(body) == "table" and not json.is_array(body) and math.tointeger(body.total)
  return items, total or nil
end

-- Pages one by one while they come back full (for answers that carry no total).
-- offset: page numbers past the 1,000 records are refused (checkpoint instead when capable).
function Client:pages_until_short(path, key, q, items, per_page, offset, capable, opts)
  local page, last_size = 0, #items
  while last_size >= per_page do
    page = page + 1
    if offset and page * per_page >= M.OFFSET_LIMIT then
      if capable then return self:list_checkpoint(path, key, opts.query or {}, opts) end
      return nil, errors.from{ code = "api_paging_limit", method = "GET", path = path,
        message = ("more than the %d records offset paging can reach, and the endpoint has no "
          .. "checkpoint paging"):format(M.OFFSET_LIMIT) }
    end
    local pq = copy(q)
    pq.page = page
    local body, err = self:get(path, { query = pq })
    if not body then return nil, err end
    local more, perr = extract(body, key, path)
    if not more then return nil, perr end
    append(items, more)
    last_size = #more
  end
  return items
end

-- tolerant (create's look-up): a count that changed while the list was read is not an error;
-- the items read are returned with true after them (some may be missing or read twice).
function Client:list_offset(path, key, query, opts, again, tolerant)
  local per_page = opts.per_page or M.PER_PAGE
  local capable = opts.checkpoint
  if capable == nil then capable = checkpoint_capable(path) end
  local q = copy(query)
  q.page, q.per_page, q.include_totals = 0, per_page, true
  local items, total = self:read_page(path, key, q)
  if not items then return nil, total end
  if not total then
    return self:pages_until_short(path, key, q, items, per_page, true, capable, opts)
  end
  if total <= #items then return items end
  if total > M.OFFSET_LIMIT then
    if capable then return self:list_checkpoint(path, key, query, opts) end
    return nil, errors.from{ code = "api_paging_limit", method = "GET", path = path,
      message = ("%d records: more than the %d offset paging can reach, and the endpoint has "
        .. "no checkpoint paging"):format(total, M.OFFSET_LIMIT) }
  end
  local ok, perr = self:append_pages(path, key, q, items, 1, math.ceil(total / per_page) - 1)
  if not ok then return nil, perr end
  if #items ~= total then
    -- read again for real: the pages kept for this plan are the ones that did not add up
    if self.memo then self.memo = {} end
    if not again then return self:list_offset(path, key, query, opts, true, tolerant) end
    if tolerant then return items, true end
    return nil, errors.from{ code = "api_list_changed", method = "GET", path = path,
      message = ("read %d items where the API counted %d: the list changed while it was read")
        :format(#items, total) }
  end
  return items
end

function Client:list_actions(path, key, query, opts)
  local per_page = opts.per_page or M.PER_PAGE
  local q = copy(query)
  q.page, q.per_page = 0, per_page
  local items, total = self:read_page(path, key, q)
  if not items then return nil, total end
  if not total then
    return self:pages_until_short(path, key, q, items, per_page, false, false, opts)
  end
  if total <= #items then return items end
  return self:append_pages(path, key, q, items, 1, math.ceil(total / per_page) - 1)
end

local LIST_OPTS = { paging = true, key = true, query = true, per_page = true, take = true,
                    checkpoint = true }
local PAGING = { offset = true, checkpoint = true, actions = true, none = true }

local function check_list_opts(opts, what)
  opts = check_opts(opts, what, LIST_OPTS)
  if opts.paging ~= nil and not PAGING[opts.paging] then
    misuse(what .. ": paging must be offset, checkpoint, actions or none")
  end
  if opts.key ~= nil and type(opts.key) ~= "string" then
    misuse(what .. ": key must be a string")
  end
  for _, name in ipairs({ "per_page", "take" }) do
    local v = opts[name]
    if v ~= nil and (math.type(v) ~= "integer" or v < 1) then
      misuse(("%s: %s must be an integer >= 1"):format(what, name))
    end
  end
  return opts
end

--- client:list(path [, opts]) -> array | nil, err
function Client:list(path, opts)
  check_request("GET", path, "client:list")
  opts = check_list_opts(opts, "client:list")
  check_query(opts.query, "client:list")
  self:check_task("client:list")
  local paging, key, query = opts.paging or "offset", opts.key, opts.query or {}
  if paging == "offset" then return self:list_offset(path, key, query, opts) end
  if paging == "checkpoint" then return self:list_checkpoint(path, key, query, opts) end
  if paging == "actions" then return self:list_actions(path, key, query, opts) end
  local items, err = self:read_page(path, key, query)
  if not items then return nil, err end
  return items
end

M.LOOKUP_READS = 3

-- create's look-up: the first item of the list that find accepts -> item | nil [, err]. Other
-- creates of this run (concurrent tasks) may change the list while it is read: an offset read
-- whose count changed is still searched, and read again (LOOKUP_READS in all) when the item is
-- not in it, since a shifted page may have hidden it.
function Client:look_up(path, list_opts, find)
  for _ = 1, M.LOOKUP_READS do
    local items, changed
    if (list_opts.paging or "offset") == "offset" then
      items, changed = self:list_offset(path, list_opts.key, list_opts.query or {}, list_opts,
                                        false, true)
    else
      items, changed = self:list(path, list_opts)
    end
    if not items then return nil, changed end
    for _, item in ipairs(items) do
      if find(item) then return item end
    end
    if changed ~= true then return nil end
  end
  return nil, errors.from{ code = "api_list_changed", method = "GET", path = path,
    message = ("the list changed on each of %d reads, and the item sought was not in it")
      :format(M.LOOKUP_READS) }
end

local CREATE_OPTS = { find = true, list = true, list_path = true, query = true, timeout_ms = true }

--- client:create(path, body [, opts]) -> created, response | nil, err
function Client:create(path, body, opts)
  check_request("POST", path, "client:create")
  opts = check_opts(opts, "client:create", CREATE_OPTS)
  if opts.find ~= nil and type(opts.find) ~= "function" then
    misuse("client:create: find must be a function")
  end
  local list_opts = check_list_opts(opts.list, "client:create (list)")
  local list_path = opts.list_path or path
  check_request("GET", list_path, "client:create (list_path)")
  check_query(opts.query, "client:create")
  self:check_task("client:create")
  local send = { body = body, query = opts.query, timeout_ms = opts.timeout_ms }
  local created, res = self:perform("POST", path, send)
  local tries = 0
  while not created and opts.find and tries <= self.max_retries
      and (res.maybe_applied or res.status == 409) do
    -- A lost answer, or a 409: libcurl itself sends a request again, unseen, when a reused
    -- connection dies before any answer, so "already exists" can be this very create.
    tries = tries + 1
    self.counters.lookups = self.counters.lookups + 1
    local conflict = res.status == 409 and res or nil
    log(self, "warn", conflict and "a create met a conflict; looking for the existing item"
      or "the answer to a create was lost; looking for it before sending again",
        { method = "POST", path = path })
    local found, lerr = self:look_up(list_path, list_opts, opts.find)
    if lerr then return nil, lerr end
    if found then
      self.counters.recovered = self.counters.recovered + 1
      return found, { status = 200, headers = {}, recovered = true, conflict = conflict ~= nil }
    end
    if conflict or tries > self.max_retries then return nil, res end
    self.counters.retries = self.counters.retries + 1
    created, res = self:perform("POST", path, send)
  end
  return created, res
end

return M
