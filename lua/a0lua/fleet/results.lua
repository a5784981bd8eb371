--[[
a0lua.fleet.results: what a fleet run says when it is done: each tenant's result, the summary and
exit status, the JSON document of `--json`, the table on a terminal, and the merge of several
shards' documents (`a0lua run fleet-report`).

  local results = require "a0lua.fleet.results"
  results.entry(name, index, shard_label) -> r
      a tenant's result, to fill in: { name, index (its position in the tenants file), status =
      "failed", counts = {create, update, delete, skip}, attempts = 0, seconds = 0, shard }
  results.set_error(r, err, secret_values)
      r.error = { code, message }: err's code ("error" when it has none) and its first line,
      with every string of secret_values replaced by "(secret)"
  results.summary(entries, dry_run) -> { tenants, applied, in_sync, changes, failed, exit }
      tenants counted by status; exit 1 when any failed, else 2 when dry_run and some would
      change, else 0
  results.document(entries, { shard = "K/N", fleet_tenants = n, dry_run = }) -> doc
      { shard, fleet_tenants (tenants in the whole list, every shard), dry_run, tenants =
      entries, summary }
  results.table(entries, summary) -> text        the table and a totals line
  results.merge(docs) -> doc | nil, err
      docs: { {path =, doc =}, ... }, one per shard. Refuses documents that are not a fleet
      result, disagree on N, the list's size or --dry-run, a shard given twice, a tenant in two
      shards, and names the missing shards. The merged doc has shard "all", its tenants in the
      list's order.

Errors are values { code = "fleet_report", message = } naming the file.
]]
local errors = require "a0lua.errors"
local json = require "a0lua.core.json"
local util = require "a0lua.util"

local M = {}

M.STATUSES = { "applied", "in_sync", "changes", "failed" }
local KNOWN = { applied = true, in_sync = true, changes = true, failed = true }
local OPS = { "create", "update", "delete", "skip" }

function M.entry(name, index, shard_label)
  return { name = name, index = index, status = "failed", attempts = 0, seconds = 0,
    counts = { create = 0, update = 0, delete = 0, skip = 0 }, shard = shard_label }
end

local function redact(text, secret_values)
  for _, v in ipairs(secret_values or {}) do
    if type(v) == "string" and #v >= 4 then text = util.replace_plain(text, v, "(secret)") end
  end
  return text
end

function M.set_error(r, err, secret_values)
  local code = type(err) == "table" and type(err.code) == "string" and err.code or "error"
  local message = tostring(err):gsub("\n.*", "")
  r.error = { code = code, message = redact(message, secret_values) }
end

