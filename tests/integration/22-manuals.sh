#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The manual pages render without warnings and document every command,
# option and configuration key the programs have; the bash completion
# parses and completes.
#
# The pages are built in the build tree, in doc/ beside the programs:
# found from $RETENTIONCTL. The configuration keys are read from the key
# table of src/daemon/conf.c, under $TESTS_SRCDIR/.. .

set -u

: "${RETENTIOND:?RETENTIOND must name the built retentiond}"
: "${RETENTIONCTL:?RETENTIONCTL must name the built retentionctl}"
: "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}"

SRCDIR=$(cd "$TESTS_SRCDIR/.." && pwd)
BUILDDIR=$(cd "$(dirname "$RETENTIONCTL")" && pwd)
DOC="$BUILDDIR/doc"
CONF_C="$SRCDIR/src/daemon/conf.c"
COMPLETION="$SRCDIR/doc/retentionctl.bash-completion"

N_OK=0
N_FAIL=0

ok() {
	N_OK=$((N_OK + 1))
	echo "ok - $*"
}

fail() {
	N_FAIL=$((N_FAIL + 1))
	echo "not ok - $*"
}

skip_all() {
	echo "# SKIP: $*"
	exit 77
}

command -v man >/dev/null 2>&1 || skip_all "man is not installed"
command -v groff >/dev/null 2>&1 || skip_all "groff is not installed"
command -v scdoc >/dev/null 2>&1 || skip_all "scdoc is not installed"
# A minimised system's man is a stub that only says so.
man --version >/dev/null 2>&1 || skip_all "man does not work here"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/retentiond-man.XXXXXX") || {
	echo "Bail out! cannot make a scratch directory"
	exit 1
}
trap 'rm -rf "$SCRATCH"' EXIT

# Plain text, no pager, no formatting, in a locale every system has.
export LC_ALL=C MANPAGER=cat PAGER=cat MAN_KEEP_FORMATTING=
unset MANOPT MANROFFOPT

# render PAGE WIDTH: the page as text on standard output.
render() {
	MANWIDTH=$2 man -l "$1" 2>/dev/null | sed 's/.\x08//g'
}

PAGES="retentiond.8 retentionctl.8 retentiond.conf.5"

# ------------------------------------------------------------ rendering

