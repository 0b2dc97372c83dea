#!/usr/bin/env python3
"""The pexpect side of BenchmarkPexpectCat (core/console/bench_test.go).

Runs `cat FILE` on a pty with pexpect, as LAVA spawns a connection
(utf-8, codec errors replaced, maxread 4092, search window 8184), and
waits with expect() for the earliest of PATTERNS (Python re; the Go
benchmark passes the list it gives Console.Expect) over and over until
EOF, as LAVA's test shell does. Prints "matches N bytes B": the number of
matches and the characters consumed (before + match), to compare with
the Go side.

    python3 pexpect_cat.py FILE PATTERN...
"""

import sys

import pexpect


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: pexpect_cat.py FILE PATTERN...\n")
        return 2
    path, patterns = sys.argv[1], sys.argv[2:]
    child = pexpect.spawn(
        "cat",
        [path],
        encoding="utf-8",
        codec_errors="replace",
        maxread=4092,
        searchwindowsize=8184,
        timeout=60,
    )
    # Compiled once, as expect_list does; EOF ends the loop.
    compiled = child.compile_pattern_list(patterns + [pexpect.EOF])
    eof = len(patterns)
    matches = consumed = 0
    while True:
        i = child.expect_list(compiled)
        if i == eof:
            break
        matches += 1
        consumed += len(child.before) + len(child.after)
    child.close()
    print("matches %d bytes %d" % (matches, consumed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
