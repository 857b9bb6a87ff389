#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Deferred checkpoints: an import leaves its pages in the WAL, and the
# daemon copies them into the database once its queue has been idle for a
# second, as a job of its own, while explain keeps answering. Jobs run on
# threads of lower priority than the loop thread.
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

# A second idle period with nothing written: no second copy.
n=$(grep -c 'checkpoint: ' "$DLOG")
sleep 2
check "no checkpoint without a job since the last one" [ "$(grep -c 'checkpoint: ' "$DLOG")" -eq "$n" ]

stop_daemon
done_testing
