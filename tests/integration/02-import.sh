#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# CSV import of the four kinds (files and stdin): counts, idempotence, upserts.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need sqlite3 sha256sum

write_config
start_daemon

# Files for two kinds, standard input for the other two.
expect_exit 0 "import patients from a file" ctl import patients "$DATA/patients.csv"
expect_contains "$OUT" "patients.csv" "the import summary names the file"
# The import computes the dossiers it creates: none is left for the
# scan, each an anomaly until its first encounter, and the journal
# counts them.
ctl --json status >"$SCRATCH/s.json" || fail "status --json after the patients"
expect_json "$SCRATCH/s.json" 'd["dossiers"]' \
	'{"anomaly": 5, "eligible": 0, "held": 0, "retained": 0}' \
	"status: the 5 new dossiers computed (anomalies: no encounter yet)"
expect_json "$SCRATCH/s.json" 'd["pending_recompute"]' 0 "status: no new dossier left to recompute"
expect_exit 0 "audit --json after the patients" ctl --json audit
expect_json "$OUT" '[e["details"]["recomputed"] for e in d["entries"] if e["action"] == "import"]' \
	'[5]' "the journal's import entry counts the 5 dossiers evaluated"
expect_exit 0 "import encounters from a file" ctl import encounters "$DATA/encounters.csv"
expect_exit 0 "import transfusions from stdin" ctl import transfusions - <"$DATA/transfusions.csv"
# litigations.csv has its columns in another order and a quoted field.
expect_exit 0 "import litigations from stdin (columns reordered, quoted field)" \
	ctl --json import litigations - <"$DATA/litigations.csv"
expect_json "$OUT" 'd["rows"]' 1 "import --json: 1 litigation row"

ctl --json status >"$SCRATCH/s.json" || fail "status --json after the imports"
expect_json "$SCRATCH/s.json" 'd["patients"]' 5 "status: 5 patients"
expect_json "$SCRATCH/s.json" 'd["encounters"]' 5 "status: 5 encounters"
expect_json "$SCRATCH/s.json" 'd["transfusions"]' 1 "status: 1 transfusion"
expect_json "$SCRATCH/s.json" 'd["litigations"]' 1 "status: 1 litigation"
# rules.md, worked examples: child and transfusion retained; adult, early
# death and litigation eligible.
expect_json "$SCRATCH/s.json" 'd["dossiers"]' \
	'{"anomaly": 0, "eligible": 3, "held": 0, "retained": 2}' \
	"status: dossiers 2 retained, 3 eligible, as in rules.md"
expect_json "$SCRATCH/s.json" 'd["pending_recompute"]' 0 "status: nothing left to recompute"

# The same files again: upserts by id, nothing changes.
before=$(db_digest)
for k in patients encounters; do
	expect_exit 0 "re-import $k.csv" ctl --json import "$k" "$DATA/$k.csv"
	expect_json "$OUT" 'd["rows_changed"]' 0 "re-import $k.csv: 0 rows changed"
	expect_json "$OUT" 'd["rows"]' 5 "re-import $k.csv: 5 rows read"
done
for k in transfusions litigations; do
	expect_exit 0 "re-import $k from stdin" ctl --json import "$k" - <"$DATA/$k.csv"
	expect_json "$OUT" 'd["rows_changed"]' 0 "re-import $k from stdin: 0 rows changed"
done
expect_exit 0 "re-import encounters.csv (human output)" ctl import encounters "$DATA/encounters.csv"
expect_contains "$OUT" "0 new or changed" "the human summary says 0 new or changed"
expect_eq "$(db_digest)" "$before" "importing the same files twice leaves the database unchanged"
ctl --json status >"$SCRATCH/s.json"
expect_json "$SCRATCH/s.json" '[d[k] for k in ("patients", "encounters", "transfusions", "litigations")]' \
	'[5, 5, 1, 1]' "still 5 patients, 5 encounters, 1 transfusion, 1 litigation"

# An upsert that moves the adult's discharge: 20 years from 2001-06-30.
expect_exit 0 "explain the adult before the upsert" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "adult kept until 2020-03-15 before the upsert"
cat >"$SCRATCH/upsert.csv" <<EOF2
encounter_id,ipp,kind,start_date,end_date
E-ADULT-1,EX-ADULT,stay,2000-03-01,2001-06-30
EOF2
expect_exit 0 "import an encounter with a new end date" ctl --json import encounters "$SCRATCH/upsert.csv"
expect_json "$OUT" 'd["rows_changed"]' 1 "the upsert reports 1 row changed"
expect_exit 0 "explain the adult after the upsert" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["retain_until"]' 2021-06-30 "adult now kept until 2021-06-30 (20 years after 2001-06-30)"
expect_json "$OUT" 'd["status"]' eligible "adult still eligible"
expect_json "$OUT" '[r["start"] for r in d["rules"] if r["rule"] == "general_20y"]' '["2001-06-30"]' \
	"general_20y now starts at the new discharge date"
ctl --json status >"$SCRATCH/s.json"
expect_json "$SCRATCH/s.json" 'd["encounters"]' 5 "the upsert did not add an encounter"
check "the upsert changed the database" test "$(db_digest)" != "$before"

# And back: the same date again gives the worked example's date.
expect_exit 0 "re-import the original encounters" ctl --json import encounters "$DATA/encounters.csv"
expect_json "$OUT" 'd["rows_changed"]' 1 "restoring the date changes 1 row"
ctl --json explain EX-ADULT >"$OUT"
expect_json "$OUT" 'd["retain_until"]' 2020-03-15 "adult back to 2020-03-15"

# A patient upsert: a death date (2008-01-01) within 10 years of the
# last encounter (2000-03-15) makes the death rule govern: 2018-01-01.
printf 'ipp,death_date,birth_date\nEX-ADULT,2008-01-01,1950-01-01\n' >"$SCRATCH/death.csv"
expect_exit 0 "import a death date for the adult" ctl import patients "$SCRATCH/death.csv"
ctl --json explain EX-ADULT >"$OUT"
expect_json "$OUT" 'd["retain_until"]' 2018-01-01 "adult now kept until 2018-01-01 (death + 10 years)"

expect_exit 2 "an unknown import kind exits 2" ctl import doctors "$DATA/patients.csv"
expect_exit 1 "a missing file exits 1" ctl import patients "$SCRATCH/no-such-file.csv"

done_testing
