#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers sourced by every integration script: a scratch directory, the
# real daemon started and stopped, and assertions that print one
# "ok - ..." or "not ok - ..." line each.
#
# The Makefile passes RETENTIOND, RETENTIONCTL, GENDEMO (absolute paths of
# the built programs) and TESTS_SRCDIR (the source tests/ directory).

set -u

: "${RETENTIOND:?RETENTIOND must name the built retentiond}"
: "${RETENTIONCTL:?RETENTIONCTL must name the built retentionctl}"
: "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}"
GENDEMO=${GENDEMO:-}

# Every test pins "today" to the date of the worked examples of rules.md.
TODAY=2026-11-21
DATA="$TESTS_SRCDIR/integration/data"
PYTHON=${PYTHON:-/usr/bin/python3}

# The daemon must never pick up a socket from the caller's environment.
unset RETENTIOND_SOCKET
export LC_ALL=C

N_OK=0
N_FAIL=0
TEST_USERS=""
TEST_GROUPS=""
DAEMON_PIDS=""
BG_PIDS=""
DPID=""
DAEMON_N=0

# ------------------------------------------------------------ reporting

ok() {
	N_OK=$((N_OK + 1))
	echo "ok - $*"
}

# A failed check: the message says what was expected.
fail() {
	N_FAIL=$((N_FAIL + 1))
	echo "not ok - $*"
}

# A check that passes when its condition (a command) succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# Setup failed: nothing after it can be checked.
bail() {
	echo "Bail out! $*"
	N_FAIL=$((N_FAIL + 1))
	exit 1
}

# Skip the whole script (only for a facility that is truly missing).
skip_all() {
	echo "# SKIP: $*"
	SKIPPED=1
	exit 77
}

need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p is not installed"
	done
}

# Print the end of a file as comments, to explain a failure in the log.
show() {
	local label=$1 file=$2
	[ -s "$file" ] || return 0
	echo "# --- $label ($file):"
	tail -n "${3:-20}" "$file" | sed 's/^/#   /'
}

# ------------------------------------------------------------ scratch

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-it.XXXXXX") || bail "cannot make a scratch directory"
DB="$SCRATCH/retention.db"
SOCK="$SCRATCH/retentiond.sock"
CONF="$SCRATCH/retentiond.conf"
OUT="$SCRATCH/out"
ERR="$SCRATCH/err"
SKIPPED=0

