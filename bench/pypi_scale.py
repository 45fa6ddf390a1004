#!/usr/bin/env python3
"""Helpers for bench/pypi_scale.sh (standard library only; reuses pypilib.py).

    pypi_scale.py fill URL PID KIND START END WORKERS OUT.json
        Upload wheels START..END-1 to URL with WORKERS parallel processes, each
        over ONE keep-alive HTTP connection, with the multipart form twine
        sends (pypilib's form). KIND "proj": one project per wheel,
        pkgNNNN-1.0 (pypilib.make_wheel / pypilib._form). KIND "big": one
        project `bigproj`, wheel N is bigproj-1.0.N-py3-none-any.whl. Every
        worker builds its bodies before the clock starts; worker k sends
        START+k, START+k+WORKERS, ... OUT.json: n, wall_s, server CPU (PID and
        descendants) user/sys, client-side upload latency (mean, p50, p99; mean
        of the first and the last 10 % of the uploads).
    pypi_scale.py bigwheel N DIR
        Write DIR/bigproj-1.0.N-py3-none-any.whl (for inspection).
    pypi_scale.py rootcount FILE FORMAT
        Number of projects on a saved root page (FORMAT html|json); exits
        non-zero if the page does not parse.
    pypi_scale.py pagecount FILE FORMAT
        Number of files on a saved project page (FORMAT html|json).
    pypi_scale.py report RAW.tsv META.tsv OUT.md
        markdown table (stdout + OUT.md). RAW.tsv lines are "<metric>\\t<value>".
"""

import http.client
import json
import multiprocessing
import os
import re
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pypilib  # noqa: E402  (build_wheel, upload_form, make_wheel, _form, tree, tree_cpu)

BIG = "bigproj"


# ---------------------------------------------------------------- bigproj wheels: one project, many versions
def big_version(n):
    return f"1.0.{n}"


def big_wheel_name(n):
    return f"{BIG}-{big_version(n)}-py3-none-any.whl"


BIG_SUMMARY = "Wharf benchmark project with many versions"


def make_big_wheel(n):
    """A minimal valid wheel of bigproj 1.0.n (pypilib.build_wheel)."""
    return pypilib.build_wheel(BIG, big_version(n), BIG_SUMMARY, f"__version__ = {big_version(n)!r}\n")


def big_form(n, data):
    """twine 7's multipart body (pypilib.upload_form) for bigproj 1.0.n."""
    return pypilib.upload_form(BIG, big_version(n), BIG_SUMMARY, big_wheel_name(n), data)


def body_of(kind, i):
    if kind == "proj":
        return pypilib.wheel_name(i), pypilib._form(i, pypilib.make_wheel(i))
    return big_wheel_name(i), big_form(i, make_big_wheel(i))


# ---------------------------------------------------------------- parallel upload
def _worker(url, kind, idx, ready, go, out):
    """Build the bodies, wait for the start signal, upload them in order on
    one keep-alive connection; write [(index, latency s), ...] to out."""
    try:
        bodies = [(i, body_of(kind, i)) for i in idx]
        u = urllib.parse.urlsplit(url)
        path = u.path or "/"
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        ready.wait()
        go.wait()
        lat = []
        reconnects = 0
        for i, (fname, (ctype, body)) in bodies:
            h = {"User-Agent": "wharf-bench (twine-like form)", "Connection": "keep-alive",
                 "Content-Type": ctype, "Content-Length": str(len(body))}
            t0 = time.monotonic()
            conn, r, text, again = pypilib.post_once_more_on_reset(conn, u, path, body, h)
            reconnects += again
            lat.append((i, time.monotonic() - t0))
            if not 200 <= r.status < 300:
                sys.stderr.write(f"pypi_scale fill: {url} {fname}: HTTP {r.status} {r.reason}: {text[:300]!r}\n")
                os._exit(1)
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
                reconnects += 1
        conn.close()
        with open(out, "w") as f:
            json.dump({"lat": lat, "reconnects": reconnects, "client_cpu_s": sum(os.times()[:2])}, f)
        os._exit(0)
    except BaseException as e:  # noqa: BLE001 — report anything and fail the run
        sys.stderr.write(f"pypi_scale fill worker: {type(e).__name__}: {e}\n")
        os._exit(1)


