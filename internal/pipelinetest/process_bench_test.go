package pipelinetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lavacoreBinary is $LAVACORE_BIN/lavacore (make bench builds it), else a
// fresh `go build` of ./cmd/lavacore into dir; "" when it does not build.
func lavacoreBinary(b *testing.B, dir string) string {
	if d := os.Getenv("LAVACORE_BIN"); d != "" {
		if p := filepath.Join(d, "lavacore"); fileExists(p) {
			return p
		}
	}
	out := filepath.Join(dir, "lavacore")
	cmd := exec.Command("go", "build", "-o", out, "../../cmd/lavacore")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Logf("go build ./cmd/lavacore: %v\n%s", err, msg)
		return ""
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// BenchmarkProcessValidateDescribe is the whole-process cost a user sees:
// `lavacore validate` then `lavacore describe` of the founding job, each a
// fresh process (target ≤ 50 ms for the pair).
func BenchmarkProcessValidateDescribe(b *testing.B) {
	seed, err := filepath.Abs(seedJob(b))
	if err != nil {
		b.Fatal(err)
	}
	bin := lavacoreBinary(b, b.TempDir())
	if bin == "" {
		b.Skip("cmd/lavacore does not build")
	}
	lab, _ := filepath.Abs("../../examples/lab")
	steps := [][]string{{"validate", seed}, {"describe", seed, "--lab", lab}}
	for _, s := range steps {
		out, err := exec.Command(bin, s...).CombinedOutput()
		if err != nil {
			b.Skipf("lavacore %s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, s := range steps {
			if out, err := exec.Command(bin, s...).CombinedOutput(); err != nil {
				b.Fatalf("lavacore %s: %v\n%s", s[0], err, out)
			}
		}
	}
}
