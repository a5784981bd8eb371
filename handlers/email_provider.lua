-- handlers/email_provider.lua: the email provider singleton (a0deploy type `emailProvider`),
-- docs/handlers.md §emailProvider.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null

-- The credential fields the API shows when read; the others (keys, passwords) are write-only.
local READABLE_SET = { api_user = true, region = true, smtp_host = true, smtp_port = true,
  smtp_user = true }

-- The placeholders an export writes for each provider's credentials (docs/formats.md §5.3).
local PLACEHOLDERS = {
  smtp = { smtp_host = "##SMTP_HOSTNAME##", smtp_port = "##SMTP_PORT##",
    smtp_user = "##SMTP_USER##", smtp_pass = "##SMTP_PASS##" },
  mailgun = { api_key = "##MAILGUN_API_KEY##" },
  mandrill = { api_key = "##MANDRILL_API_KEY##" },
  sendgrid = { api_key = "##SENDGRID_API_KEY##" },
  sparkpost = { api_key = "##SPARKPOST_API_KEY##" },
  ses = { accessKeyId = "##SES_ACCESS_KEY_ID##", secretAccessKey = "##SES_ACCESS_SECRET_KEY##",
    region = "##SES_AWS_REGION##" },
  azure_cs = { connectionString = "##AZURE_CS_CONNECTION_KEY##" },
  ms365 = { tenantId = "##MS365_TENANT_ID##", clientId = "##MS365_CLIENT_ID##",
    clientSecret = "##MS365_CLIENT_SECRET##" },
}
-- Always the placeholder, even when the tenant shows a value.
local ALWAYS = { smtp_user = true }

local M = {
  type = "emailProvider",
  kind = "singleton",
  path = "/emails/provider",
  schema = { type = "object" },
}

M.PLACEHOLDERS = PLACEHOLDERS

local sorted_keys = util.sorted_keys

local function exists(current)
  return type(current) == "table" and current.name ~= nil and current.name ~= NULL
end

-- 404 means no provider: {}.
function M.fetch(self, ctx)
  local body, err = ctx.api:request("GET", self.path, { query = {
    fields = "name,enabled,credentials,settings,default_from_address", include_fields = true } })
  if body == nil then
    if type(err) == "table" and (err.code == "api_not_found" or err.status == 404) then
      return {}
    end
    return nil, err
  end
  return body
end

-- The tenant never shows the write-only credentials (keys, passwords), so they cannot be
-- compared: credentials compare on the fields the tenant shows, and the write-only ones are sent
-- only along with a write that happens anyway (something else differs), never alone; an
-- unchanged provider makes no request (a changed secret alone is not detected: docs/compat.md).
-- Without a provider on the tenant, everything is sent (a create).
function M.diff(_, _, desired, current)
  current = current or {}
  local payload, diffs = nil, {}
  local function add(k, path, from, to)
    payload = payload or {}
    payload[k] = handler.deep_copy(desired[k])
    diffs[#diffs + 1] = { path = path, from = from, to = to }
  end
  local keys = {}
  for k in pairs(desired) do keys[#keys + 1] = k end
  table.sort(keys)
  local secrets = {}
  for _, k in ipairs(keys) do
    local dv, cv = desired[k], current[k]
    if not exists(current) then
      add(k, k, nil, dv)
    elseif k == "credentials" and type(dv) == "table" and dv ~= NULL then
      local have = type(cv) == "table" and cv or {}
      local differs = false
      for _, f in ipairs(sorted_keys(dv)) do
        if READABLE_SET[f] then
          if not handler.matches(dv[f], have[f]) then
            differs = true
            diffs[#diffs + 1] = { path = k .. "." .. f, from = have[f], to = dv[f] }
          end
        elseif dv[f] ~= nil and dv[f] ~= NULL then
          secrets[#secrets + 1] = k .. "." .. f
        end
      end
      if differs then
        payload = payload or {}
        payload[k] = handler.deep_copy(dv)
      end
    elseif not handler.matches(dv, cv) then
      add(k, k, cv, dv)
    end
  end
  if payload == nil then return nil end
  -- A write happens: the credentials go whole, write-only secrets included (a rotated key
  -- reaches the tenant with the change).
  if exists(current) and payload.credentials == nil and #secrets > 0 then
    payload.credentials = handler.deep_copy(desired.credentials)
  end
  if exists(current) then
    for _, path in ipairs(secrets) do
      diffs[#diffs + 1] = { path = path, from = nil, to = "(write-only: sent with this change)" }
    end
  end
  return payload, diffs
end

-- PATCH the provider when the tenant has one, else POST it.
function M.write_request(self, _, op, payload, current)
  local method = op == "update" and exists(current) and "PATCH" or "POST"
  return method, self.path, payload
end

function M.update(self, ctx, current, payload)
  local method, path, body = self:write_request(ctx, "update", payload, current)
  return ctx.api:request(method, path, { body = body, idempotent = true })
end

function M.create(self, ctx, payload)
  local method, path, body = self:write_request(ctx, "create", payload)
  return ctx.api:request(method, path, { body = body, idempotent = true })
end

-- Credentials become the provider's placeholders unless AUTH0_EXPORT_SECRETS, or
-- AUTH0_EXCLUDED_DEFAULTS lists emailProvider; values the tenant shows are kept (but smtp_user).
function M.export(_, ctx, item)
  local cfg = ctx.config or {}
  if cfg.AUTH0_EXPORT_SECRETS then return item end
  for _, d in ipairs(type(cfg.AUTH0_EXCLUDED_DEFAULTS) == "table" and cfg.AUTH0_EXCLUDED_DEFAULTS
    or {}) do
    if d == "emailProvider" then return item end
  end
  local names = PLACEHOLDERS[item.name]
  if not names then return item end
  local creds = type(item.credentials) == "table" and item.credentials ~= NULL
    and item.credentials or {}
  for field, placeholder in pairs(names) do
    if ALWAYS[field] or creds[field] == nil or creds[field] == NULL then
      creds[field] = placeholder
    end
  end
  item.credentials = creds
  return item
end

return M
