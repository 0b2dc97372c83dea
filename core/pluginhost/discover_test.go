package pluginhost

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	api := fmt.Sprintf("x%d", apiVersion())
	host := runtime.GOOS + "_" + runtime.GOARCH
	for _, tc := range []struct {
		file, name, version string
		ok                  bool
		problem             string
	}{
		{"lavacore-plugin-tftp", "tftp", "", true, ""},
		{"lavacore-plugin-tftp_SHA256SUM", "", "", false, ""},
		{"lavacore-plugin-", "", "", false, ""},
		{"lavacore", "", "", false, ""},
		{"packer-plugin-qemu", "", "", false, ""},
		{"lavacore-plugin-grub_v1.2.3_" + api + "_" + host, "grub", "1.2.3", true, ""},
		{"lavacore-plugin-grub_v1.2_" + api + "_" + host, "grub", "1.2", true, "not MAJOR.MINOR.PATCH"},
		{"lavacore-plugin-grub_v1.2.3_x999_" + host, "grub", "1.2.3", true, "plugin API x999"},
		{"lavacore-plugin-grub_v1.2.3_" + api + "_plan9_mips", "grub", "1.2.3", true, "built for plan9/mips"},
		{"lavacore-plugin-my_plugin", "my_plugin", "", true, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			name, version, ok, problem := ParseName(tc.file)
			if name != tc.name || version != tc.version || ok != tc.ok || (tc.problem == "") != (problem == "") || !strings.Contains(problem, tc.problem) {
				t.Errorf("ParseName = %q %q %v %q, want %q %q %v %q", name, version, ok, problem, tc.name, tc.version, tc.ok, tc.problem)
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"lavacore-plugin-a", "lavacore-plugin-a_v1.2.3_x2_linux_amd64", "lavacore-plugin-a_v_x_y_z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, version, ok, _ := ParseName(s)
		if ok && (name == "" || !strings.HasPrefix(s, Prefix+name)) {
			t.Errorf("ParseName(%q) = %q %q", s, name, version)
		}
	})
}

// TestDiscover: names, versions (the newest wins in a directory, the first
// directory wins across), checksum states.
func TestDiscover(t *testing.T) {
	api := fmt.Sprintf("x%d", apiVersion())
	host := runtime.GOOS + "_" + runtime.GOARCH
	d1, d2 := t.TempDir(), t.TempDir()
	write := func(dir, name, content string, sum bool) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
		if sum {
			s, _ := FileSum(p)
			os.WriteFile(p+ChecksumSuffix, []byte(s+"  "+name+"\n"), 0o644)
		}
	}
	write(d1, Prefix+"tftp", "tftp 1", true)
	write(d2, Prefix+"tftp", "tftp 2", true) // shadowed by d1
	write(d1, Prefix+"grub_v1.2.3_"+api+"_"+host, "grub 1.2.3", true)
	write(d1, Prefix+"grub_v1.10.0_"+api+"_"+host, "grub 1.10.0", true)
	write(d1, Prefix+"grub", "grub unversioned", true)
	write(d1, Prefix+"ssh", "ssh", false)
	write(d1, Prefix+"bad", "bad", false)
	os.WriteFile(filepath.Join(d1, Prefix+"bad"+ChecksumSuffix), []byte("0000  x\n"), 0o644)
	write(d2, Prefix+"arm_v1.0.0_"+api+"_linux_arm64x", "arm", true)
	write(d2, "README", "not a plugin", false)
	os.Mkdir(filepath.Join(d2, Prefix+"dir"), 0o755)

	got := map[string]Binary{}
	var names []string
	for _, b := range Discover([]string{d1, filepath.Join(d1, "missing"), d2}) {
		got[b.Name] = b
		names = append(names, b.Name)
	}
	if strings.Join(names, " ") != "arm bad grub ssh tftp" {
		t.Fatalf("found %v", names)
	}
	if b := got["tftp"]; filepath.Dir(b.Path) != d1 || !b.ChecksumOK || b.Problem != "" {
		t.Errorf("tftp: %+v", b)
	}
	if b := got["grub"]; b.Version != "1.10.0" || !b.ChecksumOK {
		t.Errorf("grub: the newest version should win: %+v", b)
	}
	if b := got["ssh"]; b.ChecksumOK || !strings.Contains(b.Problem, "no checksum file "+Prefix+"ssh"+ChecksumSuffix) || !strings.Contains(b.Problem, "lavacore plugins checksum") {
		t.Errorf("ssh: %+v", b)
	}
	if b := got["bad"]; b.ChecksumOK || !strings.Contains(b.Problem, "checksum mismatch") {
		t.Errorf("bad: %+v", b)
	}
	if b := got["arm"]; !strings.Contains(b.Problem, "built for linux/arm64x") {
		t.Errorf("arm: %+v", b)
	}
	// WriteChecksums fixes what it can.
	if done, err := WriteChecksums(d1); err != nil || len(done) != 6 {
		t.Fatalf("WriteChecksums: %v %v", done, err)
	}
	for _, b := range Discover([]string{d1}) {
		if !b.ChecksumOK {
			t.Errorf("after WriteChecksums: %+v", b)
		}
	}
}

func TestDirs(t *testing.T) {
	t.Setenv(PathEnv, "/a:/b::/c")
	d := Dirs()
	if len(d) < 4 || strings.Join(d[:3], " ") != "/a /b /c" || filepath.Base(d[3]) != "plugins" {
		t.Errorf("Dirs = %v", d)
	}
}

// A directory named twice (LAVACORE_PLUGIN_PATH naming the plugins beside
// the binary, as `make build` users do) is scanned once: its plugins do not
// "hide" themselves in plugins list.
func TestDirs_SameDirectoryTwiceIsScannedOnce(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	beside := filepath.Join(filepath.Dir(exe), "plugins")
	t.Setenv(PathEnv, "/a:"+beside+"/:/a")
	seen := map[string]bool{}
	for _, d := range Dirs() {
		if seen[filepath.Clean(d)] {
			t.Errorf("Dirs names %s twice: %v", d, Dirs())
		}
		seen[filepath.Clean(d)] = true
	}
}

func TestTail(t *testing.T) {
	tl := newTail(3, 64)
	fmt.Fprint(tl, "one\ntwo\nthr")
	fmt.Fprint(tl, "ee\nfour\nfive\r\npartial")
	if got := tl.String(); got != "three\nfour\nfive\npartial" {
		t.Errorf("tail %q", got)
	}
	fmt.Fprint(tl, strings.Repeat("x", 200))
	if got := tl.String(); !strings.HasSuffix(got, strings.Repeat("x", 64)) || strings.Contains(got, "partial") {
		t.Errorf("a long partial line is cut to the cap: %q", got)
	}
}

func TestHasVar(t *testing.T) {
	mark := []byte("K=v\x00")
	for env, want := range map[string]bool{
		"K=v\x00":           true,
		"A=1\x00K=v\x00":    true,
		"A=1\x00K=vv\x00":   false,
		"XK=v\x00":          false,
		"A=K=v\x00":         false,
		"":                  false,
		"A=1\x00B=2\x00K=v": false, // truncated: no terminator
	} {
		if got := hasVar([]byte(env), mark); got != want {
			t.Errorf("hasVar(%q) = %v", env, got)
		}
	}
}
