#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The nightly report: a known dataset (the worked examples, a scan, an
# anomaly, a director's hold, an open litigation, a date corrected earlier,
# an IPP starting with "="), `report send` to a real SMTP server on
# loopback (aiosmtpd, plain SMTP), and the message that arrives: one
# multipart/alternative of text and HTML in French with the counts of the
# dataset and the SVG chart, a CSV attachment with the formula neutralised,
# no free text typed by people; `report preview` prints the same text; then
# English after a reload with [report] language = en.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

"$PYTHON" -c 'import aiosmtpd' 2>/dev/null || skip_all "$PYTHON has no aiosmtpd (Debian: python3-aiosmtpd)"

NB=$(printf '\302\240')     # the no-break space of French typography
MAILDIR="$SCRATCH/mail"
mkdir -p "$MAILDIR"

# ------------------------------------------------------------ SMTP server

# Records each message as mail/NNN.eml (with the envelope's recipients in
# NNN.rcpt, written first), listens on a free loopback port written to
# mail/port, and ends by itself after 300 s.
cat >"$SCRATCH/smtpd.py" <<'EOF'
import asyncio, os, sys
from aiosmtpd.smtp import SMTP

class Recorder:
    def __init__(self, d):
        self.d, self.n = d, 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.d, "%03d" % self.n)
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 OK"

async def main(d):
    rec = Recorder(d)
    srv = await asyncio.get_running_loop().create_server(
        lambda: SMTP(rec, hostname="test.example"), "127.0.0.1", 0)
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    await asyncio.sleep(300)

asyncio.run(main(sys.argv[1]))
EOF
"$PYTHON" "$SCRATCH/smtpd.py" "$MAILDIR" >"$SCRATCH/smtpd.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
for _ in $(seq 1 100); do
	[ -s "$MAILDIR/port" ] && break
	sleep 0.1
done
[ -s "$MAILDIR/port" ] || { show "smtpd" "$SCRATCH/smtpd.log"; bail "the SMTP server did not start"; }
PORT=$(cat "$MAILDIR/port")

# wait_mail N: wait up to 20 s for the Nth message.
wait_mail() {
	local f
	f=$(printf '%s/%03d.eml' "$MAILDIR" "$1")
	for _ in $(seq 1 200); do
		[ -s "$f" ] && return 0
		sleep 0.1
	done
	return 1
}

# split_mail N PREFIX: the parts of message N, decoded, into PREFIX.text,
# .html, .csv and .json (its structure, subject, recipients, file name).
split_mail() {
	"$PYTHON" - "$(printf '%s/%03d.eml' "$MAILDIR" "$1")" "$2" <<'EOF'
import email, json, sys
from email import policy
src, out = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    m = email.message_from_binary_file(f, policy=policy.default)
def tree(p):
    if p.is_multipart():
        return {p.get_content_type(): [tree(q) for q in p.iter_parts()]}
    return p.get_content_type()
text = m.get_body(preferencelist=("plain",))
html = m.get_body(preferencelist=("html",))
atts = [a for a in m.iter_attachments() if a.get_content_type() == "text/csv"]
with open(out + ".text", "w", encoding="utf-8") as f:
    f.write(text.get_content() if text else "")
with open(out + ".html", "w", encoding="utf-8") as f:
    f.write(html.get_content() if html else "")
with open(out + ".csv", "w", encoding="utf-8", newline="") as f:
    f.write(atts[0].get_content() if atts else "")
with open(out + ".json", "w", encoding="utf-8") as f:
    json.dump({"tree": tree(m), "subject": str(m["subject"]), "from": str(m["from"]),
               "to": str(m["to"]),
               "csv_name": atts[0].get_filename() if atts else None,
               "csv_charset": atts[0].get_content_charset() if atts else None,
               "text_charset": text.get_content_charset() if text else None},
              f, ensure_ascii=False)
EOF
}

# ------------------------------------------------------------ configuration

# write_report_config fr|en|none: root has every role but the DIM's and
# the archives'; the users of make_users, when made, have theirs.
write_report_config() {
	write_config
	sed -i 's/^socket_mode = 0600$/socket_mode = 0666/' "$CONF"
	{
		echo "report_at = off"
		echo
		echo "[roles]"
		echo "admin     = root"
		echo "archivist = root${U_ARCHIVIST:+, $U_ARCHIVIST}"
		echo "director  = root"
		[ -z "${U_DIM:-}" ] || echo "dim       = $U_DIM"
		[ -z "${U_ARCHIVES:-}" ] || echo "archives  = $U_ARCHIVES"
	} >>"$CONF"
	if [ "$1" != none ]; then
		cat >>"$CONF" <<EOF

[report]
smtp_url = smtp://127.0.0.1:$PORT
starttls = no
from     = retentiond@test.example
to       = archives@test.example, dim@test.example
language = $1
EOF
	fi
}

