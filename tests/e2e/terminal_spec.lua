-- Control characters in tenant data never reach the terminal live: a client named with escape
-- sequences (colour, a window title) prints them escaped in the plan, in the log lines of an
-- import and in an error, while --json stays valid JSON with the name intact.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")

-- (YAML refuses C1 controls even escaped: the tenant's own client carries one)
local HOSTILE = "\27[31mRED\27[0m\27]0;title\7"
local SHOWN = "\\x1b[31mRED\\x1b[0m\\x1b]0;title\\x07"
local ON_TENANT = "csi\194\155 2J"

-- Nothing a terminal would act on: ESC, BEL, CSI (C1) or any other C0 control but newline.
local function assert_inert(text)
  assert.is_nil(text:find("[%z\1-\9\11-\31\127]"), "a live control character in:\n" .. text)
  assert.is_nil(text:find("\194[\128-\159]"), "a live C1 control in:\n" .. text)
end

describe("tenant data printed on a terminal", function()
  local emu, tmp, file, env
  setup(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    file = tmp .. "/tenant.yaml"
    run.write_file(file, "clients:\n  - name: " .. assert(json.encode(HOSTILE)) .. "\n"
      .. "    app_type: spa\n"
      .. "clientGrants:\n  - client_id: " .. assert(json.encode(HOSTILE .. "-missing")) .. "\n"
      .. "    audience: https://api.example.com\n    scope: []\n")
    env = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
      AUTH0_CLIENT_SECRET = emu.client_secret, NO_COLOR = "1" }
  end)
  teardown(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("escapes control characters in a problem naming them", function()
    local status, out, err = run.run({ "build/a0lua", "plan", "-i", file }, { env = env })
    assert.equal(1, status)
    assert.is_truthy(err:find("clientGrants[0].client_id", 1, true), err)
    assert_inert(out .. err)
  end)

  it("escapes them in the error a command ends with", function()
    local status, out, err = run.run({ "build/a0lua", "-e",
      "error('no client named ' .. " .. ("%q"):format(HOSTILE) .. ", 0)" })
    assert.equal(1, status)
    assert.equal("a0lua: no client named " .. SHOWN .. "\n", err)
    assert_inert(out .. err)
  end)

  describe("without the dangling grant", function()
    local clean
    setup(function()
      clean = tmp .. "/clean.yaml"
      run.write_file(clean, "clients:\n  - name: " .. assert(json.encode(HOSTILE)) .. "\n"
        .. "    app_type: spa\n")
    end)

    it("escapes them in the plan, from the files and from the tenant", function()
      local res = assert(emu:post("/clients", { name = ON_TENANT, app_type = "spa" }))
      assert.equal(201, res.status)
      local status, out, err = run.run({ "build/a0lua", "plan", "-i", clean }, { env = env })
      assert.equal(2, status, err)
      assert.is_truthy(out:find("+ create " .. SHOWN, 1, true), out)
      assert.is_truthy(out:find("! skip   csi\\xc2\\x9b 2J", 1, true), out)
      assert_inert(out .. err)
    end)

    it("keeps the name intact in --json, as valid JSON", function()
      local status, out = run.run({ "build/a0lua", "plan", "-i", clean, "--json" }, { env = env })
      assert.equal(2, status)
      local doc = assert(json.decode(out), out)
      assert.equal(HOSTILE, doc.changes[1].key)
    end)

    it("escapes them in the log lines of an import", function()
      local status, out, err = run.run({ "build/a0lua", "import", "-i", clean }, { env = env })
      assert.equal(0, status, err)
      assert.is_truthy(err:find("created clients " .. SHOWN, 1, true), err)
      assert_inert(out .. err)
    end)
  end)
end)
