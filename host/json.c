/*
 * json.c: the a0lua.core.json primitive, JSON text <-> Lua values.
 *
 *   local json = require "a0lua.core.json"
 *
 *   json.decode(text [, opts]) -> value | nil, err
 *     text            a string (anything else raises). A leading UTF-8 byte order mark
 *                     (EF BB BF) is accepted and skipped.
 *     opts.max_depth  integer 1..A0_MAX_DEPTH (512, the default): deepest nesting of arrays and
 *                     objects; deeper is a json_depth error.
 *     opts.unique_keys  boolean (default false): a key written twice in one object is a
 *                     json_duplicate_key error at the second one (config files: a0lua's own
 *                     settings, where a silent last-wins hides a mistake).
 *     object -> plain table (of duplicate keys the last one wins, unless opts.unique_keys);
 *     array  -> table carrying the shared array marker (json.array_mt), so [] and {} stay apart;
 *     null   -> json.null, in objects and arrays alike (so arrays keep their length);
 *     number -> integer when written without fraction or exponent and it fits int64 (so
 *               9007199254740993 is exact), else float; a number too large for a double is a
 *               json_syntax error ("number out of range"), one too small for it becomes 0.0;
 *               "-0" is the integer 0.
 *     string -> string; \u escapes (surrogate pairs included) become UTF-8, \u0000 a NUL byte.
 *     err = { code = "json_syntax" | "json_depth" | "json_duplicate_key", message =, line =,
 *     column = }: where the
 *     offending byte is, from 1. Columns count bytes, not characters; a line ends at "\n" (so CRLF
 *     is one line break and a lone "\r" none); a skipped BOM is not counted. The end of the input
 *     is the position just after its last byte. tostring(err) is "line:column: message".
 *     json_syntax is anything RFC 8259 rejects (trailing commas, comments, leading zeros, raw
 *     control characters in strings, anything but whitespace after the value, empty input...),
 *     plus invalid UTF-8 anywhere in the text and \u escapes of a lone surrogate.
 *     json_depth is nesting deeper than max_depth; line and column are those of the "[" or "{"
 *     that went too deep.
 *
 *   json.encode(value [, opts]) -> string | nil, err
 *     opts.pretty     true: 2-space indent, one element or member per line, `"key": value`, empty
 *                     containers as [] and {}, and no trailing newline. Default false: compact, no
 *                     whitespace at all.
 *     opts.max_depth  as for decode.
 *     Kinds as core.h a0_kind: nil and json.null -> null; booleans; integers in decimal
 *     (math.mininteger too); floats as the first of %.1g ... %.17g that reads back as the same
 *     double, always looking like a float ("1.0", "1e+300"), so decode(encode(x)) keeps the
 *     subtype; strings with '"', '\' and control characters escaped (\b \f \n \r \t, the others as
 *     \u00XX), "/" and non-ASCII UTF-8 left as they are. A table with the array marker, or whose
 *     keys are exactly 1..n (n >= 1), is an array: a marked table writes elements 1..#t (raw
 *     length) with nil holes as null and ignores any other keys. Any other table, {} included,
 *     is an object whose keys are always sorted by bytes; integer keys are written as decimal
 *     strings.
 *     err = { code =, message =, path = }: path is the JSON pointer of the offending value
 *     ("/a/0/b"; "" for the value itself; array indexes from 0), and the message starts with it.
 *       json_encode  a function, thread, non-null userdata, NaN or an infinity; an object key that
 *                    is neither a string nor an integer, or two keys that write the same string
 *                    (1 and "1"); a string or key that is not valid UTF-8.
 *       json_depth   nesting deeper than max_depth, which is also how a cycle shows.
 *
 *   json.null, json.array([t]) -> t, json.is_array(v) -> boolean, json.array_mt: the core.h
 *   markers, shared with a0lua.core.yaml.
 *   json.version    "a0lua-json 1"
 *
 * Misuse raises: text not a string, no value to encode, opts not a table, an unknown option or a
 * bad option value. Running out of memory raises too, and so does encoding an object with more
 * keys than half the Lua stack limit (about 500000): its keys and values are sorted on the stack.
 *
 * Ownership: the C buffers (the encoder's output and sort list, the decoder's unescape scratch)
 * are malloc'ed and held by userdata with __gc / __close, and are freed as soon as a call ends,
 * however it ends. The converters run under lua_pcall: a syntax or encode error unwinds straight
 * back to json.decode / json.encode, which turn it into nil, err. Only this file's frames are ever
 * unwound. Numbers are read and written with "." whatever LC_NUMERIC says.
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define JSON_VERSION "a0lua-json 1"

/* ---------------------------------------------------------------------------------------------
 * Growing C buffers owned by a userdata. The metatable is upvalue 1 of decode and encode.
 */

typedef struct jbuf {
  char *data;
  size_t len, cap;
} jbuf;

