--[[
a0lua.emulator.resources.branding: /branding, the Universal Login template (which needs a custom
domain, as in the real API), the theme (/branding/themes: one per tenant, kept under
/branding/themes/default), phone providers (one per tenant) and phone templates (one per type).
]]
local errors = require("a0lua.emulator.errors")
local kinds = require("a0lua.emulator.kinds")
local values = require("a0lua.emulator.values")

local M = {}

local arr = values.array

local THEME_KEY = "/branding/themes/default"
local THEME_NOT_FOUND = { "There was an error retrieving branding settings: invalid theme ID",
                          "theme_not_found" }

local function needs_custom_domain(ctx)
  if #(ctx.store:get("/custom-domains") or {}) == 0 then
    errors.raise(400, "This feature requires at least one custom domain to be configured for "
      .. "the tenant.", "no_custom_domain")
  end
end

local function template_bindings()
  local key = "/branding/templates/universal-login"
  return {
    {
      method = "GET", template = key,
      handler = function(ctx)
        needs_custom_domain(ctx)
        local v = ctx.store:get(key)
        if not v then errors.raise(404, "Template does not exist", "inexistent_template") end
        return 200, v
      end,
    },
    {
      method = "PUT", template = key, status = 201,
      handler = function(ctx, _, _, body)
        needs_custom_domain(ctx)
        local template = type(body) == "table" and body.template
        if type(template) == "table" then template = template.body end
        local _, heads = tostring(template):gsub("auth0:head", "")
        local _, widgets = tostring(template):gsub("auth0:widget", "")
        if heads ~= 1 or widgets < 1 then
          errors.raise(400, "The template must contain a single auth0:head tag and at least "
            .. "one auth0:widget tag.", "invalid_body")
        end
        ctx.store:set(key, { body = template })
        return 201
      end,
    },
    {
      method = "DELETE", template = key, status = 204,
      handler = function(ctx)
        ctx.store:remove(key)
        return 204
      end,
    },
  }
end

local function theme_bindings()
  local function theme(ctx, id)
    local t = ctx.store:get(THEME_KEY)
    if not t or (id and t.themeId ~= id) then
      errors.raise(404, THEME_NOT_FOUND[1], THEME_NOT_FOUND[2])
    end
    return t
  end
  return {
    {
      method = "POST", template = "/branding/themes",
      handler = function(ctx, _, _, body)
        if ctx.store:get(THEME_KEY) then
          errors.raise(409, "There is already a theme for this tenant", "theme_already_exists")
        end
        local t = values.copy(type(body) == "table" and body or {})
        t.themeId = ctx.ids:make({ length = 22 })
        t.displayName = t.displayName or "Unnamed Theme"
        ctx.store:set(THEME_KEY, t)
        return 200, t
      end,
    },
    { method = "GET", template = "/branding/themes/default",
      handler = function(ctx) return 200, theme(ctx) end },
    { method = "GET", template = "/branding/themes/{themeId}",
      handler = function(ctx, _, params) return 200, theme(ctx, params[1]) end },
    {
      method = "PATCH", template = "/branding/themes/{themeId}",
      handler = function(ctx, _, params, body)
        local t = theme(ctx, params[1])
        for k, v in pairs(type(body) == "table" and body or {}) do t[k] = values.copy(v) end
        t.themeId = params[1]
        return 200, t
      end,
    },
    {
      method = "DELETE", template = "/branding/themes/{themeId}", status = 204,
      handler = function(ctx, _, params)
        theme(ctx, params[1])
        ctx.store:remove(THEME_KEY)
        return 204
      end,
    },
  }
end

