-- a0lua.format.common: what the YAML and directory formats share: the list of types, paths,
-- reading files (keyword replacement, JSON with positions, problems that name file and line),
-- and a writer that builds a whole export in memory before anything touches the disk.
--
--   common.TYPES              the 44 types in a0deploy's registry order (a0lua.catalogue)
--   common.is_type(name)      -> boolean
--   common.included(cfg, type) -> boolean: not in AUTH0_EXCLUDED, and in AUTH0_INCLUDED_ONLY when
--                              that is set (docs/architecture.md §3.4)
--   common.join(a, b), common.normalize(p), common.dirname(p), common.basename(p),
--   common.outside(base, path) -> boolean: path leaves base (after normalising both)
--   common.is_file(p), common.is_dir(p), common.files(dir, ext) -> sorted names of the regular
--   files directly in dir whose name ends in ext (exact case), common.dirs(dir) -> sorted names
--   common.resolve(dir, ref) -> the path a reference in a file names: backslashes become "/",
--                              relative to dir, normalised
--   common.is_array(v), common.is_object(v), common.copy(v) (deep, keeps the array marker)
--   common.email_body_ref(connection) -> the reference an email connection's options.email.body
--                              holds, or nil: not an email connection, or no body (then made
--                              "", options and options.email created when absent, as a0deploy)
--   common.input_of(cfg, opts) -> cfg.input, else AUTH0_INPUT_FILE: what format.read reads
--   common.output_folder(cfg, exported) -> cfg.output_folder | nil, err: where format.write
--                              writes (a `config` error when unset)
--     (both raise, at their caller's caller, when given arguments of the wrong type)
--   common.truthy(v)          a0deploy's (JavaScript's) truth: not nil, null, false, "" nor 0
--   common.session_minutes(reader, tenant, ptr, file, positions, at)   the tenant's session
--                              lifetimes, hours in the files, become *_in_minutes (recorded at
--                              the hours' place `at` .. "/" .. field of `file`); empty flags go
--
--   local r = common.reader(cfg [, opts])      opts.raw_keywords: no keyword replacement
--   r.sources (a0lua.sources), r.problems (array of error tables), r.mappings
--   r:problem(code, message, where) where = { file =, line =, column =, pointer =, path = }
--   r:where(file, positions, pointer) -> where table for a node of a parsed file
--   r:text(path, where) -> text | nil          read + keyword replacement; a missing file is a
--                                              file_not_found problem located at `where`
--   r:json(path, where) -> value, positions | nil   JSON: core.json gives the value, core.yaml the
--                                              positions (none when it cannot read the text)
--   r:warn(message, where)
--
--   local w = common.writer(root [, {secret =}])
--   w:file(rel, text [, {secret =}]), w:json(rel, value), w:dir(rel),
--   w:prune(rel_dir, keep(name) -> bool)
--   w:commit() -> list of paths written | nil, err     (directories first, then atomic writes)
--     Files are created 0666 filtered by the umask and never widen a file they replace
--     (core.fs write); a file that holds secrets is written 0600: every file of a writer made
--     with secret = true (an export with AUTH0_EXPORT_SECRETS), a w:file given secret = true,
--     and a w:json whose value common.holds_secret.
--   common.holds_secret(value) -> boolean   a field of SECRET_FIELDS (at any depth), or the
--                                           value of an item of a `secrets` list, is a string
--                                           that is neither empty, a ##PLACEHOLDER## nor a
--                                           @@KEYWORD@@
--     Nothing is written unless every path stays inside root: each rel must be relative, with
--     no "..", "." or empty segment and no NUL byte, and no folder on the way below root may be
--     a symbolic link (one that exists already; root itself may be one). Otherwise err is an
--     export_path problem naming the path, whatever the tenant's names held.
--   common.json_text(value) -> text | nil, err          2-space JSON with a trailing newline

local catalogue = require("a0lua.catalogue")
local errors = require("a0lua.errors")
local fs = require("a0lua.core.fs")
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")
local sources_mod = require("a0lua.sources")
local util = require("a0lua.util")

local M = {}

-- (a0lua.catalogue declares the types; these are its list and test, for the format modules)
M.TYPES = catalogue.TYPES
M.is_type = catalogue.is_type

-- ---------------------------------------------------------------------------------------------
-- Values

function M.is_array(v) return type(v) == "table" and json.is_array(v) end
function M.is_object(v) return type(v) == "table" and v ~= json.null and not json.is_array(v) end

function M.truthy(v)
  return v ~= nil and v ~= json.null and v ~= false and v ~= "" and v ~= 0
end

function M.email_body_ref(connection)
  if connection.strategy ~= "email" then return nil end
  if not M.is_object(connection.options) then connection.options = {} end
  if not M.is_object(connection.options.email) then connection.options.email = {} end
  local body = connection.options.email.body
  if body == nil or body == json.null or body == "" then
    connection.options.email.body = ""
    return nil
  end
  return body
end

M.copy = util.copy

-- Lists in config may arrive as arrays or (unparsed) JSON strings.
local function list_of(value)
  if type(value) == "string" then
    local decoded = json.decode(value)
    if type(decoded) == "table" then return decoded end
    return { value }
  end
  if type(value) == "table" then return value end
  return nil
end
M.list_of = list_of

local function contains(list, name)
  for _, v in ipairs(list or {}) do
    if v == name then return true end
  end
  return false
end
M.contains = contains

function M.included(cfg, type_name)
  if contains(list_of(cfg.AUTH0_EXCLUDED), type_name) then return false end
  local only = list_of(cfg.AUTH0_INCLUDED_ONLY)
  if only ~= nil and not contains(only, type_name) then return false end
  return true
end

-- ---------------------------------------------------------------------------------------------
-- What the readers read and the writers write

function M.input_of(cfg, opts)
  if type(cfg) ~= "table" then error("format.read: cfg must be a table", 3) end
  if opts ~= nil and type(opts) ~= "table" then error("format.read: opts must be a table", 3) end
  local input = cfg.input
  if input == nil then input = cfg.AUTH0_INPUT_FILE end
  return input
end

function M.output_folder(cfg, exported)
  if type(cfg) ~= "table" then error("format.write: cfg must be a table", 3) end
  if type(exported) ~= "table" then error("format.write: exported must be a table", 3) end
  local out_dir = cfg.output_folder
  if type(out_dir) ~= "string" or out_dir == "" then
    return nil, errors.new("config", "no output folder given")
  end
  return out_dir
end

-- ---------------------------------------------------------------------------------------------
-- Paths ("/"-separated)

function M.join(a, b)
  if b:sub(1, 1) == "/" then return b end
  if a == nil or a == "" or a == "." then return b end
  if a:sub(-1) == "/" then return a .. b end
  return a .. "/" .. b
end

function M.normalize(p)
  local absolute = p:sub(1, 1) == "/"
  local out = {}
  for part in p:gmatch("[^/]+") do
    if part == ".." then
      if #out > 0 and out[#out] ~= ".." then
        out[#out] = nil
      elseif not absolute then
        out[#out + 1] = ".."
      end
    elseif part ~= "." then
      out[#out + 1] = part
    end
  end
  local s = table.concat(out, "/")
  if absolute then return "/" .. s end
  return s == "" and "." or s
end

function M.resolve(dir, ref)
  return M.normalize(M.join(dir, (ref:gsub("\\", "/"))))
end

function M.dirname(p)
  local dir = p:match("^(.*)/[^/]*$")
  if dir == nil then return "." end
  if dir == "" then return "/" end
  return dir
end

function M.basename(p) return p:match("([^/]*)$") end

function M.outside(base, path)
  local b, p = M.normalize(base), M.normalize(path)
  if b == "." then return p == ".." or p:sub(1, 3) == "../" or p:sub(1, 1) == "/" end
  return p:sub(1, #b + 1) ~= b .. "/"
end

function M.is_file(p)
  local info = fs.stat(p)
  return info ~= nil and info.type == "file"
end

function M.is_dir(p)
  local info = fs.stat(p)
  return info ~= nil and info.type == "directory"
end

function M.files(dir, ext)
  local names = fs.list(dir)
  local out = {}
  for _, name in ipairs(names or {}) do
    if name:sub(-#ext) == ext and #name > #ext and M.is_file(M.join(dir, name)) then
      out[#out + 1] = name
    end
  end
  return out
end

function M.dirs(dir)
  local out = {}
  for _, name in ipairs(fs.list(dir) or {}) do
    if M.is_dir(M.join(dir, name)) then out[#out + 1] = name end
  end
  return out
end

-- ---------------------------------------------------------------------------------------------
-- The tenant's session lifetimes: hours in both formats, minutes in the API

local SESSION_HOURS = {
  "session_lifetime", "idle_session_lifetime", "ephemeral_session_lifetime",
  "idle_ephemeral_session_lifetime",
}

function M.session_minutes(reader, tenant, ptr, file, positions, at)
  for _, field in ipairs(SESSION_HOURS) do
    local hours = tenant[field]
    if math.type(hours) then
      tenant[field] = nil
      tenant[field .. "_in_minutes"] = math.floor(hours * 60 + 0.5)
      reader.sources:add(ptr .. "/" .. field .. "_in_minutes", file, positions, at .. "/" .. field)
    end
  end
  if M.is_object(tenant.flags) and next(tenant.flags) == nil then tenant.flags = nil end
end

-- ---------------------------------------------------------------------------------------------
-- Reading

local Reader = {}
Reader.__index = Reader

local function mappings_of(cfg)
  local m = cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS
  if type(m) == "string" then
    local decoded = json.decode(m)
    m = type(decoded) == "table" and decoded or nil
  end
  if type(m) ~= "table" or next(m) == nil then return nil end
  return m
end

function M.reader(cfg, opts)
  opts = opts or {}
  local mappings = mappings_of(cfg)
  return setmetatable({
    cfg = cfg,
    mappings = mappings,
    replace_keywords = mappings ~= nil and not opts.raw_keywords,
    problems = {},
    sources = sources_mod.new(),
  }, Reader)
end

function Reader:problem(code, message, where)
  where = where or {}
  local p = errors.new(code, message, { file = where.file, line = where.line,
                       column = where.column, pointer = where.pointer, path = where.path })
  self.problems[#self.problems + 1] = p
  return p
end

function Reader:warn(message, where)
  local fields = {}
  for k, v in pairs(where or {}) do fields[k] = v end
  return self.sources:warn(message, fields)
end

-- Where a node of a parsed file is, for problems about it. pointer is the node's pointer in
-- that file (for the YAML format the same as in the desired state).
function Reader:where(file, positions, pointer) -- luacheck: no unused args
  local pos
  if positions then
    local segments = sources_mod.split(pointer or "")
    for k = #segments, 0, -1 do
      pos = positions[sources_mod.pointer(segments, 1, k)]
      if pos then break end
    end
  end
  return { file = file, line = pos and pos.line or 1, column = pos and pos.column or 1,
           pointer = pointer, path = pointer and sources_mod.path(pointer) or nil }
end

-- a0lua.keywords, looked up on each use (require caches it). nil, after a problem, when it is
-- missing.
function Reader:keywords(file)
  local ok, mod = pcall(require, "a0lua.keywords")
  if ok and type(mod) == "table" and type(mod.replace) == "function" then return mod end
  self:problem("keywords_unavailable",
    "keyword mappings are set but the a0lua.keywords module is missing", { file = file })
  return nil
end

-- Keyword replacement on one file's text (docs/formats.md §4); its warnings (unmapped markers)
-- go to sources.warnings as they are.
function Reader:replace(text, file)
  if not self.replace_keywords then return text end
  local kw = self:keywords(file)
  if not kw then return text end
  local out, warnings = kw.replace(text, self.mappings, { file = file })
  for _, w in ipairs(type(warnings) == "table" and warnings or {}) do
    if type(w) == "table" then
      if w.file == nil then w.file = file end
      self.sources.warnings[#self.sources.warnings + 1] = w
    else
      self:warn(tostring(w), { file = file })
    end
  end
  return out
end

function Reader:text(path, where)
  local data, err = fs.read(path)
  if not data then
    local w = where or { file = path }
    if err.code == "fs_not_found" then
      self:problem("file_not_found", "file not found: " .. path, w)
    else
      self:problem("file_read", "cannot read " .. path .. ": " .. tostring(err.message), w)
    end
    return nil
  end
  return self:replace(data, path)
end

function Reader:json(path, where)
  local text = self:text(path, where)
  if not text then return nil end
  local value, err = json.decode(text)
  if value == nil and err then
    self:problem(err.code or "json_syntax", err.message,
                 { file = path, line = err.line, column = err.column })
    return nil
  end
  local ok, _, positions = pcall(yaml.decode, text, { name = path })
  if not ok or type(positions) ~= "table" or positions.code then positions = nil end
  return value, positions
end

-- ---------------------------------------------------------------------------------------------
-- Writing

function M.json_text(value)
  local text, err = json.encode(value, { pretty = true })
  if not text then return nil, err end
  return text .. "\n"
end

-- The fields whose string value is a credential, compared without case, `_` or `-`: the
-- secrets of the resource types a0lua exports (connections' client_secret, APIs'
-- signing_secret, the email providers' credentials) and the usual names of others.
local SECRET_FIELDS = {}
for _, name in ipairs({
  "client_secret", "signing_secret", "secret", "password", "private_key", "api_key",
  "secret_access_key", "aws_secret_access_key", "smtp_pass", "connection_string", "auth_token",
  "access_token", "refresh_token", "http_authorization", "splunk_token", "datadog_api_key",
}) do
  SECRET_FIELDS[(name:gsub("[_-]", ""))] = true
end
M.SECRET_FIELDS = SECRET_FIELDS

local function is_secret_field(key)
  return type(key) == "string" and SECRET_FIELDS[key:lower():gsub("[_-]", "")] == true
end

-- A string that is a secret's value: not empty, not a ##PLACEHOLDER##, not a @@KEYWORD@@.
local function secret_text(v)
  return type(v) == "string" and v ~= "" and not v:match("^##[%w_]+##$")
    and not v:match("^@@[%w_]+@@$")
end

local function holds_secret(v, depth)
  if type(v) ~= "table" or v == json.null or depth > 64 then return false end
  for k, x in pairs(v) do
    if is_secret_field(k) and secret_text(x) then return true end
    if k == "secrets" and type(x) == "table" and x ~= json.null then
      for _, item in pairs(x) do
        if type(item) == "table" and item ~= json.null and secret_text(item.value) then
          return true
        end
      end
    end
    if holds_secret(x, depth + 1) then return true end
  end
  return false
end

function M.holds_secret(value) return holds_secret(value, 0) end

-- Permission bits of a file that holds secrets (core.fs write narrows them by the umask).
local SECRET_MODE = 384 -- 0600

local Writer = {}
Writer.__index = Writer

function M.writer(root, opts)
  return setmetatable({ root = root, files = {}, dirs = {}, prunes = {}, secret = {},
                        all_secret = opts ~= nil and not not opts.secret, err = nil }, Writer)
end

function Writer:dir(rel)
  self.dirs[rel] = true
end

function Writer:file(rel, text, opts)
  if type(text) ~= "string" then text = text == nil and "" or tostring(text) end
  self.files[rel] = text
  self.secret[rel] = opts ~= nil and opts.secret and true or nil
  self.dirs[M.dirname(rel)] = true
end

function Writer:json(rel, value)
  local text, err = M.json_text(value)
  if not text then
    self.err = self.err or errors.new(err.code, rel .. ": " .. err.message,
                                      { file = rel, path = err.path })
    return
  end
  self:file(rel, text, { secret = M.holds_secret(value) })
end

-- After the files are written, removes the files of rel_dir that were not written in this run
-- and that keep(name) does not claim.
function Writer:prune(rel_dir, keep)
  self.prunes[#self.prunes + 1] = { dir = rel_dir, keep = keep }
  self.dirs[rel_dir] = true
end

local function path_problem(root, rel, why)
  return errors.new("export_path", ("refusing to write %q: %s (an export writes only inside %s)")
    :format(rel, why, root), { file = M.join(root, rel) })
end

-- The one containment check of every export (docs/compat.md "Export file names"): rel, a file
-- (is_file) or folder path relative to root, must stay inside root. `links` caches the folders
-- already looked at.
local function check_inside(root, rel, is_file, links)
  if rel == "." and not is_file then return nil end
  if rel:find("%z") then return path_problem(root, rel, "a NUL byte") end
  if rel:sub(1, 1) == "/" then return path_problem(root, rel, "an absolute path") end
  local segments = {}
  for segment in (rel .. "/"):gmatch("([^/]*)/") do
    if segment == "" or segment == "." or segment == ".." then
      return path_problem(root, rel, ("a %q segment"):format(segment))
    end
    segments[#segments + 1] = segment
  end
  -- The folders on the way: a link among them would take the write wherever it points. The
  -- last segment of a file is replaced by rename, never followed.
  local last = is_file and #segments - 1 or #segments
  local prefix = nil
  for k = 1, last do
    prefix = prefix and (prefix .. "/" .. segments[k]) or segments[k]
    local known = links[prefix]
    if known == nil then
      local info = fs.lstat(M.join(root, prefix))
      known = info ~= nil and info.type == "link"
      links[prefix] = known
    end
    if known then
      return path_problem(root, rel, M.join(root, prefix) .. " is a symbolic link")
    end
  end
  return nil
end

function Writer:commit()
  if self.err then return nil, self.err end
  local dirs = util.sorted_keys(self.dirs)
  local rels = util.sorted_keys(self.files)
  -- Every path is checked before the first one is written.
  local links = {}
  for _, rel in ipairs(rels) do
    local err = check_inside(self.root, rel, true, links)
    if err then return nil, err end
  end
  for _, d in ipairs(dirs) do
    local err = check_inside(self.root, d, false, links)
    if err then return nil, err end
  end
  for _, prune in ipairs(self.prunes) do
    local err = check_inside(self.root, prune.dir, false, links)
    if err then return nil, err end
  end
  for _, d in ipairs(dirs) do
    local ok, err = fs.mkdir_p(M.join(self.root, d))
    if not ok then return nil, err end
  end
  local written = {}
  for _, rel in ipairs(rels) do
    local path = M.join(self.root, rel)
    -- No fsync per file: an export writes thousands of files and each fsync costs milliseconds;
    -- every file still appears whole, by rename.
    local secret = self.all_secret or self.secret[rel]
    local ok, err = fs.write(path, self.files[rel], { sync = false,
                                                     mode = secret and SECRET_MODE or nil })
    if not ok then return nil, err end
    written[#written + 1] = path
  end
  for _, prune in ipairs(self.prunes) do
    local dir = M.join(self.root, prune.dir)
    for _, name in ipairs(fs.list(dir) or {}) do
      local rel = prune.dir == "." and name or prune.dir .. "/" .. name
      if not self.files[rel] and M.is_file(M.join(dir, name))
          and not (prune.keep and prune.keep(name)) then
        local ok, err = fs.remove(M.join(dir, name))
        if not ok then return nil, err end
      end
    end
  end
  return written
end

return M