static void jbuf_free(jbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* __gc and __close: free the buffer (idempotent). */
static int jbuf_gc(lua_State *L) {
  jbuf_free((jbuf *)lua_touserdata(L, 1));
  return 0;
}

/* Pushes a new empty buffer userdata. */
static jbuf *jbuf_new(lua_State *L) {
  jbuf *b = (jbuf *)lua_newuserdatauv(L, sizeof(jbuf), 0);
  b->data = NULL;
  b->len = b->cap = 0;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  return b;
}

/* Makes room for need more bytes; raises when memory runs out (the buffer stays valid). */
static void jbuf_grow(lua_State *L, jbuf *b, size_t need) {
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < need) {
    if (cap > SIZE_MAX / 2) luaL_error(L, "json: buffer too large");
    cap *= 2;
  }
  char *data = (char *)realloc(b->data, cap);
  if (data == NULL) luaL_error(L, "not enough memory");
  b->data = data;
  b->cap = cap;
}

static inline void jbuf_reserve(lua_State *L, jbuf *b, size_t need) {
  if (b->cap - b->len < need) jbuf_grow(L, b, need);
}

/* ---------------------------------------------------------------------------------------------
 * Bytes.
 */

/* In strings: 0 plain, 1 '"', 2 '\\', 3 control character (NUL included), 4 non-ASCII. */
#define X16(c) c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c
static const unsigned char str_class[256] = {
  X16(3), X16(3),                                   /* 0x00 - 0x1f */
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x20 - 0x2f: '"' */
  X16(0),                                           /* 0x30 - 0x3f */
  X16(0),                                           /* 0x40 - 0x4f */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,   /* 0x50 - 0x5f: '\\' */
  X16(0), X16(0),                                   /* 0x60 - 0x7f */
  X16(4), X16(4), X16(4), X16(4), X16(4), X16(4), X16(4), X16(4)
};
#undef X16

/*
 * Length of the well-formed UTF-8 sequence starting at p (a byte >= 0x80), or 0. No overlongs,
 * no surrogates, nothing above U+10FFFF. Reads stop at the first byte that does not fit, so the
 * NUL after every Lua string keeps them inside it.
 */
