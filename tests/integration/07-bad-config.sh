#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A bad configuration stops the daemon at start with file, line and key; --check-config says the same.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

# refused NAME LINE KEY: $SCRATCH/NAME.conf must be refused, naming the
# file, LINE and KEY, both by the daemon and by --check-config.
refused() {
	local conf="$SCRATCH/$1.conf" line=$2 key=$3 pid
	RETENTIOND_TODAY=$TODAY "$RETENTIOND" --config "$conf" >"$OUT" 2>"$ERR" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	if wait_exit "$pid" 10; then
		check "$1: the daemon refuses to start (exit $EXIT_STATUS)" test "$EXIT_STATUS" -ne 0
	else
		fail "$1: the daemon was still running 10 s after start"
	fi
	check "$1: no socket was created" test ! -e "$SOCK"
	expect_contains "$ERR" "$conf" "$1: the error names the file"
	expect_match "$ERR" "(:$line:|:$line\$|line $line([^0-9]|\$))" "$1: the error names line $line"
	expect_contains "$ERR" "$key" "$1: the error names the key $key"
	cp "$ERR" "$SCRATCH/$1.daemon.err"

	expect_exit 1 "$1: --check-config fails" "$RETENTIOND" --check-config --config "$conf"
	expect_contains "$ERR" "$conf" "$1: --check-config names the file"
	expect_match "$ERR" "(:$line:|:$line\$|line $line([^0-9]|\$))" "$1: --check-config names line $line"
	expect_contains "$ERR" "$key" "$1: --check-config names the key $key"
}

# Line 5: a key that does not exist.
cat >"$SCRATCH/unknown-key.conf" <<EOF2
[daemon]
database    = $DB
socket      = $SOCK
socket_mode = 0600
colour      = blue

[establishment]
name = Centre hospitalier de test
EOF2
refused unknown-key 5 colour

# Line 8: 19 years, below the legal 20 (R1112-7).
cat >"$SCRATCH/short.conf" <<EOF2
[daemon]
database = $DB
socket   = $SOCK

[policy]
; the general duration may only be lengthened
death_years   = 10
general_years = 19
EOF2
refused short 8 general_years
expect_contains "$SCRATCH/short.daemon.err" "20" "general_years: the error gives the legal minimum 20"

# Line 7: a value that does not parse.
cat >"$SCRATCH/bad-value.conf" <<EOF2
[daemon]
database = $DB
socket   = $SOCK

[establishment]
name   = Centre hospitalier de test
public = perhaps
EOF2
refused bad-value 7 public

# Line 2: a transfusion duration below 30 years.
printf '[policy]\ntransfusion_years = 29\n[daemon]\ndatabase = %s\nsocket = %s\n' "$DB" "$SOCK" \
	>"$SCRATCH/short-transfusion.conf"
refused short-transfusion 2 transfusion_years

check "no database was created by the refused configurations" test ! -e "$DB"

# A good configuration, with a longer policy, passes.
write_config
printf '\n[policy]\ngeneral_years = 25\ntransfusion_years = 30\n' >>"$CONF"
expect_exit 0 "a good configuration passes --check-config" "$RETENTIOND" --check-config --config "$CONF"
start_daemon
expect_exit 0 "and the daemon starts with it" ctl status
stop_daemon
expect_eq "$EXIT_STATUS" 0 "and stops with status 0"

expect_exit 1 "a configuration file that does not exist is refused" \
	"$RETENTIOND" --check-config --config "$SCRATCH/none.conf"
expect_contains "$ERR" "none.conf" "the error names the missing file"

done_testing
