/*
 * yaml.c: the a0lua.core.yaml module. YAML text <-> Lua values, for tenant.yaml and friends.
 *
 * Lua API
 *   yaml.decode(text [, opts]) -> value, positions | value | nil, err
 *       opts.name       string: set as err.file, so tostring(err) reads "tenant.yaml:3:5: ..."
 *       opts.positions  boolean (default true): false returns the value alone
 *       opts.max_nodes  positive integer (default 10,000,000): see "Alias expansion" below
 *     Exactly one document. Scalars resolve as js-yaml 4.1 reads them (what a0deploy uses): plain
 *     true/True/TRUE, false/False/FALSE -> booleans; null/Null/NULL, ~ and the empty plain scalar
 *     -> yaml.null; yes/no/on/off/y/n are strings; integers [-+]?, decimal (a leading 0 is still
 *     decimal: 0123 is 123), 0x hex, 0o octal, 0b binary, with `_` separators (not first, not
 *     last) -> Lua integers, or floats when beyond int64 (as js-yaml, whose numbers are doubles);
 *     floats [-+]?1.5, 1e3, 1_000.5, .5, [-+].inf/.Inf/.INF, .nan/.NaN/.NAN (and, as in js-yaml,
 *     0_1 is the float 1.0; js-yaml 4.2 dropped `_`, 4.1 is what a0deploy uses); everything else
 *     is a string, dates included (js-yaml's default schema would make them timestamps). Quoted
 *     and block scalars are always strings.
 *     Tags honoured: !!str !!int !!float !!bool !!null (the content must read as that type),
 *     !!map !!seq (on the matching node), and the non-specific `!` (a string). Any other tag is
 *     a yaml_tag error. Sequences get the array marker; mappings are plain tables; keys must be
 *     scalars and are used as their text (key `1` is the string "1"). Anchors and aliases (an
 *     alias to a container is the same table), merge keys `<<` (a mapping or a list of them;
 *     explicit keys win, earlier merged mappings win over later ones). An alias inside the node it
 *     names (a cycle) is an error. A UTF-8 BOM is skipped.
 *     Empty text, or a document with no content (only comments, `---`): returns nil and nothing
 *     else (no positions): `value == nil and err == nil` means "empty", not a failure.
 *     positions: JSON pointer -> { line =, column = } (1-based) of every node reached by the
 *     parser: "" for the root, "/clients/0/name" (`~` written `~0`, `/` written `~1`). A mapping
 *     entry is located at its key, a sequence item at its start, an alias at the alias. Nodes
 *     under an alias and keys brought in by `<<` are located only where they were first written.
 *   yaml.encode(value [, opts]) -> string | nil, err
 *       opts.key_order  list of keys written first, in that order, in every mapping; the rest
 *                       follow in byte order
 *     Block style, indent 2, ends with a newline. Kinds are core.h's a0_kind. Empty containers
 *     inline ([] {}); list items that are mappings in the compact `- key: value` form. Strings:
 *     plain when that reads back as the same string in YAML 1.2 and 1.1 readers, else single
 *     quotes, double quotes (escapes) when a character needs one; multi-line strings as literal
 *     blocks (|, |-, |+, with an indentation indicator when the first line starts with a space
 *     or tab), or double quotes when a line has trailing blanks. Floats shortest round-trip, with
 *     a '.' so they read back as floats (1.0, 0.1, 1.0e+20, .inf, -.inf, .nan). Integer keys are
 *     written as their decimal text (they read back as strings).
 *   yaml.null, yaml.array(t), yaml.is_array(v), yaml.array_mt: core.h's shared markers.
 *   yaml.version: "libyaml 0.2.5".
 *
 * Errors: err = { code =, message =, line =, column = [, file =] } (1-based) for decode,
 * { code =, message =, path = } (a JSON pointer) for encode. Codes:
 *   yaml_syntax             libyaml's problem, at libyaml's problem mark; a tab where YAML counts
 *                           indentation says so ("a tab is not allowed for indentation")
 *   yaml_duplicate_key      at the second occurrence of the key (as js-yaml; keys compare as
 *                           their text, so `1` and "1" are the same key)
 *   yaml_multiple_documents at the start of the second document
 *   yaml_depth              nesting deeper than A0_MAX_DEPTH (decode), or deeper / a cycle (encode)
 *   yaml_tag                an unknown tag, or content that does not read as its tag's type
 *   yaml_alias              an alias to an anchor not defined before it, or inside its node
 *   yaml_alias_expansion    at the alias that expands the document past a limit (below)
 *   yaml_too_large          at the node past max_nodes, when no alias is to blame
 *   yaml_key                a null key, or a key that is a mapping or a sequence
 *   yaml_merge              a `<<` value that is not a mapping or a list of mappings
 *   yaml_encode             a value with no YAML form: function, userdata, thread, a key that is
 *                           neither a string nor an integer, two keys with the same text, a
 *                           string that is not valid UTF-8
 * Misuse raises: text not a string, value/opts of the wrong type, an unknown option.
 *
 * Alias expansion (the "billion laughs"): an alias to a container is the same Lua table, so decode
 * itself stays linear, but anything that walks or copies the value (a plan's deep copies and
 * diffs, JSON request bodies, schema checks) expands each alias again: nine aliases to nine
 * aliases ... is a small text and gigabytes once copied. So decode counts the nodes a document
 * produces when expanded: every scalar, key, sequence and mapping once, and at each alias all the
 * nodes of the node it names. Limits (go-yaml v3's heuristic, then a hard cap):
 *   - once there are more than 1,000 nodes, more than 100 of them through aliases, the share that
 *     comes through aliases may be at most 99 % up to 400,000 nodes, falling linearly to 10 % at
 *     4,000,000 nodes and beyond (a heavy but honest use of anchors stays far below);
 *   - at most opts.max_nodes (10,000,000) nodes in all, aliases included.
 * Either is an error at the position of the alias that crosses it, so the whole document is never
 * built, and no consumer downstream can be made to expand more than that.
 *
 * Memory: the libyaml parser, the event being looked at and the scratch buffers live in a
 * userdata with __gc, so a Lua error (out of memory) raised between libyaml calls leaks nothing.
 * libyaml never calls back into Lua; nothing longjmps through its frames. They are also freed
 * explicitly before decode/encode return.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core.h"

#define DECODER_MT "a0lua.yaml.decoder"
#define ENCODER_MT "a0lua.yaml.encoder"

/* Alias expansion limits (see the header comment). */
#define YAML_MAX_NODES 10000000
#define ALIAS_MIN_NODES 1000
#define ALIAS_MIN_ALIASED 100
#define ALIAS_SHARE_LOW 400000
#define ALIAS_SHARE_HIGH 4000000

/* libyaml refuses implicit keys longer than 1024 characters; longer keys use `? key`. */
#define LONG_KEY 1000

/* ---------------------------------------------------------------------------------------------
 * Growable C buffers (owned by a userdata; a failed realloc leaves the old block in place)
 */

