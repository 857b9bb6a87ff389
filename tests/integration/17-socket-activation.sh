#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Socket activation (systemd-socket-activate): the passed socket is served and never unlinked; a socket of the wrong type, or two, are refused.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need systemd-socket-activate timeout stat

SSA=$(command -v systemd-socket-activate)

# sa_start LOG ARGS...: systemd-socket-activate ARGS... -- retentiond
# --config CONF in the background, its pid in DPID (the daemon keeps it:
# without --accept, systemd-socket-activate execs the daemon at the first
# connection). Only TERM, PATH, USER and HOME reach the daemon, so today
# is pinned with -E.
sa_start() {
	local log=$1
	shift
	"$SSA" "$@" -E RETENTIOND_TODAY="$TODAY" -- "$RETENTIOND" --config "$SA_CONF" >"$log" 2>&1 &
	DPID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DPID"
}

# exe_is PID PROGRAM: the process runs PROGRAM now.
exe_is() {
	[ "$(readlink -f "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]
}

# ------------------------------------------------------------ activation

write_config
SA_CONF=$CONF
DAEMON_N=$((DAEMON_N + 1))
DLOG="$SCRATCH/daemon.$DAEMON_N.log"
sa_start "$DLOG" -l "$SOCK"
wait_until 10 test -S "$SOCK" || bail "systemd-socket-activate did not create $SOCK"
sock_ino=$(stat -c %i "$SOCK")

# Nothing has connected: systemd-socket-activate (without --accept) holds
# the socket and starts the daemon only at the first connection.
sleep 0.5
check "before any connection, the process is still systemd-socket-activate" exe_is "$DPID" "$SSA"
check "before any connection, the database does not exist" test ! -e "$DB"
expect_not_contains "$DLOG" "retentiond:" "before any connection, the daemon has logged nothing"

# The first connection starts the daemon, which answers it on the passed
# socket (the connection waited in the socket's backlog).
expect_exit 0 "the first status answers through the passed socket" timeout 20 "$RETENTIONCTL" --socket "$SOCK" --json status
expect_json "$OUT" 'd["pid"]' "$DPID" "status is answered by the activated daemon (the pid systemd-socket-activate had)"
check "the process now runs retentiond" exe_is "$DPID" "$RETENTIOND"
expect_json "$OUT" 'd["today"]' "$TODAY" "the activated daemon got RETENTIOND_TODAY"
check "the database now exists" test -e "$DB"
expect_contains "$DLOG" "socket passed by systemd" "the start-up message says the socket was passed by systemd"
expect_eq "$(stat -c %i "$SOCK")" "$sock_ino" "the socket file is still the one systemd-socket-activate made"

# Imports, status, explain, scan: every request through that socket.
import_examples
ok "the worked examples are imported through the passed socket"
expect_exit 0 "a stdin import through the passed socket" ctl --json import litigations - <"$DATA/litigations.csv"
expect_json "$OUT" 'd["rows"]' 1 "the stdin import read 1 row"
ctl --json status >"$SCRATCH/s.json" || fail "status after the imports"
expect_json "$SCRATCH/s.json" '[d[k] for k in ("patients", "encounters", "transfusions", "litigations")]' \
	'[5, 5, 1, 1]' "status: 5 patients, 5 encounters, 1 transfusion, 1 litigation"
expect_exit 0 "explain the adult" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "explain: the adult is kept until 2020-03-15"
expect_exit 0 "explain the child" ctl --json explain EX-CHILD
expect_json "$OUT" 'd["retain_until"]' 2029-04-30 "explain: the child is kept until 2029-04-30"
expect_exit 0 "scan through the passed socket" ctl --json scan
expect_json "$OUT" 'd["proposed"]' 3 "the scan proposes the 3 eligible examples"

# Several clients at once on the passed socket.
pids=""
for i in 1 2 3 4 5; do
	ctl --json status >"$SCRATCH/par.$i" 2>&1 &
	pids="$pids $!"
done
n_ok=0
for p in $pids; do
	wait "$p" && n_ok=$((n_ok + 1))
done
expect_eq "$n_ok" 5 "5 clients at once are all answered"

# A daemon started the ordinary way with the same configuration is
# refused: the activated one answers on that socket.
RETENTIOND_TODAY=$TODAY "$RETENTIOND" --config "$CONF" >"$SCRATCH/second.out" 2>"$SCRATCH/second.err" &
p2=$!
BG_PIDS="$BG_PIDS $p2"
if wait_exit "$p2" 10; then
	check "a second, ordinary daemon is refused (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
else
	fail "a second, ordinary daemon was still running 10 s after start"
