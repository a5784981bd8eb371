/*
 * http.c: a0lua.core.http, HTTP client sessions over the libcurl multi interface.
 *
 * Lua API
 *   http.session([opts]) -> session
 *     opts (every field optional; an unknown field or a wrong type raises):
 *       ca_file            string   CA bundle (PEM) used instead of the system store
 *       proxy              string   proxy URL for every non-loopback request ("" disables the
 *                                   proxy environment variables too); default: libcurl's
 *                                   http_proxy / https_proxy / no_proxy environment variables
 *       user_agent         string   default "a0lua/<version>", or "a0lua" without a version
 *       version            string   the program version put in the default user agent
 *       max_connections    integer  connections per host, default 50 (more requests queue)
 *       max_total_connections integer  connections open at once over all hosts, default 128
 *                                   (CURLMOPT_MAX_TOTAL_CONNECTIONS): a request past it closes
 *                                   the session's oldest idle connection, or waits for one. A
 *                                   fleet holds one host per tenant and sets its own total
 *                                   (lua/a0lua/fleet/deploy.lua, docs/architecture.md)
 *       max_cached_connections integer  connections kept open after use (CURLMOPT_MAXCONNECTS),
 *                                   default max_total_connections; past it libcurl closes its
 *                                   own oldest idle connection
 *       connect_timeout_ms integer  default 0: libcurl's own (300 s)
 *       timeout_ms         integer  default whole-request timeout, 0 (default) = none
 *       insecure_loopback  boolean  skip TLS verification, but ONLY for URLs whose host is an
 *                                   IPv4 literal in 127.0.0.0/8, [::1], "localhost" or a name
 *                                   under .localhost (which always connects to 127.0.0.1); for
 *                                   any other host verification stays on whatever is asked
 *       resolve            array    "host:port:address" entries pinning a name to an address
 *                                   (CURLOPT_RESOLVE), e.g. a test domain to 127.0.0.1; a name
 *                                   pinned this way is not a loopback host, and "localhost"
 *                                   and names under .localhost cannot be pinned (raises)
 *   session:submit{method =, url =, headers =, body =, timeout_ms =, fresh_connect =} -> id
 *       method   string, default "GET"; HTTP token characters only
 *       url      string, http:// or https:// only (anything else raises)
 *       headers  {name = value}; value string or number; no CR, LF or NUL (raises)
 *       body     string or nil; copied into C memory owned by the session until completion
 *       timeout_ms  integer, 0 = the session's timeout_ms
 *       fresh_connect  boolean: send on a new connection. libcurl silently sends a request again
 *                   when a reused keep-alive connection closes before any answer, which for a
 *                   non-idempotent POST can create a resource twice; on a fresh connection it
 *                   reports http_network instead, and the caller decides.
 *     id is an integer unique within the session. Nothing is sent before session:poll().
 *   session:poll([timeout_ms]) -> { completion, ... }
 *       Runs the transfers and returns those that finished, in completion order. timeout_ms 0
 *       does not wait; a positive number waits at most that long for at least one completion;
 *       nil waits until at least one completes (returns {} at once when nothing is pending).
 *       A completion is { id =, status =, headers = {lower-case name = value}, body = } or, when
 *       the transfer failed, { id =, err = { code =, message =, curl_code = } } with code
 *       "http_timeout" (the request's timeout passed) or "http_network" (anything else: refused,
 *       reset, DNS, TLS, a closed connection without answer). HTTP 4xx/5xx are statuses, not
 *       errors. Repeated response headers are joined with ", "; only the final response's
 *       headers are kept (1xx and proxy CONNECT responses are skipped).
 *   session:pending() -> n            requests submitted and not yet returned by poll
 *   session:counters() -> { easy_handles =, wakeups =, socket_actions =, timer_actions = }
 *       what the session did so far: libcurl easy handles created (each finished one is kept
 *       for a later request, see below); how poll drove libcurl: waits on the sockets (poll(2)
 *       calls), actions on a ready socket, actions on libcurl's due timer. For specs and
 *       benchmarks; nothing else reads them.
 *   session:close()                   cancels what is in flight; idempotent (also __close, __gc)
 *   http.version                      curl_version(), e.g. "libcurl/7.88.1 OpenSSL/3.0.19 ..."
 *   http.now() -> ms                  a monotonic clock in milliseconds (float), for schedulers
 *
 * Behaviour and caveats
 *   - One CURLM per session: its connection cache keeps connections alive and reuses them; easy
 *     handles are recycled through a free list that holds as many as max_total_connections
 *     (at least SPARE_MAX): a fleet has that many requests in flight, and a handle made anew
 *     costs its buffers and, on cleanup, a pair of sigaction calls. HTTP/2 is negotiated over
 *     TLS when the server offers it (ALPN) and requests to one host are then multiplexed; plain
 *     http:// is HTTP/1.1.
 *   - poll drives the multi with curl_multi_socket_action: it waits with poll(2) on the sockets
 *     libcurl asked to watch, at most until libcurl's own next timeout, then steps only the
 *     transfers whose socket is ready or whose timer is due, so a wake-up costs the sockets with
 *     activity, not every transfer in flight (a fleet holds hundreds).
 *   - Redirects are not followed. Protocols other than http and https are refused.
 *   - Compressed responses (gzip, deflate, br, zstd) are asked for and decoded, so `body` is the
 *     decoded entity while the headers are the server's (content-length is the encoded size).
 *   - A request with a body, or with a method other than GET and HEAD, sends Content-Length;
 *     libcurl's default form Content-Type and "Expect: 100-continue" are not sent unless the
 *     caller sets those headers.
 *   - Loopback URLs never go through a proxy, so insecure_loopback only ever concerns this host.
 *   - The request timeout counts from submit, so time spent queued for a connection counts too.
 *   - Nothing is logged, and error messages never contain header values (tokens live there).
 *   - Every libcurl callback only appends to C buffers; Lua values are built after libcurl
 *     returns. All C memory hangs off the session userdata, so a Lua error (misuse, out of
 *     memory) at any point leaks nothing: the next submit/poll or close/__gc reclaims it.
 */
