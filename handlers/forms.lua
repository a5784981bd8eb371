-- handlers/forms.lua: Forms (a0deploy type `forms`), docs/handlers.md §forms. Every `flow_id` (a
-- FLOW node, a resend button, the ending's after_submit: at any depth, as a0deploy finds it)
-- names a flow in the files and is sent as its id (handlers/flows.lua).
local handler = require("a0lua.handler")
local refs = require("a0lua.named_refs")
local util = require("a0lua.util")

-- The component types of each category (FormComponent in the Management API document).
local COMPONENTS = {
  BLOCK = { "DIVIDER", "HTML", "IMAGE", "JUMP_BUTTON", "RESEND_BUTTON", "NEXT_BUTTON",
    "PREVIOUS_BUTTON", "RICH_TEXT" },
  WIDGET = { "AUTH0_VERIFIABLE_CREDENTIALS", "GMAPS_ADDRESS", "RECAPTCHA" },
  FIELD = { "BOOLEAN", "CARDS", "CHOICE", "CUSTOM", "DATE", "DROPDOWN", "EMAIL", "FILE", "LEGAL",
    "NUMBER", "PASSWORD", "PAYMENT", "SOCIAL", "TEL", "TEXT", "URL" },
}

local COMPONENT_TYPES = {}
for _, list in pairs(COMPONENTS) do
  for _, t in ipairs(list) do COMPONENT_TYPES[#COMPONENT_TYPES + 1] = t end
end
table.sort(COMPONENT_TYPES)

local COORDINATES = {
  type = "object",
  required = { "x", "y" },
  properties = { x = { type = "integer" }, y = { type = "integer" } },
}

local COMPONENT = {
  type = "object",
  required = { "id", "category", "type" },
  properties = {
    id = { type = "string" },
    category = { type = "string", enum = { "BLOCK", "WIDGET", "FIELD" } },
    type = { type = "string", enum = COMPONENT_TYPES },
    label = { type = "string" },
    hint = { type = "string" },
    required = { type = "boolean" },
    sensitive = { type = "boolean" },
    config = { type = "object" },
  },
}

local NODE = {
  type = "object",
  required = { "id", "type" },
  properties = {
    id = { type = "string" },
    type = { type = "string", enum = { "STEP", "FLOW", "ROUTER" } },
    alias = { type = "string", maxLength = 150 },
    coordinates = COORDINATES,
    config = {
      type = "object",
      properties = {
        components = { type = "array", items = COMPONENT },
        next_node = { type = "string" },
        flow_id = { type = "string" },
        fallback = { type = "string" },
        rules = { type = "array", items = { type = "object", required = { "id" } } },
      },
    },
  },
}

local function nullable(schema)
  local out = handler.deep_copy(schema)
  out.type = { out.type, "null" }
  return out
end

local SCHEMA = handler.named_schema{
  properties = {
    name = handler.bounded_name_schema(150),
    languages = nullable{ type = "object", additionalProperties = false,
      properties = { primary = { type = "string" }, default = { type = "string" } } },
    nodes = nullable{ type = "array", items = NODE },
    start = nullable{ type = "object", properties = {
      next_node = { type = "string" },
      coordinates = COORDINATES,
      hidden_fields = { type = "array", items = { type = "object", required = { "key" },
        properties = { key = { type = "string" }, value = { type = "string" } } } },
    } },
    ending = nullable{ type = "object", properties = {
      redirection = { type = "object", required = { "target" }, properties = {
        target = { type = "string" }, delay = { type = "integer", minimum = 0, maximum = 10 } } },
      after_submit = { type = "object", properties = { flow_id = { type = "string" } } },
      coordinates = COORDINATES,
      resume_flow = { type = "boolean", enum = { true } },
    } },
    style = nullable{ type = "object", properties = { css = { type = "string" } } },
    messages = nullable{ type = "object", properties = {
      custom = { type = "object" }, errors = { type = "object" } } },
    translations = nullable{ type = "object" },
  },
}

-- Set by the API: never sent, compared or exported (flow_count: the list's summary).
local READ_ONLY = { "created_at", "updated_at", "submitted_at", "embedded_at", "flow_count",
  "links" }

local M = {
  type = "forms",
  path = "/forms",
  list = { paging = "offset", key = "forms" },
  schema = SCHEMA,
  read_only = READ_ONLY,
  -- A plan reads the whole of only the forms the files name (the others are only ever deleted).
  read_wanted = true,
  named = { key = "flow_id", type = "flows", what = "flow" },
  references = {
    { path = "nodes[].config.flow_id", type = "flows", strict = true },
    { path = "nodes[].config.components[].config.flow_id", type = "flows", strict = true },
    { path = "ending.after_submit.flow_id", type = "flows", strict = true },
  },
}

-- A component's type must be one of its category's.
function M.validate(_, _, items, report)
  for i, form in handler.items(items) do
    local nodes = form.nodes
    for j, node in ipairs(type(nodes) == "table" and nodes or {}) do
      local config = type(node) == "table" and node.config
      local components = type(config) == "table" and config.components
      for k, c in ipairs(type(components) == "table" and components or {}) do
        local allowed = type(c) == "table" and COMPONENTS[c.category]
        if allowed and type(c.type) == "string" and util.set_of(COMPONENT_TYPES)[c.type]
          and not util.set_of(allowed)[c.type] then
          report(i, ("nodes.%d.config.components.%d.type"):format(j - 1, k - 1),
            ("must be one of %s (the types of category %s)"):format(table.concat(allowed, ", "),
            c.category))
        end
      end
    end
  end
end

refs.install(M)

return M
