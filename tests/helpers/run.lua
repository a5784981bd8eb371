-- tests/helpers/run.lua: runs a command line, returns its exit status, stdout and stderr.
local leftovers = require("helpers.leftovers")

local M = {}

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = quote

-- run(argv [, {env = {NAME = value}, stdin = string}]) -> status, stdout, stderr
function M.run(argv, opts)
  opts = opts or {}
  local words = {}
  for name, value in pairs(opts.env or {}) do words[#words + 1] = name .. "=" .. quote(value) end
  for _, a in ipairs(argv) do words[#words + 1] = quote(a) end
  local err_file = os.tmpname()
  local in_file
  local cmd = "env " .. table.concat(words, " ") .. " 2>" .. quote(err_file)
  if opts.stdin then
    in_file = os.tmpname()
    local f = assert(io.open(in_file, "wb"))
    f:write(opts.stdin)
    f:close()
    cmd = cmd .. " <" .. quote(in_file)
  else
    cmd = cmd .. " </dev/null"
  end
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, _, status = p:close()
  local f = assert(io.open(err_file, "rb"))
  local err = f:read("a")
  f:close()
  os.remove(err_file)
  if in_file then os.remove(in_file) end
  return status, out, err
end

-- A fresh empty directory under /tmp; remove it with M.remove_tree.
function M.temp_dir()
  local p = assert(io.popen("mktemp -d /tmp/a0lua-spec-XXXXXX"))
  local dir = p:read("l")
  p:close()
  leftovers.add("dir", dir)
  return dir
end

function M.remove_tree(dir)
  assert(dir:match("^/tmp/a0lua%-spec%-"), "refusing to remove " .. dir)
  os.execute("rm -rf " .. quote(dir))
  leftovers.done("dir", dir)
end

-- The umask this process runs under (its children inherit it), as an integer: 18 for 022.
function M.umask()
  local p = assert(io.popen("umask"))
  local text = p:read("l")
  p:close()
  return assert(tonumber(text, 8))
end

-- The regular files below dir (links included, not followed), as paths relative to it, sorted.
function M.files_below(dir)
  local fs = require("a0lua.core.fs")
  local out = {}
  local function walk(rel)
    for _, name in ipairs(fs.list(rel == "" and dir or dir .. "/" .. rel) or {}) do
      local child = rel == "" and name or rel .. "/" .. name
      if fs.lstat(dir .. "/" .. child).type == "directory" then
        walk(child)
      else
        out[#out + 1] = child
      end
    end
  end
  walk("")
  table.sort(out)
  return out
end

function M.write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

return M