#include "core.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <limits.h>
#include <math.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SESSION_MT "a0lua.http.session"
#define SPARE_MAX 64           /* the fewest finished easy handles kept for reuse */
#define DEFAULT_MAX_CONNECTIONS 50
#define DEFAULT_MAX_TOTAL_CONNECTIONS 128
#define POLL_SLICE_MS 1000

typedef struct {
  char *data;
  size_t len, cap;
} buffer;

/* A resolve entry "NAME:PORT:127.0.0.1" for a name under .localhost, which submit refuses past
 * NAME_MAX_LEN bytes (a DNS name's most). */
#define NAME_MAX_LEN 253
#define PIN_MAX (NAME_MAX_LEN + sizeof ":65535:127.0.0.1")

typedef struct request {
  struct request *prev, *next;
  CURL *easy;
  lua_Integer id;
  struct curl_slist *headers;
  char *body;
  size_t body_len;
  buffer resp_body, resp_headers;
  int oom;
  long status;
  CURLcode result;
  char errbuf[CURL_ERROR_SIZE];
  char pin[PIN_MAX];            /* a .localhost name's resolve entry, see PIN_MAX */
  struct curl_slist pin_entry;  /* pin, then the session's resolve list */
} request;

typedef struct {
  CURLM *multi;
  request *active;              /* added to the multi, not finished */
  request *done, *done_tail;    /* finished, not yet handed to Lua (FIFO) */
  request *spare;               /* recycled records that keep their easy handle */
  request *staging;             /* the record submit is filling in */
  int spare_count;
  long spare_max;               /* the most spare records kept: see SPARE_MAX */
  lua_Integer easy_handles;     /* created so far: session:counters() */
  lua_Integer pending;
  lua_Integer next_id;
  char *ca_file, *proxy, *user_agent;
  struct curl_slist *resolve;
  long connect_timeout_ms, timeout_ms, max_connections, max_total_connections;
  long max_cached_connections;
  int has_proxy, insecure_loopback, closed;
  /* The sockets libcurl asked to watch (CURLMOPT_SOCKETFUNCTION): fds[0..nfds) with the events
   * wanted, slot[fd] its index there or -1; ready is poll's scratch list, as long as fds. */
  struct pollfd *fds;
  struct { curl_socket_t fd; int bits; } *ready;
  int nfds, fds_cap, *slot, slot_cap;
  double timer_due;             /* libcurl's next timeout (CURLMOPT_TIMERFUNCTION), < 0: none */
  lua_Integer wakeups, socket_actions, timer_actions;  /* session:counters() */
} session;

/* ---- small helpers ---------------------------------------------------------------------- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Appends n bytes; 0 when memory ran out (the buffer is left as it was). */
static int buffer_add(buffer *b, const char *p, size_t n) {
  if (n > SIZE_MAX - b->len - 1) return 0;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1) {
      if (cap > SIZE_MAX / 2) { cap = b->len + n + 1; break; }
      cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) return 0;
    b->data = data;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 1;
}

static void buffer_free(buffer *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static char *dup_string(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) { memcpy(p, s, n); p[n] = '\0'; }
  return p;
}

static int is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_token(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_tchar((unsigned char)s[i])) return 0;
  return 1;
}

/* A header value may hold anything visible, spaces and tabs, but no CR, LF, NUL. */
static int is_field_value(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return 0;
  return 1;
}

/* Is host a name under .localhost ("t17.localhost"): DNS labels (a letter or digit first, then
 * letters, digits and '-', at most 63 each) followed by ".localhost", no trailing dot? RFC 6761
 * reserves these names for the loopback. */
static int is_localhost_subdomain(const char *host, size_t n) {
  static const char SUFFIX[] = ".localhost";
  size_t k = sizeof SUFFIX - 1;
  if (n <= k || strncasecmp(host + n - k, SUFFIX, k) != 0) return 0;
  size_t label = 0;
  for (size_t i = 0; i < n - k; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c == '.') {
      if (label == 0) return 0;
      label = 0;
    } else if (isalnum(c) || (c == '-' && label > 0)) {
      if (++label > 63) return 0;
    } else {
      return 0;
    }
  }
  return label > 0;
}

/* Is this URL host (as curl_url_get returns it) the loopback: 127.0.0.0/8, [::1], localhost?
 * LOOPBACK_NAMED for a name under .localhost, which submit pins to 127.0.0.1 itself. */
