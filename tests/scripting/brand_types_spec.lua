-- branding and themes in the scripting surfaces, which come from the handler registry: a REPL
-- collection (themes) and singleton (branding), a user handler replacing the built-in one, and
-- `before` / `after` hooks limited to the type.
local apply = require("a0lua.apply")
local env = require("fixtures.handlers.env")
local handlers = require("a0lua.handlers")
local hooks = require("a0lua.hooks")
local json = require("a0lua.core.json")
local plan = require("a0lua.plan")
local repl = require("a0lua.repl")
local run = require("helpers.run")
local theme = require("fixtures.handlers.theme")

local function quiet()
  return { write = function(self) return self end, flush = function() end }
end

local function editor()
  return { readline = function() return nil end, isatty = function() return false end,
    add_history = function() end, save_history = function() return true end,
    load_history = function() return nil end, set_completer = function() end }
end

describe("branding and themes in scripting", function()
  it("are a singleton and a collection of the REPL's tenant", function()
    local t = { handlers = handlers.load{ paths = { "handlers" } }, config = { host = "x" },
      ctx = { current = {} }, api = {} }
    function t.fetch(_, type_name)
      if type_name == "branding" then
        return { logo_url = "https://example.com/l.png", templates = json.array() }
      end
      if type_name == "themes" then
        return json.array{ { themeId = "th_1", displayName = "Brand" } }
      end
      return json.array()
    end
    function t.run(_, fn, ...) return fn(...) end
    function t.close() end
    local s = repl.new{ tenant = t, editor = editor(), out = quiet(), err = quiet() }
    assert.equal(repl.Collection, getmetatable(s.env.tenant.themes))
    assert.equal("th_1", s.env.tenant.themes["Brand"].themeId)
    assert.equal("https://example.com/l.png", s.env.tenant.branding.logo_url)
  end)

  it("are replaced by a user's handler built from the built-in one", function()
    local dir = run.temp_dir()
    run.write_file(dir .. "/themes.lua", 'local h = require("a0lua.handlers").base("themes")\n'
      .. 'h.strip_export = { "displayName" }\nreturn h\n')
    local registry = assert(handlers.load{ config = { handlers_path = { dir } } })
    run.remove_tree(dir)
    assert.same({ "displayName" }, registry:get("themes").strip_export)
    assert.equal("/branding/themes", registry:get("themes").path)
    assert.equal("/branding", registry:get("branding").path)
  end)

  it("meet the before and after hooks of their type, which may change the payload", function()
    local ctx = env.ctx{ routes = {
      ["GET /branding"] = { logo_url = "https://example.com/old.png" },
      ["GET /prompts"] = { identifier_first = true },
      ["GET /branding/themes/default"] = require("fixtures.handlers.fake_api").fail(404, "no"),
    } }
    local r = hooks.new()
    local seen = {}
    r:on("before", "themes", function(change)
      seen[#seen + 1] = "before themes " .. change.op
      local payload = change.payload
      payload.displayName = "Hooked"
      return payload
    end)
    r:on("after", "branding", function(change) seen[#seen + 1] = "after branding " .. change.op end)
    ctx.hooks = r
    local desired = { branding = { logo_url = "https://example.com/new.png" },
      themes = json.array{ theme.new() } }
    ctx.desired = desired
    local p = assert(plan.compute(ctx, desired))
    assert(apply.run(ctx, p))
    table.sort(seen)
    assert.same({ "after branding update", "before themes create" }, seen)
    assert.equal("Hooked", env.bodies(ctx.api, "POST", "/branding/themes")[1].displayName)
  end)
end)
