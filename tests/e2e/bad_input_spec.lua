-- The bad-input corpus (tests/fixtures/bad/*.yaml): each file is imported against the emulator
-- and must fail with exit status 1, an error naming the file, the line and the path, and no
-- write request. Each file says what it expects in a comment line:
--   # expect: line=N path=clients[0].name message=text that the error contains
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")

local DIR = "tests/fixtures/bad"

local function expectation(path)
  local text = shared.read(path)
  local line = text:match("\n# expect: ([^\n]+)")
  assert(line, path .. " has no '# expect:' line")
  local e = {}
  e.line = tonumber(line:match("line=(%d+)"))
  e.path = line:match("path=(%S+)")
  e.message = line:match("message=(.+)$")
  return e
end

local function writes(emu)
  local out = {}
  for _, r in ipairs(emu:requests()) do
    if r.method ~= "GET" and r.path:sub(1, 8) == "/api/v2/" then out[#out + 1] = r end
  end
  return out
end

describe("a0lua import of bad input", function()
  local emu
  setup(function() emu = emulator.start() end)
  teardown(function() if emu then emu:stop() end end)

  local files = shared.files(DIR, "%.yaml$")

  it("has a case for every kind of bad input of the issue", function()
    local names = {}
    for _, f in ipairs(files) do names[f:match("([^/]+)%.yaml$")] = true end
    for _, case in ipairs({ "yaml_syntax", "unknown_key", "duplicate_names", "dangling_reference",
      "unknown_token_exchange_profile", "keyword_missing", "schema_tenant", "schema_clients",
      "schema_resource_servers", "schema_client_grants", "schema_connections",
      "schema_databases", "schema_roles", "schema_organizations", "schema_email_provider",
      "schema_email_templates", "schema_pages", "schema_prompts", "schema_actions",
      "schema_triggers" }) do
      assert.is_true(names[case] ~= nil, "missing case " .. case)
    end
  end)

  it("rejects an alias bomb and a tab at validate already, at the alias and the tab", function()
    for _, case in ipairs({ { "yaml_alias_bomb", "yaml_alias_bomb.yaml:10:26: aliases expand" },
                            { "yaml_tab", "yaml_tab.yaml:6:1: a tab is not allowed" } }) do
      emu:clear_requests()
      local file = DIR .. "/" .. case[1] .. ".yaml"
      local status, _, err = run.run({ "build/a0lua", "validate", "-i", file },
                                     { env = { NO_COLOR = "1" } })
      assert.equal(1, status)
      assert.is_truthy(err:find(case[2], 1, true), "no " .. case[2] .. " in:\n" .. err)
      assert.same({}, emu:requests())
    end
  end)

  for _, file in ipairs(files) do
    local name = file:match("([^/]+)%.yaml$")
    it("rejects " .. name .. " naming file, line and path, with no write request", function()
      local e = expectation(file)
      emu:clear_requests()
      local status, _, err = run.run({ "build/a0lua", "import", "-i", file },
        { env = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
          AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" } })
      assert.equal(1, status)
      local where = file .. ":" .. e.line .. ":"
      assert.is_truthy(err:find(where, 1, true), "no " .. where .. " in:\n" .. err)
      if e.path then
        assert.is_truthy(err:find(where .. "%d+: " .. e.path:gsub("%p", "%%%0") .. ": "),
          "no path " .. e.path .. " in:\n" .. err)
      end
      assert.is_truthy(err:find(e.message, 1, true), "no '" .. e.message .. "' in:\n" .. err)
      assert.same({}, writes(emu))
    end)
  end
end)
