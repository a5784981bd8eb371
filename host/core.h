/*
 * core.h: what every a0lua.core.* module shares.
 *
 * The modules are built twice (linked into the binary, and as separate .so files for busted under
 * a stock lua5.4), so nothing here may rely on a C global being shared between modules. Shared
 * values live in the Lua registry instead, created by whichever module asks first:
 *
 *   registry["a0lua.null"]   the null sentinel: one full userdata, tostring "null". json.null and
 *                            yaml.null are this value, so null survives YAML -> Lua -> JSON.
 *   registry["a0lua.array"]  the array marker: a metatable set on every decoded array, so [] and {}
 *                            stay apart (an empty Lua table cannot say which it was).
 *   registry["a0lua.error"]  the metatable of every error table, C's and Lua's (a0lua.errors uses
 *                            it through the modules' error_mt): { code =, message =, file =,
 *                            line =, column =, path =, ... } with the __tostring below.
 *
 * How a Lua value maps to JSON (a0_kind), used alike by json encode, yaml encode and schema:
 *   nil, the null sentinel -> null; boolean; integer / float -> number;
 *   table with the array marker -> array; plain table whose keys are exactly 1..n (n >= 1) -> array;
 *   any other table (the empty plain table included) -> object.
 */
#ifndef A0LUA_CORE_H
#define A0LUA_CORE_H

#include <lua.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <string.h>

#define A0_NULL_KEY "a0lua.null"
#define A0_ARRAY_KEY "a0lua.array"
#define A0_ERROR_KEY "a0lua.error"

/* Deepest nesting any converter accepts; deeper input is an error, never a C stack overflow. */
#define A0_MAX_DEPTH 512

enum a0_kind {
  A0_NULL, A0_BOOLEAN, A0_INTEGER, A0_FLOAT, A0_STRING, A0_ARRAY, A0_OBJECT, A0_OTHER
};

static inline int a0_null_tostring(lua_State *L) {
  lua_pushliteral(L, "null");
  return 1;
}

/* null.anything is nil, so `c.token_exchange.allow_any_profile_of_type` reads through a null. */
static inline int a0_null_index(lua_State *L) {
  lua_pushnil(L);
  return 1;
}

/* Pushes the null sentinel, creating it on first use. */
static inline void a0_push_null(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, A0_NULL_KEY) != LUA_TNIL) return;
  lua_pop(L, 1);
  static const luaL_Reg null_meta[] = {
    { "__tostring", a0_null_tostring },
    { "__index", a0_null_index },
    { NULL, NULL }
  };
  lua_newuserdatauv(L, 0, 0);
  lua_createtable(L, 0, 4);
  luaL_setfuncs(L, null_meta, 0);
  lua_pushliteral(L, "a0lua.null");
  lua_setfield(L, -2, "__name");
  lua_pushliteral(L, "null");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, A0_NULL_KEY);
}

static inline int a0_is_null(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return 0;
  idx = lua_absindex(L, idx);
  a0_push_null(L);
  int same = lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return same;
}

/* Registers the metatable of a userdata class, once per state: registry[name] (luaL_newmetatable)
 * with the metamethods of `meta` and, unless `methods` is NULL, __index = a table of `methods`.
 * Leaves the stack as it was. */
static inline void a0_register_class(lua_State *L, const char *name, const luaL_Reg *meta,
                                     const luaL_Reg *methods) {
  if (luaL_newmetatable(L, name)) {
    luaL_setfuncs(L, meta, 0);
    if (methods) {
      lua_newtable(L);
      luaL_setfuncs(L, methods, 0);
      lua_setfield(L, -2, "__index");
    }
  }
  lua_pop(L, 1);
}

/* Pushes the array marker metatable, creating it on first use. */
static inline void a0_push_array_mt(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, A0_ARRAY_KEY) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "a0lua.array");
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, A0_ARRAY_KEY);
}

/* Sets the array marker on the table at idx. */
static inline void a0_mark_array(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  a0_push_array_mt(L);
  lua_setmetatable(L, idx);
}

/* Pushes a new empty table that is marked as an array. */
static inline void a0_new_array(lua_State *L, int narr) {
  lua_createtable(L, narr, 0);
  a0_mark_array(L, -1);
}

static inline int a0_has_array_mark(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx)) return 0;
  a0_push_array_mt(L);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

/* For a table at idx: its length if its keys are exactly 1..n (n >= 1), else 0. */
static inline lua_Integer a0_sequence_length(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
  if (n == 0) return 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1)) { lua_pop(L, 1); return 0; }
    lua_Integer k = lua_tointeger(L, -1);
    if (k < 1 || k > n) { lua_pop(L, 1); return 0; }
    count++;
  }
  return count == n ? n : 0;
}

/* The JSON kind of the value at idx (see the table in the header comment). */
static inline enum a0_kind a0_kind(lua_State *L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return A0_NULL;
    case LUA_TBOOLEAN: return A0_BOOLEAN;
    case LUA_TNUMBER: return lua_isinteger(L, idx) ? A0_INTEGER : A0_FLOAT;
    case LUA_TSTRING: return A0_STRING;
    case LUA_TTABLE:
      if (a0_has_array_mark(L, idx) || a0_sequence_length(L, idx) > 0) return A0_ARRAY;
      return A0_OBJECT;
    case LUA_TUSERDATA: return a0_is_null(L, idx) ? A0_NULL : A0_OTHER;
    default: return A0_OTHER;
  }
}

/* Pushes err[name] and returns it as a string when it has `type` (a number is converted), else
 * NULL. The value stays on the stack, so the string lives as long as it does. */
