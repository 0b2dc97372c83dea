#!/usr/bin/env bash
# lavacore virtual lab: build the board images from Debian packages, cached.
# Usage: build.sh CACHE_DIR HTTP_DIR [fast|real|all|arm64] [LAB_ADDR]
#
# Every step writes a stamp keyed by its inputs (the step's own recipe text,
# the kernel version, the package list, the mirror); a step whose stamp
# matches is skipped, so a second run only re-publishes the artefacts.
#
#   CACHE/kernel/KV/              the cloud kernel .deb unpacked (not installed), depmod'ed
#   CACHE/modules-KV.tar.gz       a job's `modules:` (network + NFS drivers and the module indexes)
#   CACHE/fast-KV/                vmlinuz, ramdisk.cpio.gz (busybox + dropbear)
#   CACHE/real-KV/debootstrap/    the debootstrap'd root (pristine) and its .deb cache
#   CACHE/real-KV/                vmlinuz, initrd.img (initramfs-tools), rootfs.tar.gz, apt/ (local repository)
#   CACHE/apt-arm64/              a private apt state for arm64 (lists, cache): nothing foreign is installed
#   CACHE/kernel-arm64/AKV/       Debian's arm64 kernel .deb unpacked, depmod'ed (AKV: KV's ABI, flavour arm64)
#   CACHE/arm64-AKV/              Image, ramdisk.cpio.gz (+ .uboot: with a U-Boot header), rootfs.tar.gz
#                                 (busybox NFS root), modules.tar.gz
set -euo pipefail
CACHE=$1; HTTP=$2; WHAT=${3:-all}; ADDR=${4:-10.77.0.254:8080}
mkdir -p "$CACHE" "$HTTP"
log() { printf '%s lab-build: %s\n' "$(date +%T)" "$*" >&2; }
die() { echo "lab-build: $*" >&2; exit 3; }
need() { for t in "$@"; do command -v "$t" >/dev/null || die "'$t' is missing: run 'make deps' (it installs scripts/deps.d/lab.apt)"; done; }
need apt-get apt-cache dpkg-deb depmod modprobe cpio gzip busybox
case "${3:-all}" in arm64) need mkimage ;; *) need dropbear debootstrap dpkg-scanpackages chroot ;; esac
# key STRING...: a short hash of a step's inputs
key() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }
stamped() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# --- kernel: Debian's cloud kernel, unpacked (installing it would run the host's boot hooks) ---
resolve_kv() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' | sed 's/^linux-image-//'; }
KV=$(resolve_kv)
if [ -z "$KV" ]; then apt-get update -q >/dev/null 2>&1 || true; KV=$(resolve_kv); fi
[ -n "$KV" ] || die "cannot resolve linux-image-cloud-amd64 with apt-cache: run 'apt-get update' (make deps does)"
K=$CACHE/kernel/$KV
if ! stamped "$K/.stamp" "$KV"; then
	log "kernel $KV: apt-get download + dpkg-deb -x"
	rm -rf "$K"; mkdir -p "$K" "$CACHE/debs"
	(cd "$CACHE/debs" && rm -f linux-image-*.deb && apt-get download -q -o APT::Sandbox::User=root "linux-image-$KV" >/dev/null) || die "apt-get download linux-image-$KV failed"
	dpkg-deb -x "$CACHE"/debs/linux-image-"$KV"_*.deb "$K"
	if [ -d "$K/usr/lib/modules" ] && [ ! -d "$K/lib/modules" ]; then mkdir -p "$K/lib"; cp -a "$K/usr/lib/modules" "$K/lib/"; fi
	depmod -b "$K" "$KV"
	echo "$KV" > "$K/.stamp"
fi
MODDIR=$K/lib/modules/$KV

