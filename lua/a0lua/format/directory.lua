-- a0lua.format.directory: the directory layout (docs/formats.md §3).
--
--   Where each type lives is its layout in a0lua.catalogue; this module has one reader (READ)
--   and one writer (DUMP) per layout kind, never per type.
--
--   directory.read(cfg [, opts]) -> desired, sources | nil, problems
--     cfg.input (or AUTH0_INPUT_FILE) is the root directory. Each type of the catalogue not
--     excluded (AUTH0_EXCLUDED, AUTH0_INCLUDED_ONLY) is read from its folder or file, whether a
--     handler deploys it or not (validate refuses it then); a missing folder means the type is
--     absent. Only files directly in a folder with the exact extension
--     (".json") are read, in byte order; JSON objects without keys are ignored in list folders.
--     Every file's text goes through keyword replacement before parsing; JSON is read with
--     positions. Companion files (scripts, code, html, liquid) are inlined as in docs/formats.md
--     §3.2; connections are read from AUTH0_CONNECTIONS_DIRECTORY when set. sources records
--     every file; sources.warnings what was skipped (a page without html, a template without
--     body, a database folder without database.json...). opts.raw_keywords: no keyword replacement.
--     problems as yaml.read: input_not_found, not_a_directory, file_not_found, file_read,
--     json_syntax, validation, keywords_unavailable.
--
--   directory.write(cfg, exported [, opts]) -> files_written | nil, err
--     Writes the tree under cfg.output_folder with a0deploy's file names (sanitize(),
--     docs/formats.md §5.5; names that clean to the same file are numbered apart by file_names.lua,
--     and the writer refuses any path that would leave the folder: docs/compat.md "Export file
--     names"),
--     JSON with 2-space indentation, sorted keys and a trailing newline, companion files verbatim.
--     connections/, event-streams/ and rate-limit-policies/ lose files this export did not write
--     (files of AUTH0_EXCLUDED_CONNECTIONS are kept). Grants are named
--     <client>-<API name>.json: the API name is looked up by audience in opts.resource_servers, or
--     else exported.resourceServers (the audience itself when unknown); a client id found in
--     opts.clients becomes its name. Nothing is written when anything fails before the writes.

local json = require("a0lua.core.json")
local catalogue = require("a0lua.catalogue")
local common = require("a0lua.format.common")
local file_names = require("a0lua.format.file_names")
local sanitize = require("a0lua.format.sanitize")
local sources_mod = require("a0lua.sources")
local yaml_format = require("a0lua.format.yaml")
local util = require("a0lua.util")

local M = {}

-- fn(item, stem, i) for each object of a list, with the stem its files are named with.
local each_named = file_names.each
local null = json.null
local is_array, is_object = common.is_array, common.is_object
local join, normalize = common.join, common.normalize

local truthy, resolve = common.truthy, common.resolve

local function seg(key) return sources_mod.pointer({ key }) end

-- ---------------------------------------------------------------------------------------------
-- Reading

local Ctx = {}
Ctx.__index = Ctx

function Ctx:path(rel) return join(self.root, rel) end

-- The folder's path when it exists; nil when it does not (the type is absent). A file in the
-- way is a problem.
function Ctx:folder(rel)
  local path = self:path(rel)
  local fs = require("a0lua.core.fs")
  local info = fs.stat(path)
  if not info then return nil end
  if info.type ~= "directory" then
    self.reader:problem("not_a_directory", "expected " .. path .. " to be a folder",
                        { file = path })
    return nil
  end
  return path
end

-- Reads one JSON file and records it at `ptr`. Returns the value and its positions, or nil.
function Ctx:json(file, ptr, where)
  local value, positions = self.reader:json(file, where)
  if value == nil then return nil end
  if ptr then self.reader.sources:add(ptr, file, positions) end
  return value, positions
end

