package qemu

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// outputFunc runs a command and returns its standard output (exec.CommandContext's Output;
// tests give a fake).
type outputFunc func(ctx context.Context, name string, args ...string) (string, error)

func commandOutput(ctx context.Context, name string, args ...string) (string, error) {
	b, err := exec.CommandContext(ctx, name, args...).Output()
	return string(b), err
}

// qemuPackageSuffix is the Debian package qemu-system-SUFFIX that has a job architecture's
// emulator (LAVA's get_qemu_pkg_suffix): "" when LAVA knows none.
func qemuPackageSuffix(arch string) string {
	switch arch {
	case "amd64", "x86_64":
		return "x86"
	case "arm64", "arm", "armhf", "aarch64":
		return "arm"
	}
	return ""
}

// qemuData is what LAVA 2023.01's execute-qemu records of the QEMU a job of architecture arch
// (the job context's arch) boots with, as its result's extra, and the info line it logs: the
// Debian package qemu-system-SUFFIX's version and architecture (dpkg-query), else
// `qemu-system-ARCH --version`'s fourth word and `uname -m`. nil and "" when neither answers
// (LAVA then logs no execute-qemu result).
func qemuData(ctx context.Context, arch string, out outputFunc) (map[string]any, string) {
	if suffix := qemuPackageSuffix(arch); suffix != "" {
		pkg := "qemu-system-" + suffix
		ver, err1 := out(ctx, "dpkg-query", "-W", "-f=${Version}\n", pkg)
		host, err2 := out(ctx, "dpkg-query", "-W", "-f=${Architecture}\n", pkg)
		ver, host = strings.TrimSpace(ver), strings.TrimSpace(host)
		if err1 == nil && ver != "" {
			if err2 != nil {
				host = ""
			}
			return map[string]any{"qemu_version": ver, "host_arch": host, "job_arch": arch},
				fmt.Sprintf("%s, installed at version: %s, host architecture: %s", pkg, ver, host)
		}
	}
	if arch == "" {
		return nil, ""
	}
	v, err := out(ctx, "qemu-system-"+arch, "--version")
	f := strings.Fields(v)
	if err != nil || len(f) < 4 {
		return nil, ""
	}
	m, err := out(ctx, "uname", "-m")
	if err != nil {
		return nil, ""
	}
	host := strings.TrimSpace(m)
	return map[string]any{"qemu_version": f[3], "host_arch": host, "job_arch": arch},
		fmt.Sprintf("qemu, installed at version: %s, host architecture: %s", f[3], host)
}