# modules_closure MOD...: the .ko files MOD needs, in load order
modules_closure() { for m in "$@"; do modprobe -d "$K" -S "$KV" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'; done | awk '!seen[$0]++'; }

build_modules() {
	local out=$CACHE/modules-$KV.tar.gz k; k=$(key "$KV" "$(declare -f build_modules modules_closure)")
	stamped "$out.stamp" "$k" && return 0
	log "modules tarball"
	local T; T=$(mktemp -d); mkdir -p "$T/lib/modules/$KV"
	cp "$MODDIR"/modules.* "$T/lib/modules/$KV/"
	for f in $(modules_closure virtio_net virtio_pci nfsv3 nfsv4); do
		local rel=${f#"$K"/}; mkdir -p "$T/$(dirname "$rel")"; cp "$f" "$T/$rel"
	done
	# files only, no directory entries: extracting it must not replace a
	# merged-/usr root's lib -> usr/lib symlink with a directory
	(cd "$T" && find lib -type f | LC_ALL=C sort | tar --numeric-owner --owner=0 --group=0 --no-recursion -T - -czf "$out.tmp") && mv "$out.tmp" "$out"
	rm -rf "$T"
	echo "$k" > "$out.stamp"
}

# --- fast image: busybox + dropbear initramfs, root with an empty password ---
build_fast() {
	local D=$CACHE/fast-$KV k; k=$(key "$KV" "$(declare -f build_fast modules_closure)")
	stamped "$D/.stamp" "$k" && return 0
	log "fast image: busybox + dropbear ramdisk"
	local R; R=$(mktemp -d); rm -rf "$D"; mkdir -p "$D"
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/lib,etc/dropbear,proc,sys,dev,run,tmp,root/.ssh,var/log}
	cp /bin/busybox "$R/bin/busybox"
	local a b l f
	for a in $(busybox --list-full); do mkdir -p "$R/$(dirname "$a")"; [ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a"; done
	# dropbear for ssh guests; OpenSSH's scp and sftp-server (dropbear looks for /usr/lib/sftp-server)
	for b in /usr/sbin/dropbear /usr/bin/scp /usr/lib/openssh/sftp-server; do
		[ -x "$b" ] || die "$b is missing: run 'make deps' (dropbear-bin, openssh-client, openssh-sftp-server)"
		mkdir -p "$R$(dirname "$b")"; cp "$b" "$R$b"
		for l in $(ldd "$b" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; done
	done
	ln -sf openssh/sftp-server "$R/usr/lib/sftp-server"
	: > "$R/etc/modules.order"
	for f in $(modules_closure virtio_pci virtio_net virtio_blk); do
		local rel=${f#"$K"}; mkdir -p "$R$(dirname "$rel")"; cp "$f" "$R$rel"; echo "$rel" >> "$R/etc/modules.order"
	done
	printf 'root::0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/bin/false\n' > "$R/etc/passwd"
	echo 'root:x:0:' > "$R/etc/group"
	echo 'root::19000:0:99999:7:::' > "$R/etc/shadow"
	echo stretch > "$R/etc/hostname"
	echo /bin/sh > "$R/etc/shells"
	printf '127.0.0.1 localhost\n127.0.1.1 stretch\n' > "$R/etc/hosts"
	# the founding job's prompts: root@stretch: on the console, root@linaro-developer: over ssh
	cat > "$R/etc/profile" <<'P'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
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
dropbear -R -B -p 22
exec /sbin/init
I
	chmod +x "$R/init"
	printf 'ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100\n::ctrlaltdel:/sbin/reboot\n' > "$R/etc/inittab"
	chmod 700 "$R/root" "$R/root/.ssh"; : > "$R/root/.ssh/authorized_keys"
	(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6 -n) > "$D/ramdisk.cpio.gz"
	cp "$K/boot/vmlinuz-$KV" "$D/vmlinuz"
	rm -rf "$R"
	echo "$k" > "$D/.stamp"
}

# --- real image: debootstrap'd Debian root (NFS) + initramfs-tools initrd + apt repository ---
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '/^deb /{print $2; exit}' || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PKGS="systemd-sysv,udev,openssh-server,openssh-sftp-server,iproute2,net-tools,ifupdown,kmod,procps,initramfs-tools,less"

debootstrap_root() {
	local B=$CACHE/real-$KV/debootstrap k; k=$(key "$SUITE" "$MIRROR" "$PKGS")
	stamped "$B/.stamp" "$k" && return 0
	log "real image: debootstrap $SUITE from $MIRROR (about a minute)"
	rm -rf "$B"; mkdir -p "$B/debs"
	debootstrap --variant=minbase --include="$PKGS" --cache-dir="$B/debs" "$SUITE" "$B/root" "$MIRROR" > "$B/debootstrap.log" 2>&1 ||
		{ tail -20 "$B/debootstrap.log" >&2; die "debootstrap failed (log: $B/debootstrap.log)"; }
	echo "$k" > "$B/.stamp"
}

build_real() {
	debootstrap_root
	local D=$CACHE/real-$KV B=$CACHE/real-$KV/debootstrap k
	k=$(key "$KV" "$(cat "$B/.stamp")" "$ADDR" "$(declare -f build_real apt_repo)")
	stamped "$D/.stamp" "$k" && return 0
	log "real image: kernel modules, initramfs-tools initrd, configuration"
	local R=$D/rootfs
	rm -rf "$R"; cp -a "$B/root" "$R"
	mkdir -p "$R/lib/modules"; cp -a "$MODDIR" "$R/lib/modules/"
	cp "$K/boot/vmlinuz-$KV" "$R/boot/"; cp "$K"/boot/config-"$KV" "$K"/boot/System.map-"$KV" "$R/boot/" 2>/dev/null || true
	chroot "$R" depmod "$KV"
	printf 'virtio_pci\nvirtio_net\n' > "$R/etc/initramfs-tools/modules"
	sed -i 's/^COMPRESS=.*/COMPRESS=gzip/' "$R/etc/initramfs-tools/initramfs.conf"
	chroot "$R" mkinitramfs -o "/boot/initrd.img-$KV" "$KV" 2>/dev/null
	chroot "$R" passwd -d root >/dev/null
	echo stretch > "$R/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 stretch\n' > "$R/etc/hosts"
	# the initramfs configured eth0 for the NFS root: ifupdown must leave it alone
	printf 'auto lo\niface lo inet loopback\niface eth0 inet manual\n' > "$R/etc/network/interfaces"
	mkdir -p "$R/root/.ssh"; chmod 700 "$R/root/.ssh"; : > "$R/root/.ssh/authorized_keys"
	# console: bash's /etc/bash.bashrc prompt \u@\h: = root@stretch:; ssh logins get the guests' prompt
	cat >> "$R/root/.bashrc" <<'B'
# lavacore lab: ssh logins show the secondary-connection prompt of LAVA's examples
if [ -n "$SSH_CONNECTION" ]; then PS1='\u@linaro-developer:\w\$ '; fi
B
	# no apt timers: the lab has no outside world
	rm -f "$R"/etc/systemd/system/timers.target.wants/apt-daily*.timer
	# a quicker boot under TCG over NFS: no ext4 scrubbing (30 s), no gettys on
	# virtual consoles (the login is on ttyS0), the journal in memory
	local u
	# networking.service (ifupdown, 7 s) has nothing to do: the initramfs
	# configured eth0 and systemd brings up lo itself
	for u in e2scrub_reap.service e2scrub_all.timer getty-static.service networking.service; do ln -sfn /dev/null "$R/etc/systemd/system/$u"; done
	mkdir -p "$R/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\n' > "$R/etc/systemd/journald.conf.d/lavacore-lab.conf"
	# the login on the serial console does not depend on the kernel command
	# line's console= reaching systemd's getty generator
	mkdir -p "$R/etc/systemd/system/getty.target.wants"
	ln -sfn /lib/systemd/system/serial-getty@.service "$R/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
	# smaller to download and extract per job: no manuals, translations, docs (copyrights stay)
	rm -rf "$R"/usr/share/man/* "$R"/usr/share/locale/* "$R"/usr/share/info/*
	find "$R/usr/share/doc" -type f ! -name copyright -delete
	apt_repo "$D" "$B/debs" "$R"
	log "real image: rootfs.tar.gz"
	tar --numeric-owner -C "$R" -czf "$D/rootfs.tar.gz.tmp" . && mv "$D/rootfs.tar.gz.tmp" "$D/rootfs.tar.gz"
	cp "$R/boot/vmlinuz-$KV" "$D/vmlinuz"; cp "$R/boot/initrd.img-$KV" "$D/initrd.img"
	rm -rf "$R"
	echo "$k" > "$D/.stamp"
}

# apt_repo OUT DEBS ROOT: a flat repository of every .deb of the root (so
# `apt-get install openssh-server net-tools iproute2` works without internet),
# served by the lab's HTTP server, and the root's sources.list pointing at it.
apt_repo() {
	local A=$1/apt f
	log "real image: apt repository ($(ls "$2"/*.deb | wc -l) packages)"
	rm -rf "$A"; mkdir -p "$A"
	cp -l "$2"/*.deb "$A/" 2>/dev/null || cp "$2"/*.deb "$A/"
	(cd "$A" && dpkg-scanpackages -m . /dev/null 2>/dev/null > Packages && gzip -9 -n -k Packages)
	{
		echo "Origin: lavacore-lab"; echo "Label: lavacore-lab"; echo "Suite: $SUITE"; echo "Codename: $SUITE"
		echo "Date: $(date -u -R)"; echo "Architectures: amd64 all"; echo "Description: lavacore virtual lab packages"
		echo "SHA256:"
		for f in Packages Packages.gz; do printf ' %s %s %s\n' "$(sha256sum < "$A/$f" | cut -d' ' -f1)" "$(stat -c %s "$A/$f")" "$f"; done
	} > "$A/Release"
	echo "deb [trusted=yes] http://$ADDR/apt ./" > "$3/etc/apt/sources.list"
	rm -f "$3"/etc/apt/sources.list.d/*
	rm -f "$3"/var/cache/apt/archives/*.deb
}


# --- arm64 (the U-Boot boards): Debian's arm64 kernel and busybox-static, extracted, never installed ---
# A private apt state (lists, cache, an empty dpkg status) whose only
# architecture is arm64 reads the host's own sources: no dpkg --add-architecture.
AKV=${KV%-cloud-amd64}-arm64
FA=$CACHE/apt-arm64
fapt() {
	mkdir -p "$FA/lists/partial" "$FA/cache/archives/partial"; [ -f "$FA/status" ] || : > "$FA/status"
	apt-get -q -o Dir::State::Lists="$FA/lists" -o Dir::State::status="$FA/status" -o Dir::Cache="$FA/cache" \
		-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o APT::Sandbox::User=root "$@"
}
AK=$CACHE/kernel-arm64/$AKV
arm64_debs() {
	local k; k=$(key "$AKV" "$(declare -f arm64_debs)")
	stamped "$AK/.stamp" "$k" && return 0
	log "arm64: kernel $AKV and busybox-static:arm64: apt-get download (private arm64 apt state) + dpkg-deb -x"
	if ! fapt show "linux-image-$AKV" >/dev/null 2>&1; then
		fapt update >/dev/null || die "apt-get update for arm64 (state in $FA) failed"
	fi
	rm -rf "$AK" "$CACHE/debs-arm64"; mkdir -p "$AK" "$CACHE/debs-arm64"
	(cd "$CACHE/debs-arm64" && fapt download "linux-image-$AKV" busybox-static >/dev/null) ||
		die "apt-get download linux-image-$AKV busybox-static (arm64) failed"
	dpkg-deb -x "$CACHE"/debs-arm64/linux-image-"$AKV"_*.deb "$AK"
	dpkg-deb -x "$CACHE"/debs-arm64/busybox-static_*.deb "$AK/busybox"
	if [ -d "$AK/usr/lib/modules" ] && [ ! -d "$AK/lib/modules" ]; then mkdir -p "$AK/lib"; cp -a "$AK/usr/lib/modules" "$AK/lib/"; fi
	depmod -b "$AK" "$AKV"
	rm -rf "$CACHE/debs-arm64"
	echo "$k" > "$AK/.stamp"
}
arm64_modules_closure() { for m in "$@"; do modprobe -d "$AK" -S "$AKV" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'; done | awk '!seen[$0]++'; }

# arm64_tree ROOT HOSTNAME: a busybox root (links for every applet, root
# without a password, getty on the PL011 console ttyAMA0).
arm64_tree() {
	local R=$1 a
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,newroot,var/log,usr/share/udhcpc}
	cp "$AK/busybox/bin/busybox" "$R/bin/busybox"
	# the host's busybox-static is the same Debian build: its applet list is the board's
	for a in $(busybox --list-full); do mkdir -p "$R/$(dirname "$a")"; [ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a"; done
	printf 'root::0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
	echo 'root:x:0:' > "$R/etc/group"
	echo 'root::19000:0:99999:7:::' > "$R/etc/shadow"
	echo "$2" > "$R/etc/hostname"
	echo /bin/sh > "$R/etc/shells"
	printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$2" > "$R/etc/hosts"
	printf 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\nPS1='"'"'root@%s:\\w# '"'"'\nexport PS1\ncd /root 2>/dev/null\n' "$2" > "$R/etc/profile"
	printf 'ttyAMA0::respawn:/sbin/getty -L 115200 ttyAMA0 vt100\n::ctrlaltdel:/sbin/reboot\n' > "$R/etc/inittab"
	cat > "$R/usr/share/udhcpc/default.script" <<'S'
#!/bin/sh
case "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface";; esac
S
	chmod +x "$R/usr/share/udhcpc/default.script"
	chmod 700 "$R/root"
}

build_arm64() {
	arm64_debs
	local D=$CACHE/arm64-$AKV k; k=$(key "$AKV" "$(cat "$AK/.stamp")" "$(declare -f build_arm64 arm64_tree arm64_modules_closure)")
	stamped "$D/.stamp" "$k" && return 0
	log "arm64: busybox ramdisk (+ U-Boot header), busybox NFS root, modules"
	local R f rel T; R=$(mktemp -d); rm -rf "$D"; mkdir -p "$D"
	arm64_tree "$R" stretch
	# the NIC (virtio-mmio, virtio-pci, e1000) and NFS: Debian's kernel has them as modules
	: > "$R/etc/modules.order"
	for f in $(arm64_modules_closure virtio_mmio virtio_pci virtio_net nfsv4); do
		rel=${f#"$AK"}; mkdir -p "$R$(dirname "$rel")"; cp "$f" "$R$rel"; echo "$rel" >> "$R/etc/modules.order"
	done
	# /init: the network by DHCP (the kernel has no IP_PNP), then either
	# the ramdisk's own init, or (root=/dev/nfs nfsroot=SERVER:PATH[,opts]) the
	# NFS root (the kernel has no ROOT_NFS) mounted over NFSv4.1 and switched to.
	cat > "$R/init" <<'I'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run
hostname -F /etc/hostname
for m in $(cat /etc/modules.order); do insmod $m 2>/dev/null; done
ip link set lo up
ip link set eth0 up 2>/dev/null && udhcpc -q -n -t 10 -i eth0 -s /usr/share/udhcpc/default.script >/dev/null 2>&1
nfs=
for a in $(cat /proc/cmdline); do case "$a" in nfsroot=*) nfs=${a#nfsroot=};; esac; done
if [ -n "$nfs" ]; then
	path=${nfs%%,*}; srv=${path%%:*}
	echo "init: NFS root $path"
	if mount -t nfs4 -o addr=$srv,vers=4.1,proto=tcp,hard "$path" /newroot; then
		for d in dev proc sys run; do mkdir -p /newroot/$d; mount --move /$d /newroot/$d; done
		exec switch_root /newroot /sbin/init
	fi
	echo "init: cannot mount the NFS root $path: staying in the ramdisk"
fi
exec /sbin/init
I
	chmod +x "$R/init"
	(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6 -n) > "$D/ramdisk.cpio.gz"
	mkimage -A arm64 -O linux -T ramdisk -C none -n lavacore-lab-arm64 -d "$D/ramdisk.cpio.gz" "$D/ramdisk.cpio.gz.uboot" >/dev/null
	cp "$AK/boot/vmlinuz-$AKV" "$D/Image"
	# a kernel that never boots (lab/testdata/uboot-kernel-never-boots.yaml):
	# Image's 64-byte header with its first instruction replaced by `b .`
	# (0x14000000, little-endian): booti accepts the header, prints
	# "Starting kernel ..." and the CPU spins there, the console silent
	{ printf '\000\000\000\024'; head -c 64 "$D/Image" | tail -c 60; } > "$D/never-boots.Image"
	rm -rf "$R"
	# the NFS root: the same busybox tree with its own init (no /init: switch_root runs /sbin/init)
	R=$(mktemp -d); arm64_tree "$R" stretch
	tar --numeric-owner --owner=0 --group=0 -C "$R" -czf "$D/rootfs.tar.gz" .
	rm -rf "$R"
	# a job's `modules:` for this kernel (files only, as the x86 one)
	T=$(mktemp -d); mkdir -p "$T/lib/modules/$AKV"; cp "$AK/lib/modules/$AKV"/modules.* "$T/lib/modules/$AKV/"
	for f in $(arm64_modules_closure virtio_mmio virtio_pci virtio_net nfsv3 nfsv4); do
		rel=${f#"$AK"/}; mkdir -p "$T/$(dirname "$rel")"; cp "$f" "$T/$rel"
	done
	(cd "$T" && find lib -type f | LC_ALL=C sort | tar --numeric-owner --owner=0 --group=0 --no-recursion -T - -czf "$D/modules.tar.gz")
	rm -rf "$T"
	echo "$k" > "$D/.stamp"
}

case "$WHAT" in
arm64) build_arm64 ;;
fast) build_modules; build_fast ;;
real) build_modules; build_real ;;
all) build_modules; build_fast; build_real ;;
*) die "image: fast, real, all or arm64 (not '$WHAT')" ;;
esac

# publish the artefacts where the lab's HTTP server serves them (and file:// URLs reach them)
mkdir -p "$HTTP/fast" "$HTTP/real"
[ -f "$CACHE/modules-$KV.tar.gz" ] && ln -sfn "$CACHE/modules-$KV.tar.gz" "$HTTP/modules.tar.gz"
if [ -f "$CACHE/arm64-$AKV/.stamp" ]; then
	mkdir -p "$HTTP/arm64"
	for f in Image never-boots.Image ramdisk.cpio.gz ramdisk.cpio.gz.uboot rootfs.tar.gz modules.tar.gz; do ln -sfn "$CACHE/arm64-$AKV/$f" "$HTTP/arm64/$f"; done
fi
if [ -f "$CACHE/fast-$KV/.stamp" ]; then
	for f in vmlinuz ramdisk.cpio.gz; do ln -sfn "$CACHE/fast-$KV/$f" "$HTTP/fast/$f"; done
fi
if [ -f "$CACHE/real-$KV/.stamp" ]; then
	for f in vmlinuz initrd.img rootfs.tar.gz; do ln -sfn "$CACHE/real-$KV/$f" "$HTTP/real/$f"; done
	ln -sfn "$CACHE/real-$KV/apt" "$HTTP/apt"
fi
echo "$KV" > "$CACHE/kernel-version"
log "done (kernel $KV)"