static size_t utf8_sequence(const unsigned char *p) {
  unsigned c = p[0];
  if (c >= 0xc2 && c <= 0xdf) return (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned lo = 0x80, hi = 0xbf;
    if (c == 0xe0) lo = 0xa0;
    else if (c == 0xed) hi = 0x9f;
    if (p[1] < lo || p[1] > hi) return 0;
    return (p[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned lo = 0x80, hi = 0xbf;
    if (c == 0xf0) lo = 0x90;
    else if (c == 0xf4) hi = 0x8f;
    if (p[1] < lo || p[1] > hi) return 0;
    if ((p[2] & 0xc0) != 0x80) return 0;
    return (p[3] & 0xc0) == 0x80 ? 4 : 0;
  }
  return 0;
}

static char locale_point(void) {
  return localeconv()->decimal_point[0];
}

/* ---------------------------------------------------------------------------------------------
 * Decoder.
 *
 * The text is a Lua string, so end[0] is a NUL: every scan stops on it without a bounds check,
 * and only then asks whether it was the end or a NUL inside the text.
 */

typedef struct decoder {
  lua_State *L;
  const unsigned char *text, *end, *p;
  int depth, max_depth;
  int unique_keys;
  int failed;
  jbuf *scratch;
} decoder;

/* Stack slots while decode_run runs. */
#define DEC_NULL 2
#define DEC_ARRAY_MT 3

/* Elements staged on the stack before they go into their table (see decode_array). */
#define STAGE 32

/* Raises the error table { code, message, line, column } for the byte at pos. */
static void decode_fail(decoder *d, const unsigned char *pos, const char *code, const char *fmt,
                        ...) {
  char message[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  lua_Integer line = 1;
  const unsigned char *line_start = d->text;
  for (const unsigned char *q = d->text; q < pos; q++) {
    if (*q == '\n') { line++; line_start = q + 1; }
  }
  lua_State *L = d->L;
  a0_new_error(L, code, "%s", message);
  a0_error_set_int(L, "line", line);
  a0_error_set_int(L, "column", (lua_Integer)(pos - line_start) + 1);
  d->failed = 1;
  lua_error(L);
}

/* "unexpected end of input", or a description of the unexpected byte at pos. */
static void decode_unexpected(decoder *d, const unsigned char *pos, const char *expected) {
  if (pos >= d->end) decode_fail(d, pos, "json_syntax", "unexpected end of input, %s", expected);
  if (*pos >= 0x20 && *pos < 0x7f)
    decode_fail(d, pos, "json_syntax", "unexpected '%c', %s", *pos, expected);
  decode_fail(d, pos, "json_syntax", "unexpected byte 0x%02X, %s", *pos, expected);
}

static inline const unsigned char *skip_space(const unsigned char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
  return p;
}

static void decode_value(decoder *d);

/*
 * JSON's two-character escapes, read and written from this one table: the letter after the
 * backslash and the byte it stands for. ('/' is only read: the encoder passes it through.)
 */
enum { ESCAPE_LETTER, ESCAPE_BYTE };
static const unsigned char short_escapes[][2] = {
  { '"', '"' }, { '\\', '\\' }, { '/', '/' }, { 'b', '\b' },
  { 'f', '\f' }, { 'n', '\n' }, { 'r', '\r' }, { 't', '\t' },
};

/* The other column of the row whose column `from` holds c, or -1 when no row does. */
static int short_escape(unsigned c, int from) {
  for (size_t i = 0; i < sizeof short_escapes / sizeof *short_escapes; i++)
    if (short_escapes[i][from] == c) return short_escapes[i][!from];
  return -1;
}

static int hex4(const unsigned char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (int)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (int)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (int)(c - 'A' + 10);
    else return -1;
  }
  return v;
}

/* Appends n bytes to the scratch buffer. */
static inline void scratch_add(decoder *d, const unsigned char *s, size_t n) {
  jbuf *b = d->scratch;
  if (n == 0) return;
  jbuf_reserve(d->L, b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

/*
 * *pp is at the backslash of a \u escape (followed by its low surrogate when it is a high one):
 * writes the code point's UTF-8 into out, returns its length and moves *pp past the escape.
 */
static size_t decode_u_escape(decoder *d, const unsigned char **pp, unsigned char out[4]) {
  const unsigned char *p = *pp;
  size_t n = 1;
  long cp = hex4(p + 2);
  if (cp < 0) decode_fail(d, p, "json_syntax", "\\u must be followed by 4 hex digits");
  if (cp >= 0xdc00 && cp <= 0xdfff)
    decode_fail(d, p, "json_syntax", "lone surrogate \\u%04X", (unsigned)cp);
  if (cp >= 0xd800 && cp <= 0xdbff) {
    int lo = p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
    if (lo < 0xdc00 || lo > 0xdfff)
      decode_fail(d, p, "json_syntax", "lone surrogate \\u%04X", (unsigned)cp);
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    p += 6;
  }
  if (cp < 0x80) {
    out[0] = (unsigned char)cp;
  } else if (cp < 0x800) {
    out[0] = (unsigned char)(0xc0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (unsigned char)(0xe0 | (cp >> 12));
    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (unsigned char)(0x80 | (cp & 0x3f));
    n = 3;
  } else {
    out[0] = (unsigned char)(0xf0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    n = 4;
  }
  *pp = p + 6;
  return n;
}

/*
 * The rest of a string that has escapes: s is its first byte, p its first backslash. Unescapes
 * into the scratch buffer and pushes the result.
 */
static void decode_escaped_string(decoder *d, const unsigned char *s, const unsigned char *p) {
  d->scratch->len = 0;
  scratch_add(d, s, (size_t)(p - s));
  for (;;) {
    const unsigned char *run = p;
    while (str_class[*p] == 0) p++;
    if (p > run) scratch_add(d, run, (size_t)(p - run));
    switch (str_class[*p]) {
      case 1:
        lua_pushlstring(d->L, d->scratch->data, d->scratch->len);
        d->p = p + 1;
        return;
      case 4: {
        size_t n = utf8_sequence(p);
        if (n == 0) decode_fail(d, p, "json_syntax", "invalid UTF-8 in string");
        scratch_add(d, p, n);
        p += n;
        break;
      }
      case 3:
        if (p >= d->end) decode_fail(d, p, "json_syntax", "unterminated string");
        decode_fail(d, p, "json_syntax", "control character 0x%02X in string (must be escaped)",
                    *p);
        break;
      default: { /* backslash */
        unsigned char out[4];
        size_t n = 1;
        if (p[1] == 'u') {
          n = decode_u_escape(d, &p, out);
        } else {
          int byte = short_escape(p[1], ESCAPE_LETTER);
          if (byte < 0) {
            if (p + 1 >= d->end) decode_fail(d, p + 1, "json_syntax", "unterminated string");
            decode_fail(d, p, "json_syntax", "invalid escape in string");
          }
          out[0] = (unsigned char)byte;
          p += 2;
        }
        scratch_add(d, out, n);
      }
    }
  }
}

/* d->p is at the opening quote: pushes the string and moves past the closing one. */
static void decode_string(decoder *d) {
  const unsigned char *s = d->p + 1, *p = s;
  for (;;) {
    while (str_class[*p] == 0) p++;
    switch (str_class[*p]) {
      case 1:
        lua_pushlstring(d->L, (const char *)s, (size_t)(p - s));
        d->p = p + 1;
        return;
      case 4: {
        size_t n = utf8_sequence(p);
        if (n == 0) decode_fail(d, p, "json_syntax", "invalid UTF-8 in string");
        p += n;
        break;
      }
      case 2:
        decode_escaped_string(d, s, p);
        return;
      default:
        if (p >= d->end) decode_fail(d, p, "json_syntax", "unterminated string");
        decode_fail(d, p, "json_syntax", "control character 0x%02X in string (must be escaped)",
                    *p);
    }
  }
}

#define IS_DIGIT(c) ((unsigned)(c) - '0' < 10u)

/* d->p is at '-' or a digit: pushes the number. */
static void decode_number(decoder *d) {
  const unsigned char *start = d->p, *p = start;
  int negative = 0, is_float = 0;
  if (*p == '-') { negative = 1; p++; }
  const unsigned char *digits = p;
  uint64_t u = 0;
  if (*p == '0') {
    p++;
    if (IS_DIGIT(*p)) decode_fail(d, p - 1, "json_syntax", "leading zero in number");
  } else if (IS_DIGIT(*p)) {
    while (IS_DIGIT(*p)) u = u * 10 + (unsigned)(*p++ - '0');
  } else {
    decode_unexpected(d, p, "expected a digit");
  }
  size_t ndigits = (size_t)(p - digits);
  if (*p == '.') {
    p++;
    if (!IS_DIGIT(*p)) decode_unexpected(d, p, "expected a digit after '.'");
    while (IS_DIGIT(*p)) p++;
    is_float = 1;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!IS_DIGIT(*p)) decode_unexpected(d, p, "expected a digit in the exponent");
    while (IS_DIGIT(*p)) p++;
    is_float = 1;
  }
  d->p = p;
  /* Up to 19 digits cannot wrap a uint64_t, so u is exact there. */
  if (!is_float && ndigits <= 19) {
    if (!negative && u <= (uint64_t)LUA_MAXINTEGER) {
      lua_pushinteger(d->L, (lua_Integer)u);
      return;
    }
    if (negative && u <= (uint64_t)LUA_MAXINTEGER) {
      lua_pushinteger(d->L, -(lua_Integer)u);
      return;
    }
    if (negative && u == (uint64_t)LUA_MAXINTEGER + 1) {
      lua_pushinteger(d->L, LUA_MININTEGER);
      return;
    }
  }
  /* strtod on a NUL-terminated copy, so it cannot read past the JSON number ("0x1p3"). */
  size_t len = (size_t)(p - start);
  char small[64], *buf = small;
  if (len >= sizeof small) {
    jbuf_reserve(d->L, d->scratch, len + 1);
    buf = d->scratch->data;
  }
  memcpy(buf, start, len);
  buf[len] = '\0';
  char *stop;
  double x = strtod(buf, &stop);
  if (stop != buf + len) { /* a locale whose decimal point is not '.' */
    char *dot = strchr(buf, '.');
    if (dot) *dot = locale_point();
    x = strtod(buf, &stop);
  }
  if (isinf(x)) decode_fail(d, start, "json_syntax", "number out of range");
  lua_pushnumber(d->L, (lua_Number)x);
}

static void decode_depth(decoder *d) {
  if (++d->depth > d->max_depth)
    decode_fail(d, d->p, "json_depth", "nesting deeper than %d", d->max_depth);
  luaL_checkstack(d->L, 2 * STAGE + 8, "json nesting");
}

/*
 * Arrays and objects stage their elements on the Lua stack above a placeholder slot and create
 * the table at its final size, which saves the rehashes of growing it one element at a time.
 * Every STAGE elements the staged ones are moved into the table, so the stack stays small
 * (at most 2 * STAGE + 1 slots a level).
 */
/* Moves the n values above slot t into the array there, as elements first..first+n-1. */
static void flush_array(lua_State *L, int t, lua_Integer first, int n) {
  for (int i = n - 1; i >= 0; i--) lua_rawseti(L, t, first + i);
}

/* Moves the n key/value pairs above slot t into the object there, in order (last one wins). */
static void flush_object(lua_State *L, int t, int n) {
  for (int i = 0; i < n; i++) {
    lua_pushvalue(L, t + 1 + 2 * i);
    lua_pushvalue(L, t + 2 + 2 * i);
    lua_rawset(L, t);
  }
  lua_settop(L, t);
}

/* Pushes a new array (size narr) or object (size nrec). */
static void push_container(decoder *d, int is_array, int narr, int nrec) {
  lua_createtable(d->L, narr, nrec);
  if (is_array) {
    lua_pushvalue(d->L, DEC_ARRAY_MT);
    lua_setmetatable(d->L, -2);
  }
}

/* Replaces the placeholder at t with a new array (size narr) or object (size nrec). */
static void create_at(decoder *d, int t, int is_array, int narr, int nrec) {
  push_container(d, is_array, narr, nrec);
  lua_replace(d->L, t);
}

/*
 * d->p is at '[' or '{': enters one level of nesting, pushes the placeholder slot (*t) the
 * members are staged above and returns where the first member starts. For an empty container,
 * pushes it instead, leaves the level and returns NULL.
 */
static const unsigned char *open_container(decoder *d, int is_array, int *t) {
  decode_depth(d);
  const unsigned char *p = skip_space(d->p + 1);
  if (*p == (is_array ? ']' : '}')) {
    push_container(d, is_array, 0, 0);
    d->p = p + 1;
    d->depth--;
    return NULL;
  }
  lua_pushnil(d->L);
  *t = lua_gettop(d->L);
  return p;
}

/* d->p is at '[': pushes the array. */
static void decode_array(decoder *d) {
  lua_State *L = d->L;
  int t, n = 0, created = 0;
  const unsigned char *p = open_container(d, 1, &t);
  if (!p) return;
  lua_Integer total = 0;
  for (;;) {
    d->p = p;
    decode_value(d);
    if (++n == STAGE) {
      if (!created) create_at(d, t, 1, 2 * STAGE, 0);
      created = 1;
      flush_array(L, t, total + 1, n);
      total += n;
      n = 0;
    }
    p = skip_space(d->p);
    if (*p == ',') { p++; continue; }
    if (*p == ']') break;
    decode_unexpected(d, p, "expected ',' or ']' in array");
  }
  if (!created) create_at(d, t, 1, n, 0);
  flush_array(L, t, total + 1, n);
  d->p = p + 1;
  d->depth--;
}

/*
 * The key at the top was read at pos; the object at slot t (a table once created) has n more
 * pairs staged above it. Fails with json_duplicate_key when any of them has the same key.
 */
static void check_unique_key(decoder *d, int t, int n, int created, const unsigned char *pos) {
  lua_State *L = d->L;
  int key = lua_gettop(L), seen = 0;
  for (int i = 0; i < n && !seen; i++) seen = lua_rawequal(L, t + 1 + 2 * i, key);
  if (!seen && created) {
    lua_pushvalue(L, key);
    seen = lua_rawget(L, t) != LUA_TNIL;
    lua_pop(L, 1);
  }
  if (seen) decode_fail(d, pos, "json_duplicate_key", "duplicate key '%s'", lua_tostring(L, key));
}

/* d->p is at '{': pushes the object. */
static void decode_object(decoder *d) {
  lua_State *L = d->L;
  int t, n = 0, created = 0;
  const unsigned char *p = open_container(d, 0, &t);
  if (!p) return;
  for (;;) {
    if (*p != '"') decode_unexpected(d, p, "expected a string key in object");
    d->p = p;
    decode_string(d);
    if (d->unique_keys) check_unique_key(d, t, n, created, p);
    p = skip_space(d->p);
    if (*p != ':') decode_unexpected(d, p, "expected ':' after object key");
    d->p = p + 1;
    decode_value(d);
    if (++n == STAGE) {
      if (!created) create_at(d, t, 0, 0, 2 * STAGE);
      created = 1;
      flush_object(L, t, n);
      n = 0;
    }
    p = skip_space(d->p);
    if (*p == ',') { p = skip_space(p + 1); continue; }
    if (*p == '}') break;
    decode_unexpected(d, p, "expected ',' or '}' in object");
  }
  if (!created) create_at(d, t, 0, 0, n);
  flush_object(L, t, n);
  d->p = p + 1;
  d->depth--;
}

/* Skips whitespace at d->p, then pushes one value. */
static void decode_value(decoder *d) {
  const unsigned char *p = d->p = skip_space(d->p);
  switch (*p) {
    case '{': decode_object(d); return;
    case '[': decode_array(d); return;
    case '"': decode_string(d); return;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      decode_number(d);
      return;
    case 't':
      if (p[1] == 'r' && p[2] == 'u' && p[3] == 'e') {
        lua_pushboolean(d->L, 1);
        d->p = p + 4;
        return;
      }
      break;
    case 'f':
      if (p[1] == 'a' && p[2] == 'l' && p[3] == 's' && p[4] == 'e') {
        lua_pushboolean(d->L, 0);
        d->p = p + 5;
        return;
      }
      break;
    case 'n':
      if (p[1] == 'u' && p[2] == 'l' && p[3] == 'l') {
        lua_pushvalue(d->L, DEC_NULL);
        d->p = p + 4;
        return;
      }
      break;
    default:
      if (*p >= 0x80 && utf8_sequence(p) == 0)
        decode_fail(d, p, "json_syntax", "invalid UTF-8");
      decode_unexpected(d, p, "expected a value");
  }
  decode_fail(d, p, "json_syntax", "invalid literal (expected true, false or null)");
}

/* Runs under lua_pcall: (decoder) -> value. */
static int decode_run(lua_State *L) {
  decoder *d = (decoder *)lua_touserdata(L, 1);
  a0_push_null(L);      /* DEC_NULL */
  a0_push_array_mt(L);  /* DEC_ARRAY_MT */
  decode_value(d);
  const unsigned char *p = skip_space(d->p);
  if (p != d->end) decode_unexpected(d, p, "expected the end of input after the value");
  return 1;
}

/*
 * Reads opts.max_depth from the options table at arg (absent or nil: the default), and
 * opts.unique_keys into *unique_keys when that is not NULL.
 */
static int check_max_depth(lua_State *L, int arg, const char *const known[], int *unique_keys) {
  int max_depth = A0_MAX_DEPTH;
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_argerror(L, arg, "option names must be strings");
    const char *name = lua_tostring(L, -2);
    int ok = 0;
    for (int i = 0; known[i]; i++) ok |= strcmp(name, known[i]) == 0;
    if (!ok) luaL_argerror(L, arg, lua_pushfstring(L, "unknown option '%s'", name));
    if (strcmp(name, "max_depth") == 0) {
      int isint;
      lua_Integer n = lua_tointegerx(L, -1, &isint);
      if (!isint || n < 1 || n > A0_MAX_DEPTH)
        luaL_argerror(L, arg, lua_pushfstring(L, "max_depth must be an integer from 1 to %d",
                                              A0_MAX_DEPTH));
      max_depth = (int)n;
    } else if (unique_keys && strcmp(name, "unique_keys") == 0) {
      if (!lua_isboolean(L, -1)) luaL_argerror(L, arg, "unique_keys must be a boolean");
      *unique_keys = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
  }
  return max_depth;
}

/* json.decode(text [, opts]) -> value | nil, err */
static int json_decode(lua_State *L) {
  static const char *const known[] = { "max_depth", "unique_keys", NULL };
  size_t len;
  luaL_checktype(L, 1, LUA_TSTRING);
  const char *text = lua_tolstring(L, 1, &len);
  int max_depth = A0_MAX_DEPTH, unique_keys = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    max_depth = check_max_depth(L, 2, known, &unique_keys);
  }
  lua_settop(L, 1);
  decoder d;
  d.L = L;
  d.text = (const unsigned char *)text;
  d.end = d.text + len;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) d.text += 3;
  d.p = d.text;
  d.depth = 0;
  d.max_depth = max_depth;
  d.unique_keys = unique_keys;
  d.failed = 0;
  d.scratch = jbuf_new(L);                      /* 2 */
  lua_pushcfunction(L, decode_run);
  lua_pushlightuserdata(L, &d);
  int status = lua_pcall(L, 1, 1, 0);
  jbuf_free(d.scratch);
  if (status == LUA_OK) return 1;
  if (d.failed) return a0_fail(L);
  return lua_error(L);
}

/* ---------------------------------------------------------------------------------------------
 * Encoder.
 */

typedef struct key_entry {
  const char *s;
  size_t len;
  int value;       /* stack index of the value */
} key_entry;

/* Where the value being written is: one step of its JSON pointer, linked to its container's. */
typedef struct path_step {
  const struct path_step *up;   /* NULL at the top */
  const char *key;              /* NULL for an array index */
  size_t len;
  lua_Integer index;
} path_step;

typedef struct encoder {
  lua_State *L;
  jbuf *out;
  jbuf *keys;          /* key_entry stack shared by nested objects */
  size_t nkeys;
  int depth, max_depth, pretty;
  int failed;
  char point;          /* the locale's decimal point */
} encoder;

/* Stack slots while encode_run runs. */
#define ENC_VALUE 2
#define ENC_NULL 3
#define ENC_ARRAY_MT 4

/* Raises { code, message = "<path>: <text>", path } for the value at `at` (NULL: the top). */
static void encode_fail(encoder *e, const path_step *at, const char *code, const char *fmt, ...) {
  lua_State *L = e->L;
  char text[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  const path_step *steps[A0_MAX_DEPTH + 1];
  int n = 0;
  for (; at != NULL && n <= A0_MAX_DEPTH; at = at->up) steps[n++] = at;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (n > 0) {
    const path_step *s = steps[--n];
    luaL_addchar(&b, '/');
    if (s->key == NULL) {
      char num[32];
      snprintf(num, sizeof num, "%lld", (long long)s->index);
      luaL_addstring(&b, num);
      continue;
    }
    for (size_t j = 0; j < s->len; j++) {
      if (s->key[j] == '~') luaL_addstring(&b, "~0");
      else if (s->key[j] == '/') luaL_addstring(&b, "~1");
      else luaL_addchar(&b, s->key[j]);
    }
  }
  luaL_pushresult(&b);
  const char *path = lua_tostring(L, -1);
  if (*path) a0_new_error(L, code, "%s: %s", path, text);
  else a0_new_error(L, code, "%s", text);
  lua_insert(L, -2);
  lua_setfield(L, -2, "path");
  e->failed = 1;
  lua_error(L);
}

static inline void put(encoder *e, const char *s, size_t n) {
  jbuf_reserve(e->L, e->out, n);
  memcpy(e->out->data + e->out->len, s, n);
  e->out->len += n;
}

static inline void put_char(encoder *e, char c) {
  jbuf_reserve(e->L, e->out, 1);
  e->out->data[e->out->len++] = c;
}

static void put_newline(encoder *e, int level) {
  size_t n = 1 + 2 * (size_t)level;
  jbuf_reserve(e->L, e->out, n);
  char *o = e->out->data + e->out->len;
  o[0] = '\n';
  memset(o + 1, ' ', n - 1);
  e->out->len += n;
}

static void put_integer(encoder *e, lua_Integer v) {
  char tmp[24];
  int i = (int)sizeof tmp;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[--i] = '-';
  put(e, tmp + i, sizeof tmp - (size_t)i);
}

static void put_float(encoder *e, double x, const path_step *at) {
  if (!isfinite(x))
    encode_fail(e, at, "json_encode", "cannot encode %s", isnan(x) ? "NaN" : x > 0 ? "inf"
                                                                                  : "-inf");
  char buf[40];
  int n = 0;
  /* Shortest first: short decimals such as 0.5 stop at once; only long ones need up to 17. */
  for (int precision = 1; precision <= 17; precision++) {
    n = snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (precision == 17 || strtod(buf, NULL) == x) break;
  }
  int looks_float = 0;
  for (int i = 0; i < n; i++) {
    if (buf[i] == e->point) { buf[i] = '.'; looks_float = 1; }
    else if (buf[i] == 'e' || buf[i] == '.') looks_float = 1;
  }
  if (!looks_float) { buf[n++] = '.'; buf[n++] = '0'; }
  put(e, buf, (size_t)n);
}

/* Writes str as a JSON string; invalid UTF-8 fails as a json_encode error for `at`. */
static void put_string(encoder *e, const char *str, size_t len, const path_step *at,
                       const char *what) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)str, *end = p + len;
  jbuf *b = e->out;
  jbuf_reserve(e->L, b, len + 2);
  b->data[b->len++] = '"';
  for (;;) {
    const unsigned char *run = p;
    while (str_class[*p] == 0) p++;
    /* Room for the run and the closing quote was reserved with the worst case for the rest. */
    memcpy(b->data + b->len, run, (size_t)(p - run));
    b->len += (size_t)(p - run);
    if (p >= end) break;
    unsigned c = *p;
    if (c >= 0x80) {
      size_t n = utf8_sequence(p);
      if (n == 0 || p + n > end) encode_fail(e, at, "json_encode", "%s is not valid UTF-8", what);
      memcpy(b->data + b->len, p, n);
      b->len += n;
      p += n;
      continue;
    }
    char esc[6] = { '\\', 0, 0, 0, 0, 0 };
    size_t n = 2;
    int letter = short_escape(c, ESCAPE_BYTE);
    if (letter >= 0) {
      esc[1] = (char)letter;
    } else {
      esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
      esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
      n = 6;
    }
    p++;
    jbuf_reserve(e->L, b, n + (size_t)(end - p) + 1);
    memcpy(b->data + b->len, esc, n);
    b->len += n;
  }
  b->data[b->len++] = '"';
}

static void encode_value(encoder *e, int idx, const path_step *at);

static int key_less(const key_entry *x, const key_entry *y) {
  size_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->s, y->s, n) : 0;
  return c < 0 || (c == 0 && x->len < y->len);
}

static int key_compare(const void *a, const void *b) {
  const key_entry *x = (const key_entry *)a, *y = (const key_entry *)b;
  return key_less(x, y) ? -1 : key_less(y, x) ? 1 : 0;
}

static void sort_keys(key_entry *k, size_t n) {
  if (n > 16) {
    qsort(k, n, sizeof *k, key_compare);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    key_entry t = k[i];
    size_t j = i;
    while (j > 0 && key_less(&t, &k[j - 1])) { k[j] = k[j - 1]; j--; }
    k[j] = t;
  }
}

static void encode_array(encoder *e, int idx, lua_Integer n, const path_step *at) {
  lua_State *L = e->L;
  if (n == 0) { put(e, "[]", 2); return; }
  int level = e->depth;
  put_char(e, '[');
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1) put_char(e, ',');
    if (e->pretty) put_newline(e, level);
    path_step step = { at, NULL, 0, i - 1 };
    lua_rawgeti(L, idx, i);
    encode_value(e, lua_gettop(L), &step);
    lua_pop(L, 1);
  }
  if (e->pretty) put_newline(e, level - 1);
  put_char(e, ']');
}