enum { NOT_LOOPBACK = 0, LOOPBACK = 1, LOOPBACK_NAMED = 2 };
static int is_loopback_host(const char *host) {
  if (strcasecmp(host, "localhost") == 0) return LOOPBACK;
  struct in_addr a4;
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127 ? LOOPBACK : NOT_LOOPBACK;
  size_t n = strlen(host);
  if (is_localhost_subdomain(host, n)) return LOOPBACK_NAMED;
  if (n > 2 && n < 64 && host[0] == '[' && host[n - 1] == ']') {
    char inner[64];
    memcpy(inner, host + 1, n - 2);
    inner[n - 2] = '\0';
    struct in6_addr a6;
    if (inet_pton(AF_INET6, inner, &a6) == 1)
      return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0 ? LOOPBACK : NOT_LOOPBACK;
  }
  return NOT_LOOPBACK;
}

/* A name under .localhost is pinned to 127.0.0.1 by a resolve entry of the request's own,
 * "NAME:PORT:127.0.0.1", put in front of the session's list (which may not name such hosts).
 * libcurl 7.85 and later resolve these names to the loopback without DNS themselves; older ones
 * ask the resolver. Pinning here keeps a token for such a host on this machine whatever the
 * libcurl, the DNS or the session's options. A resolve entry, unlike CURLOPT_CONNECT_TO, keeps
 * the name as the connection's host: each name has its own connections and its own
 * max_connections, as tenants on different machines would, instead of all of them sharing (and
 * closing each other's) connections to 127.0.0.1 (`a0lua emulate --tenants`). The entry is
 * request.pin (PIN_MAX). */

/* ---- libcurl callbacks: append only ----------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  request *r = ud;
  size_t n = size * nmemb;
  if (!buffer_add(&r->resp_body, ptr, n)) { r->oom = 1; return 0; }
  return n;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *ud) {
  request *r = ud;
  size_t n = size * nitems;
  /* A status line starts a new response (after 1xx or a proxy CONNECT): keep only the last. */
  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) r->resp_headers.len = 0;
  if (!buffer_add(&r->resp_headers, ptr, n)) { r->oom = 1; return 0; }
  return n;
}

/* ---- request records -------------------------------------------------------------------- */

static void list_unlink(request **head, request *r) {
  if (r->prev) r->prev->next = r->next; else *head = r->next;
  if (r->next) r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

static void list_push(request **head, request *r) {
  r->prev = NULL;
  r->next = *head;
  if (*head) (*head)->prev = r;
  *head = r;
}

/* Frees what a record holds for one transfer; keeps the easy handle. */
static void request_clear(request *r) {
  if (r->easy) curl_easy_reset(r->easy);
  curl_slist_free_all(r->headers);
  r->headers = NULL;
  free(r->body);
  r->body = NULL;
  r->body_len = 0;
  buffer_free(&r->resp_body);
  buffer_free(&r->resp_headers);
  r->oom = 0;
  r->status = 0;
  r->result = CURLE_OK;
  r->errbuf[0] = '\0';
}

static void request_destroy(request *r) {
  request_clear(r);
  /* The reset turned NOSIGNAL off again, and cleanup would then set and restore SIGPIPE's
   * handler around its work: two system calls per handle, for nothing. */
  if (r->easy) curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
  if (r->easy) curl_easy_cleanup(r->easy);
  free(r);
}

/* Returns a cleared record to the free list (or frees it when the list is full). */
static void request_recycle(session *s, request *r) {
  request_clear(r);
  if (s->spare_count >= s->spare_max) { request_destroy(r); return; }
  list_push(&s->spare, r);
  s->spare_count++;
}

/* A record with an easy handle, or NULL when memory ran out. */
static request *request_acquire(session *s) {
  request *r = s->spare;
  if (r) {
    list_unlink(&s->spare, r);
    s->spare_count--;
    return r;
  }
  r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->easy = curl_easy_init();
  if (!r->easy) { free(r); return NULL; }
  s->easy_handles++;
  return r;
}

/* ---- session lifetime ------------------------------------------------------------------- */

static void session_release(session *s) {
  request *r;
  while ((r = s->active) != NULL) {
    list_unlink(&s->active, r);
    curl_multi_remove_handle(s->multi, r->easy);
    request_destroy(r);
  }
  while ((r = s->done) != NULL) {
    list_unlink(&s->done, r);
    request_destroy(r);
  }
  s->done_tail = NULL;
  while ((r = s->spare) != NULL) {
    list_unlink(&s->spare, r);
    request_destroy(r);
  }
  s->spare_count = 0;
  if (s->staging) { request_destroy(s->staging); s->staging = NULL; }
  if (s->multi) { curl_multi_cleanup(s->multi); s->multi = NULL; }
  free(s->fds);
  free(s->ready);
  free(s->slot);
  s->fds = NULL;
  s->ready = NULL;
  s->slot = NULL;
  s->nfds = s->fds_cap = s->slot_cap = 0;
  s->timer_due = -1;
  free(s->ca_file);
  free(s->proxy);
  free(s->user_agent);
  curl_slist_free_all(s->resolve);
  s->ca_file = s->proxy = s->user_agent = NULL;
  s->resolve = NULL;
  s->pending = 0;
  s->closed = 1;
}

static session *check_session(lua_State *L, int idx) {
  session *s = luaL_checkudata(L, idx, SESSION_MT);
  if (s->closed) luaL_argerror(L, idx, "session is closed");
  return s;
}

/* Copies the string field `name` of the options table at idx into *dst (NULL when absent). */
static void opt_string(lua_State *L, int idx, const char *name, char **dst, int *present) {
  int t = lua_getfield(L, idx, name);
  if (t != LUA_TNIL) {
    if (t != LUA_TSTRING) luaL_error(L, "http.session: option %s must be a string", name);
    size_t n;
    const char *v = lua_tolstring(L, -1, &n);
    if (strlen(v) != n) luaL_error(L, "http.session: option %s contains a NUL byte", name);
    free(*dst);
    *dst = dup_string(v, n);
    if (!*dst) luaL_error(L, "http.session: out of memory");
    if (present) *present = 1;
  }
  lua_pop(L, 1);
}

static long opt_ms(lua_State *L, int idx, const char *name, long dflt, long min) {
  long v = dflt;
  int t = lua_getfield(L, idx, name);
  if (t != LUA_TNIL) {
    if (!lua_isinteger(L, -1))
      luaL_error(L, "http.session: option %s must be an integer", name);
    lua_Integer i = lua_tointeger(L, -1);
    if (i < min || i > LONG_MAX)
      luaL_error(L, "http.session: option %s must be an integer >= %d", name, (int)min);
    v = (long)i;
  }
  lua_pop(L, 1);
  return v;
}

static const char *const SESSION_OPTIONS[] = {
  "ca_file", "proxy", "user_agent", "version", "max_connections", "max_total_connections",
  "max_cached_connections", "connect_timeout_ms", "timeout_ms", "insecure_loopback", "resolve",
  NULL
};

static void check_option_names(lua_State *L, int idx) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -1);
      for (int i = 0; SESSION_OPTIONS[i]; i++)
        if (strcmp(k, SESSION_OPTIONS[i]) == 0) known = 1;
    }
    if (!known) {
      lua_pushfstring(L, "http.session: unknown option %s", luaL_tolstring(L, -1, NULL));
      lua_error(L);
    }
  }
}

