/*
 * fuzz_schema.c: libFuzzer target for a0lua.core.schema (links host/schema.c only).
 *
 * One fixed schema, compiled once, covers most keywords: type lists, properties, required,
 * additionalProperties false / schema, min/maxProperties, items, min/maxItems, uniqueItems, enum
 * with null and booleans, min/maxLength, every pattern of docs/architecture.md §7.1 plus a
 * URL-ish one with lookaheads, minimum/maximum, anyOf, oneOf, format date-time, nullable and
 * defaults. The input is read two ways, chosen by its first byte:
 *
 *   byte % 8 != 0   the rest is a value in a tiny JSON-ish notation (below), decoded to Lua
 *                   values with the core.h markers; it is validated with defaults twice and once
 *                   without. Invariants: validate never raises; ok is true exactly when there are
 *                   no errors; every error has the documented string fields; the second run (after
 *                   the defaults went in) reports the same errors as the first, and so does a run
 *                   without defaults.
 *   byte % 8 == 0   the rest is "pattern\nsubject": compiled as { type = "string", pattern = p }
 *                   (a rejected pattern must be a schema_invalid error at /pattern) and the
 *                   subject is validated (never raising, at most one pattern error).
 *
 * Notation: { key : value , ... } (key "quoted" or a bare word), [ value , ... ], "string" with \
 * escaping the next byte, numbers (integers stay integers), t f n (true false null), N (NaN),
 * I (infinity), u{...} (a plain Lua table without the array marker), h (a function); separators
 * are optional, anything else is a one-byte string. Nesting stops at depth 40.
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core.h"
#include "harness.h"

int luaopen_a0lua_core_schema(lua_State *L);

static const char SETUP[] =
  "local S = ...\n"
  "local null, array = S.null, S.array\n"
  "local URL = [[^(?=.{0,64}$)(?!.*\\.\\.)https:\\/\\/[\\w-\\.~]{1,63}(?::\\d{1,5})?"
  "(?:\\/[\\w-\\.~%]*)*$]]\n"
  "local s = {\n"
  "  type = 'object', additionalProperties = false,\n"
  "  properties = {\n"
  "    clients = { type = 'array', uniqueItems = true, maxItems = 12, items = {\n"
  "      type = 'object', required = array { 'name' }, additionalProperties = false,\n"
  "      properties = {\n"
  "        name = { type = 'string', minLength = 1, maxLength = 50, pattern = '[^<>]+' },\n"
  "        app_type = { type = 'string', enum = array { 'spa', 'native', 'regular_web' } },\n"
  "        callbacks = { type = 'array', default = array(), items = { type = 'string',\n"
  "          pattern = URL } },\n"
  "        token_exchange = { type = 'object', additionalProperties = false,\n"
  "          required = array { 'allow_any_profile_of_type' },\n"
  "          properties = { allow_any_profile_of_type = { type = 'array', items = {\n"
  "            type = 'string',\n"
  "            enum = array { 'custom_authentication', 'on_behalf_of_token_exchange' } } } } },\n"
  "        session_transfer = { type = array { 'object', 'null' }, properties = {\n"
  "          can_create_session_transfer_token = { type = 'boolean', default = false },\n"
  "          enforce_device_binding = { type = 'string', enum = array { 'ip', 'asn', 'none' },\n"
  "            default = 'ip' },\n"
  "          allowed_origins = { type = 'array', uniqueItems = true, minItems = 1 } } } } } },\n"
  "    rules = { type = 'array', items = { type = 'object', default = array(), properties = {\n"
  "      name = { type = 'string', pattern = [[^[^-\\s][a-zA-Z0-9-\\s]+[^-\\s]$]] },\n"
  "      order = { type = array { 'number', 'null' }, minimum = 0, maximum = 150,\n"
  "        default = null },\n"
  "      enabled = { type = 'boolean', default = true },\n"
  "      script = { type = 'string', default = '' } } } },\n"
  "    rulesConfigs = { type = 'array', additionalProperties = false, items = {\n"
  "      type = 'object', properties = {\n"
  "        key = { type = 'string', pattern = '^[A-Za-z0-9_-]*$' },\n"
  "        value = { type = 'string' } } } },\n"
  "    tenant = { type = 'object', properties = {\n"
  "      country_codes = { type = 'object', properties = { list = { type = 'array',\n"
  "        items = { type = 'string', pattern = '^[A-Z]{2}$' } } } },\n"
  "      default_token_quota = { type = 'object', minProperties = 1, properties = {\n"
  "        clients = { type = 'object', properties = { client_credentials = {\n"
  "          type = 'object', minProperties = 1, properties = {\n"
  "            enforce = { type = 'boolean', default = true },\n"
  "            per_hour = { type = 'integer', minimum = 1 } } } } } } } } },\n"
  "    themes = { type = 'array', items = { type = 'object', properties = {\n"
  "      colors = { type = 'object',\n"
  "        properties = { captcha_widget_theme = { type = 'string',\n"
  "          pattern = '^(auto|light|dark)$' } },\n"
  "        additionalProperties = { type = 'string',\n"
  "          pattern = '^#(([0-9a-fA-F]{3}){1,2}|([0-9a-fA-F]{4}){1,2})$' } },\n"
  "      displayName = { type = 'string', pattern = '^[^<>]*$' },\n"
  "      font_url = { type = 'string', pattern = URL } } } },\n"
  "    networkACLs = { type = 'array', items = { type = 'object', properties = {\n"
  "      rule = { type = 'object',\n"
  "        anyOf = array { { required = array { 'match' } },\n"
  "                        { required = array { 'not_match' } } },\n"
  "        properties = {\n"
  "          match = { type = 'object', properties = { auth0_managed = { type = 'array',\n"
  "            items = { type = 'string', pattern = [[^auth0\\.[^.\\s]+$]] } } } },\n"
  "          action = { type = 'object', properties = {\n"
  "            block = { type = 'boolean', enum = array { true } } } } } } } } },\n"
  "    customDomains = { type = 'array', items = { type = 'object', properties = {\n"
  "      custom_client_ip_header = { type = 'string', nullable = true,\n"
  "        enum = array { 'true-client-ip', 'cf-connecting-ip', 'x-forwarded-for', null } },\n"
  "      domain_metadata = { type = 'object', maxProperties = 10,\n"
  "        additionalProperties = { type = 'string', maxLength = 255 } } } } },\n"
  "    actions = { type = 'array', items = { type = 'object', properties = {\n"
  "      code = { type = 'string', default = '' },\n"
  "      secrets = { type = 'array', items = { type = 'object', properties = {\n"
  "        name = { type = 'string' },\n"
  "        updated_at = { type = 'string', format = 'date-time' } } } } } } },\n"
  "    prompts = { type = 'object', properties = { partials = { oneOf = array {\n"
  "      { type = 'object', properties = { text = { type = 'string', default = 'd' } } },\n"
  "      { type = 'null' } } } } },\n"
  "    rateLimitPolicies = { type = 'array', items = { type = 'object', properties = {\n"
  "      configuration = { oneOf = array {\n"
  "        { type = 'object', additionalProperties = false, required = array { 'action' },\n"
  "          properties = { action = { enum = array { 'allow' } } } },\n"
  "        { type = 'object', additionalProperties = false, required = array { 'action' },\n"
  "          properties = { action = { enum = array { 'block' } },\n"
  "            status = { type = 'integer', minimum = 400, maximum = 599 } } },\n"
  "        { type = 'object', properties = { action = { enum = array { 'log', 1.5 } } } }\n"
  "      } } } } },\n"
  "    organizations = { type = 'array', items = { type = 'object', properties = {\n"
  "      name = { type = 'string' },\n"
  "      client_grants = { type = 'array', default = array() },\n"
  "      clients = { type = 'array', default = array(), uniqueItems = true } } } },\n"
  "    userAttributeProfiles = { type = 'array', items = { type = 'object', properties = {\n"
  "      user_attributes = { type = 'object', minProperties = 1, maxProperties = 64,\n"
  "        additionalProperties = { type = 'object', required = array { 'description' },\n"
  "          properties = { description = { type = 'string', minLength = 1 },\n"
  "            oidc_mapping = { type = 'string', default = 'sub' } } } } } } },\n"
  "    flags = { type = 'object', additionalProperties = { type = 'boolean' } },\n"
  "    exclude = { type = 'object', default = {} },\n"
  "  },\n"
  "}\n"
  "local v = assert(S.compile(s))\n"
  "local function summary(ok, errs)\n"
  "  if ok then assert(errs == nil) return '' end\n"
  "  assert(ok == false and S.is_array(errs) and #errs > 0)\n"
  "  local list = {}\n"
  "  for i, e in ipairs(errs) do\n"
  "    assert(e.code == 'schema_violation' and type(e.path) == 'string' and\n"
  "      type(e.keyword) == 'string' and type(e.message) == 'string' and\n"
  "      type(e.schema_path) == 'string')\n"
  "    list[i] = e.path .. '\\0' .. e.keyword .. '\\0' .. e.message .. '\\0' .. e.schema_path\n"
  "  end\n"
  "  table.sort(list)\n"
  "  return table.concat(list, '\\n')\n"
  "end\n"
  "local function check(value)\n"
  "  local first = summary(v:validate(value, { defaults = true }))\n"
  "  local second = summary(v:validate(value, { defaults = true }))\n"
  "  assert(first == second, 'the second run with defaults reports different errors')\n"
  "  assert(summary(v:validate(value)) == first, 'a run without defaults differs')\n"
  "end\n"
  "local function check_pattern(p, subject)\n"
  "  local pv, err = S.compile({ type = 'string', pattern = p })\n"
  "  if not pv then\n"
  "    assert(err.code == 'schema_invalid' and err.path == '/pattern')\n"
  "    return\n"
  "  end\n"
  "  local ok, errs = pv:validate(subject)\n"
  "  assert(ok or (#errs == 1 and errs[1].keyword == 'pattern'))\n"
  "  pv:close()\n"
  "end\n"
  "return check, check_pattern\n";

static lua_State *L;
static int check_ref, check_pattern_ref;

struct dec {
  const uint8_t *p, *e;
};

static int noop(lua_State *L) {
  (void)L;
  return 0;
}

static void skip(struct dec *d) {
  while (d->p < d->e && (*d->p == ' ' || *d->p == '\n' || *d->p == '\t' || *d->p == ',' ||
                         *d->p == ':' || *d->p == '\r'))
    d->p++;
}

static void decode_string(lua_State *L, struct dec *d) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  d->p++;
  while (d->p < d->e && *d->p != '"') {
    if (*d->p == '\\' && d->p + 1 < d->e) d->p++;
    luaL_addchar(&b, (char)*d->p++);
  }
  if (d->p < d->e) d->p++;
  luaL_pushresult(&b);
}

static void decode_value(lua_State *L, struct dec *d, int depth);

static void decode_container(lua_State *L, struct dec *d, int depth, int object, int marked) {
  uint8_t close = object ? '}' : ']';
  if (object) lua_newtable(L);
  else if (marked) a0_new_array(L, 0);
  else lua_newtable(L);
  lua_Integer n = 0;
  for (;;) {
    skip(d);
    if (d->p >= d->e) break;
    if (*d->p == close || (!object && !marked && *d->p == '}')) { d->p++; break; }
    if (object) {
      if (*d->p == '"') {
        decode_string(L, d);
      } else {
        const uint8_t *start = d->p;
        while (d->p < d->e && ((*d->p >= 'a' && *d->p <= 'z') || (*d->p >= 'A' && *d->p <= 'Z') ||
                               (*d->p >= '0' && *d->p <= '9') || *d->p == '_'))
          d->p++;
        if (d->p == start) d->p++;  /* always progress */
        lua_pushlstring(L, (const char *)start, (size_t)(d->p - start));
      }
      skip(d);
      decode_value(L, d, depth + 1);
      if (lua_isnil(L, -1)) lua_pop(L, 2);
      else lua_rawset(L, -3);
    } else {
      decode_value(L, d, depth + 1);
      if (lua_isnil(L, -1)) { lua_pop(L, 1); a0_push_null(L); }
      lua_rawseti(L, -2, ++n);
    }
  }
}

