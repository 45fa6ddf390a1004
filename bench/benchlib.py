#!/usr/bin/env python3
"""Small helpers for bench/oci.sh (standard library only).

    benchlib.py port                              free TCP port on 127.0.0.1
    benchlib.py sample PID STOP READY OUT.json    sample a process every 50 ms
                                                  until STOP is deleted
    benchlib.py wrk WRK_OUTPUT                    -> "<req/s> <p99 ms> <non-2xx> <socket errors>"
    benchlib.py report RAW.tsv META.tsv OUT.md    markdown table (stdout + OUT.md)

RAW.tsv lines are "<server>\t<metric>\t<value>"; every measurement repeats
(BENCH_RUNS times) and the report takes the median.
"""

import json
import os
import re
import socket
import statistics
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- port
def cmd_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


# ---------------------------------------------------------------- sampler
def _stat_fields(path):
    with open(path) as f:
        data = f.read()
    # "pid (comm) state ppid ..." -- comm may contain spaces/parens
    return data.rsplit(")", 1)[1].split()


def _cpu(pid):
    f = _stat_fields(f"/proc/{pid}/stat")
    return int(f[11]) / CLK_TCK, int(f[12]) / CLK_TCK  # utime, stime


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _threads(pid):
    """[(tid, comm, state, cpu seconds)] of every thread."""
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                data = f.read()
            comm = data[data.index("(") + 1:data.rindex(")")]
            fields = data.rsplit(")", 1)[1].split()
            out.append((tid, comm, fields[0], (int(fields[11]) + int(fields[12])) / CLK_TCK))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return out


