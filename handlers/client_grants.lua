-- handlers/client_grants.lua: client grants (a0deploy type `clientGrants`),
-- docs/handlers.md §clientGrants.
-- In the files a grant names its client (client_id: "My App"); the tenant holds ids.
local handler = require("a0lua.handler")
local json = require("a0lua.core.json")
local util = require("a0lua.util")
local Base = handler.Base


-- ANY_SUBJECT marks grants that may match on (client_id, audience) alone: every grant of the
-- tenant, and the desired grants that do not set subject_type. A desired grant that sets a
-- subject_type the tenant's grant lacks is therefore a delete + create, subject_type being
-- immutable (docs/handlers.md §clientGrants). KEY is what plans show: "<client> -> <audience>".
local ANY_SUBJECT = "__any_subject"
local KEY = "__key"

local SCHEMA = {
  type = "object",
  required = { "audience" },
  properties = {
    client_id = { type = "string" },
    audience = { type = "string" },
    scope = { type = "array", items = { type = "string" }, uniqueItems = true },
    subject_type = { type = "string", enum = { "client", "user", "anonymous_user" } },
    authorization_details_types = {
      type = "array", items = { type = "string" }, uniqueItems = true,
    },
    allow_all_scopes = { type = "boolean" },
    default_for = { type = "string", enum = { "third_party_clients" } },
  },
}

local M = {
  type = "clientGrants",
  path = "/client-grants",
  identifiers = {
    "id",
    { "client_id", "audience", "subject_type" },
    { "client_id", "audience", ANY_SUBJECT },
    { "default_for", "audience" },
  },
  name_field = KEY,
  list = { paging = "checkpoint", key = "client_grants" },
  schema = SCHEMA,
  strip_create = { ANY_SUBJECT, KEY, "is_system" },
  strip_update = { ANY_SUBJECT, KEY, "audience", "client_id", "subject_type", "is_system",
    "default_for", "id" },
  strip_export = { ANY_SUBJECT, KEY },
}

local present = util.present

local function config(ctx) return ctx.config or {} end

local set_of = util.set_of

local function key_of(client, grant)
  local k = tostring(client or grant.default_for or "?") .. " -> " .. tostring(grant.audience)
  if present(grant.subject_type) then k = k .. " (" .. tostring(grant.subject_type) .. ")" end
  return k
end

-- The tenant's clients: those read for the plan, else read now (through the clients handler).
local function tenant_clients(ctx)
  return handler.client_lists(ctx, "clientGrants", false)[1]
end

-- All clients of the tenant (third parties included), read once per run.

local function all_clients(ctx)
  local c = handler.run_state(ctx, "clientGrants")
  if c.all == nil then
    local list, err = ctx.api:list("/clients",
      { paging = "offset", key = "clients", query = { is_global = false } })
    if list == nil then return nil, err end
    c.all = list
  end
  return c.all
end

-- A client name or id as the tenant's client_id: from the clients read for the plan, else (a
-- client created earlier in this run) from a fresh read of the tenant's clients.
local function client_id_of(ctx, value, fresh)
  if not present(value) then return value end
  local lists = handler.client_lists(ctx, "clientGrants", fresh)
  for _, list in ipairs(lists) do
    for _, cl in ipairs(list) do
      if cl.client_id == value then return value end
    end
    for _, cl in ipairs(list) do
      if cl.name == value and cl.client_id ~= nil then return cl.client_id end
    end
  end
  return value
end
M.client_id_of = client_id_of

local function client_name_of(ctx, id)
  for _, cl in ipairs(tenant_clients(ctx)) do
    if cl.client_id == id then return cl.name end
  end
  return nil
