/*
 * poll.c: a0lua.core.poll, readiness of many sockets, for the emulator's server loop
 * (lua/a0lua/emulator/server.lua). The loop of `a0lua emulate --tenants` holds hundreds of
 * keep-alive connections of which a few are ready on a turn: LuaSocket's socket.select looks up
 * each socket's getfd and fills fd_sets on every call, and a poll(2) over all of them still
 * costs what the open ones cost; an epoll set costs what the ready ones do (docs/emulator.md).
 * The sockets stay LuaSocket's; this only waits on their descriptors (sock:getfd()).
 *
 * Lua API:
 *   poll.watcher() -> w | nil, err
 *       an epoll(7) set, for a loop that holds many descriptors of which few are ready on a
 *       turn: a descriptor is registered once and a wait costs what the ready ones cost, not
 *       what the registered ones do. Each registration is either level-triggered (reported on
 *       every wait while ready) or one-shot: reported once, then disarmed (nothing, not even a
 *       hang-up, is reported) until w:arm is called for it again. An error or hang-up on an
 *       armed descriptor counts as ready (the socket's own receive or send then reports it).
 *   w:arm(fd, event, oneshot) -> true | nil, err
 *       register fd for event (1: readable, 2: writable), or change its registration (and
 *       re-arm a one-shot one).
 *   w:disarm(fd) -> true | nil, err     take fd out of the set (an fd not in it is no error).
 *       Disarm a descriptor before closing it: the kernel drops a closed one from the set by
 *       itself, but the watcher's count of registrations, which sizes the buffer a wait fills,
 *       would keep it.
 *   w:wait(timeout, ready) -> count | nil, err
 *       timeout: seconds (a number >= 0; rounded up to whole milliseconds) or nil: no limit.
 *       Fills ready[1..count] with the descriptors that are ready, in no particular order, each
 *       once (entries after count are left as they were); all the ready ones are reported in
 *       one epoll_wait, whose buffer holds as many events as there are registrations. An
 *       interrupted wait (EINTR) returns 0; a failing one nil and a core.h error table
 *       { code = "poll_failed", message = }. Bad arguments raise.
 *   w:close()                            release the set (idempotent; also when collected)
 *   poll.fd_limit() -> n
 *       the process's soft limit on open descriptors (RLIMIT_NOFILE; math.maxinteger when
 *       unlimited): the server keeps its connections below it, so that accept never fails
 *       with "too many open files" and leaves the listening socket ready on every turn.
 */
#include "core.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#define POLL_READ 1
#define POLL_WRITE 2

static int timeout_ms(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg)) return -1;
  lua_Number s = luaL_checknumber(L, arg);
  luaL_argcheck(L, s >= 0 && s == s, arg, "timeout must be a number >= 0");
  lua_Number ms = ceil(s * 1000);
  return ms >= INT_MAX ? INT_MAX : (int)ms;
}

#define WATCHER "a0lua.core.poll.watcher"

/* The epoll descriptor, the number of descriptors registered, and the event buffer of the last
 * wait, grown so that it always holds an event for each registration. */
typedef struct {
  int epfd;
  int registered;
  int capacity;
  struct epoll_event *events;
} Watcher;

static Watcher *check_watcher(lua_State *L) {
  Watcher *w = luaL_checkudata(L, 1, WATCHER);
  if (w->epfd < 0) luaL_error(L, "poll watcher: closed");
  return w;
}

static int watcher_fail(lua_State *L, const char *what) {
  a0_new_error(L, "poll_failed", "%s: %s", what, strerror(errno));
  return a0_fail(L);
}

static int check_fd(lua_State *L, int arg) {
  lua_Integer fd = luaL_checkinteger(L, arg);
  luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, arg, "not a descriptor");
  return (int)fd;
}

static int watcher_arm(lua_State *L) {
  Watcher *w = check_watcher(L);
  int fd = check_fd(L, 2);
  lua_Integer ev = luaL_checkinteger(L, 3);
  luaL_argcheck(L, ev == POLL_READ || ev == POLL_WRITE, 3, "must be 1 (read) or 2 (write)");
  struct epoll_event e;
  memset(&e, 0, sizeof e);
  e.events = (ev == POLL_READ ? EPOLLIN : EPOLLOUT) | (lua_toboolean(L, 4) ? EPOLLONESHOT : 0);
  e.data.fd = fd;
  /* Most calls re-arm a descriptor already in the set: try that first. */
  int rc = epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &e);
  if (rc != 0 && errno == ENOENT) {
    rc = epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e);
    if (rc == 0) w->registered++;
  }
  if (rc != 0) return watcher_fail(L, "epoll_ctl");
  lua_pushboolean(L, 1);
  return 1;
}

static int watcher_disarm(lua_State *L) {
  Watcher *w = check_watcher(L);
  int fd = check_fd(L, 2);
  struct epoll_event e;
  memset(&e, 0, sizeof e);
  if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, &e) == 0) {
    w->registered--;
  } else if (errno != ENOENT && errno != EBADF) {
    return watcher_fail(L, "epoll_ctl");
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int watcher_wait(lua_State *L) {
  Watcher *w = check_watcher(L);
  int ms = timeout_ms(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (w->capacity < w->registered || w->capacity == 0) {
    int want = w->capacity ? w->capacity : 64;
    while (want < w->registered) want *= 2;
    struct epoll_event *grown = realloc(w->events, (size_t)want * sizeof *grown);
    if (!grown) return luaL_error(L, "poll watcher: out of memory");
    w->events = grown;
    w->capacity = want;
  }
  int count = epoll_wait(w->epfd, w->events, w->capacity, ms);
  if (count < 0) {
    if (errno != EINTR) return watcher_fail(L, "epoll_wait");
    count = 0;
  }
  for (int i = 0; i < count; i++) {
    lua_pushinteger(L, w->events[i].data.fd);
    lua_rawseti(L, 3, i + 1);
  }
  lua_pushinteger(L, count);
  return 1;
}

static int watcher_close(lua_State *L) {
  Watcher *w = luaL_checkudata(L, 1, WATCHER);
  if (w->epfd >= 0) close(w->epfd);
  w->epfd = -1;
  free(w->events);
  w->events = NULL;
  w->capacity = 0;
  w->registered = 0;
  return 0;
}

static int poll_watcher(lua_State *L) {
  Watcher *w = lua_newuserdatauv(L, sizeof *w, 0);
  w->epfd = -1;
  w->registered = 0;
  w->capacity = 0;
  w->events = NULL;
  luaL_setmetatable(L, WATCHER);
  w->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (w->epfd < 0) return watcher_fail(L, "epoll_create1");
  return 1;
}

static int poll_fd_limit(lua_State *L) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
      rl.rlim_cur > (rlim_t)LUA_MAXINTEGER) {
    lua_pushinteger(L, LUA_MAXINTEGER);
  } else {
    lua_pushinteger(L, (lua_Integer)rl.rlim_cur);
  }
  return 1;
}

int luaopen_a0lua_core_poll(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"arm", watcher_arm}, {"disarm", watcher_disarm}, {"wait", watcher_wait},
    {"close", watcher_close}, {NULL, NULL},
  };
  if (luaL_newmetatable(L, WATCHER)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, watcher_close);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, poll_watcher);
  lua_setfield(L, -2, "watcher");
  lua_pushcfunction(L, poll_fd_limit);
  lua_setfield(L, -2, "fd_limit");
  lua_pushinteger(L, POLL_READ);
  lua_setfield(L, -2, "READ");
  lua_pushinteger(L, POLL_WRITE);
  lua_setfield(L, -2, "WRITE");
  return 1;
}