/* The "host" of a "[+-]host:port:address" resolve entry is "localhost" or a name under it (any
 * case)? */
static int resolve_names_localhost(const char *e) {
  if (*e == '+' || *e == '-') e++;
  const char *colon = strchr(e, ':');
  size_t n = colon ? (size_t)(colon - e) : strlen(e);
  return (n == 9 && strncasecmp(e, "localhost", 9) == 0) || is_localhost_subdomain(e, n);
}

static void opt_resolve(lua_State *L, int idx, session *s) {
  int t = lua_getfield(L, idx, "resolve");
  if (t != LUA_TNIL) {
    if (t != LUA_TTABLE) luaL_error(L, "http.session: option resolve must be an array of strings");
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
      size_t len;
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
        luaL_error(L, "http.session: resolve[%d] must be a string", (int)i);
      const char *e = lua_tolstring(L, -1, &len);
      if (strlen(e) != len || !is_field_value(e, len) || !strchr(e, ':'))
        luaL_error(L, "http.session: resolve[%d] must be \"host:port:address\"", (int)i);
      if (resolve_names_localhost(e))
        luaL_error(L, "http.session: resolve[%d] may not pin localhost or a name under it", (int)i);
      struct curl_slist *l = curl_slist_append(s->resolve, e);
      if (!l) luaL_error(L, "http.session: out of memory");
      s->resolve = l;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* ---- the sockets and the timer libcurl asks for ---------------------------------------- */

/* Grows the watched-socket list to hold one more; 0 when out of memory. */
static int fds_reserve(session *s) {
  if (s->nfds < s->fds_cap) return 1;
  int cap = s->fds_cap ? s->fds_cap * 2 : 16;
  struct pollfd *fds = realloc(s->fds, (size_t)cap * sizeof *fds);
  if (!fds) return 0;
  s->fds = fds;
  void *ready = realloc(s->ready, (size_t)cap * sizeof *s->ready);
  if (!ready) return 0;
  s->ready = ready;
  s->fds_cap = cap;
  return 1;
}

/* Grows slot to index fd; 0 when out of memory. */
static int slot_reserve(session *s, curl_socket_t fd) {
  if (fd < s->slot_cap) return 1;
  if (fd >= INT_MAX / 2) return 0;
  int cap = s->slot_cap ? s->slot_cap : 64;
  while (cap <= fd) cap *= 2;
  int *slot = realloc(s->slot, (size_t)cap * sizeof *slot);
  if (!slot) return 0;
  for (int i = s->slot_cap; i < cap; i++) slot[i] = -1;
  s->slot = slot;
  s->slot_cap = cap;
  return 1;
}

/* CURLMOPT_SOCKETFUNCTION: keeps fds in step with what libcurl wants to hear about fd. Returning
 * -1 (out of memory) makes libcurl fail the multi call, which poll reports. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  (void)easy;
  (void)socketp;
  session *s = userp;
  if (fd < 0) return 0;
  int i = fd < s->slot_cap ? s->slot[fd] : -1;
  if (what == CURL_POLL_REMOVE) {
    if (i >= 0) {
      s->fds[i] = s->fds[--s->nfds];
      s->slot[s->fds[i].fd] = i;
      s->slot[fd] = -1;
    }
    return 0;
  }
  short events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
                         ((what & CURL_POLL_OUT) ? POLLOUT : 0));
  if (i < 0) {
    if (!slot_reserve(s, fd) || !fds_reserve(s)) return -1;
    i = s->nfds++;
    s->fds[i].fd = fd;
    s->slot[fd] = i;
  }
  s->fds[i].events = events;
  s->fds[i].revents = 0;
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl wants a CURL_SOCKET_TIMEOUT action; -1 cancels. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  session *s = userp;
  s->timer_due = timeout_ms < 0 ? -1 : now_ms() + (double)timeout_ms;
  return 0;
}

/* http.session([opts]) -> session */
static int http_session(lua_State *L) {
  int has_opts = !lua_isnoneornil(L, 1);
  if (has_opts) luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  /* The userdata exists, closed and empty, before anything is acquired. */
  session *s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  s->timer_due = -1;
  luaL_setmetatable(L, SESSION_MT);
  s->max_connections = DEFAULT_MAX_CONNECTIONS;
  s->max_total_connections = DEFAULT_MAX_TOTAL_CONNECTIONS;
  s->next_id = 1;
  if (has_opts) {
    check_option_names(L, 1);
    opt_string(L, 1, "ca_file", &s->ca_file, NULL);
    opt_string(L, 1, "proxy", &s->proxy, &s->has_proxy);
    opt_string(L, 1, "user_agent", &s->user_agent, NULL);
    s->max_connections = opt_ms(L, 1, "max_connections", DEFAULT_MAX_CONNECTIONS, 1);
    s->max_total_connections =
      opt_ms(L, 1, "max_total_connections", DEFAULT_MAX_TOTAL_CONNECTIONS, 1);
    s->max_cached_connections = opt_ms(L, 1, "max_cached_connections", 0, 1);
    s->connect_timeout_ms = opt_ms(L, 1, "connect_timeout_ms", 0, 0);
    s->timeout_ms = opt_ms(L, 1, "timeout_ms", 0, 0);
    int t = lua_getfield(L, 1, "insecure_loopback");
    if (t != LUA_TNIL && t != LUA_TBOOLEAN)
      luaL_error(L, "http.session: option insecure_loopback must be a boolean");
    s->insecure_loopback = lua_toboolean(L, -1);
    lua_pop(L, 1);
    opt_resolve(L, 1, s);
  }
  const char *version = NULL;
  if (has_opts && lua_getfield(L, 1, "version") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "http.session: option version must be a string");
    version = lua_tostring(L, -1);
  }
  if (!s->user_agent) {
    if (version) lua_pushfstring(L, "a0lua/%s", version);
    else lua_pushliteral(L, "a0lua");
    size_t n;
    const char *ua = lua_tolstring(L, -1, &n);
    if (strlen(ua) != n || !is_field_value(ua, n))
      luaL_error(L, "http.session: option version must not contain control characters");
    s->user_agent = dup_string(ua, n);
    if (!s->user_agent) luaL_error(L, "http.session: out of memory");
  } else if (!is_field_value(s->user_agent, strlen(s->user_agent))) {
    luaL_error(L, "http.session: option user_agent must not contain CR or LF");
  }
  lua_settop(L, 2);
  s->spare_max = s->max_total_connections > SPARE_MAX ? s->max_total_connections : SPARE_MAX;
  s->multi = curl_multi_init();
  if (!s->multi) luaL_error(L, "http.session: curl_multi_init failed");
  curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, s->max_connections);
  curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, s->max_total_connections);
  curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, s->max_cached_connections
                    ? s->max_cached_connections : s->max_total_connections);
  curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
  curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
  return 1;
}

