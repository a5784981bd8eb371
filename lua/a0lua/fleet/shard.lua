--[[
a0lua.fleet.shard: which tenants of a fleet one shard deploys, so that N machines (a CI matrix,
a Kubernetes Indexed Job, a shell loop) split a fleet without a scheduler of our own.

  local shard = require "a0lua.fleet.shard"
  shard.parse("K/N") -> { index = K, count = N } | nil, err      1 <= K <= N
  shard.from_env(name, count [, getenv]) -> { index, count } | nil, err
      the index from an environment variable holding a 0-based index (Kubernetes'
      JOB_COMPLETION_INDEX): "0" is shard 1 of count
  shard.of(name, count) -> K            the shard (1..count) a tenant name belongs to
  shard.select(names, s) -> positions   the positions in names (an array) of s's tenants,
                                        in list order
  shard.label(s) -> "K/N"
  shard.hash(text) -> integer           FNV-1a 64 then a 64-bit finalizer (murmur3's fmix64)
  shard.fnv1a64(text) -> integer

The assignment is rendezvous (highest-random-weight) hashing: a tenant goes to the shard whose
hash(name .. "\0" .. index) is largest (unsigned; ties to the lower index). It depends only on
the name and N, the same on every machine (Lua 5.4 integers wrap at 64 bits, as FNV expects),
so adding a tenant moves no other, and going from N to N+1 shards moves only the tenants that
the new shard wins: about 1/(N+1) of them.

Errors are values { code = "fleet_shard", message = } naming what was given.
]]
local errors = require "a0lua.errors"

local M = {}

local FNV_OFFSET = 0xcbf29ce484222325
local FNV_PRIME = 0x100000001b3

function M.fnv1a64(text)
  local h = FNV_OFFSET
  for i = 1, #text do
    h = (h ~ text:byte(i)) * FNV_PRIME
  end
  return h
end

function M.hash(text)
  -- FNV alone spreads its last bytes poorly, and the shard index is the last byte.
  local h = M.fnv1a64(text)
  h = (h ~ (h >> 33)) * 0xff51afd7ed558ccd
  h = (h ~ (h >> 33)) * 0xc4ceb9fe1a85ec53
  return h ~ (h >> 33)
end

function M.of(name, count)
  local best, best_weight
  for k = 1, count do
    local w = M.hash(name .. "\0" .. k)
    if not best or math.ult(best_weight, w) then best, best_weight = k, w end
  end
  return best
end

local function bad(message) return nil, errors.new("fleet_shard", message) end

local function checked(index, count, given)
  if not index or not count or count < 1 or index < 1 or index > count then
    return bad(("--shard %s: give K/N with 1 <= K <= N"):format(given))
  end
  return { index = index, count = count }
end

function M.parse(text)
  local k, n = tostring(text):match("^%s*(%d+)%s*/%s*(%d+)%s*$")
  return checked(math.tointeger(tonumber(k)), math.tointeger(tonumber(n)), tostring(text))
end

function M.from_env(name, count, getenv)
  local value = (getenv or os.getenv)(name)
  if value == nil or value == "" then
    return bad(("--shard-index-env %s: the variable is not set"):format(name))
  end
  local index = math.tointeger(tonumber(value:match("^%s*(%d+)%s*$")))
  count = math.tointeger(tonumber(count))
  if not index or not count or count < 1 or index >= count then
    return bad(("--shard-index-env %s: %q is not a 0-based index below --shards %s"):format(
      name, value, tostring(count)))
  end
  return { index = index + 1, count = count }
end

function M.select(names, s)
  local out = {}
  for i, name in ipairs(names) do
    if M.of(name, s.count) == s.index then out[#out + 1] = i end
  end
  return out
end

function M.label(s) return ("%d/%d"):format(s.index, s.count) end

return M