static inline const char *a0_error_field(lua_State *L, const char *name, int type) {
  if (lua_getfield(L, 1, name) != type) return NULL;
  return lua_tostring(L, -1);
}

/* Whether an error's message already says its path, which is then not printed again: when a
 * clause of it begins with the path (at its start, as the C readers write "path: text", or after
 * ": ", as in 'clients "x": jwt_configuration.secret is ...': messages put the object first), or,
 * for an error without a file, when it holds the path anywhere (there `path` is often a file the
 * message names: "cannot read the config file P: ..."). A located error may name its key inside
 * a clause ("unknown top-level key 'clientz'") and still be printed with its path. */
static inline int a0_error_says_path(const char *message, const char *path, int located) {
  if (!message) return 0;
  size_t n = strlen(path);
  if (strncmp(message, path, n) == 0) return 1;
  if (!located) return strstr(message, path) != NULL;
  for (const char *at = strstr(message, path); at; at = strstr(at + 1, path)) {
    if (at - message >= 2 && at[-2] == ':' && at[-1] == ' ') return 1;
  }
  return 0;
}

/* error:__tostring(), the one text of every error, C's and Lua's (docs/architecture.md "Errors"):
 *   file:line:column: METHOD path: status: message (error_code) after N attempts; hint
 * leaving out each part whose field is absent. Without a method, a path is printed as "path: "
 * unless the message already says it (a0_error_says_path). Without a message, the code stands
 * in. */
static inline int a0_error_tostring(lua_State *L) {
  lua_settop(L, 1);
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *file = a0_error_field(L, "file", LUA_TSTRING);
  const char *line = a0_error_field(L, "line", LUA_TNUMBER);
  const char *column = a0_error_field(L, "column", LUA_TNUMBER);
  const char *method = a0_error_field(L, "method", LUA_TSTRING);
  const char *path = a0_error_field(L, "path", LUA_TSTRING);
  const char *status = a0_error_field(L, "status", LUA_TNUMBER);
  const char *message = a0_error_field(L, "message", LUA_TSTRING);
  const char *code = a0_error_field(L, "code", LUA_TSTRING);
  const char *error_code = a0_error_field(L, "error_code", LUA_TSTRING);
  int many = lua_getfield(L, 1, "attempts") == LUA_TNUMBER && lua_tonumber(L, -1) > 1;
  const char *attempts = many ? lua_tostring(L, -1) : NULL;
  const char *hint = a0_error_field(L, "hint", LUA_TSTRING);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int located = 0;
  if (file) { luaL_addstring(&b, file); located = 1; }
  if (line) {
    if (located) luaL_addchar(&b, ':');
    luaL_addstring(&b, line);
    located = 1;
    if (column) { luaL_addchar(&b, ':'); luaL_addstring(&b, column); }
  }
  if (located) luaL_addstring(&b, ": ");
  if (method && path) {
    luaL_addstring(&b, method);
    luaL_addchar(&b, ' ');
    luaL_addstring(&b, path);
    luaL_addstring(&b, ": ");
  } else if (path && *path && !a0_error_says_path(message, path, file != NULL)) {
    luaL_addstring(&b, path);
    luaL_addstring(&b, ": ");
  }
  if (status) { luaL_addstring(&b, status); luaL_addstring(&b, ": "); }
  luaL_addstring(&b, message ? message : code ? code : "error");
  if (error_code) {
    luaL_addstring(&b, " (");
    luaL_addstring(&b, error_code);
    luaL_addchar(&b, ')');
  }
  if (attempts) {
    luaL_addstring(&b, " after ");
    luaL_addstring(&b, attempts);
    luaL_addstring(&b, " attempts");
  }
  if (hint) { luaL_addstring(&b, "; "); luaL_addstring(&b, hint); }
  luaL_pushresult(&b);
  return 1;
}

/* Pushes the error metatable, creating it on first use. */
static inline void a0_push_error_mt(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, A0_ERROR_KEY) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, a0_error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "a0lua.error");
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, A0_ERROR_KEY);
}

/* Pushes a new error table { code =, message = } with the error metatable. Callers add fields. */
static inline void a0_new_error(lua_State *L, const char *code, const char *fmt, ...) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, code);
  lua_setfield(L, -2, "code");
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_setfield(L, -2, "message");
  a0_push_error_mt(L);
  lua_setmetatable(L, -2);
}

/* Sets err[field] = n on the error table at the top of the stack. */
static inline void a0_error_set_int(lua_State *L, const char *field, lua_Integer n) {
  lua_pushinteger(L, n);
  lua_setfield(L, -2, field);
}

/* The usual failure return: pushes nil and the error table that is at the top, returns 2. */
static inline int a0_fail(lua_State *L) {
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* Exposes null, array(t) and is_array(v) on the module table at the top of the stack. */
static inline int a0_lua_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) { a0_new_array(L, 0); return 1; }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  a0_mark_array(L, 1);
  return 1;
}

static inline int a0_lua_is_array(lua_State *L) {
  lua_pushboolean(L, lua_type(L, 1) == LUA_TTABLE && a0_kind(L, 1) == A0_ARRAY);
  return 1;
}

/* Also error_mt, the shared error metatable, which a0lua.errors takes from here. */
static inline void a0_export_markers(lua_State *L) {
  a0_push_null(L);
  lua_setfield(L, -2, "null");
  lua_pushcfunction(L, a0_lua_array);
  lua_setfield(L, -2, "array");
  lua_pushcfunction(L, a0_lua_is_array);
  lua_setfield(L, -2, "is_array");
  a0_push_array_mt(L);
  lua_setfield(L, -2, "array_mt");
  a0_push_error_mt(L);
  lua_setfield(L, -2, "error_mt");
}

#endif
