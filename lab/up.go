package lab

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// service is one long-running process of the lab; want is a substring of its
// command line (a reused pid is not ours).
type service struct {
	name, want, what string
}

var services = []service{
	{"dnsmasq", "dnsmasq", "DHCP + TFTP"},
	{"rpcbind", "rpcbind", "RPC portmapper for NFS"},
	{"ganesha", "ganesha.nfsd", "NFS server"},
	{"http", "lab serve", "HTTP server"},
}

func (l *Lab) pidfile(name string) string { return l.path("run", name+".pid") }

// alivePid is the pid recorded for name if that process still runs.
func (l *Lab) alivePid(name, want string) int {
	pid := readPid(l.pidfile(name))
	if procAlive(pid, want) {
		return pid
	}
	return 0
}

// relayName, qemuName and tapName keep the x86 boards' historic names
// (relay-01, qemu-01, lvctap01); ARM boards get relay-arm-01, qemu-arm-01, lvcarm01.
func relayName(n int) string {
	if a, ok := armIndex(n); ok {
		return fmt.Sprintf("relay-arm-%02d", a)
	}
	return fmt.Sprintf("relay-%02d", n)
}

func qemuName(n int) string {
	if a, ok := armIndex(n); ok {
		return fmt.Sprintf("qemu-arm-%02d", a)
	}
	return fmt.Sprintf("qemu-%02d", n)
}

func tapName(n int) string {
	if a, ok := armIndex(n); ok {
		return fmt.Sprintf("lvcarm%02d", a)
	}
	return fmt.Sprintf("lvctap%02d", n)
}

// UpOptions say what `lab up` starts.
type UpOptions struct {
	Boards    int    // number of x86 boards; a running lab keeps the boards it has
	ArmBoards int    // number of ARM boards with U-Boot (arm-01 ...): their images are built too
	Image     string // x86 images to build: fast, real or all (arm64: none, only the ARM ones)
	// NFSOnDisk keeps the NFS export (nfs/) on the lab directory's file
	// system; by default a tmpfs is mounted on it (mountNFS).
	NFSOnDisk bool
}

// Up builds what is missing and starts the lab with its boards (powered off:
// the dispatcher powers them on). Up on a running lab only adds boards.
func (l *Lab) Up(ctx context.Context, o UpOptions) error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	if o.Boards < 0 || o.Boards > MaxBoards {
		return fmt.Errorf("--boards %d: between 0 and %d", o.Boards, MaxBoards)
	}
	if o.ArmBoards < 0 || o.ArmBoards > MaxArmBoards {
		return fmt.Errorf("--arm-boards %d: between 0 and %d", o.ArmBoards, MaxArmBoards)
	}
	if o.Boards+o.ArmBoards < 1 {
		return fmt.Errorf("--boards %d --arm-boards %d: the lab needs at least one board", o.Boards, o.ArmBoards)
	}
	arm := max(o.ArmBoards, l.armBoardCount())
	if err := checkTools(arm > 0); err != nil {
		return err
	}
	for _, d := range []string{"run", "tftp", "nfs", "http", "devices", "keys", "bin"} {
		if err := os.MkdirAll(l.path(d), 0o755); err != nil {
			return err
		}
	}
	st := l.state(ctx)
	running := st.up()
	if !running {
		if p := st.problems(); len(p) > 0 {
			return fmt.Errorf("a stale lab from an earlier run is in the way:\n  - %s\nrun 'lavacore lab down' to clean it up, then 'lavacore lab up' again", strings.Join(p, "\n  - "))
		}
		if err := subnetFree(); err != nil {
			return err
		}
	}
	n := max(o.Boards, l.boardCount())
	boards := l.boardList(n, arm)
	for _, i := range boards {
		if l.alivePid(relayName(i), "lab relay") == 0 {
			if err := portFree(ConsolePort(i)); err != nil {
				return fmt.Errorf("%s's console: %w", BoardName(i), err)
			}
		}
	}
	if err := l.installBinary(); err != nil {
		return err
	}
	if err := l.Build(ctx, o.Image); err != nil {
		return err
	}
	if arm > 0 {
		if o.Image != "arm64" {
			if err := l.Build(ctx, "arm64"); err != nil {
				return err
			}
		}
		if err := l.armDTB(ctx); err != nil {
			return err
		}
	}
	if err := l.gitRepos(ctx); err != nil {
		return err
	}
	if err := l.keys(ctx); err != nil {
		return err
	}
	if err := l.grubNetdir(ctx); err != nil {
		return err
	}
	if !running {
		l.logf("network namespace %s: bridge %s %s, veth %s %s", Netns, Bridge, ServerIP, VethRoot, DispatcherAddr)
		err := l.mountNFS(o.NFSOnDisk)
		if err == nil {
			err = l.network(ctx)
		}
		if err == nil {
			err = l.startServices(ctx)
		}
		if err != nil {
			if derr := l.Down(context.WithoutCancel(ctx)); derr != nil {
				return fmt.Errorf("%w\n(cleaning up failed too: %v)", err, derr)
			}
			return fmt.Errorf("%w\n(what had been started is stopped again)", err)
		}
	} else {
		l.logf("the lab is already up; making sure of %d board(s)", n)
	}
	for _, i := range boards {
		if err := l.board(ctx, i); err != nil {
			return err
		}
	}
	if err := l.writeConfig(n, arm); err != nil {
		return err
	}
	if n > 0 {
		l.logf("up: %d x86 board(s) %s..%s, consoles on 127.0.0.1:%d..%d", n, BoardName(1), BoardName(n), ConsolePort(1), ConsolePort(n))
	}
	if arm > 0 {
		l.logf("up: %d ARM board(s) %s..%s, consoles on 127.0.0.1:%d..%d", arm, BoardName(ArmBoard(1)), BoardName(ArmBoard(arm)), ConsolePort(ArmBoard(1)), ConsolePort(ArmBoard(arm)))
	}
	l.logf("up: services on %s (tftp, nfs, http :%d)", ServerIP, HTTPPort)
	return nil
}

