package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/lab"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/lavaversion"
)

// deviceSource is where validate, describe and run take devices from: a lab
// directory (--lab), or a rendered LAVA device file (--lava-device) as
// lava-run takes it, optionally added to the --lab directory's lab (its
// dispatcher settings).
type deviceSource struct {
	Lab        string
	LavaDevice string
	// LavaVersion is --lava-version: the LAVA release whose pipeline is built
	// (overrides the lab's lava_version; sdk/lavaversion).
	LavaVersion string
	// labSet is true when --lab was given on the command line (not defaulted).
	labSet bool
}

const lavaDeviceUsage = "a device file rendered by LAVA (the YAML lava-run --device takes): run on it instead of a lab device; " +
	"with an explicit --lab, it joins that lab (dispatcher settings)"

const lavaVersionUsage = "the LAVA release whose pipeline to build, YYYY.MM (default: the lab's lava_version, else " +
	lavaversion.Default + ", Debian's LAVA; 2026.08 gives LAVA HEAD's)"

// register adds --lava-device and --lava-version; --lab is the command's own
// flag (its default differs).
func (s *deviceSource) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.LavaDevice, "lava-device", "", lavaDeviceUsage)
	fs.StringVar(&s.LavaVersion, "lava-version", "", lavaVersionUsage)
}

// checkVersion reports a bad --lava-version on stderr (false: exit 2).
func (s *deviceSource) checkVersion(cmd string, stderr io.Writer) bool {
	if s.LavaVersion == "" {
		return true
	}
	if _, err := lavaversion.Parse(s.LavaVersion); err != nil {
		fmt.Fprintf(stderr, "lavacore %s: --lava-version: %v\n", cmd, err)
		return false
	}
	return true
}

// setVersion applies --lava-version to the lab.
func (s *deviceSource) setVersion(lab *device.Lab) {
	if lab != nil && s.LavaVersion != "" {
		lab.LavaVersion = s.LavaVersion
	}
}

// labFlagUsage is --lab's help on every command that reads a lab.
const labFlagUsage = "the lab directory (lab.hcl, devices/*.hcl, devicetypes/*.hcl); without it $LAVACORE_LAB_DIR, else the virtual lab's (lavacore lab dir)"

// defaultLabDir is the lab every command uses without --lab: the virtual
// lab's directory, as `lavacore lab dir` prints it.
func defaultLabDir() string { return lab.Default().Dir }

// missingLab says how to name a lab when dir does not exist (false: it does).
func missingLab(cmd, dir string, stderr io.Writer) bool {
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	fmt.Fprintf(stderr, "lavacore %s: no lab directory %s: name one with --lab DIR (the virtual lab's: --lab $(lavacore lab dir), after lavacore lab up), or set $LAVACORE_LAB_DIR\n", cmd, dir)
	return true
}

// load returns the lab and the device every device role must run on ("" =
// none pinned). jobType fills in a rendered device's empty devicetype (LAVA's
// test devices have none). Problems are printed to stderr, prefixed by cmd;
// ok is false when there are errors.
func (s *deviceSource) load(cmd, jobType string, spec func(string) *sdk.BlockSpec, stderr io.Writer) (lab *device.Lab, pin string, ok bool) {
	defer func() { s.setVersion(lab) }()
	opts := device.LoadOptions{Spec: spec}
	if s.LavaDevice == "" {
		if missingLab(cmd, s.Lab, stderr) {
			return nil, "", false
		}
		lab, diags := device.LoadLab(s.Lab, opts)
		if diags.HasErrors() {
			_ = device.WriteDiagnostics(stderr, lab.Files(), diags, 100, false)
			fmt.Fprintf(stderr, "lavacore %s: the lab %s has errors\n", cmd, s.Lab)
			return lab, "", false
		}
		return lab, "", true
	}
	d, probs := lavayaml.LoadFile(s.LavaDevice, lavayaml.Options{Type: jobType, Spec: spec})
	for _, p := range probs {
		fmt.Fprintln(stderr, p.String())
	}
	if probs.HasErrors() {
		fmt.Fprintf(stderr, "lavacore %s: the device file %s has errors\n", cmd, s.LavaDevice)
		return nil, "", false
	}
	if s.labSet && s.Lab != "" {
		if missingLab(cmd, s.Lab, stderr) {
			return nil, "", false
		}
		l, ldiags := device.LoadLab(s.Lab, opts)
		if ldiags.HasErrors() {
			_ = device.WriteDiagnostics(stderr, l.Files(), ldiags, 100, false)
			fmt.Fprintf(stderr, "lavacore %s: the lab %s has errors\n", cmd, s.Lab)
			return l, "", false
		}
		lab = l
	} else {
		l, ndiags := device.NewLab("", opts)
		if ndiags.HasErrors() {
			_ = device.WriteDiagnostics(stderr, l.Files(), ndiags, 100, false)
			return l, "", false
		}
		lab = l
	}
	if err := lab.AddDevice(d); err != nil {
		fmt.Fprintf(stderr, "lavacore %s: --lava-device %s: %v\n", cmd, s.LavaDevice, err)
		return lab, "", false
	}
	return lab, d.Name, true
}
