-- bench/tenant_doc.lua: writes a tenant-like document of about SIZE bytes, as JSON and as YAML.
--
--   lua5.4 bench/tenant_doc.lua OUT_PREFIX [SIZE_MB] [SEED]  -> OUT_PREFIX.json, OUT_PREFIX.yaml
--
-- The shapes are those of a0deploy's tenant.yaml: clients with callbacks and origins, resource
-- servers with scopes, roles with permissions, connections with options. Both files hold the same
-- data, so the json and yaml benchmarks parse the same content. The writers here are deliberately
-- independent of the primitives they benchmark.

local out_prefix = assert(arg[1], "usage: tenant_doc.lua OUT_PREFIX [SIZE_MB] [SEED]")
local target = math.floor((tonumber(arg[2]) or 5) * 1024 * 1024)
local seed = tonumber(arg[3]) or 42

-- A small deterministic generator (LCG), so a seed always gives the same document.
local state = seed
local function rand(n)
  state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
  return (state >> 33) % n + 1
end
local function pick(list) return list[rand(#list)] end

local APP_TYPES = { "spa", "native", "regular_web", "non_interactive" }
local GRANTS = {
  "authorization_code", "implicit", "refresh_token", "client_credentials", "password",
}
local WORDS = { "alpha", "bravo", "delta", "orbit", "nova", "pixel", "quartz", "sierra", "tango" }

local function word() return pick(WORDS) end
local function url(i) return ("https://%s-%d.example.com/%s/callback"):format(word(), i, word()) end

local function list_of(n, make)
  local t = { __array = true }
  for i = 1, n do t[i] = make(i) end
  return t
end

local function client(i)
  local c = {
    name = ("%s %s app %d"):format(word(), word(), i),
    app_type = pick(APP_TYPES),
    description = ("Application %d.\nOwned by team %s.\n"):format(i, word()),
    callbacks = list_of(rand(6), url),
    allowed_origins = list_of(rand(4), function(j)
      return ("https://%s%d.example.org"):format(word(), j)
    end),
    allowed_logout_urls = list_of(rand(3), url),
    web_origins = list_of(0, url),
    grant_types = list_of(rand(#GRANTS), function(j) return GRANTS[j] end),
    is_first_party = rand(2) == 1,
    oidc_conformant = true,
    sso_disabled = false,
    cross_origin_auth = rand(2) == 1,
    token_endpoint_auth_method = pick({ "none", "client_secret_post", "client_secret_basic" }),
    jwt_configuration = { alg = "RS256", lifetime_in_seconds = 36000, secret_encoded = false },
    refresh_token = {
      rotation_type = "rotating", expiration_type = "expiring", leeway = 0,
      token_lifetime = 2592000, idle_token_lifetime = 1296000, infinite_token_lifetime = false,
    },
    client_metadata = {
      owner = word(), tier = tostring(rand(3)), cost_center = ("%05d"):format(rand(99999)),
    },
    custom_login_page_on = true,
    initiate_login_uri = ("https://login-%d.example.com/start"):format(i),
    logo_uri = ("https://cdn.example.com/logo/%d.png"):format(i),
  }
  if rand(4) == 1 then
    c.token_exchange = {
      allow_any_profile_of_type = list_of(1, function() return "on_behalf_of_token_exchange" end),
    }
  end
  return c
end

local function resource_server(i)
  return {
    name = ("%s API %d"):format(word(), i),
    identifier = ("https://api-%d.example.com/"):format(i),
    signing_alg = "RS256",
    token_lifetime = 86400,
    allow_offline_access = rand(2) == 1,
    skip_consent_for_verifiable_first_party_clients = true,
    scopes = list_of(rand(8), function(j)
      local verb = pick({ "read", "write", "delete" })
      return { value = ("%s:%s%d"):format(verb, word(), j), description = "Scope " .. j }
    end),
  }
end

local function role(i)
  return {
    name = ("role-%s-%d"):format(word(), i),
    description = ("Role number %d"):format(i),
    permissions = list_of(rand(6), function(j)
      return {
        permission_name = ("read:%s%d"):format(word(), j),
        resource_server_identifier = ("https://api-%d.example.com/"):format(rand(50)),
      }
    end),
  }
end

local function connection(i)
  return {
    name = ("db-%s-%d"):format(word(), i),
    strategy = "auth0",
    enabled_clients = list_of(rand(5), function(j) return ("%s app %d"):format(word(), j) end),
    options = {
      mfa = { active = true, return_enroll_settings = true },
      passwordPolicy = pick({ "good", "fair", "excellent" }),
      password_history = { size = 5, enable = false },
      brute_force_protection = true,
      strategy_version = 2,
      disable_signup = rand(2) == 1,
      requires_username = false,
      validation = { username = { min = 1, max = 15 } },
    },
    realms = list_of(1, function() return ("db-%d"):format(i) end),
  }
end

-- JSON writer: keys sorted, strings escaped.
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(ch)
    local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r" }
    return named[ch] or ("\\u%04x"):format(ch:byte())
  end) .. '"'
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do if k ~= "__array" then keys[#keys + 1] = k end end
  table.sort(keys)
  return keys
end

local function to_json(v, out)
  local kind = type(v)
  if kind == "string" then out[#out + 1] = json_string(v)
  elseif kind == "number" or kind == "boolean" then out[#out + 1] = tostring(v)
  elseif v.__array then
    out[#out + 1] = "["
    for i, item in ipairs(v) do
      if i > 1 then out[#out + 1] = "," end
      to_json(item, out)
    end
    out[#out + 1] = "]"
  else
    out[#out + 1] = "{"
    for i, k in ipairs(sorted_keys(v)) do
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = json_string(k) .. ":"
      to_json(v[k], out)
    end
    out[#out + 1] = "}"
  end
end

-- YAML writer: block style; plain scalars where that is safe, literal blocks for multi-line text.
local function yaml_scalar(s, indent)
  if type(s) ~= "string" then return tostring(s) end
  if s:find("\n") then
    local body = s:gsub("\n$", ""):gsub("\n", "\n" .. indent)
    return "|\n" .. indent .. body
  end
  local reserved = { ["true"] = true, ["false"] = true, ["null"] = true }
  if s:match("^[%a][%w _%-%./:]*$") and not reserved[s] and not s:find(": ")
    and not s:match("[ :]$") then
    return s
  end
  return json_string(s)
end

local function to_yaml(v, indent, out)
  if v.__array then
    if #v == 0 then out[#out + 1] = " []\n" return end
    out[#out + 1] = "\n"
    for _, item in ipairs(v) do
      if type(item) == "table" then
        out[#out + 1] = indent .. "-"
        local keys = sorted_keys(item)
        for i, k in ipairs(keys) do
          out[#out + 1] = (i == 1 and " " or indent .. "  ") .. k .. ":"
          local value = item[k]
          if type(value) == "table" then to_yaml(value, indent .. "    ", out)
          else out[#out + 1] = " " .. yaml_scalar(value, indent .. "    ") .. "\n" end
        end
      else
        out[#out + 1] = indent .. "- " .. yaml_scalar(item, indent .. "  ") .. "\n"
      end
    end
  else
    out[#out + 1] = "\n"
    for _, k in ipairs(sorted_keys(v)) do
      local value = v[k]
      out[#out + 1] = indent .. k .. ":"
      if type(value) == "table" then to_yaml(value, indent .. "  ", out)
      else out[#out + 1] = " " .. yaml_scalar(value, indent .. "  ") .. "\n" end
    end
  end
end

-- Grow the document in rounds of each resource type until the JSON form reaches the target size.
local doc = { clients = { __array = true }, resourceServers = { __array = true },
  roles = { __array = true }, connections = { __array = true } }
local size, n = 0, 0
local function add(list, item)
  list[#list + 1] = item
  local out = {}
  to_json(item, out)
  size = size + #table.concat(out) + 1
end
while size < target do
  n = n + 1
  add(doc.clients, client(n))
  if n % 2 == 0 then add(doc.resourceServers, resource_server(n)) end
  if n % 2 == 1 then add(doc.roles, role(n)) end
  if n % 3 == 0 then add(doc.connections, connection(n)) end
end

local json_out = {}
to_json(doc, json_out)
local yaml_out = {}
for _, k in ipairs(sorted_keys(doc)) do
  yaml_out[#yaml_out + 1] = k .. ":"
  to_yaml(doc[k], "  ", yaml_out)
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end
write(out_prefix .. ".json", table.concat(json_out))
write(out_prefix .. ".yaml", table.concat(yaml_out))
