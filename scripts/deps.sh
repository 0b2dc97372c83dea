#!/usr/bin/env bash
# make deps: install everything lavacore's tests and its virtual lab need, on Debian 12 (as root, or
# with sudo). Package lists: scripts/deps.d/*.apt (one package per line, # comments); extra steps:
# scripts/deps.d/*.sh, in name order (go.sh: the Go toolchain; lava-server.sh: PostgreSQL's cluster;
# services.sh: no services left enabled).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: run as root, or install sudo" >&2; exit 1; }
	SUDO=sudo
fi
# apt runs with Debian's own PATH: a python3 earlier on PATH (pyenv's, without Django) breaks
# lava-server's postinst. Proxy settings pass through.
debian_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive)
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
	if [ -n "${!v:-}" ]; then debian_env+=("$v=${!v}"); fi
done
# the packages make deps installed (services.sh disables their services)
export DEPS_STATE=${DEPS_STATE:-/var/lib/lavacore/deps-installed}
pkgs=$(cat "$here"/deps.d/*.apt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u || true)
if [ -n "$pkgs" ]; then
	missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
	if [ -n "$missing" ]; then
		echo "deps: installing $(echo $missing)"
		$SUDO mkdir -p "$(dirname "$DEPS_STATE")"
		echo "$missing" | tr ' ' '\n' | $SUDO tee -a "$DEPS_STATE" >/dev/null
		$SUDO "${debian_env[@]}" apt-get update -q
		$SUDO "${debian_env[@]}" apt-get install -y -q --no-install-recommends $missing
	else
		echo "deps: all $(echo $pkgs | wc -w) Debian packages present"
	fi
fi
for s in "$here"/deps.d/*.sh; do
	[ -e "$s" ] || continue
	echo "deps: $(basename "$s")"
	bash "$s"
done
