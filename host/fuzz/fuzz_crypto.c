/*
 * fuzz_crypto.c: libFuzzer target for what a0lua.core.crypto (host/crypto.c) reads from outside:
 * public keys and certificates in PEM (a client credential the emulator registers, a key given
 * with --client-public-key) and base64url text (a client assertion's parts).
 *
 * Each input is read as a PEM text and as base64url. Invariants, checked by the Lua function
 * below; a broken one raises, and a raise aborts, so libFuzzer reports it as a crash:
 *   - public_key gives { type = "RSA", bits = a positive integer, certificate = a boolean }, or
 *     nil and an error with code crypto_public_key and a string message;
 *   - verify agrees with it: nil and the same code where public_key failed, else a boolean (the
 *     algorithm taken from the input's length);
 *   - base64url_decode gives nil or bytes, 3 for every 4 characters (without padding), and the
 *     bytes encode to text that decodes to them again.
 */
#include "harness.h"

int luaopen_a0lua_core_crypto(lua_State *L);

static const char checker[] =
  "local crypto = ...\n"
  "local function check_error(err)\n"
  "  assert(type(err) == 'table' and getmetatable(err), 'error is not a table')\n"
  "  assert(err.code == 'crypto_public_key', 'bad code ' .. tostring(err.code))\n"
  "  assert(type(err.message) == 'string', 'no message')\n"
  "end\n"
  "return function(s)\n"
  "  local key, err = crypto.public_key(s)\n"
  "  if key == nil then\n"
  "    check_error(err)\n"
  "  else\n"
  "    assert(key.type == 'RSA', 'type ' .. tostring(key.type))\n"
  "    assert(math.type(key.bits) == 'integer' and key.bits > 0, 'bits')\n"
  "    assert(type(key.certificate) == 'boolean', 'certificate')\n"
  "  end\n"
  "  local alg = ({ 'RS256', 'RS384', 'PS256' })[#s % 3 + 1]\n"
  "  local ok, verr = crypto.verify(s, alg, 'data', s:sub(1, 512))\n"
  "  if key == nil then\n"
  "    assert(ok == nil, 'verify took what public_key refused')\n"
  "    check_error(verr)\n"
  "  else\n"
  "    assert(type(ok) == 'boolean', 'verify gave ' .. tostring(ok))\n"
  "  end\n"
  "  local data = crypto.base64url_decode(s)\n"
  "  if data ~= nil then\n"
  "    local chars = #(s:gsub('=+$', ''))\n"
  "    assert(#data == chars * 6 // 8, 'decoded length')\n"
  "    local text = crypto.base64url(data)\n"
  "    assert(not text:find('[^%w_-]'), 'encoded outside the alphabet')\n"
  "    assert(crypto.base64url_decode(text) == data, 'decode(encode(d)) differs')\n"
  "  end\n"
  "end\n";

FUZZ_CHECKER_TARGET("fuzz_crypto", "a0lua.core.crypto", luaopen_a0lua_core_crypto)
