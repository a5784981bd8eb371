#!/bin/sh
# install-deps.sh PACKAGE...: install the Debian packages of the list that are missing, with apt-get
# (through sudo when not root). Does nothing, quickly, when all are present; on a system without dpkg
# it says which packages a0lua expects and leaves the rest to the build.
set -eu

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: not a Debian system; a0lua builds with: $*" >&2
  exit 0
fi

# One dpkg-query for the whole list: each package's name and status, unknown ones not at all.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '/ ok installed$/ { print $1 }')
missing=""
for p in "$@"; do
  case " $(echo $installed) " in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
[ -n "$missing" ] || exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=sudo
  else
    echo "install-deps: missing Debian packages:$missing; run as root: apt-get install$missing" >&2
    exit 1
  fi
fi
echo "make deps: installing$missing"
$sudo apt-get update -qq
# shellcheck disable=SC2086 # the list is one word a package
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