typedef struct {
  char *p;
  size_t len, cap;
} buffer;

static void buffer_reserve(lua_State *L, buffer *b, size_t extra) {
  if (b->p && b->cap - b->len >= extra) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) {
    if (cap > SIZE_MAX / 2) luaL_error(L, "not enough memory");
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (!p) luaL_error(L, "not enough memory");
  b->p = p;
  b->cap = cap;
}

static void buffer_add(lua_State *L, buffer *b, const char *s, size_t n) {
  buffer_reserve(L, b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void buffer_addc(lua_State *L, buffer *b, char c) {
  if (b->len == b->cap) buffer_reserve(L, b, 1);
  b->p[b->len++] = c;
}

static void buffer_free(buffer *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* Appends "/" and a JSON pointer segment (`~` -> `~0`, `/` -> `~1`). */
static void buffer_add_segment(lua_State *L, buffer *b, const char *s, size_t n) {
  buffer_reserve(L, b, 2 * n + 1);
  char *o = b->p + b->len;
  *o++ = '/';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '~') { *o++ = '~'; *o++ = '0'; }
    else if (s[i] == '/') { *o++ = '~'; *o++ = '1'; }
    else *o++ = s[i];
  }
  b->len = (size_t)(o - b->p);
}

static void buffer_add_index(lua_State *L, buffer *b, lua_Integer i) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "/" LUA_INTEGER_FMT, i);
  buffer_add(L, b, tmp, (size_t)n);
}

/* ---------------------------------------------------------------------------------------------
 * Scalar resolution (js-yaml 4.1's core schema)
 */

static int is_null_word(const char *s, size_t n) {
  if (n == 0) return 1;
  if (n == 1) return s[0] == '~';
  return n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4));
}

/* 1 true, 0 false, -1 neither. */
static int bool_word(const char *s, size_t n) {
  if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4)))
    return 1;
  if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5)))
    return 0;
  return -1;
}

static int digit_value(unsigned char c, int base) {
  int v;
  if (c >= '0' && c <= '9') v = c - '0';
  else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
  else return -1;
  return v < base ? v : -1;
}

/* Copies s without `_` into scratch, NUL-terminated; returns it. */
static const char *strip_underscores(lua_State *L, buffer *scratch, const char *s, size_t n) {
  scratch->len = 0;
  buffer_reserve(L, scratch, n + 1);
  for (size_t i = 0; i < n; i++)
    if (s[i] != '_') scratch->p[scratch->len++] = s[i];
  scratch->p[scratch->len] = '\0';
  return scratch->p;
}

/* js-yaml 4.1's int: pushes the integer (a float beyond int64) and returns 1, or returns 0. */
static int push_int(lua_State *L, buffer *scratch, const char *s, size_t n) {
  size_t i = 0;
  int neg = 0, base = 10, has = 0, over = 0;
  if (n == 0) return 0;
  if (s[0] == '-' || s[0] == '+') { neg = s[0] == '-'; i = 1; }
  if (i < n && s[i] == '0') {
    if (i + 1 == n) { lua_pushinteger(L, 0); return 1; }
    char x = s[i + 1];
    if (x == 'b') base = 2;
    else if (x == 'x') base = 16;
    else if (x == 'o') base = 8;
    i += base == 10 ? 1 : 2;
  }
  if (base == 10 && i < n && s[i] == '_') return 0;
  size_t first = i;
  uint64_t u = 0;
  double d = 0;
  for (; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '_') continue;
    int v = digit_value(c, base);
    if (v < 0) return 0;
    has = 1;
    if (u > (UINT64_MAX - (uint64_t)v) / (uint64_t)base) over = 1;
    else u = u * (uint64_t)base + (uint64_t)v;
    d = d * base + v;
  }
  if (!has || s[n - 1] == '_') return 0;
  if (!over && u <= (uint64_t)INT64_MAX) {
    lua_pushinteger(L, neg ? -(lua_Integer)u : (lua_Integer)u);
  } else if (!over && neg && u == (uint64_t)INT64_MAX + 1) {
    lua_pushinteger(L, INT64_MIN);
  } else {
    if (base == 10) d = strtod(strip_underscores(L, scratch, s + first, n - first), NULL);
    lua_pushnumber(L, (lua_Number)(neg ? -d : d));
  }
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_word3(const char *s, const char *lower, const char *camel, const char *upper) {
  return !memcmp(s, lower, 3) || !memcmp(s, camel, 3) || !memcmp(s, upper, 3);
}

/* js-yaml 4.1's float: pushes the float and returns 1, or returns 0. */
static int push_float(lua_State *L, buffer *scratch, const char *s, size_t n) {
  size_t i = 0;
  if (n == 0 || s[n - 1] == '_') return 0;
  if (n == 4 && s[0] == '.' && is_word3(s + 1, "nan", "NaN", "NAN")) {
    lua_pushnumber(L, (lua_Number)NAN);
    return 1;
  }
  if (s[0] == '-' || s[0] == '+') i = 1;
  if (n - i == 4 && s[i] == '.' && is_word3(s + i + 1, "inf", "Inf", "INF")) {
    lua_pushnumber(L, s[0] == '-' ? (lua_Number)-HUGE_VAL : (lua_Number)HUGE_VAL);
    return 1;
  }
  if (s[i] == '.') {
    if (i != 0) return 0;                    /* .5 but not -.5 (js-yaml's pattern) */
    i++;
    size_t start = i;
    while (i < n && (is_digit(s[i]) || s[i] == '_')) i++;
    if (i == start) return 0;
  } else {
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n && (is_digit(s[i]) || s[i] == '_')) i++;
    if (i < n && s[i] == '.') {
      i++;
      while (i < n && (is_digit(s[i]) || s[i] == '_')) i++;
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n && is_digit(s[i])) i++;
  }
  if (i != n) return 0;
  const char *clean = strip_underscores(L, scratch, s, n);
  if (lua_stringtonumber(L, clean) == 0) {
    lua_pushnumber(L, (lua_Number)NAN);      /* ".e5" and the like: JS parseFloat gives NaN */
  } else if (lua_isinteger(L, -1)) {
    lua_Number x = (lua_Number)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushnumber(L, x);
  }
  return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Decoder
 */

typedef struct {
  yaml_parser_t parser;
  yaml_event_t event;
  int parser_open, event_held;
  buffer path;      /* JSON pointer of the node being read */
  buffer scratch;   /* number text without `_` */
} decoder;

static void decoder_close(decoder *d) {
  if (d->event_held) { yaml_event_delete(&d->event); d->event_held = 0; }
  if (d->parser_open) { yaml_parser_delete(&d->parser); d->parser_open = 0; }
  buffer_free(&d->path);
  buffer_free(&d->scratch);
}

/* decoder:__gc() */
static int decoder_gc(lua_State *L) {
  decoder_close(luaL_checkudata(L, 1, DECODER_MT));
  return 0;
}

