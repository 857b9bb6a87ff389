#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The elimination procedure of a public establishment: opinion, decision, partial visa (keep, reject), destruction, and the override of an unfavourable opinion.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need sqlite3
make_users
write_roles_config yes
start_daemon
import_examples_as "$U_ARCHIVIST"

# rules.md, worked examples: the adult, the early death and the
# litigation are eligible on 2026-11-21.
expect_exit 0 "scan" ctl_as "$U_ARCHIVIST" --json scan
B=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 3 "the scan proposes 3 dossiers in batch $B"
proposals_json "$SCRATCH/p.json"
expect_json "$SCRATCH/p.json" 'sorted((p["ipp"], p["state"], p["batch"]) for p in d["proposals"])' \
	"[[\"EX-ADULT\", \"proposed\", $B], [\"EX-DEATH\", \"proposed\", $B], [\"EX-LITIG\", \"proposed\", $B]]" \
	"one batch with the 3 eligible dossiers, proposed"
P1=$(prop_id "$SCRATCH/p.json" EX-ADULT) # to be kept by the archives
P2=$(prop_id "$SCRATCH/p.json" EX-DEATH) # to be rejected by the archives
P3=$(prop_id "$SCRATCH/p.json" EX-LITIG) # to be destroyed

# states_of: the states of P1, P2, P3.
states_of() {
	ctl --json proposals >"$SCRATCH/s.json" 2>/dev/null &&
		json_get "$SCRATCH/s.json" '[{p["id"]: p["state"] for p in d["proposals"]}[i] for i in ('"$P1, $P2, $P3"')]'
}

# ------------------------------------------------------------ order enforced

# R1112-7 al. 4: the director decides after the DIM's opinion.
expect_exit 1 "approve before the DIM's opinion is refused" ctl_as "$U_DIRECTOR" --json approve --batch "$B"
expect_json "$OUT" '(d["done"], d["refused"])' '[0, 3]' "approve before the opinion: 0 done, 3 refused"
expect_json "$OUT" 'all("opinion" in l["why"] for l in d["lines"])' true \
	"approve before the opinion: each line says the opinion is missing"
expect_match "$ERR" "refused" "approve before the opinion: the error says what was refused"
expect_eq "$(states_of)" '["proposed", "proposed", "proposed"]' "nothing approved before the opinion"
expect_exit 1 "approve of one proposal before the opinion is refused" ctl_as "$U_DIRECTOR" approve "$P1"
expect_eq "$(states_of)" '["proposed", "proposed", "proposed"]' "still nothing approved"

expect_exit 1 "visa before the decision is refused" \
	ctl_as "$U_ARCHIVES" visa --batch "$B" --reference "AD-EARLY"
expect_exit 1 "destroyed before the decision is refused" \
	ctl_as "$U_ARCHIVIST" destroyed --batch "$B" --certificate "PV-EARLY"
expect_eq "$(states_of)" '["proposed", "proposed", "proposed"]' "nothing visaed or destroyed"

# ------------------------------------------------------------ opinion, decision

expect_exit 0 "opinion favorable --batch (dim)" \
	ctl_as "$U_DIM" --json opinion favorable --batch "$B" --comment "dossiers vérifiés"
expect_json "$OUT" '(d["done"], d["refused"], d["withdrawn"])' '[3, 0, 0]' "opinion: 3 done"
expect_eq "$(states_of)" '["reviewed", "reviewed", "reviewed"]' "after the opinion: reviewed"

expect_exit 0 "approve --batch (director)" ctl_as "$U_DIRECTOR" --json approve --batch "$B"
expect_json "$OUT" '(d["done"], d["refused"], d["withdrawn"])' '[3, 0, 0]' "approve: 3 done"
expect_eq "$(states_of)" '["approved", "approved", "approved"]' "after the decision: approved"

expect_exit 1 "the DIM cannot revise the opinion after the decision" \
	ctl_as "$U_DIM" opinion unfavorable "$P1"
expect_eq "$(states_of)" '["approved", "approved", "approved"]' "still approved"

# ------------------------------------------------------------ no destruction without the visa

