-- Export against `a0lua emulate` whatever names the tenant holds: every file inside the output
-- folder, every item in a file of its own, items that share a name refused
-- (docs/compat.md "Export file names").
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local fs = require("a0lua.core.fs")

-- The files below dir whose name contains needle.
local function find(dir, needle)
  local out = {}
  for _, rel in ipairs(run.files_below(dir)) do
    if rel:find(needle, 1, true) then out[#out + 1] = rel end
  end
  return out
end

describe("a0lua export of hostile and colliding names against the emulator", function()
  local emu, tmp, out
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    -- a few levels deep, so that "../../../../" from out/emails lands in tmp
    out = tmp .. "/a/b/c/out"
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("writes a template and a partial named to escape inside the output folder", function()
    local state = emu:state()
    state["/email-templates/welcome_email"] = { template = "../../../../PWNED",
      body = "<p>b</p>", from = "a@example.com", subject = "s", syntax = "liquid",
      enabled = true }
    state["/prompts/login/partials"] = { login = {
      ["../../../../../../../ESCAPED"] = "<p>x</p>" } }
    assert.equal(204, emu:load(state))
    for _, format in ipairs({ "directory", "yaml" }) do
      local status, _, err = emu:cli({ "export", "-f", format, "-o", out .. "-" .. format })
      assert.equal(0, status, err)
    end
    local escaped = {}
    for _, needle in ipairs({ "PWNED", "ESCAPED" }) do
      for _, rel in ipairs(find(tmp, needle)) do
        if not rel:match("^a/b/c/out%-") then escaped[#escaped + 1] = rel end
      end
    end
    assert.same({}, escaped)
    assert.same({ "a/b/c/out-directory/emails/..-..-..-..-PWNED.html",
      "a/b/c/out-directory/emails/..-..-..-..-PWNED.json",
      "a/b/c/out-yaml/emailTemplates/..-..-..-..-PWNED.html" }, find(tmp, "PWNED"))
    assert.equal(1, #find(out .. "-directory/prompts/partials", "ESCAPED"))
  end)

  it("exports every client whose name cleans alike, and imports it back with no delete",
    function()
      local names = { "a/b", "a-b", ".", "..", "CON", "App", "app", "x:y", "x?y" }
      for _, name in ipairs(names) do
        local res = assert(emu:request("POST", "/clients", { body = { name = name } }))
        assert.equal(201, res.status, res.body)
      end
      local count = 0 -- every client but the global one ("All Applications")
      for _, c in ipairs(emu:state()["/clients"]) do
        if not c.global then count = count + 1 end
      end
      local status, _, err = emu:cli({ "export", "-f", "directory", "-o", out })
      assert.equal(0, status, err)
      assert.equal(count, #fs.list(out .. "/clients"))
      local plan_out
      status, plan_out, err = emu:cli({ "plan", "-i", out }, { AUTH0_ALLOW_DELETE = "true" })
      assert.equal(0, status, err .. plan_out)
      assert.matches("No changes", plan_out, 1, true)
    end)

  it("refuses clients that share a name, naming them, and writes nothing", function()
    for _, name in ipairs({ "Twin", "Twin", "Solo" }) do
      assert.equal(201, assert(emu:request("POST", "/clients", { body = { name = name } }))
        .status)
    end
    for _, format in ipairs({ "directory", "yaml" }) do
      local status, stdout, err = emu:cli({ "export", "-f", format, "-o", out })
      assert.equal(1, status, stdout)
      assert.matches('share a name (clients "Twin")', err, 1, true)
      assert.is_nil(fs.stat(out))
    end
  end)
end)
