-- scripts/gen-emulator-routes.lua: the emulator's route and request-schema tables, generated from
-- the Management API OpenAPI document.
--
--   build/a0lua run scripts/gen-emulator-routes.lua PATH/TO/openapi.json \
--     > lua/a0lua/emulator/routes.lua
--
-- (`make routes` does that with the pinned document: scripts/routes.sh.)
--
-- Writes a Lua chunk returning { routes = {...}, schemas = {...} } to stdout (see the header of
-- the generated file for its shape). The output depends only on the document: everything is
-- sorted, so running it twice gives the same bytes. Warnings (keywords dropped) go to stderr.
--
-- Routes: one per operation, { method, template, op, paging?, key?, body?, status }.
--   template  the document's path (the document's server URL carries /api/v2)
--   status    the lowest 2xx status the document lists for the operation
--   paging    from the operation's query parameters: page + per_page (+ include_totals) and
--             from + take: "both"; page + per_page only: "offset"; from + take only: "checkpoint";
--             the /actions/* lists: "actions" (their {<key>, total, page, per_page} envelope)
--   key       the array property of the paged response envelope ("clients", "bindings", ...)
--   body      the name of the request schema (application/json) in `schemas`; a request schema
--             written inline in the document is named "<op>_request"
-- Schemas: the request schemas, each with every $ref inlined, reduced to what a0lua.core.schema
-- checks: type (a name or a list), enum, const (as a one-value enum), properties, required,
-- additionalProperties, items, min/maxLength, min/maxItems, uniqueItems, minimum/maximum,
-- min/maxProperties, pattern, format "date-time", nullable, anyOf; allOf is merged into its
-- parent; oneOf is written as anyOf (see Reducer:node). Prose and annotations are dropped.
-- Every schema the document names (components.schemas) is written once, as an entry of `schemas`,
-- and referenced as { ["$ref"] = NAME } wherever the document refers to it (but inside an allOf,
-- whose branches are merged into their parent): a0lua.emulator.validate links the entries before
-- compiling (core.schema takes no references, and some entries refer to themselves).
--
-- The document trails the real API: REAL_API_PROPERTIES below sets the schema of the few
-- properties where the real API is known to take what the document's request schemas refuse,
-- each with its evidence. Add one only on such evidence (a write the real API answered 2xx, a
-- value the real API itself returns), never to make a test pass. REAL_API_OPERATIONS adds, on
-- the same kind of evidence, the operations the document does not have yet (rate limit
-- policies), in the document's own shape.

local json = require("a0lua.core.json")

local null = json.null

local METHODS = { "get", "post", "put", "patch", "delete" }
local WIDTH = 100   -- columns of the generated file; a table that does not fit is broken up

-- Component schema -> property -> schema, added or replacing the document's.
local REAL_API_PROPERTIES = {
  -- a0deploy's e2e recordings (docs/architecture.md §12.1): PATCH /tenants/settings answered 200
  -- with session_lifetime_in_minutes and idle_session_lifetime_in_minutes
  -- (should-preserve-keywords-for-yaml-format) and universal_login (all three recordings that
  -- patch the settings); the GET answers carry universal_login too.
  UpdateTenantSettingsRequestContent = {
    session_lifetime_in_minutes = { type = "integer" },
    idle_session_lifetime_in_minutes = { type = "integer" },
    universal_login = { type = "object" },
  },
  -- Same PATCH (should-preserve-keywords-for-yaml-format): use_scope_descriptions_for_consent.
  TenantSettingsFlags = {
    use_scope_descriptions_for_consent = { type = "boolean" },
  },
  -- a0deploy's shipped examples (examples/yaml/tenant.yaml, examples/directory) send these, and
  -- its handlers pass them through unstripped: the API it deploys to takes them.
  CreateResourceServerRequestContent = {
    allow_online_access_with_ephemeral_sessions = { type = "boolean" },
  },
  UpdateResourceServerRequestContent = {
    allow_online_access_with_ephemeral_sessions = { type = "boolean" },
  },
  UpdateSettingsRequestContent = {
    enable_ulp_wcag_compliance = { type = "boolean" },
  },
  -- The document's request schemas for POST/PATCH /event-streams reuse the *response* shapes of
  -- webhook_authorization, which leave out the write-only secret of each method. Recording
  -- should-dump-without-throwing-an-error: GET /event-streams?take=50 answers the
  -- lots-of-configuration fixture's stream "e2e-webhook-stream" (webhook_authorization
  -- {method: "bearer"}), which that fixture creates with `token: some-sensitive-token`: the real
  -- API took the token (and does not return it). auth0-cli's `events create` documents the same
  -- bearer body. basic's password and custom_header's header_value are the same write-only secret
  -- of the other two methods (Auth0's event stream docs).
  EventStreamWebhookBearerAuth = {
    token = { type = "string", minLength = 1 },
  },
  EventStreamWebhookBasicAuth = {
    password = { type = "string", minLength = 1 },
  },
  EventStreamWebhookCustomHeaderAuth = {
    header_value = { type = "string", minLength = 1 },
  },
  -- node-auth0 6.4.0 (the SDK inside a0deploy 8.44.0) types SynchronizedGroupPayload, the item of
  -- PUT /connections/{id}/directory-provisioning/synchronized-groups, as {id, name?, email?,
  -- direct_members_count?}, and a0deploy's export writes those four fields from the GET, so its
  -- export -> import round trip sends them; Auth0's docs for the add (POST) call show the same
  -- items. The id keeps the document's pattern.
  SynchronizedGroupPayload = {
    name = { type = "string" },
    email = { type = "string" },
    direct_members_count = { type = "integer", minimum = 0 },
  },
  -- node-auth0 6.4.0 CreateOrganizationRequestContent / UpdateOrganizationRequestContent carry
  -- third_party_client_access (OrganizationThirdPartyClientAccessEnum: block, allow) and
  -- is_app_entitlement_active, and its organization GET answers return both; a0deploy 8.44.0's
  -- example (examples/yaml/tenant.yaml) sends them.
  CreateOrganizationRequestContent = {
    third_party_client_access = { type = "string", enum = { "block", "allow" } },
    is_app_entitlement_active = { type = "boolean" },
  },
  UpdateOrganizationRequestContent = {
    third_party_client_access = { type = "string", enum = { "block", "allow" } },
    is_app_entitlement_active = { type = "boolean" },
  },
  -- node-auth0 6.4.0's NetworkAclMatch (the match and not_match of a network ACL rule) has
  -- auth0_managed (string[]: Auth0-managed lists), and a0deploy 8.44.0's networkACLs schema takes
  -- it (items ^auth0\.[^.\s]+$): the API it deploys to takes it.
  NetworkAclMatch = {
    auth0_managed = { type = "array", items = { type = "string" }, minItems = 1 },
  },
  -- POST /rules takes the rule's stage: every rule the real API returns carries `stage` (the
  -- document's Rule and GetRuleResponseContent), Auth0's "Create a rule" page warns that
  -- "changing a rule's stage of execution from the default login_success" changes the rule's
  -- signature, Auth0.ManagementApi's RuleCreateRequest has `Stage`, and a0deploy's shipped
  -- example (examples/directory/rules/Enrich-Identity-Token.json, "stage": "login_success") goes
  -- through its create unstripped (it strips `stage` from updates only). The update body still
  -- has none: a stage cannot change.
  CreateRuleRequestContent = {
    stage = { type = "string", enum = { "login_success", "login_failure", "pre_authorize" } },
  },
  -- Recording should-dump-without-throwing-an-error: GET
  -- /attack-protection/suspicious-ip-throttling answers a third stage, pre-custom-token-exchange
  -- {max_attempts: 10, rate: 600000}; Auth0's docs (Attack Protection with Custom Token
  -- Exchange) set it with PATCH, and node-auth0's SuspiciousIpThrottlingStage types it as
  -- {max_attempts?, rate?}.
  SuspiciousIPThrottlingStage = {
    ["pre-custom-token-exchange"] = {
      type = "object", additionalProperties = false,
      properties = { max_attempts = { type = "integer" }, rate = { type = "integer" } },
    },
  },
}

-- Operations the document does not have yet, in its own shape: their paths are added to
-- doc.paths and their schemas to doc.components.schemas before anything is read. Add one only on
-- the same kind of evidence as REAL_API_PROPERTIES.
local function component(name) return { ["$ref"] = "#/components/schemas/" .. name } end
local function json_body(name)
  return { content = { ["application/json"] = { schema = component(name) } } }
end
local function answer(status, name)
  return { [tostring(status)] = name and json_body(name) or { description = "" } }
end
local ID_PARAM = { { name = "id", ["in"] = "path", required = true, schema = { type = "string" } } }
local REAL_API_OPERATIONS = {
  -- Rate limit policies: node-auth0 6.4.0 (the SDK inside a0deploy 8.44.0) has their client,
  -- resources/rateLimitPolicies: list (GET /rate-limit-policies with from and take, answering
  -- {rate_limit_policies, next}), create (POST, CreateRateLimitPolicyRequestContent: resource,
  -- consumer, consumer_selector, configuration, all required), get, update (PATCH,
  -- PatchRateLimitPolicyRequestContent: {configuration}) and delete (DELETE
  -- /rate-limit-policies/{id}); the enums RateLimitPolicyResourceEnum (oauth_authentication_api),
  -- RateLimitPolicyConsumerEnum (client) and the configuration RateLimitPolicyConfiguration: one
  -- of {action: allow}, {action: block | log, limit}, {action: redirect, limit, redirect_uri}.
  -- a0deploy 8.44.0's rateLimitPolicies handler sends exactly these bodies, and its schema
  -- refuses any other key of a configuration.
  paths = {
    ["/rate-limit-policies"] = {
      get = { operationId = "get_rate-limit-policies",
        parameters = { { name = "from", ["in"] = "query", schema = { type = "string" } },
          { name = "take", ["in"] = "query", schema = { type = "integer" } } },
        responses = answer(200, "ListRateLimitPoliciesPaginatedResponseContent") },
      post = { operationId = "post_rate-limit-policies",
        requestBody = json_body("CreateRateLimitPolicyRequestContent"),
        responses = answer(201, "RateLimitPolicy") },
    },
    ["/rate-limit-policies/{id}"] = {
      parameters = ID_PARAM,
      get = { operationId = "get_rate-limit-policies_by_id",
        responses = answer(200, "RateLimitPolicy") },
      patch = { operationId = "patch_rate-limit-policies_by_id",
        requestBody = json_body("PatchRateLimitPolicyRequestContent"),
        responses = answer(200, "RateLimitPolicy") },
      delete = { operationId = "delete_rate-limit-policies_by_id", responses = answer(204) },
    },
  },
  schemas = {
    RateLimitPolicyConfiguration = { type = "object", oneOf = {
      { type = "object", additionalProperties = false, required = { "action" },
        properties = { action = { type = "string", enum = { "allow" } } } },
      { type = "object", additionalProperties = false, required = { "action", "limit" },
        properties = { action = { type = "string", enum = { "block", "log" } },
          limit = { type = "number" } } },
      { type = "object", additionalProperties = false,
        required = { "action", "limit", "redirect_uri" },
        properties = { action = { type = "string", enum = { "redirect" } },
          limit = { type = "number" }, redirect_uri = { type = "string" } } },
    } },
    CreateRateLimitPolicyRequestContent = { type = "object", additionalProperties = false,
      required = { "resource", "consumer", "consumer_selector", "configuration" },
      properties = {
        resource = { type = "string", enum = { "oauth_authentication_api" } },
        consumer = { type = "string", enum = { "client" } },
        consumer_selector = { type = "string" },
        configuration = component("RateLimitPolicyConfiguration"),
      } },
    PatchRateLimitPolicyRequestContent = { type = "object", additionalProperties = false,
      required = { "configuration" },
      properties = { configuration = component("RateLimitPolicyConfiguration") } },
    RateLimitPolicy = { type = "object", properties = {
      id = { type = "string" }, resource = { type = "string" }, consumer = { type = "string" },
      consumer_selector = { type = "string" },
      configuration = component("RateLimitPolicyConfiguration"),
      created_at = { type = "string" }, updated_at = { type = "string" } } },
    ListRateLimitPoliciesPaginatedResponseContent = { type = "object", properties = {
      rate_limit_policies = { type = "array", items = component("RateLimitPolicy") },
      next = { type = "string" } } },
  },
}

-- Keywords kept as they are (numbers, booleans, strings, lists of scalars).
local SCALAR_KEYWORDS = {
  minLength = "number", maxLength = "number", minimum = "number", maximum = "number",
  minItems = "number", maxItems = "number", minProperties = "number", maxProperties = "number",
  uniqueItems = "boolean", nullable = "boolean", pattern = "string",
}
-- Keywords that constrain a value but that core.schema does not implement: dropped, with a warning.
local UNSUPPORTED = {
  ["not"] = true, ["if"] = true, ["then"] = true, ["else"] = true, contains = true,
  patternProperties = true, propertyNames = true, multipleOf = true, exclusiveMinimum = true,
  exclusiveMaximum = true, prefixItems = true, dependencies = true, dependentRequired = true,
  dependentSchemas = true, minContains = true, maxContains = true, unevaluatedProperties = true,
  unevaluatedItems = true, additionalItems = true,
}
-- The order keywords are written in.
local KEY_ORDER = {
  "$ref", "type", "nullable", "enum", "format", "pattern", "minLength", "maxLength", "minimum",
  "maximum", "minItems", "maxItems", "uniqueItems", "items", "minProperties", "maxProperties",
  "required", "properties", "additionalProperties", "anyOf",
}
local LUA_KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do
  LUA_KEYWORDS[word] = true
end

local warnings = {}
local function warn(message)
  if not warnings[message] then
    warnings[message] = true
    io.stderr:write("gen-emulator-routes: ", message, "\n")
  end
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function is_list(v)
  return type(v) == "table" and (json.is_array(v) or #v > 0)
end

local function ref_name(ref)
  local name = type(ref) == "string" and ref:match("^#/components/schemas/(.+)$")
  if not name then error("unsupported $ref " .. tostring(ref), 0) end
  return name
end

---------------------------------------------------------------------------------------------------
-- $ref cycles: the component schemas that can reach themselves (Tarjan's strongly connected
-- components over the $ref graph).

local function refs_of(node, out)
  if type(node) ~= "table" then return out end
  if node["$ref"] then out[ref_name(node["$ref"])] = true end
  for k, v in pairs(node) do
    if type(v) == "table" and k ~= "enum" and k ~= "const" and k ~= "default"
        and k ~= "example" and k ~= "examples" then
      refs_of(v, out)
    end
  end
  return out
end

local function cyclic_schemas(components)
  local index, low, on_stack, stack, counter = {}, {}, {}, {}, 0
  local cyclic = {}
  local edges = {}
  local function edges_of(name)
    if not edges[name] then edges[name] = sorted_keys(refs_of(components[name], {})) end
    return edges[name]
  end
  local function strong(v)
    counter = counter + 1
    index[v], low[v] = counter, counter
    stack[#stack + 1] = v
    on_stack[v] = true
    for _, w in ipairs(edges_of(v)) do
      if not components[w] then error("$ref to a missing schema " .. w, 0) end
      if not index[w] then
        strong(w)
        low[v] = math.min(low[v], low[w])
      elseif on_stack[w] then
        low[v] = math.min(low[v], index[w])
      end
    end
    if low[v] == index[v] then
      local members = {}
      repeat
        local w = table.remove(stack)
        on_stack[w] = nil
        members[#members + 1] = w
      until w == v
      local self_loop = false
      for _, w in ipairs(edges_of(v)) do if w == v then self_loop = true end end
      if #members > 1 or self_loop then
        for _, w in ipairs(members) do cyclic[w] = true end
      end
    end
  end
  for _, name in ipairs(sorted_keys(components)) do
    if not index[name] then strong(name) end
  end
  return cyclic
end

---------------------------------------------------------------------------------------------------
-- Schema reduction.

local Reducer = {}
Reducer.__index = Reducer

local function new_reducer(components)
  return setmetatable({
    components = components,
    cyclic = cyclic_schemas(components),
    memo = {},          -- component name -> reduced schema
    in_progress = {},
    entries = {},       -- schemas referenced: name -> reduced schema, written as entries
  }, Reducer)
end

local function type_list(t)
  if type(t) == "string" then return { t } end
  local out = {}
  for _, name in ipairs(t) do out[#out + 1] = name end
  return out
end

-- Intersection of two `type` values (nil means any).
local function merge_types(a, b)
  if a == nil then return b end
  if b == nil then return a end
  local allowed = {}
  for _, name in ipairs(type_list(b)) do allowed[name] = true end
  if allowed.number then allowed.integer = true end
  local out = {}
  for _, name in ipairs(type_list(a)) do
    if allowed[name] then out[#out + 1] = name end
  end
  if #out == 0 then error("allOf with disjoint types", 0) end
  if #out == 1 then return out[1] end
  return out
end

-- Is this reduced schema one that every value of its type satisfies (allOf's filler branches
-- { type = "object", additionalProperties = true })?
local function only_type(node)
  for k, v in pairs(node) do
    if k ~= "type" and not (k == "additionalProperties" and v == true) then return false end
  end
  return true
end

-- Merges the reduced schema `part` into `into` (allOf). Conflicting keywords are an error: the
-- document does not need more, and a silent wrong merge would accept or refuse the wrong bodies.
local function merge_into(into, part, where)
  if part == true then return end
  if part == false then error(where .. ": allOf with a false branch", 0) end
  if only_type(part) then
    into.type = merge_types(into.type, part.type)
    return
  end
  for k, v in pairs(part) do
    if k == "type" then
      into.type = merge_types(into.type, v)
    elseif k == "properties" then
      into.properties = into.properties or {}
      for name, sub in pairs(v) do
        if into.properties[name] then error(where .. ": allOf defines " .. name .. " twice", 0) end
        into.properties[name] = sub
      end
    elseif k == "required" then
      local seen, out = {}, {}
      for _, name in ipairs(into.required or {}) do seen[name] = true; out[#out + 1] = name end
      for _, name in ipairs(v) do
        if not seen[name] then seen[name] = true; out[#out + 1] = name end
      end
      into.required = out
    elseif into[k] == nil then
      into[k] = v
    elseif into[k] ~= v then
      error(where .. ": allOf branches disagree on " .. k, 0)
    end
  end
end

-- reducer:node(schema, where) -> reduced schema (a table, or true / false)
-- inline: a $ref at the top of s is written out (an allOf branch, merged into its parent).
function Reducer:node(s, where, inline)
  if type(s) == "boolean" then return s end
  if type(s) ~= "table" then error(where .. ": a schema must be an object", 0) end
  if s["$ref"] then
    for k in pairs(s) do
      if k ~= "$ref" then warn(where .. ": keyword " .. k .. " beside $ref ignored") end
    end
    return self:ref(ref_name(s["$ref"]), inline)
  end
  local out = {}
  for _, k in ipairs(sorted_keys(s)) do
    local v = s[k]
    if k == "type" then
      out.type = type(v) == "string" and v or type_list(v)
    elseif k == "properties" then
      out.properties = {}
      for _, name in ipairs(sorted_keys(v)) do
        out.properties[name] = self:node(v[name], where .. "." .. name)
      end
    elseif k == "items" then
      if is_list(v) then
        warn(where .. ": tuple-form items dropped")
      else
        out.items = self:node(v, where .. "[]")
      end
    elseif k == "additionalProperties" then
      out.additionalProperties = self:node(v, where .. ".*")
    elseif k == "required" then
      if #v > 0 then out.required = type_list(v) end
    elseif k == "enum" then
      local values = {}
      for i = 1, #v do values[i] = v[i] end
      out.enum = values
    elseif k == "const" then
      out.enum = { v }
    elseif k == "format" then
      if v == "date-time" then out.format = v end
    elseif k == "anyOf" or k == "oneOf" then
      -- oneOf becomes anyOf: with formats and discriminators dropped, branches of a oneOf in the
      -- document overlap (string | string, object|null | string|null), and an exclusive oneOf
      -- would refuse bodies the real API takes. For disjoint branches the two are the same.
      local branches = {}
      for i, branch in ipairs(v) do
        branches[#branches + 1] = self:node(branch, where .. "/" .. k .. "/" .. (i - 1))
      end
      if out.anyOf then
        warn(where .. ": both anyOf and oneOf; oneOf dropped")
      else
        out.anyOf = branches
      end
    elseif SCALAR_KEYWORDS[k] then
      if type(v) == SCALAR_KEYWORDS[k] then out[k] = v end
    elseif UNSUPPORTED[k] then
      warn(where .. ": keyword " .. k .. " is not supported by core.schema; dropped")
    end
  end
  if s.allOf then
    for i, branch in ipairs(s.allOf) do
      merge_into(out, self:node(branch, where .. "/allOf/" .. (i - 1), true), where)
    end
  end
  -- type [x, "null"] beside an enum without null (connection options' token_endpoint_auth_*):
  -- the document means the field may be null, so null joins the enum.
  if out.enum and type(out.type) == "table" then
    local nullable, listed = false, false
    for _, name in ipairs(out.type) do if name == "null" then nullable = true end end
    for _, value in ipairs(out.enum) do if value == null then listed = true end end
    if nullable and not listed then
      local values = { table.unpack(out.enum, 1, #out.enum) }
      values[#values + 1] = null
      out.enum = values
    end
  end
  -- An anyOf of one branch and nothing else is that branch.
  if out.anyOf and #out.anyOf == 1 and next(out, next(out)) == nil then
    return out.anyOf[1]
  end
  return out
end

function Reducer:ref(name, inline)
  if not self.components[name] then error("$ref to a missing schema " .. name, 0) end
  if not inline or self.cyclic[name] then
    if not self.entries[name] then
      self.entries[name] = true
      self.entries[name] = self:component(name)
    end
    return { ["$ref"] = name }
  end
  return self:component(name)
end

function Reducer:component(name)
  local done = self.memo[name]
  if done then return done end
  if self.in_progress[name] then error("unexpected $ref cycle through " .. name, 0) end
  self.in_progress[name] = true
  local reduced = self:node(self.components[name], name)
  self.in_progress[name] = nil
  self.memo[name] = reduced
  return reduced
end

---------------------------------------------------------------------------------------------------
-- Routes.

local function query_names(op, item)
  local names = {}
  local function add(params)
    for _, p in ipairs(params or {}) do
      if p["in"] == "query" and p.name then names[p.name] = true end
    end
  end
  add(item.parameters)
  add(op.parameters)
  return names
end

local function paging_of(template, q)
  local offset = q.page and q.per_page
  local checkpoint = q.from and q.take
  if offset and template:match("^/actions/") then return "actions" end
  if offset and checkpoint then return "both" end
  if offset then return "offset" end
  if checkpoint then return "checkpoint" end
  return nil
end

local function success_status(op)
  local best
  for code in pairs(op.responses or {}) do
    local n = tonumber(code)
    if n and n >= 200 and n < 300 and (not best or n < best) then best = n end
  end
  return best
end

-- The array property of the envelope objects a paged response schema allows.
local function envelope_key(components, schema, where)
  local keys, seen = {}, {}
  local function resolve(s)
    while type(s) == "table" and s["$ref"] do s = components[ref_name(s["$ref"])] end
    return s
  end
  local function visit(s)
    s = resolve(s)
    if type(s) ~= "table" or seen[s] then return end
    seen[s] = true
    for _, k in ipairs({ "oneOf", "anyOf", "allOf" }) do
      for _, branch in ipairs(s[k] or {}) do visit(branch) end
    end
    for _, name in ipairs(sorted_keys(s.properties or {})) do
      local p = resolve(s.properties[name])
      local t = type(p) == "table" and p.type
      local is_array = t == "array"
      if type(t) == "table" then
        for _, tn in ipairs(t) do if tn == "array" then is_array = true end end
      end
      if is_array and not keys[name] then
        keys[name] = true
        keys[#keys + 1] = name
      end
    end
  end
  visit(schema)
  if #keys > 1 then
    warn(where .. ": several array properties in the envelope; using " .. keys[1])
  end
  return keys[1]
end

local function collect_routes(doc, reducer)
  local routes, bodies = {}, {}
  local components = doc.components.schemas
  for _, template in ipairs(sorted_keys(doc.paths)) do
    local item = doc.paths[template]
    for _, method in ipairs(METHODS) do
      local op = item[method]
      if op then
        local route = {
          method = method:upper(),
          template = template,
          op = op.operationId or (method .. template:gsub("[^%w]+", "_")),
          status = success_status(op),
        }
        if method == "get" then
          route.paging = paging_of(template, query_names(op, item))
          if route.paging then
            local ok = route.status and op.responses[tostring(route.status)]
            local content = ok and ok.content and ok.content["application/json"]
            if content and content.schema then
              route.key = envelope_key(components, content.schema, route.op)
            end
          end
        end
        local body = op.requestBody and op.requestBody.content
          and op.requestBody.content["application/json"]
        if body and body.schema then
          local name
          if body.schema["$ref"] and next(body.schema, next(body.schema)) == nil then
            name = ref_name(body.schema["$ref"])
            if not bodies[name] then bodies[name] = reducer:component(name) end
          else
            name = route.op .. "_request"
            bodies[name] = reducer:node(body.schema, name)
          end
          route.body = name
        end
        routes[#routes + 1] = route
      end
    end
  end
  for name, schema in pairs(reducer.entries) do
    if bodies[name] and bodies[name] ~= schema then error("two schemas named " .. name, 0) end
    bodies[name] = schema
  end
  return routes, bodies
end

---------------------------------------------------------------------------------------------------
-- Writing Lua.

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == "\n" then return "\\n" end
    if c == "\t" then return "\\t" end
    if c == "\r" then return "\\r" end
    if c == '"' or c == "\\" then return "\\" .. c end
    return ("\\%03d"):format(c:byte())
  end) .. '"'
end

local function number_text(n)
  if math.type(n) == "integer" then return tostring(n) end
  if n ~= n or n == math.huge or n == -math.huge then error("NaN or infinity in a schema", 0) end
  for _, fmt in ipairs({ "%.15g", "%.16g", "%.17g" }) do
    local s = fmt:format(n)
    if tonumber(s) == n then
      if not s:find("[%.eE]") then s = s .. ".0" end
      return s
    end
  end
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not LUA_KEYWORDS[k] then return k end
  if type(k) == "string" then return "[" .. quote(k) .. "]" end
  return "[" .. number_text(k) .. "]"
end

local function scalar_text(v)
  if v == null then return "null" end
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" then return number_text(v) end
  if t == "boolean" then return tostring(v) end
  return nil
end

-- A value as items: a list of { key_text or false, value } in writing order, and whether the
-- value is a schema node (its children are schemas too).
local ORDER_RANK = {}
for i, k in ipairs(KEY_ORDER) do ORDER_RANK[k] = i end

local function children(v, kind)
  local items = {}
  if kind == "schema" then
    local keys = sorted_keys(v)
    table.sort(keys, function(a, b)
      local ra, rb = ORDER_RANK[a] or #KEY_ORDER + 1, ORDER_RANK[b] or #KEY_ORDER + 1
      if ra ~= rb then return ra < rb end
      return a < b
    end)
    for _, k in ipairs(keys) do
      local child_kind = "value"
      if k == "items" or k == "additionalProperties" then child_kind = "schema"
      elseif k == "properties" then child_kind = "schemas"
      elseif k == "anyOf" then child_kind = "schema_list" end
      items[#items + 1] = { key_text(k), v[k], child_kind }
    end
  elseif kind == "schemas" then
    for _, k in ipairs(sorted_keys(v)) do items[#items + 1] = { key_text(k), v[k], "schema" } end
  elseif kind == "schema_list" then
    for i = 1, #v do items[#items + 1] = { false, v[i], "schema" } end
  elseif is_list(v) then
    for i = 1, #v do items[#items + 1] = { false, v[i], "value" } end
  else
    for _, k in ipairs(sorted_keys(v)) do items[#items + 1] = { key_text(k), v[k], "value" } end
  end
  return items
end

local Writer = {}
Writer.__index = Writer

local function new_writer()
  return setmetatable({ inline_memo = setmetatable({}, { __mode = "k" }), out = {} }, Writer)
end

function Writer:inline(v, kind)
  local s = scalar_text(v)
  if s then return s end
  if type(v) ~= "table" then error("cannot write a " .. type(v), 0) end
  local memo = self.inline_memo[v]
  if memo and memo[kind] then return memo[kind] end
  local parts = {}
  for _, item in ipairs(children(v, kind)) do
    local text = self:inline(item[2], item[3])
    parts[#parts + 1] = item[1] and (item[1] .. " = " .. text) or text
  end
  local text = #parts == 0 and "{}" or ("{ " .. table.concat(parts, ", ") .. " }")
  memo = memo or {}
  memo[kind] = text
  self.inline_memo[v] = memo
  return text
end

-- Writes `prefix` followed by v and `suffix`, at `indent`: on one line when it fits in WIDTH
-- columns, else one member per line.
function Writer:write(indent, prefix, v, kind, suffix)
  local text = self:inline(v, kind)
  local out = self.out
  if type(v) ~= "table" or #indent + #prefix + #text + #suffix <= WIDTH then
    out[#out + 1] = indent .. prefix .. text .. suffix
    return
  end
  out[#out + 1] = indent .. prefix .. "{"
  local inner = indent .. "  "
  for _, item in ipairs(children(v, kind)) do
    self:write(inner, item[1] and (item[1] .. " = ") or "", item[2], item[3], ",")
  end
  out[#out + 1] = indent .. "}" .. suffix
end

local ROUTE_FIELDS = { "method", "template", "op", "paging", "key", "body", "status" }

local function render(doc, routes, schemas)
  local w = new_writer()
  local out = w.out
  local info = doc.info or {}
  local header = {
    "-- Generated by scripts/gen-emulator-routes.lua from the Management API OpenAPI document",
    ("-- (%s %s). Do not edit."):format(tostring(info.title), tostring(info.version)),
    "-- routes: { method, template, op, paging?, key?, body?, status }, sorted by template.",
    "-- schemas: request schemas for a0lua.core.schema, and the document's named schemas they",
    "-- use, each once; { [\"$ref\"] = NAME } names another entry. null is the JSON null sentinel.",
    "-- A few properties follow what the real API takes rather than the document",
    "-- (REAL_API_PROPERTIES in the script), and a few operations it lacks come from the script",
    "-- (REAL_API_OPERATIONS). Regenerate with make routes (scripts/routes.sh).",
  }
  for _, line in ipairs(header) do out[#out + 1] = line end
  out[#out + 1] = "-- luacheck: no max line length"
  out[#out + 1] = "local null = require(\"a0lua.core.json\").null"
  out[#out + 1] = ""
  out[#out + 1] = "return {"
  out[#out + 1] = "  routes = {"
  for _, route in ipairs(routes) do
    local parts = {}
    for _, f in ipairs(ROUTE_FIELDS) do
      if route[f] ~= nil then parts[#parts + 1] = f .. " = " .. scalar_text(route[f]) end
    end
    out[#out + 1] = "    { " .. table.concat(parts, ", ") .. " },"
  end
  out[#out + 1] = "  },"
  out[#out + 1] = "  schemas = {"
  for _, name in ipairs(sorted_keys(schemas)) do
    w:write("    ", key_text(name) .. " = ", schemas[name], "schema", ",")
  end
  out[#out + 1] = "  },"
  out[#out + 1] = "}"
  out[#out + 1] = ""
  return table.concat(out, "\n")
end

---------------------------------------------------------------------------------------------------

local function set_real_api_properties(components)
  for _, name in ipairs(sorted_keys(REAL_API_PROPERTIES)) do
    local target = components[name]
    if type(target) ~= "table" then
      warn("REAL_API_PROPERTIES: the document has no schema " .. name)
    else
      target.properties = target.properties or {}
      for property, s in pairs(REAL_API_PROPERTIES[name]) do target.properties[property] = s end
    end
  end
end

local function add_real_api_operations(doc)
  for template, item in pairs(REAL_API_OPERATIONS.paths) do
    if doc.paths[template] then
      warn("REAL_API_OPERATIONS: the document has " .. template .. " now; drop it from the script")
    else
      doc.paths[template] = item
    end
  end
  for name, schema in pairs(REAL_API_OPERATIONS.schemas) do
    if not doc.components.schemas[name] then doc.components.schemas[name] = schema end
  end
end

local function main(argv)
  local path = argv[1]
  if not path or argv[2] then
    io.stderr:write("usage: a0lua run scripts/gen-emulator-routes.lua PATH/TO/openapi.json\n")
    return 2
  end
  local f, open_err = io.open(path, "rb")
  if not f then error(open_err, 0) end
  local text = f:read("a")
  f:close()
  local doc, err = json.decode(text)
  if not doc then error(path .. ":" .. tostring(err), 0) end
  if type(doc.paths) ~= "table" or type(doc.components) ~= "table"
      or type(doc.components.schemas) ~= "table" then
    error(path .. ": not an OpenAPI document (paths, components.schemas)", 0)
  end
  add_real_api_operations(doc)
  set_real_api_properties(doc.components.schemas)
  local reducer = new_reducer(doc.components.schemas)
  local routes, schemas = collect_routes(doc, reducer)
  io.stdout:write(render(doc, routes, schemas))
  return 0
end

return main(arg)
