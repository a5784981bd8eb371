#!/usr/bin/env bash
# fresh-check.sh (make fresh-check): the README's two commands on a bare Debian 12, first try.
#
# Builds a minimal Debian 12 root with debootstrap (--variant=minbase, the mirror taken from this
# machine's own apt sources), installs only `make` in it, copies `git archive HEAD` of this checkout
# (and ../shared when present, as the project's tests expect it beside the checkout), and inside it
# runs `make demo`, then `make test`, each once, then scripts/luarocks-check.sh (luarocks make into a
# fresh tree; the installed a0lua imports into a0lua emulate). Prints each step's time and result
# and exits non-zero on any failure. The root is unmounted and removed however the run ends.
#
# Needs root (or sudo) for debootstrap and chroot. Skips, saying why, only when the Debian mirror
# cannot be reached; a failure inside the root fails. Uncommitted changes are not in the archive.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "fresh-check: needs root (debootstrap, chroot)" >&2; exit 1; }
  exec sudo -E bash "$0" "$@"
fi

# The first bookworm mirror in this machine's apt sources (deb822 .sources or one-line lists).
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk '
    /^[ \t]*$/ { if (uri != "" && suite ~ /(^| )bookworm( |$)/) { print uri; exit } uri = ""; suite = ""; next }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { $1 = ""; suite = $0 " " }'
)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
fi
[ -n "$mirror" ] || { echo "fresh-check: no bookworm mirror in this machine's apt sources" >&2; exit 1; }

# Reachable? A plain TCP connection to the mirror's host, bounded in time.
hostport=$(echo "$mirror" | sed -E 's|^[a-z]+://([^/]+).*|\1|')
host=${hostport%%:*}
port=80
case "$mirror" in https://*) port=443 ;; esac
[ "$hostport" != "$host" ] && port=${hostport##*:}
if ! timeout 15 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then
  echo "fresh-check skipped: the Debian mirror ($host:$port) cannot be reached"
  exit 0
fi

scripts/install-deps.sh debootstrap

root=$(mktemp -d /var/tmp/a0lua-fresh.XXXXXX)
cleanup() {
  # Unmount everything below the root, deepest first, then remove it.
  findmnt -rn -o TARGET | grep -F "$root" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if findmnt -rn -o TARGET | grep -qF "$root"; then
    echo "fresh-check: $root still has mounts; left in place" >&2
  else
    rm -rf "$root"
    rm -f "$root".*log
  fi
}
trap cleanup EXIT

step() {  # step NAME COMMAND...: run, time, report
  local name=$1 start end status=0
  shift
  start=$(date +%s)
  "$@" || status=$?
  end=$(date +%s)
  printf 'fresh-check: %-28s %s in %d s\n' "$name" "$([ $status -eq 0 ] && echo passed || echo "FAILED ($status)")" $((end - start))
  return $status
}

log=$root.log
debootstrap_root() {
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1 || { tail -n 30 "$log"; return 1; }
}
step "debootstrap (minbase)" debootstrap_root

cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI="${CI:-}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "$1"
}
install_make() {
  in_root 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make' \
    >"$root.make.log" 2>&1 || { tail -n 20 "$root.make.log"; return 1; }
}
step "apt-get install make" install_make

mkdir -p "$root/work/a0lua"
git archive HEAD | tar -x -C "$root/work/a0lua"
if [ -d ../shared ]; then cp -R ../shared "$root/work/shared"; fi

readme_command() {  # readme_command TARGET: run `make TARGET` in the root, output in the log
  in_root "cd /work/a0lua && make $1" >"$root.$1.log" 2>&1 || { tail -n 40 "$root.$1.log"; return 1; }
}
status=0
step "make demo (first try)" readme_command demo || status=1
step "make test (first try)" readme_command test || status=1
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$root.test.log" | grep -E '^[0-9]+ successes? / ' | tail -n 1 || true)
echo "fresh-check: busted in the root: ${summary:-no summary}"
rock_check() {
  in_root 'cd /work/a0lua && scripts/luarocks-check.sh' >"$root.rock.log" 2>&1 || { tail -n 40 "$root.rock.log"; return 1; }
}
step "luarocks make + import" rock_check || status=1
exit $status
