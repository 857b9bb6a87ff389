#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The import spool: dependency order, done/ and failed/ with NAME.error, symbolic links refused, temporary and foreign names left alone, rescan at start.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need sqlite3 sha256sum

SPOOL="$SCRATCH/spool"
write_config
printf '\n[import]\nspool = %s\n' "$SPOOL" >>"$CONF"

# drop FILE NAME: write FILE into the spool as a producer should: under a
# temporary name first, then renamed into place.
drop() {
	cp "$1" "$SPOOL/.x.tmp" && mv "$SPOOL/.x.tmp" "$SPOOL/$2"
}

# landed NAME: "done" or "failed" once NAME has left the spool.
landed() {
	if [ -e "$SPOOL/done/$1" ]; then
		echo done
	elif [ -e "$SPOOL/failed/$1" ]; then
		echo failed
	fi
}

# expect_landed NAME WHERE DESC: NAME ends in WHERE/ within 15 s, is no
# longer in the spool itself, and the daemon is idle again.
expect_landed() {
	local name=$1 where=$2 desc=$3 got
	wait_until 15 eval '[ -n "$(landed "$name")" ]'
	got=$(landed "$name")
	expect_eq "$got" "$where" "$desc: $name moved to $where/"
	check "$desc: $name is no longer in the spool" test ! -e "$SPOOL/$name"
	wait_until 15 idle || fail "$desc: the daemon is not idle 15 s later"
}

# counts: patients encounters transfusions litigations, from status.
counts() {
	status_field '[d[k] for k in ("patients", "encounters", "transfusions", "litigations")]'
}

digest_of() {
	sha256sum "$1" | cut -d' ' -f1
}

# ------------------------------------------------------------ start

# Names that are not imports, there before the daemon starts: a note, a
# hidden file being written, a file whose name does not end in .csv yet,
# and a directory with an import's name.
mkdir -p "$SPOOL"
echo "ne pas importer" >"$SPOOL/notes.txt"
head -n 3 "$DATA/patients.csv" >"$SPOOL/.patients.csv.part"
head -n 2 "$DATA/patients.csv" >"$SPOOL/patients.csv.part"
mkdir "$SPOOL/patients-dir.csv"
for f in notes.txt .patients.csv.part patients.csv.part; do
	eval "sum_$(echo "$f" | tr -c 'a-z\n' _)=$(digest_of "$SPOOL/$f")"
done

start_daemon
check "done/ is created" test -d "$SPOOL/done"
check "failed/ is created" test -d "$SPOOL/failed"
wait_until 15 idle || fail "the daemon is not idle after start-up"
expect_eq "$(counts)" "[0, 0, 0, 0]" "nothing imported at start from names that are not imports"

# ------------------------------------------------------------ dependency order

# encounters.csv renamed in first, patients.csv a moment later (well within
# the 500 ms settle window): patients are imported first, or every
# encounter would name an unknown IPP.
cp "$DATA/encounters.csv" "$SPOOL/.enc.tmp"
cp "$DATA/patients.csv" "$SPOOL/.pat.tmp"
mv "$SPOOL/.enc.tmp" "$SPOOL/encounters.csv"
mv "$SPOOL/.pat.tmp" "$SPOOL/patients.csv"
expect_landed patients.csv done "patients then encounters"
expect_landed encounters.csv done "patients then encounters"
check "no error file for encounters.csv" test ! -e "$SPOOL/failed/encounters.csv.error"
expect_eq "$(counts)" "[5, 5, 0, 0]" "status: 5 patients and 5 encounters from the spool"
grep -E 'import of spool file (patients|encounters)\.csv' "$DLOG" | sed 's/.*spool file \([a-z]*\)\.csv.*/\1/' | tr '\n' ' ' >"$SCRATCH/order"
expect_eq "$(cat "$SCRATCH/order")" "patients encounters " "the log shows patients.csv imported before encounters.csv"
expect_eq "$(digest_of "$SPOOL/done/encounters.csv")" "$(digest_of "$DATA/encounters.csv")" "done/encounters.csv is the file dropped, unchanged"

# The other two kinds, litigations renamed in first: transfusions are
# imported before litigations all the same (the order of kinds).
drop "$DATA/litigations.csv" litigations.csv
drop "$DATA/transfusions.csv" transfusions.csv
expect_landed transfusions.csv done "transfusions and litigations"
expect_landed litigations.csv done "transfusions and litigations"
expect_eq "$(counts)" "[5, 5, 1, 1]" "status: 1 transfusion and 1 litigation from the spool"
ctl --json explain EX-ADULT >"$OUT"
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "explain: the adult imported by the spool is kept until 2020-03-15"
ctl --json explain EX-TRANSF >"$OUT"
expect_json "$OUT" 'd["status"]' retained "explain: the transfused patient is retained"

# ------------------------------------------------------------ a bad file

