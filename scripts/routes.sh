#!/usr/bin/env bash
# scripts/routes.sh: the emulator's route and request-schema tables, lua/a0lua/emulator/routes.lua,
# made by scripts/gen-emulator-routes.lua from the Management API's OpenAPI document.
#
#   scripts/routes.sh update    regenerate the tables (make routes)
#   scripts/routes.sh check     exit 1 when the committed tables differ from a fresh generation
#                               (make lint, so make check)
#
# The document is not part of the repository: ROUTES_SOURCE names it (default
# ../shared/reference/auth0-mgmt-api/openapi.json beside the checkout). Its sha256 is pinned in
# scripts/openapi.sha256, so the tables change only on purpose: a document that differs from the
# pin is refused, and ROUTES_PIN=1 make routes takes the new one and writes its sum. Without the
# document, check says so and passes (the tables cannot be regenerated here). Needs build/a0lua.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
source=${ROUTES_SOURCE:-$root/../shared/reference/auth0-mgmt-api/openapi.json}
pin_file=$root/scripts/openapi.sha256
tables=$root/lua/a0lua/emulator/routes.lua
a0lua=$root/build/a0lua
mode=${1:-}

fail() { echo "routes: $*" >&2; exit 1; }

[ "$mode" = update ] || [ "$mode" = check ] || fail "usage: scripts/routes.sh update|check"
[ -x "$a0lua" ] || fail "build/a0lua is missing (run make)"
if [ ! -f "$source" ]; then
  [ "$mode" = check ] || fail "no OpenAPI document at $source (set ROUTES_SOURCE)"
  echo "routes: skipped: no OpenAPI document at $source, so the tables cannot be regenerated"
  exit 0
fi

sum=$(sha256sum "$source" | cut -d' ' -f1)
pinned=$(cut -d' ' -f1 "$pin_file" 2>/dev/null)
if [ "$sum" != "$pinned" ]; then
  if [ "$mode" = update ] && [ "${ROUTES_PIN:-}" = 1 ]; then
    echo "$sum  openapi.json" >"$pin_file" || fail "cannot write $pin_file"
    echo "routes: pinned the new document, sha256 $sum"
  else
    fail "$source has sha256 $sum, not the pinned ${pinned:-(none)} (scripts/openapi.sha256):" \
      "review the new document, then ROUTES_PIN=1 make routes"
  fi
fi

fresh=$(mktemp "${TMPDIR:-/tmp}/a0lua-routes.XXXXXX") || fail "cannot make a temporary file"
trap 'rm -f "$fresh"' EXIT
"$a0lua" run "$root/scripts/gen-emulator-routes.lua" "$source" >"$fresh" ||
  fail "scripts/gen-emulator-routes.lua failed"
if [ "$mode" = update ]; then
  cmp -s "$fresh" "$tables" && { echo "routes: ${tables#"$root"/} is up to date"; exit 0; }
  cp "$fresh" "$tables" || fail "cannot write $tables"
  echo "routes: regenerated ${tables#"$root"/} ($(wc -c <"$tables") bytes)"
else
  cmp -s "$fresh" "$tables" || fail "${tables#"$root"/} differs from what" \
    "scripts/gen-emulator-routes.lua makes of the pinned document: run make routes and commit"
  echo "routes: ${tables#"$root"/} is what the generator makes of the pinned document"
fi
