-- a0lua.format.yaml: tenant.yaml and the files it references (docs/formats.md §2).
--
--   yaml_format.read(cfg [, opts]) -> desired, sources | nil, problems
--     cfg.input (or cfg.AUTH0_INPUT_FILE): the .yaml/.yml file, or an already parsed table (then
--     AUTH0_BASE_PATH is required and no keyword replacement happens, as in a0deploy).
--     Keyword replacement on the text of the YAML and of every referenced file, before parsing.
--     Referenced files resolve against AUTH0_BASE_PATH, else the YAML's directory (backslashes
--     become "/"; a path leaving the base only warns).
--     Top-level keys: the 44 types plus clientAuthCredentialsPre, exclude and include.
--     clientAuthCredentials and clientAuthCredentialsPre are accepted and dropped, exclude and
--     include kept as given; anything else is a problem at its line. AUTH0_EXCLUDED /
--     AUTH0_INCLUDED_ONLY drop types; a type whose value is null is absent. Then each type's
--     companion files are inlined (the table of docs/formats.md §2.2) and tenant session hours
--     become *_in_minutes. sources records every value's file; sources.warnings what was
--     skipped. opts.raw_keywords: no replacement, and bare @@K@@ markers of mapped keys are
--     wrapped in double quotes first (keyword preservation on export, docs/formats.md §5.4).
--     problems: error tables { code =, file =, line =, column =, path =, pointer =, message = }
--     with codes yaml_syntax / yaml_duplicate_key / ... (core.yaml), input_not_found,
--     file_not_found, file_read, json_syntax, validation (unknown key, a reference that is not a
--     string), keywords_unavailable, config.
--
--   yaml_format.write(cfg, exported) -> files_written | nil, err
--     Writes <cfg.output_folder>/tenant.yaml and the companion files (next to it, or under
--     AUTH0_BASE_PATH when set), as a0deploy's YAML dump does: html/code/scripts/JSON bodies in
--     files named with sanitize() (numbered apart when names collide: file_names.lua), list
--     items with name, client_id, audience, template, identifier, strategy, script, stage, id
--     first and the rest sorted (all keys sorted with AUTH0_EXPORT_ORDERED), lists sorted by
--     name / key / client_id / template, null and other falsy types left out, rulesConfigs as
--     []. Everything is built in memory, then written atomically; the same input gives the same
--     bytes. Returns the paths written, sorted.
--     Files are 0600 when they hold secrets (all of them with AUTH0_EXPORT_SECRETS), else 0666
--     filtered by the umask (common.writer).

local json = require("a0lua.core.json")
local errors = require("a0lua.errors")
local yaml = require("a0lua.core.yaml")
local common = require("a0lua.format.common")
local file_names = require("a0lua.format.file_names")
local sources_mod = require("a0lua.sources")
local util = require("a0lua.util")

local M = {}

local null = json.null
local is_array, is_object = common.is_array, common.is_object

local EXTRA_KEYS = { clientAuthCredentialsPre = true, exclude = true, include = true }
M.IMPORTANT_KEYS = {
  "name", "client_id", "audience", "template", "identifier", "strategy", "script", "stage", "id",
}
local SORT_KEYS = { "name", "key", "client_id", "template" }

-- "/" .. the key as a JSON pointer segment.
local function seg(key) return sources_mod.pointer({ key }) end

local truthy = common.truthy

-- ---------------------------------------------------------------------------------------------
-- Reading

local Ctx = {}
Ctx.__index = Ctx

function Ctx:where(pointer)
  return self.reader:where(self.file, self.positions, pointer)
end

-- Reads the file a reference names. `folder` is under the base path ("clients", "connections")
-- or nil. Returns the text, or nil after recording a problem.
function Ctx:load(ref, pointer, folder)
  if type(ref) ~= "string" then
    self.reader:problem("validation", "must be a path to a file (a string)", self:where(pointer))
    return nil
  end
  local path = self:resolve(ref, folder)
  self:warn_outside(ref, path, pointer)
  local text = self.reader:text(path, self:where(pointer))
  if text then self.reader.sources:add(pointer, path, nil) end
  return text
end

-- A reference that resolves outside the base path is read, with a warning at `pointer`.
function Ctx:warn_outside(ref, path, pointer)
  if common.outside(self.base, path) then
    self.reader:warn("path \"" .. ref .. "\" resolves to " .. path
      .. ", outside the base path " .. self.base, self:where(pointer))
  end
