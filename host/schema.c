/*
 * schema.c: the a0lua.core.schema primitive, a JSON-schema subset compiled to C and checked fast.
 *
 *   local schema = require "a0lua.core.schema"
 *
 *   schema.compile(s) -> validator | nil, err
 *     s is a Lua table as the json / yaml modules decode it (arrays carry the core.h array marker,
 *     null is the core.h null sentinel), or a Lua literal (a plain 1..n sequence is an array, see
 *     core.h a0_kind; write an empty array as schema.array() and null as schema.null). A subschema
 *     may also be true (anything) or false (nothing). The same Lua table used in several places is
 *     compiled once; a table that contains itself is a schema_invalid error.
 *     Keywords (the subset a0deploy's handler schemas use, docs/architecture.md §7.1):
 *       type (a name or a list of names: object array string number integer boolean null),
 *       nullable (true adds null to `type`, as Ajv 6's nullable option), properties, required,
 *       additionalProperties (false | true | schema), minProperties, maxProperties,
 *       items (one schema), minItems, maxItems, uniqueItems, enum, minLength, maxLength, pattern,
 *       minimum, maximum (inclusive), anyOf, oneOf, format ("date-time"; other formats ignored),
 *       default (read from a `properties` entry only).
 *     Annotations and unknown keys are ignored (description, title, readOnly, $schema, examples,
 *     defaultValue, schemaName...). Standard keywords this subset does not implement ($ref, allOf,
 *     not, if, const, multipleOf, exclusiveMinimum/Maximum, patternProperties, propertyNames,
 *     dependencies, contains, additionalItems, tuple-form items) are schema_invalid rather than
 *     silently accepting everything.
 *     err = { code = "schema_invalid", message =, path = } where path is the JSON pointer of the
 *     offending place in the schema ("/properties/name/pattern"; "" for the root): a keyword value
 *     of the wrong type (minLength = "x"), an unknown type name, a pattern PCRE2 rejects, nesting
 *     deeper than A0_MAX_DEPTH (512), a cycle, an unsupported keyword.
 *
 *   validator:validate(value [, opts]) -> true | false, errors
 *     opts.defaults  true: fill defaults in place, as Ajv's useDefaults (below). Default false.
 *     errors is an array (with the array marker) of every error found, in schema order (extra
 *     properties in table traversal order), each a table
 *       { code = "schema_violation", keyword = "enum", message = "must be one of a, b",
 *         path = "/clients/0/name", schema_path = "/properties/clients/items/properties/name/enum" }
 *     path and schema_path are JSON pointers (RFC 6901: "~" -> "~0", "/" -> "~1"; array indexes
 *     count from 0; "" is the value itself). Extra fields: `property` (required,
 *     additionalProperties: the name), `branches` (anyOf, oneOf: one errors array per branch, empty
 *     for a branch that matched). Messages:
 *       type                  must be string          (a list: must be object,null)
 *       required              must have required property 'name'   (path: the object)
 *       additionalProperties  must not have additional property 'foo'   (path: the property's own)
 *       minProperties ...     must not have fewer than 1 properties / more than 10 properties
 *       minItems, maxItems    must not have fewer than 1 items / more than 3 items
 *       uniqueItems           must not have duplicate items (items 0 and 2 are identical)
 *       enum                  must be one of a, b, true, null   (values as written)
 *       minLength, maxLength  must not have fewer than 1 characters / more than 50 characters
 *       pattern               must match pattern "^[A-Z]{2}$"
 *       format                must match format "date-time"
 *       minimum, maximum      must be >= 1 / must be <= 150
 *       anyOf                 must match a schema in anyOf
 *       oneOf                 must match exactly one schema in oneOf   (none, or several, match)
 *       false                 boolean schema is false
 *     Semantics: "integer" accepts 1.0 and rejects 1.5, "number" both; "null" is nil or the null
 *     sentinel; functions, threads and other userdata fail every type. Keywords that do not apply
 *     to the value's kind are ignored (minLength on a number...). Lengths count code points of the
 *     UTF-8 string. enum and uniqueItems compare deeply and strictly (1 equals 1.0, "1" does not).
 *     pattern is an ECMAScript regex (no flags) run by PCRE2 with search semantics: UTF mode,
 *     `$` only at the very end, \uXXXX escapes, `[]` / `[^]`, `.` not matching line terminators,
 *     `\s` / `\S` including the Unicode spaces ECMAScript lists, `\v` a vertical tab, a letter
 *     escape ECMAScript does not define being the letter (`\e` is "e", as in non-unicode mode), and
 *     a `-` next to a class escape inside a class (`[\w-\.~]`, `[a-\d]`) kept literal as
 *     ECMAScript does (PCRE2 would reject the range). JIT-compiled when available.
 *     date-time is Ajv's "fast" check: YYYY-MM-DD, T or t or white space, hh:mm:ss (or 23:59:60),
 *     optional fraction, then Z, z or +hh / +hh:mm / +hhmm.
 *     Defaults (opts.defaults, as Ajv 6 useDefaults): for every object validated against a schema
 *     with `properties`, each declared property that is missing (nil) and whose subschema has a
 *     `default` gets a deep copy of it (array markers kept) before the properties are checked; a
 *     present null stays; a missing parent object is not created; a `default` on the root schema,
 *     on `items` or on `additionalProperties` does nothing; nothing is filled inside anyOf / oneOf
 *     branches (Ajv skips defaults in composite schemas).
 *     Validation never raises for any value (only a closed validator, a bad opts or running out of
 *     memory raise) and never calls metamethods: tables are read raw.
 *
 *   validator:close()   frees the compiled schema now; idempotent, also __gc and __close. A closed
 *                       validator raises when used.
 *   schema.version      "PCRE2 10.42" (the PCRE2 library in use)
 *   schema.null, schema.array([t]) -> t, schema.is_array(v), schema.array_mt: the core.h markers.
 *
 * Misuse raises: compile of a non-table, validate on a closed validator, opts not a table, an
 * unknown option or a non-boolean `defaults`.
 *
 * Caveats: regexes run on UTF-8 code points, not UTF-16 units, so `.` matches a whole astral
 * character; lookbehind must have a fixed length (a PCRE2 rule); a match that exceeds PCRE2's
 * match or heap limit counts as no match. enum / uniqueItems comparisons
 * of cyclic tables give up after a bounded amount of work (counted as different). A value that
 * contains itself is validated as far as the schema goes; defaults are never written into a table
 * that is being traversed.
 *
 * Ownership: the compiled schema is C memory owned by the validator userdata: an arena of node
 * blocks, the PCRE2 codes and one match data. Everything is hung on the userdata as soon as it is
 * allocated, so an error raised mid-compile (out of memory) leaks nothing: __gc frees it. Lua
 * values the nodes need (property names, enum values, defaults) live in a Lua array that is the
 * userdata's user value. Validation allocates nothing but the errors it reports (and, for a large
 * uniqueItems array of scalars, one scratch table).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define VALIDATOR_MT "a0lua.schema.validator"

/* Type bits: what `type` allows. */
enum {
  T_NULL = 1, T_BOOLEAN = 2, T_INTEGER = 4, T_NUMBER = 8, T_STRING = 16, T_ARRAY = 32,
  T_OBJECT = 64
};
static const char *const TYPE_NAMES[] = {
  "null", "boolean", "integer", "number", "string", "array", "object"
};
#define NTYPES 7

