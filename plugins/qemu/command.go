package qemu

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/lavacore/lavacore/sdk/shlex"
)

// The QEMU command line is built as words, never as a shell string: the
// device's options are split like a shell's words (LAVA joins them and
// pexpect splits them again), a job's image_arg too, and a substituted value
// (a downloaded file's path) is always one word. The host gets the words
// quoted (shlex.Join) and splits them back.

// deviceWords are the device's command, options and extra options.
func deviceWords(dm map[string]any) ([]string, error) {
	cmd, _ := dm["command"].(string)
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return nil, fmt.Errorf("no QEMU binary command")
	}
	if strings.ContainsAny(cmd, " \t\n") {
		return nil, fmt.Errorf("command %q: one binary, without options (they go in options)", cmd)
	}
	words := []string{cmd}
	for _, key := range []string{"options", "extra"} {
		for _, o := range stringItems(dm[key]) {
			w, err := shlex.Split(o)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %v", key, o, err)
			}
			words = append(words, w...)
		}
	}
	return words, nil
}

// stringItems reads a list of strings, or one string (LAVA's extra_options
// may be either), skipping nulls.
func stringItems(v any) []string {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if e != nil && fmt.Sprint(e) != "" {
				out = append(out, fmt.Sprint(e))
			}
		}
		return out
	case []string:
		return x
	}
	return nil
}

var placeholderRE = regexp.MustCompile(`\{[A-Za-z0-9_.-]+\}`)

// pathOptions take a host file as their argument: a job may only give them
// one of its own downloads, as a {label} placeholder.
var pathOptions = map[string]bool{
	"-kernel": true, "-initrd": true, "-dtb": true, "-bios": true, "-cdrom": true, "-pflash": true,
	"-hda": true, "-hdb": true, "-hdc": true, "-hdd": true, "-fda": true, "-fdb": true, "-mtdblock": true, "-sd": true,
}

// imageOptions are the QEMU options a job's image_arg may use: those that
// attach its images (and the kernel command line). Anything else (-monitor,
// -chardev, -netdev, -object, -virtfs, -runas …) would reach the host.
var imageOptions = map[string]bool{"-drive": true, "-device": true, "-append": true, "-boot": true}

// fileKeys are the sub-options of -drive/-device that name a host file.
var fileKeys = map[string]bool{"file": true, "romfile": true, "path": true, "script": true, "downscript": true,
	"kernel": true, "initrd": true, "dtb": true, "bios": true, "firmware": true, "x-file": true, "addr-file": true}

// imageArgWords splits a job's image_arg into words and checks that it only
// attaches the job's own files: its options are image options, and every
// host path in it is a {label} placeholder. LAVA passes image_arg to QEMU as
// it is; lavacore refuses what would let a job read or drive the host.
func imageArgWords(arg string) ([]string, error) {
	words, err := shlex.Split(arg)
	if err != nil {
		return nil, fmt.Errorf("image_arg %q: %v", arg, err)
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") {
			return nil, fmt.Errorf("image_arg %q: %q is not an option's value", arg, w)
		}
		opt := "-" + strings.TrimLeft(w, "-")
		if !pathOptions[opt] && !imageOptions[opt] {
			return nil, fmt.Errorf("image_arg %q: option %s is not allowed (only options that attach the job's images: -drive, -device, -kernel, -initrd, -dtb, -bios, -cdrom, -append …)", arg, w)
		}
		if i+1 >= len(words) {
			return nil, fmt.Errorf("image_arg %q: %s needs a value", arg, w)
		}
		i++
		v := words[i]
		switch {
		case opt == "-append":
			// the guest's kernel command line: data for the guest
		case pathOptions[opt]:
			if !placeholderRE.MatchString(v) || placeholderRE.FindString(v) != v {
				return nil, fmt.Errorf("image_arg %q: %s takes a {placeholder} of the job's images, not %q", arg, w, v)
			}
		default:
			if err := checkSubOptions(v); err != nil {
				return nil, fmt.Errorf("image_arg %q: %s %v", arg, w, err)
			}
		}
	}
	return words, nil
}

// checkSubOptions checks a -drive/-device value (key=value,…): a file is a
// {placeholder}, and no other part names a host path.
func checkSubOptions(v string) error {
	for _, part := range strings.Split(v, ",") {
		k, val, hasVal := strings.Cut(part, "=")
		if !hasVal {
			continue
		}
		if fileKeys[k] {
			if placeholderRE.FindString(val) != val {
				return fmt.Errorf("%s= takes a {placeholder} of the job's images, not %q", k, val)
			}
			continue
		}
		if strings.Contains(placeholderRE.ReplaceAllString(val, ""), "/") {
			return fmt.Errorf("%s=%q: a host path is not allowed here", k, val)
		}
	}
	return nil
}

// substitute replaces the placeholders in each word (LAVA's substitute
// without dropping): a value stays inside its word.
func substitute(words []string, subs map[string]string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = placeholderRE.ReplaceAllStringFunc(w, func(p string) string {
			if v, ok := subs[p]; ok {
				return v
			}
			return p
		})
	}
	return out
}

// nfsAppend is qemu-nfs's kernel command line from the device's append block.
func nfsAppend(app map[string]any, subs map[string]string) string {
	s := func(k string) string {
		if v, ok := app[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	root := substitute([]string{s("nfsrootargs")}, subs)[0]
	return strings.Join([]string{"console=" + s("console"), "root=/dev/nfs", root + " rw", s("ipargs")}, " ")
}

// archCommand is the QEMU binary of an arch (LAVA's qemu.jinja2).
func archCommand(arch string) string {
	switch arch {
	case "arm64", "aarch64":
		return "qemu-system-aarch64"
	case "amd64", "x86_64":
		return "qemu-system-x86_64"
	}
	return "qemu-system-" + arch
}
