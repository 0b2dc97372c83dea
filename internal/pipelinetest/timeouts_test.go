package pipelinetest

import (
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// LAVA's test_job.py::TestJobTimeouts on a juno-like device (download-retry
// 5 min, http-download 10 min): a tftp deploy of one kernel.
func TestTimeoutPrecedence(t *testing.T) {
	min := func(n int) *job.Timeout { return &job.Timeout{Duration: time.Duration(n) * time.Minute} }
	cases := []struct {
		name          string
		block         job.ActionBlock
		jobActions    map[string]job.Timeout
		retry, http   float64 // download-retry, http-download seconds
		retryAttempts int
	}{
		{name: "device timeouts", retry: 300, http: 600, retryAttempts: 1},
		{name: "failure_retry divides", block: job.ActionBlock{FailureRetry: 5}, retry: 300, http: 60, retryAttempts: 5},
		{name: "block timeout and failure_retry", block: job.ActionBlock{FailureRetry: 4, Timeout: min(2)}, retry: 120, http: 30, retryAttempts: 4},
		{name: "block named timeout", block: job.ActionBlock{Timeouts: map[string]job.Timeout{"http-download": *min(3)}}, retry: 300, http: 180, retryAttempts: 1},
		{name: "job named beats division", block: job.ActionBlock{FailureRetry: 5}, jobActions: map[string]job.Timeout{"http-download": *min(2)}, retry: 300, http: 120, retryAttempts: 5},
		{name: "block named beats job named", block: job.ActionBlock{FailureRetry: 5, Timeouts: map[string]job.Timeout{"http-download": {Duration: 20 * time.Second}}},
			jobActions: map[string]job.Timeout{"http-download": *min(2)}, retry: 300, http: 20, retryAttempts: 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.block
			b.Section, b.Method, b.Namespace = "deploy", "tftp", "common"
			b.Params = map[string]any{"to": "tftp", "kernel": map[string]any{"url": "http://example.com/Image"}}
			j := &job.Job{Name: "t", Actions: []job.ActionBlock{b},
				Timeouts: job.Timeouts{Job: min(60), Action: min(5), Actions: c.jobActions}}
			dev := &device.Device{Name: "juno", Type: "juno", Constants: map[string]any{"failure_retry": float64(1)},
				Methods:        map[string]map[string]any{"deploy/tftp": {}},
				ActionTimeouts: map[string]time.Duration{"download-retry": 5 * time.Minute, "http-download": 10 * time.Minute}}
			p, err := pipeline.Build(j, dev, builtinRegistry(t), testDisp)
			if err != nil {
				t.Fatal(err)
			}
			d := p.Describe()
			if d[0].Name != "tftp-deploy" || d[0].Pipeline[0].Name != "download-retry" {
				t.Fatalf("tree: %+v", d)
			}
			dr := d[0].Pipeline[0]
			if dr.Timeout != c.retry || dr.MaxRetries != c.retryAttempts || dr.Pipeline[0].Timeout != c.http {
				t.Errorf("download-retry %vs ×%d, http-download %vs; want %vs ×%d, %vs",
					dr.Timeout, dr.MaxRetries, dr.Pipeline[0].Timeout, c.retry, c.retryAttempts, c.http)
			}
		})
	}
}

func TestBootRetryConstant(t *testing.T) {
	j := &job.Job{Name: "t", Timeouts: job.Timeouts{Job: &job.Timeout{Duration: time.Hour}},
		Actions: []job.ActionBlock{{Section: "boot", Method: "ssh", Namespace: "common", Params: map[string]any{"method": "ssh", "prompts": []any{"#"}}}}}
	dev := &device.Device{Constants: map[string]any{"failure_retry": float64(2), "boot_retry": float64(4)},
		Methods: map[string]map[string]any{"boot/ssh": {}, "deploy/ssh": {}}}
	p, err := pipeline.Build(j, dev, builtinRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Actions[0]; n.MaxRetries != 4 || n.Children[3].Name != "auto-login-action" || n.Children[3].MaxRetries != 4 {
		t.Errorf("login-ssh ×%d, auto-login-action ×%d; want 4 (boot_retry)", n.MaxRetries, n.Children[3].MaxRetries)
	}
	j.Actions[0].FailureRetry = 2
	p, _ = pipeline.Build(j, dev, builtinRegistry(t), testDisp)
	if p.Actions[0].MaxRetries != 2 {
		t.Errorf("the job's failure_retry must win over boot_retry: %d", p.Actions[0].MaxRetries)
	}
}

func TestSelectError(t *testing.T) {
	j := &job.Job{Name: "t", Timeouts: job.Timeouts{Job: &job.Timeout{Duration: time.Hour}},
		Actions: []job.ActionBlock{{Section: "deploy", Method: "tftp", Namespace: "common", Params: map[string]any{"to": "tftp"},
			Pos: job.Pos{File: "job.yaml", Line: 12, Column: 3}}}}
	dev := &device.Device{Type: "ssh", Methods: map[string]map[string]any{"deploy/ssh": {}}}
	_, err := pipeline.Build(j, dev, builtinRegistry(t), testDisp)
	want := "job.yaml:12:3: actions[0].deploy.tftp: None of the deployment strategies accepted your deployment parameters, reasons given:\n" +
		"fastboot: \"to\" parameter is not \"fastboot\"\nnfs: \"to\" parameter is not \"nfs\"\nssh: \"to\" parameter is not \"ssh\"\ntftp: \"tftp\" is not in the device configuration deploy methods\ntmpfs: \"to\" parameter is not \"tmpfs\"\n"
	if err == nil || err.Error() != want || sdk.TypeOf(err) != sdk.Job {
		t.Errorf("err = %q, want %q", err, want)
	}
	j.Actions[0].Section, j.Actions[0].Method = "boot", "grub-efi"
	_, err = pipeline.Build(j, dev, builtinRegistry(t), testDisp)
	if err == nil || !strings.Contains(err.Error(), "None of the boot strategies accepted your boot parameters, reasons given:\nbootloader: \"method\" was not \"bootloader\"\nfastboot: \"method\" was not \"fastboot\"\ngrub: \"method\" was not \"grub\"\ngrub-efi: \"grub-efi\" was not in the device configuration boot methods\n") {
		t.Errorf("err = %q", err)
	}
}
