#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The daemon starts, answers status, and stops cleanly on SIGTERM; the CLI's exit codes.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

# A minimal configuration: only where the database and the socket are.
cat >"$CONF" <<EOF2
[daemon]
database = $DB
socket   = $SOCK
EOF2
start_daemon
check "the socket exists while the daemon runs" test -S "$SOCK"
check "the database is created" test -f "$DB"

expect_exit 0 "status answers" ctl status
expect_contains "$OUT" "$TODAY" "status shows today, pinned by RETENTIOND_TODAY"
expect_match "$OUT" 'retained +0' "status shows the dossiers by status"

expect_exit 0 "status --json answers" ctl --json status
cp "$OUT" "$SCRATCH/s.json"
expect_json "$SCRATCH/s.json" 'sorted(d["dossiers"])' '["anomaly", "eligible", "held", "retained"]' \
	"status --json: dossiers has the four statuses"
expect_json "$SCRATCH/s.json" 'sum(d["dossiers"].values())' 0 "status --json: no dossier yet"
expect_json "$SCRATCH/s.json" 'sorted(d["proposals"])' \
	'["approved", "destroyed", "kept", "proposed", "refused", "reviewed", "visaed", "withdrawn"]' \
	"status --json: proposals has the eight states of interfaces.md"
expect_json "$SCRATCH/s.json" 'd["today"]' "$TODAY" "status --json: today"
expect_json "$SCRATCH/s.json" 'd["pid"]' "$DPID" "status --json: pid of the daemon"

run env RETENTIOND_SOCKET="$SOCK" "$RETENTIONCTL" status
expect_eq "$RC" 0 "without --socket, RETENTIOND_SOCKET is used"

expect_exit 3 "an unreachable socket exits 3" "$RETENTIONCTL" --socket "$SCRATCH/nobody.sock" status
expect_contains "$ERR" "nobody.sock" "the unreachable error names the socket"
expect_exit 2 "an unknown command exits 2" ctl frobnicate
expect_exit 2 "no command exits 2" ctl
expect_exit 2 "status with an argument exits 2" ctl status extra

if stop_daemon; then
	ok "SIGTERM stops the daemon (${STOP_MS} ms)"
else
	fail "the daemon did not stop within 10 s of SIGTERM"
fi
expect_eq "$EXIT_STATUS" 0 "the daemon exits with status 0 after SIGTERM"
check "the socket is removed" test ! -e "$SOCK"
expect_exit 3 "after the stop, status exits 3" ctl status
expect_contains "$DLOG" "$SOCK" "the daemon logged its socket at start"

done_testing
