-- tests/format/sources_spec.lua: a0lua.sources, pointers into the desired state -> file positions.
local sources_mod = require("a0lua.sources")
local yaml = require("a0lua.core.yaml")

local TEXT = table.concat({
  "clients:",                                  -- 1
  "  - name: One",                             -- 2
  "  - name: Two",                             -- 3
  "    token_exchange:",                       -- 4
  "      allow_any_profile_of_type:",          -- 5
  "        - on_behalf_of_token_exhange",      -- 6
  "tenant:",                                   -- 7
  "  friendly_name: x",                        -- 8
}, "\n") .. "\n"

local function yaml_sources()
  local _, positions = yaml.decode(TEXT, { name = "tenant.yaml" })
  return sources_mod.new():add("", "tenant.yaml", positions), positions
end

describe("a0lua.sources", function()
  describe("path", function()
    it("writes pointers a0deploy-style", function()
      assert.equals("clients[2].token_exchange.allow_any_profile_of_type[0]",
        sources_mod.path("/clients/2/token_exchange/allow_any_profile_of_type/0"))
      assert.equals("prompts.customText.en.login-id",
                    sources_mod.path("/prompts/customText/en/login-id"))
      assert.equals("", sources_mod.path(""))
    end)

    it("quotes keys that are not plain names and unescapes ~0 ~1", function()
      assert.equals("triggers['a/b']['x y']", sources_mod.path("/triggers/a~1b/x y"))
      assert.equals("m['~']", sources_mod.path("/m/~0"))
    end)
  end)

  describe("split and pointer", function()
    it("round-trip segments with / and ~", function()
      local segments = sources_mod.split("/a~1b/c~0d/0")
      assert.same({ "a/b", "c~d", "0" }, segments)
      assert.equals("/a~1b/c~0d/0", sources_mod.pointer(segments))
    end)

    it("raises on a string that is not a JSON pointer", function()
      assert.has_error(function() sources_mod.split("clients/0") end)
    end)
  end)

  describe("locate", function()
    it("finds the line and column of a node of a YAML file", function()
      local s = yaml_sources()
      local file, line, column = s:locate("/clients/1/token_exchange/allow_any_profile_of_type/0")
      assert.equals("tenant.yaml", file)
      assert.equals(6, line)
      assert.equals(11, column)
    end)

    it("walks up to the nearest known node for a value the file does not have", function()
      local s = yaml_sources()
      local file, line = s:locate("/clients/1/token_exchange/missing/deeper")
      assert.equals("tenant.yaml", file)
      assert.equals(4, line)
    end)

    it("gives line 1 for a file recorded without positions", function()
      local s = yaml_sources()
      s:add("/clients/0/custom_login_page", "clients/login.html", nil)
      local file, line, column = s:locate("/clients/0/custom_login_page")
      assert.equals("clients/login.html", file)
      assert.equals(1, line)
      assert.equals(1, column)
    end)

    it("prefers the record that knows the deepest node, then the later one", function()
      local s = yaml_sources()
      local _, json_positions = yaml.decode('{\n  "nodes": [\n    {"id": "a"}\n  ]\n}\n')
      s:add("/clients/0", "form.json", json_positions)
      assert.equals("form.json", (s:locate("/clients/0/nodes/0/id")))
      local _, line = s:locate("/clients/0/nodes/0/id")
      assert.equals(3, line)
      -- the YAML knows /clients/0/name; the JSON file does not
      local file, name_line = s:locate("/clients/0/name")
      assert.equals("tenant.yaml", file)
      assert.equals(2, name_line)
    end)

    it("maps a prefix onto a base pointer inside the file", function()
      local s = yaml_sources()
      s:add("/tenant/session_lifetime_in_minutes", "tenant.yaml", select(2, yaml_sources()),
            "/tenant/friendly_name")
      local _, line = s:locate("/tenant/session_lifetime_in_minutes")
      assert.equals(8, line)
    end)

    it("returns nil for a pointer no record covers", function()
      local s = sources_mod.new():add("/clients/0", "a.json", nil)
      assert.is_nil(s:locate("/tenant"))
    end)
  end)

  describe("format and problem", function()
    it("formats file:line:column: path: message", function()
      local s = yaml_sources()
      assert.equals("tenant.yaml:6:11: clients[1].token_exchange.allow_any_profile_of_type[0]: "
        .. "must be one of custom_authentication, on_behalf_of_token_exchange",
        s:format("/clients/1/token_exchange/allow_any_profile_of_type/0",
                 "must be one of custom_authentication, on_behalf_of_token_exchange"))
    end)

    it("leaves out the location when none is known and the path for the root", function()
      local s = sources_mod.new()
      assert.equals("clients[0]: bad", s:format("/clients/0", "bad"))
      s:add("", "tenant.yaml", nil)
      assert.equals("tenant.yaml:1:1: bad", s:format("", "bad"))
    end)

    it("builds a validation error table with every field", function()
      local s = yaml_sources()
      local p = s:problem("/tenant/friendly_name", "too short")
      assert.equals("validation", p.code)
      assert.equals("tenant.yaml", p.file)
      assert.equals(8, p.line)
      assert.equals(3, p.column)
      assert.equals("tenant.friendly_name", p.path)
      assert.equals("/tenant/friendly_name", p.pointer)
      assert.equals("tenant.yaml:8:3: tenant.friendly_name: too short", tostring(p))
      assert.equals("other", s:problem("", "x", "other").code)
    end)
  end)

  describe("warn", function()
    it("collects warnings with their fields", function()
      local s = sources_mod.new()
      s:warn("skipped", { file = "pages/x.html", line = 1 })
      assert.equals(1, #s.warnings)
      assert.equals("pages/x.html:1: skipped", tostring(s.warnings[1]))
    end)
  end)

  describe("add", function()
    it("raises on misuse", function()
      local s = sources_mod.new()
      assert.has_error(function() s:add(nil, "f") end)
      assert.has_error(function() s:add("/a", 3) end)
      assert.has_error(function() s:add("/a", "f", "positions") end)
      assert.has_error(function() s:add("/a", "f", nil, 5) end)
      assert.has_error(function() s:add("a", "f") end)
    end)
  end)
end)
