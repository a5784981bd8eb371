-- tests/peer/differential.lua: compares the emulator state a0deploy's import left with the one
-- a0lua's import of the same files left (issue 4 item 12; tests/peer/differential.sh runs it).
--
--   a0lua run tests/peer/differential.lua [--known FILE] [--fixture NAME] [--replace FROM=TO]...
--     [--write-normalised PREFIX] STATE_A0DEPLOY STATE_A0LUA
--
-- STATE_* are GET /__emulator/state dumps (JSON). Both are normalised, then compared:
--   * server-made ids become the names they stand for: every id of a collection item (clients'
--     client_id, every other item's id) is replaced, wherever it occurs (values, inside strings,
--     the state's own path keys), by "{COLLECTION:NAME}", where NAME is the item's name,
--     identifier, display_name, key or version number (a client grant: "CLIENT->AUDIENCE"). Ids
--     left over that look server-made (UUIDs, con_..., 24 hex digits) become "{id}".
--   * server-made values are dropped: every field named *_at, build_time, the streams' partner
--     event sources, the clients' generated client_secret and signing_keys, credentials' kid,
--     custom domains' verification, flow vault connections' fingerprint.
--   * each --replace FROM=TO is applied to every string (the two runs' domains and ports).
--   * arrays of objects whose items all carry a distinct name (the labels above) are compared as
--     maps by that name; other arrays of objects as sorted lists; arrays of scalars in order,
--     except the sets of SET_FIELDS below, compared sorted.
--   * a state key one side lacks and the other has as an empty list is no difference: the
--     emulator answers a GET of a list path it holds nothing for with that empty list
--     (a0deploy PATCHes a trigger's empty bindings, a0lua sees nothing to change). Nor is one
--     the other holds with the value a fresh emulator answers a GET of it with (a setting
--     nobody wrote reads as its default: a0deploy PUTs the phone factor's provider `auth0`
--     on every run, a0lua sees nothing to change).
-- Each difference is printed on one line: PATH: a0deploy VALUE, a0lua VALUE, where PATH is the
-- state key followed by [NAME] for a named item, [i] for a list position and .field for a field.
-- With --known FILE (a Lua file returning a list of { path = GLOB, fixture = NAME?, reason = }),
-- a difference whose path matches an entry's glob (`*` matches anything; the fixture, if given,
-- must be this run's) is listed as known with its reason; any other makes the exit status 1.
-- --write-normalised PREFIX writes the two normalised states to PREFIX.a0deploy.json and
-- PREFIX.a0lua.json (for reading a difference in context).
local json = require("a0lua.core.json")

local M = {}

local null = json.null

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then error(("differential.lua: cannot read %s: %s"):format(path, err), 0) end
  local text = f:read("a")
  f:close()
  return text
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function is_array(v)
  return type(v) == "table" and (json.is_array(v) or #v > 0)
end

local function canonical(v)
  return assert(json.encode(v))
end

---------------------------------------------------------------------------------------------------
-- Normalisation.

-- Fields the server fills in with values that differ from run to run (the partner event source /
-- topic of a stream to AWS or Azure: a new UUID inside a string).
local SERVER_MADE = { build_time = true, awsPartnerEventSource = true, azurePartnerTopic = true,
  aws_partner_event_source = true }
local function dropped(key)
  return type(key) == "string" and (key:match("_at$") or SERVER_MADE[key] == true)
end
local CLIENT_GENERATED = { client_secret = true, signing_keys = true }
-- Random values the emulator makes for other collections' items: a credential's kid (Auth0
-- derives it from the key; the emulator draws one), a custom domain's verification record and a
-- flow vault connection's fingerprint.
local GENERATED = {
  { key = "^/clients/[^/]+/credentials$", fields = { kid = true } },
  { key = "^/custom%-domains$", fields = { verification = true } },
  { key = "^/flows/vault/connections$", fields = { fingerprint = true } },
}

local function generated(parent_key, k)
  if parent_key == "/clients" then return CLIENT_GENERATED[k] end
  for _, g in ipairs(GENERATED) do
    if type(parent_key) == "string" and parent_key:match(g.key) and g.fields[k] then return true end
  end
  return false
end
-- Arrays the API keeps as sets: their order is the order the writes happened to come in.
local SET_FIELDS = { enabled_clients = true }

-- Ids the emulator makes (a0lua.emulator.ids, docs/emulator.md): a whole string that is a UUID,
-- 24 hex digits, or one of these prefixes and at least 16 letters and digits.
local ID_PREFIXES = {}
for prefix in ([[con rol org cgr rul cd lst ssp acl uap cop tep est pro tem cred ap af ac
  rlp]]):gmatch("%a+") do
  ID_PREFIXES[prefix] = true
end
local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local function looks_made(s)
  if s:match(UUID) or s:match("^" .. ("%x"):rep(24) .. "$") then return true end
  local prefix, rest = s:match("^(%l+)_(%w+)$")
  return prefix ~= nil and ID_PREFIXES[prefix] == true and #rest >= 16
end

local function item_name(key, item)
  if key == "/client-grants" then return nil end  -- named in a second pass (ids of clients)
  for _, field in ipairs({ "name", "identifier", "display_name", "key" }) do
    if type(item[field]) == "string" and item[field] ~= "" then return item[field] end
  end
  if type(item.number) == "number" then return ("v%d"):format(item.number) end
  return nil
end

local function segments(key)
  local n = 0
  for _ in key:gmatch("/") do n = n + 1 end
  return n
end

-- Replaces every id token of `s` that `ids` knows by its label.
local function replace_ids(s, ids)
  return (s:gsub("[%w_%-]+", function(token) return ids[token] end))
end

local function apply_replacements(s, replacements)
  for _, r in ipairs(replacements) do
    local from = r[1]:gsub("%p", "%%%0")
    s = s:gsub(from, (r[2]:gsub("%%", "%%%%")))
  end
  return s
end

-- The id -> label map of one state.
function M.labels(state)
  local ids = {}
  local keys = sorted_keys(state)
  table.sort(keys, function(a, b)
    local sa, sb = segments(a), segments(b)
    if sa ~= sb then return sa < sb end
    return a < b
  end)
  local function name_items(key, namer)
    local value = state[key]
    if not is_array(value) then return end
    local label_key = replace_ids(key, ids)
    for _, item in ipairs(value) do
      if type(item) == "table" then
        local id = item[key == "/clients" and "client_id" or "id"]
        local name = namer(key, item)
        if type(id) == "string" and name and not ids[id] then
          ids[id] = ("{%s:%s}"):format(label_key, name)
        end
      end
    end
  end
  for _, key in ipairs(keys) do name_items(key, item_name) end
  name_items("/client-grants", function(_, grant)
    if type(grant.client_id) ~= "string" then return nil end
    return ("%s->%s"):format(ids[grant.client_id] or grant.client_id, tostring(grant.audience))
  end)
  return ids
end

local function normalise_value(v, ids, replacements, parent_key)
  if type(v) == "string" then
    local s = apply_replacements(replace_ids(v, ids), replacements)
    if ids[v] == nil and looks_made(s) then return "{id}" end
    return s
  end
  if type(v) ~= "table" then return v end
  if is_array(v) then
    local out = json.array()
    for i, item in ipairs(v) do out[i] = normalise_value(item, ids, replacements) end
    return out
  end
  local out = {}
  for k, item in pairs(v) do
    if not dropped(k) and not generated(parent_key, k) then
      local value = normalise_value(item, ids, replacements)
      if SET_FIELDS[k] and is_array(value) then
        table.sort(value, function(x, y) return canonical(x) < canonical(y) end)
      end
      out[apply_replacements(replace_ids(k, ids), replacements)] = value
    end
  end
  return out
end

-- normalise(state, replacements) -> the state with ids, server values and hosts normalised.
function M.normalise(state, replacements)
  local ids = M.labels(state)
  local out = {}
  for key, value in pairs(state) do
    local nkey = apply_replacements(replace_ids(key, ids), replacements)
    if is_array(value) then
      local list = json.array()
      for i, item in ipairs(value) do list[i] = normalise_value(item, ids, replacements, key) end
      out[nkey] = list
    else
      out[nkey] = normalise_value(value, ids, replacements, key)
    end
  end
  return out
end

---------------------------------------------------------------------------------------------------
-- Comparison.

local function label_of(item)
  if type(item) ~= "table" or is_array(item) then return nil end
  for _, field in ipairs({ "name", "identifier", "display_name", "key", "client_id", "id" }) do
    if type(item[field]) == "string" then
      if field == "client_id" and item.audience then
        return item.client_id .. "->" .. tostring(item.audience)
      end
      return item[field]
    end
  end
  if type(item.number) == "number" then return "v" .. item.number end
  return nil
end

-- The items of an array keyed by their labels, or nil when they do not all have distinct ones.
local function by_label(list)
  local map, order = {}, {}
  for _, item in ipairs(list) do
    local label = label_of(item)
    if not label or map[label] then return nil end
    map[label] = item
    order[#order + 1] = label
  end
  return map, order
end

local function show(v)
  if v == nil then return "(absent)" end
  if v == null then return "null" end
  local text = canonical(v)
  if #text > 160 then text = text:sub(1, 157) .. "..." end
  return text
end

-- diff(a, b, path, out): appends { path =, a =, b = } for each difference.
function M.diff(a, b, path, out)
  out = out or {}
  if type(a) == "table" and type(b) == "table" and is_array(a) == is_array(b) then
    if is_array(a) then
      local ma, oa = by_label(a)
      local mb, ob = by_label(b)
      if ma and mb and (#a > 0 or #b > 0) and type(a[1] or b[1]) == "table" then
        local seen = {}
        for _, label in ipairs(oa) do
          seen[label] = true
          M.diff(ma[label], mb[label], ("%s[%s]"):format(path, label), out)
        end
        for _, label in ipairs(ob) do
          if not seen[label] then M.diff(nil, mb[label], ("%s[%s]"):format(path, label), out) end
        end
        return out
      end
      local la, lb = a, b
      if type(a[1]) == "table" or type(b[1]) == "table" then
        la, lb = {}, {}
        for i, v in ipairs(a) do la[i] = v end
        for i, v in ipairs(b) do lb[i] = v end
        table.sort(la, function(x, y) return canonical(x) < canonical(y) end)
        table.sort(lb, function(x, y) return canonical(x) < canonical(y) end)
      end
      if type(la[1]) ~= "table" and type(lb[1]) ~= "table" then
        -- A list of scalars differs as a whole.
        if canonical(la) ~= canonical(lb) then out[#out + 1] = { path = path, a = a, b = b } end
        return out
      end
      for i = 1, math.max(#la, #lb) do
        M.diff(la[i], lb[i], ("%s[%d]"):format(path, i - 1), out)
      end
      return out
    end
    local keys = {}
    for k in pairs(a) do keys[k] = true end
    for k in pairs(b) do keys[k] = true end
    for _, k in ipairs(sorted_keys(keys)) do
      M.diff(a[k], b[k], path == "" and k or path .. "." .. k, out)
    end
    return out
  end
  if a == b then return out end
  if type(a) == "table" and type(b) == "table" and canonical(a) == canonical(b) then return out end
  out[#out + 1] = { path = path, a = a, b = b }
  return out
end

-- compare(a, b) -> differences between two normalised states, by state key.
-- What a fresh emulator answers a GET of a state key with (nil when it is not 200, or the key
-- names an item: ids were replaced by names); the emulator is made on first use.
function M.fresh_answers()
  local emu, token
  return function(key)
    if type(key) ~= "string" or key:find("{", 1, true) then return nil end
    if not emu then
      emu = assert(require("a0lua.emulator").new{ listen = false, error_log = function() end })
      token = emu:token()
    end
    local res = emu:handle{ method = "GET", path = "/api/v2" .. key, query = {},
      headers = { authorization = "Bearer " .. token }, body = "" }
    if res.status ~= 200 then return nil end
    return json.decode(res.body)
  end
end

-- compare(a, b [, fresh]) -> differences; fresh(key) -> what a GET of a key nobody wrote answers
function M.compare(a, b, fresh)
  local out = {}
  local keys = {}
  for k in pairs(a) do keys[k] = true end
  for k in pairs(b) do keys[k] = true end
  local function empty(v) return v == nil or (json.is_array(v) and #v == 0) end
  local function unwritten(key, v)
    if v == nil or not fresh then return false end
    local answer = fresh(key)
    if answer == nil then return false end
    local found = {}
    M.diff(v, answer, key, found)
    return #found == 0
  end
  for _, key in ipairs(sorted_keys(keys)) do
    local va, vb = a[key], b[key]
    local same = (va == nil or vb == nil) and (empty(va) and empty(vb)
      or (va == nil and unwritten(key, vb)) or (vb == nil and unwritten(key, va)))
    if not same then M.diff(va, vb, key, out) end
  end
  return out
end

---------------------------------------------------------------------------------------------------
-- Known differences.

local function glob_pattern(glob)
  return "^" .. glob:gsub("[%^%$%(%)%%%.%[%]%+%-%?]", "%%%0"):gsub("%*", ".*") .. "$"
end

-- classify(differences, known, fixture) -> new (list), used (entry -> count)
function M.classify(differences, known, fixture)
  local new, used = {}, {}
  for _, d in ipairs(differences) do
    for _, entry in ipairs(known) do
      if (entry.fixture == nil or entry.fixture == fixture)
          and d.path:match(glob_pattern(entry.path)) then
        d.known = entry
        used[entry] = (used[entry] or 0) + 1
        break
      end
    end
    if not d.known then new[#new + 1] = d end
  end
  return new, used
end

local function load_known(path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then error("differential.lua: " .. tostring(err), 0) end
  local known = chunk()
  for i, entry in ipairs(known) do
    if type(entry.path) ~= "string" or type(entry.reason) ~= "string" or entry.reason == "" then
      error(("differential.lua: %s: entry %d needs a path and a reason"):format(path, i), 0)
    end
  end
  return known
end

local function decode_file(path)
  local value, err = json.decode(read(path))
  if type(value) ~= "table" then
    error(("differential.lua: %s: %s"):format(path, tostring(err or "not a JSON object")), 0)
  end
  return value
end

local USAGE = "usage: a0lua run tests/peer/differential.lua [--known FILE] [--fixture NAME] "
  .. "[--label NAME] [--replace FROM=TO]... [--write-normalised PREFIX] STATE_A0DEPLOY STATE_A0LUA"

local function main(args)
  local known_path, fixture, name, prefix, replacements, files = nil, nil, nil, nil, {}, {}
  local i = 1
  while args[i] do
    local a = args[i]
    if a == "--known" or a == "--fixture" or a == "--label" or a == "--replace"
        or a == "--write-normalised" then
      local v = args[i + 1]
      if not v then error(USAGE, 0) end
      if a == "--known" then known_path = v
      elseif a == "--fixture" then fixture = v
      elseif a == "--label" then name = v
      elseif a == "--write-normalised" then prefix = v
      else
        local from, to = v:match("^(.-)=(.*)$")
        if not from or from == "" then error(USAGE, 0) end
        replacements[#replacements + 1] = { from, to }
      end
      i = i + 2
    else
      files[#files + 1] = a
      i = i + 1
    end
  end
  if #files ~= 2 then error(USAGE, 0) end
  table.sort(replacements, function(x, y) return #x[1] > #y[1] end)
  local a = M.normalise(decode_file(files[1]), replacements)
  local b = M.normalise(decode_file(files[2]), replacements)
  if prefix then
    for suffix, state in pairs({ a0deploy = a, a0lua = b }) do
      local f = assert(io.open(("%s.%s.json"):format(prefix, suffix), "wb"))
      f:write(assert(json.encode(state, { pretty = true })), "\n")
      f:close()
    end
  end
  local differences = M.compare(a, b, M.fresh_answers())
  local known = known_path and load_known(known_path) or {}
  local new = M.classify(differences, known, fixture)
  name = name or fixture
  local label = name and (name .. ": ") or ""
  for _, d in ipairs(differences) do
    io.stdout:write(("%s%s %s: a0deploy %s, a0lua %s\n"):format(label,
      d.known and "known" or "NEW", d.path, show(d.a), show(d.b)))
    if d.known then io.stdout:write("    (", d.known.reason, ")\n") end
  end
  io.stdout:write(("%sdifferential: %d state keys compared, %d differences, %d known, %d new\n")
    :format(label, #sorted_keys(a), #differences, #differences - #new, #new))
  return #new == 0 and 0 or 1
end

if arg and arg[0] and arg[0]:match("differential%.lua$") then os.exit(main(arg)) end
return M
