#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Bad CSV files are refused whole, with one error per line naming file and line, and change nothing.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need sqlite3 sha256sum

write_config
start_daemon
import_examples
ctl --json status >"$SCRATCH/s0.json"
ctl --json explain EX-CHILD >"$SCRATCH/child0.json"

# bad_import KIND FILE DESC: the import fails (exit 1), with nothing on
# standard output, and changes nothing; every line of standard error is
# one message of retentionctl naming the file.
bad_import() {
	local kind=$1 file=$2 desc=$3 name before after
	name=$(basename "$file")
	before=$(db_digest)
	expect_exit 1 "$desc: import exits 1" ctl import "$kind" "$file"
	after=$(db_digest)
	expect_eq "$after" "$before" "$desc: database unchanged"
	check "$desc: nothing on standard output" test ! -s "$OUT"
	check "$desc: an error on standard error" test -s "$ERR"
	if grep -vq "^retentionctl: ${name}[:,] " "$ERR"; then
		fail "$desc: every error line is 'retentionctl: $name...'"
		show "stderr" "$ERR"
	else
		ok "$desc: every error line names the file $name"
	fi
}

# Line 3: a bad date; line 5: an unknown IPP; lines 2, 4, 6 are valid
# but must not be kept either.
bad_import encounters "$DATA/bad-encounters.csv" "bad date and unknown IPP"
expect_match "$ERR" '(line 3|:3:).*(start_date|date)' "the bad date is reported on line 3"
expect_match "$ERR" '(line 5|:5:).*NO-SUCH-IPP' "the unknown IPP is reported on line 5"
expect_match "$ERR" '2 errors' "the summary counts 2 errors"
expect_not_contains "$ERR" "line 2:" "valid line 2 is not reported"
expect_not_contains "$ERR" "line 4:" "valid line 4 is not reported"
expect_not_contains "$ERR" "line 6:" "valid line 6 is not reported"
ctl --json explain EX-CHILD >"$OUT"
expect_json "$OUT" 'd["retain_until"]' "$(json_get "$SCRATCH/child0.json" 'd["retain_until"]')" \
	"the valid rows of the refused file did not change the child's dossier"

bad_import encounters "$DATA/bad-missing-column.csv" "missing column"
expect_contains "$ERR" "start_date" "the error names the missing column start_date"

bad_import patients "$DATA/bad-latin1.csv" "Latin-1 file"
expect_match "$ERR" '(line 3|:3:)' "the non-UTF-8 byte is reported on line 3"
expect_contains "$ERR" "UTF-8" "the error says the file must be UTF-8"

bad_import patients "$DATA/bad-empty.csv" "empty file"
expect_match "$ERR" '[Ee]mpty|header' "the error says the file is empty"

bad_import litigations "$DATA/bad-truncated.csv" "truncated quoted field"
expect_match "$ERR" '(line 3|:3:)' "the unclosed quote is reported on the line it opens (3)"

# The same refusals through standard input name "stdin".
before=$(db_digest)
expect_exit 1 "bad file on stdin: import exits 1" ctl import encounters - <"$DATA/bad-encounters.csv"
expect_match "$ERR" 'stdin.*line 3' "stdin: the bad date on line 3"
expect_match "$ERR" 'stdin.*line 5' "stdin: the unknown IPP on line 5"
expect_exit 1 "empty stdin: import exits 1" ctl import patients - </dev/null
expect_eq "$(db_digest)" "$before" "stdin: database unchanged"

# A closed_on before opened_on, and an unknown encounter kind.
printf 'litigation_id,ipp,opened_on,closed_on\nL-X,EX-ADULT,2010-05-01,2010-04-01\n' >"$SCRATCH/closing.csv"
bad_import litigations "$SCRATCH/closing.csv" "closing before opening"
expect_match "$ERR" '(line 2|:2:)' "closing before opening is reported on line 2"
printf 'encounter_id,ipp,kind,start_date\nE-X,EX-ADULT,teleportation,2010-05-01\n' >"$SCRATCH/kind.csv"
bad_import encounters "$SCRATCH/kind.csv" "unknown kind"
expect_match "$ERR" '(line 2|:2:).*teleportation' "the unknown kind is reported on line 2"

# The daemon is still there, and nothing moved.
expect_exit 0 "status still answers after the refused imports" ctl --json status
expect_json "$OUT" '[d[k] for k in ("patients", "encounters", "transfusions", "litigations", "dossiers")]' \
	"$(json_get "$SCRATCH/s0.json" '[d[k] for k in ("patients", "encounters", "transfusions", "litigations", "dossiers")]')" \
	"status counts unchanged by the refused imports"
expect_exit 0 "a good file is still imported afterwards" ctl import patients "$DATA/patients.csv"

done_testing
