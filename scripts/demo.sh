#!/usr/bin/env bash
# demo.sh BIN: the first thing to run (make demo). A local tenant (a0lua emulate), the example tenant
# imported into it, the plan for a changed copy (exit 2: changes), an export; the emulator is stopped
# however the demo ends. DEMO_OUT names the export folder (default: a temporary one, printed).
set -euo pipefail
bin=$1
cd "$(dirname "$0")/.."
. scripts/emulator.sh

id=a0luaDemoClient00000000000000001
secret=a0lua-demo-secret
tmp=$(mktemp -d "${TMPDIR:-/tmp}/a0lua-demo.XXXXXX")
trap emulator_stop EXIT

emulator_start "$bin" "$tmp" --client-id "$id" --client-secret "$secret"
export AUTH0_DOMAIN="$EMULATOR_URL" AUTH0_CLIENT_ID="$id" AUTH0_CLIENT_SECRET="$secret"
echo "== a0lua emulate: a local tenant at $EMULATOR_URL"

echo "== a0lua import -i recipes/examples/tenant.yaml"
"$bin" import -i recipes/examples/tenant.yaml

cp -R recipes/examples "$tmp/changed"
sed -e 's|http://localhost:3000/callback|https://shop.example.com/callback|' \
  -e 's|description: May read orders|description: May read every order|' \
  -e 's|^    enabled: true$|    enabled: false|' \
  recipes/examples/tenant.yaml >"$tmp/changed/tenant.yaml"
echo "== a0lua plan -i <a changed copy>: a callback, a role and a template differ"
status=0
"$bin" plan -i "$tmp/changed/tenant.yaml" || status=$?
if [ "$status" -ne 2 ]; then
  echo "demo: plan exited $status, expected 2 (changes)" >&2
  exit 1
fi

out=${DEMO_OUT:-$tmp/export}
echo "== a0lua export -f yaml -o $out"
"$bin" export -f yaml -o "$out"
echo "== the export is in $out (tenant.yaml and its companion files)"
echo "== stopping the emulator"