end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- The grants of the deploying client are never read (so never changed); with third-party
-- clients excluded, only grants of first-party clients (and default_for grants) are kept.
function M.fetch(self, ctx)
  local list, err = Base.fetch(self, ctx)
  if list == nil then return nil, err end
  local cfg = config(ctx)
  local first_party
  if cfg.AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS then
    local clients, cerr = ctx.api:list("/clients", { paging = "offset", key = "clients",
      query = { is_global = false, is_first_party = true } })
    if clients == nil then return nil, cerr end
    first_party = {}
    for _, c in ipairs(clients) do first_party[c.client_id] = true end
  end
  local out = json.array()
  for _, g in ipairs(list) do
    local keep = not (present(cfg.AUTH0_CLIENT_ID) and g.client_id == cfg.AUTH0_CLIENT_ID)
    if keep and first_party and present(g.client_id) and not first_party[g.client_id] then
      keep = false
    end
    if keep then
      g[ANY_SUBJECT] = true
      g[KEY] = key_of(client_name_of(ctx, g.client_id) or g.client_id, g)
      out[#out + 1] = g
    end
  end
  return out
end

--------------------------------------------------------------------------------------------------
-- Import

-- Exactly one of client_id / default_for; allow_all_scopes excludes scope. (The client a grant
-- names is checked by validate.lua's references.)
function M.validate(_, _, items, report)
  for i, g in handler.items(items) do
    local has_client, has_default = present(g.client_id), present(g.default_for)
    if has_client and has_default then
      report(i, "client_id", ('Cannot specify both "client_id" and "default_for" (audience %s):'
        .. " they are mutually exclusive"):format(tostring(g.audience)))
    elseif not has_client and not has_default then
      report(i, "client_id", ('One of "client_id" or "default_for" is required (audience %s)')
        :format(tostring(g.audience)))
    end
    if g.allow_all_scopes == true and type(g.scope) == "table" and #g.scope > 0 then
      report(i, "scope", 'Cannot specify "scope" when "allow_all_scopes" is true')
    end
  end
end

-- Client names become ids (names of clients the tenant does not have yet stay: they are
-- resolved again when the grant is created, after the clients).
M.resolve = handler.resolve_each(function(ctx, g)
  local shown = g.client_id
  g.client_id = client_id_of(ctx, g.client_id)
  if not present(g.subject_type) then g[ANY_SUBJECT] = true end
  g[KEY] = key_of(shown, g)
end)

-- Grants of the deploying client, of excluded clients (by name or id), system grants, and with
-- third-party clients excluded the grants of third-party clients are never touched.
function M.filter(_, ctx, item)
  if type(item) ~= "table" then return false end
  local cfg = config(ctx)
  if item.is_system == true then return false end
  local id = item.client_id
  if present(id) then
    if present(cfg.AUTH0_CLIENT_ID) and id == cfg.AUTH0_CLIENT_ID then return false end
    local excluded = set_of(cfg.AUTH0_EXCLUDED_CLIENTS)
    if excluded[id] or excluded[client_name_of(ctx, id) or false] then return false end
    if cfg.AUTH0_EXCLUDE_THIRD_PARTY_CLIENTS then
      for _, c in ipairs(all_clients(ctx) or {}) do
        if c.client_id == id and c.is_first_party == false then return false end
      end
    end
  end
  return true
end

-- A client named in the files and created in this run gets its id now.
function M.create(self, ctx, payload)
  payload.client_id = client_id_of(ctx, payload.client_id, true)
  local want = payload
  return ctx.api:create(self.path, payload, {
    find = function(g)
      return g.audience == want.audience and g.client_id == want.client_id
        and g.default_for == want.default_for
        and (not present(want.subject_type) or g.subject_type == want.subject_type)
    end,
    list = { paging = "checkpoint", key = "client_grants" },
  })
end

-- Client ids are written as client names; grants of excluded clients are not written.
function M.export(_, ctx, item)
  local excluded = set_of(config(ctx).AUTH0_EXCLUDED_CLIENTS)
  local name = present(item.client_id) and handler.id_to_name(ctx, "clients", item.client_id)
  if excluded[item.client_id] or (name and excluded[name]) then return nil end
  if name then item.client_id = name end
  item[ANY_SUBJECT], item[KEY] = nil, nil
  return item
end

return M