def cmd_sample(pid, stop, ready, out):
    pid = int(pid)
    u0, s0 = _cpu(pid)
    t0 = time.monotonic()
    peak = _rss_kib(pid)
    n = 0
    any_r = any_d = 0
    threads_max = 0
    first = {tid: cpu for tid, _, _, cpu in _threads(pid)}
    last = {}
    open(ready, "w").close()
    while os.path.exists(stop):
        try:
            peak = max(peak, _rss_kib(pid))
            th = _threads(pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        for tid, comm, _, cpu in th:
            last[tid] = (comm, cpu)
        st = [t[2] for t in th]
        threads_max = max(threads_max, len(th))
        n += 1
        any_r += "R" in st
        any_d += "D" in st
        time.sleep(0.05)
    for tid, comm, _, cpu in _threads(pid):
        last[tid] = (comm, cpu)
    per_thread = sorted(((round(cpu - first.get(tid, 0.0), 2), comm) for tid, (comm, cpu) in last.items()),
                        reverse=True)
    try:
        peak = max(peak, _rss_kib(pid))
        u1, s1 = _cpu(pid)
    except (FileNotFoundError, ProcessLookupError):
        u1, s1 = u0, s0
    wall = time.monotonic() - t0
    res = {
        "peak_kib": peak,
        "samples": n,
        "user_s": round(u1 - u0, 3),
        "sys_s": round(s1 - s0, 3),
        "wall_s": round(wall, 3),
        "pct_samples_running": round(100.0 * any_r / n, 1) if n else 0.0,
        "pct_samples_disk_wait": round(100.0 * any_d / n, 1) if n else 0.0,
        "threads_max": threads_max,
        "threads_cpu_s": [[comm, cpu] for cpu, comm in per_thread if cpu > 0],
    }
    with open(out, "w") as f:
        json.dump(res, f)


# ---------------------------------------------------------------- wrk
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def _ms(v):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", v)
    if not m:
        raise ValueError(f"cannot parse wrk latency {v!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def cmd_wrk(path):
    text = open(path).read()
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    p99 = re.search(r"^\s*99%\s+(\S+)", text, re.M)
    if not rps or not p99:
        sys.exit(f"benchlib: cannot parse wrk output {path}:\n{text}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errs = sum(int(x) for x in sock.groups()) if sock else 0
    print(f"{float(rps.group(1)):.2f} {_ms(p99.group(1)):.3f} {int(non2xx.group(1)) if non2xx else 0} {errs}")


# ---------------------------------------------------------------- report
def _load(raw):
    d = {}
    for line in open(raw):
        line = line.rstrip("\n")
        if not line:
            continue
        srv, metric, val = line.split("\t")
        d.setdefault((srv, metric), []).append(float(val))
    return d


def cmd_report(raw, meta, out):
    d = _load(raw)
    meta_lines = [l.rstrip("\n").split("\t", 1) for l in open(meta) if l.strip()]

    def med(srv, metric):
        v = d.get((srv, metric))
        return statistics.median(v) if v else None

    def fmt(v, nd):
        return "n/a" if v is None else f"{v:,.{nd}f}"

    def ratio(a, b):
        return None if a is None or not b else a / b

    def ok(cond):
        return "n/a" if cond is None else ("✅ met" if cond else "❌ missed")

    W, D, N = "wharf", "distribution", "nginx"
    rows = []
    goals = []

    for metric, label, goal_x in (
        ("push_mono", "Push 256 MiB monolithic (MiB/s)", 3.0),
        ("push_chunked", "Push 256 MiB chunked 16×16 MiB (MiB/s)", 3.0),
    ):
        w, dd = med(W, metric), med(D, metric)
        r = ratio(w, dd)
        met = None if r is None else r >= goal_x
        rows.append((label, fmt(w, 0), fmt(dd, 0), "—", fmt(r, 2) + "×" if r else "n/a",
                     f"≥ {goal_x:g}× distribution", ok(met)))
        goals.append(f"- {label}: wharf/distribution = {fmt(r, 2)}× (goal ≥ {goal_x:g}×) → {ok(met)}")

    w, dd, n = med(W, "pull"), med(D, "pull"), med(N, "pull")
    r, rn = ratio(w, dd), ratio(w, n)
    met = None if rn is None else rn >= 1.0
    rows.append(("Pull 256 MiB blob, warm cache (MiB/s)", fmt(w, 0), fmt(dd, 0), fmt(n, 0),
                 fmt(r, 2) + "×" if r else "n/a", "≥ nginx sendfile", ok(met)))
    goals.append(f"- Pull: wharf/nginx-sendfile = {fmt(rn, 2)}× (goal ≥ 1.00×), "
                 f"wharf/distribution = {fmt(r, 2)}× → {ok(met)}")

    w, dd, n = med(W, "manifest_rps"), med(D, "manifest_rps"), med(N, "manifest_rps")
    wp, dp, np_ = med(W, "manifest_p99_ms"), med(D, "manifest_p99_ms"), med(N, "manifest_p99_ms")
    r = ratio(w, dd)
    met_r = None if r is None else r >= 10.0
    met_p = None if wp is None else wp < 5.0
    rows.append(("Manifest GET, wrk -t2 -c16 (req/s)", fmt(w, 0), fmt(dd, 0), fmt(n, 0) + " (1 KiB file)",
                 fmt(r, 2) + "×" if r else "n/a", "≥ 10× distribution", ok(met_r)))
    rows.append(("Manifest GET p99 latency (ms)", fmt(wp, 2), fmt(dp, 2), fmt(np_, 2),
                 fmt(ratio(wp, dp), 2) + "×" if ratio(wp, dp) else "n/a", "< 5 ms", ok(met_p)))
    goals.append(f"- Manifest GETs: wharf/distribution = {fmt(r, 2)}× (goal ≥ 10×) → {ok(met_r)}; "
                 f"wharf p99 = {fmt(wp, 2)} ms (goal < 5 ms) → {ok(met_p)}")

    wi, di = med(W, "rss_idle_mib"), med(D, "rss_idle_mib")
    wpk, dpk = med(W, "rss_peak_mib"), med(D, "rss_peak_mib")
    met_i = None if wi is None else wi <= 15.0
    met_k = None if wpk is None else wpk <= 64.0
    rows.append(("RSS idle, after start + 1 small push (MiB)", fmt(wi, 1), fmt(di, 1), "—", "—", "≤ 15 MiB", ok(met_i)))
    rows.append(("RSS peak while pushing 2 GiB monolithic (MiB)", fmt(wpk, 1), fmt(dpk, 1), "—", "—", "≤ 64 MiB",
                 ok(met_k)))
    goals.append(f"- RSS idle: wharf {fmt(wi, 1)} MiB (goal ≤ 15 MiB) → {ok(met_i)}; distribution {fmt(di, 1)} MiB")
    goals.append(f"- RSS pushing 2 GiB: wharf {fmt(wpk, 1)} MiB (goal ≤ 64 MiB) → {ok(met_k)}; "
                 f"distribution {fmt(dpk, 1)} MiB")

    hdr = ("Metric (median of runs)", "wharf", "distribution 2.8.2", "nginx (sendfile)", "wharf / distribution",
           "Goal", "Status")
    table = ["| " + " | ".join(hdr) + " |", "|" + "|".join(["---"] + ["---:"] * 4 + ["---", "---"]) + "|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]

    # ---- diagnostics: where the servers spent CPU
    diag = []
    for srv in (W, D, N):
        for key, label in (("mono", "256 MiB monolithic push"), ("chunked", "256 MiB chunked push"),
                           ("pull", "pull of 4 × 256 MiB"), ("big", "2 GiB monolithic push")):
            u, s, wl = med(srv, f"cpu_{key}_user_s"), med(srv, f"cpu_{key}_sys_s"), med(srv, f"cpu_{key}_wall_s")
            if u is None or wl is None:
                continue
            util = 100.0 * (u + s) / wl if wl else 0.0
            line = (f"- {srv}, {label}: wall {wl:.2f} s, server CPU user {u:.2f} s + sys {s:.2f} s "
                    f"= {util:.0f}% of one core")
            cc = med(srv, f"client_{key}_cpu_s")
            if cc is not None and wl:
                line += f"; client curl CPU {cc:.2f} s = {100.0 * cc / wl:.0f}% of one core"
            if key == "big":
                line += (f"; {fmt(med(srv, 'big_mibps'), 0)} MiB/s; threads running in "
                         f"{fmt(med(srv, 'big_pct_running'), 0)}% of 50 ms samples, in disk wait (D) in "
                         f"{fmt(med(srv, 'big_pct_diskwait'), 0)}%")
            diag.append(line)
    outdir = os.path.dirname(os.path.abspath(out))
    for srv in (W, D):
        path = os.path.join(outdir, f"sampler-{srv}-run1.json")
        if os.path.exists(path):
            r = json.load(open(path))
            th = r.get("threads_cpu_s", [])
            if th and r.get("wall_s"):
                diag.append(f"- {srv}, per-thread CPU during the 2 GiB push (run 1, wall {r['wall_s']:.2f} s): "
                            + ", ".join(f"{comm} {cpu:.2f} s ({100.0 * cpu / r['wall_s']:.0f}%)"
                                        for comm, cpu in th[:4]))
    for srv in (W, D, N):
        v = med(srv, "rss_after_bench_mib")
        if v is not None:
            diag.append(f"- {srv}: RSS after the push/pull/wrk phase {v:.1f} MiB")


    md = []
    md.append("## Wharf OCI benchmark\n")
    for k, v in meta_lines:
        md.append(f"- {k}: {v}")
    md.append("")
    md += table
    md.append("")
    md.append("### Against the goals\n")
    md += goals
    md.append("")
    md.append("### Where the time went (server process, /proc/PID/stat)\n")
    md += diag or ["- (no CPU samples)"]
    md.append("")
    md += raw_section(d)
    write_report(md, out)


def raw_section(d):
    """Markdown lines listing every raw sample of _load's dict."""
    md = ["### Raw samples\n", "| server | metric | samples |", "|---|---|---|"]
    for (srv, metric), vals in sorted(d.items()):
        md.append(f"| {srv} | {metric} | " + ", ".join(f"{v:g}" for v in vals) + " |")
    return md


def write_report(md, out):
    """Write markdown lines to OUT and stdout."""
    text = "\n".join(md) + "\n"
    with open(out, "w") as f:
        f.write(text)
    sys.stdout.write(text)


def dispatch(argv, doc, cmds):
    """Run cmds[argv[1]](*argv[2:]); the usage text for anything else."""
    if len(argv) < 2 or argv[1] not in cmds:
        sys.exit(doc)
    cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    dispatch(sys.argv, __doc__, {"port": cmd_port, "sample": cmd_sample, "wrk": cmd_wrk, "report": cmd_report})
