-- a0lua.format: the two file formats of a0deploy behind one interface (docs/formats.md).
--
--   format.for_config(cfg) -> module | nil, err
--     The format module (a0lua.format.yaml or a0lua.format.directory), chosen as a0deploy does
--     (docs/formats.md §1): cfg.format ("yaml" | "directory") when set (export); else an
--     input that is a table -> yaml, a directory -> directory, a path ending in .yaml / .yml ->
--     yaml; anything else is the error "unable to determine the format of <input>".
--   format.read(cfg [, opts]) -> desired, sources | nil, problems
--     desired: { [type] = value } with companion files inlined and keywords replaced; a type
--     absent from the files is nil. sources: a0lua.sources (with sources.warnings); problems: a
--     list of error tables, each printing as "file:line:column: path: message". opts.log (a
--     logger with :warn) receives the warnings; opts.raw_keywords skips keyword replacement.
--   format.write(cfg, exported [, opts]) -> files_written | nil, err
--     exported: the same shape as desired, in export form (ids already names, secrets already
--     placeholders, read-only fields stripped). Writes cfg.format's layout into
--     cfg.output_folder. opts.resource_servers / opts.clients: full lists used to name the
--     directory format's grant files when those types are not exported. opts.consume: the
--     caller is done with `exported`; the YAML writer then writes it in place instead of a copy.
--   format.TYPES: the 44 type names in a0deploy's registry order.
--   format.sanitize(name) -> file name (docs/formats.md §5.5).

local common = require("a0lua.format.common")
local errors = require("a0lua.errors")

local M = {}

M.TYPES = common.TYPES
M.sanitize = require("a0lua.format.sanitize")

local function fail(code, message)
  return nil, errors.new(code, message)
end

function M.for_config(cfg)
  if type(cfg) ~= "table" then error("format.for_config: cfg must be a table", 2) end
  local name = cfg.format
  if name ~= nil then
    if name == "yaml" or name == "directory" then return require("a0lua.format." .. name) end
    return fail("config", "unknown format '" .. tostring(name) .. "' (yaml or directory)")
  end
  local input = cfg.input
  if input == nil then input = cfg.AUTH0_INPUT_FILE end
  if type(input) == "table" then return require("a0lua.format.yaml") end
  if type(input) ~= "string" or input == "" then
    return fail("config", "no input given (--input_file)")
  end
  if common.is_dir(input) then return require("a0lua.format.directory") end
  local lower = input:lower()
  if lower:match("%.yaml$") or lower:match("%.yml$") then return require("a0lua.format.yaml") end
  if not common.is_file(input) then return fail("input_not_found", "input not found: " .. input) end
  return fail("config", "unable to determine the format of " .. input
    .. " (a .yaml/.yml file or a directory is expected)")
end

function M.read(cfg, opts)
  opts = opts or {}
  local mod, err = M.for_config(cfg)
  if not mod then return nil, { err } end
  local desired, sources = mod.read(cfg, opts)
  if desired and opts.log then
    for _, w in ipairs(sources.warnings) do opts.log:warn(tostring(w)) end
  end
  return desired, sources
end

function M.write(cfg, exported, opts)
  if type(cfg) ~= "table" then error("format.write: cfg must be a table", 2) end
  if type(exported) ~= "table" then error("format.write: exported must be a table", 2) end
  if cfg.format == nil then return fail("config", "no export format given (--format)") end
  local mod, err = M.for_config({ format = cfg.format })
  if not mod then return nil, err end
  return mod.write(cfg, exported, opts)
end

return M
