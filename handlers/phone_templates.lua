-- handlers/phone_templates.lua: the phone notification templates (a0deploy type
-- `phoneTemplates`), docs/handlers.md §phoneTemplates. One template per type, matched by type.
-- A tenant that never changed a template lists its default without an id: a changed default is
-- created (POST), an unchanged one is left alone. One list read; only changed templates are
-- written, and an update sends only {content: {body: {text, voice}, from}, disabled}.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local NULL = json.null
local Base = handler.Base

local TYPES = { "otp_verify", "otp_enroll", "change_password", "blocked_account",
  "password_breach" }

-- a0deploy's schema, with `type` required (the templates are matched by it).
local SCHEMA = {
  type = "object",
  required = { "type" },
  properties = {
    type = { type = "string", enum = TYPES },
    disabled = { type = "boolean" },
    content = {
      type = "object",
      properties = {
        syntax = { type = "string" },
        from = { type = "string" },
        body = {
          type = "object",
          properties = { text = { type = "string" }, voice = { type = "string" } },
        },
      },
    },
  },
}

-- What the API sets: never sent, not exported.
local SERVER_FIELDS = { "channel", "customizable", "tenant", "created_at", "updated_at" }

local M = {
  type = "phoneTemplates",
  path = "/branding/phone/templates",
  identifiers = { "id", "type" },
  name_field = "type",
  list = { paging = "none", key = "templates" },
  schema = SCHEMA,
  read_only = SERVER_FIELDS,
  -- a plan keeps the id-less defaults of the types the files list only (see fetch)
  read_wanted = true,
}

M.TYPES = TYPES

local is_obj = handler.is_table

local present = util.present

-- The tenant's templates in one list call. want (a plan): a default (no id) of a type the files
-- do not list is left out: nothing can delete it, it is already the default.
function M.fetch(self, ctx, want)
  local items, err = Base.fetch(self, ctx, want)
  if items == nil or want == nil then return items, err end
  local listed = {}
  for _, t in ipairs(type(want) == "table" and want or {}) do
    if is_obj(t) and t.type ~= nil then listed[t.type] = true end
  end
  local out = json.array()
  for _, item in ipairs(items) do
    if is_obj(item) and (present(item.id) or listed[item.type]) then out[#out + 1] = item end
  end
  return out
end

local function content_of(item)
  return is_obj(item) and is_obj(item.content) and item.content or {}
end

local function body_of(item)
  local body = content_of(item).body
  return is_obj(body) and body or {}
end

-- The content an update carries: the file's body text and voice, and its `from` when not empty
-- (the API refuses an empty one); nil when the file gives neither.
local function update_content(desired)
  local content, body = {}, {}
  for _, f in ipairs({ "text", "voice" }) do
    if present(body_of(desired)[f]) then body[f] = body_of(desired)[f] end
  end
  if next(body) then content.body = body end
  if present(content_of(desired).from) then content.from = content_of(desired).from end
  if next(content) == nil then return nil end
  return content
end

-- Compares what an update can change (the body's text and voice, `from`, `disabled`); the
-- syntax cannot be sent and is not compared. An empty `from` equals none.
function M.diff(_, _, desired, current)
  current = current or {}
  local payload, diffs = nil, {}
  local content_differs = false
  for _, f in ipairs({ "text", "voice" }) do
    local want, have = body_of(desired)[f], body_of(current)[f]
    if present(want) and want ~= have then
      content_differs = true
      diffs[#diffs + 1] = { path = "content.body." .. f, from = have, to = want }
    end
  end
  local from, have_from = content_of(desired).from, content_of(current).from
  if present(from) and from ~= have_from then
    content_differs = true
    diffs[#diffs + 1] = { path = "content.from", from = have_from, to = from }
  end
  if content_differs then payload = { content = update_content(desired) } end
  if desired.disabled ~= nil and desired.disabled ~= NULL and desired.disabled ~= current.disabled
  then
    payload, diffs = handler.add_change(payload, diffs, "disabled", desired.disabled,
      current.disabled)
  end
  if payload == nil then return nil end
  return payload, diffs
end

-- A create body: the template without the API's fields, its id and an empty `from`.
local function create_body(self, item)
  local body = handler.strip(item, self.strip_create)
  body.id = nil
  if is_obj(body.content) and not present(body.content.from) then body.content.from = nil end
  return body
end

-- The tenant's default of a type (no id) with the update over it: what creating it sends.
local function over_default(self, current, payload)
  local whole = handler.deep_copy(current)
  whole.content = is_obj(whole.content) and whole.content or {}
  local content = payload.content or {}
  if content.body then
    whole.content.body = is_obj(whole.content.body) and whole.content.body or {}
    for k, v in pairs(content.body) do whole.content.body[k] = v end
  end
  if content.from then whole.content.from = content.from end
  if payload.disabled ~= nil then whole.disabled = payload.disabled end
  return create_body(self, whole)
end

function M.write_request(self, _, op, payload, current)
  if op == "create" then return "POST", self.path, create_body(self, payload) end
  if payload == nil or next(payload) == nil then return nil end
  local id = is_obj(current) and current.id
  if not present(id) then return "POST", self.path, over_default(self, current, payload) end
  return "PATCH", handler.item_path(self, id), payload
end

-- The update a 409 on create falls back to: what the create body sets that an update can.
local function as_update(body)
  local out = { content = update_content(body) }
  if body.disabled ~= nil then out.disabled = body.disabled end
  return out
end

-- POST; a 409 (the type exists: made since the list, or by a create whose answer was lost)
-- lists the templates again and PATCHes the one of that type.
local function post(self, ctx, body)
  local created, err = ctx.api:request("POST", self.path, { body = body, idempotent = true })
  if is_obj(created) then return created end
  if created == nil and not (type(err) == "table" and err.status == 409) then
    return nil, err
  end
  local items, lerr = Base.fetch(self, ctx)
  if items == nil then return nil, lerr end
  for _, item in ipairs(items) do
    if is_obj(item) and item.type == body.type and present(item.id) then
      return ctx.api:request("PATCH", handler.item_path(self, item.id),
        { body = as_update(body) })
    end
  end
  return nil, err or { code = "phone_template", message = ("phoneTemplates %s: the create "
    .. "answered that the template exists, and no listed template of that type has an id")
    :format(tostring(body.type)) }
end

function M.create(self, ctx, payload)
  local _, _, body = self:write_request(ctx, "create", payload)
  return post(self, ctx, body)
end

-- A template with an id is PATCHed; a default (no id yet) is created with the change over it.
function M.update(self, ctx, current, payload)
  local method, path, body = self:write_request(ctx, "update", payload, current)
  if method == nil then return current end
  if method == "POST" then return post(self, ctx, body) end
  return ctx.api:request(method, path, { body = body })
end

return M
