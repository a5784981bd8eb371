# emulator.sh: start and stop `a0lua emulate` from a shell script (sourced, not run).
#
#   . scripts/emulator.sh
#   emulator_start BIN DIR [emulate flags...]   # sets EMULATOR_URL and EMULATOR_PID; output in DIR
#   emulator_stop                               # idempotent; call it from an EXIT trap
#
# The emulator listens on a free loopback port and says so on stdout ("listening on URL"); this
# waits for that line for at most 10 s, and fails with the emulator's stderr otherwise.

EMULATOR_URL=""
EMULATOR_PID=""

emulator_start() {
  bin=$1 dir=$2
  shift 2
  "$bin" emulate --port 0 "$@" >"$dir/emulator.out" 2>"$dir/emulator.err" &
  EMULATOR_PID=$!
  for _ in $(seq 100); do
    EMULATOR_URL=$(sed -n 's|^listening on \(http://[0-9.]*:[0-9]*\).*|\1|p' "$dir/emulator.out")
    [ -n "$EMULATOR_URL" ] && return 0
    kill -0 "$EMULATOR_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the emulator did not start:" >&2
  cat "$dir/emulator.err" >&2
  return 1
}

emulator_stop() {
  if [ -n "$EMULATOR_PID" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=""
  fi
}
