-- handlers/databases.lua: database connections, strategy auth0 (a0deploy type `databases`),
-- docs/handlers.md §databases. Enabled clients as for connections (handlers/connections.lua).
local handler = require("a0lua.handler")
local handlers = require("a0lua.handlers")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local util = require("a0lua.util")
local Base = handler.Base

local connections = handlers.base("connections")

local SCRIPTS = { "get_user", "create", "verify", "login", "change_password", "delete",
  "change_email" }
local LEGACY_PASSWORD = { "passwordPolicy", "password_complexity_options", "password_history",
  "password_no_personal_info", "password_dictionary" }
local CHARACTER_TYPES = { "uppercase", "lowercase", "number", "special" }

local function bool() return { type = "boolean" } end
local function enabled() return { type = "object", properties = { enabled = bool() } } end
local function signup_status() return { type = "string", enum = { "required", "optional",
  "inactive" } } end
local function verification()
  return { type = "object", properties = { active = bool() } }
end
-- An identifier attribute (email, phone_number, username): whether it is one, its default
-- sign-in method among `methods`, and its signup (with a verification, `verified`); `extra`:
-- the attribute's own properties.
local function attribute(methods, verified, extra)
  local signup = { status = signup_status(), verification = verified and verification() or nil }
  local properties = {
    identifier = {
      type = "object",
      properties = { active = bool(), default_method = { type = "string", enum = methods } },
    },
    profile_required = bool(),
    signup = { type = "object", properties = signup },
  }
  for k, v in pairs(extra or {}) do properties[k] = v end
  return { type = "object", properties = properties }
end

local scripts = {}
for _, s in ipairs(SCRIPTS) do scripts[s] = { type = "string" } end

local SCHEMA = {
  type = "object",
  required = { "name" },
  properties = {
    strategy = { type = "string", enum = { "auth0" }, default = "auth0" },
    name = { type = "string" },
    options = {
      type = "object",
      properties = {
        authentication_methods = {
          type = "object",
          properties = {
            passkey = enabled(),
            password = {
              type = "object",
              properties = {
                enabled = bool(),
                api_behavior = { type = "string", enum = { "required", "optional" } },
                signup_behavior = { type = "string", enum = { "allow", "block" } },
              },
            },
            email_otp = enabled(),
            phone_otp = enabled(),
          },
        },
        disable_self_service_change_password = { type = "boolean", default = false },
        customScripts = { type = "object", properties = scripts },
        attributes = {
          type = "object",
          properties = {
            email = attribute({ "password", "email_otp" }, true, {
              unique = { type = "boolean", default = true },
              verification_method = { type = "string", enum = { "otp", "link" } },
            }),
            phone_number = attribute({ "password", "phone_otp" }, true),
            username = attribute({ "password" }, false),
          },
        },
        custom_password_hash = {
          type = "object",
          properties = { action_id = { type = "string" } },
        },
        password_options = {
          type = "object",
          properties = {
            complexity = {
              type = "object",
              properties = {
                min_length = { type = "integer", minimum = 1, maximum = 72 },
                character_types = {
                  type = "array", items = { type = "string", enum = CHARACTER_TYPES },
                },
                character_type_rule = { type = "string", enum = { "all", "three_of_four" } },
                identical_characters = { type = "string", enum = { "allow", "block" } },
                sequential_characters = { type = "string", enum = { "allow", "block" } },
                max_length_exceeded = { type = "string", enum = { "truncate", "error" } },
              },
            },
            profile_data = {
              type = "object",
              properties = {
                active = bool(),
                blocked_fields = { type = "array", items = { type = "string" }, maxItems = 12 },
              },
            },
            history = {
              type = "object",
              properties = {
                active = bool(),
                size = { type = "integer", minimum = 1, maximum = 24 },
              },
            },
            dictionary = {
              type = "object",
              properties = {
                active = bool(),
                default = { type = "string", enum = { "en_10k", "en_100k" } },
                custom = handler.strings_schema(),
              },
            },
          },
        },
      },
    },
  },
}

local M = {
  type = "databases",
  path = "/connections",
  parts = { { field = "enabled_clients", depends_on = { "clients" } } },
  list = { paging = "checkpoint", key = "connections", query = { strategy = "auth0" } },
  schema = SCHEMA,
  strip_update = { "strategy", "name", "id", "enabled_clients" },
  strip_export = { "options.configuration" },
}

M.SCRIPTS = SCRIPTS

local present = util.present

local warn = handler.warn

local is_obj = handler.is_table

--------------------------------------------------------------------------------------------------
-- Reading the tenant

