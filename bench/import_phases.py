#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Split an import's time into its phases (a diagnostic, not a figure).

    import_phases.py SOCKET KIND FILE

Sends FILE like `retentionctl import KIND FILE` does (DATA frames of
256 KiB, then END), but asks for PROGRESS frames (sent every 250 ms) and
prints, as JSON, the wall time and the daemon's elapsed_ms at which the job
left the "reading" phase (parse and upsert of every row) for
"recomputing" (the dossiers the file made dirty), the end, and the reply.
"""
import json
import socket
import struct
import sys
import time

HDR = struct.Struct(">cBBBI")
REQUEST, REPLY, DATA, END, PROGRESS = 1, 2, 3, 4, 5


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, kind, file = sys.argv[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    req = json.dumps({"v": 1, "cmd": "import", "kind": kind,
                      "source": file.rsplit("/", 1)[-1],
                      "progress": True}).encode()
    t0 = time.perf_counter()
    s.sendall(HDR.pack(b"R", 1, REQUEST, 0, len(req)) + req)
    phases = {}
    buf = bytearray()

    def frames():
        nonlocal buf
        while len(buf) >= HDR.size:
            _, _, typ, _, n = HDR.unpack(bytes(buf[:HDR.size]))
            if len(buf) < HDR.size + n:
                return
            body = bytes(buf[HDR.size:HDR.size + n])
            del buf[:HDR.size + n]
            yield typ, json.loads(body)

    def note(typ, obj):
        if typ == PROGRESS:
            ph = obj.get("phase")
            if ph not in phases:
                phases[ph] = {
                    "first_seen_wall_ms": round((time.perf_counter() - t0) * 1000),
                    "first_seen_daemon_ms": obj.get("elapsed_ms"),
                    "rows": obj.get("rows"), "dossiers": obj.get("dossiers")}
            return None
        return obj

    reply = None
    s.setblocking(False)
    with open(file, "rb") as f:
        while True:
            chunk = f.read(256 * 1024)
            frame = (HDR.pack(b"R", 1, DATA, 0, len(chunk)) + chunk if chunk
                     else HDR.pack(b"R", 1, END, 0, 0))
            view = memoryview(frame)
            while view:
                try:
                    view = view[s.send(view):]
                except BlockingIOError:
                    time.sleep(0.001)
                try:
                    got = s.recv(1 << 16)
                    buf += got
                except BlockingIOError:
                    pass
                for typ, obj in frames():
                    reply = note(typ, obj) or reply
            if not chunk:
                break
    s.setblocking(True)
    while reply is None:
        got = s.recv(1 << 16)
        if not got:
            sys.exit("daemon closed the connection")
        buf += got
        for typ, obj in frames():
            reply = note(typ, obj) or reply
    wall = round((time.perf_counter() - t0) * 1000)
    res = reply.get("result", reply)
    print(json.dumps({"wall_ms": wall, "phases": phases,
                      "duration_ms": res.get("duration_ms"),
                      "rows": res.get("rows"),
                      "recomputed": res.get("recomputed")}))


if __name__ == "__main__":
    main()
