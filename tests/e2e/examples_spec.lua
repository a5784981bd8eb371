-- a0deploy's own examples (../shared/fixtures/deploy-cli/examples) load, validate and deploy,
-- limited to the types this engine has handlers for (AUTH0_INCLUDED_ONLY), with the keyword
-- mappings of their config.json.example; a second import of them makes no write request.
local emulator = require "helpers.emulator"
local run = require "helpers.run"
local shared = require "helpers.shared"
local json = require "a0lua.core.json"

local TYPES = { "tenant", "clients", "resourceServers", "clientGrants", "connections", "databases",
  "roles", "organizations", "emailProvider", "emailTemplates", "pages", "prompts", "actions",
  "triggers" }

local function writes(emu)
  local out = {}
  for _, r in ipairs(emu:requests()) do
    if r.method ~= "GET" and r.path:sub(1, 8) == "/api/v2/" then
      out[#out + 1] = r.method .. " " .. r.path
    end
  end
  return out
end

describe("a0deploy's examples", function()
  local root = shared.dir()
  local examples = root and root .. "/fixtures/deploy-cli/examples"
  if not examples or not io.open(examples .. "/yaml/tenant.yaml") then
    pending(shared.MISSING)
    return
  end

  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  -- config.json.example with this run's emulator and the engine's types.
  local function config_file()
    local cfg = assert(json.decode(shared.read(examples .. "/yaml/config.json.example")))
    cfg.AUTH0_DOMAIN = emu.url
    cfg.AUTH0_CLIENT_ID = emu.client_id
    cfg.AUTH0_CLIENT_SECRET = emu.client_secret
    cfg.AUTH0_INCLUDED_ONLY = json.array(TYPES)
    cfg.AUTH0_EXCLUDED_RULES = nil
    local path = tmp .. "/config.json"
    run.write_file(path, assert(json.encode(cfg)))
    return path
  end

  local function a0lua(argv)
    local words = { "build/a0lua" }
    for _, a in ipairs(argv) do words[#words + 1] = a end
    return run.run(words, { env = { NO_COLOR = "1" } })
  end

  for _, format in ipairs({ "yaml", "directory" }) do
    local input = examples .. "/" .. format .. (format == "yaml" and "/tenant.yaml" or "")
    if io.open(format == "yaml" and input or (input .. "/tenant.json")) then
      it("loads and validates the " .. format .. " example", function()
        local status, out, err = a0lua({ "validate", "-c", config_file(), "-i", input,
          "--env=false" })
        assert.equal(0, status, out .. err)
        assert.matches("valid", out)
      end)

      it("deploys the " .. format .. " example, then finds nothing to change", function()
        local cfg = config_file()
        if format == "directory" then
          -- The directory example's grant is for "My M2M", a client it does not define: it
          -- expects that client on the tenant already.
          local res = assert(emu:post("/clients", { name = "My M2M",
            app_type = "non_interactive" }))
          assert.equal(201, res.status)
        end
        local status, out, err = a0lua({ "import", "-c", cfg, "-i", input, "--env=false" })
        assert.equal(0, status, out .. err)
        assert.matches("Applied:", out)
        emu:clear_requests()
        status, out, err = a0lua({ "import", "-c", cfg, "-i", input, "--env=false" })
        assert.equal(0, status, out .. err)
        assert.same({}, writes(emu))
      end)
    end
  end
end)
