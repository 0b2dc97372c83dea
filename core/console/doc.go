// Package console is the device console of lavacore: transports, LAVA's
// expect semantics, transcripts and line logging, and device (power)
// commands.
//
// # Transports
//
// Open (or Dial, which also starts a Console) chooses from an
// sdk.ConsoleSpec: Command runs a connection_command on a pty in its own
// process group (telnet, socat, ser2net setups; Close kills the group);
// TCP dials host:port ("unix:/path" or an absolute path: a unix socket);
// Serial opens a serial device (go.bug.st/serial, see OpenSerial) with
// Baud, DataBits, Parity, StopBits and FlowControl (default 115200 8N1, no
// flow control), raw and locked for this process alone; SSH logs in and
// opens a shell on a pty — host keys are NOT checked, as LAVA's
// StrictHostKeyChecking=no. Socket and ssh connections are retried until
// the context's deadline, because a QEMU serial socket (which loses output
// while no client is connected with server,nowait) or sshd may still be
// starting.
//
// # Expect
//
// Console.Expect reproduces pexpect as LAVA spawns it (maxread 4092,
// searchwindowsize 8184): the earliest match in the output wins, ties go to
// the first pattern, only the last Window bytes are searched (memory stays
// bounded whatever the device prints), and a match consumes the output up
// to its end. Data is not lost when nobody waits: the reader keeps up to
// 4 MiB unread, then stops reading (back-pressure on the device) until the
// next Expect. On a pty or a socket an Expect with nothing left to search
// reads the transport itself (its read bounded by the timeout, a
// cancellation interrupts it) rather than wait for the reader goroutine's
// hand-off; the reader goroutine reads again once no Expect has read for
// 5 ms (see direct.go).
//
// The search is exact but avoids running the regexp engine where it can:
// a pattern whose matches all begin with one of a few literals (most LAVA
// patterns) is only tried where such a literal occurs (found with
// bytes.Index, and remembered across searches of the same stream); a
// pattern made of literals and repeated classes that cannot run into the
// next literal (<LAVA_SIGNAL_(\S+) ([^>]+)>) is matched by a one-pass
// matcher; another one (the test shell's signals.Pattern, an alternation)
// is tried with a DFA over ASCII bytes built once per pattern (dfa.go:
// regexp's own leftmost-first semantics; the regexp where a byte is not
// ASCII and for the submatches), on input cut where no match can reach
// (bound.go). Differential fuzz targets check them against plain regexp
// search and a naive pexpect loop.
//
// Patterns are Go regular expressions (RE2), matched against the raw bytes
// (windows and sizes are in bytes, LAVA's in characters). RE2 has no
// look-around ((?=…), (?!…), (?<=…), (?<!…)) and no back-references (\1,
// (?P=name)); such a pattern is a Test error naming it. (?P<name>…) works,
// Python's \Z is accepted (as \z). Unlike Python, $ without (?m) matches only
// at the very end of the text.
//
// ANSI: by default the output is matched raw, as in LAVA; busybox's ESC[6n
// before its prompt and GRUB/OVMF cursor positioning in the echo do not get
// in the way of prompt patterns. Options.StripANSI removes escape sequences
// before matching for text a terminal redraws. The log lines always have
// ESC bytes removed (LAVA's logger does the same).
//
// Errors: a timeout is a Job error wrapping an *sdk.TimeoutError (errors.As;
// errors.Is ErrTimeout) whose fields are the patterns, the wait
// and the last console lines, and which keeps them across the plugin wire;
// its message starts "wait for prompt timed out after …", names every
// pattern and quotes the last console lines, for people (code reads the
// fields); the connection closing is the Infrastructure error "Connection
// closed"; a bad pattern is a Test error.
//
// # Sending
//
// SendLine writes the text and Options.LineSep ("\n": LAVA's sendline never
// sends anything else), one character at a time with the character delay
// when one is set (SetCharDelay, WithCharDelay: the device's
// character_delays for the running section).
//
// # Transcript and log lines
//
// With Options.Dir set every byte read and written is recorded (see
// Recorder): console-<name>.log holds the raw bytes read, console-<name>.jsonl
// one {"t","dir","off","data"|"b64"} object per chunk read or written, plus
// open/close events. Options.Log receives every complete console line at
// level target and every sent line at level input (split on \r\r\n, \r\n or
// \n, ESC removed, see LineSplitter), plus debug "Sending line: '…'".
//
// # Device commands
//
// RunCommands runs power_on/power_off/hard_reset command lists, each split
// like Python's shlex (Split) and run without a shell.
package console
