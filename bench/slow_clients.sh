#!/usr/bin/env bash
# bench/slow_clients.sh — Wharf (release build) side by side with CNCF
# distribution 2.8.2 (Debian's docker-registry) under hostile connections, one
# server at a time, in one run:
#
#   - SLOW_UPLOADERS (250): POST an upload session, then a PATCH head with
#     Content-Length: 10485760 and 1,000 bytes of body, then nothing;
#   - SLOW_DOWNLOADERS (250): GET a 64 MiB blob and never read (small SO_RCVBUF);
#   - IDLE (500): connect and send nothing.
#
# While all of them are connected, a normal client does BENCH_ROUND_TRIPS (20)
# round trips (new connection; POST + PUT of a 64 KiB blob, GET it back), each
# request with a 10 s deadline. Recorded: round trip p50/max and failures,
# server RSS with no load, VmHWM (reset before the load) and sampled VmRSS
# under load, RSS at the end of the window and after the load left, threads.
# Prints a markdown table and writes it to bench/out/slow_clients.md.
#
# Env knobs: SLOW_UPLOADERS (250), SLOW_DOWNLOADERS (250), IDLE (500),
#            BENCH_ROUND_TRIPS (20), BENCH_TIMEOUT (10 s per request),
#            BENCH_SETTLE (2 s between the load being open and the round trips),
#            BENCH_CLIENT_BUDGET (12 s: round trips not started by then fail),
#            BENCH_RCVBUF (4096: SO_RCVBUF of the non-reading downloaders),
#            BENCH_DISK_DIR (/var/tmp), BENCH_SHM_DIR (/dev/shm), BENCH_SKIP_BUILD=1.
set -euo pipefail
export LC_ALL=C

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
PY="$BENCH_DIR/slow_clients.py"   # push, load generator, normal client, report
BL="$BENCH_DIR/benchlib.py"       # RSS/thread sampler

UPLOADERS="${SLOW_UPLOADERS:-250}"
DOWNLOADERS="${SLOW_DOWNLOADERS:-250}"
IDLE_CONNS="${IDLE:-500}"
ROUND_TRIPS="${BENCH_ROUND_TRIPS:-20}"
TIMEOUT="${BENCH_TIMEOUT:-10}"
SETTLE="${BENCH_SETTLE:-2}"
CLIENT_BUDGET="${BENCH_CLIENT_BUDGET:-12}"
RCVBUF="${BENCH_RCVBUF:-4096}"
BLOB_MIB=64
LOAD_REPO=bench/slow
CLIENT_REPO=bench/normal

BENCH_NAME=bench/slow_clients.sh
. "$BENCH_DIR/lib.sh"   # die, log, need, build_wharf, start_wharf, start_distribution, stop_all, ...

# ------------------------------------------------------------------ tools + knobs
need curl "apt-get install curl"
need python3 "apt-get install python3"
need docker-registry "scripts/install-test-deps.sh installs it (Debian docker-registry = distribution 2.8.2)"
need sha256sum; need awk; need df
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || need cargo "install Rust (rustup)"
for v in UPLOADERS DOWNLOADERS IDLE_CONNS ROUND_TRIPS TIMEOUT SETTLE CLIENT_BUDGET RCVBUF; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
[ "$ROUND_TRIPS" -ge 1 ] || die "BENCH_ROUND_TRIPS must be ≥ 1"
# The load must still be connected when the figures are read: wharf closes a
# connection that has not sent a request head after 30 s.
[ $(( SETTLE + CLIENT_BUDGET + TIMEOUT )) -lt 30 ] \
    || log "warning: BENCH_SETTLE + BENCH_CLIENT_BUDGET + BENCH_TIMEOUT ≥ 30 s; wharf may drop the idle load before the figures are read"

# Our sockets and the servers' (they inherit the limit).
ulimit -n "$(ulimit -Hn)"
FDS_NEEDED=$(( UPLOADERS + DOWNLOADERS + IDLE_CONNS + 256 ))
[ "$(ulimit -n)" -ge "$FDS_NEEDED" ] || die "open-file limit $(ulimit -n) (hard) is below the $FDS_NEEDED this load needs"

# ------------------------------------------------------------------ build
build_wharf

