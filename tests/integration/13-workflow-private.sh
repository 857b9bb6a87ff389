#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The elimination procedure of a private establishment (no visa), and a destroyed IPP imported again: a new dossier, reported as reborn.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need sqlite3
make_users
write_roles_config no
start_daemon
expect_json "$SCRATCH/start.json" 'd["establishment"]["public"]' false "status: the establishment is private"
import_examples_as "$U_ARCHIVIST"

expect_exit 0 "scan" ctl_as "$U_ARCHIVIST" --json scan
B=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 3 "the scan proposes the 3 eligible examples (batch $B)"
proposals_json "$SCRATCH/p1.json"
OLD_IDS=$(json_get "$SCRATCH/p1.json" 'sorted(p["id"] for p in d["proposals"])')

# batch_states: the states of the batch's proposals, by IPP.
batch_states() {
	ctl --json proposals >"$SCRATCH/s.json" 2>/dev/null &&
		json_get "$SCRATCH/s.json" 'sorted((p["ipp"], p["state"]) for p in d["proposals"] if p["batch"] == '"$B"')'
}
all_in() {
	echo "[[\"EX-ADULT\", \"$1\"], [\"EX-DEATH\", \"$1\"], [\"EX-LITIG\", \"$1\"]]"
}

expect_exit 1 "destroyed before the decision is refused" \
	ctl_as "$U_DIRECTOR" destroyed --batch "$B" --certificate "PV-EARLY"
expect_eq "$(batch_states)" "$(all_in proposed)" "nothing destroyed before the decision"
expect_exit 0 "opinion favorable --batch (dim)" ctl_as "$U_DIM" opinion favorable --batch "$B"
expect_exit 1 "destroyed before the director's approval is refused" \
	ctl_as "$U_DIRECTOR" destroyed --batch "$B" --certificate "PV-EARLY"
expect_eq "$(batch_states)" "$(all_in reviewed)" "nothing destroyed before the approval"
expect_exit 0 "approve --batch (director)" ctl_as "$U_DIRECTOR" approve --batch "$B"
expect_eq "$(batch_states)" "$(all_in approved)" "approved"

# No visa in a private establishment.
expect_exit 1 "visa is refused in a private establishment" \
	ctl_as "$U_ARCHIVES" visa --batch "$B" --reference "AD-2026-3"
expect_contains "$ERR" "not public" "the refusal says the establishment is not public"
expect_eq "$(batch_states)" "$(all_in approved)" "the refused visa changed nothing"

# Approved -> destroyed directly.
expect_exit 0 "destroyed --batch --certificate (director), without a visa" \
	ctl_as "$U_DIRECTOR" --json destroyed --batch "$B" --certificate "PV-PRIV-2026-1"
expect_json "$OUT" '(d["done"], d["refused"])' '[3, 0]' "destroyed: 3 done"
expect_eq "$(batch_states)" "$(all_in destroyed)" "all three destroyed"
for ipp in EX-ADULT EX-DEATH EX-LITIG; do
	expect_exit 1 "explain $ipp after its destruction exits 1" ctl explain "$ipp"
done
for ipp in EX-CHILD EX-TRANSF; do
	expect_exit 0 "explain $ipp (not proposed) still works" ctl explain "$ipp"
done
ctl --json status >"$SCRATCH/st.json"
expect_json "$SCRATCH/st.json" '(d["patients"], d["encounters"], d["transfusions"], d["litigations"])' \
	'[2, 2, 1, 0]' "status: only the child's and the transfusion's facts are left"

# The bordereau of a private establishment has no visa block.
expect_exit 0 "bordereau (html)" ctl bordereau "$B"
expect_not_contains "$OUT" "Archives départementales" "no visa block of the Archives départementales"
expect_contains "$OUT" "PV-PRIV-2026-1" "the bordereau names the certificate of destruction"

# ------------------------------------------------------------ reborn

# Read by a person: the import names the dossier that starts anew.
printf 'ipp,birth_date,death_date\nEX-ADULT,1950-01-01,\n' >"$SCRATCH/adult.csv"
expect_exit 0 "re-import EX-ADULT (human output)" ctl_as "$U_ARCHIVIST" import patients "$SCRATCH/adult.csv"
expect_contains "$OUT" "EX-ADULT" "the import's output names the destroyed IPP imported again"
expect_exit 0 "re-import all the patients (2 more destroyed IPPs among them)" \
	ctl_as "$U_ARCHIVIST" --json import patients "$DATA/patients.csv"
cp "$OUT" "$SCRATCH/reborn.json"
expect_json "$SCRATCH/reborn.json" 'd["reborn"]' 2 "import --json: reborn = 2"
expect_json "$SCRATCH/reborn.json" 'sorted(x.strip() for x in d["reborn_ipps"].split(","))' \
	'["EX-DEATH", "EX-LITIG"]' "import --json names the reborn IPPs"
expect_exit 0 "re-import the patients again" ctl_as "$U_ARCHIVIST" --json import patients "$DATA/patients.csv"
expect_json "$OUT" 'd["reborn"]' 0 "the second re-import reports nothing reborn"

expect_exit 0 "explain EX-ADULT (a new dossier)" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["proposal"]' null "the new EX-ADULT dossier has no proposal"
expect_exit 0 "re-import the encounters" ctl_as "$U_ARCHIVIST" import encounters "$DATA/encounters.csv"
expect_exit 0 "explain EX-ADULT" ctl --json explain EX-ADULT
expect_json "$OUT" '(d["status"], d["retain_until"])' '["eligible", "2020-03-15"]' \
	"the new EX-ADULT dossier is eligible again"

expect_exit 0 "a later scan" ctl_as "$U_ARCHIVIST" --json scan
B2=$(json_get "$OUT" 'd["batch"]')
# EX-LITIG's litigation was not imported again: it is eligible too, by 20 years.
expect_json "$OUT" 'd["proposed"]' 3 "the scan proposes the three new dossiers"
check "in a new batch ($B2)" test "$B2" != "$B"
proposals_json "$SCRATCH/p2.json"
expect_json "$SCRATCH/p2.json" 'sorted((p["ipp"], p["state"]) for p in d["proposals"] if p["batch"] == '"$B2"')' \
	'[["EX-ADULT", "proposed"], ["EX-DEATH", "proposed"], ["EX-LITIG", "proposed"]]' \
	"the new proposals are proposed"
expect_json "$SCRATCH/p2.json" 'sorted(set(p["id"] for p in d["proposals"] if p["batch"] == '"$B2"') & set('"$OLD_IDS"'))' \
	'[]' "with new proposal ids"
expect_json "$SCRATCH/p2.json" 'sorted((p["id"], p["ipp"], p["state"]) for p in d["proposals"] if p["batch"] == '"$B"')' \
	"$(json_get "$SCRATCH/p1.json" 'sorted((p["id"], p["ipp"], "destroyed") for p in d["proposals"])')" \
	"the register still lists the destroyed ones, unchanged"
expect_exit 0 "explain EX-ADULT" ctl --json explain EX-ADULT
expect_json "$OUT" '(d["proposal"]["state"], d["proposal"]["id"] in '"$OLD_IDS"')' '["proposed", false]' \
	"explain shows the new proposal"

done_testing
