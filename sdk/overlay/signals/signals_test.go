package signals

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFeed(t *testing.T) {
	tests := []struct {
		line string
		want []Event
	}{
		{"plain console text", nil},
		{"<LAVA_SIGNAL_STARTRUN 0_smoke 42_1.1.3.1>", []Event{{Kind: StartRun, ID: "0_smoke", UUID: "42_1.1.3.1"}}},
		{"+ echo x <LAVA_SIGNAL_ENDRUN 0_smoke 42_1.1.3.1>", []Event{{Kind: EndRun, ID: "0_smoke", UUID: "42_1.1.3.1"}}},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a/b RESULT=PASS>", []Event{{Kind: TestCase, ID: "a_b", Result: "pass",
			Fields: map[string]string{"test_case_id": "a/b", "result": "PASS"}}}},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=m RESULT=pass MEASUREMENT=1.5 UNITS=s>", []Event{{Kind: TestCase, ID: "m",
			Result: "pass", Measurement: "1.5", Units: "s",
			Fields: map[string]string{"test_case_id": "m", "result": "pass", "measurement": "1.5", "units": "s"}}}},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=m RESULT=pass MEASUREMENT=fast>", []Event{{Kind: TestCase, ID: "m",
			Fields: map[string]string{"test_case_id": "m", "result": "pass", "measurement": "fast"}, Err: fmt.Errorf("x")}}},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=m RESULT=great>", []Event{{Kind: TestCase, ID: "m",
			Fields: map[string]string{"test_case_id": "m", "result": "great"}, Err: fmt.Errorf("x")}}},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=f RESULT=FAILED>", []Event{{Kind: TestCase, ID: "f", Result: "fail",
			Fields: map[string]string{"test_case_id": "f", "result": "FAILED"}}}},
		{"<LAVA_SIGNAL_STARTTC t1>", []Event{{Kind: StartTC, ID: "t1"}}},
		{"<LAVA_SIGNAL_ENDTC t1>", []Event{{Kind: EndTC, ID: "t1"}}},
		{"<LAVA_SIGNAL_TESTSET START s1>", []Event{{Kind: TestSetStart, Set: "s1"}}},
		{"<LAVA_SIGNAL_TESTSET START >", []Event{{Kind: TestSetStart, Err: fmt.Errorf("x")}}},
		{"<LAVA_SIGNAL_TESTSET STOP>", []Event{{Kind: TestSetStop}}},
		{"<LAVA_SIGNAL_TESTSET STOP >", []Event{{Kind: TestSetStop}}},
		{"<LAVA_SIGNAL_TESTRAISE disk  on fire>", []Event{{Kind: TestRaise, Message: "disk on fire"}}},
		{"<LAVA_SIGNAL_TESTREFERENCE bug fail http://x/1>", []Event{{Kind: TestReference, ID: "bug", Result: "fail", Reference: "http://x/1"}}},
		{"<LAVA_SIGNAL_TESTEVENT hello there>", []Event{{Kind: TestEvent, Message: "hello there"}}},
		{"<LAVA_SIGNAL_TESTFEEDBACK guest>", []Event{{Kind: TestFeedback, Message: "guest"}}},
		{"<LAVA_SIGNAL_FROB x>", []Event{{Kind: Unknown, Message: "FROB"}}},
		{"<LAVA_TEST_RUNNER EXIT>", []Event{{Kind: RunnerExit}}},
		{"<LAVA_TEST_RUNNER INSTALL_FAIL>", []Event{{Kind: InstallFail}}},
		{"<LAVA_MULTI_NODE> <LAVA_SEND ipv4 ipaddr=10.0.0.5 note=a b c=1>", []Event{{Kind: Send, MessageID: "ipv4",
			Data: map[string]string{"ipaddr": "10.0.0.5", "note": "a b", "c": "1"}}}},
		{"<LAVA_MULTI_NODE> <LAVA_SEND lava_start>", []Event{{Kind: Send, MessageID: "lava_start", Data: map[string]string{}}}},
		{"<LAVA_MULTI_NODE> <LAVA_WAIT ipv4>", []Event{{Kind: Wait, MessageID: "ipv4"}}},
		{"<LAVA_MULTI_NODE> <LAVA_WAIT_ALL done guest>", []Event{{Kind: WaitAll, MessageID: "done", Role: "guest"}}},
		{"<LAVA_MULTI_NODE> <LAVA_SYNC clients>", []Event{{Kind: Sync, MessageID: "clients"}}},
		{"<LAVA_MULTI_NODE> <LAVA_SYNC>", nil},
		{"<LAVA_SIGNAL_STARTTC a><LAVA_SIGNAL_ENDTC a>", []Event{{Kind: StartTC, ID: "a"}, {Kind: EndTC, ID: "a"}}},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=x RESULT=pass", nil},
		{"<LAVA_<LAVA_SIGNAL_STARTTC b>", []Event{{Kind: StartTC, ID: "b"}}},
	}
	p := &Parser{Fixup: map[string]string{"FAILED": "fail"}}
	ignore := cmpopts.IgnoreFields(Event{}, "Line", "Raw", "Params")
	errs := cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) })
	for _, tc := range tests {
		got := p.Feed(tc.line)
		if diff := cmp.Diff(tc.want, got, ignore, errs, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.line, diff)
		}
	}
}

