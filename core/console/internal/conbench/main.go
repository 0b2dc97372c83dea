// Command conbench measures the console engine as a whole process: it runs
// `cat FILE` on a pty and either reads it raw (-raw, the baseline) or waits
// through it with the test shell's ten patterns, as the lava test shell
// does, printing matches, bytes and seconds.
//
//	go run ./core/console/internal/conbench -raw /tmp/console.log
//	go run ./core/console/internal/conbench /tmp/console.log
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/sdk"
)

var patterns = []string{
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

func main() {
	raw := flag.Bool("raw", false, "read the pty raw (baseline)")
	logDir := flag.String("log", "", "also write the transcript here and split lines for the log")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: conbench [-raw] [-log DIR] FILE")
		os.Exit(2)
	}
	start := time.Now()
	ctx := context.Background()
	spec := sdk.ConsoleSpec{Command: "cat " + flag.Arg(0)}
	n, matches := 0, 0
	if *raw {
		conn, err := console.Open(ctx, spec)
		if err != nil {
			fail(err)
		}
		buf := make([]byte, 32<<10)
		for {
			k, err := conn.Read(buf)
			n += k
			if err != nil {
				break
			}
		}
		conn.Close()
	} else {
		opts := console.Options{Name: "bench", Dir: *logDir}
		if *logDir != "" {
			opts.Log = func(sdk.LogLevel, string) {}
		}
		c, err := console.Dial(ctx, spec, opts)
		if err != nil {
			fail(err)
		}
		for {
			m, err := c.Expect(ctx, patterns, time.Minute)
			if err != nil {
				if err.Error() != "Connection closed" {
					fail(err)
				}
				break
			}
			matches++
			n += len(m.Before) + len(m.Text)
		}
		c.Close()
	}
	d := time.Since(start)
	fmt.Printf("matches %d bytes %d seconds %.3f MB/s %.1f\n", matches, n, d.Seconds(), float64(n)/d.Seconds()/1e6)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "conbench:", err)
	os.Exit(1)
}