cleanup() {
	local rc=$? p
	trap - EXIT
	for p in $BG_PIDS $DAEMON_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	for p in $BG_PIDS $DAEMON_PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "$N_FAIL" -gt 0 ]; then
		local log
		for log in "$SCRATCH"/daemon.*.log; do
			[ -e "$log" ] && show "daemon log" "$log" 40
		done
	fi
	remove_users
	rm -rf "$SCRATCH"
	if [ "$SKIPPED" = 1 ]; then
		exit 77
	fi
	echo "# $N_OK passed, $N_FAIL failed"
	if [ "$N_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		exit 1
	fi
	exit 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The end of every script.
done_testing() {
	exit 0
}

[ -x "$PYTHON" ] || PYTHON=$(command -v python3 2>/dev/null) || skip_all "python3 is not installed"

# ------------------------------------------------------------ config

# write_config [FILE [DB [SOCKET]]]: a minimal configuration.
write_config() {
	local file=${1:-$CONF} db=${2:-$DB} sock=${3:-$SOCK}
	cat >"$file" <<EOF
[daemon]
database    = $db
socket      = $sock
socket_mode = 0600

[establishment]
name   = Centre hospitalier de test
finess = 123456789
public = yes

[schedule]
; today is pinned: scans only on request, so every test controls them
scan_at = off
EOF
}

# ------------------------------------------------------------ daemon

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

ctl() {
	"$RETENTIONCTL" --socket "$SOCK" "$@"
}

# start_daemon [CONF]: start retentiond in the background (pid in DPID,
# its standard error in DLOG; options in DAEMON_ARGS, e.g. --debug) and
# wait up to 10 s until status answers.
start_daemon() {
	local conf=${1:-$CONF}
	DAEMON_N=$((DAEMON_N + 1))
	DLOG="$SCRATCH/daemon.$DAEMON_N.log"
	# shellcheck disable=SC2086 # DAEMON_ARGS is a list of options
	RETENTIOND_TODAY=$TODAY "$RETENTIOND" --config "$conf" ${DAEMON_ARGS:-} >"$DLOG" 2>&1 &
	DPID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DPID"
	for _ in $(seq 1 100); do
		if ! kill -0 "$DPID" 2>/dev/null; then
			local st=0
			wait "$DPID" || st=$?
			show "daemon log" "$DLOG"
			bail "retentiond exited with status $st at start-up"
		fi
		if ctl --json status >"$SCRATCH/start.json" 2>/dev/null; then
			local pid
			pid=$(json_get "$SCRATCH/start.json" 'd["pid"]')
			[ "$pid" = "$DPID" ] ||
				bail "status answers with pid $pid, not the daemon just started ($DPID)"
			return 0
		fi
		sleep 0.1
	done
	show "daemon log" "$DLOG"
	bail "retentiond did not answer status within 10 s"
}

# wait_exit PID SECONDS: wait for a child of this shell to end; its exit
# status in EXIT_STATUS. Returns 1 (and kills it) if it outlives SECONDS.
wait_exit() {
	local pid=$1 limit_ms=$(($2 * 1000)) t0
	t0=$(now_ms)
	while kill -0 "$pid" 2>/dev/null; do
		if [ $(($(now_ms) - t0)) -ge "$limit_ms" ]; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			EXIT_STATUS=137
			return 1
		fi
		sleep 0.05
	done
	# (braces: no "Killed" notice from the shell in the log)
	{ wait "$pid"; } 2>/dev/null
	EXIT_STATUS=$?
	return 0
}

# stop_daemon: SIGTERM, then wait up to 10 s; its exit status in
# EXIT_STATUS, the time it took in STOP_MS. Returns 1 if it had to be killed.
stop_daemon() {
	local t0 rc=0
	[ -n "$DPID" ] || return 0
	t0=$(now_ms)
	kill -TERM "$DPID" 2>/dev/null
	wait_exit "$DPID" 10 || rc=1
	STOP_MS=$(($(now_ms) - t0))
	DPID=""
	return $rc
}

# ------------------------------------------------------------ assertions

# run CMD...: run a command, its standard output in $OUT, its standard
# error in $ERR, its exit status in RC.
run() {
	"$@" >"$OUT" 2>"$ERR"
	RC=$?
}

# expect_exit N DESC CMD...: run CMD and check its exit status is N.
expect_exit() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$want" ]; then
		ok "$desc (exit $RC)"
	else
		fail "$desc: exit $RC, expected $want"
		show "stdout" "$OUT" 10
		show "stderr" "$ERR" 10
	fi
}

# expect_contains FILE STRING DESC (fixed string).
expect_contains() {
	if grep -qF -- "$2" "$1"; then
		ok "$3"
	else
		fail "$3: '$2' not found"
		show "output" "$1" 15
	fi
}

expect_not_contains() {
	if grep -qF -- "$2" "$1"; then
		fail "$3: '$2' found"
		show "output" "$1" 15
	else
		ok "$3"
	fi
}

# expect_match FILE ERE DESC.
expect_match() {
	if grep -qE -- "$2" "$1"; then
		ok "$3"
	else
		fail "$3: nothing matches /$2/"
		show "output" "$1" 15
	fi
}

# json_get FILE EXPR: evaluate a Python expression over the document d
# (and the json module) and print it: strings as they are, anything else
# as JSON (null, true, 3, [...]). Exit 1 when the file is not JSON or the
# expression fails (a missing key).
json_get() {
	"$PYTHON" -c '
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
    v = eval(sys.argv[2], {"json": json, "d": d})
except Exception as e:
    print("<%s: %s>" % (type(e).__name__, e))
    sys.exit(1)
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$1" "$2"
}

# expect_json FILE EXPR EXPECTED DESC: json_get FILE EXPR prints EXPECTED.
expect_json() {
	local got
	got=$(json_get "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$4"
	else
		fail "$4: $2 is '$got', expected '$3'"
	fi
}

# expect_eq GOT EXPECTED DESC.
expect_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else fail "$3: got '$1', expected '$2'"; fi
}

# db_digest: a digest of the whole content of the database, to prove that
# a refused request changed nothing.
db_digest() {
	sqlite3 "$DB" .dump | sha256sum | cut -d' ' -f1
}

# status_field EXPR: one field of status --json.
status_field() {
	ctl --json status >"$SCRATCH/status.json" 2>/dev/null &&
		json_get "$SCRATCH/status.json" "$1"
}

# import_examples: the five worked examples of rules.md.
import_examples() {
	local k
	for k in patients encounters transfusions litigations; do
		ctl import "$k" "$DATA/$k.csv" >/dev/null 2>"$ERR" ||
			{ show "stderr" "$ERR"; bail "cannot import the worked examples ($k)"; }
	done
}

