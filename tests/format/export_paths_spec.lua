-- tests/format/export_paths_spec.lua: every file an export writes stays inside the output folder
-- (common.writer's containment check), and every item gets a file of its own
-- (a0lua.format.file_names), whatever names the tenant holds (docs/compat.md "Export file names").
local common = require("a0lua.format.common")
local directory = require("a0lua.format.directory")
local file_names = require("a0lua.format.file_names")
local yaml_format = require("a0lua.format.yaml")
local json = require("a0lua.core.json")
local run = require("helpers.run")

local shared = require("helpers.shared")

local arr = json.array

describe("export paths", function()
  -- HOSTILE leads from any folder below <root>/out to `outside`, so that a write that escapes
  -- lands there.
  local root, outside, HOSTILE
  before_each(function()
    root = run.temp_dir()
    outside = run.temp_dir()
    HOSTILE = string.rep("../", 24) .. outside:sub(2)
  end)
  after_each(function()
    run.remove_tree(root)
    run.remove_tree(outside)
  end)

  describe("the writer's containment check", function()
    local function refused(rel, text)
      local w = common.writer(root .. "/out")
      w:file("ok.json", "{}")
      w:file(rel, text or "x")
      local written, err = w:commit()
      assert.is_nil(written)
      assert.equals("export_path", err.code)
      assert.matches("refusing to write", tostring(err), 1, true)
      -- nothing at all is written, not even the good file
      assert.same({}, run.files_below(root))
      return err
    end

    it("refuses a path that leaves the folder through ..", function()
      local err = refused("prompts/../../escaped.liquid")
      assert.matches('"prompts/../../escaped.liquid"', err.message, 1, true)
      refused("a/" .. HOSTILE .. "/x")
    end)

    it("refuses an absolute path, an empty or . segment and a NUL byte", function()
      refused(outside .. "/abs.json")
      refused("a//b.json")
      refused("./a.json")
      refused("a/\0/b.json")
      assert.same({}, run.files_below(outside))
    end)

    it("refuses a symbolic link on the way out of the folder", function()
      assert(os.execute("mkdir -p " .. run.quote(root .. "/out") .. " && ln -s "
        .. run.quote(outside) .. " " .. run.quote(root .. "/out/clients")))
      local w = common.writer(root .. "/out")
      w:dir("clients")
      w:json("clients/App.json", { name = "App" })
      local written, err = w:commit()
      assert.is_nil(written)
      assert.equals("export_path", err.code)
      assert.matches("symbolic link", err.message, 1, true)
      assert.same({}, run.files_below(outside))
    end)

    it("refuses to prune through a symbolic link", function()
      assert(os.execute("mkdir -p " .. run.quote(root .. "/out") .. " && ln -s "
        .. run.quote(outside) .. " " .. run.quote(root .. "/out/connections")))
      run.write_file(outside .. "/keep.json", "{}")
      local w = common.writer(root .. "/out")
      w:prune("connections")
      local written, err = w:commit()
      assert.is_nil(written)
      assert.equals("export_path", err.code)
      assert.same({ "keep.json" }, run.files_below(outside))
    end)

    it("writes ordinary paths, and through a linked output folder itself", function()
      assert(os.execute("ln -s " .. run.quote(outside) .. " " .. run.quote(root .. "/link")))
      local w = common.writer(root .. "/link")
      w:dir(".")
      w:json("clients/App.json", { name = "App" })
      assert.same({ root .. "/link/clients/App.json" }, assert(w:commit()))
      assert.same({ "clients/App.json" }, run.files_below(outside))
    end)
  end)

  describe("file_names.stems", function()
    local function stems(names, opts)
      local list = arr()
      for i, name in ipairs(names) do list[i] = { name = name } end
      return file_names.stems(list, "name", opts)
    end

    it("keeps a0deploy's names for ordinary names", function()
      assert.same({ "My App", "a-b-c", "Café" }, stems({ "My App", "a/b:c", "Café" }))
    end)

    it("numbers names that clean alike, in the byte order of the names", function()
      assert.same({ "a-b-2", "a-b" }, stems({ "a/b", "a-b" }))
      assert.same({ "a-b", "a-b-2" }, stems({ "a-b", "a/b" }))
      -- ".", ".." and CON all clean to "-"
      assert.same({ "--3", "-", "--2" }, stems({ "CON", ".", ".." }))
    end)

    it("never takes the plain name of another item", function()
      assert.same({ "a-b-3", "a-b", "a-b-2" }, stems({ "a/b", "a-b", "a-b-2" }))
    end)

    it("tells names apart without case, as macOS and Windows file systems do", function()
      assert.same({ "App", "app-2" }, stems({ "App", "app" }))
    end)

    it("numbers exact duplicates in list order and keeps the folder's own files", function()
      assert.same({ "x", "x-2" }, stems({ "x", "x" }))
      assert.same({ "provider-2" }, stems({ "provider" }, { taken = { "provider" } }))
    end)

    it("cuts long names so that the stem, its number and the extension fit in 255 bytes", function()
      local long = string.rep("a", 300)
      local out = stems({ long, long .. "b" }, { room = #".json" })
      assert.equals(250, #out[1])
      assert.equals(string.rep("a", 248) .. "-2", out[2])
    end)
  end)

  describe("the directory export", function()
    local function clients(names)
      local list = arr()
      for i, name in ipairs(names) do list[i] = { name = name, app_type = "spa" } end
      return list
    end

    it("keeps hostile partial keys, template and renderer names inside the folder", function()
      local out = root .. "/out"
      local files = assert(directory.write({ output_folder = out, format = "directory" }, {
        prompts = {
          customText = {},
          partials = { login = { login = { [HOSTILE .. "/ESCAPED"] = "<p>x</p>" },
                                 [HOSTILE] = { ["form-content-start"] = "<p>y</p>" } } },
          screenRenderers = arr({ { prompt = HOSTILE, screen = "x" } }),
        },
        emailTemplates = arr({ { template = HOSTILE .. "/PWNED", body = "<p>b</p>" } }),
        branding = { templates = arr({ { template = HOSTILE .. "/BRAND", body = "<p>t</p>" } }) },
        pages = arr({ { name = HOSTILE .. "/PAGE", html = "<p>p</p>" } }),
      }))
      for _, path in ipairs(files) do
        assert.is_false(common.outside(out, path), path)
      end
      assert.same({}, run.files_below(outside))
      -- and the import reads back the same keys, from the files the manifest names
      local back = assert(directory.read({ input = out }))
      assert.equals("<p>x</p>", back.prompts.partials.login.login[HOSTILE .. "/ESCAPED"])
      assert.equals("<p>y</p>", back.prompts.partials.login[HOSTILE]["form-content-start"])
      assert.equals("<p>b</p>", back.emailTemplates[1].body)
    end)

    it("gives every client a file of its own and reads every one back", function()
      local names = { "a/b", "a-b", ".", "..", "CON", "App", "app", "x:y", "x?y" }
      local out = root .. "/out"
      assert(directory.write({ output_folder = out, format = "directory" },
        { clients = clients(names) }))
      local written = run.files_below(out .. "/clients")
      assert.equals(#names, #written)
      assert.same({ "--2.json", "--3.json", "-.json", "App.json", "a-b-2.json", "a-b.json",
        "app-2.json", "x-y-2.json", "x-y.json" }, written)
      local back = assert(directory.read({ input = out }))
      local got = {}
      for i, c in ipairs(back.clients) do got[i] = c.name end
      table.sort(got)
      table.sort(names)
      assert.same(names, got)
    end)

    it("does not let an email template take the provider's file", function()
      local out = root .. "/out"
      assert(directory.write({ output_folder = out, format = "directory" }, {
        emailProvider = { name = "smtp" },
        emailTemplates = arr({ { template = "provider", body = "<p>b</p>" } }),
      }))
      assert.same({ "provider-2.html", "provider-2.json", "provider.json" },
        run.files_below(out .. "/emails"))
      assert.equals("smtp", json.decode(shared.read(out .. "/emails/provider.json")).name)
    end)
  end)

  describe("the YAML export", function()
    it("keeps companion files inside the folder and apart", function()
      local out = root .. "/out"
      local files = assert(yaml_format.write({ output_folder = out, format = "yaml" }, {
        emailTemplates = arr({ { template = HOSTILE .. "/PWNED", body = "<p>b</p>" } }),
        clients = arr({ { name = "a/b", custom_login_page = "<p>1</p>" },
                        { name = "a-b", custom_login_page = "<p>2</p>" } }),
        prompts = { screenRenderers = arr({ { prompt = HOSTILE, screen = "s" } }) },
      }))
      for _, path in ipairs(files) do
        assert.is_false(common.outside(out, path), path)
      end
      assert.same({}, run.files_below(outside))
      assert.same({ "a-b-2_custom_login_page.html", "a-b_custom_login_page.html" },
        run.files_below(out .. "/clients"))
    end)
  end)
end)