/* Node flags. */
enum {
  F_FALSE = 1 << 0,        /* the boolean schema false */
  F_ADDL_FALSE = 1 << 1,   /* additionalProperties: false */
  F_UNIQUE = 1 << 2,
  F_DATETIME = 1 << 3,
  F_NULLABLE = 1 << 4,
  F_DEFAULTS = 1 << 5,     /* some property has a default */
  F_MIN_LENGTH = 1 << 6, F_MAX_LENGTH = 1 << 7,
  F_MIN_ITEMS = 1 << 8, F_MAX_ITEMS = 1 << 9,
  F_MIN_PROPS = 1 << 10, F_MAX_PROPS = 1 << 11,
  F_MINIMUM = 1 << 12, F_MAXIMUM = 1 << 13
};

struct node;

struct prop {
  const char *name;        /* in the arena, NUL-terminated */
  size_t len;
  int key;                 /* K index of the name as a Lua string */
  int def;                 /* K index of the default, 0 for none */
  struct node *schema;
};

struct name {
  const char *s;
  size_t len;
  int key;
};

/* What most nodes lack, kept out of the node so the ~190,000-node prompts schema stays small. */
struct ext {
  lua_Integer min_length, max_length, min_items, max_items, min_props, max_props;
  lua_Number minimum, maximum;
  pcre2_code *re;
  const char *pattern;     /* as written, for messages */
  int enum_ref;            /* K index of an array of the allowed values, 0 for none */
  int props_set;           /* K index of {name = true}, 0 for none */
  struct name *required;
  uint32_t nrequired, nany, none;
  struct node **any_of, **one_of;
};

struct node {
  uint8_t types;           /* T_* bits; 0 = any type */
  uint8_t ntypes;
  uint8_t tlist[NTYPES];   /* type names in the order written, for the message */
  uint16_t flags;
  uint16_t height;         /* longest path to a leaf, to bound recursion through shared nodes */
  uint32_t nprops;
  struct prop *props;      /* sorted by name */
  struct node *items, *addl;
  struct ext *ext;
};

struct block {
  struct block *next;
  size_t used, cap;
};
#define BLOCK_HDR ((sizeof(struct block) + 15) & ~(size_t)15)
#define BLOCK_SIZE 65536

struct validator {
  struct block *blocks;
  pcre2_code **res;
  size_t nres, capres;
  pcre2_match_data *md;
  struct node *root;
  int closed;
};

/* A JSON pointer segment, chained to its parent on the C stack; strings are built on error only. */
struct seg {
  const struct seg *up;
  const char *s;           /* a name (len bytes), or NULL */
  size_t len;
  int key;                 /* else a Lua stack index holding the key, or 0 */
  lua_Integer idx;         /* else an array index from 0 */
  const void *iter;        /* the table traversed with lua_next to reach this segment */
};

#define SEG_NAME(up_, s_, len_) { (up_), (s_), (len_), 0, 0, NULL }
#define SEG_INDEX(up_, i_) { (up_), NULL, 0, 0, (i_), NULL }

/* ---------------------------------------------------------------------------------------------
 * Memory
 */

static void *arena_alloc(lua_State *L, struct validator *v, size_t size) {
  size = (size + 15) & ~(size_t)15;
  struct block *b = v->blocks;
  if (!b || b->cap - b->used < size) {
    size_t cap = size > BLOCK_SIZE / 4 ? size : BLOCK_SIZE;
    struct block *nb = malloc(BLOCK_HDR + cap);
    if (!nb) luaL_error(L, "not enough memory");
    nb->used = 0;
    nb->cap = cap;
    if (b && cap != BLOCK_SIZE) {  /* a big one-off: keep filling the current block */
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      v->blocks = nb;
    }
    b = nb;
  }
  void *p = (char *)b + BLOCK_HDR + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

static const char *arena_strdup(lua_State *L, struct validator *v, const char *s, size_t len) {
  char *p = arena_alloc(L, v, len + 1);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

static void validator_free(struct validator *v) {
  for (size_t i = 0; i < v->nres; i++) pcre2_code_free(v->res[i]);
  free(v->res);
  v->res = NULL;
  v->nres = v->capres = 0;
  if (v->md) pcre2_match_data_free(v->md);
  v->md = NULL;
  while (v->blocks) {
    struct block *next = v->blocks->next;
    free(v->blocks);
    v->blocks = next;
  }
  v->root = NULL;
  v->closed = 1;
}

/* ---------------------------------------------------------------------------------------------
 * JSON pointers
 */

static void add_escaped(luaL_Buffer *b, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '~') luaL_addstring(b, "~0");
    else if (s[i] == '/') luaL_addstring(b, "~1");
    else luaL_addchar(b, s[i]);
  }
}

/* A key as text without converting it in place: strings as they are, numbers formatted. */
static const char *key_text(lua_State *L, int idx, char *buf, size_t size) {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: return lua_tostring(L, idx);
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx))
        snprintf(buf, size, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
      else
        snprintf(buf, size, "%.14g", (double)lua_tonumber(L, idx));
      return buf;
    case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "true" : "false";
    default: return lua_typename(L, lua_type(L, idx));
  }
}

static void add_pointer(lua_State *L, luaL_Buffer *b, const struct seg *s) {
  if (!s) return;
  add_pointer(L, b, s->up);
  luaL_addchar(b, '/');
  char tmp[64];
  if (s->s) {
    add_escaped(b, s->s, s->len);
  } else if (s->key) {
    if (lua_type(L, s->key) == LUA_TSTRING) {
      size_t len;
      const char *k = lua_tolstring(L, s->key, &len);
      add_escaped(b, k, len);
    } else {
      const char *k = key_text(L, s->key, tmp, sizeof tmp);
      add_escaped(b, k, strlen(k));
    }
  } else {
    snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, (LUAI_UACINT)s->idx);
    luaL_addstring(b, tmp);
  }
}

/* Pushes the JSON pointer of s. */
static void push_pointer(lua_State *L, const struct seg *s) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  add_pointer(L, &b, s);
  luaL_pushresult(&b);
}

/* Pushes a number the way JSON writes it: integral values without a fraction. */
static void push_number_text(lua_State *L, lua_Number d) {
  if (d == floor(d) && fabs(d) < 9007199254740992.0) lua_pushfstring(L, "%I", (lua_Integer)d);
  else lua_pushfstring(L, "%f", d);
}

/* ---------------------------------------------------------------------------------------------
 * Values
 */

static int type_bits(lua_State *L, int idx, enum a0_kind kind) {
  switch (kind) {
    case A0_NULL: return T_NULL;
    case A0_BOOLEAN: return T_BOOLEAN;
    case A0_INTEGER: return T_INTEGER | T_NUMBER;
    case A0_FLOAT: {
      lua_Number d = lua_tonumber(L, idx);
      return isfinite(d) && d == floor(d) ? T_INTEGER | T_NUMBER : T_NUMBER;
    }
    case A0_STRING: return T_STRING;
    case A0_ARRAY: return T_ARRAY;
    case A0_OBJECT: return T_OBJECT;
    default: return 0;
  }
}

/* Steps one deep comparison may take: far more than any acyclic JSON value needs, and a bound on
 * the exponential walk two distinct cyclic tables would cause. */
#define DEEP_BUDGET 1000000L

