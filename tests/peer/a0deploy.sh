#!/usr/bin/env bash
# tests/peer/a0deploy.sh (make peer): the real Auth0 Deploy CLI (a0deploy, from the npm registry)
# against `a0lua emulate`, over TLS.
#
#   1. installs auth0-deploy-cli (the registry's current version) into a temporary folder, and
#      keeps it in build/peer/auth0-deploy-cli-<version>/ so later runs skip the install
#   2. starts build/a0lua emulate on a free port with a throwaway client id and secret
#   3. puts stunnel4 in front of it on another free port, with a throwaway self-signed certificate
#      for localhost and 127.0.0.1 (openssl, in the temporary folder)
#   4. runs a0deploy with NODE_EXTRA_CA_CERTS=<that certificate>, AUTH0_DOMAIN=localhost:<port>:
#      export -f yaml, export -f directory, import of ../shared's examples/yaml/tenant.yaml (with
#      the keyword mappings of its config.json.example), import of its e2e lots-of-configuration,
#      export -f yaml again; each run must exit 0 and log no error line
#   5. checks with tests/peer/compare.lua that the last export holds every imported resource
#   5b. private-key JWT: the emulator has the deploy client's public key (--client-public-key, a
#      throwaway RSA key made with openssl); a0deploy with AUTH0_CLIENT_SIGNING_KEY_PATH and no
#      secret exports and imports lots-of-configuration again, then a0lua does the same with the
#      same key (over the same TLS terminator, --ca-file); the emulator's request log must show
#      every token request carrying a client assertion and none a secret
#   6. the differential check (tests/peer/differential.sh): each import's files, and the example
#      as a0deploy's examples/directory, through a0deploy and through a0lua into two emulators
#      seeded alike, limited to differential.sh's TYPES;
#      the two states must be equal but for the differences tests/peer/known-differences.lua lists
#
# Prints a0deploy's summary lines and, per run, the requests the emulator answered with a status
# of 400 or more. Everything a run wrote stays in build/peer/logs/ (a0deploy's output, each run's
# request log, the three exports, the emulator's and stunnel's output; the client secret is
# redacted). Exits 0 when all passed, 1 naming the step that failed, and 0 with "peer check
# skipped: ..." when the npm registry cannot be reached or ../shared is absent. Every process it
# starts is stopped on exit.
#
# Environment: A0LUA_SHARED (default ../shared beside the checkout), PEER_LIMITS (the emulator's
# --limits, default enterprise: a0deploy paces itself to 8 requests/s, which that plan allows),
# PEER_KEEP_GOING=1 (run every step after a failed a0deploy run or comparison, then fail naming
# them all: for collecting every gap in one go), PEER_RUN_TIMEOUT (seconds one a0deploy run may
# take, default 600), PEER_EXCLUDE=TYPE,... (a0deploy types both imports leave out, and the
# comparison with them: to look past a known gap; a run with it set does not count as a pass).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${A0LUA_SHARED:-$root/../shared}
limits=${PEER_LIMITS:-enterprise}
a0lua=$root/build/a0lua
peer=$root/tests/peer
# shellcheck source=tests/peer/lib.sh
. "$peer/lib.sh"
logs=$root/build/peer/logs
run_timeout=${PEER_RUN_TIMEOUT:-600}
started=$SECONDS

step_name="start"
step() {
  step_name=$1
  echo "peer: $1"
}
fail() {
  echo "peer check failed at step '$step_name': $*" >&2
  echo "peer: logs are in ${logs#"$root"/}/" >&2
  exit 1
}
failures=()
failed() { # a failed check: stop, or with PEER_KEEP_GOING=1 note it and go on
  [ "${PEER_KEEP_GOING:-0}" = 1 ] || fail "$@"
  echo "peer: FAILED at step '$step_name': $*" >&2
  failures+=("$step_name")
}
skip() {
  echo "peer check skipped: $*"
  exit 0
}

# ---------------------------------------------------------------- preconditions
[ -d "$shared/fixtures/deploy-cli" ] || skip "../shared is absent ($shared)"
examples=$shared/fixtures/deploy-cli/examples/yaml
lots=$shared/fixtures/deploy-cli/test/e2e/testdata/lots-of-configuration/tenant.yaml
[ -f "$examples/tenant.yaml" ] && [ -f "$examples/config.json.example" ] && [ -f "$lots" ] ||
  skip "the a0deploy fixtures are not in $shared/fixtures/deploy-cli"
