-- a0lua.emulator.recording: the emulator state an a0deploy e2e recording shows.
--
--   local recording = require("a0lua.emulator.recording")
--
--   recording.to_state(entries) -> state
--     entries  a recording as decoded from its JSON file (docs/architecture.md §12.1): an array
--              of { method, path, body, status, response }, path with /api/v2 and the query.
--     state    { ["/clients"] = {...}, ["/tenants/settings"] = {...}, ... }: for every path a
--              successful GET answered, what a GET of that path returns unpaged and unwrapped.
--              Keys are the paths without /api/v2 and without the query string, as sent (not
--              percent-decoded). Only GETs with a 2xx status and a body count.
--     Paged answers: where the route (a0lua.emulator.routes) pages, the envelope
--     ({clients = [...], total =, start =, limit =}, {clients, next}, the Actions
--     {actions, total, page, per_page}) becomes its array, and several pages of one listing are
--     concatenated: offset pages by page number, checkpoint pages by following `next` from the
--     page asked without `from`. A page asked twice keeps its first answer.
--     Several answers for one path: the first wins, with one exception. A listing filtered by a
--     query parameter other than the paging ones (is_global=true, strategy=auth0, type=tenant,
--     fields=...) only shows part of the collection, so an answer asked without such filters is
--     preferred when the recording has one (a0deploy asks /clients?is_global=true first, then
--     /clients?is_global=false, then /clients unfiltered: the state is the unfiltered list).
--     Values are the recording's own tables ("[REDACTED]" stays as it is); arrays built here carry
--     the JSON array marker.
--     entries not a table raises.
--
--   recording.read(path) -> entries | nil, err
--     Reads and decodes a recording file. err = { code = "recording_read" | "recording_invalid",
--     message =, path = } (recording_invalid: not JSON, or not an array of entries).

local json = require("a0lua.core.json")
local errors = require("a0lua.errors")
local routes = require("a0lua.emulator.routes")

local M = {}

local PAGING_PARAMS = {
  page = true, per_page = true, include_totals = true, from = true, take = true,
}
-- Envelope fields besides the array (used where no route is known).
local ENVELOPE_FIELDS = {
  start = true, limit = true, total = true, length = true, next = true, page = true,
  per_page = true,
}
local API_PREFIX = "/api/v2"

