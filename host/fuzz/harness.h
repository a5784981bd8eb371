/*
 * harness.h: what the libFuzzer targets share.
 *
 * A target runs in one Lua state made on its first input: the standard libraries, the module
 * under test as require(module), and the target's checker, a chunk of Lua source called once
 * with the module, whose results are the checks. A checker that does not load or raises aborts,
 * printing "<label>: <message>"; so does a check that raises on an input (a broken invariant),
 * which libFuzzer then reports as a crash.
 */
#ifndef A0LUA_FUZZ_HARNESS_H
#define A0LUA_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* The state, with the checker's `nresults` results on its stack. */
static inline lua_State *fuzz_new_state(const char *label, const char *module, lua_CFunction open,
                                        const char *checker, size_t len, int nresults) {
  char chunkname[64];
  snprintf(chunkname, sizeof chunkname, "=%s", label);
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, module, open, 0);
  if (luaL_loadbuffer(L, checker, len, chunkname) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", label, lua_tostring(L, -1));
    abort();
  }
  lua_insert(L, -2);  /* the checker chunk, called with the module */
  if (lua_pcall(L, 1, nresults, 0) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", label, lua_tostring(L, -1));
    abort();
  }
  return L;
}

/* The whole of a target whose checker returns one check, a function of the input as a string:
 * the state is made on the first input, and each input is given to the check. */
static inline int fuzz_run_checker(const char *label, const char *module, lua_CFunction open,
                                   const char *checker, size_t len, const uint8_t *data,
                                   size_t size) {
  static lua_State *L;
  static int check_ref;
  if (L == NULL) {
    L = fuzz_new_state(label, module, open, checker, len, 1);
    check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    fprintf(stderr, "%s: invariant broken: %s\n", label, lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, 0);
  return 0;
}

/* The entry point of such a target: its checker is the string array `checker` in scope. */
#define FUZZ_CHECKER_TARGET(label, module, open)                                             \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {                             \
    return fuzz_run_checker(label, module, open, checker, sizeof checker - 1, data, size);   \
  }

#endif
