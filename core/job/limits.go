package job

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk/safejoin"
)

// Limits on numbers a job may hold. LAVA sets none; these are far above any
// real job and keep every value a valid time.Duration (which overflows after
// 292 years: `seconds: 18446744074` used to wrap to 0.29 s).
const (
	// MaxTimeout bounds every timeout of a job (job, action, connection,
	// named action and MultiNode role timeouts, failure_retry_interval).
	MaxTimeout = 365 * 24 * time.Hour
	// MaxRetries bounds failure_retry, repeat and the context's failure_retry/boot_retry.
	MaxRetries = 1000
	// MaxGroupSize bounds the number of sub-jobs of a MultiNode group.
	MaxGroupSize = 1000
	// MaxCharacterDelay bounds the context's *_character_delay (milliseconds).
	MaxCharacterDelay = 10000
)

// timeoutUnits is each timeout unit with its length.
var timeoutUnits = map[string]time.Duration{
	"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute, "seconds": time.Second,
}

// maxUnits is the largest value of a timeout unit.
func maxUnits(unit string) int { return int(MaxTimeout / timeoutUnits[unit]) }

// intRange checks an integer between min and max; why explains the maximum.
func intRange(min, max int, why string) checker {
	return func(v *validator, n *yaml.Node, path string) {
		i, ok := intOf(n)
		if !ok {
			v.errAt(n, path, "expected int")
			return
		}
		if i < min {
			v.errAt(n, path, "value must be at least %d", min)
		}
		if i > max {
			v.errAt(n, path, "value must be at most %d (%s)", max, why)
		}
	}
}

var timeoutWhy = fmt.Sprintf("a timeout is at most %d days", int(MaxTimeout/(24*time.Hour)))

// relPath checks a path that is joined below a directory of the dispatcher:
// in is what it is relative to ("the repository").
func relPath(in string) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if !isScalar(n) || isNull(n) {
			v.errAt(n, path, "expected str")
			return
		}
		if x := resolve(n).Value; safejoin.Rel(x) != nil {
			v.errAt(n, path, "must be a relative path inside %s, without \"..\": %q", in, x)
		}
	}
}

// fileName checks a name that becomes one file of a directory.
func fileName(v *validator, n *yaml.Node, path, name string) {
	if safejoin.Rel(name) != nil || strings.ContainsAny(name, "/") {
		v.errAt(n, path, "must be a file name, without \"/\" or \"..\": %q", name)
	}
}

// notOption wraps c: the value must not start with "-", where an external
// command (git) would read it as an option.
func notOption(c checker) checker { return notOptionOf("git", c) }

// notOptionOf is notOption for the values given to command.
func notOptionOf(command string, c checker) checker {
	return func(v *validator, n *yaml.Node, path string) {
		c(v, n, path)
		if isScalar(n) && strings.HasPrefix(resolve(n).Value, "-") {
			v.errAt(n, path, "must not start with \"-\" (%s would read it as an option): %q", command, resolve(n).Value)
		}
	}
}

// downloadSchemes are the url schemes LAVA's download actions handle (rclone since LAVA 2025; lavacore's own downloads refuse it at run time).
var downloadSchemes = []string{"http", "https", "file", "scp", "downloads", "rclone"}

// urlValue checks a url and its scheme (LAVA checks the scheme only when the
// download action is validated; lavacore says it where the url is written).
func urlValue(schemes ...string) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if !isStr(n) || resolve(n).Value == "" {
			nonEmptyStr(v, n, path)
			return
		}
		raw := resolve(n).Value
		u, err := url.Parse(raw)
		if err != nil {
			v.errAt(n, path, "Invalid URL %q: %v", raw, errorsCause(err))
			return
		}
		for _, s := range schemes {
			if strings.EqualFold(u.Scheme, s) {
				return
			}
		}
		if u.Scheme == "" {
			v.errAt(n, path, "Unsupported url protocol scheme: none in %q (one of %s)", raw, strings.Join(schemes, ", "))
			return
		}
		v.errAt(n, path, "Unsupported url protocol scheme: %s (one of %s)", u.Scheme, strings.Join(schemes, ", "))
	}
}

func errorsCause(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// resultsDirRE is what a lava_test_results_dir may hold: it is typed into the
// device's shell and written unquoted into the overlay's scripts.
var resultsDirRE = regexp.MustCompile(`^[A-Za-z0-9._+/-]*(%s)?[A-Za-z0-9._+/-]*$`)

// resultsDir checks lava_test_results_dir: an absolute path on the device
// (LAVA's default is /lava-%s), without ".." (the dispatcher builds the overlay
// at that path inside its own tree).
func resultsDir(v *validator, n *yaml.Node, path string) {
	if !isStr(n) {
		v.errAt(n, path, "expected str")
		return
	}
	x := resolve(n).Value
	if safejoin.Device(strings.ReplaceAll(x, "%s", "1")) != nil {
		v.errAt(n, path, "must be an absolute path on the device, without \"..\": %q", x)
		return
	}
	if !resultsDirRE.MatchString(x) {
		v.errAt(n, path, "may only hold letters, digits, \".\", \"_\", \"+\", \"-\", \"/\" and one %%s (the job id): %q", x)
	}
}

// contextNumber checks a context variable that is a number (an int, or a
// string holding one, as templates write them) between min and max.
func contextNumber(min, max int, why string) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if isStr(n) {
			i, err := strconv.Atoi(strings.TrimSpace(resolve(n).Value))
			if err != nil {
				v.errAt(n, path, "expected int")
				return
			}
			if i < min || i > max {
				v.errAt(n, path, "value must be between %d and %d (%s)", min, max, why)
			}
			return
		}
		intRange(min, max, why)(v, n, path)
	}
}

// groupSize checks the total of the roles' counts.
func groupSize(v *validator, j *Job, rolesNode *yaml.Node) {
	total := 0
	for _, name := range j.MultiNode.Order {
		if c := j.MultiNode.Roles[name].Count; c > 0 {
			total += min(c, MaxGroupSize+1)
		}
	}
	if total > MaxGroupSize {
		v.errAt(rolesNode, "protocols.lava-multinode.roles", "the group has more than %d sub-jobs", MaxGroupSize)
	}
}
