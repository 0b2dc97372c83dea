package pipelinetest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/plugins/uboot"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// ubootRefsIdentical is the number of U-Boot refs (rows of refs.tsv whose
// device boots with u-boot) lavacore describes exactly as LAVA: the test
// fails when it drops below.
const ubootRefsIdentical = 9

// refRow is a row of refs.tsv.
type refRow struct{ ref, device, deviceType, job string }

func loadRefRows(t *testing.T) []refRow {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, "refs.tsv"))
	if err != nil {
		t.Skipf("LAVA fixtures absent: %v", err)
	}
	defer f.Close()
	var rows []refRow
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 4 {
			continue
		}
		rows = append(rows, refRow{cols[0], cols[1], cols[2], cols[3]})
	}
	return rows
}

// describeRef builds the ref's sample job on its rendered device, as
// `lavacore describe sample_jobs/<job> --lava-device ref-devices/<ref>`, with
// HEAD's overlay (no lava-vland-overlay).
func describeRef(reg *sdktest.Registry, row refRow) ([]string, *pipeline.Pipeline, error) {
	j, diags := job.LoadWith(filepath.Join(fixtures, "sample_jobs", row.job), job.Options{Methods: reg.Infos()})
	if len(diags) > 0 {
		return nil, nil, errors.New(diags[0].String())
	}
	d, probs := lavayaml.LoadFile(filepath.Join(fixtures, "ref-devices", row.ref),
		lavayaml.Options{Name: row.device, Type: j.DeviceType, Spec: pipeline.SpecFunc(reg)})
	if probs.HasErrors() {
		return nil, nil, probs
	}
	p, err := pipeline.Build(j, d, reg, testDisp)
	if err != nil {
		return nil, nil, err
	}
	var got []string
	flattenShort(dropVLAN(p.Describe(), ""), &got)
	return got, p, nil
}

// flattenShort is what conformance compares: level, name, class, timeout,
// max_retries (and a download's url), in order.
func flattenShort(ds []pipeline.Description, out *[]string) {
	for _, d := range ds {
		line := strings.Join([]string{d.Level, d.Name, d.Class, strconv.FormatFloat(d.Timeout, 'f', -1, 64), strconv.Itoa(d.MaxRetries)}, " ")
		if d.URL != "" {
			line += " " + d.URL
		}
		*out = append(*out, line)
		flattenShort(d.Pipeline, out)
	}
}

// ubootActionRE and ubootTypeRE pick the U-Boot refs: a pipeline with an
// action of boot u-boot, minimal or bootloader or of deploy nfs, or a device
// of the U-Boot families.
var (
	ubootActionRE = regexp.MustCompile(`(?m)name: (uboot-action|minimal-boot|boot-bootloader-retry|nfs-deploy)$`)
	ubootTypeRE   = regexp.MustCompile(`^(beaglebone-black|x15|x15-bl|b2260|cubietruck|juno-uboot|imx.*|zcu102)$`)
)

// isUBootRef: the ref is one of the U-Boot family's.
func isUBootRef(row refRow) bool {
	src, err := os.ReadFile(filepath.Join(fixtures, "pipeline_refs", row.ref))
	if err != nil {
		return false
	}
	return ubootActionRE.Match(src) || ubootTypeRE.MatchString(row.deviceType)
}

// TestUBootConformance describes every U-Boot ref and compares it with
// LAVA's pipeline_refs: it prints the identical count and the first
// difference of each other ref.
func TestUBootConformance(t *testing.T) {
	rows := loadRefRows(t)
	reg := builtinRegistry(t, command.Methods()...)
	raw := map[string]sdk.Method{}
	for _, m := range append(uboot.Methods(), tftp.Methods()...) {
		raw[m.Info().Key()] = m
	}
	identical, total := 0, 0
	var report []string
	for _, row := range rows {
		if !isUBootRef(row) {
			continue
		}
		total++
		var want []string
		flattenShort(loadRef(t, row.ref), &want)
		got, p, err := describeRef(reg, row)
		if err != nil {
			report = append(report, row.ref+": "+firstLine(err.Error()))
			continue
		}
		// every action the U-Boot family's methods declare has code
		for _, n := range p.Actions {
			if m := raw[n.Method.Info().Key()]; m != nil {
				for _, d := range m.Validate(context.Background(), *n.Request) {
					if d.Severity == sdk.SevError {
						t.Errorf("%s: %s %s: %s", row.ref, n.Level, d.Path, d.Summary)
					}
				}
				for _, problem := range sdktest.MissingActions(m, *n.Request) {
					t.Errorf("%s: %s", row.ref, problem)
				}
			}
		}
		if row.ref == os.Getenv("LAVACORE_REF_DIFF") {
			t.Logf("%s (-lava +lavacore):\n%s", row.ref, cmp.Diff(want, got))
		}
		first := ""
		for i := 0; i < len(want) || i < len(got); i++ {
			w, g := "(none)", "(none)"
			if i < len(want) {
				w = want[i]
			}
			if i < len(got) {
				g = got[i]
			}
			if w != g {
				first = "lava " + w + " | lavacore " + g
				break
			}
		}
		if first == "" {
			identical++
			report = append(report, row.ref+": identical")
			continue
		}
		report = append(report, row.ref+": "+first)
	}
	t.Logf("U-Boot refs identical: %d of %d\n%s", identical, total, strings.Join(report, "\n"))
	if identical < ubootRefsIdentical {
		t.Errorf("%d U-Boot refs identical, fewer than the %d recorded", identical, ubootRefsIdentical)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
