-- a0lua.emulator.recording: the state an a0deploy e2e recording's GET answers show.
local json = require("a0lua.core.json")
local recording = require("a0lua.emulator.recording")
local helper = require("helpers.run")
local shared = require("helpers.shared")

local function get(path, response, status)
  return { method = "GET", path = path, body = "", status = status or 200, response = response }
end

-- Decodes JSON so arrays carry the marker, as in a recording read from its file.
local function j(text) return assert(json.decode(text)) end

local function names(list)
  local out = {}
  for i, item in ipairs(list) do out[i] = item.name end
  return out
end

describe("a0lua.emulator.recording", function()
  describe("to_state", function()
    it("keys answers by path without /api/v2 and the query", function()
      local state = recording.to_state({
        get("/api/v2/tenants/settings?fields=x", j('{"friendly_name":"t"}')),
        get("/api/v2/email-templates/welcome_email", j('{"template":"welcome_email"}')),
      })
      assert.are.same({
        ["/tenants/settings"] = { friendly_name = "t" },
        ["/email-templates/welcome_email"] = { template = "welcome_email" },
      }, state)
    end)

    it("unwraps offset, checkpoint and Actions envelopes into arrays", function()
      local state = recording.to_state({
        get("/api/v2/roles?page=0&per_page=100&include_totals=true",
          j('{"roles":[{"name":"a"}],"start":0,"limit":100,"total":1}')),
        get("/api/v2/connections/con_1/clients?take=100", j('{"clients":[{"client_id":"c1"}]}')),
        get("/api/v2/actions/actions?page=0&per_page=100", j('{"actions":[],"per_page":100}')),
        get("/api/v2/roles/rol_1/permissions?per_page=100&page=0&include_totals=true",
          j('{"permissions":[],"start":0,"limit":100,"total":0}')),
      })
      assert.are.same({ { name = "a" } }, state["/roles"])
      assert.are.same({ { client_id = "c1" } }, state["/connections/con_1/clients"])
      assert.is_true(json.is_array(state["/actions/actions"]))
      assert.are.equal(0, #state["/actions/actions"])
      assert.are.equal("[]", json.encode(state["/roles/rol_1/permissions"]))
    end)

    it("concatenates offset pages in page order", function()
      local state = recording.to_state({
        get("/api/v2/clients?page=1&per_page=2&include_totals=true",
          j('{"clients":[{"name":"c"},{"name":"d"}],"start":2,"limit":2,"total":5}')),
        get("/api/v2/clients?page=0&per_page=2&include_totals=true",
          j('{"clients":[{"name":"a"},{"name":"b"}],"start":0,"limit":2,"total":5}')),
        get("/api/v2/clients?page=2&per_page=2&include_totals=true",
          j('{"clients":[{"name":"e"}],"start":4,"limit":2,"total":5}')),
        get("/api/v2/clients?page=0&per_page=2&include_totals=true",
          j('{"clients":[{"name":"later"}],"start":0,"limit":2,"total":1}')),
      })
      assert.are.same({ "a", "b", "c", "d", "e" }, names(state["/clients"]))
      assert.is_true(json.is_array(state["/clients"]))
    end)

    it("concatenates checkpoint pages by following next", function()
      local state = recording.to_state({
        get("/api/v2/organizations?take=2", j('{"organizations":[{"name":"a"},{"name":"b"}],'
          .. '"next":"cur1"}')),
        get("/api/v2/organizations?take=2&from=cur2", j('{"organizations":[{"name":"e"}]}')),
        get("/api/v2/organizations?take=2&from=cur1", j('{"organizations":[{"name":"c"},'
          .. '{"name":"d"}],"next":"cur2"}')),
      })
      assert.are.same({ "a", "b", "c", "d", "e" }, names(state["/organizations"]))
    end)

    it("concatenates bare-array pages and Actions envelope pages", function()
      local state = recording.to_state({
        get("/api/v2/rules?page=0&per_page=1", j('[{"name":"r1"}]')),
        get("/api/v2/rules?page=1&per_page=1", j('[{"name":"r2"}]')),
        get("/api/v2/actions/triggers/post-login/bindings?page=0&per_page=1",
          j('{"bindings":[{"id":"b1"}],"total":2,"page":0,"per_page":1}')),
        get("/api/v2/actions/triggers/post-login/bindings?page=1&per_page=1",
          j('{"bindings":[{"id":"b2"}],"total":2,"page":1,"per_page":1}')),
      })
      assert.are.same({ "r1", "r2" }, names(state["/rules"]))
      assert.are.same({ { id = "b1" }, { id = "b2" } },
        state["/actions/triggers/post-login/bindings"])
    end)

    it("keeps the first answer for a path asked several times", function()
      local state = recording.to_state({
        get("/api/v2/tenants/settings", j('{"friendly_name":"before"}')),
        { method = "PATCH", path = "/api/v2/tenants/settings",
          body = j('{"friendly_name":"after"}'), status = 200,
          response = j('{"friendly_name":"after"}') },
        get("/api/v2/tenants/settings", j('{"friendly_name":"after"}')),
      })
      assert.are.same({ friendly_name = "before" }, state["/tenants/settings"])
    end)

    it("prefers an unfiltered listing to an earlier filtered one", function()
      local state = recording.to_state({
        get("/api/v2/clients?page=0&per_page=100&include_totals=true&is_global=true",
          j('{"clients":[{"name":"All Applications"}],"start":0,"limit":100,"total":1}')),
        get("/api/v2/clients?page=0&per_page=100&include_totals=true&is_global=false",
          j('{"clients":[{"name":"app"}],"start":0,"limit":100,"total":1}')),
        get("/api/v2/clients?page=0&per_page=100&include_totals=true",
          j('{"clients":[{"name":"app"},{"name":"All Applications"}],"start":0,"limit":100,'
            .. '"total":2}')),
        get("/api/v2/roles?page=0&per_page=100&include_totals=true&type=tenant",
          j('{"roles":[{"name":"r"}],"start":0,"limit":100,"total":1}')),
      })
      assert.are.same({ "app", "All Applications" }, names(state["/clients"]))
      assert.are.same({ "r" }, names(state["/roles"]))
    end)

    it("counts only GETs answered 2xx with a body", function()
      local state = recording.to_state({
        get("/api/v2/email-templates/reset_email", j('{"statusCode":404,"error":"Not Found",'
          .. '"message":"The template does not exist.",'
          .. '"errorCode":"inexistent_email_template"}'), 404),
        get("/api/v2/guardian/factors/sms/templates", "", 204),
        { method = "POST", path = "/api/v2/roles", body = j('{"name":"r"}'), status = 201,
          response = j('{"id":"rol_1","name":"r"}') },
        get("/api/v2/branding", j('{"logo_url":"[REDACTED]"}')),
      })
      assert.are.same({ ["/branding"] = { logo_url = "[REDACTED]" } }, state)
    end)

    it("unwraps an unknown path's answer only when it has envelope fields", function()
      local state = recording.to_state({
        get("/api/v2/future-things?take=50", j('{"policies":[{"id":"p"}],"next":"x"}')),
        get("/api/v2/some/thing", j('{"items":[1,2]}')),
      })
      assert.are.same({ { id = "p" } }, state["/future-things"])
      assert.are.same({ items = { 1, 2 } }, state["/some/thing"])
    end)

    it("keeps objects of unpaged routes whole even when they hold one array", function()
      local state = recording.to_state({
        get("/api/v2/guardian/factors/phone/message-types", j('{"message_types":["sms"]}')),
      })
      assert.are.same({ message_types = { "sms" } }, state["/guardian/factors/phone/message-types"])
    end)

    it("raises when entries is not a table", function()
      assert.has_error(function() recording.to_state("[]") end)
    end)
  end)

  describe("read", function()
    local dir

    setup(function() dir = helper.temp_dir() end)
    teardown(function() helper.remove_tree(dir) end)

    it("decodes a recording file", function()
      local path = dir .. "/ok.json"
      helper.write_file(path, '[{"method":"GET","path":"/api/v2/roles","body":"","status":200,'
        .. '"response":[],"rawHeaders":[],"scope":"s","responseIsBinary":false}]')
      local entries = assert(recording.read(path))
      assert.are.equal("GET", entries[1].method)
    end)

    it("returns recording_read for a file that cannot be read", function()
      local entries, err = recording.read(dir .. "/missing.json")
      assert.is_nil(entries)
      assert.are.equal("recording_read", err.code)
      assert.matches("missing%.json", tostring(err))
    end)

    it("returns recording_invalid for text that is not JSON or not an array", function()
      local path = dir .. "/bad.json"
      helper.write_file(path, "[{")
      local entries, err = recording.read(path)
      assert.is_nil(entries)
      assert.are.equal("recording_invalid", err.code)
      helper.write_file(path, '{"method":"GET"}')
      entries, err = recording.read(path)
      assert.is_nil(entries)
      assert.are.equal("recording_invalid", err.code)
    end)
  end)

  describe("on a0deploy's recordings", function()
    local root = shared.dir()
    if not root then
      it("skips: " .. shared.MISSING, function() pending(shared.MISSING) end)
      return
    end
    local dir = root .. "/fixtures/deploy-cli/recordings"

    local function state_of(name)
      return recording.to_state(assert(recording.read(dir .. "/" .. name .. ".json")))
    end

    local function assert_no_envelopes(state)
      for path, value in pairs(state) do
        if type(value) == "table" and not json.is_array(value) then
          local wrapped = value.total ~= nil and value.start ~= nil
          assert.is_false(wrapped, path .. " is still an envelope")
        end
      end
    end

    it("finds the four recordings", function()
      assert.are.equal(4, #shared.files(dir, "%.json$"))
    end)

    it("gives the dump recording's tenant: unwrapped lists, objects, no error answers", function()
      local state = state_of("should-dump-without-throwing-an-error")
      for _, path in ipairs({ "/clients", "/connections", "/client-grants", "/resource-servers",
        "/roles", "/rules", "/hooks", "/actions/actions", "/actions/triggers/post-login/bindings",
        "/organizations", "/guardian/factors", "/custom-domains", "/log-streams", "/forms",
        "/connections/con_GCIw7tDhSMeiCyeZ/clients", "/prompts/rendering", "/event-streams" }) do
        assert.is_true(json.is_array(state[path]), path)
      end
      for _, path in ipairs({ "/tenants/settings", "/branding", "/prompts", "/emails/provider",
        "/email-templates/welcome_email", "/email-templates/verify_email",
        "/attack-protection/brute-force-protection", "/guardian/factors/sms/templates",
        "/prompts/login/custom-text/en" }) do
        assert.is_table(state[path], path)
        assert.is_false(json.is_array(state[path]), path)
      end
      assert.is_nil(state["/email-templates/reset_email"])
      assert.is_nil(state["/connections-directory-provisionings"])
      assert.is_nil(state["/branding/themes/default"])
      assert.are.equal(8, #state["/guardian/factors"])
      assert_no_envelopes(state)
    end)

    it("takes the dump recording's unfiltered client list over the is_global ones", function()
      local state = state_of("should-dump-without-throwing-an-error")
      local got = names(state["/clients"])
      table.sort(got)
      assert.are.same({ "All Applications", "Auth0 CLI - dev", "Default App", "Deploy CLI" }, got)
    end)

    it("keeps the preserve-keywords recording's first answers, before its writes", function()
      local file = dir .. "/should-preserve-keywords-for-yaml-format.json"
      local entries = assert(recording.read(file))
      local state = recording.to_state(entries)
      assert.are.same(entries[1].response.clients, state["/clients"])
      local first_settings
      for _, e in ipairs(entries) do
        if e.method == "GET" and e.path == "/api/v2/tenants/settings" then
          first_settings = first_settings or e.response
        end
      end
      assert.are.equal(first_settings, state["/tenants/settings"])
      local keys = {}
      for k in pairs(state) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.are.same({ "/clients", "/email-templates/verify_email",
        "/email-templates/welcome_email", "/tenants/settings" }, keys)
      assert_no_envelopes(state)
    end)

    it("gives the deploy recordings' tenant settings only", function()
      for _, name in ipairs({ "should-deploy-yaml-config-with-keyword-replacements",
        "should-deploy-directory-(JSON)-config-with-keyword-replacements" }) do
        local state = state_of(name)
        local keys = {}
        for k in pairs(state) do keys[#keys + 1] = k end
        assert.are.same({ "/tenants/settings" }, keys)
        assert.is_string(state["/tenants/settings"].friendly_name)
      end
    end)
  end)
end)
