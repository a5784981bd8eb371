--[[
a0lua.fleet.emit: the description of a sharded fleet run for an engine people already have, so
that CI or a cluster runs the N shards (docs/fleet.md has the whole workflow for each).

  local emit = require "a0lua.fleet.emit"
  emit.github_matrix(names, count) -> value
      for a GitHub Actions `strategy.matrix`: { include = { {shard = "1/N", tenants = "eu,us"},
      ... } }, one entry per shard (tenants: that shard's names, comma-separated, for the job's
      title; a shard may have none)
  emit.k8s_indexed_job(opts) -> value
      a batch/v1 Job with completionMode Indexed, completions = parallelism = opts.count, whose
      container runs `a0lua run fleet ... --shard-index-env JOB_COMPLETION_INDEX --shards N
      --json`; opts: count, image, name (the Job's, also the prefix of the ConfigMap
      "<name>-input" holding the input file and the Secret "<name>-tenants" holding the tenants
      file and any config files), input (-i), tenants (--tenants), config (-c, or nil),
      dry_run. The pod exits 0 when the fleet ran (its result, failures included, is the JSON on
      stdout, collected with kubectl logs) and only a crash fails the index (retried once).
]]
local json = require "a0lua.core.json"
local shard = require "a0lua.fleet.shard"

local M = {}

function M.github_matrix(names, count)
  local include = json.array()
  for k = 1, count do
    local s = { index = k, count = count }
    local mine = {}
    for _, i in ipairs(shard.select(names, s)) do mine[#mine + 1] = names[i] end
    include[k] = { shard = shard.label(s), tenants = table.concat(mine, ",") }
  end
  return { include = include }
end

local function base_name(path) return (path:match("([^/]+)/*$")) or path end

local INPUT_DIR, TENANTS_DIR = "/fleet/input", "/fleet/tenants"

local function fleet_command(opts)
  local words = { "a0lua", "run", "fleet", "-i", INPUT_DIR .. "/" .. base_name(opts.input),
    "--tenants", TENANTS_DIR .. "/" .. base_name(opts.tenants) }
  if opts.config then
    words[#words + 1] = "-c"
    words[#words + 1] = TENANTS_DIR .. "/" .. base_name(opts.config)
  end
  if opts.dry_run then words[#words + 1] = "--dry-run" end
  for _, w in ipairs({ "--shard-index-env", "JOB_COMPLETION_INDEX", "--shards",
      tostring(opts.count), "--json" }) do
    words[#words + 1] = w
  end
  -- Exit 1 (a tenant failed) and 2 (changes, with --dry-run) are results, in the JSON: only
  -- a run that could not say anything fails the pod, and so the index.
  return "set +e; " .. table.concat(words, " ") .. '; s=$?; [ "$s" -le 2 ] || exit "$s"'
end

function M.k8s_indexed_job(opts)
  local name = opts.name or "a0lua-fleet"
  return {
    apiVersion = "batch/v1",
    kind = "Job",
    metadata = { name = name, labels = { app = "a0lua-fleet" } },
    spec = {
      completionMode = "Indexed",
      completions = opts.count,
      parallelism = opts.count,
      backoffLimitPerIndex = 1,
      template = {
        metadata = { labels = { app = "a0lua-fleet" } },
        spec = {
          restartPolicy = "Never",
          containers = json.array{ {
            name = "fleet",
            image = opts.image,
            command = json.array{ "sh", "-c", fleet_command(opts) },
            volumeMounts = json.array{
              { name = "input", mountPath = INPUT_DIR, readOnly = true },
              { name = "tenants", mountPath = TENANTS_DIR, readOnly = true },
            },
          } },
          volumes = json.array{
            { name = "input", configMap = { name = name .. "-input" } },
            { name = "tenants", secret = { secretName = name .. "-tenants",
              defaultMode = 256 } },
          },
        },
      },
    },
  }
end

return M