/* session:close() */
static int http_session_close(lua_State *L) {
  session *s = luaL_checkudata(L, 1, SESSION_MT);
  if (!s->closed) session_release(s);
  return 0;
}

/* ---- submit ----------------------------------------------------------------------------- */

#define SETOPT(opt, val) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(r->easy, (opt), (val)); } while (0)

/* Reads req.headers into r->headers; raises on a bad name or value (r is owned by s). */
static void build_headers(lua_State *L, request *r, int *has_ctype, int *has_expect) {
  int t = lua_getfield(L, 2, "headers");
  if (t == LUA_TNIL) { lua_pop(L, 1); return; }
  if (t != LUA_TTABLE) luaL_error(L, "session:submit: headers must be a table");
  int idx = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "session:submit: header names must be strings");
    size_t nlen, vlen;
    const char *name = lua_tolstring(L, -2, &nlen);
    if (!is_token(name, nlen)) luaL_error(L, "session:submit: bad header name %s", name);
    int vt = lua_type(L, -1);
    if (vt != LUA_TSTRING && vt != LUA_TNUMBER)
      luaL_error(L, "session:submit: header %s must be a string or a number", name);
    lua_pushvalue(L, -1);
    const char *value = lua_tolstring(L, -1, &vlen);
    if (!is_field_value(value, vlen))
      luaL_error(L, "session:submit: header %s contains CR, LF or NUL", name);
    if (strcasecmp(name, "content-type") == 0) *has_ctype = 1;
    if (strcasecmp(name, "expect") == 0) *has_expect = 1;
    /* "Name;" is libcurl's way to send a header with an empty value. */
    if (vlen == 0) lua_pushfstring(L, "%s;", name);
    else lua_pushfstring(L, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(r->headers, lua_tostring(L, -1));
    if (!l) luaL_error(L, "session:submit: out of memory");
    r->headers = l;
    lua_pop(L, 3);
  }
  lua_pop(L, 1);
}

/* Parses and checks the URL: raises unless it is http(s); returns whether its host is loopback
 * (is_loopback_host's answer). */
