-- tests/format/directory_spec.lua: a0lua.format.directory, the directory layout.
local directory = require("a0lua.format.directory")
local json = require("a0lua.core.json")
local deep = require("helpers.deep")
local run = require("helpers.run")

local FIXTURE = "tests/fixtures/format/directory"

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function line_of(path, needle)
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if line:find(needle, 1, true) then return n end
  end
  error(needle .. " not in " .. path)
end

local function tree(files, dir)
  dir = dir or run.temp_dir()
  for rel, text in pairs(files) do
    local parent = (dir .. "/" .. rel):match("^(.*)/[^/]*$")
    os.execute("mkdir -p " .. run.quote(parent))
    if text ~= true then run.write_file(dir .. "/" .. rel, text) end
  end
  return dir
end

local function list_files(dir)
  local p = assert(io.popen("cd " .. run.quote(dir) .. " && find . -type f | sort"))
  local out = {}
  for line in p:lines() do out[#out + 1] = line:sub(3) end
  p:close()
  return out
end

local function warning_matching(sources, pattern)
  for _, w in ipairs(sources.warnings) do
    if tostring(w.message):find(pattern) then return w end
  end
end

describe("a0lua.format.directory", function()
  describe("read", function()
    local desired, sources

    setup(function()
      desired, sources = directory.read({ input = FIXTURE })
      assert(desired, sources and tostring(sources[1]))
    end)

    it("reads every type whose folder or file is there", function()
      local keys = {}
      for k in pairs(desired) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.same({ "actionModules", "actions", "attackProtection", "branding", "clientGrants",
                    "clients", "connections", "databases", "emailProvider", "emailTemplates",
                    "guardianFactors", "guardianPolicies", "hooks", "pages", "prompts",
                    "resourceServers", "roles", "rules", "tenant", "triggers" }, keys)
    end)

    it("reads the JSON files of a folder in name order, ignoring {} and other extensions",
      function()
      assert.equals(2, #desired.clients)
      assert.equals("Lighthouse Store", desired.clients[1].name)
      assert.equals("on_behalf_of_token_exchange",
                    desired.clients[2].token_exchange.allow_any_profile_of_type[1])
    end)

    it("inlines scripts, code and html next to the JSON that names them", function()
      assert.equals(read_file(FIXTURE .. "/clients/Lighthouse Store_custom_login_page.html"),
                    desired.clients[1].custom_login_page)
      assert.equals(read_file(FIXTURE .. "/connections/email-codes.html"),
                    desired.connections[1].options.email.body)
      assert.equals(read_file(FIXTURE .. "/rules/add-roles.js"), desired.rules[1].script)
      assert.equals(read_file(FIXTURE .. "/hooks/my-hook.js"), desired.hooks[1].script)
      assert.equals(read_file(FIXTURE .. "/branding/templates/universal_login.html"),
                    desired.branding.templates[1].body)
      assert.equals("#0055aa", desired.branding.colors.primary)
    end)

    it("reads action and module code relative to the root", function()
      assert.equals(read_file(FIXTURE .. "/actions/tag-first-login/code.js"),
                    desired.actions[1].code)
      assert.equals(read_file(FIXTURE .. "/action-modules/shared-helpers/code.js"),
                    desired.actionModules[1].code)
    end)

    it("moves a top-level customScripts into options and keeps only known scripts", function()
      local db = desired.databases[1]
      assert.equals(1, #desired.databases)
      assert.is_nil(db.customScripts)
      assert.equals(read_file(FIXTURE .. "/database-connections/customers/login.js"),
                    db.options.customScripts.login)
      assert.equals(read_file(FIXTURE .. "/database-connections/customers/get_user.js"),
                    db.options.customScripts.get_user)
      assert.is_nil(db.options.customScripts.not_a_script)
      assert.truthy(warning_matching(sources, "not_a_script"))
      assert.truthy(warning_matching(sources, "no database.json"))
    end)

    it("pairs pages by name: html from the file, a login or error page may have none", function()
      assert.equals(2, #desired.pages)
      assert.equals("error_page", desired.pages[1].name)
      assert.equals("", desired.pages[1].html)
      assert.equals("login", desired.pages[2].name)
      assert.equals(read_file(FIXTURE .. "/pages/login.html"), desired.pages[2].html)
      assert.truthy(warning_matching(sources, "password_reset%.json: no matching %.html"))
      assert.truthy(warning_matching(sources, "guardian_multifactor%.html: no matching %.json"))
    end)

    it("reads email templates with their body, falling back to the same-named html", function()
      assert.equals(2, #desired.emailTemplates)
      assert.equals("verify_email", desired.emailTemplates[1].template)
      assert.equals(read_file(FIXTURE .. "/emails/verify_email.html"),
                    desired.emailTemplates[1].body)
      assert.equals(read_file(FIXTURE .. "/emails/welcome_email.html"),
                    desired.emailTemplates[2].body)
      assert.truthy(warning_matching(sources, "reset_email%.json: its html body is missing"))
      assert.equals("smtp", desired.emailProvider.name)
    end)

    it("reads prompts: settings, custom text, partials (trimmed) and screen renderers", function()
      local p = desired.prompts
      assert.is_true(p.identifier_first)
      assert.equals("Welcome back", p.customText.en["login-id"]["login-id"].title)
      assert.equals("<div>Hello reader</div>", p.partials.login.login["form-content-start"])
      assert.equals("", p.partials.login.login["form-content-end"])
      assert.equals("login-id", p.screenRenderers[1].prompt)
    end)

    it("reads the other types from their files", function()
      assert.equals("tag-first-login", desired.triggers["post-login"][1].action_name)
      assert.equals("MCP Server", desired.clientGrants[1].client_id)
      assert.equals("Catalog API", desired.resourceServers[1].name)
      assert.equals("Reader", desired.roles[1].name)
      assert.equals(10, desired.attackProtection.bruteForceProtection.max_attempts)
      assert.is_nil(desired.attackProtection.captcha)
      assert.equals("otp", desired.guardianFactors[1].name)
      assert.equals("all-applications", desired.guardianPolicies.policies[1])
    end)

    it("turns session hours into minutes and normalises hook names", function()
      assert.equals(4320, desired.tenant.session_lifetime_in_minutes)
      assert.is_nil(desired.tenant.flags)
      assert.equals("my-hook", desired.hooks[1].name)
    end)

    it("records each value's file and line", function()
      local file, line = sources:locate("/clients/1/token_exchange/allow_any_profile_of_type/0")
      assert.equals(FIXTURE .. "/clients/MCP Server.json", file)
      assert.equals(line_of(file, "on_behalf_of_token_exchange"), line)
      local tfile, tline = sources:locate("/tenant/session_lifetime_in_minutes")
      assert.equals(FIXTURE .. "/tenant.json", tfile)
      assert.equals(3, tline)
      assert.equals(FIXTURE .. "/database-connections/customers/login.js",
                    (sources:locate("/databases/0/options/customScripts/login")))
      local dfile, dline = sources:locate("/databases/0/options/customScripts")
      assert.equals(FIXTURE .. "/database-connections/customers/database.json", dfile)
      assert.equals(line_of(dfile, '"customScripts"'), dline)
      assert.equals(FIXTURE .. "/prompts/partials/login/login/form-content-start.liquid",
                    (sources:locate("/prompts/partials/login/login/form-content-start")))
      local _, eline = sources:locate("/prompts/partials/login/login/form-content-end")
      assert.equals(line_of(FIXTURE .. "/prompts/partials.json", "form-content-end"), eline)
      assert.equals(FIXTURE .. "/pages/login.html", (sources:locate("/pages/1/html")))
    end)
  end)

  describe("read with options", function()
    local dir
    after_each(function() if dir then run.remove_tree(dir) end dir = nil end)

    it("reads connections from AUTH0_CONNECTIONS_DIRECTORY", function()
      dir = tree({ ["conns/a.json"] = '{"name": "a", "strategy": "oidc"}',
                   ["connections/b.json"] = '{"name": "b", "strategy": "oidc"}' })
      local desired = assert(directory.read({ input = dir, AUTH0_CONNECTIONS_DIRECTORY = "conns" }))
      assert.equals(1, #desired.connections)
      assert.equals("a", desired.connections[1].name)
    end)

    it("skips excluded types entirely, even broken ones", function()
      dir = tree({ ["clients/a.json"] = "{ broken", ["roles/r.json"] = '{"name": "r"}' })
      local desired = assert(directory.read({ input = dir, AUTH0_EXCLUDED = { "clients" } }))
      assert.is_nil(desired.clients)
      assert.equals("r", desired.roles[1].name)
      local only = assert(directory.read({ input = dir, AUTH0_INCLUDED_ONLY = { "roles" } }))
      assert.is_nil(only.clients)
    end)

    it("reads an empty themes folder as no themes and a trailing slash on the root", function()
      dir = tree({ ["themes/.keep"] = "" })
      local desired = assert(directory.read({ input = dir .. "/" }))
      assert.truthy(json.is_array(desired.themes))
      assert.equals(0, #desired.themes)
    end)

    it("tries an action's code path from the root's parent when it starts with the root's name",
      function()
      dir = tree({ ["cfg/actions/a.json"] = '{"name": "a", "code": "cfg/actions/a/code.js"}',
                   ["cfg/actions/a/code.js"] = "// a" })
      local desired = assert(directory.read({ input = dir .. "/cfg" }))
      assert.equals("// a", desired.actions[1].code)
    end)

    it("warns, at the field's line, of a companion file outside the input directory", function()
      dir = tree({
        ["cfg/prompts/partials.json"] = '{"login": [{"login": [\n'
          .. '  {"name": "form-content-start", "template": "../../elsewhere.liquid"}]}]}',
        ["elsewhere.liquid"] = "<div>far</div>" })
      local desired, sources = directory.read({ input = dir .. "/cfg" })
      assert.equals("<div>far</div>", desired.prompts.partials.login.login["form-content-start"])
      local w = warning_matching(sources, "outside the input directory")
      assert.truthy(w, "no warning")
      assert.matches("elsewhere%.liquid", w.message)
      assert.equals(dir .. "/cfg/prompts/partials.json", w.file)
      assert.equals(2, w.line)
    end)

    it("reads a JSON file that only core.json can parse, locating it at line 1", function()
      -- a duplicate key: JSON keeps the last, YAML refuses the text
      dir = tree({ ["roles/r.json"] = '{\n  "name": "first",\n  "name": "last"\n}\n' })
      local desired, sources = directory.read({ input = dir })
      assert.equals("last", desired.roles[1].name)
      local file, line = sources:locate("/roles/0/name")
      assert.equals(dir .. "/roles/r.json", file)
      assert.equals(1, line)
    end)
  end)

  describe("read errors", function()
    local dir
    after_each(function() if dir then run.remove_tree(dir) end dir = nil end)

    it("reports a JSON syntax error with file, line and column", function()
      dir = tree({ ["clients/bad.json"] = '{\n  "name": "x",\n  "app_type": spa\n}\n' })
      local desired, problems = directory.read({ input = dir })
      assert.is_nil(desired)
      assert.equals("json_syntax", problems[1].code)
      assert.equals(dir .. "/clients/bad.json", problems[1].file)
      assert.equals(3, problems[1].line)
      assert.is_number(problems[1].column)
    end)

    it("reports a missing companion file at the JSON line that names it", function()
      dir = tree({ ["rules/r.json"] = '{\n  "name": "r",\n  "script": "./missing.js"\n}\n' })
      local _, problems = directory.read({ input = dir })
      assert.equals("file_not_found", problems[1].code)
      assert.equals(dir .. "/rules/r.json", problems[1].file)
      assert.equals(3, problems[1].line)
      assert.equals("script", problems[1].path)
    end)

    it("requires the html of an email connection and the three attack protection files", function()
      dir = tree({
        ["connections/c.json"] = '{"name": "c", "strategy": "email",\n'
          .. ' "options": {"email": {"body": "./c.html"}}}',
        ["attack-protection/captcha.json"] = "{}",
      })
      local _, problems = directory.read({ input = dir })
      assert.equals(4, #problems)
      for _, p in ipairs(problems) do assert.equals("file_not_found", p.code) end
      assert.equals(2, problems[1].line)
    end)

    it("reports every broken file at once", function()
      dir = tree({ ["clients/a.json"] = "{", ["roles/b.json"] = "[1,,]", ["tenant.json"] = "nope" })
      local _, problems = directory.read({ input = dir })
      assert.equals(3, #problems)
    end)

    it("raises on misuse", function()
      assert.has_error(function() directory.read("dir") end)
      assert.has_error(function() directory.read({ input = FIXTURE }, 1) end)
      assert.has_error(function() directory.write(nil, {}) end)
    end)

    it("rejects a missing input, a file as input and a file where a folder belongs", function()
      local _, p1 = directory.read({ input = "tests/fixtures/format/none" })
      assert.equals("input_not_found", p1[1].code)
      local _, p2 = directory.read({ input = FIXTURE .. "/tenant.json" })
      assert.equals("not_a_directory", p2[1].code)
      dir = tree({ clients = "a file, not a folder" })
      local _, p3 = directory.read({ input = dir })
      assert.equals("not_a_directory", p3[1].code)
      local _, p4 = directory.read({})
      assert.equals("config", p4[1].code)
    end)
  end)

  describe("write", function()
    local dir
    before_each(function() dir = run.temp_dir() end)
    after_each(function() run.remove_tree(dir) end)

    local function exported()
      return {
        tenant = { friendly_name = "Lighthouse", flags = {} },
        clients = json.array({
          { name = "My App?", app_type = "spa", callbacks = json.null,
            custom_login_page = "<p>login</p>" },
          { name = "CON", app_type = "native" },
        }),
        resourceServers = json.array({ { name = "Catalog API",
                                         identifier = "https://api.example/catalog" } }),
        clientGrants = json.array({
          { client_id = "CON", audience = "https://api.example/catalog", scope = json.array({}) },
          { client_id = "Other", audience = "https://unknown.example/", scope = json.array({}) },
        }),
        databases = json.array({ { name = "users", strategy = "auth0",
          options = { customScripts = { login = "L", ["get/user"] = "G" } } } }),
        connections = json.array({ { name = "codes", strategy = "email",
                                     options = { email = { body = "<p>code</p>" } } } }),
        emailTemplates = json.array({ { template = "welcome_email", body = "<p>hi</p>" } }),
        pages = json.array({ { name = "login", html = "<p>page</p>" },
                             { name = "error_page", url = "https://e.example" } }),
        actions = json.array({ { name = "act:one", code = "exports.x = 1;" } }),
        prompts = { identifier_first = false, customText = { en = {} },
          partials = { login = { login = { ["form-content-start"] = "<b>hi</b>" } } },
          screenRenderers = json.array({
            { prompt = "login-id", screen = "login-id", tenant = "t" } }) },
        triggers = { ["post-login"] = json.array({}) },
        networkACLs = json.array({ { description = "Block bots", priority = 2, active = true } }),
        themes = json.array({ { displayName = "a" }, { displayName = "b" } }),
        rulesConfigs = json.array({ { key = "k", value = "v" } }),
        rules = json.array({ { name = "skip-me", script = "s" }, { name = "keep", script = "k" } }),
        logStreams = json.null,
      }
    end

    it("writes the layout with a0deploy's file names", function()
      assert(directory.write({ output_folder = dir, AUTH0_EXCLUDED_RULES = { "skip-me" } },
                             exported()))
      assert.same({
        "actions/act-one.json",
        "actions/act-one/code.js",
        "clients/-.json",
        "clients/My App-.json",
        "clients/My App-_custom_login_page.html",
        "connections/codes.html",
        "connections/codes.json",
        "database-connections/users/database.json",
        "database-connections/users/get-user.js",
        "database-connections/users/login.js",
        "emails/welcome_email.html",
        "emails/welcome_email.json",
        "grants/CON-Catalog API.json",
        "grants/Other-https---unknown.example-.json",
        "network-acls/Block bots-p-2.json",
        "pages/error_page.json",
        "pages/login.html",
        "pages/login.json",
        "prompts/custom-text.json",
        "prompts/partials.json",
        "prompts/partials/login/login/form-content-start.liquid",
        "prompts/prompts.json",
        "prompts/screenRenderSettings/login-id_login-id.json",
        "resource-servers/Catalog API.json",
        "rules/keep.js",
        "rules/keep.json",
        "tenant.json",
        "themes/theme.json",
        "themes/theme1.json",
        "triggers/triggers.json",
      }, list_files(dir))
    end)

    it("writes JSON with 2-space indentation, sorted keys and a trailing newline", function()
      assert(directory.write({ output_folder = dir }, exported()))
      assert.equals('{\n  "friendly_name": "Lighthouse"\n}\n', read_file(dir .. "/tenant.json"))
      assert.equals('{\n  "app_type": "spa",\n  "callbacks": [],\n'
        .. '  "custom_login_page": "./My App-_custom_login_page.html",\n  "name": "My App?"\n}\n',
        read_file(dir .. "/clients/My App-.json"))
    end)

    it("points JSON fields at the companion files it writes", function()
      assert(directory.write({ output_folder = dir }, exported()))
      local db = json.decode(read_file(dir .. "/database-connections/users/database.json"))
      assert.same({ login = "./login.js", ["get/user"] = "./get-user.js" },
                  db.options.customScripts)
      assert.equals("./codes.html",
        json.decode(read_file(dir .. "/connections/codes.json")).options.email.body)
      assert.equals("./welcome_email.html",
        json.decode(read_file(dir .. "/emails/welcome_email.json")).body)
      assert.equals("./login.html", json.decode(read_file(dir .. "/pages/login.json")).html)
      assert.is_nil(json.decode(read_file(dir .. "/pages/error_page.json")).html)
      assert.equals("./actions/act-one/code.js",
        json.decode(read_file(dir .. "/actions/act-one.json")).code)
      local partials = json.decode(read_file(dir .. "/prompts/partials.json"))
      assert.same({ name = "form-content-start",
                    template = "partials/login/login/form-content-start.liquid" },
                  partials.login[1].login[1])
      assert.equals("<b>hi</b>",
        read_file(dir .. "/prompts/partials/login/login/form-content-start.liquid"))
      local renderer = dir .. "/prompts/screenRenderSettings/login-id_login-id.json"
      assert.is_nil(json.decode(read_file(renderer)).tenant)
    end)

    it("names grant files from opts.resource_servers and opts.clients when given", function()
      local data = { clientGrants = json.array({ { client_id = "cid1", audience = "aud" } }) }
      assert(directory.write({ output_folder = dir }, data, {
        resource_servers = { { name = "The API", identifier = "aud" } },
        clients = { { name = "The Client", client_id = "cid1" } } }))
      assert.same({ "grants/The Client-The API.json" }, list_files(dir))
    end)

    it("removes stale connection files but keeps those of excluded connections", function()
      tree({ ["connections/old.json"] = "{}", ["connections/kept.json"] = "{}",
             ["clients/stale.json"] = "{}" }, dir)
      assert(directory.write({ output_folder = dir, AUTH0_EXCLUDED_CONNECTIONS = { "kept" } },
        { connections = json.array({ { name = "new", strategy = "oidc" } }),
          clients = json.array({}) }))
      assert.same({ "clients/stale.json", "connections/kept.json", "connections/new.json" },
                  list_files(dir))
    end)

    it("writes the same bytes twice and leaves its input alone", function()
      local data = exported()
      assert(directory.write({ output_folder = dir .. "/a" }, data))
      assert(directory.write({ output_folder = dir .. "/b" }, exported()))
      assert.is_true(os.execute("diff -r " .. run.quote(dir .. "/a") .. " "
        .. run.quote(dir .. "/b") .. " >/dev/null"))
      assert.equals("<p>page</p>", data.pages[1].html)
    end)

    it("refuses duplicate form names and writes nothing", function()
      local files, err = directory.write({ output_folder = dir .. "/o" },
        { forms = json.array({ { name = "F" }, { name = "F" } }), tenant = { a = 1 } })
      assert.is_nil(files)
      assert.equals("export_duplicate", err.code)
      assert.is_false(exists(dir .. "/o/tenant.json"))
    end)

    it("returns a config error without an output folder and raises on misuse", function()
      local files, err = directory.write({}, {})
      assert.is_nil(files)
      assert.equals("config", err.code)
      assert.has_error(function() directory.write({ output_folder = dir }, nil) end)
    end)

    it("writes back what read reads: a round trip gives the same desired state", function()
      local desired = assert(directory.read({ input = FIXTURE }))
      assert(directory.write({ output_folder = dir }, desired))
      local again = assert(directory.read({ input = dir }))
      local ok, where = deep.equal(desired, again)
      assert(ok, "differs at " .. tostring(where))
    end)
  end)
end)