static void encode_object(encoder *e, int idx, const path_step *at) {
  lua_State *L = e->L;
  int level = e->depth, top = lua_gettop(L);
  size_t base = e->nkeys, n = 0;
  /* Keep every key (as a string) and value on the stack, and the key's copy for lua_next. */
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int k = lua_gettop(L) - 1;
    switch (lua_type(L, k)) {
      case LUA_TSTRING: break;
      case LUA_TNUMBER:
        if (lua_isinteger(L, k)) break;
        encode_fail(e, at, "json_encode", "object key %s is not a string or an integer",
                    lua_tostring(L, k));
        break;
      default:
        encode_fail(e, at, "json_encode", "object key of type %s is not a string",
                    luaL_typename(L, k));
    }
    if (!lua_checkstack(L, 4)) luaL_error(L, "json: object too large to sort");
    lua_pushvalue(L, k);       /* for lua_next; k itself becomes the key's string */
    jbuf_reserve(L, e->keys, sizeof(key_entry));
    key_entry *entry = (key_entry *)(void *)e->keys->data + base + n;
    entry->s = lua_tolstring(L, k, &entry->len);
    entry->value = k + 1;
    e->keys->len += sizeof(key_entry);
    n++;
  }
  if (n == 0) { put(e, "{}", 2); return; }
  e->nkeys = base + n;
  key_entry *keys = (key_entry *)(void *)e->keys->data + base;
  sort_keys(keys, n);
  put_char(e, '{');
  for (size_t i = 0; i < n; i++) {
    keys = (key_entry *)(void *)e->keys->data + base;  /* nested objects may move it */
    key_entry k = keys[i];
    if (i > 0) {
      if (!key_less(&keys[i - 1], &k))
        encode_fail(e, at, "json_encode", "two keys write \"%s\"", k.s);
      put_char(e, ',');
    }
    if (e->pretty) put_newline(e, level);
    path_step step = { at, k.s, k.len, 0 };
    put_string(e, k.s, k.len, &step, "key");
    if (e->pretty) put(e, ": ", 2);
    else put_char(e, ':');
    encode_value(e, k.value, &step);
  }
  if (e->pretty) put_newline(e, level - 1);
  put_char(e, '}');
  e->nkeys = base;
  e->keys->len = base * sizeof(key_entry);
  lua_settop(L, top);
}

