package pb_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsCurrent regenerates the code with scripts/proto.sh
// (Debian's protoc, the protoc-gen-go/-grpc pinned in go.mod) into a temp
// directory and compares it with the committed files.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("regenerates the protobuf code: set LAVACORE_LAB=1 (make test does)")
	}
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("no protoc (apt-get install protobuf-compiler)")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "../../../scripts/proto.sh")
	cmd.Env = append(os.Environ(), "PROTO_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("proto.sh: %v\n%s", err, b)
	}
	for _, f := range []string{"lavacore.pb.go", "lavacore_grpc.pb.go"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("sdk/internal/pb/%s is not what lavacore.proto generates: run make proto and commit", f)
		}
	}
}
