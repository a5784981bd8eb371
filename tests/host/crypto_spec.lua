-- a0lua.core.crypto: the signing primitive of private-key JWT client assertions, with keys the
-- openssl command line tool makes (tests/helpers/keys.lua), and the assertions a0lua makes
-- checked by that tool too, independently of a0lua's own verify.
local crypto = require("a0lua.core.crypto")
local assertion = require("a0lua.api.assertion")
local json = require("a0lua.core.json")
local keys = require("helpers.keys")

describe("a0lua.core.crypto", function()
  local k
  setup(function() k = keys.make() end)
  teardown(function() if k then k:remove() end end)

  describe("signer: keys that cannot be used, each with its message naming the file", function()
    local function refused(path)
      local s, err = crypto.signer(path)
      assert.is_nil(s)
      assert.equals("crypto_key", err.code)
      assert.equals(path, err.key_file)
      return err.message
    end

    it("an unreadable file", function()
      assert.equals(("cannot read the signing key %s: No such file or directory")
        :format(k.missing), refused(k.missing))
      assert.equals(("cannot read the signing key %s: Is a directory"):format(k.folder),
        refused(k.folder))
    end)

    it("a file that is not PEM", function()
      assert.equals(("the signing key %s is not PEM (expected -----BEGIN PRIVATE KEY----- or "
        .. "-----BEGIN RSA PRIVATE KEY-----)"):format(k.garbage), refused(k.garbage))
    end)

    it("a public key or a certificate instead of the private key", function()
      assert.equals(("the signing key %s holds a public key, not an RSA private key in PEM")
        :format(k.public), refused(k.public))
      assert.equals(("the signing key %s holds a certificate, not an RSA private key in PEM")
        :format(k.cert), refused(k.cert))
    end)

    it("an encrypted key (PKCS#8 or PKCS#1): no passphrase is asked for", function()
      for _, path in ipairs({ k.encrypted, k.encrypted_pkcs1 }) do
        assert.equals(("the signing key %s is encrypted: a0lua takes no passphrase; decrypt it "
          .. "(openssl pkey -in KEY -out KEY.plain) and keep the file private"):format(path),
          refused(path))
      end
    end)

    it("an EC key where RSA is needed", function()
      assert.equals(("the signing key %s is an EC key: RS256, RS384 and PS256 need an RSA key")
        :format(k.ec), refused(k.ec))
    end)

    it("an RSA key shorter than 2048 bits", function()
      assert.equals(("the signing key %s is an RSA key shorter than 2048 bits"):format(k.small),
        refused(k.small))
    end)

    it("a damaged key, without quoting any of its lines", function()
      local message = refused(k.damaged)
      assert.equals(("the signing key %s is a private key that OpenSSL cannot read (truncated "
        .. "or damaged PEM)"):format(k.damaged), message)
      for line in keys.read(k.damaged):gmatch("[^\n]+") do
        if not line:match("^%-%-%-%-%-") then assert.is_nil(message:find(line, 1, true)) end
      end
    end)
  end)

  describe("signer and verify", function()
    local input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"

    it("signs with RS256, RS384 and PS256, PKCS#8 or PKCS#1; verify takes a key or a cert",
      function()
        local public, cert = keys.read(k.public), keys.read(k.cert)
        for _, path in ipairs({ k.rsa, k.rsa_pkcs1 }) do
          local s = assert(crypto.signer(path))
          assert.equals(2048, s:bits())
          for _, alg in ipairs({ "RS256", "RS384", "PS256" }) do
            local sig = assert(s:sign(alg, input))
            assert.equals(256, #sig)
            assert.is_true(crypto.verify(public, alg, input, sig))
            assert.is_true(crypto.verify(cert, alg, input, sig))
            assert.is_false(crypto.verify(public, alg, input .. "x", sig))
            assert.is_false(crypto.verify(keys.read(k.other_public), alg, input, sig))
          end
          assert.is_false(crypto.verify(public, "RS384", input, s:sign("RS256", input)))
          assert.is_false(crypto.verify(public, "PS256", input, s:sign("RS256", input)))
          s:close()
          s:close()
          assert.has_error(function() s:sign("RS256", input) end,
            "a0lua.core.crypto: the signer is closed")
        end
      end)

    it("RS256 is deterministic, PS256 is salted", function()
      local s = assert(crypto.signer(k.rsa))
      assert.equals(s:sign("RS256", input), s:sign("RS256", input))
      assert.not_equals(s:sign("PS256", input), s:sign("PS256", input))
    end)

    it("raises on an algorithm it does not know", function()
      local s = assert(crypto.signer(k.rsa))
      assert.has_error(function() s:sign("HS256", input) end)
      assert.has_error(function() crypto.verify(keys.read(k.public), "none", input, "") end)
    end)

    it("verify and public_key refuse what is not an RSA public key", function()
      local _, err = crypto.verify("junk", "RS256", input, "sig")
      assert.equals("crypto_public_key", err.code)
      assert.equals("the public key is not a PEM public key or certificate", err.message)
      local _, err2 = crypto.public_key(keys.read(k.ec_public))
      assert.equals("the public key is not an RSA key", err2.message)
      assert.same({ type = "RSA", bits = 2048, certificate = true },
        crypto.public_key(keys.read(k.cert)))
      assert.same({ type = "RSA", bits = 2048, certificate = false },
        crypto.public_key(keys.read(k.public)))
    end)

    it("the signer prints nothing of the key", function()
      local s = assert(crypto.signer(k.rsa))
      assert.equals("a0lua.crypto.signer", tostring(s))
    end)
  end)

  describe("random, sha256, base64url", function()
    it("gives random bytes", function()
      assert.equals(32, #crypto.random(32))
      assert.not_equals(crypto.random(16), crypto.random(16))
      assert.equals("", crypto.random(0))
      assert.has_error(function() crypto.random(4097) end)
    end)

    it("hashes with SHA-256", function()
      assert.equals("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        crypto.base64url(crypto.sha256("")))
    end)

    it("encodes and decodes base64url without padding", function()
      assert.equals("", crypto.base64url(""))
      assert.equals("Zg", crypto.base64url("f"))
      assert.equals("Zm8", crypto.base64url("fo"))
      assert.equals("Zm9v", crypto.base64url("foo"))
      assert.equals("__79", crypto.base64url("\255\254\253"))
      assert.equals("foo", crypto.base64url_decode("Zm9v"))
      assert.equals("fo", crypto.base64url_decode("Zm8="))
      assert.equals("\255\254\253", crypto.base64url_decode("__79"))
      assert.is_nil(crypto.base64url_decode("Zm9v+"))
      assert.is_nil(crypto.base64url_decode("Z"))
      local bytes = crypto.random(257)
      assert.equals(bytes, crypto.base64url_decode(crypto.base64url(bytes)))
    end)
  end)

  describe("an assertion a0lua made, checked by the openssl command line tool", function()
    local function verify_with_openssl(jwt, alg)
      local input, sig = jwt:match("^(.*)%.([^.]+)$")
      local f = assert(io.open(k.dir .. "/input", "wb"))
      f:write(input)
      f:close()
      f = assert(io.open(k.dir .. "/sig", "wb"))
      local raw = crypto.base64url_decode(sig)
      assert.is_string(raw)
      f:write(raw)
      f:close()
      local opts = alg == "PS256"
        and " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256"
        or ""
      local digest = alg == "RS384" and "-sha384" or "-sha256"
      return keys.run(("openssl dgst %s -verify %s%s -signature %s %s"):format(digest,
        keys.quote(k.public), opts, keys.quote(k.dir .. "/sig"), keys.quote(k.dir .. "/input")))
    end

    for _, alg in ipairs({ "RS256", "RS384", "PS256" }) do
      it(alg .. " verifies, and a tampered one does not", function()
        local maker = assert(assertion.new{ path = k.rsa, algorithm = alg, client_id = "cid",
          audience = "https://tenant.test/", epoch = function() return 1700000000 end })
        local jwt = assert(maker:make())
        local ok, out = verify_with_openssl(jwt, alg)
        assert.is_true(ok, out)
        assert.matches("Verified OK", out)
        -- the same signature over claims with another sub
        local h, p, s = jwt:match("^([^.]+)%.([^.]+)%.([^.]+)$")
        local claims = json.decode(crypto.base64url_decode(p))
        claims.sub = "someone-else"
        local tampered = h .. "." .. crypto.base64url(json.encode(claims)) .. "." .. s
        local ok2, out2 = verify_with_openssl(tampered, alg)
        assert.is_false(ok2)
        assert.matches("Verification failure", out2)
        maker:close()
      end)
    end
  end)
end)
