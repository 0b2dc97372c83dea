#!/usr/bin/env bash
# make bench-lava: Debian's LAVA dispatcher (lava-run 2023.01) and lavacore run the same jobs on the
# virtual lab's board-01, alternately, and the figures are compared.
#
#   scripts/bench-lava.sh [-n N] [-o DIR] [-j ramdisk,nfs] [-m cold,warm] [-t lava,lavacore]
#                                                  (root; `make bench-lava BENCH_N=2`)
#
# Both run examples/jobs/single-node-{ramdisk,nfs}.yaml with `shallow: false` added to their git
# test definitions (LAVA clones with --depth=1, which the lab's plain-HTTP git repository refuses)
# on ONE device file: lab/lava/lavacore-lab-x86.jinja2 rendered (lab/lava/render.py) from the
# board's dictionary (`lavacore lab lava-dictionary board-01`). lava-run's only difference:
# lab_nfsroot_prefix, because LAVA extracts the NFS root under /var/lib/lava/dispatcher/tmp, which
# is bind-mounted from <lab>/nfs/lava-run/var/lib/lava/dispatcher/tmp for the run (the lab exports
# <lab>/nfs only; a tmpfs while the lab is up, so both dispatchers extract into memory).
# lava-run's TFTP deploy reads TFTP_DIRECTORY from /etc/default/tftpd-hpa: it is pointed at the
# lab's TFTP root for the run and put back afterwards (the daemon is not used: the lab's dnsmasq
# serves TFTP).
#
# Per job, N repetitions of: cold (lavacore's artefact cache emptied with `lavacore cache prune
# --all` first; LAVA has no cache) and warm (right after), each a lava-run then a lavacore run
# (the order swaps every repetition). Each run:
#   wall      the dispatcher process, start to exit
#   board     from the start of the pdu-reboot action (power-on) to the start of finalize
#             (tests done), from the job log's timestamps, the same markers in both logs
#   overhead  wall - board: the dispatcher's own work (downloads, overlay, NFS extraction,
#             start-up, finalize)
#   memory    peak memory of the dispatcher's process tree: the sum of each process's VmHWM
#             (scripts/treemem.sh, sampled every 50 ms; the board's QEMU and the lab's power
#             commands, its PDU, excluded)
# and the table gives medians and the lavacore/LAVA ratios; it is printed and written to
# DIR/bench-lava.txt (DIR: bin/bench-lava), with every run's figures in DIR/runs.tsv and logs
# under DIR/runs/.
#
# The lab: brought up (`lavacore lab up --boards 1 --image all`) if it is down, and down again at
# the end. On a machine shared with other users of the lab, hold its lock: set LAB_LOCK (e.g.
# LAB_LOCK=/run/lock/lab.lock make bench-lava) and the script re-runs itself under `flock $LAB_LOCK`.
set -euo pipefail
if [ -n "${LAB_LOCK:-}" ] && [ -z "${BENCH_LAVA_LOCKED:-}" ]; then
	exec env BENCH_LAVA_LOCKED=1 flock "$LAB_LOCK" "$0" "$@"