cat >"$SCRATCH/bad.csv" <<'EOF'
ipp,birth_date,death_date
EX-SPOOL-1,1960-01-01,
EX-SPOOL-2,1961-02-30,
EX-SPOOL-3,1962-03-03,
EOF
before=$(db_digest)
drop "$SCRATCH/bad.csv" patients-bad.csv
expect_landed patients-bad.csv failed "a bad date on line 3"
check "failed/patients-bad.csv.error exists" test -s "$SPOOL/failed/patients-bad.csv.error"
if [ -e "$SPOOL/failed/patients-bad.csv.error" ]; then
	sed 's/^/# /' "$SPOOL/failed/patients-bad.csv.error"
	expect_match "$SPOOL/failed/patients-bad.csv.error" 'patients-bad\.csv.*line 3' "the error file names the file and line 3"
	expect_contains "$SPOOL/failed/patients-bad.csv.error" "birth_date" "the error file names the column"
	expect_not_contains "$SPOOL/failed/patients-bad.csv.error" "line 2" "the valid line 2 is not reported"
fi
expect_eq "$(digest_of "$SPOOL/failed/patients-bad.csv")" "$(digest_of "$SCRATCH/bad.csv")" "failed/patients-bad.csv is the file dropped, unchanged"
check "no done/patients-bad.csv" test ! -e "$SPOOL/done/patients-bad.csv"
expect_eq "$(db_digest)" "$before" "the bad file changed nothing in the database"
expect_eq "$(counts)" "[5, 5, 1, 1]" "status: still 5 patients"
expect_match "$DLOG" 'warning: .*patients-bad\.csv' "the daemon logged the failure"

# An encounter for an unknown patient: refused too.
printf 'encounter_id,ipp,kind,start_date,end_date\nE-SPOOL-9,NO-SUCH-IPP,stay,2012-01-01,2012-01-05\n' >"$SCRATCH/orphan.csv"
drop "$SCRATCH/orphan.csv" encounters-orphan.csv
expect_landed encounters-orphan.csv failed "an unknown IPP"
expect_match "$SPOOL/failed/encounters-orphan.csv.error" 'line 2.*NO-SUCH-IPP' "the error file names line 2 and the IPP"

# A symbolic link with an import's name, to a valid file outside the
# spool: refused with the reason, the file it names not read.
printf 'ipp,birth_date,death_date\nEX-SPOOL-L,1969-01-01,\n' >"$SCRATCH/linked.csv"
before=$(db_digest)
ln -s "$SCRATCH/linked.csv" "$SPOOL/patients-link.csv"
expect_landed patients-link.csv failed "a symbolic link"
check "failed/patients-link.csv is the link itself" test -L "$SPOOL/failed/patients-link.csv"
expect_contains "$SPOOL/failed/patients-link.csv.error" "is a symbolic link" \
	"the error file says the file is a symbolic link"
expect_eq "$(db_digest)" "$before" "the link changed nothing in the database"
expect_exit 1 "the patient of the linked file is not imported (explain does not find it)" \
	ctl explain EX-SPOOL-L
# A link to a directory, too (a directory itself is left alone, below).
ln -s "$SCRATCH" "$SPOOL/patients-dirlink.csv"
expect_landed patients-dirlink.csv failed "a symbolic link to a directory"
expect_contains "$SPOOL/failed/patients-dirlink.csv.error" "is a symbolic link" \
	"the error file says the directory's link is a symbolic link"

# ------------------------------------------------------------ names left alone

# A file being written under a temporary name is not read, however long
# it takes; renamed into place, it is imported whole.
printf 'ipp,birth_date,death_date\nEX-SPOOL-A,1970-01-01,\n' >"$SPOOL/.patients-more.csv.part"
printf 'ipp,birth_date,death_date\nEX-SPOOL-B,1971-01-01,\n' >"$SPOOL/patients-more2.csv.part"
# Another file goes through meanwhile: the spool was read since.
printf 'ipp,birth_date,death_date\nEX-SPOOL-C,1972-01-01,\n' >"$SCRATCH/c.csv"
drop "$SCRATCH/c.csv" patients-c.csv
expect_landed patients-c.csv done "a file beside the temporary ones"
printf 'EX-SPOOL-D,1973-01-01,\n' >>"$SPOOL/.patients-more.csv.part"
sleep 1 # longer than the settle window: the append was seen
check "a hidden .part file is left in the spool" test -e "$SPOOL/.patients-more.csv.part"
check "a NAME.csv.part file is left in the spool" test -e "$SPOOL/patients-more2.csv.part"
expect_eq "$(counts)" "[6, 5, 1, 1]" "only patients-c.csv was imported (6 patients)"

mv "$SPOOL/.patients-more.csv.part" "$SPOOL/patients-more.csv"
expect_landed patients-more.csv done "the temporary file renamed into place"
expect_eq "$(counts)" "[8, 5, 1, 1]" "renamed into place, it is imported whole (2 rows)"
check "the other .part file is still left alone" test -e "$SPOOL/patients-more2.csv.part"

