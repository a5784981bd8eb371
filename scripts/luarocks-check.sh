#!/usr/bin/env bash
# luarocks-check.sh: `luarocks make` of this tree into a fresh --tree, then the installed a0lua, run
# from that tree, prints `version --verbose`, imports the example tenant into `a0lua emulate` and
# plans it again (exit 0: nothing to change). Works on a copy of the tree, so the developer's build/
# is neither used nor changed. Installs luarocks with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/emulator.sh

command -v luarocks >/dev/null 2>&1 || scripts/install-deps.sh luarocks
work=$(mktemp -d "${TMPDIR:-/tmp}/a0lua-rock.XXXXXX")
trap 'emulator_stop; rm -rf "$work"' EXIT

mkdir "$work/src"
tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$work/src"
echo "== luarocks make into a fresh tree"
if ! (cd "$work/src" && luarocks --lua-version 5.4 --tree "$work/tree" make a0lua-scm-1.rockspec) \
    >"$work/luarocks.log" 2>&1; then
  tail -n 40 "$work/luarocks.log" >&2
  echo "luarocks-check: luarocks make failed" >&2
  exit 1
fi
grep -E 'is now installed' "$work/luarocks.log"

bin="$work/tree/bin/a0lua"
rm -rf "$work/src"  # the installed a0lua must not lean on the tree it was built from
echo "== $bin version --verbose"
"$bin" version --verbose

id=a0luaRockCheck000000000000000001
secret=a0lua-rock-check-secret
emulator_start "$bin" "$work" --client-id "$id" --client-secret "$secret"
export AUTH0_DOMAIN="$EMULATOR_URL" AUTH0_CLIENT_ID="$id" AUTH0_CLIENT_SECRET="$secret"
echo "== the installed a0lua imports recipes/examples/tenant.yaml into a0lua emulate"
"$bin" import -i recipes/examples/tenant.yaml
status=0
"$bin" plan -i recipes/examples/tenant.yaml >"$work/plan.out" || status=$?
if [ "$status" -ne 0 ]; then
  cat "$work/plan.out"
  echo "luarocks-check: the plan after the import exited $status, expected 0 (no changes)" >&2
  exit 1
fi
echo "luarocks-check: passed (installed, imported, planned again with no change)"
