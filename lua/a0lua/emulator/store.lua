--[[
a0lua.emulator.store: the emulated tenant's state, in the state-file format itself: one table
whose keys are Management API paths without /api/v2 and whose values are what an unpaged GET of
that path returns ({"/clients": [...], "/tenants/settings": {...}, "/roles/rol_1/permissions":
[...], "/email-templates/welcome_email": {...}}).

  local store = require("a0lua.emulator.store")
  local st = store.new([state])      -- takes the table over (copy it first if it is shared)
  st:get(key) -> value | nil         st:set(key, value)
  st:remove(key)                     -- the key and every key below it ("/roles/rol_1/...")
  st:keys() -> sorted keys           st:state() -> the live table
  st:replace(state)                  -- everything at once, indexes dropped

Collections (arrays of objects addressed by an id field) get indexes built on first use, so
lookups by id, and by the unique fields a resource declares, do not scan:
  st:list(key) -> array (an empty one is created when the key is absent)
  st:find(key, field, value) -> item | nil        field: the id field or a unique field
  st:position(key, field, value) -> index | nil
  st:find_by(key, name, fn, value [, fields]) -> item | nil
                                                  by a computed key fn(item) (several fields at
                                                  once); name names that index, fields lists
                                                  the fields fn reads
  st:insert(key, item)                            appended at the end
  st:delete_item(key, field, value) -> item | nil also removes the keys below key/<value>
  st:reindex(key [, changed])                     after changing fields of an item in place;
                                                  changed = { field = true, ... } drops only the
                                                  indexes of those fields (nil: all of them)
]]
local json = require("a0lua.core.json")

local M = {}

local Store = {}
Store.__index = Store

-- "/roles/rol_1/permissions" -> { "/roles", "/roles/rol_1" }
local function ancestors(key)
  local out = {}
  local i = 1
  while true do
    local j = key:find("/", i + 1, true)
    if not j then break end
    out[#out + 1] = key:sub(1, j - 1)
    i = j
  end
  return out
end

local function register(self, key)
  for _, a in ipairs(ancestors(key)) do
    local set = self.children[a]
    if not set then
      set = {}
      self.children[a] = set
    end
    set[key] = true
  end
end

local function unregister(self, key)
  for _, a in ipairs(ancestors(key)) do
    local set = self.children[a]
    if set then set[key] = nil end
  end
end

function M.new(state)
  local self = setmetatable({ data = {}, children = {}, index = {} }, Store)
  self:replace(state or {})
  return self
end

function Store:replace(state)
  self.data, self.children, self.index = state, {}, {}
  for key in pairs(state) do register(self, key) end
end

function Store:state()
  return self.data
end

function Store:keys()
  local out = {}
  for key in pairs(self.data) do out[#out + 1] = key end
  table.sort(out)
  return out
end

function Store:get(key)
  return self.data[key]
end

function Store:set(key, value)
  if self.data[key] == nil then register(self, key) end
  self.data[key] = value
  self.index[key] = nil
end

function Store:remove(key)
  if self.data[key] ~= nil then
    self.data[key] = nil
    unregister(self, key)
  end
  self.index[key] = nil
  local below = self.children[key]
  if below then
    self.children[key] = nil
    local list = {}
    for k in pairs(below) do list[#list + 1] = k end
    for _, k in ipairs(list) do self:remove(k) end
  end
end

function Store:list(key)
  local arr = self.data[key]
  if arr == nil then
    arr = json.array()
    self:set(key, arr)
  end
  return arr
end

-- The index of one collection, rebuilt when the array behind the key was replaced.
local function index_of(self, key)
  local arr = self.data[key]
  if type(arr) ~= "table" then return nil end
  local idx = self.index[key]
  if not idx or idx.arr ~= arr then
    idx = { arr = arr, by = {}, computed = {} }
    self.index[key] = idx
  end
  return idx
end

local function field_index(idx, field)
  local f = idx.by[field]
  if not f then
    f = { map = {}, pos = {} }
    local map, pos = f.map, f.pos
    for i, item in ipairs(idx.arr) do
      local v = type(item) == "table" and item[field]
      if v ~= nil and v ~= false and map[v] == nil then
        map[v] = item
        pos[v] = i
      end
    end
    idx.by[field] = f
  end
  return f
end

function Store:find(key, field, value)
  if value == nil then return nil end
  local idx = index_of(self, key)
  if not idx then return nil end
  return field_index(idx, field).map[value]
end

-- Items only ever move towards the front (deletes shift them left, inserts append), so a
-- remembered position that is stale is found again by scanning up to it.
function Store:position(key, field, value)
  local idx = index_of(self, key)
  if not idx then return nil end
  local f = field_index(idx, field)
  local item = f.map[value]
  if not item then return nil end
  local arr = idx.arr
  local p = f.pos[value]
  if p and arr[p] == item then return p end
  for i = 1, math.min(p or #arr, #arr) do
    if arr[i] == item then
      f.pos[value] = i
      return i
    end
  end
  return nil
end

function Store:find_by(key, name, fn, value, fields)
  if value == nil then return nil end
  local idx = index_of(self, key)
  if not idx then return nil end
  local c = idx.computed[name]
  if not c then
    c = { fn = fn, map = {}, fields = fields }
    for _, item in ipairs(idx.arr) do
      local v = fn(item)
      if v ~= nil and c.map[v] == nil then c.map[v] = item end
    end
    idx.computed[name] = c
  end
  return c.map[value]
end

function Store:insert(key, item)
  local arr = self:list(key)
  arr[#arr + 1] = item
  local idx = index_of(self, key)
  for name, f in pairs(idx.by) do
    local v = item[name]
    if v ~= nil and f.map[v] == nil then
      f.map[v] = item
      f.pos[v] = #arr
    end
  end
  for _, c in pairs(idx.computed) do
    local v = c.fn(item)
    if v ~= nil and c.map[v] == nil then c.map[v] = item end
  end
  return item
end

function Store:delete_item(key, field, value)
  local p = self:position(key, field, value)
  if not p then return nil end
  local idx = index_of(self, key)
  local item = table.remove(idx.arr, p)
  for name, f in pairs(idx.by) do
    local v = item[name]
    if v ~= nil and f.map[v] == item then
      f.map[v] = nil
      f.pos[v] = nil
      if name ~= field then idx.by[name] = nil end -- another item may share the value
    end
  end
  idx.computed = {}
  self:remove(key .. "/" .. tostring(value))
  return item
end

function Store:reindex(key, changed)
  local idx = self.index[key]
  if not idx then return end
  if not changed then
    self.index[key] = nil
    return
  end
  for field in pairs(changed) do idx.by[field] = nil end
  for name, c in pairs(idx.computed) do
    local touched = c.fields == nil
    for _, f in ipairs(c.fields or {}) do touched = touched or changed[f] == true end
    if touched then idx.computed[name] = nil end
  end
end

return M
