--[[
recipes/hooks/obo_allow_list.lua: token exchange only for the clients of an allow list.

  a0lua import -i tenant.yaml --hooks recipes/hooks/obo_allow_list.lua
  A0LUA_TOKEN_EXCHANGE_ALLOW="Orders API client,Billing" a0lua import ...

A client outside the list may not turn on token exchange (any profile type in
token_exchange.allow_any_profile_of_type). The `load` hook refuses such a client in the files
before anything else happens (so `a0lua validate` and `a0lua plan` say it too); the `before` hook
checks what is finally sent, so a payload that gets token exchange some other way (another hook)
is refused as well. The list: A0LUA_TOKEN_EXCHANGE_ALLOW (names separated by commas), else ALLOW
below.
]]
local hooks = require("a0lua.hooks")

local ALLOW = { "Orders MCP Server" }

local function allowed()
  local set = {}
  local env = os.getenv("A0LUA_TOKEN_EXCHANGE_ALLOW")
  if env then
    for name in env:gmatch("[^,]+") do set[name:match("^%s*(.-)%s*$")] = true end
  else
    for _, name in ipairs(ALLOW) do set[name] = true end
  end
  return set
end

-- The profile types a client's token_exchange turns on (none for null or absent).
local function exchange_types(te)
  if type(te) ~= "table" or type(te.allow_any_profile_of_type) ~= "table" then return {} end
  return te.allow_any_profile_of_type
end

hooks.on("load", "clients", function(clients)
  local set = allowed()
  local refused = {}
  for _, c in ipairs(clients) do
    if #exchange_types(c.token_exchange) > 0 and not set[c.name] then
      refused[#refused + 1] = ("%q"):format(tostring(c.name))
    end
  end
  if #refused > 0 then
    return nil, ("token exchange is not allowed for %s (allowed: set "
      .. "A0LUA_TOKEN_EXCHANGE_ALLOW)"):format(table.concat(refused, ", "))
  end
end)

hooks.on("before", "clients", function(change)
  if change.op == "delete" or not change.payload then return end
  local name = change.payload.name or change.key
  if #exchange_types(change.payload.token_exchange) > 0 and not allowed()[name] then
    return nil, ("token exchange is not allowed for %q"):format(tostring(name))
  end
end)
