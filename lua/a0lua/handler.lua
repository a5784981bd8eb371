--[[
a0lua.handler: the base handler. A handler module (handlers/<type>.lua) is a table of data; this
module gives it the generic behaviour for every function it does not define, and the helpers
handlers call.

  local handler = require("a0lua.handler")
  local h = handler.new(spec)     -- spec with defaults filled in; behaviour through __index
                                  -- on handler.Base. Raises on a malformed spec (misuse).

Data fields (docs/architecture.md §8.2): type, kind ("list" | "singleton" | "keyed"),
path, id, identifiers, name_field, depends_on, list, schema, strip_create, strip_update,
strip_export, read_only, secrets, object_fields, ignore_diff, update_method, read_wanted, parts.
read_only: the fields the API sets (timestamps, counts), never sent nor exported: handler.new
adds them to the end of strip_create, strip_update and strip_export (once). Defaults: kind
"list", id "id" (lists), identifiers { id, name_field } for lists and { name_field } for keyed
lists, name_field "name", depends_on the type's in a0lua.catalogue (else {}), update_method
"PATCH", list { paging = "offset" }. Keyed lists may list their fixed names in `names` (the
generic fetch reads path/<name> for each).

Generic behaviour (each may be replaced by the handler; all take self first):
  h:fetch(ctx [, want]) -> current | nil, err
                                          lists: ctx.api:list(path, list); singletons: GET path;
                                          keyed: GET path/<name> for each of `names` (404 skipped),
                                          concurrently inside a task. want: only with the data
                                          field read_wanted = true, the desired value of the type
                                          when a plan reads the tenant: the handler may read only
                                          what it names (its diff looks at nothing else); nil:
                                          read everything (export, the REPL)
  h:validate(ctx, items, report)          nothing (validate.lua always checks unique names and
                                          ids through handler.check_unique)
  h:resolve(ctx, desired) -> desired      nothing to resolve
  h:filter(ctx, item) -> keep             true
  h:diff(ctx, desired_item, current_item) -> payload, diffs | nil
                                          the desired fields (minus strip_update, the id and
                                          ignore_diff) whose value does not match the tenant's
                                          (handler.matches); nil when nothing differs
  h:create(ctx, payload) -> created | nil, err     POST path (api:create, looked up by identifiers
                                                   if the answer is lost)
  h:update(ctx, current, payload) -> updated | nil, err   update_method path/<id> (singleton: path)
  h:delete(ctx, current) -> true | nil, err        DELETE path/<id>
  h:write_request(ctx, op, payload [, current]) -> method, path, body | nil
                                          the request that writes the item's own fields for a
                                          create or update (op), as h:create / h:update send it,
                                          without the requests of its sub-resources; nil when
                                          nothing would be sent or the handler cannot tell
                                          beforehand. a0lua.preflight checks the body against the
                                          API's request schema before anything is written: a
                                          handler whose create or update strips or reshapes the
                                          payload gives the same body here (and builds it here)
  h:write_requests(ctx, op, payload [, current]) -> { {method, path, body, segments}, ... }
                                          optional, instead of write_request for an item written
                                          by several requests (segments: the item's path of what
                                          each body writes); a0lua.preflight checks each
  h:export(ctx, item) -> item             the item as it is (export.lua applies the generic
                                          stripping afterwards through handler.export_item)
  h:write_part(ctx, id, field, want, have) -> true | nil, err     only with `parts`: writes one
                                          part of item `id` (want: the file's value of the field,
                                          have: the tenant's, nil for a new item)
  h:derive(ctx, desired) -> value | nil  only for a type without data of its own in the files
                                          (clientAuthCredentials): its desired value, made from
                                          the other types' (a0lua.plan calls it; nil: nothing)
  h:awaits(ctx, change) -> keys | nil     optional: the keys (names) of items of the same type
                                          whose create in this run the change's write needs
                                          first (a client naming another new client); a0lua.apply
                                          writes those first and this one after them, so the
                                          handler finds their ids in ctx.current when it writes

Parts: `parts = { {field =, depends_on = {types}}, ... }` names the fields of an item that are
written by requests of their own once the item exists, each needing other types (an
organization's connections, client grants, clients). a0lua.apply then creates or updates the
item without them once its own depends_on are done, and writes each part (h:write_part) once
the item exists and the part's depends_on are done, so the item need not wait for all of them. A
handler with parts may also give h:depends_on_for(items) -> types: what the file's items need
before they are created, when that is less than depends_on (connections need the clients first
only when a SAML option names one).

Helpers:
  handler.strip(item, paths) -> copy      a deep copy without the dot paths
  handler.get_path(item, "a.b") -> value
  handler.set_path(item, "a.b", value)    creates missing intermediate objects
  handler.deep_equal(a, b) -> bool        strict: arrays in order, null only equals null; but
                                          an empty object equals an empty array (to Lua both are
                                          an empty table; a0lua.keywords keeps a stricter one)
  handler.matches(desired, current) -> bool   desired as a subset of current: extra keys of the
                                          tenant's objects are ignored, null equals absent
  handler.same_set(a, b) -> bool          two lists hold the same values, in any order
  handler.deep_copy(v) -> copy            keeps the array marker; json.null stays json.null
  handler.name_to_id(ctx, type, name) -> id | nil     through ctx.current[type] (fetched once)
  handler.run_state(ctx, name) -> table   what a handler keeps for one run (lists it read once,
                                          ...), held by ctx so that it ends with the run
  handler.update_own(h, ctx, current, payload) -> updated | nil, err   the request of
                                          h:write_request("update"), or current when it gives none
  handler.write_own(h, ctx, op, payload [, current]) -> written | nil, err   the same for a
                                          create or an update
  handler.create_named(h, ctx, body, name) -> created | nil, err   POST h.path; a lost answer
                                          (or a 409) is looked up by name (name_field) in the
                                          list h.list reads
  handler.create_then(h, ctx, payload, after) -> created | nil, err   the POST of
                                          h:write_request("create")'s body (Base.create), then
                                          after(created) -> true | nil, err: the item's
                                          sub-resources (hook secrets, custom text)
  handler.update_then(h, ctx, current, payload, after) -> updated | nil, err   the same after
                                          handler.update_own: after(updated) -> true | nil, err
  handler.optional_list(ctx, path, opts) -> list | nil, err   ctx.api:list of a feature the
                                          tenant may not have: 404, 501 and 403 read as none
  handler.optional_get(ctx, path) -> body | false | nil, err   the same for one GET: false
                                          when the tenant does not have it
  handler.optional_items(ctx, keys, path_of, item_of) -> items | nil, err   the items of a keyed
                                          type of an optional feature: handler.optional_get of
                                          path_of(key) for each key, concurrently; each answer
                                          with fields is an item: item_of(key), the answer on top
  handler.read_state(ctx, type) -> value | nil   the type's state as the plan read it (or reads
                                          it meanwhile in another task: awaited), nil when it
                                          has not; never a read of its own
  handler.clients_once(ctx, owner, key) -> clients   the tenant's clients (not the global one),
                                          read once per run and kept in run_state(ctx, owner)[key];
                                          {} when they cannot be read
  handler.client_lists(ctx, owner, fresh) -> { clients [, fresh clients] }   the clients read
                                          for the plan (ctx.current.clients, else read now; {}
                                          when they cannot be), and with fresh (applying) the
                                          clients read again once per run (clients_once), so
                                          that clients created earlier in the run are found
  handler.id_to_name(ctx, type, id) -> name | nil
  handler.action_id(ctx, name_or_id [, fresh]) -> id | nil   an action's id; fresh: read the
                                          actions again when not found (one made in this run)
  handler.item_id(h, item), handler.item_name(h, item)
  handler.placeholders(item) -> copy, removed   whole-value ##KEY## / @@KEY@@ strings removed at
                                          any depth of objects, not in arrays (docs/formats.md
                                          §4.3); the item itself when it holds none
  handler.check_unique(h, items, report)  duplicate names and ids of a list type
  handler.check_unique_keys(h, items, report [, label])   duplicate names (or compound keys) of
                                          a keyed type; label: a word for the key in the message
  handler.export_item(h, ctx, item) -> item   h:export, then strip_export (minus
                                          INCLUDED_PROPS), EXCLUDED_PROPS, secrets as placeholders
                                          unless AUTH0_EXPORT_SECRETS, the id unless
                                          AUTH0_EXPORT_IDENTIFIERS (or h.export_id)
  handler.secret_placeholder(h, path) -> "##CLIENTS_CLIENT_SECRET##"
  handler.kind_secret_placeholder(prefix, kind) -> "##CONNECTIONS_GOOGLE_OAUTH2_SECRET##"
  handler.escape(segment) -> a URL path segment
  handler.item_path(h, id, ...) -> path   h.path/<id>/<part>/..., each segment escaped
  handler.own_request(h, op, payload, current, without) -> method, path, body | nil
                                          h:write_request for an item whose sub-resources
                                          (`without`, fields) are requests of their own: a POST of
                                          the payload minus them; a PATCH of item_path with the
                                          payload minus strip_update (nil when nothing is left)
  handler.own_write_request(without) -> fn   that h:write_request, as the handler's function
  handler.create_own_named(h, ctx, payload) -> created | nil, err   handler.create_named of
                                          h:write_request("create")'s body, by payload's name
  handler.diff_then(after) -> fn          h:diff: the generic diff (current {} when nil), then
                                          after(self, ctx, desired, current, payload, diffs) ->
                                          payload, diffs; nil when no payload is left
  handler.add_change(payload, diffs, field, value, from) -> payload, diffs   payload[field] =
                                          value and the change {path = field, from, to = value}
  handler.keep_fields(payload, diffs, keep) -> payload, diffs | nil   only the fields keep(field)
                                          accepts, and the changes under them
  handler.resolve_each(fn) -> fn          h:resolve: fn(ctx, item) for each desired item
  handler.complete_each(list, fn) -> list | nil, err   handler.each_checked(list, fn), then the
                                          list: a fetch's read of each item's sub-resources
  handler.mask_secret(ctx, v)             a secret from the files (a string, not a placeholder)
                                          masked in what is logged
  handler.wanted_names(h, want) -> names  a keyed handler's names to read (see fetch's want)
  handler.items(list) -> iterator         for i, item in handler.items(list): the entries of a
                                          list (the files' items) that are tables, at their index
                                          (nil or a non-table list: none)
  handler.each(items, fn)                fn(item) for each, concurrently inside a task
  handler.each_checked(items, fn) -> true | nil, err   handler.each, where fn(item) returning
                                          nil, err is a failure: the first one is returned
  handler.read_each(keys, read) -> found | nil, err   read(key) -> body | nil, err for each key,
                                          concurrently: found[key] = body (nil, nil: left out)
  handler.by_sections(spec, sections) -> spec   a singleton written by one PATCH per section
                                          ({key =, path =}): its write_requests, update, create
  handler.read_sections(ctx, sections, missing) -> { [key] = body } | nil, err   its fetch: GET
                                          each section's path concurrently; missing(s, err, out)
                                          -> true when a failed read is no failure (the section
                                          left out, or set in out by missing)
  handler.diff_sections(sections, desired, current, diff_one) -> payload, diffs | nil   its
                                          diff: diff_one(s, want, have, diffs) -> body | nil for
                                          each section the files set (a non-empty object)
  handler.warn(ctx, message)              a warning on ctx.log, when there is one
  handler.status_of(err) -> status | nil  the HTTP status of an API error (404 for api_not_found)
  handler.message_of(err) -> string       an error's message ("" when it has none)
  handler.is_table(v) -> bool             a table that is not json.null (an object or an array)
  handler.feature_off(err) -> bool        an API error saying the feature is not on the tenant:
                                          404, 501, or 403 feature_not_enabled (actions, triggers)
  handler.create_own(h, ctx, payload)     h:create for a handler whose own request is all a create
                                          sends: handler.write_own(h, ctx, "create", payload)
  handler.token_quota_schema([nullable]) -> schema   the API's token quota object (clients,
                                          organizations, the tenant's defaults); nullable: or null
  handler.named_schema(schema) -> schema  an item schema with string id and name (unless given),
                                          name required unless `required` is given
  handler.keyed_schema(key, names, properties) -> schema   a keyed item: `key` required, one of
                                          names
  handler.enum_list_schema(field, values) -> schema   a setting that is one list of values
  handler.bounded_name_schema(max), handler.script_name_schema()   names as a0deploy bounds them
  handler.strings_schema() -> schema      a list of strings
  handler.objects_schema(properties, item, list) -> schema   a list of objects with
                                          `properties`; item (optional): the object's other
                                          keywords (required, additionalProperties); list
                                          (optional): the list's own (default)
  handler.validate_keys(h, ctx, items, report)   h:validate for a keyed handler whose only check
                                          is handler.check_unique_keys
  handler.send(ctx, method, path, opts) -> true | nil, err   a request whose answer is not needed
                                          (sub-resource writes: permissions, bindings, members);
                                          opts as client:request's: a POST that does no harm
                                          sent twice says idempotent = true, so that it is sent
                                          again when its answer is lost (a 409 then means the
                                          lost one made it)
  handler.send_each(ctx, items, request) -> true | nil, err   handler.send for each item, one
                                          after the other: request(item) -> method, path, opts
                                          (nil: nothing to send for it); stops at a failure
  handler.send_steps(ctx, steps) -> true | nil, err   send_each for each { items, request } of
                                          steps in turn (adds, then updates, then removes)
]]
local catalogue = require("a0lua.catalogue")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local M = {}

local NULL = json.null
local ARRAY_MT = json.array_mt

local Base = {}
M.Base = Base

local KINDS = { list = true, singleton = true, keyed = true }

local is_array = util.is_array

local is_object = util.is_object

-- A copy of an array spec field, or an empty array.
local function list_of(v, field, type_name)
  if v == nil then return {} end
  if type(v) ~= "table" then
    error(("handler %s: %s must be a list"):format(type_name, field), 3)
  end
  return v
end

--------------------------------------------------------------------------------------------------
-- Values

function M.deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = M.deep_copy(x) end
  local mt = getmetatable(v)
  if mt == ARRAY_MT then setmetatable(out, ARRAY_MT) end
  return out
end

local function array_length(t)
  local n = 0
  for k in pairs(t) do
    if math.type(k) == "integer" and k > n then n = k end
  end
  return n
end

function M.deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then
    if math.type(a) and math.type(b) then return a == b end
    return false
  end
  if is_array(a) ~= is_array(b) then
    -- an empty plain table and an empty array are both "empty"
    if next(a) == nil and next(b) == nil then return true end
    return false
  end
  for k, x in pairs(a) do
    if not M.deep_equal(x, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

-- Does the desired value match the tenant's? Objects: every desired key matches (a desired null
-- matches an absent or null key; keys only the tenant has are ignored, they are server-managed).
-- Arrays: same length, element by element. Scalars: equal (1 equals 1.0).
local function matches(desired, current)
  if desired == current then return true end -- the same value, table or scalar (1 equals 1.0)
  if desired == NULL or desired == nil then
    return current == nil or current == NULL
  end
  if type(desired) ~= "table" or type(current) ~= "table" then return false end
  local desired_array = getmetatable(desired) == ARRAY_MT
  if desired_array or getmetatable(current) == ARRAY_MT then
    if not desired_array or getmetatable(current) ~= ARRAY_MT then
      return next(desired) == nil and next(current) == nil
    end
    local n = array_length(desired)
    if n ~= array_length(current) then return false end
    for i = 1, n do
      if not matches(desired[i], current[i]) then return false end
    end
    return true
  end
  for k, x in pairs(desired) do
    if not matches(x, current[k]) then return false end
  end
  return true
end
M.matches = matches

function M.same_set(a, b)
  local sa, sb = {}, {}
  for _, v in ipairs(type(a) == "table" and a or {}) do sa[v] = true end
  for _, v in ipairs(type(b) == "table" and b or {}) do sb[v] = true end
  for k in pairs(sa) do if not sb[k] then return false end end
  for k in pairs(sb) do if not sa[k] then return false end end
  return true
end

local function split_path(path)
  local parts = {}
  for part in tostring(path):gmatch("[^.]+") do parts[#parts + 1] = part end
  return parts
end

function M.get_path(item, path)
  local v = item
  for _, part in ipairs(split_path(path)) do
    if type(v) ~= "table" then return nil end
    local x = v[part]
    if x == nil and is_array(v) and part:match("^%d+$") then x = v[tonumber(part) + 1] end
    v = x
  end
  return v
end

function M.set_path(item, path, value)
  local parts = split_path(path)
  local v = item
  for i = 1, #parts - 1 do
    local next_v = v[parts[i]]
    if type(next_v) ~= "table" then
      if value == nil then return item end
      next_v = {}
      v[parts[i]] = next_v
    end
    v = next_v
  end
  v[parts[#parts]] = value
  return item
end

local function remove_path(item, path)
  local parts = split_path(path)
  local v = item
  for i = 1, #parts - 1 do
    v = v[parts[i]]
    if type(v) ~= "table" then return end
  end
  if type(v) == "table" then v[parts[#parts]] = nil end
end

function M.strip(item, paths)
  local copy = M.deep_copy(item)
  if type(copy) ~= "table" then return copy end
  for _, path in ipairs(paths or {}) do remove_path(copy, path) end
  return copy
end

local PLACEHOLDER_PATTERNS = { "^##[A-Z0-9_]+##$", "^@@[A-Z0-9_]+@@$" }

local function is_placeholder(v)
  if type(v) ~= "string" then return false end
  local first = v:byte(1)
  if first ~= 35 and first ~= 64 then return false end -- neither "#" nor "@"
  for _, p in ipairs(PLACEHOLDER_PATTERNS) do
    if v:match(p) then return true end
  end
  return false
end
M.is_placeholder = is_placeholder

-- Does an object hold a whole-value placeholder at any depth of objects (never inside arrays)?
local function holds_placeholder(t)
  for _, v in pairs(t) do
    local kind = type(v)
    if kind == "string" then
      if is_placeholder(v) then return true end
    elseif kind == "table" and getmetatable(v) ~= ARRAY_MT and holds_placeholder(v) then
      return true
    end
  end
  return false
end

-- Whole-value placeholders left after keyword replacement are dropped (docs/formats.md §4.3): at
-- any depth of objects, never inside arrays. Returns a copy without them and the dot paths
-- removed; an item without any (nearly every one) is returned itself, not copied: the caller
-- copies before it changes what it is given.
function M.placeholders(item)
  if not is_object(item) or not holds_placeholder(item) then return item, {} end
  local copy = M.deep_copy(item)
  local removed = {}
  local function walk(t, prefix)
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      local v = t[k]
      local path = prefix == "" and tostring(k) or prefix .. "." .. tostring(k)
      if is_placeholder(v) then
        t[k] = nil
        removed[#removed + 1] = { path = path, value = v }
      elseif is_object(v) then
        walk(v, path)
      end
    end
  end
  if is_object(copy) then walk(copy, "") end
  return copy, removed
end

function M.escape(segment)
  return (tostring(segment):gsub("[^%w%-%._~]", function(c)
    return ("%%%02X"):format(c:byte())
  end))
end

-- A secret value from the files (a string, not a ##KEYWORD## placeholder) is masked in
-- everything logged from then on.
function M.mask_secret(ctx, v)
  if type(v) == "string" and not is_placeholder(v) and ctx.log and ctx.log.add_secret then
    ctx.log:add_secret(v)
  end
end

function M.item_path(h, id, ...)
  local out = h.path .. "/" .. M.escape(id)
  for _, part in ipairs({ ... }) do out = out .. "/" .. M.escape(part) end
  return out
end

--------------------------------------------------------------------------------------------------
-- Items

-- A keyed item named by a compound identifier (guardian factor providers: name and provider)
-- goes by its parts joined with "-", as its file is named ("sms-twilio").
local function compound_key(item, fields)
  local parts = {}
  for i, f in ipairs(fields) do
    local v = item[f]
    if v == nil or v == NULL then return nil end
    parts[i] = tostring(v)
  end
  return table.concat(parts, "-")
end

-- A keyed type whose first identifier is compound: an item's key (compound_key) is both its id
-- and its name.
local function is_compound(h)
  return h.kind == "keyed" and type(h.identifiers[1]) == "table"
end

function M.item_id(h, item)
  if type(item) ~= "table" then return nil end
  if is_compound(h) then return compound_key(item, h.identifiers[1]) end
  if h.kind == "keyed" then return item[h.identifiers[1]] end
  if h.id then return item[h.id] end
  return nil
end

function M.item_name(h, item)
  if type(item) ~= "table" then return nil end
  if is_compound(h) then return compound_key(item, h.identifiers[1]) end
  local name = item[h.name_field]
  if name ~= nil and name ~= NULL then return name end
  for _, ident in ipairs(h.identifiers or {}) do
    if type(ident) == "string" and item[ident] ~= nil and item[ident] ~= NULL then
      return item[ident]
    elseif type(ident) == "table" then
      local parts = {}
      for _, f in ipairs(ident) do
        if item[f] == nil or item[f] == NULL then parts = nil break end
        parts[#parts + 1] = tostring(item[f])
      end
      if parts then return table.concat(parts, " ") end
    end
  end
  return nil
end

-- The whole state of a type that plan.fetch reads in another task (ctx.fetching[type]), once
-- read -> value | nil (none read, or the read failed). Awaited rather than read again: a second
-- read would cost the same list's decoding and its handler's work on it once more.
local function read_beside(ctx, type_name)
  local pending = ctx.fetching and ctx.fetching[type_name]
  if not pending or pending.task == pending.tasks.current() then return nil end
  pending.done:wait()
  return pending.value
end

-- The state of a type as plan.fetch read or reads it (ctx.current, else read_beside) -> value |
-- nil when it has not been read, without reading it.
function M.read_state(ctx, type_name)
  local cur = ctx.current and ctx.current[type_name]
  if cur ~= nil and not (ctx.partial and ctx.partial[type_name] ~= nil) then return cur end
  return read_beside(ctx, type_name)
end

-- The current state of a type, fetched once per run into ctx.current (or awaited: read_beside).
local function current_of(ctx, type_name)
  ctx.current = ctx.current or {}
  local beside = read_beside(ctx, type_name)
  if beside ~= nil then return beside end
  local cur = ctx.current[type_name]
  -- (a partial read, plan.fetch's want, does not serve as the whole list)
  if cur ~= nil and not (ctx.partial and ctx.partial[type_name] ~= nil) then return cur end
  local registry = ctx.handlers
  local other = registry and registry:get(type_name)
  if not other or not ctx.api then return nil end
  local value, err = other:fetch(ctx)
  if value == nil then error(err, 0) end
  ctx.current[type_name] = value
  if ctx.partial then ctx.partial[type_name] = nil end
  return value
end
M.current_of = current_of

local function handler_for(ctx, type_name)
  local registry = ctx.handlers
  local h = registry and registry:get(type_name)
  if h then return h end
  return { id = "id", name_field = "name", kind = "list", identifiers = { "id", "name" } }
end

function M.items(list)
  if type(list) ~= "table" then list = {} end
  local i = 0
  return function()
    while true do
      i = i + 1
      local item = list[i]
      if item == nil then return nil end
      if type(item) == "table" then return i, item end
    end
  end
end

-- A resolve that changes the desired items in place: fn(ctx, item) for each (handler.items).
function M.resolve_each(fn)
  return function(_, ctx, desired)
    for _, item in M.items(desired) do fn(ctx, item) end
    return desired
  end
end

-- fn(item) for each item: as tasks of their own inside a0lua.tasks (their requests in flight
-- together), else one after the other.
function M.each(items, fn)
  local ok, tasks = pcall(require, "a0lua.tasks")
  if ok and tasks.current() and #items > 1 then
    local fns = {}
    for i, item in ipairs(items) do fns[i] = function() return fn(item) end end
    tasks.all(fns)
  else
    for _, item in ipairs(items) do fn(item) end
  end
end

function M.warn(ctx, message)
  if ctx.log then ctx.log:warn(message) end
end

function M.status_of(err)
  return type(err) == "table" and (err.status or (err.code == "api_not_found" and 404)) or nil
end

function M.message_of(err)
  return type(err) == "table" and tostring(err.message or "") or tostring(err)
end

function M.is_table(v) return type(v) == "table" and v ~= NULL end

function M.feature_off(err)
  local s = M.status_of(err)
  return s == 404 or s == 501 or (s == 403 and err.error_code == "feature_not_enabled")
end

function M.each_checked(items, fn)
  local failure
  M.each(items, function(item)
    local ok, err = fn(item)
    if ok == nil and err ~= nil then failure = failure or err end
  end)
  if failure then return nil, failure end
  return true
end

-- A list read with more to read per item: fn(item) -> ok | nil, err completes each item in place
-- (handler.each_checked: concurrently inside a task). Returns the list | nil, the first error.
function M.complete_each(list, fn)
  local ok, err = M.each_checked(list, fn)
  if not ok then return nil, err end
  return list
end

function M.read_each(keys, read)
  local found = {}
  local ok, err = M.each_checked(keys, function(key)
    local body, rerr = read(key)
    if body == nil then return nil, rerr end
    found[key] = body
    return true
  end)
  if not ok then return nil, err end
  return found
end

function M.send(ctx, method, path, opts)
  local body, err = ctx.api:request(method, path, opts)
  if body == nil then return nil, err end
  return true
end

function M.send_each(ctx, items, request)
  for _, item in ipairs(items) do
    local method, path, opts = request(item)
    if method then
      local _, err = M.send(ctx, method, path, opts)
      if err then return nil, err end
    end
  end
  return true
end

function M.send_steps(ctx, steps)
  for _, step in ipairs(steps) do
    local ok, err = M.send_each(ctx, step[1], step[2])
    if not ok then return nil, err end
  end
  return true
end

-- A list of an optional feature (connection and user attribute profiles): a tenant without it
-- (404, 501) or without the scope (403) reads as having none, as a0deploy reads it.
function M.optional_list(ctx, path, opts)
  local list, err = ctx.api:list(path, opts)
  if list ~= nil then return list end
  local status = type(err) == "table" and err.status
  if status == 404 or status == 501 or status == 403 then
    if ctx.log then ctx.log:debug(("%s: not available on the tenant (%d), read as none")
      :format(path, status)) end
    return json.array()
  end
  return nil, err
end

-- One object of an optional feature (guardian factor templates and providers): a tenant without
-- it (404, 501) or without the scope or subscription (403) gives false; other failures nil, err.
function M.optional_get(ctx, path)
  local body, err = ctx.api:request("GET", path)
  if body ~= nil then return body end
  local status = type(err) == "table" and (err.status or (err.code == "api_not_found" and 404))
  if status == 404 or status == 501 or status == 403 then
    if ctx.log then ctx.log:debug(("%s: not available on the tenant (%d), read as none")
      :format(path, status)) end
    return false
  end
  return nil, err
end

function M.optional_items(ctx, keys, path_of, item_of)
  local found, err = M.read_each(keys, function(key) return M.optional_get(ctx, path_of(key)) end)
  if found == nil then return nil, err end
  local out = json.array()
  for _, key in ipairs(keys) do
    local body = found[key]
    if type(body) == "table" and next(body) ~= nil then
      local item = item_of(key)
      for k, v in pairs(body) do item[k] = v end
      out[#out + 1] = item
    end
  end
  return out
end

-- The update of an item's own fields as h:write_request gives it, when there is one; the item
-- as it was otherwise. For handlers that write sub-resources after it (roles, organizations).
function M.update_own(h, ctx, current, payload)
  return M.write_own(h, ctx, "update", payload, current)
end

-- The same for a create or an update (op): the item as it was (or the payload) when
-- h:write_request gives no request (keyed handlers whose create is a PUT of a fixed path).
function M.write_own(h, ctx, op, payload, current)
  local method, path, body = h:write_request(ctx, op, payload, current)
  if not method then return current or payload end
  return ctx.api:request(method, path, { body = body })
end

function M.create_named(h, ctx, body, name)
  return ctx.api:create(h.path, body, { list = M.deep_copy(h.list),
    find = function(item) return item[h.name_field] == name end })
end

-- The item's own create body (h:write_request) POSTed, looked up by its name when the answer is
-- lost (handler.create_named).
function M.create_own_named(h, ctx, payload)
  local _, _, body = h:write_request(ctx, "create", payload)
  return M.create_named(h, ctx, body, payload[h.name_field])
end

function M.create_then(h, ctx, payload, after)
  local _, _, body = h:write_request(ctx, "create", payload)
  local created, err = Base.create(h, ctx, body)
  if created == nil then return nil, err end
  local ok, serr = after(created)
  if not ok then return nil, serr end
  return created
end

function M.update_then(h, ctx, current, payload, after)
  local updated, err = M.update_own(h, ctx, current, payload)
  if updated == nil then return nil, err end
  local ok, serr = after(updated)
  if not ok then return nil, serr end
  return updated
end

-- A diff that adds to the generic one (h:diff): after(self, ctx, desired, current, payload, diffs)
-- gets the generic payload and diffs (nil when nothing differs there) with `current` {} for an
-- item the tenant does not have, and returns the payload and diffs; no payload is no change (nil).
function M.diff_then(after)
  return function(self, ctx, desired, current)
    current = current or {}
    local payload, diffs = Base.diff(self, ctx, desired, current)
    payload, diffs = after(self, ctx, desired, current, payload, diffs)
    if payload == nil then return nil end
    return payload, diffs
  end
end

-- One changed field added to a diff (payload and diffs may still be nil): `value` sent as
-- payload[field], the change shown as { path = field, from = from, to = value }.
-- Returns payload, diffs.
function M.add_change(payload, diffs, field, value, from)
  payload, diffs = payload or {}, diffs or {}
  payload[field] = value
  diffs[#diffs + 1] = { path = field, from = from, to = value }
  return payload, diffs
end

-- A diff reduced to the fields keep(field) accepts: the others leave the payload, and the changes
-- under them the diffs. Returns payload, diffs; nil when no field is left.
function M.keep_fields(payload, diffs, keep)
  for k in pairs(payload) do
    if not keep(k) then payload[k] = nil end
  end
  if next(payload) == nil then return nil end
  local kept = {}
  for _, d in ipairs(diffs or {}) do
    if keep(tostring(d.path):match("^[^.]+")) then kept[#kept + 1] = d end
  end
  return payload, kept
end

function M.own_request(h, op, payload, current, without)
  if op == "create" then return "POST", h.path, M.strip(payload, without) end
  local body = M.strip(payload, h.strip_update)
  if next(body) == nil or current == nil then return nil end
  return "PATCH", M.item_path(h, current.id), body
end

function M.own_write_request(without)
  return function(self, _, op, payload, current)
    return M.own_request(self, op, payload, current, without)
  end
end

function M.create_own(h, ctx, payload)
  return M.write_own(h, ctx, "create", payload)
end

function M.run_state(ctx, name)
  local all = ctx.run_state
  if all == nil then
    all = {}
    ctx.run_state = all
  end
  local state = all[name]
  if state == nil then
    state = {}
    all[name] = state
  end
  return state
end

function M.clients_once(ctx, owner, key)
  local state = M.run_state(ctx, owner)
  if state[key] == nil then
    state[key] = ctx.api:list("/clients",
      { paging = "offset", key = "clients", query = { is_global = false } }) or {}
  end
  return state[key]
end

function M.client_lists(ctx, owner, fresh)
  local current = ctx.current and ctx.current.clients
  if current == nil then
    local ok, list = pcall(current_of, ctx, "clients")
    current = ok and list or {}
  end
  local lists = { current }
  if fresh and ctx.api then lists[2] = M.clients_once(ctx, owner, "fresh") end
  return lists
end

function M.name_to_id(ctx, type_name, name)
  if name == nil then return nil end
  local h = handler_for(ctx, type_name)
  for _, item in ipairs(current_of(ctx, type_name) or {}) do
    if item[h.name_field] == name then return M.item_id(h, item) end
  end
  return nil
end

function M.id_to_name(ctx, type_name, id)
  if id == nil then return nil end
  local h = handler_for(ctx, type_name)
  for _, item in ipairs(current_of(ctx, type_name) or {}) do
    if M.item_id(h, item) == id then return item[h.name_field] end
  end
  return nil
end

--------------------------------------------------------------------------------------------------
-- Validation helpers

-- Duplicate names and duplicate ids of a list type (a0deploy's base validate: "Names must be
-- unique"). report(index, field, message) with index counting from 1.
-- An action's id from its name (or its id): from the tenant's actions read once, or, with
-- fresh, for an action made in this run, from a new read of the actions. nil when none is found.
function M.action_id(ctx, value, fresh)
  if value == nil or value == NULL then return nil end
  if M.id_to_name(ctx, "actions", value) then return value end
  local id = M.name_to_id(ctx, "actions", value)
  if id == nil and fresh and ctx.api then
    local list = ctx.api:list("/actions/actions", { paging = "actions", key = "actions" })
    for _, a in ipairs(list or {}) do
      if a.name == value or a.id == value then return a.id end
    end
  end
  return id
end

function M.check_unique(h, items, report)
  if h.kind ~= "list" or type(items) ~= "table" then return end
  local fields = { h.name_field }
  if h.id and h.id ~= h.name_field then fields[#fields + 1] = h.id end
  for _, field in ipairs(fields) do
    local seen = {}
    for i, item in ipairs(items) do
      local v = type(item) == "table" and item[field] or nil
      if type(v) == "string" or math.type(v) then
        if seen[v] then
          report(i, field, ("must be unique: %s %q is also item %d"):format(field,
            tostring(v), seen[v] - 1))
        else
          seen[v] = i
        end
      end
    end
  end
end

-- Two items of a keyed type with one name (or compound key) would be two writes of which the
-- last wins: report(index, field, message) for each repeat, as check_unique does for lists.
function M.check_unique_keys(h, items, report, label)
  if type(items) ~= "table" then return end
  local what = label and label .. " " or ""
  local ident = h.identifiers[1]
  local field = type(ident) == "table" and ident[1] or ident or h.name_field
  local seen = {}
  for i, item in ipairs(items) do
    local key = M.item_id(h, item)
    if type(key) == "string" then
      if seen[key] then
        report(i, field, ("must be unique: %s%q is also item %d"):format(what, key,
          seen[key] - 1))
      else
        seen[key] = i
      end
    end
  end
end

function M.token_quota_schema(nullable)
  return {
    type = nullable and { "object", "null" } or "object",
    properties = {
      client_credentials = {
        type = "object",
        properties = {
          enforce = { type = "boolean", default = true },
          per_day = { type = "integer", minimum = 1 },
          per_hour = { type = "integer", minimum = 1 },
        },
        additionalProperties = false,
        minProperties = 1,
      },
    },
    required = { "client_credentials" },
  }
end

-- The item schema of a list type whose items have an id and a name: `schema` with type "object",
-- `required` { "name" } unless given, and the string properties id and name unless the schema
-- bounds them itself. Returns `schema`.
function M.named_schema(schema)
  schema.type = "object"
  schema.required = schema.required or { "name" }
  schema.properties = schema.properties or {}
  schema.properties.id = schema.properties.id or { type = "string" }
  schema.properties.name = schema.properties.name or { type = "string" }
  return schema
end

-- The item schema of a keyed list whose keys are a fixed set: an object that requires its key
-- field `key`, one of `names`, and has `properties` besides.
function M.keyed_schema(key, names, properties)
  properties[key] = { type = "string", enum = names }
  return { type = "object", required = { key }, properties = properties }
end

-- The schema of a setting that is one list of values from a fixed set (the guardian policies,
-- the phone factor's message types): { [field] = { values... } } and nothing else.
function M.enum_list_schema(field, values)
  return {
    type = "object",
    properties = { [field] = { type = "array", items = { type = "string", enum = values } } },
    additionalProperties = false,
  }
end

-- A list of strings.
function M.strings_schema()
  return { type = "array", items = { type = "string" } }
end

-- A list of objects with `properties`; `item` adds keywords to each object's schema (required,
-- additionalProperties), `list` to the list's own (default).
function M.objects_schema(properties, item, list)
  local object = { type = "object", properties = properties }
  for k, v in pairs(item or {}) do object[k] = v end
  local schema = { type = "array", items = object }
  for k, v in pairs(list or {}) do schema[k] = v end
  return schema
end

-- A name of 1 to `max` characters (a0deploy's bounds for flows, forms, vault connections (150)
-- and event streams (128)).
function M.bounded_name_schema(max)
  return { type = "string", minLength = 1, maxLength = max }
end

-- The name of a rule or hook: letters, digits, spaces and dashes, no dash or space at either end.
function M.script_name_schema()
  return { type = "string", pattern = "^[^-\\s][a-zA-Z0-9-\\s]+[^-\\s]$" }
end

function M.validate_keys(h, _, items, report)
  M.check_unique_keys(h, items, report)
end

-- A singleton written by one PATCH per section (attackProtection, riskAssessment): sections =
-- { {key =, path =}, ... }, the payload { [key] = the section's body }. Gives the spec
-- write_requests (for a0lua.preflight: { {"PATCH", path, body, {key}}, ... }), update and create
-- (the changed sections sent concurrently inside a task -> { [key] = answer } | nil, err).
function M.by_sections(spec, sections)
  function spec.write_requests(_, _, _, payload)
    local out = {}
    for _, s in ipairs(sections) do
      if type(payload) == "table" and payload[s.key] ~= nil then
        out[#out + 1] = { "PATCH", s.path, payload[s.key], { s.key } }
      end
    end
    return out
  end
  function spec.write_request() return nil end
  function spec.update(self, ctx, _, payload)
    local answers = {}
    local ok, err = M.each_checked(self:write_requests(ctx, "update", payload), function(r)
      local body, rerr = ctx.api:request(r[1], r[2], { body = r[3], idempotent = true })
      answers[r[4][1]] = body
      return body, rerr
    end)
    if not ok then return nil, err end
    return answers
  end
  function spec.create(self, ctx, payload) return self:update(ctx, nil, payload) end
  return spec
end

function M.read_sections(ctx, sections, missing)
  local out = {}
  local ok, err = M.each_checked(sections, function(s)
    local body, rerr = ctx.api:request("GET", s.path)
    if body == nil and missing(s, rerr, out) then return true end
    out[s.key] = body
    return body, rerr
  end)
  if not ok then return nil, err end
  return out
end

function M.diff_sections(sections, desired, current, diff_one)
  current = is_object(current) and current or {}
  local payload, diffs = nil, {}
  for _, s in ipairs(sections) do
    local want = desired[s.key]
    if is_object(want) and next(want) ~= nil then
      local body = diff_one(s, want, current[s.key], diffs)
      if body ~= nil then
        payload = payload or {}
        payload[s.key] = body
      end
    end
  end
  if payload == nil then return nil end
  return payload, diffs
end

--------------------------------------------------------------------------------------------------
-- Export

local function upper_snake(s)
  s = tostring(s):gsub("(%l)(%u)", "%1_%2")
  return (s:upper():gsub("[^A-Z0-9]", "_"))
end

function M.secret_placeholder(h, path)
  return "##" .. upper_snake(h.type) .. "_" .. upper_snake(path) .. "##"
end

-- a0deploy's placeholder for the secret of one kind of item (a connection's strategy, a log
-- stream's type): ##<PREFIX>_<KIND>_SECRET##, the kind upper-cased, other characters as _.
function M.kind_secret_placeholder(prefix, kind)
  return "##" .. prefix .. "_" .. (tostring(kind):upper():gsub("[^A-Z0-9]", "_")) .. "_SECRET##"
end

local set_of = util.set_of

function M.export_item(h, ctx, item)
  local cfg = ctx.config or {}
  local copy = h:export(ctx, M.deep_copy(item))
  if type(copy) ~= "table" then return copy end
  local included = set_of(type(cfg.INCLUDED_PROPS) == "table" and cfg.INCLUDED_PROPS[h.type])
  for _, path in ipairs(h.strip_export or {}) do
    if not included[path] then remove_path(copy, path) end
  end
  local excluded = type(cfg.EXCLUDED_PROPS) == "table" and cfg.EXCLUDED_PROPS[h.type]
  for _, path in ipairs(type(excluded) == "table" and excluded or {}) do
    remove_path(copy, path)
  end
  if not cfg.AUTH0_EXPORT_SECRETS then
    for _, path in ipairs(h.secrets or {}) do
      local v = M.get_path(copy, path)
      if v ~= nil and v ~= NULL and not is_placeholder(v) then
        M.set_path(copy, path, M.secret_placeholder(h, path))
      end
    end
  end
  if h.kind == "list" and h.id and not cfg.AUTH0_EXPORT_IDENTIFIERS and not h.export_id then
    copy[h.id] = nil
  end
  return copy
end

--------------------------------------------------------------------------------------------------
-- Generic behaviour

local function api_of(ctx)
  local api = ctx and ctx.api
  if not api then error("handler: ctx.api is required for requests", 3) end
  return api
end

local function is_not_found(err)
  return type(err) == "table" and (err.code == "api_not_found" or err.status == 404)
end

-- The names of a keyed handler to read: all of them, or those the desired items (want) give.
function M.wanted_names(h, want)
  if want == nil then return h.names end
  local known, named = set_of(h.names), {}
  for _, item in ipairs(want) do
    local name = type(item) == "table" and item[h.name_field]
    if known[name] then
      named[#named + 1] = name
      known[name] = nil
    end
  end
  return named
end

function Base:fetch(ctx, want)
  local api = api_of(ctx)
  if self.kind == "singleton" then
    local body, err = api:request("GET", self.path)
    if body == nil and err then return nil, err end
    return body or {}
  elseif self.kind == "keyed" then
    if not self.names then
      return nil, errors.from{
        code = "handler", message = ("handler %s: a keyed handler needs `names` or its "
        .. "own fetch"):format(self.type) }
    end
    local names = M.wanted_names(self, want)
    local found, err = M.read_each(names, function(name)
      local body, rerr = api:request("GET", self.path .. "/" .. M.escape(name))
      if body == nil and is_not_found(rerr) then return nil end
      return body, rerr
    end)
    if found == nil then return nil, err end
    local out = json.array()
    for _, name in ipairs(names) do out[#out + 1] = found[name] end
    return out
  end
  local opts = M.deep_copy(self.list or {})
  local items, err = api:list(self.path, opts)
  if items == nil then return nil, err end
  return items
end

function Base.validate() end

function Base.resolve(_, _, desired) return desired end

function Base.filter() return true end

-- Fields never compared or sent on update: strip_update, the id, ignore_diff.
local function skipped_fields(self)
  local skip = set_of(self.strip_update)
  if self.id then skip[self.id] = true end
  for _, f in ipairs(self.ignore_diff or {}) do skip[f] = true end
  return skip
end

-- The differences between two values, as {path, from, to} leaves (for display).
local function collect_diffs(desired, current, path, out)
  if is_object(desired) and is_object(current) then
    local keys = {}
    for k in pairs(desired) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      if not M.matches(desired[k], current[k]) then
        collect_diffs(desired[k], current[k], path .. "." .. tostring(k), out)
      end
    end
    return out
  end
  out[#out + 1] = { path = path, from = current, to = desired }
  return out
end
M.collect_diffs = collect_diffs

-- Does any field of desired that a diff compares differ from the tenant's?
local function any_differs(desired, current, skip)
  for k, dv in pairs(desired) do
    if not skip[tostring(k)] and not M.matches(dv, current[k]) then return true end
  end
  return false
end

function Base:diff(_, desired, current)
  current = current or {}
  local skip = skipped_fields(self)
  -- Most items of a re-import match: they are not sorted nor walked again.
  if not any_differs(desired, current, skip) then return nil end
  local keys = {}
  for k in pairs(desired) do
    local top = tostring(k)
    if not skip[top] then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local payload, diffs = nil, {}
  for _, k in ipairs(keys) do
    local dv, cv = desired[k], current[k]
    if not M.matches(dv, cv) then
      payload = payload or {}
      payload[k] = M.deep_copy(dv)
      if is_object(dv) and is_object(cv) then
        collect_diffs(dv, cv, tostring(k), diffs)
      else
        diffs[#diffs + 1] = { path = tostring(k), from = cv, to = dv }
      end
    end
  end
  -- Nested strip_update paths ("a.b") are removed from what is sent.
  if payload then
    for _, path in ipairs(self.strip_update or {}) do
      if path:find(".", 1, true) then remove_path(payload, path) end
    end
    if next(payload) == nil then payload = nil end
  end
  if not payload then return nil end
  return payload, diffs
end

-- The lookup that finds an object whose create answer was lost: every identifier the payload has.
local function finder(self, payload)
  local pairs_to_check = {}
  for _, ident in ipairs(self.identifiers or {}) do
    if type(ident) == "string" and ident ~= self.id and payload[ident] ~= nil then
      pairs_to_check[#pairs_to_check + 1] = ident
    end
  end
  if #pairs_to_check == 0 and payload[self.name_field] ~= nil then
    pairs_to_check[1] = self.name_field
  end
  return function(item)
    if #pairs_to_check == 0 then return false end
    for _, f in ipairs(pairs_to_check) do
      if item[f] ~= payload[f] then return false end
    end
    return true
  end
end

function Base:create(ctx, payload)
  local api = api_of(ctx)
  if self.kind == "singleton" then
    return api:request(self.update_method or "PATCH", self.path, { body = payload })
  end
  return api:create(self.path, payload, { find = finder(self, payload) })
end

function Base:update(ctx, current, payload)
  local api = api_of(ctx)
  local path = self.path
  if self.kind ~= "singleton" then
    local id = M.item_id(self, current)
    if id == nil then
      return nil, errors.from{
        code = "handler", message = ("%s: the tenant's item has no %s"):format(
        self.type, tostring(self.kind == "keyed" and self.identifiers[1] or self.id)) }
    end
    path = M.item_path(self, id)
  end
  return api:request(self.update_method or "PATCH", path, { body = payload })
end

function Base:write_request(_, op, payload, current)
  if self.kind == "singleton" then return self.update_method or "PATCH", self.path, payload end
  if op == "create" then return "POST", self.path, payload end
  local id = M.item_id(self, current)
  if id == nil or payload == nil or next(payload) == nil then return nil end
  return self.update_method or "PATCH", M.item_path(self, id), payload
end

function Base:delete(ctx, current)
  local api = api_of(ctx)
  local id = M.item_id(self, current)
  if id == nil then
    return nil, errors.from{
      code = "handler", message = ("%s: the tenant's item has no %s"):format(self.type,
      tostring(self.id)) }
  end
  local body, err = api:request("DELETE", M.item_path(self, id))
  if body == nil then return nil, err end
  return true
end

function Base.export(_, _, item) return item end

local HandlerMt = { __index = Base }

function M.new(spec)
  if type(spec) ~= "table" then error("handler.new: the spec must be a table", 2) end
  if type(spec.type) ~= "string" or spec.type == "" then
    error("handler.new: `type` (the a0deploy type name) is required", 2)
  end
  local name = spec.type
  spec.kind = spec.kind or "list"
  if not KINDS[spec.kind] then
    error(("handler %s: kind must be list, singleton or keyed (got %s)"):format(name,
      tostring(spec.kind)), 2)
  end
  spec.name_field = spec.name_field or "name"
  if spec.kind == "list" then
    spec.id = spec.id or "id"
    spec.identifiers = spec.identifiers or { spec.id, spec.name_field }
  elseif spec.kind == "keyed" then
    spec.identifiers = spec.identifiers or { spec.name_field }
  else
    spec.identifiers = spec.identifiers or {}
  end
  if spec.depends_on == nil then
    -- the catalogue declares a type's dependencies; a handler may still give its own
    spec.depends_on = M.deep_copy(catalogue.depends_on(name))
  end
  spec.depends_on = list_of(spec.depends_on, "depends_on", name)
  spec.strip_create = list_of(spec.strip_create, "strip_create", name)
  spec.strip_update = list_of(spec.strip_update, "strip_update", name)
  spec.strip_export = list_of(spec.strip_export, "strip_export", name)
  spec.read_only = list_of(spec.read_only, "read_only", name)
  if #spec.read_only > 0 then
    for _, f in ipairs({ "strip_create", "strip_update", "strip_export" }) do
      local strip = {}
      for _, path in ipairs(spec[f]) do strip[#strip + 1] = path end
      local has = set_of(strip)
      for _, path in ipairs(spec.read_only) do
        if not has[path] then strip[#strip + 1] = path end
      end
      spec[f] = strip
    end
  end
  spec.secrets = list_of(spec.secrets, "secrets", name)
  spec.object_fields = list_of(spec.object_fields, "object_fields", name)
  spec.ignore_diff = list_of(spec.ignore_diff, "ignore_diff", name)
  spec.update_method = spec.update_method or "PATCH"
  if spec.kind == "list" and spec.list == nil then spec.list = { paging = "offset" } end
  for _, f in ipairs({ "fetch", "validate", "resolve", "filter", "diff", "create", "update",
    "delete", "export", "write_request", "write_requests", "derive" }) do
    if spec[f] ~= nil and type(spec[f]) ~= "function" then
      error(("handler %s: %s must be a function"):format(name, f), 2)
    end
  end
  return setmetatable(spec, HandlerMt)
end

function M.is_handler(v)
  return type(v) == "table" and getmetatable(v) == HandlerMt
end

return M