command -v npm >/dev/null 2>&1 || skip "npm registry unreachable (npm is not installed)"
version=$(timeout 20 npm view auth0-deploy-cli version 2>/dev/null) && [ -n "$version" ] ||
  skip "npm registry unreachable"
[ -x "$a0lua" ] || fail "build/a0lua is missing (run make)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/a0lua-peer.XXXXXX") || fail "cannot make a temporary folder"
pids=()
cleanup() {
  local pid f
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ -n "${client_secret:-}" ]; then
    for f in "$logs"/*; do [ -f "$f" ] && sed -i "s/$client_secret/[REDACTED]/g" "$f"; done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rm -rf "$logs" && mkdir -p "$logs" || fail "cannot make $logs"

# ---------------------------------------------------------------- 1. a0deploy
step "install auth0-deploy-cli $version"
cache=$root/build/peer/auth0-deploy-cli-$version
a0deploy=$cache/node_modules/.bin/a0deploy
if [ ! -x "$a0deploy" ]; then
  npm install --prefix "$tmp/npm" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "auth0-deploy-cli@$version" >"$logs/npm-install.log" 2>&1 ||
    fail "npm install auth0-deploy-cli@$version failed (see ${logs#"$root"/}/npm-install.log)"
  rm -rf "$cache.partial" && cp -a "$tmp/npm" "$cache.partial" && rm -rf "$cache" &&
    mv "$cache.partial" "$cache" || fail "cannot cache the install in $cache"
  echo "peer: installed in ${cache#"$root"/}"
else
  echo "peer: cached in ${cache#"$root"/}"
fi
"$a0deploy" --version >/dev/null 2>&1 ||
  fail "$a0deploy does not run (node $(node --version 2>&1))"

# ---------------------------------------------------------------- 2. emulator
step "start the emulator"
free_port() {
  "$a0lua" -e 'local s = assert(require("socket").bind("127.0.0.1", 0))
    local _, port = s:getsockname(); print(port); s:close()'
}
client_id=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
client_secret=$(LC_ALL=C tr -dc 'A-Za-z0-9_-' </dev/urandom | head -c 64)
# The deploy client's key pair for the private-key JWT runs (5b): PKCS#8, as a0deploy's SDK wants.
signing_key=$tmp/signing-key.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$signing_key" \
  >"$logs/signing-key.log" 2>&1 &&
  openssl pkey -in "$signing_key" -pubout -out "$tmp/signing-public.pem" >>"$logs/signing-key.log" 2>&1 ||
  fail "openssl could not make the signing key (see ${logs#"$root"/}/signing-key.log)"
"$a0lua" emulate --port 0 --limits "$limits" --client-id "$client_id" \
  --client-secret "$client_secret" --client-public-key "$tmp/signing-public.pem" \
  >"$logs/emulator.out" 2>"$logs/emulator.err" &
emulator_pid=$!
pids+=("$emulator_pid")
emulator_url=""
for _ in $(seq 150); do
  emulator_url=$(sed -n 's|^listening on \(http://[0-9.]*:[0-9]*\).*|\1|p' "$logs/emulator.out")
  [ -n "$emulator_url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null ||
    fail "a0lua emulate exited: $(tail -n 3 "$logs/emulator.err" | tr '\n' ' ')"
  sleep 0.1
done
[ -n "$emulator_url" ] || fail "a0lua emulate printed no 'listening on' line within 15 s"
echo "peer: emulator at $emulator_url (limits $limits)"

admin() { # admin METHOD PATH [OUT]: an admin request straight to the emulator
  "$a0lua" run "$peer/admin.lua" "$1" "$emulator_url$2" "${3:-/dev/null}"
}

# ---------------------------------------------------------------- 3. TLS terminator
step "start the TLS terminator"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$logs/openssl.log" 2>&1 ||
  fail "openssl could not make the certificate (see ${logs#"$root"/}/openssl.log)"
stunnel_bin=$(command -v stunnel4 || command -v stunnel) || fail "stunnel4 is not installed"
tls_port=""
for attempt in 1 2 3; do
  port=$(free_port) || fail "cannot find a free port"
  cat >"$tmp/stunnel.conf" <<EOF
foreground = yes
pid =
output = $logs/stunnel.log
[a0lua-emulate]
accept = 127.0.0.1:$port
connect = ${emulator_url#http://}
cert = $tmp/cert.pem
key = $tmp/key.pem
EOF
  "$stunnel_bin" "$tmp/stunnel.conf" >>"$logs/stunnel.out" 2>&1 &
  stunnel_pid=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then tls_port=$port; break; fi
    kill -0 "$stunnel_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -n "$tls_port" ]; then pids+=("$stunnel_pid"); break; fi
  kill "$stunnel_pid" 2>/dev/null; wait "$stunnel_pid" 2>/dev/null
  echo "peer: stunnel could not listen on $port (attempt $attempt)"
done
[ -n "$tls_port" ] || fail "stunnel did not start (see ${logs#"$root"/}/stunnel.log)"
domain=localhost:$tls_port
# The probe asks the Management API (401 without a token): the admin endpoints answer only at
# the emulator's own address, and through stunnel the Host is localhost:<TLS port>.
"$a0lua" run "$peer/admin.lua" --ca "$tmp/cert.pem" --expect 401 \
  GET "https://$domain/api/v2/roles" /dev/null ||
  fail "https://$domain does not reach the emulator through the certificate"
admin DELETE /__emulator/requests || fail "DELETE /__emulator/requests failed"
echo "peer: TLS at https://$domain"

step "seed the tenant"
# The example tenant.yaml refers to things it does not create, which on a real tenant must exist
# already: the actions its token exchange profile and its action event stream name
# ("custom-token-exchange-action", "action-name"), and version 1 of its action modules
# (its actions use them by version number; a0deploy publishes a module only when the file says
# all_changes_published: true). They are created here through the Management API.
PEER_CLIENT_SECRET=$client_secret "$a0lua" run "$peer/admin.lua" seed "$emulator_url" \
  "$client_id" | sed 's/^/peer: /' || fail "could not seed the tenant"
admin DELETE /__emulator/requests || fail "DELETE /__emulator/requests failed"

# ---------------------------------------------------------------- 4. a0deploy runs
redact() { # redact FILE...: the client secret never stays in a kept log
  local f
  for f in "$@"; do
    [ -f "$f" ] && sed -i "s/$client_secret/[REDACTED]/g" "$f"
  done
  return 0
}

# run_a0deploy LABEL ALLOWED ARGS...: one a0deploy run in a clean environment (so that a0deploy,
# which adds its whole environment to the keyword mappings, sees only these variables), with the
# credentials of the array `credentials` (the secret, or the signing key in 5b). ALLOWED
# is an extended regex of error lines that are the fixture's fault, not the emulator's ("" for
# none); any other error line, or a non-zero exit, fails the step.
expected_answers='^ *[0-9]+  (GET .* -> 4[0-9][0-9]|PATCH /api/v2/email-templates/[a-z_]+ -> 404|'
expected_answers+='POST /api/v2/actions/actions/[^ /]+/deploy -> 400)$'
run_a0deploy() {
  local label=$1 allowed=$2 status errors
  shift 2
  step "a0deploy $label"
  timeout "$run_timeout" env -i PATH="$PATH" HOME="$tmp" NODE_EXTRA_CA_CERTS="$tmp/cert.pem" \
    NODE_OPTIONS="--require $peer/fetch-errors.js" AUTH0_DOMAIN="$domain" \
    AUTH0_CLIENT_ID="$client_id" "${credentials[@]}" \
    "$a0deploy" "$@" >"$logs/$label.raw" 2>&1
  status=$?
  [ "$status" -ne 124 ] || echo "peer: a0deploy $label timed out after $run_timeout s" \
    >>"$logs/$label.raw"
  sed 's/\x1b\[[0-9;]*m//g' "$logs/$label.raw" >"$logs/$label.log" && rm -f "$logs/$label.raw"
  admin GET /__emulator/requests "$logs/$label.requests.json" &&
    admin DELETE /__emulator/requests ||
    echo "peer: could not read the emulator's request log after $label"
  redact "$logs/$label.log" "$logs/$label.requests.json"
  # The emulator's side: every answer >= 400 goes to LABEL.failures.txt; shown here are the
  # totals and the answers a0deploy does not expect. Expected are a 4xx to a GET (a resource not
  # configured yet: a0deploy skips it), 404 to PATCH /email-templates/{name} (a0deploy then
  # creates the template with POST), and 400 to POST /actions/actions/{id}/deploy while the
  # draft is still building (a0deploy waits and asks again), all as Auth0 answers.
  if [ -s "$logs/$label.requests.json" ]; then
    "$a0lua" run "$peer/admin.lua" summary "$logs/$label.requests.json" \
      >"$logs/$label.failures.txt"
    head -n 1 "$logs/$label.failures.txt" | sed 's/^/peer:   emulator: /'
    tail -n +2 "$logs/$label.failures.txt" | grep -vE "$expected_answers" |
      sed 's/^/peer:   emulator: /'
  fi
  # a0deploy's side: what it changed, per type and operation; its warnings and errors (first
  # line of each); its closing line.
  grep -oE ' - info: (Created|Updated|Deleted) \[[A-Za-z]+\]' "$logs/$label.log" |
    sed 's/ - info: //' | sort | uniq -c | sed 's/^ */peer:   a0deploy: /'
  grep -E ' - (warn|error): |^peer: fetch error' "$logs/$label.log" | cut -c1-240 |
    sed 's/^/peer:   a0deploy: /'
  grep -E ' - info: (Import Successful|Export Successful)' "$logs/$label.log" |
    sed 's/^/peer:   a0deploy: /'
  errors=$(grep -E ' - error: ' "$logs/$label.log" | { [ -n "$allowed" ] &&
    grep -vE "$allowed" || cat; })
  if [ "$status" -eq 124 ]; then
    failed "a0deploy $label did not finish within $run_timeout s"
  elif [ "$status" -ne 0 ]; then
    failed "a0deploy $label exited $status: $(printf '%s\n' "$errors" | tail -n 2 |
      cut -c1-400 | tr '\n' ' ')"
  elif [ -n "$errors" ]; then
    failed "a0deploy $label logged errors: $(printf '%s\n' "$errors" | head -n 2 |
      cut -c1-400 | tr '\n' ' ')"
  elif [ -n "$allowed" ] && grep -qE "$allowed" "$logs/$label.log"; then
    echo "peer:   (the error lines above are the fixture's, see tests/peer/a0deploy.sh)"
  fi
}

