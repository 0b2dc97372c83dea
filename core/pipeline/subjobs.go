package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/sdk"
)

// SubJob is one (sub-)job with the device it runs on (for a guest with
// `connection: ssh`, device.GuestDevice of its host's device).
type SubJob struct {
	Job    *job.Job
	Device *device.Device
}

// DescribeSubJobs builds every sub-job's pipeline and returns what
// `lavacore describe` prints: `- sub_job: {role, sub_id}` then `pipeline:`.
func DescribeSubJobs(subs []SubJob, reg Registry, disp sdk.Dispatcher) ([]SubJobDescription, error) {
	out := make([]SubJobDescription, 0, len(subs))
	for _, s := range subs {
		p, err := Build(s.Job, s.Device, reg, disp)
		if err != nil {
			return nil, err
		}
		out = append(out, SubJobDescription{SubJob: SubJobID{Role: s.Job.Role, SubID: s.Job.SubID}, Pipeline: p.Describe()})
	}
	return out, nil
}

// SpecFunc returns the device-type block schema of each registered method,
// for device.LoadOptions.Spec.
func SpecFunc(reg Registry) func(key string) *sdk.BlockSpec {
	return func(key string) *sdk.BlockSpec {
		for _, m := range reg.All() {
			if m.Info().Key() == key {
				return m.Info().DeviceSpec
			}
		}
		return nil
	}
}

// DispatcherOf returns the dispatcher a lab describes.
func DispatcherOf(lab *device.Lab) sdk.Dispatcher {
	return sdk.Dispatcher{IP: lab.DispatcherIP, TFTPRoot: lab.TFTPRoot, NFSRoot: lab.NFSRoot, AllowedFileDirs: lab.AllowedFileDirs,
		LavaVersion: lab.LavaVersion, CacheDir: lab.CacheDir, CacheMaxBytes: lab.CacheMaxBytes}
}

// AssignDevices picks the device of each sub-job (subs as job.Split returns
// them; a single-node job is its own only sub-job). roles is the original
// job's lava-multinode roles (nil for single-node jobs). A device role gets
// pin (--device), else the job's `device:`, else the first device of its
// type in the lab (by name), resolved with the sub-job's context. A role with
// `connection: ssh` gets device.GuestDevice of its host_role's device.
func AssignDevices(subs []*job.Job, roles map[string]*job.Role, lab *device.Lab, pin string) ([]SubJob, error) {
	out := make([]SubJob, len(subs))
	byRole := map[string]*device.Device{}
	used := map[string]bool{}
	var guests []int
	for i, s := range subs {
		out[i].Job = s
		if r := roles[s.Role]; r != nil && r.Connection != "" {
			guests = append(guests, i)
			continue
		}
		name := pin
		if name == "" {
			name = s.Device
		}
		if name == "" {
			dt := s.DeviceType
			if dt == "" && roles[s.Role] != nil {
				dt = roles[s.Role].DeviceType
			}
			cands := lab.DevicesOfType(dt)
			if len(cands) == 0 {
				return nil, sdk.ConfigErrorf("%s: no device of type %q in the lab %s%s", subName(s), dt, lab.Dir, typesHint(lab))
			}
			name = cands[0].Name
			for _, c := range cands {
				if !used[c.Name] {
					name = c.Name
					break
				}
			}
		}
		used[name] = true
		d := lab.Devices[name]
		if d == nil || len(s.Context) > 0 {
			var diags hcl.Diagnostics
			d, diags = lab.Device(name, s.Context)
			if diags.HasErrors() {
				return nil, sdk.ConfigErrorf("%s: device %s: %s", subName(s), name, diagsText(diags))
			}
		}
		out[i].Device = d
		if _, ok := byRole[s.Role]; !ok {
			byRole[s.Role] = d
		}
	}
	for _, i := range guests {
		s := subs[i]
		r := roles[s.Role]
		host, ok := byRole[r.HostRole]
		if !ok {
			return nil, sdk.ConfigErrorf("%s: host_role %q has no device sub-job", subName(s), r.HostRole)
		}
		out[i].Device = device.GuestDevice(host)
	}
	return out, nil
}

// diagsText joins the error diagnostics as "[file:line,col: ]summary: detail"
// (hcl's Error prints a missing subject as <nil>).
func diagsText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := d.Summary
		if d.Detail != "" {
			s += ": " + d.Detail
		}
		if d.Subject != nil {
			s = d.Subject.String() + ": " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func subName(s *job.Job) string {
	if s.Role == "" {
		return "job"
	}
	return fmt.Sprintf("role %s (sub_id %d)", s.Role, s.SubID)
}

func typesHint(lab *device.Lab) string {
	var ts []string
	for _, d := range lab.Devices {
		ts = append(ts, d.Type)
	}
	if len(ts) == 0 {
		return " (the lab has no devices)"
	}
	sort.Strings(ts)
	return " (device types in the lab: " + strings.Join(dedupe(ts), ", ") + ")"
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
