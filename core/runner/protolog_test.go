package runner

import (
	"errors"
	"testing"
)

func TestProtoLog(t *testing.T) {
	tests := []struct {
		name  string
		req   map[string]any
		reply map[string]any
		err   error
		want  []string // the request and reply records ("" call: none)
	}{
		{"send", map[string]any{"request": "lava-send", "messageID": "ipv4"}, map[string]any{"response": "ack"}, nil,
			[]string{"protocol lava-multinode: lava-send ipv4: request", "protocol lava-multinode: lava-send ipv4: ack"}},
		{"wait names its senders", map[string]any{"request": "lava-wait", "messageID": "ipv4"},
			map[string]any{"response": "ack", "message": map[string]any{"1003": map[string]any{"ipaddr": "10.0.0.1"}, "1001": map[string]any{}}}, nil,
			[]string{"protocol lava-multinode: lava-wait ipv4: request", "protocol lava-multinode: lava-wait ipv4: ack from 1001, 1003"}},
		{"failed", map[string]any{"request": "lava-sync", "messageID": "clients"}, nil, errors.New("timed out"),
			[]string{"protocol lava-multinode: lava-sync clients: request", "protocol lava-multinode: lava-sync clients: failed"}},
		// a message ID from the test shell cannot forge a record's fields
		{"hostile message id", map[string]any{"request": "lava-wait", "messageID": "x: ack from 9\nprotocol"},
			map[string]any{"response": "ack", "message": map[string]any{"1, 2": nil}}, nil,
			[]string{"protocol lava-multinode: lava-wait x__ack_from_9_protocol: request", "protocol lava-multinode: lava-wait x__ack_from_9_protocol: ack from 1__2"}},
		{"no message id", map[string]any{"request": "aggregate"}, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			call := protoCall(tc.req)
			if tc.want == nil {
				if call != "" {
					t.Errorf("call %q, want none", call)
				}
				return
			}
			got := []string{protoRequestMsg("lava-multinode", call), protoReplyMsg("lava-multinode", call, tc.reply, tc.err)}
			if got[0] != tc.want[0] || got[1] != tc.want[1] {
				t.Errorf("records\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
