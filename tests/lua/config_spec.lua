-- a0lua.config: a0deploy's config keys from the config file, the environment and the flags.
local args = require("a0lua.args")
local config = require("a0lua.config")
local json = require("a0lua.core.json")
local keywords = require("a0lua.keywords")
local helper = require("helpers.run")

local FIXTURES = "tests/fixtures/config/"

local function flags(command, ...)
  return assert(args.parse_command(command, { ... }))
end

-- A complete set of credentials, so check() gets past the required names.
local CREDENTIALS = {
  AUTH0_DOMAIN = "tenant.auth0.com", AUTH0_CLIENT_ID = "id", AUTH0_CLIENT_SECRET = "secret",
}

local function load_with(values, command, ...)
  return assert(config.load{ values = values, args = flags(command or "import", ...) })
end

describe("a0lua.config", function()
  describe("load", function()
    it("reads a0deploy's config.json with typed values and defaults", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json",
        args = flags("import", "-i", "tenant.yaml") })
      assert.are.equal("tenant.eu.auth0.com", cfg.AUTH0_DOMAIN)
      assert.are.equal("m2m-client-id", cfg.AUTH0_CLIENT_ID)
      assert.is_false(cfg.AUTH0_ALLOW_DELETE)
      assert.are.same({ "rules", "hooks" }, cfg.AUTH0_EXCLUDED)
      assert.is_true(json.is_array(cfg.AUTH0_EXCLUDED))
      assert.are.equal(5, cfg.AUTH0_API_MAX_RETRIES)
      assert.are.equal(3, cfg.AUTH0_MAX_RETRIES)
      assert.are.equal(1000, cfg.AUTH0_RETRY_INITIAL_DELAY_MS)
      assert.are.equal(30000, cfg.AUTH0_RETRY_MAX_DELAY_MS)
      assert.are.equal("connections", cfg.AUTH0_CONNECTIONS_DIRECTORY)
      assert.are.equal("RS256", cfg.AUTH0_CLIENT_SIGNING_ALGORITHM)
      assert.is_nil(cfg.AUTH0_INCLUDED_ONLY)
      assert.are.same({}, cfg.AUTH0_EXCLUDED_CLIENTS)
      assert.is_false(cfg.AUTH0_PRESERVE_KEYWORDS)
      assert.is_false(cfg.AUTH0_EXPORT_IDENTIFIERS)
      assert.are.same({ clients = { "client_secret" }, connections = { "options.client_secret" } },
        cfg.EXCLUDED_PROPS)
      assert.are.same({}, cfg.INCLUDED_PROPS)
      assert.are.equal("https://tenant.eu.auth0.com/api/v2/", cfg.AUTH0_AUDIENCE)
      assert.are.equal("https://tenant.eu.auth0.com", cfg.base_url)
      assert.are.equal("tenant.eu.auth0.com", cfg.host)
      assert.are.equal("tenant.yaml", cfg.input)
      assert.are.equal("yaml", cfg.format)
      assert.are.equal(".", cfg.AUTH0_BASE_PATH)
      assert.are.equal(1, cfg.AUTH0_UNKNOWN_SETTING)
      assert.are.equal(FIXTURES .. "config.json", cfg.config_file)
    end)

    it("takes the file from --config_file", function()
      local cfg = assert(config.load{ args = flags("import", "-c", FIXTURES .. "config.json") })
      assert.are.equal("m2m-client-id", cfg.AUTH0_CLIENT_ID)
    end)

    it("parses the JSON-string keys once, and \"false\" is false", function()
      local cfg = assert(config.load{ file = FIXTURES .. "strings.json",
        args = flags("import") })
      assert.are.same({ "rulesConfigs" }, cfg.AUTH0_EXCLUDED)
      assert.are.same({ "Legacy App", "Old App" }, cfg.AUTH0_EXCLUDED_CLIENTS)
      assert.are.same({ ENV = "dev", LIST = { "x", "y" } }, cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS)
      assert.are.same({ "ENV", "LIST" }, keywords.order(cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS))
      assert.are.same({ clients = { "client_secret" } }, cfg.INCLUDED_PROPS)
      assert.is_true(cfg.AUTH0_ALLOW_DELETE)
      assert.is_false(cfg.AUTH0_EXPORT_IDENTIFIERS)
      assert.is_true(cfg.AUTH0_DRY_RUN)
      assert.is_true(cfg.dry_run)
      assert.are.equal("https://tenant.auth0.com", cfg.base_url)
    end)

    it("reads booleans written in any of the usual ways", function()
      for text, want in pairs({ ["true"] = true, ["TRUE"] = true, ["1"] = true, yes = true,
        on = true, ["false"] = false, ["0"] = false, no = false, off = false, [""] = false }) do
        local cfg = load_with({ AUTH0_ALLOW_DELETE = text })
        assert.are.equal(want, cfg.AUTH0_ALLOW_DELETE, text)
      end
      assert.is_true(load_with({ AUTH0_ALLOW_DELETE = 1 }).AUTH0_ALLOW_DELETE)
    end)

    it("ranks the environment over the file over the flags over programmatic values", function()
      local cfg = assert(config.load{
        values = { AUTH0_CLIENT_ID = "from-values", AUTH0_AUDIENCE = "from-values",
          AUTH0_CLIENT_SECRET = "values-secret", AUTH0_CONNECTIONS_DIRECTORY = "values" },
        file = FIXTURES .. "config.json",
        env = { AUTH0_CLIENT_ID = "from-env" },
        args = flags("import", "-x", "flag-secret"),
      })
      assert.are.equal("from-env", cfg.AUTH0_CLIENT_ID)
      assert.are.equal("file-secret-value-123", cfg.AUTH0_CLIENT_SECRET)
      assert.are.equal("from-values", cfg.AUTH0_AUDIENCE)
      assert.are.equal("values", cfg.AUTH0_CONNECTIONS_DIRECTORY)
      local flag_only = assert(config.load{ values = { AUTH0_CLIENT_SECRET = "values-secret" },
        args = flags("import", "-x", "flag-secret") })
      assert.are.equal("flag-secret", flag_only.AUTH0_CLIENT_SECRET)
    end)

    it("copies an a0deploy export flag only when it is true", function()
      assert.is_true(load_with({}, "export", "-e").AUTH0_EXPORT_IDENTIFIERS)
      assert.is_true(load_with({}, "export", "-s").AUTH0_EXPORT_ORDERED)
      assert.is_true(load_with({}, "export", "--export_secrets").AUTH0_EXPORT_SECRETS)
      assert.is_true(load_with({}, "import", "--experimental_ea").AUTH0_EXPERIMENTAL_EA)
      local off = load_with({ AUTH0_EXPORT_IDENTIFIERS = true }, "export", "--export_ids=false")
      assert.is_true(off.AUTH0_EXPORT_IDENTIFIERS)
      local file_wins = assert(config.load{ env = { AUTH0_EXPORT_IDENTIFIERS = "false" },
        args = flags("export", "-e") })
      assert.is_false(file_wins.AUTH0_EXPORT_IDENTIFIERS)
    end)

    it("reads config keys from the environment unless --env=false", function()
      local env = { AUTH0_DOMAIN = "env.auth0.com", AUTH0_ALLOW_DELETE = "false",
        AUTH0_EXCLUDED = '["rules"]' }
      local on = assert(config.load{ env = env, args = flags("import") })
      assert.are.equal("env.auth0.com", on.AUTH0_DOMAIN)
      assert.is_false(on.AUTH0_ALLOW_DELETE)
      assert.are.same({ "rules" }, on.AUTH0_EXCLUDED)
      assert.is_true(on.env)
      local off = assert(config.load{ env = env, args = flags("import", "--env=false") })
      assert.is_nil(off.AUTH0_DOMAIN)
      assert.are.same({}, off.AUTH0_EXCLUDED)
      assert.is_false(off.env)
      local none = assert(config.load{ args = flags("import") })
      assert.is_false(none.env)
    end)

    it("treats an empty environment variable as unset, except for booleans", function()
      local cfg = assert(config.load{ values = { AUTH0_DOMAIN = "file.auth0.com" },
        env = { AUTH0_DOMAIN = "", AUTH0_ALLOW_DELETE = "" }, args = flags("import") })
      assert.are.equal("file.auth0.com", cfg.AUTH0_DOMAIN)
      assert.is_false(cfg.AUTH0_ALLOW_DELETE)
    end)

    it("merges every environment variable into the mappings on import", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json",
        env = { HOME = "/home/me", ALPHA = "from-env" }, args = flags("import") })
      local m = cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS
      assert.are.equal("/home/me", m.HOME)
      assert.are.equal("from-env", m.ALPHA)
      assert.are.same({ "https://a.example", "https://b.example" }, m.ORIGINS)
      assert.are.same({ "ZETA", "ALPHA", "ORIGINS", "NESTED", "HOME" }, keywords.order(m))
    end)

    it("does not merge environment variables into the mappings on export", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json",
        env = { HOME = "/home/me" }, args = flags("export", "-o", "out", "-f", "yaml") })
      assert.is_nil(cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS.HOME)
      assert.are.equal("a", cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS.ALPHA)
    end)

    it("lets AUTH0_KEYWORD_REPLACE_MAPPINGS in the environment replace all mappings", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json",
        env = { HOME = "/home/me", AUTH0_KEYWORD_REPLACE_MAPPINGS = '{"B": "2", "A": "1"}' },
        args = flags("import") })
      assert.are.same({ B = "2", A = "1" }, cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS)
      assert.are.same({ "B", "A" }, keywords.order(cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS))
    end)

    it("applies the config file's mappings in the file's order", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json", args = flags("import") })
      local text = keywords.replace("##ZETA##", cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS)
      assert.are.equal("a-z", text)
    end)

    it("merges maps across sources key by key", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json",
        values = { EXCLUDED_PROPS = { roles = { "description" }, clients = { "logo_uri" } },
          AUTH0_KEYWORD_REPLACE_MAPPINGS = { EXTRA = "e", ALPHA = "values" } },
        args = flags("import") })
      assert.are.same({ clients = { "client_secret" }, connections = { "options.client_secret" },
        roles = { "description" } }, cfg.EXCLUDED_PROPS)
      assert.are.equal("e", cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS.EXTRA)
      assert.are.equal("a", cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS.ALPHA)
    end)

    it("keeps the scheme of AUTH0_DOMAIN in base_url", function()
      local cfg = load_with({ AUTH0_DOMAIN = "http://127.0.0.1:4567" })
      assert.are.equal("http://127.0.0.1:4567", cfg.base_url)
      assert.are.equal("127.0.0.1:4567", cfg.host)
      assert.are.equal("https://127.0.0.1:4567/api/v2/", cfg.AUTH0_AUDIENCE)
      assert.are.equal("http://127.0.0.1:4567", cfg.AUTH0_DOMAIN)
    end)

    it("returns a config error naming the file for plain http to another host", function()
      local cfg, err = config.load{ file = FIXTURES .. "plain_http.json", args = flags("import") }
      assert.is_nil(cfg)
      assert.are.equal("config", err.code)
      assert.are.equal("AUTH0_DOMAIN", err.key)
      assert.matches("^tests/fixtures/config/plain_http%.json:1:3: AUTH0_DOMAIN: plain http:// is "
        .. "only allowed to a loopback", tostring(err))
    end)

    it("sets the format and AUTH0_INPUT_FILE of an export", function()
      local yaml = load_with({}, "export", "-o", "out", "-f", "yaml")
      assert.are.equal("out", yaml.output_folder)
      assert.are.equal("yaml", yaml.format)
      assert.are.equal("out/tenant.yaml", yaml.AUTH0_INPUT_FILE)
      local dir = load_with({}, "export", "-o", "out", "-f", "directory")
      assert.are.equal("out", dir.AUTH0_INPUT_FILE)
      assert.is_false(dir.dry_run)
    end)

    it("tells the import format from the input", function()
      assert.are.equal("yaml", load_with({}, "import", "-i", "a/b/t.YML").format)
      assert.are.equal("a/b", load_with({}, "import", "-i", "a/b/t.YML").AUTH0_BASE_PATH)
      assert.are.equal("directory", load_with({}, "import", "-i", FIXTURES).format)
      assert.is_nil(load_with({}, "import", "-i", "missing.txt").format)
      assert.are.equal("from-file", load_with({ AUTH0_INPUT_FILE = "from-file" }).input)
    end)

    it("sets dry_run from the flag, AUTH0_DRY_RUN or the command", function()
      assert.is_false(load_with({}).dry_run)
      assert.is_true(load_with({}, "import", "--dry-run").dry_run)
      assert.is_true(load_with({}, "import", "--dry-run=preview").dry_run)
      assert.is_true(load_with({ AUTH0_DRY_RUN = "true" }).dry_run)
      assert.is_true(load_with({ AUTH0_DRY_RUN = "preview" }).dry_run)
      assert.is_false(load_with({ AUTH0_DRY_RUN = "false" }).dry_run)
      assert.is_true(load_with({}, "plan").dry_run)
      local env_off = assert(config.load{ env = { AUTH0_DRY_RUN = "false" },
        args = flags("import", "--dry-run") })
      assert.is_true(env_off.dry_run)
    end)

    it("returns a config error for a dry-run value that is not true or preview", function()
      local cfg, err = config.load{ env = { AUTH0_DRY_RUN = "later" }, args = flags("import") }
      assert.is_nil(cfg)
      assert.are.equal("config", err.code)
      assert.matches("^environment variable AUTH0_DRY_RUN: expected true, \"preview\" or false",
        err.message)
      local _, flag_err = config.load{ args = { dry_run = "soon" } }
      assert.matches("^%-%-dry%-run: invalid value", flag_err.message)
    end)

    it("sets the a0lua keys from their flags", function()
      local cfg = load_with({}, "import", "--json", "--ca-file", "ca.pem", "--concurrency", "3",
        "--handlers", "h1", "--handlers", "h2", "--hooks", "hooks.lua", "-p", "http://proxy:8080",
        "--dry-run", "--interactive")
      assert.is_true(cfg.json)
      assert.are.equal("ca.pem", cfg.ca_file)
      assert.are.equal(3, cfg.concurrency)
      assert.are.same({ "h1", "h2" }, cfg.handlers_path)
      assert.are.equal("hooks.lua", cfg.hooks)
      assert.are.equal("http://proxy:8080", cfg.proxy_url)
      assert.is_true(cfg.interactive)
      assert.is_false(cfg.apply)
      assert.are.equal("import", cfg.command)
      local defaults = load_with({})
      assert.are.equal(8, defaults.concurrency)
      assert.are.same({}, defaults.handlers_path)
      assert.is_false(defaults.json)
    end)

    it("returns a config error for a proxy that is not a URL", function()
      local _, err = config.load{ args = flags("import", "-p", "proxy") }
      assert.are.equal("config", err.code)
      assert.matches("^%-%-proxy_url:", err.message)
    end)

    it("sets the log level from --debug, AUTH0_DEBUG and AUTH0_LOG", function()
      assert.are.equal("info", load_with({}).log_level)
      assert.are.equal("debug", load_with({}, "import", "-d").log_level)
      assert.is_true(load_with({}, "import", "-d").debug)
      local env = assert(config.load{ env = { AUTH0_LOG = "warn" }, args = flags("import") })
      assert.are.equal("warn", env.log_level)
      local dbg = assert(config.load{ env = { AUTH0_DEBUG = "true" },
        args = flags("import", "--env=false") })
      assert.are.equal("debug", dbg.log_level)
      local _, err = config.load{ env = { AUTH0_LOG = "loud" }, args = flags("import") }
      assert.are.equal("config", err.code)
      assert.matches("AUTH0_LOG", err.message)
    end)

    it("returns a config_file error when the file cannot be read", function()
      local cfg, err = config.load{ file = FIXTURES .. "absent.json", args = {} }
      assert.is_nil(cfg)
      assert.are.equal("config_file", err.code)
      assert.matches("^cannot read the config file tests/fixtures/config/absent%.json: ",
        tostring(err))
    end)

    it("returns a config_file error with line and column for bad JSON", function()
      local _, err = config.load{ file = FIXTURES .. "bad_syntax.json", args = {} }
      assert.are.equal("config_file", err.code)
      assert.are.equal(FIXTURES .. "bad_syntax.json", err.file)
      assert.are.equal(4, err.line)
      assert.is_number(err.column)
      assert.matches("^tests/fixtures/config/bad_syntax%.json:4:%d+: ", tostring(err))
    end)

    it("returns a config_file error naming file, line and key of a key written twice", function()
      local file = FIXTURES .. "duplicate_key.json"
      local cfg, err = config.load{ file = file, args = flags("import") }
      assert.is_nil(cfg)
      assert.are.equal("config_file", err.code)
      assert.are.same({ file, 5, 3 }, { err.file, err.line, err.column })
      assert.are.equal(file .. ":5:3: duplicate key 'AUTH0_ALLOW_DELETE'", tostring(err))
      local nested = os.tmpname()
      helper.write_file(nested, '{"AUTH0_KEYWORD_REPLACE_MAPPINGS": {"A": 1, "A": 2}}')
      cfg, err = config.load{ file = nested, args = flags("import") }
      os.remove(nested)
      assert.are.equal(nested .. ":1:45: duplicate key 'A'", tostring(err))
      assert.is_nil(cfg)
    end)

    it("returns a config_file error for a file that is not an object", function()
      local _, err = config.load{ file = FIXTURES .. "not_object.json", args = {} }
      assert.are.equal("config_file", err.code)
      assert.are.equal(FIXTURES .. "not_object.json: the config file must hold a JSON object of "
        .. "config keys", tostring(err))
    end)

    it("returns a config error naming the file and key of a bad value", function()
      local _, err = config.load{ file = FIXTURES .. "bad_bool.json", args = {} }
      assert.are.equal("config", err.code)
      assert.are.equal("AUTH0_ALLOW_DELETE", err.key)
      assert.are.equal(FIXTURES .. "bad_bool.json", err.file)
      assert.are.same({ 1, 39 }, { err.line, err.column })
      assert.are.equal(FIXTURES .. "bad_bool.json:1:39: AUTH0_ALLOW_DELETE: expected true or "
        .. 'false, got "maybe"', tostring(err))
      local _, props = config.load{ file = FIXTURES .. "bad_props.json", args = {} }
      assert.are.equal("EXCLUDED_PROPS", props.key)
      assert.matches("bad_props%.json:1:%d+: EXCLUDED_PROPS: clients:", tostring(props))
    end)

    it("returns a config error naming the environment variable of a bad value", function()
      local _, err = config.load{ env = { AUTH0_API_MAX_RETRIES = "many" }, args = {} }
      assert.are.equal("environment variable AUTH0_API_MAX_RETRIES: expected a whole number "
        .. '>= 0, got "many"', err.message)
      local _, list = config.load{ env = { AUTH0_EXCLUDED = "[rules" }, args = {} }
      assert.matches("^environment variable AUTH0_EXCLUDED: is not a JSON list", list.message)
      local _, map = config.load{ env = { AUTH0_KEYWORD_REPLACE_MAPPINGS = "[1]" }, args = {} }
      assert.matches("^environment variable AUTH0_KEYWORD_REPLACE_MAPPINGS: expected an object",
        map.message)
    end)

    it("names the flag of a bad value given by a flag", function()
      local _, err = config.load{ args = { secret = { "not", "a", "string" } } }
      assert.matches("^%-%-secret: expected a string", err.message)
    end)

    it("raises when misused", function()
      assert.has_error(function() config.load() end)
      assert.has_error(function() config.load{ command = "deploy-all" } end)
      assert.has_error(function() config.load{ file = 42 } end)
      assert.has_error(function() config.load{ values = "x" } end)
    end)
  end)

  describe("parse_domain", function()
    it("gives cfg.domain, which the API client takes as it is", function()
      local api = require("a0lua.api")
      local cfg = assert(config.load{ env = { AUTH0_DOMAIN = "HTTP://127.0.0.1:80/" } })
      assert.are.same({ scheme = "http", host = "127.0.0.1", authority = "127.0.0.1",
        origin = "http://127.0.0.1" }, cfg.domain)
      assert.are.equal("https://127.0.0.1/api/v2/", cfg.AUTH0_AUDIENCE)
      local client = assert(api.new{ domain = cfg.domain, access_token = "t" })
      assert.are.equal(cfg.base_url, client.base_url)
      assert.are.equal(cfg.host, client.domain)
      client:close()
    end)

    it("defaults to https and keeps the port", function()
      assert.are.same({ "https://t.auth0.com", "t.auth0.com" },
        { config.parse_domain("t.auth0.com") })
      assert.are.same({ "https://t.auth0.com:8443", "t.auth0.com:8443" },
        { config.parse_domain(" https://t.auth0.com:8443/ ") })
    end)

    it("allows plain http to loopback hosts only", function()
      assert.are.same({ "http://127.0.0.1:3000", "127.0.0.1:3000" },
        { config.parse_domain("http://127.0.0.1:3000") })
      -- a default port is dropped, so the audience is the same either way
      assert.are.equal("http://localhost", config.parse_domain("http://localhost:80"))
      assert.are.equal("https://t.auth0.com", config.parse_domain("https://t.auth0.com:443"))
      assert.are.equal("http://[::1]:9", config.parse_domain("http://[::1]:9"))
      assert.are.equal("http://127.9.9.9", config.parse_domain("HTTP://127.9.9.9"))
      local base, why = config.parse_domain("http://10.0.0.1:3000")
      assert.is_nil(base)
      assert.matches("only allowed to a loopback host", why)
    end)

    it("refuses other schemes, paths and bad hosts", function()
      assert.is_nil(config.parse_domain("ftp://t.auth0.com"))
      assert.is_nil(config.parse_domain("https://t.auth0.com/api/v2"))
      assert.is_nil(config.parse_domain("t.auth0.com:99999"))
      assert.is_nil(config.parse_domain("bad host"))
      assert.is_nil(config.parse_domain(""))
    end)

    it("raises for a non-string", function()
      assert.has_error(function() config.parse_domain(nil) end)
    end)
  end)

  describe("check", function()
    local function cfg_of(values, command, ...)
      local merged = {}
      for key, v in pairs(CREDENTIALS) do merged[key] = v end
      for key, v in pairs(values or {}) do merged[key] = v end
      return load_with(merged, command, ...)
    end

    it("accepts a complete import", function()
      local ok, warnings = config.check(cfg_of({}, "import", "-i", "t.yaml"), "import")
      assert.is_true(ok)
      assert.are.same({}, warnings)
    end)

    it("lists every missing name in one message", function()
      local ok, err = config.check(load_with({}), "import")
      assert.is_nil(ok)
      assert.are.equal("config_missing", err.code)
      assert.are.same({ "AUTH0_DOMAIN", "AUTH0_CLIENT_ID",
        "AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_SIGNING_KEY_PATH)", "--input_file (-i)" },
        err.missing)
      assert.matches("^missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET %(or "
        .. "AUTH0_CLIENT_SIGNING_KEY_PATH%) and %-%-input_file %(%-i%)", err.message)
    end)

    it("needs no client credentials with AUTH0_ACCESS_TOKEN", function()
      local cfg = load_with({ AUTH0_DOMAIN = "t.auth0.com", AUTH0_ACCESS_TOKEN = "tok" },
        "import", "-i", "t.yaml")
      assert.is_true(config.check(cfg, "import"))
    end)

    it("accepts a signing key path instead of a secret", function()
      local cfg = load_with({ AUTH0_DOMAIN = "t.auth0.com", AUTH0_CLIENT_ID = "id",
        AUTH0_CLIENT_SIGNING_KEY_PATH = "key.pem" }, "import", "-i", "t.yaml")
      assert.is_true(config.check(cfg, "import"))
    end)

    it("needs only the input to validate", function()
      assert.is_true(config.check(load_with({}, "validate", "-i", "t.yaml"), "validate"))
      local _, err = config.check(load_with({}, "validate"), "validate")
      assert.are.same({ "--input_file (-i)" }, err.missing)
    end)

    it("needs the output folder and format to export", function()
      local _, err = config.check(cfg_of({}, "export"), "export")
      assert.are.same({ "--output_folder (-o)", "--format (-f)" }, err.missing)
    end)

    it("refuses an empty AUTH0_INCLUDED_ONLY, and one with AUTH0_EXCLUDED", function()
      local _, empty = config.check(cfg_of({ AUTH0_INCLUDED_ONLY = {} }, "import", "-i", "t"),
        "import")
      assert.are.equal("config", empty.code)
      assert.are.equal("AUTH0_INCLUDED_ONLY", empty.key)
      assert.matches("is empty", empty.message)
      local _, both = config.check(cfg_of({ AUTH0_INCLUDED_ONLY = { "clients" },
        AUTH0_EXCLUDED = { "rules" } }, "import", "-i", "t"), "import")
      assert.matches("cannot both be set", both.message)
      assert.is_true(config.check(cfg_of({ AUTH0_INCLUDED_ONLY = { "clients" },
        AUTH0_EXCLUDED = {} }, "import", "-i", "t"), "import"))
    end)

    it("names the source in a rule's error", function()
      local cfg = assert(config.load{ values = CREDENTIALS, env = { AUTH0_INCLUDED_ONLY = "[]" },
        args = flags("import", "-i", "t") })
      local _, err = config.check(cfg, "import")
      assert.matches("^AUTH0_INCLUDED_ONLY %(environment%) is empty", err.message)
    end)

    it("warns about a type name a0deploy does not know", function()
      local ok, warnings = config.check(cfg_of({ AUTH0_EXCLUDED = { "client" } }, "import",
        "-i", "t"), "import")
      assert.is_true(ok)
      assert.are.equal(1, #warnings)
      assert.matches('"client"', warnings[1])
    end)

    it("warns about each deprecated exclusion list in use", function()
      local ok, warnings = config.check(cfg_of({ AUTH0_EXCLUDED_RULES = { "r" },
        AUTH0_EXCLUDED_CLIENTS = { "c" } }, "import", "-i", "t"), "import")
      assert.is_true(ok)
      assert.are.equal(2, #warnings)
      assert.matches("AUTH0_EXCLUDED_RULES", warnings[1] .. warnings[2])
      assert.matches("deprecated", warnings[1])
    end)

    it("refuses included and excluded connections together", function()
      local _, err = config.check(cfg_of({ AUTH0_INCLUDED_CONNECTIONS = { "a" },
        AUTH0_EXCLUDED_CONNECTIONS = { "b" } }, "import", "-i", "t"), "import")
      assert.are.equal("config", err.code)
      assert.are.equal("AUTH0_INCLUDED_CONNECTIONS", err.key)
    end)

    it("refuses a field in both EXCLUDED_PROPS and INCLUDED_PROPS", function()
      local _, err = config.check(cfg_of({ EXCLUDED_PROPS = { clients = { "a", "logo_uri" } },
        INCLUDED_PROPS = { clients = { "logo_uri" } } }, "export", "-o", "o", "-f", "yaml"),
        "export")
      assert.are.equal("config", err.code)
      assert.matches('EXCLUDED_PROPS.*clients and INCLUDED_PROPS.*clients both name "logo_uri"',
        err.message)
    end)

    it("refuses --interactive or --apply without a dry run, and both together", function()
      local _, i = config.check(cfg_of({}, "import", "-i", "t", "--interactive"), "import")
      assert.are.equal("--interactive needs --dry-run", i.message)
      local _, a = config.check(cfg_of({}, "import", "-i", "t", "--apply"), "import")
      assert.are.equal("--apply needs --dry-run", a.message)
      local _, both = config.check(cfg_of({}, "import", "-i", "t", "--dry-run", "--apply",
        "--interactive"), "import")
      assert.are.equal("--interactive and --apply cannot be combined", both.message)
      assert.is_true(config.check(cfg_of({}, "import", "-i", "t", "--dry-run", "--apply"),
        "import"))
      assert.is_true(config.check(cfg_of({}, "plan", "-i", "t", "--interactive"), "plan"))
      local _, env = config.check(cfg_of({ AUTH0_DRY_RUN_APPLY = "true" }, "import", "-i", "t"),
        "import")
      assert.matches("^AUTH0_DRY_RUN_APPLY %(programmatic%) needs %-%-dry%-run", env.message)
    end)

    describe("with AUTH0_PRESERVE_KEYWORDS", function()
      local dir
      setup(function() dir = helper.temp_dir() end)
      teardown(function() helper.remove_tree(dir) end)

      it("needs mappings", function()
        local _, err = config.check(cfg_of({ AUTH0_PRESERVE_KEYWORDS = true }, "export", "-o",
          dir, "-f", "directory"), "export")
        assert.are.equal("AUTH0_PRESERVE_KEYWORDS", err.key)
        assert.matches("AUTH0_KEYWORD_REPLACE_MAPPINGS is empty", err.message)
      end)

      it("needs local files to take the keywords from", function()
        local values = { AUTH0_PRESERVE_KEYWORDS = "true",
          AUTH0_KEYWORD_REPLACE_MAPPINGS = { ENV = "dev" } }
        local _, empty = config.check(cfg_of(values, "export", "-o", dir, "-f", "directory"),
          "export")
        assert.matches("holds no files", empty.message)
        local _, no_yaml = config.check(cfg_of(values, "export", "-o", dir, "-f", "yaml"),
          "export")
        assert.matches("tenant%.yaml holds no files", no_yaml.message)
        helper.write_file(dir .. "/tenant.yaml", "tenant: {}\n")
        assert.is_true(config.check(cfg_of(values, "export", "-o", dir, "-f", "yaml"), "export"))
        assert.is_true(config.check(cfg_of(values, "export", "-o", dir, "-f", "directory"),
          "export"))
      end)
    end)

    it("refuses a --ca-file or --hooks file that does not exist", function()
      local _, ca = config.check(cfg_of({}, "import", "-i", "t", "--ca-file", "/nonexistent"),
        "import")
      assert.are.equal("--ca-file /nonexistent: no such file", ca.message)
      local _, hooks = config.check(cfg_of({}, "import", "-i", "t", "--hooks", "/nonexistent"),
        "import")
      assert.are.equal("hooks", hooks.key)
    end)

    it("warns about keys of the config file that nothing reads", function()
      local cfg = assert(config.load{ file = FIXTURES .. "config.json",
        args = flags("import", "-i", "t") })
      local ok, warnings = config.check(cfg, "import")
      assert.is_true(ok)
      assert.are.equal(1, #warnings)
      assert.matches("AUTH0_UNKNOWN_SETTING is not a config key", warnings[1])
    end)

    it("raises when misused", function()
      assert.has_error(function() config.check(nil, "import") end)
      assert.has_error(function() config.check({}, "deploy") end)
    end)
  end)

  describe("environ", function()
    it("returns the process environment as a table", function()
      local env = config.environ()
      assert.are.equal(os.getenv("PATH"), env.PATH)
    end)
  end)

  describe("KEYS", function()
    it("describes every config key of a0deploy", function()
      for _, name in ipairs({ "AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET",
        "AUTH0_CLIENT_SIGNING_KEY_PATH", "AUTH0_CLIENT_SIGNING_ALGORITHM", "AUTH0_ACCESS_TOKEN",
        "AUTH0_AUDIENCE", "AUTH0_INPUT_FILE", "AUTH0_BASE_PATH", "AUTH0_KEYWORD_REPLACE_MAPPINGS",
        "AUTH0_ALLOW_DELETE", "AUTH0_EXCLUDED", "AUTH0_INCLUDED_ONLY", "AUTH0_EXCLUDED_RULES",
        "AUTH0_EXCLUDED_CLIENTS", "AUTH0_EXCLUDED_DATABASES", "AUTH0_EXCLUDED_CONNECTIONS",
        "AUTH0_EXCLUDED_RESOURCE_SERVERS", "AUTH0_EXCLUDED_DEFAULTS", "AUTH0_INCLUDED_CONNECTIONS",
        "AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS", "AUTH0_PRESERVE_KEYWORDS", "AUTH0_EXPORT_IDENTIFIERS",
        "AUTH0_EXPORT_ORDERED", "AUTH0_EXPORT_SECRETS", "AUTH0_CONNECTIONS_DIRECTORY",
        "AUTH0_API_MAX_RETRIES", "AUTH0_MAX_RETRIES", "AUTH0_RETRY_INITIAL_DELAY_MS",
        "AUTH0_RETRY_MAX_DELAY_MS", "AUTH0_DRY_RUN", "AUTH0_DRY_RUN_INTERACTIVE",
        "AUTH0_DRY_RUN_APPLY", "AUTH0_IGNORE_DRY_RUN_FIELDS", "EXCLUDED_PROPS", "INCLUDED_PROPS",
        "AUTH0_EXPERIMENTAL_EA", "EXTENSION_SECRET", "AUTH0_IGNORE_UNAVAILABLE_MIGRATIONS" }) do
        local entry = config.KEY[name]
        assert.truthy(entry, name)
        assert.is_string(entry.meaning)
      end
      assert.are.equal(39, #config.KEYS)
    end)
  end)
end)