M.PHONE_PROVIDERS = {
  path = "/branding/phone/providers", id = "id", id_format = { prefix = "pro_", length = 22 },
  key = "providers", paging = "wrap", timestamps = true,
  not_found = { message = "Phone provider not found", code = "inexistent_phone_provider" },
  unique = { { value = function() return "one" end, fields = {},
               message = "A phone provider is already configured for this tenant",
               code = "conflict" } },
  defaults = function() return { disabled = false } end,
  create = function(_, item)
    item.tenant, item.channel = "a0lua-emulator", "phone"
  end,
  -- The credentials are kept (a deploy's token can be checked in the state) but never shown.
  view = function(_, item)
    local out = values.copy(item)
    out.credentials = values.null
    return out
  end,
}

local PHONE_TEMPLATE_DEFAULTS = {
  otp_verify = "{{ code | escape }} is your verification code for {{ friendly_name | escape }}",
  otp_enroll = "{{ code | escape }} is your verification code for {{ friendly_name | escape }}."
    .. " Please enter this code to verify your enrollment.",
  change_password = "{{ code | escape }} is your password change code for "
    .. "{{ friendly_name | escape }}",
  blocked_account = "We detected suspicious activity on your {{ friendly_name | escape }} "
    .. "account. Reply to unblock it.",
  password_breach = "We detected that your {{ friendly_name | escape }} password was leaked.",
}

-- A template a tenant never changed: listed with the API's text and no id (it has none until
-- it is created), docs/emulator.md.
local function default_template(type_name)
  local text = PHONE_TEMPLATE_DEFAULTS[type_name]
  return { type = type_name, channel = "phone", customizable = true, tenant = "a0lua-emulator",
    disabled = false, content = { syntax = "liquid", from = "", body = { text = text,
    voice = text } } }
end

local PHONE_TEMPLATE_TYPES = { "otp_verify", "otp_enroll", "change_password", "blocked_account",
  "password_breach" }

M.PHONE_TEMPLATES = {
  path = "/branding/phone/templates", id = "id", id_format = { prefix = "tem_", length = 22 },
  -- the list route is list_templates_binding: the defaults of the types never created
  methods = { create = true, get = true, update = true, delete = true },
  key = "templates", paging = "wrap", timestamps = true,
  not_found = { message = "Phone template not found", code = "inexistent_phone_template" },
  unique = { { fields = { "type" }, message = "A phone template of this type already exists",
               code = "conflict" } },
  defaults = function() return { disabled = false } end,
  create = function(_, item)
    item.tenant, item.channel, item.customizable = "a0lua-emulator", "phone", true
    local content = values.is_object(item.content) and item.content or {}
    content.syntax = content.syntax or "liquid"
    item.content = content
  end,
  update = function(_, item, body)
    for k, v in pairs(body) do
      if k == "content" and values.is_object(v) and values.is_object(item.content) then
        values.deep_merge(item.content, v)
      else
        item[k] = values.copy(v)
      end
    end
  end,
}

local function list_templates_binding()
  local def = M.PHONE_TEMPLATES
  return {
    method = "GET", template = def.path, paging = def.paging, key = def.key, id_field = def.id,
    handler = function(ctx, req)
      local out, made = arr(), {}
      for _, t in ipairs(kinds.list_items(ctx, def, def.path, req.query)) do
        out[#out + 1] = t
        made[t.type] = true
      end
      for _, type_name in ipairs(PHONE_TEMPLATE_TYPES) do
        if not made[type_name] then out[#out + 1] = default_template(type_name) end
      end
      return 200, out, true
    end,
  }
end

local function reset_template_binding()
  return {
    method = "PATCH", template = "/branding/phone/templates/{id}/reset",
    handler = function(ctx, _, params)
      local def = M.PHONE_TEMPLATES
      local t = kinds.find_or_404(ctx, def.path, "id", params[1], def.not_found)
      local text = PHONE_TEMPLATE_DEFAULTS[t.type] or ""
      t.content = { syntax = "liquid", body = { text = text, voice = text } }
      t.updated_at = ctx.now()
      return 200, t
    end,
  }
end

-- A settings PATCH without colors resets the tenant's Authentication Profile to "Identifier +
-- Password" (identifier_first false), as the real API does (auth0-deploy-cli issue 1402).
local function branding_merge(ctx, current, body)
  body = type(body) == "table" and body or {}
  values.deep_merge(current, body)
  if body.colors == nil then
    local prompts = ctx.store:get("/prompts")
    if type(prompts) == "table" and prompts.identifier_first ~= nil then
      prompts.identifier_first = false
      ctx.store:set("/prompts", prompts)
    end
  end
  return current
end

function M.bindings()
  return kinds.join({
    kinds.singleton({ path = "/branding", merge = branding_merge,
                      default = function() return {} end }),
    template_bindings(), theme_bindings(), kinds.collection(M.PHONE_PROVIDERS),
    kinds.collection(M.PHONE_TEMPLATES), { list_templates_binding(), reset_template_binding() },
  })
end

function M.fresh(_, state)
  state["/branding"] = {}
  state["/branding/phone/providers"] = arr()
  state["/branding/phone/templates"] = arr()
end

return M
