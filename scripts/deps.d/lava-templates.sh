#!/usr/bin/env bash
# make deps: LAVA's device-type templates (base.jinja2 …), which lab/lava/lavacore-lab-x86.jinja2
# extends, without installing lava-server (it pulls PostgreSQL): when /usr/share/lava-server is
# absent, Debian's lava-server package is fetched with apt-get download and only its
# usr/share/lava-server/device-types/ is unpacked into /var/lib/lavacore/lava-device-types
# (lab/lava/render.py looks there).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
dest=/var/lib/lavacore/lava-device-types
if [ -e /usr/share/lava-server/device-types/base.jinja2 ]; then
	echo "deps/lava-templates: lava-server's templates are installed"
	exit 0
fi
if [ -e "$dest/base.jinja2" ]; then
	echo "deps/lava-templates: $dest present"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0777 "$tmp" # apt-get download runs as _apt
(cd "$tmp" && apt-get download -q lava-server)
deb=$(ls "$tmp"/lava-server_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/share/lava-server/device-types
$SUDO mkdir -p "$dest"
$SUDO cp -a "$tmp/usr/share/lava-server/device-types/." "$dest/"
echo "deps/lava-templates: LAVA's device-type templates from $(basename "$deb") in $dest"