fi
here=$(cd "$(dirname "$0")/.." && pwd)
N=2
OUT=$here/bin/bench-lava
JOBS=ramdisk,nfs
MODES=cold,warm
TOOLS=lava,lavacore
while getopts "n:o:j:m:t:" o; do
	case $o in
	n) N=$OPTARG ;;
	o) OUT=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	m) MODES=$OPTARG ;;
	t) TOOLS=$OPTARG ;;
	*) sed -n '2,10p' "$0" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench-lava: run as root (the lab, lava-run's TFTP and NFS directories)" >&2; exit 2; }
LAVACORE=${LAVACORE:-$here/bin/lavacore} # the lavacore binary, its plugins beside it
[ -x "$LAVACORE" ] || { echo "bench-lava: no $LAVACORE (make build)" >&2; exit 2; }
command -v lava-run >/dev/null || { echo "bench-lava: no lava-run (make deps: scripts/deps.d/lava-run.apt)" >&2; exit 2; }
[ -e /etc/default/tftpd-hpa ] || { echo "bench-lava: no /etc/default/tftpd-hpa (make deps installs tftpd-hpa)" >&2; exit 2; }
PY=/usr/bin/python3
LAB=$("$LAVACORE" lab dir)
LAVATMP=/var/lib/lava/dispatcher/tmp
PREFIX=$LAB/nfs/lava-run
mkdir -p "$OUT/runs"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
rm -rf "$W" && mkdir -p "$W"

# --- everything changed below is put back by cleanup ---------------------------------------
lab_started=0
tftp_saved=0
bound=0
cleanup() {
	set +e
	if [ "$bound" = 1 ]; then umount "$LAVATMP" && rm -rf "$PREFIX"; fi
	if [ "$tftp_saved" = 1 ]; then cp -p "$W/tftpd-hpa.orig" /etc/default/tftpd-hpa; fi
	if [ "$lab_started" = 1 ]; then "$LAVACORE" lab down >/dev/null; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$LAVACORE" lab status | head -1 | grep -q ': up$'; then
	echo "bench-lava: lavacore lab up --boards 1 --image all"
	"$LAVACORE" lab up --boards 1 --image all
	lab_started=1
fi
# one power-cycle to GRUB's prompt first, not measured: the board's first boot after lab up is
# not like the others (OVMF's variable store)
"$LAVACORE" lab check board-01 >/dev/null
cp -p /etc/default/tftpd-hpa "$W/tftpd-hpa.orig"
tftp_saved=1
sed -i "s|^TFTP_DIRECTORY=.*|TFTP_DIRECTORY=\"$LAB/tftp\"|" /etc/default/tftpd-hpa
mkdir -p "$PREFIX$LAVATMP" "$LAVATMP"
mount --bind "$PREFIX$LAVATMP" "$LAVATMP"
bound=1

# the device files: one template + dictionary; lava-run's gets the nfsroot prefix
"$LAVACORE" lab lava-dictionary board-01 >"$W/board-01.jinja2"
$PY "$here/lab/lava/render.py" "$W/board-01.jinja2" >"$W/lava-board-01.yaml"
$PY "$here/lab/lava/render.py" "$W/board-01.jinja2" lab_nfsroot_prefix="$PREFIX" >"$W/lava-run-board-01.yaml"
printf 'dispatcher_ip: %s\n' "$(sed -n 's/^ *dispatcher_ip *= *"\(.*\)"/\1/p' "$LAB/lab.hcl")" >"$W/dispatcher.yaml"
for j in ${JOBS//,/ }; do
	src=$here/examples/jobs/single-node-$j.yaml
	[ -f "$src" ] || { echo "bench-lava: no $src" >&2; exit 2; }
	awk '{print} /^    - from: git$/ {print "      shallow: false"}' "$src" >"$W/$j.yaml"
done

# board time from a log: pdu-reboot start -> finalize start (lava-run writes its log to stderr,
# a record a line; lavacore's log.yaml the same records as a YAML list)
board_time() {
	$PY - "$1" <<'PY'
import datetime, json, re, sys
t0 = t1 = None
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if line.startswith("- "):
        line = line[2:]
    try:
        r = json.loads(line)
    except ValueError:
        continue
    m = r.get("msg") if isinstance(r, dict) else None
    if not isinstance(m, str):
        continue
    if t0 is None and re.match(r"start: [0-9.]+ pdu-reboot ", m):
        t0 = r["dt"]
    if re.match(r"start: [0-9.]+ finalize ", m):
        t1 = r["dt"]
def ts(s):  # LAVA: naive UTC; lavacore: +00:00
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).replace(tzinfo=None)
print("%.2f" % (ts(t1) - ts(t0)).total_seconds() if t0 and t1 else "nan")
PY
}

# one run: TOOL JOB MODE REP -> a line of runs.tsv
job_id=$(date +%s)
run() {
	local tool=$1 job=$2 mode=$3 rep=$4 dir rc=0 t0 t1 log
	dir=$OUT/runs/$job-$mode-$rep-$tool
	rm -rf "$dir" && mkdir -p "$dir"
	job_id=$((job_id + 1))
	if [ "$tool" = lavacore ] && [ "$mode" = cold ]; then "$LAVACORE" cache prune --all --lab "$LAB" >/dev/null; fi
	sync
	t0=$(date +%s.%N)
	if [ "$tool" = lava ]; then
		TREEMEM_OUT=$dir/mem.txt TREEMEM_PERIOD=0.05 TREEMEM_EXCLUDE='^qemu-system|/lavacore lab power ' "$here/scripts/treemem.sh" \
			lava-run --job-id "$job_id" --output-dir "$dir/out" --device "$W/lava-run-board-01.yaml" \
			--dispatcher "$W/dispatcher.yaml" "$W/$job.yaml" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
		log=$dir/stderr
	else
		TREEMEM_OUT=$dir/mem.txt TREEMEM_PERIOD=0.05 TREEMEM_EXCLUDE='^qemu-system|/lavacore lab power ' "$here/scripts/treemem.sh" \
			"$LAVACORE" run "$W/$job.yaml" --lava-device "$W/lava-board-01.yaml" --lab "$LAB" \
			--job-id "$job_id" --output-dir "$dir/out" --progress plain >"$dir/stdout" 2>"$dir/stderr" || rc=$?
		log=$dir/out/log.yaml
	fi
	t1=$(date +%s.%N)
	local wall board mem overhead=nan
	wall=$(echo "$t1 - $t0" | bc -l)
	board=$(board_time "$log" 2>/dev/null || echo nan)
	if [ "$board" != nan ]; then overhead=$(printf '%.2f' "$(echo "$wall - $board" | bc -l)"); fi
	mem=$(awk '/total peak RSS/ {print $1}' "$dir/mem.txt")
	printf '%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\n' "$tool" "$job" "$mode" "$rep" "$rc" "$wall" "$board" "$overhead" "$mem" >>"$OUT/runs.tsv"
	printf 'bench-lava: %-8s %-7s %-4s #%s exit %s: wall %.1f s, board %s s, overhead %s s, memory %s MB\n' "$tool" "$job" "$mode" "$rep" "$rc" "$wall" "$board" "$overhead" "$mem"
}

printf 'tool\tjob\tmode\trep\texit\twall_s\tboard_s\toverhead_s\tmem_mb\n' >"$OUT/runs.tsv"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq 1 "$N"); do
	for j in ${JOBS//,/ }; do
		for mode in ${MODES//,/ }; do
			order=${TOOLS//,/ }
			if [ $((rep % 2)) = 0 ]; then order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' '); fi
			for tool in $order; do run "$tool" "$j" "$mode" "$rep"; done
		done
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

$PY - "$OUT/runs.tsv" "$load_start" "$load_end" "$N" "$(lava-run --help >/dev/null 2>&1; dpkg-query -W -f='${Version}' lava-dispatcher)" "$("$LAVACORE" --version 2>/dev/null | head -1)" <<'PY' | tee "$OUT/bench-lava.txt"
import csv, math, statistics, sys
path, load0, load1, n, lava_v, lc_v = sys.argv[1:7]
rows = list(csv.DictReader(open(path), delimiter="\t"))
def med(tool, job, mode, key):
    v = [float(r[key]) for r in rows if r["tool"] == tool and r["job"] == job and r["mode"] == mode
         and r["exit"] == "0" and r[key] not in ("", "nan")]
    return statistics.median(v) if v else float("nan")
def count(tool, job, mode):
    rs = [r for r in rows if r["tool"] == tool and r["job"] == job and r["mode"] == mode]
    return "%d/%d" % (sum(r["exit"] == "0" for r in rs), len(rs))
def f(x, d=1):
    return "-" if math.isnan(x) else ("%.*f" % (d, x))
print("bench-lava: board-01 of lavacore's virtual lab, %s repetition(s); LAVA lava-run %s, %s" % (n, lava_v, lc_v))
print("load average (1, 5, 15 min) at start: %s, at end: %s" % (load0, load1))
print("medians of the Complete runs; wall = process start to exit, board = pdu-reboot start to finalize start,")
print("overhead = wall - board, memory = peak of the process tree (sum of VmHWM; QEMU and the lab's power commands excluded)")
print()
hdr = "| job | cache | dispatcher | complete | wall s | board s | overhead s | memory MB |"
print(hdr)
print("|---|---|---|---|---|---|---|---|")
jobs = []
for r in rows:
    if r["job"] not in jobs:
        jobs.append(r["job"])
for job in jobs:
    for mode in ("cold", "warm"):
        for tool, name in (("lava", "LAVA lava-run"), ("lavacore", "lavacore")):
            w, b = med(tool, job, mode, "wall_s"), med(tool, job, mode, "board_s")
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (job, mode, name, count(tool, job, mode), f(w), f(b),
                  f(med(tool, job, mode, "overhead_s"), 2), f(med(tool, job, mode, "mem_mb"))))
        ratio = lambda k: med("lavacore", job, mode, k) / med("lava", job, mode, k)
        print("| %s | %s | lavacore/LAVA | | %s | %s | %s | %s |" % (job, mode, f(ratio("wall_s"), 2), f(ratio("board_s"), 2),
              f(ratio("overhead_s"), 2), f(ratio("mem_mb"), 2)))
PY
