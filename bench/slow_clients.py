#!/usr/bin/env python3
"""Helpers for bench/slow_clients.sh (standard library only; reuses benchlib.py).

    slow_clients.py push URL REPO FILE DIGEST
        POST /v2/REPO/blobs/uploads/ + one PUT ?digest= streaming FILE.
    slow_clients.py load URL REPO DIGEST UPLOADERS DOWNLOADERS IDLE RCVBUF READY STOP OUT.json
        Open the hostile load against one server and hold it:
          - UPLOADERS slow uploaders: POST an upload session, then on the same
            connection a PATCH head with Content-Length: 10485760 and 1,000
            bytes of body, then nothing;
          - DOWNLOADERS non-reading downloaders: SO_RCVBUF=RCVBUF, then
            GET /v2/REPO/blobs/DIGEST, and never read;
          - IDLE connections that send nothing.
        Writes READY (JSON: what opened, setup seconds) once every connection
        is open, holds them until STOP is deleted (or this process's parent
        goes away, or SIGTERM), then writes OUT.json: READY's fields plus, per
        kind, how many connections the server had closed by then (TCP state)
        and the status lines it had sent (peeked, never consumed).
    slow_clients.py client URL REPO N TIMEOUT BUDGET OUT.json
        The normal client: N round trips, each on a new connection: POST
        upload + PUT ?digest= of a fresh 64 KiB random blob (monolithic), then
        GET it back and compare. Every request has a hard TIMEOUT seconds
        (SIGALRM) and a TIMEOUT socket timeout; a timeout is a failure. Round
        trips not started within BUDGET seconds of the first count as failed
        ("skipped: budget"). OUT.json: per round trip ms or error.
    slow_clients.py report RAW.tsv META.tsv OUTDIR OUT.md
        Markdown table (stdout + OUT.md). RAW.tsv lines are
        "<server>\\t<metric>\\t<value>" (benchlib's format); OUTDIR holds
        slow_clients-<server>-{load,client}.json.
"""

import hashlib
import http.client
import json
import os
import signal
import socket
import statistics
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402  (_load, raw_section, write_report, dispatch)

SERVERS = ("wharf", "distribution")
PATCH_LENGTH = 10 * 1024 * 1024
PATCH_SENT = 1000
ROUND_TRIP_BLOB = 64 * 1024
SETUP_DEADLINE_S = 60.0
TCP_ESTABLISHED = 1


def _hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80


def _path_of(location):
    """Request target of a Location header (absolute for distribution, relative for wharf)."""
    u = urllib.parse.urlsplit(location)
    return u.path + ("?" + u.query if u.query else "")


def _with_query(path, q):
    return path + ("&" if "?" in path else "?") + q


# ---------------------------------------------------------------- push
def cmd_push(url, repo, path, digest):
    host, port = _hostport(url)
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    r = c.getresponse()
    r.read()
    if r.status != 202:
        sys.exit(f"push: POST answered {r.status}")
    target = _with_query(_path_of(r.getheader("Location")), "digest=" + urllib.parse.quote(digest))
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        c.request("PUT", target, body=f,
                  headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})
        r = c.getresponse()
        body = r.read()
    if r.status != 201:
        sys.exit(f"push: PUT answered {r.status}: {body[:300]!r}")
    c.close()