local function is_array(v)
  return type(v) == "table" and (json.is_array(v) or (#v > 0 and next(v, #v) == nil))
end

---------------------------------------------------------------------------------------------------
-- Routes: the GET templates, matched segment by segment; literal segments beat parameters.

local get_routes

local function split_segments(path)
  local segments = {}
  for s in path:gmatch("[^/]+") do segments[#segments + 1] = s end
  return segments
end

local function route_for(path)
  if not get_routes then
    get_routes = {}
    for _, route in ipairs(routes.routes) do
      if route.method == "GET" then
        get_routes[#get_routes + 1] = { route = route, segments = split_segments(route.template) }
      end
    end
  end
  local segments = split_segments(path)
  local best, best_score
  for _, candidate in ipairs(get_routes) do
    local t = candidate.segments
    if #t == #segments then
      local score = 0
      for i = 1, #t do
        if t[i] == segments[i] then
          score = score + 1
        elseif not t[i]:match("^{.*}$") then
          score = nil
          break
        end
      end
      if score and (not best_score or score > best_score) then
        best, best_score = candidate.route, score
      end
    end
  end
  return best
end

---------------------------------------------------------------------------------------------------

local function parse_query(query)
  local params = {}
  for pair in (query or ""):gmatch("[^&]+") do
    local name, value = pair:match("^([^=]*)=?(.*)$")
    params[name] = value
  end
  return params
end

-- The query parameters that change what a listing contains, as one comparable string.
local function filter_signature(params)
  local names = {}
  for name in pairs(params) do
    if not PAGING_PARAMS[name] then names[#names + 1] = name end
  end
  table.sort(names)
  for i, name in ipairs(names) do names[i] = name .. "=" .. params[name] end
  return table.concat(names, "&")
end

-- The array an answer holds, or nil when it is not a list or an envelope.
local function items_of(response, route)
  if is_array(response) then return response end
  if type(response) ~= "table" then return nil end
  if route then
    if route.key and is_array(response[route.key]) then return response[route.key] end
    return nil
  end
  -- No route: an object of one array and at least one envelope field.
  local found, envelope = nil, false
  for k, v in pairs(response) do
    if ENVELOPE_FIELDS[k] then
      envelope = true
    elseif is_array(v) and not found then
      found = v
    else
      return nil
    end
  end
  return envelope and found or nil
end

local function concat(lists)
  local out = json.array()
  for _, list in ipairs(lists) do
    for i = 1, #list do out[#out + 1] = list[i] end
  end
  return out
end

-- Offset pages (and the Actions envelope): by page number, first answer per page.
local function offset_pages(answers, items)
  local by_page, numbers = {}, {}
  for i, a in ipairs(answers) do
    local n = tonumber(a.params.page) or 0
    if not by_page[n] then
      by_page[n] = items[i]
      numbers[#numbers + 1] = n
    end
  end
  table.sort(numbers)
  local lists = {}
  for _, n in ipairs(numbers) do lists[#lists + 1] = by_page[n] end
  return concat(lists)
end

-- Checkpoint pages: from the page asked without `from`, follow each answer's `next`.
local function checkpoint_pages(answers, items)
  local by_from, first = {}, nil
  for i, a in ipairs(answers) do
    local from = a.params.from
    if from == nil or from == "" then
      if not first then first = i end
    elseif not by_from[from] then
      by_from[from] = i
    end
  end
  first = first or 1
  local lists, seen = {}, {}
  local i = first
  while i and not seen[i] do
    seen[i] = true
    lists[#lists + 1] = items[i]
    local nxt = type(answers[i].response) == "table" and answers[i].response.next
    i = type(nxt) == "string" and by_from[nxt] or nil
  end
  return concat(lists)
end

local function assemble(answers, route)
  if route and not route.paging then return answers[1].response end
  local items = {}
  for i, a in ipairs(answers) do
    items[i] = items_of(a.response, route)
    if not items[i] then return answers[1].response end
  end
  local checkpoint = false
  for _, a in ipairs(answers) do
    if a.params.from or a.params.take then checkpoint = true end
  end
  if checkpoint then return checkpoint_pages(answers, items) end
  return offset_pages(answers, items)
end

function M.to_state(entries)
  if type(entries) ~= "table" then error("recording.to_state: entries must be a table", 2) end
  local by_path, order = {}, {}
  for _, e in ipairs(entries) do
    local status = type(e) == "table" and tonumber(e.status)
    if status and status >= 200 and status < 300 and e.method == "GET"
        and type(e.path) == "string" and e.response ~= nil and e.response ~= "" then
      local path, query = e.path:match("^([^?]*)%??(.*)$")
      if path:sub(1, #API_PREFIX + 1) == API_PREFIX .. "/" then path = path:sub(#API_PREFIX + 1) end
      local params = parse_query(query)
      local signature = filter_signature(params)
      local group = by_path[path]
      if not group then
        group = { listings = {}, order = {} }
        by_path[path] = group
        order[#order + 1] = path
      end
      local listing = group.listings[signature]
      if not listing then
        listing = { signature = signature, answers = {} }
        group.listings[signature] = listing
        group.order[#group.order + 1] = listing
      end
      listing.answers[#listing.answers + 1] = { params = params, response = e.response }
    end
  end
  local state = {}
  for _, path in ipairs(order) do
    local group = by_path[path]
    local listing = group.listings[""] or group.order[1]
    state[path] = assemble(listing.answers, route_for(path))
  end
  return state
end

function M.read(path)
  local f, open_err = io.open(path, "rb")
  if not f then return nil, errors.new("recording_read", tostring(open_err), { path = path }) end
  local text = f:read("a")
  f:close()
  local entries, err = json.decode(text)
  if entries == nil then
    return nil, errors.new("recording_invalid", path .. ":" .. tostring(err), { path = path })
  end
  if not json.is_array(entries) then
    return nil, errors.new("recording_invalid", path .. ": a recording is a JSON array of entries",
      { path = path })
  end
  return entries
end

return M