credentials=(AUTH0_CLIENT_SECRET="$client_secret")
run_a0deploy export-yaml "" export -f yaml -o "$tmp/export-yaml"
run_a0deploy export-directory "" export -f directory -o "$tmp/export-directory"

step "copy the example"
# A copy of examples/yaml to import, with the edits that make it input the Management API takes
# (peer_copy_example_yaml in lib.sh says why each is made; tests/e2e/examples_spec.lua makes the
# same ones for a0lua's own e2e spec).
peer_copy_example_yaml "$examples" "$tmp/examples-yaml" || fail "cannot copy $examples"
examples=$tmp/examples-yaml

step "write the import configs"
# Nothing of the example is excluded (PEER_EXCLUDE aside).
AUTH0_DOMAIN=$domain "$a0lua" run "$peer/config.lua" ${PEER_EXCLUDE:+--exclude "$PEER_EXCLUDE"} \
  "$tmp/examples.json" "$examples/config.json.example" "$examples/tenant.yaml" |
  sed 's/^/peer: /' || fail "config.lua failed"
AUTH0_DOMAIN=$domain "$a0lua" run "$peer/config.lua" ${PEER_EXCLUDE:+--exclude "$PEER_EXCLUDE"} \
  "$tmp/lots.json" || fail "config.lua failed"
