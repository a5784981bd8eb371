--[[
a0lua.export: the tenant written as files (docs/architecture.md §5).

  local export = require("a0lua.export")
  export.collect(ctx [, {types =}]) -> exported, warnings | nil, err
      Reads every enabled type (ctx.handlers:enabled(ctx.config), or `types`), concurrently
      inside a0lua.tasks, into ctx.current, and turns each item into its export form with
      handler.export_item (h:export: ids to names, placeholders; then read-only fields,
      EXCLUDED_PROPS / INCLUDED_PROPS, secrets as ##PLACEHOLDER## unless AUTH0_EXPORT_SECRETS,
      ids unless AUTH0_EXPORT_IDENTIFIERS). A 403 "insufficient scope" (or any 403 when reading)
      turns the type into a warning and leaves it out, as a0deploy does; a type the tenant does
      not have (fetch gives nil) is left out. Only the types other exports look names up in
      (clients, APIs, actions, connections, databases, connection and user attribute
      profiles) stay in ctx.current afterwards; the others are let go once converted (a later
      read reads them again).
  export.run(ctx [, {types =, format =}]) -> result | nil, err
      collect; items of a list type that share a name (handler.check_unique) are the error
      export_duplicate naming the type and the names, before anything is written (the files
      could not tell them apart: docs/compat.md "Export file names"); then keyword preservation
      when AUTH0_PRESERVE_KEYWORDS (the local files at the output location read without
      replacement, keywords.preserve), then format.write(cfg, exported), with ctx.current let go
      before the text is built. result = { files = {paths...}, types = {types...}, warnings =
      {...}, output = cfg.output_folder }. The same tenant gives byte-identical files.
]]
local json = require("a0lua.core.json")
local errors = require("a0lua.errors")
local handler = require("a0lua.handler")
local plan_mod = require("a0lua.plan")

local M = {}

local NULL = json.null

local function scope_error(err)
  if type(err) ~= "table" then return false end
  if err.status == 403 then return true end
  local msg = tostring(err.message or "")
  return msg:lower():find("insufficient scope", 1, true) ~= nil
end

-- Types whose state other exports (and the writers) look names and ids up in.
local LOOKUP_TYPES = { clients = true, resourceServers = true, actions = true, connections = true,
  databases = true, connectionProfiles = true, userAttributeProfiles = true }

