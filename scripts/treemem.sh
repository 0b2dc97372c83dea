#!/usr/bin/env bash
# Peak memory of a command's whole process tree: runs the command, samples
# every process of its tree (/proc/PID/task/*/children) every few
# milliseconds, and prints each process's peak resident set (VmHWM, as last
# seen before it exited) and their sum. The command's own output goes to
# stdout/stderr as usual; the report goes to stderr (or $TREEMEM_OUT).
#
#   scripts/treemem.sh bin/lavacore run job.yaml --lab DIR
#   TREEMEM_OUT=mem.txt scripts/treemem.sh bin/lavacore describe job.yaml --lab examples/lab
#
# TREEMEM_EXCLUDE=REGEX leaves out the processes whose command line matches
# (e.g. '^qemu-system' for a board the command powers on).
#
# Processes that live shorter than the sampling period may be missed, and a
# peak reached in a process's last milliseconds may be under-counted: it is a
# lower bound, close for long-lived processes such as lavacore and its plugins.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
out=${TREEMEM_OUT:-/dev/stderr}
period=${TREEMEM_PERIOD:-0.005}
exclude=${TREEMEM_EXCLUDE:-}

"$@" &
root=$!
declare -A hwm name

tree() { # pids of $1 and its descendants
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done
}

while kill -0 "$root" 2>/dev/null; do
	for p in $(tree "$root"); do
		kb=$(awk '/^VmHWM:/{print $2}' /proc/"$p"/status 2>/dev/null || true)
		[ -n "$kb" ] || continue
		if [ -z "${hwm[$p]:-}" ] || [ "$kb" -gt "${hwm[$p]}" ]; then hwm[$p]=$kb; fi
		[ -n "${name[$p]:-}" ] || name[$p]=$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-80)
		[ -n "${name[$p]:-}" ] || name[$p]=$(cat /proc/"$p"/comm 2>/dev/null)
		if [ -n "$exclude" ] && [[ ${name[$p]} =~ $exclude ]]; then unset "hwm[$p]"; continue; fi
	done
	sleep "$period"
done
rc=0
wait "$root" || rc=$?

total=0
for p in "${!hwm[@]}"; do total=$((total + hwm[$p])); done
{
	for p in "${!hwm[@]}"; do
		printf '%8.1f MB  pid %-7s %s\n' "$(echo "${hwm[$p]}/1024" | bc -l)" "$p" "${name[$p]}"
	done | sort -k4
	printf '%8.1f MB  total peak RSS of %d processes (sum of VmHWM)\n' "$(echo "$total/1024" | bc -l)" "${#hwm[@]}"
} >"$out"
exit "$rc"
