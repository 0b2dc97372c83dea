package lavarun

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Options are lava-run's command line, as LAVA's argparse parser defines it
// (lava/dispatcher/lava-run): the flags lava-worker passes and the rest.
type Options struct {
	JobID     string // --job-id ID (required)
	OutputDir string // --output-dir DIR (required)
	Validate  bool   // --validate: build and describe, do not run
	URL       string // --url URL: the server the log is sent to ("" = stderr)
	Token     string // --token: the job's token (the LAVA-Token header)
	// LogInterval is --job-log-interval SECONDS (default 5).
	LogInterval int
	Device      string // --device PATH (required): the rendered device file
	Dispatcher  string // --dispatcher PATH: dispatcher.yaml
	EnvDUT      string // --env-dut PATH: env-dut.yaml
	// SkipSudoWarning is LAVA HEAD's --skip-sudo-warning (lavacore never
	// requires root: accepted and ignored).
	SkipSudoWarning bool
	Debug           bool   // --debug (LAVA starts a remote pdb; lavacore logs debug records)
	Definition      string // the job file (required positional)
}

// ErrHelp is returned by Parse for -h/--help.
var ErrHelp = errors.New("help requested")

// UsageError is a command line argparse would refuse: lava-run prints the
// usage line and "PROG: error: MSG" and exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// optSpec is one option: its long name, metavar ("" for a flag) and what
// to do with its value.
type optSpec struct {
	name     string
	metavar  string
	required bool
	file     bool // argparse.FileType("r"): opened at parse time
	set      func(o *Options, v string) error
}

// specs lists the options in LAVA's order (which is argparse's order for
// "could match" and "required" messages).
func specs() []optSpec {
	str := func(f func(o *Options) *string) func(*Options, string) error {
		return func(o *Options, v string) error { *f(o) = v; return nil }
	}
	flag := func(f func(o *Options) *bool) func(*Options, string) error {
		return func(o *Options, _ string) error { *f(o) = true; return nil }
	}
	return []optSpec{
		{name: "--job-id", metavar: "ID", required: true, set: str(func(o *Options) *string { return &o.JobID })},
		{name: "--output-dir", metavar: "DIR", required: true, set: str(func(o *Options) *string { return &o.OutputDir })},
		{name: "--validate", set: flag(func(o *Options) *bool { return &o.Validate })},
		{name: "--url", metavar: "URL", set: str(func(o *Options) *string { return &o.URL })},
		{name: "--token", metavar: "token", set: str(func(o *Options) *string { return &o.Token })},
		{name: "--job-log-interval", metavar: "SECONDS", set: func(o *Options, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("invalid int value: %s", pyRepr(v))
			}
			o.LogInterval = n
			return nil
		}},
		{name: "--device", metavar: "PATH", required: true, file: true, set: str(func(o *Options) *string { return &o.Device })},
		{name: "--dispatcher", metavar: "PATH", file: true, set: str(func(o *Options) *string { return &o.Dispatcher })},
		{name: "--env-dut", metavar: "PATH", file: true, set: str(func(o *Options) *string { return &o.EnvDUT })},
		{name: "--skip-sudo-warning", set: flag(func(o *Options) *bool { return &o.SkipSudoWarning })},
		{name: "--debug", set: flag(func(o *Options) *bool { return &o.Debug })},
	}
}

// negNumber is what argparse takes for a value although it starts with "-".
var negNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

func isOption(a string) bool {
	return len(a) > 1 && a[0] == '-' && !negNumber.MatchString(a)
}