typedef struct {
  lua_State *L;
  decoder *d;
  const char *text;
  size_t text_len;
  int positions;    /* stack index of the positions table, 0 when not wanted */
  int anchors;      /* stack index: anchor -> value */
  int anchor_keys;  /* stack index: anchor -> the scalar's text (false for a null scalar) */
  int null;         /* stack index of the null sentinel */
  int sizes;        /* stack index: anchored container -> the nodes it expands to, once read */
  lua_Integer nodes;        /* nodes produced so far, those reached through aliases included */
  lua_Integer aliased;      /* of which through aliases */
  lua_Integer max_nodes;
} reader;

static int fail_at(reader *r, yaml_mark_t m, const char *code, const char *fmt, ...) {
  lua_State *L = r->L;
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  a0_new_error(L, code, "%s", msg);
  a0_error_set_int(L, "line", (lua_Integer)m.line + 1);
  a0_error_set_int(L, "column", (lua_Integer)m.column + 1);
  lua_remove(L, -2);
  return 0;
}

/* The byte at line m.line, column m.column (0-based, in characters) of the text, or NULL. */
static const char *byte_at(reader *r, yaml_mark_t m) {
  const char *s = r->text, *end = r->text + r->text_len;
  if (r->text_len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3;
  for (size_t line = 0; line < m.line; line++) {
    while (s < end && *s != '\n' && *s != '\r') s++;
    if (s == end) return NULL;
    s += s + 1 < end && s[0] == '\r' && s[1] == '\n' ? 2 : 1;
  }
  for (size_t column = 0; s < end; s++) {
    if (((unsigned char)*s & 0xC0) == 0x80) continue;
    if (column++ == m.column) return s;
  }
  return NULL;
}

/*
 * libyaml names a tab in the indentation in three ways, the commonest ("found character that
 * cannot start any token") without saying it is a tab: 1 when the problem is such a tab.
 */
static int is_tab_problem(reader *r, const char *problem, yaml_mark_t m) {
  if (!strncmp(problem, "found a tab character", 21)) return 1;
  if (strcmp(problem, "found character that cannot start any token")) return 0;
  const char *c = byte_at(r, m);
  return c && *c == '\t';
}

/* 1 when only blanks come before the byte at m on its line. */
static int blanks_before(reader *r, yaml_mark_t m) {
  const char *c = byte_at(r, m);
  if (!c) return 1;
  while (c > r->text && c[-1] != '\n' && c[-1] != '\r') {
    c--;
    if (*c != ' ' && *c != '\t') return 0;
  }
  return 1;
}

static int fail_syntax(reader *r) {
  yaml_parser_t *p = &r->d->parser;
  const char *problem = p->problem ? p->problem : "invalid YAML";
  yaml_mark_t m = p->problem_mark;
  if (p->error == YAML_SCANNER_ERROR && is_tab_problem(r, problem, m)) {
    if (blanks_before(r, m))
      return fail_at(r, m, "yaml_syntax", "a tab is not allowed for indentation (indent with "
                     "spaces)");
    return fail_at(r, m, "yaml_syntax", "a tab is not allowed for indentation, which includes "
                   "the blanks after a '-', '?' or ':' that starts a node (use spaces)");
  }
  if (p->error == YAML_READER_ERROR) {
    /* Reader errors carry a byte offset only: count lines and characters up to it. */
    size_t off = p->problem_offset < r->text_len ? p->problem_offset : r->text_len;
    m.line = m.column = 0;
    size_t start = r->text_len >= 3 && !memcmp(r->text, "\xEF\xBB\xBF", 3) ? 3 : 0;
    for (size_t i = start; i < off; i++) {
      unsigned char c = (unsigned char)r->text[i];
      if (c == '\n') { m.line++; m.column = 0; }
      else if ((c & 0xC0) != 0x80) m.column++;
    }
    if (p->problem_value != -1) {
      char value[16];
      snprintf(value, sizeof value, "#%X", (unsigned)p->problem_value);
      return fail_at(r, m, "yaml_syntax", "%s (%s)", problem, value);
    }
    return fail_at(r, m, "yaml_syntax", "%s", problem);
  }
  if (p->error == YAML_MEMORY_ERROR) return luaL_error(r->L, "not enough memory");
  if (p->context)
    return fail_at(r, m, "yaml_syntax", "%s (%s at line %d)", problem, p->context,
                   (int)p->context_mark.line + 1);
  return fail_at(r, m, "yaml_syntax", "%s", problem);
}

/* Replaces the current event with the next one. 0 with an error pushed on a syntax error. */
static int next_event(reader *r) {
  decoder *d = r->d;
  if (d->event_held) { yaml_event_delete(&d->event); d->event_held = 0; }
  if (!yaml_parser_parse(&d->parser, &d->event)) return fail_syntax(r);
  d->event_held = 1;
  return 1;
}

static void record_position(reader *r, yaml_mark_t m) {
  lua_State *L = r->L;
  lua_pushlstring(L, r->d->path.p, r->d->path.len);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)m.line + 1);
  lua_setfield(L, -2, "line");
  lua_pushinteger(L, (lua_Integer)m.column + 1);
  lua_setfield(L, -2, "column");
  lua_rawset(L, r->positions);
}

static int tag_is(const yaml_char_t *tag, const char *name) {
  return strcmp((const char *)tag, name) == 0;
}

/* Pushes the value of the current scalar event. 0 with an error pushed on a bad tag. */
static int push_scalar(reader *r) {
  lua_State *L = r->L;
  yaml_event_t *e = &r->d->event;
  const char *s = (const char *)e->data.scalar.value;
  size_t n = e->data.scalar.length;
  const yaml_char_t *tag = e->data.scalar.tag;
  buffer *scratch = &r->d->scratch;
  if (!tag) {
    if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
      lua_pushlstring(L, s, n);
      return 1;
    }
    if (n == 0) { lua_pushvalue(L, r->null); return 1; }
    switch (s[0]) {
      case '~': case 'n': case 'N':
        if (is_null_word(s, n)) { lua_pushvalue(L, r->null); return 1; }
        break;
      case 't': case 'T': case 'f': case 'F': {
        int b = bool_word(s, n);
        if (b >= 0) { lua_pushboolean(L, b); return 1; }
        break;
      }
      case '-': case '+': case '.':
      case '0': case '1': case '2': case '3': case '4':
      case '5': case '6': case '7': case '8': case '9':
        if (push_int(L, scratch, s, n) || push_float(L, scratch, s, n)) return 1;
        break;
      default: break;
    }
    lua_pushlstring(L, s, n);
    return 1;
  }
  if (tag_is(tag, "!") || tag_is(tag, YAML_STR_TAG)) {
    lua_pushlstring(L, s, n);
    return 1;
  }
  if (tag_is(tag, YAML_INT_TAG)) {
    if (push_int(L, scratch, s, n)) return 1;
  } else if (tag_is(tag, YAML_FLOAT_TAG)) {
    if (push_float(L, scratch, s, n)) return 1;
  } else if (tag_is(tag, YAML_BOOL_TAG)) {
    int b = bool_word(s, n);
    if (b >= 0) { lua_pushboolean(L, b); return 1; }
  } else if (tag_is(tag, YAML_NULL_TAG)) {
    if (is_null_word(s, n)) { lua_pushvalue(L, r->null); return 1; }
  } else if (tag_is(tag, YAML_MAP_TAG) || tag_is(tag, YAML_SEQ_TAG)) {
    return fail_at(r, e->start_mark, "yaml_tag", "tag %s on a scalar", (const char *)tag);
  } else {
    return fail_at(r, e->start_mark, "yaml_tag", "unknown tag %s", (const char *)tag);
  }
  return fail_at(r, e->start_mark, "yaml_tag", "cannot read %s as %s",
                 lua_pushfstring(L, "'%s'", s), (const char *)tag);
}

