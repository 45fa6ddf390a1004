#!/usr/bin/env python3
"""Helpers for bench/pypi.sh (standard library only).

    pypilib.py gen DIR N
        N minimal, distinct, valid wheels DIR/pkgNNNN-1.0-py3-none-any.whl
        (METADATA 2.1, WHEEL, RECORD with hashes, one module).
    pypilib.py upload URL DIR START END OUT.json PID [--auth USER:PW] [--deadline EPOCH]
        Upload wheels pkgSTART..pkg(END-1) sequentially to URL over ONE
        keep-alive HTTP connection, with the multipart form twine sends
        (:action=file_upload, protocol_version=1, metadata fields, sha256 and
        blake2_256 digests, `content` part). Bodies are built before the clock
        starts. Stops early (and says so) at the --deadline (unix time).
        OUT.json: n, wall_s, server CPU (PID and all its descendants) user/sys.
    pypilib.py static OUTDIR WHEELDIR N
        A static PEP 503 + PEP 658 index of the first N wheels (OUTDIR/simple/
        <name>/index.html, OUTDIR/files/<wheel> and <wheel>.metadata), for
        a file server: the floor a client like uv can reach.
    pypilib.py keepalive PAGE_URL N
        Fetch the project page, then GET the first wheel it links N times in a
        row on one keep-alive connection: "<mean ms of GETs 2..N> <max ms>
        <how many of them took > 20 ms> <N-1>"
        (shows per-response stalls such as Nagle + delayed ACK).
    pypilib.py treecpu PID
        "<user s> <sys s>" of PID and all its descendants.
    pypilib.py hwm PID
        peak RSS (VmHWM, MiB) of PID (largest over PID and descendants).
    pypilib.py report RAW.tsv META.tsv OUT.md
        markdown table (stdout + OUT.md).

RAW.tsv lines are "<server>\t<metric>\t<value>"; repeated measurements are
reported as the median.
"""

import base64
import hashlib
import http.client
import io
import json
import os
import statistics
import sys
import time
import urllib.parse
import zipfile

CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVERS = ("wharf", "pypiserver", "devpi")


# ---------------------------------------------------------------- wheels
def wheel_name(i):
    return f"pkg{i:04d}-1.0-py3-none-any.whl"


