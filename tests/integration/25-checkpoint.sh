#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Deferred checkpoints: an import leaves its pages in the WAL, and the
# daemon copies them into the database once its queue has been idle for a
# second, as a job of its own, while explain keeps answering. Jobs run on
# threads of lower priority than the loop thread, which asks for a short
# time slice.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need sqlite3

size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# 20,000 dossiers: more than the 1,000 WAL pages after which SQLite would
# checkpoint by itself inside the committing import.
gen_population 20000
write_config
DAEMON_ARGS=--debug start_daemon

expect_exit 0 "import 20,000 patients" ctl import patients "$SCRATCH/gen/patients.csv"
expect_exit 0 "import their encounters" ctl import encounters "$SCRATCH/gen/encounters.csv"
# Measured at once: the idle delay (1 s) has not passed yet.
db_after_import=$(size "$DB")
wal_after_import=$(size "$DB-wal")
check "the import's pages wait in the WAL ($wal_after_import bytes, database $db_after_import)" \
	[ "$wal_after_import" -gt $((db_after_import * 2)) ]

checkpointed() {
	grep -q 'checkpoint: [0-9]* of [0-9]* WAL frames' "$DLOG"
}
if wait_until 15 checkpointed; then
	ok "a checkpoint ran once the queue was idle"
else
	show "daemon log" "$DLOG"
	fail "no checkpoint within 15 s of the imports"
fi
line=$(grep -o 'checkpoint: [0-9]* of [0-9]* WAL frames' "$DLOG" | tail -n 1)
read -r copied total < <(echo "$line" | sed 's/checkpoint: \([0-9]*\) of \([0-9]*\).*/\1 \2/')
all_copied() {
	[ "${total:-0}" -gt 1000 ] && [ "$copied" -eq "$total" ]
}
check "every WAL frame, more than 1,000, reached the database ($line)" all_copied
db_after=$(size "$DB")
check "the database file holds the imported pages ($db_after bytes, was $db_after_import)" \
	[ "$db_after" -gt $((db_after_import + wal_after_import / 4)) ]
# The checkpoint ends as a job like the others: nothing waits, nothing runs.
wait_until 10 idle || fail "the daemon is idle after the checkpoint"
ipp=$(sed -n 2p "$SCRATCH/gen/patients.csv" | cut -d, -f1)
expect_exit 0 "explain answers after the checkpoint" ctl explain "$ipp"

# The jobs ran on pool threads niced 5 below the loop thread.
nice_of() { # nice value of a task, from /proc (field 19; comm may hold spaces)
	sed 's/.*) //' "$1" | cut -d' ' -f17
}
main_nice=$(nice_of "/proc/$DPID/stat")
want=$((main_nice + 5 > 19 ? 19 : main_nice + 5)) # 19 is the lowest priority
lowered=0
for t in /proc/"$DPID"/task/*/stat; do
	[ "$(nice_of "$t")" -eq "$want" ] && lowered=$((lowered + 1))
done
if [ "$main_nice" -ge 19 ]; then
	echo "# skipped: the test runs at nice 19, no lower priority to give a job thread"
else
	check "a job thread runs at nice $want, the loop thread at $main_nice" [ "$lowered" -ge 1 ]
fi

# The loop thread asked for the kernel's shortest time slice (100 µs), so
# that a request wakes it at once; the job threads, started after it, keep
# the default. Linux 6.12 and later only: an older kernel accepts the
# request and ignores it, which a request of the test's own shows first.
slice_of() { # the task's time slice in ns, from /proc (CONFIG_SCHED_DEBUG)
	sed -n 's/^se\.slice *: *//p' "$1" 2>/dev/null
}
honoured=$(/usr/bin/python3 - <<'EOF'
import ctypes, os, re, struct
nr = {"x86_64": 314, "aarch64": 274}.get(os.uname().machine)
libc = ctypes.CDLL(None, use_errno=True)
attr = struct.pack("IIQiIQQQ", 48, 0, 0, os.nice(0), 0, 100000, 0, 0)
if nr and libc.syscall(nr, 0, ctypes.create_string_buffer(attr, 48), 0) == 0:
    m = re.search(r"^se\.slice\s*:\s*(\d+)", open("/proc/self/sched").read(), re.M)
    print("yes" if m and m.group(1) == "100000" else "no")
else:
    print("no")
EOF
)
if [ "$honoured" != yes ]; then
	echo "# skipped: this kernel does not give a thread the time slice it asks for"
else
	expect_eq "$(slice_of "/proc/$DPID/sched")" 100000 "the loop thread runs with a time slice of 100 µs"
	default=0
	for t in /proc/"$DPID"/task/*; do
		[ "$(nice_of "$t/stat")" -eq "$want" ] && [ "$(slice_of "$t/sched")" != 100000 ] &&
			default=$((default + 1))
	done
	check "a job thread keeps the default time slice" [ "$default" -ge 1 ]
fi

# A second idle period with nothing written: no second copy.
n=$(grep -c 'checkpoint: ' "$DLOG")
sleep 2
check "no checkpoint without a job since the last one" [ "$(grep -c 'checkpoint: ' "$DLOG")" -eq "$n" ]

stop_daemon
done_testing
