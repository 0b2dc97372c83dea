#!/usr/bin/env bash
# make deps, lava-server (scripts/deps.d/lava-server.apt): internal/lavaservere2e starts
# PostgreSQL's cluster `main` itself (pg_ctlcluster VER main start, stopped again after) and
# creates lava-server's database with dpkg-reconfigure lava-server. The cluster must exist: Debian's
# postgresql-common creates it at install unless create_main_cluster is off; create it then.
# It is left stopped, like the services services.sh stops.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
debian_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root)
command -v /usr/bin/pg_lsclusters >/dev/null || { echo "deps/lava-server: pg_lsclusters missing (postgresql-common)" >&2; exit 1; }
if $SUDO "${debian_env[@]}" pg_lsclusters --no-header | awk '$2 == "main" {found=1} END {exit !found}'; then
	echo "deps/lava-server: ok ($($SUDO "${debian_env[@]}" pg_lsclusters --no-header | awk '$2 == "main" {print "PostgreSQL " $1 " cluster main, " $4; exit}'))"
	exit 0
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
[ -n "$ver" ] || { echo "deps/lava-server: no PostgreSQL server in /usr/lib/postgresql" >&2; exit 1; }
echo "deps/lava-server: creating PostgreSQL $ver's cluster main (left stopped)"
$SUDO "${debian_env[@]}" pg_createcluster "$ver" main
