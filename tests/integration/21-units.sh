#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The systemd units, as generated in the build tree, pass systemd-analyze verify and security (exposure <= 2.0); the sysusers.d and tmpfiles.d entries apply.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need systemd-analyze

# The build tree is where retentiond was built; make generated the units
# there, with the configured paths.
BUILD=$(cd "$(dirname "$RETENTIOND")" && pwd) || bail "no build directory"
SERVICE="$BUILD/systemd/retentiond.service"
SOCKET="$BUILD/systemd/retentiond.socket"
SYSUSERS="$BUILD/systemd/sysusers.d/retentiond.conf"
TMPFILES="$BUILD/systemd/tmpfiles.d/retentiond.conf"
for f in "$SERVICE" "$SOCKET" "$SYSUSERS" "$TMPFILES"; do
	[ -f "$f" ] || bail "$f was not generated (make)"
done

# ------------------------------------------------------------ generated

if grep -n '@[A-Z_]*@' "$SERVICE" "$SOCKET" >"$OUT"; then
	fail "the units have no placeholder left"
	show "placeholders" "$OUT"
else
	ok "the units have no placeholder left"
fi

# The unit passes the daemon the configuration file that the daemon reads
# by default, and the socket is where retentionctl looks by default (both
# compiled in from the same configured directories).
conf=$(sed -n 's/^ExecStart=.* --config \([^ ]*\).*/\1/p' "$SERVICE")
run "$RETENTIOND" --help
expect_contains "$OUT" "(default $conf)" "ExecStart= names the daemon's default configuration ($conf)"
sock=$(sed -n 's/^ListenStream=//p' "$SOCKET")
case $sock in
/*/retentiond/retentiond.sock) ok "ListenStream= is the default socket ($sock)" ;;
*) fail "ListenStream= is '$sock', expected RUNSTATEDIR/retentiond/retentiond.sock" ;;
esac

# ------------------------------------------------------------ verify

# verify checks that every command exists: point the installed path
# (SBINDIR/retentiond) at the built program, in a copy keeping the unit
# names (retentiond.socket names retentiond.service).
UNITS="$SCRATCH/units"
mkdir -p "$UNITS" || bail "cannot make $UNITS"
sed -E "s#^(Exec[A-Za-z]+=[-+!@:]*)[^ ]*/retentiond( |\$)#\\1$RETENTIOND\\2#" \
	"$SERVICE" >"$UNITS/retentiond.service" || bail "cannot copy the service"
cp "$SOCKET" "$UNITS/retentiond.socket" || bail "cannot copy the socket"
expect_eq "$(grep -c "^Exec[A-Za-z]*=$RETENTIOND " "$UNITS/retentiond.service")" 3 \
	"the copy runs the built retentiond (ExecStartPre, ExecStart, ExecReload)"

# --man=no: the manual pages named in Documentation= are not installed
# while the tests run.
systemd-analyze verify --man=no "$UNITS/retentiond.service" "$UNITS/retentiond.socket" \
	>"$OUT" 2>&1
RC=$?
if [ "$RC" -eq 0 ] && [ ! -s "$OUT" ]; then
	ok "systemd-analyze verify: nothing to say about the service and the socket"
else
	fail "systemd-analyze verify exits $RC and says:"
	show "verify" "$OUT" 40
fi

# ------------------------------------------------------------ security

systemd-analyze security --offline=yes --no-pager "$UNITS/retentiond.service" >"$OUT" 2>"$ERR"
RC=$?
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' "$OUT")
if [ "$RC" -ne 0 ] || [ -z "$score" ]; then
	fail "systemd-analyze security --offline=yes: exit $RC, no exposure level"
	show "stdout" "$OUT"
	show "stderr" "$ERR"
elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
	ok "systemd-analyze security: exposure $score (at most 2.0)"
else
	fail "systemd-analyze security: exposure $score, more than 2.0; exposed:"
	awk '$NF ~ /^[0-9.]+$/' "$OUT" | sed 's/^/#   /'
fi

