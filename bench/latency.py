#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Round-trip latency of `status` and `explain`, for bench/run.sh.

    latency.py SOCKET RETENTIONCTL N_PATIENTS COUNT [--during-full-scan]
    latency.py SOCKET RETENTIONCTL N_PATIENTS COUNT --while-pid PID

Four series of COUNT calls each, interleaved:
  raw-status, raw-explain  a tiny client speaking the protocol of
                           src/common/proto.h (a new connection per call,
                           as retentionctl does): the daemon's own latency
  ctl-status, ctl-explain  `retentionctl [--json] status|explain IPP` run as
                           a process: what an operator or a script sees
explain asks for a random IPP among 1..N_PATIENTS (gendemo's %09d IPPs).

With --during-full-scan, `retentionctl scan --full` runs in the background
(started again whenever it ends) and only calls that started and ended
while one was running are kept; the number of full scans is printed.

With --while-pid PID, the calls are made while the process PID runs (a
job started by the caller, such as the first `scan --full` of a
database), the two raw series only, so that the measure takes little of
the CPU from the job it runs beside; calls that end after PID are not
kept, and the series stop when it ends ("ended_early": true if before
COUNT calls each).

Prints one JSON object: per series n, median, p90, p99, max (ms).
"""
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

HDR = struct.Struct(">cBBBI")
REQUEST, REPLY = 1, 2


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("daemon closed the connection")
        buf += chunk
    return bytes(buf)


def raw_call(path, req):
    payload = json.dumps(req, separators=(",", ":")).encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        s.sendall(HDR.pack(b"R", 1, REQUEST, 0, len(payload)) + payload)
        while True:
            magic, ver, typ, _, n = HDR.unpack(recv_exact(s, HDR.size))
            body = recv_exact(s, n)
            if typ == REPLY:
                rep = json.loads(body)
                if not rep.get("ok"):
                    raise RuntimeError(f"{req['cmd']}: {rep.get('error')}")
                return rep
    finally:
        s.close()


def stats(xs):
    if not xs:
        return {"n": 0}
    xs = sorted(xs)

    def q(p):
        return round(xs[min(len(xs) - 1, int(p * len(xs)))], 3)

    return {"n": len(xs), "median": q(0.5), "p90": q(0.9), "p99": q(0.99),
            "max": round(xs[-1], 3)}


def main():
    argv = sys.argv[1:]
    while_pid = None
    if "--while-pid" in argv:
        i = argv.index("--while-pid")
        if i + 1 >= len(argv):
            sys.exit(__doc__)
        while_pid = int(argv[i + 1])
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith("--")]
    during = "--during-full-scan" in argv
    if len(args) != 4:
        sys.exit(__doc__)
    sock, ctl, n_patients, count = args[0], args[1], int(args[2]), int(args[3])
    rng = random.Random(7)

    def ipp():
        return "%09d" % rng.randint(1, n_patients)

    series = {
        "raw-status": lambda: raw_call(sock, {"v": 1, "cmd": "status"}),
        "raw-explain": lambda: raw_call(sock, {"v": 1, "cmd": "explain",
                                               "ipp": ipp()}),
        "ctl-status": lambda: subprocess.run(
            [ctl, "--socket", sock, "--json", "status"], check=True,
            stdout=subprocess.DEVNULL),
        "ctl-explain": lambda: subprocess.run(
            [ctl, "--socket", sock, "--json", "explain", ipp()], check=True,
            stdout=subprocess.DEVNULL),
    }
    if while_pid is not None:
        series = {k: v for k, v in series.items() if k.startswith("raw-")}

    def pid_running():
        try:
            os.kill(while_pid, 0)
        except ProcessLookupError:
            return False
        # A child that has exited but not been waited for is a zombie.
        try:
            with open(f"/proc/{while_pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    times = {k: [] for k in series}
    ended_early = False
    scan = None
    scans = 0
    discarded = 0
    deadline = time.monotonic() + 1800
    # A small population's full scan may end before any call: give up
    # after this many scans (the counts n then say how many were made).
    max_scans = 200

    def scan_running():
        """True while a full scan runs; starts one when none does."""
        nonlocal scan, scans
        if scan is not None and scan.poll() is None:
            return True
        if scan is not None and scan.returncode != 0:
            sys.exit(f"scan --full failed: exit {scan.returncode}")
        if scans >= max_scans:
            return False
        scan = subprocess.Popen([ctl, "--socket", sock, "scan", "--full"],
                                stdout=subprocess.DEVNULL)
        scans += 1
        # Let the job reach its recompute before measuring.
        time.sleep(0.05)
        return scan.poll() is None

    # Warm-up: the first calls open files, fill caches.
    for f in series.values():
        f()
    while any(len(v) < count for v in times.values()):
        if time.monotonic() > deadline:
            break
        for name, f in series.items():
            if len(times[name]) >= count:
                continue
            if during and not scan_running():
                if scans >= max_scans:
                    deadline = 0
                continue
            if while_pid is not None and not pid_running():
                ended_early = True
                deadline = 0
                break
            t0 = time.perf_counter()
            f()
            ms = (time.perf_counter() - t0) * 1000
            if during and scan.poll() is not None:
                discarded += 1  # the scan ended meanwhile: not "during"
                continue
            if while_pid is not None and not pid_running():
                discarded += 1
                continue
            times[name].append(ms)
    if scan is not None:
        scan.wait()
    out = {k: stats(v) for k, v in times.items()}
    if during:
        out["full_scans"] = scans
        out["discarded"] = discarded
    if while_pid is not None:
        out["discarded"] = discarded
        out["ended_early"] = ended_early
    print(json.dumps(out))


if __name__ == "__main__":
    main()
