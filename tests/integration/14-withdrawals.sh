#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Withdrawals: a new encounter, a litigation or a hold withdraws an open proposal at once; closing or releasing does not revive it, a later scan proposes anew.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need sqlite3
make_users
write_roles_config yes
start_daemon
import_examples_as "$U_ARCHIVIST"

expect_exit 0 "scan" ctl_as "$U_ARCHIVIST" --json scan
B=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 3 "the scan proposes the 3 eligible examples (batch $B)"
proposals_json "$SCRATCH/p.json"
P_ADULT=$(prop_id "$SCRATCH/p.json" EX-ADULT)
P_DEATH=$(prop_id "$SCRATCH/p.json" EX-DEATH)
P_LITIG=$(prop_id "$SCRATCH/p.json" EX-LITIG)
expect_exit 0 "opinion favorable --batch (dim)" ctl_as "$U_DIM" opinion favorable --batch "$B"
expect_exit 0 "approve EX-ADULT only (director)" ctl_as "$U_DIRECTOR" approve "$P_ADULT"
expect_state "$P_ADULT" approved "EX-ADULT approved"
expect_state "$P_DEATH" reviewed "EX-DEATH reviewed"
expect_state "$P_LITIG" reviewed "EX-LITIG reviewed"

# expect_withdrawn ID IPP STATUS WHAT: proposal ID is withdrawn with a
# reason, explain IPP shows STATUS and no proposal.
expect_withdrawn() {
	local id=$1 ipp=$2 status=$3 what=$4 reason
	expect_state "$id" withdrawn "$what: the proposal of $ipp is withdrawn at once"
	reason=$(prop_field "$id" reason)
	check "$what: the withdrawal has a reason ($reason)" test -n "$reason" -a "$reason" != null
	expect_exit 0 "explain $ipp" ctl --json explain "$ipp"
	expect_json "$OUT" 'd["status"]' "$status" "$what: $ipp is $status"
	expect_json "$OUT" 'd["proposal"]' null "$what: explain $ipp shows no proposal"
}

# ------------------------------------------------------------ a new encounter

cat >"$SCRATCH/e-new.csv" <<'EOF'
encounter_id,ipp,kind,start_date,end_date
E-ADULT-2,EX-ADULT,consultation,2019-05-06,
EOF
expect_exit 0 "import a new encounter of EX-ADULT (after the approval)" \
	ctl_as "$U_ARCHIVIST" --json import encounters "$SCRATCH/e-new.csv"
expect_json "$OUT" 'd["withdrawn"]' 1 "the import reports one proposal withdrawn"
expect_withdrawn "$P_ADULT" EX-ADULT retained "new encounter"
expect_exit 0 "explain EX-ADULT" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["retain_until"]' 2039-05-06 "EX-ADULT kept 20 years after the new consultation"
expect_exit 1 "a withdrawn proposal cannot be approved" ctl_as "$U_DIRECTOR" approve "$P_ADULT"
expect_state "$P_ADULT" withdrawn "still withdrawn"

# ------------------------------------------------------------ a litigation

expect_exit 0 "litigation open on EX-DEATH (archivist)" \
	ctl_as "$U_ARCHIVIST" litigation open EX-DEATH --id L-W-1 --date 2026-11-02 --reference "TA 26-1234"
expect_withdrawn "$P_DEATH" EX-DEATH held "open litigation"
expect_exit 0 "litigation close (director)" ctl_as "$U_DIRECTOR" litigation close L-W-1 --date 2026-11-20
expect_exit 0 "explain EX-DEATH" ctl --json explain EX-DEATH
# rules.md rule 5: a litigation opened after the (already passed) date
# does not count: EX-DEATH is eligible again once it is closed.
expect_json "$OUT" '(d["status"], d["retain_until"])' '["eligible", "2018-02-01"]' \
	"closed litigation: EX-DEATH eligible again (retain_until 2018-02-01)"
expect_json "$OUT" 'd["proposal"]' null "closing the litigation does not revive the proposal"
expect_state "$P_DEATH" withdrawn "the old proposal stays withdrawn"

# ------------------------------------------------------------ a hold

expect_exit 0 "hold EX-LITIG (director)" ctl_as "$U_DIRECTOR" hold EX-LITIG --reason "demande du procureur"
expect_withdrawn "$P_LITIG" EX-LITIG held "director's hold"
expect_exit 0 "release EX-LITIG (director)" ctl_as "$U_DIRECTOR" release EX-LITIG
expect_exit 0 "explain EX-LITIG" ctl --json explain EX-LITIG
expect_json "$OUT" 'd["status"]' eligible "released: EX-LITIG eligible again"
expect_json "$OUT" 'd["proposal"]' null "releasing does not revive the proposal"
expect_state "$P_LITIG" withdrawn "the old proposal stays withdrawn"

proposals_json "$SCRATCH/p2.json"
expect_json "$SCRATCH/p2.json" 'sorted(p["state"] for p in d["proposals"])' \
	'["withdrawn", "withdrawn", "withdrawn"]' "no new proposal before the next scan"

# ------------------------------------------------------------ the next scan

