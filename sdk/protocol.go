package sdk

import "context"

// ProtocolConfig is what a protocol receives when a (sub-)job starts.
type ProtocolConfig struct {
	JobID string
	// Params is the job's protocol block for this sub-job after the MultiNode split
	// (role, sub_id, target_group, group_size, roles, timeout …), JSON-compatible.
	Params map[string]any
	// Coordinator is "host:port" of a coordinator to use; empty means embedded/in-process.
	Coordinator string
}

// Protocol is a job protocol such as lava-multinode. The host configures it
// when the job starts, methods and the test shell call it through Host.Protocol,
// and the host finalizes it when the job ends, whatever happened.
type Protocol interface {
	Name() string
	Configure(ctx context.Context, cfg ProtocolConfig) error
	// Call performs one request, e.g. {"request": "lava-send", "messageID": "ipv4", "message": {...}}.
	Call(ctx context.Context, req map[string]any) (map[string]any, error)
	// Finalize tells the protocol the job is over (LAVA: clear_group), ok=false on failure.
	Finalize(ctx context.Context, ok bool) error
}
