/*
 * repl.c: a0lua.core.repl, line editing for `a0lua repl` through libedit's readline API.
 *
 * Lua API:
 *   repl.readline([prompt])          -> line | nil       nil at end of input; no "\n" in line
 *                                      | nil, err        a read error on piped input (repl_io)
 *   repl.isatty()                    -> boolean          stdin is a terminal
 *   repl.add_history(line)           -> nothing
 *   repl.load_history(file)          -> true | nil, err
 *   repl.save_history(file [, max])  -> true | nil, err  keeps only the newest max entries
 *   repl.set_completer(fn | nil)     -> nothing          fn(word, line, start) -> candidates
 *   repl.version                        "<rl_library_version> (readline API x.y)"
 *
 * readline: when stdin is a terminal, libedit reads the line with editing, history (Up/Down) and
 * Tab completion, and writes the prompt to stdout. Otherwise the line is read from stdin with
 * plain stdio (no prompt, no libedit), so piped input works and shares io.read's buffered stdin.
 * A last line without "\n" is returned as is; "\r" is kept. readline is not reentrant (a
 * completer that calls it gets an error, which counts as no candidates).
 *
 * History is libedit's in-memory list: add_history appends (no filtering of empty lines or
 * duplicates: that is the caller's policy); load_history / save_history read and write libedit's
 * file format ("_HiStOrY_V2_" header, entries vis(3)-encoded), created with mode 0600. With max,
 * save_history first trims the in-memory history to the newest max entries, so the file and the
 * session agree. Errors: { code =, message = "<file>: <strerror>", path = file, errno = } with
 * code "fs_not_found" (ENOENT: a missing file on load, which callers usually ignore, or a missing
 * directory on save) or "repl_history" (anything else, e.g. a file that is not a history file).
 *
 * Completion: fn (kept at registry["a0lua.repl.completer"]; set_completer(nil) removes it) is
 * called from libedit's rl_attempted_completion_function with
 *   word   the text before the cursor back to the previous word-break character,
 *   line   the whole line being edited,
 *   start  the 1-based byte position of word in line,
 * and returns an array of candidates. Only strings that start with word (and hold no NUL byte)
 * are used; anything else, a non-table result or an error raised by fn gives no candidates: fn
 * runs under lua_pcall, so no Lua error ever unwinds through libedit. One candidate replaces the
 * word, with nothing appended (so `tenant.clients` can go on with `.`); several insert their
 * longest common prefix and a second Tab lists them. There is no fall-back to file names.
 * Word breaks are whitespace, quotes and Lua's operator and bracket characters except . : [ ] _
 * (WORD_BREAK below), so `tenant.cli`, `obj:meth` and `t[1].na` are single words. libedit reads
 * its break set from rl_basic_word_break_characters and ignores
 * rl_completer_word_break_characters (GNU readline reads the latter); both are set.
 *
 * The one static, reading_L: libedit's completion hook receives no user data, so the lua_State
 * that called readline is kept in a static for the duration of that readline call (NULL
 * otherwise); the hook runs the completer on that state, the only one that can be running Lua at
 * that moment. libedit's own state (history, settings) is process-wide too: there is one line
 * editor per process, whatever the number of lua_States.
 *
 * GNU readline: libedit exports the same unversioned symbols as GNU readline, and Debian's lua5.4
 * links libreadline. So when this file is loaded as a .so by a stock lua5.4, readline(),
 * add_history(), rl_* and the history file calls bind to GNU readline, not libedit (the a0lua
 * binary links libedit only). The code works with both (it sets what each reads, e.g. the append
 * character inside the hook, since GNU resets it to ' ' before each completion), but the history
 * files differ: GNU writes plain lines, which libedit's load_history rejects (repl_history), and
 * GNU reads libedit's header and vis-encoded entries as text. repl.version tells them apart:
 * "EditLine wrapper (readline API 4.2)" is libedit, "8.2 (readline API 8.2)" GNU readline 8.2.
 * The specs run their child lua5.4 with LD_PRELOAD=libedit.so.2 so that they test libedit.
 *
 * Caveats: a Ctrl-C at the prompt is not turned into an empty line: libedit restores the terminal
 * and passes SIGINT on to the process's own disposition (the default ends the process; lua.c's
 * handler makes it an "interrupted!" error). ~/.editrc is read, and settings under "a0lua:"
 * apply (rl_readline_name is "a0lua").
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#define COMPLETER_KEY "a0lua.repl.completer"

/* Not '.', ':', '[', ']' or '_': they are part of the names a completer is asked about. */
static char WORD_BREAK[] = " \t\n\"'`<>=;|&{}(),+-*/%^#~";