static int check_url(lua_State *L, const char *url, int *https, char pin[PIN_MAX]) {
  CURLU *u = curl_url();
  if (!u) luaL_error(L, "session:submit: out of memory");
  char *scheme = NULL, *host = NULL, *port = NULL;
  int http = 0, loopback = 0;
  CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
  if (uc == CURLUE_OK) uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if (uc == CURLUE_OK) {
    http = strcmp(scheme, "http") == 0;
    *https = strcmp(scheme, "https") == 0;
    if (http || *https) uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  }
  if (uc == CURLUE_OK && host) loopback = is_loopback_host(host);
  /* A longer name is no DNS name; refused rather than let go unpinned. */
  int too_long = loopback == LOOPBACK_NAMED && strlen(host) > NAME_MAX_LEN;
  if (loopback == LOOPBACK_NAMED && !too_long) {
    uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (uc == CURLUE_OK) snprintf(pin, PIN_MAX, "%s:%s:127.0.0.1", host, port);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  /* "file:///x" has no host: the scheme is the better complaint, so it comes first. */
  if (uc == CURLUE_NO_HOST && !http && !*https) uc = CURLUE_OK;
  if (uc != CURLUE_OK) luaL_error(L, "session:submit: invalid url (%s)", curl_url_strerror(uc));
  if (!http && !*https) luaL_error(L, "session:submit: url must be http:// or https://");
  if (too_long) luaL_error(L, "session:submit: host name longer than %d bytes", NAME_MAX_LEN);
  return loopback;
}

/* session:submit{method =, url =, headers =, body =, timeout_ms =, fresh_connect =} -> id */
static int http_session_submit(lua_State *L) {
  session *s = check_session(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);

  size_t url_len, method_len = 3, body_len = 0;
  if (lua_getfield(L, 2, "url") != LUA_TSTRING) luaL_error(L, "session:submit: url must be a string");
  const char *url = lua_tolstring(L, -1, &url_len);
  if (strlen(url) != url_len) luaL_error(L, "session:submit: url contains a NUL byte");
  int https = 0;
  char pin[PIN_MAX] = "";
  int loopback = check_url(L, url, &https, pin);

  const char *method = "GET";
  int t = lua_getfield(L, 2, "method");
  if (t != LUA_TNIL) {
    if (t != LUA_TSTRING) luaL_error(L, "session:submit: method must be a string");
    method = lua_tolstring(L, -1, &method_len);
    if (!is_token(method, method_len)) luaL_error(L, "session:submit: bad method");
  }

  const char *body = NULL;
  t = lua_getfield(L, 2, "body");
  if (t != LUA_TNIL) {
    if (t != LUA_TSTRING) luaL_error(L, "session:submit: body must be a string or nil");
    body = lua_tolstring(L, -1, &body_len);
  }

  long timeout_ms = s->timeout_ms;
  t = lua_getfield(L, 2, "timeout_ms");
  if (t != LUA_TNIL) {
    lua_Integer v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
    if (v < 0 || v > LONG_MAX) luaL_error(L, "session:submit: timeout_ms must be an integer >= 0");
    if (v > 0) timeout_ms = (long)v;
  }

  int fresh_connect = 0;
  t = lua_getfield(L, 2, "fresh_connect");
  if (t != LUA_TNIL) {
    if (t != LUA_TBOOLEAN) luaL_error(L, "session:submit: fresh_connect must be a boolean");
    fresh_connect = lua_toboolean(L, -1);
  }

  /* From here on every C allocation belongs to s->staging, so raising leaks nothing. */
  if (s->staging) { request_recycle(s, s->staging); s->staging = NULL; }
  request *r = request_acquire(s);
  if (!r) luaL_error(L, "session:submit: out of memory");
  s->staging = r;

  int has_ctype = 0, has_expect = 0;
  build_headers(L, r, &has_ctype, &has_expect);

  int is_head = strcmp(method, "HEAD") == 0, is_get = strcmp(method, "GET") == 0;
  int sends_body = body != NULL || (!is_get && !is_head);
  if (sends_body) {
    r->body = malloc(body_len ? body_len : 1);
    if (!r->body) luaL_error(L, "session:submit: out of memory");
    if (body_len) memcpy(r->body, body, body_len);
    r->body_len = body_len;
    if (!has_ctype) {
      struct curl_slist *l = curl_slist_append(r->headers, "Content-Type:");
      if (!l) luaL_error(L, "session:submit: out of memory");
      r->headers = l;
    }
  }
  if (!has_expect) {
    struct curl_slist *l = curl_slist_append(r->headers, "Expect:");
    if (!l) luaL_error(L, "session:submit: out of memory");
    r->headers = l;
  }

  CURLcode rc = CURLE_OK;
  SETOPT(CURLOPT_URL, url);
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_PRIVATE, (void *)r);
  SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_WRITEDATA, (void *)r);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_HEADERDATA, (void *)r);
  SETOPT(CURLOPT_USERAGENT, s->user_agent);
  SETOPT(CURLOPT_HTTPHEADER, r->headers);
  SETOPT(CURLOPT_ACCEPT_ENCODING, "");
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_FRESH_CONNECT, fresh_connect ? 1L : 0L);
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  if (https) SETOPT(CURLOPT_PIPEWAIT, 1L);
  if (s->connect_timeout_ms) SETOPT(CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
  if (timeout_ms) SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
  if (s->ca_file) SETOPT(CURLOPT_CAINFO, s->ca_file);
  if (loopback == LOOPBACK_NAMED) {
    memcpy(r->pin, pin, sizeof r->pin);
    r->pin_entry.data = r->pin;
    r->pin_entry.next = s->resolve;
    SETOPT(CURLOPT_RESOLVE, &r->pin_entry);
  } else if (s->resolve) {
    SETOPT(CURLOPT_RESOLVE, s->resolve);
  }
  if (loopback) SETOPT(CURLOPT_NOPROXY, "*");
  else if (s->has_proxy) SETOPT(CURLOPT_PROXY, s->proxy);
  int verify = !(loopback && s->insecure_loopback);
  SETOPT(CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
  if (is_head) {
    SETOPT(CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    SETOPT(CURLOPT_POSTFIELDS, r->body);
    if (strcmp(method, "POST") != 0) SETOPT(CURLOPT_CUSTOMREQUEST, method);
  }
  if (rc != CURLE_OK) luaL_error(L, "session:submit: %s", curl_easy_strerror(rc));

  CURLMcode mc = curl_multi_add_handle(s->multi, r->easy);
  if (mc != CURLM_OK) luaL_error(L, "session:submit: %s", curl_multi_strerror(mc));
  s->staging = NULL;
  r->id = s->next_id++;
  list_push(&s->active, r);
  s->pending++;
  lua_pushinteger(L, r->id);
  return 1;
}

/* ---- poll ------------------------------------------------------------------------------- */

/* Moves every finished transfer from the multi to the done list. */
static void collect_done(session *s) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL *easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    request *r = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
    curl_multi_remove_handle(s->multi, easy);
    if (!r) continue;
    r->result = result;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    list_unlink(&s->active, r);
    r->next = NULL;
    r->prev = s->done_tail;
    if (s->done_tail) s->done_tail->next = r; else s->done = r;
    s->done_tail = r;
  }
}