def cmd_fill(url, pid, kind, start, end, workers, out):
    if kind not in ("proj", "big"):
        sys.exit(f"pypi_scale fill: unknown KIND {kind}")
    start, end, workers = int(start), int(end), max(1, int(workers))
    ctx = multiprocessing.get_context("fork")
    ready, go = ctx.Barrier(workers + 1, timeout=3600), ctx.Barrier(workers + 1, timeout=60)
    parts = [f"{out}.part{k}" for k in range(workers)]
    procs = []
    for k in range(workers):
        idx = list(range(start + k, end, workers))
        p = ctx.Process(target=_worker, args=(url, kind, idx, ready, go, parts[k]))
        p.start()
        procs.append(p)
    try:
        ready.wait()                      # every worker has built its bodies
    except Exception:                     # a worker died while building
        for p in procs:
            p.kill()
        sys.exit("pypi_scale fill: a worker failed before the start")
    pids = pypilib.tree(pid)
    c0 = pypilib.tree_cpu(pids)
    t0 = time.monotonic()
    go.wait()
    failed = False
    pending = list(procs)
    while pending:
        for p in list(pending):
            p.join(0.05)
            if p.exitcode is not None:
                pending.remove(p)
                failed |= p.exitcode != 0
        if failed:
            for p in pending:
                p.kill()
            for p in pending:
                p.join()
            sys.exit(f"pypi_scale fill: an upload failed ({kind}, {url})")
    wall = time.monotonic() - t0
    c1 = pypilib.tree_cpu(sorted(set(pids) | set(pypilib.tree(pid))))
    lat, reconnects, client_cpu = [], 0, 0.0
    for f in parts:
        with open(f) as fh:
            r = json.load(fh)
        os.unlink(f)
        lat += r["lat"]
        reconnects += r["reconnects"]
        client_cpu += r["client_cpu_s"]
    lat.sort()                                # by index = roughly the order of arrival
    ms = [1000 * x for _, x in lat]
    tenth = max(1, len(ms) // 10)
    srt = sorted(ms)
    n = len(ms)
    res = {
        "n": n, "workers": workers, "wall_s": round(wall, 3), "uploads_per_s": round(n / wall, 1) if wall else 0,
        "cpu_user_s": round(c1[0] - c0[0], 3), "cpu_sys_s": round(c1[1] - c0[1], 3),
        "cpu_ms_per_upload": round(1000 * ((c1[0] - c0[0]) + (c1[1] - c0[1])) / n, 3) if n else 0,
        "lat_mean_ms": round(statistics.mean(ms), 3) if ms else 0,
        "lat_p50_ms": round(srt[n // 2], 3) if ms else 0,
        "lat_p99_ms": round(srt[min(n - 1, int(n * 0.99))], 3) if ms else 0,
        "lat_first10_ms": round(statistics.mean(ms[:tenth]), 3) if ms else 0,
        "lat_last10_ms": round(statistics.mean(ms[-tenth:]), 3) if ms else 0,
        "reconnects": reconnects, "client_cpu_s": round(client_cpu, 2),
    }
    with open(out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res))


def cmd_bigwheel(n, d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, big_wheel_name(int(n))), "wb") as f:
        f.write(make_big_wheel(int(n)))


# ---------------------------------------------------------------- page checks
def cmd_rootcount(path, fmt):
    with open(path, "rb") as f:
        data = f.read()
    if fmt == "json":
        names = [p["name"] for p in json.loads(data)["projects"]]
    else:
        names = re.findall(rb"<a [^>]*href=\"[^\"]*\"[^>]*>([^<]+)</a>", data)
    if len(set(names)) != len(names):
        sys.exit(f"pypi_scale rootcount: {path} lists {len(names) - len(set(names))} duplicate projects")
    print(len(names))


def cmd_pagecount(path, fmt):
    with open(path, "rb") as f:
        data = f.read()
    if fmt == "json":
        print(len(json.loads(data)["files"]))
    else:
        print(len(re.findall(rb"<a [^>]*href=\"[^\"]*\.whl[#\"]", data)))


# ---------------------------------------------------------------- report
def cmd_report(raw, meta, out):
    d = {}
    for line in open(raw):
        line = line.rstrip("\n")
        if line:
            k, v = line.split("\t")
            d[k] = float(v)
    meta_lines = [l.rstrip("\n").split("\t", 1) for l in open(meta) if l.strip()]

    def g(k):
        return d.get(k)

    def f(v, nd=0, suffix=""):
        return "n/a" if v is None else f"{v:,.{nd}f}{suffix}"

    def ok(cond):
        return "n/a" if cond is None else ("✅ met" if cond else "❌ missed")

    P, F = int(g("projects") or 0), int(g("files") or 0)
    W = int(g("uploaders") or 0)
    rows = [
        (f"Fill {P:,} single-wheel projects, {W} uploaders (wall s)",
         f"{f(g('fill_proj_wall_s'), 1)} ({f(g('fill_proj_rate'), 0)} uploads/s)", "—", ""),
        ("… server CPU per upload (ms)", f(g("fill_proj_cpu_ms"), 2), "—", ""),
        ("… upload latency, first → last 10 % (ms)",
         f"{f(g('fill_proj_first10_ms'), 2)} → {f(g('fill_proj_last10_ms'), 2)}", "—", ""),
        (f"Fill `bigproj` with {F:,} versions, {W} uploaders (wall s)",
         f"{f(g('fill_big_wall_s'), 1)} ({f(g('fill_big_rate'), 0)} uploads/s)", "—", ""),
        ("… server CPU per upload (ms)", f(g("fill_big_cpu_ms"), 2), "—", ""),
        ("… upload latency, first → last 10 % (ms)",
         f"{f(g('fill_big_first10_ms'), 2)} → {f(g('fill_big_last10_ms'), 2)}", "—", ""),
    ]
    for key, label in (("page_small_html", f"Project page, 1 file, at {P:,} projects, HTML"),
                       ("page_big_html", f"Project page `bigproj`, {F:,} files, HTML"),
                       ("page_big_json", f"Project page `bigproj`, {F:,} files, JSON")):
        rows.append((f"{label}: wrk -t2 -c16 req/s (p99 ms)",
                     f"{f(g(key + '_rps'), 0)} (p99 {f(g(key + '_p99_ms'), 2)})", "—", ""))
        rows.append((f"… page size (bytes); server CPU per request (µs)",
                     f"{f(g(key + '_bytes'))}; {f(g(key + '_cpu_us'))}", "—", ""))
    for fmt in ("html", "json"):
        rows.append((f"Root page, {P:,} projects, {fmt.upper()}: first byte / total (ms), median of 5",
                     f"{f(g(f'root_{fmt}_ttfb_ms'), 1)} / {f(g(f'root_{fmt}_total_ms'), 1)}", "—", ""))
        rows.append((f"… size (bytes); projects listed",
                     f"{f(g(f'root_{fmt}_bytes'))}; {f(g(f'root_{fmt}_count'))}",
                     f"= {P:,}" if fmt == "json" else "—",
                     ok(None if g(f"root_{fmt}_count") is None else int(g(f"root_{fmt}_count")) == P)
                     if fmt == "json" else ""))
        rows.append((f"… revalidation, If-None-Match → 304 (ms), median of 5", f(g(f"root_{fmt}_304_ms"), 2),
                     "304", ok(None if g(f"root_{fmt}_304_ok") is None else g(f"root_{fmt}_304_ok") == 1)))
    rss = g("rss_peak_mib")
    rows.append(("wharf peak RSS over the whole run (MiB, VmRSS every 50 ms)", f(rss, 1), "≤ 64 MiB",
                 ok(None if rss is None else rss <= 64.0)))

    md = ["## Wharf Python index at scale\n"]
    md += [f"- {k}: {v}" for k, v in meta_lines]
    md += ["", "| Metric | wharf | Goal | Status |", "|---|---:|---|---|"]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += ["", "### Raw figures\n", "| metric | value |", "|---|---:|"]
    md += [f"| {k} | {v:g} |" for k, v in sorted(d.items())]
    text = "\n".join(md) + "\n"
    with open(out, "w") as fh:
        fh.write(text)
    sys.stdout.write(text)


def main(argv):
    cmds = {"fill": cmd_fill, "bigwheel": cmd_bigwheel, "rootcount": cmd_rootcount, "pagecount": cmd_pagecount,
            "report": cmd_report}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