static int parse_node(reader *r, int depth, int record);

/* The share of a document's nodes that may come from aliases, for a document of n nodes. */
static double allowed_alias_share(lua_Integer n) {
  if (n <= ALIAS_SHARE_LOW) return 0.99;
  if (n >= ALIAS_SHARE_HIGH) return 0.10;
  return 0.99 - 0.89 * (double)(n - ALIAS_SHARE_LOW) / (double)(ALIAS_SHARE_HIGH - ALIAS_SHARE_LOW);
}

/* Counts n more nodes at m (through an alias when aliased); 0 with an error pushed past a limit. */
static int count_nodes(reader *r, lua_Integer n, int aliased, yaml_mark_t m) {
  r->nodes += n;
  if (aliased) r->aliased += n;
  if (r->nodes > r->max_nodes) {
    if (aliased)
      return fail_at(r, m, "yaml_alias_expansion", "this alias adds %I nodes, which takes the "
                     "document past %I", n, r->max_nodes);
    return fail_at(r, m, "yaml_too_large", "the document has more than %I nodes", r->max_nodes);
  }
  if (aliased && r->aliased > ALIAS_MIN_ALIASED && r->nodes > ALIAS_MIN_NODES &&
      (double)r->aliased > allowed_alias_share(r->nodes) * (double)r->nodes)
    return fail_at(r, m, "yaml_alias_expansion", "aliases expand the document too much: %I of "
                   "its %I nodes come through aliases, more than %d %%", r->aliased, r->nodes,
                   (int)(allowed_alias_share(r->nodes) * 100 + 0.5));
  return 1;
}

/* The anchor, if any, of the current event names the value at the top of the stack. */
static void set_anchor(reader *r, const yaml_char_t *anchor) {
  if (!anchor) return;
  lua_pushvalue(r->L, -1);
  lua_setfield(r->L, r->anchors, (const char *)anchor);
}

/* Pushes the current event's alias target, counting the nodes it expands to. */
static int push_alias(reader *r) {
  lua_State *L = r->L;
  yaml_event_t *e = &r->d->event;
  const char *anchor = (const char *)e->data.alias.anchor;
  if (lua_getfield(L, r->anchors, anchor) == LUA_TNIL)
    return fail_at(r, e->start_mark, "yaml_alias", "unknown alias *%s", anchor);
  lua_Integer size = 1;
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_pushvalue(L, -1);
    if (lua_rawget(L, r->sizes) == LUA_TNIL)
      return fail_at(r, e->start_mark, "yaml_alias", "alias *%s inside the node it names (a cycle)",
                     anchor);
    size = lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  return count_nodes(r, size, 1, e->start_mark);
}

/* Pushes the current event, a mapping key, as its string. */
static int push_key(reader *r) {
  lua_State *L = r->L;
  yaml_event_t *e = &r->d->event;
  if (e->type == YAML_ALIAS_EVENT) {
    const char *anchor = (const char *)e->data.alias.anchor;
    int t = lua_getfield(L, r->anchor_keys, anchor);
    if (t == LUA_TSTRING) return count_nodes(r, 1, 1, e->start_mark);
    lua_pop(L, 1);
    if (t == LUA_TBOOLEAN) return fail_at(r, e->start_mark, "yaml_key", "null key (*%s)", anchor);
    if (lua_getfield(L, r->anchors, anchor) == LUA_TNIL)
      return fail_at(r, e->start_mark, "yaml_alias", "unknown alias *%s", anchor);
    return fail_at(r, e->start_mark, "yaml_key", "key *%s is not a scalar", anchor);
  }
  if (e->type != YAML_SCALAR_EVENT)
    return fail_at(r, e->start_mark, "yaml_key", "a mapping key must be a scalar");
  if (!count_nodes(r, 1, 0, e->start_mark)) return 0;
  const char *s = (const char *)e->data.scalar.value;
  size_t n = e->data.scalar.length;
  const yaml_char_t *anchor = e->data.scalar.anchor;
  int is_null;
  if (!e->data.scalar.tag && !anchor) {
    is_null = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_word(s, n);
  } else {
    if (!push_scalar(r)) return 0;
    is_null = a0_is_null(L, -1);
    set_anchor(r, anchor);
    lua_pop(L, 1);
    if (anchor) {
      if (is_null) lua_pushboolean(L, 0);
      else lua_pushlstring(L, s, n);
      lua_setfield(L, r->anchor_keys, (const char *)anchor);
    }
  }
  if (is_null) return fail_at(r, e->start_mark, "yaml_key", "null key");
  lua_pushlstring(L, s, n);
  return 1;
}

/* Checks a `<<` value (at the top) and appends the mappings it names to the list at `merges`. */
static int queue_merge(reader *r, int merges, yaml_mark_t m) {
  lua_State *L = r->L;
  int v = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, merges);
  if (lua_type(L, v) == LUA_TTABLE && !a0_has_array_mark(L, v)) {
    lua_rawseti(L, merges, n + 1);
    return 1;
  }
  if (lua_type(L, v) == LUA_TTABLE) {
    lua_Integer len = (lua_Integer)lua_rawlen(L, v);
    for (lua_Integer i = 1; i <= len; i++) {
      lua_rawgeti(L, v, i);
      if (lua_type(L, -1) != LUA_TTABLE || a0_has_array_mark(L, -1))
        return fail_at(r, m, "yaml_merge", "<< needs a mapping or a list of mappings");
      lua_rawseti(L, merges, ++n);
    }
    lua_pop(L, 1);
    return 1;
  }
  return fail_at(r, m, "yaml_merge", "<< needs a mapping or a list of mappings");
}

/* Copies into t the keys of each queued mapping that t does not have yet. */
static void apply_merges(lua_State *L, int t, int merges) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, merges);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, merges, i);
    int src = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, src)) {
      lua_pushvalue(L, -2);
      if (lua_rawget(L, t) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, t);
      } else {
        lua_pop(L, 2);
      }
    }
    lua_pop(L, 1);
  }
}

