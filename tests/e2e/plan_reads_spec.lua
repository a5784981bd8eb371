-- What a plan reads from the tenant (the emulator's request log): each type once, and of prompts,
-- email templates and trigger bindings only what the file sets; an export or a fetch afterwards
-- reads them whole.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local json = require("a0lua.core.json")

local A = json.array

local function count(emu, method, pattern, query)
  local n = 0
  for _, r in ipairs(emu:requests()) do
    local q = r.query or {}
    if r.method == method and (r.path or ""):gsub("^/api/v2", ""):match(pattern)
        and (query == nil or query(q)) then
      n = n + 1
    end
  end
  return n
end

local function desired()
  return {
    emailTemplates = A{ { template = "welcome_email", body = "<p>hi</p>", enabled = true,
      from = "a@example.com", subject = "Hi", syntax = "liquid" } },
    prompts = { universal_login_experience = "new",
      customText = { en = { login = { login = { title = "Welcome" } } } } },
    triggers = { ["post-login"] = A{} },
    connections = A{ { name = "github", strategy = "github", enabled_clients = A{} } },
  }
end

describe("a plan's reads", function()
  local emu, tenant, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
    tenant = emu:tenant()
    emu:clear_requests()
  end)
  after_each(function()
    if tenant then tenant:close() end
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("reads only the templates, custom texts and bindings the file sets", function()
    local p = assert(tenant:plan(desired()))
    assert.equal(1, count(emu, "GET", "^/email%-templates/"))
    assert.equal(1, count(emu, "GET", "^/prompts/[^/]+/custom%-text/"))
    assert.equal(0, count(emu, "GET", "^/prompts/[^/]+/partials"))
    assert.equal(0, count(emu, "GET", "^/prompts/rendering"))
    assert.equal(1, count(emu, "GET", "^/actions/triggers/[^/]+/bindings"))
    -- the template is new to the tenant; the text and the empty post-login list change nothing
    -- the diff could not see
    assert.equal(1, p:summary().emailTemplates.create)
    assert.equal(1, p:summary().prompts.update)
  end)

  it("reads each type once, however many parts of the plan need it", function()
    assert(emu:post("/connections", { name = "google", strategy = "google-oauth2" }))
    local d = desired()
    -- organizations refer to connections: the reference check needs them too
    d.organizations = A{ { name = "acme", display_name = "Acme",
      connections = A{ { name = "google", assign_membership_on_login = false } } } }
    d.databases = A{ { name = "Username-Password-Authentication", strategy = "auth0" } }
    emu:clear_requests()
    assert(tenant:plan(d))
    -- (the databases handler reads the list of strategy auth0 on its own, as a0deploy does)
    local function unfiltered(q) return not q.strategy end
    local lists = count(emu, "GET", "^/connections$", unfiltered)
    local enabled = count(emu, "GET", "^/connections/[^/]+/clients$")
    local connections = #assert(emu:get("/connections")).json
    assert.equal(1, lists)
    assert.equal(connections, enabled)
  end)

  it("reads everything for an export and a fetch after a plan", function()
    assert(tenant:plan(desired()))
    emu:clear_requests()
    local templates = assert(tenant:fetch("emailTemplates"))
    assert.equal(13, count(emu, "GET", "^/email%-templates/"))
    assert.is_true(json.is_array(templates))
    emu:clear_requests()
    assert(tenant:plan(desired()))
    emu:clear_requests()
    assert(tenant:export(tmp, { format = "yaml" }))
    assert.equal(13, count(emu, "GET", "^/email%-templates/"))
    assert.is_true(count(emu, "GET", "^/prompts/[^/]+/custom%-text/") > 1)
    assert.equal(1, count(emu, "GET", "^/prompts/rendering"))
  end)
end)
