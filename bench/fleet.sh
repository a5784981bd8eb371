#!/usr/bin/env bash
# bench/fleet.sh (make bench-fleet): one configuration to a fleet of emulated tenants.
#
# bench/tenant-gen.lua writes one tenant of BENCH_FLEET_SIZE resources (the same files for every
# tenant, its config.json the base config). For each plan of rate limits, against `a0lua emulate
# --tenants N --limits L --latency 30:10` (a fresh emulator for each row, so the tenants start
# empty; tenant tK at http://tK.localhost:PORT, the credentials from --fleet-file):
#   one process   `a0lua run fleet` over all N tenants: the import into empty tenants, then the
#                 same import again (nothing to change)
#   N/4 shards    the same, as BENCH_FLEET_SHARDS processes at once (`--shard K/S --json`), their
#                 results merged by `a0lua run fleet-report`
#   one tenant    BENCH_FLEET_SINGLES tenants imported alone one after the other (a one-tenant
#                 fleet file), then each re-imported alone; the slowest of them is the reference
# Every timed step starts from the same rate-limit state: full buckets. A fresh emulator's tenants
# have them; before a step that follows another on the same tenants (every re-import), the
# script fills them again with the emulator's POST /__emulator/fleet/refill (docs/emulator.md).
# Each run is timed (wall clock) under /usr/bin/time (the peak RSS and CPU seconds of each a0lua
# process; for the shards the sums, as they run at once); the emulator's GET /__emulator/fleet
# before and after gives the requests and 429s, /proc its CPU seconds. bench/fleet_report.lua prints
# the table (ratio to the slowest single tenant, peak and peak per tenant, the run's CPU floor on
# the `nproc` cores and the wall time's ratio to it, requests per tenant) and writes
# build/bench/fleet.json.
#
# Environment:
#   BENCH_FLEET_TENANTS   tenants (default 200)
#   BENCH_FLEET_LIMITS    plans (default "free enterprise")
#   BENCH_FLEET_SIZE      resources per tenant (default 100)
#   BENCH_FLEET_SHARDS    processes of the sharded rows (default 4; 0 leaves those rows out)
#   BENCH_FLEET_SINGLES   tenants timed alone (default 3)
#   BENCH_FLEET_PARALLEL  the fleet's --parallel (default: the tenants, all in flight at once:
#                         the goal is the time of the slowest tenant alone)
#   BENCH_FLEET_LATENCY   the emulator's --latency (default 30:10)
#   BENCH_TIMEOUT         seconds one run may take (default 3600)
#   BENCH_OUT             where the logs go (default build/bench/fleet); BENCH_JSON the table's
#                         JSON (default build/bench/fleet.json)
# Exits 0 when every run succeeded, 1 otherwise (the table is printed either way). Every process
# it starts is stopped on exit.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
a0lua=$root/build/a0lua
out=${BENCH_OUT:-$root/build/bench/fleet}
json_out=${BENCH_JSON:-$root/build/bench/fleet.json}
tenants=${BENCH_FLEET_TENANTS:-200}
limits_list=${BENCH_FLEET_LIMITS:-free enterprise}
size=${BENCH_FLEET_SIZE:-100}
shards=${BENCH_FLEET_SHARDS:-4}
singles=${BENCH_FLEET_SINGLES:-3}
parallel=${BENCH_FLEET_PARALLEL:-$tenants}
latency=${BENCH_FLEET_LATENCY:-30:10}
run_timeout=${BENCH_TIMEOUT:-3600}
client_id=a0luaBenchFleetClient00000000001
started=$SECONDS

die() {
  echo "bench-fleet: $*" >&2
  exit 1
}

[ -x "$a0lua" ] || die "build/a0lua is missing (run make)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
command -v curl >/dev/null || die "curl is missing"
[[ "$tenants" =~ ^[1-9][0-9]*$ ]] || die "BENCH_FLEET_TENANTS '$tenants' is not a whole number"
[[ "$shards" =~ ^[0-9]+$ ]] || die "BENCH_FLEET_SHARDS '$shards' is not a whole number"
[[ "$singles" =~ ^[1-9][0-9]*$ ]] || die "BENCH_FLEET_SINGLES '$singles' is not a whole number"
[ "$singles" -le "$tenants" ] || singles=$tenants