// installBinary copies the running lavacore into the lab (see bin).
func (l *Lab) installBinary() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if self == l.bin() {
		return nil
	}
	if a, err := os.Stat(self); err == nil {
		if b, err := os.Stat(l.bin()); err == nil && a.Size() == b.Size() && !a.ModTime().After(b.ModTime()) {
			return nil
		}
	}
	return copyFile(self, l.bin(), 0o755)
}

// Build builds the board images ("fast", "real" or "all" for the x86 boards,
// "arm64" for the ARM ones), cached, and publishes them under the lab's
// http/ directory.
func (l *Lab) Build(ctx context.Context, image string) error {
	switch image {
	case "fast", "real", "all", "arm64":
	default:
		return fmt.Errorf("--image %q: fast, real, all or arm64", image)
	}
	b, err := files.ReadFile("scripts/build.sh")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return err
	}
	script := l.path("build.sh")
	if err := os.WriteFile(script, b, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", script, l.Cache, l.path("http"), image, fmt.Sprintf("%s:%d", ServerIP, HTTPPort))
	cmd.Stdout, cmd.Stderr = l.Log, l.Log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the board images (%s): %w", script, err)
	}
	return nil
}

func (l *Lab) keys(ctx context.Context) error {
	k := l.path("keys", "id_ed25519")
	if _, err := os.Stat(k); err == nil {
		return nil
	}
	_, err := run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lavacore-lab", "-f", k)
	return err
}

// grubNetdir makes the TFTP root's GRUB (grub/x86_64-efi/core.efi, what
// DHCP names as the boot file) and a menu that waits to be interrupted.
func (l *Lab) grubNetdir(ctx context.Context) error {
	tftp := l.path("tftp")
	if _, err := os.Stat(filepath.Join(tftp, "grub", "x86_64-efi", "core.efi")); err != nil {
		if _, err := run(ctx, "grub-mknetdir", "--net-directory="+tftp, "--subdir=grub", "-d", "/usr/lib/grub/x86_64-efi"); err != nil {
			return err
		}
	}
	cfg := "# written by lavacore lab up: a board with no OS of its own waits here;\n" +
		"# the dispatcher interrupts the menu and types its boot commands.\n" +
		"set timeout=10\n" +
		"menuentry 'Local disk (lavacore lab: no OS installed)' { echo 'no OS installed'; sleep 5; }\n"
	return os.WriteFile(filepath.Join(tftp, "grub", "grub.cfg"), []byte(cfg), 0o644)
}

