package multinode

import (
	"path/filepath"
	"testing"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
)

// lavacoreCoordinator serves a lavacore coordinator that requires its lab
// secret, and returns the address a sub-job is given: HOST:PORT with the
// secret file (as `lavacore run --coordinator-secret-file` passes it).
func lavacoreCoordinator(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "coordinator.secret")
	if err := coordinator.NewSecretFile(file); err != nil {
		t.Fatal(err)
	}
	secret, err := coordinator.ReadSecret(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := &coordinator.Server{C: coordinator.New(), Secret: secret}
	a, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return coordinator.Address{Addr: a.String(), SecretFile: file}.String()
}
