/*
 * crypto.c: a0lua.core.crypto, the signing behind private-key JWT client assertions, on OpenSSL's
 * libcrypto.
 *
 * Lua API
 *   crypto.signer(path) -> signer | nil, err
 *       Reads the RSA private key in PEM at path (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE
 *       KEY"). The file is read here, in C: the key material never becomes a Lua string. err.code
 *       is "crypto_key" and err.message names the file and what is wrong with it: unreadable (the
 *       system's reason), not a PEM private key (a public key, a certificate, or no PEM at all),
 *       encrypted (a0lua takes no passphrase), an EC or other non-RSA key, shorter than 2048 bits.
 *       err.key_file is the path (not err.file: no line of that file is meant).
 *   signer:sign(alg, data) -> signature | nil, err
 *       alg "RS256" (RSASSA-PKCS1-v1_5, SHA-256), "RS384" (SHA-384) or "PS256" (RSASSA-PSS,
 *       SHA-256, MGF1 SHA-256, salt of 32 bytes, as JWA RFC 7518 §3.5 defines it); anything
 *       else raises. signature is the raw bytes (JWS wants them base64url-encoded).
 *   signer:bits() -> n                   the modulus size
 *   signer:close()                       frees the key; idempotent (also __close, __gc)
 *   crypto.verify(pem, alg, data, signature) -> true | false | nil, err
 *       pem: an RSA public key ("PUBLIC KEY") or an X.509 certificate ("CERTIFICATE") holding
 *       one. false when the signature does not match; nil, err (code "crypto_public_key") when pem
 *       is neither, or not RSA. An unknown alg raises.
 *   crypto.public_key(pem) -> { type = "RSA", bits =, certificate = boolean } | nil, err
 *       What verify would use, to check a credential when it is registered.
 *   crypto.random(n) -> n bytes from the system's CSPRNG (RAND_bytes); 0 <= n <= 4096
 *   crypto.sha256(data) -> 32 bytes
 *   crypto.base64url(data) -> text       RFC 4648 §5 without padding (JWS)
 *   crypto.base64url_decode(text) -> data | nil   padding optional; any other character: nil
 *
 * Behaviour and caveats
 *   - Loaded lazily like http: libcrypto is not linked into the binary, so commands that never
 *     sign do not pay for loading it.
 *   - The private key file is read into C memory that is wiped (OPENSSL_cleanse) before it is
 *     freed; no message ever quotes the file's content or OpenSSL's error queue (which can hold
 *     parts of it); the queue is cleared after every failure.
 *   - The signer is a userdata owning the EVP_PKEY: every C allocation of a call is freed before
 *     that call raises or returns, and the key goes with close or the collector.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define SIGNER_MT "a0lua.crypto.signer"
#define MAX_KEY_FILE (1024 * 1024)
#define MAX_RANDOM 4096
#define MIN_RSA_BITS 2048

typedef struct {
  EVP_PKEY *pkey;
} signer;

/* ---- algorithms ------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  int pss;
  const EVP_MD *(*md)(void);
} algorithm;

static const algorithm ALGORITHMS[] = {
  { "RS256", 0, EVP_sha256 },
  { "RS384", 0, EVP_sha384 },
  { "PS256", 1, EVP_sha256 },
};

/* The algorithm named by the string at idx; raises on any other value (misuse). */
static const algorithm *check_algorithm(lua_State *L, int idx) {
  const char *name = luaL_checkstring(L, idx);
  for (size_t i = 0; i < sizeof ALGORITHMS / sizeof *ALGORITHMS; i++)
    if (strcmp(ALGORITHMS[i].name, name) == 0) return &ALGORITHMS[i];
  luaL_argerror(L, idx, "algorithm must be RS256, RS384 or PS256");
  return NULL;
}

/* Sets the padding of a PSS algorithm on a digest-sign/verify context's key context. */
static int set_padding(EVP_PKEY_CTX *pctx, const algorithm *alg) {
  if (!alg->pss) return 1;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
    && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
    && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg->md()) > 0;
}

/* ---- the private key file ----------------------------------------------------------------- */