// labState is what of the lab exists or runs.
type labState struct {
	netns, veth bool
	alive       map[string]int // name -> pid of the lab's live processes (services, relays, boards)
	dead        []string       // processes with a pid file that are gone
	nsPids      []int          // every process in the namespace
}

func (l *Lab) state(ctx context.Context) labState {
	st := labState{alive: map[string]int{}}
	st.netns = netnsExists()
	st.veth = linkExists(VethRoot)
	for _, s := range services {
		if pid := l.alivePid(s.name, s.want); pid != 0 {
			st.alive[s.name] = pid
		} else if _, err := os.Stat(l.pidfile(s.name)); err == nil {
			st.dead = append(st.dead, s.name)
		}
	}
	for _, i := range allBoards() {
		for _, p := range []struct{ name, want string }{{relayName(i), "lab relay"}, {qemuName(i), "qemu-system"}} {
			if pid := l.alivePid(p.name, p.want); pid != 0 {
				st.alive[p.name] = pid
			}
		}
	}
	if st.netns {
		out, _ := run(ctx, "ip", "netns", "pids", Netns)
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil {
				st.nsPids = append(st.nsPids, pid)
			}
		}
	}
	return st
}

// up: the namespace and every service run.
func (st labState) up() bool {
	if !st.netns || !st.veth {
		return false
	}
	for _, s := range services {
		if st.alive[s.name] == 0 {
			return false
		}
	}
	return true
}

