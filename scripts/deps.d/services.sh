#!/usr/bin/env bash
# make deps: Debian enables and starts the services of the packages it
# installs. lavacore starts what it needs itself (the lab's rpcbind and NFS
# server in its namespace, Debian's lava-coordinator on a free port in the
# interop tests), and lavacore coordinator's default port is 3079, the one
# lava-coordinator.service takes. So the services of packages that make deps
# installed (listed in $DEPS_STATE) are disabled and stopped; a package that
# was there before is left as it was.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
state=${DEPS_STATE:-/var/lib/lavacore/deps-installed}
[ -s "$state" ] || { echo "deps/services: nothing installed by make deps"; exit 0; }
# package: its units
units_of() {
	case "$1" in
	lava-coordinator) echo lava-coordinator.service ;;
	nfs-ganesha) echo nfs-ganesha.service ;;
	rpcbind) echo rpcbind.socket rpcbind.service ;;
	openssh-server) echo ssh.service ;;
	tftpd-hpa) echo tftpd-hpa.service ;;
	lava-dispatcher) echo lava-worker.service ;;
	esac
}
for pkg in $(sort -u "$state"); do
	for unit in $(units_of "$pkg"); do
		name=${unit%.*}
		if [ -d /run/systemd/system ]; then
			if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
				echo "deps/services: $pkg was installed by make deps: disabling and stopping $unit"
				$SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || $SUDO systemctl stop "$unit" || true
			fi
		elif [ -x "/etc/init.d/$name" ]; then
			echo "deps/services: $pkg was installed by make deps: disabling and stopping $name"
			$SUDO update-rc.d "$name" disable >/dev/null 2>&1 || true
			$SUDO "/etc/init.d/$name" stop >/dev/null 2>&1 || true
		fi
	done
done