/* The passphrase callback: a0lua has no passphrase to give, so an encrypted key fails; the flag
 * tells that failure apart from a malformed file. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf; (void)size; (void)rwflag;
  *(int *)u = 1;
  return -1;
}

/* Reads at most MAX_KEY_FILE bytes of path into *out (NUL-terminated); 0 with errno on failure.
 * *len is the byte count; the caller wipes and frees *out. */
static int read_key_file(const char *path, char **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char *data = malloc(MAX_KEY_FILE + 1);
  if (!data) { fclose(f); errno = ENOMEM; return 0; }
  errno = 0;
  size_t n = fread(data, 1, MAX_KEY_FILE + 1, f);
  int failed = ferror(f) ? (errno ? errno : EIO) : 0;
  fclose(f);
  if (failed || n > MAX_KEY_FILE) {
    OPENSSL_cleanse(data, n > MAX_KEY_FILE ? MAX_KEY_FILE + 1 : n);
    free(data);
    errno = failed ? failed : EFBIG;
    return 0;
  }
  data[n] = '\0';
  *out = data;
  *len = n;
  return 1;
}

/* The label of the first PEM block in text ("PUBLIC KEY", ...), compared against the labels this
 * module explains; returns a fixed description, never text taken from the file. */
static const char *pem_kind(const char *text) {
  const char *begin = strstr(text, "-----BEGIN ");
  if (!begin) return NULL;
  begin += strlen("-----BEGIN ");
  static const struct { const char *label, *what; } KINDS[] = {
    { "ENCRYPTED PRIVATE KEY-----", "an encrypted private key" },
    { "PRIVATE KEY-----", "a private key" },
    { "RSA PRIVATE KEY-----", "a private key" },
    { "EC PRIVATE KEY-----", "an EC private key" },
    { "PUBLIC KEY-----", "a public key" },
    { "RSA PUBLIC KEY-----", "a public key" },
    { "CERTIFICATE-----", "a certificate" },
  };
  for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
    if (strncmp(begin, KINDS[i].label, strlen(KINDS[i].label)) == 0) return KINDS[i].what;
  return "another kind of PEM block";
}

/* Pushes a crypto_key error for path and returns 2 (nil, err). fmt takes two %s: the path, then
 * detail (a fixed text or the system's reason; never anything read from the file). */
static int key_error(lua_State *L, const char *path, const char *fmt, const char *detail) {
  ERR_clear_error();
  a0_new_error(L, "crypto_key", fmt, path, detail);
  lua_pushstring(L, path);
  lua_setfield(L, -2, "key_file");
  return a0_fail(L);
}

static int l_signer(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  signer *s = lua_newuserdatauv(L, sizeof *s, 0);
  s->pkey = NULL;
  luaL_setmetatable(L, SIGNER_MT);

  char *text = NULL;
  size_t len = 0;
  if (!read_key_file(path, &text, &len))
    return key_error(L, path, "cannot read the signing key %s: %s", strerror(errno));
  int asked_passphrase = 0;
  BIO *bio = BIO_new_mem_buf(text, (int)len);
  EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked_passphrase)
                       : NULL;
  BIO_free(bio);
  const char *kind = pem_kind(text);
  OPENSSL_cleanse(text, len);
  free(text);

  if (!pkey) {
    if (asked_passphrase)
      return key_error(L, path, "the signing key %s is encrypted: a0lua takes no %s; decrypt it "
                       "(openssl pkey -in KEY -out KEY.plain) and keep the file private",
                       "passphrase");
    if (!kind)
      return key_error(L, path, "the signing key %s is not PEM (expected %s)",
                       "-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----");
    if (strcmp(kind, "a private key") == 0)
      return key_error(L, path, "the signing key %s is %s that OpenSSL cannot read (truncated or "
                       "damaged PEM)", kind);
    return key_error(L, path, "the signing key %s holds %s, not an RSA private key in PEM", kind);
  }
  ERR_clear_error();
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    const char *type = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC ? "an EC" : "a non-RSA";
    EVP_PKEY_free(pkey);
    return key_error(L, path, "the signing key %s is %s key: RS256, RS384 and PS256 need an RSA "
                     "key", type);
  }
  if (EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
    EVP_PKEY_free(pkey);
    return key_error(L, path, "the signing key %s is an RSA key shorter than %s bits",
                     "2048");
  }
  s->pkey = pkey;
  return 1;
}

