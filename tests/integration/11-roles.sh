#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Roles: whoami, and every command tried by every role as real Unix users; a refusal exits 1, names the role needed and changes nothing.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need sqlite3
make_users
write_roles_config yes
start_daemon

role_of() {
	case $1 in
	"$U_ARCHIVIST") echo archivist ;;
	"$U_DIM") echo dim ;;
	"$U_DIRECTOR") echo director ;;
	"$U_ARCHIVES") echo archives ;;
	"$U_ADMIN") echo admin ;;
	"$U_NOROLE") echo "no role" ;;
	*) echo "$1" ;;
	esac
}

# refused USER "ROLE..." DESC ARGS...: USER's command exits 1, the message
# names every role that may run it, and no proposal or fact changed.
refused() {
	local u=$1 need=$2 desc=$3 before after w missing
	shift 3
	before=$(states_snapshot)
	expect_exit 1 "$desc: refused to $(role_of "$u") ($u)" ctl_as "$u" "$@"
	missing=""
	for w in $need; do
		grep -qE "(^|[^a-z])$w([^a-z]|\$)" "$ERR" || missing="$missing $w"
	done
	if [ -z "$missing" ]; then
		ok "$desc: the refusal to $(role_of "$u") names the role(s) needed ($need)"
	else
		fail "$desc: the refusal to $(role_of "$u") does not name the role(s)$missing"
		show "stderr" "$ERR" 5
	fi
	after=$(states_snapshot)
	expect_eq "$after" "$before" "$desc: refused to $(role_of "$u"), nothing changed"
}

# allowed USER DESC ARGS...
allowed() {
	local u=$1 desc=$2
	shift 2
	expect_exit 0 "$desc: allowed to $(role_of "$u") ($u)" ctl_as "$u" "$@"
}

# ------------------------------------------------------------ whoami

whoami_is() {
	local u=$1 roles=$2
	expect_exit 0 "whoami as $u" ctl_as "$u" --json whoami
	expect_json "$OUT" 'd["user"]' "$u" "whoami names $u"
	expect_json "$OUT" 'd["uid"]' "$(id -u "$u")" "whoami gives the uid of $u"
	expect_json "$OUT" 'sorted(d["roles"])' "$roles" "whoami: the roles of $u are $roles"
}
whoami_is "$U_ARCHIVIST" '["archivist"]'
whoami_is "$U_DIM" '["dim"]'
whoami_is "$U_DIRECTOR" '["director"]'
whoami_is "$U_ARCHIVES" '["archives"]'
whoami_is "$U_ADMIN" '["admin"]'
whoami_is "$U_NOROLE" '[]'
expect_exit 0 "whoami as root" ctl --json whoami
expect_json "$OUT" 'sorted(d["roles"])' '["admin"]' "whoami: root is admin (listed in [roles])"

expect_exit 0 "whoami (human) as the user without a role" ctl_as "$U_NOROLE" whoami
expect_contains "$OUT" "$U_NOROLE" "whoami (human) names the user"
expect_contains "$OUT" "no role" "whoami (human) says 'no role'"
expect_exit 0 "whoami (human) as the director" ctl_as "$U_DIRECTOR" whoami
expect_match "$OUT" "director" "whoami (human): the director gets the role through @$G_DIRECTION"

# ------------------------------------------------------------ import, scan

for u in "$U_DIM" "$U_DIRECTOR" "$U_ARCHIVES" "$U_NOROLE"; do
	refused "$u" "archivist admin" "import" import patients "$DATA/patients.csv"
done
import_examples_as "$U_ARCHIVIST"
ok "import of the worked examples: allowed to the archivist"
allowed "$U_ADMIN" "import" import patients "$DATA/patients.csv"
ctl --json status >"$SCRATCH/st.json"
expect_json "$SCRATCH/st.json" 'd["patients"]' 5 "the imports made 5 patients"

for u in "$U_DIM" "$U_DIRECTOR" "$U_ARCHIVES" "$U_NOROLE"; do
	refused "$u" "archivist admin" "scan" scan
