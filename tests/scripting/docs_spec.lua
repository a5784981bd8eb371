-- docs/scripting.md: every example in it, run against `a0lua emulate`. Lua blocks starting with
-- "-- file: NAME" are written to NAME in a temporary folder and used as the text says; `repl`
-- blocks are transcripts ("> " and ">> " lines typed, the others printed).
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")
local fs = require("a0lua.core.fs")

local DOC = "docs/scripting.md"
local STATE = "tests/fixtures/scripting/obo_state.json"
local TENANT = "tests/fixtures/scripting/docs_tenant.yaml"

-- { files = {name = text}, transcripts = { {input =, output =}, ... }, blocks = n }
local function examples()
  local f = assert(io.open(DOC, "rb"))
  local text = f:read("a")
  f:close()
  local out = { files = {}, transcripts = {}, blocks = 0 }
  for lang, body in text:gmatch("\n```(%w*)\n(.-)\n```") do
    if lang == "lua" then
      out.blocks = out.blocks + 1
      local name = assert(body:match("^%-%- file: (%S+)"), "a lua example without -- file:")
      out.files[name] = body .. "\n"
    elseif lang == "repl" then
      out.blocks = out.blocks + 1
      local input, output = {}, {}
      for line in (body .. "\n"):gmatch("(.-)\n") do
        local typed = line:match("^> (.*)$") or line:match("^>> (.*)$")
        if typed then input[#input + 1] = typed else output[#output + 1] = line end
      end
      out.transcripts[#out.transcripts + 1] = { input = table.concat(input, "\n") .. "\n",
        output = table.concat(output, "\n") .. "\n" }
    end
  end
  return out
end

describe("docs/scripting.md", function()
  local ex = examples()
  local emu, tmp, cfg, allow_delete

  before_each(function()
    emu = emulator.start{ args = { "--state", STATE } }
    tmp = run.temp_dir()
    for name, text in pairs(ex.files) do
      local dir = (tmp .. "/" .. name):match("^(.*)/[^/]*$")
      assert(fs.mkdir_p(dir))
      run.write_file(tmp .. "/" .. name, text)
    end
    local values = { AUTH0_DOMAIN = emu.url, AUTH0_CLIENT_ID = emu.client_id,
      AUTH0_CLIENT_SECRET = emu.client_secret }
    cfg = tmp .. "/cfg.json"
    run.write_file(cfg, assert(json.encode(values)))
    values.AUTH0_ALLOW_DELETE = true
    allow_delete = tmp .. "/allow_delete.json"
    run.write_file(allow_delete, assert(json.encode(values)))
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  local function a0lua(argv)
    local words = { "build/a0lua" }
    for _, a in ipairs(argv) do words[#words + 1] = a end
    return run.run(words)
  end

  local function writes()
    local n = 0
    for _, r in ipairs(emu:requests()) do
      if r.method ~= "GET" and r.path ~= "/oauth/token" then n = n + 1 end
    end
    return n
  end

  it("has only the examples this spec runs", function()
    local names = {}
    for name in pairs(ex.files) do names[#names + 1] = name end
    table.sort(names)
    assert.same({ "hooks.lua", "my-handlers/clients.lua", "my-handlers/log_streams.lua",
      "plan_guard.lua", "summary.lua" }, names)
    assert.equal(2, #ex.transcripts)
    assert.equal(7, ex.blocks)
  end)

  it("deploys with the handler examples and the hooks example", function()
    local status, out, err = a0lua({ "import", "-c", cfg, "-i", TENANT, "--env=false",
      "--handlers", tmp .. "/my-handlers", "--hooks", tmp .. "/hooks.lua" })
    assert.equal(0, status, out .. err)
    assert.matches("3 changes applied to 127.0.0.1:" .. emu.port, err, 1, true)
    local client
    for _, c in ipairs(assert(emu:get("/clients")).json) do
      if c.name == "Docs Client" then client = c end
    end
    assert.same({ deployed_by = "a0lua" }, client.client_metadata)
    assert.equal("Docs Role (deployed by a0lua)", assert(emu:get("/roles")).json[1].description)
    assert.equal("Docs Stream", assert(emu:get("/log-streams")).json[1].name)
  end)

  it("vetoes a client delete with the hooks example, writing nothing", function()
    local status, out, err = a0lua({ "import", "-c", allow_delete, "-i", TENANT, "--env=false",
      "--handlers", tmp .. "/my-handlers", "--hooks", tmp .. "/hooks.lua" })
    assert.equal(1, status, out)
    assert.matches(tmp .. "/hooks.lua:7: hook before (delete clients Both Kinds) vetoed: "
      .. "clients are never deleted by a deploy: Both Kinds", err, 1, true)
    assert.equal(0, writes())
  end)

  it("stops a plan with too many deletes with the table-form hooks example", function()
    local status, _, err = a0lua({ "plan", "-c", allow_delete, "-i", TENANT, "--env=false",
      "--handlers", tmp .. "/my-handlers", "--hooks", tmp .. "/plan_guard.lua" })
    assert.equal(1, status)
    assert.matches(tmp .. "/plan_guard.lua:10: hook plan vetoed: 7 deletes in one plan: "
      .. "review them first", err, 1, true)
  end)

  it("runs the recipe example", function()
    local status, out, err = a0lua({ "run", tmp .. "/summary.lua", TENANT, cfg })
    assert.equal(2, status, out .. err)
    assert.equal("clients    +1 ~0 -0\nlogStreams +1 ~0 -0\nroles      +1 ~0 -0\n", out)
  end)

  it("prints what the REPL transcripts show", function()
    for i, t in ipairs(ex.transcripts) do
      local input = tmp .. "/transcript" .. i
      run.write_file(input, t.input)
      local cmd = ("build/a0lua repl -c %s < %s 2>&1"):format(run.quote(cfg), run.quote(input))
      local status, out = run.run({ "sh", "-c", cmd })
      assert.equal(t.output, out)
      assert.equal(t.output:find("\nerror: ") and 1 or 0, status)
    end
  end)
end)
