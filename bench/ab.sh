#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench/ab.sh: compare two builds' imports on a noisy machine (see
# doc/performance.md, "Noise, and how the A/B was made"). The daemons of
# both builds import the same population at the same time, one core each,
# so that whatever slows the machine during a round slows both; rounds
# alternate which one starts first. Each file starts on both sides
# together: the side that finished the previous file first waits, so that
# a file of one build never runs beside another file of the other. Run
# alone, on a 2-core machine.
#
#   bench/ab.sh BUILD_A BUILD_B DATADIR [ROUNDS [KIND...]]
#
#   BUILD_A, BUILD_B  build directories holding retentiond and retentionctl
#   DATADIR   a population: `gendemo DATADIR N 42 2026-11-21`
#   ROUNDS    default 2
#   KIND      the files imported, in order (default: patients encounters)
#
# With AB_SEQUENTIAL=1 the two sides of a round run one after the other
# instead (the order still alternating): for a change that puts the second
# core to work, which at once would be taken by the other build.
#
# Prints, for each round, build and kind, the wall time of
# `retentionctl --json import` and the daemon's CPU time during it, then
# for each kind the ratio B/A of the summed wall times, and in how many
# rounds B was the faster. Scratch space:
# BENCH_TMPDIR (default $TMPDIR or /tmp), about 1.2 GB per million
# dossiers and build, removed at the end.
set -euo pipefail
export LC_ALL=C

usage() {
	sed -n '4,29p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 3 ] || usage
A=$1 B=$2 DATA=$3 ROUNDS=${4:-2}
shift $(($# < 4 ? $# : 4))
KINDS=("$@")
[ ${#KINDS[@]} -gt 0 ] || KINDS=(patients encounters)
for b in "$A" "$B"; do
	[ -x "$b/retentiond" ] && [ -x "$b/retentionctl" ] ||
		{ echo "ab.sh: $b: no retentiond or retentionctl" >&2; exit 1; }
done
for k in "${KINDS[@]}"; do
	[ -r "$DATA/$k.csv" ] || { echo "ab.sh: no $DATA/$k.csv" >&2; exit 1; }
done
W=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/retentiond-ab.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	rm -rf "$W"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
# utime + stime of a process, in ms (fields 14 and 15, in clock ticks).
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

# barrier NAME KIND: wait until the other side reaches KIND too (the
# round's files are named after the round, so that no file of a round
# before can be taken for one of this round).
barrier() {
	[ -z "${AB_SEQUENTIAL:-}" ] || return 0
	local other=a
	[ "$1" = a ] && other=b
	: >"$W/ready.$ROUND.$1.$2"
	while [ ! -e "$W/ready.$ROUND.$other.$2" ]; do sleep 0.05; done
}

# side NAME BUILD: one daemon on a fresh database, the files imported in
# order; "kind wall_ms cpu_ms" lines on stdout.
side() {
	local d=$W/$1 build=$2 pid t0 c0 t1
	mkdir -p "$d"
	cat >"$d/conf" <<EOF
[daemon]
database    = $d/db.sqlite
socket      = $d/sock
socket_mode = 0600

[establishment]
name   = A/B
finess = 123456789
public = yes

[schedule]
scan_at = off
EOF
	RETENTIOND_TODAY=2026-11-21 "$build/retentiond" --config "$d/conf" >"$d/log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		"$build/retentionctl" --socket "$d/sock" --json status >/dev/null 2>&1 && break
		sleep 0.1
	done
	for k in "${KINDS[@]}"; do
		barrier "$1" "$k"
		t0=$(now_ms) c0=$(cpu_ms "$pid")
		"$build/retentionctl" --socket "$d/sock" --json import "$k" "$DATA/$k.csv" >"$d/$k.json" ||
			{ echo "ab.sh: $build: import $k failed" >&2; cat "$d/$k.json" >&2; }
		t1=$(now_ms)
		echo "$k $((t1 - t0)) $(($(cpu_ms "$pid") - c0))"
	done
	kill "$pid"
	wait "$pid" 2>/dev/null || :
	rm -rf "$d"
}

for r in $(seq 1 "$ROUNDS"); do
	ROUND=$r
	if [ $((r % 2)) -eq 1 ]; then first=(a "$A") second=(b "$B"); else first=(b "$B") second=(a "$A"); fi
	if [ -n "${AB_SEQUENTIAL:-}" ]; then
		side "${first[@]}" >"$W/${first[0]}.$r"
		side "${second[@]}" >"$W/${second[0]}.$r"
	else
		side "${first[@]}" >"$W/${first[0]}.$r" &
		PIDS=($!)
		side "${second[@]}" >"$W/${second[0]}.$r" &
		PIDS+=($!)
		wait "${PIDS[@]}"
		PIDS=()
	fi
	for s in a b; do
		build=$A
		[ $s = a ] || build=$B
		awk -v r="$r" -v s="$s" -v b="$(basename "$build")" \
			'{ printf "round %d  %s %-12s %-14s wall %8.2f s  cpu %8.2f s\n", r, s, $1, b, $2 / 1000, $3 / 1000 }' \
			"$W/$s.$r"
	done
done
for k in "${KINDS[@]}"; do
	awk -v k="$k" -v rounds="$ROUNDS" '$1 == k {
			side = FILENAME ~ /\/a\.[0-9]+$/ ? "a" : "b"
			r = FILENAME; sub(/.*\./, "", r)
			s[side] += $2; t[side, r] = $2
		}
		END {
			for (r = 1; r <= rounds; r++) won += t["b", r] < t["a", r]
			printf "%s: B/A wall %.3f (A %.1f s, B %.1f s in all); B faster in %d of %d rounds\n",
				k, s["b"] / s["a"], s["a"] / 1000, s["b"] / 1000, won, rounds
		}' "$W"/a.* "$W"/b.*
done
