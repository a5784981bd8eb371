--[[
a0lua.repl: the tenant REPL behind `a0lua repl` (docs/scripting.md "The REPL").

  local repl = require("a0lua.repl")
  local session = repl.new{
    tenant = tenant,            -- a0lua.connect's tenant, or nil (then `tenant` explains why)
    config = cfg,               -- for load() (keywords, handlers); default {}
    a0lua = require("a0lua"),    -- the public API (a seam for specs)
    editor = core_repl,         -- a0lua.core.repl, or a fake with readline/add_history/...
    out = io.stdout, err = io.stderr,
    interactive = nil,          -- nil: editor.isatty(); true: prompts, banner, history, Tab
    history = path | false,     -- default ~/.a0lua_history when interactive
    color = nil,                -- plans in colour; default: interactive
  }
  session:loop() -> status      reads chunks until the end of input; 0, or 1 when input was not
                                a terminal and some chunk failed (so piped scripts can tell)
  session:eval(text) -> "ok" | "incomplete" | "error"   one chunk: `return <text>` is tried
                                first (so an expression prints its values), "=expr" too; a
                                chunk cut short (<eof>) is "incomplete"; values are printed
                                pretty, an error prints its message on err and the session goes on
  session:complete(word, line, start) -> candidates      Tab completion (core.repl's contract)
  session.env                   the globals chunks see (unknown names fall through to _G)

Globals: tenant (lazy collections: tenant.clients, tenant.clients["My SPA"], :where(...),
tenant.tenant for singletons, tenant:plan/apply/export/reload), api (get, post, put, patch,
delete on raw paths below /api/v2), load, plan, diff, help.

Values from the tenant are presented with the API's nulls as nil (an object field that is null
is absent), so `c.token_exchange and c.token_exchange.allow_any_profile_of_type` needs no test
for json.null; nulls inside arrays stay json.null so arrays keep their length. Engine markers
(keys starting with "__") are left out.

  repl.pretty(value [, {width =, color =}]) -> text   sorted keys, secrets masked as (secret),
                                one line when it fits in width (default 100), else indented
  repl.present(value) -> copy   nulls of objects removed, "__" keys dropped
  repl.contains(value, pattern) -> bool   the :where{} test: every field the pattern names is
                                contained in the value; an array pattern is contained when each
                                of its elements is contained in some element of the value; a
                                function is called with the value; json.null matches absent
  repl.List                     the metatable of the lists :where returns
]]
local json = require("a0lua.core.json")
local secrets = require("a0lua.secrets")
local handler = require("a0lua.handler")
local util = require("a0lua.util")

local M = {}

local NULL = json.null
local ARRAY_MT = json.array_mt

local function is_marked_array(v)
  return type(v) == "table" and getmetatable(v) == ARRAY_MT
end

-- A Lua table used as an array in a pattern: marked, or keys exactly 1..n (n >= 1).
local function is_sequence(t)
  if is_marked_array(t) then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

--------------------------------------------------------------------------------------------------
-- Values as the REPL shows them

function M.present(v, depth)
  depth = depth or 0
  if type(v) ~= "table" or depth > 100 then return v end
  local mt = getmetatable(v)
  if mt ~= nil and mt ~= ARRAY_MT then return v end
  local out = {}
  if mt == ARRAY_MT then
    for i = 1, #v do out[i] = M.present(v[i], depth + 1) end
    return setmetatable(out, ARRAY_MT)
  end
  for k, x in pairs(v) do
    if x ~= NULL and not (type(k) == "string" and k:sub(1, 2) == "__") then
      out[k] = M.present(x, depth + 1)
    end
  end
  return out
end

