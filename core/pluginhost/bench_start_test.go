package pluginhost

import (
	"context"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// BenchmarkPluginStart: start a plugin process, handshake (mutual TLS), lend it
// the host's services, read its manifest, stop it.
func BenchmarkPluginStart(b *testing.B) {
	dir := needBinaries(b)
	var bin Binary
	for _, x := range Discover([]string{dir}) {
		if x.Name == "testplugin" {
			bin = x
		}
	}
	var starting time.Duration
	for b.Loop() {
		t0 := time.Now()
		p, err := Start(context.Background(), bin, Options{})
		if err != nil {
			b.Fatal(err)
		}
		starting += time.Since(t0)
		p.Kill()
	}
	// the start and handshake alone, without the stop
	b.ReportMetric(float64(starting.Milliseconds())/float64(b.N), "ms-start")
}

func benchMethod(b *testing.B) sdk.Method {
	dir := needBinaries(b)
	h, err := StartAll(context.Background(), []string{dir}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h.Registry().Methods(sdk.SectionBoot, "testplugin")[0]
}

// BenchmarkExpectRoundTrip: one console Expect from a plugin's method,
// through the brokered HostServices, answered by the host's console.
func BenchmarkExpectRoundTrip(b *testing.B) {
	m := benchMethod(b)
	b.ResetTimer()
	if err := m.Run(context.Background(), callOf("expect", map[string]any{"n": b.N}), newFakeHost()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkConsoleStream: console bytes streamed from the host to a plugin.
func BenchmarkConsoleStream(b *testing.B) {
	m := benchMethod(b)
	const chunk = 1 << 20
	b.SetBytes(chunk)
	b.ResetTimer()
	if err := m.Run(context.Background(), callOf("stream", map[string]any{"bytes": b.N * chunk}), newFakeHost()); err != nil {
		b.Fatal(err)
	}
}