/* Deep, strict JSON equality of the values at a and b; *budget bounds the work (cycles). */
static int deep_equal(lua_State *L, int a, int b, int depth, long *budget) {
  if (lua_rawequal(L, a, b)) return 1;
  if (--*budget < 0 || depth >= A0_MAX_DEPTH) return 0;
  enum a0_kind ka = a0_kind(L, a), kb = a0_kind(L, b);
  if (ka == A0_NULL && kb == A0_NULL) return 1;
  if (ka != kb) return 0;
  luaL_checkstack(L, 4, "value nested too deeply");
  a = lua_absindex(L, a);
  b = lua_absindex(L, b);
  if (ka == A0_ARRAY) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, a);
    if (n != (lua_Integer)lua_rawlen(L, b)) return 0;
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, a, i);
      lua_rawgeti(L, b, i);
      int eq = deep_equal(L, -2, -1, depth + 1, budget);
      lua_pop(L, 2);
      if (!eq) return 0;
    }
    return 1;
  }
  if (ka == A0_OBJECT) {
    lua_Integer na = 0, nb = 0;
    lua_pushnil(L);
    while (lua_next(L, a)) {
      na++;
      lua_pushvalue(L, -2);
      if (lua_rawget(L, b) == LUA_TNIL || !deep_equal(L, -2, -1, depth + 1, budget)) {
        lua_pop(L, 3);
        return 0;
      }
      lua_pop(L, 2);
    }
    lua_pushnil(L);
    while (lua_next(L, b)) {
      nb++;
      lua_pop(L, 1);
    }
    return na == nb;
  }
  return 0;
}

/* Pushes a deep copy of the value at idx: tables are copied (keeping the array marker, dropping
 * any other metatable), everything else is itself. Returns 0 (nothing pushed) when nested deeper
 * than A0_MAX_DEPTH. */
static int copy_value(lua_State *L, int idx, int depth) {
  if (lua_type(L, idx) != LUA_TTABLE) {
    lua_pushvalue(L, idx);
    return 1;
  }
  if (depth >= A0_MAX_DEPTH) return 0;
  luaL_checkstack(L, 6, "value nested too deeply");
  idx = lua_absindex(L, idx);
  lua_createtable(L, (int)lua_rawlen(L, idx), 0);
  if (a0_has_array_mark(L, idx)) a0_mark_array(L, -1);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (!copy_value(L, -1, depth + 1)) {
      lua_pop(L, 3);
      return 0;
    }
    lua_pushvalue(L, -3);
    lua_insert(L, -2);
    lua_rawset(L, -5);
    lua_pop(L, 1);
  }
  return 1;
}

/* The number of code points in a UTF-8 string (bytes that do not continue a sequence). */
static size_t utf8_length(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
  return n;
}

/* The byte length of the ECMAScript white space or line terminator at s, or 0. */
static size_t js_space(const unsigned char *s, size_t left) {
  if (left < 1) return 0;
  if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) return 1;
  if (left >= 2 && s[0] == 0xC2 && s[1] == 0xA0) return 2;              /* U+00A0 */
  if (left < 3) return 0;
  if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;           /* U+1680 */
  if (s[0] == 0xE2 && s[1] == 0x80 &&
      ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
    return 3;                                                           /* U+2000-200A 2028 2029 202F */
  if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) return 3;           /* U+205F */
  if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3;           /* U+3000 */
  if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) return 3;           /* U+FEFF */
  return 0;
}

static int digits(const unsigned char *s, size_t left, size_t n) {
  if (left < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

/* Ajv 6 "fast" date-time: /^\d\d\d\d-[0-1]\d-[0-3]\d[t\s](?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)
 * (?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i */
static int is_date_time(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str, *e = s + len;
  if (!digits(s, len, 4) || len < 10 || s[4] != '-' || s[5] < '0' || s[5] > '1' ||
      !digits(s + 6, 1, 1) || s[7] != '-' || s[8] < '0' || s[8] > '3' || !digits(s + 9, 1, 1))
    return 0;
  s += 10;
  size_t sp;
  if (s < e && (*s == 'T' || *s == 't')) s++;
  else if ((sp = js_space(s, (size_t)(e - s))) > 0) s += sp;
  else return 0;
  if (e - s < 8) return 0;
  int hms = s[0] >= '0' && s[0] <= '2' && digits(s + 1, 1, 1) && s[2] == ':' &&
            s[3] >= '0' && s[3] <= '5' && digits(s + 4, 1, 1) && s[5] == ':' &&
            s[6] >= '0' && s[6] <= '5' && digits(s + 7, 1, 1);
  if (!hms && memcmp(s, "23:59:60", 8) != 0) return 0;
  s += 8;
  if (s < e && *s == '.') {
    s++;
    if (s >= e || !digits(s, 1, 1)) return 0;
    while (s < e && *s >= '0' && *s <= '9') s++;
  }
  if (s >= e) return 0;
  if (*s == 'Z' || *s == 'z') return s + 1 == e;
  if (*s != '+' && *s != '-') return 0;
  s++;
  if (!digits(s, (size_t)(e - s), 2)) return 0;
  s += 2;
  if (s == e) return 1;
  if (*s == ':') s++;
  return digits(s, (size_t)(e - s), 2) && s + 2 == e;
}

/* ---------------------------------------------------------------------------------------------
 * Patterns: ECMAScript source -> PCRE2 source
 */

/* ECMAScript's \s beyond PCRE2's ASCII \s, in PCRE2_ALT_BSUX syntax. */
#define JS_SPACES "\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
#define JS_DOT "[^\\n\\r\\u2028\\u2029]"

static int is_class_escape(char c) {
  return c == 'w' || c == 'W' || c == 'd' || c == 'D' || c == 's' || c == 'S';
}

/* Rewrites the ECMAScript pattern p into out (when not NULL); returns the length written. */
static size_t rewrite_pattern(const char *p, size_t n, char *out) {
  size_t o = 0;
#define EMIT(str, k) do { if (out) memcpy(out + o, (str), (k)); o += (k); } while (0)
#define EMITS(lit) EMIT(lit, sizeof(lit) - 1)
  int in_class = 0, after_class_escape = 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= n) { EMIT(p + i, 1); break; }
      char d = p[++i];
      if (d == 'v') {
        EMITS("\\x0b");             /* PCRE2's \v is a class of vertical spaces */
        after_class_escape = 0;
        continue;
      }
      if (((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) &&
          !strchr(in_class ? "bcdDfnrsStuwWx" : "bBcdDfknrsStuwWx", d)) {
        EMIT(p + i, 1);               /* an identity escape in ECMAScript: \e is "e" */
        after_class_escape = 0;
        continue;
      }
      if (in_class) {
        if (d == 's') EMITS("\\s" JS_SPACES);
        else EMIT(p + i - 1, 2);
        after_class_escape = is_class_escape(d);
      } else if (d == 's') {
        EMITS("[\\s" JS_SPACES "]");
      } else if (d == 'S') {
        EMITS("[^\\s" JS_SPACES "]");
      } else {
        EMIT(p + i - 1, 2);
      }
      continue;
    }
    if (in_class) {
      if (c == ']') {
        in_class = 0;
        EMIT(p + i, 1);
      } else if (c == '[') {
        EMITS("\\[");                 /* no POSIX [:classes:] in ECMAScript */
      } else if (c == '-' && i + 1 < n && p[i + 1] != ']' &&
                 (after_class_escape ||
                  (p[i + 1] == '\\' && i + 2 < n && is_class_escape(p[i + 2])))) {
        EMITS("\\-");                 /* [\w-.] and [a-\d]: a literal hyphen in ECMAScript */
      } else {
        EMIT(p + i, 1);
      }
      after_class_escape = 0;
      continue;
    }
    if (c == '[') {
      in_class = 1;
      after_class_escape = 0;
      EMIT(p + i, 1);
      if (i + 1 < n && p[i + 1] == '^') { i++; EMIT(p + i, 1); }
      if (i + 1 < n && p[i + 1] == ']') { i++; EMIT(p + i, 1); in_class = 0; }  /* [] and [^] */
    } else if (c == '.') {
      EMITS(JS_DOT);
    } else {
      EMIT(p + i, 1);
    }
  }
#undef EMITS
#undef EMIT
  return o;
}

