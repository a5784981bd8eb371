/*
 * fs.c: a0lua.core.fs, the file operations the engine needs (export trees, config files).
 *
 * Lua API (every path is a string; a non-string path, or one with a NUL byte, raises):
 *   fs.list(dir)                      -> names | nil, err   entry names in byte order, without
 *                                                           "." and "..", as a plain array
 *   fs.stat(path)                     -> info | nil, err    follows symbolic links
 *   fs.lstat(path)                    -> info | nil, err    does not: a link is type "link"
 *       info = { type = "file"|"directory"|"link"|"other", size = bytes,
 *                mode = permission bits (st_mode & 07777, e.g. 420 for 0644),
 *                mtime = seconds since the epoch }
 *   fs.exists(path)                   -> boolean            stat succeeds (dangling link: false)
 *   fs.mkdir_p(path [, mode])         -> true | nil, err    creates missing parents too
 *   fs.read(path)                     -> data | nil, err    the whole file, binary-safe
 *   fs.write(path, data [, {mode =}]) -> true | nil, err    atomic replace, see below
 *   fs.remove(path [, {recursive =}]) -> true | nil, err    a file, a link or an empty directory;
 *                                                           recursive = true: a whole tree
 *
 * Errors are core.h error tables { code =, message = "<path>: <strerror>", path =, errno = },
 * where path is the path the failing system call was given (for mkdir_p and a recursive remove,
 * a parent or a child of the argument) and code is one of
 *   fs_not_found (ENOENT), fs_permission (EACCES, EPERM, EROFS), fs_exists (EEXIST),
 *   fs_not_directory (ENOTDIR), fs_is_directory (EISDIR), fs_not_empty (ENOTEMPTY),
 *   fs_io (any other errno).
 * Options tables with unknown keys, and option values of the wrong type, raise.
 *
 * mkdir_p: mode (an integer, default 0777) is filtered by the umask and applies to the directories
 * it creates. An existing directory (or a link to one) is fine; a non-directory in the way is
 * fs_exists when it is the last component and fs_not_directory when it is a parent.
 *
 * write: creates <dir>/.<name>.XXXXXX (a fresh random name, O_EXCL, in the same directory so the
 * rename cannot cross file systems), writes all of data, fsyncs and renames it over path, then
 * fsyncs the directory (best effort). Its permission bits: mode (default 0666) is given to open(2),
 * so the kernel filters it by the umask (or the directory's default ACL) as for any new file:
 * 0644 under umask 022, 0600 under 077; a file that holds secrets asks for 0600. When path already
 * names a regular file (following a link), the result keeps only the bits both modes have: a
 * replaced file is never made wider than it was (a file the user made 0600 stays 0600). The mode
 * is settled with fchmod before any data is written, so the data is never readable more widely.
 * sync = false skips both fsyncs: the rename stays atomic for readers, but a crash may lose the
 * file; exports of thousands of files use it, since each fsync costs milliseconds.
 * On any failure the temporary file is unlinked and path is untouched. It does not create the
 * directory. Renaming over a symbolic link replaces the link, not the file it points to.
 *
 * remove never follows symbolic links (lstat): a link is unlinked, and a recursive remove does not
 * descend into a linked directory. A missing path is fs_not_found; an entry that vanishes while a
 * tree is being removed is not an error. Depth is bounded only by the length of paths
 * (ENAMETOOLONG). A recursive remove stops at the first failure, leaving the rest in place.
 *
 * Resources: directory handles and file descriptors are held only where no Lua error can be
 * raised, or across a lua_pcall after which the caller closes them before re-raising; scratch
 * buffers are Lua userdata.
 */
#include "core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_FILE_MODE 0666
#define DEFAULT_DIR_MODE 0777
#define READ_CHUNK 65536

static const char *code_for(int err) {
  switch (err) {
    case ENOENT: return "fs_not_found";
    case EACCES: case EPERM: case EROFS: return "fs_permission";
    case EEXIST: return "fs_exists";
    case ENOTDIR: return "fs_not_directory";
    case EISDIR: return "fs_is_directory";
    case ENOTEMPTY: return "fs_not_empty";
    default: return "fs_io";
  }
}