done
allowed "$U_ARCHIVIST" "scan" --json scan
B1=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 3 "the archivist's scan proposes the 3 eligible examples (batch $B1)"
allowed "$U_ADMIN" "scan (nothing new)" --json scan
expect_json "$OUT" 'd["proposed"]' 0 "the admin's scan proposes nothing new"

# A second batch, so that both the archivist and the director can destroy.
printf 'ipp,birth_date,death_date\nEX-ROLE,1950-01-01,\n' >"$SCRATCH/p2.csv"
printf 'encounter_id,ipp,kind,start_date,end_date\nE-ROLE-1,EX-ROLE,stay,2000-03-01,2000-03-15\n' >"$SCRATCH/e2.csv"
allowed "$U_ADMIN" "import (a second eligible patient)" import patients "$SCRATCH/p2.csv"
allowed "$U_ADMIN" "import (its stay)" import encounters "$SCRATCH/e2.csv"
allowed "$U_ADMIN" "scan (second batch)" --json scan
B2=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 1 "the admin's scan proposes EX-ROLE (batch $B2)"

proposals_json "$SCRATCH/p.json"
P_ADULT=$(prop_id "$SCRATCH/p.json" EX-ADULT)
P_DEATH=$(prop_id "$SCRATCH/p.json" EX-DEATH)
P_LITIG=$(prop_id "$SCRATCH/p.json" EX-LITIG)
P_ROLE=$(prop_id "$SCRATCH/p.json" EX-ROLE)

# ------------------------------------------------------------ reads

for u in "$U_ARCHIVIST" "$U_DIM" "$U_DIRECTOR" "$U_ARCHIVES" "$U_ADMIN"; do
	allowed "$u" "status" status
	allowed "$u" "explain" explain EX-ADULT
	allowed "$u" "proposals" proposals
	allowed "$u" "forecast" forecast --until 2030-01-01
	allowed "$u" "bordereau (html)" bordereau "$B1"
	allowed "$u" "bordereau (csv)" bordereau "$B1" --format csv
done
ALL_ROLES="archivist dim director archives admin"
refused "$U_NOROLE" "$ALL_ROLES" "status" status
refused "$U_NOROLE" "$ALL_ROLES" "explain" explain EX-ADULT
expect_not_contains "$OUT" "EX-ADULT" "explain refused: nothing of the dossier shown"
refused "$U_NOROLE" "$ALL_ROLES" "proposals" proposals
refused "$U_NOROLE" "$ALL_ROLES" "forecast" forecast --until 2030-01-01
refused "$U_NOROLE" "$ALL_ROLES" "bordereau" bordereau "$B1"
expect_not_contains "$OUT" "EX-ADULT" "bordereau refused: no line shown"

# ------------------------------------------------------------ opinion (dim)

for u in "$U_ARCHIVIST" "$U_DIRECTOR" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "dim" "opinion" opinion favorable --batch "$B1"
	refused "$u" "dim" "opinion on one proposal" opinion unfavorable "$P_ROLE"
done
allowed "$U_DIM" "opinion" opinion favorable --batch "$B1"
allowed "$U_DIM" "opinion on one proposal" opinion favorable "$P_ROLE"
expect_state "$P_ADULT" reviewed "after the DIM's opinion EX-ADULT is reviewed"
expect_state "$P_ROLE" reviewed "after the DIM's opinion EX-ROLE is reviewed"

# ------------------------------------------------------------ approve, refuse (director)

for u in "$U_ARCHIVIST" "$U_DIM" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "director" "approve" approve --batch "$B1"
	refused "$u" "director" "refuse" refuse "$P_DEATH" --reason "essai"
done
# interfaces.md: "an admin cannot approve", even on one proposal.
refused "$U_ADMIN" "director" "an admin cannot approve" approve "$P_ROLE"
expect_state "$P_ROLE" reviewed "EX-ROLE still reviewed after the admin's attempt"
allowed "$U_DIRECTOR" "refuse" refuse "$P_DEATH" --reason "dossier demandé par la famille"
expect_state "$P_DEATH" refused "the director's refusal: EX-DEATH refused"
allowed "$U_DIRECTOR" "approve" approve --batch "$B1"
expect_state "$P_ADULT" approved "the director's approval: EX-ADULT approved"
expect_state "$P_LITIG" approved "the director's approval: EX-LITIG approved"
expect_state "$P_DEATH" refused "the refused line stays refused"
allowed "$U_DIRECTOR" "approve one proposal" approve "$P_ROLE"
expect_state "$P_ROLE" approved "EX-ROLE approved"

