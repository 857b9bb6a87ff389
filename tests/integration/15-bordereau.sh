#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The bordereau d'élimination of a batch, as CSV (formulas neutralised) and as printable HTML (A4, signatures, archives' visa).
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need sqlite3
make_users
EST_NAME="Centre hospitalier de Test-sur-Mer"
EST_FINESS=330781196
write_roles_config yes
start_daemon
import_examples_as "$U_ARCHIVIST"

# Hostile IPPs: a formula, a comma and quotes (RFC 4180 quoting both
# ways), HTML markup.
IPP_F='=1+1'
IPP_Q='EX-"Q",1'
IPP_H='EX-<b>&amp;'
cat >"$SCRATCH/p.csv" <<'EOF'
ipp,birth_date,death_date
=1+1,1950-01-01,
"EX-""Q"",1",1950-01-01,
EX-<b>&amp;,1950-01-01,
EOF
cat >"$SCRATCH/e.csv" <<'EOF'
encounter_id,ipp,kind,start_date,end_date
E-F-1,=1+1,stay,1999-01-10,2000-02-01
E-Q-1,"EX-""Q"",1",consultation,2001-01-01,
E-H-1,EX-<b>&amp;,stay,2000-03-01,2000-03-15
EOF
ctl_as "$U_ARCHIVIST" import patients "$SCRATCH/p.csv" >/dev/null 2>"$ERR" || { show stderr "$ERR"; bail "import p.csv"; }
ctl_as "$U_ARCHIVIST" import encounters "$SCRATCH/e.csv" >/dev/null 2>"$ERR" || { show stderr "$ERR"; bail "import e.csv"; }

expect_exit 0 "scan" ctl_as "$U_ARCHIVIST" --json scan
B=$(json_get "$OUT" 'd["batch"]')
expect_json "$OUT" 'd["proposed"]' 6 "the scan proposes 6 dossiers (batch $B)"
proposals_json "$SCRATCH/props.json"
P_ADULT=$(prop_id "$SCRATCH/props.json" EX-ADULT)
P_DEATH=$(prop_id "$SCRATCH/props.json" EX-DEATH)
P_F=$(prop_id "$SCRATCH/props.json" "$IPP_F")

# One line withdrawn (a hold), one kept by the archives, the rest destroyed.
COMMENT='=HYPERLINK("http://evil.example/","clic")'
VISA='=HYPERLINK("http://evil.example/","visa") AD-33/2026-17'
CERT='@PV 2026/17'
expect_exit 0 "hold EX-DEATH" ctl_as "$U_DIRECTOR" hold EX-DEATH --reason "recherche en cours"
expect_state "$P_DEATH" withdrawn "EX-DEATH's line is withdrawn"
expect_exit 0 "opinion favorable --batch" ctl_as "$U_DIM" opinion favorable --batch "$B"
expect_exit 0 "opinion revised on $IPP_F with a formula as comment" \
	ctl_as "$U_DIM" opinion favorable "$P_F" --comment "$COMMENT"
expect_exit 0 "approve --batch" ctl_as "$U_DIRECTOR" approve --batch "$B"
expect_exit 0 "visa --keep EX-ADULT" \
	ctl_as "$U_ARCHIVES" visa --batch "$B" --reference "$VISA" --keep "$P_ADULT"
expect_exit 0 "destroyed" ctl_as "$U_ARCHIVIST" destroyed --batch "$B" --certificate "$CERT"

# ------------------------------------------------------------ CSV

expect_exit 0 "bordereau --format csv (dim)" ctl_as "$U_DIM" bordereau "$B" --format csv
cp "$OUT" "$SCRATCH/b.csv"
"$PYTHON" - "$SCRATCH/b.csv" >"$SCRATCH/csv.json" <<'EOF' || bail "cannot read the CSV bordereau"
import csv, json, sys
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    text = f.read()
rows = list(csv.reader(text.splitlines(keepends=True)))
print(json.dumps({"text": text, "header": rows[0] if rows else [], "rows": rows[1:]}))
EOF
expect_json "$SCRATCH/csv.json" 'len(d["header"]) > 5 and all(c.strip() and not c[0].isdigit() for c in d["header"])' \
	true "CSV: a header line of column names"
