#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench/run.sh: the benchmark of retentiond (see bench/README and
# doc/performance.md). It runs the real daemon and the real CLI on a
# synthetic population, and measures beside each figure its floor, on the
# same data in the same run.
#
#   bench/run.sh BUILDDIR N [K]
#
#   BUILDDIR  a build directory holding retentiond, retentionctl and gendemo
#             (`make retentiond retentionctl gendemo`), or "-" to take them
#             from $RETENTIOND, $RETENTIONCTL and $GENDEMO
#   N         dossiers (patients); about 5 N encounters
#   K         dossiers changed before the nightly scan (default 10000)
#
# Environment: BENCH_TMPDIR (where the scratch directory is made, default
# $TMPDIR or /tmp; needs about 1.2 GB per million dossiers), BENCH_SEED
# (gendemo's seed, 42), BENCH_CALLS (latency calls per series, 1000),
# BENCH_KEEP=1 (keep the scratch directory), BENCH_DATA (a directory where
# `gendemo DIR N SEED 2026-11-21` already wrote the population),
# BENCH_QUICK=1 (the daemon's figures only: no floors, no latency series),
# BENCH_OUT (also write the results, one "key<TAB>value" a line, to this
# file), SQLITE3 (the sqlite3 shell, >= 3.38 for unixepoch()), PYTHON.
#
# Nothing is built, nothing outside the scratch directory is written, and
# the only process ever signalled is the daemon this script started.
set -euo pipefail
export LC_ALL=C