// Parse parses lava-run's arguments (without the program name) the way
// argparse does: --opt=value and --opt value, unique prefixes of the long
// names, the last of a repeated option, "--" ending the options, the files
// of --device, --dispatcher, --env-dut and the definition checked readable
// (LAVA 2023.01's argparse.FileType). Errors are *UsageError in argparse's
// words; -h/--help is ErrHelp.
func Parse(args []string) (Options, error) {
	o := Options{LogInterval: 5}
	all := specs()
	seen := map[string]bool{}
	var positional, extras []string
	onlyPositional := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if onlyPositional || !isOption(a) {
			positional = append(positional, a)
			continue
		}
		if a == "--" {
			onlyPositional = true
			continue
		}
		if a == "-h" || a == "--help" || (strings.HasPrefix(a, "--h") && strings.HasPrefix("--help", a)) {
			return o, ErrHelp
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") {
			extras = append(extras, a)
			continue
		}
		sp, err := match(all, name)
		if err != nil {
			return o, err
		}
		if sp == nil {
			extras = append(extras, a)
			continue
		}
		if sp.metavar == "" {
			if hasValue {
				return o, &UsageError{fmt.Sprintf("argument %s: ignored explicit argument %s", sp.name, pyRepr(value))}
			}
		} else if !hasValue {
			if i+1 >= len(args) || isOption(args[i+1]) {
				return o, &UsageError{fmt.Sprintf("argument %s: expected one argument", sp.name)}
			}
			i++
			value = args[i]
		}
		if sp.file {
			if err := readable(value); err != nil {
				return o, &UsageError{fmt.Sprintf("argument %s: %v", sp.name, err)}
			}
		}
		if err := sp.set(&o, value); err != nil {
			return o, &UsageError{fmt.Sprintf("argument %s: %v", sp.name, err)}
		}
		seen[sp.name] = true
	}
	if len(positional) > 0 {
		o.Definition = positional[0]
		extras = append(extras, positional[1:]...)
	}
	var missing []string
	for _, sp := range all {
		if sp.required && !seen[sp.name] {
			missing = append(missing, sp.name)
		}
	}
	if o.Definition == "" && len(positional) == 0 {
		missing = append(missing, "definition")
	}
	if len(missing) > 0 {
		return o, &UsageError{"the following arguments are required: " + strings.Join(missing, ", ")}
	}
	if err := readable(o.Definition); err != nil {
		return o, &UsageError{fmt.Sprintf("argument definition: %v", err)}
	}
	if len(extras) > 0 {
		return o, &UsageError{"unrecognized arguments: " + strings.Join(extras, " ")}
	}
	return o, nil
}

// match finds the option a long name (or a unique prefix of one) names.
func match(all []optSpec, name string) (*optSpec, error) {
	var hits []*optSpec
	for i := range all {
		if all[i].name == name {
			return &all[i], nil
		}
		if strings.HasPrefix(all[i].name, name) {
			hits = append(hits, &all[i])
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
		return hits[0], nil
	}
	names := make([]string, len(hits))
	for i, h := range hits {
		names[i] = h.name
	}
	return nil, &UsageError{fmt.Sprintf("ambiguous option: %s could match %s", name, strings.Join(names, ", "))}
}

// readable opens path for reading as argparse.FileType("r") does, and says
// why it cannot in Python's words.
func readable(path string) error {
	f, err := os.Open(path)
	if err == nil {
		f.Close()
		return nil
	}
	why := "No such file or directory"
	errno := 2
	switch {
	case errors.Is(err, os.ErrPermission):
		why, errno = "Permission denied", 13
	case !errors.Is(err, os.ErrNotExist):
		why, errno = err.Error(), 5
	}
	return fmt.Errorf("can't open %s: [Errno %d] %s: %s", pyRepr(path), errno, why, pyRepr(path))
}

// pyRepr quotes s as Python's repr of a str does (single quotes unless s has one).
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// Usage is argparse's usage line for prog, wrapped as argparse wraps it.
func Usage(prog string) string {
	parts := []string{"[-h]"}
	for _, sp := range specs() {
		p := sp.name
		if sp.metavar != "" {
			p += " " + sp.metavar
		}
		if !sp.required {
			p = "[" + p + "]"
		}
		parts = append(parts, p)
	}
	lead := "usage: " + prog + " "
	indent := strings.Repeat(" ", len(lead))
	var lines []string
	line := lead
	for _, p := range parts {
		if len(line)+len(p) > 78 && line != lead && line != indent {
			lines = append(lines, strings.TrimRight(line, " "))
			line = indent
		}
		line += p + " "
	}
	lines = append(lines, strings.TrimRight(line, " "), indent+"definition")
	return strings.Join(lines, "\n") + "\n"
}

// Help is the -h text.
func Help(prog string) string {
	return Usage(prog) + `
Runs a LAVA job as LAVA's lava-run does, with lavacore's dispatcher: the
command line lava-worker starts, the log streamed to the server, result.yaml
and description.yaml in the output directory.

positional arguments:
  definition            job definition

options:
  -h, --help            show this help message and exit
  --job-id ID           Job identifier. This alters process name for easier debugging
  --output-dir DIR      Directory for temporary resources
  --validate            validate the job file, do not execute any steps. The
                        description is saved into description.yaml
  --skip-sudo-warning   Allow to run as a non-root user (lavacore never needs root)
  --debug               Log debug records on stderr too (LAVA: start a remote pdb)

logging:
  --url URL             URL of the server to send logs
  --token token         token for server authentication
  --job-log-interval SECONDS
                        Time between two job log submissions to the server

configuration files:
  --device PATH         Device configuration
  --dispatcher PATH     Dispatcher configuration
  --env-dut PATH        DUT environment
`
}