# a0lua's own import of lots-of-configuration (5b): only the types it has handlers for.
AUTH0_DOMAIN=$domain "$a0lua" run "$peer/config.lua" --include-only "$PEER_A0LUA_TYPES" \
  "$tmp/lots-a0lua.json" || fail "config.lua failed"
[ -z "${PEER_EXCLUDE:-}" ] || echo "peer: PEER_EXCLUDE: both imports leave out $PEER_EXCLUDE"

# examples/yaml/tenant.yaml names two prompt screen-render files that the fixture does not have;
# a0deploy logs an error for each and goes on.
missing_renderers='Error loading file \./prompts/screenRenderSettings/login-passwordless_login-'
missing_renderers+='passwordless-(email-code|sms-otp)\.json: '
run_a0deploy import-examples "$missing_renderers" \
  import -c "$tmp/examples.json" -i "$examples/tenant.yaml"
run_a0deploy import-lots "" import -c "$tmp/lots.json" -i "$lots"
run_a0deploy export-last "" export -f yaml -o "$tmp/export-last"

# ---------------------------------------------------------------- 5. comparison
step "compare the last export with the imports"
mkdir -p "$logs/exports" && cp -r "$tmp"/export-* "$logs/exports/" 2>/dev/null
"$a0lua" run "$peer/compare.lua" "$tmp/export-last/tenant.yaml" \
  "$examples/tenant.yaml=$tmp/examples.json" "$lots=$tmp/lots.json" | sed 's/^/peer: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || failed "the last export lacks imported resources"

