#!/usr/bin/env bash
# lavacore virtual lab: build the board images from Debian packages, cached.
# Usage: build.sh CACHE_DIR HTTP_DIR [fast|real|all]
# Each step is skipped when its stamp (keyed by its inputs) is present.
set -euo pipefail
CACHE=$1; HTTP=$2; WHAT=${3:-all}
mkdir -p "$CACHE" "$HTTP"
# stamps carry the script's own checksum: a changed recipe rebuilds
SUM=$(sha256sum "$0" | cut -c1-16)
stamped() { [ -f "$1" ] && [ "$(cat "$1")" = "$SUM" ]; }
log() { printf '%s lab-build: %s\n' "$(date +%T)" "$*" >&2; }
need() { for t in "$@"; do command -v "$t" >/dev/null || { echo "lab-build: $t is missing: run 'make deps' (scripts/deps.sh) first" >&2; exit 3; }; done; }
need dpkg-deb depmod modprobe cpio gzip grub-mknetdir busybox dropbear debootstrap dpkg-scanpackages apt-get

# --- kernel: Debian's cloud kernel, unpacked (not installed) ---
KV=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' | sed 's/^linux-image-//')
if [ -z "$KV" ]; then apt-get update -q >/dev/null; KV=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}' | sed 's/^linux-image-//'); fi
[ -n "$KV" ] || { echo "lab-build: cannot resolve linux-image-cloud-amd64 (apt-get update?)" >&2; exit 3; }
K=$CACHE/kernel/$KV
if [ ! -f "$K/.stamp" ]; then
	log "kernel $KV: downloading"
	rm -rf "$K" "$CACHE/debs"; mkdir -p "$K" "$CACHE/debs"
	(cd "$CACHE/debs" && apt-get download -q "linux-image-$KV" >/dev/null)
	dpkg-deb -x "$CACHE"/debs/linux-image-"$KV"_*.deb "$K"
	[ -d "$K/usr/lib/modules" ] && [ ! -d "$K/lib/modules" ] && { mkdir -p "$K/lib"; cp -a "$K/usr/lib/modules" "$K/lib/"; }
	depmod -b "$K" "$KV"
	touch "$K/.stamp"
fi
MODDIR=$K/lib/modules/$KV
[ -d "$MODDIR" ] || MODDIR=$K/usr/lib/modules/$KV

