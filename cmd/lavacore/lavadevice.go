package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/sdk"
)

// deviceSource is where validate, describe and run take devices from: a lab
// directory (--lab), or a rendered LAVA device file (--lava-device) as
// lava-run takes it, optionally added to the --lab directory's lab (its
// dispatcher settings).
type deviceSource struct {
	Lab        string
	LavaDevice string
	// labSet is true when --lab was given on the command line (not defaulted).
	labSet bool
}

const lavaDeviceUsage = "a device file rendered by LAVA (the YAML lava-run --device takes): run on it instead of a lab device; " +
	"with an explicit --lab, it joins that lab (dispatcher settings)"

// register adds --lava-device; --lab is the command's own flag (its default differs).
func (s *deviceSource) register(fs *flag.FlagSet) {
	fs.StringVar(&s.LavaDevice, "lava-device", "", lavaDeviceUsage)
}

// parsed notes whether --lab was given; call it after fs.Parse.
func (s *deviceSource) parsed(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "lab" {
			s.labSet = true
		}
	})
}

// load returns the lab and the device every device role must run on ("" =
// none pinned). jobType fills in a rendered device's empty devicetype (LAVA's
// test devices have none). Problems are printed to stderr, prefixed by cmd;
// ok is false when there are errors.
func (s *deviceSource) load(cmd, jobType string, spec func(string) *sdk.BlockSpec, stderr io.Writer) (lab *device.Lab, pin string, ok bool) {
	opts := device.LoadOptions{Spec: spec}
	if s.LavaDevice == "" {
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
