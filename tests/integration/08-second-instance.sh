#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A second daemon on the same socket is refused, and the first keeps answering.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

write_config
start_daemon
first=$DPID
import_examples

# second NAME CONF: start another daemon with CONF; it must be refused.
second() {
	local pid
	RETENTIOND_TODAY=$TODAY "$RETENTIOND" --config "$2" >"$OUT" 2>"$ERR" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	if wait_exit "$pid" 10; then
		check "$1: the second daemon exits non-zero (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
	else
		fail "$1: the second daemon was still running 10 s after start"
	fi
	expect_match "$ERR" 'another .*answers' "$1: its message says another instance answers"
	expect_contains "$ERR" "$SOCK" "$1: its message names the socket"
	check "$1: the socket is still there" test -S "$SOCK"
	expect_exit 0 "$1: the first daemon still answers status" ctl --json status
	expect_json "$OUT" 'd["pid"]' "$first" "$1: status is answered by the first daemon"
	expect_json "$OUT" 'd["patients"]' 5 "$1: the first daemon still sees its 5 patients"
	expect_exit 0 "$1: the first daemon still answers explain" ctl --json explain EX-CHILD
	expect_json "$OUT" 'd["retain_until"]' 2029-04-30 "$1: explain still right"
}

# The same configuration started twice (same database, same socket).
second "same configuration" "$CONF"
# Another database, but the same socket.
write_config "$SCRATCH/other.conf" "$SCRATCH/other.db" "$SOCK"
second "other database, same socket" "$SCRATCH/other.conf"

# The same database and socket with another policy: refused before it
# touches the database of the running daemon.
if command -v sqlite3 >/dev/null && command -v sha256sum >/dev/null; then
	write_config "$SCRATCH/policy.conf"
	printf '\n[policy]\ngeneral_years = 25\n' >>"$SCRATCH/policy.conf"
	before=$(db_digest)
	second "same database, another policy" "$SCRATCH/policy.conf"
	expect_eq "$(db_digest)" "$before" "same database, another policy: the refused daemon changed nothing in the database"
	expect_json "$OUT" 'd["retain_until"]' 2029-04-30 "the first daemon's policy still applies"
fi

# The same database behind another socket: refused too (one daemon per
# database), and the other socket is never created.
write_config "$SCRATCH/othersock.conf" "$DB" "$SCRATCH/other.sock"
RETENTIOND_TODAY=$TODAY "$RETENTIOND" --config "$SCRATCH/othersock.conf" >"$OUT" 2>"$ERR" &
pid=$!
BG_PIDS="$BG_PIDS $pid"
if wait_exit "$pid" 10; then
	check "same database, other socket: refused (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
else
	fail "same database, other socket: the second daemon was still running 10 s after start"
fi
expect_match "$ERR" 'another retentiond uses the database' "same database, other socket: the message says the database is in use"
check "same database, other socket: no socket created" test ! -e "$SCRATCH/other.sock"
expect_exit 0 "the first daemon still answers after that" ctl status

expect_exit 0 "the first daemon still imports" ctl import patients "$DATA/patients.csv"
if stop_daemon; then ok "the first daemon stops on SIGTERM"; else fail "the first daemon did not stop"; fi
expect_eq "$EXIT_STATUS" 0 "the first daemon exits 0"
check "the socket is removed by the first daemon" test ! -e "$SOCK"

# Once it is gone, a new daemon may start on that socket; with the same
# configuration as before, it has no policy change to report (a refused
# instance must not have left its own policy in the database).
start_daemon
ok "a new daemon starts once the first is gone"
expect_exit 0 "the new daemon answers" ctl status
expect_not_contains "$DLOG" "policy changed" "the restart with the same configuration reports no policy change"

done_testing
