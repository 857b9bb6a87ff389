#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# SIGHUP: a broken configuration changes nothing; a good one takes effect (name, policy with recompute, roles); database and socket need a restart.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

write_config
cp "$CONF" "$SCRATCH/base.conf"
start_daemon
import_examples
pid=$DPID

# log_count ERE: how many lines of the daemon's log match.
log_count() {
	grep -cE -- "$1" "$DLOG"
}

# hup WHAT: SIGHUP, then wait up to 10 s for the daemon to log that it
# reloaded ("configuration reloaded") or refused ("reload refused");
# WHAT says which is expected. The new lines of the log in $SCRATCH/hup.log.
hup() {
	local want=$1 n_done n_ref lines
	n_done=$(log_count 'configuration reloaded')
	n_ref=$(log_count 'reload refused')
	lines=$(wc -l <"$DLOG")
	kill -HUP "$DPID"
	if ! wait_until 10 eval '[ "$(log_count "configuration reloaded")" -gt "$n_done" ] ||
		[ "$(log_count "reload refused")" -gt "$n_ref" ]'; then
		tail -n +"$((lines + 1))" "$DLOG" >"$SCRATCH/hup.log"
		fail "no reload logged within 10 s of SIGHUP"
		return 1
	fi
	tail -n +"$((lines + 1))" "$DLOG" >"$SCRATCH/hup.log"
	case $want in
	refused) [ "$(log_count 'reload refused')" -gt "$n_ref" ] ;;
	reloaded) [ "$(log_count 'configuration reloaded')" -gt "$n_done" ] ;;
	esac
}

# alive DESC: the same daemon still runs and answers.
alive() {
	check "$1: the daemon still runs" kill -0 "$pid"
	expect_exit 0 "$1: status still answers" ctl --json status
	expect_json "$OUT" 'd["pid"]' "$pid" "$1: answered by the same daemon"
}

ctl --json status >"$SCRATCH/s0.json" || bail "status"
expect_json "$SCRATCH/s0.json" 'd["establishment"]["name"]' "Centre hospitalier de test" "the name before any reload"
ctl --json explain EX-ADULT >"$SCRATCH/adult0.json" || bail "explain"
expect_json "$SCRATCH/adult0.json" 'd["retain_until"]' 2020-03-15 "the adult is kept until 2020-03-15 before any reload"
ctl --json explain EX-CHILD >"$SCRATCH/child0.json" || bail "explain"

# ------------------------------------------------------------ refused reloads

# An unknown key after good changes: the whole file is refused, even the
# lines before the error.
cp "$SCRATCH/base.conf" "$CONF"
sed -i 's/^name   = .*/name   = Centre hospitalier qui ne doit pas changer/' "$CONF"
printf '\n[policy]\ngeneral_years = 25\nbogus_key = 3\n' >>"$CONF"
bad_line=$(grep -n '^bogus_key' "$CONF" | cut -d: -f1)
if hup refused; then ok "unknown key: the reload is refused"; else fail "unknown key: the reload was not refused"; fi
expect_contains "$SCRATCH/hup.log" "$CONF:$bad_line:" "unknown key: the log names the file and line ($CONF:$bad_line)"
expect_contains "$SCRATCH/hup.log" "bogus_key" "unknown key: the log names the key"
expect_match "$SCRATCH/hup.log" 'error' "unknown key: logged as an error"
expect_not_contains "$SCRATCH/hup.log" "policy changed" "unknown key: no policy change announced"
alive "unknown key"
expect_json "$OUT" 'd["establishment"]["name"]' "Centre hospitalier de test" "unknown key: the name of the old configuration stays"
expect_json "$OUT" 'd["pending_recompute"]' 0 "unknown key: nothing to recompute"
expect_exit 0 "unknown key: explain answers" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "unknown key: the old policy still applies (adult until 2020-03-15)"
expect_exit 0 "unknown key: imports still work" ctl import patients "$DATA/patients.csv"

# A value below the legal minimum.
cp "$SCRATCH/base.conf" "$CONF"
printf '\n[policy]\ngeneral_years = 15\n' >>"$CONF"
bad_line=$(grep -n '^general_years' "$CONF" | cut -d: -f1)
if hup refused; then ok "general_years = 15: the reload is refused"; else fail "general_years = 15: the reload was not refused"; fi
expect_contains "$SCRATCH/hup.log" "$CONF:$bad_line:" "general_years = 15: the log names file and line"
expect_contains "$SCRATCH/hup.log" "legal minimum" "general_years = 15: the log says it is below the legal minimum"
alive "general_years = 15"
ctl --json explain EX-ADULT >"$OUT"
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "general_years = 15: the adult is still kept until 2020-03-15"

