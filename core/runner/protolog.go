package runner

import (
	"fmt"
	"sort"
	"strings"
)

// Protocol call records. Every protocol request that names a messageID
// (lava-multinode's lava-send, lava-wait, lava-wait-all, lava-sync, and the
// delayed start's wait for lava_start) is logged at debug level when it is
// made and when it is answered, so that the group's timeline can be drawn from
// the sub-jobs' logs (core/htmlreport parses these lines):
//
//	protocol lava-multinode: lava-wait ipv4: request
//	protocol lava-multinode: lava-wait ipv4: ack from 1001, 1002
//	protocol lava-multinode: lava-send ipv4: ack
//	protocol lava-multinode: lava-sync clients: failed
//
// "from" lists the job ids whose messages the reply carries (a wait's senders).
const protoLogPrefix = "protocol "

// protoCall returns the "<request> <messageID>" of a protocol request, "" when
// the request has no message ID (nothing to draw).
func protoCall(req map[string]any) string {
	r, _ := req["request"].(string)
	id, _ := req["messageID"].(string)
	if r == "" || id == "" {
		return ""
	}
	return clean(r) + " " + clean(id)
}

// clean keeps a logged word on one line and free of the separators the
// record's parser splits on.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == ' ' || r == ':' || r == ',' {
			return '_'
		}
		return r
	}, s)
}

// protoRequestMsg is the record of a request being made.
func protoRequestMsg(proto, call string) string {
	return fmt.Sprintf("%s%s: %s: request", protoLogPrefix, proto, call)
}

// protoReplyMsg is the record of its answer (err: the call failed).
func protoReplyMsg(proto, call string, reply map[string]any, err error) string {
	head := fmt.Sprintf("%s%s: %s: ", protoLogPrefix, proto, call)
	if err != nil {
		return head + "failed"
	}
	resp, _ := reply["response"].(string)
	if resp == "" {
		resp = "ack"
	}
	msg := head + clean(resp)
	if m, ok := reply["message"].(map[string]any); ok && len(m) > 0 {
		from := make([]string, 0, len(m))
		for k := range m {
			from = append(from, clean(k))
		}
		sort.Strings(from)
		msg += " from " + strings.Join(from, ", ")
	}
	return msg
}