end

-- The path a reference names: backslashes become "/", relative to the base path (or to a
-- folder under it).
function Ctx:resolve(ref, folder)
  local dir = folder and common.join(self.base, folder) or self.base
  return common.resolve(dir, ref)
end

function Ctx:exists(ref, folder)
  if type(ref) ~= "string" then return false end
  return common.is_file(self:resolve(ref, folder))
end

local function each_item(list, fn)
  if not is_array(list) then return end
  for i, item in ipairs(list) do
    if is_object(item) then fn(item, i - 1) end
  end
end

local PARSE = {}

-- v is given: neither absent nor null.
local function given(v) return v ~= nil and v ~= null end

-- A parser that replaces item[field] of each item of a list, a reference, by the text of the
-- file it names, when wanted(item[field]); otherwise item[field] becomes `otherwise` when given.
-- A file that cannot be read leaves the reference (and a problem recorded).
local function inline_field(field, wanted, otherwise)
  return function(ctx, list, ptr)
    each_item(list, function(item, i)
      if wanted(item[field]) then
        item[field] = ctx:load(item[field], ptr .. "/" .. i .. "/" .. field) or item[field]
      elseif otherwise ~= nil then
        item[field] = otherwise
      end
    end)
  end
end

PARSE.rules = inline_field("script", truthy)
PARSE.pages = inline_field("html", truthy, "")
PARSE.emailTemplates = inline_field("body", given)
PARSE.actions = inline_field("code", truthy)
PARSE.actionModules = PARSE.actions

local inline_hook_scripts = inline_field("script", truthy)
function PARSE.hooks(ctx, list, ptr)
  inline_hook_scripts(ctx, list, ptr)
  each_item(list, function(item)
    if type(item.name) == "string" then item.name = item.name:lower():gsub("%s", "-") end
  end)
end

function PARSE.databases(ctx, list, ptr)
  each_item(list, function(item, i)
    local scripts = is_object(item.options) and item.options.customScripts
    if not is_object(scripts) then return end
    local names = util.sorted_keys(scripts)
    for _, name in ipairs(names) do
      local p = ptr .. "/" .. i .. "/options/customScripts" .. seg(name)
      scripts[name] = ctx:load(scripts[name], p) or scripts[name]
    end
  end)
end

function PARSE.clients(ctx, list, ptr)
  each_item(list, function(item, i)
    local page = item.custom_login_page
    if truthy(page) and ctx:exists(page, "clients") then
      item.custom_login_page = ctx:load(page, ptr .. "/" .. i .. "/custom_login_page", "clients")
        or page
    end
  end)
end

function PARSE.connections(ctx, list, ptr)
  each_item(list, function(item, i)
    local body = common.email_body_ref(item)
    if body == nil then return end
    local p = ptr .. "/" .. i .. "/options/email/body"
    item.options.email.body = ctx:load(body, p, "connections") or body
  end)
end

local inline_template_bodies = inline_field("body", given)
function PARSE.branding(ctx, branding, ptr)
  if not is_object(branding) then return end
  inline_template_bodies(ctx, branding.templates, ptr .. "/templates")
end

-- The object a form's or flow's body file holds, with its keys (minus body) under the item's
-- name; nil after recording a problem (the item then stays as written).
local function json_body(ctx, item, p)
  if type(item.body) ~= "string" then
    ctx.reader:problem("validation", "must be a path to a JSON file (a string)",
                       ctx:where(p .. "/body"))
    return nil
  end
  local path = ctx:resolve(item.body)
  ctx:warn_outside(item.body, path, p .. "/body")
  local value, positions = ctx.reader:json(path, ctx:where(p .. "/body"))
  if not is_object(value) then
    if value ~= nil then
      ctx.reader:problem("validation", path .. " must hold a JSON object", ctx:where(p .. "/body"))
    end
    return nil
  end
  local merged = { name = item.name }
  value.body = nil
  for k, v in pairs(value) do merged[k] = v end
  ctx.reader.sources:add(p, path, positions)
  return merged
end

