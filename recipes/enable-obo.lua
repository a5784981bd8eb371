--[[
recipes/enable-obo.lua: let the named clients use On-Behalf-Of token exchange.

  a0lua run enable-obo [-c config.json] [--dry-run | --yes] "Client A" ["Client B" ...]

For each named client (by name or client_id) "on_behalf_of_token_exchange" is added to
token_exchange.allow_any_profile_of_type (what is there already is kept). The plan is shown
first: only these updates, nothing else of the tenant is touched (deletes are never planned).
Then, on a terminal, it asks before applying; --yes applies without asking, --dry-run only shows.
Piped without --yes, nothing is applied.

Exit status: 0 applied (or nothing to do, or a dry run), 1 an error (a name that is no client,
the API), 3 not applied (the question answered no, or no terminal to ask on).
]]
local a0lua = require("a0lua")
local json = require("a0lua.core.json")
local plan_mod = require("a0lua.plan")
local run = require("a0lua.commands.run")

local OBO = "on_behalf_of_token_exchange"
local USAGE = "a0lua run enable-obo [-c config.json] [--dry-run | --yes] CLIENT..."

local specs = run.options("config_file", "env", "handlers", "hooks", "debug", "ca_file",
  "proxy_url")
specs[#specs + 1] = run.option("dry_run", "boolean")
specs[#specs + 1] = run.option("yes", "boolean", { short = "y" })

local parsed = run.parse({ ... }, specs, USAGE)
local names = parsed.positional
if #names == 0 then error("enable-obo: name at least one client\nusage: " .. USAGE, 0) end
local cfg, log = run.config(parsed)
-- Only the named clients are in the desired state: the others must never become deletes.
cfg.AUTH0_ALLOW_DELETE = false

local tenant = assert(a0lua.connect(cfg, { log = log }))

local function main()
  local clients = assert(tenant:fetch("clients"))
  local by_key = {}
  for _, c in ipairs(clients) do
    by_key[c.name] = by_key[c.name] or c
    by_key[c.client_id] = c
  end
  local wanted = json.array()
  local missing = {}
  for _, name in ipairs(names) do
    local c = by_key[name]
    if not c then
      missing[#missing + 1] = ("%q"):format(name)
    else
      local types = json.array()
      local te = type(c.token_exchange) == "table" and c.token_exchange or {}
      for _, t in ipairs(type(te.allow_any_profile_of_type) == "table"
          and te.allow_any_profile_of_type or {}) do
        if t ~= OBO then types[#types + 1] = t end
      end
      types[#types + 1] = OBO
      wanted[#wanted + 1] = { client_id = c.client_id, name = c.name,
        token_exchange = { allow_any_profile_of_type = types } }
    end
  end
  if #missing > 0 then
    error(("enable-obo: no client named %s on %s"):format(table.concat(missing, ", "),
      tostring(cfg.host)), 0)
  end

  local full = assert(tenant:plan({ clients = wanted }))
  local updates = {}
  for _, c in ipairs(full:changes()) do
    if c.op == "update" then updates[#updates + 1] = c end
  end
  local plan = plan_mod.new{ changes = updates, warnings = full.warnings }
  plan.types = { "clients" }
  io.stdout:write(plan:render{ color = false })
  if not plan:has_changes() then
    io.stdout:write("nothing to do: every client named already allows On-Behalf-Of\n")
    return 0
  end
  if parsed.dry_run then return 0 end
  if not parsed.yes then
    local repl_ok, editor = pcall(require, "a0lua.core.repl")
    if not (repl_ok and editor.isatty()) then
      io.stdout:write("not applied: give --yes to apply without a terminal to ask on\n")
      return 3
    end
    io.stdout:write("Apply these changes? [y/N] ")
    io.stdout:flush()
    local answer = io.stdin:read("l")
    if not (answer and answer:lower():match("^%s*y")) then
      io.stdout:write("not applied\n")
      return 3
    end
  end
  local report, err = tenant:apply(plan)
  if not report then error(err, 0) end
  io.stdout:write(require("a0lua.apply").render(report))
  return 0
end

local ok, status = pcall(main)
tenant:close()
if not ok then error(status, 0) end
return status
