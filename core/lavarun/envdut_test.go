package lavarun

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// The DUT environment as LAVA builds it: {} if purge, else lava-run's
// environment, minus removes, plus overrides.
func TestEnvDUT_Environment(t *testing.T) {
	environ := []string{"PATH=/usr/bin:/bin", "HOME=/var/lib/lava", "LANG=C.UTF-8", "EMPTY=", "NOEQUALS"}
	tests := []struct {
		name     string
		file     string
		want     map[string]string
		warnings int
	}{
		{"empty file: none", "", nil, 0},
		{"comments only: none", "# nothing\n", nil, 0},
		{"empty mapping: lava-run's environment", "{}\n",
			map[string]string{"PATH": "/usr/bin:/bin", "HOME": "/var/lib/lava", "LANG": "C.UTF-8", "EMPTY": ""}, 0},
		{"removes", "removes: [HOME, LANG, NOT_SET]\n",
			map[string]string{"PATH": "/usr/bin:/bin", "EMPTY": ""}, 0},
		{"removes as a mapping's keys", "removes:\n  HOME:\n  LANG:\n",
			map[string]string{"PATH": "/usr/bin:/bin", "EMPTY": ""}, 0},
		{"overrides replace and add", "overrides:\n  PATH: /opt/bin\n  NEW: two words\n",
			map[string]string{"PATH": "/opt/bin", "HOME": "/var/lib/lava", "LANG": "C.UTF-8", "EMPTY": "", "NEW": "two words"}, 0},
		{"purge", "purge: true\n", map[string]string{}, 0},
		{"purge with overrides", "purge: true\noverrides:\n  A: 1\n  B: true\n  C: ~\n  D: \"x\"\n",
			map[string]string{"A": "1", "B": "True", "C": "None", "D": "x"}, 0},
		{"removes before overrides", "purge: false\nremoves: [PATH]\noverrides:\n  PATH: /x\n",
			map[string]string{"PATH": "/x", "HOME": "/var/lib/lava", "LANG": "C.UTF-8", "EMPTY": ""}, 0},
		{"unknown keys ignored, as LAVA", "purge: true\nother: 1\n", map[string]string{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseEnvDUT("env-dut.yaml", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if e == nil {
				if tc.want != nil {
					t.Fatalf("no environment, want %v", tc.want)
				}
				return
			}
			got, warnings := e.Environment(environ)
			if !reflect.DeepEqual(got, tc.want) || len(warnings) != tc.warnings {
				t.Errorf("environment %v (warnings %q), want %v", got, warnings, tc.want)
			}
		})
	}
}

// lava-run's own environment may hold what cannot be a secrets line (bash's
// exported functions, a value with a newline): left out, by name.
func TestEnvDUT_InheritedLineBreakLeftOut(t *testing.T) {
	e, err := ParseEnvDUT("env-dut.yaml", []byte("removes: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, warnings := e.Environment([]string{"OK=1", "BASH_FUNC_f%%=() {  echo hi\n}", "MULTI=a\nreboot"})
	if !reflect.DeepEqual(got, map[string]string{"OK": "1"}) || len(warnings) != 2 {
		t.Fatalf("environment %v, warnings %q", got, warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, "reboot") || strings.Contains(w, "echo hi") {
			t.Errorf("a warning shows a value: %q", w)
		}
	}
}

// Invalid files fail the job at validation, with the place of the mistake;
// an override that would inject a line into the secrets file is one.
func TestEnvDUT_InvalidFiles(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"not YAML", "purge: [\n", "env-dut.yaml:"},
		{"a list", "- a\n", "env-dut.yaml:1:1: env-dut must be a mapping"},
		{"purge not a bool", "purge: yes please\n", "env-dut.yaml:1:8: purge: must be true or false"},
		{"removes a string", "removes: PATH\n", "env-dut.yaml:1:10: removes: must be a list of names"},
		{"overrides a list", "overrides: [A]\n", "env-dut.yaml:1:12: overrides: must be a mapping"},
		{"override value a mapping", "overrides:\n  A: {b: 1}\n", "env-dut.yaml:2:6: overrides.A: the value must be"},
		{"override newline injects a line", "overrides:\n  A: \"x\\nreboot\"\n", "env-dut.yaml:2:6: overrides.A: A: the value has a line break"},
		{"override name injects a command", "overrides:\n  \"A;reboot\": 1\n", `overrides.A;reboot: "A;reboot" is not a shell variable name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEnvDUT("env-dut.yaml", []byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// overlayProbe is compress-overlay; it keeps the secrets file of the
// overlay it built.
type overlayProbe struct {
	describe func(sdk.Request) (sdk.ActionSpec, error)
	secrets  *string
}

func (a overlayProbe) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if err := (bootflow.CompressOverlay{Describe: a.describe}).Run(ctx, call, host); err != nil {
		return err
	}
	tarball, err := bootflow.GetString(host, bootflow.KeyOverlay)
	if err != nil {
		return err
	}
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if strings.HasSuffix(h.Name, "lava-7/secrets") {
			b, err := io.ReadAll(tr)
			*a.secrets = string(b)
			return err
		}
	}
}

// lava-run --env-dut: the DUT environment reaches the overlay's secrets
// file after the job's secrets, LAVA's debug line is logged, no "not
// applied" warning, and the values are not masked in the log.
func TestMain_EnvDUTInOverlaySecrets(t *testing.T) {
	srv := newFakeServer(t, nil)
	dir, args := workerDir(t, "overlay")
	job, _ := os.ReadFile(filepath.Join(dir, "job.yaml"))
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), append(job, "secrets:\n  TOKEN: s3cret\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	envDUT := filepath.Join(dir, "env-dut.yaml")
	if err := os.WriteFile(envDUT, []byte("purge: false\nremoves: [HOME]\noverrides:\n  PATH: /opt/dut/bin\n  GREETING: hello world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var secrets string
	m := bootMethod{name: "overlay"}
	m.Actions = sdk.Actions{"overlay-boot": overlayProbe{describe: m.Describe, secrets: &secrets}}
	var stdout, stderr bytes.Buffer
	env := testEnv(t, &stdout, &stderr, m)
	env.Environ = []string{"HOME=/var/lib/lava-server", "LANG=C", "PATH=/usr/bin:/bin"}
	code := Main(context.Background(), append(args, "--url="+srv.URL+"/", "--token=T", "--env-dut="+envDUT), env)
	if code != ExitPass {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if want := "TOKEN=s3cret\nGREETING='hello world'\nLANG=C\nPATH=/opt/dut/bin\n"; secrets != want {
		t.Errorf("overlay secrets file:\n%q\nwant\n%q", secrets, want)
	}
	logYAML, _ := os.ReadFile(filepath.Join(dir, RunDir, "log.yaml"))
	log := string(logYAML)
	for _, want := range []string{"/secrets with env", "Handling GREETING", "Handling PATH"} {
		if !strings.Contains(log, want) {
			t.Errorf("log.yaml lacks %q:\n%s", want, log)
		}
	}
	for _, not := range []string{"not applied", "s3cret"} {
		if strings.Contains(log, not) {
			t.Errorf("log.yaml has %q:\n%s", not, log)
		}
	}
}