static signer *check_signer(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_MT);
  if (!s->pkey) luaL_error(L, "a0lua.core.crypto: the signer is closed");
  return s;
}

/* Signs data with pkey into out (room for EVP_PKEY_get_size bytes); 0 on failure. Every
 * OpenSSL object it makes is freed before it returns. */
static int sign_into(EVP_PKEY *pkey, const algorithm *alg, const char *data, size_t len,
                     unsigned char *out, size_t *out_len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = ctx && EVP_DigestSignInit(ctx, &pctx, alg->md(), NULL, pkey) > 0
    && set_padding(pctx, alg)
    && EVP_DigestSign(ctx, out, out_len, (const unsigned char *)data, len) > 0;
  EVP_MD_CTX_free(ctx);
  if (!ok) ERR_clear_error();
  return ok;
}

static int l_sign(lua_State *L) {
  signer *s = check_signer(L);
  const algorithm *alg = check_algorithm(L, 2);
  size_t len;
  const char *data = luaL_checklstring(L, 3, &len);
  /* The room for the signature is Lua memory, made before any OpenSSL object exists, so a
   * memory error raised here leaks nothing. */
  size_t n = (size_t)EVP_PKEY_get_size(s->pkey);
  unsigned char *out = lua_newuserdatauv(L, n, 0);
  if (!sign_into(s->pkey, alg, data, len, out, &n)) {
    a0_new_error(L, "crypto", "signing with %s failed", alg->name);
    return a0_fail(L);
  }
  lua_pushlstring(L, (const char *)out, n);
  return 1;
}

static int l_bits(lua_State *L) {
  signer *s = check_signer(L);
  lua_pushinteger(L, EVP_PKEY_get_bits(s->pkey));
  return 1;
}

static int l_close(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_MT);
  EVP_PKEY_free(s->pkey);
  s->pkey = NULL;
  return 0;
}

static int l_signer_tostring(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_MT);
  lua_pushstring(L, s->pkey ? "a0lua.crypto.signer" : "a0lua.crypto.signer (closed)");
  return 1;
}

/* ---- public keys -------------------------------------------------------------------------- */

/* The RSA public key of a PEM public key or certificate; NULL with *why set otherwise. */
static EVP_PKEY *read_public(const char *pem, size_t len, int *is_cert, const char **why) {
  *is_cert = 0;
  *why = "is not a PEM public key or certificate";
  if (len > MAX_KEY_FILE) return NULL;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio) return NULL;
  EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, &(int){ 0 });
  if (!pkey) {
    ERR_clear_error();
    (void)BIO_reset(bio);
    X509 *cert = PEM_read_bio_X509(bio, NULL, no_passphrase, &(int){ 0 });
    if (cert) {
      pkey = X509_get_pubkey(cert);
      X509_free(cert);
      *is_cert = 1;
    }
  }
  BIO_free(bio);
  ERR_clear_error();
  if (pkey && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    EVP_PKEY_free(pkey);
    *why = "is not an RSA key";
    return NULL;
  }
  return pkey;
}

static int public_error(lua_State *L, const char *why) {
  a0_new_error(L, "crypto_public_key", "the public key %s", why);
  return a0_fail(L);
}

static int l_public_key(lua_State *L) {
  size_t len;
  const char *pem = luaL_checklstring(L, 1, &len);
  int is_cert;
  const char *why;
  EVP_PKEY *pkey = read_public(pem, len, &is_cert, &why);
  if (!pkey) return public_error(L, why);
  int bits = EVP_PKEY_get_bits(pkey);
  EVP_PKEY_free(pkey);
  lua_createtable(L, 0, 3);
  lua_pushliteral(L, "RSA");
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, bits);
  lua_setfield(L, -2, "bits");
  lua_pushboolean(L, is_cert);
  lua_setfield(L, -2, "certificate");
  return 1;
}