/* Pushes nil and the error for err on path; returns 2. */
static int fail(lua_State *L, const char *path, int err) {
  a0_new_error(L, code_for(err), "%s: %s", path, strerror(err));
  lua_pushstring(L, path);
  lua_setfield(L, -2, "path");
  a0_error_set_int(L, "errno", err);
  return a0_fail(L);
}

/* The path argument at arg: a string (numbers are not converted) without NUL bytes. */
static const char *check_path(lua_State *L, int arg, size_t *len) {
  if (lua_type(L, arg) != LUA_TSTRING) luaL_typeerror(L, arg, "string");
  size_t n;
  const char *path = lua_tolstring(L, arg, &n);
  luaL_argcheck(L, strlen(path) == n, arg, "path contains a NUL byte");
  if (len) *len = n;
  return path;
}

/* Raises unless every key of the options table at arg is one of the NULL-terminated names. */
static void check_option_keys(lua_State *L, int arg, const char *const names[]) {
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *key = lua_tostring(L, -1);
      for (int i = 0; names[i] && !known; i++) known = strcmp(key, names[i]) == 0;
    }
    if (!known) {
      luaL_argerror(L, arg, lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL)));
    }
  }
}

/* A permission mode argument: an integer in 0..07777. */
static mode_t check_mode(lua_State *L, int arg, lua_Integer mode) {
  luaL_argcheck(L, mode >= 0 && mode <= 07777, arg, "mode must be within 0..07777");
  return (mode_t)mode;
}

/* Byte order of the strings at t[i] and t[j]; the stack needs two free slots. */
static int name_less(lua_State *L, int t, lua_Integer i, lua_Integer j) {
  size_t la, lb;
  lua_rawgeti(L, t, i);
  lua_rawgeti(L, t, j);
  const char *a = lua_tolstring(L, -2, &la), *b = lua_tolstring(L, -1, &lb);
  int c = memcmp(a, b, la < lb ? la : lb);
  lua_pop(L, 2);
  return c < 0 || (c == 0 && la < lb);
}

static void name_swap(lua_State *L, int t, lua_Integer i, lua_Integer j) {
  lua_rawgeti(L, t, i);
  lua_rawgeti(L, t, j);
  lua_rawseti(L, t, i);
  lua_rawseti(L, t, j);
}

/* Heapsort of t[1..n] (strings) in byte order: table.sort would compare with strcoll. */
static void sort_names(lua_State *L, int t, lua_Integer n) {
  luaL_checkstack(L, 2, NULL);
  for (lua_Integer start = n / 2; start >= 1; start--) {
    for (lua_Integer root = start, child; (child = 2 * root) <= n; root = child) {
      if (child < n && name_less(L, t, child, child + 1)) child++;
      if (!name_less(L, t, root, child)) break;
      name_swap(L, t, root, child);
    }
  }
  for (lua_Integer end = n; end > 1; end--) {
    name_swap(L, t, 1, end);
    for (lua_Integer root = 1, child; (child = 2 * root) <= end - 1; root = child) {
      if (child < end - 1 && name_less(L, t, child, child + 1)) child++;
      if (!name_less(L, t, root, child)) break;
      name_swap(L, t, root, child);
    }
  }
}

struct dir_scan {
  DIR *dir;
  int err;
};

/* Protected: reads every entry of scan->dir into a new sorted array. */
static int collect_names(lua_State *L) {
  struct dir_scan *scan = lua_touserdata(L, 1);
  lua_newtable(L);
  int t = lua_gettop(L);
  lua_Integer n = 0;
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(scan->dir);
    if (!entry) {
      scan->err = errno;
      break;
    }
    const char *name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    lua_pushstring(L, name);
    lua_rawseti(L, t, ++n);
  }
  sort_names(L, t, n);
  return 1;
}

/*
 * Pushes the sorted entry names of dir and returns 0, or pushes nothing and returns an errno. The
 * handle is closed before a Lua error (out of memory) is re-raised.
 */