-- forms / flows: { name, body: <path to JSON> } -> the JSON's keys (minus body) under name.
local function parse_json_bodies(ctx, list, ptr)
  if not is_array(list) then return list end
  local out = json.array()
  for i, item in ipairs(list) do
    local merged = is_object(item) and given(item.body)
      and json_body(ctx, item, ptr .. "/" .. (i - 1))
    out[#out + 1] = merged or item
  end
  return out
end
PARSE.forms = parse_json_bodies
PARSE.flows = parse_json_bodies

-- Keys of a mapping in the order they were written (by position), else by name.
local function written_order(ctx, map, ptr)
  local keys = {}
  for k in pairs(map) do keys[#keys + 1] = k end
  local function pos(k)
    local at = ctx.positions and ctx.positions[ptr .. seg(k)]
    return at and (at.line * 100000 + at.column) or math.huge
  end
  table.sort(keys, function(a, b)
    local pa, pb = pos(a), pos(b)
    if pa ~= pb then return pa < pb end
    return a < b
  end)
  return keys
end

function PARSE.prompts(ctx, prompts, ptr)
  if not is_object(prompts) then return end
  local renderers = prompts.screenRenderers
  if not is_array(renderers) or #renderers == 0 then return end
  local loaded = json.array()
  for i, entry in ipairs(renderers) do
    local ep = ptr .. "/screenRenderers/" .. (i - 1)
    if is_object(entry) then
      local prompt = written_order(ctx, entry, ep)[1]
      local screens = prompt and entry[prompt]
      if is_object(screens) then
        local sp = ep .. seg(prompt)
        for _, screen in ipairs(written_order(ctx, screens, sp)) do
          local ref = screens[screen]
          local p = sp .. seg(screen)
          local path = type(ref) == "string" and ctx:resolve(ref)
          if path and common.is_file(path) then
            local value, positions = ctx.reader:json(path, ctx:where(p))
            if value ~= nil then
              loaded[#loaded + 1] = value
              ctx.reader.sources:add(ptr .. "/screenRenderers/" .. (#loaded - 1), path,
                                     positions)
            end
          else
            -- a0deploy logs the error and goes on without that renderer.
            ctx.reader:warn("screen renderer file not found: " .. tostring(path or ref)
              .. " (skipped)", ctx:where(p))
          end
        end
      end
    end
  end
  prompts.screenRenderers = loaded
end

function PARSE.tenant(ctx, tenant, ptr)
  if not is_object(tenant) then return end
  common.session_minutes(ctx.reader, tenant, ptr, ctx.file, ctx.positions, ptr)
end

-- An input given as an already parsed table: no keyword replacement, AUTH0_BASE_PATH required.
local function read_object(reader, cfg, input)
  local base = cfg.AUTH0_BASE_PATH
  if base == nil or base == "" then
    reader:problem("config", "AUTH0_BASE_PATH is required when the input is an object")
    return nil
  end
  return common.copy(input), nil, "<config object>", base
end

-- The YAML file's text with keywords replaced (or, with opts.raw_keywords, bare @@KEY@@ markers
-- of mapped keys quoted, so the YAML still parses: docs/formats.md §5.4).
local function keyword_text(reader, opts, raw, file)
  if not opts.raw_keywords then return reader:replace(raw, file) end
  local kw = reader.mappings and reader:keywords(file)
  return kw and kw.quote_array_markers(raw, reader.mappings) or raw
end

-- The input file read and parsed: doc, positions, file, base; nil after recording a problem.
local function read_file(reader, cfg, opts, file)
  local fs = require("a0lua.core.fs")
  local raw, err = fs.read(file)
  if not raw then
    reader:problem(err.code == "fs_not_found" and "input_not_found" or "file_read",
                   "cannot read " .. file .. ": " .. tostring(err.message), { file = file })
    return nil
  end
  local value, perr = yaml.decode(keyword_text(reader, opts, raw, file), { name = file })
  if value == nil and perr then
    reader:problem(perr.code, perr.message,
                   { file = file, line = perr.line, column = perr.column })
    return nil
  end
  local doc, positions = value, perr
  if doc == nil then doc = {} end
  local base = cfg.AUTH0_BASE_PATH
  if base == nil or base == "" then base = common.dirname(file) end
  return doc, positions, file, base
end

-- The input (cfg.input or AUTH0_INPUT_FILE) read: doc, positions, file, base; nil after a problem.
local function read_input(reader, cfg, opts, input)
  if type(input) == "table" then return read_object(reader, cfg, input) end
  if type(input) == "string" and input ~= "" then return read_file(reader, cfg, opts, input) end
  reader:problem("config", "no input file given (--input_file)")
  return nil
end

-- A problem at each top-level key that is neither a type nor exclude / include, sorted.
local function report_unknown_keys(reader, doc, file, positions)
  local unknown = {}
  for key in pairs(doc) do
    if not common.is_type(key) and not EXTRA_KEYS[key] then unknown[#unknown + 1] = key end
  end
  table.sort(unknown)
  for _, key in ipairs(unknown) do
    reader:problem("validation", "unknown top-level key '" .. key
      .. "' (a resource type of a0deploy, exclude or include is expected)",
      reader:where(file, positions, seg(key)))
  end
end

-- The types the files give and the config includes, their companion files inlined.
local function parse_types(ctx, cfg, doc)
  local desired = {}
  for _, type_name in ipairs(common.TYPES) do
    local value = doc[type_name]
    -- clientAuthCredentials has no data of its own (it works on the clients' credentials).
    if value ~= nil and value ~= null and type_name ~= "clientAuthCredentials"
        and common.included(cfg, type_name) then
      local parse = PARSE[type_name]
      if parse then
        local replaced = parse(ctx, value, "/" .. type_name)
        if replaced ~= nil then value = replaced end
      end
      desired[type_name] = value
    end
  end
  if given(doc.exclude) then desired.exclude = doc.exclude end
  if given(doc.include) then desired.include = doc.include end
  return desired
end

function M.read(cfg, opts)
  local input = common.input_of(cfg, opts)
  opts = opts or {}
  local reader = common.reader(cfg, opts)
  local doc, positions, file, base = read_input(reader, cfg, opts, input)
  if doc == nil then return nil, reader.problems end
  if not is_object(doc) then
    reader:problem("validation", "the top level must be a mapping of resource types",
                   reader:where(file, positions, ""))
    return nil, reader.problems
  end
  reader.sources:add("", file, positions)
  report_unknown_keys(reader, doc, file, positions)
  local ctx = setmetatable({ reader = reader, file = file, positions = positions, base = base },
                           Ctx)
  local desired = parse_types(ctx, cfg, doc)
  if #reader.problems > 0 then return nil, reader.problems end
  return desired, reader.sources
end

-- ---------------------------------------------------------------------------------------------
-- Writing

-- Stable merge sort; cmp(a, b) -> negative, 0 or positive.
local function stable_sort(list, cmp)
  local n = #list
  if n < 2 then return list end
  local src, dst = {}, {}
  for i = 1, n do src[i] = list[i] end
  local width = 1
  while width < n do
    local i = 1
    while i <= n do
      local mid, hi = math.min(i + width, n + 1), math.min(i + 2 * width, n + 1)
      local a, b, k = i, mid, i
      while a < mid and b < hi do
        if cmp(src[b], src[a]) < 0 then
          dst[k], b = src[b], b + 1
        else
          dst[k], a = src[a], a + 1
        end
        k = k + 1
      end
      while a < mid do dst[k], a, k = src[a], a + 1, k + 1 end
      while b < hi do dst[k], b, k = src[b], b + 1, k + 1 end
      i = i + 2 * width
    end
    src, dst = dst, src
    width = width * 2
  end
  for i = 1, n do list[i] = src[i] end
  return list
end
M.stable_sort = stable_sort

-- a0deploy's recordsSorter: the first of name, key, client_id, template that both items have.
local function records_order(a, b)
  if not (is_object(a) and is_object(b)) then return 0 end
  for _, key in ipairs(SORT_KEYS) do
    local x, y = a[key], b[key]
    if truthy(x) and truthy(y) then
      if type(x) ~= type(y) then x, y = tostring(x), tostring(y) end
      if type(x) ~= "string" and type(x) ~= "number" then return 0 end
      if x == y then return 0 end
      return x < y and -1 or 1
    end
  end
  return 0
end

-- a0deploy's formatResults: a null value of one of the important keys is dropped (their order
-- is the encoder's key_order).
local function format_item(item)
  if not is_object(item) then return item end
  for _, key in ipairs(M.IMPORTANT_KEYS) do
    if item[key] == null then item[key] = nil end
  end
  return item
end

local CLIENT_ARRAYS = { "allowed_clients", "allowed_logout_urls", "allowed_origins", "callbacks" }

-- Null client arrays become [] (a0deploy's clearClientArrays), in both formats.
function M.clear_client_arrays(client)
  for _, prop in ipairs(CLIENT_ARRAYS) do
    if client[prop] ~= nil and not truthy(client[prop]) then client[prop] = json.array() end
  end
  return client
end

function M.clear_tenant_flags(tenant)
  if is_object(tenant.flags) and next(tenant.flags) == nil then tenant.flags = nil end
  return tenant
end

local function duplicates(list, what)
  local seen, dups = {}, {}
  for _, item in ipairs(list) do
    if is_object(item) and item.name ~= nil then
      if seen[item.name] and not dups[item.name] then
        dups[item.name] = true
        dups[#dups + 1] = tostring(item.name)
      end
      seen[item.name] = true
    end
  end
  if #dups > 0 then
    return errors.new("export_duplicate", "duplicate " .. what
      .. " names found: " .. table.concat(dups, ", ") .. " (rename them to export)")
  end
end
M.duplicates = duplicates

local DUMP = {}

-- fn(item, stem) for each object of a list, with the stem its companion files are named with
-- (sanitize(), numbered when names collide: file_names).
local each_named = file_names.each

-- A writer that puts item[field] of each item in <folder>/<stem><ext> (stems from key_field:
-- file_names) and leaves the file's path, relative to the YAML, in its place; keep(item) leaves
-- an item as it is.
local function dump_field(folder, field, key_field, ext, opts, keep)
  return function(w, list)
    each_named(list, key_field, opts, function(item, name)
      if keep and keep(item) then return end
      local rel = folder .. "/" .. name .. ext
      w:file(rel, item[field])
      item[field] = "./" .. rel
    end)
    return list
  end
end

DUMP.rules = dump_field("rules", "script", "name", ".js", { room = #".js" })
DUMP.pages = dump_field("pages", "html", "name", ".html", nil, function(page)
  return page.name == "error_page" and page.html == nil
end)
DUMP.emailTemplates = dump_field("emailTemplates", "body", "template", ".html")

local dump_hook_scripts = dump_field("hooks", "script", "name", ".js", { room = #".js" })
function DUMP.hooks(w, list)
  each_item(list, function(hook) hook.name = truthy(hook.name) and hook.name or hook.id end)
  return dump_hook_scripts(w, list)
end

function DUMP.databases(w, list)
  each_named(list, "name", { room = 0 }, function(db, db_name)
    local scripts = is_object(db.options) and db.options.customScripts
    if not is_object(scripts) then return end
    local names = util.sorted_keys(scripts)
    local entries = json.array()
    for i, name in ipairs(names) do entries[i] = { name = name } end
    local files = file_names.stems(entries, "name", { room = #".js" })
    for i, name in ipairs(names) do
      local rel = "databases/" .. db_name .. "/" .. files[i] .. ".js"
      w:file(rel, scripts[name])
      scripts[name] = "./" .. rel
    end
  end)
  return list
end

local function dump_code(folder)
  return function(w, list)
    each_named(list, "name", { room = 0 }, function(item, name)
      if not truthy(item.code) then
        item.code = ""
        return
      end
      local rel = folder .. "/" .. name .. "/code.js"
      w:file(rel, item.code)
      item.code = "./" .. rel
    end)
    return list
  end
end
DUMP.actions = dump_code("actions")
DUMP.actionModules = dump_code("action-modules")

function DUMP.clients(w, list)
  each_named(list, "name", { room = #"_custom_login_page.html" }, function(client, stem)
    if truthy(client.custom_login_page) then
      local name = stem .. "_custom_login_page.html"
      w:file("clients/" .. name, client.custom_login_page)
      client.custom_login_page = "./" .. name
    end
    M.clear_client_arrays(client)
  end)
  return list
end

function DUMP.connections(w, list)
  each_named(list, "name", nil, function(conn, stem)
    if conn.strategy ~= "email" then return end
    if not is_object(conn.options) then conn.options = {} end
    if not is_object(conn.options.email) then conn.options.email = {} end
    local name = stem .. ".html"
    w:file("connections/" .. name, conn.options.email.body or "")
    conn.options.email.body = "./" .. name
  end)
  return list
end

function DUMP.branding(w, branding)
  if not is_object(branding) then return branding end
  each_named(branding.templates, "template", nil, function(t, name)
    if t.body == nil or t.body == null then return end
    local rel = "branding_templates/" .. name .. ".html"
    w:file(rel, t.body)
    t.body = "./" .. rel
  end)
  return branding
end

local function dump_json_bodies(folder, what)
  return function(w, list, cfg)
    if not is_array(list) then return list end
    local err = duplicates(list, what)
    if err then return nil, err end
    local out = json.array()
    local stems = file_names.stems(list, "name")
    for i, item in ipairs(list) do
      if is_object(item) and item.name ~= nil then
        local rel = folder .. "/" .. stems[i] .. ".json"
        if not cfg.AUTH0_EXPORT_IDENTIFIERS then item.id = nil end
        item.created_at, item.updated_at = nil, nil
        w:json(rel, item)
        out[#out + 1] = { name = item.name, body = "./" .. rel }
      else
        out[#out + 1] = item
      end
    end
    return out
  end
end
DUMP.forms = dump_json_bodies("forms", "form")
DUMP.flows = dump_json_bodies("flows", "flow")

function DUMP.prompts(w, prompts)
  if not is_object(prompts) then return prompts end
  local renderers = prompts.screenRenderers
  if not is_array(renderers) or #renderers == 0 then return prompts end
  local out, by_prompt = json.array(), {}
  local stems = file_names.stems(renderers, function(r)
    return truthy(r.prompt) and truthy(r.screen) and tostring(r.prompt) .. "_" .. tostring(r.screen)
  end)
  for i, r in ipairs(renderers) do
    if stems[i] then
      local file = stems[i] .. ".json"
      local copy = common.copy(r)
      copy.tenant = nil
      w:json("prompts/screenRenderSettings/" .. file, copy)
      local entry = by_prompt[r.prompt]
      if not entry then
        entry = { [r.prompt] = {} }
        by_prompt[r.prompt] = entry
        out[#out + 1] = entry
      end
      entry[r.prompt][r.screen] = "./prompts/screenRenderSettings/" .. file
    end
  end
  prompts.screenRenderers = out
  return prompts
end

function DUMP.tenant(_, tenant)
  if is_object(tenant) then M.clear_tenant_flags(tenant) end
  return tenant
end

function DUMP.rulesConfigs()
  return json.array()
end

function M.write(cfg, exported, opts)
  opts = opts or {}
  local out_dir, folder_err = common.output_folder(cfg, exported)
  if not out_dir then return nil, folder_err end
  local base = cfg.AUTH0_BASE_PATH
  if type(base) ~= "string" or base == "" then base = out_dir end
  -- (an export with secrets is 0600 throughout: a secret may be in any of its files)
  local companions = common.writer(base, { secret = cfg.AUTH0_EXPORT_SECRETS })
  local doc = {}
  for _, type_name in ipairs(common.TYPES) do
    local value = exported[type_name]
    if truthy(value) and common.included(cfg, type_name) then
      -- (opts.consume: the caller is done with `exported`, which is written in place and let go
      -- type by type, instead of copied: the tenant is not held twice)
      if opts.consume then exported[type_name] = nil else value = common.copy(value) end
      local dump = DUMP[type_name]
      if dump then
        local err
        value, err = dump(companions, value, cfg)
        if value == nil and err then return nil, err end
      end
      if is_array(value) then
        for _, item in ipairs(value) do format_item(item) end
        stable_sort(value, records_order)
      elseif is_object(value) then
        format_item(value)
      end
      if truthy(value) then doc[type_name] = value end
    end
  end
  local text, err = yaml.encode(doc, { key_order = cfg.AUTH0_EXPORT_ORDERED and {}
                                       or M.IMPORTANT_KEYS })
  if not text then return nil, err end
  local main = common.writer(out_dir, { secret = cfg.AUTH0_EXPORT_SECRETS })
  main:file("tenant.yaml", text, { secret = common.holds_secret(doc) })
  main:dir(".")
  local written, werr = companions:commit()
  if not written then return nil, werr end
  local main_written, merr = main:commit()
  if not main_written then return nil, merr end
  for _, path in ipairs(main_written) do written[#written + 1] = path end
  table.sort(written)
  return written
end

return M
