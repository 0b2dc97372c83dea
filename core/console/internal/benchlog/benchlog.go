// Package benchlog makes the console benchmarks' log: the 6.7 MB,
// 100,000-line test shell output (a third of the lines LAVA signals) that
// core/console's benchmarks and conbench run through a pty, and the
// pattern lists they wait for.
package benchlog

import (
	"fmt"
	"strings"

	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

// Signals is the one pattern plugins/testshell/run.go waits for while the
// test shell runs today: every marker candidate (signals.Pattern).
var Signals = []string{signals.Pattern}

// Lines is the number of lines of the standard benchmark log.
const Lines = 100000

// TestShell is the list plugins/testshell/run.go waited for before it
// waited for Signals (sdk/overlay's PatternExit, PatternInstallFail,
// PatternSignal, PatternMultiNode).
var TestShell = []string{
	`<LAVA_TEST_RUNNER EXIT>`,
	`<LAVA_TEST_RUNNER INSTALL_FAIL>`,
	`<LAVA_SIGNAL_(\S+) ([^>]*)>`,
	`<LAVA_MULTI_NODE> <LAVA_(\S+) ([^>]+)>`,
}

// TestShellKernel is ten patterns: the test shell's and the kernel
// messages' as LAVA waits for them while a test runs.
var TestShellKernel = []string{
	`<LAVA_TEST_RUNNER EXIT>`,
	`<LAVA_SIGNAL_(\S+) ([^>]+)>`,
	`-\[ cut here \]`,
	`Unhandled fault`,
	`BUG: KASAN:`,
	`Oops(?: -|:)`,
	`Kernel panic - not syncing`,
	`(kernel BUG at|BUG:)`,
	`invalid opcode:`,
	`root@lava:~# `,
}

// Log returns a console log of n lines (about 67 bytes each, ending in
// eol), a third of them LAVA signals, ending with the runner's exit, and
// the number of matches either pattern list finds in it.
func Log(n int, eol string) ([]byte, int) {
	var b strings.Builder
	signals := 0
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=case-%06d RESULT=pass>%s", i, eol)
			signals++
		case 1:
			fmt.Fprintf(&b, "+ echo step %06d: /usr/bin/some-command --with-arguments here%s", i, eol)
		default:
			fmt.Fprintf(&b, "[  %6d.123456] some output from the test on line %07d%s", i, i, eol)
		}
	}
	b.WriteString("<LAVA_TEST_RUNNER EXIT>" + eol)
	return []byte(b.String()), signals + 1
}
