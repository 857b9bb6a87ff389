#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The table of bench/run.sh's results: each figure, its floor, the ratio,
the target (targets are for 10M dossiers on 2 cores; see
doc/performance.md).

    summary.py RESULTS.tsv [RESULTS.tsv...]

With several files (e.g. 100k and 1M), one value column per file.
"""
import sys


def load(path):
    r = {}
    for line in open(path):
        if line.startswith("#") or "\t" not in line:
            continue
        k, v = line.rstrip("\n").split("\t", 1)
        r[k] = v
    return r


def num(r, k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None


def lat(r, k, field):
    s = r.get(k, "")
    for kv in s.split():
        a, _, b = kv.partition("=")
        if a == field:
            return float(b)
    return None


def f(x, unit=""):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}{unit}"
    if abs(x) >= 10:
        return f"{x:.1f}{unit}"
    return f"{x:.2f}{unit}"


def rows(r):
    kinds = ["patients", "encounters", "transfusions", "litigations"]
    out = []
    for k in kinds:
        v, fl, f2 = (num(r, f"import.{k}.rows_per_s"), num(r, f"floor_a.{k}.rows_per_s"),
                     num(r, f"floor_a2.{k}.rows_per_s"))
        out.append((f"import {k}, rows/s", v, f"(a) {f(fl)}; (a2) {f(f2)}",
                    v / fl if v and fl else None, ">= 500,000"))
    n = sum(num(r, f"rows.{k}") or 0 for k in kinds)
    t = sum(num(r, f"import.{k}.ms") or 0 for k in kinds)
    ta = sum(num(r, f"floor_a.{k}.ms") or 0 for k in kinds)
    v = n * 1000 / t if t else None
    fa = n * 1000 / ta if ta else None
    out.append(("import, all four files, rows/s", v, f"(a) {f(fa)}",
                v / fa if v and fa else None, ">= 500,000"))
    v = num(r, "import.encounters_again.rows_per_s")
    out.append(("re-import of unchanged encounters, rows/s", v, "", None, ""))
    full, fb, fc = num(r, "scan_full.ms"), num(r, "floor_b_groupby.ms"), num(r, "floor_c_naive.ms")
    out.append(("full recompute (scan --full), ms", full, f"(b) {f(fb)}",
                full / fb if full and fb else None, "<= 1.5x (b)"))
    out.append(("  the same against the naive SQL, ms", full, f"(c) {f(fc)}",
                full / fc if full and fc else None, "<= 0.5x (c)"))
    rd = num(r, "scan_full_first.daemon_read_mib")
    out.append(("first scan --full (with proposals), ms", num(r, "scan_full_first.ms"),
                f"{f(num(r, 'scan_full_first.proposed'))} proposed"
                + (f", {f(rd)} MiB read from storage" if rd is not None else ""),
                None, ""))
    ik, sk = num(r, "import_k.ms"), num(r, "scan_after_import_k.ms")
    out.append(("import of K changed encounters, ms", ik, "", None, ""))
    out.append(("  then the nightly scan, ms", sk, "", None, ""))
    out.append(("  import + scan, ms", (ik or 0) + (sk or 0), "", None, "< 1,000 (10M)"))
    out.append(("nightly scan finding K dirty dossiers, ms", num(r, "scan_k_dirty.ms"),
                f"{f(num(r, 'scan_k_dirty.recomputed'))} recomputed", None, "< 1,000 (10M)"))
    out.append(("nightly scan, nothing changed, ms", num(r, "scan_unchanged.ms"), "", None, ""))
    for cmd, tgt in (("explain", "< 2"), ("status", "< 10")):
        for who in ("raw", "ctl"):
            for when in ("idle", "busy"):
                k = f"latency_{when}.{who}-{cmd}"
                med, p99 = lat(r, k, "median"), lat(r, k, "p99")
                label = (f"{cmd} ({'protocol' if who == 'raw' else 'retentionctl'}"
                         f"{', during scan --full' if when == 'busy' else ''}), ms median / p99")
                out.append((label, med, f"p99 {f(p99)}", None, tgt))
        k = f"latency_first_scan.raw-{cmd}"
        med, p99 = lat(r, k, "median"), lat(r, k, "p99")
        out.append((f"{cmd} (protocol, during the first scan --full), ms median / p99",
                    med, f"p99 {f(p99)}", None, tgt))
    h = num(r, "daemon.vmhwm_kib")
    out.append(("daemon peak RSS (VmHWM), MiB", h / 1024 if h else None, "", None, "< 100"))
    h = num(r, "daemon.vmhwm_after_external_write_kib")
    out.append(("  after an external write (see doc), MiB", h / 1024 if h else None, "", None, ""))
    db, wal = num(r, "db.bytes"), num(r, "db.wal_bytes")
    out.append(("database + WAL, MiB", ((db or 0) + (wal or 0)) / 1048576,
                f"WAL {f((wal or 0) / 1048576)}", None, ""))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tables = [rows(load(p)) for p in sys.argv[1:]]
    names = [p.rsplit("/", 1)[-1] for p in sys.argv[1:]]
    head = ["figure"]
    for n in names:
        head += [f"{n}", "floor", "ratio"]
    head.append("target")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for i, row in enumerate(tables[0]):
        cells = [row[0]]
        for t in tables:
            _, v, fl, ratio, _ = t[i]
            cells += [f(v), fl, f"{ratio:.2f}" if ratio else ""]
        cells.append(row[4])
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