# ---------------------------------------------------------------- 5b. private-key JWT
# token_auth LABEL: every token request of LABEL's request log sent a client assertion and no
# secret (the log keeps the parameter names; their values are redacted).
token_auth() {
  "$a0lua" run "$peer/admin.lua" tokens "$logs/$1.requests.json" | sed 's/^/peer:   emulator: /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed "$1: a token request without a client assertion"
}
credentials=(AUTH0_CLIENT_SIGNING_KEY_PATH="$signing_key")
run_a0deploy export-pkjwt "" export -f yaml -o "$tmp/export-pkjwt"
token_auth export-pkjwt
run_a0deploy import-lots-pkjwt "" import -c "$tmp/lots.json" -i "$lots"
token_auth import-lots-pkjwt

# run_a0lua LABEL ARGS...: a0lua with the same key and no secret, through the TLS terminator.
run_a0lua() {
  local label=$1 status
  shift
  step "a0lua $label"
  timeout "$run_timeout" env -i PATH="$PATH" HOME="$tmp" AUTH0_DOMAIN="$domain" \
    AUTH0_CLIENT_ID="$client_id" AUTH0_CLIENT_SIGNING_KEY_PATH="$signing_key" \
    "$a0lua" "$@" --ca-file "$tmp/cert.pem" >"$logs/$label.log" 2>&1
  status=$?
  admin GET /__emulator/requests "$logs/$label.requests.json" &&
    admin DELETE /__emulator/requests ||
    echo "peer: could not read the emulator's request log after $label"
  tail -n 2 "$logs/$label.log" | cut -c1-240 | sed 's/^/peer:   a0lua: /'
  [ "$status" -eq 0 ] || failed "a0lua $label exited $status"
  token_auth "$label"
}
run_a0lua a0lua-export-pkjwt export -f yaml -o "$tmp/a0lua-export-pkjwt"
run_a0lua a0lua-import-lots-pkjwt import -c "$tmp/lots-a0lua.json" -i "$lots"
credentials=(AUTH0_CLIENT_SECRET="$client_secret")

# ---------------------------------------------------------------- 6. differential check
step "differential check"
bash "$peer/differential.sh" "$a0deploy" 2>&1 | sed 's/^/peer: /'
[ "${PIPESTATUS[0]}" -eq 0 ] ||
  failed "a0lua's imports differ from a0deploy's beyond tests/peer/known-differences.lua"
if [ "${#failures[@]}" -gt 0 ]; then
  step_name=$(IFS=,; echo "${failures[*]}")
  fail "${#failures[@]} step(s) failed (PEER_KEEP_GOING=1 ran them all)"
fi

step_name="result"
[ -z "${PEER_EXCLUDE:-}" ] ||
  fail "everything else passed, but PEER_EXCLUDE left out $PEER_EXCLUDE"
echo "peer check passed: a0deploy $version, 3 exports and 2 imports against a0lua emulate," \
  "an export and an import each by a0deploy and a0lua with a private-key JWT," \
  "and the differential check of both imports and the example directory against a0lua's" \
  "in $((SECONDS - started)) s"