expect_json "$SCRATCH/csv.json" 'len(d["rows"])' 5 "CSV: one line per non-withdrawn dossier (5)"
expect_json "$SCRATCH/csv.json" 'set(len(r) for r in d["rows"]) == {len(d["header"])}' true \
	"CSV: every line has as many fields as the header"
expect_json "$SCRATCH/csv.json" 'all("'"$EST_NAME"'" in r and "'"$EST_FINESS"'" in r for r in d["rows"])' true \
	"CSV: every line names the establishment and its FINESS (from the configuration)"
expect_json "$SCRATCH/csv.json" 'sorted(c for r in d["rows"] for c in r if c.lstrip("\x27") in ('"$(py_str "$IPP_F"), $(py_str "$IPP_Q"), $(py_str "$IPP_H")"', "EX-ADULT", "EX-LITIG"))' \
	"$("$PYTHON" -c 'import json, sys; print(json.dumps(sorted(sys.argv[1:])))' "'$IPP_F" "$IPP_Q" "$IPP_H" EX-ADULT EX-LITIG)" \
	"CSV: the 5 IPPs, '$IPP_F' neutralised as ''$IPP_F', the quoted one intact"
expect_json "$SCRATCH/csv.json" '"EX-DEATH" in d["text"]' false "CSV: the withdrawn EX-DEATH is not listed"
expect_json "$SCRATCH/csv.json" '[c for r in d["rows"] for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]' '[]' \
	"CSV: no cell starts with a formula character"
expect_json "$SCRATCH/csv.json" "$(py_str "'$COMMENT") in [c for r in d[\"rows\"] if \"'$IPP_F\" in r for c in r]" true \
	"CSV: the DIM's comment '$COMMENT' is neutralised on its line"
expect_json "$SCRATCH/csv.json" "sum($(py_str "'$CERT") in r for r in d[\"rows\"])" 4 \
	"CSV: the certificate '$CERT', neutralised, on the 4 destroyed lines"
expect_json "$SCRATCH/csv.json" 'sum("'"$B"'" in r for r in d["rows"])' 5 "CSV: every line names the batch"

# ------------------------------------------------------------ HTML

expect_exit 0 "bordereau (html, the default) (archives)" ctl_as "$U_ARCHIVES" bordereau "$B"
cp "$OUT" "$SCRATCH/b.html"
expect_exit 0 "bordereau --format html" ctl bordereau "$B" --format html
expect_contains "$OUT" "<html" "--format html gives HTML too"
"$PYTHON" - "$SCRATCH/b.html" >"$SCRATCH/html.json" <<'EOF' || bail "cannot parse the HTML bordereau"
import json, sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}

class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags = [], [], []
        self.title, self.text, self.style = "", [], ""
        self.tables = []      # each: list of rows, each: list of (tag, text)
        self.tstack = []      # open tables
        self.cell = None
        self.blocks = []      # [classes, text] of open divs
        self.signatures = []  # text of each div of class "signature"
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "table":
            self.tables.append([])
            self.tstack.append(self.tables[-1])
        elif tag == "tr" and self.tstack:
            self.tstack[-1].append([])
        elif tag in ("td", "th") and self.tstack and self.tstack[-1]:
            self.cell = [tag, ""]
            self.tstack[-1][-1].append(self.cell)
        if tag == "div":
            self.blocks.append([(dict(attrs).get("class") or "").split(), ""])
    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.errors.append("self-closed <%s/>" % tag)
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s> at line %d" % (
                tag, self.stack[-1] if self.stack else "nothing", self.getpos()[0]))
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "table" and self.tstack:
            self.tstack.pop()
        elif tag in ("td", "th"):
            self.cell = None
        elif tag == "div" and self.blocks:
            classes, text = self.blocks.pop()
            if "signature" in classes:
                self.signatures.append(" ".join(text.split()))
    def handle_data(self, data):
        if self.stack and self.stack[-1] == "title":
            self.title += data
        if self.stack and self.stack[-1] == "style":
            self.style += data
            return
        self.text.append(data)
        if self.cell is not None:
            self.cell[1] += data
        for b in self.blocks:
            b[1] += data

with open(sys.argv[1], encoding="utf-8") as f:
    src = f.read()
p = Check()
p.feed(src)
p.close()
if p.stack:
    p.errors.append("unclosed at the end: %s" % p.stack)