-- Reads a companion file for the value at `ptr` (the JSON field that names it, located in
-- `json_file` at `json_ptr`); nil after a problem. A path that leaves the input directory is
-- read, as a0deploy reads it, with a warning that says where it goes.
function Ctx:companion(path, ptr, json_file, positions, json_ptr)
  if common.outside(self.root, path) then
    self:warn("path " .. path .. " is outside the input directory", json_file, positions,
      json_ptr)
  end
  local text = self.reader:text(path, self.reader:where(json_file, positions, json_ptr))
  if text then self.reader.sources:add(ptr, path, nil) end
  return text
end

function Ctx:warn(message, file, positions, ptr)
  self.reader:warn(message, self.reader:where(file, positions, ptr or ""))
end

-- Items of a folder of JSON files. accept(value, name) may refuse an item before anything is
-- recorded; inline(value, ptr, file, positions, name) then loads its companion files.
function Ctx:list(type_name, rel, accept, inline)
  local dir = self:folder(rel)
  if not dir then return nil end
  local out = json.array()
  for _, name in ipairs(common.files(dir, ".json")) do
    local file = join(dir, name)
    local value, positions = self.reader:json(file)
    if value ~= nil and not (is_object(value) and next(value) == nil)
        and (not accept or accept(value, name, file, positions)) then
      local ptr = "/" .. type_name .. "/" .. #out
      self.reader.sources:add(ptr, file, positions)
      if inline then inline(value, ptr, file, positions, name) end
      out[#out + 1] = value
    end
  end
  return out
end

-- One reader per layout kind (a0lua.catalogue): READ[kind](ctx, type_name, layout) -> value | nil
local READ = {}

function READ.list(ctx, type_name, layout)
  return ctx:list(type_name, layout.folder)
end

function READ.file(ctx, type_name, layout)
  local path = ctx:path(layout.file)
  if layout.first_in_folder then
    -- a0deploy reads the first .json file of the folder, whatever its name
    local dir = ctx:folder(common.dirname(layout.file))
    if not dir then return nil end
    local name = common.files(dir, ".json")[1]
    if not name then
      ctx:warn("no .json file in " .. dir .. ": " .. type_name .. " are not managed", dir)
      return nil
    end
    path = join(dir, name)
  elseif not common.is_file(path) then
    return nil
  end
  return (ctx:json(path, "/" .. type_name))
end

function READ.none() return nil end

function READ.tenant(ctx, type_name, layout)
  local path = ctx:path(layout.file)
  if not common.is_file(path) then return nil end
  local tenant, positions = ctx:json(path, "/" .. type_name)
  if is_object(tenant) then
    common.session_minutes(ctx.reader, tenant, "/" .. type_name, path, positions, "")
  end
  return tenant
end

-- Items of the folder `rel` whose `field` names a companion file: locate(item, ref) -> its path,
-- or nil to keep the field as it is. after(item), when given, then finishes each item.
local function read_refs(ctx, type_name, rel, field, locate, after)
  return ctx:list(type_name, rel, nil, function(item, ptr, file, positions)
    local ref = item[field]
    if truthy(ref) and type(ref) == "string" then
      local path = locate(item, ref)
      if path then
        item[field] = ctx:companion(path, ptr .. seg(field), file, positions, seg(field)) or ref
      end
    end
    if after then after(item) end
  end)
end

-- rules / hooks: the companion field (`script`) names a file relative to the type's folder;
-- layout.lower_names: names lower-cased, spaces made "-".
function READ.scripts(ctx, type_name, layout)
  local dir = ctx:path(layout.folder)
  return read_refs(ctx, type_name, layout.folder, layout.companion.field, function(_, ref)
    return resolve(dir, ref)
  end, function(item)
    if layout.lower_names and type(item.name) == "string" then
      item.name = item.name:lower():gsub("%s", "-")
    end
  end)
end

-- pages: <name>.json paired with <name><companion.ext> by base name; the pages of
-- layout.optional may lack the companion.
function READ.pages(ctx, type_name, layout)
  local dir = ctx:folder(layout.folder)
  if not dir then return nil end
  local field, ext = layout.companion.field, layout.companion.ext
  local optional = util.set_of(layout.optional)
  local jsons, companions = {}, {}
  for _, name in ipairs(common.files(dir, ".json")) do jsons[name:sub(1, -6)] = true end
  for _, name in ipairs(common.files(dir, ext)) do companions[name:sub(1, -#ext - 1)] = true end
  for base in pairs(companions) do
    if not jsons[base] then
      ctx:warn("skipping " .. join(dir, base .. ext) .. ": no matching .json file",
               join(dir, base .. ext))
    end
  end
  return ctx:list(type_name, layout.folder, function(_, name, file, positions)
    local base = name:sub(1, -6)
    if companions[base] or optional[base] then return true end
    ctx:warn("skipping " .. file .. ": no matching " .. ext .. " file", file, positions)
    return false
  end, function(item, ptr, _, _, name)
    local base = name:sub(1, -6)
    if companions[base] then
      local path = join(dir, base .. ext)
      item[field] = ctx:companion(path, ptr .. seg(field), path, nil, "") or ""
    else
      item[field] = ""
    end
  end)
end

-- clients: the companion field names a file relative to the folder, read when it exists.
function READ.clients(ctx, type_name, layout)
  local dir = ctx:path(layout.folder)
  return read_refs(ctx, type_name, layout.folder, layout.companion.field, function(_, ref)
    local path = resolve(dir, ref)
    return common.is_file(path) and path or nil
  end)
end

-- databases: a folder per database holding layout.file and its scripts (relative to that
-- folder), of the names in layout.scripts only.
function READ.databases(ctx, type_name, layout)
  local dir = ctx:folder(layout.folder)
  if not dir then return nil end
  local allowed = util.set_of(layout.scripts)
  local out = json.array()
  for _, folder_name in ipairs(common.dirs(dir)) do
    local folder = join(dir, folder_name)
    local file = join(folder, layout.file)
    if not common.is_file(file) then
      ctx:warn("skipping database folder " .. folder .. ": no " .. layout.file, folder)
    else
      local db, positions = ctx.reader:json(file)
      local count = 0
      if is_object(db) then
        if not is_object(db.options) then db.options = {} end
        for _ in pairs(db) do count = count + 1 end
      end
      -- a0deploy keeps a database with more than its options
      if count > 1 then
        local ptr = "/" .. type_name .. "/" .. #out
        ctx.reader.sources:add(ptr, file, positions)
        if db.customScripts ~= nil and db.customScripts ~= null then
          db.options.customScripts = db.customScripts
          db.customScripts = nil
          ctx.reader.sources:add(ptr .. "/options/customScripts", file, positions,
                                 "/customScripts")
        end
        local scripts = db.options.customScripts
        if is_object(scripts) then
          local names = util.sorted_keys(scripts)
          local json_base = positions and positions["/customScripts"] and "/customScripts"
            or "/options/customScripts"
          for _, name in ipairs(names) do
            local ref = scripts[name]
            if not allowed[name] then
              ctx:warn("skipping invalid database script '" .. name .. "'", file, positions,
                       json_base .. seg(name))
              scripts[name] = nil
            elseif type(ref) == "string" then
              local path = resolve(folder, ref)
              scripts[name] = ctx:companion(path, ptr .. "/options/customScripts" .. seg(name),
                                            file, positions, json_base .. seg(name)) or ref
            end
          end
        end
        out[#out + 1] = db
      end
    end
  end
  return out
end

function READ.connections(ctx, type_name, layout)
  local rel = ctx.cfg.AUTH0_CONNECTIONS_DIRECTORY
  if type(rel) ~= "string" or rel == "" then rel = layout.folder end
  local dir = ctx:path(rel)
  return ctx:list(type_name, rel, nil, function(item, ptr, file, positions)
    local body = common.email_body_ref(item)
    if body == nil then return end
    if type(body) ~= "string" then
      ctx.reader:problem("validation", "must be a path to an html file (a string)",
                         ctx.reader:where(file, positions, "/options/email/body"))
      return
    end
    local path = resolve(dir, body)
    item.options.email.body = ctx:companion(path, ptr .. "/options/email/body", file, positions,
                                            "/options/email/body") or body
  end)
end

-- email templates: the companion field names a file relative to the folder, else
-- <json base name><companion.ext>; without either the template is skipped. The folder's files
-- of layout.others belong to another type.
function READ.emailTemplates(ctx, type_name, layout)
  local dir = ctx:folder(layout.folder)
  if not dir then return nil end
  local field, ext = layout.companion.field, layout.companion.ext
  local others = util.set_of(layout.others)
  local function body_path(item, name)
    local ref = item[field]
    if type(ref) == "string" and ref ~= "" then
      local path = resolve(dir, ref)
      if common.is_file(path) then return path end
    end
    local fallback = join(dir, name:sub(1, -6) .. ext)
    if common.is_file(fallback) then return fallback end
    return nil
  end
  return ctx:list(type_name, layout.folder, function(item, name, file, positions)
    if others[name] then return false end
    if is_object(item) and body_path(item, name) then return true end
    ctx:warn("skipping email template " .. file .. ": its html body is missing", file,
             positions, seg(field))
    return false
  end, function(item, ptr, file, positions, name)
    local path = body_path(item, name)
    item[field] = ctx:companion(path, ptr .. seg(field), file, positions, seg(field))
      or item[field]
  end)
end

function READ.branding(ctx, type_name, layout)
  local dir = ctx:folder(layout.folder)
  if not dir then return nil end
  local branding
  local file = join(dir, "branding.json")
  if common.is_file(file) then branding = ctx:json(file, "/" .. type_name) end
  local templates_dir = ctx:folder(join(layout.folder, "templates"))
  if not templates_dir then return branding end
  local templates = json.array()
  for _, name in ipairs(common.files(templates_dir, ".json")) do
    local tfile = join(templates_dir, name)
    local t, positions = ctx.reader:json(tfile)
    if is_object(t) then
      local ptr = "/" .. type_name .. "/templates/" .. #templates
      ctx.reader.sources:add(ptr, tfile, positions)
      if type(t.body) == "string" then
        local path = resolve(templates_dir, t.body)
        t.body = ctx:companion(path, ptr .. "/body", tfile, positions, "/body") or t.body
      end
      templates[#templates + 1] = t
    end
  end
  local out = {}
  if is_object(branding) then
    for k, v in pairs(branding) do out[k] = v end
  end
  out.templates = templates
  return out
end

function READ.prompts(ctx, type_name, layout)
  local dir = ctx:folder(layout.folder)
  if not dir then return nil end
  local prompts = {}
  local settings_file = join(dir, "prompts.json")
  if common.is_file(settings_file) then
    local settings = ctx:json(settings_file, "/" .. type_name)
    if is_object(settings) then
      for k, v in pairs(settings) do prompts[k] = v end
    end
  end
  prompts.customText = {}
  local text_file = join(dir, "custom-text.json")
  if common.is_file(text_file) then
    prompts.customText = ctx:json(text_file, "/" .. type_name .. "/customText") or {}
  end
  prompts.partials = {}
  local partials_file = join(dir, "partials.json")
  if common.is_file(partials_file) then
    local manifest, positions = ctx.reader:json(partials_file)
    if is_object(manifest) then
      ctx.reader.sources:add("/" .. type_name .. "/partials", partials_file, nil)
      for prompt, wrapped in pairs(manifest) do
        local screens = is_array(wrapped) and wrapped[1]
        local out_screens = {}
        if is_object(screens) then
          for screen, items in pairs(screens) do
            local points = {}
            for i, item in ipairs(is_array(items) and items or {}) do
              if is_object(item) and type(item.name) == "string" then
                local ptr = "/" .. type_name .. "/partials" .. seg(prompt) .. seg(screen)
                  .. seg(item.name)
                local json_ptr = seg(prompt) .. "/0" .. seg(screen) .. "/" .. (i - 1)
                ctx.reader.sources:add(ptr, partials_file, positions, json_ptr)
                local path = type(item.template) == "string"
                  and resolve(dir, item.template)
                if path and common.is_file(path) then
                  local text = ctx:companion(path, ptr, partials_file, positions, json_ptr)
                  points[item.name] = text and (text:gsub("^%s+", ""):gsub("%s+$", "")) or ""
                else
                  points[item.name] = ""
                end
              end
            end
            out_screens[screen] = points
          end
        end
        prompts.partials[prompt] = out_screens
      end
    end
  end
  prompts.screenRenderers = json.array()
  local renderers_dir = ctx:folder(join(layout.folder, "screenRenderSettings"))
  if renderers_dir then
    for _, name in ipairs(common.files(renderers_dir, ".json")) do
      local file = join(renderers_dir, name)
      local value = ctx:json(file, "/" .. type_name .. "/screenRenderers/"
        .. #prompts.screenRenderers)
      if value ~= nil then prompts.screenRenderers[#prompts.screenRenderers + 1] = value end
    end
  end
  return prompts
end

-- The file `code` names: relative to the root (docs/formats.md §3.2), else where a0deploy also
-- looks: the action's own folder, then the working directory; a path that starts with the root
-- folder's own name ("directory/actions/x/code.js", as a0deploy's example has it) is also tried
-- from the root's parent.
local function code_path(ctx, folder, code)
  local rel = code:gsub("\\", "/")
  local candidates = { normalize(join(ctx.root, rel)), normalize(join(ctx:path(folder), rel)) }
  candidates[#candidates + 1] = normalize(rel)
  local root_name = common.basename(normalize(ctx.root))
  local first = rel:gsub("^%./", ""):match("^([^/]+)/")
  if first and first == root_name then
    candidates[#candidates + 1] = normalize(join(common.dirname(normalize(ctx.root)), rel))
  end
  for _, path in ipairs(candidates) do
    if common.is_file(path) then return path end
  end
  return candidates[1]
end

-- actions / action modules: the companion field (`code`) names a file, found by code_path.
function READ.code(ctx, type_name, layout)
  local rel = layout.folder
  return read_refs(ctx, type_name, rel, layout.companion.field, function(item, ref)
    return code_path(ctx, rel .. "/" .. tostring(item.name), ref)
  end)
end

-- A singleton kept as one JSON file per field: layout.parts = { {key =, file =, required =} }.
function READ.parts(ctx, type_name, layout)
  local dir = ctx:folder(layout.folder)
  if not dir then return nil end
  local required = {}
  for _, part in ipairs(layout.parts) do
    if part.required then required[#required + 1] = part.file end
  end
  local out = {}
  for _, part in ipairs(layout.parts) do
    local file = join(dir, part.file)
    if common.is_file(file) then
      out[part.key] = ctx:json(file, "/" .. type_name .. "/" .. part.key)
    elseif part.required then
      ctx.reader:problem("file_not_found", "file not found: " .. file .. " (" .. layout.folder
        .. "/ needs " .. table.concat(required, ", ", 1, #required - 1) .. " and "
        .. required[#required] .. ")", { file = file })
    end
  end
  return out
end

function M.read(cfg, opts)
  local root = common.input_of(cfg, opts)
  local reader = common.reader(cfg, opts)
  if type(root) ~= "string" or root == "" then
    reader:problem("config", "no input directory given (--input_file)")
    return nil, reader.problems
  end
  if not common.is_dir(root) then
    local exists = common.is_file(root)
    reader:problem(exists and "not_a_directory" or "input_not_found",
      exists and (root .. " is not a directory") or ("input not found: " .. root),
      { file = root })
    return nil, reader.problems
  end
  root = root:gsub("(.)/+$", "%1")
  local ctx = setmetatable({ reader = reader, root = root, cfg = cfg }, Ctx)
  local desired = {}
  for _, entry in ipairs(catalogue.ENTRIES) do
    local type_name, layout = entry.type, entry.layout
    if common.included(cfg, type_name) then
      local value = READ[layout.kind](ctx, type_name, layout)
      if value ~= nil and value ~= null then desired[type_name] = value end
    end
  end
  if #reader.problems > 0 then return nil, reader.problems end
  return desired, reader.sources
end

-- ---------------------------------------------------------------------------------------------
-- Writing

local function each_item(list, fn)
  if not is_array(list) then return end
  for i, item in ipairs(list) do
    if is_object(item) then fn(item, i) end
  end
end

-- Writes item[field] to <folder>/<name><ext> and leaves in the field the path a0deploy's JSON
-- names that file with, relative to the folder.
local function put_companion(w, folder, name, ext, item, field)
  w:file(folder .. "/" .. name .. ext, item[field])
  item[field] = "./" .. name .. ext
end

-- One writer per layout kind (a0lua.catalogue):
-- DUMP[kind](w, value, layout, cfg, exported, opts) -> nil | err. value is the writer's own copy.
local DUMP = {}

-- The names a0deploy composes for a file (catalogue layout `stem`), each made into a name_of
-- for file_names.
local STEMS = {}

-- <client name>-<API name>: the API's name looked up by audience (opts.resource_servers, else
-- exported.resourceServers), the client's by id (opts.clients); each else as it is.
function STEMS.grant(exported, opts)
  local apis = {}
  for _, rs in ipairs(opts.resource_servers or exported.resourceServers or {}) do
    if is_object(rs) and rs.identifier ~= nil then apis[rs.identifier] = rs.name end
  end
  local clients = {}
  for _, c in ipairs(opts.clients or {}) do
    if is_object(c) and c.client_id ~= nil then clients[c.client_id] = c.name end
  end
  return function(grant)
    local client = clients[grant.client_id] or grant.client_id
    local api = apis[grant.audience] or grant.audience
    return tostring(client) .. "-" .. tostring(api)
  end
end

function STEMS.network_acl()
  return function(acl)
    local description = truthy(acl.description) and sanitize(acl.description) or "network-acl"
    return description .. "-p-" .. tostring(acl.priority)
  end
end

local function name_of(stem, exported, opts)
  if type(stem) == "table" then
    return function(item)
      local parts = {}
      for i, field in ipairs(stem) do parts[i] = tostring(item[field]) end
      return table.concat(parts, "-")
    end
  end
  if STEMS[stem] then return STEMS[stem](exported, opts) end
  return stem
end

-- <folder>/S(stem).json for each item. (a0deploy sanitizes name .. ".json" for some types:
-- the same file for every ordinary name; docs/compat.md says where odd names differ.)
function DUMP.list(w, list, layout, _, exported, opts)
  if layout.export == false then return end -- rulesConfigs: never readable, a0deploy writes nothing
  if layout.skip_empty and (not is_array(list) or #list == 0) then return end
  if layout.unique then
    local err = yaml_format.duplicates(list, layout.unique)
    if err then return err end
  end
  local folder = layout.folder
  w:dir(folder)
  if layout.numbered then
    each_item(list, function(item, i)
      w:json(folder .. "/" .. layout.numbered .. (i > 1 and tostring(i - 1) or "") .. ".json", item)
    end)
  else
    each_named(list, name_of(layout.stem, exported, opts), nil, function(item, stem)
      w:json(folder .. "/" .. stem .. ".json", item)
    end)
  end
  if layout.prune then w:prune(folder) end
end

function DUMP.file(w, value, layout)
  w:json(layout.file, value)
end

function DUMP.none() end

function DUMP.tenant(w, tenant, layout)
  if is_object(tenant) then yaml_format.clear_tenant_flags(tenant) end
  w:json(layout.file, tenant)
end

-- rules / hooks: <folder>/S(name)<companion.ext> beside S(name).json. layout.excluded_by: the
-- config key of names not written; layout.name_or_id: an item without a name is named by its id.
function DUMP.scripts(w, list, layout, cfg)
  if layout.skip_empty and (not is_array(list) or #list == 0) then return end
  local folder = layout.folder
  local field, ext = layout.companion.field, layout.companion.ext
  local excluded = layout.excluded_by and common.list_of(cfg[layout.excluded_by]) or {}
  w:dir(folder)
  if layout.name_or_id then
    each_item(list, function(item) item.name = truthy(item.name) and item.name or item.id end)
  end
  each_named(list, function(item)
    return not common.contains(excluded, item.name) and item.name
  end, nil, function(item, name)
    put_companion(w, folder, name, ext, item, field)
    w:json(folder .. "/" .. name .. ".json", item)
  end)
end

function DUMP.pages(w, list, layout)
  local folder = layout.folder
  local field, ext = layout.companion.field, layout.companion.ext
  w:dir(folder)
  each_named(list, "name", nil, function(page, name)
    -- (a0deploy writes no html for an error page without one)
    if page.name ~= "error_page" or page[field] ~= nil then
      put_companion(w, folder, name, ext, page, field)
    end
    w:json(folder .. "/" .. name .. ".json", page)
  end)
end

function DUMP.clients(w, list, layout)
  local folder = layout.folder
  local field, suffix = layout.companion.field, layout.companion.suffix
  w:dir(folder)
  each_named(list, "name", { room = #suffix }, function(client, name)
    if truthy(client[field]) then put_companion(w, folder, name, suffix, client, field) end
    w:json(folder .. "/" .. name .. ".json", yaml_format.clear_client_arrays(client))
  end)
end

function DUMP.databases(w, list, layout)
  local ext = layout.companion.ext
  w:dir(layout.folder)
  each_named(list, "name", { room = 0 }, function(db, stem)
    local folder = layout.folder .. "/" .. stem
    local scripts = is_object(db.options) and db.options.customScripts
    if is_object(scripts) then
      local names = util.sorted_keys(scripts)
      local entries = json.array()
      for i, name in ipairs(names) do entries[i] = { name = name } end
      local files = file_names.stems(entries, "name", { room = #ext })
      for i, name in ipairs(names) do
        local file = files[i] .. ext
        w:file(folder .. "/" .. file, scripts[name])
        scripts[name] = "./" .. file
      end
    end
    w:json(folder .. "/" .. layout.file, db)
  end)
end

-- (always into layout.folder: AUTH0_CONNECTIONS_DIRECTORY is only read)
function DUMP.connections(w, list, layout, cfg)
  local folder = layout.folder
  w:dir(folder)
  each_named(list, "name", nil, function(conn, name)
    if conn.strategy == "email" then
      if not is_object(conn.options) then conn.options = {} end
      if not is_object(conn.options.email) then conn.options.email = {} end
      w:file(folder .. "/" .. name .. ".html", conn.options.email.body or "")
      conn.options.email.body = "./" .. name .. ".html"
    end
    w:json(folder .. "/" .. name .. ".json", conn)
  end)
  local keep = {}
  for _, excluded in ipairs(common.list_of(cfg.AUTH0_EXCLUDED_CONNECTIONS) or {}) do
    keep[sanitize(excluded) .. ".json"] = true
    keep[sanitize(excluded) .. ".html"] = true
  end
  w:prune(folder, function(name) return keep[name] end)
end

function DUMP.emailTemplates(w, list, layout)
  local folder = layout.folder
  local field, ext = layout.companion.field, layout.companion.ext
  w:dir(folder)
  -- the folder's files of another type (emails/provider.json) keep their names
  local taken = {}
  for i, name in ipairs(layout.others or {}) do taken[i] = name:gsub("%.json$", "") end
  each_named(list, layout.stem, { taken = taken }, function(t, name)
    put_companion(w, folder, name, ext, t, field)
    w:json(folder .. "/" .. name .. ".json", t)
  end)
end

function DUMP.branding(w, branding, layout)
  if not is_object(branding) then return end
  local templates = branding.templates
  branding.templates = nil
  w:json(layout.folder .. "/branding.json", branding)
  if templates == nil or templates == null then return end
  local folder = layout.folder .. "/templates"
  w:dir(folder)
  each_named(templates, "template", nil, function(t, name)
    put_companion(w, folder, name, ".html", t, "body")
    w:json(folder .. "/" .. name .. ".json", t)
  end)
end

local sorted_keys = util.sorted_keys

function DUMP.prompts(w, prompts, layout)
  if not is_object(prompts) then return end
  local folder = layout.folder
  local custom_text, partials, renderers = prompts.customText, prompts.partials,
    prompts.screenRenderers
  prompts.customText, prompts.partials, prompts.screenRenderers = nil, nil, nil
  w:json(folder .. "/prompts.json", prompts)
  if custom_text == nil or custom_text == null then return end
  w:json(folder .. "/custom-text.json", custom_text)
  if partials == nil or partials == null then return end
  local manifest = {}
  local function folders(map, room)
    local keys = sorted_keys(is_object(map) and map or {})
    local entries = json.array()
    for i, key in ipairs(keys) do entries[i] = { name = key } end
    return keys, file_names.stems(entries, "name", { room = room })
  end
  local prompt_keys, prompt_dirs = folders(partials, 0)
  for i, prompt in ipairs(prompt_keys) do
    local screens = partials[prompt]
    local out = {}
    local screen_keys, screen_dirs = folders(screens, 0)
    for j, screen in ipairs(screen_keys) do
      local points = screens[screen]
      local items = json.array()
      local point_keys, point_files = folders(points, #".liquid")
      for k, point in ipairs(point_keys) do
        local rel = "partials/" .. prompt_dirs[i] .. "/" .. screen_dirs[j] .. "/" .. point_files[k]
          .. ".liquid"
        w:file(folder .. "/" .. rel, points[point])
        items[#items + 1] = { name = point, template = rel }
      end
      out[screen] = items
    end
    manifest[prompt] = json.array({ out })
  end
  w:json(folder .. "/partials.json", manifest)
  if not is_array(renderers) then return end
  w:dir(folder .. "/screenRenderSettings")
  each_named(renderers, function(r)
    return tostring(r.prompt) .. "_" .. tostring(r.screen)
  end, nil, function(r, stem)
    r.tenant = nil
    w:json(folder .. "/screenRenderSettings/" .. stem .. ".json", r)
  end)
end

-- actions / action modules: <folder>/S(name).json and <folder>/S(name)/<companion.file>
function DUMP.code(w, list, layout)
  if not is_array(list) or #list == 0 then return end
  local folder = layout.folder
  local field = layout.companion.field
  w:dir(folder)
  each_named(list, "name", nil, function(item, name)
    if truthy(item[field]) then
      local rel = folder .. "/" .. name .. "/" .. layout.companion.file
      w:file(rel, item[field])
      item[field] = "./" .. rel
    else
      item[field] = ""
    end
    w:json(folder .. "/" .. name .. ".json", item)
  end)
end

function DUMP.parts(w, ap, layout)
  if not is_object(ap) then return end
  w:dir(layout.folder)
  for _, part in ipairs(layout.parts) do
    if truthy(ap[part.key]) then w:json(layout.folder .. "/" .. part.file, ap[part.key]) end
  end
end

function M.write(cfg, exported, opts)
  opts = opts or {}
  local out_dir, folder_err = common.output_folder(cfg, exported)
  if not out_dir then return nil, folder_err end
  local w = common.writer(out_dir, { secret = cfg.AUTH0_EXPORT_SECRETS })
  w:dir(".")
  for _, entry in ipairs(catalogue.ENTRIES) do
    local type_name = entry.type
    local value = exported[type_name]
    if value ~= nil and value ~= null and common.included(cfg, type_name) then
      local err = DUMP[entry.layout.kind](w, common.copy(value), entry.layout, cfg, exported, opts)
      if err then return nil, err end
    end
  end
  return w:commit()
end

return M
