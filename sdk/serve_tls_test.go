package sdk

import (
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pluginAndHost runs the plugin side (pluginTLS, with the host's variables)
// and the host side of the certificate exchange in one process.
func pluginAndHost(t *testing.T) (host, plugin *tls.Config) {
	t.Helper()
	h, err := NewHostTLS(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	fd, err := syscall.Dup(int(h.File.Fd())) // the plugin's copy of the write end
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range h.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == certFDEnv {
			v = strconv.Itoa(fd)
		}
		t.Setenv(k, v)
	}
	plugin, err = pluginTLS()
	if err != nil || plugin == nil {
		t.Fatalf("pluginTLS: %v, %v", plugin, err)
	}
	h.Started()
	if err := h.TrustPlugin(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	return h.Config, plugin
}

// handshake runs a TLS handshake between a client and a server configuration
// over a loopback connection; it returns the client's and the server's errors.
func handshake(t *testing.T, client, server *tls.Config) (cerr, serr error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		s := tls.Server(c, server)
		err = s.Handshake()
		if err == nil { // TLS 1.3: the client's certificate is checked after the client's Finished
			_, err = s.Read(make([]byte, 1))
		}
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(c, client)
	cerr = tc.Handshake()
	if cerr == nil {
		_, cerr = tc.Write([]byte{1})
	}
	serr = <-done
	return cerr, serr
}

// TestPluginTLS: the host and its plugin authenticate each other, and
// nobody else passes for either (a local process that connects to the
// plugin's socket, or listens in its place).
func TestPluginTLS(t *testing.T) {
	host, plugin := pluginAndHost(t)
	stranger, err := newCert()
	if err != nil {
		t.Fatal(err)
	}
	hostLeaf := host.Certificates[0].Leaf
	pluginLeaf := plugin.Certificates[0].Leaf
	noCert := mutualTLS(stranger, pluginLeaf)
	noCert.Certificates = nil
	for _, tc := range []struct {
		name           string
		client, server *tls.Config
		ok             bool
	}{
		{"HostToPlugin", host, plugin, true},
		{"PluginDialsHostBroker", plugin, host, true},
		{"StrangerWithOwnKeyConnectsToPlugin", mutualTLS(stranger, pluginLeaf), plugin, false},
		{"StrangerWithoutCertificateConnectsToPlugin", noCert, plugin, false},
		{"StrangerListensInPluginsPlace", host, mutualTLS(stranger, hostLeaf), false},
		{"StrangerConnectsToHostBroker", mutualTLS(stranger, hostLeaf), host, false},
		{"StrangerListensInHostBrokersPlace", plugin, mutualTLS(stranger, pluginLeaf), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cerr, serr := handshake(t, tc.client, tc.server)
			if tc.ok && (cerr != nil || serr != nil) {
				t.Fatalf("handshake failed: client %v, server %v", cerr, serr)
			}
			if !tc.ok && cerr == nil && serr == nil {
				t.Fatal("handshake succeeded")
			}
		})
	}
}

// TestHostTLS_PluginSendsNoCertificate: a plugin that exits (or was built
// without this SDK) before it sends its certificate fails the start with a
// message, not a wait for ever.
func TestHostTLS_PluginSendsNoCertificate(t *testing.T) {
	h, err := NewHostTLS(3)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.Started() // no plugin holds the write end: end of file
	err = h.TrustPlugin(10 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "sent no certificate") {
		t.Fatalf("err = %v", err)
	}
}

// TestPluginTLS_ChildrenDoNotInheritTheExchange: the host's variables are
// gone from the plugin's environment once read.
func TestPluginTLS_ChildrenDoNotInheritTheExchange(t *testing.T) {
	pluginAndHost(t)
	for _, k := range []string{hostCertEnv, certFDEnv} {
		if v, ok := syscall.Getenv(k); ok {
			t.Errorf("$%s is still set: %q", k, v)
		}
	}
}
