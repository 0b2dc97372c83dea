#!/usr/bin/env bash
# make fuzz: runs every FuzzXxx target of the module for FUZZTIME each, and
# fails on the first target that fails. A failure is a failure:
#  - a new failing input in testdata/fuzz/<target>/: printed, FAIL;
#  - the engine failing without writing one (a hung worker, an internal
#    error, a seed corpus entry failing): the log's last lines and the input
#    it names, if it names one, are printed, FAIL;
#  - one exception, retried once and said loudly: the bare "context deadline
#    exceeded" with no input and no other error, which is the Go fuzzing
#    coordinator's own race at the -fuzztime deadline (go.dev/issue/75804),
#    not an input of ours. A second one in a row fails.
# Settings (environment): GO, BIN, FUZZTIME (10s), FUZZPARALLEL (1: one
# worker; the engine's coordinator and workers starve each other on a
# loaded 2-core machine), FUZZMINIMIZE (50x: minimizing a new input is
# bounded by a count, so the engine does not spend the whole FUZZTIME
# minimizing with nothing counted — the engine counts no execution while it
# minimizes, which the stall check below would take for a stuck worker).
set -u
GO=${GO:-go}
BIN=${BIN:-bin}
FUZZTIME=${FUZZTIME:-10s}
FUZZPARALLEL=${FUZZPARALLEL:-1}
FUZZMINIMIZE=${FUZZMINIMIZE:-50x}
mkdir -p "$BIN"
log=$BIN/fuzz.log

# coordinator_race: the log ends with the engine's bare deadline error and
# holds no sign of a failing input or a crashed worker.
coordinator_race() {
	grep -qx '    context deadline exceeded' "$log" &&
		! grep -qE 'Failing input written|failure while testing seed corpus|fuzzing process|panic:|--- FAIL: .*/' "$log"
}

# stalls prints the engine's periodic progress lines (every 3 s; the last
# line, printed when it stops, is not one) whose execution count is the
# previous line's: a worker stuck on one input for 3 s or more.
stalls() {
	grep -E '^fuzz: elapsed: .*execs: ' "$log" | sed '$d' | awk '
		{ n = $0; sub(/.*execs: /, "", n); sub(/ .*/, "", n) }
		n == last { run = run $0 "\n" }
		{ last = n } END { printf "%s", run }'
}

for pkg in $("$GO" list ./...); do
	dir=$("$GO" list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
		corpus=$dir/testdata/fuzz/$f
		before=$(ls "$corpus" 2>/dev/null)
		for attempt in 1 2; do
			echo "fuzz $pkg $f ($FUZZTIME)"
			if "$GO" test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZE" \
				-parallel "$FUZZPARALLEL" "$pkg" >"$log" 2>&1; then
				if s=$(stalls) && [ -n "$s" ]; then
					# The engine stops a stuck worker at the deadline and names
					# no input; its own hang check (10 s an input) writes one.
					tail -12 "$log"
					echo "--- the engine counted no execution for 3 s or more:"
					echo "$s"
					echo "FAIL fuzz $pkg $f: a worker was stuck on one input (a slow input is a finding); the engine names"
					echo "     none when it stops at the deadline: run 'make fuzz FUZZTIME=30s' so that its 10 s hang check writes it"
					exit 1
				fi
				continue 2
			fi
			new=$(comm -13 <(echo "$before") <(ls "$corpus" 2>/dev/null) | head -1)
			if [ -n "$new" ]; then
				tail -30 "$log"
				echo "--- the failing input, $corpus/$new:"
				head -c 4000 "$corpus/$new"
				echo
				echo "FAIL fuzz $pkg $f: a new failing input is in $corpus/$new"
				exit 1
			fi
			if [ "$attempt" = 1 ] && coordinator_race; then
				tail -5 "$log"
				echo "!!!"
				echo "!!! fuzz $pkg $f: the fuzzing engine ended with a bare 'context deadline exceeded' and wrote no"
				echo "!!! input: the Go coordinator's race at the -fuzztime deadline (go.dev/issue/75804), not a finding."
				echo "!!! Running $f once more; a second failure fails make fuzz."
				echo "!!!"
				continue
			fi
			tail -40 "$log"
			if s=$(stalls) && [ -n "$s" ]; then
				echo "--- the engine counted no execution for 3 s or more (a slow input, or minimizing one):"
				echo "$s"
			fi
			inputs=$(grep -E 'failure while testing seed corpus entry|Failing input written|go test -run=|testdata/fuzz/' "$log" | sort -u)
			if [ -n "$inputs" ]; then
				echo "--- the input the engine names:"
				echo "$inputs"
			else
				echo "--- the engine names no input"
			fi
			echo "FAIL fuzz $pkg $f: the fuzzing engine failed without writing a failing input (log: $log)"
			exit 1
		done
	done
done
