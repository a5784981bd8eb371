-- handlers/custom_domains.lua: the tenant's custom domains (a0deploy type `customDomains`),
-- docs/handlers.md §customDomains.
-- A domain's name, type and verification method are fixed once it exists (the PATCH body takes
-- only custom_client_ip_header, domain_metadata, relying_party_identifier and tls_policy); the
-- default domain is set by a request of its own, PATCH /custom-domains/default.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local Base = handler.Base

local SCHEMA = {
  type = "object",
  required = { "domain", "type" },
  properties = {
    custom_domain_id = { type = "string" },
    -- a0deploy's enum: the API's also has x-azure-clientip and "", which a0deploy refuses
    custom_client_ip_header = {
      type = { "string", "null" },
      enum = { "true-client-ip", "cf-connecting-ip", "x-forwarded-for", json.null },
    },
    domain = { type = "string" },
    primary = { type = "boolean" },
    status = { type = "string" },
    type = { type = "string", enum = { "auth0_managed_certs", "self_managed_certs" } },
    verification = { type = "object" },
    tls_policy = { type = "string" },
    domain_metadata = { type = "object", maxProperties = 10 },
    verification_method = { type = "string" },
    relying_party_identifier = { type = "string" },
    is_default = { type = "boolean" },
  },
}

-- What the API answers and never takes in a body (also never compared).
local READ_ONLY = { "status", "primary", "verification", "certificate", "created_at",
  "updated_at" }

local function with(list, ...)
  local out = {}
  for _, v in ipairs(list) do out[#out + 1] = v end
  for _, v in ipairs({ ... }) do out[#out + 1] = v end
  return out
end

local M = {
  type = "customDomains",
  path = "/custom-domains",
  id = "custom_domain_id",
  identifiers = { "custom_domain_id", "domain" },
  name_field = "domain",
  list = { paging = "checkpoint", key = "custom_domains" },
  schema = SCHEMA,
  -- is_default is taken out by M.create (a request of its own)
  strip_create = READ_ONLY,
  -- Fixed once created: a changed type or verification method is not sent (as in a0deploy);
  -- is_default is compared by M.diff and sent by M.update.
  strip_update = with(READ_ONLY, "type", "domain", "verification_method", "custom_domain_id",
    "is_default"),
}

local DENIED = "The account is not allowed to perform this operation"

-- A tenant whose plan has no custom domains answers 403 with DENIED: nothing to read.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil and type(err) == "table" and err.status == 403
      and tostring(err.message or ""):find(DENIED, 1, true) then
    return nil, { code = "fetch", type = self.type, status = 403,
      message = "customDomains: the tenant's plan has no custom domains (exclude the type: "
        .. "AUTH0_EXCLUDED)" }
  end
  return list, err
end

-- At most one default domain.
function M.validate(_, _, items, report)
  local first
  for i, d in handler.items(items) do
    if d.is_default == true then
      if first then
        report(i, "is_default", ("only one custom domain can be the default (is_default: "
          .. "true), and %s already is"):format(tostring(first)))
      else
        first = d.domain
      end
    end
  end
end

local warn = handler.warn

-- The deprecated fields are named once per run, as a0deploy does.
function M.resolve(_, ctx, desired)
  local primary, method = false, false
  for _, d in handler.items(desired) do
    primary = primary or (d.primary ~= nil and d.primary ~= json.null)
    method = method or d.verification_method ~= nil
  end
  if primary then
    warn(ctx, 'customDomains: the "primary" field is deprecated and is never sent')
  end
  if method then
    warn(ctx, 'customDomains: the "verification_method" field is deprecated')
  end
  return desired
end

-- is_default counts only when the files make a domain the default that is not: the API has no
-- way to unset the default but setting another.
function M.diff(self, ctx, desired, current)
  local payload, diffs = Base.diff(self, ctx, desired, current)
  if desired.is_default == true and (current or {}).is_default ~= true then
    payload, diffs = handler.add_change(payload, diffs, "is_default", true,
      (current or {}).is_default)
  end
  return payload, diffs
end

local function set_default(ctx, domain)
  return handler.send(ctx, "PATCH", "/custom-domains/default",
    { body = { domain = domain }, idempotent = true })
end

function M.create(self, ctx, payload)
  local created, err = Base.create(self, ctx, handler.strip(payload, { "is_default" }))
  if created == nil then return nil, err end
  if payload.is_default == true then
    local _, derr = set_default(ctx, payload.domain)
    if derr then return nil, derr end
    if type(created) == "table" then created.is_default = true end
  end
  return created
end

function M.update(self, ctx, current, payload)
  local body = handler.strip(payload, self.strip_update)
  local updated = current
  if next(body) ~= nil then
    local err
    updated, err = Base.update(self, ctx, current, body)
    if updated == nil then return nil, err end
  end
  if payload.is_default == true then
    local _, derr = set_default(ctx, current.domain)
    if derr then return nil, derr end
  end
  return updated
end

return M
