package coordinator

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// BenchmarkVerify: checking the proof of one decoded lava_sync request
// (what every lavacore request costs the coordinator on arrival).
func BenchmarkVerify(b *testing.B) {
	now := time.Now()
	var reqs []Request
	for i := 0; i < b.N; i++ {
		s, err := Sign(testSecret, Request{"group_name": "g", "client_name": fmt.Sprint(i % 256), "role": "r", "hostname": "h",
			"group_size": 256.0, "request": "lava_sync", "messageID": "s", "push": true, "push_timeout": 600}, now)
		if err != nil {
			b.Fatal(err)
		}
		frame, _ := encodeFrame(s)
		r, err := ReadFrame(bytes.NewReader(frame))
		if err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	v := verifier{max: 1 << 30} // every proof is fresh: none is dropped for room
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := v.verify(testSecret, reqs[i], now); err != nil {
			b.Fatal(err)
		}
	}
}