static const char *skip_ows(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  return p;
}

static const char *trim_ows(const char *start, const char *end) {
  while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
  return end;
}

/* Pushes the headers table parsed from the raw header block of r. */
static void push_headers(lua_State *L, const request *r) {
  lua_newtable(L);
  int t = lua_gettop(L);
  lua_pushnil(L); /* slot t+1: the last header name, for obsolete folded lines */
  const char *p = r->resp_headers.data, *end = p + r->resp_headers.len;
  while (p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *next = eol ? eol + 1 : end;
    const char *line_end = eol ? eol : end;
    if (line_end > p && line_end[-1] == '\r') line_end--;
    if (line_end == p || (line_end - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) { p = next; continue; }
    if ((*p == ' ' || *p == '\t') && !lua_isnil(L, t + 1)) {
      /* obs-fold: continues the previous header's value */
      const char *v = skip_ows(p, line_end), *ve = trim_ows(v, line_end);
      lua_pushvalue(L, t + 1);
      lua_pushvalue(L, t + 1);
      lua_rawget(L, t);
      lua_pushliteral(L, " ");
      lua_pushlstring(L, v, (size_t)(ve - v));
      lua_concat(L, 3);
      lua_rawset(L, t);
      p = next;
      continue;
    }
    const char *colon = memchr(p, ':', (size_t)(line_end - p));
    if (!colon || colon == p) { p = next; continue; }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (const char *c = p; c < trim_ows(p, colon); c++) {
      char ch = *c;
      luaL_addchar(&b, (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch);
    }
    luaL_pushresult(&b);
    lua_replace(L, t + 1);
    const char *v = skip_ows(colon + 1, line_end), *ve = trim_ows(v, line_end);
    lua_pushvalue(L, t + 1);
    lua_pushvalue(L, t + 1);
    if (lua_rawget(L, t) == LUA_TSTRING) {
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, v, (size_t)(ve - v));
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, v, (size_t)(ve - v));
    }
    lua_rawset(L, t);
    p = next;
  }
  lua_pop(L, 1);
}

/* Pushes the completion table of a finished request. */
static void push_completion(lua_State *L, const request *r) {
  luaL_checkstack(L, 8, "http completion");
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, r->id);
  lua_setfield(L, -2, "id");
  if (r->result == CURLE_OK) {
    lua_pushinteger(L, r->status);
    lua_setfield(L, -2, "status");
    push_headers(L, r);
    lua_setfield(L, -2, "headers");
    if (r->resp_body.data) lua_pushlstring(L, r->resp_body.data, r->resp_body.len);
    else lua_pushliteral(L, "");
    lua_setfield(L, -2, "body");
    return;
  }
  const char *code = r->result == CURLE_OPERATION_TIMEDOUT ? "http_timeout" : "http_network";
  if (r->oom) a0_new_error(L, code, "out of memory while buffering the response");
  else if (r->errbuf[0]) a0_new_error(L, code, "%s: %s", curl_easy_strerror(r->result), r->errbuf);
  else a0_new_error(L, code, "%s", curl_easy_strerror(r->result));
  a0_error_set_int(L, "curl_code", (lua_Integer)r->result);
  lua_setfield(L, -2, "err");
}

/* Waits at most wait_ms for the watched sockets, then runs libcurl for each socket that is ready
 * and for its timer when due: only the transfers with something to do are stepped. */
