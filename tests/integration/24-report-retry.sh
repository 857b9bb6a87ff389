#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Sending the nightly report through the outbox, against a real SMTP
# server on loopback (aiosmtpd, with STARTTLS on a self-signed certificate
# and AUTH): a report queued while the server is down is retried and
# delivered exactly once when it comes back, also across a daemon restart
# in between; a wrong password is recorded and the message kept; a server
# without STARTTLS is refused when STARTTLS is required. Small retry
# delays (1 s doubled up to 2 s) keep it fast.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1

need openssl sqlite3
"$PYTHON" -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd is not installed"

# ------------------------------------------------------------ the server

# An SMTP server on 127.0.0.1:PORT that keeps every message it accepts as
# DIR/NNN.eml, with its envelope in DIR/NNN.env (JSON), written whole
# before the 250 (atomic rename). MODE: starttls (STARTTLS offered and
# required, AUTH PLAIN/LOGIN required after it), smtps (TLS from the
# first byte, AUTH required) or plain (no STARTTLS, no AUTH). DIR/ready
# appears once it listens.
cat >"$SCRATCH/smtpd.py" <<'EOF'
import json, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, mode, out, cert, key, user, password = sys.argv[1:8]
port = int(port)

class Keeper:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".eml")]) + 1
        base = os.path.join(out, "%03d" % n)
        with open(base + ".env.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None or
                              server.transport.get_extra_info("ssl_object") is not None,
                       "auth": bool(session.authenticated)}, f)
        os.rename(base + ".env.tmp", base + ".env")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 kept as %03d" % n

def check(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)

kw = {}
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
if mode == "starttls":
    kw = dict(tls_context=ctx, require_starttls=True, authenticator=check,
              auth_required=True, auth_require_tls=True)
elif mode == "smtps":
    # The session is TLS already: aiosmtpd only knows of STARTTLS's.
    kw = dict(ssl_context=ctx, authenticator=check, auth_required=True,
              auth_require_tls=False)
c = Controller(Keeper(), hostname="127.0.0.1", port=port, **kw)
c.start()
open(os.path.join(out, "ready"), "w").close()
try:
    while True:
        time.sleep(3600)
finally:
    c.stop()
EOF

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MAILDIR="$SCRATCH/received"
mkdir -p "$MAILDIR"
SPID=""

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$SCRATCH/key.pem" \
	-out "$SCRATCH/cert.pem" >/dev/null 2>&1 || bail "openssl cannot make a certificate"

# start_server MODE: the server on $PORT, until stop_server.
start_server() {
	rm -f "$MAILDIR/ready"
	"$PYTHON" "$SCRATCH/smtpd.py" "$PORT" "$1" "$MAILDIR" "$SCRATCH/cert.pem" \
		"$SCRATCH/key.pem" rtdmail 's3cret-Pa55' >>"$SCRATCH/smtpd.log" 2>&1 &
	SPID=$!
	BG_PIDS="$BG_PIDS $SPID"
	for _ in $(seq 1 100); do
		[ -e "$MAILDIR/ready" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	show "smtp server" "$SCRATCH/smtpd.log"
	bail "the SMTP server did not start on port $PORT"
}

stop_server() {
	[ -n "$SPID" ] || return 0
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=""
}

received() {
	find "$MAILDIR" -name '*.eml' | wc -l
}

# ------------------------------------------------------------ the daemon

PASSWORD_FILE="$SCRATCH/smtp-password"
printf 's3cret-Pa55\n' >"$PASSWORD_FILE"
chmod 600 "$PASSWORD_FILE"

write_config
# No nightly report of its own: every message here is queued by the test.
grep -q '^report_at' "$CONF" || sed -i 's/^\[schedule\]$/[schedule]\nreport_at = off/' "$CONF"
cat >>"$CONF" <<EOF

[report]
smtp_url      = smtp://127.0.0.1:$PORT
from          = retentiond@hopital.example
to            = archives@hopital.example, dim@hopital.example
starttls      = required
username      = rtdmail
password_file = $PASSWORD_FILE
cafile        = $SCRATCH/cert.pem
timeout       = 5
retry_min     = 1
retry_max     = 2
EOF

# outbox_json: outbox --json into $SCRATCH/outbox.json.
outbox_json() {
	ctl --json outbox >"$SCRATCH/outbox.json" 2>"$ERR"
}

# mail_field ID EXPR: EXPR over the message m of id ID in outbox --json.
mail_field() {
	outbox_json && json_get "$SCRATCH/outbox.json" \
		'(lambda m: '"$2"')([m for m in d["messages"] if m["id"] == '"$1"'][0])'
}

# wait_mail ID EXPR [SECONDS]: poll until mail_field ID EXPR prints true.
wait_mail() {
	local t0 limit_ms=$((${3:-20} * 1000))
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt "$limit_ms" ]; do
		[ "$(mail_field "$1" "$2" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	return 1
}

# newest_id: the id of the newest message of the outbox.
newest_id() {
	outbox_json && json_get "$SCRATCH/outbox.json" 'max(m["id"] for m in d["messages"])'
}

# queue_report: a report queued for sending, as `retentionctl report send`
# does; its outbox id in MID.
queue_report() {
	local before
	before=$(newest_id 2>/dev/null) || before=0
	case $before in '' | *[!0-9]*) before=0 ;; esac
	ctl report send >"$OUT" 2>"$ERR" || {
		show "stderr" "$ERR"
		bail "report send failed"
	}
	MID=$(newest_id) || bail "outbox --json failed"
	[ "$MID" -gt "$before" ] 2>/dev/null || bail "report send queued nothing (newest id $MID)"
}

