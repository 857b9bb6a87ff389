#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# explain on the five worked examples of rules.md (today = 2026-11-21), JSON and human output.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

write_config
start_daemon
import_examples

# explain_case IPP STATUS RETAIN_UNTIL RULE RULE_START: the table of
# rules.md, "Worked examples"; RULE is the rule that sets the date.
explain_case() {
	local ipp=$1 status=$2 until=$3 rule=$4 start=$5 j="$SCRATCH/$1.json"
	expect_exit 0 "$ipp: explain --json" ctl --json explain "$ipp"
	cp "$OUT" "$j"
	expect_json "$j" 'd["ipp"]' "$ipp" "$ipp: ipp"
	expect_json "$j" 'd["status"]' "$status" "$ipp: status $status"
	expect_json "$j" 'd["retain_until"]' "$until" "$ipp: retain_until $until"
	# The rule that sets the date: listed, with the dossier's date, and
	# marked as governing (the one step with governs = true).
	expect_json "$j" '[r["retain_until"] for r in d["rules"] if r["rule"] == "'"$rule"'"]' "[\"$until\"]" \
		"$ipp: rule $rule listed once, until $until"
	expect_json "$j" '[r["rule"] for r in d["rules"] if r.get("governs")]' "[\"$rule\"]" \
		"$ipp: $rule is the governing rule"
	expect_json "$j" '[r["start"] for r in d["rules"] if r["rule"] == "'"$rule"'"]' "[\"$start\"]" \
		"$ipp: $rule starts on $start"
	# The keys of interfaces.md.
	expect_json "$j" 'sorted(set(["ipp", "status", "retain_until", "rules", "proposal"]) - set(d))' '[]' \
		"$ipp: has ipp, status, retain_until, rules, proposal"
	expect_json "$j" 'all(set(["rule", "start", "retain_until", "citation"]) <= set(r) for r in d["rules"]) and len(d["rules"]) > 0' \
		true "$ipp: every rule has rule, start, retain_until, citation"
	expect_json "$j" 'all(isinstance(r["citation"], str) and r["citation"] != "" for r in d["rules"])' true \
		"$ipp: every rule has a citation"
	expect_json "$j" 'd["proposal"]' null "$ipp: no proposal before a scan"

	expect_exit 0 "$ipp: explain (human)" ctl explain "$ipp"
	expect_contains "$OUT" "$ipp" "$ipp: human output names the dossier"
	expect_contains "$OUT" "$status" "$ipp: human output says $status"
	expect_contains "$OUT" "$rule" "$ipp: human output names $rule"
	expect_contains "$OUT" "$until" "$ipp: human output gives $until"
}

# adult: born 1950-01-01, stay 2000-03-01 to 2000-03-15 -> 20 years.
explain_case EX-ADULT eligible 2020-03-15 general_20y 2000-03-15
expect_json "$SCRATCH/EX-ADULT.json" '[r["citation"] for r in d["rules"] if r["rule"] == "general_20y"][0].startswith("CSP R1112-7")' \
	true "EX-ADULT: general_20y cites CSP R1112-7"
# child: born 2001-04-30, stay to 2004-05-03 -> 28th birthday 2029-04-30
# (the 20 years would end on 2024-05-03).
explain_case EX-CHILD retained 2029-04-30 minor_28 2004-05-03
expect_json "$SCRATCH/EX-CHILD.json" '[r["retain_until"] for r in d["rules"] if r["rule"] == "general_20y"]' \
	'["2024-05-03"]' "EX-CHILD: the 20-year date 2024-05-03 is listed too"
# early death: stay ending 2005-01-20, died 2008-02-01 -> death + 10 years.
explain_case EX-DEATH eligible 2018-02-01 death_10y 2008-02-01
# transfusion: stay ending 2000-03-15, transfusion 2000-03-02 -> + 30 years.
explain_case EX-TRANSF retained 2030-03-02 transfusion_30y 2000-03-02
# litigation: stay ending 2000-03-15, litigation 2005-01-01 to 2005-12-31
# (365 days) -> 2020-03-15 + 365 days = 2021-03-15.
explain_case EX-LITIG eligible 2021-03-15 general_20y 2000-03-15
expect_json "$SCRATCH/EX-LITIG.json" '[r["suspended_days"] for r in d["rules"] if r["rule"] == "litigation_suspension"]' \
	'[365]' "EX-LITIG: one litigation_suspension entry of 365 days"
expect_json "$SCRATCH/EX-LITIG.json" '[r["start"] for r in d["rules"] if r["rule"] == "litigation_suspension"]' \
	'["2005-01-01"]' "EX-LITIG: the suspension counts from 2005-01-01"
expect_contains "$OUT" "litigation_suspension" "EX-LITIG: human output names litigation_suspension"

expect_exit 1 "an unknown IPP exits 1" ctl explain NO-SUCH-IPP
expect_contains "$ERR" "NO-SUCH-IPP" "the error names the unknown IPP"
expect_exit 1 "an unknown IPP exits 1 with --json too" ctl --json explain NO-SUCH-IPP
expect_exit 2 "explain without an IPP exits 2" ctl explain

# After a scan, the eligible dossiers have a proposal {id, state}.
expect_exit 0 "scan" ctl scan
for ipp in EX-ADULT EX-DEATH EX-LITIG; do
	ctl --json explain "$ipp" >"$OUT"
	expect_json "$OUT" 'd["proposal"]["state"]' proposed "$ipp: proposal state proposed after the scan"
	expect_json "$OUT" 'isinstance(d["proposal"]["id"], int)' true "$ipp: proposal has an integer id"
done
for ipp in EX-CHILD EX-TRANSF; do
	ctl --json explain "$ipp" >"$OUT"
	expect_json "$OUT" 'd["proposal"]' null "$ipp: retained, still no proposal after the scan"
done

done_testing
