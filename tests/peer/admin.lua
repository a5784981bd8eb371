-- tests/peer/admin.lua: the peer check's HTTP helper, for the emulator's admin endpoints and for
-- probing the TLS terminator.
--
--   a0lua run tests/peer/admin.lua [--ca FILE] [--expect STATUS] METHOD URL [OUT]
--       sends one request (no body); writes the response body to OUT (or stdout) and exits 0 on
--       a 2xx (or on STATUS when --expect is given), else prints "METHOD URL: <status or network
--       error>" on stderr and exits 1. --ca FILE verifies TLS against FILE only (the throwaway
--       certificate). The admin endpoints (/__emulator/*) answer only requests sent to the
--       emulator's own address: call them at its http://127.0.0.1:PORT, never through stunnel.
--   a0lua run tests/peer/admin.lua summary LOG_JSON
--       reads a request log (GET /__emulator/requests) and prints one line per distinct
--       (method, path, status) answered with a status >= 400, with its count, for the gaps list.
--   a0lua run tests/peer/admin.lua tokens LOG_JSON
--       checks that every POST /oauth/token of a request log sent client_assertion and
--       client_assertion_type and no client_secret (the private-key JWT runs); prints the count,
--       exits 1 when one did not or when there was none.
--   PEER_CLIENT_SECRET=S a0lua run tests/peer/admin.lua seed BASE_URL CLIENT_ID [CLIENT_NAME...]
--       puts into the tenant, through the Management API, what the example tenant.yaml expects
--       to be there already: the actions it names without defining them, built and deployed
--       ("custom-token-exchange-action", trigger custom-token-exchange, for its token exchange
--       profile; "action-name", trigger event-stream, for its action event stream; "ldoorz",
--       trigger send-phone-message, which the example directory binds); the clients named after
--       CLIENT_ID, as machine-to-machine applications (the example directory's grant is for "My
--       M2M", a client it does not define, while the YAML example defines it); and
--       version 1 of its two action modules, which its actions use by version number while the
--       file does not ask a0deploy to publish them (no all_changes_published: true).
local http = require("a0lua.core.http")
local json = require("a0lua.core.json")

local M = {}

-- request(method, url [, opts]) -> status, body | nil, message
-- opts: ca_file, headers, body (a string, or a table sent as JSON).
function M.request(method, url, opts)
  opts = opts or {}
  local headers, body = opts.headers or {}, opts.body
  if type(body) == "table" then
    body = assert(json.encode(body))
    headers["Content-Type"] = "application/json"
  end
  local session = http.session({ ca_file = opts.ca_file, proxy = "", timeout_ms = 15000 })
  session:submit({ method = method, url = url, headers = headers, body = body })
  local done = {}
  while #done == 0 do done = session:poll(1000) end
  session:close()
  local c = done[1]
  if c.err then return nil, c.err.message end
  return c.status, c.body
end

M.SEED_ACTIONS = {
  {
    name = "custom-token-exchange-action",
    supported_triggers = { { id = "custom-token-exchange", version = "v1" } },
    code = "exports.onExecuteCustomTokenExchange = async (event, api) => {};\n",
    runtime = "node22",
  },
  {
    name = "action-name",
    supported_triggers = { { id = "event-stream", version = "v1" } },
    code = "exports.onExecuteEventStream = async (event, api) => {};\n",
    runtime = "node22",
  },
  {
    name = "ldoorz",
    supported_triggers = { { id = "send-phone-message", version = "v1" } },
    code = "exports.onExecuteSendPhoneMessage = async (event, api) => {};\n",
    runtime = "node22",
  },
}

M.SEED_MODULES = { "auth-helper", "notification-helper" }

-- seed(base_url, client_id, client_secret, client_names) -> true | nil, message
function M.seed(base, client_id, client_secret, client_names)
  local function call(method, path, body, token)
    local status, text = M.request(method, base .. path, {
      body = body, headers = token and { Authorization = "Bearer " .. token } or nil,
    })
    if not status then return nil, ("%s %s: %s"):format(method, path, text) end
    local value = json.decode(text ~= "" and text or "null")
    if status >= 300 then
      return nil, ("%s %s: status %d: %s"):format(method, path, status, text:sub(1, 300))
    end
    return value
  end
  local grant, err = call("POST", "/oauth/token", {
    grant_type = "client_credentials", client_id = client_id, client_secret = client_secret,
    audience = base:gsub("^http:", "https:") .. "/api/v2/",
  })
  if not grant then return nil, err end
  local token = grant.access_token
  for _, seed_action in ipairs(M.SEED_ACTIONS) do
    local action
    action, err = call("POST", "/api/v2/actions/actions", seed_action, token)
    if not action then return nil, err end
    local deadline = os.time() + 30
    while action.status ~= "built" do
      if os.time() > deadline then return nil, "the seeded action was not built in 30 s" end
      os.execute("sleep 0.2")
      action, err = call("GET", "/api/v2/actions/actions/" .. action.id, nil, token)
      if not action then return nil, err end
    end
    local deployed
    deployed, err = call("POST", "/api/v2/actions/actions/" .. action.id .. "/deploy", nil, token)
    if not deployed then return nil, err end
  end
  for _, name in ipairs(client_names or {}) do
    local made
    made, err = call("POST", "/api/v2/clients",
      { name = name, app_type = "non_interactive" }, token)
    if not made then return nil, err end
  end
  for _, name in ipairs(M.SEED_MODULES) do
    local module, version
    module, err = call("POST", "/api/v2/actions/modules", {
      name = name, code = "module.exports = {};\n",
    }, token)
    if not module then return nil, err end
    version, err = call("POST", "/api/v2/actions/modules/" .. module.id .. "/versions", nil, token)
    if not version then return nil, err end
  end
  return true
end

-- The request log may be a bare array or wrapped ({requests = [...]}).
local function entries_of(log)
  if json.is_array(log) then return log end
  if type(log) == "table" then
    for _, v in pairs(log) do
      if json.is_array(v) then return v end
    end
  end
  return {}
end

-- Lines "count  METHOD path -> status" for the failed requests of a log, sorted.
function M.failures(log)
  local counts, keys = {}, {}
  for _, e in ipairs(entries_of(log)) do
    local status = tonumber(e.status)
    if status and status >= 400 then
      local key = ("%s %s -> %d"):format(tostring(e.method), tostring(e.path), status)
      if not counts[key] then keys[#keys + 1] = key end
      counts[key] = (counts[key] or 0) + 1
    end
  end
  table.sort(keys)
  local lines = {}
  for _, key in ipairs(keys) do lines[#lines + 1] = ("%4d  %s"):format(counts[key], key) end
  return lines, #entries_of(log)
end

-- The token requests of a log: how many, and how many did not authenticate by assertion.
function M.token_auth(log)
  local total, without = 0, 0
  for _, e in ipairs(entries_of(log)) do
    if e.method == "POST" and e.path == "/oauth/token" then
      total = total + 1
      local body = e.body
      local names = {}
      if type(body) == "table" then
        for k in pairs(body) do names[k] = true end
      elseif type(body) == "string" then
        for k in body:gmatch("([^&=]+)=[^&]*") do names[k] = true end
      end
      if not (names.client_assertion and names.client_assertion_type)
          or names.client_secret then
        without = without + 1
      end
    end
  end
  return total, without
end

local function main(args)
  if args[1] == "seed" then
    local ok, err = M.seed(args[2], args[3], os.getenv("PEER_CLIENT_SECRET"),
      { table.unpack(args, 4) })
    if not ok then
      io.stderr:write("seed: ", err, "\n")
      return 1
    end
    local names = {}
    for i, a in ipairs(M.SEED_ACTIONS) do names[i] = a.name end
    io.stdout:write("seeded actions ", table.concat(names, ", "), ", action modules ",
      table.concat(M.SEED_MODULES, ", "), " (version 1)\n")
    return 0
  end
  if args[1] == "tokens" then
    local f = assert(io.open(args[2], "rb"))
    local log, err = json.decode(f:read("a"))
    f:close()
    if log == nil then error("admin.lua: request log: " .. tostring(err), 0) end
    local total, without = M.token_auth(log)
    io.stdout:write(("%d token requests, %d by client assertion\n"):format(total,
      total - without))
    return (total > 0 and without == 0) and 0 or 1
  end
  if args[1] == "summary" then
    local f = assert(io.open(args[2], "rb"))
    local log, err = json.decode(f:read("a"))
    f:close()
    if log == nil then error("admin.lua: request log: " .. tostring(err), 0) end
    local lines, total = M.failures(log)
    io.stdout:write(("%d requests, %d distinct failures\n"):format(total, #lines))
    for _, line in ipairs(lines) do io.stdout:write(line, "\n") end
    return 0
  end
  local i, ca, expect = 1, nil, nil
  if args[i] == "--ca" then ca, i = args[i + 1], i + 2 end
  if args[i] == "--expect" then expect, i = tonumber(args[i + 1]), i + 2 end
  local method, url, out = args[i], args[i + 1], args[i + 2]
  if not (method and url) then
    error("usage: a0lua run tests/peer/admin.lua [--ca FILE] [--expect STATUS] METHOD URL [OUT]",
      0)
  end
  local status, body = M.request(method, url, { ca_file = ca })
  if not status then
    io.stderr:write(("%s %s: %s\n"):format(method, url, body))
    return 1
  end
  if out then
    local f = assert(io.open(out, "wb"))
    f:write(body)
    f:close()
  else
    io.stdout:write(body)
  end
  if (expect and status ~= expect) or (not expect and (status < 200 or status > 299)) then
    io.stderr:write(("%s %s: status %d\n"):format(method, url, status))
    return 1
  end
  return 0
end

if arg and arg[0] and arg[0]:match("admin%.lua$") then return main(arg) end
return M