# gen_population N: a generated population in $SCRATCH/gen (gendemo).
gen_population() {
	if [ -z "$GENDEMO" ] || [ ! -x "$GENDEMO" ]; then
		bail "GENDEMO must name the built gendemo"
	fi
	mkdir -p "$SCRATCH/gen"
	"$GENDEMO" "$SCRATCH/gen" "$1" 7 "$TODAY" || bail "gendemo failed"
}

# wait_job KIND [SOURCE] [SECONDS]: poll status --json until the running
# job is of KIND (and reads SOURCE with at least one row, for an import).
# The job in $SCRATCH/job.json. Returns 1 on time out.
wait_job() {
	local kind=$1 source=${2:-} limit_ms=$((${3:-20} * 1000)) t0 r
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt "$limit_ms" ]; do
		if ctl --json status >"$SCRATCH/job.json" 2>/dev/null; then
			r=$(json_get "$SCRATCH/job.json" '(lambda j: j is not None and j["kind"] == "'"$kind"'" and ("'"$source"'" == "" or (j.get("source") == "'"$source"'" and j["rows"] > 0)))(d["job"]["running"])')
			[ "$r" = true ] && return 0
		fi
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------------ real users

# The workflow scripts run every command as a real Unix user, one per role
# of interfaces.md ("Roles"), since the daemon takes the caller from the
# kernel (peer credentials). Names are unique to this run ("rtd" and the
# shell's pid); remove_users (from the EXIT trap) deletes them.

# with_passwd_lock CMD...: useradd and friends fail while another script
# holds the lock of /etc/passwd (make check -j): try again for up to 10 s.
with_passwd_lock() {
	local _ err
	for _ in $(seq 1 100); do
		err=$("$@" 2>&1 >/dev/null) && return 0
		case $err in
		*lock* | *"try again"*) sleep 0.1 ;;
		*) break ;;
		esac
	done
	echo "$err" >&2
	return 1
}