static int l_verify(lua_State *L) {
  size_t pem_len, len, sig_len;
  const char *pem = luaL_checklstring(L, 1, &pem_len);
  const algorithm *alg = check_algorithm(L, 2);
  const char *data = luaL_checklstring(L, 3, &len);
  const char *sig = luaL_checklstring(L, 4, &sig_len);
  int is_cert;
  const char *why;
  EVP_PKEY *pkey = read_public(pem, pem_len, &is_cert, &why);
  if (!pkey) return public_error(L, why);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, alg->md(), NULL, pkey) > 0
    && set_padding(pctx, alg)
    && EVP_DigestVerify(ctx, (const unsigned char *)sig, sig_len,
                        (const unsigned char *)data, len) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  ERR_clear_error();
  lua_pushboolean(L, ok);
  return 1;
}

/* ---- random, digest, base64url ------------------------------------------------------------- */

static int l_random(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n <= MAX_RANDOM, 1, "must be between 0 and 4096");
  unsigned char buf[MAX_RANDOM];
  if (n > 0 && RAND_bytes(buf, (int)n) != 1) {
    ERR_clear_error();
    return luaL_error(L, "a0lua.core.crypto: the system's random generator failed");
  }
  lua_pushlstring(L, (const char *)buf, (size_t)n);
  return 1;
}

static int l_sha256(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1) {
    ERR_clear_error();
    return luaL_error(L, "a0lua.core.crypto: SHA-256 failed");
  }
  lua_pushlstring(L, (const char *)md, n);
  return 1;
}

static const char B64URL[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int l_base64url(lua_State *L) {
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
    luaL_addchar(&b, B64URL[v >> 18 & 63]);
    luaL_addchar(&b, B64URL[v >> 12 & 63]);
    luaL_addchar(&b, B64URL[v >> 6 & 63]);
    luaL_addchar(&b, B64URL[v & 63]);
  }
  if (len - i == 1) {
    unsigned v = (unsigned)s[i] << 16;
    luaL_addchar(&b, B64URL[v >> 18 & 63]);
    luaL_addchar(&b, B64URL[v >> 12 & 63]);
  } else if (len - i == 2) {
    unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
    luaL_addchar(&b, B64URL[v >> 18 & 63]);
    luaL_addchar(&b, B64URL[v >> 12 & 63]);
    luaL_addchar(&b, B64URL[v >> 6 & 63]);
  }
  luaL_pushresult(&b);
  return 1;
}

static int b64url_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

static int l_base64url_decode(lua_State *L) {
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  while (len > 0 && s[len - 1] == '=') len--;
  if (len % 4 == 1) { lua_pushnil(L); return 1; }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64url_value(s[i]);
    if (v < 0) { luaL_pushresult(&b); lua_pop(L, 1); lua_pushnil(L); return 1; }
    acc = (acc << 6 | (unsigned)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      luaL_addchar(&b, (char)(acc >> bits & 0xff));
    }
  }
  luaL_pushresult(&b);
  return 1;
}

/* ---- module ------------------------------------------------------------------------------- */

static const luaL_Reg signer_methods[] = {
  { "sign", l_sign },
  { "bits", l_bits },
  { "close", l_close },
  { NULL, NULL },
};

static const luaL_Reg signer_meta[] = {
  { "__gc", l_close },
  { "__close", l_close },
  { "__tostring", l_signer_tostring },
  { NULL, NULL },
};

static const luaL_Reg crypto_functions[] = {
  { "signer", l_signer },
  { "verify", l_verify },
  { "public_key", l_public_key },
  { "random", l_random },
  { "sha256", l_sha256 },
  { "base64url", l_base64url },
  { "base64url_decode", l_base64url_decode },
  { NULL, NULL },
};

int luaopen_a0lua_core_crypto(lua_State *L) {
  a0_register_class(L, SIGNER_MT, signer_meta, signer_methods);
  luaL_newlib(L, crypto_functions);
  lua_pushstring(L, OpenSSL_version(OPENSSL_VERSION));
  lua_setfield(L, -2, "version");
  return 1;
}
