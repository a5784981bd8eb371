-- a0lua.format.sanitize: names -> file names, as a0deploy writes them (docs/formats.md §5.5).
--
--   sanitize(name [, max_bytes]) -> string
--
-- The one function that turns a name (anything the tenant holds) into one path segment: every
-- file and folder name an export derives from tenant data goes through it (file_names.lua adds the
-- suffixes that keep names apart). max_bytes (default 255) is the cut of step 6, smaller when the
-- caller appends an extension or a suffix to the segment.
--
-- a0deploy passes names through `sanitize-filename` with the replacement "-". In order:
--   1. each of / ? < > \ : * | " becomes "-";
--   2. each control character, U+0000-U+001F and U+0080-U+009F, becomes "-";
--   3. a name made only of dots becomes "-";
--   4. a Windows reserved name (con, prn, aux, nul, com0-9, lpt0-9, any case, with or without
--      an extension: "CON.txt") becomes "-";
--   5. a run of trailing dots and spaces becomes one "-";
--   6. the result is cut to max_bytes (255) bytes of UTF-8 without splitting a character.
-- Then the same steps again with "" as the replacement (so a cut that leaves trailing dots or
-- spaces drops them). nil and "" become "undefined" (what a0deploy's template strings make of a
-- missing name); any other non-string is converted with tostring first.

local MAX_BYTES = 255

local RESERVED = { con = true, prn = true, aux = true, nul = true }
for digit = 0, 9 do
  RESERVED["com" .. digit] = true
  RESERVED["lpt" .. digit] = true
end

-- Cuts s to at most n bytes, backing off to the start of a UTF-8 character.
local function truncate(s, n)
  if #s <= n then return s end
  local cut = n
  -- A continuation byte (10xxxxxx) at cut + 1 means the character starting before it is split.
  while cut > 0 and (s:byte(cut + 1) or 0) & 0xC0 == 0x80 do cut = cut - 1 end
  return s:sub(1, cut)
end

local function pass(s, replacement, max_bytes)
  s = s:gsub('[/%?<>\\:%*|"]', replacement)
  s = s:gsub("[%z\1-\31]", replacement)
  s = s:gsub("\194[\128-\159]", replacement)
  if s:match("^%.+$") then s = replacement end
  local stem = s:match("^([^.]*)")
  if RESERVED[stem:lower()] then s = replacement end
  s = s:gsub("[%. ]+$", replacement)
  return truncate(s, max_bytes)
end

local function sanitize(name, max_bytes)
  max_bytes = max_bytes or MAX_BYTES
  if name == nil or name == "" then return "undefined" end
  local s = type(name) == "string" and name or tostring(name)
  -- sanitize-filename runs a second pass with an empty replacement: it only matters when the cut
  -- leaves trailing dots or spaces.
  local out = pass(pass(s, "-", max_bytes), "", max_bytes)
  -- A cut that leaves nothing (a 1-byte limit and a 2-byte character) still names something.
  if out == "" then return "-" end
  return out
end

return sanitize
