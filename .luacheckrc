-- luacheck: Lua 5.4, no accidental globals.
std = "lua54"
max_line_length = 100
codes = true

files["tests/"] = { std = "+busted" }
-- Generated from the OpenAPI document by scripts/gen-emulator-routes.lua.
exclude_files = { "build/", "lua/a0lua/emulator/routes.lua" }
