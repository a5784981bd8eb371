--[[
a0lua.emulator.random: a small seeded pseudo-random generator (xoshiro256**, seeded through
splitmix64) on Lua 5.4's 64-bit integers. Each user (faults, ids) holds its own generator, so the
draws of one never shift those of another, and a seed reproduces a run exactly.

  local random = require("a0lua.emulator.random")
  local rng = random.new(42)      -- seed: an integer; nil picks one from the clock
  rng:next()   -> a 64-bit integer
  rng:float()  -> a float in [0, 1)
  rng:int(n)   -> an integer in [1, n]
  rng.seed     -> the seed in use
]]
local M = {}

local Random = {}
Random.__index = Random

-- splitmix64: spreads one seed into the four words of the state.
local function splitmix(state)
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return state, z ~ (z >> 31)
end

-- The state words in locals and the rotations written out: faults draw five numbers for every
-- request the emulator serves.
function Random:next()
  local s = self.s
  local s1, s2, s3, s4 = s[1], s[2], s[3], s[4]
  local x = s2 * 5
  local result = ((x << 7) | (x >> 57)) * 9
  local t = s2 << 17
  s3 = s3 ~ s1
  s4 = s4 ~ s2
  s2 = s2 ~ s3
  s1 = s1 ~ s4
  s3 = s3 ~ t
  s[1], s[2], s[3], s[4] = s1, s2, s3, (s4 << 45) | (s4 >> 19)
  return result
end

function Random:float()
  return (self:next() >> 11) * (1.0 / 9007199254740992.0)
end

function Random:int(n)
  return (self:next() >> 1) % n + 1
end

-- A seed from the clock and an address, for runs that do not ask for reproducibility.
local function fresh_seed()
  local addr = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
  return math.floor(os.time() * 1000003 + os.clock() * 1e9) ~ addr
end

function M.new(seed)
  if seed ~= nil and math.type(seed) ~= "integer" then
    error("random.new: seed must be an integer", 2)
  end
  seed = seed or fresh_seed()
  local st, s = seed, {}
  for i = 1, 4 do st, s[i] = splitmix(st) end
  return setmetatable({ s = s, seed = seed }, Random)
end

return M
