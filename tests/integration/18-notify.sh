#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# sd_notify through a real NOTIFY_SOCKET: READY=1 once the socket answers, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1, EXTEND_TIMEOUT_USEC= while migrating.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

write_config
NSOCK="$SCRATCH/notify.sock"
NLOG="$SCRATCH/notify.log"

# The service manager's side: an AF_UNIX datagram socket; every line of
# every datagram is written to NLOG as "MS PID LINE" (MS: the wall clock
# in milliseconds at receipt, PID: the sender, from its credentials).
# On READY=1 it also connects at once to the daemon's socket and writes
# "MS PID CONNECT ok" (or the error): READY=1 must come after listen().
"$PYTHON" -c '
import socket, struct, sys, time
path, out, daemon_sock = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
f = open(out, "a", buffering=1)
f.write("# listening\n")
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    t = time.time_ns() // 1000000
    pid = 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    lines = [l for l in msg.decode("utf-8", "replace").split("\n") if l]
    for l in lines:
        f.write("%d %d %s\n" % (t, pid, l))
    if "READY=1" in lines:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(daemon_sock)
            r = "ok"
        except OSError as e:
            r = "failed: %s" % e.strerror
        c.close()
        f.write("%d %d CONNECT %s\n" % (t, pid, r))
' "$NSOCK" "$NLOG" "$SOCK" 2>"$SCRATCH/listener.err" &
LPID=$!
BG_PIDS="$BG_PIDS $LPID"
wait_until 10 grep -q '^# listening' "$NLOG" 2>/dev/null ||
	{ show "listener" "$SCRATCH/listener.err"; bail "the notify listener did not start"; }

# notify_start WATCHDOG_PID: start the daemon with NOTIFY_SOCKET and
# WATCHDOG_USEC=400000; WATCHDOG_PID is "self" (the daemon's own pid),
# "unset" or a pid. The daemon's pid in DPID, its log in DLOG.
notify_start() {
	DAEMON_N=$((DAEMON_N + 1))
	DLOG="$SCRATCH/daemon.$DAEMON_N.log"
	(
		export NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=400000 RETENTIOND_TODAY="$TODAY"
		case $1 in
		self) export WATCHDOG_PID=$BASHPID ;;
		unset) unset WATCHDOG_PID ;;
		*) export WATCHDOG_PID="$1" ;;
		esac
		exec "$RETENTIOND" --config "$CONF"
	) >"$DLOG" 2>&1 &
	DPID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DPID"
}

# msgs PID [FROM_LINE]: the lines received from PID (from line FROM_LINE
# of NLOG on), without the time and pid: "READY=1", "STATUS=..."...
msgs() {
	tail -n +"${2:-1}" "$NLOG" | awk -v p="$1" '$2 == p { $1 = ""; $2 = ""; sub(/^  /, ""); print }'
}

# has PID LINE [FROM_LINE]: PID sent exactly LINE.
has() {
	msgs "$1" "${3:-1}" | grep -qxF -- "$2"
}

# times PID LINE: the times at which PID sent LINE, one a line.
times() {
	awk -v p="$1" -v m="$2" '$2 == p && $3 == m && NF == 3 { print $1 }' "$NLOG"
}

mark() {
	echo $(($(wc -l <"$NLOG") + 1))
}

# ------------------------------------------------------------ start-up

notify_start self
if wait_until 10 has "$DPID" READY=1; then
	ok "READY=1 received from the daemon's pid"
	# At once, one try: READY=1 promises that the socket answers.
	expect_exit 0 "status answers right after READY=1 (no retry)" ctl --json status
	expect_json "$OUT" 'd["pid"]' "$DPID" "status right after READY=1 is answered by the daemon"
else
	fail "no READY=1 from the daemon within 10 s"
	show "notify log" "$NLOG"
	kill -0 "$DPID" 2>/dev/null || bail "the daemon exited at start-up"
fi
check "the socket accepted a connection at the very moment READY=1 arrived" \
	has "$DPID" "CONNECT ok"
expect_eq "$(msgs "$DPID" | grep -c -xF READY=1)" 1 "READY=1 sent once at start-up"
msgs "$DPID" >"$SCRATCH/m.txt"
expect_match "$SCRATCH/m.txt" '^STATUS=.*ready' "a STATUS= says the daemon is ready"
expect_match "$SCRATCH/m.txt" '^STATUS=.*no scan yet' "the first STATUS= says there was no scan yet"
expect_match "$SCRATCH/m.txt" '^STATUS=.*scan at off' "the STATUS= gives the nightly scan time (off)"
expect_not_contains "$SCRATCH/m.txt" "STOPPING=1" "no STOPPING=1 at start-up"

# ------------------------------------------------------------ watchdog

