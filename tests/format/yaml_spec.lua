-- tests/format/yaml_spec.lua: a0lua.format.yaml, tenant.yaml and its companion files.
local yaml_format = require("a0lua.format.yaml")
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")
local deep = require("helpers.deep")
local run = require("helpers.run")

local FIXTURE = "tests/fixtures/format/yaml"
local TENANT = FIXTURE .. "/tenant.yaml"

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

-- The 1-based number of the first line of `path` containing `needle` (plain).
local function line_of(path, needle)
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if line:find(needle, 1, true) then return n end
  end
  error(needle .. " not in " .. path)
end

-- Writes files (relative path -> text) into a fresh temp dir; returns the dir.
local function tree(files)
  local dir = run.temp_dir()
  for rel, text in pairs(files) do
    local parent = (dir .. "/" .. rel):match("^(.*)/[^/]*$")
    os.execute("mkdir -p " .. run.quote(parent))
    run.write_file(dir .. "/" .. rel, text)
  end
  return dir
end

local function codes(problems)
  local out = {}
  for _, p in ipairs(problems) do out[#out + 1] = p.code end
  table.sort(out)
  return out
end

describe("a0lua.format.yaml", function()
  describe("read", function()
    local desired, sources

    setup(function()
      desired, sources = yaml_format.read({ input = TENANT })
      assert(desired, sources and tostring(sources[1]))
    end)

    it("loads every type of the file", function()
      local keys = {}
      for k in pairs(desired) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.same({ "actionModules", "actions", "branding", "clients", "connections", "databases",
                    "emailTemplates", "flows", "forms", "hooks", "pages", "prompts", "rules",
                    "tenant", "triggers" }, keys)
      assert.truthy(json.is_array(desired.clients))
      assert.equals("on_behalf_of_token_exchange",
                    desired.clients[2].token_exchange.allow_any_profile_of_type[1])
    end)

    it("inlines the companion files of every type", function()
      assert.equals(read_file(FIXTURE .. "/pages/login.html"), desired.pages[2].html)
      assert.equals(read_file(FIXTURE .. "/emailTemplates/welcome_email.html"),
                    desired.emailTemplates[1].body)
      assert.equals(read_file(FIXTURE .. "/databases/customers/login.js"),
                    desired.databases[1].options.customScripts.login)
      assert.equals(read_file(FIXTURE .. "/actions/tag-first-login/code.js"),
                    desired.actions[1].code)
      assert.equals(read_file(FIXTURE .. "/action-modules/shared-helpers/code.js"),
                    desired.actionModules[1].code)
      assert.equals(read_file(FIXTURE .. "/rules/add-roles.js"), desired.rules[1].script)
      assert.equals(read_file(FIXTURE .. "/hooks/my-hook.js"), desired.hooks[1].script)
      assert.equals(read_file(FIXTURE .. "/clients/store-login.html"),
                    desired.clients[1].custom_login_page)
      assert.equals(read_file(FIXTURE .. "/connections/email-codes.html"),
                    desired.connections[1].options.email.body)
      assert.equals(read_file(FIXTURE .. "/branding_templates/universal_login.html"),
                    desired.branding.templates[1].body)
    end)

    it("resolves references written with backslashes", function()
      assert.equals(read_file(FIXTURE .. "/databases/customers/get_user.js"),
                    desired.databases[1].options.customScripts.get_user)
    end)

    it("keeps a custom_login_page that names no file as literal HTML", function()
      assert.equals("<html><body>inline login</body></html>", desired.clients[2].custom_login_page)
    end)

    it("gives a page without html an empty html", function()
      assert.equals("error_page", desired.pages[1].name)
      assert.equals("", desired.pages[1].html)
    end)

    it("turns session hours into *_in_minutes and drops empty flags", function()
      assert.equals(4320, desired.tenant.session_lifetime_in_minutes)
      assert.equals(90, desired.tenant.idle_session_lifetime_in_minutes)
      assert.is_nil(desired.tenant.session_lifetime)
      assert.is_nil(desired.tenant.flags)
    end)

    it("lower-cases hook names and turns their spaces into dashes", function()
      assert.equals("my-hook", desired.hooks[1].name)
    end)

    it("merges a form's JSON body under its name, without the body key", function()
      local form = desired.forms[1]
      assert.equals("Newsletter", form.name)
      assert.is_nil(form.body)
      assert.equals("step_1", form.nodes[1].id)
      assert.equals("UPDATE_USER", desired.flows[1].actions[1].action)
    end)

    it("replaces screen renderer references by the JSON they name", function()
      local r = desired.prompts.screenRenderers[1]
      assert.equals("login-id", r.prompt)
      assert.equals("advanced", r.rendering_mode)
      assert.is_true(desired.prompts.identifier_first)
    end)

    it("drops clientAuthCredentials, which has no data of its own", function()
      assert.is_nil(desired.clientAuthCredentials)
    end)

    it("records the YAML line of every value", function()
      local file, line, column =
        sources:locate("/clients/1/token_exchange/allow_any_profile_of_type/0")
      assert.equals(TENANT, file)
      assert.equals(line_of(TENANT, "- on_behalf_of_token_exchange"), line)
      assert.equals(11, column)
      assert.equals(line_of(TENANT, "friendly_name:"),
                    select(2, sources:locate("/tenant/friendly_name")))
    end)

    it("locates a converted session field at the hours it came from", function()
      local _, line = sources:locate("/tenant/session_lifetime_in_minutes")
      assert.equals(line_of(TENANT, "session_lifetime: 72"), line)
    end)

    it("locates inlined values in their companion files", function()
      assert.equals(FIXTURE .. "/pages/login.html", (sources:locate("/pages/1/html")))
      assert.equals(FIXTURE .. "/databases/customers/get_user.js",
                    (sources:locate("/databases/0/options/customScripts/get_user")))
      local file, line = sources:locate("/forms/0/nodes/0/alias")
      assert.equals(FIXTURE .. "/forms/newsletter.json", file)
      assert.equals(line_of(FIXTURE .. "/forms/newsletter.json", '"id": "step_1"'), line)
      assert.equals(FIXTURE .. "/prompts/screenRenderSettings/login-id_login-id.json",
                    (sources:locate("/prompts/screenRenderers/0/rendering_mode")))
    end)

    it("has no warnings for a clean file", function()
      assert.same({}, sources.warnings)
    end)
  end)

  describe("read with options", function()
    local dir
    after_each(function() if dir then run.remove_tree(dir) end dir = nil end)

    it("resolves references against AUTH0_BASE_PATH when it is set", function()
      dir = tree({ ["conf/tenant.yaml"] = "pages:\n  - name: login\n    html: ./login.html\n",
                   ["html/login.html"] = "<p>from the base path</p>" })
      local desired = assert(yaml_format.read({ input = dir .. "/conf/tenant.yaml",
                                                AUTH0_BASE_PATH = dir .. "/html" }))
      assert.equals("<p>from the base path</p>", desired.pages[1].html)
    end)

    it("drops types in AUTH0_EXCLUDED and those outside AUTH0_INCLUDED_ONLY", function()
      local d1 = assert(yaml_format.read({ input = TENANT,
                                           AUTH0_EXCLUDED = { "clients", "forms" } }))
      assert.is_nil(d1.clients)
      assert.is_nil(d1.forms)
      assert.truthy(d1.tenant)
      local d2 = assert(yaml_format.read({ input = TENANT, AUTH0_INCLUDED_ONLY = '["tenant"]' }))
      assert.truthy(d2.tenant)
      assert.is_nil(d2.clients)
      assert.is_nil(d2.pages)
    end)

    it("treats a null type as absent, an empty list as managed and an empty file as nothing",
      function()
      dir = tree({ ["a.yaml"] = "clients:\nroles: []\n", ["empty.yml"] = "# nothing here\n" })
      local desired = assert(yaml_format.read({ input = dir .. "/a.yaml" }))
      assert.is_nil(desired.clients)
      assert.truthy(json.is_array(desired.roles))
      assert.equals(0, #desired.roles)
      local empty = assert(yaml_format.read({ input = dir .. "/empty.yml" }))
      assert.same({}, empty)
    end)

    it("keeps exclude and include as written", function()
      dir = tree({ ["t.yaml"] = "exclude:\n  rules: [a]\ninclude:\n  connections: [b]\n" })
      local desired = assert(yaml_format.read({ input = dir .. "/t.yaml" }))
      assert.equals("a", desired.exclude.rules[1])
      assert.equals("b", desired.include.connections[1])
    end)

    it("warns about a reference that leaves the base path, and still reads it", function()
      dir = tree({ ["conf/t.yaml"] = "pages:\n  - name: login\n    html: ../outside.html\n",
                   ["outside.html"] = "<p>outside</p>" })
      local desired, sources = yaml_format.read({ input = dir .. "/conf/t.yaml" })
      assert.equals("<p>outside</p>", desired.pages[1].html)
      assert.equals(1, #sources.warnings)
      assert.equals(3, sources.warnings[1].line)
      assert.matches("outside the base path", sources.warnings[1].message)
    end)

    it("skips a screen renderer whose file is missing, with a warning at its line", function()
      dir = tree({ ["t.yaml"] = "prompts:\n  screenRenderers:\n    - login:\n"
                   .. "        login: ./nope.json\n" })
      local desired, sources = yaml_format.read({ input = dir .. "/t.yaml" })
      assert.equals(0, #desired.prompts.screenRenderers)
      assert.equals(1, #sources.warnings)
      assert.equals(4, sources.warnings[1].line)
    end)

    it("reads an already parsed table against AUTH0_BASE_PATH, without keyword replacement",
      function()
      dir = tree({ ["p/login.html"] = "<p>##NOT_REPLACED##</p>" })
      local input = { pages = json.array({ { name = "login", html = "./p/login.html" } }),
                      tenant = { friendly_name = "x" } }
      local desired = assert(yaml_format.read({ input = input, AUTH0_BASE_PATH = dir }))
      assert.equals("<p>##NOT_REPLACED##</p>", desired.pages[1].html)
      assert.equals("./p/login.html", input.pages[1].html)
    end)

    it("wraps bare @@KEY@@ markers of mapped keys in quotes with raw_keywords", function()
      dir = tree({ ["t.yaml"] = "tenant:\n  enabled_locales: @@LOCALES@@\n"
                   .. "  friendly_name: '##NAME##'\n" })
      local desired = assert(yaml_format.read({ input = dir .. "/t.yaml",
        AUTH0_KEYWORD_REPLACE_MAPPINGS = { LOCALES = { "en" }, NAME = "n" } },
        { raw_keywords = true }))
      assert.equals("@@LOCALES@@", desired.tenant.enabled_locales)
      assert.equals("##NAME##", desired.tenant.friendly_name)
    end)
  end)

  describe("read errors", function()
    local dir
    after_each(function() if dir then run.remove_tree(dir) end dir = nil end)

    local function read_text(text, files)
      files = files or {}
      files["tenant.yaml"] = text
      dir = tree(files)
      return yaml_format.read({ input = dir .. "/tenant.yaml" })
    end

    it("returns a yaml_syntax problem with file, line and column", function()
      local desired, problems = read_text("clients:\n  - name: [unclosed\n  - name: b\n")
      assert.is_nil(desired)
      assert.equals(1, #problems)
      assert.equals("yaml_syntax", problems[1].code)
      assert.equals(dir .. "/tenant.yaml", problems[1].file)
      assert.is_number(problems[1].line)
      assert.is_number(problems[1].column)
      assert.matches("^" .. dir:gsub("%p", "%%%0") .. "/tenant%.yaml:%d+:%d+: ",
                     tostring(problems[1]))
    end)

    it("rejects tabs used as indentation, at their line", function()
      local _, problems = read_text("tenant:\n\tfriendly_name: x\n")
      assert.equals("yaml_syntax", problems[1].code)
      assert.equals(2, problems[1].line)
    end)

    it("rejects a duplicate key at its second occurrence", function()
      local _, problems = read_text("tenant:\n  friendly_name: a\n  friendly_name: b\n")
      assert.equals("yaml_duplicate_key", problems[1].code)
      assert.equals(3, problems[1].line)
    end)

    it("rejects an unknown top-level key at its line, with its path", function()
      local _, problems = read_text("tenant:\n  friendly_name: a\nclient:\n  - name: x\n")
      assert.equals(1, #problems)
      assert.equals("validation", problems[1].code)
      assert.equals(3, problems[1].line)
      assert.equals("client", problems[1].path)
      assert.equals("/client", problems[1].pointer)
      assert.matches("unknown top%-level key 'client'", problems[1].message)
    end)

    it("reports a missing companion file at the line that names it", function()
      local _, problems = read_text("pages:\n  - name: login\n    html: ./pages/missing.html\n")
      assert.equals(1, #problems)
      local p = problems[1]
      assert.equals("file_not_found", p.code)
      assert.equals(dir .. "/tenant.yaml", p.file)
      assert.equals(3, p.line)
      assert.equals("pages[0].html", p.path)
      assert.matches("pages/missing%.html", p.message)
    end)

    it("requires the html file of an email connection", function()
      local _, problems = read_text("connections:\n  - name: codes\n    strategy: email\n"
        .. "    options:\n      email:\n        body: ./codes.html\n")
      assert.equals("file_not_found", problems[1].code)
      assert.equals(6, problems[1].line)
      assert.equals("connections[0].options.email.body", problems[1].path)
    end)

    it("rejects a reference that is not a string", function()
      local _, problems = read_text("actions:\n  - name: a\n    code: 42\n")
      assert.equals("validation", problems[1].code)
      assert.equals(3, problems[1].line)
      assert.equals("actions[0].code", problems[1].path)
    end)

    it("reports a JSON syntax error in a form body at the JSON file's line", function()
      local _, problems = read_text("forms:\n  - name: f\n    body: ./f.json\n",
                                    { ["f.json"] = '{\n  "nodes": [,]\n}\n' })
      assert.equals("json_syntax", problems[1].code)
      assert.equals(dir .. "/f.json", problems[1].file)
      assert.equals(2, problems[1].line)
    end)

    it("reports every problem of the file at once", function()
      local _, problems = read_text("bogus: 1\npages:\n  - name: login\n    html: ./a.html\n"
        .. "emailTemplates:\n  - template: welcome_email\n    body: ./b.html\n")
      assert.same({ "file_not_found", "file_not_found", "validation" }, codes(problems))
      for _, p in ipairs(problems) do
        assert.equals(dir .. "/tenant.yaml", p.file)
        assert.is_number(p.line)
      end
    end)

    it("rejects a document whose top level is not a mapping", function()
      local _, problems = read_text("- a\n- b\n")
      assert.equals("validation", problems[1].code)
      assert.equals(1, problems[1].line)
    end)

    it("returns input_not_found for a missing input file", function()
      local desired, problems = yaml_format.read({ input = "tests/fixtures/format/nope.yaml" })
      assert.is_nil(desired)
      assert.equals("input_not_found", problems[1].code)
      assert.equals("tests/fixtures/format/nope.yaml", problems[1].file)
    end)

    it("raises on misuse", function()
      assert.has_error(function() yaml_format.read(nil) end)
      assert.has_error(function() yaml_format.read({ input = TENANT }, "opts") end)
    end)

    it("requires AUTH0_BASE_PATH for a parsed table and an input at all", function()
      local _, p1 = yaml_format.read({ input = { tenant = {} } })
      assert.equals("config", p1[1].code)
      local _, p2 = yaml_format.read({})
      assert.equals("config", p2[1].code)
    end)
  end)

  describe("write", function()
    local dir
    before_each(function() dir = run.temp_dir() end)
    after_each(function() run.remove_tree(dir) end)

    local function exported()
      return {
        tenant = { friendly_name = "Lighthouse", flags = {},
                   enabled_locales = json.array({ "en" }) },
        clients = json.array({
          { name = "Zeta", app_type = "spa", callbacks = json.null, client_id = json.null,
            custom_login_page = "<p>login</p>" },
          { name = "Alpha", app_type = "native", grant_types = json.array({ "implicit" }) },
        }),
        pages = json.array({ { name = "login", html = "<p>page</p>", enabled = true },
                             { name = "error_page", url = "https://e.example" } }),
        databases = json.array({ { name = "db/one", strategy = "auth0",
          options = { customScripts = { login = "L", get_user = "G" } } } }),
        emailTemplates = json.array({ { template = "welcome_email", body = "<p>hi</p>",
                                        enabled = true } }),
        actions = json.array({ { name = "act:one", code = "exports.x = 1;", runtime = "node22" },
                               { name = "no-code", code = "" } }),
        connections = json.array({ { name = "codes", strategy = "email",
                                     options = { email = { body = "<p>code</p>" } } } }),
        forms = json.array({ { name = "Form?", id = "ap_1", nodes = json.array({}),
                               created_at = "2024" } }),
        prompts = { identifier_first = false, screenRenderers = json.array({
          { prompt = "login-id", screen = "login-id", tenant = "t",
            rendering_mode = "standard" } }) },
        rulesConfigs = json.array({ { key = "SECRET", value = "x" } }),
        roles = json.array(),
        logStreams = json.null,
        branding = false,
      }
    end

    it("writes tenant.yaml and every companion file, returning the paths", function()
      local files = assert(yaml_format.write({ output_folder = dir }, exported()))
      local expected = {
        dir .. "/actions/act-one/code.js",
        dir .. "/clients/Zeta_custom_login_page.html",
        dir .. "/connections/codes.html",
        dir .. "/databases/db-one/get_user.js",
        dir .. "/databases/db-one/login.js",
        dir .. "/emailTemplates/welcome_email.html",
        dir .. "/forms/Form-.json",
        dir .. "/pages/login.html",
        dir .. "/prompts/screenRenderSettings/login-id_login-id.json",
        dir .. "/tenant.yaml",
      }
      assert.same(expected, files)
      assert.equals("<p>login</p>", read_file(dir .. "/clients/Zeta_custom_login_page.html"))
      assert.equals("exports.x = 1;", read_file(dir .. "/actions/act-one/code.js"))
    end)

    it("puts the file references into tenant.yaml", function()
      assert(yaml_format.write({ output_folder = dir }, exported()))
      local doc = yaml.decode(read_file(dir .. "/tenant.yaml"))
      assert.equals("./pages/login.html", doc.pages[2].html)
      assert.is_nil(doc.pages[1].html) -- error_page without html stays without
      assert.equals("./Zeta_custom_login_page.html", doc.clients[2].custom_login_page)
      assert.equals("./databases/db-one/login.js", doc.databases[1].options.customScripts.login)
      assert.equals("./emailTemplates/welcome_email.html", doc.emailTemplates[1].body)
      assert.equals("./actions/act-one/code.js", doc.actions[1].code)
      assert.equals("", doc.actions[2].code)
      assert.equals("./codes.html", doc.connections[1].options.email.body)
      assert.same({ name = "Form?", body = "./forms/Form-.json" }, doc.forms[1])
      local renderer = "./prompts/screenRenderSettings/login-id_login-id.json"
      assert.same({ ["login-id"] = { ["login-id"] = renderer } },
                  doc.prompts.screenRenderers[1])
    end)

    it("writes form bodies without id and timestamps, screen renderers without tenant", function()
      assert(yaml_format.write({ output_folder = dir }, exported()))
      local form = json.decode(read_file(dir .. "/forms/Form-.json"))
      assert.is_nil(form.id)
      assert.is_nil(form.created_at)
      assert.equals("Form?", form.name)
      local r = json.decode(read_file(dir
        .. "/prompts/screenRenderSettings/login-id_login-id.json"))
      assert.is_nil(r.tenant)
      assert.equals("standard", r.rendering_mode)
    end)

    it("orders item keys as a0deploy does and sorts lists by name", function()
      assert(yaml_format.write({ output_folder = dir }, exported()))
      local text = read_file(dir .. "/tenant.yaml")
      assert.truthy(text:find("clients:\n  %- name: Alpha\n    app_type: native\n"))
      assert.truthy(text:find("  %- name: Zeta\n    app_type: spa\n    callbacks: %[%]\n"))
      assert.is_nil(text:find("client_id"))
      assert.truthy(text:find("emailTemplates:\n  %- template: welcome_email\n    body:"))
      assert.truthy(text:find("actions:\n  %- name: act:one\n"))
    end)

    it("leaves out falsy types, keeps empty lists and writes rulesConfigs as []", function()
      assert(yaml_format.write({ output_folder = dir }, exported()))
      local doc = yaml.decode(read_file(dir .. "/tenant.yaml"))
      assert.is_nil(doc.logStreams)
      assert.is_nil(doc.branding)
      assert.same(0, #doc.roles)
      assert.truthy(json.is_array(doc.rulesConfigs))
      assert.equals(0, #doc.rulesConfigs)
      assert.is_nil(doc.tenant.flags)
    end)

    it("sorts every key alphabetically with AUTH0_EXPORT_ORDERED", function()
      assert(yaml_format.write({ output_folder = dir, AUTH0_EXPORT_ORDERED = true }, exported()))
      local text = read_file(dir .. "/tenant.yaml")
      assert.truthy(text:find(
        "  %- app_type: native\n    grant_types:\n      %- implicit\n    name: Alpha\n"))
    end)

    it("writes the same bytes for the same tenant, however its tables were built", function()
      assert(yaml_format.write({ output_folder = dir .. "/a" }, exported()))
      local other = {}
      local keys = {}
      for k in pairs(exported()) do keys[#keys + 1] = k end
      table.sort(keys, function(a, b) return a > b end)
      local source = exported()
      for _, k in ipairs(keys) do other[k] = source[k] end
      assert(yaml_format.write({ output_folder = dir .. "/b" }, other))
      assert.is_true(os.execute("diff -r " .. run.quote(dir .. "/a") .. " "
        .. run.quote(dir .. "/b") .. " >/dev/null"))
    end)

    it("writes the same bytes when it may consume the table it is given, and lets it go",
        function()
      assert(yaml_format.write({ output_folder = dir .. "/a" }, exported()))
      local data = exported()
      assert(yaml_format.write({ output_folder = dir .. "/b" }, data, { consume = true }))
      assert.is_true(os.execute("diff -r " .. run.quote(dir .. "/a") .. " "
        .. run.quote(dir .. "/b") .. " >/dev/null"))
      assert.is_nil(data.clients)
    end)

    it("does not change the table it is given", function()
      local data = exported()
      assert(yaml_format.write({ output_folder = dir }, data))
      assert.equals("<p>page</p>", data.pages[1].html)
      assert.equals("Zeta", data.clients[1].name)
    end)

    it("writes companion files under AUTH0_BASE_PATH when it is set", function()
      local files = assert(yaml_format.write({ output_folder = dir .. "/out",
                                               AUTH0_BASE_PATH = dir .. "/base" },
        { pages = json.array({ { name = "login", html = "h" } }) }))
      assert.same({ dir .. "/base/pages/login.html", dir .. "/out/tenant.yaml" }, files)
    end)

    it("sanitises odd names in companion file names", function()
      local data = { actions = json.array({
        { name = "a/b:c", code = "1" }, { name = "CON", code = "2" },
        { name = "end. .", code = "3" },
      }) }
      local files = assert(yaml_format.write({ output_folder = dir }, data))
      assert.same({ dir .. "/actions/-/code.js", dir .. "/actions/a-b-c/code.js",
                    dir .. "/actions/end-/code.js", dir .. "/tenant.yaml" }, files)
    end)

    it("refuses duplicate form names and writes nothing", function()
      local data = { forms = json.array({ { name = "F" }, { name = "F" } }),
                     pages = json.array({ { name = "login", html = "x" } }) }
      local files, err = yaml_format.write({ output_folder = dir .. "/o" }, data)
      assert.is_nil(files)
      assert.equals("export_duplicate", err.code)
      assert.is_false(exists(dir .. "/o/tenant.yaml"))
      assert.is_false(exists(dir .. "/o/pages/login.html"))
    end)

    it("returns a config error without an output folder and raises on misuse", function()
      local files, err = yaml_format.write({}, {})
      assert.is_nil(files)
      assert.equals("config", err.code)
      assert.has_error(function() yaml_format.write({ output_folder = dir }, "x") end)
    end)

    it("writes back what read reads: a round trip gives the same desired state", function()
      local desired = assert(yaml_format.read({ input = TENANT }))
      assert(yaml_format.write({ output_folder = dir }, desired))
      local again = assert(yaml_format.read({ input = dir .. "/tenant.yaml" }))
      local ok, where = deep.equal(desired, again)
      assert(ok, "differs at " .. tostring(where))
    end)
  end)
end)
