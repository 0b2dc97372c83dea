#!/usr/bin/env bash
# lavacore virtual lab: QEMU x86_64 boards with OVMF that netboot GRUB over TFTP
# (dnsmasq), an NFS server (nfs-ganesha), an HTTP server for artefacts, and a
# console relay per board, on a bridge that reaches nothing but the lab.
# Usage: lab.sh LAB_DIR up N LAVACORE_BIN | down | status | power on|off|reset BOARD
set -uo pipefail
LAB=$1; shift
CMD=${1:-status}; shift || true
RUN=$LAB/run
BR=lvcbr0
NET=10.77.0
SRV=$NET.254
HTTP_PORT=8080
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
log() { printf '%s lab: %s\n' "$(date +%T)" "$*" >&2; }
die() { echo "lab: $*" >&2; exit 1; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
need() { for t in "$@"; do command -v "$t" >/dev/null || die "$t is missing: run 'make deps' (scripts/deps.sh) first"; done; }
board_num() { local n=${1#board-}; echo $((10#$n)); }

stop_pid() { # stop_pid PIDFILE: TERM, then KILL
	local f=$1
	[ -f "$f" ] || return 0
	local p; p=$(cat "$f")
	if kill -0 "$p" 2>/dev/null; then
		kill "$p" 2>/dev/null
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -f "$f"
}

power() { # power on|off|reset BOARD
	local op=$1 b=$2 n; n=$(board_num "$b")
	local nn; nn=$(printf '%02d' "$n")
	case "$op" in
	off) stop_pid "$RUN/qemu-$nn.pid" ;;
	on)
		alive "$RUN/qemu-$nn.pid" && return 0
		need qemu-system-x86_64
		cp "$OVMF_VARS" "$RUN/vars-$nn.fd"
		qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -smp 1 -display none -no-reboot \
			-drive if=pflash,format=raw,readonly=on,file=$OVMF_CODE -drive if=pflash,format=raw,file="$RUN/vars-$nn.fd" \
			-netdev tap,id=n0,ifname=lvctap$nn,script=no,downscript=no \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:77:00:$nn,romfile= \
			-chardev socket,id=s0,path="$RUN/board-$nn.sock",server=on,wait=off -serial chardev:s0 \
			-pidfile "$RUN/qemu-$nn.pid" -daemonize 2>>"$RUN/qemu-$nn.log" || die "board $b: qemu failed to start (see $RUN/qemu-$nn.log)"
		;;
	reset) power off "$b"; power on "$b" ;;
	*) die "power: on, off or reset" ;;
	esac
}