/* ---------------------------------------------------------------------------------------------
 * Compile
 */

struct cstate {
  lua_State *L;
  struct validator *v;
  int K;          /* stack index of the constants array (the userdata's user value) */
  int nk;
  int memo;       /* stack index of {schema table = node lightuserdata | false while compiling} */
  int err_slot;   /* stack index where the schema_invalid error goes */
};

static struct node *cfail(struct cstate *c, const struct seg *path, const char *fmt, ...) {
  lua_State *L = c->L;
  va_list ap;
  va_start(ap, fmt);
  const char *reason = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  push_pointer(L, path);
  const char *where = lua_tostring(L, -1);
  if (*where) a0_new_error(L, "schema_invalid", "%s: %s", where, reason);
  else a0_new_error(L, "schema_invalid", "%s", reason);
  lua_insert(L, -2);
  lua_setfield(L, -2, "path");
  lua_replace(L, c->err_slot);
  lua_pop(L, 1);
  return NULL;
}

static int kstore(struct cstate *c, int idx) {
  lua_pushvalue(c->L, idx);
  lua_rawseti(c->L, c->K, ++c->nk);
  return c->nk;
}

static struct ext *ext_of(struct cstate *c, struct node *n) {
  if (!n->ext) n->ext = arena_alloc(c->L, c->v, sizeof(struct ext));
  return n->ext;
}

static int keq(const char *k, size_t klen, const char *lit) {
  return klen == strlen(lit) && memcmp(k, lit, klen) == 0;
}

/* An array-valued keyword: a table that a0_kind calls an array, or an empty plain table. */
static int is_array_value(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return 0;
  if (a0_kind(L, idx) == A0_ARRAY) return 1;
  lua_pushnil(L);
  if (lua_next(L, idx)) { lua_pop(L, 2); return 0; }
  return 1;
}

static int non_negative_integer(lua_State *L, int idx, lua_Integer *out) {
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  if (lua_isinteger(L, idx)) {
    *out = lua_tointeger(L, idx);
    return *out >= 0;
  }
  lua_Number d = lua_tonumber(L, idx);
  if (!(d >= 0 && d < 9007199254740992.0 && d == floor(d))) return 0;
  *out = (lua_Integer)d;
  return 1;
}

static struct node *compile_node(struct cstate *c, int idx, const struct seg *path, int depth);

static int compile_type(struct cstate *c, struct node *n, int vi, const struct seg *kp) {
  lua_State *L = c->L;
  int count = 1, list = 0;
  if (lua_type(L, vi) != LUA_TSTRING) {
    if (!is_array_value(L, vi)) return cfail(c, kp, "must be a type name or a list of them"), 0;
    count = (int)lua_rawlen(L, vi);
    list = 1;
    if (count == 0) return cfail(c, kp, "must not be an empty list"), 0;
  }
  for (int i = 0; i < count; i++) {
    struct seg ip = SEG_INDEX(kp, i);
    if (list) lua_rawgeti(L, vi, i + 1);
    else lua_pushvalue(L, vi);
    const char *name = lua_tostring(L, -1);
    int t = -1;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int k = 0; k < NTYPES; k++)
        if (strcmp(name, TYPE_NAMES[k]) == 0 && strlen(name) == lua_rawlen(L, -1)) t = k;
    if (t < 0) {
      if (lua_type(L, -1) == LUA_TSTRING)
        return cfail(c, list ? &ip : kp, "unknown type '%s'", name), 0;
      return cfail(c, list ? &ip : kp, "must be a type name"), 0;
    }
    lua_pop(L, 1);
    if (!(n->types & (1 << t))) {
      n->types |= (uint8_t)(1 << t);
      n->tlist[n->ntypes++] = (uint8_t)t;
    }
  }
  return 1;
}

static int prop_cmp(const void *a, const void *b) {
  const struct prop *p = a, *q = b;
  size_t m = p->len < q->len ? p->len : q->len;
  int r = memcmp(p->name, q->name, m);
  return r ? r : (p->len > q->len) - (p->len < q->len);
}

static int compile_properties(struct cstate *c, struct node *n, int vi, const struct seg *kp,
                              int depth) {
  lua_State *L = c->L;
  if (lua_type(L, vi) != LUA_TTABLE || a0_kind(L, vi) == A0_ARRAY)
    return cfail(c, kp, "must be an object"), 0;
  uint32_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, vi)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return cfail(c, kp, "property names must be strings"), 0;
    }
    count++;
    lua_pop(L, 1);
  }
  if (count == 0) return 1;
  n->props = arena_alloc(L, c->v, count * sizeof(struct prop));
  n->nprops = count;
  uint32_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, vi) && i < count) {
    struct prop *p = &n->props[i++];
    const char *name = lua_tolstring(L, -2, &p->len);
    p->name = arena_strdup(L, c->v, name, p->len);
    p->key = kstore(c, -2);
    struct seg pp = SEG_NAME(kp, p->name, p->len);
    p->schema = compile_node(c, -1, &pp, depth + 1);
    if (!p->schema) return 0;
    if (p->schema->height + 1 > n->height) n->height = p->schema->height + 1;
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_pushliteral(L, "default");
      if (lua_rawget(L, -2) != LUA_TNIL) {
        struct seg dp = SEG_NAME(&pp, "default", 7);
        if (!copy_value(L, -1, 0)) return cfail(c, &dp, "nested too deeply"), 0;
        p->def = kstore(c, -1);
        lua_pop(L, 1);
        n->flags |= F_DEFAULTS;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  qsort(n->props, count, sizeof(struct prop), prop_cmp);
  return 1;
}

static int compile_required(struct cstate *c, struct node *n, int vi, const struct seg *kp) {
  lua_State *L = c->L;
  if (!is_array_value(L, vi)) return cfail(c, kp, "must be an array of strings"), 0;
  uint32_t count = (uint32_t)lua_rawlen(L, vi);
  struct ext *x = ext_of(c, n);
  x->required = count ? arena_alloc(L, c->v, count * sizeof(struct name)) : NULL;
  x->nrequired = count;
  for (uint32_t i = 0; i < count; i++) {
    struct seg ip = SEG_INDEX(kp, i);
    if (lua_rawgeti(L, vi, i + 1) != LUA_TSTRING) return cfail(c, &ip, "must be a string"), 0;
    struct name *r = &x->required[i];
    const char *s = lua_tolstring(L, -1, &r->len);
    r->s = arena_strdup(L, c->v, s, r->len);
    r->key = kstore(c, -1);
    lua_pop(L, 1);
  }
  return 1;
}

static int compile_list(struct cstate *c, struct node *n, int vi, const struct seg *kp, int depth,
                        struct node ***out, uint32_t *nout) {
  lua_State *L = c->L;
  if (!is_array_value(L, vi) || lua_rawlen(L, vi) == 0)
    return cfail(c, kp, "must be a non-empty array of schemas"), 0;
  uint32_t count = (uint32_t)lua_rawlen(L, vi);
  struct node **list = arena_alloc(L, c->v, count * sizeof(struct node *));
  for (uint32_t i = 0; i < count; i++) {
    struct seg ip = SEG_INDEX(kp, i);
    lua_rawgeti(L, vi, i + 1);
    list[i] = compile_node(c, -1, &ip, depth + 1);
    if (!list[i]) return 0;
    if (list[i]->height + 1 > n->height) n->height = list[i]->height + 1;
    lua_pop(L, 1);
  }
  *out = list;
  *nout = count;
  return 1;
}

static int compile_pattern(struct cstate *c, struct node *n, int vi, const struct seg *kp) {
  lua_State *L = c->L;
  struct validator *v = c->v;
  if (lua_type(L, vi) != LUA_TSTRING) return cfail(c, kp, "must be a string"), 0;
  size_t len;
  const char *src = lua_tolstring(L, vi, &len);
  if (len > (1u << 20)) return cfail(c, kp, "pattern longer than 1 MiB"), 0;
  struct ext *x = ext_of(c, n);
  x->pattern = arena_strdup(L, v, src, len);
  if (v->nres == v->capres) {
    size_t cap = v->capres ? v->capres * 2 : 8;
    pcre2_code **res = realloc(v->res, cap * sizeof *res);
    if (!res) return luaL_error(L, "not enough memory");
    v->res = res;
    v->capres = cap;
  }
  if (!v->md) {
    v->md = pcre2_match_data_create(1, NULL);
    if (!v->md) return luaL_error(L, "not enough memory");
  }
  /* From here to the end no Lua call: the rewritten source is a plain malloc. */
  size_t outlen = rewrite_pattern(src, len, NULL);
  char *out = malloc(outlen + 1);
  if (!out) return luaL_error(L, "not enough memory");
  rewrite_pattern(src, len, out);
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)out, outlen,
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ALT_BSUX |
                                 PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS |
                                 PCRE2_MATCH_UNSET_BACKREF,
                                 &code, &offset, NULL);
  free(out);
  if (!re) {
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(code, msg, sizeof msg) < 0) strcpy((char *)msg, "invalid");
    return cfail(c, kp, "invalid regular expression: %s", (const char *)msg), 0;
  }
  v->res[v->nres++] = re;
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  /* no JIT: the interpreter runs it */
  x->re = re;
  return 1;
}