static int push_names(lua_State *L, const char *dir) {
  luaL_checkstack(L, 3, NULL);
  DIR *d = opendir(dir);
  if (!d) return errno;
  struct dir_scan scan = { d, 0 };
  lua_pushcfunction(L, collect_names);
  lua_pushlightuserdata(L, &scan);
  int status = lua_pcall(L, 1, 1, 0);
  closedir(d);
  if (status != LUA_OK) lua_error(L);
  if (scan.err) {
    lua_pop(L, 1);
    return scan.err;
  }
  return 0;
}

/* fs.list(dir) -> names | nil, err */
static int fs_list(lua_State *L) {
  const char *dir = check_path(L, 1, NULL);
  int err = push_names(L, dir);
  if (err) return fail(L, dir, err);
  return 1;
}

static void set_int(lua_State *L, const char *field, lua_Integer n) {
  lua_pushinteger(L, n);
  lua_setfield(L, -2, field);
}

static int push_info(lua_State *L, const struct stat *st) {
  lua_createtable(L, 0, 4);
  const char *type = S_ISREG(st->st_mode) ? "file"
    : S_ISDIR(st->st_mode) ? "directory"
    : S_ISLNK(st->st_mode) ? "link" : "other";
  lua_pushstring(L, type);
  lua_setfield(L, -2, "type");
  set_int(L, "size", (lua_Integer)st->st_size);
  set_int(L, "mode", (lua_Integer)(st->st_mode & 07777));
  set_int(L, "mtime", (lua_Integer)st->st_mtime);
  return 1;
}

/* fs.stat(path) -> {type =, size =, mode =, mtime =} | nil, err */
static int fs_stat(lua_State *L) {
  const char *path = check_path(L, 1, NULL);
  struct stat st;
  if (stat(path, &st) != 0) return fail(L, path, errno);
  return push_info(L, &st);
}

/* fs.lstat(path) -> {type =, size =, mode =, mtime =} | nil, err */
static int fs_lstat(lua_State *L) {
  const char *path = check_path(L, 1, NULL);
  struct stat st;
  if (lstat(path, &st) != 0) return fail(L, path, errno);
  return push_info(L, &st);
}

/* fs.exists(path) -> boolean */
static int fs_exists(lua_State *L) {
  const char *path = check_path(L, 1, NULL);
  struct stat st;
  lua_pushboolean(L, stat(path, &st) == 0);
  return 1;
}

/* mkdir that accepts an existing directory; returns 0 or an errno. */
static int make_dir(const char *path, mode_t mode, int last) {
  if (mkdir(path, mode) == 0) return 0;
  int err = errno;
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return 0;
    return last ? EEXIST : ENOTDIR;
  }
  return err;
}

/* fs.mkdir_p(path [, mode]) -> true | nil, err */
static int fs_mkdir_p(lua_State *L) {
  size_t len;
  const char *path = check_path(L, 1, &len);
  mode_t mode = DEFAULT_DIR_MODE;
  if (!lua_isnoneornil(L, 2)) {
    luaL_argexpected(L, lua_type(L, 2) == LUA_TNUMBER && lua_isinteger(L, 2), 2, "integer");
    mode = check_mode(L, 2, lua_tointeger(L, 2));
  }
  char *buf = lua_newuserdatauv(L, len + 1, 0);
  memcpy(buf, path, len + 1);
  /* Each proper prefix ending before a '/' (runs of '/' count once), then the whole path. */
  for (size_t i = 1; i < len; i++) {
    if (buf[i] != '/' || buf[i - 1] == '/') continue;
    buf[i] = '\0';
    int err = make_dir(buf, mode, 0);
    if (err) return fail(L, buf, err);
    buf[i] = '/';
  }
  int err = make_dir(buf, mode, 1);
  if (err) return fail(L, buf, err);
  lua_pushboolean(L, 1);
  return 1;
}

struct file_read {
  int fd;
  int err;
};

