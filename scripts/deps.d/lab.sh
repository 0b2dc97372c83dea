#!/usr/bin/env bash
# make deps, the virtual lab: the board kernel is Debian's linux-image-cloud-amd64,
# fetched by `lavacore lab up` with apt-get download (never installed on the host);
# apt-cache must know it, so the package lists must be current.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
if ! apt-cache depends linux-image-cloud-amd64 2>/dev/null | grep -q 'Depends: linux-image-[0-9]'; then
	echo "deps/lab: apt-get update (to resolve linux-image-cloud-amd64)"
	$SUDO apt-get update -q
fi
[ -e /dev/net/tun ] || echo "deps/lab: warning: /dev/net/tun is missing: the lab's boards need tap devices" >&2
echo "deps/lab: ok (kernel $(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'))"