mkdir -p "$out/logs" || die "cannot make $out"
rm -f "$out"/logs/*
runs=$out/runs.jsonl
: >"$runs"
emu_pid=""
stop_emulator() {
  if [ -n "$emu_pid" ]; then
    kill "$emu_pid" 2>/dev/null
    wait "$emu_pid" 2>/dev/null
  fi
  emu_pid=""
}
trap stop_emulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$a0lua" run "$root/bench/tenant-gen.lua" --size "$size" --seed 1 --out "$out/tenant" \
  --client-id "$client_id" >/dev/null || die "tenant-gen failed"
input=$out/tenant/tenant.yaml
config=$out/tenant/config.json
fleet_args=(run fleet -i "$input" -c "$config")
[ -n "$parallel" ] && fleet_args+=(--parallel "$parallel")

# start_emulator COUNT LIMITS: a fresh fleet emulator; sets port and fleet_file.
start_emulator() {
  stop_emulator
  fleet_file=$out/fleet-$2-$1.json
  local line_file=$out/logs/emulate-$2-$1.out
  "$a0lua" emulate --port 0 --tenants "$1" --limits "$2" --latency "$latency" \
    --client-id "$client_id" --fleet-file "$fleet_file" --request-log-bytes 1048576 \
    >"$line_file" 2>"$out/logs/emulate-$2-$1.err" &
  emu_pid=$!
  local _
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$line_file")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  die "the emulator did not start: $(cat "$out/logs/emulate-$2-$1.err")"
}

counters() {
  curl -s --max-time 60 "http://127.0.0.1:$port/__emulator/fleet" |
    "$a0lua" run "$root/bench/fleet_report.lua" --totals
}

now_ns() { date +%s%N; }

# The emulator's CPU seconds so far (user + system, from /proc).
emulator_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$emu_pid/stat"
}

# record LIMITS MODE STEP TENANTS T0 T1 BEFORE AFTER STATUS EMU_CPU0 LOG...: one line of
# $runs; each LOG.time holds "peak_kb user_s system_s" of one a0lua process.
record() {
  local limits=$1 mode=$2 step=$3 count=$4 t0=$5 t1=$6 before=$7 after=$8 status=$9
  local emu_cpu0=${10}
  shift 10
  local rss="" cpu="" log
  for log in "$@"; do
    # (the last line: for a command that failed, time writes "Command exited ..." before it)
    read -r kb user sys < <(tail -n 1 "$log.time")
    rss="$rss${rss:+,}$kb"
    cpu="$cpu${cpu:+,}$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  done
  printf '{"limits":"%s","mode":"%s","step":"%s","tenants":%s,"wall_ns":%s,"before":"%s","after":"%s","status":%s,"rss_kb":[%s],"cpu_s":[%s],"emulator_cpu_s":%s}\n' \
    "$limits" "$mode" "$step" "$count" "$((t1 - t0))" "$before" "$after" "$status" \
    "$rss" "$cpu" "$(awk -v a="$emu_cpu0" -v b="$(emulator_cpu)" 'BEGIN { print b - a }')" \
    >>"$runs"
  echo "bench-fleet: $limits $mode $step: $(((t1 - t0) / 1000000)) ms, status $status" >&2
}

# timed LOG CMD...: runs CMD under /usr/bin/time: "peak_kb user_s system_s" in LOG.time.
timed() {
  local log=$1
  shift
  timeout --kill-after=10 "$run_timeout" /usr/bin/time -f '%M %U %S' -o "$log.time" "$@" \
    >"$log.out" 2>"$log.err"
}

# refill SINCE_NS: makes the rate-limit buckets of every tenant full again (the state of a
# tenant's first request) when a step ran on them since the emulator started (SINCE_NS not
# empty), with the emulator's POST /__emulator/fleet/refill.
refill() {
  [ -n "$1" ] || return 0
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X POST \
    "http://127.0.0.1:$port/__emulator/fleet/refill")
  [ "$status" = 204 ] || die "POST /__emulator/fleet/refill answered '$status', not 204"
}

# fleet_step LIMITS MODE STEP TENANTS LOG FLEET_FILE SINCE_NS: one `a0lua run fleet`, timed and
# counted, after refill SINCE_NS; sets step_end (ns).
fleet_step() {
  local before after t0 t1 status cpu0
  refill "$7"
  before=$(counters)
  cpu0=$(emulator_cpu)
  t0=$(now_ns)
  timed "$5" "$a0lua" "${fleet_args[@]}" --tenants "$6"
  status=$?
  t1=$(now_ns)
  after=$(counters)
  record "$1" "$2" "$3" "$4" "$t0" "$t1" "$before" "$after" "$status" "$cpu0" "$5"
  step_end=$t1
}

one_process() { # LIMITS
  local step since=""
  start_emulator "$tenants" "$1"
  for step in import reimport; do
    fleet_step "$1" one "$step" "$tenants" "$out/logs/$1-one-$step" "$fleet_file" "$since"
    since=$step_end
  done
}

sharded() { # LIMITS
  local step t0 t1 before after status k pids logs cpu0 since=""
  start_emulator "$tenants" "$1"
  for step in import reimport; do
    refill "$since"
    before=$(counters)
    cpu0=$(emulator_cpu)
    t0=$(now_ns)
    pids=()
    for k in $(seq 1 "$shards"); do
      timed "$out/logs/$1-shards-$step-$k" "$a0lua" "${fleet_args[@]}" --tenants "$fleet_file" \
        --shard "$k/$shards" --json &
      pids+=($!)
    done
    status=0
    for k in "${pids[@]}"; do wait "$k" || status=$?; done
    t1=$(now_ns)
    after=$(counters)
    logs=()
    for k in $(seq 1 "$shards"); do
      logs+=("$out/logs/$1-shards-$step-$k")
      cp "$out/logs/$1-shards-$step-$k.out" "$out/logs/$1-shards-$step-$k.json"
    done
    "$a0lua" run fleet-report "$out/logs/$1-shards-$step"-*.json >"$out/logs/$1-shards-$step.report" \
      2>&1 || status=1
    record "$1" shards "$step" "$tenants" "$t0" "$t1" "$before" "$after" "$status" "$cpu0" \
      "${logs[@]}"
    since=$t1
  done
}

# Every tenant's import, then every tenant's re-import, each after a refill of the buckets.
single() { # LIMITS
  local k step one ends=()
  start_emulator "$singles" "$1"
  for step in import reimport; do
    for k in $(seq 1 "$singles"); do
      one=$out/fleet-$1-single-$k.json
      if [ "$step" = import ]; then
        "$a0lua" run "$root/bench/fleet_report.lua" --pick "$k" "$fleet_file" >"$one" ||
          die "cannot pick tenant $k"
        chmod 600 "$one"
      fi
      fleet_step "$1" single "$step" 1 "$out/logs/$1-single-$k-$step" "$one" "${ends[k]:-}"
      ends[k]=$step_end
    done
  done
}

for limits in $limits_list; do
  case $limits in
    free | enterprise | none) ;;
    *) die "BENCH_FLEET_LIMITS: '$limits' is not free, enterprise or none" ;;
  esac
  single "$limits"
  one_process "$limits"
  [ "$shards" -gt 0 ] && sharded "$limits"
done
stop_emulator

mkdir -p "$(dirname "$json_out")"
"$a0lua" run "$root/bench/fleet_report.lua" --runs "$runs" --json "$json_out" \
  --seconds "$((SECONDS - started))" --latency "$latency" --size "$size" --shards "$shards" \
  --cores "$(nproc)" --parallel "$parallel"
