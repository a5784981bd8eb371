/*
 * fuzz_yaml.c: libFuzzer target for a0lua.core.yaml (host/yaml.c).
 *
 * Each input is decoded as YAML text. Invariants, checked by the Lua function below; a broken one
 * raises, and a raise aborts, so libFuzzer reports it as a crash:
 *   - decode never raises on a string; it returns nothing (empty document), value and positions,
 *     or nil and an error table with one of the documented codes, integer line and column >= 1
 *     within the text and a tostring that starts with "line:column: ";
 *   - positions has the root pointer ""; opts.positions = false gives the same value, or the same
 *     error code;
 *   - for input without aliases (no `*`, so no shared tables and no cycles): encode succeeds,
 *     ends with a newline, decodes back to an equal value (arrays, null and integer/float
 *     kinds included), and encoding that again gives the same text; with opts.key_order too.
 */
#include "harness.h"

int luaopen_a0lua_core_yaml(lua_State *L);

static const char checker[] =
  "local yaml = ...\n"
  "local CODES = { yaml_syntax = true, yaml_duplicate_key = true, yaml_depth = true,\n"
  "  yaml_multiple_documents = true, yaml_tag = true, yaml_alias = true, yaml_key = true,\n"
  "  yaml_merge = true, yaml_alias_expansion = true, yaml_too_large = true }\n"
  "local function kind(v)\n"
  "  if v == yaml.null then return 'null' end\n"
  "  if type(v) == 'table' then return yaml.is_array(v) and 'array' or 'object' end\n"
  "  return math.type(v) or type(v)\n"
  "end\n"
  "local function same(a, b)\n"
  "  local k = kind(a)\n"
  "  if k ~= kind(b) then return false end\n"
  "  if k == 'array' then\n"
  "    if #a ~= #b then return false end\n"
  "    for i = 1, #a do if not same(a[i], b[i]) then return false end end\n"
  "    return true\n"
  "  elseif k == 'object' then\n"
  "    for key, v in pairs(a) do\n"
  "      if type(key) ~= 'string' or not same(v, b[key]) then return false end\n"
  "    end\n"
  "    for key in pairs(b) do if a[key] == nil then return false end end\n"
  "    return true\n"
  "  elseif k == 'float' and a ~= a then\n"
  "    return b ~= b\n"
  "  end\n"
  "  return a == b\n"
  "end\n"
  "local function check_error(s, err)\n"
  "  assert(type(err) == 'table' and getmetatable(err), 'error is not an error table')\n"
  "  assert(CODES[err.code], 'bad code ' .. tostring(err.code))\n"
  "  assert(math.type(err.line) == 'integer' and err.line >= 1, 'bad line')\n"
  "  assert(math.type(err.column) == 'integer' and err.column >= 1, 'bad column')\n"
  "  assert(err.line <= #s + 1 and err.column <= #s + 1, 'position past the end')\n"
  "  assert(type(err.message) == 'string', 'no message')\n"
  "  assert(tostring(err):find(err.line .. ':' .. err.column .. ': ', 1, true) == 1)\n"
  "end\n"
  "return function(s)\n"
  "  local n = select('#', yaml.decode(s))\n"
  "  local v, pos = yaml.decode(s)\n"
  "  local v2, err2 = yaml.decode(s, { positions = false })\n"
  "  if n == 0 then\n"
  "    assert(v2 == nil and err2 == nil, 'empty only with positions')\n"
  "    return\n"
  "  end\n"
  "  assert(n == 2, 'decode gave ' .. n .. ' results')\n"
  "  if v == nil then\n"
  "    check_error(s, pos)\n"
  "    assert(v2 == nil and err2.code == pos.code, 'positions changed the error')\n"
  "    return\n"
  "  end\n"
  "  assert(type(pos) == 'table' and pos[''], 'no root position')\n"
  "  for p, lc in pairs(pos) do\n"
  "    assert(type(p) == 'string' and math.type(lc.line) == 'integer' and lc.column >= 1)\n"
  "  end\n"
  "  assert(v2 ~= nil and err2 == nil, 'positions changed the outcome')\n"
  "  if s:find('*', 1, true) then return end\n"
  "  assert(same(v, v2), 'positions changed the value')\n"
  "  local text, err = yaml.encode(v)\n"
  "  assert(text, 'encode failed: ' .. tostring(err))\n"
  "  assert(text:sub(-1) == '\\n', 'no final newline')\n"
  "  local back, err3 = yaml.decode(text, { positions = false })\n"
  "  assert(err3 == nil, 'encoded text does not decode: ' .. tostring(err3) .. '\\n' .. text)\n"
  "  assert(same(v, back), 'round trip differs:\\n' .. text)\n"
  "  assert(yaml.encode(back) == text, 'encode is not stable')\n"
  "  local ordered = assert(yaml.encode(v, { key_order = { 'name', 'id' } }))\n"
  "  assert(same(v, (yaml.decode(ordered, { positions = false }))), 'key_order changed it')\n"
  "end\n";

FUZZ_CHECKER_TARGET("fuzz_yaml", "a0lua.core.yaml", luaopen_a0lua_core_yaml)