# The names there before the start, untouched all along.
for f in notes.txt .patients.csv.part patients.csv.part; do
	var="sum_$(echo "$f" | tr -c 'a-z\n' _)"
	check "$f is still in the spool" test -e "$SPOOL/$f"
	expect_eq "$(digest_of "$SPOOL/$f" 2>/dev/null)" "${!var}" "$f is unchanged"
	check "$f is neither in done/ nor in failed/" test ! -e "$SPOOL/done/$f" -a ! -e "$SPOOL/failed/$f"
done
check "the directory patients-dir.csv is left alone" test -d "$SPOOL/patients-dir.csv"
expect_not_contains "$DLOG" "notes.txt" "notes.txt is not even mentioned in the log"
expect_not_contains "$DLOG" "patients-dir.csv" "the directory is not mentioned in the log"

# ------------------------------------------------------------ rescan at start

# Files dropped while the daemon is down are imported at the next start,
# in dependency order.
if stop_daemon; then ok "the daemon stops"; else fail "the daemon did not stop"; fi
printf 'encounter_id,ipp,kind,start_date,end_date\nE-SPOOL-E,EX-SPOOL-E,stay,2015-01-01,2015-01-05\n' >"$SCRATCH/e-enc.csv"
printf 'ipp,birth_date,death_date\nEX-SPOOL-E,1975-01-01,\n' >"$SCRATCH/e-pat.csv"
drop "$SCRATCH/e-enc.csv" encounters-down.csv
drop "$SCRATCH/e-pat.csv" patients-down.csv
start_daemon
expect_landed patients-down.csv done "dropped while the daemon was down"
expect_landed encounters-down.csv done "dropped while the daemon was down"
expect_eq "$(counts)" "[9, 6, 1, 1]" "the files dropped while down are imported at start"
check "the left-alone names are still there after the restart" \
	test -e "$SPOOL/notes.txt" -a -e "$SPOOL/.patients.csv.part" -a -e "$SPOOL/patients.csv.part"
check "the earlier failures stay in failed/" test -e "$SPOOL/failed/patients-bad.csv"
check "failed files are not imported again after a restart" \
	test "$(grep -c 'patients-bad.csv' "$DLOG")" = 0

# ------------------------------------------------------------ reload

# SIGHUP with another spool: the new one is watched, the old one no more.
SPOOL2="$SCRATCH/spool2"
write_config
printf '\n[import]\nspool = %s\n' "$SPOOL2" >>"$CONF"
n=$(grep -c 'configuration reloaded' "$DLOG")
kill -HUP "$DPID"
wait_until 10 eval '[ "$(grep -c "configuration reloaded" "$DLOG")" -gt "$n" ]' ||
	fail "no reload logged within 10 s of SIGHUP"
check "the new spool directory is created on reload" test -d "$SPOOL2/done" -a -d "$SPOOL2/failed"
printf 'ipp,birth_date,death_date\nEX-SPOOL-F,1976-01-01,\n' >"$SCRATCH/f.csv"
printf 'ipp,birth_date,death_date\nEX-SPOOL-G,1977-01-01,\n' >"$SCRATCH/g.csv"
drop "$SCRATCH/g.csv" patients-old-spool.csv
SPOOL_OLD=$SPOOL
SPOOL=$SPOOL2
drop "$SCRATCH/f.csv" patients-new-spool.csv
expect_landed patients-new-spool.csv done "after the reload, the new spool"
expect_eq "$(counts)" "[10, 6, 1, 1]" "the file of the new spool is imported"
sleep 1 # longer than the settle window
check "a file dropped in the old spool is left there" test -e "$SPOOL_OLD/patients-old-spool.csv"
expect_eq "$(counts)" "[10, 6, 1, 1]" "the file of the old spool is not imported"

# ------------------------------------------------------------ the same name again

# The same name again, dropped as soon as the first file is done (a
# producer sending its batches one after the other): imported too.
printf 'ipp,birth_date,death_date\nEX-SPOOL-R1,1970-01-01,\n' >"$SCRATCH/r1.csv"
printf 'ipp,birth_date,death_date\nEX-SPOOL-R2,1970-01-01,\n' >"$SCRATCH/r2.csv"
cp "$SCRATCH/r2.csv" "$SPOOL/.r2.tmp"
drop "$SCRATCH/r1.csv" patients-again.csv
wait_until 15 test -e "$SPOOL/done/patients-again.csv" || fail "the first patients-again.csv was not imported"
mv "$SPOOL/.r2.tmp" "$SPOOL/patients-again.csv"
if wait_until 5 test ! -e "$SPOOL/patients-again.csv"; then
	ok "a second patients-again.csv, dropped right after the first was done, leaves the spool"
else
	fail "a second patients-again.csv, dropped right after the first was done, is still in the spool 5 s later"
fi
wait_until 15 idle || fail "the daemon is not idle"
expect_exit 0 "the patient of the second patients-again.csv is imported (explain finds it)" ctl --json explain EX-SPOOL-R2

if stop_daemon; then ok "the daemon stops at the end"; else fail "the daemon did not stop at the end"; fi
expect_eq "$EXIT_STATUS" 0 "the daemon exits 0"

done_testing
