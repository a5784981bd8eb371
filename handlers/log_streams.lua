-- handlers/log_streams.lua: log streams (a0deploy type `logStreams`), docs/handlers.md §logStreams.
-- The sink's credential is write-only: never compared, sent only with a sink that differs
-- otherwise, exported as a0deploy's placeholder unless AUTH0_EXPORT_SECRETS.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

local NULL = json.null
local Base = handler.Base

local TYPES = { "http", "eventbridge", "eventgrid", "datadog", "splunk", "sumo", "segment",
  "mixpanel" }

-- The credential of each sink type (a0deploy's list; exported as ##LOGSTREAMS_<TYPE>_SECRET##).
local SECRET_OF = { http = "httpAuthorization", splunk = "splunkToken", datadog = "datadogApiKey",
  mixpanel = "mixpanelServiceAccountPassword", segment = "segmentWriteKey" }
local SECRETS = { "httpAuthorization", "splunkToken", "datadogApiKey",
  "mixpanelServiceAccountPassword", "segmentWriteKey" }
-- What a0deploy writes for a credential exported with AUTH0_EXPORT_SECRETS after masking it at
-- load: never a value to send.
local NOT_SHOWN = "_VALUE_NOT_SHOWN_"
-- Set by the API when the stream is made (the partner source or topic to accept in AWS / Azure).
local SINK_READ_ONLY = { "awsPartnerEventSource", "azurePartnerTopic" }

local FILTER_NAMES = { "auth.login.fail", "auth.login.notification", "auth.login.success",
  "auth.logout.fail", "auth.logout.success", "auth.signup.fail", "auth.signup.success",
  "auth.silent_auth.fail", "auth.silent_auth.success", "auth.token_exchange.fail",
  "auth.token_exchange.success", "management.fail", "management.success", "scim.event",
  "system.notification", "user.fail", "user.notification", "user.success", "actions", "other" }

local SCHEMA = handler.named_schema{
  properties = {
    type = { type = "string", enum = TYPES },
    status = { type = "string", enum = { "active", "paused", "suspended" } },
    isPriority = { type = "boolean" },
    startFrom = { type = "string" },
    filters = handler.objects_schema({
      type = { type = "string", enum = { "category" } },
      name = { type = "string", enum = FILTER_NAMES },
    }),
    pii_config = {
      type = "object",
      required = { "log_fields" },
      properties = {
        log_fields = {
          type = "array",
          items = { type = "string",
            enum = { "first_name", "last_name", "username", "email", "phone", "address" } },
        },
        method = { type = "string", enum = { "mask", "hash" }, default = "hash" },
        algorithm = { type = "string", enum = { "xxhash" }, default = "xxhash" },
      },
    },
    sink = {
      type = "object",
      properties = {
        httpEndpoint = { type = "string" },
        httpContentType = { type = "string" },
        httpContentFormat = { type = "string", enum = { "JSONARRAY", "JSONLINES", "JSONOBJECT" } },
        httpAuthorization = { type = "string" },
        httpCustomHeaders = { type = "array" },
        datadogApiKey = { type = "string" },
        datadogRegion = { type = "string", enum = { "us", "eu", "us3", "us5" } },
        splunkDomain = { type = "string" },
        splunkPort = { type = "string" },
        splunkToken = { type = "string" },
        splunkSecure = { type = "boolean" },
        sumoSourceAddress = { type = "string" },
        segmentWriteKey = { type = "string" },
        mixpanelRegion = { type = "string", enum = { "us", "eu" } },
        mixpanelProjectId = { type = "string" },
        mixpanelServiceAccountUsername = { type = "string" },
        mixpanelServiceAccountPassword = { type = "string" },
        awsAccountId = { type = "string" },
        awsRegion = { type = "string" },
        awsPartnerEventSource = { type = "string" },
        azureSubscriptionId = { type = "string" },
        azureRegion = { type = "string" },
        azureResourceGroup = { type = "string" },
        azurePartnerTopic = { type = "string" },
      },
    },
  },
}

local M = {
  type = "logStreams",
  path = "/log-streams",
  list = { paging = "none" },
  schema = SCHEMA,
  -- The partner source / topic are the API's. (The status is left out of the create body by
  -- write_request, not here: create needs it to pause a paused stream once made.)
  strip_create = { "sink.awsPartnerEventSource", "sink.azurePartnerTopic" },
  -- startFrom is read at creation only.
  strip_update = { "id", "startFrom" },
  ignore_diff = { "startFrom" },
}