/* Protected: reads all of r->fd into a new string. */
static int read_all(lua_State *L) {
  struct file_read *r = lua_touserdata(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (;;) {
    char *p = luaL_prepbuffsize(&b, READ_CHUNK);
    ssize_t got = read(r->fd, p, READ_CHUNK);
    if (got < 0) {
      if (errno == EINTR) continue;
      r->err = errno;
      break;
    }
    if (got == 0) break;
    luaL_addsize(&b, (size_t)got);
  }
  luaL_pushresult(&b);
  return 1;
}

/* fs.read(path) -> data | nil, err */
static int fs_read(lua_State *L) {
  const char *path = check_path(L, 1, NULL);
  luaL_checkstack(L, 3, NULL);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(L, path, errno);
  struct file_read r = { fd, 0 };
  lua_pushcfunction(L, read_all);
  lua_pushlightuserdata(L, &r);
  int status = lua_pcall(L, 1, 1, 0);
  close(fd);
  if (status != LUA_OK) return lua_error(L);
  if (r.err) return fail(L, path, r.err);
  return 1;
}

static int write_fully(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Best effort: makes the rename in dir durable. */
static void sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

/*
 * Opens a new file at tmp, whose last TEMP_SUFFIX bytes are replaced by random letters and digits
 * until the name is free (O_EXCL), with mode for open(2) to filter by the umask. mkstemp would do,
 * but it creates 0600 whatever the umask, and the umask can only be read by changing it.
 * Returns the descriptor, or -1 with errno set.
 */
#define TEMP_SUFFIX 6
static int open_temp(char *tmp, mode_t mode) {
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static uint64_t counter;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t state = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30)
    ^ ((uint64_t)getpid() << 44) ^ (uint64_t)(uintptr_t)tmp ^ (++counter << 20);
  char *x = tmp + strlen(tmp) - TEMP_SUFFIX;
  for (int attempt = 0; attempt < 100; attempt++) {
    /* splitmix64: every attempt another well-mixed 64-bit value */
    uint64_t v = (state += 0x9E3779B97F4A7C15u);
    v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9u;
    v = (v ^ (v >> 27)) * 0x94D049BB133111EBu;
    v ^= v >> 31;
    for (int i = 0; i < TEMP_SUFFIX; i++) {
      x[i] = chars[v % (sizeof chars - 1)];
      v /= sizeof chars - 1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

/*
 * Narrows the new file fd to the bits that the file it replaces (path, if a regular file) also
 * has. Returns 0 or an errno.
 */
static int keep_narrower(int fd, const char *path) {
  struct stat created, old;
  if (fstat(fd, &created) != 0) return errno;
  if (stat(path, &old) != 0 || !S_ISREG(old.st_mode)) return 0;
  mode_t have = created.st_mode & 07777, want = have & old.st_mode & 07777;
  if (want != have && fchmod(fd, want) != 0) return errno;
  return 0;
}

/* fs.write(path, data [, {mode = 0666, sync = true}]) -> true | nil, err */
static int fs_write(lua_State *L) {
  static const char *const options[] = { "mode", "sync", NULL };
  int sync = 1;
  size_t len, data_len;
  const char *path = check_path(L, 1, &len);
  if (lua_type(L, 2) != LUA_TSTRING) luaL_typeerror(L, 2, "string");
  const char *data = lua_tolstring(L, 2, &data_len);
  mode_t mode = DEFAULT_FILE_MODE;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_option_keys(L, 3, options);
    if (lua_getfield(L, 3, "mode") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TNUMBER || !lua_isinteger(L, -1)) {
        luaL_argerror(L, 3, "mode must be an integer");
      }
      mode = check_mode(L, 3, lua_tointeger(L, -1));
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "sync") != LUA_TNIL) {
      if (!lua_isboolean(L, -1)) luaL_argerror(L, 3, "sync must be a boolean");
      sync = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
  }
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0; /* with its '/' */
  if (len == 0) return fail(L, path, ENOENT);
  if (dir_len == len) return fail(L, path, EISDIR);
  /* dir: "<dir>/" or "." (for the directory fsync); tmp: "<dir>/.<name>.XXXXXX". */
  char *dir = lua_newuserdatauv(L, dir_len + 2, 0);
  if (dir_len) {
    memcpy(dir, path, dir_len);
    dir[dir_len] = '\0';
  } else {
    memcpy(dir, ".", 2);
  }
  char *tmp = lua_newuserdatauv(L, len + 9, 0);
  memcpy(tmp, path, dir_len);
  tmp[dir_len] = '.';
  memcpy(tmp + dir_len + 1, path + dir_len, len - dir_len);
  memcpy(tmp + len + 1, ".XXXXXX", 8);

  /* From here to the end nothing can raise, so the temporary file cannot be left behind. */
  int fd = open_temp(tmp, mode);
  if (fd < 0) return fail(L, path, errno);
  int err = 0;
  if ((err = keep_narrower(fd, path)) != 0
      || (err = write_fully(fd, data, data_len)) != 0
      || (sync && fsync(fd) != 0)) {
    if (!err) err = errno;
    close(fd);
    unlink(tmp);
    return fail(L, path, err);
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    err = errno;
    unlink(tmp);
    return fail(L, path, err);
  }
  if (sync) sync_dir(dir);
  lua_pushboolean(L, 1);
  return 1;
}

/* Removes path without following links: unlink, or rmdir when it is a directory. */
static int remove_one(const char *path, const struct stat *st) {
  if (S_ISDIR(st->st_mode) ? rmdir(path) : unlink(path)) return errno;
  return 0;
}

/*
 * Removes the tree at path (the string at the top of the stack, left there). Returns 0, or an errno
 * with the failing path pushed above it. ENOENT below the top is taken as already removed.
 */
static int remove_tree(lua_State *L, int depth) {
  const char *path = lua_tostring(L, -1);
  struct stat st;
  int err = 0;
  if (lstat(path, &st) != 0) err = errno;
  else if (S_ISDIR(st.st_mode) && (err = push_names(L, path)) == 0) {
    int names = lua_gettop(L);
    size_t plen = strlen(path);
    const char *sep = plen > 0 && path[plen - 1] == '/' ? "" : "/";
    lua_Integer n = (lua_Integer)lua_rawlen(L, names);
    luaL_checkstack(L, 3, NULL);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, names, i);
      lua_pushfstring(L, "%s%s%s", path, sep, lua_tostring(L, -1));
      err = remove_tree(L, depth + 1);
      if (err) {
        lua_replace(L, names); /* the failing path, pushed by the child */
        lua_settop(L, names);
        return err;
      }
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
    err = remove_one(path, &st);
  } else if (!err) {
    err = remove_one(path, &st);
  }
  if (err == ENOENT && depth > 0) err = 0;
  if (err) lua_pushvalue(L, -1);
  return err;
}

/* fs.remove(path [, {recursive = false}]) -> true | nil, err */
static int fs_remove(lua_State *L) {
  static const char *const options[] = { "recursive", NULL };
  const char *path = check_path(L, 1, NULL);
  int recursive = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    check_option_keys(L, 2, options);
    int t = lua_getfield(L, 2, "recursive");
    if (t != LUA_TNIL && t != LUA_TBOOLEAN) luaL_argerror(L, 2, "recursive must be a boolean");
    recursive = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  if (recursive) {
    lua_settop(L, 1);
    int err = remove_tree(L, 0);
    if (err) return fail(L, lua_tostring(L, -1), err);
  } else {
    struct stat st;
    if (lstat(path, &st) != 0) return fail(L, path, errno);
    int err = remove_one(path, &st);
    if (err) return fail(L, path, err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg fs_functions[] = {
  { "list", fs_list },
  { "stat", fs_stat },
  { "lstat", fs_lstat },
  { "exists", fs_exists },
  { "mkdir_p", fs_mkdir_p },
  { "read", fs_read },
  { "write", fs_write },
  { "remove", fs_remove },
  { NULL, NULL },
};

int luaopen_a0lua_core_fs(lua_State *L) {
  luaL_newlib(L, fs_functions);
  return 1;
}
