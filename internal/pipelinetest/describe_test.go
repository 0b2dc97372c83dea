package pipelinetest

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/pipeline"
)

// The printer and yaml.v3 agree on LAVA's own descriptions.
func TestYAMLRoundTrip(t *testing.T) {
	for _, name := range []string{"mustang-grub-efi-nfs.yaml", "ssh-guest.yaml", "download.yaml", "juno-uefi-nfs.yaml"} {
		ref := loadRef(t, name)
		var buf bytes.Buffer
		if err := pipeline.WriteYAML(&buf, ref); err != nil {
			t.Fatal(err)
		}
		var back []pipeline.Description
		if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(ref, back); d != "" {
			t.Errorf("%s: (-ref +printed):\n%s", name, d)
		}
	}
}

func TestWriteDescription(t *testing.T) {
	subs := seedSubJobs(t)
	p, err := pipeline.Build(subs[0].Job, subs[0].Device, builtinRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteDescription(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Pipeline []pipeline.Description }
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p.Describe(), doc.Pipeline); d != "" {
		t.Error(d)
	}
}
