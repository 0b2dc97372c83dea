package shlex

import (
	"slices"
	"testing"
)

func TestJoinSplitRoundTrip(t *testing.T) {
	cases := [][]string{
		{"qemu-system-x86_64", "-nographic", "-m", "512"},
		{"-append", "console=ttyS0,115200 root=/dev/ram0 quiet"},
		{"-drive", "format=raw,file=/tmp/a b/it's here.img"},
		{"", "x", `back\slash "quoted" $(rm -rf /) ; & |`},
		{"tab\tand\nnewline"},
	}
	for _, words := range cases {
		got, err := Split(Join(words))
		if err != nil {
			t.Fatalf("Split(Join(%q)): %v", words, err)
		}
		if !slices.Equal(got, words) {
			t.Errorf("Split(Join(%q)) = %q", words, got)
		}
	}
}

func FuzzJoinSplit(f *testing.F) {
	f.Add("a b", "c'd", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		words := []string{a, b, c}
		got, err := Split(Join(words))
		if err != nil || !slices.Equal(got, words) {
			t.Fatalf("Split(Join(%q)) = %q, %v", words, got, err)
		}
	})
}