# prune_stale_users: the users and groups of earlier runs killed before
# their EXIT trap could remove them ("rtd" and a pid no process has now),
# so that killed runs cannot exhaust the system uids.
prune_stale_users() {
	local name pid
	for name in $(cut -d: -f1 /etc/passwd | grep -E '^rtd[0-9]+[amdxrn]$'); do
		pid=${name#rtd}
		pid=${pid%?}
		[ -d "/proc/$pid" ] || with_passwd_lock userdel "$name" 2>/dev/null
	done
	for name in $(cut -d: -f1 /etc/group | grep -E '^rtd[0-9]+[amdxrng]$'); do
		pid=${name#rtd}
		pid=${pid%?}
		[ -d "/proc/$pid" ] || with_passwd_lock groupdel "$name" 2>/dev/null
	done
}

# make_users: U_ARCHIVIST, U_DIM, U_DIRECTOR, U_ARCHIVES, U_ADMIN and
# U_NOROLE (no role at all), and the group G_DIRECTION of which U_DIRECTOR
# is a member: the configuration names the director through "@group" only.
# Skips the script when not root.
make_users() {
	local u p="rtd$$"
	[ "$(id -u)" = 0 ] || skip_all "not root: the role tests create real Unix users (useradd)"
	need useradd userdel groupadd groupdel runuser
	prune_stale_users
	G_DIRECTION=${p}g
	with_passwd_lock groupadd --system "$G_DIRECTION" || bail "cannot create the group $G_DIRECTION"
	TEST_GROUPS="$G_DIRECTION"
	U_ARCHIVIST=${p}a
	U_DIM=${p}m
	U_DIRECTOR=${p}d
	U_ARCHIVES=${p}x
	U_ADMIN=${p}r
	U_NOROLE=${p}n
	for u in "$U_ARCHIVIST" "$U_DIM" "$U_DIRECTOR" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
		if [ "$u" = "$U_DIRECTOR" ]; then
			with_passwd_lock useradd --system --no-create-home --shell /usr/sbin/nologin \
				-G "$G_DIRECTION" "$u" || bail "cannot create the user $u"
		else
			with_passwd_lock useradd --system --no-create-home --shell /usr/sbin/nologin \
				"$u" || bail "cannot create the user $u"
		fi
		TEST_USERS="$TEST_USERS $u"
	done
	# The users reach the socket and read the files through the scratch dir.
	chmod 755 "$SCRATCH"
}

remove_users() {
	local u g
	for u in $TEST_USERS; do
		with_passwd_lock userdel "$u" 2>/dev/null
		# The user's own group, when userdel left it behind.
		if getent group "$u" >/dev/null 2>&1; then
			with_passwd_lock groupdel "$u" 2>/dev/null
		fi
	done
	for g in $TEST_GROUPS; do
		with_passwd_lock groupdel "$g" 2>/dev/null
	done
	TEST_USERS=""
	TEST_GROUPS=""
}

# write_roles_config PUBLIC [FILE [DB [SOCKET]]]: a configuration whose
# [roles] lists the users of make_users; PUBLIC is yes or no. Root stays an
# admin so that the helpers above (start_daemon) may read the status.
write_roles_config() {
	local public=$1 file=${2:-$CONF} db=${3:-$DB} sock=${4:-$SOCK}
	cat >"$file" <<EOF
[daemon]
database    = $db
socket      = $sock
socket_mode = 0666

[establishment]
name    = ${EST_NAME:-Centre hospitalier de test}
service = ${EST_SERVICE:-Archives médicales}
finess  = ${EST_FINESS:-123456789}
public  = $public

[schedule]
scan_at = off

[roles]
archivist = $U_ARCHIVIST
dim       = $U_DIM
director  = @$G_DIRECTION
archives  = $U_ARCHIVES
admin     = root, $U_ADMIN
EOF
}

# ctl_as USER ARGS...: retentionctl run as USER.
ctl_as() {
	local u=$1
	shift
	runuser -u "$u" -- "$RETENTIONCTL" --socket "$SOCK" "$@"
}

# import_examples_as USER: the worked examples, imported by USER.
import_examples_as() {
	local k
	for k in patients encounters transfusions litigations; do
		ctl_as "$1" import "$k" "$DATA/$k.csv" >/dev/null 2>"$ERR" ||
			{ show "stderr" "$ERR"; bail "$1 cannot import the worked examples ($k)"; }
	done
}

# py_str S: S as a Python string literal.
py_str() {
	"$PYTHON" -c 'import sys; print(repr(sys.argv[1]))' "$1"
}

# proposals_json FILE: proposals --json (as root) into FILE.
proposals_json() {
	ctl --json proposals >"$1" 2>"$ERR" || { show "stderr" "$ERR"; bail "proposals --json failed"; }
}

# prop_id FILE IPP: the id of IPP's proposal in a proposals --json FILE
# (the latest when there are several).
prop_id() {
	json_get "$1" 'max(p["id"] for p in d["proposals"] if p["ipp"] == '"$(py_str "$2")"')'
}

# prop_field ID KEY: one field of proposal ID now (proposals --json).
prop_field() {
	ctl --json proposals >"$SCRATCH/pf.json" 2>/dev/null &&
		json_get "$SCRATCH/pf.json" '[p.get("'"$2"'") for p in d["proposals"] if p["id"] == '"$1"'][0]'
}

# prop_state ID: the state of proposal ID now.
prop_state() {
	prop_field "$1" state
}

# expect_state ID STATE DESC.
expect_state() {
	expect_eq "$(prop_state "$1")" "$2" "$3"
}

# states_snapshot: every proposal's id, state and batch, and a digest of
# the facts and the register (every table but the audit journal), to show
# that a refused command changed nothing.
states_snapshot() {
	local states facts
	states=$(ctl --json proposals 2>/dev/null |
		"$PYTHON" -c 'import json, sys; print(sorted((p["id"], p["state"], p["batch"]) for p in json.load(sys.stdin)["proposals"]))')
	facts=$(sqlite3 "$DB" .dump | grep -v '^INSERT INTO "\{0,1\}audit"\{0,1\} ' | sha256sum | cut -c1-16)
	echo "$states facts:$facts"
}

# ------------------------------------------------------------ polling

# wait_until SECONDS CMD...: run CMD every 50 ms until it succeeds;
# returns 1 if it still fails after SECONDS.
wait_until() {
	local limit_ms=$(($1 * 1000)) t0
	shift
	t0=$(now_ms)
	until "$@"; do
		[ $(($(now_ms) - t0)) -lt "$limit_ms" ] || return 1
		sleep 0.05
	done
	return 0
}

# idle: status answers, no job runs or waits, and nothing is left to
# recompute.
idle() {
	ctl --json status >"$SCRATCH/idle.json" 2>/dev/null &&
		[ "$(json_get "$SCRATCH/idle.json" 'd["pending_recompute"] == 0 and d["job"]["running"] is None and d["job"]["queued"] == 0')" = true ]
}
