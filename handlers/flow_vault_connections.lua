-- handlers/flow_vault_connections.lua: the vault connections of Forms' flows (a0deploy type
-- `flowVaultConnections`), docs/handlers.md §flowVaultConnections. Flows name them in their
-- actions' `connection_id` (handlers/flows.lua). `setup` holds the connection's credentials (API
-- keys, tokens, OAuth secrets): the API never returns it, so it is never compared nor exported,
-- is sent only with a write that happens anyway, and is masked in everything logged.
local handler = require("a0lua.handler")
local util = require("a0lua.util")

-- The API's app ids (FlowsVaultConnectionAppId*Enum; a0deploy's CONNECTION_APP_ID).
local APP_IDS = { "ACTIVECAMPAIGN", "AIRTABLE", "AUTH0", "BIGQUERY", "CLEARBIT", "DOCUSIGN",
  "GOOGLE_SHEETS", "HTTP", "HUBSPOT", "JWT", "MAILCHIMP", "MAILJET", "PIPEDRIVE", "SALESFORCE",
  "SENDGRID", "SLACK", "STRIPE", "TELEGRAM", "TWILIO", "WHATSAPP", "ZAPIER" }

local SCHEMA = handler.named_schema{
  required = { "name", "app_id" },
  properties = {
    name = handler.bounded_name_schema(150),
    app_id = { type = "string", enum = APP_IDS },
    environment = { type = "string" },
    setup = { type = "object" },
    account_name = { type = "string" },
    ready = { type = "boolean" },
  },
}

local M = {
  type = "flowVaultConnections",
  path = "/flows/vault/connections",
  list = { paging = "offset", key = "connections" },
  schema = SCHEMA,
  -- Set by the API: never sent, compared or exported.
  read_only = { "fingerprint", "created_at", "updated_at", "refreshed_at" },
  -- The API's too, but exported: never sent, never compared.
  strip_create = { "environment", "account_name", "ready" },
  -- setup is write-only, app_id fixed once created (UpdateFlowsVaultConnectionRequestContent
  -- takes only name and setup).
  strip_update = { "setup", "app_id", "environment", "account_name", "ready" },
}

local present = util.present

local function has_setup(item)
  return type(item.setup) == "table" and next(item.setup) ~= nil
end

local warn = handler.warn

-- Every string of a setup but its `type` (API_KEY, OAUTH_APP, ...) is a credential or as good as
-- one: masked in what a0lua logs.
local function hide(ctx, v, key)
  if type(v) == "string" then
    if key ~= "type" and v ~= "" then handler.mask_secret(ctx, v) end
  elseif type(v) == "table" then
    for k, x in pairs(v) do hide(ctx, x, k) end
  end
end

M.resolve = handler.resolve_each(function(ctx, item)
  hide(ctx, item.setup)
end)

-- Only the name can differ in a way the API changes; a different app is a warning (delete the
-- connection to make it again). A matching connection sends nothing, whatever its setup: a
-- changed credential alone is not seen (docs/compat.md).
function M.diff(self, ctx, desired, current)
  current = current or {}
  if present(desired.app_id) and present(current.app_id) and desired.app_id ~= current.app_id then
    warn(ctx, ("flowVaultConnections: %s: app_id %s on the tenant, %s in the files; the API "
      .. "cannot change it (delete the connection to create it again)"):format(
      tostring(desired.name), tostring(current.app_id), tostring(desired.app_id)))
  end
  local payload, diffs = handler.Base.diff(self, ctx, desired, current)
  if payload == nil then return nil end
  if has_setup(desired) then
    payload.setup = handler.deep_copy(desired.setup)
    diffs[#diffs + 1] = { path = "setup", to = "(write-only: sent with this change)" }
  end
  return payload, diffs
end

-- A create carries {name, app_id, setup?} (the API's create bodies take nothing else: one
-- without setup makes an uninitialised connection); an update {name, setup?}.
function M.write_request(self, _, op, payload, current)
  local body = { name = payload.name }
  if has_setup(payload) then body.setup = payload.setup end
  if op == "create" then
    body.app_id = payload.app_id
    return "POST", self.path, body
  end
  if current == nil or not present(current.id) or body.name == nil then return nil end
  return "PATCH", handler.item_path(self, current.id), body
end

M.create = handler.create_own_named

M.update = handler.update_own

-- The tenant never shows setup: an export cannot keep it (as a0deploy warns, once per run).
function M.export(_, ctx, item)
  if not ctx.vault_setup_warned then
    ctx.vault_setup_warned = true
    warn(ctx, "flowVaultConnections: `setup` is write-only: the export does not hold the "
      .. "connections' credentials (add them to the files, or through keyword replacement)")
  end
  return item
end

return M
