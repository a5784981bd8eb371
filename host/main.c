/*
 * main.c: the a0lua binary.
 *
 * Creates the Lua state, preloads every a0lua.core.* primitive (linked in, so the binary needs no
 * .so at run time), sets the module search paths, and hands argv to `a0lua.cli`. Everything the
 * commands do is Lua; this file only finds the Lua tree.
 *
 * Where the Lua tree is:
 *   - in the build tree: <dir of the binary>/../lua/a0lua/cli.lua exists (build/a0lua -> lua/), or
 *     ../../lua for a build variant such as build/asan/a0lua;
 *   - installed: <dir of the binary>/../share/a0lua (relocatable), else A0LUA_SHAREDIR as built;
 *   - A0LUA_PATH (a Lua path template list, `;`-separated) is put before either.
 * The root found is given to Lua as require("a0lua.core.host").root, with the version and the
 * directories of handlers/ and recipes/.
 *
 * Primitives left out of the binary (http: libcurl and its libraries would triple the start-up
 * time of every command; crypto: libcrypto, for private-key JWT assertions only) are loaded on first require from the lib directory: <dir of the
 * binary>/lib in the build tree, <dir of the binary>/../lib/a0lua installed, else A0LUA_LIBDIR.
 *
 * Errors: a0lua.cli prints the errors it expects. Anything that escapes it is printed here once as
 * "a0lua: <message>", with a traceback only when --debug is among the arguments, and exits 1.
 */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/stat.h>

#define X(name) int luaopen_a0lua_core_##name(lua_State *L);
A0LUA_CORE_MODULES
#undef X

static const struct { const char *name; lua_CFunction open; } core_modules[] = {
#define X(name) { "a0lua.core." #name, luaopen_a0lua_core_##name },
  A0LUA_CORE_MODULES
#undef X
};

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Writes the directory holding the running binary into dir (no trailing slash). */
static int exe_dir(char *dir, size_t size) {
  ssize_t n = readlink("/proc/self/exe", dir, size - 1);
  if (n <= 0) return 0;
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  if (!slash) return 0;
  *slash = '\0';
  return 1;
}

/* Finds the first of `candidates` (each a path relative to the binary's directory) below which
 * `inside` exists (a file, or with want_dir a directory), and writes its real path into buf;
 * else `fallback`, the place fixed at build time. */
static const char *find_beside_binary(char *buf, size_t size, const char *const *candidates,
                                      size_t count, const char *inside, int want_dir,
                                      const char *fallback) {
  char dir[PATH_MAX], probe[PATH_MAX + 64];
  if (exe_dir(dir, sizeof dir)) {
    for (size_t i = 0; i < count; i++) {
      snprintf(probe, sizeof probe, "%s%s/%s", dir, candidates[i], inside);
      if (want_dir ? is_dir(probe) : is_file(probe)) {
        snprintf(probe, sizeof probe, "%s%s", dir, candidates[i]);
        if (realpath(probe, buf)) return buf;
      }
    }
  }
  snprintf(buf, size, "%s", fallback);
  return buf;
}

/* Finds the root holding lua/a0lua/cli.lua: the source tree, a relocated install, or SHAREDIR. */
static const char *find_root(char *buf, size_t size) {
  /* build/a0lua and build/<variant>/a0lua (the sanitizer build) sit one or two levels down. */
  static const char *const candidates[] = { "/..", "/../..", "/../share/a0lua" };
  return find_beside_binary(buf, size, candidates, sizeof candidates / sizeof *candidates,
                            "lua/a0lua/cli.lua", 0, A0LUA_SHAREDIR);
}

/* Finds the directory under which a0lua/core/<name>.so lives. */
static const char *find_libdir(char *buf, size_t size) {
  static const char *const candidates[] = { "/lib", "/../lib/a0lua" };
  return find_beside_binary(buf, size, candidates, sizeof candidates / sizeof *candidates,
                            "a0lua/core", 1, A0LUA_LIBDIR);
}

/* package.path = A0LUA_PATH;<root>/lua/?.lua;<root>/lua/?/init.lua;<the default path>
 * package.cpath = <libdir>/?.so;<the default cpath> */
static void set_paths(lua_State *L, const char *root, const char *libdir) {
  lua_getglobal(L, "package");
  const char *user = getenv("A0LUA_PATH");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s%s%s/lua/?.lua;%s/lua/?/init.lua;%s", user ? user : "", user ? ";" : "",
                  root, root, lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  lua_getfield(L, -1, "cpath");
  lua_pushfstring(L, "%s/?.so;%s", libdir, lua_tostring(L, -1));
  lua_setfield(L, -3, "cpath");
  lua_pop(L, 1);

  lua_getfield(L, -1, "preload");
  for (size_t i = 0; i < sizeof core_modules / sizeof *core_modules; i++) {
    lua_pushcfunction(L, core_modules[i].open);
    lua_setfield(L, -2, core_modules[i].name);
  }
  lua_pop(L, 1);

  lua_getfield(L, -1, "loaded");
  lua_createtable(L, 0, 5);
  lua_pushstring(L, A0LUA_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushstring(L, root);
  lua_setfield(L, -2, "root");
  lua_pushfstring(L, "%s/handlers", root);
  lua_setfield(L, -2, "handlers_dir");
  lua_pushfstring(L, "%s/recipes", root);
  lua_setfield(L, -2, "recipes_dir");
  lua_setfield(L, -2, "a0lua.core.host");
  lua_pop(L, 2);
}

/* Message handler: error tables keep their __tostring; --debug adds a traceback. */
static int on_error(lua_State *L) {
  const char *msg = luaL_tolstring(L, 1, NULL);
  if (lua_toboolean(L, lua_upvalueindex(1))) luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Runs require("a0lua.cli").main(argv...) and returns its exit status. */
static int run_cli(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "a0lua.cli");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);
  return 1;
}

/* Raises the soft limit on open descriptors to the hard one, as the Go runtime does: the soft
 * limit (often 1,024) exists for programs that use select(2), and a0lua waits with poll(2). A
 * fleet keeps one connection per request in flight (lua/a0lua/fleet/deploy.lua) and `a0lua
 * emulate --tenants` one per client connection; both size themselves from this limit
 * (a0lua.core.poll.fd_limit). A failure leaves the limit as it was. */
static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &rl);
}

int main(int argc, char **argv) {
  raise_fd_limit();
  lua_State *L = luaL_newstate();
  if (!L) {
    fputs("a0lua: cannot create the Lua state (out of memory)\n", stderr);
    return 1;
  }
  luaL_openlibs(L);
  char root[PATH_MAX], libdir[PATH_MAX];
  set_paths(L, find_root(root, sizeof root), find_libdir(libdir, sizeof libdir));

  int debug = getenv("A0LUA_DEBUG") != NULL;
  for (int i = 1; i < argc && !debug; i++) debug = strcmp(argv[i], "--debug") == 0;

  lua_pushboolean(L, debug);
  lua_pushcclosure(L, on_error, 1);
  lua_pushcfunction(L, run_cli);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = EXIT_SUCCESS;
  if (lua_pcall(L, 2, 1, 1) != LUA_OK) {
    fprintf(stderr, "a0lua: %s\n", lua_tostring(L, -1));
    status = EXIT_FAILURE;
  } else if (lua_isinteger(L, -1)) {
    status = (int)lua_tointeger(L, -1);
  }
  fflush(stdout);
  lua_close(L);
  return status;
}
