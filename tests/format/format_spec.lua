-- tests/format/format_spec.lua: a0lua.format, choosing the format, a0deploy's own examples and
-- keyword replacement on every file read.
local format = require("a0lua.format")
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")
local deep = require("helpers.deep")
local run = require("helpers.run")
local shared = require("helpers.shared")

local KEYWORDS_MISSING = "a0lua.keywords (engineer A's module) is not there yet: "
  .. "keyword replacement through it is checked once it exists"

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function line_of(path, needle, after)
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if n > (after or 0) and line:find(needle, 1, true) then return n end
  end
  error(needle .. " not in " .. path)
end

local function keywords_available()
  return (pcall(require, "a0lua.keywords"))
end

-- Lists are compared as sets (the YAML export sorts them); rulesConfigs are never exported.
local function canonical(desired)
  local out = {}
  for k, v in pairs(desired) do
    if k ~= "rulesConfigs" then
      v = json.decode(json.encode(v))
      if json.is_array(v) then
        table.sort(v, function(a, b) return json.encode(a) < json.encode(b) end)
      end
      out[k] = v
    end
  end
  return out
end

describe("a0lua.format", function()
  describe("for_config", function()
    it("takes cfg.format when it is set", function()
      assert.equals(require("a0lua.format.yaml"), format.for_config({ format = "yaml" }))
      assert.equals(require("a0lua.format.directory"), format.for_config({ format = "directory" }))
    end)

    it("picks the format from the input as a0deploy does", function()
      local yaml_mod, dir_mod = require("a0lua.format.yaml"), require("a0lua.format.directory")
      assert.equals(dir_mod, format.for_config({ input = "tests/fixtures/format/directory" }))
      assert.equals(yaml_mod,
                    format.for_config({ input = "tests/fixtures/format/yaml/tenant.yaml" }))
      assert.equals(yaml_mod, format.for_config({ input = "somewhere/TENANT.YML" }))
      assert.equals(yaml_mod, format.for_config({ AUTH0_INPUT_FILE = { tenant = {} } }))
    end)

    it("returns an error for an input it cannot place", function()
      local mod, err = format.for_config({ input = "tests/fixtures/format/directory/tenant.json" })
      assert.is_nil(mod)
      assert.equals("config", err.code)
      assert.matches("unable to determine the format", tostring(err))
      local _, missing = format.for_config({ input = "tests/fixtures/format/missing.json" })
      assert.equals("input_not_found", missing.code)
      local _, unknown = format.for_config({ format = "xml" })
      assert.equals("config", unknown.code)
      local _, none = format.for_config({})
      assert.equals("config", none.code)
    end)

    it("raises on misuse", function()
      assert.has_error(function() format.for_config(nil) end)
    end)
  end)

  describe("read", function()
    it("reads either format and passes warnings to opts.log", function()
      local logged = {}
      local log = { warn = function(_, msg) logged[#logged + 1] = msg end }
      local d1 = assert(format.read({ input = "tests/fixtures/format/yaml/tenant.yaml" },
                                    { log = log }))
      assert.truthy(d1.clients)
      assert.equals(0, #logged)
      local d2 = assert(format.read({ input = "tests/fixtures/format/directory" }, { log = log }))
      assert.truthy(d2.clients)
      assert.truthy(#logged > 0)
    end)

    it("returns the format choice's error as a problem list", function()
      local desired, problems = format.read({ input = "tests/fixtures/format/nothing.txt" })
      assert.is_nil(desired)
      assert.equals("input_not_found", problems[1].code)
    end)
  end)

  describe("write", function()
    it("needs cfg.format and raises on misuse", function()
      local files, err = format.write({ output_folder = "/tmp/unused" }, {})
      assert.is_nil(files)
      assert.equals("config", err.code)
      assert.has_error(function() format.write({ format = "yaml" }, 5) end)
    end)

    it("writes the format cfg.format names", function()
      local dir = run.temp_dir()
      local files = assert(format.write({ format = "directory", output_folder = dir },
                                        { tenant = { friendly_name = "x" } }))
      assert.same({ dir .. "/tenant.json" }, files)
      run.remove_tree(dir)
    end)

    describe("file modes", function()
      local fs = require("a0lua.core.fs")
      local dir
      before_each(function() dir = run.temp_dir() end)
      after_each(function() run.remove_tree(dir) end)

      local function mode(rel) return assert(fs.stat(dir .. "/" .. rel)).mode end
      local function exported(secret)
        return {
          tenant = { friendly_name = "x" },
          clients = { { name = "web", app_type = "spa" } },
          connections = { { name = "google", strategy = "google-oauth2",
                            options = { client_id = "id", client_secret = secret } } },
          pages = { { name = "login", html = "<p>hi</p>" } },
        }
      end

      it("writes every file of an export with secrets 0600", function()
        for _, f in ipairs({ "yaml", "directory" }) do
          local out = dir .. "/" .. f
          assert(format.write({ format = f, output_folder = out, AUTH0_EXPORT_SECRETS = true },
                              exported("s3cret")))
        end
        for _, rel in ipairs({ "yaml/tenant.yaml", "yaml/pages/login.html",
                               "directory/connections/google.json", "directory/tenant.json",
                               "directory/clients/web.json", "directory/pages/login.html" }) do
          assert.equal(384, mode(rel), rel) -- 0600
        end
      end)

      it("writes a file that holds a secret 0600 and the others by the umask", function()
        local open = 438 & ~run.umask() -- 0666 filtered by the umask
        local secret = exported("s3cret")
        secret.clients[1].client_secret = "included" -- as INCLUDED_PROPS can keep it
        secret.connections[1].options.client_secret = "##GOOGLE_OAUTH2_CLIENT_SECRET##"
        assert(format.write({ format = "directory", output_folder = dir }, secret))
        assert.equal(384, mode("clients/web.json"))
        assert.equal(open, mode("connections/google.json")) -- a placeholder is no secret
        assert.equal(open, mode("tenant.json"))
        assert(format.write({ format = "yaml", output_folder = dir .. "/y" }, secret))
        assert.equal(384, mode("y/tenant.yaml"))
        assert(format.write({ format = "yaml", output_folder = dir .. "/p" },
                            exported("##GOOGLE_OAUTH2_CLIENT_SECRET##")))
        assert.equal(open, mode("p/tenant.yaml"))
        assert.equal(open, mode("p/pages/login.html"))
      end)

      it("finds secrets by field name, in action secrets, not in placeholders", function()
        local common = require("a0lua.format.common")
        assert.is_true(common.holds_secret({ a = { { b = { smtpPass = "p" } } } }))
        assert.is_true(common.holds_secret({ credentials = { api_key = "k" } }))
        assert.is_true(common.holds_secret({ secrets = { { name = "K", value = "v" } } }))
        assert.is_false(common.holds_secret({ secrets = { { name = "K" } } }))
        assert.is_false(common.holds_secret({ client_secret = "@@GOOGLE_SECRET@@",
          password = "", passwordPolicy = "good", secret_encoded = true }))
      end)
    end)
  end)

  describe("a0deploy's examples", function()
    local root = shared.dir()
    local examples = root and (root .. "/fixtures/deploy-cli/examples")

    it("loads the YAML example with every type and its files inlined", function()
      if not root then return pending(shared.MISSING) end
      local file = examples .. "/yaml/tenant.yaml"
      local desired, sources = format.read({ input = file })
      assert(desired, sources and tostring(sources[1]))
      local raw = yaml.decode(read_file(file))
      for key in pairs(raw) do
        assert.truthy(desired[key], key .. " is missing from desired")
      end
      local base = examples .. "/yaml/"
      assert.equals(read_file(base .. "pages/login.html"), desired.pages[1].html)
      assert.equals(read_file(base .. "databases/users/login.js"),
                    desired.databases[1].options.customScripts.login)
      assert.equals(read_file(base .. "emails/change_email.html"), desired.emailTemplates[1].body)
      assert.equals(read_file(base .. "actions/action-example/code.js"), desired.actions[1].code)
      assert.equals(read_file(base .. "action-modules/auth-helper/code.js"),
                    desired.actionModules[1].code)
      assert.equals("New Kyc form", desired.forms[1].name)
      assert.truthy(json.is_array(desired.forms[1].nodes))
      assert.equals("signup-id", desired.prompts.screenRenderers[1].prompt)
      -- two renderers of the example name files that are not there: a0deploy skips them too
      assert.equals(1, #desired.prompts.screenRenderers)
      assert.equals(2, #sources.warnings)
    end)

    it("locates the YAML example's values at their lines", function()
      if not root then return pending(shared.MISSING) end
      local file = examples .. "/yaml/tenant.yaml"
      local desired, sources = format.read({ input = file })
      local index
      for i, c in ipairs(desired.clients) do
        if c.name == "My Token Exchange App" then index = i - 1 end
      end
      local f, line =
        sources:locate("/clients/" .. index .. "/token_exchange/allow_any_profile_of_type/1")
      assert.equals(file, f)
      assert.equals(line_of(file, '- "on_behalf_of_token_exchange"'), line)
      local _, rs_line = sources:locate("/resourceServers/1/identifier")
      assert.equals(line_of(file, 'identifier: "https://##AUTH0_DOMAIN##/me/"'), rs_line)
      assert.equals(examples .. "/yaml/forms/New Kyc form.json",
                    (sources:locate("/forms/0/nodes/0")))
      assert.matches("tenant%.yaml:%d+:%d+: clients%[" .. index .. "%]%.token_exchange",
        sources:format("/clients/" .. index .. "/token_exchange/allow_any_profile_of_type/1", "x"))
    end)

    it("loads the directory example with every type and its files inlined", function()
      if not root then return pending(shared.MISSING) end
      local dir = examples .. "/directory"
      local desired, sources = format.read({ input = dir })
      assert(desired, sources and tostring(sources[1]))
      local keys = {}
      for k in pairs(desired) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.same({ "actionModules", "actions", "attackProtection", "clientGrants", "clients",
        "connectionProfiles", "connections", "customDomains", "databases", "emailProvider",
        "emailTemplates", "eventStreams", "flowVaultConnections", "flows", "forms",
        "guardianFactorProviders", "guardianFactorTemplates", "guardianFactors",
        "guardianPhoneFactorMessageTypes", "guardianPhoneFactorSelectedProvider",
        "guardianPolicies", "hooks", "networkACLs", "pages", "phoneProviders", "phoneTemplates",
        "prompts", "rateLimitPolicies", "resourceServers", "riskAssessment", "roles", "rules",
        "rulesConfigs", "selfServiceProfiles", "supplementalSignals", "tenant",
        "tokenExchangeProfiles", "triggers", "userAttributeProfiles" }, keys)
      assert.equals(read_file(dir .. "/actions/action-example/code.js"), desired.actions[1].code)
      assert.equals(read_file(dir .. "/database-connections/users/login.js"),
                    desired.databases[1].options.customScripts.login)
      assert.equals(read_file(dir .. "/emails/blocked_account.html"),
                    desired.emailTemplates[1].body)
      assert.equals(read_file(dir .. "/hooks/client-credentials-exchange.js"),
                    desired.hooks[1].script)
      assert.equals(read_file(dir .. "/rules/Enrich-Identity-Token.js"), desired.rules[1].script)
      assert.equals(read_file(dir .. "/pages/login.html"), desired.pages[1].html)
      assert.truthy(desired.prompts.partials.login.login["form-content-start"]:find("<div"))
      assert.equals(2, #desired.prompts.screenRenderers)
    end)

    it("locates the directory example's values at their lines", function()
      if not root then return pending(shared.MISSING) end
      local dir = examples .. "/directory"
      local desired, sources = format.read({ input = dir })
      local files = shared.files(dir .. "/clients", "%.json$")
      assert.equals(#files, #desired.clients)
      for i, expected in ipairs(files) do
        local file, line = sources:locate("/clients/" .. (i - 1) .. "/name")
        assert.equals(expected, file)
        assert.equals(line_of(file, '"name"'), line)
      end
      local file, line = sources:locate("/databases/0/options/attributes/email/unique")
      assert.equals(dir .. "/database-connections/users/database.json", file)
      assert.equals(line_of(file, '"unique"'), line)
    end)

    it("writes both examples back in both formats and reads the same state", function()
      if not root then return pending(shared.MISSING) end
      for _, input in ipairs({ examples .. "/yaml/tenant.yaml", examples .. "/directory" }) do
        local desired = assert(format.read({ input = input }))
        for _, fmt in ipairs({ "yaml", "directory" }) do
          local out = run.temp_dir()
          assert(format.write({ format = fmt, output_folder = out }, desired))
          local again, problems =
            format.read({ input = fmt == "yaml" and out .. "/tenant.yaml" or out })
          assert(again, problems and tostring(problems[1]))
          local ok, where = deep.equal(canonical(desired), canonical(again))
          assert(ok, input .. " via " .. fmt .. " differs at " .. tostring(where))
          run.remove_tree(out)
        end
      end
    end)
  end)

  describe("keyword replacement", function()
    local saved
    local dir
    before_each(function() saved = package.loaded["a0lua.keywords"] end)
    after_each(function()
      package.loaded["a0lua.keywords"] = saved
      if dir then run.remove_tree(dir) end
      dir = nil
    end)

    it("passes the text of every file read to keywords.replace before parsing it", function()
      local calls = {}
      package.loaded["a0lua.keywords"] = {
        replace = function(text, mappings, opts)
          calls[#calls + 1] = opts.file
          assert.equals("dev", mappings.ENV)
          if opts.file:match("tenant%.yaml$") then
            return text:gsub("MARKER", "replaced"), { { message = "a warning from keywords" } }
          end
          return text, {}
        end,
      }
      dir = run.temp_dir()
      run.write_file(dir .. "/tenant.yaml", "tenant:\n  friendly_name: MARKER\n"
        .. "pages:\n  - name: login\n    html: ./login.html\n")
      run.write_file(dir .. "/login.html", "<p>page</p>")
      local desired, sources = format.read({ input = dir .. "/tenant.yaml",
        AUTH0_KEYWORD_REPLACE_MAPPINGS = { ENV = "dev" } })
      assert.equals("replaced", desired.tenant.friendly_name)
      assert.same({ dir .. "/tenant.yaml", dir .. "/login.html" }, calls)
      assert.equals("a warning from keywords", sources.warnings[1].message)
      assert.equals(dir .. "/tenant.yaml", sources.warnings[1].file)
    end)

    it("does not call keywords.replace when the mappings are empty", function()
      package.loaded["a0lua.keywords"] = {
        replace = function() error("must not be called") end,
      }
      local desired = assert(format.read({ input = "tests/fixtures/format/directory",
                                           AUTH0_KEYWORD_REPLACE_MAPPINGS = {} }))
      assert.truthy(desired.tenant)
    end)

    it("reports keywords_unavailable when mappings are set and the module is unusable", function()
      package.loaded["a0lua.keywords"] = {} -- a module without replace
      local desired, problems = format.read({ input = "tests/fixtures/format/yaml/tenant.yaml",
                                              AUTH0_KEYWORD_REPLACE_MAPPINGS = { ENV = "dev" } })
      assert.is_nil(desired)
      assert.equals("keywords_unavailable", problems[1].code)
    end)

    it("replaces ##KEY## and @@KEY@@ in YAML, JSON and companion files", function()
      if not keywords_available() then return pending(KEYWORDS_MISSING) end
      dir = run.temp_dir()
      run.write_file(dir .. "/tenant.yaml", "tenant:\n  friendly_name: '##ENV## shop'\n"
        .. "  enabled_locales: @@LOCALES@@\npages:\n  - name: login\n    html: ./login.html\n")
      run.write_file(dir .. "/login.html", "<p>##ENV##</p>")
      local cfg = { input = dir .. "/tenant.yaml",
                    AUTH0_KEYWORD_REPLACE_MAPPINGS = { ENV = "dev", LOCALES = { "en", "fr" } } }
      local desired = assert(format.read(cfg))
      assert.equals("dev shop", desired.tenant.friendly_name)
      assert.same({ "en", "fr" }, { table.unpack(desired.tenant.enabled_locales) })
      assert.equals("<p>dev</p>", desired.pages[1].html)
      os.execute("mkdir -p " .. run.quote(dir .. "/tree/clients"))
      run.write_file(dir .. "/tree/clients/a.json",
                     '{"name": "##ENV## app", "web_origins": "@@LOCALES@@"}')
      local tree = assert(format.read({
        input = dir .. "/tree", AUTH0_KEYWORD_REPLACE_MAPPINGS = cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS,
      }))
      assert.equals("dev app", tree.clients[1].name)
      assert.equals("fr", tree.clients[1].web_origins[2])
    end)
  end)
end)