# The file gone (a package upgrade half-way, an operator's mistake).
mv "$CONF" "$SCRATCH/moved.conf"
if hup refused; then ok "missing file: the reload is refused"; else fail "missing file: the reload was not refused"; fi
expect_contains "$SCRATCH/hup.log" "$CONF" "missing file: the log names the file"
alive "missing file"
expect_json "$OUT" 'd["establishment"]["name"]' "Centre hospitalier de test" "missing file: the name stays"
mv "$SCRATCH/moved.conf" "$CONF"

# ------------------------------------------------------------ a good reload

cp "$SCRATCH/base.conf" "$CONF"
sed -i 's/^name   = .*/name   = Centre hospitalier relu/' "$CONF"
printf '\n[policy]\ngeneral_years = 25\n' >>"$CONF"
if hup reloaded; then ok "name and general_years = 25: reloaded"; else fail "name and general_years = 25: not reloaded"; fi
expect_contains "$SCRATCH/hup.log" "policy changed" "the log announces the policy change"
expect_not_contains "$SCRATCH/hup.log" "error:" "no error logged for a good reload"
if wait_until 20 idle; then
	ok "the recompute after the policy change finishes"
else
	fail "the recompute after the policy change did not finish within 20 s"
fi
alive "good reload"
expect_json "$OUT" 'd["establishment"]["name"]' "Centre hospitalier relu" "status shows the new name"
expect_exit 0 "explain the adult after the reload" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["retain_until"]' 2025-03-15 "the adult is now kept until 2025-03-15 (25 years after 2000-03-15)"
expect_json "$OUT" 'd["status"]' eligible "the adult is still eligible on $TODAY"
expect_exit 0 "explain the child after the reload" ctl --json explain EX-CHILD
# The child: 28th birthday 2029-04-30, or 25 years after 2004-05-03.
expect_json "$OUT" 'd["retain_until"]' 2029-05-03 "the child is now kept until 2029-05-03 (25 years after 2004-05-03)"

# Back to 20 years: back to the dates of rules.md.
cp "$SCRATCH/base.conf" "$CONF"
if hup reloaded; then ok "back to the base configuration: reloaded"; else fail "back to the base configuration: not reloaded"; fi
wait_until 20 idle || fail "the recompute back to 20 years did not finish within 20 s"
ctl --json explain EX-ADULT >"$OUT"
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "back to 20 years: the adult until 2020-03-15 again"
ctl --json explain EX-CHILD >"$OUT"
expect_json "$OUT" 'd["retain_until"]' "$(json_get "$SCRATCH/child0.json" 'd["retain_until"]')" "back to 20 years: the child as before"

# A reload with no change of policy recomputes nothing.
if hup reloaded; then ok "the same file again: reloaded"; else fail "the same file again: not reloaded"; fi
expect_not_contains "$SCRATCH/hup.log" "policy changed" "the same file again: no policy change"

# ------------------------------------------------------------ roles

# Without [roles], root is admin. With [roles] naming only others, root
# has no role; signals still reach the daemon, so the next reload fixes it.
expect_exit 0 "whoami before [roles]" ctl --json whoami
expect_json "$OUT" 'd["roles"]' '["admin"]' "without [roles], root is admin"

cp "$SCRATCH/base.conf" "$CONF"
printf '\n[roles]\narchivist = nobody\ndim = root\nadmin = nobody\n' >>"$CONF"
if hup reloaded; then ok "[roles] with root as dim only: reloaded"; else fail "[roles] with root as dim only: not reloaded"; fi
expect_exit 0 "whoami after the [roles] change" ctl --json whoami
expect_json "$OUT" 'd["roles"]' '["dim"]' "root is now dim only"
expect_exit 0 "status still answers the dim" ctl --json status
printf 'ipp,birth_date,death_date\nEX-ROLE,1970-01-01,\n' >"$SCRATCH/role.csv"
expect_exit 1 "import refused to the dim" ctl import patients "$SCRATCH/role.csv"
expect_contains "$ERR" "permission denied" "the refusal says permission denied"
ctl --json status >"$OUT"
expect_json "$OUT" 'd["patients"]' 5 "the refused import added no patient"

cp "$SCRATCH/base.conf" "$CONF"
printf '\n[roles]\nadmin = nobody\n' >>"$CONF"
if hup reloaded; then ok "[roles] without root: reloaded"; else fail "[roles] without root: not reloaded"; fi
expect_exit 0 "whoami without a role" ctl --json whoami
expect_json "$OUT" 'd["roles"]' '[]' "root has no role now"
expect_exit 1 "status refused to root without a role" ctl status
expect_contains "$ERR" "permission denied" "the status refusal says permission denied"

