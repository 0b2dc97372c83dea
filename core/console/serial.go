package console

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"

	"github.com/lavacore/lavacore/sdk"
)

// SerialSettings is a serial line: the device path and its settings. Zero
// values are the defaults: 115200 baud, 8 data bits, no parity, one stop
// bit, no flow control.
type SerialSettings struct {
	Port        string
	Baud        int
	DataBits    int    // 5, 6, 7 or 8
	Parity      string // none, odd, even, mark, space
	StopBits    int    // 1 or 2
	FlowControl string // none, rtscts, xonxoff
}

// Serial line setting words, as device files spell them.
var (
	Parities     = []string{"none", "odd", "even", "mark", "space"}
	FlowControls = []string{"none", "rtscts", "xonxoff"}
)

// SerialSettingsOf takes the serial fields of spec.
func SerialSettingsOf(spec sdk.ConsoleSpec) SerialSettings {
	return SerialSettings{Port: spec.Serial, Baud: spec.Baud, DataBits: spec.DataBits, Parity: spec.Parity,
		StopBits: spec.StopBits, FlowControl: spec.FlowControl}
}

// withDefaults fills in the zero values.
func (s SerialSettings) withDefaults() SerialSettings {
	if s.Baud == 0 {
		s.Baud = 115200
	}
	if s.DataBits == 0 {
		s.DataBits = 8
	}
	if s.Parity == "" {
		s.Parity = "none"
	}
	if s.StopBits == 0 {
		s.StopBits = 1
	}
	if s.FlowControl == "" {
		s.FlowControl = "none"
	}
	return s
}

// String is "/dev/ttyUSB0 115200 8N1" (plus the flow control when there is one).
func (s SerialSettings) String() string {
	s = s.withDefaults()
	out := fmt.Sprintf("%s %d %d%s%d", s.Port, s.Baud, s.DataBits, strings.ToUpper(s.Parity[:1]), s.StopBits)
	if s.FlowControl != "none" {
		out += " " + s.FlowControl
	}
	return out
}

// mode checks s (with its defaults) and returns go.bug.st/serial's Mode.
func (s SerialSettings) mode() (*serial.Mode, error) {
	s = s.withDefaults()
	m := &serial.Mode{BaudRate: s.Baud, DataBits: s.DataBits}
	if s.Baud < 0 {
		return nil, fmt.Errorf("baud rate %d is not a positive number", s.Baud)
	}
	if s.DataBits < 5 || s.DataBits > 8 {
		return nil, fmt.Errorf("data bits %d: must be 5, 6, 7 or 8", s.DataBits)
	}
	switch s.Parity {
	case "none":
		m.Parity = serial.NoParity
	case "odd":
		m.Parity = serial.OddParity
	case "even":
		m.Parity = serial.EvenParity
	case "mark":
		m.Parity = serial.MarkParity
	case "space":
		m.Parity = serial.SpaceParity
	default:
		return nil, fmt.Errorf("parity %q: must be one of %s", s.Parity, strings.Join(Parities, ", "))
	}
	switch s.StopBits {
	case 1:
		m.StopBits = serial.OneStopBit
	case 2:
		m.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("stop bits %d: must be 1 or 2", s.StopBits)
	}
	switch s.FlowControl {
	case "none", "rtscts", "xonxoff":
	default:
		return nil, fmt.Errorf("flow control %q: must be one of %s", s.FlowControl, strings.Join(FlowControls, ", "))
	}
	return m, nil
}

// CheckSerial reports what is wrong with s's settings (nil: nothing), without opening the port.
func CheckSerial(s SerialSettings) error {
	if s.Port == "" {
		return errors.New("no serial port given")
	}
	_, err := s.mode()
	return err
}

type serialConn struct {
	serial.Port
	lock *os.File // holds the port's flock (exclusive access) until Close
	desc string
}

func (c *serialConn) String() string { return c.desc }

