#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# forecast --until: the child and the transfusion dossiers appear exactly on the day they become eligible.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

write_config
start_daemon
import_examples

# forecast_ipps UNTIL: the IPPs listed by forecast --until UNTIL --list.
# rules.md: the child is kept until 2029-04-30 (eligible from 2029-05-01),
# the transfusion until 2030-03-02 (eligible from 2030-03-03); the three
# others are already eligible and never listed.
forecast_case() {
	local until=$1 want=$2 total=$3
	expect_exit 0 "forecast --until $until --list --json" ctl --json forecast --until "$until" --list
	expect_json "$OUT" 'sorted(x["ipp"] for x in d["dossiers"])' "$want" "until $until lists $want"
	expect_json "$OUT" 'd["total"]' "$total" "until $until: total $total"
	expect_json "$OUT" 'sum(m["count"] for m in d["months"])' "$total" "until $until: the months add up to $total"
}
forecast_case 2027-01-01 '[]' 0
forecast_case 2029-04-30 '[]' 0
forecast_case 2029-05-01 '["EX-CHILD"]' 1
cp "$OUT" "$SCRATCH/f1.json"
expect_json "$SCRATCH/f1.json" '[(x["retain_until"], x["eligible_from"]) for x in d["dossiers"]]' \
	'[["2029-04-30", "2029-05-01"]]' "the child: kept until 2029-04-30, eligible from 2029-05-01"
expect_json "$SCRATCH/f1.json" 'd["months"]' '[{"count": 1, "month": "2029-05"}]' \
	"until 2029-05-01: one dossier in 2029-05"
forecast_case 2030-03-02 '["EX-CHILD"]' 1
forecast_case 2030-03-03 '["EX-CHILD", "EX-TRANSF"]' 2
expect_json "$OUT" '[(x["retain_until"], x["eligible_from"]) for x in d["dossiers"] if x["ipp"] == "EX-TRANSF"]' \
	'[["2030-03-02", "2030-03-03"]]' "the transfusion: kept until 2030-03-02, eligible from 2030-03-03"
expect_json "$OUT" 'sorted((m["month"], m["count"]) for m in d["months"])' \
	'[["2029-05", 1], ["2030-03", 1]]' "until 2030-03-03: one in 2029-05, one in 2030-03"
forecast_case 2099-12-31 '["EX-CHILD", "EX-TRANSF"]' 2

# Without --list, the counts only.
expect_exit 0 "forecast --json without --list" ctl --json forecast --until 2030-03-03
expect_json "$OUT" 'd["total"]' 2 "without --list: total 2"

expect_exit 0 "forecast --list (human)" ctl forecast --until 2030-03-03 --list
expect_contains "$OUT" "EX-CHILD" "human --list names the child"
expect_contains "$OUT" "EX-TRANSF" "human --list names the transfusion"
expect_contains "$OUT" "2029-05-01" "human --list gives the child's first eligible day"
expect_not_contains "$OUT" "EX-ADULT" "human --list does not list an already eligible dossier"

expect_exit 0 "forecast until 2029-04-30 (human)" ctl forecast --until 2029-04-30 --list
expect_not_contains "$OUT" "EX-CHILD" "until 2029-04-30 the child is not listed"

expect_exit 1 "a date before today exits 1" ctl forecast --until 2026-11-20
expect_exit 1 "a date long before today exits 1" ctl forecast --until 2000-01-01
expect_exit 2 "a malformed date exits 2" ctl forecast --until 2029-13-01
expect_exit 2 "a 30 February exits 2" ctl forecast --until 2029-02-30
expect_exit 2 "a French-style date exits 2" ctl forecast --until 01/05/2029
expect_exit 2 "forecast without --until exits 2" ctl forecast

done_testing
