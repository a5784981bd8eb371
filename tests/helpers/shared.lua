-- tests/helpers/shared.lua: where ../shared (a0deploy's fixtures and recordings) is, if anywhere.
-- Specs that read it call shared.dir() and mark themselves pending with shared.MISSING when absent.
local M = {}

M.MISSING = "../shared is absent: the compatibility checks against a0deploy's fixtures are skipped"

function M.dir()
  local root = os.getenv("A0LUA_SHARED") or "../shared"
  local f = io.open(root .. "/README.md")
  if not f then return nil end
  f:close()
  return root
end

-- Lists files of a directory matching a Lua pattern, sorted.
function M.files(dir, pattern)
  local p = assert(io.popen("ls -1 '" .. dir:gsub("'", "'\\''") .. "' 2>/dev/null"))
  local names = {}
  for name in p:lines() do
    if name:match(pattern) then names[#names + 1] = dir .. "/" .. name end
  end
  p:close()
  table.sort(names)
  return names
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

return M
