--[[
a0lua.fleet.inputs: the input files loaded once for the tenants that would load them alike.

What a0lua.load makes of the files depends on the config (keyword mappings, included and
excluded types, the handlers), not on which tenant it is for (domain, credentials), unless hooks
are given (a `load` hook sees the whole config). Tenants whose configs differ only in those are
given one load: parsed, keywords replaced and validated once, and the same tables each. That is
safe because nothing changes a desired state it is given: a plan copies each type before its
handler resolves it (a0lua.plan.changes_for) and adjusts its own copies after, and hooks, which
may change anything, are never given a shared load (M.key is nil with hooks). A handler of
--handlers must follow the same rule (docs/fleet.md).

  local inputs = require("a0lua.fleet.inputs")
  inputs.key(values, has_hooks) -> string | nil    what decides the load (nil: never shared)
  local shared = inputs.new(keys, limit)  keys: every tenant's key (false: none), so an
                                          entry is dropped once its last tenant took it; at
                                          most `limit` loads are kept at once
  shared:load(key, opts) -> desired, sources | nil, problems    (a0lua.load(nil, opts))
]]
local a0lua = require("a0lua")
local json = require("a0lua.core.json")

local M = {}

-- The keys that say which tenant a config is for, and nothing about the files.
local PER_TENANT = {
  AUTH0_DOMAIN = true, AUTH0_CLIENT_ID = true, AUTH0_CLIENT_SECRET = true,
  AUTH0_CLIENT_SIGNING_KEY_PATH = true, AUTH0_CLIENT_SIGNING_ALGORITHM = true,
  AUTH0_ACCESS_TOKEN = true, AUTH0_AUDIENCE = true, AUTH0_API_MAX_RETRIES = true,
}

function M.key(values, has_hooks)
  if has_hooks then return nil end
  local rest = {}
  for k, v in pairs(values) do
    if not PER_TENANT[k] then rest[k] = v end
  end
  return json.encode(rest) -- keys sorted: equal configs give equal text
end

local Shared = {}
Shared.__index = Shared

function M.new(keys, limit)
  local left = {}
  for _, k in pairs(keys) do
    if k then left[k] = (left[k] or 0) + 1 end
  end
  return setmetatable({ left = left, loads = {}, held = 0, limit = limit or 16 }, Shared)
end

function Shared:load(key, opts)
  if not key then return a0lua.load(nil, opts) end
  local left = (self.left[key] or 1) - 1
  self.left[key] = left
  local entry = self.loads[key]
  if not entry then
    local desired, sources = a0lua.load(nil, opts)
    -- Bad files are reported to each tenant alike: loaded again, not kept.
    if not desired or left <= 0 or self.held >= self.limit then return desired, sources end
    self.loads[key], self.held = { desired = desired, sources = sources }, self.held + 1
    return desired, sources
  end
  if left <= 0 then self.loads[key], self.held = nil, self.held - 1 end -- its last tenant
  return entry.desired, entry.sources
end

return M