"$RETENTIONCTL" --help 2>&1 | grep -qE '^  report ' ||
	skip_all "retentionctl has no 'report send' yet to queue a report"

start_daemon
import_examples

# ------------------------------------------------------------ server down

queue_report
M1=$MID
ok "a report is queued while the server is down (message $M1)"
if wait_mail "$M1" 'm["attempts"] >= 2 and m["last_error"] is not None' 20; then
	ok "attempts go on while the server is down"
else
	fail "attempts go on while the server is down"
	show "outbox" "$SCRATCH/outbox.json"
fi
expect_json "$SCRATCH/outbox.json" "[m['state'] for m in d['messages'] if m['id'] == $M1][0] != 'sent'" \
	true "not sent while the server is down"
expect_json "$SCRATCH/outbox.json" "'connect' in [m['last_error'] for m in d['messages'] if m['id'] == $M1][0].lower()" \
	true "the error says the server cannot be reached"
expect_json "$SCRATCH/outbox.json" "[m['next_attempt_at'] is not None for m in d['messages'] if m['id'] == $M1][0]" \
	true "a next attempt is planned"
expect_exit 0 "retentionctl outbox (table)" ctl outbox
expect_contains "$OUT" "last error" "the table shows the last error"
expect_match "$OUT" "^ *$M1 .*(queued|sending)" "the table shows the message queued"
A1=$(mail_field "$M1" 'm["attempts"]')
sleep 3
A2=$(mail_field "$M1" 'm["attempts"]')
check "retries are spaced by at most retry_max (2 s): $A1 then $A2 attempts 3 s later" \
	test "$A2" -gt "$A1" -a "$A2" -le $((A1 + 3))

# ------------------------------------------------------------ server up

start_server starttls
if wait_mail "$M1" 'm["state"] == "sent"' 15; then
	ok "delivered once the server is back"
else
	fail "delivered once the server is back"
	show "outbox" "$SCRATCH/outbox.json"
	show "smtp server" "$SCRATCH/smtpd.log"
fi
expect_json "$SCRATCH/outbox.json" "[m['sent_at'] is not None and m['last_error'] is None and m['next_attempt_at'] is None for m in d['messages'] if m['id'] == $M1][0]" \
	true "sent: sent_at set, no error, no next attempt"
sleep 3
expect_eq "$(received)" 1 "received exactly once, and nothing more 3 s later"
expect_json "$MAILDIR/001.env" 'd["to"]' '["archives@hopital.example", "dim@hopital.example"]' \
	"sent to both recipients"
expect_json "$MAILDIR/001.env" 'd["tls"] and d["auth"]' true "over STARTTLS, authenticated"
expect_contains "$MAILDIR/001.eml" "From: retentiond@hopital.example" "the message has its From"
expect_match "$MAILDIR/001.eml" "^Message-ID: <" "the message has a Message-ID"
expect_match "$MAILDIR/001.eml" "^Content-Type: multipart/mixed" "the message is MIME multipart/mixed"

# ------------------------------------------------------------ restart in between

stop_server
queue_report
M2=$MID
wait_mail "$M2" 'm["attempts"] >= 1 and m["last_error"] is not None' 15 ||
	fail "the second report fails while the server is down"
stop_daemon || fail "the daemon stops"
A_BEFORE=$(sqlite3 "$DB" "SELECT attempts FROM outbox WHERE id = $M2")
expect_eq "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE id = $M2")" queued \
	"after the stop, the failed message is still queued in the database"
start_server starttls
start_daemon
if wait_mail "$M2" 'm["state"] == "sent"' 15; then
	ok "delivered after a daemon restart"
else
	fail "delivered after a daemon restart"
	show "outbox" "$SCRATCH/outbox.json"
fi
check "its attempts went on across the restart ($A_BEFORE before)" \
	test "$(mail_field "$M2" 'm["attempts"]')" -gt "$A_BEFORE"
sleep 2
expect_eq "$(received)" 2 "two reports, each received exactly once"
expect_eq "$(grep -h '^Message-ID:' "$MAILDIR"/*.eml | sort -u | wc -l)" 2 "two different Message-IDs"
expect_eq "$(mail_field "$M1" 'm["state"]')" sent "the first report stays sent, never sent again"

# ------------------------------------------------------------ wrong password

