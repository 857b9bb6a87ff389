#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scan proposes exactly the eligible worked examples, once; proposals lists and filters them.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

write_config
start_daemon
import_examples

expect_exit 0 "proposals before any scan" ctl --json proposals
expect_json "$OUT" 'd["proposals"]' '[]' "no proposal before the scan"

# rules.md: adult, early death and litigation are eligible on 2026-11-21;
# child and transfusion are retained.
expect_exit 0 "scan" ctl --json scan
cp "$OUT" "$SCRATCH/scan1.json"
expect_json "$SCRATCH/scan1.json" 'd["proposed"]' 3 "the scan proposes 3 dossiers"
batch=$(json_get "$SCRATCH/scan1.json" 'd["batch"]')
check "the scan names its batch ($batch)" test "$batch" -gt 0

expect_exit 0 "proposals --json" ctl --json proposals
cp "$OUT" "$SCRATCH/p1.json"
expect_json "$SCRATCH/p1.json" 'sorted(p["ipp"] for p in d["proposals"])' \
	'["EX-ADULT", "EX-DEATH", "EX-LITIG"]' "proposals: exactly the adult, the early death and the litigation"
expect_json "$SCRATCH/p1.json" 'sorted(set(p["state"] for p in d["proposals"]))' '["proposed"]' \
	"proposals: all in state proposed"
expect_json "$SCRATCH/p1.json" 'sorted(set(p["batch"] for p in d["proposals"]))' "[$batch]" \
	"proposals: all in the one batch of the scan"
expect_json "$SCRATCH/p1.json" 'all(set(["id", "ipp", "state", "retain_until", "batch"]) <= set(p) for p in d["proposals"])' \
	true "proposals: each has id, ipp, state, retain_until, batch"
expect_json "$SCRATCH/p1.json" '{p["ipp"]: p["retain_until"] for p in d["proposals"]}' \
	'{"EX-ADULT": "2020-03-15", "EX-DEATH": "2018-02-01", "EX-LITIG": "2021-03-15"}' \
	"proposals: retain_until as in rules.md"
expect_json "$SCRATCH/p1.json" 'len(set(p["id"] for p in d["proposals"]))' 3 "proposals: 3 distinct ids"

ctl --json status >"$SCRATCH/s1.json"
expect_json "$SCRATCH/s1.json" 'd["proposals"]["proposed"]' 3 "status: 3 proposed"
expect_json "$SCRATCH/s1.json" 'd["batches"]' 1 "status: 1 batch"

# explain points at the same proposal.
ctl --json explain EX-ADULT >"$OUT"
expect_json "$OUT" 'd["proposal"]["id"]' \
	"$(json_get "$SCRATCH/p1.json" '[p["id"] for p in d["proposals"] if p["ipp"] == "EX-ADULT"][0]')" \
	"explain EX-ADULT shows the proposal of the list"

expect_exit 0 "proposals (human)" ctl proposals
for ipp in EX-ADULT EX-DEATH EX-LITIG; do
	expect_contains "$OUT" "$ipp" "proposals (human) lists $ipp"
done
expect_not_contains "$OUT" "EX-CHILD" "proposals (human) does not list the child"

# A second scan: nothing new, no duplicate.
expect_exit 0 "second scan" ctl --json scan
expect_json "$OUT" 'd["proposed"]' 0 "the second scan proposes nothing"
expect_exit 0 "proposals after the second scan" ctl --json proposals
expect_json "$OUT" 'sorted((p["id"], p["ipp"], p["state"], p["batch"]) for p in d["proposals"])' \
	"$(json_get "$SCRATCH/p1.json" 'sorted((p["id"], p["ipp"], p["state"], p["batch"]) for p in d["proposals"])')" \
	"the proposals are the same after the second scan"
ctl --json status >"$SCRATCH/s2.json"
expect_json "$SCRATCH/s2.json" 'd["proposals"]' "$(json_get "$SCRATCH/s1.json" 'd["proposals"]')" \
	"status: proposal counts unchanged"
expect_json "$SCRATCH/s2.json" 'd["batches"]' 1 "status: still 1 batch"
expect_exit 0 "scan --full" ctl --json scan --full
expect_json "$OUT" 'd["proposed"]' 0 "scan --full proposes nothing new either"

# Filters.
expect_exit 0 "proposals --state proposed" ctl --json proposals --state proposed
expect_json "$OUT" 'sorted(p["ipp"] for p in d["proposals"])' '["EX-ADULT", "EX-DEATH", "EX-LITIG"]' \
	"--state proposed lists the three"
expect_exit 0 "proposals --state approved" ctl --json proposals --state approved
expect_json "$OUT" 'd["proposals"]' '[]' "--state approved lists none"
expect_exit 0 "proposals --state withdrawn" ctl --json proposals --state withdrawn
expect_json "$OUT" 'd["proposals"]' '[]' "--state withdrawn lists none"
expect_exit 1 "proposals --state with an unknown state exits 1" ctl proposals --state bogus
expect_contains "$ERR" "bogus" "the error names the unknown state"
expect_exit 2 "proposals with a stray argument exits 2" ctl proposals extra

done_testing
