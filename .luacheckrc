-- luacheck: Lua 5.4, no accidental globals.
std = "lua54"
max_line_length = 100
codes = true

files["tests/"] = { std = "+busted" }
exclude_files = { "build/" }