# The password file is read at each attempt: no reload needed.
printf 'wrong-password\n' >"$PASSWORD_FILE"
queue_report
M3=$MID
if wait_mail "$M3" 'm["attempts"] >= 2 and m["last_error"] is not None' 20; then
	ok "a wrong password fails, and is tried again"
else
	fail "a wrong password fails, and is tried again"
	show "outbox" "$SCRATCH/outbox.json"
fi
ERR3=$(mail_field "$M3" 'm["last_error"]')
echo "# recorded: $ERR3"
case $ERR3 in
*[Aa]uthentication* | *[Ll]ogin* | *535*) ok "the error says the authentication failed" ;;
*) fail "the error says the authentication failed (got: $ERR3)" ;;
esac
expect_eq "$(mail_field "$M3" 'm["state"] != "sent"')" true "kept in the outbox, not sent"
expect_eq "$(received)" 2 "nothing delivered with a wrong password"
printf 's3cret-Pa55\n' >"$PASSWORD_FILE"
if wait_mail "$M3" 'm["state"] == "sent"' 15; then
	ok "delivered once the password is right again"
else
	fail "delivered once the password is right again"
fi
expect_eq "$(received)" 3 "and received once"

# ------------------------------------------------------------ no STARTTLS

stop_server
start_server plain
queue_report
M4=$MID
if wait_mail "$M4" 'm["attempts"] >= 1 and m["last_error"] is not None' 15; then
	ok "a server without STARTTLS is refused when STARTTLS is required"
else
	fail "a server without STARTTLS is refused when STARTTLS is required"
	show "outbox" "$SCRATCH/outbox.json"
fi
ERR4=$(mail_field "$M4" 'm["last_error"]')
echo "# recorded: $ERR4"
case $ERR4 in
*STARTTLS* | *SSL* | *TLS*) ok "the error says STARTTLS is missing" ;;
*) fail "the error says STARTTLS is missing (got: $ERR4)" ;;
esac
expect_eq "$(mail_field "$M4" 'm["state"] != "sent"')" true "kept in the outbox"
expect_eq "$(received)" 3 "nothing delivered in clear text"

# ------------------------------------------------------------ reload

# An hour between attempts; a reload (the fix of a configuration, say)
# tries at once what waits, without waiting for its backoff.
A4=$(mail_field "$M4" 'm["attempts"]')
sed -i 's/^retry_min .*/retry_min     = 3600/; s/^retry_max .*/retry_max     = 3600/' "$CONF"
kill -HUP "$DPID"
if wait_mail "$M4" 'm["attempts"] > '"$A4"' and m["state"] == "queued"' 10; then
	ok "a reload tries at once"
else
	fail "a reload tries at once"
	show "outbox" "$SCRATCH/outbox.json"
fi
check "the next attempt is an hour away now" 	test "$(sqlite3 "$DB" "SELECT next_attempt_at - strftime('%s', 'now') FROM outbox WHERE id = $M4")" -gt 3000
stop_server
start_server starttls
kill -HUP "$DPID"
if wait_mail "$M4" 'm["state"] == "sent"' 15; then
	ok "after the server is fixed, a reload delivers without waiting the hour"
else
	fail "after the server is fixed, a reload delivers without waiting the hour"
	show "outbox" "$SCRATCH/outbox.json"
fi
expect_eq "$(received)" 4 "and it is received once"

# ------------------------------------------------------------ smtps://

stop_server
start_server smtps
sed -i "s|^smtp_url .*|smtp_url      = smtps://127.0.0.1:$PORT|" "$CONF"
kill -HUP "$DPID"
queue_report
M5=$MID
if wait_mail "$M5" 'm["state"] == "sent"' 15; then
	ok "delivered over smtps:// (TLS from the start)"
else
	fail "delivered over smtps:// (TLS from the start)"
	show "outbox" "$SCRATCH/outbox.json"
	show "smtp server" "$SCRATCH/smtpd.log"
fi
expect_eq "$(received)" 5 "received once"
expect_json "$MAILDIR/005.env" 'd["tls"] and d["auth"]' true "over TLS, authenticated"

# ------------------------------------------------------------ logs

stop_daemon || fail "the daemon stops"
cat "$SCRATCH"/daemon.*.log >"$SCRATCH/all.log"
expect_not_contains "$SCRATCH/all.log" "s3cret-Pa55" "the password is never logged"
expect_not_contains "$SCRATCH/all.log" "wrong-password" "nor a wrong one"
expect_match "$SCRATCH/all.log" "report mail $M1: attempt 1 failed" "one line per failed attempt"
expect_match "$SCRATCH/all.log" "report mail $M1 sent \\(attempt [0-9]+\\)" "a line for the success"
N_LINES=$(grep -c "report mail ${M1}[: ]" "$SCRATCH/all.log")
A_FINAL=$(sqlite3 "$DB" "SELECT attempts FROM outbox WHERE id = $M1")
expect_eq "$N_LINES" "$A_FINAL" "as many log lines as attempts for message $M1"
stop_server

done_testing