expect_exit 0 "the next scan" ctl_as "$U_ARCHIVIST" --json scan
B2=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 2 "the next scan proposes EX-DEATH and EX-LITIG again"
check "in a new batch ($B2)" test "$B2" != "$B"
proposals_json "$SCRATCH/p3.json"
expect_json "$SCRATCH/p3.json" 'sorted((p["ipp"], p["state"]) for p in d["proposals"] if p["batch"] == '"$B2"')' \
	'[["EX-DEATH", "proposed"], ["EX-LITIG", "proposed"]]' "the new proposals are proposed"
N_DEATH=$(prop_id "$SCRATCH/p3.json" EX-DEATH)
N_LITIG=$(prop_id "$SCRATCH/p3.json" EX-LITIG)
check "EX-DEATH has a new proposal id ($N_DEATH, was $P_DEATH)" test "$N_DEATH" != "$P_DEATH"
check "EX-LITIG has a new proposal id ($N_LITIG, was $P_LITIG)" test "$N_LITIG" != "$P_LITIG"
expect_exit 0 "explain EX-DEATH" ctl --json explain EX-DEATH
expect_json "$OUT" '(d["proposal"]["id"], d["proposal"]["state"])' "[$N_DEATH, \"proposed\"]" \
	"explain EX-DEATH shows the new proposal"
expect_json "$SCRATCH/p3.json" '[p["state"] for p in d["proposals"] if p["id"] in ('"$P_ADULT, $P_DEATH, $P_LITIG"')]' \
	'["withdrawn", "withdrawn", "withdrawn"]' "the withdrawn proposals stay in the register"
expect_json "$SCRATCH/p3.json" '[p for p in d["proposals"] if p["ipp"] == "EX-ADULT" and p["state"] != "withdrawn"]' \
	'[]' "EX-ADULT (retained now) is not proposed"
# retentionctl proposals --batch B (in its usage) lists that batch only.
expect_exit 0 "proposals --batch $B2" ctl --json proposals --batch "$B2"
expect_json "$OUT" 'sorted((p["ipp"], p["batch"]) for p in d["proposals"])' \
	"[[\"EX-DEATH\", $B2], [\"EX-LITIG\", $B2]]" "proposals --batch $B2 lists the proposals of batch $B2 only"

# The new proposal goes through: a hold in the middle of it again.
expect_exit 0 "opinion on the new EX-LITIG proposal" ctl_as "$U_DIM" opinion favorable "$N_LITIG"
expect_exit 0 "approve it" ctl_as "$U_DIRECTOR" approve "$N_LITIG"
expect_exit 0 "hold EX-LITIG after the approval" ctl_as "$U_DIRECTOR" hold EX-LITIG --reason "nouvelle demande"
expect_state "$N_LITIG" withdrawn "a hold withdraws an approved proposal too"
expect_exit 1 "visa of a batch whose lines are withdrawn or undecided is refused" \
	ctl_as "$U_ARCHIVES" visa --batch "$B2" --reference "AD-W"
expect_state "$N_LITIG" withdrawn "still withdrawn"

# ------------------------------------------------------------ a longer policy

# rules.md rule 6: the establishment may lengthen a duration. Restarted
# with 30 years instead of 20, EX-DEATH (death + 10 years) stays eligible,
# while a dossier kept by the general rule no longer is.
cat >"$SCRATCH/p-pol.csv" <<'EOF'
ipp,birth_date,death_date
EX-POLICY,1950-01-01,
EOF
cat >"$SCRATCH/e-pol.csv" <<'EOF'
encounter_id,ipp,kind,start_date,end_date
E-POLICY-1,EX-POLICY,stay,2001-02-01,2001-02-10
EOF
ctl_as "$U_ARCHIVIST" import patients "$SCRATCH/p-pol.csv" >/dev/null 2>&1 || bail "import p-pol.csv"
ctl_as "$U_ARCHIVIST" import encounters "$SCRATCH/e-pol.csv" >/dev/null 2>&1 || bail "import e-pol.csv"
expect_exit 0 "scan (EX-POLICY)" ctl_as "$U_ARCHIVIST" --json scan
expect_json "$OUT" 'd["proposed"]' 1 "EX-POLICY proposed (retain_until 2021-02-10)"
proposals_json "$SCRATCH/p4.json"
P_POL=$(prop_id "$SCRATCH/p4.json" EX-POLICY)
expect_exit 0 "opinion on EX-POLICY" ctl_as "$U_DIM" opinion favorable "$P_POL"
stop_daemon || fail "the daemon did not stop on SIGTERM"
printf '\n[policy]\ngeneral_years = 30\n' >>"$CONF"
start_daemon
expect_exit 0 "explain EX-POLICY under the longer policy" ctl --json explain EX-POLICY
expect_json "$OUT" '(d["status"], d["retain_until"])' '["retained", "2031-02-10"]' \
	"30 years: EX-POLICY retained until 2031-02-10"
expect_json "$OUT" 'd["proposal"]' null "its proposal is no longer open"
expect_state "$P_POL" withdrawn "the longer policy withdrew EX-POLICY's proposal"
expect_eq "$(prop_field "$P_POL" reason | grep -c 2031-02-10)" 1 "the reason gives the new date"
expect_state "$N_DEATH" proposed "EX-DEATH (death + 10 years) is still proposed"

done_testing
