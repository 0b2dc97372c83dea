package lavaservere2e

import (
	"reflect"
	"testing"
	"time"
)

// TestCaseDiff: results compared as multisets, whatever their order.
func TestCaseDiff(t *testing.T) {
	for _, c := range []struct {
		a, b, onlyA, onlyB []string
	}{
		{[]string{"lava/x=pass", "lava/y=pass"}, []string{"lava/y=pass", "lava/x=pass"}, nil, nil},
		{[]string{"lava/x=pass", "lava/x=pass"}, []string{"lava/x=pass"}, []string{"lava/x=pass"}, nil},
		{[]string{"lava/x=pass"}, []string{"lava/x=fail", "lava/e=pass"}, []string{"lava/x=pass"}, []string{"lava/x=fail", "lava/e=pass"}},
	} {
		onlyA, onlyB := caseDiff(c.a, c.b)
		if !reflect.DeepEqual(onlyA, c.onlyA) || !reflect.DeepEqual(onlyB, c.onlyB) {
			t.Errorf("caseDiff(%v, %v) = %v, %v; want %v, %v", c.a, c.b, onlyA, onlyB, c.onlyA, c.onlyB)
		}
	}
}

// TestLogPhases: a job log split at its first pdu-reboot (or power-on) and the end of its last
// test action; LAVA 2023.01's dt has no zone, LAVA HEAD's (lavacore's) +00:00.
func TestLogPhases(t *testing.T) {
	log := `- {"dt": "2026-12-04T23:53:21.000000", "lvl": "info", "msg": "start: 0 validate"}
- {"dt": "2026-12-04T23:53:28.000000+00:00", "lvl": "debug", "msg": "start: 2.4.1 pdu-reboot (timeout 00:04:00) [common]"}
- {"dt": "2026-12-04T23:53:40.000000", "lvl": "info", "msg": "end: 3 lava-test-retry (duration 00:00:01) [common]"}
- {"dt": "2026-12-04T23:53:45.000000", "lvl": "info", "msg": "start: 4 lava-test-retry (timeout 00:05:00) [common]"}
- {"dt": "2026-12-04T23:53:50.500000+00:00", "lvl": "info", "msg": "end: 4 lava-test-retry (duration 00:00:05) [common]"}
- {"dt": "2026-12-04T23:53:52.000000", "lvl": "info", "msg": "Finalising connection for namespace 'common'"}
`
	setup, board, end := logPhases(log)
	if setup != 7*time.Second || board != 22500*time.Millisecond || end != 1500*time.Millisecond {
		t.Errorf("logPhases = %s, %s, %s; want 7s, 22.5s, 1.5s", setup, board, end)
	}
	if s, b, e := logPhases(`- {"dt": "2026-12-04T23:53:21.000000", "lvl": "info", "msg": "start: 0 validate"}` + "\n"); s+b+e != 0 {
		t.Errorf("a log without a power-on: %s, %s, %s; want zeros", s, b, e)
	}
}