func (c *serialConn) Read(p []byte) (int, error) {
	n, err := c.Port.Read(p)
	if n == 0 {
		var pe *serial.PortError
		if err == nil || (errors.As(err, &pe) && pe.Code() == serial.PortClosed) || errors.Is(err, syscall.EIO) {
			// Closed, or the other end of the line went away.
			return 0, io.EOF
		}
	}
	return n, err
}

// Close closes the port (a pending Read returns io.EOF) and releases it.
func (c *serialConn) Close() error {
	err := c.Port.Close()
	if c.lock != nil {
		c.lock.Close() // releases the flock
	}
	return err
}

// OpenSerial opens the serial port s names with its settings, in raw mode,
// for this process alone: the port is locked with flock (as pyserial's
// exclusive=True and picocom do) and TIOCEXCL, so a second lavacore, or
// minicom left running, gets a clear "in use" error instead of half the
// characters. Input already waiting in the port's buffer is kept (the lab's
// relay replays a board's first lines into its pty as soon as the port is
// opened). Close releases the port.
func OpenSerial(s SerialSettings) (Conn, error) {
	mode, err := s.mode()
	if err != nil {
		return nil, sdk.ConfigErrorf("serial console %s: %v", s.Port, err)
	}
	if s.Port == "" {
		return nil, sdk.ConfigErrorf("serial console: no port given")
	}
	s = s.withDefaults()
	// Opening a tty without O_NONBLOCK may wait for the carrier.
	lock, err := os.OpenFile(s.Port, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, serialOpenError(s.Port, err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, sdk.InfraErrorf("serial console %s is in use by another process (it holds a lock on the port)", s.Port)
		}
		return nil, sdk.InfraErrorf("serial console %s: lock: %v", s.Port, err)
	}
	p, err := serial.Open(s.Port, mode)
	if err != nil {
		lock.Close()
		return nil, serialOpenError(s.Port, err)
	}
	c := &serialConn{Port: p, lock: lock, desc: "serial " + s.String()}
	if err := setFlowControl(int(lock.Fd()), s.FlowControl); err != nil {
		c.Close()
		return nil, sdk.InfraErrorf("serial console %s: flow control %s: %v", s.Port, s.FlowControl, err)
	}
	return c, nil
}

// serialOpenError says why a port could not be opened, naming it.
func serialOpenError(port string, err error) error {
	var pe *serial.PortError
	switch {
	case errors.Is(err, os.ErrNotExist), errors.As(err, &pe) && pe.Code() == serial.PortNotFound:
		return sdk.InfraErrorf("serial console %s does not exist (is the adapter plugged in?)", port)
	case errors.Is(err, syscall.EBUSY), errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		return sdk.InfraErrorf("serial console %s is in use by another process (busy)", port)
	case errors.Is(err, os.ErrPermission), errors.As(err, &pe) && pe.Code() == serial.PermissionDenied:
		return sdk.InfraErrorf("serial console %s: permission denied (is the dispatcher in the port's group, e.g. dialout?)", port)
	case errors.As(err, &pe) && pe.Code() == serial.InvalidSerialPort, errors.Is(err, syscall.ENOTTY):
		return sdk.InfraErrorf("serial console %s is not a serial port: %v", port, err)
	}
	return sdk.InfraErrorf("could not open serial console %s: %v", port, err)
}

// setFlowControl sets RTS/CTS or XON/XOFF flow control on the tty fd
// refers to (go.bug.st/serial opens ports with both off). Termios settings
// belong to the tty, not to the descriptor, so any descriptor of it will do.
func setFlowControl(fd int, fc string) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Cflag &^= unix.CRTSCTS
	t.Iflag &^= unix.IXON | unix.IXOFF | unix.IXANY
	switch fc {
	case "rtscts":
		t.Cflag |= unix.CRTSCTS
	case "xonxoff":
		t.Iflag |= unix.IXON | unix.IXOFF
	}
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
