#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's demo: a generated population in a scratch directory, the
# real daemon with its embedded defaults, import, scan, proposals, explain.
# Usage: demo.sh BUILDDIR [N]
set -eu
build=$(cd "$1" && pwd)
n=${2:-10000}
dir="$build/demo"
sock="$dir/retentiond.sock"
ctl() { "$build/retentionctl" --socket "$sock" "$@"; }

rm -rf "$dir"
mkdir -p "$dir"
echo "== generating $n synthetic dossiers in $dir"
"$build/gendemo" "$dir" "$n" 42 "$(date +%F)"

cat >"$dir/retentiond.conf" <<CONF
; Demo configuration: only the paths differ from the embedded defaults.
[daemon]
database = $dir/retention.db
socket   = $sock
CONF

echo "== starting retentiond (log in $dir/retentiond.log)"
"$build/retentiond" --config "$dir/retentiond.conf" 2>"$dir/retentiond.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until ctl status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "retentiond did not start:"; cat "$dir/retentiond.log"; exit 1
	fi
	sleep 0.1
done

for kind in patients encounters transfusions litigations; do
	ctl import "$kind" "$dir/$kind.csv"
done
echo "== nightly scan"
ctl scan
echo "== status"
ctl status
echo "== the first proposals"
ctl proposals --state proposed --limit 10
ipp=$(ctl --json proposals --state proposed --limit 1 |
	sed -n 's/.*"ipp": "\([^"]*\)".*/\1/p' | head -1)
if [ -n "$ipp" ]; then
	echo "== why dossier $ipp may be eliminated"
	ctl explain "$ipp"
fi
echo "== forecast for the next year"
ctl forecast --until "$(date -d '+1 year' +%F)"
kill $pid
wait $pid || true
trap - EXIT
echo "== done: the database is $dir/retention.db"