M.SECRETS = SECRETS

local is_obj = handler.is_table

-- A sink without its credentials and the API's own fields: what can be compared.
local NOT_COMPARED = {}
for _, f in ipairs(SECRETS) do NOT_COMPARED[#NOT_COMPARED + 1] = f end
for _, f in ipairs(SINK_READ_ONLY) do NOT_COMPARED[#NOT_COMPARED + 1] = f end

local function comparable_sink(sink)
  return handler.strip(sink, NOT_COMPARED)
end

-- Credentials a0deploy exported as _VALUE_NOT_SHOWN_ are no values: left out, as a placeholder
-- left after keyword replacement is. The others are masked in everything logged.
M.resolve = handler.resolve_each(function(ctx, item)
  local sink = item.sink
  if is_obj(sink) then
    for _, f in ipairs(SECRETS) do
      if sink[f] == NOT_SHOWN then
        sink[f] = nil
      else
        handler.mask_secret(ctx, sink[f])
      end
    end
  end
end)

-- The sink compares without its credential; when it differs it is sent whole, credential
-- included (the API's sink bodies require it for datadog, splunk and mixpanel). A differing
-- `type` (refused by update) or eventbridge / eventgrid sink (refused by the plan's preflight
-- with the file's line: no update body takes one) stays in the payload, where a0deploy drops it
-- without a word (docs/handlers.md §logStreams).
function M.diff(self, ctx, desired, current)
  current = current or {}
  local want = handler.deep_copy(desired)
  local sink = want.sink
  if is_obj(sink) then want.sink = comparable_sink(sink) end
  -- `suspended` is the API's doing: a file cannot set it (a0deploy drops it too).
  if want.status == "suspended" then want.status = nil end
  local have = handler.deep_copy(current)
  if is_obj(have.sink) then have.sink = comparable_sink(have.sink) end
  local payload, diffs = Base.diff(self, ctx, want, have)
  if payload == nil then return nil end
  if payload.sink ~= nil and is_obj(sink) then
    payload.sink = handler.strip(sink, SINK_READ_ONLY)
    local secret = SECRET_OF[desired.type or current.type]
    if secret and sink[secret] ~= nil then
      diffs[#diffs + 1] = { path = "sink." .. secret, from = nil,
        to = "(write-only: sent with this change)" }
    end
  end
  return payload, diffs
end

-- A create asks for `paused` with a PATCH once the stream exists (the create bodies take no
-- status).
function M.create(self, ctx, payload)
  local _, _, body = self:write_request(ctx, "create", payload)
  local created, err = Base.create(self, ctx, body)
  if created == nil then return nil, err end
  if payload.status == "paused" and created.status ~= "paused" and created.id then
    local updated, uerr = ctx.api:request("PATCH", handler.item_path(self, created.id),
      { body = { status = "paused" } })
    if updated == nil then return nil, uerr end
    return updated
  end
  return created
end

-- No update body takes a type: a stream of another sink type is another stream.
function M.update(self, ctx, current, payload)
  if payload.type ~= nil and payload.type ~= current.type then
    return nil, { code = "log_stream_type", message = ("logStreams %s: type: the sink type of a "
      .. "log stream cannot change (%s to %s); delete the stream (AUTH0_ALLOW_DELETE) and create "
      .. "it under another name"):format(tostring(current.name), tostring(current.type),
      tostring(payload.type)) }
  end
  return Base.update(self, ctx, current, payload)
end

function M.write_request(self, ctx, op, payload, current)
  if op == "create" then
    local body = handler.strip(payload, self.strip_create)
    body.status = nil
    return "POST", self.path, body
  end
  return Base.write_request(self, ctx, op, payload, current)
end

-- The credential becomes ##LOGSTREAMS_<TYPE>_SECRET## unless AUTH0_EXPORT_SECRETS; a status the
-- API set (suspended) is not written.
function M.export(_, ctx, item)
  if item.status == "suspended" then item.status = nil end
  local cfg = ctx.config or {}
  local sink = item.sink
  if is_obj(sink) and not cfg.AUTH0_EXPORT_SECRETS then
    for _, f in ipairs(SECRETS) do
      if sink[f] ~= nil and sink[f] ~= NULL and not handler.is_placeholder(sink[f]) then
        sink[f] = handler.kind_secret_placeholder("LOGSTREAMS", item.type or "sink")
      end
    end
  end
  return item
end

return M