static lua_State *reading_L;

/* Pushes nil and { code =, message = "<label>: <strerror>", path = (if given), errno = }. */
static int fail(lua_State *L, const char *code, const char *label, const char *path, int err) {
  a0_new_error(L, code, "%s: %s", path ? path : label, strerror(err));
  if (path) {
    lua_pushstring(L, path);
    lua_setfield(L, -2, "path");
  }
  a0_error_set_int(L, "errno", err);
  return a0_fail(L);
}

/* Reads one line from stdin with stdio: line | nil at EOF | nil, err. */
static int read_plain_line(lua_State *L) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int got = 0, c = EOF;
  clearerr(stdin);
  for (;;) {
    char *p = luaL_prepbuffer(&b);
    size_t n = 0;
    while (n < LUAL_BUFFERSIZE && (c = getc(stdin)) != EOF && c != '\n') p[n++] = (char)c;
    luaL_addsize(&b, n);
    got |= n > 0;
    if (n < LUAL_BUFFERSIZE) break;
  }
  if (c == EOF && ferror(stdin)) {
    int err = errno;
    luaL_pushresult(&b);
    return fail(L, "repl_io", "stdin", NULL, err);
  }
  if (c == EOF && !got) {
    lua_pushnil(L);
    return 1;
  }
  luaL_pushresult(&b);
  return 1;
}

/* Protected: pushes the C string at the light userdata. */
static int push_c_string(lua_State *L) {
  lua_pushstring(L, lua_touserdata(L, 1));
  return 1;
}

struct completion {
  const char *word;
  lua_Integer start;
};

/* Protected: calls the completer and leaves a plain array of its usable candidates (or nothing). */
static int call_completer(lua_State *L) {
  const struct completion *c = lua_touserdata(L, 1);
  if (lua_getfield(L, LUA_REGISTRYINDEX, COMPLETER_KEY) != LUA_TFUNCTION) return 0;
  lua_pushstring(L, c->word);
  if (rl_line_buffer && rl_end >= 0) lua_pushlstring(L, rl_line_buffer, (size_t)rl_end);
  else lua_pushliteral(L, "");
  lua_pushinteger(L, c->start);
  lua_call(L, 3, 1);
  if (!lua_istable(L, -1)) return 0;
  int result = lua_gettop(L);
  size_t word_len = strlen(c->word);
  lua_newtable(L);
  lua_Integer kept = 0, n = (lua_Integer)lua_rawlen(L, result);
  for (lua_Integer i = 1; i <= n; i++) {
    size_t len;
    if (lua_rawgeti(L, result, i) == LUA_TSTRING) {
      const char *s = lua_tolstring(L, -1, &len);
      if (strlen(s) == len && len >= word_len && memcmp(s, c->word, word_len) == 0) {
        lua_rawseti(L, -2, ++kept);
        continue;
      }
    }
    lua_pop(L, 1);
  }
  return 1;
}

static void free_matches(char **m) {
  for (size_t i = 0; m[i]; i++) free(m[i]);
  free(m);
}

/*
 * The matches array libedit wants from the candidate strings of the array at idx: m[0] is what
 * replaces the word (the longest common prefix), m[1..n] the candidates, then NULL. libedit
 * frees it.
 * Makes no Lua call that can raise.
 */
static char **to_matches(lua_State *L, int idx) {
  size_t n = lua_rawlen(L, idx);
  if (n == 0) return NULL;
  char **m = calloc(n + 2, sizeof *m);
  if (!m) return NULL;
  size_t prefix = 0;
  for (size_t i = 1; i <= n; i++) {
    size_t len;
    lua_rawgeti(L, idx, (lua_Integer)i);
    const char *s = lua_tolstring(L, -1, &len);
    m[i] = malloc(len + 1);
    if (m[i]) memcpy(m[i], s, len + 1);
    lua_pop(L, 1);
    if (!m[i]) {
      free_matches(m);
      return NULL;
    }
    if (i == 1) prefix = len;
    while (prefix > 0 && strncmp(m[1], m[i], prefix) != 0) prefix--;
  }
  m[0] = malloc(prefix + 1);
  if (!m[0]) {
    m[0] = m[n]; /* keep the list NULL-terminated for free_matches */
    m[n] = NULL;
    free_matches(m);
    return NULL;
  }
  memcpy(m[0], m[1], prefix);
  m[0][prefix] = '\0';
  return m;
}