function M.contains(value, pattern)
  if type(pattern) == "function" then return not not pattern(value) end
  if pattern == NULL then return value == nil or value == NULL end
  if type(pattern) ~= "table" then return value == pattern end
  if type(value) ~= "table" or value == NULL then return false end
  if is_sequence(pattern) then
    if not is_marked_array(value) and not is_sequence(value) then return false end
    for _, p in ipairs(pattern) do
      local found = false
      for _, v in ipairs(value) do
        if M.contains(v, p) then
          found = true
          break
        end
      end
      if not found then return false end
    end
    return true
  end
  for k, p in pairs(pattern) do
    if not M.contains(value[k], p) then return false end
  end
  return true
end

local function is_placeholder(v)
  return type(v) == "string" and (v:match("^##[A-Z0-9_]+##$") or v:match("^@@[A-Z0-9_]+@@$"))
end

local ESCAPES = { ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r", ["\\"] = "\\\\", ['"'] = '\\"' }

local function decimal(c) return ("\\%03d"):format(c:byte()) end

-- A Lua string literal of s, safe on a terminal: C0 controls and DEL, and the C1 controls
-- (U+0080..U+009F, and lone bytes 0x80..0x9F in text that is not UTF-8), which a terminal would
-- obey (tenant data is hostile input: a client named "\27]0;x\7" would retitle it), are escapes.
local function quote(s)
  s = s:gsub('[%c"\\]', function(c) return ESCAPES[c] or decimal(c) end)
  s = s:gsub("\194([\128-\159])", function(c) return "\\194" .. decimal(c) end)
  if utf8.len(s) == nil then s = s:gsub("[\128-\159]", decimal) end
  return '"' .. s .. '"'
end

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local List = {}
M.List = List
-- What a list is of: { handler =, label = }, kept aside so pairs(list) sees only the items.
local LIST_INFO = setmetatable({}, { __mode = "k" })
local Collection = {}
M.Collection = Collection

local function is_plan(v)
  return type(v) == "table" and type(v.list) == "table" and getmetatable(v) ~= nil
    and type(v.render) == "function" and type(v.summary) == "function"
end

-- A one-line label for an item of a typed list: "name (id)".
local function item_label(h, item)
  if type(item) ~= "table" then return M.pretty(item) end
  local name_field = h and h.name_field or "name"
  -- (a keyed item under a compound identifier is shown by its key: "sms-twilio")
  local name = h and h.kind == "keyed" and handler.item_name(h, item) or item[name_field]
  local id = h and h.id and item[h.id]
  local text = name ~= nil and quote(tostring(name)) or M.pretty(item, { width = 70 })
  if id ~= nil and id ~= name then text = text .. "  (" .. tostring(id) .. ")" end
  return text
end

local function render_items(label, h, items)
  local lines = { ("%s: %d item%s"):format(label, #items, #items == 1 and "" or "s") }
  for i, item in ipairs(items) do
    lines[#lines + 1] = ("  [%d] %s"):format(i, item_label(h, item))
  end
  return table.concat(lines, "\n")
end

local pretty

-- A float written so that Lua reads it back as a float: nan, inf, -inf, or digits with a point.
local function pretty_float(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  local s = ("%.14g"):format(v)
  if not s:find("[%.eEn]") then s = s .. ".0" end
  return s
end

-- The text of a table that has its own way of being shown (a typed list, a collection, a plan,
-- a __tostring), else nil.
local function shown_by_itself(v)
  local mt = getmetatable(v)
  if mt == List then
    local info = LIST_INFO[v] or {}
    return render_items(info.label or "list", info.handler, v)
  end
  if mt == Collection then return tostring(v) end
  if is_plan(v) then return (v:render{ color = false }:gsub("\n$", "")) end
  if mt ~= nil and mt ~= ARRAY_MT and mt.__tostring then return tostring(v) end
  return nil
end

-- The shown entries of a table: its elements when it is a marked array or a plain sequence,
-- else `key = value` with keys sorted.
local function pretty_entries(v, array, indent, width, seen, depth, under)
  local parts = {}
  local n = #v
  if array then
    for i = 1, n do
      parts[#parts + 1] = pretty(v[i], indent .. "  ", width, seen, depth + 1, nil, under)
    end
    return parts
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, key_less)
  local sequence = n > 0 and #keys == n
  for _, k in ipairs(keys) do
    local value = pretty(v[k], indent .. "  ", width, seen, depth + 1, k, under)
    if sequence then
      parts[#parts + 1] = value
    elseif is_identifier(k) then
      parts[#parts + 1] = k .. " = " .. value
    else
      local shown = type(k) == "string" and quote(k) or tostring(k)
      parts[#parts + 1] = "[" .. shown .. "] = " .. value
    end
  end
  return parts
end

-- The entries between brackets on one line when they fit in width, else one per line.
local function layout(parts, array, indent, width)
  if #parts == 0 then return array and "[]" or "{}" end
  local open, close = "{", "}"
  if array then open, close = "[", "]" end
  local one = open .. " " .. table.concat(parts, ", ") .. " " .. close
  if #one + #indent <= width and not one:find("\n", 1, true) then return one end
  return open .. "\n" .. indent .. "  " .. table.concat(parts, ",\n" .. indent .. "  ") .. "\n"
    .. indent .. close
end

-- under: v sits inside a secret (a0lua.secrets: under "client_secret", every string is one).
function pretty(v, indent, width, seen, depth, key, under)
  if type(v) == "string" and not is_placeholder(v) then
    local class = key ~= nil and secrets.class(key)
    if (under and key ~= "name") or class then return secrets.MASK end
  end
  under = (under and key ~= "name") or (key ~= nil and secrets.class(key) == "secret")
  local tv = type(v)
  if v == nil then return "nil" end
  if v == NULL then return "null" end
  if tv == "string" then return quote(v) end
  if tv == "number" then
    if math.type(v) == "float" then return pretty_float(v) end
    return tostring(v)
  end
  if tv ~= "table" then return tostring(v) end
  local own = shown_by_itself(v)
  if own then return own end
  if seen[v] then return "<cycle>" end
  if depth > 30 then return "{...}" end
  seen[v] = true
  local array = is_marked_array(v)
  local parts = pretty_entries(v, array, indent, width, seen, depth, under)
  seen[v] = nil
  return layout(parts, array, indent, width)
end

function M.pretty(v, opts)
  opts = opts or {}
  return pretty(v, "", opts.width or 100, {}, 0)
end

--------------------------------------------------------------------------------------------------
-- Lists (what :where returns) and collections (tenant.clients)

local ListMethods = {}

local function new_list(items, h, label)
  local list = {}
  for i, item in ipairs(items) do list[i] = item end
  LIST_INFO[list] = { handler = h, label = label }
  return setmetatable(list, List)
end

local function info_of(list)
  return LIST_INFO[list] or {}
end

local function select_items(items, pattern)
  local test
  if type(pattern) == "function" then
    test = pattern
  elseif type(pattern) == "table" then
    test = function(item) return M.contains(item, pattern) end
  else
    error("where: give a predicate function(item) or a pattern table {field = value}", 3)
  end
  local out = {}
  for _, item in ipairs(items) do
    if test(item) then out[#out + 1] = item end
  end
  return out
end

local function find_by_key(h, items, key)
  local name_field = h and h.name_field or "name"
  for _, item in ipairs(items) do
    if type(item) == "table" then
      if item[name_field] == key then return item end
      if h and h.id and item[h.id] == key then return item end
      if h and h.kind == "keyed" and handler.item_id(h, item) == key then return item end
    end
  end
  return nil
end

local function names_of(h, items)
  local out = setmetatable({}, ARRAY_MT)
  local name_field = h and h.name_field or "name"
  for _, item in ipairs(items) do
    local name = type(item) == "table" and item[name_field]
    if name == nil and type(item) == "table" and h and h.kind == "keyed" then
      name = handler.item_id(h, item)
    end
    if name ~= nil then out[#out + 1] = name end
  end
  return out
end

function ListMethods:where(pattern)
  local info = info_of(self)
  return new_list(select_items(self, pattern), info.handler, info.label)
end

function ListMethods:find(pattern)
  return select_items(self, pattern)[1]
end

function ListMethods:get(key)
  return find_by_key(info_of(self).handler, self, key)
end

function ListMethods:names()
  return names_of(info_of(self).handler, self)
end

-- The items as a plain JSON array (json.encode writes it as one).
function ListMethods:totable()
  local out = setmetatable({}, ARRAY_MT)
  for i, item in ipairs(self) do out[i] = item end
  return out
end

List.__index = ListMethods
List.__tostring = function(self)
  return ("%s: %d item%s"):format(info_of(self).label or "list", #self, #self == 1 and "" or "s")
end
M.LIST_METHODS = ListMethods

local CollectionMethods = {}

-- Every item of the type, read once (then kept until :reload()).
function CollectionMethods:all()
  local items = rawget(self, "_items")
  if items then return items end
  local tenant, type_name = rawget(self, "_tenant"), rawget(self, "_type")
  local value, err = tenant:fetch(type_name)
  if value == nil then error(err, 2) end
  local shown = {}
  for i, item in ipairs(type(value) == "table" and value or {}) do shown[i] = M.present(item) end
  items = new_list(shown, rawget(self, "_handler"), type_name)
  rawset(self, "_items", items)
  return items
end

function CollectionMethods:where(pattern)
  return ListMethods.where(CollectionMethods.all(self), pattern)
end

function CollectionMethods:find(pattern)
  return ListMethods.find(CollectionMethods.all(self), pattern)
end

function CollectionMethods:get(key)
  return ListMethods.get(CollectionMethods.all(self), key)
end

function CollectionMethods:names()
  return ListMethods.names(CollectionMethods.all(self))
end

function CollectionMethods:reload()
  rawset(self, "_items", nil)
  local tenant = rawget(self, "_tenant")
  if type(tenant.ctx) == "table" and type(tenant.ctx.current) == "table" then
    tenant.ctx.current[rawget(self, "_type")] = nil
  end
  return self
end

Collection.__index = function(self, key)
  local method = CollectionMethods[key]
  if method then return method end
  if math.type(key) == "integer" then return CollectionMethods.all(self)[key] end
  if type(key) == "string" then return CollectionMethods.get(self, key) end
  return nil
end
Collection.__len = function(self) return #CollectionMethods.all(self) end
Collection.__pairs = function(self) return ipairs(CollectionMethods.all(self)) end
Collection.__tostring = function(self)
  local items = rawget(self, "_items")
  if not items then
    local ok, loaded = pcall(CollectionMethods.all, self)
    if not ok then return ("%s: (not read: %s)"):format(rawget(self, "_type"), tostring(loaded)) end
    items = loaded
  end
  return render_items(rawget(self, "_type"), rawget(self, "_handler"), items)
end
M.COLLECTION_METHODS = CollectionMethods

function M.collection(tenant, type_name, h)
  return setmetatable({ _tenant = tenant, _type = type_name, _handler = h }, Collection)
end

--------------------------------------------------------------------------------------------------
-- The `tenant` global

local TENANT_METHODS = { "plan", "apply", "export", "fetch", "reload", "close" }

-- The type a snake_case name stands for: the one whose handler file it names
-- (`network_acls` is networkACLs, which a plain snake-to-camel rule would make networkAcls).
local function type_of_snake(registry, key)
  local file_name = require("a0lua.handlers").file_name
  for _, t in ipairs(registry:types()) do
    if file_name(t) == key then return t end
  end
  return nil
end

local function new_tenant_global(session)
  local real = session.tenant
  local collections, singletons = {}, {}
  local self = {}
  local methods = {}

  local function clear()
    for _, c in pairs(collections) do CollectionMethods.reload(c) end
    for t in pairs(singletons) do
      singletons[t] = nil
      if type(real.ctx) == "table" and type(real.ctx.current) == "table" then
        real.ctx.current[t] = nil
      end
    end
  end
  session.clear_cache = clear

  function methods.reload()
    clear()
    return self
  end

  function methods.plan(_, desired, opts)
    return session.env.plan(desired, opts)
  end

  function methods.apply(_, p)
    if not is_plan(p) then error("tenant:apply: give a plan (from plan(...))", 2) end
    local report, err = real:apply(p)
    clear()
    if not report then error(err, 0) end
    return report
  end

  function methods.export(_, dir, opts)
    local result, err = real:export(dir, opts)
    if not result then error(err, 0) end
    return result
  end

  function methods.fetch(_, type_name)
    local value, err = real:fetch(type_name)
    if value == nil then error(err, 0) end
    return M.present(value)
  end

  function methods.close()
    real:close()
  end

  local function handler_of(key)
    local h = real.handlers:get(key)
    if h then return key, h end
    local type_name = type_of_snake(real.handlers, key)
    if type_name then return type_name, real.handlers:get(type_name) end
    return nil
  end

  local mt = {
    __index = function(_, key)
      if methods[key] then return methods[key] end
      if key == "domain" then
        local cfg = real.config or {}
        return cfg.host or cfg.AUTH0_DOMAIN
      end
      if type(key) ~= "string" then return nil end
      local type_name, h = handler_of(key)
      if not type_name then return nil end
      if h.kind == "singleton" then
        if singletons[type_name] == nil then
          local value, err = real:fetch(type_name)
          if value == nil then error(err, 2) end
          singletons[type_name] = M.present(value)
        end
        return singletons[type_name]
      end
      local c = collections[type_name]
      if not c then
        c = M.collection(real, type_name, h)
        collections[type_name] = c
      end
      return c
    end,
    __newindex = function() error("tenant: its fields are read-only", 2) end,
    __tostring = function()
      local cfg = real.config or {}
      return "tenant " .. tostring(cfg.host or cfg.AUTH0_DOMAIN)
    end,
  }
  session.tenant_keys = function()
    local keys = {}
    for _, m in ipairs(TENANT_METHODS) do keys[#keys + 1] = m end
    keys[#keys + 1] = "domain"
    for _, t in ipairs(real.handlers:types()) do keys[#keys + 1] = t end
    return keys
  end
  return setmetatable(self, mt)
end

local function no_tenant_global(why)
  return setmetatable({}, {
    __index = function() error(why, 2) end,
    __newindex = function() error(why, 2) end,
    __tostring = function() return "no tenant: " .. why end,
  })
end

--------------------------------------------------------------------------------------------------
-- The other globals

local HELP = [[
a0lua REPL: Lua 5.4 with the tenant at hand. An expression prints its value; a statement runs.
  tenant                         the tenant; tenant.domain
  tenant.clients                 a collection, read on first use (any type with a handler:
                                 tenant.resourceServers or tenant.resource_servers, tenant.roles)
  tenant.clients["My SPA"]       one item by name or id; tenant.clients[1] by position
  tenant.clients:where{app_type = "spa"}     items containing the pattern (arrays by containment)
  tenant.clients:where(function(c) return c.callbacks and #c.callbacks > 2 end)
  tenant.clients:find{...}  :names()  :all()  :reload()     #tenant.clients
  tenant.tenant  tenant.prompts  singletons, as objects
  tenant:reload()                forget what was read
  api.get(path [, query])  api.post(path, body)  api.patch(path, body)  api.put(path, body)
  api.delete(path)               raw Management API requests (paths below /api/v2)
  load(path)                     the desired state of tenant.yaml or a directory, validated
  plan(path_or_desired)          what an import would change (prints as a diff)
  tenant:apply(p)                carry out a plan;  tenant:export(dir [, {format = "yaml"}])
  diff(a, b)                     the differences between two values (or two files)
  help()                         this text
API nulls show as nil. Lua's own load is _G.load. Tab completes names, fields and resource
names (after ["); Up and Down walk the history (~/.a0lua_history). Ctrl-D leaves.]]

local function make_api(session)
  local real = session.tenant
  local api = {}
  local function call(method, path, body_or_query)
    if type(path) ~= "string" then
      error(("api.%s: the path (below /api/v2) must be a string"):format(method:lower()), 3)
    end
    local opts = {}
    if method == "GET" or method == "DELETE" then
      opts.query = body_or_query
    else
      opts.body = body_or_query
    end
    local body, err = real.api:request(method, path, opts)
    if method ~= "GET" and session.clear_cache then session.clear_cache() end
    if body == nil then return nil, err end
    return body
  end
  for _, m in ipairs({ "get", "post", "put", "patch", "delete" }) do
    api[m] = function(a, b, c)
      -- api.get(path) and api:get(path) both work.
      if a == api then a, b = b, c end
      return call(m:upper(), a, b)
    end
  end
  return api
end

local function load_failed(problems)
  local first = problems and problems[1]
  if type(first) == "table" and type(first.code) == "string" and first.code:match("^hook_") then
    return first
  end
  local ok, validate = pcall(require, "a0lua.validate")
  if ok then return validate.error(problems) end
  return tostring(first)
end

local function make_globals(session)
  local env = session.env
  local a0lua = session.a0lua
  local sources_of = setmetatable({}, { __mode = "k" })

  env.help = function()
    session.out:write(HELP, "\n")
  end

  env.print = function(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    session.out:write(table.concat(parts, "\t"), "\n")
  end

  env.load = function(path, opts)
    if type(path) ~= "string" then
      error("load: give the path of tenant.yaml or of a directory (Lua's load is _G.load)", 2)
    end
    opts = opts or {}
    local o = { config = session.config, log = session.log }
    for k, v in pairs(opts) do o[k] = v end
    if session.tenant then o.handlers = o.handlers or session.tenant.handlers end
    local desired, sources = a0lua.load(path, o)
    if not desired then error(load_failed(sources), 0) end
    sources_of[desired] = sources
    return desired
  end

  env.plan = function(what, opts)
    if not session.tenant then error(session.no_tenant, 2) end
    local desired = what
    if type(what) == "string" then desired = env.load(what) end
    if type(desired) ~= "table" then
      error("plan: give the path of tenant.yaml (or a directory) or a desired state", 2)
    end
    opts = opts or {}
    local p, err = session.tenant:plan(desired, { sources = opts.sources or sources_of[desired] })
    if not p then error(err, 0) end
    return p
  end

  env.diff = function(a, b)
    if type(a) == "string" then a = env.load(a) end
    if type(b) == "string" then b = env.load(b) end
    return a0lua.diff(a, b)
  end

  if session.tenant then
    env.tenant = new_tenant_global(session)
    env.api = make_api(session)
  else
    env.tenant = no_tenant_global(session.no_tenant)
    env.api = setmetatable({}, { __index = function() error(session.no_tenant, 2) end })
  end
end

--------------------------------------------------------------------------------------------------
-- The session

local Session = {}
Session.__index = Session

local function home_history()
  local home = os.getenv("HOME")
  if not home or home == "" then return nil end
  return home .. "/.a0lua_history"
end

function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("repl.new: opts must be a table", 2) end
  local editor = opts.editor or require("a0lua.core.repl")
  local interactive = opts.interactive
  if interactive == nil then interactive = editor.isatty() end
  local self = setmetatable({
    tenant = opts.tenant,
    config = opts.config or (opts.tenant and opts.tenant.config) or {},
    a0lua = opts.a0lua or require("a0lua"),
    editor = editor,
    out = opts.out or io.stdout,
    err = opts.err or io.stderr,
    log = opts.log,
    interactive = interactive,
    color = opts.color,
    failed = false,
    no_tenant = opts.no_tenant or "no tenant: start the REPL with -c config.json (AUTH0_DOMAIN "
      .. "and the client's credentials)",
  }, Session)
  if self.color == nil then self.color = interactive end
  if opts.history == nil then
    self.history = interactive and home_history() or nil
  else
    self.history = opts.history or nil
  end
  self.env = setmetatable({}, { __index = _G })
  make_globals(self)
  return self
end

local message_of = util.message_of

function Session:report(e)
  self.failed = true
  self.out:flush()
  self.err:write("error: ", message_of(e), "\n")
end

function Session:show(results)
  for i = 1, results.n do
    local v = results[i]
    local text
    if is_plan(v) then
      text = v:render{ color = self.color }:gsub("\n$", "")
    else
      text = M.pretty(v)
    end
    self.out:write(text, "\n")
  end
end

-- Runs fn inside the tenant's task (API calls need one), catching errors.
function Session:protected(fn)
  local function body()
    return table.pack(pcall(fn))
  end
  local ok, packed
  if self.tenant then
    ok, packed = pcall(function() return self.tenant:run(body) end)
  else
    ok, packed = true, body()
  end
  if not ok then return false, packed end
  if not packed[1] then return false, packed[2] end
  local results = { n = packed.n - 1 }
  for i = 2, packed.n do results[i - 1] = packed[i] end
  return true, results
end

function Session:eval(text)
  if text:match("^%s*$") then return "ok" end
  local source = text
  if source:sub(1, 1) == "=" then source = "return " .. source:sub(2) end
  local chunk = load("return " .. source, "=stdin", "t", self.env)
  if not chunk then
    local err
    chunk, err = load(source, "=stdin", "t", self.env)
    if not chunk then
      if err:match("<eof>$") then return "incomplete", err end
      self:report(err)
      return "error", err
    end
  end
  local ok, results = self:protected(chunk)
  if not ok then
    self:report(results)
    return "error", results
  end
  self:show(results)
  return "ok"
end

function Session:banner()
  local version = "dev"
  local ok, host = pcall(require, "a0lua.core.host")
  if ok and type(host) == "table" and host.version then version = host.version end
  local where
  if self.tenant then
    local cfg = self.tenant.config or {}
    where = "on tenant " .. tostring(cfg.host or cfg.AUTH0_DOMAIN)
  else
    where = "without a tenant (give -c config.json)"
  end
  self.out:write(("a0lua %s REPL %s. help() lists what is here; Ctrl-D leaves.\n")
    :format(version, where))
end

function Session:loop()
  local editor = self.editor
  if self.interactive then
    self:banner()
    if self.history then editor.load_history(self.history) end
    editor.set_completer(function(word, line, start) return self:complete(word, line, start) end)
  end
  local buffer
  while true do
    self.out:flush()
    local prompt = buffer and ">> " or "> "
    local line, rerr = editor.readline(prompt)
    if line == nil then
      if rerr then self:report(rerr) end
      if buffer then
        -- The input ended inside a statement: say what is missing.
        local _, err = load(buffer, "=stdin", "t", self.env)
        self:report(err or "unfinished chunk at the end of input")
      end
      break
    end
    buffer = buffer and (buffer .. "\n" .. line) or line
    local status = self:eval(buffer)
    if status ~= "incomplete" then
      if self.interactive and self.history and not buffer:match("^%s*$") then
        editor.add_history(buffer)
        editor.save_history(self.history, 1000)
      end
      buffer = nil
    end
  end
  if self.interactive then
    editor.set_completer(nil)
    self.out:write("\n")
  end
  self.out:flush()
  if not self.interactive and self.failed then return 1 end
  return 0
end

--------------------------------------------------------------------------------------------------
-- Completion

local KEYWORDS = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until",
  "while" }

local function add_keys(set, t)
  if type(t) ~= "table" then return end
  for k in pairs(t) do
    if is_identifier(k) then set[k] = true end
  end
end

-- The names that may follow `value.` or `value:`.
function Session:fields_of(value)
  local set = {}
  if type(value) == "string" then
    add_keys(set, string)
  elseif type(value) == "table" then
    local mt = getmetatable(value)
    if mt == Collection then
      add_keys(set, CollectionMethods)
    elseif mt == List then
      add_keys(set, ListMethods)
    elseif value == self.env.tenant and self.tenant_keys then
      for _, k in ipairs(self.tenant_keys()) do set[k] = true end
    else
      add_keys(set, value)
      if mt and type(mt.__index) == "table" then add_keys(set, mt.__index) end
      if value == self.env then add_keys(set, _G) end
    end
  end
  return set
end

-- Parses an expression such as `tenant.clients["My SPA"].jwt_configuration` into its steps:
-- { "tenant", "clients", "My SPA", "jwt_configuration" } (numbers for [1]); nil when the whole
-- text is not such an expression.
local function parse_path(text)
  local first, rest = text:match("^([%a_][%w_]*)(.*)$")
  if not first then return nil end
  local steps = { first }
  while rest ~= "" do
    local name, after = rest:match("^%.([%a_][%w_]*)(.*)$")
    if name then
      steps[#steps + 1], rest = name, after
    else
      local index
      index, after = rest:match("^%[(%d+)%](.*)$")
      if index then
        steps[#steps + 1], rest = tonumber(index), after
      else
        local q = rest:match("^%[([\"'])")
        if not q then return nil end
        local close = rest:find(q .. "]", 3, true)
        if not close then return nil end
        steps[#steps + 1], rest = rest:sub(3, close - 1), rest:sub(close + 2)
      end
    end
  end
  return steps
end

-- The value at the end of the steps, from the globals; nil when any step fails (nothing is
-- called but the collections' lazy reads).
function Session:resolve(steps)
  if type(steps) == "string" then steps = parse_path(steps) end
  if not steps then return nil end
  local ok, value = pcall(function()
    local v = self.env[steps[1]]
    for i = 2, #steps do
      if type(v) ~= "table" then return nil end
      v = v[steps[i]]
    end
    return v
  end)
  if ok then return value end
  return nil
end

-- The longest expression that ends `text` and parses, with where it starts.
local function trailing_path(text)
  for i = 1, #text do
    if i == 1 or not text:sub(i - 1, i - 1):match("[%w_]") then
      local steps = parse_path(text:sub(i))
      if steps then return steps end
    end
  end
  return nil
end

local function sorted(set, prefix, partial, suffix)
  local out = {}
  for k in pairs(set) do
    if k:sub(1, #partial) == partial then out[#out + 1] = prefix .. k .. (suffix or "") end
  end
  table.sort(out)
  return out
end

function Session:complete(word, line, start)
  line = line or word
  start = start or 1
  local typed_line = line:sub(1, start - 1) .. word
  -- A resource name inside tenant.clients["...
  local head, q, typed = typed_line:match("^(.-)%[([\"'])([^\"']*)$")
  local coll = head and self:resolve(trailing_path(head))
  if coll ~= nil then
    if getmetatable(coll) ~= Collection and getmetatable(coll) ~= List then return {} end
    local ok, names = pcall(function() return coll:names() end)
    if not ok then return {} end
    local before_word = typed:sub(1, #typed - #word)
    local out = {}
    for _, name in ipairs(names) do
      name = tostring(name)
      if name:sub(1, #typed) == typed then
        out[#out + 1] = name:sub(#before_word + 1) .. q .. "]"
      end
    end
    table.sort(out)
    return out
  end
  -- A field or method: `expr.partial` or `expr:partial`.
  local before, _, partial = typed_line:match("^(.*)([%.:])([%w_]*)$")
  if before and #partial <= #word then
    local steps = trailing_path(before)
    if not steps then return {} end
    local value = self:resolve(steps)
    if value == nil then return {} end
    return sorted(self:fields_of(value), word:sub(1, #word - #partial), partial)
  end
  if not word:match("^[%a_][%w_]*$") and word ~= "" then return {} end
  local set = {}
  add_keys(set, self.env)
  add_keys(set, _G)
  for _, k in ipairs(KEYWORDS) do set[k] = true end
  return sorted(set, "", word)
end

M.Session = Session

return M