static void drive(lua_State *L, session *s, int wait_ms) {
  if (s->timer_due >= 0) {
    double t = ceil(s->timer_due - now_ms());
    if (t < wait_ms) wait_ms = t > 0 ? (int)t : 0;
  }
  s->wakeups++;
  int n = poll(s->fds, (nfds_t)s->nfds, wait_ms);
  if (n < 0 && errno != EINTR) luaL_error(L, "session:poll: %s", strerror(errno));
  /* Actions add and remove sockets, so the ready ones are listed before any runs. */
  int nready = 0;
  for (int i = 0; n > 0 && i < s->nfds; i++) {
    short re = s->fds[i].revents;
    if (!re) continue;
    n--;
    s->fds[i].revents = 0;
    int bits = 0;
    if (re & (POLLIN | POLLHUP)) bits |= CURL_CSELECT_IN;
    if (re & POLLOUT) bits |= CURL_CSELECT_OUT;
    if (re & (POLLERR | POLLHUP | POLLNVAL)) {
      /* libcurl reads or writes as it wanted to and meets the error there */
      bits |= CURL_CSELECT_ERR;
      if (s->fds[i].events & POLLIN) bits |= CURL_CSELECT_IN;
      if (s->fds[i].events & POLLOUT) bits |= CURL_CSELECT_OUT;
    }
    s->ready[nready].fd = s->fds[i].fd;
    s->ready[nready].bits = bits;
    nready++;
  }
  int running = 0;
  for (int i = 0; i < nready; i++) {
    s->socket_actions++;
    CURLMcode mc = curl_multi_socket_action(s->multi, s->ready[i].fd, s->ready[i].bits, &running);
    if (mc != CURLM_OK) luaL_error(L, "session:poll: %s", curl_multi_strerror(mc));
  }
  if (s->timer_due >= 0 && now_ms() >= s->timer_due) {
    s->timer_due = -1;
    s->timer_actions++;
    CURLMcode mc = curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    if (mc != CURLM_OK) luaL_error(L, "session:poll: %s", curl_multi_strerror(mc));
  }
}

/* session:poll([timeout_ms]) -> { completion, ... } */
static int http_session_poll(lua_State *L) {
  session *s = check_session(L, 1);
  int forever = lua_isnoneornil(L, 2);
  double timeout = forever ? 0 : luaL_checknumber(L, 2);
  luaL_argcheck(L, forever || timeout >= 0, 2, "timeout must be >= 0");
  double deadline = now_ms() + (forever ? 0 : timeout);
  for (int first = 1;; first = 0) {
    /* The first pass does not wait: it takes what is ready already, all that timeout 0 asks. */
    double wait = 0;
    if (!first && forever) wait = POLL_SLICE_MS;
    else if (!first && (wait = ceil(deadline - now_ms())) <= 0) break;
    if (wait > INT_MAX) wait = INT_MAX;
    drive(L, s, (int)wait);
    collect_done(s);
    if (s->done || (forever && !s->active)) break;
  }
  /* Build every table first: if Lua runs out of memory, nothing is lost, the next poll retries. */
  lua_Integer n = 0;
  for (request *r = s->done; r; r = r->next) n++;
  lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
  lua_Integer i = 0;
  for (request *r = s->done; r; r = r->next) {
    push_completion(L, r);
    lua_rawseti(L, -2, ++i);
  }
  request *r;
  while ((r = s->done) != NULL) {
    list_unlink(&s->done, r);
    s->pending--;
    request_recycle(s, r);
  }
  s->done_tail = NULL;
  return 1;
}

/* session:pending() -> n */
static int http_session_pending(lua_State *L) {
  session *s = check_session(L, 1);
  lua_pushinteger(L, s->pending);
  return 1;
}

/* session:counters() -> { easy_handles =, wakeups =, socket_actions =, timer_actions = } */
static int http_session_counters(lua_State *L) {
  session *s = check_session(L, 1);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, s->easy_handles);
  lua_setfield(L, -2, "easy_handles");
  lua_pushinteger(L, s->wakeups);
  lua_setfield(L, -2, "wakeups");
  lua_pushinteger(L, s->socket_actions);
  lua_setfield(L, -2, "socket_actions");
  lua_pushinteger(L, s->timer_actions);
  lua_setfield(L, -2, "timer_actions");
  return 1;
}

/* tostring(session) -> "a0lua.http.session (open, n pending)" */
static int http_session_tostring(lua_State *L) {
  session *s = luaL_checkudata(L, 1, SESSION_MT);
  if (s->closed) lua_pushliteral(L, "a0lua.http.session (closed)");
  else lua_pushfstring(L, "a0lua.http.session (open, %I pending)", (lua_Integer)s->pending);
  return 1;
}

/* http.now() -> ms */
static int http_now(lua_State *L) {
  lua_pushnumber(L, now_ms());
  return 1;
}

static const luaL_Reg session_methods[] = {
  {"submit", http_session_submit},
  {"poll", http_session_poll},
  {"pending", http_session_pending},
  {"counters", http_session_counters},
  {"close", http_session_close},
  {NULL, NULL}
};

static const luaL_Reg session_meta[] = {
  {"__gc", http_session_close},
  {"__close", http_session_close},
  {"__tostring", http_session_tostring},
  {NULL, NULL}
};

static const luaL_Reg http_functions[] = {
  {"session", http_session},
  {"now", http_now},
  {NULL, NULL}
};

int luaopen_a0lua_core_http(lua_State *L) {
  static int curl_ready = 0;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "a0lua.core.http: curl_global_init failed");
    curl_ready = 1;
  }
  if (luaL_newmetatable(L, SESSION_MT)) {
    luaL_setfuncs(L, session_meta, 0);
    luaL_newlib(L, session_methods);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  luaL_newlib(L, http_functions);
  lua_pushstring(L, curl_version());
  lua_setfield(L, -2, "version");
  return 1;
}
