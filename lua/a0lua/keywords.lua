--[[
a0lua.keywords: keyword replacement (docs/formats.md §4) and keyword preservation (§5.4).

  local keywords = require("a0lua.keywords")
  keywords.replace(text, mappings [, {file =}]) -> text, warnings
      §4.2 on the raw text of one file, before it is parsed. Pass 1, for each key in order: every
      '@@KEY@@', "@@KEY@@" or bare @@KEY@@ (the quotes, when the same kind stands on both sides,
      are part of the match) becomes the JSON text of the value (keywords.json_text). Pass 2, for
      each key in order: every ##KEY## becomes the value as text (keywords.text). Pass 2 runs over
      pass 1's output, so ##X## inside an @@ value is replaced too. Keys and values are literal
      (no pattern characters), matching is case-sensitive, unknown markers stay as they are. With
      no mappings (nil or empty) the text is returned unchanged.
      warnings: one per marker of the original text whose key is not mapped (##NAME## or @@NAME@@,
      NAME of letters, digits and _), each { code = "keyword_unmapped", keyword =, marker =,
      file =, line =, column =, message = } with a __tostring "file:line:column: message". They
      are facts for the caller to report; in YAML an unquoted unreplaced ##X## is a comment.
  keywords.order(mappings) -> keys            the order the keys are applied in: the order given
                                              to with_order, then any other keys by bytes
  keywords.with_order(mappings, keys) -> mappings   records the order (a0deploy applies keys in
                                              insertion order, which matters when one value holds
                                              another key's marker: §4.2 rule 6)
  keywords.json_text(value) -> text           JavaScript's JSON.stringify: integral numbers
                                              without ".0", object keys sorted
  keywords.text(value) -> text                JavaScript's String(value): arrays joined with ",",
                                              null elements empty, objects "[object Object]"
  keywords.has_marker(s, mappings) -> boolean  s holds ##KEY## or @@KEY@@ of a mapped key
  keywords.quote_array_markers(text, mappings) -> text
      wraps every bare @@KEY@@ of a mapped key (no quote just before or after it) in double
      quotes, so a YAML file read without replacement (for preservation) still parses
  keywords.unreplaced(value [, {pointer =, sources =, type =, name =}]) -> cleaned, found
      §4.3: value is one resource (a payload object). Every string field, at any depth inside
      nested objects but not inside arrays, whose entire value is ##[A-Z0-9_]+## or
      @@[A-Z0-9_]+@@ is left out of `cleaned` (a copy; value is not changed). found lists them:
      { code = "keyword_unreplaced", keyword =, marker =, path = "jwt_configuration.secret",
      pointer = opts.pointer .. "/jwt_configuration/secret", file =, line =, column =, message = }
      where file, line and column come from opts.sources (a0lua.sources: sources:locate) and the
      message names the type and resource (opts.type, opts.name), the path and the keyword.
  keywords.preserve(exported, local_tree, mappings [, {identifiers =}]) -> merged, warnings
      §5.4: exported is the export tree ({clients = {...}, tenant = {...}}, ids already turned to
      names); local_tree the local files read WITHOUT replacement (same shape, companion files
      inlined). Every local string holding a marker of a mapped key is addressed: object keys by
      name, items of a top-level list by their identifiers (opts.identifiers[type], else the
      type's a0lua.catalogue.identifiers, else id and name; a nested list is a compound identifier;
      an item with none of them by its position); other arrays are not entered. The address is
      looked up in exported with the identifiers' markers replaced. Where the exported value
      exists and equals the local value with keywords replaced (a whole "@@KEY@@" value compares
      the mapping's value itself, deeply), merged gets the local marker value; where it differs,
      the exported value stays and a warning { code = "keyword_not_preserved", address =,
      message = } says so; nothing is added where exported lacks the field. merged is a copy.

Misuse raises: text not a string, mappings not a table.
]]
local catalogue = require("a0lua.catalogue")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local util = require("a0lua.util")

local M = {}

local ORDER_FIELD = "a0lua_keyword_order"

local DEFAULT_IDENTIFIERS = { "id", "name" }

local function check_mappings(mappings, fn)
  if mappings ~= nil and type(mappings) ~= "table" then
    error(("keywords.%s: mappings must be a table"):format(fn), 3)
  end
end


-- keywords.with_order(mappings, keys) -> mappings
function M.with_order(mappings, keys)
  check_mappings(mappings, "with_order")
  if type(keys) ~= "table" then error("keywords.with_order: keys must be a list", 2) end
  local mt = getmetatable(mappings)
  if mt == nil then
    mt = {}
    setmetatable(mappings, mt)
  end
  mt[ORDER_FIELD] = { table.unpack(keys) }
  return mappings
end

-- keywords.order(mappings) -> keys
function M.order(mappings)
  check_mappings(mappings, "order")
  if mappings == nil then return {} end
  local keys, seen = {}, {}
  local mt = getmetatable(mappings)
  for _, key in ipairs(mt and mt[ORDER_FIELD] or {}) do
    if mappings[key] ~= nil and not seen[key] then
      seen[key] = true
      keys[#keys + 1] = key
    end
  end
  for _, key in ipairs(util.sorted_string_keys(mappings)) do
    if not seen[key] then keys[#keys + 1] = key end
  end
  return keys
end

---------------------------------------------------------------------------------------------------
-- Values as JavaScript writes them.

-- A number as JavaScript's Number#toString writes it.
local function js_number(x)
  if math.type(x) == "integer" then return tostring(x) end
  if x ~= x then return "NaN" end
  if x == math.huge then return "Infinity" end
  if x == -math.huge then return "-Infinity" end
  if x == 0 then return "0" end
  if x == math.floor(x) and math.abs(x) < 1e21 then return ("%.0f"):format(x) end
  local s
  for precision = 1, 17 do
    s = ("%." .. precision .. "g"):format(x)
    if tonumber(s) == x then break end
  end
  local mantissa, exponent = s:match("^(-?[%d.]+)e([-+]%d+)$")
  if not mantissa then return s end
  local e = tonumber(exponent)
  if e >= 21 or e <= -7 then
    return mantissa .. "e" .. (e > 0 and "+" or "-") .. math.abs(e)
  end
  -- JavaScript writes this range without an exponent.
  local sign = mantissa:sub(1, 1) == "-" and "-" or ""
  local digits = mantissa:gsub("^-", ""):gsub("%.", "")
  local point = #(mantissa:gsub("^-", ""):match("^(%d+)")) + e
  if point <= 0 then return sign .. "0." .. ("0"):rep(-point) .. digits end
  if point >= #digits then return sign .. digits .. ("0"):rep(point - #digits) end
  return sign .. digits:sub(1, point) .. "." .. digits:sub(point + 1)
end

local function json_text(v)
  if v == nil or v == json.null then return "null" end
  local t = type(v)
  if t == "string" then return (json.encode(v)) end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return js_number(v)
  end
  if t == "table" then
    local parts = {}
    if json.is_array(v) or (next(v) ~= nil and v[1] ~= nil) then
      for i = 1, #v do parts[i] = json_text(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for _, key in ipairs(util.sorted_string_keys(v)) do
      parts[#parts + 1] = json.encode(key) .. ":" .. json_text(v[key])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("keywords: a mapping value cannot be a " .. t, 3)
end

-- keywords.json_text(value) -> text
function M.json_text(value) return json_text(value) end

local function js_text(v, nested)
  if v == nil or v == json.null then return nested and "" or "null" end
  local t = type(v)
  if t == "string" then return v end
  if t == "boolean" then return tostring(v) end
  if t == "number" then return js_number(v) end
  if t == "table" then
    if json.is_array(v) or (next(v) ~= nil and v[1] ~= nil) then
      local parts = {}
      for i = 1, #v do parts[i] = js_text(v[i], true) end
      return table.concat(parts, ",")
    end
    return "[object Object]"
  end
  error("keywords: a mapping value cannot be a " .. t, 3)
end

-- keywords.text(value) -> text
function M.text(value) return js_text(value, false) end

---------------------------------------------------------------------------------------------------
-- Replacement

-- Every occurrence of marker in text (bytes s..e) goes to rewrite(s, e, done), done being where
-- the text not yet copied starts: it returns the span to replace and its replacement (s2, e2,
-- replacement), or nil to leave the occurrence as it is.
local function rewrite_markers(text, marker, rewrite)
  local out, done, from = {}, 1, 1
  while true do
    local s, e = text:find(marker, from, true)
    if not s then break end
    local rs, re, replacement = rewrite(s, e, done)
    if rs then
      out[#out + 1] = text:sub(done, rs - 1)
      out[#out + 1] = replacement
      done = re + 1
    end
    from = (re or e) + 1
  end
  if done == 1 then return text end
  out[#out + 1] = text:sub(done)
  return table.concat(out)
end

-- Pass 1 for one key: '@@K@@', "@@K@@" and @@K@@ become replacement.
local function replace_array_marker(text, key, replacement)
  return rewrite_markers(text, "@@" .. key .. "@@", function(s, e, done)
    local before, after = text:sub(s - 1, s - 1), text:sub(e + 1, e + 1)
    if s - 1 >= done and (before == "'" or before == '"') and after == before then
      return s - 1, e + 1, replacement
    end
    return s, e, replacement
  end)
end

-- Pass 2 for one key: ##K## becomes replacement.
local replace_plain = util.replace_plain

local function apply(text, mappings, keys)
  for _, key in ipairs(keys) do
    text = replace_array_marker(text, key, json_text(mappings[key]))
  end
  for _, key in ipairs(keys) do
    text = replace_plain(text, "##" .. key .. "##", js_text(mappings[key], false))
  end
  return text
end

-- Line and column (from 1, columns in bytes) of byte position pos of text.
local function position(text, pos)
  local line, line_start = 1, 1
  for nl in text:sub(1, pos - 1):gmatch("()\n") do
    line = line + 1
    line_start = nl + 1
  end
  return line, pos - line_start + 1
end

local function unmapped_markers(text, mappings, file)
  local warnings = {}
  for _, form in ipairs({ "##", "@@" }) do
    local pattern = "()" .. form .. "([%w_]+)" .. form
    for pos, name in text:gmatch(pattern) do
      if mappings == nil or mappings[name] == nil then
        local line, column = position(text, pos)
        local marker = form .. name .. form
        warnings[#warnings + 1] = errors.from({
          code = "keyword_unmapped", keyword = name, marker = marker, file = file,
          line = line, column = column,
          message = ("%s is not in AUTH0_KEYWORD_REPLACE_MAPPINGS: left as it is"):format(marker),
        })
      end
    end
  end
  table.sort(warnings, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.column < b.column
  end)
  return warnings
end

-- keywords.replace(text, mappings [, {file =}]) -> text, warnings
function M.replace(text, mappings, opts)
  if type(text) ~= "string" then error("keywords.replace: text must be a string", 2) end
  check_mappings(mappings, "replace")
  if opts ~= nil and type(opts) ~= "table" then
    error("keywords.replace: opts must be a table", 2)
  end
  local warnings = unmapped_markers(text, mappings, opts and opts.file)
  if mappings == nil or next(mappings) == nil then return text, warnings end
  return apply(text, mappings, M.order(mappings)), warnings
end

-- keywords.has_marker(s, mappings) -> boolean
function M.has_marker(s, mappings)
  check_mappings(mappings, "has_marker")
  if type(s) ~= "string" or mappings == nil then return false end
  if not (s:find("##", 1, true) or s:find("@@", 1, true)) then return false end
  for key in pairs(mappings) do
    if type(key) == "string" and (s:find("##" .. key .. "##", 1, true)
        or s:find("@@" .. key .. "@@", 1, true)) then
      return true
    end
  end
  return false
end

-- keywords.quote_array_markers(text, mappings) -> text
function M.quote_array_markers(text, mappings)
  if type(text) ~= "string" then error("keywords.quote_array_markers: text must be a string", 2) end
  check_mappings(mappings, "quote_array_markers")
  for _, key in ipairs(M.order(mappings)) do
    local marker = "@@" .. key .. "@@"
    text = rewrite_markers(text, marker, function(s, e)
      local before, after = text:sub(s - 1, s - 1), text:sub(e + 1, e + 1)
      if before ~= "'" and before ~= '"' and after ~= "'" and after ~= '"' then
        return s, e, '"' .. marker .. '"'
      end
    end)
  end
  return text
end

---------------------------------------------------------------------------------------------------
-- §4.3: whole-value placeholders left after replacement


local function pointer_token(key)
  return (tostring(key):gsub("~", "~0"):gsub("/", "~1"))
end

local function placeholder(s)
  local name = s:match("^##([A-Z0-9_]+)##$")
  if name then return name end
  return s:match("^@@([A-Z0-9_]+)@@$")
end

-- keywords.unreplaced(value [, opts]) -> cleaned, found
function M.unreplaced(value, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("keywords.unreplaced: opts must be a table", 2)
  end
  opts = opts or {}
  local found = {}
  local subject = opts.type and (opts.name and ("%s %q"):format(opts.type, tostring(opts.name))
    or opts.type)
  local function walk(v, pointer, path)
    if type(v) ~= "table" or v == json.null or json.is_array(v) then return util.copy(v) end
    local out = {}
    for _, key in ipairs(util.sorted_string_keys(v)) do
      local item = v[key]
      local item_pointer = pointer .. "/" .. pointer_token(key)
      local item_path = path == "" and key or (path .. "." .. key)
      local name = type(item) == "string" and placeholder(item)
      if name then
        local message = ("%s is the unreplaced keyword %s: the field is not sent and the tenant "
          .. "keeps its value (define %s in AUTH0_KEYWORD_REPLACE_MAPPINGS)")
          :format(item_path, item, name)
        if subject then message = subject .. ": " .. message end
        local w = { code = "keyword_unreplaced", keyword = name, marker = item,
          path = item_path, pointer = item_pointer, message = message }
        if opts.sources then
          w.file, w.line, w.column = opts.sources:locate(item_pointer)
        end
        found[#found + 1] = errors.from(w)
      else
        out[key] = walk(item, item_pointer, item_path)
      end
    end
    for key, item in pairs(v) do
      if type(key) ~= "string" then out[key] = util.copy(item) end
    end
    return setmetatable(out, getmetatable(v))
  end
  return walk(value, opts.pointer or "", ""), found
end

---------------------------------------------------------------------------------------------------
-- §5.4: keyword preservation on export

local function is_object(v)
  return type(v) == "table" and v ~= json.null and not json.is_array(v)
end

-- Strict, unlike handler.deep_equal: an empty object and an empty array differ here, since a
-- mapping kept in place of the exported value must give back the same JSON type.
local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" or a == json.null or b == json.null then
    return false
  end
  if json.is_array(a) ~= json.is_array(b) then return false end
  for key, value in pairs(a) do
    if not deep_equal(value, b[key]) then return false end
  end
  for key in pairs(b) do
    if a[key] == nil then return false end
  end
  return true
end

local function scalar(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean"
end

-- The identifier entries an item has: { {fields = {...}, values = {...}}, ... }.
local function item_identifiers(ids, item)
  local have = {}
  for _, entry in ipairs(ids) do
    local fields = type(entry) == "table" and entry or { entry }
    local values, complete = {}, true
    for i, field in ipairs(fields) do
      if not scalar(item[field]) then
        complete = false
        break
      end
      values[i] = item[field]
    end
    if complete then have[#have + 1] = { fields = fields, values = values } end
  end
  return have
end

local function segment_text(seg)
  if seg.key then return seg.key end
  if seg.index then return ("[%d]"):format(seg.index - 1) end
  local alternatives = {}
  for _, id in ipairs(seg.ids) do
    local pairs_text = {}
    for i, field in ipairs(id.fields) do
      pairs_text[i] = field .. "=" .. tostring(id.values[i])
    end
    alternatives[#alternatives + 1] = table.concat(pairs_text, ",")
  end
  return "[" .. table.concat(alternatives, "||") .. "]"
end

local function address_text(segments)
  local parts = {}
  for i, seg in ipairs(segments) do parts[i] = segment_text(seg) end
  return table.concat(parts, ".")
end

-- Follows segments through tree; returns the concrete path (keys and indexes) or nil.
local function resolve(tree, segments, mappings, keys)
  local node, path = tree, {}
  for _, seg in ipairs(segments) do
    if seg.key then
      if not is_object(node) then return nil end
      node = node[seg.key]
      path[#path + 1] = seg.key
    else
      if type(node) ~= "table" or not json.is_array(node) then return nil end
      local found
      if seg.index then
        if node[seg.index] ~= nil then found = seg.index end
      else
        for j = 1, #node do
          local item = node[j]
          if is_object(item) then
            for _, id in ipairs(seg.ids) do
              local match = true
              for i, field in ipairs(id.fields) do
                local want = id.values[i]
                if type(want) == "string" then want = apply(want, mappings, keys) end
                if item[field] ~= want then
                  match = false
                  break
                end
              end
              if match then found = j break end
            end
          end
          if found then break end
        end
      end
      if not found then return nil end
      node = node[found]
      path[#path + 1] = found
    end
    if node == nil then return nil end
  end
  return path, node
end

-- keywords.preserve(exported, local_tree, mappings [, opts]) -> merged, warnings
function M.preserve(exported, local_tree, mappings, opts)
  check_mappings(mappings, "preserve")
  if opts ~= nil and type(opts) ~= "table" then
    error("keywords.preserve: opts must be a table", 2)
  end
  local identifiers = opts and opts.identifiers or {}
  local merged = util.copy(exported)
  local warnings = {}
  if mappings == nil or next(mappings) == nil or not is_object(local_tree)
      or not is_object(exported) then
    return merged, warnings
  end
  local keys = M.order(mappings)

  -- 1. Every local string holding a marker, with its address.
  local entries = {}
  local function walk(v, segments)
    if type(v) == "string" then
      if M.has_marker(v, mappings) then
        entries[#entries + 1] = { segments = { table.unpack(segments) }, value = v }
      end
      return
    end
    if type(v) ~= "table" or v == json.null then return end
    if json.is_array(v) then
      if #segments ~= 1 then return end
      local type_name = segments[1].key
      local ids = identifiers[type_name] or catalogue.identifiers(type_name) or DEFAULT_IDENTIFIERS
      for i = 1, #v do
        local item = v[i]
        if is_object(item) then
          local have = item_identifiers(ids, item)
          local seg = #have > 0 and { ids = have } or { index = i }
          segments[#segments + 1] = seg
          walk(item, segments)
          segments[#segments] = nil
        end
      end
      return
    end
    for _, key in ipairs(util.sorted_string_keys(v)) do
      segments[#segments + 1] = { key = key }
      walk(v[key], segments)
      segments[#segments] = nil
    end
  end
  walk(local_tree, {})

  -- 2. Resolve every address in the exported tree before anything changes.
  local updates = {}
  for _, entry in ipairs(entries) do
    local path, remote = resolve(exported, entry.segments, mappings, keys)
    if path then
      local whole = entry.value:match("^@@(.+)@@$")
      local equal
      if whole and mappings[whole] ~= nil then
        equal = deep_equal(mappings[whole], remote)
      else
        equal = type(remote) == "string" and apply(entry.value, mappings, keys) == remote
      end
      local address = address_text(entry.segments)
      if equal then
        updates[#updates + 1] = { path = path, value = entry.value }
      else
        warnings[#warnings + 1] = errors.from({
          code = "keyword_not_preserved", address = address,
          message = ("%s: the tenant's value differs from the local value %s with its keywords "
            .. "replaced, so the tenant's value is exported"):format(address, entry.value),
        })
      end
    end
  end

  -- 3. Put the markers back.
  for _, update in ipairs(updates) do
    local node = merged
    for i = 1, #update.path - 1 do node = node[update.path[i]] end
    node[update.path[#update.path]] = update.value
  end
  return merged, warnings
end

return M