# WATCHDOG_USEC=400000: a ping every 200 ms or so. Over 2 s, at least 5
# pings, never 400 ms (the watchdog timeout) without one, and no storm.
t0=$(now_ms)
sleep 2
t1=$(now_ms)
times "$DPID" WATCHDOG=1 | awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b' >"$SCRATCH/wd.txt"
n=$(wc -l <"$SCRATCH/wd.txt")
check "at least 5 WATCHDOG=1 within 2 s (got $n)" test "$n" -ge 5
check "at most 25 WATCHDOG=1 within 2 s (got $n)" test "$n" -le 25
gap=$(times "$DPID" WATCHDOG=1 | awk 'NR > 1 && $1 - prev > max { max = $1 - prev } { prev = $1 } END { print max + 0 }')
check "WATCHDOG=1 never more than 400 ms apart since start-up (largest gap $gap ms)" \
	test "$gap" -gt 0 -a "$gap" -lt 400
first_wd=$(times "$DPID" WATCHDOG=1 | head -n 1)
ready_t=$(times "$DPID" READY=1 | head -n 1)
check "the first WATCHDOG=1 comes within 400 ms of READY=1" \
	test -n "$first_wd" -a -n "$ready_t" -a "$((first_wd - ready_t))" -lt 400

# ------------------------------------------------------------ status after a scan

import_examples
m=$(mark)
expect_exit 0 "scan" ctl --json scan
if wait_until 10 eval 'msgs "$DPID" "$m" | grep -q "^STATUS=.*last scan"'; then
	ok "a new STATUS= after the scan"
	msgs "$DPID" "$m" | grep '^STATUS=.*last scan' | tail -n 1 >"$SCRATCH/st.txt"
	expect_match "$SCRATCH/st.txt" '3 proposed' "STATUS= after the scan: 3 proposed (the 3 eligible examples)"
	expect_match "$SCRATCH/st.txt" 'batch 1' "STATUS= after the scan names batch 1"
	expect_match "$SCRATCH/st.txt" 'scan at off' "STATUS= after the scan still gives the nightly scan time"
	sed 's/^/# /' "$SCRATCH/st.txt"
else
	fail "no STATUS= mentioning the scan within 10 s"
	show "notify log" "$NLOG"
fi

# ------------------------------------------------------------ watchdog during a job

