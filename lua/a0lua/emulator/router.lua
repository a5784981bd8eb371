--[[
a0lua.emulator.router: matches a request path against route templates ("/clients/{id}").

  local router = require("a0lua.emulator.router")
  local r = router.new()
  r:add(method, template, entry)        -- entry: any table; the same method and template again
                                        -- (whatever the placeholder names) replaces it
  r:get(method, template) -> entry | nil
  r:match(method, raw_path) -> entry, params
                            | nil, "not_found" | "method_not_allowed"
  router.names(template) -> { "id", ... }    the placeholder names, in order

params is the list of the path's segments at the placeholders, percent-decoded, in order. Literal
segments win over placeholders ("/custom-domains/default" before "/custom-domains/{id}"); when a
literal branch leads nowhere the placeholder branch is tried. raw_path is the path as sent (no
query string); each segment is decoded on its own, so "%2F" inside an id stays in that segment.
]]
local M = {}

local Router = {}
Router.__index = Router

local function new_node()
  return { lit = {}, param = nil, methods = nil }
end

local function split(path)
  local segs = {}
  for seg in (path:sub(2) .. "/"):gmatch("([^/]*)/") do segs[#segs + 1] = seg end
  return segs
end

local function decode(s)
  if not s:find("%", 1, true) then return s end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

function M.names(template)
  local out = {}
  for name in template:gmatch("{([^}]*)}") do out[#out + 1] = name end
  return out
end

function M.new()
  return setmetatable({ root = new_node() }, Router)
end

local function node_for(self, template, create)
  local node = self.root
  for _, seg in ipairs(split(template)) do
    local nxt
    if seg:match("^{.*}$") then
      nxt = node.param
      if not nxt and create then
        nxt = new_node()
        node.param = nxt
      end
    else
      nxt = node.lit[seg]
      if not nxt and create then
        nxt = new_node()
        node.lit[seg] = nxt
      end
    end
    if not nxt then return nil end
    node = nxt
  end
  return node
end

function Router:add(method, template, entry)
  if type(template) ~= "string" or template:sub(1, 1) ~= "/" then
    error("router:add: template must start with /", 2)
  end
  local node = node_for(self, template, true)
  node.methods = node.methods or {}
  node.methods[method] = entry
end

function Router:get(method, template)
  local node = node_for(self, template, false)
  return node and node.methods and node.methods[method]
end

-- Depth-first: literal first, then the placeholder. Returns the node that has the method, or
-- (as a second result) the first node that matched the path at all.
local function walk(node, segs, i, method, params)
  if i > #segs then
    if node.methods then
      if node.methods[method] then return node, nil end
      return nil, node
    end
    return nil, nil
  end
  local seg = segs[i]
  local any
  local lit = node.lit[seg]
  if lit then
    local found, partial = walk(lit, segs, i + 1, method, params)
    if found then return found end
    any = partial
  end
  if node.param and seg ~= "" then
    local n = #params
    params[n + 1] = decode(seg)
    local found, partial = walk(node.param, segs, i + 1, method, params)
    if found then return found end
    params[n + 1] = nil
    any = any or partial
  end
  return nil, any
end

function Router:match(method, raw_path)
  local params = {}
  local node, partial = walk(self.root, split(raw_path), 1, method, params)
  if node then return node.methods[method], params end
  if partial then return nil, "method_not_allowed" end
  return nil, "not_found"
end

return M
