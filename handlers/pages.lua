-- handlers/pages.lua: the hosted pages (a0deploy type `pages`), docs/handlers.md §pages. A keyed
-- list of four: `login` lives on the tenant's global client, the other three in tenant settings.
local handler = require("a0lua.handler")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")

local NULL = json.null

local NAMES = { "login", "password_reset", "guardian_multifactor", "error_page" }
-- Page name -> its key in the tenant settings.
local TENANT_KEYS = { password_reset = "change_password",
  guardian_multifactor = "guardian_mfa_page", error_page = "error_page" }

local SCHEMA = handler.keyed_schema("name", NAMES, {
  html = { type = "string", default = "" },
  url = { type = "string" },
  show_log_link = { type = "boolean" },
  enabled = { type = "boolean" },
})

local M = {
  type = "pages",
  kind = "keyed",
  path = "/tenants/settings",
  schema = SCHEMA,
  strip_update = { "name" },
}

M.NAMES = NAMES
M.TENANT_KEYS = TENANT_KEYS

-- The global client's id, read by fetch (or when first needed), per run.
local function global_client(ctx)
  local state = handler.run_state(ctx, "pages")
  if state.global_client ~= nil then return state.global_client end
  local list, err = ctx.api:list("/clients",
    { paging = "offset", key = "clients", query = { is_global = true } })
  if list == nil then return nil, err end
  state.global_client = list[1] or false
  return state.global_client
end

-- The login page from the global client; the others from the tenant settings.
function M.fetch(_, ctx)
  local out = json.array()
  local g, err = global_client(ctx)
  if g == nil then return nil, err end
  if g then
    local html = g.custom_login_page
    out[#out + 1] = { name = "login", html = (html ~= NULL and html) or "",
      enabled = g.custom_login_page_on }
  end
  local settings
  settings, err = ctx.api:request("GET", "/tenants/settings")
  if settings == nil then return nil, err end
  for _, name in ipairs(NAMES) do
    local key = TENANT_KEYS[name]
    local page = key and settings[key]
    if type(page) == "table" and page ~= NULL then
      local item = handler.deep_copy(page)
      item.name = name
      out[#out + 1] = item
    end
  end
  return out
end

-- Writes one page whole: login on the global client, the others under their tenant key.
local function write(ctx, page)
  if page.name == "login" then
    local g, err = global_client(ctx)
    if g == nil then return nil, err end
    if not g then
      return nil, errors.from{
        code = "api_error", message = "pages: the tenant has no global client, so "
        .. "the login page cannot be set" }
    end
    return ctx.api:request("PATCH", "/clients/" .. handler.escape(g.client_id),
      { body = { custom_login_page = page.html, custom_login_page_on = page.enabled } })
  end
  local method, path, body = M.write_request(nil, ctx, "create", page)
  return ctx.api:request(method, path, { body = body })
end

function M.create(_, ctx, payload)
  return write(ctx, payload)
end

-- The page is sent whole (the tenant's fields with the changed ones on top).
local function whole(current, payload)
  local page = handler.deep_copy(current)
  for k, v in pairs(payload) do page[k] = handler.deep_copy(v) end
  page.name = current.name
  return page
end

function M.update(_, ctx, current, payload)
  return write(ctx, whole(current, payload))
end

-- A page other than login goes under its key of the tenant settings. (The login page's two
-- fields go to the global client, found only by a read: not told beforehand.)
function M.write_request(_, _, op, payload, current)
  local page = op == "update" and whole(current or {}, payload) or payload
  if page.name == "login" or TENANT_KEYS[page.name] == nil then return nil end
  local body = handler.deep_copy(page)
  body.name = nil
  return "PATCH", "/tenants/settings", { [TENANT_KEYS[page.name]] = body }
end

-- A login page without HTML is not written (a0deploy exports it only when it has some).
function M.export(_, _, item)
  if item.name == "login" and (item.html == nil or item.html == "" or item.html == NULL) then
    return nil
  end
  return item
end

return M