-- The types that have a handler, in the order given.
local function readable_types(ctx, types)
  local readable = {}
  for _, t in ipairs(types) do
    if ctx.handlers:get(t) then readable[#readable + 1] = t end
  end
  return readable
end

-- Reads the types into ctx.current; a forbidden type becomes a warning and ctx.current[t] = false.
local function fetch_readable(ctx, readable, warnings)
  local ok, err = plan_mod.fetch(ctx, readable)
  if ok then return true end
  if not scope_error(err) then return nil, err end
  -- Something was forbidden: read one at a time to find what.
  for _, t in ipairs(readable) do
    if ctx.current[t] == nil then
      local one_ok, one_err = plan_mod.fetch(ctx, { t })
      if not one_ok then
        if not scope_error(one_err) then return nil, one_err end
        warnings[#warnings + 1] = ("cannot read %s (missing scopes: %s): not exported"):format(t,
          tostring(one_err.message or one_err.code))
        ctx.current[t] = false
      end
    end
  end
  return true
end

-- The types other types' exports look names up in go last; every other type's state is let go
-- once converted (ctx.current is a cache: a later read reads it again), so the tenant is not
-- held twice, as read and as written (at 5,000 resources the grants, roles and organizations
-- are most of it).
local function conversion_order(readable)
  local order = {}
  for _, t in ipairs(readable) do
    if not LOOKUP_TYPES[t] then order[#order + 1] = t end
  end
  for _, t in ipairs(readable) do
    if LOOKUP_TYPES[t] then order[#order + 1] = t end
  end
  return order
end

-- One type's tenant state in its export form; nil leaves the type out.
local function export_value(ctx, h, value)
  if h.kind == "singleton" then return handler.export_item(h, ctx, value) end
  local list = json.array()
  for _, item in ipairs(value) do
    local out = handler.export_item(h, ctx, item)
    if out ~= nil and out ~= NULL then list[#list + 1] = out end
  end
  -- export_empty = false: an empty list is left out, as a0deploy leaves out network ACLs
  if #list > 0 or h.export_empty ~= false then return list end
  return nil
end

function M.collect(ctx, opts)
  opts = opts or {}
  local cfg = ctx.config or {}
  local types = opts.types or ctx.handlers:enabled(cfg)
  local warnings = {}
  ctx.current = ctx.current or {}
  -- Read type by type so that one forbidden type only becomes a warning.
  local readable = readable_types(ctx, types)
  local ok, err = fetch_readable(ctx, readable, warnings)
  if not ok then return nil, err end
  local exported = {}
  for _, t in ipairs(conversion_order(readable)) do
    local value = ctx.current[t]
    if value == false then
      ctx.current[t] = nil
    elseif value ~= nil and value ~= NULL then
      exported[t] = export_value(ctx, ctx.handlers:get(t), value)
      if not LOOKUP_TYPES[t] then ctx.current[t] = nil end
    end
  end
  local written = {}
  for _, t in ipairs(readable) do
    if exported[t] ~= nil then written[#written + 1] = t end
  end
  return exported, warnings, written
end

local function preserve(ctx, exported, warnings)
  local cfg = ctx.config
  local format = require("a0lua.format")
  local keywords = require("a0lua.keywords")
  local read_cfg = {}
  for k, v in pairs(cfg) do read_cfg[k] = v end
  local mod = format.for_config(cfg)
  if cfg.format == "yaml" then
    read_cfg.input = cfg.output_folder .. "/tenant.yaml"
  else
    read_cfg.input = cfg.output_folder
  end
  read_cfg.AUTH0_INPUT_FILE = nil
  local local_tree, problems = mod.read(read_cfg, { raw_keywords = true })
  if not local_tree then
    local first = problems and problems[1]
    return nil, errors.new("export_preserve", "cannot read the local files to preserve "
      .. "keywords: " .. tostring(first and (tostring(first)) or "unknown problem"))
  end
  local merged, ws = keywords.preserve(exported, local_tree, cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS
    or {})
  for _, w in ipairs(ws or {}) do warnings[#warnings + 1] = tostring(w.message or w) end
  return merged
end

-- Items of a list type that share a name: their export would not pass validation, and an
-- import could not tell which file is which item. The names are said, never the items.
local function duplicate_names(ctx, exported, types)
  local found = {}
  for _, t in ipairs(types) do
    local h = ctx.handlers:get(t)
    local list = exported[t]
    if h and json.is_array(list) then
      local names, seen = {}, {}
      handler.check_unique(h, list, function(index, field)
        local name = list[index][field]
        if field == h.name_field and not seen[name] then
          seen[name] = true
          names[#names + 1] = tostring(name)
        end
      end)
      table.sort(names)
      for i, name in ipairs(names) do names[i] = ("%q"):format(name) end
      if #names > 0 then found[#found + 1] = t .. " " .. table.concat(names, ", ") end
    end
  end
  if #found == 0 then return nil end
  return errors.new("export_duplicate", "cannot export items that share "
    .. "a name (" .. table.concat(found, "; ") .. "): their files could not be told apart "
    .. "on import; rename them in the tenant")
end

-- {key =, name =} of each item of a list read from the tenant (nil when it was not read).
local function names_of(list, key)
  if type(list) ~= "table" or list == NULL then return nil end
  local out = {}
  for i, item in ipairs(list) do out[i] = { [key] = item[key], name = item.name } end
  return out
end

function M.run(ctx, opts)
  opts = opts or {}
  local cfg = ctx.config
  local exported, warnings, types = M.collect(ctx, opts)
  if not exported then return nil, warnings end
  local duplicates = duplicate_names(ctx, exported, types)
  if duplicates then return nil, duplicates end
  if cfg.AUTH0_PRESERVE_KEYWORDS then
    local merged, err = preserve(ctx, exported, warnings)
    if not merged then return nil, err end
    exported = merged
  end
  local format = require("a0lua.format")
  -- The writers name grant files by client and API name: those two fields are all they need, so
  -- the tenant's state can go before the text is built.
  local write_opts = {
    clients = names_of(ctx.current.clients, "client_id"),
    resource_servers = names_of(ctx.current.resourceServers, "identifier"),
    consume = true,
  }
  for t in pairs(LOOKUP_TYPES) do ctx.current[t] = nil end
  collectgarbage("collect")
  local files, err = format.write(cfg, exported, write_opts)
  if not files then return nil, err end
  for _, w in ipairs(warnings) do
    if ctx.log then ctx.log:warn(w) end
  end
  return { files = files, types = types, warnings = warnings, output = cfg.output_folder }
end

return M