# reload: SIGHUP, and wait for the daemon to say it reloaded.
reload() {
	local n
	n=$(grep -c "configuration reloaded" "$DLOG")
	kill -HUP "$DPID"
	for _ in $(seq 1 100); do
		[ "$(grep -c "configuration reloaded" "$DLOG")" -gt "$n" ] && return 0
		sleep 0.1
	done
	bail "the daemon did not reload"
}

# ------------------------------------------------------------ without recipients

write_report_config none
start_daemon
expect_exit 0 "report preview works without [report]" ctl report preview
expect_contains "$OUT" "1. Synthèse" "the preview is in French by default"
expect_exit 1 "report send is refused without recipients" ctl report send
expect_contains "$ERR" "without recipients" "the refusal says why"
expect_eq "$(ls "$MAILDIR" | grep -c eml)" 0 "nothing was sent"

# ------------------------------------------------------------ the dataset

import_examples
cat >"$SCRATCH/patients2.csv" <<'EOF'
ipp,birth_date,death_date
=1+1,1950-01-01,
NOBIRTH-1,,
FIX-1,1950-01-01,
HELD-1,1950-01-01,
EOF
cat >"$SCRATCH/encounters2.csv" <<'EOF'
encounter_id,ipp,kind,start_date,end_date
E-EQ-1,=1+1,stay,2001-03-01,2001-03-15
E-NB-1,NOBIRTH-1,stay,2001-01-01,2001-01-05
E-FIX-1,FIX-1,stay,2010-05-20,2010-06-01
E-HELD-1,HELD-1,stay,2000-01-01,2000-01-10
EOF
# The discharge of FIX-1 was wrong: retained until 2030-06-01, now until
# 2026-12-10 (eligible within 30 days).
cat >"$SCRATCH/fix.csv" <<'EOF'
encounter_id,ipp,kind,start_date,end_date
E-FIX-1,FIX-1,stay,2006-12-01,2006-12-10
EOF
ctl import patients "$SCRATCH/patients2.csv" >/dev/null 2>"$ERR" || bail "import patients2"
ctl import encounters "$SCRATCH/encounters2.csv" >/dev/null 2>"$ERR" || bail "import encounters2"
expect_exit 0 "hold HELD-1 (its reason is free text)" \
	ctl hold HELD-1 --reason "Patient VIH, motif confidentiel"
expect_exit 0 "an open litigation on EX-CHILD" \
	ctl litigation open EX-CHILD --id LIT-OPEN-9 --date 2026-01-15 --reference "Plainte de la famille"
expect_exit 0 "a date corrected earlier" ctl import encounters "$SCRATCH/fix.csv"
expect_exit 0 "scan" ctl --json scan
expect_json "$OUT" 'd["proposed"]' 4 "the scan proposes 4 dossiers"

# ------------------------------------------------------------ French, sent

write_report_config fr
reload
expect_exit 0 "report preview (French)" ctl report preview
cp "$OUT" "$SCRATCH/preview.fr"
expect_exit 0 "report send" ctl report send
expect_contains "$OUT" "queued for sending" "report send says the report is queued"
if wait_mail 1; then ok "the report arrives at the SMTP server"; else
	show "daemon log" "$DLOG"
	bail "no message within 20 s"
fi
split_mail 1 "$SCRATCH/m1"
expect_json "$SCRATCH/m1.json" 'd["tree"]' \
	'{"multipart/mixed": [{"multipart/alternative": ["text/plain", "text/html"]}, "text/csv"]}' \
	"multipart/mixed: an alternative of text and HTML, then the CSV"
expect_json "$SCRATCH/m1.json" 'd["subject"]' \
	"[retentiond] Rapport du 21/11/2026 — Centre hospitalier de test" "the subject, in French"
expect_json "$SCRATCH/m1.json" 'd["csv_name"]' "retentiond-2026-11-21.csv" "the CSV's file name"
expect_json "$SCRATCH/m1.json" '(d["text_charset"], d["csv_charset"])' '["utf-8", "utf-8"]' \
	"UTF-8 parts"