up() {
	local n=${1:-1} bin=$2
	need ip dnsmasq ganesha.nfsd rpcbind qemu-system-x86_64 grub-mknetdir python3 git ssh-keygen socat
	[ -f "$OVMF_CODE" ] || die "$OVMF_CODE is missing: run 'make deps' (package ovmf)"
	mkdir -p "$RUN" "$LAB/tftp" "$LAB/nfs" "$LAB/http" "$LAB/devices" "$LAB/keys"
	if ip link show "$BR" >/dev/null 2>&1 && ! alive "$RUN/dnsmasq.pid"; then
		log "found a stale lab (bridge $BR without this lab's services, e.g. after a reboot or a killed session): cleaning it up"
		down
	fi
	for p in 8080 7001; do
		if ! alive "$RUN/http.pid" && ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			die "port $p is in use by another program ($(ss -Hltnp "sport = :$p" | grep -o 'users:.*' | head -1)): stop it or run 'lavacore lab down'"
		fi
	done
	[ -f "$LAB/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C lavacore-lab -f "$LAB/keys/id_ed25519"
	if [ ! -f "$LAB/tftp/grub/x86_64-efi/core.efi" ]; then
		grub-mknetdir --net-directory="$LAB/tftp" --subdir=grub -d /usr/lib/grub/x86_64-efi >/dev/null 2>&1 || die "grub-mknetdir failed"
	fi
	printf 'set timeout=10\nmenuentry "Local disk (lavacore lab: interrupt me)" { echo "no OS installed"; sleep 5; }\n' > "$LAB/tftp/grub/grub.cfg"
	# network: a bridge with the dispatcher's lab address, a tap per board
	if ! ip link show "$BR" >/dev/null 2>&1; then
		ip link add "$BR" type bridge || die "cannot create bridge $BR"
		ip addr add "$SRV/24" dev "$BR"
		ip link set "$BR" up
	fi
	for i in $(seq 1 "$n"); do
		local nn; nn=$(printf '%02d' "$i")
		ip link show "lvctap$nn" >/dev/null 2>&1 || { ip tuntap add dev "lvctap$nn" mode tap && ip link set "lvctap$nn" master "$BR" up; } || die "cannot create tap lvctap$nn"
	done
	# DHCP + TFTP
	if ! alive "$RUN/dnsmasq.pid"; then
		local hosts=()
		for i in $(seq 1 "$n"); do hosts+=(--dhcp-host=52:54:00:77:00:$(printf '%02d' "$i"),$NET.$((100 + i))); done
		dnsmasq --conf-file=/dev/null --user=root --group=root --port=0 --interface="$BR" --bind-interfaces \
			--except-interface=lo --dhcp-range=$NET.100,$NET.199,1h "${hosts[@]}" --dhcp-option=3 --dhcp-option=6 \
			--dhcp-boot=grub/x86_64-efi/core.efi --enable-tftp --tftp-root="$LAB/tftp" \
			--dhcp-leasefile="$RUN/leases" --log-facility="$RUN/dnsmasq.log" --pid-file="$RUN/dnsmasq.pid" \
			|| die "dnsmasq failed to start (see $RUN/dnsmasq.log)"
	fi
	# NFS: rpcbind + ganesha with a private /run
	if ! alive "$RUN/ganesha.pid"; then
		cat > "$RUN/ganesha.conf" <<G
NFS_CORE_PARAM { Protocols = 3, 4; NFS_Port = 2049; MNT_Port = 20048; Enable_NLM = false; Enable_RQUOTA = false; Bind_addr = $SRV; }
NFSV4 { Graceless = true; }
EXPORT { Export_Id = 1; Path = $LAB/nfs; Pseudo = $LAB/nfs; Access_Type = RW; Squash = No_Root_Squash; Protocols = 3, 4; Transports = TCP, UDP; SecType = sys; FSAL { Name = VFS; } }
LOG { Default_Log_Level = EVENT; }
G
		setsid unshare -m --propagation private sh -c "mount -t tmpfs tmpfs /run; mkdir -p /run/rpcbind /run/ganesha /var/lib/nfs/ganesha;
			rpcbind -w -f & echo \$! > $RUN/rpcbind.pid; sleep 0.5;
			exec ganesha.nfsd -F -f $RUN/ganesha.conf -L $RUN/ganesha.log -p /run/ganesha/ganesha.pid" </dev/null >>"$RUN/ganesha.out" 2>&1 &
		echo $! > "$RUN/ganesha.pid"
	fi
	# HTTP for artefacts, the apt repository and git repositories
	if ! alive "$RUN/http.pid"; then
		setsid python3 -m http.server --bind "$SRV" --directory "$LAB/http" "$HTTP_PORT" </dev/null >>"$RUN/http.log" 2>&1 &
		echo $! > "$RUN/http.pid"
	fi
	# console relays and device files
	cat > "$LAB/lab.hcl" <<H
# written by lavacore lab up
lab {
  dispatcher_ip = "$SRV"
  tftp_root     = "$LAB/tftp"
  nfs_root      = "$LAB/nfs"
  http_root     = "$LAB/http"
}
H
	for i in $(seq 1 "$n"); do
		local nn; nn=$(printf '%02d' "$i")
		if ! alive "$RUN/relay-$nn.pid"; then
			setsid "$bin" lab relay --socket "$RUN/board-$nn.sock" --listen "127.0.0.1:$((7000 + i))" </dev/null >>"$RUN/relay-$nn.log" 2>&1 &
			echo $! > "$RUN/relay-$nn.pid"
		fi
		cat > "$LAB/devices/board-$nn.hcl" <<D
# written by lavacore lab up: a QEMU x86_64 board with OVMF, netbooting GRUB
# (the same grub-efi flow as a mustang)
device "board-$nn" {
  device_type = "mustang"
  vars {
    connection_command = "socat -,raw,echo=0 TCP:127.0.0.1:$((7000 + i))"
    power_on_command   = "bash $LAB/lab.sh $LAB power on board-$nn"
    power_off_command  = "bash $LAB/lab.sh $LAB power off board-$nn"
    hard_reset_command = "bash $LAB/lab.sh $LAB power reset board-$nn"
    interrupt_prompt   = "Press enter to boot the selected OS"
    uefi_menu          = false
    extra_kernel_args  = "net.ifnames=0"
    boot_character_delay = "0ms"
    ssh_identity_file  = "$LAB/keys/id_ed25519"
  }
}
D
	done
	sleep 1
	for s in dnsmasq ganesha http; do alive "$RUN/$s.pid" || die "$s did not stay up (see $RUN/$s.log)"; done
	log "up: $n board(s), dispatcher $SRV, consoles on 127.0.0.1:7001..$((7000 + n))"
}

down() {
	for f in "$RUN"/qemu-*.pid; do [ -e "$f" ] && stop_pid "$f"; done
	for f in "$RUN"/relay-*.pid "$RUN/http.pid" "$RUN/dnsmasq.pid"; do [ -e "$f" ] && stop_pid "$f"; done
	if [ -f "$RUN/ganesha.pid" ]; then
		[ -f "$RUN/rpcbind.pid" ] && stop_pid "$RUN/rpcbind.pid"
		# the unshare'd shell exec'd ganesha: its pid is ganesha's
		stop_pid "$RUN/ganesha.pid"
	fi
	pkill -f "ganesha.nfsd -F -f $RUN/ganesha.conf" 2>/dev/null || true
	for t in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep '^lvctap' | cut -d@ -f1); do ip link del "$t" 2>/dev/null || true; done
	ip link del "$BR" 2>/dev/null || true
	log "down"
}

status() {
	local s
	for f in "$RUN"/*.pid; do
		[ -e "$f" ] || continue
		s=stopped; alive "$f" && s="running (pid $(cat "$f"))"
		printf '%-14s %s\n' "$(basename "$f" .pid)" "$s"
	done
	ip -br addr show "$BR" 2>/dev/null || echo "bridge $BR: absent"
}

case "$CMD" in
up) up "$@" ;;
down) down ;;
status) status ;;
power) power "$@" ;;
*) die "unknown command $CMD" ;;
esac
