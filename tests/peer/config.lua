-- tests/peer/config.lua: writes the a0deploy config file of one peer-check import.
--
--   a0lua run tests/peer/config.lua [--exclude TYPE,...] [--include-only TYPE,...]
--     [--domain DOMAIN] [--credentials] OUT [EXAMPLE_CONFIG INPUT]
--
-- OUT gets {"AUTH0_KEYWORD_REPLACE_MAPPINGS": {...}} (mode 600), plus AUTH0_EXCLUDED: [TYPE,
-- ...] with --exclude (sections of a fixture that neither a0deploy nor Auth0 accept), and
-- AUTH0_INCLUDED_ONLY: [TYPE, ...] with --include-only (the differential check). For a0lua's
-- config (tests/peer/differential.sh): --domain sets the config's AUTH0_DOMAIN (not the keyword),
-- --credentials copies AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET from the environment. With
-- EXAMPLE_CONFIG (a0deploy's config.json.example) the mappings are that file's
-- AUTH0_KEYWORD_REPLACE_MAPPINGS. Keywords that INPUT (tenant.yaml, or a directory: every file
-- below it) uses (##NAME## or @@NAME@@) and the
-- mappings lack get a placeholder value "peer-<name>": the example tenant.yaml uses more keywords
-- than the example config maps, and an unquoted ##NAME## left in place is a YAML comment, which
-- fails a0deploy's own schema check.
-- AUTH0_DOMAIN (the domain a0deploy deploys to) is taken from the environment, as a0deploy does.
-- The credentials are not written: the peer check passes them to a0deploy in its environment.
local fs = require("a0lua.core.fs")
local json = require("a0lua.core.json")

local M = {}

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then error(("config.lua: cannot read %s: %s"):format(path, err), 0) end
  local text = f:read("a")
  f:close()
  return text
end

-- The text of INPUT: a file's, or every file's below a directory (the directory format), joined.
local function read_input(path)
  local info = fs.stat(path)
  if not (info and info.type == "directory") then return read(path) end
  local parts = {}
  for _, name in ipairs(assert(fs.list(path))) do
    parts[#parts + 1] = read_input(path .. "/" .. name)
  end
  return table.concat(parts, "\n")
end

-- Returns the sorted keyword names that `text` uses in either form.
function M.keywords(text)
  local seen, names = {}, {}
  for _, pattern in ipairs({ "##([%w_]+)##", "@@([%w_]+)@@" }) do
    for name in text:gmatch(pattern) do
      if not seen[name] then
        seen[name] = true
        names[#names + 1] = name
      end
    end
  end
  table.sort(names)
  return names
end

-- Returns the mappings for an import: the example's, plus AUTH0_DOMAIN, plus placeholders for
-- the keywords the input uses and nothing maps; and the names of those placeholders.
function M.mappings(example_config_text, input_text, domain)
  local mappings = {}
  if example_config_text then
    local config, err = json.decode(example_config_text)
    if not config then error("config.lua: example config: " .. tostring(err), 0) end
    for k, v in pairs(config.AUTH0_KEYWORD_REPLACE_MAPPINGS or {}) do mappings[k] = v end
  end
  if domain and mappings.AUTH0_DOMAIN == nil then mappings.AUTH0_DOMAIN = domain end
  local added = {}
  for _, name in ipairs(input_text and M.keywords(input_text) or {}) do
    if mappings[name] == nil then
      mappings[name] = "peer-" .. name:lower():gsub("_", "-")
      added[#added + 1] = name
    end
  end
  return mappings, added
end

local USAGE = "usage: a0lua run tests/peer/config.lua [--exclude TYPES] [--include-only TYPES] "
  .. "[--domain DOMAIN] [--credentials] OUT [EXAMPLE_CONFIG INPUT]"

local function type_list(text)
  local list = json.array()
  for name in (text or ""):gmatch("[^,]+") do list[#list + 1] = name end
  return list
end

local function main(args)
  local options, i = {}, 1
  while args[i] and args[i]:match("^%-%-") do
    local flag = args[i]
    if flag == "--credentials" then
      options.credentials = true
      i = i + 1
    elseif flag == "--exclude" or flag == "--include-only" or flag == "--domain" then
      if not args[i + 1] then error(USAGE, 0) end
      options[flag] = args[i + 1]
      i = i + 2
    else
      error(USAGE, 0)
    end
  end
  local out, example, input = args[i], args[i + 1], args[i + 2]
  if not out then error(USAGE, 0) end
  local mappings, added = M.mappings(example and read(example), input and read_input(input),
    os.getenv("AUTH0_DOMAIN"))
  local config = { AUTH0_KEYWORD_REPLACE_MAPPINGS = mappings }
  if options["--exclude"] then config.AUTH0_EXCLUDED = type_list(options["--exclude"]) end
  if options["--include-only"] then
    config.AUTH0_INCLUDED_ONLY = type_list(options["--include-only"])
  end
  config.AUTH0_DOMAIN = options["--domain"]
  if options.credentials then
    config.AUTH0_CLIENT_ID = os.getenv("AUTH0_CLIENT_ID")
    config.AUTH0_CLIENT_SECRET = os.getenv("AUTH0_CLIENT_SECRET")
  end
  local text = assert(json.encode(config, { pretty = true }))
  local f = assert(io.open(out, "wb"))
  f:write(text, "\n")
  f:close()
  os.execute("chmod 600 '" .. out:gsub("'", "'\\''") .. "'")
  if #added > 0 then
    io.stdout:write("placeholder keyword values for: ", table.concat(added, ", "), "\n")
  end
  return 0
end

if arg and arg[0] and arg[0]:match("config%.lua$") then return main(arg) end
return M
