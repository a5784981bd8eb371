-- The differential check's comparer (tests/peer/differential.lua): normalisation of two emulator
-- states, their comparison and the known-differences list. No network (the defaults of unwritten
-- settings come from an in-process emulator).
local json = require("a0lua.core.json")
local differential = require("peer.differential")

local arr = json.array

describe("tests/peer/differential.lua", function()
  describe("normalise", function()
    it("replaces ids by the names they stand for, in values, strings and state keys", function()
      local s = {
        ["/clients"] = arr({ { client_id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345", name = "My SPA",
                               client_secret = "generated", signing_keys = arr({ { cert = "x" } }),
                               created_at = "2026-01-01T00:00:00.000Z" } }),
        ["/connections"] = arr({ { id = "con_0123456789abcdef", name = "db",
          enabled_clients = arr({ "AbCdEfGhIjKlMnOpQrStUvWxYz012345" }) } }),
        ["/connections/con_0123456789abcdef/clients"] = arr({
          { client_id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345" } }),
      }
      local n = differential.normalise(s, {})
      local client = n["/clients"][1]
      assert.are.equal("{/clients:My SPA}", client.client_id)
      assert.is_nil(client.client_secret)
      assert.is_nil(client.signing_keys)
      assert.is_nil(client.created_at)
      assert.are.same({ "{/clients:My SPA}" }, n["/connections"][1].enabled_clients)
      assert.are.equal("{/clients:My SPA}",
        n["/connections/{/connections:db}/clients"][1].client_id)
    end)

    it("drops the credentials' kid and the custom domains' verification the emulator draws",
      function()
        local n = differential.normalise({
          ["/clients"] = arr({ { client_id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345", name = "M2M" } }),
          ["/clients/AbCdEfGhIjKlMnOpQrStUvWxYz012345/credentials"] = arr({
            { id = "cred_0123456789abcdefABCDEF", name = "key", kid = "drawn", alg = "RS256" } }),
          ["/custom-domains"] = arr({ { custom_domain_id = "cd_0123456789abcdef",
            domain = "login.example.com", verification = { methods = arr({ { record = "r" } }) },
            status = "pending_verification" } }),
        }, {})
        local cred = n["/clients/{/clients:M2M}/credentials"][1]
        assert.is_nil(cred.kid)
        assert.are.equal("RS256", cred.alg)
        assert.is_nil(n["/custom-domains"][1].verification)
        assert.are.equal("pending_verification", n["/custom-domains"][1].status)
      end)

    it("drops the fingerprint the emulator draws for a flow vault connection", function()
      local n = differential.normalise({
        ["/flows/vault/connections"] = arr({ { id = "ac_0123456789abcdefABCDEF",
          name = "M2M", app_id = "AUTH0", ready = true, fingerprint = "drawn" } }),
      }, {})
      local c = n["/flows/vault/connections"][1]
      assert.is_nil(c.fingerprint)
      assert.is_true(c.ready)
    end)

    it("names client grants by client and audience, and unknown made ids as {id}", function()
      local n = differential.normalise({
        ["/clients"] = arr({ { client_id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345", name = "M2M" } }),
        ["/client-grants"] = arr({ { id = "cgr_0123456789abcdef", audience = "https://api",
                                     client_id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345" } }),
        ["/prompts"] = { policy_id = "12345678-1234-1234-1234-123456789abc",
                         note = "my_value_that_is_long" },
      }, {})
      assert.are.equal("{/client-grants:{/clients:M2M}->https://api}", n["/client-grants"][1].id)
      assert.are.equal("{id}", n["/prompts"].policy_id)
      assert.are.equal("my_value_that_is_long", n["/prompts"].note)
    end)

    it("applies the host replacements to every string", function()
      local n = differential.normalise({
        ["/resource-servers"] = arr({ { id = "0123456789abcdef01234567", name = "API",
                                        identifier = "https://localhost:4443/me/" } }),
      }, { { "localhost:4443", "{AUTH0_DOMAIN}" } })
      assert.are.equal("https://{AUTH0_DOMAIN}/me/", n["/resource-servers"][1].identifier)
    end)
  end)

  describe("compare", function()
    it("compares named items by name whatever their order and reports changed fields", function()
      local a = { ["/roles"] = arr({ { name = "A", description = "x" }, { name = "B" } }) }
      local b = { ["/roles"] = arr({ { name = "B" }, { name = "A", description = "y" } }) }
      local d = differential.compare(a, b)
      assert.are.equal(1, #d)
      assert.are.equal("/roles[A].description", d[1].path)
      assert.are.equal("x", d[1].a)
      assert.are.equal("y", d[1].b)
    end)

    it("reports an item only one side has", function()
      local d = differential.compare({ ["/roles"] = arr({ { name = "A" } }) },
        { ["/roles"] = arr({ { name = "A" }, { name = "B" } }) })
      assert.are.equal(1, #d)
      assert.are.equal("/roles[B]", d[1].path)
      assert.is_nil(d[1].a)
    end)

    it("keeps the order of scalar lists but not of enabled_clients", function()
      local a = differential.normalise({ ["/x"] = { callbacks = arr({ "1", "2" }),
                                                    enabled_clients = arr({ "p", "q" }) } }, {})
      local b = differential.normalise({ ["/x"] = { callbacks = arr({ "2", "1" }),
                                                    enabled_clients = arr({ "q", "p" }) } }, {})
      local d = differential.compare(a, b)
      assert.are.equal(1, #d)
      assert.are.equal("/x.callbacks", d[1].path)
    end)

    it("treats a missing list path as equal to an empty one, but not to a full one", function()
      assert.are.same({}, differential.compare({ ["/b"] = arr() }, {}))
      local d = differential.compare({ ["/b"] = arr({ { name = "x" } }) }, {})
      assert.are.equal(1, #d)
    end)

    it("treats a missing setting as equal to what a fresh emulator answers for it", function()
      local fresh = differential.fresh_answers()
      local provider = "/guardian/factors/phone/selected-provider"
      local types = "/guardian/factors/phone/message-types"
      assert.are.same({ provider = "auth0" }, fresh(provider))
      assert.are.same({}, differential.compare({ [provider] = { provider = "auth0" },
        [types] = { message_types = arr() } }, {}, fresh))
      local d = differential.compare({ [provider] = { provider = "twilio" } }, {}, fresh)
      assert.are.equal(1, #d)
      assert.are.equal(1, #differential.compare({ [provider] = { provider = "auth0" } }, {}))
      assert.is_nil(fresh("/clients/{/clients:x}"))
    end)
  end)

  describe("classify", function()
    it("matches known entries by glob and fixture and returns the rest as new", function()
      local diffs = {
        { path = "/clients[My SPA].grant_types" },
        { path = "/roles[A].description" },
        { path = "/roles[B].description" },
      }
      local known = {
        { path = "/clients[*].grant_types", reason = "r1" },
        { path = "/roles[A].*", fixture = "lots", reason = "r2" },
      }
      local new, used = differential.classify(diffs, known, "examples")
      assert.are.equal(2, #new)
      assert.are.equal("r1", diffs[1].known.reason)
      assert.are.equal(1, used[known[1]])
      assert.is_nil(used[known[2]])
    end)
  end)
end)