# Jobs run beside the event loop: the pings go on during a long import.
if [ -n "$GENDEMO" ] && [ -x "$GENDEMO" ]; then
	gen_population 20000
	ctl import patients "$SCRATCH/gen/patients.csv" >/dev/null 2>"$ERR" ||
		{ show stderr "$ERR"; bail "cannot import the generated patients"; }
	t0=$(now_ms)
	if ctl import encounters "$SCRATCH/gen/encounters.csv" >/dev/null 2>"$ERR"; then
		t1=$(now_ms)
		ok "a long import ($((t1 - t0)) ms)"
		gap=$(times "$DPID" WATCHDOG=1 | awk -v a="$t0" -v b="$t1" '
			$1 >= a - 400 && $1 <= b + 400 { if (n++ && $1 - prev > max) max = $1 - prev; prev = $1 }
			END { print (n > 1 ? max : 99999) }')
		check "WATCHDOG=1 never more than 400 ms apart during the import (largest gap $gap ms)" \
			test "$gap" -lt 400
	else
		fail "the long import failed"
		show stderr "$ERR"
	fi
fi

# ------------------------------------------------------------ reload

# reload_seq DESC: SIGHUP; RELOADING=1 first, then READY=1, and the daemon
# answers afterwards.
reload_seq() {
	local desc=$1 m seq
	m=$(mark)
	RELOAD_MARK=$m
	kill -HUP "$DPID"
	if wait_until 10 has "$DPID" READY=1 "$m"; then
		ok "$desc: READY=1 again after SIGHUP"
	else
		fail "$desc: no READY=1 within 10 s of SIGHUP"
	fi
	seq=$(msgs "$DPID" "$m" | grep -E '^(RELOADING|READY|STOPPING)=' | tr '\n' ' ')
	expect_eq "$seq" "RELOADING=1 READY=1 " "$desc: RELOADING=1 then READY=1, nothing else"
	expect_exit 0 "$desc: status answers after the reload" ctl status
}

sed -i 's/^scan_at = off$/scan_at = 03:30/' "$CONF"
reload_seq "good reload"
msgs "$DPID" "$RELOAD_MARK" | grep '^STATUS=' | tail -n 1 >"$SCRATCH/st.txt"
expect_match "$SCRATCH/st.txt" 'last scan' "a STATUS= after the reload still reports the last scan"
expect_match "$SCRATCH/st.txt" 'scan at 03:30' "a STATUS= after the reload gives the new nightly scan time"

# A configuration with an error: refused, but READY=1 must follow the
# RELOADING=1, or systemd would wait for the end of the reload forever.
cp "$CONF" "$SCRATCH/good.conf"
printf '\n[daemon]\nno_such_key = 1\n' >>"$CONF"
reload_seq "refused reload"
expect_contains "$DLOG" "no_such_key" "the daemon logged the refused key"
cp "$SCRATCH/good.conf" "$CONF"

# ------------------------------------------------------------ stop

pid=$DPID
m=$(mark)
if stop_daemon; then ok "the daemon stops on SIGTERM"; else fail "the daemon did not stop within 10 s"; fi
expect_eq "$EXIT_STATUS" 0 "the daemon exits 0"
check "STOPPING=1 sent on SIGTERM" has "$pid" STOPPING=1 "$m"
check "no READY=1 after STOPPING=1" \
	test -z "$(msgs "$pid" "$m" | sed -n '/^STOPPING=1$/,$p' | grep -xF READY=1)"
check "STOPPING=1 sent once" test "$(msgs "$pid" | grep -c -xF STOPPING=1)" = 1

# ------------------------------------------------------------ WATCHDOG_PID

# WATCHDOG_PID unset: the watchdog applies to whoever reads WATCHDOG_USEC.
notify_start unset
wait_until 10 has "$DPID" READY=1 || fail "WATCHDOG_PID unset: no READY=1 within 10 s"
if wait_until 3 eval 'test "$(times "$DPID" WATCHDOG=1 | wc -l)" -ge 3'; then
	ok "WATCHDOG_PID unset: WATCHDOG=1 sent"
else
	fail "WATCHDOG_PID unset: fewer than 3 WATCHDOG=1 within 3 s of READY=1"
fi
stop_daemon || fail "WATCHDOG_PID unset: the daemon did not stop"

# WATCHDOG_PID of another process: that watchdog is not the daemon's.
notify_start 1
if wait_until 10 has "$DPID" READY=1; then
	ok "WATCHDOG_PID of another process: READY=1 still sent"
else
	fail "WATCHDOG_PID of another process: no READY=1 within 10 s"
fi
sleep 1
expect_eq "$(times "$DPID" WATCHDOG=1 | wc -l)" 0 \
	"WATCHDOG_PID of another process: no WATCHDOG=1 in 1 s"
stop_daemon || fail "WATCHDOG_PID of another process: the daemon did not stop"

# ------------------------------------------------------------ migration

# An upgrade that migrates the database tells systemd that the start-up
# goes on (EXTEND_TIMEOUT_USEC=, past TimeoutStartSec), and says why in a
# STATUS= and in the log. A database of version 8 that says 7 is migrated
# again (version 8 copies the encounters table into a new one).
n_enc=$(sqlite3 "$DB" "SELECT count(*) FROM encounters")
sqlite3 "$DB" "PRAGMA user_version = 7" || bail "cannot set the schema version back"
notify_start self
if wait_until 30 has "$DPID" READY=1; then
	ok "a migrating start-up ends with READY=1"
else
	fail "a migrating start-up: no READY=1 within 30 s"
	show "notify log" "$NLOG"
	show "daemon log" "$DLOG"
fi
msgs "$DPID" >"$SCRATCH/mig.txt"
expect_match "$SCRATCH/mig.txt" '^EXTEND_TIMEOUT_USEC=180000000$' \
	"the migration extends the start-up timeout by 3 minutes"
expect_match "$SCRATCH/mig.txt" '^STATUS=migrating the database from schema version 7 to 8$' \
	"a STATUS= says the database is being migrated"
first_ext=$(grep -n -m1 '^EXTEND_TIMEOUT_USEC=' "$SCRATCH/mig.txt" | cut -d: -f1)
first_ready=$(grep -n -m1 -x 'READY=1' "$SCRATCH/mig.txt" | cut -d: -f1)
check "EXTEND_TIMEOUT_USEC= comes before READY=1" \
	test -n "$first_ext" -a -n "$first_ready" -a "${first_ext:-0}" -lt "${first_ready:-0}"
expect_contains "$DLOG" "migrating the database from schema version 7 to 8" \
	"the log says the database is being migrated"
expect_eq "$(sqlite3 "$DB" "PRAGMA user_version")" 8 "the database is at version 8 again"
expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM encounters")" "$n_enc" \
	"the migration kept every encounter ($n_enc)"
stop_daemon || fail "after the migration: the daemon did not stop"

# Nothing to migrate: no extension, no such message.
notify_start self
wait_until 10 has "$DPID" READY=1 || fail "no READY=1 within 10 s of a plain restart"
msgs "$DPID" >"$SCRATCH/plain.txt"
expect_not_contains "$SCRATCH/plain.txt" "EXTEND_TIMEOUT_USEC" \
	"a start-up with nothing to migrate does not extend its timeout"
stop_daemon || fail "after a plain restart: the daemon did not stop"

kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null

done_testing
