--[[
a0lua.script_env: the globals a user's Lua runs with (`a0lua run FILE`, the shipped recipes,
`a0lua -e CODE`, hooks files), so that a typo is an error at its file and line instead of a nil
read or a stray global.

  local script_env = require("a0lua.script_env")
  script_env.new() -> env                           a fresh table of globals
  script_env.loadfile(path) -> chunk, env | nil, message
  script_env.load(code, chunkname) -> chunk, env | nil, message

A chunk loaded here has env as its globals:
  - a name env lacks is read from _G: the standard library, require, arg, ...;
  - a name that is in neither is an error, "FILE:LINE: undeclared global 'name'";
  - an assignment at a file's top level declares a global (a recipe may define its functions
    there); an assignment inside a function to a name never declared is an error, so a
    misspelt local in a hook cannot quietly make a global;
  - globals land in env, never in _G: two hooks files do not share them, and a0lua's own
    modules never see them. `_G` still names the process's global table, for a script that
    means it.
]]
local M = {}

local function guard(declared)
  return {
    __index = function(_, name)
      if declared[name] then return nil end -- declared, then set to nil
      local value = _G[name]
      if value == nil then
        error(("undeclared global '%s'"):format(tostring(name)), 2)
      end
      return value
    end,
    __newindex = function(env, name, value)
      if not declared[name] then
        -- Level 2 is the function doing the assignment: its file's main chunk declares.
        local info = debug.getinfo(2, "S")
        if info and info.what ~= "main" and info.what ~= "C" then
          error(("assignment to undeclared global '%s' (declare it at the top of the file, "
            .. "or make it local)"):format(tostring(name)), 2)
        end
        declared[name] = true
      end
      rawset(env, name, value)
    end,
  }
end

function M.new()
  return setmetatable({}, guard({}))
end

function M.loadfile(path)
  local env = M.new()
  local chunk, err = loadfile(path, "t", env)
  if not chunk then return nil, err end
  return chunk, env
end

function M.load(code, chunkname)
  local env = M.new()
  local chunk, err = load(code, chunkname, "t", env)
  if not chunk then return nil, err end
  return chunk, env
end

return M
