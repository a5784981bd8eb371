-- a0lua.format.file_names: the file names of one folder's items, each different from the others
-- (docs/compat.md "Export file names").
--
--   file_names.stems(list, name_of [, opts]) -> stems
--     list: an array (anything else gives no stems); name_of: a field name, or a function
--     (item, i) -> the item's name (any value; nil becomes "undefined", as in a0deploy) or false
--     to give the item no file. Items that are not objects get no stem. stems[i] is the segment
--     the writer names the item's files with (it appends ".json", ".html",
--     "_custom_login_page.html"... or uses it as a folder):
--       * sanitize(name), a0deploy's file name, cut so that the stem plus opts.room bytes (what
--         the writer appends, default 5 for ".json") fit in 255;
--       * when several names clean to the same stem, compared without case (macOS and Windows
--         file systems do not tell "App" from "app"), the one whose name sorts first (byte order;
--         the list order between equal names) keeps it and the others get "-2", "-3"... in that
--         order, each time the first number whose stem no other item of the folder uses;
--       * opts.taken: stems the folder holds for other files (emails/provider): an item whose
--         stem is one of them is numbered from "-2" too.
--     The stems therefore depend only on the names, not on the order the tenant listed them in,
--     and no two items share a file.
--   file_names.each(list, name_of, opts, fn)
--     fn(item, stem, i) for each item that has a stem, in list order.

local common = require("a0lua.format.common")
local json = require("a0lua.core.json")
local sanitize = require("a0lua.format.sanitize")

local M = {}

local MAX_BYTES = 255

local function name_text(name)
  if name == nil or name == "" then return "" end
  return type(name) == "string" and name or tostring(name)
end

function M.stems(list, name_of, opts)
  opts = opts or {}
  local limit = MAX_BYTES - (opts.room or 5)
  local reserved = {}
  for _, stem in ipairs(opts.taken or {}) do reserved[stem:lower()] = true end
  local groups, keys = {}, {}
  local stems = {}
  if not common.is_array(list) then return stems end
  if type(name_of) == "string" then
    local field = name_of
    name_of = function(item) return item[field] end
  end
  for i, item in ipairs(list) do
    local name = common.is_object(item) and name_of(item, i)
    if name == json.null then name = nil end
    if name ~= false then
      local stem = sanitize(name, limit)
      local key = stem:lower()
      local group = groups[key]
      if not group then
        group = {}
        groups[key] = group
        keys[#keys + 1] = key
      end
      group[#group + 1] = { index = i, name = name, text = name_text(name), stem = stem }
    end
  end
  table.sort(keys)
  local used = {}
  for key in pairs(reserved) do used[key] = true end
  -- First every group's first member takes its own stem, so that a numbered stem never takes
  -- the plain stem of another item ("a-b-2" stays the file of the item named "a-b-2").
  for _, key in ipairs(keys) do
    local group = groups[key]
    table.sort(group, function(a, b)
      if a.text ~= b.text then return a.text < b.text end
      return a.index < b.index
    end)
    if not reserved[key] then
      stems[group[1].index] = group[1].stem
      used[key] = true
      group.first = 2
    else
      group.first = 1
    end
  end
  for _, key in ipairs(keys) do
    local group = groups[key]
    local number = 1
    for k = group.first, #group do
      local member = group[k]
      local stem
      repeat
        number = number + 1
        local suffix = "-" .. number
        stem = sanitize(member.name, limit - #suffix) .. suffix
      until not used[stem:lower()]
      used[stem:lower()] = true
      stems[member.index] = stem
    end
  end
  return stems
end

function M.each(list, name_of, opts, fn)
  local stems = M.stems(list, name_of, opts)
  if not common.is_array(list) then return end
  for i, item in ipairs(list) do
    if stems[i] then fn(item, stems[i], i) end
  end
end

return M