/* One keyword of the node; the value is at vi. */
static int compile_keyword(struct cstate *c, struct node *n, const char *k, size_t klen, int vi,
                           const struct seg *kp, int depth) {
  static const char *const unsupported[] = {
    "$ref", "allOf", "not", "if", "const", "multipleOf", "exclusiveMinimum", "exclusiveMaximum",
    "patternProperties", "propertyNames", "dependencies", "dependentRequired", "dependentSchemas",
    "contains", "minContains", "maxContains", "additionalItems", "prefixItems",
    "unevaluatedProperties", "unevaluatedItems", NULL
  };
  static const struct { const char *name; int flag; size_t off; } counts[] = {
    { "minLength", F_MIN_LENGTH, offsetof(struct ext, min_length) },
    { "maxLength", F_MAX_LENGTH, offsetof(struct ext, max_length) },
    { "minItems", F_MIN_ITEMS, offsetof(struct ext, min_items) },
    { "maxItems", F_MAX_ITEMS, offsetof(struct ext, max_items) },
    { "minProperties", F_MIN_PROPS, offsetof(struct ext, min_props) },
    { "maxProperties", F_MAX_PROPS, offsetof(struct ext, max_props) },
  };
  lua_State *L = c->L;
  if (keq(k, klen, "type")) return compile_type(c, n, vi, kp);
  if (keq(k, klen, "properties")) return compile_properties(c, n, vi, kp, depth);
  if (keq(k, klen, "required")) return compile_required(c, n, vi, kp);
  if (keq(k, klen, "pattern")) return compile_pattern(c, n, vi, kp);
  if (keq(k, klen, "nullable") || keq(k, klen, "uniqueItems")) {
    if (lua_type(L, vi) != LUA_TBOOLEAN) return cfail(c, kp, "must be a boolean"), 0;
    if (lua_toboolean(L, vi)) n->flags |= k[0] == 'n' ? F_NULLABLE : F_UNIQUE;
    return 1;
  }
  if (keq(k, klen, "additionalProperties")) {
    if (lua_type(L, vi) == LUA_TBOOLEAN) {
      if (!lua_toboolean(L, vi)) n->flags |= F_ADDL_FALSE;
      return 1;
    }
    n->addl = compile_node(c, vi, kp, depth + 1);
    if (n->addl && n->addl->height + 1 > n->height) n->height = n->addl->height + 1;
    return n->addl != NULL;
  }
  if (keq(k, klen, "items")) {
    if (lua_type(L, vi) == LUA_TTABLE && a0_kind(L, vi) == A0_ARRAY)
      return cfail(c, kp, "tuple-form items is not supported"), 0;
    n->items = compile_node(c, vi, kp, depth + 1);
    if (n->items && n->items->height + 1 > n->height) n->height = n->items->height + 1;
    return n->items != NULL;
  }
  if (keq(k, klen, "anyOf")) {
    struct ext *x = ext_of(c, n);
    return compile_list(c, n, vi, kp, depth, &x->any_of, &x->nany);
  }
  if (keq(k, klen, "oneOf")) {
    struct ext *x = ext_of(c, n);
    return compile_list(c, n, vi, kp, depth, &x->one_of, &x->none);
  }
  if (keq(k, klen, "enum")) {
    if (!is_array_value(L, vi)) return cfail(c, kp, "must be an array"), 0;
    if (!copy_value(L, vi, 0)) return cfail(c, kp, "nested too deeply"), 0;
    a0_mark_array(L, -1);
    ext_of(c, n)->enum_ref = kstore(c, -1);
    lua_pop(L, 1);
    return 1;
  }
  if (keq(k, klen, "minimum") || keq(k, klen, "maximum")) {
    if (lua_type(L, vi) != LUA_TNUMBER) return cfail(c, kp, "must be a number"), 0;
    struct ext *x = ext_of(c, n);
    if (k[1] == 'i') { x->minimum = lua_tonumber(L, vi); n->flags |= F_MINIMUM; }
    else { x->maximum = lua_tonumber(L, vi); n->flags |= F_MAXIMUM; }
    return 1;
  }
  if (keq(k, klen, "format")) {
    if (lua_type(L, vi) != LUA_TSTRING) return cfail(c, kp, "must be a string"), 0;
    if (strcmp(lua_tostring(L, vi), "date-time") == 0) n->flags |= F_DATETIME;
    return 1;
  }
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    if (!keq(k, klen, counts[i].name)) continue;
    lua_Integer value;
    if (!non_negative_integer(L, vi, &value))
      return cfail(c, kp, "must be a non-negative integer"), 0;
    struct ext *x = ext_of(c, n);
    *(lua_Integer *)((char *)x + counts[i].off) = value;
    n->flags |= (uint16_t)counts[i].flag;
    return 1;
  }
  for (int i = 0; unsupported[i]; i++)
    if (keq(k, klen, unsupported[i])) return cfail(c, kp, "unsupported keyword '%s'", k), 0;
  return 1;  /* annotations and unknown keywords */
}