static int parse_mapping(reader *r, int depth) {
  lua_State *L = r->L;
  decoder *d = r->d;
  lua_newtable(L);
  int t = lua_gettop(L), merges = 0;
  set_anchor(r, d->event.data.mapping_start.anchor);
  for (;;) {
    if (!next_event(r)) return 0;
    if (d->event.type == YAML_MAPPING_END_EVENT) break;
    yaml_mark_t key_mark = d->event.start_mark;
    if (d->event.type == YAML_SCALAR_EVENT && !d->event.data.scalar.tag &&
        d->event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        d->event.data.scalar.length == 2 && !memcmp(d->event.data.scalar.value, "<<", 2)) {
      int positions = r->positions;             /* merged keys keep their own positions */
      r->positions = 0;
      int ok = next_event(r) && parse_node(r, depth, 0);
      r->positions = positions;
      if (!ok) return 0;
      if (!merges) {
        lua_newtable(L);
        lua_insert(L, -2);
        merges = t + 1;
      }
      if (!queue_merge(r, merges, key_mark)) return 0;
      continue;
    }
    if (!push_key(r)) return 0;
    lua_pushvalue(L, -1);
    if (lua_rawget(L, t) != LUA_TNIL)
      return fail_at(r, key_mark, "yaml_duplicate_key", "duplicate key '%s'", lua_tostring(L, -2));
    lua_pop(L, 1);
    size_t saved = d->path.len;
    if (r->positions) {
      size_t kn;
      const char *k = lua_tolstring(L, -1, &kn);
      buffer_add_segment(L, &d->path, k, kn);
      record_position(r, key_mark);
    }
    if (!next_event(r) || !parse_node(r, depth, 0)) return 0;
    d->path.len = saved;
    lua_rawset(L, t);
  }
  if (merges) {
    apply_merges(L, t, merges);
    lua_pop(L, 1);
  }
  return 1;
}

static int parse_sequence(reader *r, int depth) {
  lua_State *L = r->L;
  decoder *d = r->d;
  a0_new_array(L, 0);
  int t = lua_gettop(L);
  lua_Integer i = 0;
  set_anchor(r, d->event.data.sequence_start.anchor);
  for (;;) {
    if (!next_event(r)) return 0;
    if (d->event.type == YAML_SEQUENCE_END_EVENT) break;
    size_t saved = d->path.len;
    if (r->positions) buffer_add_index(L, &d->path, i);
    if (!parse_node(r, depth, 1)) return 0;
    d->path.len = saved;
    lua_rawseti(L, t, ++i);
  }
  return 1;
}

/* Reads the node starting at the current event and pushes its value. 0 with an error pushed. */
static int parse_node(reader *r, int depth, int record) {
  lua_State *L = r->L;
  yaml_event_t *e = &r->d->event;
  if (r->positions && record) record_position(r, e->start_mark);
  if (e->type != YAML_ALIAS_EVENT && !count_nodes(r, 1, 0, e->start_mark)) return 0;
  switch (e->type) {
    case YAML_SCALAR_EVENT:
      if (!push_scalar(r)) return 0;
      set_anchor(r, e->data.scalar.anchor);
      if (e->data.scalar.anchor) {
        if (a0_is_null(L, -1)) lua_pushboolean(L, 0);
        else lua_pushlstring(L, (const char *)e->data.scalar.value, e->data.scalar.length);
        lua_setfield(L, r->anchor_keys, (const char *)e->data.scalar.anchor);
      }
      return 1;
    case YAML_ALIAS_EVENT:
      return push_alias(r);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      int is_map = e->type == YAML_MAPPING_START_EVENT;
      const yaml_char_t *tag = is_map ? e->data.mapping_start.tag : e->data.sequence_start.tag;
      if (depth >= A0_MAX_DEPTH)
        return fail_at(r, e->start_mark, "yaml_depth", "nesting deeper than %d", A0_MAX_DEPTH);
      if (tag && !tag_is(tag, "!") && !tag_is(tag, is_map ? YAML_MAP_TAG : YAML_SEQ_TAG)) {
        if (tag_is(tag, YAML_MAP_TAG) || tag_is(tag, YAML_SEQ_TAG) || tag_is(tag, YAML_STR_TAG) ||
            tag_is(tag, YAML_INT_TAG) || tag_is(tag, YAML_FLOAT_TAG) ||
            tag_is(tag, YAML_BOOL_TAG) || tag_is(tag, YAML_NULL_TAG))
          return fail_at(r, e->start_mark, "yaml_tag", "tag %s on a %s", (const char *)tag,
                         is_map ? "mapping" : "sequence");
        return fail_at(r, e->start_mark, "yaml_tag", "unknown tag %s", (const char *)tag);
      }
      luaL_checkstack(L, 8, "YAML nesting");
      const yaml_char_t *anchor = is_map ? e->data.mapping_start.anchor
                                         : e->data.sequence_start.anchor;
      lua_Integer start = r->nodes - 1;
      int ok = is_map ? parse_mapping(r, depth + 1) : parse_sequence(r, depth + 1);
      if (ok && anchor) {
        /* what an alias to it expands to; until then an alias to it is a cycle */
        lua_pushvalue(L, -1);
        lua_pushinteger(L, r->nodes - start);
        lua_rawset(L, r->sizes);
      }
      return ok;
    }
    default:
      return fail_at(r, e->start_mark, "yaml_syntax", "unexpected event");
  }
}

/* Reads the stream; pushes the value (nothing for an empty document). 0 with an error pushed. */
static int parse_stream(reader *r, int *empty) {
  decoder *d = r->d;
  *empty = 1;
  if (!next_event(r)) return 0;                       /* STREAM-START */
  if (!next_event(r)) return 0;
  if (d->event.type == YAML_STREAM_END_EVENT) return 1;
  if (!next_event(r)) return 0;                       /* after DOCUMENT-START */
  yaml_event_t *e = &d->event;
  int blank = e->type == YAML_SCALAR_EVENT && e->data.scalar.length == 0 &&
              e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !e->data.scalar.tag &&
              !e->data.scalar.anchor;
  if (!blank) {
    if (!parse_node(r, 0, 1)) return 0;
    *empty = 0;
  }
  if (!next_event(r)) return 0;                       /* DOCUMENT-END */
  if (!next_event(r)) return 0;
  if (d->event.type == YAML_DOCUMENT_START_EVENT)
    return fail_at(r, d->event.start_mark, "yaml_multiple_documents",
                   "more than one document (the second starts here)");
  return 1;
}

static void check_options(lua_State *L, int idx, const char *const *known) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int ok = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (const char *const *k = known; *k; k++) ok = ok || strcmp(lua_tostring(L, -1), *k) == 0;
    if (!ok) {
      lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL));
      luaL_argerror(L, idx, lua_tostring(L, -1));
    }
  }
}