function M.fetch(self, ctx)
  local all, err = Base.fetch(self, ctx)
  if all == nil then return nil, err end
  local list = json.array()
  for _, c in ipairs(all) do
    if c.strategy == "auth0" then list[#list + 1] = c end
  end
  local ok, rerr = handler.each_checked(list, function(conn)
    local ids, cerr = connections.read_enabled_clients(ctx, conn.id)
    conn.enabled_clients = ids or conn.enabled_clients
    return ids, cerr
  end)
  if not ok then return nil, rerr end
  for _, c in ipairs(list) do
    if not is_obj(c.options) or next(c.options) == nil then
      warn(ctx, "databases: some connections have no options: the read:connections_options "
        .. "scope is required to manage them")
      break
    end
  end
  return list
end

--------------------------------------------------------------------------------------------------
-- Import

local function get(t, ...)
  for _, k in ipairs({ ... }) do
    if not is_obj(t) then return nil end
    t = t[k]
  end
  return t
end

-- At least one identifier active; a non-unique email cannot be one.
local function check_attributes(i, attrs, report)
  if get(attrs, "email", "identifier", "active") ~= true
      and get(attrs, "username", "identifier", "active") ~= true
      and get(attrs, "phone_number", "identifier", "active") ~= true then
    report(i, "options.attributes", "at least one identifier must be active: "
      .. "email.identifier.active, username.identifier.active or "
      .. "phone_number.identifier.active must be true")
  end
  if get(attrs, "email", "unique") == false
      and get(attrs, "email", "identifier", "active") == true then
    report(i, "options.attributes.email.identifier.active", "cannot be true when "
      .. "email.unique is false (non-unique emails cannot be active identifiers)")
  end
end

-- password_options: not with the legacy password fields; three_of_four lists all four
-- character types; blocked profile fields of at most 100 characters.
local function check_password_options(i, o, report)
  for _, f in ipairs(LEGACY_PASSWORD) do
    if o[f] ~= nil then
      report(i, "options." .. f, "cannot be used together with password_options")
    end
  end
  local cx = get(o, "password_options", "complexity")
  if get(cx, "character_type_rule") == "three_of_four" then
    local have = {}
    for _, t in ipairs(get(cx, "character_types") or {}) do have[t] = true end
    for _, t in ipairs(CHARACTER_TYPES) do
      if not have[t] then
        report(i, "options.password_options.complexity.character_types", "must list all "
          .. "four character types when character_type_rule is three_of_four")
        break
      end
    end
  end
  for j, f in ipairs(get(o, "password_options", "profile_data", "blocked_fields") or {}) do
    if type(f) == "string" and utf8.len(f) and utf8.len(f) > 100 then
      report(i, "options.password_options.profile_data.blocked_fields." .. (j - 1),
        "must not have more than 100 characters")
    end
  end
end

-- Password authentication (a0deploy's rules): self-service password change only with it, and a
-- blocked signup only with the optional API behaviour.
local function check_password_authentication(i, o, report)
  local password = get(o, "authentication_methods", "password")
  local pw_enabled = get(password, "enabled")
  local no_self_service = o.disable_self_service_change_password
  if pw_enabled == false and no_self_service ~= nil and no_self_service ~= true then
    report(i, "options.disable_self_service_change_password", "must be true when password "
      .. "authentication is disabled")
  elseif pw_enabled == true and no_self_service == true then
    report(i, "options.disable_self_service_change_password", "must be false when password "
      .. "authentication is enabled")
  end
  if get(password, "signup_behavior") == "block" and get(password, "api_behavior") ~= nil
      and get(password, "api_behavior") ~= "optional" then
    report(i, "options.authentication_methods.password.signup_behavior", "block needs "
      .. "api_behavior optional")
  end
end

-- docs/handlers.md §databases (validation), plus the password-authentication rules of a0deploy.
function M.validate(_, _, items, report)
  for i, db in handler.items(items) do
    local o = db.options
    if is_obj(o) then
      if is_obj(o.attributes) then check_attributes(i, o.attributes, report) end
      if o.password_options ~= nil then check_password_options(i, o, report) end
      check_password_authentication(i, o, report)
    end
  end
end

-- An action name (or id) as the action's id; names of actions not on the tenant stay.
local function action_id_of(ctx, value, fresh)
  if not present(value) then return value end
  return handler.action_id(ctx, value, fresh) or value
end

-- enabled_clients names become ids; custom_password_hash.action_id an action name becomes its id.
M.resolve = handler.resolve_each(function(ctx, db)
  connections.resolve_enabled_clients(ctx, db)
  local hash = get(db, "options", "custom_password_hash")
  if is_obj(hash) and present(hash.action_id) then
    hash.action_id = action_id_of(ctx, hash.action_id)
  end
end)

-- enabled_clients compared as a set and never emptied (as for connections).
M.diff = handler.diff_then(function(_, _, desired, current, payload, diffs)
  local clients = connections.enabled_clients_change(desired, current)
  if clients then
    payload, diffs = handler.add_change(payload, diffs, "enabled_clients", clients,
      current.enabled_clients)
  end
  return payload, diffs
end)

local function fix_action(ctx, options)
  local hash = is_obj(options) and options.custom_password_hash
  if is_obj(hash) and present(hash.action_id) then
    hash.action_id = action_id_of(ctx, hash.action_id, true)
  end
end

-- The types the databases of the file need before they are created: the actions when a
-- custom password hash names one; nothing otherwise (the enabled clients are a part).
function M.depends_on_for(_, desired)
  for _, db in ipairs(type(desired) == "table" and desired or {}) do
    local hash = get(db, "options", "custom_password_hash")
    if is_obj(hash) and present(hash.action_id) then return { "actions" } end
  end
  return {}
end

-- One part of database connection `id` (apply, handler.parts): its enabled clients.
M.write_part = connections.write_part

-- The connection itself, without its enabled clients (a part). An update's options are sent
-- merged with the tenant's (below): what is checked beforehand is the file's part of them.
M.write_request = handler.own_write_request({ "enabled_clients" })

function M.create(self, ctx, payload)
  local _, _, body = self:write_request(ctx, "create", payload)
  fix_action(ctx, body.options)
  local created, err = handler.create_named(self, ctx, body, payload.name)
  if created == nil then return nil, err end
  connections.sync_enabled_clients(ctx, self.type, created.id, payload.enabled_clients, {})
  return created
end

-- The options sent: the tenant's options (read again) with the desired ones on top, after the
-- conflicts of docs/handlers.md §databases are resolved. Returns options | nil, err.
local function merged_options(ctx, id, want)
  local conn, err = ctx.api:request("GET", "/connections/" .. handler.escape(id))
  if conn == nil then return nil, err end
  local remote = is_obj(conn.options) and handler.deep_copy(conn.options) or {}
  if want.attributes ~= nil and (want.requires_username ~= nil or want.validation ~= nil) then
    warn(ctx, 'databases: "attributes" cannot be used with "requires_username" or '
      .. '"validation"; remove one of them')
  elseif want.attributes ~= nil then
    remote.validation, remote.requires_username = nil, nil
  elseif want.requires_username ~= nil or want.validation ~= nil then
    remote.attributes = nil
  end
  local legacy = false
  for _, f in ipairs(LEGACY_PASSWORD) do
    if want[f] ~= nil then legacy = true end
  end
  if want.password_options ~= nil then
    for _, f in ipairs(LEGACY_PASSWORD) do remote[f] = nil end
  elseif legacy then
    remote.password_options = nil
  end
  for k, v in pairs(want) do remote[k] = handler.deep_copy(v) end
  local password = get(remote, "authentication_methods", "password")
  if get(password, "signup_behavior") == "block" and get(password, "api_behavior") ~= "optional"
  then
    return nil, errors.from{
      code = "validation", message = "databases: signup_behavior block needs "
      .. "authentication_methods.password.api_behavior optional" }
  end
  return remote
end

-- GET the connection, PATCH with the merged options, then the enabled clients.
function M.update(self, ctx, current, payload)
  local id = current.id
  local _, _, body = self:write_request(ctx, "update", payload, current)
  body = body or {}
  if is_obj(body.options) then
    local options, err = merged_options(ctx, id, body.options)
    if options == nil then return nil, err end
    fix_action(ctx, options)
    body.options = next(options) ~= nil and options or nil
  end
  local updated = current
  if next(body) ~= nil then
    local err
    updated, err = ctx.api:request("PATCH", handler.item_path(self, id),
      { body = body })
    if updated == nil then return nil, err end
  end
  if payload.enabled_clients ~= nil then
    connections.sync_enabled_clients(ctx, self.type, id, payload.enabled_clients,
      current.enabled_clients)
  end
  return updated
end

--------------------------------------------------------------------------------------------------
-- Export

function M.export(_, ctx, item)
  if type(item.enabled_clients) == "table" then
    item.enabled_clients = connections.client_names(ctx, item.enabled_clients)
  end
  local o = item.options
  if is_obj(o) then
    if o.password_options ~= nil then
      for _, f in ipairs(LEGACY_PASSWORD) do o[f] = nil end
    end
    local hash = o.custom_password_hash
    if is_obj(hash) and present(hash.action_id) then
      hash.action_id = handler.id_to_name(ctx, "actions", hash.action_id) or hash.action_id
    end
  end
  return item
end

return M