func TestLineNumbers(t *testing.T) {
	var p Parser
	p.Feed("a")
	ev := p.Feed("x <LAVA_SIGNAL_STARTTC t> y")
	if len(ev) != 1 || ev[0].Line != 2 || ev[0].Raw != "<LAVA_SIGNAL_STARTTC t>" {
		t.Fatalf("%+v", ev)
	}
}

func TestFormatReplyAndCache(t *testing.T) {
	data := map[string]map[string]string{
		"74588": {"x": "1"},
		"74587": {"note": "hello world", "ipaddr": "10.0.0.5"},
		"74589": {},
	}
	tests := []struct {
		kind  string
		data  map[string]map[string]string
		reply string
		cache string
	}{
		{"WAIT", data, "<LAVA_WAIT_COMPLETE 74587:ipaddr=10.0.0.5 74587:note=hello\\0040world 74588:x=1>",
			"74587:ipaddr=10.0.0.5\n74587:note=hello world\n74588:x=1\n"},
		{"WAIT_ALL", data, "<LAVA_WAIT_ALL_COMPLETE 74587:ipaddr=10.0.0.5 74587:note=hello\\0040world 74588:x=1>",
			"74587:ipaddr=10.0.0.5\n74587:note=hello world\n74588:x=1\n"},
		{"WAIT", nil, "<LAVA_WAIT_COMPLETE nack>", ""},
		{"WAIT", map[string]map[string]string{}, "<LAVA_WAIT_COMPLETE>", ""},
		{"SYNC", data, "<LAVA_SYNC_COMPLETE>", ""},
		{"SYNC", nil, "<LAVA_SYNC_COMPLETE nack>", ""},
	}
	for _, tc := range tests {
		got := FormatReply(tc.kind, "id", tc.data)
		if got != tc.reply {
			t.Errorf("FormatReply(%s) = %q, want %q", tc.kind, got, tc.reply)
		}
		cache, ok := CacheFile(got)
		if cache != tc.cache || ok != (tc.cache != "") {
			t.Errorf("CacheFile(%q) = %q %v, want %q", got, cache, ok, tc.cache)
		}
	}
}

func FuzzSignalParser(f *testing.F) {
	for _, s := range []string{
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass MEASUREMENT=1e3 UNITS=s>",
		"<LAVA_SIGNAL_STARTRUN 0_x 1_1.1>", "<LAVA_SIGNAL_TESTSET START >",
		"<LAVA_MULTI_NODE> <LAVA_SEND a b=c d e=f>", "<LAVA_MULTI_NODE> <LAVA_WAIT_ALL x y>",
		"<LAVA_TEST_RUNNER EXIT>", "<LAVA_<LAVA_SIGNAL_>", "<LAVA_WAIT_COMPLETE 1:a=b 2:c>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var p Parser
		for _, ev := range p.Feed(line) {
			if !strings.Contains(line, ev.Raw) || ev.Raw == "" {
				t.Fatalf("raw %q not in line", ev.Raw)
			}
			if ev.Kind == TestCase && ev.Err == nil && !validResult[ev.Result] {
				t.Fatalf("accepted result %q", ev.Result)
			}
			if ev.Kind == Send && ev.MessageID == "" {
				t.Fatal("send without id")
			}
		}
		_, _ = CacheFile(line)
		_ = FormatReply("WAIT", "x", map[string]map[string]string{"1": {line: line}})
	})
}

// BenchmarkParse1MB feeds 1 MiB of console output, a third of its lines signals.
func BenchmarkParse1MB(b *testing.B) {
	var lines []string
	size := 0
	for i := 0; size < 1<<20; i++ {
		var l string
		switch i % 3 {
		case 0:
			l = fmt.Sprintf("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=case-%d RESULT=pass MEASUREMENT=%d.5 UNITS=ms>", i, i)
		case 1:
			l = fmt.Sprintf("[ %5d.123456] usb 1-1: new high-speed USB device number %d using xhci_hcd", i, i)
		default:
			l = "+ lava-test-case check --shell test -e /etc/hostname"
		}
		lines = append(lines, l)
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		var p Parser
		for _, l := range lines {
			n += len(p.Feed(l))
		}
	}
	if n == 0 {
		b.Fatal("no events")
	}
}
