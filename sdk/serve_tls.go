package sdk

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"
)

// The host and a plugin authenticate each other with mutual TLS, as
// go-plugin's AutoMTLS does, with Ed25519 keys instead of its P-521 ones
// (which cost tens of milliseconds of CPU per start on both sides):
//
//   - the host makes a key pair and a self-signed certificate, and gives the
//     certificate to the plugin in its environment (hostCertEnv), with the
//     write end of a pipe as an extra file (certFDEnv names its number);
//   - the plugin makes its own key pair and certificate, writes the
//     certificate to that pipe and closes it before it prints go-plugin's
//     handshake line, and serves TLS 1.3 that requires the host's certificate;
//   - the host reads the plugin's certificate from the pipe after the
//     handshake line and trusts only it (as the server, and as the client of
//     the brokered HostServices, which the plugin dials back).
//
// Each private key stays in the process that made it; the certificates
// travel only between the parent and its child (exec environment and a
// pipe), as AutoMTLS's do (environment and stdout).
const (
	hostCertEnv = "LAVACORE_PLUGIN_HOST_CERT" // the host's certificate, base64 DER
	certFDEnv   = "LAVACORE_PLUGIN_CERT_FD"   // the pipe for the plugin's certificate
	tlsName     = "localhost"
	maxCertLine = 8 << 10
)

// newCert makes an Ed25519 key pair and a self-signed certificate for one
// end of a plugin connection (server and client auth, for tlsName).
func newCert() (tls.Certificate, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate a key: %w", err)
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate a serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: tlsName, Organization: []string{"lavacore plugin"}},
		DNSNames:              []string{tlsName},
		SerialNumber:          sn,
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour), // the key lives as long as the process
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create a certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// mutualTLS is the configuration of either end: its own certificate, and the
// peer's as the only root, whether it serves or dials.
func mutualTLS(own tls.Certificate, peer *x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	if peer != nil {
		pool.AddCert(peer)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{own},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		RootCAs:      pool,
		ServerName:   tlsName,
		MinVersion:   tls.VersionTLS13,
	}
}

func encodeCert(der []byte) string { return base64.RawStdEncoding.EncodeToString(der) }

func decodeCert(s string) (*x509.Certificate, error) {
	der, err := base64.RawStdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// HostTLS is the host's end of the mutual TLS with one plugin process.
// Give the plugin's exec.Cmd Env and Files (NewHostTLS's doc says how), pass
// Config as go-plugin's ClientConfig.TLSConfig (AutoMTLS off), call Started
// once the process runs, and TrustPlugin after go-plugin's handshake line and
// before the first connection (go-plugin's Client.Start, then Client.Client).
type HostTLS struct {
	// Config is the host's TLS configuration; TrustPlugin completes it.
	Config *tls.Config
	// Env is what the plugin's environment must carry.
	Env []string
	// File is the pipe's write end, the plugin's extra file (cmd.ExtraFiles).
	File *os.File

	read *os.File
}

// NewHostTLS makes the host's key pair and the pipe for the plugin's
// certificate. fd is the number the pipe will have in the plugin
// (3 + its index in cmd.ExtraFiles).
func NewHostTLS(fd int) (*HostTLS, error) {
	own, err := newCert()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("plugin TLS: %w", err)
	}
	return &HostTLS{
		Config: mutualTLS(own, nil),
		Env:    []string{hostCertEnv + "=" + encodeCert(own.Leaf.Raw), certFDEnv + "=" + strconv.Itoa(fd)},
		File:   w,
		read:   r,
	}, nil
}

// Started closes the host's copy of the pipe's write end (the plugin has its
// own once it runs), so that a plugin that exits is an end of file.
func (h *HostTLS) Started() { _ = h.File.Close() }

// TrustPlugin reads the plugin's certificate, which it wrote before its
// handshake line, and makes it the only one Config trusts. It waits at most
// timeout for it.
func (h *HostTLS) TrustPlugin(timeout time.Duration) error {
	defer h.read.Close()
	_ = h.read.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReaderSize(h.read, maxCertLine).ReadSlice('\n')
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("plugin TLS: the plugin sent no certificate within %s (is it built with this lavacore's sdk?)", timeout)
		}
		return fmt.Errorf("plugin TLS: the plugin sent no certificate (is it built with this lavacore's sdk?): %w", err)
	}
	cert, err := decodeCert(string(line))
	if err != nil {
		return fmt.Errorf("plugin TLS: the plugin's certificate: %w", err)
	}
	h.Config.RootCAs.AddCert(cert)
	return nil
}

// Close releases the pipe (when the plugin did not start).
func (h *HostTLS) Close() {
	_ = h.File.Close()
	_ = h.read.Close()
}

// pluginTLS is go-plugin's TLSProvider on the plugin side: with the host's
// certificate in the environment it makes the plugin's key pair, sends its
// certificate to the host and requires the host's; without, it returns nil
// and go-plugin serves as the host asked (AutoMTLS or plain, as in sdktest).
// It removes both variables, so the plugin's children do not inherit them.
func pluginTLS() (*tls.Config, error) {
	hostCert, fdText := os.Getenv(hostCertEnv), os.Getenv(certFDEnv)
	_ = os.Unsetenv(hostCertEnv)
	_ = os.Unsetenv(certFDEnv)
	if hostCert == "" {
		return nil, nil
	}
	peer, err := decodeCert(hostCert)
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", hostCertEnv, err)
	}
	fd, err := strconv.Atoi(fdText)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("$%s=%q: not a file descriptor number", certFDEnv, fdText)
	}
	own, err := newCert()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "plugin-cert")
	_, werr := f.WriteString(encodeCert(own.Leaf.Raw) + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return nil, fmt.Errorf("send the plugin's certificate to the host: %w", err)
	}
	return mutualTLS(own, peer), nil
}