// problems names what is left of a lab that is not (fully) up.
func (st labState) problems() []string {
	var p []string
	if st.netns {
		p = append(p, fmt.Sprintf("the network namespace %s exists", Netns))
	}
	if st.veth {
		p = append(p, fmt.Sprintf("the interface %s exists", VethRoot))
	}
	names := make([]string, 0, len(st.alive))
	for n := range st.alive {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[int]bool{}
	for _, n := range names {
		pid := st.alive[n]
		seen[pid] = true
		p = append(p, fmt.Sprintf("%s still runs (pid %d: %s)", n, pid, short(cmdline(pid))))
	}
	for _, n := range st.dead {
		p = append(p, fmt.Sprintf("%s is gone (its pid file is stale)", n))
	}
	for _, pid := range st.nsPids {
		if !seen[pid] {
			p = append(p, fmt.Sprintf("pid %d runs in %s: %s", pid, Netns, short(cmdline(pid))))
		}
	}
	return p
}

func short(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

func netnsExists() bool {
	_, err := os.Stat(filepath.Join("/run/netns", Netns))
	return err == nil
}

func linkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// network makes the namespace, the bridge with the services' address and the
// veth pair that puts the root namespace on the bridge.
func (l *Lab) network(ctx context.Context) error {
	steps := [][]string{
		{"ip", "netns", "add", Netns},
		{"ip", "-n", Netns, "link", "set", "lo", "up"},
		{"ip", "-n", Netns, "link", "add", Bridge, "type", "bridge"},
		{"ip", "-n", Netns, "addr", "add", ServerIP + "/24", "dev", Bridge},
		{"ip", "-n", Netns, "link", "set", Bridge, "up"},
		{"ip", "link", "add", VethRoot, "type", "veth", "peer", "name", VethLab, "netns", Netns},
		{"ip", "-n", Netns, "link", "set", VethLab, "master", Bridge, "up"},
		{"ip", "addr", "add", DispatcherAddr + "/24", "dev", VethRoot},
		{"ip", "link", "set", VethRoot, "up"},
		// nothing routes out of the lab (a new namespace forwards nothing; say so)
		inNetns("sysctl", "-q", "-w", "net.ipv4.ip_forward=0"),
	}
	for _, s := range steps {
		if _, err := run(ctx, s[0], s[1:]...); err != nil {
			return fmt.Errorf("lab network: %w", err)
		}
	}
	return nil
}

// startServices starts dnsmasq, rpcbind + ganesha and the HTTP server in the
// namespace and waits until they serve.
func (l *Lab) startServices(ctx context.Context) error {
	rundir := l.path("run")
	// DHCP: fixed addresses per board MAC, no router, no DNS; TFTP from tftp/.
	args := []string{"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--user=root", "--group=root",
		"--port=0", "--interface=" + Bridge, "--bind-interfaces", "--except-interface=lo",
		"--dhcp-range=10.77.0.200,10.77.0.249,255.255.255.0,1h", "--dhcp-option=option:router", "--dhcp-option=option:dns-server",
		"--dhcp-boot=grub/x86_64-efi/core.efi", "--enable-tftp", "--tftp-root=" + l.path("tftp"),
		"--dhcp-leasefile=" + filepath.Join(rundir, "leases"), "--log-facility=" + filepath.Join(rundir, "dnsmasq.log"), "--log-dhcp"}
	for _, i := range allBoards() {
		args = append(args, fmt.Sprintf("--dhcp-host=%s,%s,%s", BoardMAC(i), BoardIP(i), BoardName(i)))
	}
	if _, err := start(l.pidfile("dnsmasq"), filepath.Join(rundir, "dnsmasq.out"), inNetns(args...)...); err != nil {
		return err
	}
	// NFS: ganesha (userspace; the kernel has no nfsd) with rpcbind, both
	// with a private /run so their sockets and pid files stay out of the host's.
	conf := fmt.Sprintf(`# written by lavacore lab up
NFS_CORE_PARAM { Protocols = 3, 4; NFS_Port = 2049; MNT_Port = 20048; Enable_NLM = false; Enable_RQUOTA = false; Bind_addr = %s; }
NFSV4 { Graceless = true; }
EXPORT { Export_Id = 1; Path = %s; Pseudo = %s; Access_Type = RW; Squash = No_Root_Squash; Protocols = 3, 4; Transports = TCP, UDP; SecType = sys; FSAL { Name = VFS; } }
LOG { Default_Log_Level = EVENT; }
`, ServerIP, l.path("nfs"), l.path("nfs"))
	gconf := filepath.Join(rundir, "ganesha.conf")
	if err := os.WriteFile(gconf, []byte(conf), 0o644); err != nil {
		return err
	}
	sh := fmt.Sprintf(`set -e; mount -t tmpfs lavacore-lab-run /run; mkdir -p /run/rpcbind /run/ganesha /var/lib/nfs/ganesha
rpcbind -w -f & echo $! > %[1]s/rpcbind.pid
for i in $(seq 100); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done
exec ganesha.nfsd -F -f %[1]s/ganesha.conf -L %[1]s/ganesha.log -p /run/ganesha/ganesha.pid`, rundir)
	if _, err := start(l.pidfile("ganesha"), filepath.Join(rundir, "ganesha.out"),
		inNetns("unshare", "-m", "--propagation", "private", "sh", "-c", sh)...); err != nil {
		return err
	}
	if _, err := start(l.pidfile("http"), filepath.Join(rundir, "http.log"),
		inNetns(l.bin(), "lab", "serve", "--listen", fmt.Sprintf("%s:%d", ServerIP, HTTPPort), "--root", l.path("http"))...); err != nil {
		return err
	}
	waits := []struct {
		name, addr, log string
	}{
		{"http", fmt.Sprintf("%s:%d", ServerIP, HTTPPort), "http.log"},
		{"ganesha", ServerIP + ":2049", "ganesha.log"},
	}
	for _, w := range waits {
		if err := waitListen(ctx, w.addr, 30*time.Second, func() bool { return l.alivePid(w.name, "") != 0 }); err != nil {
			return fmt.Errorf("%s did not serve on %s: %v\nlast lines of %s:\n%s", w.name, w.addr, err, l.path("run", w.log), tailFile(l.path("run", w.log), 10))
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, s := range services {
		if l.alivePid(s.name, s.want) == 0 {
			log := s.name + ".log"
			if s.name == "rpcbind" {
				log = "ganesha.out"
			}
			return fmt.Errorf("%s (%s) did not stay up; last lines of %s:\n%s", s.name, s.what, l.path("run", log), tailFile(l.path("run", log), 10))
		}
	}
	return nil
}

// waitListen waits until addr accepts a TCP connection.
func waitListen(ctx context.Context, addr string, timeout time.Duration, alive func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if !alive() {
			return fmt.Errorf("the process exited")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s to accept connections: %v", timeout, addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func tailFile(name string, n int) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// board makes board n's tap and starts its console relay.
func (l *Lab) board(ctx context.Context, n int) error {
	tap := tapName(n)
	if _, err := run(ctx, "ip", "-n", Netns, "link", "show", tap); err != nil {
		for _, s := range [][]string{
			inNetns("ip", "tuntap", "add", "dev", tap, "mode", "tap"),
			{"ip", "-n", Netns, "link", "set", tap, "master", Bridge, "up"},
		} {
			if _, err := run(ctx, s[0], s[1:]...); err != nil {
				return fmt.Errorf("%s: %w", BoardName(n), err)
			}
		}
	}
	if l.alivePid(relayName(n), "lab relay") != 0 {
		return nil
	}
	sock := l.consoleSocket(n)
	if len(sock) >= 108 {
		return fmt.Errorf("%s: the console socket path %s is too long for a unix socket (use a shorter --dir)", BoardName(n), sock)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ConsolePort(n))
	if _, err := start(l.pidfile(relayName(n)), l.path("run", relayName(n)+".log"),
		l.bin(), "lab", "relay", "--socket", sock, "--listen", addr, "--pty", l.ConsolePty(n)); err != nil {
		return err
	}
	if err := waitListen(ctx, addr, 10*time.Second, func() bool { return l.alivePid(relayName(n), "") != 0 }); err != nil {
		return fmt.Errorf("%s's console relay: %v\n%s", BoardName(n), err, tailFile(l.path("run", relayName(n)+".log"), 10))
	}
	return nil
}

func (l *Lab) consoleSocket(n int) string { return l.path("run", fmt.Sprintf("%s.sock", BoardName(n))) }

// boardList is x86 boards 1..n and ARM boards 1..arm, as board numbers.
func (l *Lab) boardList(n, arm int) []int {
	var b []int
	for i := 1; i <= n; i++ {
		b = append(b, i)
	}
	for i := 1; i <= arm; i++ {
		b = append(b, ArmBoard(i))
	}
	return b
}

// boardCount is how many x86 boards the lab has device files for.
func (l *Lab) boardCount() int {
	n := 0
	for i := 1; i <= MaxBoards; i++ {
		if _, err := os.Stat(l.path("devices", BoardName(i)+".hcl")); err == nil {
			n = i
		}
	}
	return n
}

// Down stops every process of the lab (boards, relays, services, and
// anything else left in its namespace), removes the namespace and the veth,
// and checks that nothing is left.
func (l *Lab) Down(ctx context.Context) error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	for _, i := range allBoards() {
		_ = l.PowerOff(ctx, i)
	}
	for _, i := range allBoards() {
		l.stopRecorded(relayName(i), "lab relay")
	}
	for _, s := range []service{services[3], services[0], services[2], services[1]} {
		l.stopRecorded(s.name, s.want)
	}
	if netnsExists() {
		st := l.state(ctx)
		for _, pid := range st.nsPids {
			l.logf("stopping pid %d left in %s: %s", pid, Netns, short(cmdline(pid)))
			stop(pid, 3*time.Second)
		}
		if _, err := run(ctx, "ip", "netns", "del", Netns); err != nil {
			return err
		}
	}
	if linkExists(VethRoot) {
		if _, err := run(ctx, "ip", "link", "del", VethRoot); err != nil {
			return err
		}
	}
	if err := l.unmountNFS(); err != nil {
		return err
	}
	_ = filepath.WalkDir(l.path("run"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pid") || strings.HasSuffix(p, ".sock") || strings.HasSuffix(p, ".fd") || strings.HasSuffix(p, ".pty")) {
			_ = os.Remove(p)
		}
		return nil
	})
	st := l.state(ctx)
	if p := st.problems(); len(p) > 0 {
		return fmt.Errorf("lab down left:\n  - %s", strings.Join(p, "\n  - "))
	}
	l.logf("down: no process, namespace or interface of the lab is left")
	return nil
}

func (l *Lab) stopRecorded(name, want string) {
	if pid := l.alivePid(name, want); pid != 0 {
		stop(pid, 5*time.Second)
	}
	_ = os.Remove(l.pidfile(name))
}
