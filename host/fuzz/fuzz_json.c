/*
 * fuzz_json.c: libFuzzer target for a0lua.core.json (host/json.c).
 *
 * Each input is decoded as JSON text. Invariants, checked by the Lua function below; a broken
 * one raises, and a raise aborts, so libFuzzer reports it as a crash:
 *   - decode gives a value, or nil and an error table with code json_syntax or json_depth,
 *     integer line and column >= 1 within the text, and a string tostring;
 *   - whatever decodes was valid UTF-8 (utf8.len, strict, after the optional BOM);
 *   - a decoded value encodes, and encode . decode is a fixed point: the compact text decodes
 *     and encodes to the same text; the pretty text decodes to a value whose compact text is the
 *     same again.
 * The input is also decoded with max_depth taken from its first byte (1..64), which must agree
 * with the default decode where the document is shallow enough, and with unique_keys, which must
 * agree with it or give json_duplicate_key (and never for text encode wrote).
 */
#include "harness.h"

int luaopen_a0lua_core_json(lua_State *L);

static const char checker[] =
  "local json = ...\n"
  "local function check_error(s, err)\n"
  "  assert(getmetatable(err) and type(err) == 'table', 'error is not a table')\n"
  "  assert(err.code == 'json_syntax' or err.code == 'json_depth' or\n"
  "    err.code == 'json_duplicate_key', 'bad code')\n"
  "  assert(math.type(err.line) == 'integer' and err.line >= 1, 'bad line')\n"
  "  assert(math.type(err.column) == 'integer' and err.column >= 1, 'bad column')\n"
  "  local _, newlines = s:gsub('\\n', '')\n"
  "  assert(err.line <= newlines + 1, 'line past the end')\n"
  "  assert(err.column <= #s + 1, 'column past the end')\n"
  "  assert(type(err.message) == 'string')\n"
  "  assert(tostring(err):find(err.line .. ':' .. err.column .. ': ', 1, true) == 1)\n"
  "end\n"
  "return function(s)\n"
  "  local v, err = json.decode(s)\n"
  "  if err ~= nil then assert(v == nil) check_error(s, err) return end\n"
  "  assert(utf8.len((s:gsub('^\\xEF\\xBB\\xBF', ''))), 'accepted invalid UTF-8')\n"
  "  local a = assert(json.encode(v))\n"
  "  local v2, err2 = json.decode(a)\n"
  "  assert(err2 == nil, 'compact text does not decode')\n"
  "  local b = assert(json.encode(v2))\n"
  "  assert(a == b, 'encode(decode(encode(v))) differs')\n"
  "  local p = assert(json.encode(v, { pretty = true }))\n"
  "  local v4, err4 = json.decode(p)\n"
  "  assert(err4 == nil, 'pretty text does not decode')\n"
  "  assert(json.encode(v4) == a, 'pretty text decodes differently')\n"
  "  local depth = #s > 0 and s:byte(1) % 64 + 1 or 1\n"
  "  local v3, err3 = json.decode(s, { max_depth = depth })\n"
  "  if err3 ~= nil then\n"
  "    check_error(s, err3)\n"
  "    assert(err3.code == 'json_depth', 'a lower max_depth gave ' .. err3.code)\n"
  "  else\n"
  "    assert(json.encode(v3) == a, 'max_depth changed the value')\n"
  "  end\n"
  "  local v5, err5 = json.decode(s, { unique_keys = true })\n"
  "  if err5 ~= nil then\n"
  "    check_error(s, err5)\n"
  "    assert(err5.code == 'json_duplicate_key', 'unique_keys gave ' .. err5.code)\n"
  "  else\n"
  "    assert(json.encode(v5) == a, 'unique_keys changed the value')\n"
  "  end\n"
  "  assert(json.decode(p, { unique_keys = true }), 'a duplicate key in encoded text')\n"
  "end\n";

FUZZ_CHECKER_TARGET("fuzz_json", "a0lua.core.json", luaopen_a0lua_core_json)