static void decode_value(lua_State *L, struct dec *d, int depth) {
  luaL_checkstack(L, 8, "fuzz value too deep");
  skip(d);
  if (d->p >= d->e) { a0_push_null(L); return; }
  if (depth > 40) {  /* too deep: one byte becomes a null, so the input is always consumed */
    d->p++;
    a0_push_null(L);
    return;
  }
  uint8_t c = *d->p;
  if (c == '{' || c == '[') {
    d->p++;
    decode_container(L, d, depth, c == '{', 1);
  } else if (c == 'u' && d->p + 1 < d->e && d->p[1] == '{') {
    d->p += 2;
    decode_container(L, d, depth, 0, 0);
  } else if (c == '"') {
    decode_string(L, d);
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char buf[40];
    size_t n = 0;
    int is_float = 0;
    while (d->p < d->e && n < sizeof buf - 1 &&
           ((*d->p >= '0' && *d->p <= '9') || *d->p == '-' || *d->p == '+' || *d->p == '.' ||
            *d->p == 'e' || *d->p == 'E')) {
      if (*d->p == '.' || *d->p == 'e' || *d->p == 'E') is_float = 1;
      buf[n++] = (char)*d->p++;
    }
    buf[n] = '\0';
    if (is_float || n > 18) lua_pushnumber(L, strtod(buf, NULL));
    else lua_pushinteger(L, strtoll(buf, NULL, 10));
  } else {
    d->p++;
    switch (c) {
      case 't': lua_pushboolean(L, 1); break;
      case 'f': lua_pushboolean(L, 0); break;
      case 'n': a0_push_null(L); break;
      case 'N': lua_pushnumber(L, NAN); break;
      case 'I': lua_pushnumber(L, HUGE_VAL); break;
      case 'h': lua_pushcfunction(L, noop); break;
      default: lua_pushlstring(L, (const char *)&c, 1);
    }
  }
}

