-- handlers/event_streams.lua: event streams (a0deploy type `eventStreams`),
-- docs/handlers.md §eventStreams.
-- A webhook's authorization secret (bearer token, basic password, custom header value) is
-- write-only: the API never returns it, so it is never compared, is sent only with a
-- destination that differs otherwise, and is exported as a0deploy's placeholder. An action
-- destination names its action by name in the files and by id on the tenant.
local handler = require("a0lua.handler")

local Base = handler.Base

local AWS_REGIONS = { "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
  "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
  "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
  "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
  "me-south-1", "mx-central-1", "sa-east-1", "us-gov-east-1", "us-gov-west-1", "us-east-1",
  "us-east-2", "us-west-1", "us-west-2" }

-- Each authorization method's write-only field and a0deploy's placeholder for it.
local SECRET_OF = {
  bearer = { field = "token", placeholder = "##EVENT_STREAM_WEBHOOK_BEARER_TOKEN##" },
  basic = { field = "password", placeholder = "##EVENT_STREAM_WEBHOOK_BASIC_AUTH_PASSWORD##" },
  custom_header = { field = "header_value",
    placeholder = "##EVENT_STREAM_WEBHOOK_HEADER_VALUE##" },
}
local SECRET_FIELDS = { "token", "password", "header_value" }

local SCHEMA = handler.named_schema{
  required = { "name", "destination" },
  properties = {
    name = handler.bounded_name_schema(128),
    status = { type = "string", enum = { "enabled", "disabled" } },
    subscriptions = handler.objects_schema({ event_type = { type = "string" } },
      { required = { "event_type" } }),
    destination = {
      type = "object",
      required = { "type", "configuration" },
      properties = {
        type = { type = "string", enum = { "webhook", "eventbridge", "action" } },
        configuration = {
          type = "object",
          properties = {
            webhook_endpoint = { type = "string" },
            webhook_authorization = {
              type = "object",
              required = { "method" },
              properties = {
                method = { type = "string", enum = { "basic", "bearer", "custom_header" } },
                username = { type = "string" },
                password = { type = "string" },
                token = { type = "string" },
                header_key = { type = "string" },
                header_value = { type = "string" },
              },
            },
            aws_account_id = { type = "string" },
            aws_region = { type = "string", enum = AWS_REGIONS },
            aws_partner_event_source = { type = "string" },
            action_id = { type = "string" },
          },
        },
      },
    },
  },
}

local M = {
  type = "eventStreams",
  path = "/event-streams",
  list = { paging = "checkpoint", key = "eventStreams", take = 50 },
  schema = SCHEMA,
  -- The partner event source is the API's (the source to accept in AWS).
  strip_create = { "destination.configuration.aws_partner_event_source" },
  strip_update = { "id" },
  read_only = { "created_at", "updated_at" },
  ignore_diff = { "created_at", "updated_at" },
}

local is_obj = handler.is_table

local function configuration_of(item)
  local d = is_obj(item) and item.destination
  local c = is_obj(d) and d.configuration
  return is_obj(c) and c or nil, is_obj(d) and d.type or nil
end

local function authorization_of(item)
  local c = configuration_of(item)
  local auth = c and c.webhook_authorization
  return is_obj(auth) and auth or nil
end

-- Action names become ids where the action exists (others stay, resolved when written, once
-- the actions of this run are made); the webhook secrets are masked in everything logged.
function M.resolve(_, ctx, desired)
  for _, item in ipairs(type(desired) == "table" and desired or {}) do
    local c, kind = configuration_of(item)
    if c and kind == "action" and type(c.action_id) == "string" then
      c.action_id = handler.action_id(ctx, c.action_id) or c.action_id
    end
    local auth = authorization_of(item)
    for _, f in ipairs(SECRET_FIELDS) do
      if auth then handler.mask_secret(ctx, auth[f]) end
    end
  end
  return desired
end

local function without_secrets(item)
  local copy = handler.deep_copy(item)
  local auth = authorization_of(copy)
  if auth then
    for _, f in ipairs(SECRET_FIELDS) do auth[f] = nil end
  end
  local c = configuration_of(copy)
  if c then c.aws_partner_event_source = nil end
  return copy
end

-- The destination compares without the webhook's secret; when it differs it is sent whole,
-- secret included (the API needs the authorization with the endpoint). An eventbridge
-- destination cannot change (no update body takes one): that difference stays in the payload,
-- so the plan's preflight refuses it with the file's line, where a0deploy drops it.
function M.diff(self, ctx, desired, current)
  local payload, diffs = Base.diff(self, ctx, without_secrets(desired), without_secrets(current))
  if payload == nil then return nil end
  if payload.destination ~= nil then
    payload.destination = handler.deep_copy(desired.destination)
    local c = configuration_of(payload)
    if c then c.aws_partner_event_source = nil end
    local auth = authorization_of(desired)
    local secret = auth and SECRET_OF[auth.method]
    if secret and auth[secret.field] ~= nil then
      diffs[#diffs + 1] = { path = "destination.configuration.webhook_authorization."
        .. secret.field, from = nil, to = "(write-only: sent with this change)" }
    end
  end
  return payload, diffs
end

-- The action a destination names must exist when the stream is written (a0deploy: an error).
local function fix_action(ctx, body, name)
  local c, kind = configuration_of(body)
  if not (c and kind == "action" and type(c.action_id) == "string") then return true end
  local id = handler.action_id(ctx, c.action_id, true)
  if id == nil then
    return nil, { code = "event_stream_action", message = ("eventStreams %s: "
      .. "destination.configuration.action_id: no action named %s on the tenant"):format(
        tostring(name), c.action_id) }
  end
  c.action_id = id
  return true
end

function M.write_request(self, ctx, op, payload, current)
  if op == "create" then
    return "POST", self.path, handler.strip(payload, self.strip_create)
  end
  return Base.write_request(self, ctx, op, payload, current)
end

function M.create(self, ctx, payload)
  local _, _, body = self:write_request(ctx, "create", payload)
  local ok, err = fix_action(ctx, body, payload.name)
  if not ok then return nil, err end
  return Base.create(self, ctx, body)
end

function M.update(self, ctx, current, payload)
  local body = handler.deep_copy(payload)
  local ok, err = fix_action(ctx, body, current.name)
  if not ok then return nil, err end
  return Base.update(self, ctx, current, body)
end

-- An action's id becomes its name; the webhook's secret becomes a0deploy's placeholder unless
-- AUTH0_EXPORT_SECRETS (the API never shows it).
function M.export(_, ctx, item)
  local c, kind = configuration_of(item)
  if c and kind == "action" and c.action_id ~= nil then
    c.action_id = handler.id_to_name(ctx, "actions", c.action_id) or c.action_id
  end
  local auth = authorization_of(item)
  local secret = auth and SECRET_OF[auth.method]
  local cfg = ctx.config or {}
  if secret and not cfg.AUTH0_EXPORT_SECRETS and (auth[secret.field] == nil
    or not handler.is_placeholder(auth[secret.field])) then
    auth[secret.field] = secret.placeholder
  end
  return item
end

return M
