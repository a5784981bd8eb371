--[[
scripts/function-length.lua: names every Lua function longer than a limit (make lint).

  lua5.4 scripts/function-length.lua [--max N] DIR|FILE...     (default: 120 lines)

A function's length is its lines from `function` to its `end`, both counted, as luac5.4 -l -l
reports them (`function <file:first,last>`); a function inside another counts on its own, and
the lines of the inner one count in the outer one's too. The generated route table
(lua/a0lua/emulator/routes.lua, scripts/gen-emulator-routes.lua) is left out. Prints one line
per function over the limit, "file:first: function of N lines (lines first-last), more than
the MAX allowed", and exits 1 when there is any; 2 when a file cannot be read by luac5.4.
]]
local GENERATED = { "lua/a0lua/emulator/routes%.lua$" }

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function generated(path)
  for _, pattern in ipairs(GENERATED) do
    if path:find(pattern) then return true end
  end
  return false
end

-- The .lua files of the paths given (a file as it is, a folder searched), sorted.
local function lua_files(paths)
  local files = {}
  for _, path in ipairs(paths) do
    local p = io.popen("find " .. shell_quote(path) .. " -type f -name '*.lua' 2>/dev/null")
    for file in p:lines() do
      if not generated(file) then files[#files + 1] = file end
    end
    p:close()
  end
  table.sort(files)
  return files
end

-- The functions of one file -> { {first =, last =}, ... } | nil, message
local function functions_of(file)
  local p = io.popen("luac5.4 -p -l -l " .. shell_quote(file) .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  if not ok then return nil, out end
  local found = {}
  for first, last in out:gmatch("\nfunction <[^\n]-:(%d+),(%d+)>") do
    found[#found + 1] = { first = tonumber(first), last = tonumber(last) }
  end
  return found
end

local function main(argv)
  local max, paths = 120, {}
  local i = 1
  while i <= #argv do
    if argv[i] == "--max" then
      max = math.tointeger(tonumber(argv[i + 1]))
      if not max or max < 1 then
        io.stderr:write("function-length: --max needs a whole number >= 1\n")
        return 2
      end
      i = i + 1
    else
      paths[#paths + 1] = argv[i]
    end
    i = i + 1
  end
  if #paths == 0 then paths = { "lua", "handlers", "recipes" } end
  local status = 0
  for _, file in ipairs(lua_files(paths)) do
    local found, err = functions_of(file)
    if not found then
      io.stderr:write(("function-length: %s: %s"):format(file, err))
      return 2
    end
    for _, f in ipairs(found) do
      local lines = f.last - f.first + 1
      if lines > max then
        io.stdout:write(("%s:%d: function of %d lines (lines %d-%d), more than the %d allowed\n")
          :format(file, f.first, lines, f.first, f.last, max))
        status = 1
      end
    end
  end
  return status
end

os.exit(main(arg))
