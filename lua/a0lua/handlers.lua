--[[
a0lua.handlers: the registry of handlers, found by file on a search list.

  local handlers = require("a0lua.handlers")
  local registry = assert(handlers.load{ config = cfg })   -- or { paths = {dir, ...} }
  registry:get("clients") -> handler | nil
  registry:types() -> { "pages", "resourceServers", ... }  every loaded type, a0deploy's registry
                                                            order first, then other types by name
  registry:enabled(cfg [, types]) -> types   minus AUTH0_EXCLUDED, only AUTH0_INCLUDED_ONLY
  registry:stages(types [, deps_of]) -> { {type, ...}, ... }   the types in stages: a type comes
                                     after every type of `types` it depends_on (transitively); the
                                     types of one stage are independent of each other; each stage
                                     in registry order. A cycle raises a handler_cycle error.
                                     deps_of(name) -> list | nil: other dependencies (nil: the
                                     handler's depends_on); names without a handler may be given
                                     (apply's item parts)
  handlers.search_path(cfg) -> dirs  cfg.handlers_path (--handlers DIR, an array or a string),
                                     A0LUA_HANDLERS_PATH (":"-separated), then the built-in
                                     handlers/ (core.host's handlers_dir, or "handlers")
  handlers.base(type) -> handler     a fresh copy of the built-in handler, for a user file that
                                     starts from it: `local h = handlers.base("clients")`
  handlers.TYPES, handlers.RANK      a0lua.catalogue's: a0deploy's 44 type names in registry
                                     order, and each one's position
  handlers.file_name(type) -> "resource_servers"

Search: each directory is listed; every `*.lua` file in it is a handler module that returns one
table (the handler contract, docs/architecture.md §8). The first directory that defines a type
wins, so a user file replaces the built-in one. A directory that does not exist is skipped.

Errors: handlers.load returns nil, err with err = { code = "handler_load", file =, message = }
when a file does not load, raises or does not return a handler table (its `type` missing).
]]
local catalogue = require("a0lua.catalogue")
local errors = require("a0lua.errors")
local fs = require("a0lua.core.fs")
local handler = require("a0lua.handler")
local util = require("a0lua.util")

local M = {}

-- a0lua.catalogue declares the types; its order is the registry's.
M.TYPES = catalogue.TYPES
M.RANK = catalogue.RANK
local RANK = catalogue.RANK

function M.file_name(type_name)
  return (type_name:gsub("(%l)(%u)", "%1_%2"):lower())
end

local function builtin_dir()
  local ok, host = pcall(require, "a0lua.core.host")
  if ok and type(host) == "table" and host.handlers_dir then return host.handlers_dir end
  return "handlers"
end

function M.search_path(cfg)
  local dirs = {}
  local own = cfg and cfg.handlers_path
  if type(own) == "string" then own = { own } end
  for _, d in ipairs(own or {}) do dirs[#dirs + 1] = d end
  local env = os.getenv("A0LUA_HANDLERS_PATH")
  if env and env ~= "" then
    for d in env:gmatch("[^:]+") do dirs[#dirs + 1] = d end
  end
  dirs[#dirs + 1] = builtin_dir()
  return dirs
end

local function load_file(path)
  local chunk, err = loadfile(path)
  if not chunk then
    return nil, errors.new("handler_load", tostring(err), { file = path })
  end
  local ok, spec = pcall(chunk)
  if not ok then
    return nil, errors.new("handler_load", tostring(spec), { file = path })
  end
  if type(spec) ~= "table" or type(spec.type) ~= "string" then
    return nil, errors.new("handler_load", "does not return a handler table (with a `type`)",
      { file = path })
  end
  local made_ok, h = pcall(handler.new, spec)
  if not made_ok then
    return nil, errors.new("handler_load", tostring(h), { file = path })
  end
  return h
end

function M.base(type_name)
  local path = builtin_dir() .. "/" .. M.file_name(type_name) .. ".lua"
  local h, err = load_file(path)
  if not h then error(err, 2) end
  return h
end

local Registry = {}
Registry.__index = Registry

local function by_rank(a, b)
  local ra, rb = RANK[a] or math.huge, RANK[b] or math.huge
  if ra ~= rb then return ra < rb end
  return a < b
end

function M.new(list)
  local self = setmetatable({ by_type = {}, files = {} }, Registry)
  for _, h in ipairs(list or {}) do self:add(h) end
  return self
end

-- Adds (or replaces) a handler; a plain spec is made a handler first.
function Registry:add(h, file)
  if not handler.is_handler(h) then h = handler.new(h) end
  self.by_type[h.type] = h
  self.files[h.type] = file
  self.sorted = nil
  return h
end

function Registry:get(type_name)
  return self.by_type[type_name]
end

-- The types in deploy order. Sorted once per set of handlers (a plan asks many times, and a
-- fleet's tenants share a registry); each caller gets its own list.
function Registry:types()
  local sorted = self.sorted
  if not sorted then
    sorted = {}
    for t in pairs(self.by_type) do sorted[#sorted + 1] = t end
    table.sort(sorted, by_rank)
    self.sorted = sorted
  end
  return table.move(sorted, 1, #sorted, 1, {})
end

function Registry:enabled(cfg, types)
  cfg = cfg or {}
  local excluded = util.set_of(cfg.AUTH0_EXCLUDED)
  local included = util.set_of(cfg.AUTH0_INCLUDED_ONLY)
  if next(included) == nil then included = nil end
  local out = {}
  for _, t in ipairs(types or self:types()) do
    if not excluded[t] and (not included or included[t]) then out[#out + 1] = t end
  end
  return out
end

function Registry:stages(types, deps_of)
  local in_set = util.set_of(types)
  local level, visiting = {}, {}
  local function level_of(t, chain)
    if level[t] then return level[t] end
    if visiting[t] then
      error(errors.new("handler_cycle", "handlers depend on each other in a cycle: "
        .. table.concat(chain, " -> ") .. " -> " .. t), 0)
    end
    visiting[t] = true
    local n = 1
    local h = self.by_type[t]
    for _, dep in ipairs(deps_of and deps_of(t) or (h and h.depends_on) or {}) do
      if in_set[dep] and dep ~= t then
        chain[#chain + 1] = t
        n = math.max(n, level_of(dep, chain) + 1)
        chain[#chain] = nil
      end
    end
    visiting[t] = nil
    level[t] = n
    return n
  end
  local stages = {}
  local sorted = {}
  for _, t in ipairs(types) do sorted[#sorted + 1] = t end
  table.sort(sorted, by_rank)
  for _, t in ipairs(sorted) do
    local n = level_of(t, {})
    stages[n] = stages[n] or {}
    table.insert(stages[n], t)
  end
  local out = {}
  for i = 1, #stages do
    if stages[i] then out[#out + 1] = stages[i] end
  end
  return out
end

function M.load(opts)
  opts = opts or {}
  local dirs = opts.paths or M.search_path(opts.config)
  local self = M.new()
  for _, dir in ipairs(dirs) do
    local names = fs.list(dir)
    if names then
      table.sort(names)
      for _, name in ipairs(names) do
        if name:match("%.lua$") then
          local path = dir .. "/" .. name
          local h, err = load_file(path)
          if not h then return nil, err end
          if not self.by_type[h.type] then self:add(h, path) end
        end
      end
    end
  end
  return self
end

return M
