package console

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/lavacore/lavacore/sdk"
)

// ptyPair is a pseudo-terminal: the test plays the board on the master,
// the serial transport opens the slave's path as it would /dev/ttyUSB0.
func ptyPair(t *testing.T) (master *os.File, slavePath string, slave *os.File) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s.Name(), s
}

func TestSerialTransportOnPty(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  sdk.ConsoleSpec
		check func(t *testing.T, tio *unix.Termios)
	}{
		{"defaults 115200 8N1", sdk.ConsoleSpec{}, func(t *testing.T, tio *unix.Termios) {
			want(t, "speed", tio.Cflag&unix.CBAUD, unix.B115200)
			want(t, "size", tio.Cflag&unix.CSIZE, unix.CS8)
			want(t, "parity", tio.Cflag&unix.PARENB, 0)
			want(t, "stop", tio.Cflag&unix.CSTOPB, 0)
			want(t, "rtscts", tio.Cflag&unix.CRTSCTS, 0)
			want(t, "xon", tio.Iflag&(unix.IXON|unix.IXOFF), 0)
			want(t, "raw", tio.Lflag&(unix.ICANON|unix.ECHO), 0)
		}},
		{"9600 7E2 rtscts", sdk.ConsoleSpec{Baud: 9600, DataBits: 7, Parity: "even", StopBits: 2, FlowControl: "rtscts"}, func(t *testing.T, tio *unix.Termios) {
			want(t, "speed", tio.Cflag&unix.CBAUD, unix.B9600)
			// A pty keeps CS8 and no parity whatever is asked (Linux's
			// pty_set_termios); data bits and parity reach real UARTs only.
			want(t, "stop", tio.Cflag&unix.CSTOPB, unix.CSTOPB)
			want(t, "rtscts", tio.Cflag&unix.CRTSCTS, unix.CRTSCTS)
			want(t, "xon", tio.Iflag&(unix.IXON|unix.IXOFF), 0)
		}},
		{"57600 8O1 xonxoff", sdk.ConsoleSpec{Baud: 57600, Parity: "odd", FlowControl: "xonxoff"}, func(t *testing.T, tio *unix.Termios) {
			want(t, "speed", tio.Cflag&unix.CBAUD, unix.B57600)
			want(t, "parity odd", tio.Cflag&unix.PARODD, unix.PARODD)
			want(t, "rtscts", tio.Cflag&unix.CRTSCTS, 0)
			want(t, "xon", tio.Iflag&(unix.IXON|unix.IXOFF), unix.IXON|unix.IXOFF)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, path, slave := ptyPair(t)
			spec := tc.spec
			spec.Serial = path
			c, err := Dial(ctxT(t, 10*time.Second), spec, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if !strings.HasPrefix(c.conn.String(), "serial "+path+" ") {
				t.Errorf("String() = %q", c.conn.String())
			}
			tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, tio)

			// The board prints a prompt, reads a line and answers it.
			go func() {
				master.Write([]byte("U-Boot 2026.01\r\n=> "))
				line, _ := bufio.NewReader(master).ReadString('\n')
				fmt.Fprintf(master, "got %s\r\n=> ", strings.TrimSpace(line))
			}()
			ctx := ctxT(t, 10*time.Second)
			if _, err := c.Expect(ctx, []string{"=> "}, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := c.SendLine(ctx, "printenv bootcmd"); err != nil {
				t.Fatal(err)
			}
			m, err := c.Expect(ctx, []string{`got ([^\r]+)\r\n=> `}, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if m.Groups[0] != "printenv bootcmd" {
				t.Errorf("the board got %q", m.Groups[0])
			}
		})
	}
}

func want(t *testing.T, what string, got, w uint32) {
	t.Helper()
	if got != w {
		t.Errorf("%s: got %#x, want %#x", what, got, w)
	}
}

// A second opener (another job's console, or a forgotten minicom) must not
// share the port: it would take half the characters of the board's output.
func TestSerialTransport_SecondOpenerGetsInUse(t *testing.T) {
	_, path, _ := ptyPair(t)
	a, err := OpenSerial(SerialSettings{Port: path})
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenSerial(SerialSettings{Port: path})
	if err == nil || sdk.TypeOf(err) != sdk.Infrastructure || !strings.Contains(err.Error(), "serial console "+path+" is in use") {
		t.Fatalf("second open: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := OpenSerial(SerialSettings{Port: path})
	if err != nil {
		t.Fatalf("after Close the port is free again: %v", err)
	}
	b.Close()
}

func TestSerialTransportCloseEndsRead(t *testing.T) {
	_, path, _ := ptyPair(t)
	c, err := OpenSerial(SerialSettings{Port: path})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 64))
		done <- err
	}()
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Read after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a pending Read within 10s")
	}
}

// The board side going away (the master closing, a USB adapter pulled) ends
// the console with io.EOF, not an error loop.
func TestSerialTransportHangupIsEOF(t *testing.T) {
	master, path, slave := ptyPair(t)
	c, err := OpenSerial(SerialSettings{Port: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	slave.Close()
	master.Close()
	if _, err := c.Read(make([]byte, 64)); !errors.Is(err, io.EOF) {
		t.Errorf("Read after hangup: %v", err)
	}
}

func TestSerialTransportErrors(t *testing.T) {
	_, path, _ := ptyPair(t)
	notTTY := t.TempDir() + "/plain-file"
	os.WriteFile(notTTY, nil, 0o600)
	for _, tc := range []struct {
		name string
		s    SerialSettings
		typ  sdk.ErrorType
		want string
	}{
		{"missing", SerialSettings{Port: "/dev/ttyUSB-does-not-exist"}, sdk.Infrastructure, "serial console /dev/ttyUSB-does-not-exist does not exist"},
		{"not a tty", SerialSettings{Port: notTTY}, sdk.Infrastructure, "serial console " + notTTY + " is not a serial port"},
		{"no port", SerialSettings{}, sdk.Configuration, "no port given"},
		{"parity", SerialSettings{Port: path, Parity: "sometimes"}, sdk.Configuration, `parity "sometimes": must be one of none, odd, even, mark, space`},
		{"data bits", SerialSettings{Port: path, DataBits: 9}, sdk.Configuration, "data bits 9: must be 5, 6, 7 or 8"},
		{"stop bits", SerialSettings{Port: path, StopBits: 3}, sdk.Configuration, "stop bits 3: must be 1 or 2"},
		{"flow control", SerialSettings{Port: path, FlowControl: "hardware"}, sdk.Configuration, `flow control "hardware": must be one of none, rtscts, xonxoff`},
		{"baud", SerialSettings{Port: path, Baud: -5}, sdk.Configuration, "baud rate -5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OpenSerial(tc.s)
			if err == nil {
				c.Close()
				t.Fatal("opened")
			}
			if sdk.TypeOf(err) != tc.typ || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (%v), want %v %q", err, sdk.TypeOf(err), tc.typ, tc.want)
			}
		})
	}
}
