package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/core/pipeline"
)

// loadLAVADevice loads --lava-device (or import's file) and prints its
// problems. Method values are decoded through the methods' specs, as describe
// and run decode them: what a method does not declare is kept apart (Extra),
// shown by show and written by import as `extra`, so that the imported HCL
// loads where the methods check their blocks.
func loadLAVADevice(cmd, file, typ string, stderr io.Writer) *device.Device {
	pl := openPlugins("devices", stderr)
	defer pl.close()
	d, probs := lavayaml.LoadFile(file, lavayaml.Options{Type: typ, Spec: pipeline.SpecFunc(pl.registry())})
	for _, p := range probs {
		fmt.Fprintln(stderr, p.String())
	}
	if probs.HasErrors() {
		fmt.Fprintf(stderr, "lavacore devices %s: %s has errors\n", cmd, file)
		return nil
	}
	return d
}

func devicesShowLAVA(o devicesOptions, stdout, stderr io.Writer) int {
	d := loadLAVADevice("show", o.LavaDevice, o.Type, stderr)
	if d == nil {
		return exitInvalid
	}
	return printDevice(o, d, stdout, stderr)
}

// devicesImport writes a rendered LAVA device as an HCL device (and its type
// when the type is new) into the lab directory o.Out.
func devicesImport(o devicesOptions, file string, stdout, stderr io.Writer) int {
	d := loadLAVADevice("import", file, o.Type, stderr)
	if d == nil {
		return exitInvalid
	}
	typeName := d.Type
	if typeName == "" {
		typeName = "lava-" + d.Name
	}
	for _, n := range []struct{ what, name string }{{"device", d.Name}, {"device type", typeName}} {
		if !safeFileName(n.name) {
			fmt.Fprintf(stderr, "lavacore devices import: %s: the %s name %q cannot name a file (letters, digits, '.', '_' and '-', not starting with '.')\n", file, n.what, n.name)
			return 1
		}
	}
	builtin, _ := device.LoadTypes(device.LoadOptions{})
	typesDir := filepath.Join(o.Out, "devicetypes")
	// A type of the same name with other values (a built-in one, or another
	// device's import) is not replaced: this device gets a type of its own.
	for _, candidate := range []string{typeName, typeName + "-" + d.Name} {
		h, err := lavayaml.ToHCL(d, candidate, filepath.Base(file))
		if err != nil {
			fmt.Fprintf(stderr, "lavacore devices import: %s: %v\n", file, err)
			return 1
		}
		typePath := filepath.Join(typesDir, candidate+".hcl")
		existing, err := os.ReadFile(typePath)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "lavacore devices import: %v\n", err)
			return 1
		}
		taken := err == nil || builtin[candidate] != nil
		switch {
		case err == nil && bytes.Equal(existing, h.Type):
			fmt.Fprintf(stdout, "%s: unchanged, shared\n", typePath)
		case taken && !o.Force:
			continue
		default:
			if err := writeNew(typePath, h.Type, true); err != nil {
				fmt.Fprintf(stderr, "lavacore devices import: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "%s: device type %s\n", typePath, candidate)
		}
		devPath := filepath.Join(o.Out, "devices", d.Name+".hcl")
		if err := writeNew(devPath, h.Device, o.Force); err != nil {
			fmt.Fprintf(stderr, "lavacore devices import: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: device %s (type %s)\n", devPath, d.Name, candidate)
		return 0
	}
	fmt.Fprintf(stderr, "lavacore devices import: %s and %s exist with other values (use --force to overwrite, or --type)\n",
		filepath.Join(typesDir, typeName+".hcl"), filepath.Join(typesDir, typeName+"-"+d.Name+".hcl"))
	return 1
}

// writeNew writes a file, creating its directory; an existing file is kept
// (an error) unless overwrite.
func writeNew(path string, data []byte, overwrite bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !overwrite {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists (use --force to overwrite)", path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// safeFileName accepts names that are one plain file name component.
func safeFileName(s string) bool {
	if s == "" || s[0] == '.' || len(s) > 200 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
