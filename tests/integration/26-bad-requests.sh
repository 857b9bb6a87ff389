#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Malformed requests against the live daemon, on raw frames: each gets one
# sentence (ok: false), framing errors close the connection, argument
# errors leave it usable, nothing is written, and the daemon keeps serving.
# shellcheck source=lib.sh
. "${TESTS_SRCDIR:?TESTS_SRCDIR must name the source tests directory}/integration/lib.sh" || exit 1
need sqlite3 sha256sum

write_config
start_daemon
import_examples
before=$(db_digest)

# One line per case: NAME<TAB>EXPECTED ERROR (a substring)<TAB>open|closed,
# printed by the probe as NAME<TAB>ERROR<TAB>open|closed.
cat >"$SCRATCH/probe.py" <<'PY'
import json, socket, struct, sys

def frame(t, payload, magic=b"R", ver=1):
    return magic + bytes([ver, t, 0]) + struct.pack(">I", len(payload)) + payload

def req(**kw):
    return frame(1, json.dumps(dict(v=1, **kw)).encode())

def read_frame(s):
    buf = b""
    while len(buf) < 8:
        c = s.recv(8 - len(buf))
        if not c:
            return None
        buf += c
    n = struct.unpack(">I", buf[4:])[0]
    p = b""
    while len(p) < n:
        c = s.recv(n - len(p))
        if not c:
            return None
        p += c
    return buf[2], p

CASES = [
    ("not-json", frame(1, b"{nope")),
    ("array", frame(1, b"[1, 2]")),
    ("no-version", frame(1, b'{"cmd": "status"}')),
    ("version-2", frame(1, b'{"v": 2, "cmd": "status"}')),
    ("version-string", frame(1, b'{"v": "1", "cmd": "status"}')),
    ("invalid-utf8", frame(1, b'{"v": 1, "cmd": "explain", "ipp": "\xff\xfe"}')),
    ("no-command", frame(1, b'{"v": 1}')),
    ("command-number", frame(1, b'{"v": 1, "cmd": 5}')),
    ("unknown-command", req(cmd="format_disk")),
    ("ipp-number", req(cmd="explain", ipp=5)),
    ("ipp-10k", req(cmd="explain", ipp="A" * 10000)),
    ("ipp-nul", req(cmd="explain", ipp="a\u0000b")),
    ("full-string", req(cmd="scan", full="yes")),
    ("progress-string", req(cmd="status", progress="yes")),
    ("list-number", req(cmd="forecast", until="2040-01-01", list=1)),
    ("limit-string", req(cmd="proposals", limit="x")),
    ("limit-negative", req(cmd="proposals", limit=-5)),
    ("until-30-feb", req(cmd="forecast", until="2030-02-30")),
    ("outbox-limit", req(cmd="outbox", limit=100000)),
    ("import-kind", req(cmd="import", kind="bananas", source="x")),
    ("bad-magic", frame(1, b'{"v": 1, "cmd": "status"}', magic=b"X")),
    ("frame-version", frame(1, b'{"v": 1, "cmd": "status"}', ver=9)),
    ("reply-type", frame(2, b'{"v": 1, "cmd": "status"}')),
    ("data-first", frame(3, b"abc")),
    ("type-9", frame(9, b"")),
    ("huge-length", b"R\x01\x01\x00\xff\xff\xff\xff"),
]

for name, raw in CASES:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.sendall(raw)
    r = read_frame(s)
    if r is None:
        print(f"{name}\t<no reply>\tclosed")
        continue
    d = json.loads(r[1])
    err = d.get("error", "<ok: %s>" % d.get("ok"))
    # Still open: a second request on it is answered.
    state = "closed"
    try:
        s.sendall(req(cmd="whoami"))
        if read_frame(s) is not None:
            state = "open"
    except OSError:
        pass
    print(f"{name}\t{err}\t{state}")
PY
"$PYTHON" "$SCRATCH/probe.py" "$SOCK" >"$SCRATCH/probe.out" 2>"$ERR" ||
	{ show "stderr" "$ERR"; fail "the probe ran to its end"; }

while IFS=$'\t' read -r name want conn; do
	line=$(grep "^$name	" "$SCRATCH/probe.out" || true)
	got=$(echo "$line" | cut -f2)
	state=$(echo "$line" | cut -f3)
	case $got in
	*"$want"*) check "$name: '$got', connection $state" [ "$state" = "$conn" ] ;;
	*) fail "$name: expected an error containing '$want', got '$got'" ;;
	esac
done <<'EOF_CASES'
not-json	request is not a JSON object	closed
array	request is not a JSON object	closed
no-version	request without protocol version 1	closed
version-2	request without protocol version 1	closed
version-string	request without protocol version 1	closed
invalid-utf8	request is not a JSON object	closed
no-command	request without a command	open
command-number	request without a command	open
unknown-command	unknown command 'format_disk'	open
ipp-number	argument 'ipp' must be a string of at most 64 bytes	open
ipp-10k	argument 'ipp' must be a string of at most 64 bytes	open
ipp-nul	request is not a JSON object	closed
full-string	argument 'full' must be true or false	open
progress-string	argument 'progress' must be true or false	open
list-number	argument 'list' must be true or false	open
limit-string	limit must be an integer between 0 and	open
limit-negative	limit must be an integer between 0 and	open
until-30-feb	until: '2030-02-30' is not a date (YYYY-MM-DD)	open
outbox-limit	limit must be between 1 and 1000	open
import-kind	unknown import kind 'bananas'	open
bad-magic	malformed frame	closed
frame-version	protocol version not supported	closed
reply-type	malformed frame	closed
data-first	data sent outside an import	closed
type-9	malformed frame	closed
huge-length	frame larger than the protocol allows	closed
EOF_CASES

check "the daemon still runs" kill -0 "$DPID"
expect_exit 0 "status answers after the malformed requests" ctl status
check "nothing was written by any of them" [ "$(db_digest)" = "$before" ]

stop_daemon
done_testing
