--[[
recipes/hooks/stamp_owner.lua: every client this deploy creates says who made it.

  A0LUA_OWNER=platform-team a0lua import -i tenant.yaml --hooks recipes/hooks/stamp_owner.lua

Sets client_metadata.owner on each new client (a create; updates are left alone) to
A0LUA_OWNER, else $USER, else "a0lua". An owner the files already give is kept.
]]
local hooks = require("a0lua.hooks")

hooks.on("before", "clients", function(change)
  if change.op ~= "create" then return end
  local payload = change.payload
  local metadata = type(payload.client_metadata) == "table" and payload.client_metadata or {}
  if metadata.owner == nil then
    metadata.owner = os.getenv("A0LUA_OWNER") or os.getenv("USER") or "a0lua"
  end
  payload.client_metadata = metadata
  return payload
end)
