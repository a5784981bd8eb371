--[[
a0lua.emulator.resources: the emulated resource types. Each module of this folder returns
{ bindings = function() -> { binding, ... }, fresh = function(ctx, state), normalize =
function(ctx) } (each field optional):
  bindings   the routes it answers (see a0lua.emulator.kinds for the binding shape)
  fresh      adds its keys to the state of a fresh tenant
  normalize  after a state is loaded: brings keys that the state file may hold in another shape
             (a detail key, an alias path) to the one the module serves from
  write_only field names it accepts and never answers, that no name rule finds secret (the
             request log redacts them, a0lua.emulator.secrets)
A binding with secret_body = true takes a body that is secret as a whole (hook secrets, a rules
config's value): the request log redacts every string of it.

  resources.bindings() -> every binding          resources.fresh_state(ctx) -> state
  resources.normalize(ctx)             resources.write_only() -> { name, ... } (every module's)
]]
local ids = require("a0lua.emulator.ids")
local random = require("a0lua.emulator.random")

local M = {}

-- A fresh tenant is the same on every run: its ids come from this seed, not from --seed.
M.FRESH_SEED = 20240229

M.MODULES = {
  "a0lua.emulator.resources.tenant",
  "a0lua.emulator.resources.clients",
  "a0lua.emulator.resources.connections",
  "a0lua.emulator.resources.apis",
  "a0lua.emulator.resources.organizations",
  "a0lua.emulator.resources.actions",
  "a0lua.emulator.resources.guardian",
  "a0lua.emulator.resources.branding",
  "a0lua.emulator.resources.prompts",
  "a0lua.emulator.resources.lists",
}

local function modules()
  local out = {}
  for i, name in ipairs(M.MODULES) do out[i] = require(name) end
  return out
end

function M.bindings()
  local out = {}
  for _, mod in ipairs(modules()) do
    if mod.bindings then
      for _, b in ipairs(mod.bindings()) do out[#out + 1] = b end
    end
  end
  return out
end

function M.fresh_state(ctx)
  local state = {}
  local fixed = setmetatable({ ids = ids.new(random.new(M.FRESH_SEED)) }, { __index = ctx })
  for _, mod in ipairs(modules()) do
    if mod.fresh then mod.fresh(fixed, state) end
  end
  return state
end

function M.write_only()
  local out = {}
  for _, mod in ipairs(modules()) do
    for _, name in ipairs(mod.write_only or {}) do out[#out + 1] = name end
  end
  return out
end

function M.normalize(ctx)
  for _, mod in ipairs(modules()) do
    if mod.normalize then mod.normalize(ctx) end
  end
end

return M