/* yaml.decode(text [, opts]) -> value, positions | value | nil, err */
static int yaml_decode(lua_State *L) {
  static const char *const options[] = { "name", "positions", "max_nodes", NULL };
  size_t len;
  luaL_checktype(L, 1, LUA_TSTRING);
  const char *text = lua_tolstring(L, 1, &len);
  check_options(L, 2, options);
  int want_positions = 1, has_name = 0;
  lua_Integer max_nodes = YAML_MAX_NODES;
  if (lua_istable(L, 2)) {
    int t = lua_getfield(L, 2, "positions");
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TBOOLEAN, 2, "opts.positions must be a boolean");
    if (t == LUA_TBOOLEAN) want_positions = lua_toboolean(L, -1);
    t = lua_getfield(L, 2, "name");
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TSTRING, 2, "opts.name must be a string");
    has_name = t == LUA_TSTRING;
    t = lua_getfield(L, 2, "max_nodes");
    if (t != LUA_TNIL) {
      luaL_argcheck(L, lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1, 2,
                    "opts.max_nodes must be a positive integer");
      max_nodes = lua_tointeger(L, -1);
    }
    lua_pop(L, 3);
  }
  lua_settop(L, 2);

  decoder *d = lua_newuserdatauv(L, sizeof *d, 0);        /* 3 */
  memset(d, 0, sizeof *d);
  luaL_setmetatable(L, DECODER_MT);
  a0_push_null(L);                                         /* 4 */
  lua_newtable(L);                                         /* 5 anchors */
  lua_newtable(L);                                         /* 6 anchor keys */
  if (want_positions) lua_newtable(L); else lua_pushnil(L);  /* 7 positions */
  lua_newtable(L);                                         /* 8 anchored container sizes */
  if (!yaml_parser_initialize(&d->parser)) return luaL_error(L, "not enough memory");
  d->parser_open = 1;
  yaml_parser_set_input_string(&d->parser, (const unsigned char *)text, len);

  reader r = { L, d, text, len, want_positions ? 7 : 0, 5, 6, 4, 8, 0, 0, max_nodes };
  int empty;
  int ok = parse_stream(&r, &empty);
  decoder_close(d);
  if (!ok) {
    if (has_name) {
      lua_getfield(L, 2, "name");
      lua_setfield(L, -2, "file");
    }
    return a0_fail(L);
  }
  if (empty) return 0;
  if (!want_positions) return 1;
  lua_pushvalue(L, 7);
  return 2;
}

/* ---------------------------------------------------------------------------------------------
 * Encoder
 */

typedef struct {
  const char *s;    /* the key's text, or NULL: use num */
  size_t len;
  lua_Integer rank; /* position in opts.key_order, or LUA_MAXINTEGER */
  lua_Integer ival;
  char num[24];
} key_entry;

typedef struct {
  buffer out;
  buffer path;      /* JSON pointer of the value being written, for errors */
  buffer scratch;   /* for the number check of plain strings */
  key_entry *keys;
  size_t nkeys, keys_cap;
} encoder;

static void encoder_close(encoder *e) {
  buffer_free(&e->out);
  buffer_free(&e->path);
  buffer_free(&e->scratch);
  free(e->keys);
  e->keys = NULL;
  e->nkeys = e->keys_cap = 0;
}

/* encoder:__gc() */
static int encoder_gc(lua_State *L) {
  encoder_close(luaL_checkudata(L, 1, ENCODER_MT));
  return 0;
}

typedef struct {
  lua_State *L;
  encoder *e;
  int ranks;   /* stack index of key -> rank, 0 without opts.key_order */
} writer;

static int fail_encode(writer *w, const char *code, const char *fmt, ...) {
  lua_State *L = w->L;
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  const char *path = lua_pushlstring(L, w->e->path.p ? w->e->path.p : "", w->e->path.len);
  if (*path) a0_new_error(L, code, "%s: %s", path, msg);
  else a0_new_error(L, code, "%s", msg);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "path");
  lua_replace(L, -3);
  lua_pop(L, 1);
  return 0;
}

static void out_add(writer *w, const char *s, size_t n) { buffer_add(w->L, &w->e->out, s, n); }
static void out_addc(writer *w, char c) { buffer_addc(w->L, &w->e->out, c); }
#define out_lit(w, s) out_add((w), "" s, sizeof(s) - 1)

static void out_pad(writer *w, int n) {
  buffer_reserve(w->L, &w->e->out, (size_t)n);
  memset(w->e->out.p + w->e->out.len, ' ', (size_t)n);
  w->e->out.len += (size_t)n;
}

/* UTF-8 decoding: returns the code point at s[i] (length in *len), or -1 when invalid. */
static long utf8_at(const unsigned char *s, size_t n, size_t i, int *len) {
  unsigned char c = s[i];
  long cp;
  int k;
  if (c < 0x80) { *len = 1; return c; }
  if (c >= 0xC2 && c <= 0xDF) { cp = c & 0x1F; k = 1; }
  else if (c >= 0xE0 && c <= 0xEF) { cp = c & 0x0F; k = 2; }
  else if (c >= 0xF0 && c <= 0xF4) { cp = c & 0x07; k = 3; }
  else return -1;
  if (i + (size_t)k >= n) return -1;
  for (int j = 1; j <= k; j++) {
    unsigned char cc = s[i + (size_t)j];
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return -1;
  *len = k + 1;
  return cp;
}

/* A character that only a double-quoted escape can carry (tab aside, see below). */
static int needs_escape(long cp) {
  return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

enum style { PLAIN, SINGLE, DOUBLE, LITERAL };

/* Would the plain scalar s read back as this same string, here and in YAML 1.1 readers? */
static int plain_ok(lua_State *L, buffer *scratch, const char *s, size_t n) {
  static const char *const words[] = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
    "off", "Off", "OFF", "<<", "=", NULL
  };
  if (n == 0) return 0;
  if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0])) return 0;
  if (s[n - 1] == ' ' || s[n - 1] == ':') return 0;
  if (is_digit(s[0])) return 0;                           /* numbers, dates, versions */
  if ((s[0] == '+' || s[0] == '.') && n > 1 && (is_digit(s[1]) || s[1] == '.')) return 0;
  for (size_t i = 0; i + 1 < n; i++) {
    if ((s[i] == ':' && s[i + 1] == ' ') || (s[i] == ' ' && s[i + 1] == '#')) return 0;
  }
  if (is_null_word(s, n) || bool_word(s, n) >= 0) return 0;
  for (const char *const *wd = words; *wd; wd++)
    if (strlen(*wd) == n && !memcmp(*wd, s, n)) return 0;
  int top = lua_gettop(L);
  int number = push_int(L, scratch, s, n) || push_float(L, scratch, s, n);
  lua_settop(L, top);
  return !number;
}

/*
 * Picks the style of string s. For a literal block, *indicator says whether it needs an
 * indentation indicator. Returns -1 when s is not valid UTF-8.
 */