def _b64(digest):
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build_wheel(name, version, summary, module_code):
    """A minimal valid wheel: one module, METADATA 2.1, WHEEL, and a RECORD
    listing every member (sha256 + size) and itself. Deterministic bytes."""
    di = f"{name}-{version}.dist-info"
    members = [
        (f"{name}/__init__.py", module_code.encode()),
        (f"{di}/METADATA", (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                            f"Summary: {summary}\n\n").encode()),
        (f"{di}/WHEEL", b"Wheel-Version: 1.0\nGenerator: wharf-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = "".join(f"{p},sha256={_b64(hashlib.sha256(d).digest())},{len(d)}\n" for p, d in members)
    record += f"{di}/RECORD,,\n"
    members.append((f"{di}/RECORD", record.encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in members:
            zi = zipfile.ZipInfo(p, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, d)
    return buf.getvalue()


def make_wheel(i):
    return build_wheel(f"pkg{i:04d}", "1.0", f"Wharf benchmark package {i}", f"VALUE = {i}\n")


def cmd_gen(d, n):
    os.makedirs(d, exist_ok=True)
    for i in range(int(n)):
        with open(os.path.join(d, wheel_name(i)), "wb") as f:
            f.write(make_wheel(i))


def cmd_static(out, wheels, n):
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    for i in range(int(n)):
        fn = wheel_name(i)
        with open(os.path.join(wheels, fn), "rb") as f:
            data = f.read()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            meta = z.read(f"pkg{i:04d}-1.0.dist-info/METADATA")
        with open(os.path.join(out, "files", fn), "wb") as f:
            f.write(data)
        with open(os.path.join(out, "files", fn + ".metadata"), "wb") as f:
            f.write(meta)
        sha, msha = hashlib.sha256(data).hexdigest(), hashlib.sha256(meta).hexdigest()
        d = os.path.join(out, "simple", f"pkg{i:04d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write(f'<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.1">\n'
                    f'    <title>Links for pkg{i:04d}</title>\n  </head>\n  <body>\n    <h1>Links for pkg{i:04d}</h1>\n'
                    f'    <a href="../../files/{fn}#sha256={sha}" data-core-metadata="sha256={msha}" '
                    f'data-dist-info-metadata="sha256={msha}">{fn}</a><br />\n  </body>\n</html>\n')


def cmd_keepalive(page_url, n):
    import re
    import urllib.request
    html = urllib.request.urlopen(urllib.request.Request(page_url, headers={"Accept": "text/html"})).read().decode()
    m = re.search(r'href="([^"#]+\.whl)[#"]', html)
    if not m:
        sys.exit(f"pypilib keepalive: no wheel link on {page_url}")
    u = urllib.parse.urlsplit(urllib.parse.urljoin(page_url, m.group(1)))
    path = u.path + (f"?{u.query}" if u.query else "")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    times = []
    for _ in range(int(n)):
        t0 = time.monotonic()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        times.append(1000 * (time.monotonic() - t0))
        if r.status in (301, 302, 303, 307, 308):
            sys.exit(f"pypilib keepalive: {path} redirects to {r.getheader('Location')}")
        if r.status != 200 or not body:
            sys.exit(f"pypilib keepalive: GET {path}: HTTP {r.status}")
    conn.close()
    rest = times[1:] or times
    print(f"{statistics.mean(rest):.2f} {max(rest):.2f} {sum(t > 20 for t in rest)} {len(rest)}")


# ---------------------------------------------------------------- CPU of a process tree
def _children_map():
    kids = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            kids.setdefault(int(fields[1]), []).append(int(e))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return kids


def tree(pid):
    kids = _children_map()
    out, todo = [], [int(pid)]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def tree_cpu(pids):
    """(user s, sys s) summed over pids (threads included; exited children's
    time is in cutime/cstime, which we add too)."""
    u = s = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        u += int(fields[11]) + int(fields[13])
        s += int(fields[12]) + int(fields[14])
    return u / CLK_TCK, s / CLK_TCK


def cmd_treecpu(pid):
    u, s = tree_cpu(tree(pid))
    print(f"{u:.2f} {s:.2f}")


def cmd_hwm(pid):
    best = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
    print(f"{best / 1024:.1f}")


# ---------------------------------------------------------------- upload
def upload_form(name, version, summary, filename, data):
    """The multipart body twine 7 sends for a wheel (field order included)."""
    fields = [
        ("metadata_version", "2.1"),
        ("name", name),
        ("version", version),
        ("summary", summary),
        ("pyversion", "py3"),
        ("filetype", "bdist_wheel"),
        ("sha256_digest", hashlib.sha256(data).hexdigest()),
        ("blake2_256_digest", hashlib.blake2b(data, digest_size=32).hexdigest()),
        (":action", "file_upload"),
        ("protocol_version", "1"),
    ]
    boundary = hashlib.md5(data).hexdigest()
    parts = []
    for k, v in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode())
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def _form(i, data):
    return upload_form(f"pkg{i:04d}", "1.0", f"Wharf benchmark package {i}", wheel_name(i), data)


def post_once_more_on_reset(conn, u, path, body, headers):
    """POST on a keep-alive connection; if the server closed it meanwhile,
    reconnect and send once more. Returns (conn, response, body, reconnects)."""
    for attempt in (0, 1):
        try:
            conn.request("POST", path, body=body, headers=headers)
            r = conn.getresponse()
            return conn, r, r.read(), attempt
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.CannotSendRequest):
            if attempt:
                raise
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def cmd_upload(url, d, start, end, out, pid, *opts):
    start, end = int(start), int(end)
    auth = deadline = None
    opts = list(opts)
    while opts:
        k = opts.pop(0)
        if k == "--auth":
            auth = "Basic " + base64.b64encode(opts.pop(0).encode()).decode()
        elif k == "--deadline":
            deadline = float(opts.pop(0))
        else:
            sys.exit(f"pypilib upload: unknown option {k}")
    u = urllib.parse.urlsplit(url)
    path = u.path or "/"
    bodies = []
    for i in range(start, end):
        with open(os.path.join(d, wheel_name(i)), "rb") as f:
            bodies.append(_form(i, f.read()))
    base_headers = {"User-Agent": "wharf-bench (twine-like form)", "Connection": "keep-alive"}
    if auth:
        base_headers["Authorization"] = auth
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    reconnects = 0
    pids = tree(pid)
    c0 = tree_cpu(pids)
    t0 = time.monotonic()
    n = 0
    stopped_early = False
    for ctype, body in bodies:
        if deadline is not None and time.time() >= deadline:
            stopped_early = True
            break
        h = dict(base_headers)
        h["Content-Type"] = ctype
        h["Content-Length"] = str(len(body))
        conn, r, text, again = post_once_more_on_reset(conn, u, path, body, h)
        reconnects += again
        if not 200 <= r.status < 300:
            sys.exit(f"pypilib upload: {url} {wheel_name(start + n)}: HTTP {r.status} {r.reason}: {text[:300]!r}")
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            reconnects += 1
        n += 1
    wall = time.monotonic() - t0
    pids = sorted(set(pids) | set(tree(pid)))
    c1 = tree_cpu(pids)
    conn.close()
    res = {"n": n, "wall_s": round(wall, 4), "cpu_user_s": round(c1[0] - c0[0], 3),
           "cpu_sys_s": round(c1[1] - c0[1], 3), "reconnects": reconnects, "stopped_early": stopped_early,
           "client_cpu_s": round(sum(os.times()[:2]), 3)}
    with open(out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res))


# ---------------------------------------------------------------- report
def _load(raw):
    d = {}
    for line in open(raw):
        line = line.rstrip("\n")
        if line:
            srv, metric, val = line.split("\t")
            d.setdefault((srv, metric), []).append(float(val))
    return d


def cmd_report(raw, meta, out):
    d = _load(raw)
    meta_lines = [l.rstrip("\n").split("\t", 1) for l in open(meta) if l.strip()]
    W, P, D = SERVERS

    def med(srv, metric):
        v = d.get((srv, metric))
        return statistics.median(v) if v else None

    def runs(srv, metric):
        return len(d.get((srv, metric), []))

    def fmt(v, nd):
        return "n/a" if v is None else f"{v:,.{nd}f}"

    def ratio(a, b):
        return None if a is None or not b else a / b

    def fx(r):
        return "n/a" if r is None else f"{r:.2f}×"

    def ok(cond):
        return "n/a" if cond is None else ("✅ met" if cond else "❌ missed")

    def cell(srv, metric, nd, suffix=""):
        v = med(srv, metric)
        if v is None:
            return "n/a"
        n = runs(srv, metric)
        return fmt(v, nd) + suffix + ("" if n >= 3 else f" ({n} run{'s' if n > 1 else ''})")

    rows, goals = [], []
    hdr = ("Metric (median of runs)", "wharf", "pypiserver", "devpi", "wharf / devpi", "Goal", "Status")

    # 1. uploads
    nfiles = int(med(W, "upload_files") or 1000)
    rows.append((f"Upload {nfiles:,} wheels, one client, keep-alive (wall s)", cell(W, "upload_wall_s", 2),
                 cell(P, "upload_wall_s", 2), cell(D, "upload_wall_s", 2),
                 fx(ratio(med(W, "upload_wall_s"), med(D, "upload_wall_s"))), "—", ""))
    wc = med(W, "upload_cpu_ms")
    met = None if wc is None else wc <= 2.0
    rows.append(("Server CPU per upload (ms)", cell(W, "upload_cpu_ms", 2), cell(P, "upload_cpu_ms", 2),
                 cell(D, "upload_cpu_ms", 1), fx(ratio(wc, med(D, "upload_cpu_ms"))), "≤ 2 ms", ok(met)))
    goals.append(f"- Upload: wharf server CPU {fmt(wc, 2)} ms per file (goal ≤ 2 ms) → {ok(met)}; "
                 f"pypiserver {fmt(med(P, 'upload_cpu_ms'), 2)} ms, devpi {fmt(med(D, 'upload_cpu_ms'), 1)} ms; "
                 f"{nfiles:,} uploads took {fmt(med(W, 'upload_wall_s'), 2)} s on wharf, "
                 f"{fmt(med(P, 'upload_wall_s'), 2)} s on pypiserver, {fmt(med(D, 'upload_wall_s'), 2)} s on devpi")

    # 2. project pages
    sizes = sorted({int(m.split("_")[1]) for (_, m) in d if m.startswith("page_") and m.endswith("_rps")})
    wrps = {n: med(W, f"page_{n}_rps") for n in sizes}

    def size_label(srv, n):
        reached = med(srv, f"page_{n}_projects")
        return "" if reached is None or int(reached) == n else f" @{int(reached):,}"

    for n in sizes:
        w = wrps[n]
        dv = med(D, f"page_{n}_rps")
        r = ratio(w, dv)
        met = None if r is None else r >= 15.0
        rows.append((f"Project page GET, {n:,} projects, wrk -t2 -c16 (req/s)",
                     cell(W, f"page_{n}_rps", 0) + size_label(W, n), cell(P, f"page_{n}_rps", 1) + size_label(P, n),
                     cell(D, f"page_{n}_rps", 0) + size_label(D, n), fx(r), "≥ 15× devpi", ok(met)))
        rows.append((f"Project page p99, {n:,} projects (ms)", cell(W, f"page_{n}_p99_ms", 2),
                     cell(P, f"page_{n}_p99_ms", 1), cell(D, f"page_{n}_p99_ms", 1),
                     fx(ratio(med(W, f"page_{n}_p99_ms"), med(D, f"page_{n}_p99_ms"))), "—", ""))
        note = size_label(D, n)
        goals.append(f"- Project page at {n:,} projects: wharf/devpi = {fx(r)} (goal ≥ 15×) → {ok(met)}"
                     + (f" (devpi measured at{note} projects, the size it reached in the fill budget)" if note else ""))
    if sizes:
        lo, hi = sizes[0], sizes[-1]
        drop = None if not wrps.get(lo) or wrps.get(hi) is None else 100.0 * (1 - wrps[hi] / wrps[lo])
        met = None if drop is None else drop <= 10.0
        rows.append((f"Page req/s drop {lo:,} → {hi:,} projects", fmt(drop, 1) + " %",
                     fmt(None if not med(P, f'page_{lo}_rps') or med(P, f'page_{hi}_rps') is None else
                         100.0 * (1 - med(P, f'page_{hi}_rps') / med(P, f'page_{lo}_rps')), 1) + " %",
                     fmt(None if not med(D, f'page_{lo}_rps') or med(D, f'page_{hi}_rps') is None else
                         100.0 * (1 - med(D, f'page_{hi}_rps') / med(D, f'page_{lo}_rps')), 1) + " %"
                     + size_label(D, hi), "—", "≤ 10 %", ok(met)))
        goals.append(f"- Flatness: wharf page req/s drops {fmt(drop, 1)} % from {lo:,} to {hi:,} projects "
                     f"(goal ≤ 10 %) → {ok(met)}")

    # 3. uv install
    w, dv = med(W, "uv_install_s"), med(D, "uv_install_s")
    r = ratio(w, dv)
    met = None if r is None else r <= 0.8
    at = med(W, "uv_projects")
    rows.append((f"`uv pip install` 20 packages, cold cache, {int(at) if at else '?':,} projects (wall s)",
                 cell(W, "uv_install_s", 3), cell(P, "uv_install_s", 3), cell(D, "uv_install_s", 3), fx(r),
                 "≤ 0.8× devpi", ok(met)))
    floor = med("nginx-static", "uv_install_s")
    goals.append(f"- uv install: wharf/devpi = {fx(r)} (goal ≤ 0.80×) → {ok(met)}; "
                 f"wharf {fmt(w, 3)} s, devpi {fmt(dv, 3)} s, pypiserver {fmt(med(P, 'uv_install_s'), 3)} s"
                 + ("" if floor is None else
                    f"; floor (the same 20 projects as static files + PEP 658 .metadata from nginx): {fmt(floor, 3)} s "
                    f"= {fx(ratio(floor, dv))} devpi, so the goal leaves a server {fmt(None if dv is None else 0.8 * dv - floor, 3)} s "
                    f"above the floor and wharf is {fmt(None if w is None else w - floor, 3)} s above it"))

    # 4. RSS
    wp = med(W, "rss_peak_mib")
    met = None if wp is None else wp <= 64.0
    rows.append(("Peak RSS over the whole run (MiB; peers: VmHWM)", fmt(wp, 1), fmt(med(P, "rss_hwm_mib"), 1),
                 fmt(med(D, "rss_hwm_mib"), 1),
                 fx(ratio(wp, med(D, "rss_hwm_mib"))), "≤ 64 MiB", ok(met)))
    goals.append(f"- RSS: wharf peak {fmt(wp, 1)} MiB over the whole run, VmRSS sampled every 50 ms "
                 f"(VmHWM {fmt(med(W, 'rss_hwm_mib'), 1)} MiB; goal ≤ 64 MiB) → {ok(met)}")

    table = ["| " + " | ".join(hdr) + " |", "|" + "|".join(["---"] + ["---:"] * 4 + ["---", "---"]) + "|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]

    # diagnostics
    diag = []
    for srv in SERVERS:
        parts = []
        for n in sizes:
            us = med(srv, f"page_{n}_cpu_us")
            if us is not None:
                parts.append(f"{us:,.0f} µs at {int(med(srv, f'page_{n}_projects') or n):,}")
        if parts:
            diag.append(f"- {srv}: server CPU per project-page request (user+sys / requests during wrk): "
                        + ", ".join(parts))
    for srv in SERVERS:
        parts = []
        for key, label in (("upload_cpu_ms", "timed runs"), ("fill_cpu_ms", "fill")):
            v = d.get((srv, key))
            if v:
                parts.append(f"{label}: " + ", ".join(f"{x:.2f}" for x in v))
        u, s = med(srv, "upload_cpu_user_ms"), med(srv, "upload_cpu_sys_ms")
        if parts:
            diag.append(f"- {srv}: server CPU per upload in ms ({'; '.join(parts)})"
                        + ("" if u is None else f"; median split user {u:.2f} + sys {s:.2f} ms")
                        + (f"; client CPU per upload {med(srv, 'upload_client_ms'):.2f} ms"
                           if med(srv, "upload_client_ms") is not None else ""))
    for srv in SERVERS + ("nginx-static",):
        v, c = med(srv, "uv_install_s"), med(srv, "uv_server_cpu_s")
        if v is not None and c is not None:
            diag.append(f"- {srv}: one `uv pip install`: {v:.3f} s wall, of which uv reports resolve "
                        f"{fmt(med(srv, 'uv_resolve_ms'), 0)} ms + prepare (download) {fmt(med(srv, 'uv_prepare_ms'), 0)} ms"
                        f" + install {fmt(med(srv, 'uv_installed_ms'), 0)} ms (the rest is uv start-up and "
                        f"interpreter discovery); server CPU {c:.3f} s, uv CPU {fmt(med(srv, 'uv_client_cpu_s'), 3)} s")
    parts = []
    for srv in SERVERS + ("nginx-static",):
        v, mx = med(srv, "file_get_ms"), med(srv, "file_get_max_ms")
        slow, tot = d.get((srv, "file_get_slow"), []), d.get((srv, "file_get_n"), [])
        if v is not None:
            parts.append(f"{srv} mean {v:.2f} ms, max {mx:.1f} ms, {int(sum(slow))} of {int(sum(tot))} over 20 ms")
    if parts:
        diag.append("- GET of one wheel file repeated on one keep-alive connection (python http.client, GETs 2–20 of "
                    "each run; median of runs): " + "; ".join(parts) + ". A GET near 40 ms is a response whose "
                    "body waited for the client's delayed ACK (Nagle: headers and body in separate writes, "
                    "no TCP_NODELAY)")
    noise = []
    keys = sorted({m[:-len("_other_pct")] for (_, m) in d if m.endswith("_other_pct")},
                  key=lambda k: (k.startswith("uv"), int(k.split("_")[1]) if k.startswith("page_") else 0))
    for k in keys:
        oth = [v for srv in SERVERS + ("nginx-static",) for v in d.get((srv, f"{k}_other_pct"), [])]
        st = [v for srv in SERVERS + ("nginx-static",) for v in d.get((srv, f"{k}_steal_pct"), [])]
        if oth:
            noise.append(f"{k.replace('page_', 'pages@').replace('uv', 'uv install')}: other ≤ {max(oth):.0f}%, "
                         f"steal ≤ {max(st):.0f}%")
    if noise:
        diag.append("- Noise check (share of the machine's CPU during each sample that went to processes other than "
                    "the servers and their client, and VM steal time; the worst sample per group): "
                    + "; ".join(noise))
    for srv in SERVERS:
        v = med(srv, "fill_reached")
        if v is not None:
            diag.append(f"- {srv}: index size at the largest page measurement: {int(v):,} projects"
                        + (f" (fill stopped by the time budget)" if v < max(sizes or [0]) else ""))
    outdir = os.path.dirname(os.path.abspath(out))
    path = os.path.join(outdir, "pypi-sampler-wharf.json")
    if os.path.exists(path):
        r = json.load(open(path))
        th = r.get("threads_cpu_s", [])
        if th and r.get("wall_s"):
            diag.append(f"- wharf, per-thread CPU over the whole run (wall {r['wall_s']:.0f} s, "
                        f"user {r['user_s']:.1f} s + sys {r['sys_s']:.1f} s): "
                        + ", ".join(f"{comm} {cpu:.1f} s" for cpu_comm in [th] for comm, cpu in cpu_comm[:5]))

    samples = [f"| {srv} | {metric} | " + ", ".join(f"{v:g}" for v in vals) + " |"
               for (srv, metric), vals in sorted(d.items())]
    md = ["## Wharf Python index benchmark\n"]
    md += [f"- {k}: {v}" for k, v in meta_lines]
    md.append("")
    md += table
    md += ["", "### Against the goals\n"] + goals
    md += ["", "### Where the time went (server processes, /proc/PID/stat)\n"] + (diag or ["- (none)"])
    md += ["", "### Raw samples\n", "| server | metric | samples |", "|---|---|---|"] + samples
    text = "\n".join(md) + "\n"
    with open(out, "w") as f:
        f.write(text)
    sys.stdout.write(text)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmds = {"gen": cmd_gen, "static": cmd_static, "keepalive": cmd_keepalive, "upload": cmd_upload, "treecpu": cmd_treecpu, "hwm": cmd_hwm, "report": cmd_report}
    if argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