expect_eq "$(tr '\n' ' ' <"$MAILDIR/001.rcpt")" "archives@test.example dim@test.example " \
	"both recipients get it"

T="$SCRATCH/m1.text"
H="$SCRATCH/m1.html"
C="$SCRATCH/m1.csv"
for s in "1. Synthèse" "2. Nouveau lot" "3. Travail en attente" \
	"4. Suspensions et contentieux en cours" "5. Anomalies à corriger" "6. Prévisions" \
	"7. Dates avancées" "8. État du service"; do
	expect_contains "$T" "$s" "text section: $s"
	expect_contains "$H" "${s#* }" "HTML section: ${s#* }"
done
expect_contains "$T" "conservés$NB: 2" "count: 2 retained (EX-TRANSF, FIX-1)"
expect_contains "$T" "éliminables$NB: 4" "count: 4 eligible"
expect_contains "$T" "contentieux en cours)$NB: 2" "count: 2 held (HELD-1, EX-CHILD)"
expect_contains "$T" "en anomalie$NB: 1" "count: 1 anomaly"
expect_contains "$T" "total$NB: 9" "count: 9 dossiers"
expect_contains "$T" "Lot 1 du 21/11/2026$NB: 4 dossiers, dates extrêmes du 01/03/2000 au 20/01/2005." \
	"the new batch: count and extreme dates"
expect_contains "$T" "Avis du médecin DIM$NB: lot 1, 4 propositions" "work waiting for the DIM"
expect_contains "$T" "IPP HELD-1, suspendu depuis le 21/11/2026" "the hold"
expect_contains "$T" "contentieux LIT-OPEN-9, IPP EX-CHILD, ouvert le 15/01/2026" "the open litigation"
expect_contains "$T" "IPP NOBIRTH-1$NB: date de naissance absente" "the anomaly and its reason"
expect_contains "$T" "1 d’ici 30 jours, 1 d’ici 90 jours, 1 d’ici 365 jours" "the forecast"
expect_contains "$T" "IPP FIX-1$NB: conservé jusqu’au 01/06/2030, désormais jusqu’au 10/12/2026" \
	"the date moved earlier"
expect_contains "$T" "Imports depuis le dernier rapport$NB: 7 fichiers (lignes modifiées$NB: 21)." \
	"the imports since the last report"
for part in "$T" "$H" "$C"; do
	expect_not_contains "$part" "VIH" "no hold reason in $(basename "$part")"
	expect_not_contains "$part" "Plainte" "no litigation reference in $(basename "$part")"
done
expect_contains "$H" "<svg " "the HTML has the inline SVG chart"
expect_contains "$H" "</svg>" "the SVG is whole"
expect_match "$H" '<rect [^>]*height="110"' "the chart has its bar"
expect_not_contains "$H" "http" "the HTML loads nothing from anywhere"
expect_not_contains "$H" "<img" "no image file"
expect_contains "$C" "\"'=1+1\"" "the CSV cell starting with = is neutralised"
expect_not_contains "$C" ",=1+1" "no cell starts with ="
expect_eq "$("$PYTHON" -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
print(sorted(r[3] for r in rows[1:] if r[0] == "nouveau_lot"),
      [r[3] for r in rows[1:] if r[0] == "anomalie"], rows[0][:4])' "$C")" \
	"[\"'=1+1\", 'EX-ADULT', 'EX-DEATH', 'EX-LITIG'] ['NOBIRTH-1'] ['type', 'lot', 'proposition', 'ipp']" \
	"the CSV: the new batch and the anomalies"

# The preview printed the same report.
"$PYTHON" - "$SCRATCH/preview.fr" "$T" >"$SCRATCH/diff" 2>&1 <<'EOF'
import sys
a = open(sys.argv[1], encoding="utf-8").read().splitlines()
b = open(sys.argv[2], encoding="utf-8").read().splitlines()
# The health section counts the warnings logged meanwhile: compared apart.
cut = lambda l: l[:next(i for i, x in enumerate(l) if x.startswith("8. "))]
if cut(a) != cut(b):
    import difflib
    print("\n".join(difflib.unified_diff(cut(a), cut(b), lineterm="")))
    sys.exit(1)
EOF
if [ $? -eq 0 ]; then ok "report preview printed the text that was sent"; else
	fail "report preview differs from the text sent"
	show "diff" "$SCRATCH/diff" 30