usage() {
	sed -n '4,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
BUILD=$1 N=$2 K=${3:-10000}
if [ "$BUILD" != - ]; then
	RETENTIOND=$BUILD/retentiond
	RETENTIONCTL=$BUILD/retentionctl
	GENDEMO=$BUILD/gendemo
fi
: "${RETENTIOND:?}" "${RETENTIONCTL:?}" "${GENDEMO:?}"
for p in "$RETENTIOND" "$RETENTIONCTL" "$GENDEMO"; do
	[ -x "$p" ] || { echo "run.sh: $p: not an executable" >&2; exit 2; }
done
SQLITE3=${SQLITE3:-sqlite3}
PYTHON=${PYTHON:-python3}
SEED=${BENCH_SEED:-42}
CALLS=${BENCH_CALLS:-1000}
TODAY=2026-11-21
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$K" -le "$N" ] || { echo "run.sh: K must not exceed N" >&2; exit 2; }

W=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/retentiond-bench.XXXXXX")
DATA=$W/data DB=$W/db/retention.db SOCK=$W/retentiond.sock CONF=$W/retentiond.conf
RES=$W/results.tsv
DPID=""
mkdir -p "$DATA" "$W/db"
unset RETENTIOND_SOCKET

cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "# scratch kept: $W" >&2
	else
		rm -rf "$W"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ------------------------------------------------------------ helpers

now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }
load1() { cut -d' ' -f1 /proc/loadavg; }
# Daemon CPU time (user + system) in ms, and its peak RSS in KiB.
dcpu() { awk -v t="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / t)}' "/proc/$DPID/stat"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$DPID/status"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$DPID/status"; }
# Bytes the daemon had read from storage (not the page cache), in MiB: a
# phase that reads a database evicted from the cache since (on this
# machine the hypervisor's page-out of idle pages does it within minutes).
dread() { awk '/^read_bytes/ {print int($2 / 1048576)}' "/proc/$DPID/io" 2>/dev/null || echo 0; }
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Results go to fd 3, the script's standard output, even from a phase
# whose command's output is redirected.
exec 3>&1
rec() {
	printf '%s\t%s\n' "$1" "$2" >>"$RES"
	printf '  %-34s %s\n' "$1" "$2" >&3
}

# jget FILE EXPR: a value of a JSON document (d is the document).
jget() {
	"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

ctl() { "$RETENTIONCTL" --socket "$SOCK" "$@"; }

# phase NAME CMD...: run CMD, record its wall time, the daemon's CPU time
# and reads from storage over it, and the load average when it started.
# Sets MS.
phase() {
	local name=$1 t0 c0 l0 r0
	shift
	l0=$(load1)
	c0=$(dcpu)
	r0=$(dread)
	t0=$(now_ns)
	"$@"
	MS=$(ms_since "$t0")
	rec "$name.ms" "$MS"
	rec "$name.daemon_cpu_ms" $(($(dcpu) - c0))
	rec "$name.daemon_read_mib" $(($(dread) - r0))
	rec "$name.load1" "$l0"
	rec "$name.hwm_kib" "$(hwm)"
}

# sq DB SQL...: the sqlite3 shell with the daemon's page cache size.
sq() {
	local db=$1
	shift
	"$SQLITE3" -batch -bail -cmd "PRAGMA cache_size = -65536" "$db" "$@"
}

# best2 NAME CMD...: run CMD twice (the second warm), record the faster.
best2() {
	local name=$1 t0 a b
	shift
	t0=$(now_ns); "$@" >"$W/best.out"; a=$(ms_since "$t0")
	t0=$(now_ns); "$@" >"$W/best.out"; b=$(ms_since "$t0")
	rec "$name.ms" $((a < b ? a : b))
	rec "$name.runs_ms" "$a,$b"
}

# settle: let the daemon finish its deferred work (the checkpoint it runs
# once idle for a second) so that it does not run under the next figure.
settle() {
	sleep 1.5
	for _ in $(seq 1 1200); do
		ctl --json status >"$W/settle.json" 2>/dev/null &&
			[ "$(jget "$W/settle.json" 'd["job"]["running"] is None and d["job"]["queued"] == 0')" = True ] &&
			return 0
		sleep 0.1
	done
	echo "run.sh: the daemon is still busy after 2 minutes" >&2
}

rows() { echo $(($(wc -l <"$1") - 1)); }
rate() { [ "$2" -gt 0 ] && echo $(($1 * 1000 / $2)) || echo inf; }

# ------------------------------------------------------------ machine

{
	echo "# retentiond benchmark, $(date -u +%FT%TZ)"
	echo "# N=$N K=$K seed=$SEED today=$TODAY scratch=$W"
	echo "# host: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
		"$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
	echo "# sqlite3 shell $("$SQLITE3" --version | cut -d' ' -f1), python $("$PYTHON" -c 'import platform; print(platform.python_version())')"
	echo "# uptime:$(uptime | sed 's/.*up/ up/')"
} | tee "$W/header"
: >"$RES"

# ------------------------------------------------------------ population

echo "== population"
t0=$(now_ns)
if [ -n "${BENCH_DATA:-}" ]; then
	# A population generated beforehand: gendemo is deterministic, so the
	# same N and seed give the same files.
	for kind in patients encounters transfusions litigations; do
		ln -s "$(cd "$BENCH_DATA" && pwd)/$kind.csv" "$DATA/$kind.csv"
	done
else
	"$GENDEMO" "$DATA" "$N" "$SEED" "$TODAY"
	rec gendemo.ms "$(ms_since "$t0")"
fi
for kind in patients encounters transfusions litigations; do
	rec "rows.$kind" "$(rows "$DATA/$kind.csv")"
done
rec csv_bytes "$(du -cbL "$DATA"/*.csv | tail -1 | cut -f1)"

# K changed dossiers: one new consultation each (2026-11-10), for K living
# patients with a birth date, spread evenly over the population (a new
# encounter of a deceased patient would be an anomaly, not a change).
awk -F, -v k="$K" 'NR == FNR { if (FNR > 1 && $2 != "" && $3 == "") live++; next }
	FNR == 1 { print "encounter_id,ipp,kind,start_date,end_date"; step = live / k; next }
	$2 != "" && $3 == "" { if (n < k && seen >= n * step) printf "BENCH%d,%s,consultation,2026-11-10,\n", n++, $1; seen++ }' \
	"$DATA/patients.csv" "$DATA/patients.csv" >"$DATA/changes.csv"
[ "$(rows "$DATA/changes.csv")" -eq "$K" ] || { echo "run.sh: cannot pick $K living patients" >&2; exit 1; }

# ------------------------------------------------------------ daemon

cat >"$CONF" <<EOF
[daemon]
database    = $DB
socket      = $SOCK
socket_mode = 0600

[establishment]
name   = Banc d'essai
finess = 123456789
public = yes

[schedule]
; scans only on request: every scan below is timed
scan_at = off
EOF

echo "== daemon"
RETENTIOND_TODAY=$TODAY "$RETENTIOND" --config "$CONF" >"$W/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 1 100); do
	kill -0 "$DPID" 2>/dev/null || { cat "$W/daemon.log" >&2; echo "run.sh: the daemon exited" >&2; exit 1; }
	ctl --json status >/dev/null 2>&1 && break
	sleep 0.1
done
ctl --json status >"$W/status0.json"
rec daemon.pid "$DPID"
rec daemon.rss_idle_kib "$(rss)"
# The empty database, for floor (a2) below.
sq "$DB" ".backup $W/schema.db"

# ------------------------------------------------------------ imports

echo "== imports (retentionctl import KIND FILE, end to end)"
for kind in patients encounters transfusions litigations; do
	n=$(rows "$DATA/$kind.csv")
	phase "import.$kind" ctl --json import "$kind" "$DATA/$kind.csv" >"$W/import.$kind.json"
	rec "import.$kind.rows_per_s" "$(rate "$n" "$MS")"
	rec "import.$kind.recomputed" "$(jget "$W/import.$kind.json" 'd["recomputed"]')"
	rec "import.$kind.server_ms" "$(jget "$W/import.$kind.json" 'd["duration_ms"]')"
	phase "checkpoint.$kind" settle
done
n=$(rows "$DATA/encounters.csv")
phase import.encounters_again ctl --json import encounters "$DATA/encounters.csv" >"$W/import.again.json"
rec import.encounters_again.rows_per_s "$(rate "$n" "$MS")"
rec import.encounters_again.changed "$(jget "$W/import.again.json" 'd["rows_changed"]')"
settle
rec wal_bytes_after_imports "$(fsize "$DB-wal")"

if [ -z "${BENCH_QUICK:-}" ]; then
echo "== floor (a): sqlite3 .import --csv of the same files, one transaction, no index"
for kind in patients encounters transfusions litigations; do
	cols=$(head -1 "$DATA/$kind.csv")
	t0=$(now_ns)
	sq "$W/floor.db" "PRAGMA journal_mode = WAL" "PRAGMA synchronous = NORMAL" \
		"CREATE TABLE $kind ($cols)" "BEGIN" \
		".import --csv --skip 1 $DATA/$kind.csv $kind" "COMMIT" >/dev/null
	ms=$(ms_since "$t0")
	rec "floor_a.$kind.ms" "$ms"
	rec "floor_a.$kind.rows_per_s" "$(rate "$(rows "$DATA/$kind.csv")" "$ms")"
done

echo "== floor (a2): set-based SQL load into the daemon's schema (same B-trees, dossier rows included, no recompute)"
d2u="unixepoch(nullif(%s, '')) / 86400"
conv() { printf "$d2u" "$1"; }
a2() {
	local kind=$1 cols=$2 ins=$3 t0 ms
	t0=$(now_ns)
	sq "$W/schema.db" "PRAGMA journal_mode = WAL" "PRAGMA synchronous = NORMAL" "BEGIN" \
		"CREATE TEMP TABLE stage ($cols)" \
		".import --csv --skip 1 --schema temp $DATA/$kind.csv stage" \
		"$ins" "DROP TABLE temp.stage" "COMMIT" >/dev/null
	ms=$(ms_since "$t0")
	rec "floor_a2.$kind.ms" "$ms"
	rec "floor_a2.$kind.rows_per_s" "$(rate "$(rows "$DATA/$kind.csv")" "$ms")"
}
a2 patients "ipp, birth_date, death_date" \
	"INSERT INTO patients(ipp, birth_date, death_date) SELECT ipp, $(conv birth_date), $(conv death_date) FROM stage;
	 INSERT INTO dossiers(patient_id, dirty) SELECT id, 1 FROM patients"
a2 encounters "encounter_id, ipp, kind, start_date, end_date" \
	"INSERT OR IGNORE INTO kinds(name) SELECT DISTINCT kind FROM stage;
	 INSERT INTO encounters SELECT s.encounter_id, p.id, k.id, $(conv s.start_date), $(conv s.end_date)
	 FROM stage s JOIN patients p ON p.ipp = s.ipp JOIN kinds k ON k.name = s.kind"
a2 transfusions "transfusion_id, ipp, act_date" \
	"INSERT INTO transfusions SELECT s.transfusion_id, p.id, $(conv s.act_date) FROM stage s JOIN patients p ON p.ipp = s.ipp"
a2 litigations "litigation_id, ipp, opened_on, closed_on, reference" \
	"INSERT INTO litigations SELECT s.litigation_id, p.id, $(conv s.opened_on), $(conv s.closed_on), nullif(s.reference, '') FROM stage s JOIN patients p ON p.ipp = s.ipp"
rm -f "$W/floor.db"* "$W/schema.db"*
fi

# ------------------------------------------------------------ full recompute

echo "== full recompute (retentionctl scan --full)"
# The first full scan of a database also opens its proposals (a one-off
# that writes for minutes at 10M): explain and status are timed during it
# too, by the protocol only (no retentionctl processes taking the CPU
# from the scan being timed).
first_scan() {
	local pid
	ctl --json scan --full >"$W/full1.json" &
	pid=$!
	if [ -z "${BENCH_QUICK:-}" ]; then
		sleep 0.3 # the job under way
		"$PYTHON" "$HERE/latency.py" "$SOCK" "$RETENTIONCTL" "$N" "$CALLS" \
			--while-pid "$pid" >"$W/lat_first.json"
	fi
	wait "$pid"
}
phase scan_full_first first_scan
rec scan_full_first.recomputed "$(jget "$W/full1.json" 'd["recomputed"]')"
rec scan_full_first.proposed "$(jget "$W/full1.json" 'd["proposed"]')"
settle
# Then the better of two runs that change nothing, as for the floors.
phase scan_full_1 ctl --json scan --full >"$W/full2.json"
full_a=$MS
settle
phase scan_full_2 ctl --json scan --full >"$W/full3.json"
full_b=$MS
[ "$full_a" -le "$full_b" ] && full_best=$W/full2.json || full_best=$W/full3.json
rec scan_full.ms $((full_a < full_b ? full_a : full_b))
rec scan_full.runs_ms "$full_a,$full_b"
rec scan_full.recomputed "$(jget "$full_best" 'd["recomputed"]')"
rec scan_full.server_ms "$(jget "$full_best" 'd["duration_ms"]')"
settle

if [ -z "${BENCH_QUICK:-}" ]; then
echo "== floors (b), (c) on the daemon's database (best of two runs)"
best2 floor_b_groupby sq "$DB" \
	"SELECT count(*), sum(m) FROM (SELECT patient_id, max(coalesce(end_date, start_date)) AS m FROM encounters GROUP BY patient_id)"
rec floor_b_groupby.result "$(tr '|' ' ' <"$W/best.out")"
best2 floor_b_count sq "$DB" "SELECT count(*), max(end_date) FROM encounters"
sed "s/2026-11-21/$TODAY/" "$HERE/naive.sql" >"$W/naive.sql"
best2 floor_c_naive sq "$DB" ".read $W/naive.sql"
rec floor_c_naive.result "$(tr '|' ' ' <"$W/best.out")"
fi

# ------------------------------------------------------------ nightly

echo "== nightly scan (retentionctl scan)"
phase scan_unchanged ctl --json scan >"$W/scan0.json"
rec scan_unchanged.recomputed "$(jget "$W/scan0.json" 'd["recomputed"]')"
phase import_k ctl --json import encounters "$DATA/changes.csv" >"$W/importk.json"
rec import_k.recomputed "$(jget "$W/importk.json" 'd["recomputed"]')"
rec import_k.withdrawn "$(jget "$W/importk.json" 'd["withdrawn"]')"
phase scan_after_import_k ctl --json scan >"$W/scan1.json"
rec scan_after_import_k.recomputed "$(jget "$W/scan1.json" 'd["recomputed"]')"
rec scan_after_import_k.proposed "$(jget "$W/scan1.json" 'd["proposed"]')"
settle

# ------------------------------------------------------------ latency

if [ -z "${BENCH_QUICK:-}" ]; then
echo "== latency ($CALLS calls per series, ms)"
"$PYTHON" "$HERE/latency.py" "$SOCK" "$RETENTIONCTL" "$N" "$CALLS" >"$W/lat_idle.json"
rec latency_idle.load1 "$(load1)"
rec latency_idle.hwm_kib "$(hwm)"
for s in raw-status raw-explain ctl-status ctl-explain; do
	rec "latency_idle.$s" "$(jget "$W/lat_idle.json" "' '.join('%s=%s' % kv for kv in d['$s'].items())")"
done
"$PYTHON" "$HERE/latency.py" "$SOCK" "$RETENTIONCTL" "$N" "$CALLS" --during-full-scan >"$W/lat_busy.json"
rec latency_busy.load1 "$(load1)"
rec latency_busy.hwm_kib "$(hwm)"
for s in raw-status raw-explain ctl-status ctl-explain; do
	rec "latency_busy.$s" "$(jget "$W/lat_busy.json" "' '.join('%s=%s' % kv for kv in d['$s'].items())")"
done
rec latency_busy.full_scans "$(jget "$W/lat_busy.json" 'd["full_scans"]')"
for s in raw-status raw-explain; do
	rec "latency_first_scan.$s" "$(jget "$W/lat_first.json" "' '.join('%s=%s' % kv for kv in d['$s'].items())")"
done
rec latency_first_scan.ended_early "$(jget "$W/lat_first.json" 'd["ended_early"]')"
fi

# ------------------------------------------------------------ memory, disk

echo "== memory and disk"
ctl --json status >"$W/status.json"
rec status.dossiers "$(jget "$W/status.json" 'd["dossiers"]')"
rec daemon.vmhwm_kib "$(hwm)"
rec daemon.vmrss_kib "$(rss)"
rec daemon.rss_anon_file_shmem_kib "$(awk '/^Rss(Anon|File|Shmem)/ {printf "%s%s", s, $2; s = ","}' "/proc/$DPID/status")"
rec db.bytes "$(fsize "$DB")"
rec db.wal_bytes "$(fsize "$DB-wal")"
rec db.shm_bytes "$(fsize "$DB-shm")"
sq "$DB" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12" \
	>"$W/dbstat.txt" 2>/dev/null && sed 's/^/  # dbstat /' "$W/dbstat.txt" || true
echo "== scan with K dirty dossiers"
# An import recomputes its dossiers itself: to time a scan that finds K
# dirty dossiers, mark K others dirty as the store does, with the running
# total it keeps (schema v6: no trigger keeps it). This is the
# only write from outside the daemon, hence last: it invalidates the
# daemon's page cache, whose refill may then come from another malloc arena
# (libuv's pool runs a job on any of its threads), so RSS is read before.
sq "$DB" "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $K - 1)
	UPDATE dossiers SET dirty = 1 WHERE patient_id IN (SELECT 2 + (i * $N) / $K FROM s);
	UPDATE counts SET n = (SELECT count(*) FROM dossiers WHERE dirty = 1) WHERE name = 'dirty'"
phase scan_k_dirty ctl --json scan >"$W/scan2.json"
rec scan_k_dirty.recomputed "$(jget "$W/scan2.json" 'd["recomputed"]')"
rec scan_k_dirty.server_ms "$(jget "$W/scan2.json" 'd["duration_ms"]')"
rec daemon.vmhwm_after_external_write_kib "$(hwm)"
kill -TERM "$DPID"
wait "$DPID" || true
DPID=""
rec db.bytes_after_stop "$(fsize "$DB")"
rec db.wal_bytes_after_stop "$(fsize "$DB-wal")"
echo "# uptime at the end:$(uptime | sed 's/.*up/ up/')"
{ cat "$W/header"; cat "$RES"; } >"$W/results.out"
echo
"$PYTHON" "$HERE/summary.py" "$W/results.out"
if [ -n "${BENCH_OUT:-}" ]; then
	cp "$W/results.out" "$BENCH_OUT"
fi