for page in $PAGES; do
	f="$DOC/$page"
	if [ ! -s "$f" ]; then
		fail "$page: built in $DOC"
		continue
	fi
	name=${page%.*}
	section=${page##*.}
	if ! MANWIDTH=80 man --warnings -l "$f" >"$SCRATCH/$page.txt" 2>"$SCRATCH/$page.err"; then
		fail "$page: man -l exits 0"
		sed 's/^/#   /' "$SCRATCH/$page.err"
		continue
	fi
	if grep -qi warning "$SCRATCH/$page.err"; then
		fail "$page: renders without warnings"
		sed 's/^/#   /' "$SCRATCH/$page.err"
	else
		ok "$page: renders without warnings (man --warnings, MANWIDTH=80)"
	fi
	if head -n 3 "$SCRATCH/$page.txt" | grep -q "^$name($section)" &&
		grep -q "^NAME" "$SCRATCH/$page.txt" && grep -q "^SEE ALSO" "$SCRATCH/$page.txt"; then
		ok "$page: has its title, NAME and SEE ALSO"
	else
		fail "$page: has its title $name($section), NAME and SEE ALSO"
	fi
	if grep -n '@[A-Z_]*@' "$f" >"$SCRATCH/left"; then
		fail "$page: every @PATH@ placeholder substituted"
		sed 's/^/#   /' "$SCRATCH/left"
	else
		ok "$page: every @PATH@ placeholder substituted"
	fi
	# Wide, for the content checks below: no line breaks inside a word.
	render "$f" 1000 >"$SCRATCH/$page.wide"
done

# in_page PAGE WORD: WORD appears in the page, as a whole word.
in_page() {
	grep -qE -- "(^|[^A-Za-z0-9_-])$2(\$|[^A-Za-z0-9_-])" "$SCRATCH/$1.wide" 2>/dev/null
}

# ------------------------------------------------------------ retentionctl

if ! "$RETENTIONCTL" --help >"$SCRATCH/ctl.help" 2>&1; then
	fail "retentionctl --help exits 0"
fi
# The commands: the first word of each line of the "Commands:" list.
commands=$(sed -n '/^Commands:/,/^$/{/^  [a-z]/{s/^  \([a-z]*\).*/\1/;p}}' "$SCRATCH/ctl.help")
n=$(echo "$commands" | grep -c .)
if [ "$n" -ge 10 ]; then
	ok "retentionctl --help lists $n commands"
else
	fail "retentionctl --help lists the commands (found $n)"
fi
missing=""
for c in $commands; do
	# A command is a heading of its own: an indented line starting with it.
	grep -qE "^ +$c( |\$)" "$SCRATCH/retentionctl.8.wide" 2>/dev/null || missing="$missing $c"
done
if [ -z "$missing" ]; then
	ok "retentionctl.8 documents every command of retentionctl --help"
else
	fail "retentionctl.8 documents every command of retentionctl --help (missing:$missing)"
fi
missing=""
while read -r o; do
	in_page retentionctl.8 "$o" || missing="$missing $o"
done < <(grep -oE -- '--[a-z][a-z-]*' "$SCRATCH/ctl.help" | sort -u)
if [ -z "$missing" ]; then
	ok "retentionctl.8 documents every option of retentionctl --help"
else
	fail "retentionctl.8 documents every option of retentionctl --help (missing:$missing)"
fi
missing=""
for w in patients encounters transfusions litigations RETENTIOND_SOCKET \
	proposed reviewed approved refused visaed kept destroyed withdrawn; do
	in_page retentionctl.8 "$w" || missing="$missing $w"
done
if [ -z "$missing" ]; then
	ok "retentionctl.8 names the import kinds, the proposal states and RETENTIOND_SOCKET"
else
	fail "retentionctl.8 names the import kinds, the proposal states and RETENTIOND_SOCKET (missing:$missing)"
fi
missing=""
for s in 0 1 2 3; do
	sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$SCRATCH/retentionctl.8.wide" 2>/dev/null |
		grep -qE "^ +$s\$" || missing="$missing $s"
done
if [ -z "$missing" ]; then
	ok "retentionctl.8 gives the exit statuses 0, 1, 2 and 3"
else
	fail "retentionctl.8 gives the exit statuses 0, 1, 2 and 3 (missing:$missing)"
fi

# ------------------------------------------------------------ retentiond

if ! "$RETENTIOND" --help >"$SCRATCH/d.help" 2>&1; then
	fail "retentiond --help exits 0"
fi
opts=$(grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' "$SCRATCH/d.help" | sed 's/^[ ,]*//' | sort -u)
n=$(echo "$opts" | grep -c .)
missing=""
for o in $opts; do
	in_page retentiond.8 "$o" || missing="$missing $o"
done
if [ "$n" -ge 5 ] && [ -z "$missing" ]; then
	ok "retentiond.8 documents every option of retentiond --help ($n)"
else
	fail "retentiond.8 documents every option of retentiond --help ($n found; missing:$missing)"
fi
missing=""
for w in RETENTIOND_TODAY SIGHUP SIGTERM scan_at spool Type=notify retentiond.socket; do
	in_page retentiond.8 "$w" || missing="$missing $w"
done
if [ -z "$missing" ]; then
	ok "retentiond.8 covers RETENTIOND_TODAY, signals, schedule, spool and systemd"
else
	fail "retentiond.8 covers RETENTIOND_TODAY, signals, schedule, spool and systemd (missing:$missing)"
fi

# ------------------------------------------------------------ retentiond.conf

# The key table: {"section", "key", parser} or {"section", NULL, parser}.
sed -n '/^static const struct key_def keys\[\] = {/,/^};/p' "$CONF_C" |
	sed -n 's/^[[:space:]]*{"\([a-z_]*\)", *\("\([a-z_]*\)"\|NULL\),.*/\1 \3/p' >"$SCRATCH/keys"
n=$(grep -c . "$SCRATCH/keys")
if [ "$n" -ge 10 ]; then
	ok "the key table of conf.c has $n entries"
else
	fail "the key table of conf.c is found and parsed (found $n entries)"
fi
missing=""
while read -r section key; do
	# The text of the page's section "[section]", up to the next heading.
	sed -n "/^\\[$section\\]\$/,/^[^ ]/p" "$SCRATCH/retentiond.conf.5.wide" 2>/dev/null |
		sed '1d' >"$SCRATCH/section"
	if ! grep -q "^\\[$section\\]\$" "$SCRATCH/retentiond.conf.5.wide" 2>/dev/null; then
		missing="$missing [$section]"
	elif [ -n "$key" ] && ! grep -qE "^ +$key = " "$SCRATCH/section"; then
		missing="$missing [$section]$key"
	fi
done <"$SCRATCH/keys"
if [ -z "$missing" ]; then
	ok "retentiond.conf.5 documents every section and key of conf.c's key table"
else
	fail "retentiond.conf.5 documents every section and key of conf.c's key table (missing:$missing)"
fi
missing=""
for w in R1112-7 R212-14 general_years minor_age death_years transfusion_years @group; do
	grep -qF -- "$w" "$SCRATCH/retentiond.conf.5.wide" 2>/dev/null || missing="$missing $w"
done
if [ -z "$missing" ]; then
	ok "retentiond.conf.5 gives the legal minimums, their citations and the role syntax"
else
	fail "retentiond.conf.5 gives the legal minimums, their citations and the role syntax (missing:$missing)"
fi

# ------------------------------------------------------------ completion

if bash -n "$COMPLETION" 2>"$SCRATCH/bash-n"; then
	ok "the bash completion parses (bash -n)"
else
	fail "the bash completion parses (bash -n)"
	sed 's/^/#   /' "$SCRATCH/bash-n"
fi
if cmp -s "$COMPLETION" "$DOC/retentionctl"; then
	ok "the build tree has the completion to install, as doc/retentionctl"
else
	fail "the build tree has the completion to install, as doc/retentionctl"
fi

mkdir -p "$SCRATCH/csv" && : >"$SCRATCH/csv/patients-2026.csv" && : >"$SCRATCH/csv/other.txt"

# complete WORD...: the completions offered for the last word, one a line.
complete_words() {
	bash -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_retentionctl retentionctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' complete "$COMPLETION" "$@" 2>"$SCRATCH/complete.err"
}

# expect_completion "DESCRIPTION" "EXPECTED WORDS" WORD...: each expected
# word is among the completions of the command line WORD...
expect_completion() {
	local desc=$1 expected=$2 got w missing=""
	shift 2
	got=$(complete_words "$@")
	for w in $expected; do
		printf '%s\n' "$got" | grep -qxF -- "$w" || missing="$missing $w"
	done
	if [ -z "$missing" ]; then
		ok "completion: $desc"
	else
		fail "completion: $desc (missing:$missing; got: ${got//$'\n'/ })"
		sed 's/^/#   /' "$SCRATCH/complete.err"
	fi
}

expect_completion "every command of retentionctl --help" "$commands" retentionctl ""
expect_completion "global options" "--socket --json --help --version" retentionctl --
expect_completion "a command after a global option" "import" retentionctl --socket /tmp/x.sock im
expect_completion "import kinds" "patients encounters transfusions litigations" \
	retentionctl import ""
expect_completion "a file to import" "$SCRATCH/csv/patients-2026.csv" \
	retentionctl import patients "$SCRATCH/csv/pat"
expect_completion "proposal states for --state" \
	"proposed reviewed approved refused visaed kept destroyed withdrawn" \
	retentionctl proposals --state ""
expect_completion "csv and html for --format" "csv html" retentionctl bordereau 12 --format ""
expect_completion "options of a command" "--until --list --limit" retentionctl forecast --
expect_completion "options of visa" "--batch --reference --keep --reject" retentionctl visa --
expect_completion "an opinion" "favorable unfavorable" retentionctl opinion ""
expect_completion "litigation actions" "open close" retentionctl litigation ""
expect_completion "audit verify" "verify" retentionctl audit v
got=$(complete_words retentionctl proposals --state pro)
if [ "$got" = proposed ]; then
	ok "completion: only the words that match the prefix"
else
	fail "completion: only the words that match the prefix (got: ${got//$'\n'/ })"
fi

echo "# $N_OK passed, $N_FAIL failed"
[ "$N_FAIL" -eq 0 ] || exit 1
exit 0
