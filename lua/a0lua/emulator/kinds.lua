--[[
a0lua.emulator.kinds: the generic behaviour of the emulated resource types. A resource module
describes a type with a table of data and gets its route bindings from one of these:

  kinds.collection(def) -> bindings     a list of objects with a server-assigned id
  kinds.singleton(def)  -> bindings     one object per tenant (tenant settings, branding, ...)
  kinds.keyed(def)      -> bindings     one object per path ("/email-templates/{templateName}")
  kinds.join({ bindings, ... }) -> bindings            several lists as one (a module's bindings)
  kinds.find_or_404(ctx, key, field, value, not_found) -> the item of the list at key whose
                                        field is value, or a 404 worded by not_found
  kinds.query_matches(query, item, fields) -> whether item has the value the query gives for
                                        each of fields it names (a list route's filters)

A binding is { method =, template =, handler = function(ctx, req, params, body) -> status,
value [, list], paging =, key =, id_field =, max_take =, bare_without_params =, omit_zero =,
force_paging =, keep_status = }. The OpenAPI document's success status replaces the handler's
for POST and DELETE unless keep_status is set; force_paging makes the binding's paging and key
win over the document's.
A handler that returns a third value `list` (true) has returned the full list: app.lua pages it
with the route's paging style. Errors are raised with a0lua.emulator.errors.

The handler context ctx: { store =, ids =, clock = function() -> seconds, now = function() ->
ISO time, later = function(seconds, fn), config = { build_delay =, ... } }.

collection(def), def fields (only path is required):
  path          "/clients"                       collection path (the store key)
  item          "/clients/{id}"                  item template (default path .. "/{id}")
  id            "client_id"                      id field (default "id")
  id_format     see a0lua.emulator.ids            default { prefix = "", length = 24 }
  key, paging   envelope key and paging style when routes.lua does not say (default "bare")
  methods       { list, create, get, update = "PATCH", replace = "PUT", delete } (booleans;
                default: all but replace)
  defaults      table or function(ctx, body) -> table: fields a new item starts with
  timestamps    true: created_at / updated_at kept by the server
  unique        { { fields = { "name" }, message =, code = }, ... } -> 409 on a duplicate; a
                rule may compute its value instead: { value = function(item), fields = { the
                fields it reads }, ... }
  not_found     { message =, code = } for an unknown id
  parent        { path =, id =, not_found = }    a sub-collection ("/roles/{id}/permissions"):
                the first placeholder must name an item of parent.path (else 404)
  filters       { query_name = function(item, value) -> keep }  (value as decoded)
  create        function(ctx, item, body, req)   fill server fields (after defaults and body)
  update        function(ctx, item, body, req)   replaces the default shallow merge
  after_write   function(ctx, item, op)          op "create" | "update" | "replace"
  on_delete     function(ctx, item, req)         cascade, or raise to refuse
  view          function(ctx, item) -> value     what GET (and writes) answer; default item
  list_view     function(ctx, item) -> value     what a list shows of an item; default view
  sort          function(a, b)                   list order (default: creation order)
  max_take      checkpoint take limit (default 100)
]]
local json = require("a0lua.core.json")
local errors = require("a0lua.emulator.errors")
local values = require("a0lua.emulator.values")

local M = {}

local copy = values.copy

-- A request body as the object a write merges (anything else: nothing to merge).
local function body_object(body)
  return type(body) == "table" and body or {}
end

-- Merges a body into target: "deep" merges objects recursively, anything else shallowly.
local function merge_body(target, body, how)
  if how == "deep" then
    values.deep_merge(target, body_object(body))
  else
    values.merge(target, body_object(body))
  end
end

-- A 404 worded by nf ({ message =, code = }; nil: the generic one).
local function raise_not_found(nf)
  nf = nf or {}
  errors.not_found(nf.message, nf.code)
end

-- The item of the list at key whose field equals value; a 404 worded by nf when there is none.
function M.find_or_404(ctx, key, field, value, nf)
  local item = ctx.store:find(key, field, value)
  if not item then raise_not_found(nf) end
  return item
end

-- The parent item a sub-resource's path names ({ path =, id =, not_found = }), or a 404.
local function parent_item(ctx, parent, id)
  return M.find_or_404(ctx, parent.path, parent.id or "id", id, parent.not_found)
end

-- The bindings of the methods asked for, in the order given: routes holds one binding per
-- method name, made whether asked for or not.
local function chosen(methods, order, routes)
  local b = {}
  for _, name in ipairs(order) do
    if methods[name] then b[#b + 1] = routes[name] end
  end
  return b
end

-- Whether item has, for each of fields that the query names, the query's value.
function M.query_matches(query, item, fields)
  for _, f in ipairs(fields) do
    if query[f] and item[f] ~= query[f] then return false end
  end
  return true
end

-- Several lists of bindings as one (a resource module's bindings()).
function M.join(lists)
  local out = {}
  for _, list in ipairs(lists) do
    for _, b in ipairs(list) do out[#out + 1] = b end
  end
  return out
end

local function defaults_of(def, ctx, body)
  local d = def.defaults
  if type(d) == "function" then return d(ctx, body) or {} end
  return copy(d or {})
end

-- The unique index key of one uniqueness rule for an item (nil when a field is missing).
local function unique_value(rule, item)
  if rule.value then return rule.value(item) end
  if #rule.fields == 1 then return item[rule.fields[1]] end
  local parts = {}
  for i, f in ipairs(rule.fields) do
    local v = item[f]
    if v == nil then return nil end
    parts[i] = tostring(v)
  end
  return table.concat(parts, "\0")
end

-- Raises 409 when another item of the collection has the same unique value(s).
local function check_unique(def, ctx, key, candidate, self_item)
  for _, rule in ipairs(def.unique or {}) do
    local v = unique_value(rule, candidate)
    if v ~= nil then
      local existing
      if not rule.value and #rule.fields == 1 then
        existing = ctx.store:find(key, rule.fields[1], v)
      else
        rule.index_name = rule.index_name or tostring(rule)
        existing = ctx.store:find_by(key, rule.index_name, function(it)
          return unique_value(rule, it)
        end, v, rule.fields)
      end
      if existing and existing ~= self_item then
        local message = rule.message
        if type(message) == "function" then message = message(candidate) end
        errors.conflict(message, rule.code)
      end
    end
  end
end

local function find(def, ctx, key, id)
  local item = ctx.store:find(key, def.id or "id", id)
  if not item and def.find then item = def.find(ctx, key, id) end
  return item
end

local function view(def, ctx, item)
  if def.view then return def.view(ctx, item) end
  return item
end

local function list_items(def, ctx, key, query)
  local items = ctx.store:get(key) or json.array()
  local filters = def.filters
  local active = {}
  if filters then
    for name, fn in pairs(filters) do
      local v = query[name]
      if v ~= nil and v ~= "" then active[#active + 1] = { fn, v } end
    end
  end
  local lv = def.list_view or def.view
  if #active == 0 and not lv and not def.sort then return items end
  local out = json.array()
  for _, item in ipairs(items) do
    local keep = true
    for _, f in ipairs(active) do
      if not f[1](item, f[2], ctx) then
        keep = false
        break
      end
    end
    if keep then out[#out + 1] = lv and lv(ctx, item) or item end
  end
  if def.sort then table.sort(out, def.sort) end
  return out
end
M.list_items = function(ctx, def, key, query) return list_items(def, ctx, key, query) end

-- Creates an item from a validated body and stores it under key; returns the stored item.
function M.create_item(ctx, def, key, body, req)
  local item = defaults_of(def, ctx, body)
  if type(body) == "table" then values.merge(item, body) end
  local id_field = def.id or "id"
  item[id_field] = ctx.ids:make(def.id_format or { prefix = "", length = 24 })
  if def.timestamps then
    local now = ctx.now()
    item.created_at, item.updated_at = now, now
  end
  if def.create then def.create(ctx, item, body or {}, req, key) end
  check_unique(def, ctx, key, item, nil)
  ctx.store:insert(key, item)
  if def.after_write then def.after_write(ctx, item, "create") end
  return item
end

-- Applies a PATCH body to a stored item (in place, so indexes stay valid).
function M.update_item(ctx, def, key, item, body, req)
  body = body_object(body)
  local candidate = setmetatable({}, { __index = function(_, k)
    local v = body[k]
    if v == json.null then return nil end
    if v ~= nil then return v end
    return item[k]
  end })
  check_unique(def, ctx, key, candidate, item)
  if def.update then
    def.update(ctx, item, body, req)
  else
    values.merge(item, body)
  end
  if def.timestamps then item.updated_at = ctx.now() end
  local changed = {}
  for k in pairs(body) do changed[k] = true end
  ctx.store:reindex(key, changed)
  if def.after_write then def.after_write(ctx, item, "update") end
  return item
end

-- Replaces a stored item with its defaults and a PUT body, keeping its id and created_at.
local function replace_item(ctx, def, key, item, body, req)
  local id_field = def.id or "id"
  local keep = { [id_field] = item[id_field], created_at = item.created_at }
  for k in pairs(item) do item[k] = nil end
  values.merge(item, defaults_of(def, ctx, body))
  values.merge(item, body_object(body))
  for k, v in pairs(keep) do item[k] = v end
  if def.timestamps then item.updated_at = ctx.now() end
  ctx.store:reindex(key)
  if def.after_write then def.after_write(ctx, item, "replace", req) end
end

-- The store key of a collection for a request (placeholders of a sub-collection's path filled
-- from the request), after checking that the parent exists.
local function key_for(def, ctx, params)
  if def.parent then
    parent_item(ctx, def.parent, params[1])
    return M.path_of(def.path, params)
  end
  return def.path
end
M.key_for = function(ctx, def, params) return key_for(def, ctx, params) end

local COLLECTION_METHODS = { "list", "create", "get", "update", "replace", "delete" }

function M.collection(def)
  assert(def.path, "kinds.collection: path is required")
  local id_field = def.id or "id"
  local item_t = def.item or (def.path .. "/{id}")
  local methods = def.methods or { list = true, create = true, get = true, update = true,
                                   delete = true }
  local function lookup(ctx, params)
    local key = key_for(def, ctx, params)
    local item = find(def, ctx, key, params[#params])
    if not item then raise_not_found(def.not_found) end
    return key, item
  end
  -- GET, PATCH and PUT of one item answer its view after what they do to it.
  local function on_item(method, act)
    return { method = method, template = item_t, handler = function(ctx, req, params, body)
      local key, item = lookup(ctx, params)
      if act then act(ctx, def, key, item, body, req) end
      return 200, view(def, ctx, item)
    end }
  end
  return chosen(methods, COLLECTION_METHODS, {
    list = {
      method = "GET", template = def.path, paging = def.paging or "bare", key = def.key,
      id_field = id_field, max_take = def.max_take, force_paging = def.force_paging,
      bare_without_params = def.bare_without_params, omit_zero = def.omit_zero,
      handler = function(ctx, req, params)
        return 200, list_items(def, ctx, key_for(def, ctx, params), req.query), true
      end,
    },
    create = {
      method = "POST", template = def.path, status = 201,
      handler = function(ctx, req, params, body)
        local item = M.create_item(ctx, def, key_for(def, ctx, params), body, req)
        return def.create_status or 201, view(def, ctx, item)
      end,
    },
    get = on_item("GET"),
    update = on_item("PATCH", M.update_item),
    replace = on_item("PUT", replace_item),
    delete = {
      method = "DELETE", template = item_t, status = 204,
      handler = function(ctx, req, params)
        local key, item = lookup(ctx, params)
        if def.on_delete then def.on_delete(ctx, item, req) end
        ctx.store:delete_item(key, id_field, item[id_field])
        return 204
      end,
    },
  })
end

local SINGLETON_METHODS = { "get", "patch", "put", "post", "delete" }

--[[
singleton(def): one object at def.path.
  default   table or function(ctx) -> table: what GET answers before any write (nil with
            `missing`: GET answers 404)
  missing   { message =, code = } : 404 while nothing was written
  methods   { get = true, patch = true, put = false, post = false, delete = false }
  merge     "shallow" (default) | "deep" | function(ctx, current, body, req)
  view      function(ctx, value) -> answer
]]
function M.singleton(def)
  local methods = def.methods or { get = true, patch = true }
  local function current(ctx)
    local v = ctx.store:get(def.path)
    if v ~= nil then return v end
    if def.default == nil then return nil end
    if type(def.default) == "function" then return def.default(ctx) end
    return copy(def.default)
  end
  local function answer(ctx, v)
    if def.view then return def.view(ctx, v) end
    return v
  end
  local function write(ctx, req, body, replace)
    local v = replace and {} or current(ctx)
    if v == nil then
      if def.missing and not replace then raise_not_found(def.missing) end
      v = {}
    end
    if type(def.merge) == "function" then
      v = def.merge(ctx, v, body, req) or v
    else
      merge_body(v, body, def.merge)
    end
    ctx.store:set(def.path, v)
    return v
  end
  return chosen(methods, SINGLETON_METHODS, {
    get = { method = "GET", template = def.path, handler = function(ctx)
      local v = current(ctx)
      if v == nil then raise_not_found(def.missing) end
      return 200, answer(ctx, v)
    end },
    patch = { method = "PATCH", template = def.path, handler = function(ctx, req, _, body)
      return 200, answer(ctx, write(ctx, req, body, false))
    end },
    put = { method = "PUT", template = def.path, handler = function(ctx, req, _, body)
      return 200, answer(ctx, write(ctx, req, body, def.put_replaces ~= false))
    end },
    post = { method = "POST", template = def.path, status = 201,
      handler = function(ctx, req, _, body)
        if ctx.store:get(def.path) ~= nil and def.post_conflict then
          errors.conflict(def.post_conflict.message, def.post_conflict.code)
        end
        return 201, answer(ctx, write(ctx, req, body, true))
      end },
    delete = { method = "DELETE", template = def.path, status = 204, handler = function(ctx)
      ctx.store:remove(def.path)
      return 204
    end },
  })
end

local KEYED_METHODS = { "get", "put", "post", "patch", "delete" }

--[[
keyed(def): one object per concrete path of def.template, each its own store key
("/prompts/login/custom-text/en").
  template  "/prompts/{prompt}/custom-text/{language}"
  parent    { path =, id =, not_found = } : the first placeholder must name an existing item
  check     function(ctx, params) raises for an unknown name (e.g. a prompt that does not exist)
  default   table or function(ctx, params): what GET answers for a path never written (nil: 404)
  missing   { message =, code = } for that 404
  methods   { get = true, put = true, patch = false, post = false, delete = false }
  merge     for PATCH: "shallow" (default) | "deep"; PUT and POST replace
  fill      function(ctx, value, params, body, op) after a write (server fields)
  view      function(ctx, value, params) -> answer
  patch_missing  true: PATCH of a path never written answers 404 (email templates)
  conflict  { message =, code = } : POST when the path already holds a value answers 409
  put_status, post_status   default 200 and 201
]]
function M.keyed(def)
  local methods = def.methods or { get = true, put = true }
  local function key_of(ctx, params)
    if def.parent then parent_item(ctx, def.parent, params[1]) end
    if def.check then def.check(ctx, params) end
    return M.path_of(def.template, params)
  end
  local function current(ctx, key, params)
    local v = ctx.store:get(key)
    if v ~= nil then return v, true end
    local d = def.default
    if type(d) == "function" then return d(ctx, params), false end
    return copy(d), false
  end
  local function answer(ctx, v, params)
    if def.view then return def.view(ctx, v, params) end
    return v
  end
  local function replace(ctx, key, params, body, op)
    local v = copy(body_object(body))
    if def.fill then def.fill(ctx, v, params, body, op) end
    ctx.store:set(key, v)
    return v
  end
  return chosen(methods, KEYED_METHODS, {
    get = { method = "GET", template = def.template, handler = function(ctx, _, params)
      local v = current(ctx, key_of(ctx, params), params)
      if v == nil then raise_not_found(def.missing) end
      return 200, answer(ctx, v, params)
    end },
    put = { method = "PUT", template = def.template,
      handler = function(ctx, _, params, body)
        local v = replace(ctx, key_of(ctx, params), params, body, "put")
        return def.put_status or 200, answer(ctx, v, params)
      end },
    post = { method = "POST", template = def.template,
      handler = function(ctx, _, params, body)
        local key = key_of(ctx, params)
        if def.conflict and ctx.store:get(key) ~= nil then
          errors.conflict(def.conflict.message, def.conflict.code)
        end
        local v = replace(ctx, key, params, body, "post")
        return def.post_status or 201, answer(ctx, v, params)
      end },
    patch = { method = "PATCH", template = def.template,
      handler = function(ctx, _, params, body)
        local key = key_of(ctx, params)
        local v, stored = current(ctx, key, params)
        if (v == nil or not stored) and def.patch_missing then raise_not_found(def.missing) end
        v = v or {}
        merge_body(v, body, def.merge)
        if def.fill then def.fill(ctx, v, params, body, "patch") end
        ctx.store:set(key, v)
        return 200, answer(ctx, v, params)
      end },
    delete = { method = "DELETE", template = def.template, status = 204,
      handler = function(ctx, _, params)
        local key = key_of(ctx, params)
        if ctx.store:get(key) == nil and def.delete_missing then raise_not_found(def.missing) end
        ctx.store:remove(key)
        return 204
      end },
  })
end

-- "/a/{x}/b", { "1" } -> "/a/1/b"
function M.path_of(template, params)
  local i = 0
  return (template:gsub("{[^}]*}", function()
    i = i + 1
    return params[i]
  end))
end

return M
