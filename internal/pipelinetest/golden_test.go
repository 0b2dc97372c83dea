package pipelinetest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// seedJob is the founding job: the repository's example copy if there is
// one, else the shared seed.
func seedJob(t testing.TB) string {
	for _, p := range []string{"../../examples/jobs/mustang-ssh-guest.yaml", "../../../shared/seed/mustang-ssh-guest.yaml"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("the founding job (mustang-ssh-guest.yaml) is absent")
	return ""
}

// seedSubJobs splits the founding job; the host runs on the test lab's
// mustang1 and each guest on the host device's guest view.
func seedSubJobs(t testing.TB) []pipeline.SubJob {
	lab := loadTestLab(t)
	var jobs []*job.Job
	roles := map[string]*job.Role{}
	for _, s := range splitJob(t, seedJob(t)) {
		jobs = append(jobs, s.job)
		roles[s.job.Role] = &job.Role{Name: s.job.Role, Connection: s.connection, HostRole: s.hostRole, DeviceType: s.job.DeviceType}
	}
	subs, err := pipeline.AssignDevices(jobs, roles, lab, "")
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, got)
	}
}

func TestDescribeSeedGolden(t *testing.T) {
	subs := seedSubJobs(t)
	descs, err := pipeline.DescribeSubJobs(subs, builtinRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	var y, j bytes.Buffer
	if err := pipeline.WriteYAML(&y, descs); err != nil {
		t.Fatal(err)
	}
	if err := pipeline.WriteJSON(&j, descs); err != nil {
		t.Fatal(err)
	}
	golden(t, "seed-describe.yaml", y.Bytes())
	golden(t, "seed-describe.json", j.Bytes())
}

func BenchmarkBuildDescribeSeed(b *testing.B) {
	subs := seedSubJobs(b)
	reg := builtinRegistry(b)
	b.ReportAllocs()
	for b.Loop() {
		descs, err := pipeline.DescribeSubJobs(subs, reg, testDisp)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := pipeline.WriteYAML(&buf, descs); err != nil {
			b.Fatal(err)
		}
	}
}
