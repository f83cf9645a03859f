#!/usr/bin/env bash
# Installs the Debian packages that Comptoir needs, by what is about to run:
#   system-deps.sh run    those of `make run`            (tools/apt-packages-run.txt)
#   system-deps.sh fast   those too, and `make test-fast`'s (tools/apt-packages-test-fast.txt)
#   system-deps.sh        all of them, and what the slow tests drive for real (tools/apt-packages.txt)
# One package a line; comments start with #. A line `PACKAGE unless-command CMD` asks for PACKAGE
# only when no CMD is on the PATH (npm: a Node.js from elsewhere brings its own, and Debian's
# would conflict with it).
# Quick when everything is there: apt is only called for what is missing. As root it runs apt
# itself, otherwise through sudo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/apt-packages-run.txt")
case "${1:-all}" in
  run) ;;
  fast) lists+=("$here/apt-packages-test-fast.txt") ;;
  all) lists+=("$here/apt-packages-test-fast.txt" "$here/apt-packages.txt") ;;
  *) echo "usage: $0 [run|fast|all]" >&2; exit 2 ;;
esac
missing=()
while read -r package keyword command_name _; do
  if [ "$keyword" = unless-command ]; then
    command -v "$command_name" >/dev/null 2>&1 && continue
  elif [ -n "$keyword" ]; then
    echo "system-deps: cannot read the line for $package (only 'unless-command CMD' may follow it)" >&2
    exit 2
  fi
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "${lists[@]}" | sort -u)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "system-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
  as_root=(sudo)
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
