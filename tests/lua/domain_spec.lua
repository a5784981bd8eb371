-- a0lua.domain: what counts as a loopback host, and AUTH0_DOMAIN's parse for plain http://.
local domain = require("a0lua.domain")

describe("a0lua.domain", function()
  describe("is_loopback", function()
    it("accepts 127.0.0.0/8, ::1 and localhost", function()
      for _, host in ipairs({ "127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost",
                              "LocalHost" }) do
        assert.is_true(domain.is_loopback(host), host)
      end
    end)

    it("accepts names under .localhost (RFC 6761), as the fleet emulator's tenants", function()
      for _, host in ipairs({ "t17.localhost", "T1.LOCALHOST", "a.b.localhost",
                              "my-app.localhost" }) do
        assert.is_true(domain.is_loopback(host), host)
      end
    end)

    it("refuses names that only look like it", function()
      for _, host in ipairs({ "localhost.example.com", "t1.localhost.evil.com",
                              "t1localhost", ".localhost", "..localhost", "a..localhost",
                              "-a.localhost", "t1.localhost.", "t_1.localhost", "10.0.0.1",
                              "128.0.0.1", "127.0.0.256", "example.com", "" }) do
        assert.is_false(domain.is_loopback(host), host)
      end
      assert.is_false(domain.is_loopback(("a"):rep(64) .. ".localhost"))
      assert.is_false(domain.is_loopback(nil))
    end)
  end)

  describe("parse", function()
    it("takes plain http:// to a tenant under .localhost, keeping its port", function()
      local d = assert(domain.parse("http://t17.localhost:4000"))
      assert.are.equal("http", d.scheme)
      assert.are.equal("t17.localhost", d.host)
      assert.are.equal(4000, d.port)
      assert.are.equal("http://t17.localhost:4000", d.origin)
    end)

    it("still refuses plain http:// to any other name", function()
      local d, why = domain.parse("http://t17.localhost.example.com:4000")
      assert.is_nil(d)
      assert.matches("only allowed to a loopback host", why, 1, true)
    end)
  end)
end)
