--[[
a0lua.validate: the checks made on the desired state before any request (docs/architecture.md §4.2).
Every problem is collected; nothing stops at the first.

  local validate = require("a0lua.validate")
  validate.run(ctx, desired, sources [, opts]) -> true, warnings | nil, problems, warnings
      1. top-level keys whose value is null are removed; a key that is neither a type of
         a0deploy's registry, a loaded handler's type, `exclude` nor `include` is a problem;
      2. each handler's schema through core.schema with defaults injected into `desired` (as
         a0deploy's Ajv useDefaults: the defaults are then sent); list and keyed schemas describe
         one item;
      3. names and ids unique in list types (handler.check_unique), then h:validate(ctx, items,
         report) with report(index, field, message) (index from 1; nil for a singleton);
      4. references (validate.references) against the files only: a reference to something
         absent from the files is a warning (it may be on the tenant).
      A type excluded by AUTH0_EXCLUDED / AUTH0_INCLUDED_ONLY is not validated; a type of the
      catalogue that the files hold and no loaded handler deploys (the user's --handlers and
      A0LUA_HANDLERS_PATH included) is a problem with code "no_handler" (validate.no_handler),
      located at the type in the files.
      problems: an array of error tables { code = "validation", file =, line =, column =, path =,
      pointer =, message = } (sources:problem), sorted by file, line and column; each prints as
      "file:line:column: path: message". warnings: an array of the same shape (code "warning").
  validate.references(ctx, desired, sources, {tenant = bool}) -> problems, warnings
      Names that point at other resources (a grant's client_id, enabled_clients, organization
      connections / client grants / clients, role permissions' resource servers): each should be
      a name in the files, or, with tenant = true, a name or id in ctx.current (fetched with
      plan.fetch). A dangling reference is a warning, except for a strict reference (a grant's
      client) checked with tenant = true, which is a problem: a0deploy sends the others on and
      lets the handler drop or log them. A handler may set `references = { {path = "a[].b",
      type = "clients", field = "name", strict = bool}, ... }` to replace its built-in list.
  validate.unhandled(ctx, desired [, sources]) -> problems
      The no_handler problems of desired: each type of the catalogue that it holds, that
      ctx.config does not leave out and that ctx.handlers has no handler for (none without
      ctx.handlers). Run by validate.run, and by a0lua's tenant:plan on a desired state given
      directly.
  validate.error(problems) -> err      { code = "validation", message = all lines, problems = }
  validate.sort(problems) -> problems  in place, by file, line and column (stable)
]]
local schema = require("a0lua.core.schema")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local catalogue = require("a0lua.catalogue")
local handler = require("a0lua.handler")
local sources_mod = require("a0lua.sources")
local util = require("a0lua.util")

local M = {}

local NULL = json.null

local KNOWN = catalogue.is_type
local META_KEYS = { exclude = true, include = true }

-- Built-in references of the engine's handlers (docs/architecture.md §4.7).
M.REFERENCES = {
  clientGrants = { { path = "client_id", type = "clients", strict = true } },
  connections = { { path = "enabled_clients[]", type = "clients" } },
  databases = { { path = "enabled_clients[]", type = "clients" } },
  organizations = {
    { path = "client_grants[].client_id", type = "clients" },
    { path = "clients[].client_id", type = "clients" },
    { path = "connections[].name", type = { "connections", "databases" } },
  },
  roles = {
    { path = "permissions[].resource_server_identifier", type = "resourceServers",
      field = "identifier" },
  },
}

local function fallback_sources()
  return sources_mod.new()
end

-- A type the files hold but no loaded handler deploys: an error, so that a plan never reports
-- "no changes" for what it did not look at. It is located at the type's key, or (a directory's
-- list, which has no file of its own) at its first item.
function M.no_handler(sources, type_name)
  local pointer = "/" .. type_name
  if not sources:locate(pointer) and sources:locate(pointer .. "/0") then
    pointer = pointer .. "/0"
  end
  return sources:problem(pointer, ("no handler for %s: a0lua cannot deploy this type, so it "
    .. "would be neither planned nor imported (exclude it with AUTH0_EXCLUDED or leave it out of "
    .. "AUTH0_INCLUDED_ONLY, or add a handler: docs/handlers.md)"):format(type_name), "no_handler")
