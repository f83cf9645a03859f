#!/usr/bin/env bash
# Installs the Debian packages that Comptoir needs: `system-deps.sh run` those of `make run`
# (tools/apt-packages-run.txt), `system-deps.sh` those too and what the test suite drives for real
# (tools/apt-packages.txt). Each line is one package; comments start with #.
# Quick when everything is there: apt is only called for what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/apt-packages-run.txt")
[ "${1:-all}" = run ] || lists+=("$here/apt-packages.txt")
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "${lists[@]}" | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: need root to install: ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null
apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