ctl --json status >"$SCRATCH/st0.json"
expect_exit 1 "destroyed before the visa is refused (public establishment)" \
	ctl_as "$U_ARCHIVIST" destroyed --batch "$B" --certificate "PV-TOO-EARLY"
expect_match "$ERR" "visa" "the refusal says the visa is missing"
expect_eq "$(states_of)" '["approved", "approved", "approved"]' "nothing destroyed before the visa"
for ipp in EX-ADULT EX-DEATH EX-LITIG; do
	expect_exit 0 "explain $ipp: its facts are still there" ctl --json explain "$ipp"
done
ctl --json status >"$SCRATCH/st1.json"
expect_eq "$(json_get "$SCRATCH/st1.json" '(d["patients"], d["encounters"], d["litigations"])')" \
	"$(json_get "$SCRATCH/st0.json" '(d["patients"], d["encounters"], d["litigations"])')" \
	"status: the facts are unchanged by the refused destruction"

# ------------------------------------------------------------ partial visa

expect_exit 1 "a visa naming a proposal outside the batch is refused" \
	ctl_as "$U_ARCHIVES" visa --batch "$B" --reference "AD-2026-17" --keep 99999
expect_exit 1 "a visa keeping and rejecting the same line is refused" \
	ctl_as "$U_ARCHIVES" visa --batch "$B" --reference "AD-2026-17" --keep "$P1" --reject "$P1"
expect_eq "$(states_of)" '["approved", "approved", "approved"]' "the bad visas changed nothing"

expect_exit 0 "visa --keep P1 --reject P2 (archives)" \
	ctl_as "$U_ARCHIVES" --json visa --batch "$B" --reference "AD-2026-17" --keep "$P1" --reject "$P2"
expect_json "$OUT" '(d["done"], d["refused"])' '[3, 0]' "visa: 3 lines decided"
expect_eq "$(states_of)" '["kept", "refused", "visaed"]' "visa: P1 kept, P2 refused, P3 visaed"
expect_exit 1 "a second visa of the batch is refused" \
	ctl_as "$U_ARCHIVES" visa --batch "$B" --reference "AD-2026-18"
expect_eq "$(states_of)" '["kept", "refused", "visaed"]' "the second visa changed nothing"

# ------------------------------------------------------------ destruction

expect_exit 0 "destroyed --batch --certificate (archivist)" \
	ctl_as "$U_ARCHIVIST" --json destroyed --batch "$B" --certificate "PV-2026-042"
expect_json "$OUT" 'd["done"]' 1 "destroyed: one line done"
expect_json "$OUT" '[l["id"] for l in d["lines"] if l["outcome"] == "done"]' "[$P3]" \
	"destroyed: the line done is P3"
expect_eq "$(states_of)" '["kept", "refused", "destroyed"]' "only P3 destroyed; kept and refused untouched"

expect_exit 1 "explain EX-LITIG after its destruction exits 1 (facts deleted)" ctl explain EX-LITIG
expect_contains "$ERR" "EX-LITIG" "the error names the IPP"
proposals_json "$SCRATCH/p2.json"
expect_json "$SCRATCH/p2.json" '[(p["ipp"], p["state"], p["batch"]) for p in d["proposals"] if p["id"] == '"$P3"']' \
	"[[\"EX-LITIG\", \"destroyed\", $B]]" "the register still lists P3, destroyed, with its IPP"
expect_json "$SCRATCH/p2.json" '[p["retain_until"] for p in d["proposals"] if p["id"] == '"$P3"']' \
	'["2021-03-15"]' "the register keeps P3's retain_until"
expect_exit 0 "explain EX-ADULT (kept for ever) still works" ctl --json explain EX-ADULT
expect_json "$OUT" 'd["proposal"]["state"]' kept "explain EX-ADULT: proposal kept"
expect_exit 0 "explain EX-DEATH (refused) still works" ctl --json explain EX-DEATH
expect_json "$OUT" 'd["proposal"]["state"]' refused "explain EX-DEATH: proposal refused"
ctl --json status >"$SCRATCH/st2.json"
expect_json "$SCRATCH/st2.json" 'd["patients"]' 4 "status: 4 patients left (EX-LITIG's deleted)"
expect_json "$SCRATCH/st2.json" 'd["litigations"]' 0 "status: EX-LITIG's litigation deleted with it"
expect_json "$SCRATCH/st2.json" '(d["proposals"]["kept"], d["proposals"]["refused"], d["proposals"]["destroyed"])' \
	'[1, 1, 1]' "status: 1 kept, 1 refused, 1 destroyed"