static struct node *compile_node(struct cstate *c, int idx, const struct seg *path, int depth) {
  lua_State *L = c->L;
  struct validator *v = c->v;
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  luaL_checkstack(L, 16, "schema nested too deeply");
  if (depth > A0_MAX_DEPTH) return cfail(c, path, "nested deeper than %d levels", A0_MAX_DEPTH);
  if (lua_type(L, idx) == LUA_TBOOLEAN) {
    struct node *n = arena_alloc(L, v, sizeof *n);
    if (!lua_toboolean(L, idx)) n->flags = F_FALSE;
    return n;
  }
  if (lua_type(L, idx) != LUA_TTABLE || a0_kind(L, idx) == A0_ARRAY)
    return cfail(c, path, "a schema must be an object or a boolean");
  lua_pushvalue(L, idx);
  int seen = lua_rawget(L, c->memo);
  if (seen == LUA_TLIGHTUSERDATA) {
    struct node *n = lua_touserdata(L, -1);
    lua_settop(L, top);
    if (depth + n->height > A0_MAX_DEPTH)
      return cfail(c, path, "nested deeper than %d levels", A0_MAX_DEPTH);
    return n;
  }
  if (seen != LUA_TNIL) return cfail(c, path, "the schema contains itself");
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 0);
  lua_rawset(L, c->memo);

  struct node *n = arena_alloc(L, v, sizeof *n);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t klen;
      const char *k = lua_tolstring(L, -2, &klen);
      struct seg kp = SEG_NAME(path, k, klen);
      if (!compile_keyword(c, n, k, klen, lua_gettop(L), &kp, depth)) {
        lua_settop(L, top);
        return NULL;
      }
    }
    lua_pop(L, 1);
  }
  if ((n->flags & F_NULLABLE) && n->types && !(n->types & T_NULL)) {
    n->types |= T_NULL;
    n->tlist[n->ntypes++] = 0;
  }
  if (((n->flags & F_ADDL_FALSE) || n->addl) && n->nprops) {
    lua_createtable(L, 0, (int)n->nprops);
    for (uint32_t i = 0; i < n->nprops; i++) {
      lua_rawgeti(L, c->K, n->props[i].key);
      lua_pushboolean(L, 1);
      lua_rawset(L, -3);
    }
    ext_of(c, n)->props_set = kstore(c, -1);
    lua_pop(L, 1);
  }
  lua_pushvalue(L, idx);
  lua_pushlightuserdata(L, n);
  lua_rawset(L, c->memo);
  lua_settop(L, top);
  return n;
}

static struct validator *check_validator(lua_State *L, int idx) {
  struct validator *v = luaL_checkudata(L, idx, VALIDATOR_MT);
  if (v->closed) luaL_error(L, "attempt to use a closed validator");
  return v;
}

/* schema.compile(s) -> validator | nil, err */
static int schema_compile(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  struct validator *v = lua_newuserdatauv(L, sizeof *v, 1);        /* 2 */
  memset(v, 0, sizeof *v);
  luaL_setmetatable(L, VALIDATOR_MT);
  lua_newtable(L);                                                  /* 3: K */
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, 2, 1);
  lua_newtable(L);                                                  /* 4: memo */
  lua_pushnil(L);                                                   /* 5: error */
  struct cstate c = { L, v, 3, 0, 4, 5 };
  v->root = compile_node(&c, 1, NULL, 0);
  if (!v->root) {
    validator_free(v);
    lua_pushnil(L);
    lua_pushvalue(L, 5);
    return 2;
  }
  lua_settop(L, 2);
  return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Validate
 */

struct vstate {
  lua_State *L;
  struct validator *v;
  int K;             /* stack index of the constants array */
  int errs;          /* stack index of the current errors array, 0 until the first error */
  int errs_slot;     /* where that array goes when it is created */
  lua_Integer nerr;
  int quiet;         /* pass / fail only: report nothing, stop at the first error */
  int defaults;      /* fill defaults (off inside anyOf / oneOf) */
};

/* Pushes a new error table (and returns 1), or returns 0 in quiet mode. Add fields, then commit. */
static int fail(struct vstate *st, const struct seg *ip, const struct seg *sp, const char *keyword,
                const char *fmt, ...) {
  if (st->quiet) return 0;
  lua_State *L = st->L;
  luaL_checkstack(L, 8, "too many errors");
  if (!st->errs) {
    a0_new_array(L, 0);
    lua_replace(L, st->errs_slot);
    st->errs = st->errs_slot;
  }
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  a0_new_error(L, "schema_violation", "%s", lua_tostring(L, -1));
  lua_remove(L, -2);
  lua_pushstring(L, keyword);
  lua_setfield(L, -2, "keyword");
  push_pointer(L, ip);
  lua_setfield(L, -2, "path");
  struct seg kw = SEG_NAME(sp, keyword, strlen(keyword));
  push_pointer(L, &kw);
  lua_setfield(L, -2, "schema_path");
  return 1;
}

static void commit(struct vstate *st) {
  lua_rawseti(st->L, st->errs, ++st->nerr);
}

/* Is the table p being traversed by lua_next somewhere up the path? Then no key may be added. */
static int being_traversed(const struct seg *ip, const void *p) {
  for (; ip; ip = ip->up)
    if (ip->iter == p) return 1;
  return 0;
}

static int vnode(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                 const struct seg *sp);

static int vobject(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                   const struct seg *sp) {
  lua_State *L = st->L;
  const struct ext *x = n->ext;
  int ok = 1, top = lua_gettop(L);
  if (st->defaults && (n->flags & F_DEFAULTS) && !being_traversed(ip, lua_topointer(L, vi))) {
    for (uint32_t i = 0; i < n->nprops; i++) {
      const struct prop *p = &n->props[i];
      if (!p->def) continue;
      lua_rawgeti(L, st->K, p->key);
      lua_pushvalue(L, -1);
      if (lua_rawget(L, vi) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_rawgeti(L, st->K, p->def);
        copy_value(L, -1, 0);  /* stored defaults are shallower than A0_MAX_DEPTH */
        lua_remove(L, -2);
        lua_rawset(L, vi);
      } else {
        lua_pop(L, 2);
      }
    }
  }
  struct seg props = SEG_NAME(sp, "properties", 10);
  for (uint32_t i = 0; i < n->nprops; i++) {
    const struct prop *p = &n->props[i];
    lua_rawgeti(L, st->K, p->key);
    if (lua_rawget(L, vi) != LUA_TNIL) {
      struct seg ic = SEG_NAME(ip, p->name, p->len), sc = SEG_NAME(&props, p->name, p->len);
      if (!vnode(st, p->schema, lua_gettop(L), &ic, &sc)) {
        ok = 0;
        if (st->quiet) goto done;
      }
    }
    lua_pop(L, 1);
  }
  for (uint32_t i = 0; x && i < x->nrequired; i++) {
    const struct name *r = &x->required[i];
    lua_rawgeti(L, st->K, r->key);
    int missing = lua_rawget(L, vi) == LUA_TNIL;
    lua_pop(L, 1);
    if (!missing) continue;
    ok = 0;
    if (!fail(st, ip, sp, "required", "must have required property '%s'", r->s)) goto done;
    lua_rawgeti(L, st->K, r->key);
    lua_setfield(L, -2, "property");
    commit(st);
  }
  int extra = (n->flags & F_ADDL_FALSE) || n->addl;
  if (extra || (n->flags & (F_MIN_PROPS | F_MAX_PROPS))) {
    lua_Integer count = 0;
    int set = 0;
    if (extra && x && x->props_set) {
      lua_rawgeti(L, st->K, x->props_set);
      set = lua_gettop(L);
    }
    struct seg saddl = SEG_NAME(sp, "additionalProperties", 20);
    lua_pushnil(L);
    while (lua_next(L, vi)) {
      count++;
      if (!extra) { lua_pop(L, 1); continue; }
      int known = 0;
      if (set && lua_type(L, -2) == LUA_TSTRING) {
        lua_pushvalue(L, -2);
        known = lua_rawget(L, set) != LUA_TNIL;
        lua_pop(L, 1);
      }
      if (!known) {
        struct seg ic = { ip, NULL, 0, lua_gettop(L) - 1, 0, lua_topointer(L, vi) };
        if (n->flags & F_ADDL_FALSE) {
          ok = 0;
          char text[64];
          if (!fail(st, &ic, sp, "additionalProperties", "must not have additional property '%s'",
                    key_text(L, ic.key, text, sizeof text)))
            goto done;
          lua_pushvalue(L, ic.key);
          lua_setfield(L, -2, "property");
          commit(st);
        } else if (!vnode(st, n->addl, lua_gettop(L), &ic, &saddl)) {
          ok = 0;
          if (st->quiet) goto done;
        }
      }
      lua_pop(L, 1);
    }
    if ((n->flags & F_MIN_PROPS) && count < x->min_props) {
      ok = 0;
      if (!fail(st, ip, sp, "minProperties", "must not have fewer than %I properties",
                (LUAI_UACINT)x->min_props))
        goto done;
      commit(st);
    }
    if ((n->flags & F_MAX_PROPS) && count > x->max_props) {
      ok = 0;
      if (!fail(st, ip, sp, "maxProperties", "must not have more than %I properties",
                (LUAI_UACINT)x->max_props))
        goto done;
      commit(st);
    }
  }
done:
  lua_settop(L, top);
  return ok;
}

