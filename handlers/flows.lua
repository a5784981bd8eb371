-- handlers/flows.lua: the flows of Forms (a0deploy type `flows`), docs/handlers.md §flows. An
-- action's `connection_id` (at any depth, as a0deploy finds it) names a vault connection in the
-- files and is sent as its id; forms name flows the same way (handlers/forms.lua).
local handler = require("a0lua.handler")
local refs = require("a0lua.named_refs")
local util = require("a0lua.util")

-- The API's action types and the actions of each (FlowAction in the Management API document).
local ACTIONS = {
  ACTIVECAMPAIGN = { "LIST_CONTACTS", "UPSERT_CONTACT" },
  AIRTABLE = { "CREATE_RECORD", "LIST_RECORDS", "UPDATE_RECORD" },
  AUTH0 = { "CREATE_USER", "GET_USER", "UPDATE_USER", "SEND_REQUEST", "SEND_EMAIL", "SEND_SMS",
    "MAKE_CALL" },
  BIGQUERY = { "INSERT_ROWS" },
  CLEARBIT = { "FIND_PERSON", "FIND_COMPANY" },
  EMAIL = { "VERIFY_EMAIL" },
  FLOW = { "BOOLEAN_CONDITION", "DELAY_FLOW", "DO_NOTHING", "ERROR_MESSAGE", "MAP_VALUE",
    "RETURN_JSON", "STORE_VARS" },
  GOOGLE_SHEETS = { "ADD_ROW" },
  HTTP = { "SEND_REQUEST" },
  HUBSPOT = { "ENROLL_CONTACT", "GET_CONTACT", "UPSERT_CONTACT" },
  JSON = { "CREATE_JSON", "PARSE_JSON", "SERIALIZE_JSON" },
  JWT = { "DECODE_JWT", "SIGN_JWT", "VERIFY_JWT" },
  MAILCHIMP = { "UPSERT_MEMBER" },
  MAILJET = { "SEND_EMAIL" },
  OTP = { "GENERATE_CODE", "VERIFY_CODE" },
  PIPEDRIVE = { "ADD_DEAL", "ADD_ORGANIZATION", "ADD_PERSON" },
  SALESFORCE = { "CREATE_LEAD", "GET_LEAD", "SEARCH_LEADS", "UPDATE_LEAD" },
  SENDGRID = { "SEND_EMAIL" },
  SLACK = { "POST_MESSAGE" },
  STRIPE = { "ADD_TAX_ID", "CREATE_CUSTOMER", "CREATE_PORTAL_SESSION", "DELETE_TAX_ID",
    "FIND_CUSTOMERS", "GET_CUSTOMER", "UPDATE_CUSTOMER" },
  TELEGRAM = { "SEND_MESSAGE" },
  TWILIO = { "MAKE_CALL", "SEND_SMS" },
  WHATSAPP = { "SEND_MESSAGE" },
  XML = { "PARSE_XML", "SERIALIZE_XML" },
  ZAPIER = { "TRIGGER_WEBHOOK" },
}

local TYPES = {}
for t in pairs(ACTIONS) do TYPES[#TYPES + 1] = t end
table.sort(TYPES)

local SCHEMA = handler.named_schema{
  properties = {
    name = handler.bounded_name_schema(150),
    actions = handler.objects_schema({
      id = { type = "string" },
      alias = { type = "string", maxLength = 100 },
      type = { type = "string", enum = TYPES },
      action = { type = "string" },
      allow_failure = { type = "boolean" },
      mask_output = { type = "boolean" },
      params = { type = "object" },
    }, { required = { "id", "type", "action" } }),
  },
}

-- Set by the API: never sent, compared or exported.
local READ_ONLY = { "created_at", "updated_at", "executed_at" }

local M = {
  type = "flows",
  path = "/flows",
  list = { paging = "offset", key = "flows" },
  schema = SCHEMA,
  read_only = READ_ONLY,
  -- A plan reads the whole of only the flows the files name (the others are only ever deleted).
  read_wanted = true,
  named = { key = "connection_id", type = "flowVaultConnections", what = "vault connection" },
  references = { { path = "actions[].params.connection_id", type = "flowVaultConnections",
    strict = true } },
}

-- An action must be one its type has (the schema checks the type).
function M.validate(_, _, items, report)
  for i, flow in handler.items(items) do
    local actions = flow.actions
    for j, a in ipairs(type(actions) == "table" and actions or {}) do
      local allowed = type(a) == "table" and ACTIONS[a.type]
      if allowed and type(a.action) == "string" and not util.set_of(allowed)[a.action] then
        report(i, ("actions.%d.action"):format(j - 1), ("must be one of %s (the actions of "
          .. "type %s)"):format(table.concat(allowed, ", "), a.type))
      end
    end
  end
end

refs.install(M)

return M