expect_exit 1 "a second destruction of the batch is refused" \
	ctl_as "$U_DIRECTOR" destroyed --batch "$B" --certificate "PV-AGAIN"
expect_eq "$(states_of)" '["kept", "refused", "destroyed"]' "still kept, refused, destroyed"
expect_exit 0 "scan after the destruction" ctl_as "$U_ARCHIVIST" --json scan
expect_json "$OUT" 'd["proposed"]' 0 "kept and refused dossiers are never proposed again"

# ------------------------------------------------------------ unfavourable opinion

cat >"$SCRATCH/p-unfav.csv" <<'EOF'
ipp,birth_date,death_date
EX-UNFAV,1950-01-01,
EX-REFUSE,1950-01-01,
EOF
cat >"$SCRATCH/e-unfav.csv" <<'EOF'
encounter_id,ipp,kind,start_date,end_date
E-UNFAV-1,EX-UNFAV,stay,2000-03-01,2000-03-15
E-REFUSE-1,EX-REFUSE,consultation,2001-06-01,
EOF
ctl_as "$U_ARCHIVIST" import patients "$SCRATCH/p-unfav.csv" >/dev/null 2>&1 || bail "import p-unfav.csv"
ctl_as "$U_ARCHIVIST" import encounters "$SCRATCH/e-unfav.csv" >/dev/null 2>&1 || bail "import e-unfav.csv"
expect_exit 0 "scan (second batch)" ctl_as "$U_ARCHIVIST" --json scan
B2=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 2 "the scan proposes the two new dossiers"
check "the second batch is a new one ($B2)" test "$B2" != "$B"
proposals_json "$SCRATCH/p3.json"
PU=$(prop_id "$SCRATCH/p3.json" EX-UNFAV)
PR=$(prop_id "$SCRATCH/p3.json" EX-REFUSE)

expect_exit 0 "opinion unfavorable on one proposal (dim)" \
	ctl_as "$U_DIM" opinion unfavorable "$PU" --comment "dossier d'intérêt scientifique"
expect_exit 0 "opinion favorable on the other (dim)" ctl_as "$U_DIM" opinion favorable "$PR"
expect_state "$PU" reviewed "after an unfavourable opinion: reviewed"
expect_exit 1 "approve over an unfavourable opinion without override is refused" \
	ctl_as "$U_DIRECTOR" --json approve "$PU"
expect_json "$OUT" '[l["outcome"] for l in d["lines"]]' '["refused"]' "the line is refused"
expect_match "$OUT" "unfavou?rable" "the reason names the unfavourable opinion"
expect_state "$PU" reviewed "still reviewed after the refused approval"
expect_exit 2 "--override-unfavorable without --reason is a usage error" \
	ctl_as "$U_DIRECTOR" approve "$PU" --override-unfavorable
expect_state "$PU" reviewed "still reviewed"
expect_exit 0 "approve --override-unfavorable --reason is accepted" \
	ctl_as "$U_DIRECTOR" approve "$PU" --override-unfavorable --reason "avis des Archives sollicité"
expect_state "$PU" approved "approved over the unfavourable opinion"
expect_exit 2 "refuse without --reason is a usage error" ctl_as "$U_DIRECTOR" refuse "$PR"
expect_exit 0 "refuse --reason (director)" ctl_as "$U_DIRECTOR" refuse "$PR" --reason "contentieux probable"
expect_state "$PR" refused "the director's refusal is recorded"
expect_eq "$(prop_field "$PR" reason)" "contentieux probable" "proposals --json gives the refusal's reason"
expect_exit 1 "a refused proposal cannot be approved" ctl_as "$U_DIRECTOR" approve "$PR"
expect_state "$PR" refused "still refused"

done_testing
