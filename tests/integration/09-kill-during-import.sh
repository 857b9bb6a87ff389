#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# kill -9 or SIGTERM during a large import: the database stays sound and keeps nothing of the file.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need sqlite3

gen_population 200000
ENC="$SCRATCH/gen/encounters.csv"
# A first slice of the encounters is imported whole, so that "nothing of
# the big file kept" cannot be confused with an empty table.
head -n 2001 "$ENC" >"$SCRATCH/first.csv"

write_config
start_daemon
ctl import patients "$SCRATCH/gen/patients.csv" >/dev/null 2>"$ERR" ||
	{ show stderr "$ERR"; bail "cannot import the generated patients"; }
expect_exit 0 "import the first 2000 encounters" ctl --json import encounters "$SCRATCH/first.csv"
expect_json "$OUT" 'd["rows"]' 2000 "2000 encounter rows imported"
before=$(status_field 'd["encounters"]')
expect_eq "$before" 2000 "status: 2000 encounters before the big import"

# big_import: start importing the whole encounters file in the background
# (pid in IMPORT_PID) and wait until status shows it reading rows.
big_import() {
	ctl import encounters "$ENC" >"$SCRATCH/import.out" 2>"$SCRATCH/import.err" &
	IMPORT_PID=$!
	BG_PIDS="$BG_PIDS $IMPORT_PID"
	if wait_job import encounters.csv 30; then
		ok "$1: status shows the import running ($(json_get "$SCRATCH/job.json" 'd["job"]["running"]["rows"]') rows read)"
	else
		fail "$1: status never showed the import running"
		show "last status" "$SCRATCH/job.json"
	fi
}

# after_restart WHAT: the database is sound and holds what it held before.
after_restart() {
	expect_eq "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" ok "$1: PRAGMA integrity_check says ok"
	expect_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM encounters;')" "$before" \
		"$1: the encounters table holds $before rows, as before the import"
	start_daemon
	expect_eq "$(status_field 'd["encounters"]')" "$before" "$1: status after the restart: $before encounters"
	expect_eq "$(status_field 'd["patients"]')" 200000 "$1: status after the restart: 200000 patients"
}

# 1. kill -9 in the middle of the import.
big_import "kill -9"
kill -9 "$DPID"
wait_exit "$DPID" 10
expect_eq "$EXIT_STATUS" 137 "kill -9: the daemon died of SIGKILL"
DPID=""
if wait_exit "$IMPORT_PID" 10; then
	check "kill -9: the import client exits non-zero (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
else
	fail "kill -9: the import client still ran 10 s after the daemon died"
fi
after_restart "kill -9"

# 2. SIGTERM in the middle of the import: a prompt, clean stop.
big_import "SIGTERM"
if stop_daemon; then
	check "SIGTERM: the daemon stops within 5 s (${STOP_MS} ms)" test "$STOP_MS" -lt 5000
else
	fail "SIGTERM: the daemon did not stop within 10 s"
fi
expect_eq "$EXIT_STATUS" 0 "SIGTERM: the daemon exits 0"
check "SIGTERM: the socket is removed" test ! -e "$SOCK"
if wait_exit "$IMPORT_PID" 10; then
	check "SIGTERM: the import client exits non-zero (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
else
	fail "SIGTERM: the import client still ran 10 s after the daemon stopped"
fi
check "SIGTERM: the import client printed an error" test -s "$SCRATCH/import.err"
check "SIGTERM: the import client printed no success" test ! -s "$SCRATCH/import.out"
after_restart "SIGTERM"

# The daemon still imports normally afterwards.
expect_exit 0 "a small import works after the restarts" ctl --json import encounters "$SCRATCH/first.csv"
expect_json "$OUT" 'd["rows_changed"]' 0 "and finds its 2000 rows unchanged"

done_testing