# The system call filter denies @resources but for the two calls the daemon
# makes to yield to its clients (src/daemon/priority.c), as systemd itself
# computes it: the first of the group that the service may call is
# sched_setattr, and setpriority once sched_setattr is taken out again.
resources_allowed() { # the first call of @resources the unit $1 allows
	systemd-analyze security --offline=yes --no-pager "$1" 2>/dev/null |
		sed -n 's/.*@resources is included (e\.g\. \([a-z_0-9]*\) is allowed).*/\1/p'
}
expect_eq "$(resources_allowed "$UNITS/retentiond.service")" sched_setattr \
	"of @resources, the service may call sched_setattr and nothing before it"
mkdir -p "$SCRATCH/units2" || bail "cannot make $SCRATCH/units2"
sed 's/^\(SystemCallFilter=.*\) sched_setattr$/\1/' "$UNITS/retentiond.service" \
	>"$SCRATCH/units2/retentiond.service" || bail "cannot copy the service"
cp "$UNITS/retentiond.socket" "$SCRATCH/units2/" || bail "cannot copy the socket"
expect_eq "$(resources_allowed "$SCRATCH/units2/retentiond.service")" setpriority \
	"of @resources, the service may call setpriority, and no other call before it"

# The settings the daemon relies on, which no score would notice missing.
for want in Type=notify NotifyAccess=main WatchdogSec=60s User=retentiond \
	RuntimeDirectoryPreserve=yes 'ReadWritePaths=-/var/spool/retentiond'; do
	expect_contains "$SERVICE" "$want" "the service has $want"
done
expect_not_contains "$SERVICE" "DynamicUser=yes" "the service has a stable user (no DynamicUser=)"
expect_not_contains "$SERVICE" "PrivateUsers=yes" \
	"no PrivateUsers= (the callers' peer credentials would read as nobody)"

# ------------------------------------------------------------ sysusers, tmpfiles

ROOT="$SCRATCH/root"
mkdir -p "$ROOT/etc" || bail "cannot make $ROOT"
run systemd-sysusers --root="$ROOT" "$SYSUSERS"
if [ "$RC" -eq 0 ] && grep -q '^retentiond:[^:]*:[0-9]*:[0-9]*:[^:]*:/var/lib/retentiond:' "$ROOT/etc/passwd"; then
	ok "systemd-sysusers creates the user retentiond (home /var/lib/retentiond)"
else
	fail "systemd-sysusers: exit $RC, no user retentiond in $ROOT/etc/passwd"
	show "stderr" "$ERR"
	show "passwd" "$ROOT/etc/passwd"
fi
check "systemd-sysusers creates the group retentiond" grep -q '^retentiond:' "$ROOT/etc/group"
check "the user retentiond is a member of retentiond-spool" \
	grep -qE '^retentiond-spool:[^:]*:[0-9]+:(.*,)?retentiond(,|$)' "$ROOT/etc/group"

# stat_is PATH MODE: PATH is a directory of mode MODE (octal), owned by the
# user retentiond and the group named in the tmpfiles.d entry, as numbered
# in $ROOT/etc.
stat_is() {
	local path=$1 mode=$2 group=$3 uid gid got
	uid=$(awk -F: '$1 == "retentiond" { print $3 }' "$ROOT/etc/passwd")
	gid=$(awk -F: -v g="$group" '$1 == g { print $3 }' "$ROOT/etc/group")
	got=$(stat -c '%F %a %u:%g' "$ROOT$path" 2>&1)
	expect_eq "$got" "directory $mode $uid:$gid" "tmpfiles.d: $path is $mode retentiond:$group"
}

if [ "$(id -u)" = 0 ]; then
	run systemd-tmpfiles --root="$ROOT" --create "$TMPFILES"
	if [ "$RC" -eq 0 ] && [ ! -s "$ERR" ]; then
		ok "systemd-tmpfiles --create applies the entries without a word"
	else
		fail "systemd-tmpfiles --create: exit $RC"
		show "stderr" "$ERR"
	fi
	stat_is /run/retentiond 750 retentiond
	stat_is /var/spool/retentiond 2770 retentiond-spool
	stat_is /var/spool/retentiond/done 2750 retentiond-spool
	stat_is /var/spool/retentiond/failed 2750 retentiond-spool
else
	ok "systemd-tmpfiles --create # SKIP not root: cannot give directories to retentiond"
fi

done_testing
