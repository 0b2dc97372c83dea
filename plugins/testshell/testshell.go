// Package testshell is the test "definitions" method: LAVA's lava-test-retry
// → lava-test-shell, or multinode-test in a MultiNode sub-job. It runs the
// overlay's lava-test-runner on the device and turns the console's signals
// into results.
package testshell

import (
	"context"
	"fmt"
	"regexp"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

type method struct{ sdk.Actions }

// New returns the test/definitions method.
func New() sdk.Method { return method{actions()} }

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{New()} }

func (method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionTest, Name: "definitions", Description: "Executing lava-test-runner",
		JobParams: JobParams}
}

// JobParams are the keys of a test block with definitions (LAVA's
// test/definitions schema, and with docker its docker test shell's).
var JobParams = []sdk.ParamSpec{
	{Key: "name", Type: sdk.ParamScalar, Pattern: `^[-_a-zA-Z0-9.]+$`},
	{Key: "definitions", Type: sdk.ParamDefinitions, Required: true, Doc: "The test definitions to run, in order."},
	{Key: "docker", Type: sdk.ParamDocker, With: "docker", Doc: "Run the definitions in this container."},
	{Key: "downloads-namespace", Type: sdk.ParamString, With: "docker"},
	{Key: "disconnect_connection", Type: sdk.ParamBool, With: "docker"},
}

func (method) Accepts(req sdk.Request) (bool, string) {
	if _, ok := req.Block.Params["definitions"]; !ok {
		return false, `"definitions" not in parameters`
	}
	return true, "accepted"
}

// MultiNode reports whether the job is a MultiNode sub-job (its test blocks
// become multinode-test, not wrapped in lava-test-retry).
func MultiNode(j sdk.JobInfo) bool { return j.Role != "" || j.TargetGroup != "" }

func (method) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	list, _ := req.Block.Params["definitions"].([]any)
	for _, d := range list {
		if m, ok := d.(map[string]any); ok {
			from, _ := m["from"].(string)
			if _, err := actionspec.RepoAction(from); err != nil {
				return sdk.ActionSpec{}, err
			}
		}
	}
	if hasDocker(req.Block) {
		return describeDocker(req)
	}
	if MultiNode(req.Job) {
		return sdk.ActionSpec{Name: "multinode-test", Class: "MultinodeTestAction", TimeoutError: sdk.Test,
			Description: "Executing lava-test-runner", Summary: "Multinode Lava Test Shell"}, nil
	}
	return sdk.ActionSpec{Name: "lava-test-retry", Class: "TestShellRetry", Retry: true, TimeoutError: sdk.Test,
		Description: "Retry wrapper for lava-test-shell", Summary: "Retry support for Lava Test Shell",
		Children: []sdk.ActionSpec{{Name: "lava-test-shell", Class: "TestShellAction", TimeoutError: sdk.Test,
			Description: "Executing lava-test-runner", Summary: "Lava Test Shell"}}}, nil
}

var nameRE = regexp.MustCompile(`^[\w\d\_\-]+$`)

func (method) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	list, ok := req.Block.Params["definitions"].([]any)
	if !ok {
		return sdk.Diagnostics{{Path: "definitions", Summary: "expected a list"}}
	}
	if hasDocker(req.Block) {
		diags = append(diags, validateDocker(req)...)
	}
	seen := map[string]bool{}
	for i, d := range list {
		path := fmt.Sprintf("definitions[%d]", i)
		m, ok := d.(map[string]any)
		if !ok {
			diags = append(diags, sdk.Diagnostic{Path: path, Summary: "expected a dictionary"})
			continue
		}
		name, _ := m["name"].(string)
		switch {
		case name == "":
			diags = append(diags, sdk.Diagnostic{Path: path + ".name", Summary: "required key not provided: name"})
		case !nameRE.MatchString(name):
			diags = append(diags, sdk.Diagnostic{Path: path + ".name", Summary: "Invalid characters found in test definition name: " + name})
		case name == "lava":
			diags = append(diags, sdk.Diagnostic{Path: path + ".name", Summary: "The name 'lava' is reserved for LAVA's own results"})
		case seen[name]:
			diags = append(diags, sdk.Diagnostic{Path: path + ".name", Summary: "Test definition names need to be unique."})
		}
		seen[name] = true
		from, _ := m["from"].(string)
		if _, err := actionspec.RepoAction(from); err != nil {
			diags = append(diags, sdk.Diagnostic{Path: path + ".from", Summary: err.Error()})
		}
		if _, ok := m["repository"]; !ok {
			diags = append(diags, sdk.Diagnostic{Path: path + ".repository", Summary: "required key not provided: repository"})
		}
		if from != "inline" {
			if _, ok := m["path"].(string); !ok {
				diags = append(diags, sdk.Diagnostic{Path: path + ".path", Summary: "required key not provided: path"})
			}
		}
	}
	return diags
}