end

function M.unhandled(ctx, desired, sources)
  local registry = ctx.handlers
  local out = {}
  if not registry then return out end
  sources = sources or fallback_sources()
  for _, t in ipairs(registry:enabled(ctx.config, catalogue.TYPES)) do
    local value = desired[t]
    if value ~= nil and value ~= NULL and not registry:get(t) then
      out[#out + 1] = M.no_handler(sources, t)
    end
  end
  return out
end

function M.error(problems)
  local lines = {}
  for _, p in ipairs(problems) do lines[#lines + 1] = tostring(p) end
  local head = #problems == 1 and "1 problem" or (#problems .. " problems")
  return errors.new("validation", ("validation failed (%s), nothing was changed:\n  %s"):format(
    head, table.concat(lines, "\n  ")), { problems = problems })
end

local is_array = util.is_array

local validators = setmetatable({}, { __mode = "k" })

-- The compiled validator of a handler's schema (of the whole type value).
local function validator_of(h)
  if h.schema == nil then return nil end
  local cached = validators[h]
  if cached and cached.schema == h.schema then return cached.validator end
  local s = h.schema
  if h.kind ~= "singleton" then s = { type = "array", items = h.schema } end
  local v, err = schema.compile(s)
  if not v then
    error(("handler %s: its schema does not compile: %s at %s"):format(h.type,
      tostring(err.message), tostring(err.path)), 0)
  end
  validators[h] = { schema = h.schema, validator = v }
  return v
end

local function sort_problems(list)
  for i, p in ipairs(list) do p._order = i end
  table.sort(list, function(a, b)
    local fa, fb = a.file or "", b.file or ""
    if fa ~= fb then return fa < fb end
    if (a.line or 0) ~= (b.line or 0) then return (a.line or 0) < (b.line or 0) end
    if (a.column or 0) ~= (b.column or 0) then return (a.column or 0) < (b.column or 0) end
    return a._order < b._order
  end)
  for _, p in ipairs(list) do p._order = nil end
  return list
end

M.sort = sort_problems

local function describe_error(e)
  local message = e.message
  if e.keyword == "anyOf" or e.keyword == "oneOf" then
    -- Name what the closest branch wanted: the branch with the fewest errors.
    local best
    for _, branch in ipairs(e.branches or {}) do
      if #branch > 0 and (not best or #branch < #best) then best = branch end
    end
    if best and best[1] then message = message .. " (" .. best[1].message .. " at "
      .. (best[1].path ~= "" and sources_mod.path(best[1].path) or "the value") .. ")" end
  end
  return message
end

--------------------------------------------------------------------------------------------------
-- References

-- A reference path ("a.b[].c") as its steps: { name, each } (each: the step is a list, every
-- element is walked). Split once per reference, not once per item.
local path_steps = setmetatable({}, { __mode = "k" })

local function steps_of(ref)
  local steps = path_steps[ref]
  if steps and steps.path == ref.path then return steps end
  steps = { path = ref.path }
  for part in ref.path:gmatch("[^.]+") do
    local name, each = part:match("^(.-)(%[%])$")
    steps[#steps + 1] = { name or part, each ~= nil }
  end
  path_steps[ref] = steps
  return steps
end

-- fn(value, at) for each value at the steps from step i on; `at` holds the list positions taken
-- on the way (the JSON pointer is made of them only for a value that is reported: pointer_of).
local function walk_path(value, steps, i, at, fn)
  if i > #steps then return fn(value, at) end
  if type(value) ~= "table" then return end
  local name, each = steps[i][1], steps[i][2]
  local v = value
  if name ~= "" then v = value[name] end
  if each then
    if not is_array(v) then return end
    local depth = #at + 1
    for k, x in ipairs(v) do
      at[depth] = k - 1
      walk_path(x, steps, i + 1, at, fn)
    end
    at[depth] = nil
  else
    walk_path(v, steps, i + 1, at, fn)
  end
end

-- The JSON pointer of a value walk_path found, below `pointer` (the item's).
local function pointer_of(pointer, steps, at)
  local out, n = { pointer }, 0
  for _, step in ipairs(steps) do
    if step[1] ~= "" then out[#out + 1] = step[1] end
    if step[2] then
      n = n + 1
      out[#out + 1] = tostring(at[n])
    end
  end
  return table.concat(out, "/")
end

local function target_types(ref)
  if type(ref.type) == "table" then return ref.type end
  return { ref.type }
end

-- The string values of `field` in a list's items, as a set; made once per list and field in
-- `index` (one call of M.references: nothing changes the lists meanwhile).
local function values_in(index, list, field)
  local by_field = index[list]
  if not by_field then
    by_field = {}
    index[list] = by_field
  end
  local set = by_field[field]
  if not set then
    set = {}
    for _, item in ipairs(list) do
      local v = type(item) == "table" and item[field]
      if type(v) == "string" then set[v] = true end
    end
    by_field[field] = set
  end
  return set
end

-- Is `value` a name (or id, on the tenant) of an item of one of the target types?
local function known(ctx, desired, ref, value, use_tenant, index)
  if type(value) ~= "string" then return true end
  if handler.is_placeholder(value) or value:find("##", 1, true) or value:find("@@", 1, true) then
    return true
  end
  for _, t in ipairs(target_types(ref)) do
    local h = ctx.handlers and ctx.handlers:get(t)
    local field = ref.field or (h and h.name_field) or "name"
    local id_field = h and h.id or "id"
    if t == "resourceServers" and field == "identifier" and value:match("/api/v2/?$") then
      return true
    end
    if is_array(desired[t]) and values_in(index, desired[t], field)[value] then return true end
    local current = use_tenant and ctx.current and ctx.current[t]
    if type(current) == "table" and (values_in(index, current, field)[value]
        or values_in(index, current, id_field)[value]) then
      return true
    end
  end
  return false
end

-- The types whose current state the reference check needs.
function M.reference_types(ctx, desired)
  local need, out = {}, {}
  for _, t in ipairs(ctx.handlers and ctx.handlers:enabled(ctx.config) or {}) do
    local h = ctx.handlers:get(t)
    if desired[t] ~= nil and desired[t] ~= NULL then
      for _, ref in ipairs(h.references or M.REFERENCES[t] or {}) do
        for _, target in ipairs(target_types(ref)) do
          if ctx.handlers:get(target) and not need[target] then
            need[target] = true
            out[#out + 1] = target
          end
        end
      end
    end
  end
  return out
end

function M.references(ctx, desired, sources, opts)
  opts = opts or {}
  sources = sources or fallback_sources()
  local problems, warnings = {}, {}
  local registry = ctx.handlers
  local index = {}
  for _, t in ipairs(registry and registry:enabled(ctx.config) or {}) do
    local h = registry:get(t)
    local value = desired[t]
    if is_array(value) then
      for _, ref in ipairs(h.references or M.REFERENCES[t] or {}) do
        local targets = target_types(ref)
        local target_name = table.concat(targets, " or ")
        local steps = steps_of(ref)
        for i, item in ipairs(value) do
          walk_path(item, steps, 1, {}, function(v, at)
            if v == nil or v == NULL or known(ctx, desired, ref, v, opts.tenant, index) then
              return
            end
            local pointer = pointer_of("/" .. t .. "/" .. (i - 1), steps, at)
            if opts.tenant and ref.strict then
              problems[#problems + 1] = sources:problem(pointer, ("%q is not one of the "
                .. "%s in the files nor on the tenant"):format(tostring(v), target_name))
            elseif opts.tenant then
              warnings[#warnings + 1] = sources:problem(pointer, ("%q is not one of the "
                .. "%s in the files nor on the tenant"):format(tostring(v), target_name),
                "warning")
            else
              local w = sources:problem(pointer, ("%q is not one of the %s in the files; "
                .. "it must exist on the tenant"):format(tostring(v), target_name), "warning")
              warnings[#warnings + 1] = w
            end
          end)
        end
      end
    end
  end
  return sort_problems(problems), warnings
end

--------------------------------------------------------------------------------------------------
-- The whole check

-- 1. Null types removed, unknown keys reported; returns the keys, sorted.
local function check_top_keys(registry, desired, sources, problems)
  local keys = util.sorted_keys(desired)
  for _, k in ipairs(keys) do
    if desired[k] == NULL then
      desired[k] = nil
    elseif not KNOWN(k) and not META_KEYS[k] and not (registry and registry:get(k)) then
      problems[#problems + 1] = sources:problem("/" .. k, ("unknown resource type %q (the types "
        .. "are a0deploy's: clients, resourceServers, clientGrants, connections, ...)"):format(k))
    end
  end
  return keys
end

-- 2. One type's value against its handler's schema (without one, a list type must be a list).
local function check_schema(h, value, prefix, sources, problems)
  local v = validator_of(h)
  if v then
    local ok, errs = v:validate(value, { defaults = true })
    if not ok then
      for _, e in ipairs(errs) do
        problems[#problems + 1] = sources:problem(prefix .. e.path, describe_error(e))
      end
    end
  elseif h.kind ~= "singleton" and not is_array(value) then
    problems[#problems + 1] = sources:problem(prefix, "must be a list")
  end
end

-- 3. One type's handler rules: unique identifiers, then h:validate, whose report(index, field,
-- message) names the item and the dot path of the field.
local function check_handler_rules(ctx, t, h, value, prefix, sources, problems)
  local function report(index, field, message)
    local p = prefix
    if index then p = p .. "/" .. (index - 1) end
    if field and field ~= "" then
      for part in tostring(field):gmatch("[^.]+") do
        p = p .. "/" .. part:gsub("~", "~0"):gsub("/", "~1")
      end
    end
    problems[#problems + 1] = sources:problem(p, message)
  end
  if is_array(value) then handler.check_unique(h, value, report) end
  local ok, err = pcall(h.validate, h, ctx, value, report)
  if not ok then
    problems[#problems + 1] = sources:problem(prefix, ("the %s handler's validation failed: "
      .. "%s"):format(t, tostring(err)))
  end
end

function M.run(ctx, desired, sources, opts)
  opts = opts or {}
  sources = sources or fallback_sources()
  local registry = ctx.handlers
  local problems, warnings = {}, {}

  if type(desired) ~= "table" or is_array(desired) then
    problems[1] = sources:problem("", "the configuration must be a mapping of resource types")
    return nil, problems, warnings
  end

  local keys = check_top_keys(registry, desired, sources, problems)

  local enabled = {}
  for _, t in ipairs(registry and registry:enabled(ctx.config, nil) or {}) do enabled[t] = true end
  for _, p in ipairs(M.unhandled(ctx, desired, sources)) do problems[#problems + 1] = p end

  for _, k in ipairs(keys) do
    local value = desired[k]
    local h = registry and registry:get(k)
    if value ~= nil and h and enabled[k] then
      check_schema(h, value, "/" .. k, sources, problems)
      check_handler_rules(ctx, k, h, value, "/" .. k, sources, problems)
    end
  end

  -- 4. references, against the files
  if not opts.no_references then
    local _, ws = M.references(ctx, desired, sources, { tenant = false })
    for _, w in ipairs(ws) do warnings[#warnings + 1] = w end
  end

  for _, w in ipairs(sources.warnings or {}) do warnings[#warnings + 1] = w end
  if #problems > 0 then return nil, sort_problems(problems), warnings end
  return true, warnings
end

return M