static int string_style(writer *w, const char *s, size_t n, int is_key, int at_root,
                        int *indicator) {
  const unsigned char *u = (const unsigned char *)s;
  int has_nl = 0, escape = 0, tab = 0, trailing_blank = 0;
  for (size_t i = 0; i < n;) {
    int len;
    long cp = utf8_at(u, n, i, &len);
    if (cp < 0) return -1;
    if (cp == '\n') {
      has_nl = 1;
      if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) trailing_blank = 1;
    } else if (cp == '\t') {
      tab = 1;
    } else if (needs_escape(cp)) {
      escape = 1;
    }
    i += (size_t)len;
  }
  if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) trailing_blank = 1;
  if (has_nl) {
    if (is_key || escape || trailing_blank) return DOUBLE;
    size_t i = 0;
    while (i < n && s[i] == '\n') i++;
    if (i == n) return DOUBLE;                            /* only line breaks */
    *indicator = s[i] == ' ' || s[i] == '\t';
    if (*indicator && at_root) return DOUBLE;
    return LITERAL;
  }
  if (escape || tab) return DOUBLE;
  return plain_ok(w->L, &w->e->scratch, s, n) ? PLAIN : SINGLE;
}

static void write_double(writer *w, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  out_addc(w, '"');
  for (size_t i = 0; i < n;) {
    int len;
    long cp = utf8_at(u, n, i, &len);
    char tmp[12];
    const char *esc = NULL;
    switch (cp) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\0': esc = "\\0"; break;
      case '\a': esc = "\\a"; break;
      case '\b': esc = "\\b"; break;
      case '\t': esc = "\\t"; break;
      case '\n': esc = "\\n"; break;
      case '\v': esc = "\\v"; break;
      case '\f': esc = "\\f"; break;
      case '\r': esc = "\\r"; break;
      case 0x1B: esc = "\\e"; break;
      case 0x85: esc = "\\N"; break;
      case 0x2028: esc = "\\L"; break;
      case 0x2029: esc = "\\P"; break;
      default:
        if (needs_escape(cp)) {
          snprintf(tmp, sizeof tmp, cp < 0x100 ? "\\x%02X" : "\\u%04X", (unsigned)cp);
          esc = tmp;
        }
    }
    if (esc) out_add(w, esc, strlen(esc));
    else out_add(w, s + i, (size_t)len);
    i += (size_t)len;
  }
  out_addc(w, '"');
}

static void write_single(writer *w, const char *s, size_t n) {
  out_addc(w, '\'');
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\'') {
      out_add(w, s + start, i + 1 - start);
      out_addc(w, '\'');
      start = i + 1;
    }
  }
  out_add(w, s + start, n - start);
  out_addc(w, '\'');
}

/* `|` block: header then each line at indent; ends with a newline. */
static void write_literal(writer *w, const char *s, size_t n, int indent, int indicator) {
  size_t trailing = 0;
  while (trailing < n && s[n - 1 - trailing] == '\n') trailing++;
  out_addc(w, '|');
  if (indicator) out_addc(w, '2');
  if (trailing == 0) out_addc(w, '-');
  else if (trailing > 1) out_addc(w, '+');
  out_addc(w, '\n');
  size_t i = 0;
  while (i < n) {
    const char *nl = memchr(s + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - s) : n;
    if (end > i) {
      out_pad(w, indent);
      out_add(w, s + i, end - i);
    }
    out_addc(w, '\n');
    i = end + 1;
  }
}

/* Writes string s as a scalar. Returns 1 when it ended the line (literal blocks), 0 if not, -1
 * on invalid UTF-8. */
static int write_string(writer *w, const char *s, size_t n, int indent, int is_key, int at_root) {
  int indicator = 0;
  switch (string_style(w, s, n, is_key, at_root, &indicator)) {
    case PLAIN: out_add(w, s, n); return 0;
    case SINGLE: write_single(w, s, n); return 0;
    case DOUBLE: write_double(w, s, n); return 0;
    case LITERAL: write_literal(w, s, n, indent, indicator); return 1;
    default: return -1;
  }
}

static void write_float(writer *w, lua_Number x) {
  char tmp[64];
  if (isnan(x)) { out_lit(w, ".nan"); return; }
  if (isinf(x)) {
    if (x > 0) out_lit(w, ".inf"); else out_lit(w, "-.inf");
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, (double)x);
    for (char *p = tmp; *p; p++) if (*p == ',') *p = '.';   /* a locale's decimal comma */
    if (strtod(tmp, NULL) == (double)x) break;
  }
  /* Always a '.' in the mantissa: 1.0, 1.0e+20 read as floats in YAML 1.1 readers too. */
  char *exp = strpbrk(tmp, "eE");
  if (strchr(tmp, '.')) {
    out_add(w, tmp, strlen(tmp));
  } else if (exp) {
    out_add(w, tmp, (size_t)(exp - tmp));
    out_lit(w, ".0");
    out_add(w, exp, strlen(exp));
  } else {
    out_add(w, tmp, strlen(tmp));
    out_lit(w, ".0");
  }
}

