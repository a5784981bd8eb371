-- a0lua.keywords: keyword replacement (docs/formats.md §4) and preservation on export (§5.4).
local json = require("a0lua.core.json")
local keywords = require("a0lua.keywords")
local yaml = require("a0lua.core.yaml")

local A = json.array

local function replace(text, mappings, order)
  if order then keywords.with_order(mappings, order) end
  return (keywords.replace(text, mappings))
end

describe("a0lua.keywords", function()
  describe("replace", function()
    local mappings = { ENV = "dev", ORIGINS = A{ "https://a", "https://b" },
      LIST = '"https://y", "https://z"' }

    it("turns the examples of docs/formats.md §4.2 into their results", function()
      assert.are.equal("name: 'dev app'", replace("name: '##ENV## app'", mappings))
      assert.are.equal('web_origins: ["https://a","https://b"]',
        replace("web_origins: @@ORIGINS@@", mappings))
      assert.are.equal('"allowed_origins": ["https://a","https://b"]',
        replace('"allowed_origins": "@@ORIGINS@@"', mappings))
      assert.are.equal('"label": "dev"', replace('"label": "@@ENV@@"', mappings))
      local spliced = replace('web_origins: [ "https://x", ##LIST## ]', mappings)
      assert.are.equal('web_origins: [ "https://x", "https://y", "https://z" ]', spliced)
      assert.are.same({ web_origins = { "https://x", "https://y", "https://z" } },
        yaml.decode(spliced, { positions = false }))
    end)

    it("consumes single quotes, double quotes or none around @@KEY@@", function()
      assert.are.equal("a: [\"https://a\",\"https://b\"]",
        replace("a: '@@ORIGINS@@'", mappings))
      assert.are.equal('a: ["https://a","https://b"]', replace('a: "@@ORIGINS@@"', mappings))
      assert.are.equal('a: ["https://a","https://b"]', replace("a: @@ORIGINS@@", mappings))
    end)

    it("keeps quotes that do not pair up around @@KEY@@", function()
      assert.are.equal('a: "\"dev"\'', replace("a: \"@@ENV@@'", mappings))
      assert.are.equal("a: '\"dev\"", replace("a: '@@ENV@@", mappings))
      assert.are.equal("a: \"dev\"\"dev\"", replace("a: @@ENV@@'@@ENV@@'", mappings))
    end)

    it("writes @@ values as JSON", function()
      local m = { S = 'say "hi"\\\n', I = 5, F = 1.5, W = 3.0, T = true, N = json.null,
        O = { x = 1, b = A{ 2 } }, E = A{}, EO = {}, NESTED = A{ 1, A{ 2, 3 } } }
      assert.are.equal('"say \\"hi\\"\\\\\\n"', replace("@@S@@", m))
      assert.are.equal("5 1.5 3 true null", replace("@@I@@ @@F@@ @@W@@ @@T@@ @@N@@", m))
      assert.are.equal('{"b":[2],"x":1}', replace("@@O@@", m))
      assert.are.equal("[] {} [1,[2,3]]", replace("@@E@@ @@EO@@ @@NESTED@@", m))
    end)

    it("writes ## values as JavaScript's String() does, adding no quotes", function()
      local m = { S = "it's", I = 42, F = 0.1, T = false, N = json.null,
        L = A{ "a", "b" }, NESTED = A{ 1, A{ 2, 3 }, json.null, "x" }, O = { x = 1 } }
      assert.are.equal("'it's' 42 0.1 false null", replace("'##S##' ##I## ##F## ##T## ##N##", m))
      assert.are.equal("a,b 1,2,3,,x [object Object]", replace("##L## ##NESTED## ##O##", m))
      assert.are.equal('"a,b"', replace('"##L##"', m))
    end)

    it("replaces ##KEY## markers inside a value an @@KEY@@ inserted", function()
      local m = { A = A{ "##B##-1" }, B = "x" }
      assert.are.equal('list: ["x-1"]', replace("list: @@A@@", m, { "A", "B" }))
      assert.are.equal('list: ["x-1"]', replace("list: @@A@@", m, { "B", "A" }))
    end)

    it("applies the keys in order, so one value may hold a later key's marker", function()
      assert.are.equal("x", replace("##A##", { A = "##B##", B = "x" }, { "A", "B" }))
      assert.are.equal("##B##", replace("##A##", { A = "##B##", B = "x" }, { "B", "A" }))
    end)

    it("matches case-sensitively and inserts values literally", function()
      local m = { ENV = "$1 $& $$ %1 %%" }
      assert.are.equal("##env## $1 $& $$ %1 %%", replace("##env## ##ENV##", m))
      assert.are.equal('"$1 $& $$ %1 %%"', replace("@@ENV@@", m))
    end)

    it("treats the characters of a key literally", function()
      local m = { ["A.B"] = "v", ["X+"] = "w" }
      assert.are.equal("v ##AxB## w", replace("##A.B## ##AxB## ##X+##", m))
    end)

    it("replaces every occurrence, adjacent ones too", function()
      assert.are.equal('"dev""dev" devdev', replace("@@ENV@@@@ENV@@ ##ENV####ENV##", mappings))
    end)

    it("leaves markers of unknown keys and reports where they are", function()
      local text, warnings = keywords.replace("a: ##ENV##\nb:\n  c: '##MISSING##' @@GONE@@\n",
        mappings, { file = "tenant.yaml" })
      assert.are.equal("a: dev\nb:\n  c: '##MISSING##' @@GONE@@\n", text)
      assert.are.equal(2, #warnings)
      assert.are.same({ "keyword_unmapped", "MISSING", "##MISSING##", "tenant.yaml", 3, 7 },
        { warnings[1].code, warnings[1].keyword, warnings[1].marker, warnings[1].file,
          warnings[1].line, warnings[1].column })
      assert.are.equal("tenant.yaml:3:7: ##MISSING## is not in AUTH0_KEYWORD_REPLACE_MAPPINGS: "
        .. "left as it is", tostring(warnings[1]))
      assert.are.equal("@@GONE@@", warnings[2].marker)
      assert.are.equal(20, warnings[2].column)
    end)

    it("returns the text unchanged when there are no mappings", function()
      local text, warnings = keywords.replace("a: ##ENV## @@ENV@@", {})
      assert.are.equal("a: ##ENV## @@ENV@@", text)
      assert.are.equal(2, #warnings)
      assert.are.equal("x ##A##", (keywords.replace("x ##A##", nil)))
    end)

    it("gives text that YAML and JSON read as the intended values", function()
      local m = { LANGUAGES = A{ "en", "fr" }, TIMEOUT = 36000, NAME = "Travel0" }
      local y = replace("tenant:\n  enabled_locales: @@LANGUAGES@@\n  friendly_name: "
        .. "'##NAME##'\n  lifetime: @@TIMEOUT@@\n", m)
      assert.are.same({ tenant = { enabled_locales = { "en", "fr" }, friendly_name = "Travel0",
        lifetime = 36000 } }, yaml.decode(y, { positions = false }))
      local j = replace('{"enabled_locales": "@@LANGUAGES@@", "name": "##NAME##"}', m)
      assert.are.same({ enabled_locales = { "en", "fr" }, name = "Travel0" }, json.decode(j))
    end)

    it("raises when misused", function()
      assert.has_error(function() keywords.replace(nil, {}) end)
      assert.has_error(function() keywords.replace("x", "ENV=dev") end)
      assert.has_error(function() keywords.replace("x", {}, "file") end)
      assert.has_error(function() keywords.replace("@@F@@", { F = print }) end)
    end)
  end)

  describe("order", function()
    it("puts the recorded order first and any other keys after, sorted", function()
      local m = keywords.with_order({ C = 1, A = 2, B = 3, D = 4 }, { "D", "B", "GONE" })
      assert.are.same({ "D", "B", "A", "C" }, keywords.order(m))
      assert.are.same({ "A", "B" }, keywords.order({ B = 1, A = 1 }))
    end)

    it("raises for a bad order", function()
      assert.has_error(function() keywords.with_order({}, "A") end)
    end)
  end)

  describe("json_text and text", function()
    it("write numbers as JavaScript does", function()
      assert.are.equal("1e+21", keywords.json_text(1e21))
      assert.are.equal("1e-7", keywords.text(1e-7))
      assert.are.equal("0.00001", keywords.text(0.00001))
      assert.are.equal("123.456", keywords.text(123.456))
      assert.are.equal("-0.0025", keywords.text(-2.5e-3))
      assert.are.equal("100", keywords.text(100.0))
      assert.are.equal("NaN", keywords.text(0 / 0))
      assert.are.equal("null", keywords.json_text(math.huge))
    end)
  end)

  describe("has_marker", function()
    it("finds markers of mapped keys only", function()
      assert.is_true(keywords.has_marker("support@##DOMAIN##", { DOMAIN = "x" }))
      assert.is_true(keywords.has_marker("@@LANGS@@", { LANGS = A{} }))
      assert.is_false(keywords.has_marker("##OTHER##", { DOMAIN = "x" }))
      assert.is_false(keywords.has_marker(5, { DOMAIN = "x" }))
    end)
  end)

  describe("quote_array_markers", function()
    it("wraps bare @@KEY@@ markers of mapped keys in double quotes", function()
      local m = { LANGUAGES = A{ "en" } }
      assert.are.equal('a: "@@LANGUAGES@@"\nb: \'@@LANGUAGES@@\'\nc: "@@LANGUAGES@@"\nd: @@X@@',
        keywords.quote_array_markers(
          'a: @@LANGUAGES@@\nb: \'@@LANGUAGES@@\'\nc: "@@LANGUAGES@@"\nd: @@X@@', m))
    end)
  end)

  describe("unreplaced", function()
    local client = {
      name = "My App",
      description = "This is the ##COMPANY## tenant",
      logo_uri = "@@LOGO@@",
      callbacks = A{ "##CALLBACK##" },
      jwt_configuration = { alg = "RS256", secret = "##JWT_SECRET##" },
      client_metadata = { lower = "##lower##", deep = { key = "@@DEEP_1@@" } },
      token_exchange = { allow_any_profile_of_type = A{ "@@PROFILE@@" } },
    }

    it("leaves out the fields whose whole value is a placeholder, not inside arrays", function()
      local cleaned, found = keywords.unreplaced(client)
      assert.are.same({
        name = "My App",
        description = "This is the ##COMPANY## tenant",
        callbacks = { "##CALLBACK##" },
        jwt_configuration = { alg = "RS256" },
        client_metadata = { lower = "##lower##", deep = {} },
        token_exchange = { allow_any_profile_of_type = { "@@PROFILE@@" } },
      }, cleaned)
      assert.is_true(json.is_array(cleaned.callbacks))
      assert.are.equal("##JWT_SECRET##", client.jwt_configuration.secret)
      local paths = {}
      for i, f in ipairs(found) do paths[i] = f.path end
      assert.are.same({ "client_metadata.deep.key", "jwt_configuration.secret", "logo_uri" },
        paths)
      assert.are.equal("keyword_unreplaced", found[2].code)
      assert.are.equal("JWT_SECRET", found[2].keyword)
      assert.are.equal("##JWT_SECRET##", found[2].marker)
    end)

    it("names the type, resource, path, file and line in its warnings", function()
      local sources = {
        locate = function(_, pointer)
          assert.are.equal("/clients/2/jwt_configuration/secret", pointer)
          return "tenant.yaml", 14, 9
        end,
      }
      local _, found = keywords.unreplaced({ jwt_configuration = { secret = "##JWT_SECRET##" } },
        { pointer = "/clients/2", sources = sources, type = "clients", name = "My App" })
      assert.are.equal(1, #found)
      assert.are.equal("/clients/2/jwt_configuration/secret", found[1].pointer)
      assert.are.equal('tenant.yaml:14:9: clients "My App": jwt_configuration.secret is the '
        .. "unreplaced keyword ##JWT_SECRET##: the field is not sent and the tenant keeps its "
        .. "value (define JWT_SECRET in AUTH0_KEYWORD_REPLACE_MAPPINGS)", tostring(found[1]))
    end)

    it("finds nothing in a resource without placeholders", function()
      local cleaned, found = keywords.unreplaced({ name = "x", list = A{ 1 } })
      assert.are.same({ name = "x", list = { 1 } }, cleaned)
      assert.are.same({}, found)
    end)

    it("raises for bad options", function()
      assert.has_error(function() keywords.unreplaced({}, "x") end)
    end)
  end)

  describe("preserve", function()
    local mappings = { TENANT_NAME = "Travel0", DOMAIN = "travel0.com", ENV = "dev",
      LANGUAGES = A{ "en", "fr" } }

    -- The local tenant.yaml, as a0deploy's e2e test has it (read without replacement).
    local LOCAL_YAML = table.concat({
      "tenant:",
      "  enabled_locales: @@LANGUAGES@@",
      "  friendly_name: '##TENANT_NAME##'",
      "  support_email: support@##DOMAIN##",
      "  support_url: https://##DOMAIN##/support",
      "  picture_url: https://##DOMAIN##/logo.png",
      "emailTemplates:",
      "  - template: welcome_email",
      "    body: \"<h1>Welcome to ##TENANT_NAME##!</h1>\"",
      "    resultUrl: https://##DOMAIN##/welcome",
      "clients:",
      "  - name: \"Auth0 CLI - ##ENV##\"",
      "    logo_uri: https://##ENV##.assets.com/photos/foo",
      "    callbacks:",
      "      - https://##ENV##.example/cb",
      "    description: ##ENV## app",
      "",
    }, "\n")

    local function exported_tree()
      return {
        tenant = { enabled_locales = A{ "en", "fr" }, friendly_name = "Travel0",
          support_email = "support@travel0.com", support_url = "https://elsewhere.com/support",
          flags = { universal_login = true } },
        emailTemplates = A{ { template = "welcome_email",
          body = "<h1>Welcome to Travel0!</h1>", resultUrl = "https://travel0.com/welcome" } },
        clients = A{
          { name = "Other", logo_uri = "https://dev.assets.com/photos/foo" },
          { name = "Auth0 CLI - dev", logo_uri = "https://dev.assets.com/photos/foo",
            callbacks = A{ "https://dev.example/cb" } },
        },
      }
    end

    it("puts markers back where the exported value equals the replaced one (YAML)", function()
      local text = keywords.quote_array_markers(LOCAL_YAML, mappings)
      local local_tree = assert(yaml.decode(text, { positions = false }))
      local exported = exported_tree()
      local merged, warnings = keywords.preserve(exported, local_tree, mappings)
      assert.are.equal("@@LANGUAGES@@", merged.tenant.enabled_locales)
      assert.are.equal("##TENANT_NAME##", merged.tenant.friendly_name)
      assert.are.equal("support@##DOMAIN##", merged.tenant.support_email)
      assert.are.equal("<h1>Welcome to ##TENANT_NAME##!</h1>", merged.emailTemplates[1].body)
      assert.are.equal("https://##DOMAIN##/welcome", merged.emailTemplates[1].resultUrl)
      assert.are.equal("Auth0 CLI - ##ENV##", merged.clients[2].name)
      assert.are.equal("https://##ENV##.assets.com/photos/foo", merged.clients[2].logo_uri)
      -- Arrays other than resource lists are not entered; other items are not touched.
      assert.are.same({ "https://dev.example/cb" }, merged.clients[2].callbacks)
      assert.are.equal("https://dev.assets.com/photos/foo", merged.clients[1].logo_uri)
      -- A field the tenant lacks is not added; one that differs keeps the tenant's value.
      assert.is_nil(merged.tenant.picture_url)
      assert.is_nil(merged.clients[2].description)
      assert.are.equal("https://elsewhere.com/support", merged.tenant.support_url)
      assert.are.equal(1, #warnings)
      assert.are.equal("keyword_not_preserved", warnings[1].code)
      assert.are.equal("tenant.support_url", warnings[1].address)
      assert.matches("^tenant%.support_url: the tenant's value differs", tostring(warnings[1]))
      -- The exported tree is not changed.
      assert.are.equal("Travel0", exported.tenant.friendly_name)
      assert.are.equal(exported.tenant.flags.universal_login, merged.tenant.flags.universal_login)
      assert.is_true(json.is_array(merged.clients))
    end)

    it("puts markers back from directory-format JSON files", function()
      local local_tree = {
        tenant = assert(json.decode('{"enabled_locales": "@@LANGUAGES@@", '
          .. '"friendly_name": "##TENANT_NAME##", "support_email": "support@##DOMAIN##"}')),
        clients = A{ assert(json.decode('{"name": "Auth0 CLI - ##ENV##", '
          .. '"logo_uri": "https://##ENV##.assets.com/photos/foo"}')) },
      }
      local merged, warnings = keywords.preserve(exported_tree(), local_tree, mappings)
      assert.are.same({}, warnings)
      assert.are.equal("@@LANGUAGES@@", merged.tenant.enabled_locales)
      assert.are.equal("##TENANT_NAME##", merged.tenant.friendly_name)
      assert.are.equal("support@##DOMAIN##", merged.tenant.support_email)
      assert.are.equal("Auth0 CLI - ##ENV##", merged.clients[2].name)
      assert.are.equal("https://##ENV##.assets.com/photos/foo", merged.clients[2].logo_uri)
      assert.are.equal("Other", merged.clients[1].name)
    end)

    it("keeps the tenant's value when an @@ value differs from the mapping", function()
      local exported = { tenant = { enabled_locales = A{ "en" } } }
      local merged, warnings = keywords.preserve(exported,
        { tenant = { enabled_locales = "@@LANGUAGES@@" } }, mappings)
      assert.are.same({ "en" }, merged.tenant.enabled_locales)
      assert.are.equal("tenant.enabled_locales", warnings[1].address)
    end)

    it("finds client grants by their compound identifier", function()
      local local_tree = { clientGrants = A{ { client_id = "App ##ENV##",
        audience = "https://##ENV##.api.example/", scope = A{ "read:x" } } } }
      local exported = { clientGrants = A{
        { client_id = "App dev", audience = "https://other.example/", scope = A{} },
        { client_id = "App dev", audience = "https://dev.api.example/", scope = A{ "read:x" } },
      } }
      local merged = keywords.preserve(exported, local_tree, mappings)
      assert.are.same({ client_id = "App ##ENV##", audience = "https://##ENV##.api.example/",
        scope = { "read:x" } }, merged.clientGrants[2])
      assert.are.same({ client_id = "App dev", audience = "https://other.example/", scope = {} },
        merged.clientGrants[1])
    end)

    it("addresses an item without identifiers by its position", function()
      local merged = keywords.preserve(
        { hooks = A{ { script = "a" }, { script = "dev" } } },
        { hooks = A{ { script = "a" }, { script = "##ENV##" } } }, mappings)
      assert.are.equal("##ENV##", merged.hooks[2].script)
    end)

    it("uses the identifiers given in opts", function()
      local merged, warnings = keywords.preserve(
        { widgets = A{ { slug = "w-dev", title = "Old" }, { slug = "w-x", title = "dev" } } },
        { widgets = A{ { slug = "w-##ENV##", title = "##ENV##" } } }, mappings,
        { identifiers = { widgets = { "slug" } } })
      assert.are.equal("w-##ENV##", merged.widgets[1].slug)
      assert.are.equal("Old", merged.widgets[1].title)
      assert.are.equal("widgets.[slug=w-##ENV##].title", warnings[1].address)
    end)

    it("returns a copy of the export when there are no mappings", function()
      local exported = exported_tree()
      local merged, warnings = keywords.preserve(exported, { tenant = { x = "##A##" } }, {})
      assert.are.same(exported, merged)
      assert.are_not.equal(exported, merged)
      assert.are.same({}, warnings)
    end)

    it("matches the items of a list type by the catalogue's identifiers", function()
      -- emailTemplates are told apart by `template` (a0lua.catalogue), not by position
      local exported = { emailTemplates = json.array({
        { template = "welcome_email", from = "b@example.com" },
        { template = "verify_email", from = "a@example.com" } }) }
      local local_tree = { emailTemplates = json.array({
        { template = "verify_email", from = "@@FROM@@" } }) }
      local merged = keywords.preserve(exported, local_tree, { FROM = "a@example.com" })
      assert.equal("@@FROM@@", merged.emailTemplates[2].from)
      assert.equal("b@example.com", merged.emailTemplates[1].from)
    end)

    it("raises when misused", function()
      assert.has_error(function() keywords.preserve({}, {}, "x") end)
      assert.has_error(function() keywords.preserve({}, {}, {}, 1) end)
    end)
  end)
end)
