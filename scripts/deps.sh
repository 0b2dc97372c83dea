#!/usr/bin/env bash
# make deps: install everything lavacore's tests and its virtual lab need, on Debian 12, as root.
# Package lists: scripts/deps.d/*.apt (one package per line, # comments); extra steps: scripts/deps.d/*.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
pkgs=$(cat "$here"/deps.d/*.apt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u || true)
if [ -n "$pkgs" ]; then
  missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
  if [ -n "$missing" ]; then
    echo "deps: installing $(echo $missing)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends $missing
  else
    echo "deps: all $(echo $pkgs | wc -w) Debian packages present"
  fi
fi
for s in "$here"/deps.d/*.sh; do
  [ -e "$s" ] || continue
  echo "deps: $(basename "$s")"
  bash "$s"
done