static int has_array_mark(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx)) return 0;
  int marked = lua_rawequal(L, -1, ENC_ARRAY_MT);
  lua_pop(L, 1);
  return marked;
}

/* Writes the value at stack index idx (absolute), which is at `at` in the document. */
static void encode_value(encoder *e, int idx, const path_step *at) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      put(e, "null", 4);
      return;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) put(e, "true", 4);
      else put(e, "false", 5);
      return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) put_integer(e, lua_tointeger(L, idx));
      else put_float(e, (double)lua_tonumber(L, idx), at);
      return;
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      put_string(e, s, len, at, "string");
      return;
    }
    case LUA_TTABLE: {
      if (e->depth >= e->max_depth)
        encode_fail(e, at, "json_depth", "nesting deeper than %d (or a cycle)",
                    e->max_depth);
      luaL_checkstack(L, 8, "json nesting");
      e->depth++;
      lua_Integer n;
      if (has_array_mark(L, idx)) encode_array(e, idx, (lua_Integer)lua_rawlen(L, idx), at);
      else if ((n = a0_sequence_length(L, idx)) > 0) encode_array(e, idx, n, at);
      else encode_object(e, idx, at);
      e->depth--;
      return;
    }
    case LUA_TUSERDATA:
      if (lua_rawequal(L, idx, ENC_NULL)) {
        put(e, "null", 4);
        return;
      }
      break;
    default:
      break;
  }
  encode_fail(e, at, "json_encode", "cannot encode a %s value", luaL_typename(L, idx));
}