/* Finds the first duplicate pair (i < j, from 0) of the array at vi; returns 0 when none. */
static int find_duplicate(lua_State *L, int vi, lua_Integer len, lua_Integer *pi, lua_Integer *pj) {
  int top = lua_gettop(L);
  int scalars = len > 32;
  for (lua_Integer j = 1; scalars && j <= len; j++) {
    int t = lua_rawgeti(L, vi, j);
    if (t == LUA_TNUMBER) scalars = !isnan(lua_tonumber(L, -1));
    else if (t == LUA_TUSERDATA) scalars = a0_is_null(L, -1);
    else scalars = t == LUA_TSTRING || t == LUA_TBOOLEAN;
    lua_pop(L, 1);
  }
  if (scalars) {  /* numbers as keys: 1 and 1.0 are one key, as they are one JSON value */
    lua_createtable(L, 0, (int)len);
    int set = lua_gettop(L);
    for (lua_Integer j = 1; j <= len; j++) {
      lua_rawgeti(L, vi, j);
      lua_pushvalue(L, -1);
      if (lua_rawget(L, set) != LUA_TNIL) {
        *pi = lua_tointeger(L, -1) - 1;
        *pj = j - 1;
        lua_settop(L, top);
        return 1;
      }
      lua_pop(L, 1);
      lua_pushinteger(L, j);
      lua_rawset(L, set);
    }
    lua_settop(L, top);
    return 0;
  }
  for (lua_Integer j = 2; j <= len; j++) {
    lua_rawgeti(L, vi, j);
    for (lua_Integer i = 1; i < j; i++) {
      long budget = DEEP_BUDGET;
      lua_rawgeti(L, vi, i);
      int eq = deep_equal(L, -1, -2, 0, &budget);
      lua_pop(L, 1);
      if (eq) {
        *pi = i - 1;
        *pj = j - 1;
        lua_settop(L, top);
        return 1;
      }
    }
    lua_pop(L, 1);
  }
  return 0;
}

static int varray(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                  const struct seg *sp) {
  lua_State *L = st->L;
  const struct ext *x = n->ext;
  lua_Integer len = (lua_Integer)lua_rawlen(L, vi);
  int ok = 1;
  if (x && (n->flags & F_MIN_ITEMS) && len < x->min_items) {
    ok = 0;
    if (!fail(st, ip, sp, "minItems", "must not have fewer than %I items",
              (LUAI_UACINT)x->min_items))
      return 0;
    commit(st);
  }
  if (x && (n->flags & F_MAX_ITEMS) && len > x->max_items) {
    ok = 0;
    if (!fail(st, ip, sp, "maxItems", "must not have more than %I items",
              (LUAI_UACINT)x->max_items))
      return 0;
    commit(st);
  }
  if (n->items) {
    struct seg sitems = SEG_NAME(sp, "items", 5);
    for (lua_Integer i = 1; i <= len; i++) {
      lua_rawgeti(L, vi, i);
      struct seg ic = SEG_INDEX(ip, i - 1);
      int good = vnode(st, n->items, lua_gettop(L), &ic, &sitems);
      lua_pop(L, 1);
      if (!good) {
        ok = 0;
        if (st->quiet) return 0;
      }
    }
  }
  lua_Integer i, j;
  if ((n->flags & F_UNIQUE) && len > 1 && find_duplicate(L, vi, len, &i, &j)) {
    ok = 0;
    if (!fail(st, ip, sp, "uniqueItems",
              "must not have duplicate items (items %I and %I are identical)", (LUAI_UACINT)i,
              (LUAI_UACINT)j))
      return 0;
    commit(st);
  }
  return ok;
}

static int pattern_matches(struct validator *v, pcre2_code *re, const char *s, size_t len) {
  int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, v->md, NULL);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
    rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_JIT, v->md, NULL);
  return rc >= 0;  /* no match, and a match or heap limit hit, both fail the keyword */
}

static int vstring(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                   const struct seg *sp) {
  lua_State *L = st->L;
  const struct ext *x = n->ext;
  size_t len;
  const char *s = lua_tolstring(L, vi, &len);
  int ok = 1;
  if (x && (n->flags & (F_MIN_LENGTH | F_MAX_LENGTH))) {
    lua_Integer chars = (lua_Integer)utf8_length(s, len);
    if ((n->flags & F_MIN_LENGTH) && chars < x->min_length) {
      ok = 0;
      if (!fail(st, ip, sp, "minLength", "must not have fewer than %I characters",
                (LUAI_UACINT)x->min_length))
        return 0;
      commit(st);
    }
    if ((n->flags & F_MAX_LENGTH) && chars > x->max_length) {
      ok = 0;
      if (!fail(st, ip, sp, "maxLength", "must not have more than %I characters",
                (LUAI_UACINT)x->max_length))
        return 0;
      commit(st);
    }
  }
  if (x && x->re && !pattern_matches(st->v, x->re, s, len)) {
    ok = 0;
    if (!fail(st, ip, sp, "pattern", "must match pattern \"%s\"", x->pattern)) return 0;
    commit(st);
  }
  if ((n->flags & F_DATETIME) && !is_date_time(s, len)) {
    ok = 0;
    if (!fail(st, ip, sp, "format", "must match format \"date-time\"")) return 0;
    commit(st);
  }
  return ok;
}

static int vnumber(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                   const struct seg *sp) {
  lua_State *L = st->L;
  const struct ext *x = n->ext;
  int ok = 1;
  if (!x || !(n->flags & (F_MINIMUM | F_MAXIMUM))) return 1;
  lua_Number d = lua_tonumber(L, vi);
  if ((n->flags & F_MINIMUM) && !(d >= x->minimum)) {
    ok = 0;
    if (st->quiet) return 0;
    push_number_text(L, x->minimum);
    if (fail(st, ip, sp, "minimum", "must be >= %s", lua_tostring(L, -1))) commit(st);
    lua_pop(L, 1);
  }
  if ((n->flags & F_MAXIMUM) && !(d <= x->maximum)) {
    ok = 0;
    if (st->quiet) return 0;
    push_number_text(L, x->maximum);
    if (fail(st, ip, sp, "maximum", "must be <= %s", lua_tostring(L, -1))) commit(st);
    lua_pop(L, 1);
  }
  return ok;
}

/* Pushes "a, b, true, null": the enum values as written. */
static void push_enum_list(lua_State *L, int list) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  lua_pushliteral(L, "");
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1) lua_pushliteral(L, ", ");
    int t = lua_rawgeti(L, list, i);
    switch (t) {
      case LUA_TSTRING: break;
      case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false"); break;
      case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -1));
        else push_number_text(L, lua_tonumber(L, -1));
        break;
      case LUA_TTABLE: lua_pushstring(L, a0_kind(L, -1) == A0_ARRAY ? "[...]" : "{...}"); break;
      default: lua_pushstring(L, a0_kind(L, -1) == A0_NULL ? "null" : luaL_typename(L, -1));
    }
    if (t != LUA_TSTRING) lua_remove(L, -2);
    lua_concat(L, i > 1 ? 3 : 2);
  }
}