static int key_compare(const void *a, const void *b) {
  const key_entry *x = a, *y = b;
  if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
  const char *xs = x->s ? x->s : x->num, *ys = y->s ? y->s : y->num;
  size_t m = x->len < y->len ? x->len : y->len;
  int c = memcmp(xs, ys, m);
  if (c) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

enum { AT_ROOT, AT_VALUE, AT_ITEM };

static int write_value(writer *w, int idx, int indent, int depth, int at);

/* Starts the i-th entry of a block collection: inline after "- " for the first entry of an item,
 * on a new line after "key:" for the first entry of a value, else on its own indented line. */
static void start_entry(writer *w, size_t i, int indent, int at) {
  if (i == 0 && at == AT_ITEM) { out_addc(w, ' '); return; }
  if (i == 0 && at == AT_VALUE) out_addc(w, '\n');
  out_pad(w, indent);
}

static int write_array(writer *w, int t, int indent, int depth, int at) {
  lua_State *L = w->L;
  lua_Integer n = (lua_Integer)lua_rawlen(L, t);
  if (n == 0) {
    if (at != AT_ROOT) out_addc(w, ' ');
    out_lit(w, "[]\n");
    return 1;
  }
  for (lua_Integer i = 1; i <= n; i++) {
    start_entry(w, (size_t)(i - 1), indent, at);
    out_addc(w, '-');
    size_t saved = w->e->path.len;
    buffer_add_index(L, &w->e->path, i - 1);
    lua_rawgeti(L, t, i);
    if (!write_value(w, lua_gettop(L), indent + 2, depth, AT_ITEM)) return 0;
    lua_pop(L, 1);
    w->e->path.len = saved;
  }
  return 1;
}

static int write_object(writer *w, int t, int indent, int depth, int at) {
  lua_State *L = w->L;
  encoder *e = w->e;
  size_t base = e->nkeys;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    if (e->nkeys == e->keys_cap) {
      size_t cap = e->keys_cap ? e->keys_cap * 2 : 64;
      key_entry *k = realloc(e->keys, cap * sizeof *k);
      if (!k) return luaL_error(L, "not enough memory");
      e->keys = k;
      e->keys_cap = cap;
    }
    key_entry *k = &e->keys[e->nkeys];
    if (lua_type(L, -1) == LUA_TSTRING) {
      k->s = lua_tolstring(L, -1, &k->len);
    } else if (lua_isinteger(L, -1)) {
      k->s = NULL;
      k->ival = lua_tointeger(L, -1);
      k->len = (size_t)snprintf(k->num, sizeof k->num, LUA_INTEGER_FMT, k->ival);
    } else {
      const char *type = luaL_typename(L, -1);
      lua_pop(L, 1);
      e->nkeys = base;
      return fail_encode(w, "yaml_encode", "a key of type %s", type);
    }
    k->rank = LUA_MAXINTEGER;
    if (w->ranks) {
      lua_pushvalue(L, -1);
      if (lua_rawget(L, w->ranks) == LUA_TNUMBER) k->rank = lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    e->nkeys++;
  }
  size_t count = e->nkeys - base;
  if (count == 0) {
    if (at != AT_ROOT) out_addc(w, ' ');
    out_lit(w, "{}\n");
    return 1;
  }
  qsort(e->keys + base, count, sizeof *e->keys, key_compare);
  for (size_t i = 0; i < count; i++) {
    key_entry *k = &e->keys[base + i];
    const char *ks = k->s ? k->s : k->num;
    size_t saved = e->path.len;
    buffer_add_segment(L, &e->path, ks, k->len);
    if (i > 0) {
      key_entry *prev = &e->keys[base + i - 1];
      if (prev->len == k->len && !memcmp(prev->s ? prev->s : prev->num, ks, k->len)) {
        e->nkeys = base;
        return fail_encode(w, "yaml_encode", "two keys read as '%s'", ks);
      }
    }
    start_entry(w, i, indent, at);
    size_t key_start = e->out.len;
    int explicit = k->len > LONG_KEY;
    if (explicit) out_lit(w, "? ");
    if (write_string(w, ks, k->len, indent, 1, 0) < 0) {
      e->nkeys = base;
      return fail_encode(w, "yaml_encode", "key is not valid UTF-8");
    }
    if (!explicit && e->out.len - key_start > LONG_KEY) {
      /* Quoting made it long: write it again as an explicit key. */
      e->out.len = key_start;
      explicit = 1;
      out_lit(w, "? ");
      write_string(w, ks, k->len, indent, 1, 0);
    }
    if (explicit) {
      out_addc(w, '\n');
      out_pad(w, indent);
    }
    out_addc(w, ':');
    if (k->s) lua_pushlstring(L, k->s, k->len);
    else lua_pushinteger(L, k->ival);
    lua_rawget(L, t);                           /* k is stale from here: e->keys may move */
    if (!write_value(w, lua_gettop(L), indent + 2, depth, AT_VALUE)) {
      e->nkeys = base;
      return 0;
    }
    lua_pop(L, 1);
    e->path.len = saved;
  }
  e->nkeys = base;
  return 1;
}

/* Writes the value at idx (see start_entry for `at`); ends with a newline. 0 with an error. */
static int write_value(writer *w, int idx, int indent, int depth, int at) {
  lua_State *L = w->L;
  enum a0_kind kind = a0_kind(L, idx);
  if (kind == A0_ARRAY || kind == A0_OBJECT) {
    if (depth >= A0_MAX_DEPTH)
      return fail_encode(w, "yaml_depth", "nesting deeper than %d (or a cycle)", A0_MAX_DEPTH);
    luaL_checkstack(L, 8, "YAML nesting");
    if (at == AT_ROOT) indent = 0;
    return kind == A0_ARRAY ? write_array(w, idx, indent, depth + 1, at)
                            : write_object(w, idx, indent, depth + 1, at);
  }
  if (at != AT_ROOT) out_addc(w, ' ');
  switch (kind) {
    case A0_NULL: out_lit(w, "null"); break;
    case A0_BOOLEAN:
      if (lua_toboolean(L, idx)) out_lit(w, "true"); else out_lit(w, "false");
      break;
    case A0_INTEGER: {
      char tmp[32];
      int n = snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, lua_tointeger(L, idx));
      out_add(w, tmp, (size_t)n);
      break;
    }
    case A0_FLOAT: write_float(w, lua_tonumber(L, idx)); break;
    case A0_STRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      int ended = write_string(w, s, n, at == AT_ROOT ? 2 : indent, 0, at == AT_ROOT);
      if (ended < 0) return fail_encode(w, "yaml_encode", "string is not valid UTF-8");
      if (ended) return 1;
      break;
    }
    default:
      return fail_encode(w, "yaml_encode", "a %s has no YAML form", luaL_typename(L, idx));
  }
  out_addc(w, '\n');
  return 1;
}

/* yaml.encode(value [, opts]) -> string | nil, err */
static int yaml_encode(lua_State *L) {
  static const char *const options[] = { "key_order", NULL };
  luaL_checkany(L, 1);
  check_options(L, 2, options);
  lua_settop(L, 2);
  int ranks = 0;
  if (lua_istable(L, 2)) {
    if (lua_getfield(L, 2, "key_order") != LUA_TNIL) {
      luaL_argcheck(L, lua_istable(L, -1), 2, "opts.key_order must be a list of strings");
      lua_newtable(L);
      lua_Integer n = (lua_Integer)lua_rawlen(L, -2);
      for (lua_Integer i = n; i >= 1; i--) {        /* backwards: the first mention wins */
        if (lua_rawgeti(L, -2, i) != LUA_TSTRING)
          luaL_argerror(L, 2, "opts.key_order must be a list of strings");
        lua_pushinteger(L, i);
        lua_rawset(L, -3);
      }
      ranks = lua_gettop(L);
    } else {
      lua_pop(L, 1);
    }
  }
  encoder *e = lua_newuserdatauv(L, sizeof *e, 0);
  memset(e, 0, sizeof *e);
  luaL_setmetatable(L, ENCODER_MT);
  writer w = { L, e, ranks };
  if (!write_value(&w, 1, 0, 0, AT_ROOT)) {
    encoder_close(e);
    return a0_fail(L);
  }
  lua_pushlstring(L, e->out.p, e->out.len);
  encoder_close(e);
  return 1;
}

int luaopen_a0lua_core_yaml(lua_State *L) {
  static const luaL_Reg functions[] = {
    { "decode", yaml_decode },
    { "encode", yaml_encode },
    { NULL, NULL },
  };
  static const luaL_Reg decoder_meta[] = { { "__gc", decoder_gc }, { NULL, NULL } };
  static const luaL_Reg encoder_meta[] = { { "__gc", encoder_gc }, { NULL, NULL } };
  a0_register_class(L, DECODER_MT, decoder_meta, NULL);
  a0_register_class(L, ENCODER_MT, encoder_meta, NULL);
  luaL_newlib(L, functions);
  a0_export_markers(L);
  lua_pushfstring(L, "libyaml %s", yaml_get_version_string());
  lua_setfield(L, -2, "version");
  return 1;
}
