// Package lavaservere2e runs lavacore as lava-run under Debian 12's lava-server 2023.01 and
// lava-worker, end to end: PostgreSQL, the server's HTTP service, publisher and scheduler are
// started by the test, a worker whose PATH finds lavacore's lava-run link runs a job submitted
// through the REST API, and the API must show the job Complete with its log and results.
//
// The tests share one server per package run (TestMain stops it), each with workers and devices
// of its own. They need root and what `make deps` installs (scripts/deps.d/lava-server.apt);
// they run only with LAVACORE_LAVA_SERVER=1, which `make test` sets in a `go test` of this
// package alone, after the other packages' (the lab's tests must not run beside these).
package lavaservere2e
