// Package pluginhost finds lavacore's method plugins, checks them against
// their checksum files, starts them with go-plugin (gRPC, AutoMTLS) and
// offers their methods as a pipeline.Registry.
package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// Prefix names plugin binaries: lavacore-plugin-<name>.
const Prefix = "lavacore-plugin-"

// Dirs returns where plugins are looked for, in order: $LAVACORE_PLUGIN_PATH
// (':'-separated), a plugins/ directory beside the lavacore binary, and
// ~/.local/share/lavacore/plugins.
func Dirs() []string {
	var out []string
	if p := os.Getenv("LAVACORE_PLUGIN_PATH"); p != "" {
		out = append(out, filepath.SplitList(p)...)
	}
	if exe, err := os.Executable(); err == nil {
		out = append(out, filepath.Join(filepath.Dir(exe), "plugins"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".local", "share", "lavacore", "plugins"))
	}
	return out
}

// Binary is one plugin binary found on disk.
type Binary struct {
	Name, Path string
	// Checksum is the expected sha256 from <path>_SHA256SUM ("" when absent).
	Checksum string
	// Problem says what is wrong with it ("" when it may run).
	Problem string
}

// Discover lists plugin binaries in dirs; a name found twice keeps the first.
func Discover(dirs []string) []Binary {
	seen := map[string]bool{}
	var out []Binary
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if !strings.HasPrefix(n, Prefix) || strings.HasSuffix(n, "_SHA256SUM") || e.IsDir() {
				continue
			}
			name := strings.TrimPrefix(n, Prefix)
			if seen[name] {
				continue
			}
			seen[name] = true
			b := Binary{Name: name, Path: filepath.Join(d, n)}
			if sum, err := os.ReadFile(b.Path + "_SHA256SUM"); err == nil {
				b.Checksum = strings.Fields(string(sum) + " ")[0]
				if got, err := FileSum(b.Path); err != nil || got != b.Checksum {
					b.Problem = fmt.Sprintf("checksum mismatch: %s_SHA256SUM says %s, the file is %s (rebuild, then 'lavacore plugins checksum %s')", n, b.Checksum, got, d)
				}
			} else {
				b.Problem = fmt.Sprintf("no checksum file %s_SHA256SUM (run 'lavacore plugins checksum %s')", n, d)
			}
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FileSum is the hex sha256 of a file.
func FileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteChecksums writes <binary>_SHA256SUM beside every plugin binary of dir.
func WriteChecksums(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, Prefix) || strings.HasSuffix(n, "_SHA256SUM") {
			continue
		}
		p := filepath.Join(dir, n)
		sum, err := FileSum(p)
		if err != nil {
			return done, err
		}
		if err := os.WriteFile(p+"_SHA256SUM", []byte(sum+"  "+n+"\n"), 0o644); err != nil {
			return done, err
		}
		done = append(done, n)
	}
	return done, nil
}

// Plugin is a started plugin.
type Plugin struct {
	Binary   Binary
	Manifest sdk.Manifest
	Methods  []sdk.Method
	client   *goplugin.Client
}

// Host holds every started plugin.
type Host struct {
	Plugins []*Plugin
	reg     *pipeline.StaticRegistry
}

// Start starts one plugin binary and asks it what it serves.
func Start(ctx context.Context, b Binary, logOut io.Writer) (*Plugin, error) {
	if b.Problem != "" {
		return nil, fmt.Errorf("plugin %s: %s", b.Name, b.Problem)
	}
	sum, err := hex.DecodeString(b.Checksum)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: bad checksum %q", b.Name, b.Checksum)
	}
	if logOut == nil {
		logOut = io.Discard
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          goplugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		Cmd:              exec.Command(b.Path),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SecureConfig:     &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		Managed:          true,
		StartTimeout:     30 * time.Second,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "pluginhost", Level: hclog.Warn, Output: logOut}),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: handshake failed: %w", b.Name, err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: %w", b.Name, err)
	}
	pc := raw.(*sdk.PluginClient)
	pc.Name = b.Name
	m, err := pc.Manifest(ctx)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: manifest: %w", b.Name, err)
	}
	ms, err := pc.Methods(ctx)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: %w", b.Name, err)
	}
	return &Plugin{Binary: b, Manifest: m, Methods: ms, client: client}, nil
}

// StartAll starts every usable plugin of dirs.
func StartAll(ctx context.Context, dirs []string, logOut io.Writer) (*Host, error) {
	h := &Host{reg: pipeline.NewStaticRegistry()}
	for _, b := range Discover(dirs) {
		p, err := Start(ctx, b, logOut)
		if err != nil {
			h.Close()
			return nil, err
		}
		h.Plugins = append(h.Plugins, p)
		for _, m := range p.Methods {
			h.reg.Add(m)
		}
	}
	return h, nil
}

// Registry returns the plugins' methods.
func (h *Host) Registry() pipeline.Registry { return h.reg }

// Close stops every plugin.
func (h *Host) Close() {
	for _, p := range h.Plugins {
		p.client.Kill()
	}
}
