#!/usr/bin/env bash
# make deps-<name>: installs scripts/deps-optional/<name>.apt (one package per line, # comments)
# on Debian 12, as root or with sudo. apt runs with Debian's own PATH: a python3 earlier on PATH
# (without Django) breaks lava-server's postinst. Services the packages enable are stopped and
# disabled: the tests start what they need themselves, on free ports.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: install.sh NAME (scripts/deps-optional/NAME.apt)}
list="$here/$name.apt"
[ -f "$list" ] || { echo "deps-$name: no $list" >&2; exit 1; }
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps-$name: run as root, or install sudo" >&2; exit 1; }
	SUDO=sudo
fi
debian_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive)
pkgs=$(sed 's/#.*//' "$list" | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
if [ -z "$missing" ]; then
	echo "deps-$name: all $(echo $pkgs | wc -w) Debian packages present"
	exit 0
fi
echo "deps-$name: installing $(echo $missing)"
$SUDO "${debian_env[@]}" apt-get update -q
$SUDO "${debian_env[@]}" apt-get install -y -q --no-install-recommends $missing
if [ -d /run/systemd/system ]; then
	for unit in lava-server-gunicorn lava-scheduler lava-publisher lava-worker; do
		if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
			echo "deps-$name: disabling and stopping $unit (the tests start their own)"
			$SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || $SUDO systemctl stop "$unit" || true
		fi
	done
fi
