-- branding and themes through a0lua import and export against the emulator: into an empty
-- tenant, exported in both formats (the template as a0deploy's companion file), imported again
-- with no write, and a misspelt enum or a wrong type refused with file:line:column before any
-- request.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")
local json = require("a0lua.core.json")

local DIR = "tests/fixtures/e2e/brand"

-- Only the types of these files: the emulator's other defaults are not this spec's concern.
local ONLY = { AUTH0_INCLUDED_ONLY = '["customDomains","prompts","branding","themes"]' }

local function a0lua(emu, argv, extra_env)
  local env = {}
  for k, v in pairs(ONLY) do env[k] = v end
  for k, v in pairs(extra_env or {}) do env[k] = v end
  return emu:cli(argv, env)
end

local function write_lines(emu)
  local out = {}
  for _, r in ipairs(emu:writes()) do out[#out + 1] = r.method .. " " .. r.path end
  return out
end

local write_file = run.write_file

describe("branding and themes through import and export", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("imports, exports in both formats, and imports each export with no write", function()
    local html = shared.read(DIR .. "/branding_templates/universal_login.html")
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    local state = emu:state()
    assert.equal("https://example.com/logo.png", state["/branding"].logo_url)
    assert.equal("#0059d6", state["/branding"].colors.primary)
    assert.equal(html, state["/branding/templates/universal-login"].body)
    local theme = state["/branding/themes/default"]
    assert.equal("Brand", theme.displayName)
    assert.equal(52, theme.widget.logo_height)
    -- the branding PATCH reset identifier_first (as the API does); it was set back
    assert.is_true(state["/prompts"].identifier_first)

    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    assert.same({}, write_lines(emu))

    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/yaml", "-f", "yaml" })
    assert.equal(0, status, err)
    local text = shared.read(tmp .. "/yaml/tenant.yaml")
    local exported = assert(yaml.decode(text))
    assert.same({ { template = "universal_login",
      body = "./branding_templates/universal_login.html" } }, exported.branding.templates)
    assert.equal(html, shared.read(tmp .. "/yaml/branding_templates/universal_login.html"))
    assert.equal(1, #exported.themes)
    assert.is_nil(exported.themes[1].themeId)

    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/dir", "-f", "directory" })
    assert.equal(0, status, err)
    local settings = json.decode(shared.read(tmp .. "/dir/branding/branding.json"))
    assert.is_nil(settings.templates)
    assert.equal("https://example.com/logo.png", settings.logo_url)
    local tpl = json.decode(shared.read(tmp .. "/dir/branding/templates/universal_login.json"))
    assert.same({ template = "universal_login", body = "./universal_login.html" }, tpl)
    assert.equal(html, shared.read(tmp .. "/dir/branding/templates/universal_login.html"))
    local t = json.decode(shared.read(tmp .. "/dir/themes/theme.json"))
    assert.equal("Brand", t.displayName)
    assert.is_nil(t.themeId)

    for _, input in ipairs({ tmp .. "/yaml/tenant.yaml", tmp .. "/dir" }) do
      emu:clear_requests()
      status, _, err = a0lua(emu, { "import", "-i", input }, { AUTH0_ALLOW_DELETE = "true" })
      assert.equal(0, status, err)
      assert.same({}, write_lines(emu), input)
    end

    -- --export_ids keeps the themeId, and that import sends nothing either
    status, _, err = a0lua(emu, { "export", "-o", tmp .. "/ids", "-f", "yaml", "--export_ids" })
    assert.equal(0, status, err)
    exported = assert(yaml.decode(shared.read(tmp .. "/ids/tenant.yaml")))
    assert.equal(theme.themeId, exported.themes[1].themeId)
    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", tmp .. "/ids/tenant.yaml" })
    assert.equal(0, status, err)
    assert.same({}, write_lines(emu))
  end)

  it("sends only what changed: the theme PATCHed whole, the template PUT alone", function()
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    local id = emu:state()["/branding/themes/default"].themeId
    local changed = shared.read(DIR .. "/tenant.yaml"):gsub("logo_height: 52", "logo_height: 60")
    write_file(tmp .. "/tenant.yaml", changed)
    os.execute("mkdir -p " .. tmp .. "/branding_templates")
    write_file(tmp .. "/branding_templates/universal_login.html",
      "<html>{%- auth0:head -%}{%- auth0:widget -%}</html>")
    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", tmp .. "/tenant.yaml" })
    assert.equal(0, status, err)
    assert.same({ "PATCH /api/v2/branding/themes/" .. id,
      "PUT /api/v2/branding/templates/universal-login" }, (function()
        local l = write_lines(emu)
        table.sort(l)
        return l
      end)())
    assert.equal(60, emu:state()["/branding/themes/default"].widget.logo_height)
  end)

  it("sets back identifier_first when a settings PATCH without colors reset it", function()
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    write_file(tmp .. "/logo.yaml", "branding:\n  logo_url: https://example.com/other.png\n")
    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", tmp .. "/logo.yaml" })
    assert.equal(0, status, err)
    assert.same({ "PATCH /api/v2/branding", "PATCH /api/v2/prompts" }, write_lines(emu))
    assert.same({ { identifier_first = true } }, (function()
      local out = {}
      for _, r in ipairs(emu:writes()) do
        if r.path == "/api/v2/prompts" then out[#out + 1] = r.body end
      end
      return out
    end)())
    assert.is_true(emu:state()["/prompts"].identifier_first)
  end)

  it("deletes the theme for themes: [] only with AUTH0_ALLOW_DELETE", function()
    local status, _, err = a0lua(emu, { "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, err)
    write_file(tmp .. "/none.yaml", "themes: []\n")
    emu:clear_requests()
    status, _, err = a0lua(emu, { "import", "-i", tmp .. "/none.yaml" })
    assert.equal(0, status, err)
    assert.same({}, write_lines(emu))
    status, _, err = a0lua(emu, { "import", "-i", tmp .. "/none.yaml" },
      { AUTH0_ALLOW_DELETE = "true" })
    assert.equal(0, status, err)
    assert.equal(1, #write_lines(emu))
    assert.matches("^DELETE /api/v2/branding/themes/", write_lines(emu)[1])
    assert.is_nil(emu:state()["/branding/themes/default"])
  end)

  for _, case in ipairs({
    { file = "misspelt-theme.yaml", where = ":7:7: themes[0].page_background.page_layout: "
      .. "must be one of center, left, right" },
    { file = "misspelt-branding.yaml", where = ":6:5: branding.identifiers.login_display: "
      .. "must be one of unified, separate" },
    { file = "misspelt-branding.yaml", where = ":4:3: branding.logo_url: must be string" },
  }) do
    it("refuses " .. case.file .. " naming file:line:column, before any request", function()
      emu:clear_requests()
      local file = DIR .. "/" .. case.file
      local status, _, err = a0lua(emu, { "import", "-i", file })
      assert.equal(1, status)
      assert.matches(file .. case.where, err, 1, true)
      assert.same({}, emu:requests())
    end)
  end
end)