# modules_closure MOD...: the .ko files MOD needs, in load order
modules_closure() { for m in "$@"; do modprobe -d "$K" -S "$KV" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'; done | awk '!seen[$0]++'; }

# a small modules tarball (networking and NFS drivers + module indexes), as a job's `modules:`
if [ ! -f "$CACHE/modules-$KV.tar.gz" ]; then
	log "modules tarball"
	T=$(mktemp -d); mkdir -p "$T/lib/modules/$KV"
	cp "$MODDIR"/modules.* "$T/lib/modules/$KV/"
	for f in $(modules_closure virtio_net virtio_pci nfsv3 nfsv4); do rel=${f#$K/}; mkdir -p "$T/$(dirname "$rel")"; cp "$f" "$T/$rel"; done
	tar -C "$T" -czf "$CACHE/modules-$KV.tar.gz.tmp" lib && mv "$CACHE/modules-$KV.tar.gz.tmp" "$CACHE/modules-$KV.tar.gz"
	rm -rf "$T"
fi

# --- fast image: busybox + dropbear initramfs ---
build_fast() {
	local OUT=$CACHE/fast-$KV/ramdisk.cpio.gz
	if stamped "$CACHE/fast-$KV/.stamp"; then return; fi
	log "fast image: busybox + dropbear ramdisk"
	local R; R=$(mktemp -d); mkdir -p "$CACHE/fast-$KV"
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/lib,etc/dropbear,proc,sys,dev,run,tmp,root,var/log}
	cp /bin/busybox "$R/bin/busybox"
	for a in $(busybox --list-full); do mkdir -p "$R/$(dirname "$a")"; [ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a"; done
	local sftp=/usr/lib/openssh/sftp-server
	for b in /usr/sbin/dropbear /usr/bin/scp $sftp; do
		mkdir -p "$R$(dirname "$b")"; cp "$b" "$R$b"
		for l in $(ldd "$b" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; done
	done
	ln -sf openssh/sftp-server "$R/usr/lib/sftp-server"
	mkdir -p "$R/lib/modules/$KV"
	: > "$R/etc/modules.order"
	for f in $(modules_closure virtio_pci virtio_net); do rel=${f#$K}; mkdir -p "$R$(dirname "$rel")"; cp "$f" "$R$rel"; echo "$rel" >> "$R/etc/modules.order"; done
	printf 'root::0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/bin/false\n' > "$R/etc/passwd"
	echo 'root:x:0:' > "$R/etc/group"
	echo 'root::19000:0:99999:7:::' > "$R/etc/shadow"
	echo stretch > "$R/etc/hostname"
	echo /bin/sh > "$R/etc/shells"
	cat > "$R/etc/profile" <<'P'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ -n "$SSH_CONNECTION" ]; then PS1='root@linaro-developer:\w# '; else PS1='root@stretch:\w# '; fi
export PS1
cd /root 2>/dev/null
P
	mkdir -p "$R/usr/share/udhcpc"
	cat > "$R/usr/share/udhcpc/default.script" <<'S'
#!/bin/sh
case "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface";; esac
S
	chmod +x "$R/usr/share/udhcpc/default.script"
	cat > "$R/init" <<'I'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run
hostname stretch
for m in $(cat /etc/modules.order); do insmod $m 2>/dev/null; done
ip link set lo up
ip link set eth0 up 2>/dev/null && udhcpc -q -n -t 10 -i eth0 -s /usr/share/udhcpc/default.script >/dev/null 2>&1
mkdir -p /etc/dropbear /root/.ssh
dropbear -R -B -p 22
exec /sbin/init
I
	chmod +x "$R/init"
	printf 'ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100\n::ctrlaltdel:/sbin/reboot\n' > "$R/etc/inittab"
	chmod 700 "$R/root"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -6) > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
	cp "$K/boot/vmlinuz-$KV" "$CACHE/fast-$KV/vmlinuz"
	rm -rf "$R"
	echo "$SUM" > "$CACHE/fast-$KV/.stamp"
}

# --- real image: debootstrap'd Debian root (NFS) + initramfs-tools initrd + apt repository ---
# the Debian mirror this machine's apt already uses
MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '/^deb /{print $2; exit}' || true)
if [ -z "$MIRROR" ]; then MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{print $2; exit}' || true); fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PKGS="systemd-sysv,udev,openssh-server,iproute2,net-tools,ifupdown,kmod,procps,initramfs-tools,isc-dhcp-client,git,ca-certificates"
build_real() {
	local D=$CACHE/real-$KV
	if stamped "$D/.stamp"; then return; fi
	mkdir -p "$D"
	local R=$D/rootfs
	if [ ! -f "$D/.debootstrap" ]; then
		log "real image: debootstrap bookworm from $MIRROR (about a minute)"
		rm -rf "$R"
		debootstrap --variant=minbase --include="$PKGS" bookworm "$R" "$MIRROR" > "$D/debootstrap.log" 2>&1 || { tail -20 "$D/debootstrap.log" >&2; exit 1; }
		touch "$D/.debootstrap"
	fi
	log "real image: kernel modules, initrd, configuration"
	rm -rf "$R/lib/modules/$KV"; mkdir -p "$R/lib/modules"; cp -a "$MODDIR" "$R/lib/modules/"
	cp "$K/boot/vmlinuz-$KV" "$R/boot/"; cp "$K"/boot/config-"$KV" "$K"/boot/System.map-"$KV" "$R/boot/" 2>/dev/null || true
	chroot "$R" depmod "$KV"
	echo "virtio_net" > "$R/etc/initramfs-tools/modules"; echo "virtio_pci" >> "$R/etc/initramfs-tools/modules"
	sed -i 's/^COMPRESS=.*/COMPRESS=gzip/' "$R/etc/initramfs-tools/initramfs.conf"
	chroot "$R" mkinitramfs -o "/boot/initrd.img-$KV" "$KV" 2>/dev/null
	chroot "$R" passwd -d root >/dev/null
	echo stretch > "$R/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 stretch\n' > "$R/etc/hosts"
	printf 'auto lo\niface lo inet loopback\niface eth0 inet manual\n' > "$R/etc/network/interfaces"
	mkdir -p "$R/root/.ssh"; chmod 700 "$R/root/.ssh"; : > "$R/root/.ssh/authorized_keys"
	grep -q linaro-developer "$R/root/.bashrc" 2>/dev/null || cat >> "$R/root/.bashrc" <<'B'
# lavacore lab: ssh logins show the secondary-connection prompt of LAVA's examples
if [ -n "$SSH_CONNECTION" ]; then PS1='\u@linaro-developer:\w\$ '; fi
B
	[ -f "$R/root/.profile" ] || printf '[ -f ~/.bashrc ] && . ~/.bashrc\n' > "$R/root/.profile"
	# a local apt repository with the founding job's packages, served by the lab
	log "real image: apt repository"
	local A=$D/apt; rm -rf "$A"; mkdir -p "$A"
	cp "$R"/var/cache/apt/archives/*.deb "$A/" 2>/dev/null || true
	(cd "$A" && dpkg-scanpackages -m . 2>/dev/null | gzip -9 > Packages.gz)
	echo "deb [trusted=yes] http://10.77.0.254:8080/apt ./" > "$R/etc/apt/sources.list"
	rm -f "$R"/var/cache/apt/archives/*.deb
	log "real image: rootfs.tar.gz"
	tar --numeric-owner -C "$R" -czf "$D/rootfs.tar.gz.tmp" . && mv "$D/rootfs.tar.gz.tmp" "$D/rootfs.tar.gz"
	cp "$R/boot/vmlinuz-$KV" "$D/vmlinuz"; cp "$R/boot/initrd.img-$KV" "$D/initrd.img"
	echo "$SUM" > "$D/.stamp"
}

case "$WHAT" in
fast) build_fast ;;
real) build_real ;;
all) build_fast; build_real ;;
esac

# publish the artefacts where the lab's HTTP server serves them
mkdir -p "$HTTP/fast" "$HTTP/real"
ln -sfn "$CACHE/modules-$KV.tar.gz" "$HTTP/modules.tar.gz"
if [ -f "$CACHE/fast-$KV/.stamp" ]; then
	ln -sfn "$CACHE/fast-$KV/vmlinuz" "$HTTP/fast/vmlinuz"; ln -sfn "$CACHE/fast-$KV/ramdisk.cpio.gz" "$HTTP/fast/ramdisk.cpio.gz"
fi
if [ -f "$CACHE/real-$KV/.stamp" ]; then
	for f in vmlinuz initrd.img rootfs.tar.gz; do ln -sfn "$CACHE/real-$KV/$f" "$HTTP/real/$f"; done
	ln -sfn "$CACHE/real-$KV/apt" "$HTTP/apt"
fi
echo "$KV" > "$CACHE/kernel-version"
log "done ($KV)"