static int vcomposite(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                      const struct seg *sp, int one) {
  lua_State *L = st->L;
  const struct ext *x = n->ext;
  struct node **branches = one ? x->one_of : x->any_of;
  uint32_t count = one ? x->none : x->nany;
  const char *keyword = one ? "oneOf" : "anyOf";
  struct seg skw = SEG_NAME(sp, keyword, 5);
  int quiet = st->quiet, defaults = st->defaults;
  uint32_t passing = 0;
  st->quiet = 1;
  st->defaults = 0;
  for (uint32_t i = 0; i < count; i++) {
    struct seg sb = SEG_INDEX(&skw, i);
    if (vnode(st, branches[i], vi, ip, &sb) && (++passing > 1 || !one)) break;
  }
  st->quiet = quiet;
  if (one ? passing == 1 : passing > 0) {
    st->defaults = defaults;
    return 1;
  }
  if (fail(st, ip, sp, keyword, one ? "must match exactly one schema in oneOf"
                                    : "must match a schema in anyOf")) {
    /* Again, reporting this time: each branch's errors. */
    a0_new_array(L, (int)count);
    int errs = st->errs, slot = st->errs_slot;
    lua_Integer nerr = st->nerr;
    for (uint32_t i = 0; i < count; i++) {
      struct seg sb = SEG_INDEX(&skw, i);
      lua_pushnil(L);
      st->errs_slot = lua_gettop(L);
      st->errs = 0;
      st->nerr = 0;
      vnode(st, branches[i], vi, ip, &sb);
      if (!st->errs) a0_new_array(L, 0), lua_replace(L, st->errs_slot);
      lua_rawseti(L, -2, i + 1);
    }
    st->errs = errs;
    st->errs_slot = slot;
    st->nerr = nerr;
    lua_setfield(L, -2, "branches");
    commit(st);
  }
  st->defaults = defaults;
  return 0;
}

/* Reports "must be object,null": the type names in the order written. */
static void fail_type(struct vstate *st, const struct node *n, const struct seg *ip,
                      const struct seg *sp) {
  lua_State *L = st->L;
  lua_pushliteral(L, "");
  for (int i = 0; i < n->ntypes; i++) {
    lua_pushstring(L, TYPE_NAMES[n->tlist[i]]);
    if (i) {
      lua_pushliteral(L, ",");
      lua_insert(L, -2);
    }
    lua_concat(L, i ? 3 : 2);
  }
  if (fail(st, ip, sp, "type", "must be %s", lua_tostring(L, -1))) commit(st);
  lua_pop(L, 1);
}

static int vnode(struct vstate *st, const struct node *n, int vi, const struct seg *ip,
                 const struct seg *sp) {
  lua_State *L = st->L;
  luaL_checkstack(L, 16, "value nested too deeply");
  if (n->flags & F_FALSE) {
    if (fail(st, ip, sp, "false", "boolean schema is false")) commit(st);
    return 0;
  }
  const struct ext *x = n->ext;
  enum a0_kind kind = a0_kind(L, vi);
  int ok = 1;
  if (n->types && !(n->types & type_bits(L, vi, kind))) {
    ok = 0;
    if (st->quiet) return 0;
    fail_type(st, n, ip, sp);
  }
  if (x && x->enum_ref) {
    lua_rawgeti(L, st->K, x->enum_ref);
    int list = lua_gettop(L), found = 0;
    lua_Integer count = (lua_Integer)lua_rawlen(L, list);
    for (lua_Integer i = 1; i <= count && !found; i++) {
      long budget = DEEP_BUDGET;
      lua_rawgeti(L, list, i);
      found = deep_equal(L, vi, -1, 0, &budget);
      lua_pop(L, 1);
    }
    if (!found) {
      ok = 0;
      if (st->quiet) { lua_pop(L, 1); return 0; }
      push_enum_list(L, list);
      if (fail(st, ip, sp, "enum", "must be one of %s", lua_tostring(L, -1))) commit(st);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  switch (kind) {
    case A0_OBJECT: ok &= vobject(st, n, vi, ip, sp); break;
    case A0_ARRAY: ok &= varray(st, n, vi, ip, sp); break;
    case A0_STRING: ok &= vstring(st, n, vi, ip, sp); break;
    case A0_INTEGER: case A0_FLOAT: ok &= vnumber(st, n, vi, ip, sp); break;
    default: break;
  }
  if (!ok && st->quiet) return 0;
  if (x && x->nany) ok &= vcomposite(st, n, vi, ip, sp, 0);
  if (!ok && st->quiet) return 0;
  if (x && x->none) ok &= vcomposite(st, n, vi, ip, sp, 1);
  return ok;
}

/* validator:validate(value [, {defaults = true}]) -> true | false, errors */
static int schema_validator_validate(lua_State *L) {
  struct validator *v = check_validator(L, 1);
  int defaults = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "defaults") == 0) {
        luaL_argexpected(L, lua_type(L, -1) == LUA_TBOOLEAN, 3, "boolean opts.defaults");
        defaults = lua_toboolean(L, -1);
      } else {
        return luaL_error(L, "unknown option '%s'", luaL_tolstring(L, -2, NULL));
      }
      lua_pop(L, 1);
    }
  }
  lua_settop(L, 3);
  lua_getiuservalue(L, 1, 1);   /* 4: K */
  lua_pushnil(L);               /* 5: errors */
  struct vstate st = { L, v, 4, 0, 5, 0, 0, defaults };
  int ok = vnode(&st, v->root, 2, NULL, NULL);
  if (ok && st.nerr == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  if (!st.errs) {  /* cannot happen: every failure reports; keep the contract anyway */
    a0_new_array(L, 0);
    lua_replace(L, 5);
  }
  lua_pushboolean(L, 0);
  lua_pushvalue(L, 5);
  return 2;
}

/* validator:close() */
static int schema_validator_close(lua_State *L) {
  struct validator *v = luaL_checkudata(L, 1, VALIDATOR_MT);
  if (!v->closed) validator_free(v);
  return 0;
}

/* tostring(validator) -> "a0lua.schema.validator (0x...)" | "a0lua.schema.validator (closed)" */
static int schema_validator_tostring(lua_State *L) {
  struct validator *v = luaL_checkudata(L, 1, VALIDATOR_MT);
  if (v->closed) lua_pushliteral(L, VALIDATOR_MT " (closed)");
  else lua_pushfstring(L, VALIDATOR_MT " (%p)", (void *)v);
  return 1;
}

static const luaL_Reg schema_functions[] = {
  { "compile", schema_compile },
  { NULL, NULL }
};

static const luaL_Reg validator_methods[] = {
  { "validate", schema_validator_validate },
  { "close", schema_validator_close },
  { NULL, NULL }
};

static const luaL_Reg validator_metamethods[] = {
  { "__gc", schema_validator_close },
  { "__close", schema_validator_close },
  { "__tostring", schema_validator_tostring },
  { NULL, NULL }
};

int luaopen_a0lua_core_schema(lua_State *L) {
  a0_register_class(L, VALIDATOR_MT, validator_metamethods, validator_methods);
  luaL_newlib(L, schema_functions);
  char version[64] = "PCRE2 ";
  if (pcre2_config(PCRE2_CONFIG_VERSION, version + 6) > 0) {
    char *space = strchr(version + 6, ' ');
    if (space) *space = '\0';
  }
  lua_pushstring(L, version);
  lua_setfield(L, -2, "version");
  a0_export_markers(L);
  return 1;
}
