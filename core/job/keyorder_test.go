package job

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestKeyOrder: a block's mappings keep the job's key order (Go maps lose it).
func TestKeyOrder(t *testing.T) {
	var doc yaml.Node
	src := "to: fastboot\nimages:\n  rootfs: {url: a}\n  boot: {url: b, compression: gz}\n  aboot: {url: c}\n  boot: {url: d}\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	got := KeyOrder(doc.Content[0])
	want := map[string][]string{"": {"to", "images"}, "images": {"rootfs", "boot", "aboot"}, "images.boot": {"url", "compression"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