fi
expect_match "$SCRATCH/second.err" 'another .*answers' "the second daemon says another instance answers"
check "the passed socket survived the refused daemon" test -S "$SOCK"
expect_eq "$(stat -c %i "$SOCK")" "$sock_ino" "the refused daemon did not replace the socket"
expect_exit 0 "the activated daemon still answers" ctl --json status
expect_json "$OUT" 'd["pid"]' "$DPID" "status still answered by the activated daemon"

# The daemon did not create the socket file: it must not unlink it.
if stop_daemon; then ok "the activated daemon stops on SIGTERM"; else fail "the activated daemon did not stop"; fi
expect_eq "$EXIT_STATUS" 0 "the activated daemon exits 0"
check "the socket file is left in place after the stop" test -S "$SOCK"
expect_eq "$(stat -c %i "$SOCK" 2>/dev/null)" "$sock_ino" "it is still the same socket file"
expect_exit 3 "nothing answers on it any more (retentionctl: unreachable)" timeout 10 "$RETENTIONCTL" --socket "$SOCK" status

# The file left behind is a stale socket to an ordinary daemon, which
# takes it over and, having made its own, removes it at the end.
start_daemon
ok "an ordinary daemon starts on the stale socket left by the activated one"
expect_eq "$(stat -c %a "$SOCK")" 600 "the ordinary daemon bound its own socket, with the configured mode 0600"
expect_exit 0 "the ordinary daemon sees the data" ctl --json status
expect_json "$OUT" 'd["patients"]' 5 "the ordinary daemon sees the 5 patients"
stop_daemon || fail "the ordinary daemon did not stop"
check "the ordinary daemon removes the socket it made" test ! -e "$SOCK"

# ------------------------------------------------------------ LISTEN_FDS for another process

# LISTEN_PID names another process: the sockets are not the daemon's, and
# it listens on its own.
export LISTEN_FDS=1 LISTEN_PID=1
start_daemon
unset LISTEN_FDS LISTEN_PID
ok "LISTEN_PID of another process: the daemon starts"
expect_not_contains "$DLOG" "passed by systemd" "LISTEN_PID of another process: the daemon does not use fd 3"
check "LISTEN_PID of another process: the daemon made its own socket" test -S "$SOCK"
stop_daemon || fail "the daemon with a foreign LISTEN_PID did not stop"
check "and removed it at the end" test ! -e "$SOCK"

# ------------------------------------------------------------ wrong sockets

# refused DESC LOG DBFILE ERE: the activated daemon (DPID) exits non-zero
# with a message matching ERE, before it creates its database DBFILE.
refused() {
	local desc=$1 log=$2 dbfile=$3 ere=$4
	if wait_exit "$DPID" 10; then
		check "$desc: the daemon exits non-zero (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
	else
		fail "$desc: the daemon was still running 10 s after activation"
	fi
	DPID=""
	expect_match "$log" "$ere" "$desc: the message says why"
	expect_match "$log" 'Execing' "$desc: the daemon was really started"
	check "$desc: no database created" test ! -e "$dbfile"
}

# A datagram socket: activated by a datagram, refused.
DGSOCK="$SCRATCH/dgram.sock"
write_config "$SCRATCH/dgram.conf" "$SCRATCH/dgram.db" "$DGSOCK"
SA_CONF="$SCRATCH/dgram.conf"
sa_start "$SCRATCH/daemon.dgram.log" --datagram -l "$DGSOCK"
wait_until 10 test -S "$DGSOCK" || bail "systemd-socket-activate did not create $DGSOCK"
"$PYTHON" -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"status", sys.argv[1])' "$DGSOCK" ||
	fail "cannot send a datagram to $DGSOCK"
refused "a datagram socket" "$SCRATCH/daemon.dgram.log" "$SCRATCH/dgram.db" \
	'not a listening Unix stream socket'
check "the datagram socket file is left in place" test -S "$DGSOCK"

# Two stream sockets: retentiond listens on one.
write_config "$SCRATCH/two.conf" "$SCRATCH/two.db" "$SCRATCH/two-a.sock"
SA_CONF="$SCRATCH/two.conf"
sa_start "$SCRATCH/daemon.two.log" -l "$SCRATCH/two-a.sock" -l "$SCRATCH/two-b.sock"
wait_until 10 test -S "$SCRATCH/two-b.sock" || bail "systemd-socket-activate did not create two sockets"
timeout 10 "$RETENTIONCTL" --socket "$SCRATCH/two-a.sock" status >/dev/null 2>&1
refused "two sockets" "$SCRATCH/daemon.two.log" "$SCRATCH/two.db" 'passed 2 sockets'
check "neither socket file is removed" test -S "$SCRATCH/two-a.sock" -a -S "$SCRATCH/two-b.sock"

done_testing