static int run(lua_State *L) {
  const uint8_t *data = lua_touserdata(L, 1);
  size_t size = (size_t)lua_tointeger(L, 2);
  if (size == 0) return 0;
  if (data[0] % 8 == 0) {
    const uint8_t *nl = memchr(data + 1, '\n', size - 1);
    size_t plen = nl ? (size_t)(nl - data - 1) : size - 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, check_pattern_ref);
    lua_pushlstring(L, (const char *)data + 1, plen);
    if (nl) lua_pushlstring(L, (const char *)nl + 1, size - (size_t)(nl - data) - 1);
    else lua_pushliteral(L, "");
    lua_call(L, 2, 0);
    return 0;
  }
  struct dec d = { data + 1, data + size };
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  decode_value(L, &d, 0);
  lua_call(L, 1, 0);
  return 0;
}

static void setup(void) {
  L = fuzz_new_state("fuzz_schema setup", "a0lua.core.schema", luaopen_a0lua_core_schema, SETUP,
                     sizeof SETUP - 1, 2);
  check_pattern_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!L) setup();
  lua_settop(L, 0);
  lua_pushcfunction(L, run);
  lua_pushlightuserdata(L, (void *)data);
  lua_pushinteger(L, (lua_Integer)size);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_schema: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_gc(L, LUA_GCSTEP, 0);
  return 0;
}