# ------------------------------------------------------------ visa (archives)

for u in "$U_ARCHIVIST" "$U_DIM" "$U_DIRECTOR" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "archives" "visa" visa --batch "$B1" --reference "AD-2026-01"
done
allowed "$U_ARCHIVES" "visa" visa --batch "$B1" --reference "AD-2026-01"
allowed "$U_ARCHIVES" "visa (second batch)" visa --batch "$B2" --reference "AD-2026-02"
expect_state "$P_ADULT" visaed "after the visa EX-ADULT is visaed"
expect_state "$P_ROLE" visaed "after the visa EX-ROLE is visaed"

# ------------------------------------------------------------ destroyed (archivist, director)

for u in "$U_DIM" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "archivist director" "destroyed" destroyed --batch "$B1" --certificate "PV-1"
done
allowed "$U_ARCHIVIST" "destroyed" destroyed --batch "$B1" --certificate "PV-1"
expect_state "$P_ADULT" destroyed "the archivist recorded the destruction of EX-ADULT"
allowed "$U_DIRECTOR" "destroyed" destroyed --batch "$B2" --certificate "PV-2"
expect_state "$P_ROLE" destroyed "the director recorded the destruction of EX-ROLE"

# ------------------------------------------------------------ hold, release (director)

for u in "$U_ARCHIVIST" "$U_DIM" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "director" "hold" hold EX-TRANSF --reason "essai"
done
allowed "$U_DIRECTOR" "hold" hold EX-CHILD --reason "demande du médecin"
ctl --json explain EX-CHILD >"$OUT"
expect_json "$OUT" 'd["status"]' held "EX-CHILD is held"
for u in "$U_ARCHIVIST" "$U_DIM" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "director" "release" release EX-CHILD
done
ctl --json explain EX-CHILD >"$OUT"
expect_json "$OUT" 'd["status"]' held "EX-CHILD still held after the refused releases"
allowed "$U_DIRECTOR" "release" release EX-CHILD
ctl --json explain EX-CHILD >"$OUT"
expect_json "$OUT" 'd["status"]' retained "EX-CHILD retained again once released"

# ------------------------------------------------------------ litigation (archivist, director)

for u in "$U_DIM" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "archivist director" "litigation open" \
		litigation open EX-CHILD --id L-R0 --date 2026-01-01
done
allowed "$U_ARCHIVIST" "litigation open" litigation open EX-CHILD --id L-R1 --date 2026-01-01
for u in "$U_DIM" "$U_ARCHIVES" "$U_ADMIN" "$U_NOROLE"; do
	refused "$u" "archivist director" "litigation close" litigation close L-R1 --date 2026-02-01
done
allowed "$U_DIRECTOR" "litigation close" litigation close L-R1 --date 2026-02-01
allowed "$U_DIRECTOR" "litigation open" litigation open EX-TRANSF --id L-R2 --date 2026-03-01
allowed "$U_ARCHIVIST" "litigation close" litigation close L-R2 --date 2026-03-02
for ipp in EX-CHILD EX-TRANSF; do
	ctl --json explain "$ipp" >"$OUT"
	expect_json "$OUT" 'd["facts"]["litigations"]' 1 "$ipp has the litigation opened and closed from the CLI"
done

# ------------------------------------------------------------ audit (admin, director)

for u in "$U_ARCHIVIST" "$U_DIM" "$U_ARCHIVES" "$U_NOROLE"; do
	refused "$u" "admin director" "audit" audit
	refused "$u" "admin director" "audit verify" audit verify
done
for u in "$U_ADMIN" "$U_DIRECTOR"; do
	allowed "$u" "audit" audit
	allowed "$u" "audit verify" audit verify
done

done_testing
