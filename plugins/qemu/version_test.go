package qemu

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestQemuData: execute-qemu's result extra and info line as LAVA 2023.01's (the Debian
// package's version first, `qemu-system-ARCH --version` and `uname -m` else, nothing when
// neither answers).
func TestQemuData(t *testing.T) {
	answers := map[string]string{
		"dpkg-query -W -f=${Version}\n qemu-system-x86":      "1:7.2+dfsg-7+deb12u18+b3\n",
		"dpkg-query -W -f=${Architecture}\n qemu-system-x86": "amd64\n",
		"qemu-system-riscv64 --version":                      "QEMU emulator version 8.2.1 (Debian 1:8.2.1+ds-1)\nCopyright (c) 2003-2023 Fabrice Bellard\n",
		"uname -m":                                           "x86_64\n",
	}
	fake := func(ctx context.Context, name string, args ...string) (string, error) {
		if a, ok := answers[strings.Join(append([]string{name}, args...), " ")]; ok {
			return a, nil
		}
		return "", errors.New("exit status 1")
	}
	for _, c := range []struct {
		arch string
		want map[string]any
		line string
	}{
		{"amd64", map[string]any{"qemu_version": "1:7.2+dfsg-7+deb12u18+b3", "host_arch": "amd64", "job_arch": "amd64"},
			"qemu-system-x86, installed at version: 1:7.2+dfsg-7+deb12u18+b3, host architecture: amd64"},
		{"x86_64", map[string]any{"qemu_version": "1:7.2+dfsg-7+deb12u18+b3", "host_arch": "amd64", "job_arch": "x86_64"},
			"qemu-system-x86, installed at version: 1:7.2+dfsg-7+deb12u18+b3, host architecture: amd64"},
		// qemu-system-arm is not installed: the raw version of qemu-system-arm64, which does not exist either
		{"arm64", nil, ""},
		{"riscv64", map[string]any{"qemu_version": "8.2.1", "host_arch": "x86_64", "job_arch": "riscv64"},
			"qemu, installed at version: 8.2.1, host architecture: x86_64"},
		{"", nil, ""},
	} {
		got, line := qemuData(context.Background(), c.arch, fake)
		if !reflect.DeepEqual(got, c.want) || line != c.line {
			t.Errorf("qemuData(%q) = %v, %q; want %v, %q", c.arch, got, line, c.want, c.line)
		}
	}
}
