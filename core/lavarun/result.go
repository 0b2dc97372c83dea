package lavarun

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/core/runner"
	"github.com/lavacore/lavacore/sdk"
)

// Result is lava-run's result.yaml: {case: job, definition: lava, result}
// and, on failure, error_msg and error_type. lava-worker reads `result`
// (default fail) and `error_type` and reports them to the server. The keys
// are in PyYAML's sorted order.
type Result struct {
	Case       string `yaml:"case"`
	Definition string `yaml:"definition"`
	ErrorMsg   string `yaml:"error_msg,omitempty"`
	ErrorType  string `yaml:"error_type,omitempty"`
	Result     string `yaml:"result"`
}

// ResultOf is the result of the (one) sub-job lava-run ran.
func ResultOf(o *runner.Outcome) Result {
	if o == nil || len(o.SubJobs) == 0 {
		return Result{Result: "fail", ErrorMsg: "no sub-job ran", ErrorType: string(sdk.Bug)}
	}
	s := o.SubJobs[0]
	if s.Health == "Complete" {
		return Result{Result: "pass"}
	}
	r := Result{Result: "fail", ErrorMsg: s.Error, ErrorType: s.Type}
	if r.ErrorType == "" {
		r.ErrorType = string(sdk.Bug)
	}
	if r.ErrorMsg == "" {
		r.ErrorMsg = "Unknown error"
	}
	return r
}

// WriteResult writes result.yaml.
func WriteResult(path string, r Result) error {
	r.Case, r.Definition = "job", "lava"
	b, err := yaml.Marshal(r)
	if err != nil {
		return fmt.Errorf("result.yaml: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write result.yaml: %w", err)
	}
	return nil
}

// WriteDescription writes LAVA's description.yaml ({compatibility,
// pipeline}) at path: the compatibility lava-server wrote into the job file,
// then the pipeline lavacore's runner described (at pipelineFile). Without
// the pipeline (the job never got that far) nothing is written, as lava-run.
func WriteDescription(path, jobFile, pipelineFile string) error {
	pipe, err := os.ReadFile(pipelineFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("description.yaml: %w", err)
	}
	var buf bytes.Buffer
	if c, ok := compatibility(jobFile); ok {
		fmt.Fprintf(&buf, "compatibility: %d\n", c)
	}
	buf.Write(pipe)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write description.yaml: %w", err)
	}
	return nil
}

// compatibility reads the job file's top-level compatibility.
func compatibility(jobFile string) (int, bool) {
	b, err := readSmall(jobFile)
	if err != nil {
		return 0, false
	}
	var top struct {
		Compatibility *int `yaml:"compatibility"`
	}
	if yaml.Unmarshal(b, &top) != nil || top.Compatibility == nil {
		return 0, false
	}
	return *top.Compatibility, true
}

// loadEnvDUT reads env-dut.yaml and builds the DUT's environment from it
// and environ (lava-run's own); no file, or an empty one, is none. A file
// that is not valid fails the job, as in LAVA.
func loadEnvDUT(path string, environ []string, log *report.Log) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := readSmall(path)
	if err != nil {
		return nil, fmt.Errorf("env-dut: %w", err)
	}
	e, err := ParseEnvDUT(path, b)
	if err != nil || e == nil {
		return nil, err
	}
	env, warnings := e.Environment(environ)
	sort.Strings(warnings)
	for _, w := range warnings {
		log.Add("warning", w)
	}
	return env, nil
}

// ErrorHelp is lava-run's error_help line for each error type (lava_common/exceptions.py).
func ErrorHelp(t sdk.ErrorType) string {
	switch t {
	case sdk.Infrastructure:
		return "InfrastructureError: The Infrastructure is not working correctly. Please report this error to LAVA admins."
	case sdk.Job:
		return "JobError: Your job cannot terminate cleanly."
	case sdk.Test:
		return "TestError: A test failed to run, look at the error message."
	case sdk.Configuration:
		return "ConfigurationError: The LAVA instance is not configured correctly. Please report this error to LAVA admins."
	case sdk.Canceled:
		return "JobCanceled: The job was canceled"
	}
	return "LAVABug: This is probably a bug in LAVA, please report it."
}