lines = []
for t in p.tables:
    head = [c[1].strip() for r in t for c in r if c[0] == "th"]
    if "IPP" in head:
        lines = [[c[1].strip() for c in r] for r in t if r and all(c[0] == "td" for c in r)]
print(json.dumps({
    "doctype": src.lstrip().lower().startswith("<!doctype html>"),
    "errors": p.errors, "title": " ".join(p.title.split()), "style": p.style,
    "text": " ".join("".join(p.text).split()), "tags": sorted(set(p.tags)),
    "lines": lines, "signatures": p.signatures,
}))
EOF
expect_json "$SCRATCH/html.json" 'd["errors"]' '[]' "HTML: well-formed (every element closed, in order)"
expect_json "$SCRATCH/html.json" 'd["doctype"]' true "HTML: starts with <!DOCTYPE html>"
expect_json "$SCRATCH/html.json" '"@page" in d["style"] and "A4" in d["style"]' true "HTML: an @page rule for A4"
expect_json "$SCRATCH/html.json" 'd["title"].startswith("Bordereau d\u0027élimination")' true \
	"HTML: the title is \"Bordereau d'élimination...\""
expect_json "$SCRATCH/html.json" '"'"$EST_FINESS"'" in d["text"]' true "HTML: the FINESS"
expect_json "$SCRATCH/html.json" '"'"$EST_NAME"'" in d["text"]' true "HTML: the establishment's name"
expect_json "$SCRATCH/html.json" 'len(d["lines"])' 5 "HTML: one table row per non-withdrawn dossier (5)"
expect_json "$SCRATCH/html.json" 'sorted(i for i in ('"$(py_str "$IPP_F"), $(py_str "$IPP_Q"), $(py_str "$IPP_H")"', "EX-ADULT", "EX-LITIG") if any(i in l for l in d["lines"]))' \
	"$("$PYTHON" -c 'import json, sys; print(json.dumps(sorted(sys.argv[1:])))' "$IPP_F" "$IPP_Q" "$IPP_H" EX-ADULT EX-LITIG)" \
	"HTML: each IPP on its row, as text"
expect_json "$SCRATCH/html.json" '"b" in d["tags"]' false "HTML: the IPP '$IPP_H' is escaped, not markup"
expect_json "$SCRATCH/html.json" 'any("EX-DEATH" in c for l in d["lines"] for c in l)' false \
	"HTML: the withdrawn EX-DEATH has no row"
expect_json "$SCRATCH/html.json" 'len(d["signatures"])' 3 "HTML: three signature blocks (public establishment)"
expect_json "$SCRATCH/html.json" '[any(w in s for s in d["signatures"]) for w in ("directeur", "information médicale", "Archives")]' \
	'[true, true, true]' "HTML: signatures of the director, the DIM physician and the archives' visa"
expect_json "$SCRATCH/html.json" "$(py_str "$VISA") in d[\"text\"]" true "HTML: the visa reference, as text"
expect_json "$SCRATCH/html.json" "$(py_str "$CERT") in d[\"text\"]" true "HTML: the certificate of destruction"

# ------------------------------------------------------------ errors

expect_exit 1 "bordereau of a batch that does not exist" ctl bordereau 99999
expect_contains "$ERR" "99999" "the error names the batch"
expect_exit 2 "bordereau --format pdf is a usage error" ctl bordereau "$B" --format pdf

# ------------------------------------------------------------ print

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
	cp "$SCRATCH/b.html" "$SCRATCH/print.html"
	timeout 30 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
		--user-data-dir="$SCRATCH/chromium" --print-to-pdf="$SCRATCH/b.pdf" \
		"file://$SCRATCH/print.html" >"$SCRATCH/chromium.log" 2>&1
	check "chromium prints the bordereau to PDF" test -s "$SCRATCH/b.pdf"
	expect_eq "$(head -c 5 "$SCRATCH/b.pdf" 2>/dev/null)" "%PDF-" "the PDF starts with %PDF-"
	if command -v pdfinfo >/dev/null 2>&1; then
		expect_match <(pdfinfo "$SCRATCH/b.pdf") "Page size: +595(\.[0-9]+)? x 841(\.[0-9]+)? pts" \
			"the PDF page is A4"
	fi
else
	echo "# chromium not installed: the bordereau is not rendered to PDF"
fi

done_testing
