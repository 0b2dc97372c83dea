package pipeline

import (
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