fi
ctl --json outbox >"$SCRATCH/outbox.json" 2>/dev/null
expect_json "$SCRATCH/outbox.json" '[m["state"] for m in d["messages"]]' '["sent"]' \
	"the outbox has it as sent"
ctl --json audit >"$SCRATCH/audit.json" 2>/dev/null
expect_json "$SCRATCH/audit.json" \
	'[(e["user"], e["target"]) for e in d["entries"] if e["action"] == "report"]' \
	'[["root", "outbox 1"]]' "the journal records who mailed the report"

# ------------------------------------------------------------ English

write_report_config en
reload
expect_exit 0 "report preview (English)" ctl report preview
expect_contains "$OUT" "1. Summary" "English after [report] language = en"
expect_contains "$OUT" "Since the last report, on" "the next report starts after the last one"
expect_contains "$OUT" "No new batch" "the batch was in the last report"
expect_contains "$OUT" "No retention date moved earlier" "the date moved earlier was reported"
expect_contains "$OUT" "Opinion of the DIM physician: batch 1, 4 proposals" \
	"work waiting is reported every night"
expect_exit 0 "report send (English)" ctl report send
if wait_mail 2; then ok "the English report arrives"; else bail "no second message"; fi
split_mail 2 "$SCRATCH/m2"
expect_json "$SCRATCH/m2.json" 'd["subject"]' \
	"[retentiond] Report of 2026-11-21 — Centre hospitalier de test" "the subject, in English"
expect_contains "$SCRATCH/m2.text" "retained: 2" "English counts"
expect_contains "$SCRATCH/m2.csv" "type,batch,proposal,ipp" "English CSV header"
expect_exit 0 "report preview --format html" ctl report preview --format html
expect_contains "$OUT" "<svg " "the HTML preview has the chart"
expect_exit 2 "report with a bad action is a usage error" ctl report publish
N_MAIL=2

# ------------------------------------------------------------ roles

# Every role may preview; admin, archivist and director may send.
if [ "$(id -u)" = 0 ]; then
	make_users
	write_report_config en
	reload
	expect_exit 0 "the DIM may preview the report" ctl_as "$U_DIM" report preview
	expect_exit 0 "the archives may preview the report" ctl_as "$U_ARCHIVES" report preview
	expect_exit 1 "the DIM may not send it" ctl_as "$U_DIM" report send
	expect_contains "$ERR" "needs the role" "the refusal names the roles it needs"
	expect_exit 1 "a user without a role may not even preview it" ctl_as "$U_NOROLE" report preview
	expect_exit 0 "an archivist may send it" ctl_as "$U_ARCHIVIST" report send
	N_MAIL=3
	if wait_mail 3; then ok "the archivist's report arrives"; else bail "no third message"; fi
	ctl --json audit >"$SCRATCH/audit.json" 2>/dev/null
	expect_json "$SCRATCH/audit.json" \
		'[(e["user"], e["role"]) for e in d["entries"] if e["action"] == "report"][-1]' \
		"[\"$U_ARCHIVIST\", \"archivist\"]" "the journal names the archivist"
fi
stop_daemon
expect_eq "$EXIT_STATUS" 0 "the daemon exits 0"

# ------------------------------------------------------------ nightly

# report_at = 00:00 has passed today: a daemon that starts catches the
# night's report up by itself, and once only (meta schedule.report), even
# though nothing changed since the last one.
write_report_config fr
sed -i 's/^report_at = off$/report_at = 00:00/' "$CONF"
start_daemon
N_MAIL=$((N_MAIL + 1))
if wait_mail "$N_MAIL"; then ok "the nightly report goes out without a command"; else
	show "daemon log" "$DLOG"
	bail "no nightly report within 20 s"
fi
split_mail "$N_MAIL" "$SCRATCH/m3"
expect_json "$SCRATCH/m3.json" 'd["subject"]' \
	"[retentiond] Rapport du 21/11/2026 — Centre hospitalier de test" "the nightly report's subject"
expect_contains "$SCRATCH/m3.text" "Pas de nouveau lot" "a night with nothing new is reported all the same"
expect_contains "$DLOG" "nightly report of" "the daemon logs the nightly report"
stop_daemon
start_daemon
sleep 2
expect_eq "$(ls "$MAILDIR" | grep -c '\.eml$')" "$N_MAIL" "restarted, the daemon does not send the night's report again"
stop_daemon
expect_eq "$EXIT_STATUS" 0 "the daemon exits 0 again"
done_testing