/* rl_attempted_completion_function: runs the Lua completer on reading_L under lua_pcall. */
static char **complete(const char *word, int start, int end) {
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* no file-name completion when there are no candidates */
  rl_completion_append_character = '\0'; /* GNU readline resets it to ' ' before each call */
  lua_State *L = reading_L;
  if (!L || !lua_checkstack(L, 8)) return NULL;
  int top = lua_gettop(L);
  /* libedit counts start in characters; rl_point is in bytes, and word ends at the cursor. */
  size_t word_len = strlen(word);
  struct completion c = { word, rl_point >= (int)word_len ? rl_point - (int)word_len + 1 : 1 };
  lua_pushcfunction(L, call_completer);
  lua_pushlightuserdata(L, &c);
  char **matches = NULL;
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) matches = to_matches(L, -1);
  lua_settop(L, top);
  return matches;
}

/* Settings libedit reads at each completion; set before every terminal readline. */
static void configure(void) {
  rl_attempted_completion_function = complete;
  rl_basic_word_break_characters = WORD_BREAK;
  rl_completer_word_break_characters = WORD_BREAK;
  rl_completion_append_character = '\0';
}

/* repl.readline([prompt]) -> line | nil | nil, err */
static int repl_readline(lua_State *L) {
  const char *prompt = luaL_optstring(L, 1, "");
  if (reading_L) return luaL_error(L, "repl.readline is not reentrant");
  if (!isatty(STDIN_FILENO)) return read_plain_line(L);
  luaL_checkstack(L, 3, NULL);
  configure();
  reading_L = L;
  char *line = readline(prompt);
  reading_L = NULL;
  if (!line) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushcfunction(L, push_c_string);
  lua_pushlightuserdata(L, line);
  int status = lua_pcall(L, 1, 1, 0);
  free(line);
  if (status != LUA_OK) return lua_error(L);
  return 1;
}

/* repl.isatty() -> boolean */
static int repl_isatty(lua_State *L) {
  lua_pushboolean(L, isatty(STDIN_FILENO));
  return 1;
}

/* The string argument at arg, without NUL bytes (libedit takes C strings). */
static const char *check_text(lua_State *L, int arg) {
  size_t len;
  if (lua_type(L, arg) != LUA_TSTRING) luaL_typeerror(L, arg, "string");
  const char *s = lua_tolstring(L, arg, &len);
  luaL_argcheck(L, strlen(s) == len, arg, "contains a NUL byte");
  return s;
}

/* repl.add_history(line) */
static int repl_add_history(lua_State *L) {
  add_history(check_text(L, 1));
  return 0;
}

/* The result of a libedit history file call: 0, or an errno (0 reported as EINVAL). */
static int history_result(lua_State *L, const char *file, int rc) {
  if (rc == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  int err = rc > 0 ? rc : (errno ? errno : EINVAL);
  return fail(L, err == ENOENT ? "fs_not_found" : "repl_history", NULL, file, err);
}

/* repl.load_history(file) -> true | nil, err */
static int repl_load_history(lua_State *L) {
  const char *file = check_text(L, 1);
  errno = 0;
  return history_result(L, file, read_history(file));
}

/* repl.save_history(file [, max_lines]) -> true | nil, err */
static int repl_save_history(lua_State *L) {
  const char *file = check_text(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer max = luaL_checkinteger(L, 2);
    luaL_argcheck(L, max >= 0 && max <= 0x7fffffff, 2, "must be within 0..2^31-1");
    stifle_history((int)max);
    unstifle_history();
  }
  errno = 0;
  return history_result(L, file, write_history(file));
}

/* repl.set_completer(fn | nil) */
static int repl_set_completer(lua_State *L) {
  luaL_argexpected(L, lua_isnoneornil(L, 1) || lua_isfunction(L, 1), 1, "function or nil");
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, COMPLETER_KEY);
  return 0;
}

static const luaL_Reg repl_functions[] = {
  { "readline", repl_readline },
  { "isatty", repl_isatty },
  { "add_history", repl_add_history },
  { "load_history", repl_load_history },
  { "save_history", repl_save_history },
  { "set_completer", repl_set_completer },
  { NULL, NULL },
};

int luaopen_a0lua_core_repl(lua_State *L) {
  rl_readline_name = "a0lua";
  luaL_newlib(L, repl_functions);
  lua_pushfstring(L, "%s (readline API %d.%d)", rl_library_version, rl_readline_version >> 8,
                  rl_readline_version & 0xff);
  lua_setfield(L, -2, "version");
  return 1;
}
