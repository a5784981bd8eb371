-- Item parts (handler.parts) against the emulator: an organization is created from the start,
-- beside the types its sub-resources name, and each sub-resource goes once what it names exists.
local emulator = require("helpers.emulator")
local json = require("a0lua.core.json")
local tasks = require("a0lua.tasks")

local A = json.array

-- The position in the request log of the first request matching method and pattern.
local function first(requests, method, pattern)
  for i, r in ipairs(requests) do
    if r.method == method and r.path:gsub("^/api/v2", ""):match(pattern) then return i end
  end
  return nil
end

describe("apply with item parts", function()
  local emu, tenant
  before_each(function()
    emu = emulator.start()
    tenant = emu:tenant()
  end)
  after_each(function()
    if tenant then tenant:close() end
    if emu then emu:stop() end
  end)

  local function desired()
    return {
      clients = A{ { name = "Portal", app_type = "spa" } },
      connections = A{ { name = "gh", strategy = "github", enabled_clients = A{ "Portal" } } },
      organizations = A{ { name = "acme", display_name = "Acme",
        connections = A{ { name = "gh", assign_membership_on_login = false } } } },
    }
  end

  it("writes the parts of an organization and a connection once what they name exists",
      function()
    local p = assert(tenant:plan(desired()))
    -- the plan shows the connection the file creates, not an empty list
    for _, c in ipairs(p:changes()) do
      if c.type == "organizations" then assert.equal("gh", c.payload.connections[1].name) end
    end
    emu:clear_requests()
    local report = assert(tenant:apply(p))
    assert.equal(1, report.types.organizations.created)
    local log_ = emu:requests()
    local org, conn = first(log_, "POST", "^/organizations$"), first(log_, "POST", "^/connections$")
    local client = first(log_, "POST", "^/clients$")
    local link = first(log_, "POST", "^/organizations/[^/]+/connections$")
    local enable = first(log_, "PATCH", "^/connections/[^/]+/clients$")
    assert.is_true(org < link and conn < link, "the link goes once both exist")
    assert.is_true(client < enable, "the connection's clients once the client exists")
    local orgs = assert(emu:get("/organizations")).json
    local linked = assert(emu:get("/organizations/" .. orgs[1].id .. "/connections")).json
    assert.equal(1, #linked)
    -- and nothing is left to do
    assert.is_false(assert(tenant:plan(desired())):has_changes())
  end)

  it("creates organizations and connections without waiting for the clients", function()
    local d = desired()
    for i = 2, 12 do d.clients[i] = { name = "App " .. i, app_type = "spa" } end
    -- The last client's create is held until the organization's and the connection's creates
    -- have been answered: an apply that made either wait for the clients would never get there,
    -- and the hold gives up after 60 s (a bound on a hang, not a race to win).
    local sent = {}
    -- (busted keeps only the last function given to finally: one restores all three)
    local restore = {}
    finally(function() for _, undo in ipairs(restore) do undo() end end)
    local function note_create(type_name)
      local h = tenant.handlers:get(type_name)
      local create = h.create
      h.create = function(self, ctx, payload)
        local res, err = create(self, ctx, payload)
        sent[type_name] = true
        return res, err
      end
      restore[#restore + 1] = function() h.create = create end
    end
    note_create("organizations")
    note_create("connections")
    local clients = tenant.handlers:get("clients")
    local create_client = clients.create
    restore[#restore + 1] = function() clients.create = create_client end
    local held_for
    clients.create = function(self, ctx, payload)
      if payload.name == "App 12" then
        local deadline = tasks.now() + 60000
        while not (sent.organizations and sent.connections) and tasks.now() < deadline do
          tasks.sleep(5)
        end
        held_for = { organizations = sent.organizations, connections = sent.connections }
      end
      return create_client(self, ctx, payload)
    end
    local p = assert(tenant:plan(d))
    emu:clear_requests()
    assert(tenant:apply(p))
    assert.same({ organizations = true, connections = true }, held_for)
    local log_ = emu:requests()
    local last_client = 0
    for i, r in ipairs(log_) do
      if r.method == "POST" and r.path == "/api/v2/clients" then last_client = i end
    end
    assert.is_true(first(log_, "POST", "^/organizations$") < last_client)
    assert.is_true(first(log_, "POST", "^/connections$") < last_client)
  end)

  it("writes only the part that changed on an update", function()
    assert(tenant:apply(assert(tenant:plan(desired()))))
    local d = desired()
    d.organizations[1].connections[1].assign_membership_on_login = true
    local p = assert(tenant:plan(d))
    emu:clear_requests()
    assert(tenant:apply(p))
    local writes = {}
    for _, r in ipairs(emu:requests()) do
      if r.method ~= "GET" and r.path ~= "/oauth/token" then
        writes[#writes + 1] = r.method .. " " .. r.path:gsub("/org_[%w]+", "/{id}")
          :gsub("/con_[%w]+", "/{id}")
      end
    end
    assert.same({ "PATCH /api/v2/organizations/{id}/connections/{id}" }, writes)
  end)
end)
