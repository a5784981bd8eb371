--[[
scripts/one-finally.lua: names every spec block that calls busted's `finally` more than once
(make lint). busted keeps only the last function given to `finally` in a block, so the cleanups
given before it never run: a temp dir left behind, a handler left wrapped for the next spec.

  lua5.4 scripts/one-finally.lua DIR|FILE...

A block runs from a line that opens one (`it(`, `before_each(`, `after_each(`, `setup(`,
`teardown(`, `pending(`) to the next such line; the check is by text, so a `finally` given
through a helper function is not seen. Prints "file:line: N calls of finally in one block
(lines a, b, ...): busted runs only the last" for each, and exits 1 when there is any.
]]
local OPENS = { "%f[%w_]it%(", "%f[%w_]before_each%(", "%f[%w_]after_each%(", "%f[%w_]setup%(",
                "%f[%w_]teardown%(", "%f[%w_]pending%(" }

local function opens_block(line)
  for _, pattern in ipairs(OPENS) do
    if line:find(pattern) then return true end
  end
  return false
end

local function spec_files(paths)
  local files = {}
  for _, path in ipairs(paths) do
    local p = io.popen("find '" .. path:gsub("'", "'\\''") .. "' -type f -name '*_spec.lua'")
    for file in p:lines() do files[#files + 1] = file end
    p:close()
  end
  table.sort(files)
  return files
end

local function check(file, report)
  local start, calls, n = nil, {}, 0
  local function close_block()
    if start and #calls > 1 then
      report(("%s:%d: %d calls of finally in one block (lines %s): busted runs only the last")
        :format(file, start, #calls, table.concat(calls, ", ")))
    end
  end
  for line in io.lines(file) do
    n = n + 1
    if opens_block(line) then
      close_block()
      start, calls = n, {}
    end
    local code = line:gsub("%-%-.*$", "")
    if start and code:find("%f[%w_]finally%(") then calls[#calls + 1] = n end
  end
  close_block()
end

local found = 0
for _, file in ipairs(spec_files(arg)) do
  check(file, function(message)
    print(message)
    found = found + 1
  end)
end
os.exit(found == 0 and 0 or 1)
