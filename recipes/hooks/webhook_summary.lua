--[[
recipes/hooks/webhook_summary.lua: a summary of every run, posted as JSON to a webhook.

  A0LUA_WEBHOOK_URL=https://hooks.example.com/deploys \
    a0lua import -i tenant.yaml --hooks recipes/hooks/webhook_summary.lua

After a run (`done`): { ok = true, tenant =, dry_run =, created =, updated =, deleted =,
skipped =, types = { [type] = {created =, updated =, deleted =, skipped =} } }; a dry run or a
plan counts what the plan would do. After a failure (`error`): { ok = false, tenant =,
error = message }. Nothing secret is sent: counts, type names and the error's message. Without
A0LUA_WEBHOOK_URL the hook does nothing. A webhook that cannot be reached, or answers with an
error status, is a warning: the deploy's outcome stays what it was.
]]
local hooks = require("a0lua.hooks")
local http = require("a0lua.core.http")
local json = require("a0lua.core.json")

local TIMEOUT_MS = 10000

local function post(body)
  local url = os.getenv("A0LUA_WEBHOOK_URL")
  if not url or url == "" then return end
  local session <close> = http.session{}
  local id = session:submit{ method = "POST", url = url, timeout_ms = TIMEOUT_MS,
    headers = { ["Content-Type"] = "application/json" }, body = assert(json.encode(body)) }
  while true do
    for _, c in ipairs(session:poll(1000)) do
      if c.id == id then
        if c.err then return nil, "webhook: " .. tostring(c.err.message) end
        if c.status >= 300 then return nil, ("webhook: %s answered %d"):format(url, c.status) end
        return
      end
    end
  end
end

local function tenant_of(ctx)
  local cfg = ctx and ctx.config or {}
  return cfg.host or cfg.AUTH0_DOMAIN
end

local PAST = { create = "created", update = "updated", delete = "deleted", skip = "skipped" }

hooks.on("done", function(report, ctx)
  local types = {}
  local total = { created = 0, updated = 0, deleted = 0, skipped = 0 }
  local function add(t, what, n)
    types[t] = types[t] or { created = 0, updated = 0, deleted = 0, skipped = 0 }
    types[t][what] = types[t][what] + n
    total[what] = total[what] + n
  end
  if report.dry_run and report.plan then
    for t, s in pairs(report.plan:summary()) do
      for op, n in pairs(s) do add(t, PAST[op], n) end
    end
  else
    for t, s in pairs(report.types or {}) do
      for what, n in pairs(s) do add(t, what, n) end
    end
  end
  return post({ ok = true, tenant = tenant_of(ctx), dry_run = report.dry_run and true or false,
    created = total.created, updated = total.updated, deleted = total.deleted,
    skipped = total.skipped, types = types })
end)

hooks.on("error", function(err, ctx)
  local message = type(err) == "table" and (err.message or tostring(err)) or tostring(err)
  return post({ ok = false, tenant = tenant_of(ctx), error = tostring(message) })
end)
