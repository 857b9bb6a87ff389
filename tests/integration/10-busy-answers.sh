#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# While a long import or scan --full runs, status and explain answer within 1 second.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

gen_population 200000
write_config
start_daemon
import_examples
ctl import patients "$SCRATCH/gen/patients.csv" >/dev/null 2>"$ERR" ||
	{ show stderr "$ERR"; bail "cannot import the generated patients"; }

# answers WHAT KIND ROUNDS: status and explain each answer within 1 s,
# ROUNDS times, while the job KIND runs; status shows it.
answers() {
	local what=$1 kind=$2 i t0 ms rc
	for i in $(seq 1 "$3"); do
		t0=$(now_ms)
		ctl --json status >"$SCRATCH/busy.json" 2>"$ERR"
		rc=$?
		ms=$(($(now_ms) - t0))
		if [ "$rc" -eq 0 ] && [ "$ms" -lt 1000 ]; then
			ok "$what: status answers in $ms ms ($i)"
		else
			fail "$what: status took $ms ms (exit $rc), expected under 1000 ms ($i)"
		fi
		expect_json "$SCRATCH/busy.json" '(d["job"]["running"] or {}).get("kind")' "$kind" \
			"$what: status shows the running $kind ($i)"

		t0=$(now_ms)
		ctl --json explain EX-CHILD >"$OUT" 2>"$ERR"
		rc=$?
		ms=$(($(now_ms) - t0))
		if [ "$rc" -eq 0 ] && [ "$ms" -lt 1000 ]; then
			ok "$what: explain answers in $ms ms ($i)"
		else
			fail "$what: explain took $ms ms (exit $rc), expected under 1000 ms ($i)"
		fi
		expect_json "$OUT" 'd["retain_until"]' 2029-04-30 "$what: explain gives the right date ($i)"

		t0=$(now_ms)
		ctl status >"$OUT" 2>"$ERR"
		rc=$?
		ms=$(($(now_ms) - t0))
		if [ "$rc" -eq 0 ] && [ "$ms" -lt 1000 ]; then
			ok "$what: status (human) answers in $ms ms ($i)"
		else
			fail "$what: status (human) took $ms ms (exit $rc), expected under 1000 ms ($i)"
		fi
		expect_match "$OUT" "^Running +$kind" "$what: status (human) shows the running $kind ($i)"
		[ "$i" -eq "$3" ] || sleep 0.2
	done
}

# 1. A long import: about a million encounters.
ctl import encounters "$SCRATCH/gen/encounters.csv" >"$SCRATCH/import.out" 2>"$SCRATCH/import.err" &
import_pid=$!
BG_PIDS="$BG_PIDS $import_pid"
if wait_job import encounters.csv 30; then
	ok "status shows the import of encounters.csv running"
	answers "during the import" import 3
else
	fail "status never showed the import running"
	show "last status" "$SCRATCH/job.json"
fi
if wait_exit "$import_pid" 120; then
	expect_eq "$EXIT_STATUS" 0 "the import completes with exit 0"
else
	fail "the import did not complete within 120 s"
fi
show "import stderr" "$SCRATCH/import.err"

# 2. A full scan of the 200005 dossiers.
ctl scan --full >"$SCRATCH/scan.out" 2>"$SCRATCH/scan.err" &
scan_pid=$!
BG_PIDS="$BG_PIDS $scan_pid"
if wait_job scan "" 30; then
	ok "status shows the scan running"
	# A full scan takes about a second here: one round, at once.
	answers "during scan --full" scan 1
else
	fail "status never showed the scan running"
	show "last status" "$SCRATCH/job.json"
fi
if wait_exit "$scan_pid" 120; then
	expect_eq "$EXIT_STATUS" 0 "the scan completes with exit 0"
else
	fail "the scan did not complete within 120 s"
fi

done_testing