cp "$SCRATCH/base.conf" "$CONF"
if hup reloaded; then ok "[roles] removed: reloaded"; else fail "[roles] removed: not reloaded"; fi
expect_exit 0 "whoami after [roles] is removed" ctl --json whoami
expect_json "$OUT" 'd["roles"]' '["admin"]' "root is admin again"
expect_exit 0 "import allowed again" ctl --json import patients "$SCRATCH/role.csv"
ctl --json status >"$OUT"
expect_json "$OUT" 'd["patients"]' 6 "the import as admin added the patient"

# ------------------------------------------------------------ restart-only keys

# database, socket, socket_mode: a warning each, the old value kept; the
# rest of the file (the name) applies.
write_config "$CONF" "$SCRATCH/other.db" "$SCRATCH/other.sock"
sed -i 's/^socket_mode = .*/socket_mode = 0666/; s/^name   = .*/name   = Centre hospitalier déplacé/' "$CONF"
sed -i 's/^public = yes$/public = yes\ntimezone = Pacific\/Kiritimati/' "$CONF"
if hup reloaded; then ok "new database, socket and socket_mode: reloaded"; else fail "new database, socket and socket_mode: not reloaded"; fi
expect_match "$SCRATCH/hup.log" 'warning: .*database.*restart' "a warning says the database changes only at restart"
expect_contains "$SCRATCH/hup.log" "$DB" "the warning names the database kept"
expect_match "$SCRATCH/hup.log" 'warning: .*socket.*restart' "a warning says the socket changes only at restart"
expect_match "$SCRATCH/hup.log" 'warning: .*socket_mode.*restart' "a warning says socket_mode changes only at restart"
expect_match "$SCRATCH/hup.log" 'warning: .*timezone.*restart' "a warning says the time zone changes only at restart"
alive "new database"
expect_json "$OUT" 'd["database"]' "$DB" "status: the old database is kept"
expect_json "$OUT" 'd["patients"]' 6 "status: the data of the old database"
expect_json "$OUT" 'd["establishment"]["name"]' "Centre hospitalier déplacé" "the rest of the file applies (the name)"
check "the new database is not created" test ! -e "$SCRATCH/other.db"
check "the new socket is not created" test ! -e "$SCRATCH/other.sock"
expect_eq "$(stat -c %a "$SOCK")" 600 "the socket keeps its mode 0600"
expect_exit 0 "imports go to the old database" ctl --json import encounters "$DATA/encounters.csv"
check "the new database is still not created" test ! -e "$SCRATCH/other.db"

# ------------------------------------------------------------ reload during a job

# A reload that arrives while a job runs waits for its end (the job
# reads the configuration): the old name during the import, the new after.
if [ -n "$GENDEMO" ] && [ -x "$GENDEMO" ]; then
	cp "$SCRATCH/base.conf" "$CONF"
	hup reloaded || fail "back to the base configuration: not reloaded"
	gen_population 50000
	ctl import patients "$SCRATCH/gen/patients.csv" >/dev/null 2>"$ERR" ||
		{ show stderr "$ERR"; bail "cannot import the generated patients"; }
	ctl import encounters "$SCRATCH/gen/encounters.csv" >"$SCRATCH/import.out" 2>"$SCRATCH/import.err" &
	import_pid=$!
	BG_PIDS="$BG_PIDS $import_pid"
	if wait_job import encounters.csv 30; then
		sed -i 's/^name   = .*/name   = Centre hospitalier après import/' "$CONF"
		kill -HUP "$DPID"
		sleep 0.2
		ctl --json status >"$SCRATCH/during.json"
		running=$(json_get "$SCRATCH/during.json" '(d["job"]["running"] or {}).get("kind")')
		if [ "$running" = import ]; then
			expect_json "$SCRATCH/during.json" 'd["establishment"]["name"]' "Centre hospitalier de test" \
				"during the import, the reload waits: the old name"
		else
			echo "# the import ended before the check: nothing to check during it"
		fi
		wait "$import_pid" || fail "the long import failed"
		if wait_until 10 eval '[ "$(status_field "d[\"establishment\"][\"name\"]")" = "Centre hospitalier après import" ]'; then
			ok "after the import, the reload applies: the new name"
		else
			fail "after the import, the name is '$(status_field 'd["establishment"]["name"]')'"
		fi
	else
		fail "the long import did not start"
	fi
fi

if stop_daemon; then ok "the daemon stops on SIGTERM"; else fail "the daemon did not stop"; fi
expect_eq "$EXIT_STATUS" 0 "the daemon exits 0"

done_testing
