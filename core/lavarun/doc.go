// Package lavarun is lavacore as a drop-in lava-run under a stock
// lava-worker: LAVA's exact command line (Parse), the worker's
// dispatcher.yaml mapped to lavacore's dispatcher settings (ReadDispatcher,
// Apply), the job log streamed to lava-server as LAVA's HTTP handler does
// (Streamer), result.yaml and description.yaml where the worker reads them,
// the worker's cancel signal, and lava-run's exit statuses (Main).
//
// The contract, as observed with Debian's lava-server and lava-worker
// 2023.01 (../shared/reference/lava-server-feasibility.md): the worker
// starts `lava-run --device=… --dispatcher=… --output-dir=DIR --job-id=ID
// --url=URL --token=T --job-log-interval=N DIR/job.yaml` in its own process
// group, watches /proc/PID/cmdline for "lava-run", then posts result.yaml's
// result and error_type, stderr and description.yaml to the server. Cancel
// is SIGTERM (again at 60 s, SIGKILL at 120 s).
package lavarun
