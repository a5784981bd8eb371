--[[
recipes/hooks/require_api_description.lua: every API says what it grants.

  a0lua import -i tenant.yaml --hooks recipes/hooks/require_api_description.lua

An API (resourceServers) carries its descriptions on its scopes: each scope (permission) must
have a non-empty `description`, and an API must define at least one scope. Checked on the files
(the `load` hook, no network, so `a0lua validate` tells too); every API that fails is named in
one message.
]]
local hooks = require("a0lua.hooks")

local function blank(s)
  return type(s) ~= "string" or s:match("^%s*$") ~= nil
end

hooks.on("load", "resourceServers", function(apis)
  local problems = {}
  for _, api in ipairs(apis) do
    local name = tostring(api.name or api.identifier)
    local scopes = type(api.scopes) == "table" and api.scopes or {}
    if #scopes == 0 then
      problems[#problems + 1] = ("API %q has no scopes to describe it"):format(name)
    end
    for _, scope in ipairs(scopes) do
      if blank(scope.description) then
        problems[#problems + 1] = ("API %q: scope %q has no description"):format(name,
          tostring(scope.value or scope.name))
      end
    end
  end
  if #problems > 0 then return nil, table.concat(problems, "; ") end
end)