/* Runs under lua_pcall: (encoder, value) -> string. */
static int encode_run(lua_State *L) {
  encoder *e = (encoder *)lua_touserdata(L, 1);
  a0_push_null(L);      /* ENC_NULL */
  a0_push_array_mt(L);  /* ENC_ARRAY_MT */
  encode_value(e, ENC_VALUE, NULL);
  lua_pushlstring(L, e->out->data, e->out->len);
  return 1;
}

/* json.encode(value [, opts]) -> string | nil, err */
static int json_encode(lua_State *L) {
  static const char *const known[] = { "max_depth", "pretty", NULL };
  luaL_checkany(L, 1);
  int max_depth = A0_MAX_DEPTH, pretty = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    max_depth = check_max_depth(L, 2, known, NULL);
    int t = lua_getfield(L, 2, "pretty");
    if (t != LUA_TNIL && t != LUA_TBOOLEAN) luaL_argerror(L, 2, "pretty must be a boolean");
    pretty = lua_toboolean(L, -1);
  }
  lua_settop(L, 1);
  encoder e;
  e.L = L;
  e.out = jbuf_new(L);                         /* 2 */
  e.keys = jbuf_new(L);                        /* 3 */
  e.nkeys = 0;
  e.depth = 0;
  e.max_depth = max_depth;
  e.pretty = pretty;
  e.failed = 0;
  e.point = locale_point();
  lua_pushcfunction(L, encode_run);
  lua_pushlightuserdata(L, &e);
  lua_pushvalue(L, 1);
  int status = lua_pcall(L, 2, 1, 0);
  jbuf_free(e.out);
  jbuf_free(e.keys);
  if (status == LUA_OK) return 1;
  if (e.failed) return a0_fail(L);
  return lua_error(L);
}

static const luaL_Reg json_functions[] = {
  { "decode", json_decode },
  { "encode", json_encode },
  { NULL, NULL }
};

int luaopen_a0lua_core_json(lua_State *L) {
  lua_createtable(L, 0, 8);
  static const luaL_Reg jbuf_meta[] = {
    { "__gc", jbuf_gc },
    { "__close", jbuf_gc },
    { NULL, NULL }
  };
  lua_createtable(L, 0, 3);                    /* the buffers' metatable, upvalue of both */
  luaL_setfuncs(L, jbuf_meta, 0);
  lua_pushliteral(L, "a0lua.json.buffer");
  lua_setfield(L, -2, "__name");
  luaL_setfuncs(L, json_functions, 1);
  a0_export_markers(L);
  lua_pushliteral(L, JSON_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}
