#!/usr/bin/env bash
# bench/deploy.sh (make bench-deploy): a0lua against a0deploy on the same emulated tenant.
#
#   bench/deploy.sh [SIZE...]          default: $BENCH_SIZES, else 100 1000 5000
#
# For each size, bench/tenant-gen.lua writes a tenant of SIZE resources (tenant.yaml, a 1 %
# changed copy, and the emulator state of that tenant). Then, round by round, each tool runs
# against a fresh `a0lua emulate --limits enterprise --latency 30:10` behind stunnel4 (TLS with a
# throwaway certificate, as tests/peer/a0deploy.sh does; the pieces are in tests/peer/lib.sh):
#   export     export -f yaml of the seeded tenant
#   import     import of tenant.yaml into a fresh tenant
#   reimport   the same import into the seeded tenant (nothing to change)
#   change     import of tenant-changed.yaml into the seeded tenant
# The tools alternate: which one goes first flips with every step and every round. a0deploy runs
# take long (it paces itself to 8 requests a second, and spends its first half minute or so
# validating), so by default they run in the background, BENCH_PARALLEL at a time, each against
# its own emulator, while a0lua's runs go on one at a time in the foreground: a0lua's runs then
# share the cores with a0deploy's (which can only slow a0lua down), and the whole benchmark
# finishes in well under an hour. BENCH_PARALLEL=0 runs everything one after the other,
# alternating, as issue 5 describes (about two hours). Both read the same config (no
# AUTH0_INCLUDED_ONLY: the tenant has all 44 types, bench/tenant-gen.lua's M.TYPES; the
# keywords of its write-only values; no deletes). Each run is timed (wall clock, and /usr/bin/time -v for the peak RSS), the
# emulator's request log (--log) gives the requests, writes and 429s, and the tenant is checked
# afterwards (bench/deploy_check.lua: the import gave every resource; the export wrote them all).
# Then the start-up of `a0lua version`, `a0lua help` and `a0deploy --version` (BENCH_STARTUP
# runs each, default 5). bench/deploy_report.lua prints the table (medians; ratios to a0deploy
# and to the floor of bench/floor.lua) and writes build/bench/deploy.json.
#
# Environment:
#   BENCH_SIZES     sizes (default "100 1000 5000")
#   BENCH_ROUNDS    rounds per size (default: 3, and 1 for sizes of 5,000 and more)
#   BENCH_STEPS     steps (default "export import reimport change")
#   BENCH_TOOLS     tools (default "a0lua a0deploy"; a0deploy is left out, with a note in the
#                   table, when the npm registry cannot be reached and nothing is cached)
#   BENCH_SEED      tenant and emulator seed (default 1)
#   BENCH_STARTUP   start-up runs per command (default 5)
#   BENCH_TIMEOUT   seconds a single run may take (default 3600)
#   BENCH_PARALLEL  a0deploy runs at once in the background (default 4; 0: none, everything
#                   one after the other). They start at least BENCH_STAGGER seconds apart
#                   (default 45), so that no two are in their CPU-heavy start at once, and the
#                   sizes go largest first (the longest a0deploy runs start earliest).
#   BENCH_OUT       where everything goes (default build/bench/deploy; the table's JSON is
#                   always build/bench/deploy.json unless BENCH_JSON says otherwise)
# Logs of every run stay in $BENCH_OUT/logs. Exits 0 when every a0lua run succeeded, 1 otherwise
# (a0deploy's failures are marked in the table; the table is printed either way). Every process
# it starts is stopped on exit.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
a0lua=$root/build/a0lua
out=${BENCH_OUT:-$root/build/bench/deploy}
json_out=${BENCH_JSON:-$root/build/bench/deploy.json}
sizes=${BENCH_SIZES:-100 1000 5000}
[ $# -gt 0 ] && sizes="$*"
[ "${BENCH_PARALLEL:-4}" -gt 0 ] && sizes=$(printf '%s\n' $sizes | sort -rn | tr '\n' ' ')
steps=${BENCH_STEPS:-export import reimport change}
tools=${BENCH_TOOLS:-a0lua a0deploy}
seed=${BENCH_SEED:-1}
startup_runs=${BENCH_STARTUP:-5}
run_timeout=${BENCH_TIMEOUT:-3600}
parallel=${BENCH_PARALLEL:-4}
stagger=${BENCH_STAGGER:-45}
last_launch=-100000
latency=30:10
limits=enterprise
started=$SECONDS

# shellcheck source=../tests/peer/lib.sh
. "$root/tests/peer/lib.sh"

die() {
  echo "bench-deploy: $*" >&2
  exit 1
}

[ -x "$a0lua" ] || die "build/a0lua is missing (run make)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
command -v openssl >/dev/null || die "openssl is missing"
command -v stunnel4 >/dev/null || command -v stunnel >/dev/null || die "stunnel4 is missing"
for s in $sizes; do
  [[ "$s" =~ ^[0-9]+$ ]] && [ "$s" -ge 20 ] || die "size '$s' is not a whole number >= 20"
done

mkdir -p "$out/logs" || die "cannot make $out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a0lua-bench.XXXXXX") || die "cannot make a temporary folder"
pids=()
lanes=()
cleanup() {
  local f p
  for f in "$out"/logs/*.pid; do # tools still running (interrupted): their timeout(1) process
    [ -f "$f" ] || continue
    p=$(cat "$f")
    grep -q timeout "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p" 2>/dev/null
    rm -f "$f"
  done
  peer_stop "${lanes[@]}" # each lane stops the emulator and stunnel it started
  peer_stop "${pids[@]}"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

client_id=a0luaBenchDeployClient0000000001
client_secret=$(LC_ALL=C tr -dc 'A-Za-z0-9_-' </dev/urandom | head -c 64)

# ------------------------------------------------------------------------------- a0deploy
a0deploy=""
if [[ " $tools " == *" a0deploy "* ]]; then
  node_version=$(node --version 2>/dev/null | sed 's/^v//')
  if ! command -v npm >/dev/null 2>&1 || [ -z "$node_version" ]; then
    why="Node.js and npm are not installed"
  elif [ "$(printf '%s\n20.19.0\n' "$node_version" | sort -V | head -n 1)" != 20.19.0 ]; then
    why="a0deploy needs Node.js >= 20.19, this is $node_version"
  else
    why="the npm registry cannot be reached and no install is cached"
    a0deploy=$(peer_a0deploy "$root" "$out/logs/npm-install.log") || a0deploy=""
  fi
  if [ -z "$a0deploy" ]; then
    echo "bench-deploy: a0deploy is not available ($why): a0lua only"
    tools=a0lua
  else
    a0deploy_version=$("$a0deploy" --version 2>/dev/null | tail -n 1)
    echo "bench-deploy: a0deploy $a0deploy_version (${a0deploy#"$root"/})"
  fi
fi

peer_cert "$tmp" "$out/logs/openssl.log" || die "openssl could not make the certificate"

results=$out/runs.jsonl
: >"$results"

# json_str S: S as a JSON string
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# run_tool TOOL STEP DIR EXPORT_DIR DOMAIN LOG: runs one tool; its exit status in tool_status
# (not through $(...): the `wait` here lets a signal to the benchmark through at once)
run_tool() {
  local tool=$1 step=$2 dir=$3 export_dir=$4 domain=$5 log=$6 input
  input=$dir/tenant.yaml
  [ "$step" = change ] && input=$dir/tenant-changed.yaml
  local -a cmd
  if [ "$tool" = a0lua ]; then
    if [ "$step" = export ]; then
      cmd=("$a0lua" export -c "$dir/config.json" -f yaml -o "$export_dir" --ca-file "$tmp/cert.pem")
    else
      cmd=("$a0lua" import -c "$dir/config.json" -i "$input" --ca-file "$tmp/cert.pem")
    fi
  else
    if [ "$step" = export ]; then
      cmd=("$a0deploy" export -c "$dir/config.json" -f yaml -o "$export_dir")
    else
      cmd=("$a0deploy" import -c "$dir/config.json" -i "$input")
    fi
  fi
  # A clean environment, so a0deploy (which adds its environment to the keyword mappings) and
  # a0lua see the same few variables.
  env -i PATH="$PATH" HOME="$tmp" LANG=C.UTF-8 NODE_EXTRA_CA_CERTS="$tmp/cert.pem" \
    AUTH0_DOMAIN="$domain" AUTH0_CLIENT_ID="$client_id" AUTH0_CLIENT_SECRET="$client_secret" \
    timeout --kill-after=10 "$run_timeout" /usr/bin/time -v -o "$log.time" "${cmd[@]}" \
    >"$log.out" 2>&1 &
  local tool_pid=$!
  echo "$tool_pid" >"$log.pid" # so that an interrupted benchmark stops it (cleanup)
  wait "$tool_pid"
  tool_status=$?
  rm -f "$log.pid"
}

# one_run SIZE ROUND STEP TOOL DIR
one_run() {
  local size=$1 round=$2 step=$3 tool=$4 dir=$5
  local label="$size-r$round-$step-$tool" log state_args=() status t0 t1 check
  log=$out/logs/$label
  rm -f "$log".*
  [ "$step" != import ] && state_args=(--state "$dir/state.json")
  if ! peer_emulator "$a0lua" "$log.emulator.out" "$log.emulator.err" --limits "$limits" \
      --latency "$latency" --seed "$seed" --client-id "$client_id" \
      --client-secret "$client_secret" --log "$log.requests" "${state_args[@]}"; then
    echo "bench-deploy: $label: the emulator did not start: $(tail -n 2 "$log.emulator.err")" >&2
    return 1
  fi
  pids+=("$PEER_EMULATOR_PID")
  local emulator_pid=$PEER_EMULATOR_PID emulator_url=$PEER_EMULATOR_URL
  if ! peer_stunnel "$a0lua" "$tmp" "${emulator_url#http://}" "$log.stunnel"; then
    peer_stop "$emulator_pid"
    echo "bench-deploy: $label: stunnel did not start" >&2
    return 1
  fi
  pids+=("$PEER_STUNNEL_PID")
  local stunnel_pid=$PEER_STUNNEL_PID
  local export_dir=$out/export/$label
  rm -rf "$export_dir"
  t0=$(date +%s%N)
  run_tool "$tool" "$step" "$dir" "$export_dir" "localhost:$PEER_TLS_PORT" "$log"
  status=$tool_status
  t1=$(date +%s%N)
  # The tenant afterwards: every resource there (import), or every resource written (export).
  if [ "$step" = export ]; then
    check=$("$a0lua" run "$root/bench/deploy_check.lua" export "$export_dir/tenant.yaml" \
      "$dir/manifest.json" 2>&1)
  else
    local manifest=()
    [ "$step" = change ] && manifest=("$dir/manifest.json")
    check=$("$a0lua" run "$root/bench/deploy_check.lua" state "$emulator_url" \
      "$dir/state.json" "${manifest[@]}" 2>&1)
  fi
  local check_status=$?
  peer_stop "$stunnel_pid" "$emulator_pid"
  sed -i "s/$client_secret/[REDACTED]/g" "$log.out" 2>/dev/null
  local ok=true
  if [ "$status" -ne 0 ] || [ "$check_status" -ne 0 ]; then ok=false; fi
  # one write per line: lanes append to the same file
  printf '{"size":%d,"round":%d,"step":"%s","tool":"%s","status":%d,"ok":%s,"wall_ns":%d,%s}\n' \
    "$size" "$round" "$step" "$tool" "$status" "$ok" "$((t1 - t0))" \
    "\"lanes\":$parallel,\"log\":$(json_str "$log"),\"check\":$(json_str "$(printf '%s' "$check" |
      tr '\n' ' ' | cut -c1-300)")" >>"$results"
  printf 'bench-deploy: %-28s %7.2f s  exit %d  %s\n' "$label" \
    "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')" "$status" \
    "$(printf '%s' "$check" | head -n 1 | cut -c1-60)"
  return 0
}

rm -f "$out/failed"

# ------------------------------------------------------------------------------- sizes
schedule=() # "SIZE ROUND STEP TOOL", in the order of issue 5 (tools alternating)
flip=0
for size in $sizes; do
  "$a0lua" run "$root/bench/tenant-gen.lua" --size "$size" --seed "$seed" \
    --out "$out/tenant-$size" --client-id "$client_id" | sed 's/^/bench-deploy: /' ||
    die "tenant-gen failed for size $size"
  rounds=${BENCH_ROUNDS:-}
  if [ -z "$rounds" ]; then
    rounds=3
    [ "$size" -ge 5000 ] && rounds=1
  fi
  for round in $(seq "$rounds"); do
    for step in $steps; do
      order=$tools
      if [ "$tools" = "a0lua a0deploy" ] && [ $((flip % 2)) -eq 1 ]; then
        order="a0deploy a0lua"
      fi
      flip=$((flip + 1))
      for tool in $order; do schedule+=("$size $round $step $tool"); done
    done
  done
done

# run_item "SIZE ROUND STEP TOOL"
run_item() {
  local size round step tool
  read -r size round step tool <<<"$1"
  one_run "$size" "$round" "$step" "$tool" "$out/tenant-$size" ||
    echo "$size-r$round-$step-$tool" >>"$out/failed"
}

# The a0deploy runs, in lanes: BENCH_PARALLEL at once, BENCH_STAGGER seconds apart.
dispatch() {
  local item live p
  lanes=()
  trap 'peer_stop "${lanes[@]}"' EXIT
  trap 'exit 143' TERM
  for item in "${schedule[@]}"; do
    [ "${item##* }" = a0deploy ] || continue
    while :; do
      live=()
      for p in "${lanes[@]}"; do kill -0 "$p" 2>/dev/null && live+=("$p"); done
      lanes=("${live[@]}")
      [ "${#lanes[@]}" -lt "$parallel" ] && [ $((SECONDS - last_launch)) -ge "$stagger" ] && break
      sleep 1
    done
    last_launch=$SECONDS
    (
      pids=()
      trap 'peer_stop "${pids[@]}"' EXIT
      trap 'exit 143' TERM
      run_item "$item"
    ) &
    lanes+=("$!")
  done
  for p in "${lanes[@]}"; do wait "$p"; done
}

if [ "$parallel" -gt 0 ] && [[ " $tools " == *" a0deploy "* ]]; then
  dispatch &
  lanes=("$!")
  for item in "${schedule[@]}"; do
    [ "${item##* }" = a0lua ] && run_item "$item"
  done
  wait "${lanes[0]}"
  lanes=()
else
  for item in "${schedule[@]}"; do run_item "$item"; done
fi

# ------------------------------------------------------------------------------- start-up
startup=$out/startup.jsonl
: >"$startup"
startup_one() { # NAME CMD...: the wall time of each run (the command alone, no wrapper), and
  local name=$1 i t0 t1 rss # the peak RSS of one more run under /usr/bin/time
  shift
  "$@" >/dev/null 2>&1 # once before, so that every timed run finds the files in the page cache
  /usr/bin/time -f '%M' -o "$tmp/startup.time" "$@" >/dev/null 2>&1
  rss=$(tail -n 1 "$tmp/startup.time")
  for i in $(seq "$startup_runs"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    printf '{"name":"%s","run":%d,"wall_ns":%d,"rss_kb":%d}\n' "$name" "$i" "$((t1 - t0))" \
      "${rss:-0}" >>"$startup"
  done
}
startup_one "a0lua version" "$a0lua" version
startup_one "a0lua help" "$a0lua" help
[ -n "$a0deploy" ] && startup_one "a0deploy --version" "$a0deploy" --version

# ------------------------------------------------------------------------------- the table
mkdir -p "$(dirname "$json_out")"
"$a0lua" run "$root/bench/deploy_report.lua" --runs "$results" --startup "$startup" \
  --tenants "$out" --json "$json_out" --a0deploy-version "${a0deploy_version:-}" \
  --seconds "$((SECONDS - started))" --lanes "$parallel" || echo report >>"$out/failed"
echo "bench-deploy: $((SECONDS - started)) s in all; logs in ${out#"$root"/}/logs"
# a0deploy's failed runs are findings (the table marks them); the benchmark fails when a run of
# a0lua failed, or the harness did.
failures=$(grep -c . "$out/failed" 2>/dev/null || true)
failures=$((${failures:-0} + $(grep '"tool":"a0lua"' "$results" | grep -c '"ok":false' || true)))
peer_failures=$(grep '"tool":"a0deploy"' "$results" | grep -c '"ok":false' || true)
[ "${peer_failures:-0}" -eq 0 ] ||
  echo "bench-deploy: $peer_failures a0deploy run(s) failed (marked in the table; logs above)"
[ "$failures" -eq 0 ] || {
  echo "bench-deploy: $failures a0lua or harness run(s) failed (see the table and the logs)" >&2
  exit 1
}
exit 0