# ------------------------------------------------------------------ temp dirs
SHM_BASE="${BENCH_SHM_DIR:-/dev/shm}"
DISK_BASE="${BENCH_DISK_DIR:-/var/tmp}"
if [ ! -d "$SHM_BASE" ] || [ "$(free_mib "$SHM_BASE")" -lt $(( BLOB_MIB + 64 )) ]; then SHM_BASE="$DISK_BASE"; fi
[ "$(free_mib "$DISK_BASE")" -ge $(( BLOB_MIB * 4 + 512 )) ] \
    || die "not enough free space in $DISK_BASE (need ~$(( BLOB_MIB * 4 + 512 )) MiB); set BENCH_DISK_DIR"

PIDS=()   # servers, sampler, load generators: the trap stops them all
SHM_DIR="" DISK_DIR=""
bench_trap   # stops everything in PIDS, deletes SHM_DIR and DISK_DIR
SHM_DIR="$(mktemp -d "$SHM_BASE/wharf-slow-clients.XXXXXX")"
DISK_DIR="$(mktemp -d "$DISK_BASE/wharf-slow-clients-data.XXXXXX")"
mkdir -p "$OUT_DIR"
BUILT_AT="$(date -u -r "$WHARF_BIN" '+%H:%M:%S UTC')"
cp "$WHARF_BIN" "$SHM_DIR/wharf"; WHARF_BIN="$SHM_DIR/wharf"   # others' builds may replace target/ mid-run
RAW="$OUT_DIR/slow_clients-raw.tsv"; META="$OUT_DIR/slow_clients-meta.tsv"
: > "$RAW"; : > "$META"
rm -f "$OUT_DIR"/slow_clients-*.json
rec() { [ -z "$3" ] || printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW"; }
meta() { printf '%s\t%s\n' "$1" "$2" >> "$META"; }

# ------------------------------------------------------------------ helpers
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }   # PID FIELD
now() { date +%s.%N; }
wait_file() { # FILE SECONDS PID: until FILE exists (fails if PID exits first)
    local i
    for i in $(seq 1 $(( $2 * 20 ))); do
        [ -e "$1" ] && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# measure SERVER PID URL: no-load figures, then the load, the normal client
# and the figures under load.
measure() {
    local s="$1" pid="$2" url="$3" d="$SHM_DIR/run-$1" t_ready t_read sampler load client nap peak tmax user_s sys_s
    mkdir -p "$d"
    sleep 1
    rec "$s" rss_idle_kib "$(status_kib "$pid" VmRSS)"
    rec "$s" hwm_before_load_kib "$(status_kib "$pid" VmHWM)"
    rec "$s" threads_idle "$(status_kib "$pid" Threads)"
    # VmHWM so far includes the 64 MiB push; "5" resets it to the current RSS.
    echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || log "warning: cannot reset VmHWM of $s (not root?); it includes the earlier push"

    : > "$d/sampler.stop"
    python3 "$BL" sample "$pid" "$d/sampler.stop" "$d/sampler.ready" "$d/sampler.json" &
    sampler=$!; PIDS+=("$sampler")
    wait_file "$d/sampler.ready" 5 "$sampler" || die "RSS sampler did not start"

    log "$s: opening $UPLOADERS slow uploaders, $DOWNLOADERS non-reading downloaders, $IDLE_CONNS idle connections"
    : > "$d/load.stop"
    python3 "$PY" load "$url" "$LOAD_REPO" "$BLOB_DIGEST" "$UPLOADERS" "$DOWNLOADERS" "$IDLE_CONNS" "$RCVBUF" \
        "$d/load.ready" "$d/load.stop" "$OUT_DIR/slow_clients-$s-load.json" 2>"$d/load.err" &
    load=$!; PIDS+=("$load")
    wait_file "$d/load.ready" 90 "$load" || die "$s: the load generator did not get ready: $(cat "$d/load.err")"
    t_ready="$(now)"
    log "  load open after $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["setup_s"])' "$d/load.ready") s; settling ${SETTLE} s"
    sleep "$SETTLE" &   # waited for in the background, so the INT/TERM trap runs at once
    nap=$!; PIDS+=("$nap"); wait "$nap"; forget_pid "$nap"

    log "  $s: $ROUND_TRIPS normal round trips"
    python3 "$PY" client "$url" "$CLIENT_REPO" "$ROUND_TRIPS" "$TIMEOUT" "$CLIENT_BUDGET" \
        "$OUT_DIR/slow_clients-$s-client.json" >"$d/client.out" 2>"$d/client.err" &
    client=$!; PIDS+=("$client")
    wait "$client" || log "  warning: the normal client crashed: $(tail -n 3 "$d/client.err")"
    forget_pid "$client"
    rec "$s" hwm_load_kib "$(status_kib "$pid" VmHWM)"
    rec "$s" rss_end_kib "$(status_kib "$pid" VmRSS)"
    rec "$s" rss_anon_end_kib "$(status_kib "$pid" RssAnon)"
    rec "$s" rss_file_end_kib "$(status_kib "$pid" RssFile)"
    rec "$s" threads_end "$(status_kib "$pid" Threads)"
    t_read="$(now)"
    rec "$s" window_s "$(awk -v a="$t_ready" -v b="$t_read" 'BEGIN { printf "%.2f", b - a }')"
    if kill -0 "$pid" 2>/dev/null; then rec "$s" alive_end 1; else rec "$s" alive_end 0; log "  $s DIED under the load"; fi
    log "  $s: $(cat "$d/client.out" 2>/dev/null || echo '?') round trips, window $(awk -v a="$t_ready" -v b="$t_read" 'BEGIN { printf "%.1f", b - a }') s"

    rm -f "$d/sampler.stop"; wait "$sampler" || log "  warning: the RSS sampler failed"; forget_pid "$sampler"
    rm -f "$d/load.stop"; wait "$load" || log "  warning: the load generator failed: $(cat "$d/load.err")"; forget_pid "$load"
    if [ -e "$d/sampler.json" ]; then
        read -r peak tmax user_s sys_s < <(python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
print(r["peak_kib"], r["threads_max"], r["user_s"], r["sys_s"])' "$d/sampler.json")
        rec "$s" rss_sampled_peak_kib "$peak"; rec "$s" threads_max "$tmax"
        rec "$s" cpu_user_s "$user_s"; rec "$s" cpu_sys_s "$sys_s"
    fi
    sleep 1
    rec "$s" rss_after_kib "$(status_kib "$pid" VmRSS)"
}

# ------------------------------------------------------------------ run
meta "date" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
meta "machine" "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -sr)"
meta "wharf" "$("$WHARF_BIN" --version 2>/dev/null || echo wharf) (release, binary built $BUILT_AT), $(git_desc), default limits"
meta "distribution" "$(docker-registry --version 2>&1 | head -n1), filesystem driver, inmemory blobdescriptor cache, access log off"
meta "load per server" "$UPLOADERS slow uploaders (POST, then PATCH with Content-Length: 10485760 and 1,000 bytes), $DOWNLOADERS non-reading downloaders of a $BLOB_MIB MiB blob (SO_RCVBUF $RCVBUF), $IDLE_CONNS idle connections; servers measured one after the other, the other one idle"
meta "normal client" "$ROUND_TRIPS round trips, each on a new connection: POST + PUT ?digest= of a fresh 64 KiB blob, GET it back; ${TIMEOUT} s deadline per request; round trips after ${CLIENT_BUDGET} s fail as skipped; starts ${SETTLE} s after the load is open"
meta "open-file limit" "$(ulimit -n) (script, load generators and servers)"
busy="$(cpu_busy_pct)"
meta "CPU busy from other processes just before start" "$busy% (2 s sample of /proc/stat)"
[ "$busy" -le 20 ] || log "warning: the machine is already $busy% busy (other processes); latencies will be noisy"

BLOB="$SHM_DIR/blob.bin"
head -c $(( BLOB_MIB * 1024 * 1024 )) /dev/urandom > "$BLOB"
BLOB_DIGEST="sha256:$(sha256sum "$BLOB" | awk '{print $1}')"

log "starting wharf and distribution"
start_wharf "$DISK_DIR/wharf"; W_PID="$SRV_PID"; W_URL="$SRV_URL"
start_distribution "$DISK_DIR/dist"; D_PID="$SRV_PID"; D_URL="$SRV_URL"
log "  wharf $W_URL (pid $W_PID), distribution $D_URL (pid $D_PID)"
python3 "$PY" push "$W_URL" "$LOAD_REPO" "$BLOB" "$BLOB_DIGEST"
python3 "$PY" push "$D_URL" "$LOAD_REPO" "$BLOB" "$BLOB_DIGEST"
rm -f "$BLOB"

measure wharf "$W_PID" "$W_URL"
measure distribution "$D_PID" "$D_URL"
stop_pid "$W_PID"; stop_pid "$D_PID"

meta "CPU busy just after the run" "$(cpu_busy_pct)% (2 s sample)"
echo
python3 "$PY" report "$RAW" "$META" "$OUT_DIR" "$OUT_DIR/slow_clients.md"
echo
log "table written to $OUT_DIR/slow_clients.md (raw: $RAW, $OUT_DIR/slow_clients-*.json)"