# ---------------------------------------------------------------- load
def _read_response_head(s):
    """(status, {lower-case header: value}, leftover body bytes) of one response."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def _read_body(s, headers, rest):
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(n - len(rest))
        if not chunk:
            raise ConnectionError("closed in the response body")
        rest += chunk


def _count(d, key):
    d[key] = d.get(key, 0) + 1


def _err(e):
    return f"{type(e).__name__}: {e}"[:120]


def _open_uploader(addr, host_hdr, repo, res):
    s = socket.create_connection(addr, timeout=10)
    try:
        s.sendall(f"POST /v2/{repo}/blobs/uploads/ HTTP/1.1\r\nHost: {host_hdr}\r\n"
                  f"Content-Length: 0\r\n\r\n".encode())
        status, headers, rest = _read_response_head(s)
        _read_body(s, headers, rest)
        _count(res["post_status"], str(status))
        if status != 202 or "location" not in headers:
            raise ConnectionError(f"POST answered {status}")
        s.sendall(f"PATCH {_path_of(headers['location'])} HTTP/1.1\r\nHost: {host_hdr}\r\n"
                  f"Content-Type: application/octet-stream\r\nContent-Length: {PATCH_LENGTH}\r\n\r\n".encode()
                  + os.urandom(PATCH_SENT))
    except BaseException:
        s.close()
        raise
    return s


def _open_downloader(addr, host_hdr, repo, digest, rcvbuf):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: sets the window
        s.settimeout(10)
        s.connect(addr)
        s.sendall(f"GET /v2/{repo}/blobs/{digest} HTTP/1.1\r\nHost: {host_hdr}\r\n\r\n".encode())
    except BaseException:
        s.close()
        raise
    return s


def _open_idle(addr):
    return socket.create_connection(addr, timeout=10)


def _final_state(socks):
    """Per kind: connections still ESTABLISHED, closed/reset by the server, and
    the status lines the server had sent (peeked, not consumed)."""
    out = {"open": 0, "closed": 0, "responses": {}}
    for s in socks:
        s.setblocking(False)  # with a timeout set, recv would poll for it first, flags or not
        try:
            info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
            state = struct.unpack("B", info[:1])[0]
        except OSError:
            state = -1
        try:
            peek = s.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if peek.startswith(b"HTTP/1."):
                _count(out["responses"], peek.split(b" ", 2)[1].decode("latin-1"))
            elif peek == b"":
                _count(out["responses"], "EOF, no response")
        except BlockingIOError:
            pass
        except OSError as e:
            _count(out["responses"], _err(e))
        if state == TCP_ESTABLISHED:
            out["open"] += 1
        else:
            out["closed"] += 1
    return out


def cmd_load(url, repo, digest, uploaders, downloaders, idle, rcvbuf, ready, stop, out):
    host, port = _hostport(url)
    addr, host_hdr = (host, port), f"{host}:{port}"
    want = {"uploaders": int(uploaders), "downloaders": int(downloaders), "idle": int(idle)}
    rcvbuf = int(rcvbuf)
    ppid = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
    socks = {k: [] for k in want}
    res = {k: {"want": n, "opened": 0, "errors": {}} for k, n in want.items()}
    res["uploaders"]["post_status"] = {}
    t0 = time.monotonic()
    deadline = t0 + SETUP_DEADLINE_S
    # idle last: their header-read clock starts at connect
    for kind in ("uploaders", "downloaders", "idle"):
        for _ in range(want[kind]):
            if time.monotonic() > deadline:
                _count(res[kind]["errors"], f"not opened: setup passed {SETUP_DEADLINE_S:.0f} s")
                continue
            try:
                if kind == "uploaders":
                    s = _open_uploader(addr, host_hdr, repo, res[kind])
                elif kind == "downloaders":
                    s = _open_downloader(addr, host_hdr, repo, digest, rcvbuf)
                else:
                    s = _open_idle(addr)
            except (OSError, ValueError, IndexError) as e:
                _count(res[kind]["errors"], _err(e))
                continue
            socks[kind].append(s)
            res[kind]["opened"] += 1
    res["setup_s"] = round(time.monotonic() - t0, 3)
    res["rcvbuf_effective"] = (socks["downloaders"][0].getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
                               if socks["downloaders"] else None)
    with open(ready + ".tmp", "w") as f:
        json.dump(res, f)
    os.rename(ready + ".tmp", ready)
    while os.path.exists(stop) and os.getppid() == ppid:
        time.sleep(0.1)
    res["held_s"] = round(time.monotonic() - t0 - res["setup_s"], 3)
    for kind in want:
        res[kind]["end"] = _final_state(socks[kind])
    with open(out, "w") as f:
        json.dump(res, f)
    # exiting closes every socket


# ---------------------------------------------------------------- normal client
class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout()


def _request(c, timeout, method, target, body=None, headers=None):
    """One request with a hard deadline -> (status, Location, body)."""
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, r.getheader("Location"), data
    except _Timeout:
        raise TimeoutError(f"{method} took more than {timeout:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _round_trip(host, port, repo, timeout):
    blob = os.urandom(ROUND_TRIP_BLOB)
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        st, loc, body = _request(c, timeout, "POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
        if st != 202 or not loc:
            raise RuntimeError(f"POST answered {st}: {body[:100]!r}")
        st, _, body = _request(c, timeout, "PUT", _with_query(_path_of(loc), "digest=" + digest), body=blob,
                               headers={"Content-Type": "application/octet-stream"})
        if st != 201:
            raise RuntimeError(f"PUT answered {st}: {body[:100]!r}")
        st, _, body = _request(c, timeout, "GET", f"/v2/{repo}/blobs/{digest}")
        if st != 200:
            raise RuntimeError(f"GET answered {st}: {body[:100]!r}")
        if body != blob:
            raise RuntimeError(f"GET returned {len(body)} different bytes")
    finally:
        c.close()


def cmd_client(url, repo, n, timeout, budget, out):
    host, port = _hostport(url)
    n, timeout, budget = int(n), float(timeout), float(budget)
    signal.signal(signal.SIGALRM, _alarm)
    trips = []
    t_start = time.monotonic()
    for _ in range(n):
        if time.monotonic() - t_start > budget:
            trips.append({"ok": False, "error": f"skipped: budget of {budget:g} s used up"})
            continue
        t0 = time.perf_counter()
        try:
            _round_trip(host, port, repo, timeout)
            trips.append({"ok": True, "ms": round((time.perf_counter() - t0) * 1000, 3)})
        except Exception as e:  # noqa: BLE001 — every failure is a result
            trips.append({"ok": False, "ms": round((time.perf_counter() - t0) * 1000, 3), "error": _err(e)})
    res = {"n": n, "wall_s": round(time.monotonic() - t_start, 3), "trips": trips}
    with open(out, "w") as f:
        json.dump(res, f)
    ok = sum(t["ok"] for t in trips)
    print(f"{ok}/{n} ok")


# ---------------------------------------------------------------- report
def cmd_report(raw, meta, outdir, out):
    d = benchlib._load(raw)
    meta_lines = [l.rstrip("\n").split("\t", 1) for l in open(meta) if l.strip()]

    def val(srv, metric):
        v = d.get((srv, metric))
        return v[-1] if v else None

    def mib(srv, metric):
        v = val(srv, metric)
        return "n/a" if v is None else f"{v / 1024:,.1f}"

    def num(srv, metric, nd=0):
        v = val(srv, metric)
        return "n/a" if v is None else f"{v:,.{nd}f}"

    def js(srv, kind):
        p = os.path.join(outdir, f"slow_clients-{srv}-{kind}.json")
        return json.load(open(p)) if os.path.exists(p) else None

    cols = {}
    for srv in SERVERS:
        load, client = js(srv, "load"), js(srv, "client")
        c = {}
        if client:
            ok = [t["ms"] for t in client["trips"] if t["ok"]]
            bad = [t for t in client["trips"] if not t["ok"]]
            c["trips"] = f"{len(ok)}/{client['n']}"
            c["p50"] = f"{statistics.median(ok):,.1f}" if ok else "n/a"
            c["max"] = f"{max(ok):,.1f}" if ok else "n/a"
            errs = {}
            for t in bad:
                _count(errs, t["error"])
            c["fail"] = "none" if not bad else f"**{len(bad)}**: " + "; ".join(
                f"{e} ×{k}" for e, k in sorted(errs.items(), key=lambda x: -x[1]))
            c["fail"] = c["fail"].replace("|", "/")
        else:
            c["trips"] = c["p50"] = c["max"] = "n/a"
            c["fail"] = "normal client did not run"
        if load:
            kinds = ("uploaders", "downloaders", "idle")
            c["opened"] = " / ".join(f"{load[k]['opened']}/{load[k]['want']}" for k in kinds)
            c["open_end"] = " / ".join(str(load[k].get("end", {}).get("open", "n/a")) for k in kinds)
            c["setup"] = f"{load['setup_s']:.1f}"
            notes = []
            for k in kinds:
                for e, n in load[k]["errors"].items():
                    notes.append(f"{k} not opened: {e} ×{n}")
                resp = load[k].get("end", {}).get("responses", {})
                if resp:
                    notes.append(f"{k} got: " + ", ".join(f"{s} ×{n}" for s, n in sorted(resp.items())))
            ps = load["uploaders"].get("post_status", {})
            if ps and set(ps) != {"202"}:
                notes.append("upload POSTs: " + ", ".join(f"{s} ×{n}" for s, n in sorted(ps.items())))
            c["notes"] = "; ".join(notes).replace("|", "/") or "—"
        else:
            c["opened"] = c["open_end"] = c["setup"] = "n/a"
            c["notes"] = "load generator did not report"
        c["rss_idle"] = mib(srv, "rss_idle_kib")
        c["hwm"] = mib(srv, "hwm_load_kib")
        c["rss_peak"] = mib(srv, "rss_sampled_peak_kib")
        c["rss_end"] = f"{mib(srv, 'rss_end_kib')} ({mib(srv, 'rss_anon_end_kib')} + {mib(srv, 'rss_file_end_kib')})"
        c["rss_after"] = mib(srv, "rss_after_kib")
        c["threads"] = f"{num(srv, 'threads_idle')} / {num(srv, 'threads_max')} / {num(srv, 'threads_end')}"
        u, s_ = val(srv, "cpu_user_s"), val(srv, "cpu_sys_s")
        c["cpu"] = "n/a" if u is None else f"{u:.2f} + {s_:.2f}"
        c["window"] = num(srv, "window_s", 1)
        c["alive"] = "yes" if val(srv, "alive_end") == 1 else "**no**"
        cols[srv] = c

    rows = (
        ("Normal round trips OK (POST+PUT 64 KiB, GET back)", "trips"),
        ("Round trip p50 (ms)", "p50"),
        ("Round trip max (ms)", "max"),
        ("Failed round trips", "fail"),
        ("RSS, no load (MiB)", "rss_idle"),
        ("Peak RSS under load, VmHWM (MiB)", "hwm"),
        ("Peak RSS under load, VmRSS every 50 ms (MiB)", "rss_peak"),
        ("RSS at the end of the window (MiB): total (anon + file-backed)", "rss_end"),
        ("RSS 1 s after the load disconnected (MiB)", "rss_after"),
        ("Threads: no load / peak under load / end of window", "threads"),
        ("Server CPU, load connect + window (user + sys s)", "cpu"),
        ("Load opened: uploaders / downloaders / idle", "opened"),
        ("Load still connected at the end: up / down / idle", "open_end"),
        ("Seconds to open the load", "setup"),
        ("Window: load open → figures read (s)", "window"),
        ("Server alive at the end", "alive"),
        ("Load notes (what the server answered)", "notes"),
    )
    table = ["| Measurement | wharf | distribution 2.8.2 |", "|---|---:|---:|"]
    for label, key in rows:
        table.append(f"| {label} | {cols['wharf'][key]} | {cols['distribution'][key]} |")

    md = ["## Slow and idle clients: wharf vs distribution\n"]
    md += [f"- {k}: {v}" for k, v in meta_lines]
    md.append("")
    md += table
    md.append("")
    md += benchlib.raw_section(d)
    benchlib.write_report(md, out)


if __name__ == "__main__":
    benchlib.dispatch(sys.argv, __doc__,
                      {"push": cmd_push, "load": cmd_load, "client": cmd_client, "report": cmd_report})