function M.summary(entries, dry_run)
  local s = { tenants = #entries, applied = 0, in_sync = 0, changes = 0, failed = 0 }
  for _, r in ipairs(entries) do s[r.status] = (s[r.status] or 0) + 1 end
  s.exit = s.failed > 0 and 1 or (dry_run and s.changes > 0) and 2 or 0
  return s
end

function M.document(entries, opts)
  local list = json.array()
  for i, r in ipairs(entries) do list[i] = r end
  return { shard = opts.shard, fleet_tenants = opts.fleet_tenants, dry_run = opts.dry_run == true,
    tenants = list, summary = M.summary(entries, opts.dry_run) }
end

local function render(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for c, cell in ipairs(row) do widths[c] = math.max(widths[c] or 0, #cell) end
  end
  local lines = {}
  for _, row in ipairs(rows) do
    local cells = {}
    for c, cell in ipairs(row) do
      cells[c] = c < #row and (cell .. (" "):rep(widths[c] - #cell)) or cell
    end
    lines[#lines + 1] = (table.concat(cells, "  "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n") .. "\n"
end

function M.table(entries, summary)
  local rows = { { "tenant", "status", "create", "update", "delete", "skip", "note" } }
  local totals = { create = 0, update = 0, delete = 0, skip = 0 }
  for _, r in ipairs(entries) do
    local row = { r.name, (r.status:gsub("_", " ")) }
    for _, op in ipairs(OPS) do
      row[#row + 1] = tostring(r.counts[op])
      totals[op] = totals[op] + r.counts[op]
    end
    row[#row + 1] = r.error and r.error.message or ""
    rows[#rows + 1] = row
  end
  local parts = {}
  for _, status in ipairs(M.STATUSES) do
    if summary[status] > 0 then
      parts[#parts + 1] = summary[status] .. " " .. status:gsub("_", " ")
    end
  end
  local total = { ("total (%d)"):format(summary.tenants), #parts > 0 and table.concat(parts, ", ")
    or "none" }
  for _, op in ipairs(OPS) do total[#total + 1] = tostring(totals[op]) end
  total[#total + 1] = ""
  rows[#rows + 1] = total
  return render(rows)
end

local function bad(message) return nil, errors.new("fleet_report", message) end

-- The shard of one document, checked against the others (first: what the first one said).
local function check_doc(path, doc, first)
  if type(doc) ~= "table" or type(doc.shard) ~= "string" or not json.is_array(doc.tenants)
      or math.type(doc.fleet_tenants) ~= "integer" then
    return bad(path .. ": not the --json result of `a0lua run fleet`")
  end
  local k, n = doc.shard:match("^(%d+)/(%d+)$")
  k, n = tonumber(k), tonumber(n)
  if not k then return bad(("%s: shard %q is not K/N"):format(path, doc.shard)) end
  if first then
    if n ~= first.count then
      return bad(("%s: shard %s, but %s is of %d shards"):format(path, doc.shard, first.path,
        first.count))
    end
    if doc.fleet_tenants ~= first.fleet_tenants then
      return bad(("%s: a list of %d tenants, but %s had %d: not the same tenants file"):format(
        path, doc.fleet_tenants, first.path, first.fleet_tenants))
    end
    if (doc.dry_run == true) ~= first.dry_run then
      return bad(("%s: --dry-run differs from %s"):format(path, first.path))
    end
  end
  return { index = k, count = n, path = path, fleet_tenants = doc.fleet_tenants,
    dry_run = doc.dry_run == true }
end

function M.merge(docs)
  if #docs == 0 then return bad("no results given") end
  local first, seen, owner, entries = nil, {}, {}, {}
  for _, d in ipairs(docs) do
    local s, err = check_doc(d.path, d.doc, first)
    if not s then return nil, err end
    first = first or s
    if seen[s.index] then
      return bad(("shard %s given twice: %s and %s"):format(d.doc.shard, seen[s.index], d.path))
    end
    seen[s.index] = d.path
    for _, r in ipairs(d.doc.tenants) do
      if type(r) ~= "table" or type(r.name) ~= "string" or not KNOWN[r.status]
          or type(r.counts) ~= "table" then
        return bad(d.path .. ": a tenant without a name, a known status or counts")
      end
      if owner[r.name] then
        return bad(("tenant %s is in %s and in %s: overlapping shards"):format(tostring(r.name),
          owner[r.name], d.path))
      end
      owner[r.name] = d.path
      entries[#entries + 1] = r
    end
  end
  local missing = {}
  for k = 1, first.count do
    if not seen[k] then missing[#missing + 1] = ("%d/%d"):format(k, first.count) end
  end
  if #missing > 0 then
    return bad(("missing shard%s %s (given %d of %d)"):format(#missing == 1 and "" or "s",
      table.concat(missing, ", "), first.count - #missing, first.count))
  end
  if #entries ~= first.fleet_tenants then
    return bad(("the shards hold %d tenants, the list had %d"):format(#entries,
      first.fleet_tenants))
  end
  table.sort(entries, function(a, b) return (a.index or 0) < (b.index or 0) end)
  return M.document(entries, { shard = "all", fleet_tenants = first.fleet_tenants,
    dry_run = first.dry_run })
end

return M
