-- a0lua.secrets: the one rule for secret values, and plans, logs and the REPL applying it alike.
local secrets = require("a0lua.secrets")
local json = require("a0lua.core.json")

describe("a0lua.secrets", function()
  it("classifies names by their words", function()
    for name, class in pairs({
      client_secret = "secret", secretAccessKey = "secret", secrets = "secret",
      smtp_pass = "field", splunkToken = "field", splunktoken = "field", api_key = "field",
      ["set-cookie"] = "field", refresh_token = "field", masterkey = "field",
      server_credentials = "field", httpAuthorization = "field", client_assertion = "field",
    }) do
      assert.are.equal(class, secrets.class(name), name)
    end
    for _, name in ipairs({ "client_id", "site_key", "public_key", "header_key", "passwordPolicy",
        "token_endpoint_auth_method", "name", "key_id", "key", "keys" }) do
      assert.is_nil(secrets.class(name), name)
    end
    assert.is_true(secrets.mentions_secret("SMTP_PASSWORD_VALUE"))
    assert.is_false(secrets.mentions_secret("TENANT_NAME"))
  end)

  it("masks strings only, walks objects, and keeps names and placeholders", function()
    local input = { refresh_token = { rotation_type = "rotating", leeway = 3 },
      options = { smtp_user = "mailer", smtp_pass = "pw", port = 25 },
      secrets = json.array{ { name = "N", value = "v" } }, api_key = "##API_KEY##",
      jwt_configuration = { secret_encoded = true } }
    local out = secrets.mask(input, { keep = function(s) return s:match("^##") ~= nil end })
    assert.are.same({ refresh_token = { rotation_type = "rotating", leeway = 3 },
      options = { smtp_user = "mailer", smtp_pass = "(secret)", port = 25 },
      secrets = { { name = "N", value = "(secret)" } }, api_key = "##API_KEY##",
      jwt_configuration = { secret_encoded = true } }, out)
    assert.is_true(json.is_array(out.secrets))
    assert.are.equal(input.refresh_token, out.refresh_token)   -- nothing to mask: shared
    assert.are.equal("pw", input.options.smtp_pass)             -- the input is untouched
  end)

  it("is the rule of plans, logs and the REPL alike", function()
    local value = { client_secret = "S1", refresh_token = { rotation_type = "rotating" },
      options = { smtp_user = "mailer", smtp_pass = "S2" },
      secrets = json.array{ { name = "KEPT", value = "S3" } },
      webhook_authorization = { method = "bearer", token = "S4" } }
    local logger = require("a0lua.log").new({ stream = { write = function() end }, tty = false })
    local shown = {
      plan = json.encode(require("a0lua.plan").mask(value)),
      log = json.encode(logger:redact(value)),
      repl = require("a0lua.repl").pretty(value),
    }
    for where, text in pairs(shown) do
      for _, secret in ipairs({ "S1", "S2", "S3", "S4" }) do
        assert.is_nil(text:find(secret, 1, true), where .. " shows " .. secret)
      end
      for _, kept in ipairs({ "rotating", "mailer", "KEPT", "bearer" }) do
        assert.truthy(text:find(kept, 1, true), where .. " hides " .. kept)
      end
    end
  end)
end)
