#!/usr/bin/env bash
# bench/oci.sh — Wharf (release build) side by side with CNCF distribution
# 2.8.2 (Debian's docker-registry) and nginx (sendfile) as a reference:
#
#   1. push 256 MiB blob, monolithic (POST + one streamed PUT ?digest=)
#   2. push 256 MiB blob, chunked (POST + 16 × 16 MiB PATCH + empty PUT ?digest=)
#   3. pull the 256 MiB blob (warm cache) — vs nginx sendfile of the same file
#   4. manifest GETs, wrk -t2 -c16 -d10s --latency (req/s, p99) — vs nginx 1 KiB file
#   5. server RSS: idle after start + one small push; peak pushing a 2 GiB blob
#
# Every measurement runs BENCH_RUNS (3) times, servers interleaved; the report
# is the median. Prints a markdown table and writes it to bench/out/latest.md.
#
# Env knobs: BENCH_RUNS (3), BENCH_WRK_DURATION (10s), BENCH_BIG_MIB (2048),
#            BENCH_DISK_DIR (/var/tmp: registry data dirs + nginx root),
#            BENCH_SHM_DIR (/dev/shm if roomy: input files), BENCH_SKIP_BUILD=1,
#            BENCH_WARM_PAGES (1: write+delete a scratch file right before each
#              timed 256 MiB push, see README "page-cache warming"),
#            BENCH_PIN_PULL (1: during the pull phase pin servers to CPU 1 and
#              curl to CPU 0, see README "pinning").
set -euo pipefail
export LC_ALL=C

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
PY="$BENCH_DIR/benchlib.py"

RUNS="${BENCH_RUNS:-3}"
WRK_DURATION="${BENCH_WRK_DURATION:-10s}"
BLOB_MIB=256
CHUNK_MIB=16
BIG_MIB="${BENCH_BIG_MIB:-2048}"
PULLS_PER_SAMPLE=4
OCI_MANIFEST='application/vnd.oci.image.manifest.v1+json'

BENCH_NAME=bench/oci.sh
. "$BENCH_DIR/lib.sh"   # die, log, need, build_wharf, start_wharf, start_distribution, stop_pid, ...

# ------------------------------------------------------------------ tools
need cargo "install Rust (rustup)"
need curl "apt-get install curl"
need wrk "scripts/install-test-deps.sh installs it"
need python3
need docker-registry "scripts/install-test-deps.sh installs it (Debian docker-registry = distribution 2.8.2)"
need openssl "apt-get install openssl"
need split; need stat; need df; need awk; need top; need tar; need sync; need dd; need taskset "apt-get install util-linux"
WARM_PAGES="${BENCH_WARM_PAGES:-1}"
PIN_PULL="${BENCH_PIN_PULL:-1}"
[ "$(nproc)" -ge 2 ] || PIN_PULL=0

# nginx is a bench-only dependency: install it here, never start its service.
NGINX=""
created_policy=0
find_nginx() { NGINX="$(command -v nginx || true)"; [ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true; }
find_nginx
if [ -z "$NGINX" ]; then
    [ "$(id -u)" = 0 ] || die "nginx not found; run as root so this script can apt-get install it, or install nginx yourself"
    log "installing nginx (bench-only dependency)"
    if [ ! -e /usr/sbin/policy-rc.d ]; then       # keep postinst from starting a service
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    aptlog="$(mktemp -t wharf-bench-apt.XXXXXX)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx >"$aptlog" 2>&1; then
        apt-get update -qq >>"$aptlog" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx >>"$aptlog" 2>&1 \
            || { tail -n 30 "$aptlog" >&2; die "apt-get install nginx failed"; }
    fi
    rm -f "$aptlog"
    if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; created_policy=0; fi
    find_nginx
    [ -n "$NGINX" ] || die "nginx still missing after apt-get install"
fi

# ------------------------------------------------------------------ build
build_wharf

# ------------------------------------------------------------------ temp dirs
need_shm_mib=$(( RUNS * BLOB_MIB * 2 + BIG_MIB + 512 ))
need_disk_mib=$(( RUNS * BLOB_MIB * 4 + BIG_MIB * 2 + 1024 ))
SHM_BASE="${BENCH_SHM_DIR:-/dev/shm}"
DISK_BASE="${BENCH_DISK_DIR:-/var/tmp}"
if [ ! -d "$SHM_BASE" ] || [ "$(free_mib "$SHM_BASE")" -lt "$need_shm_mib" ]; then SHM_BASE="$DISK_BASE"; fi
[ "$SHM_BASE" != "$DISK_BASE" ] || need_disk_mib=$(( need_disk_mib + need_shm_mib ))
[ "$(free_mib "$DISK_BASE")" -ge "$need_disk_mib" ] \
    || die "not enough free space in $DISK_BASE (need ~$need_disk_mib MiB); set BENCH_DISK_DIR"

PIDS=()
SHM_DIR="" DISK_DIR=""
remove_policy() { if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
CLEANUP_EXTRA=remove_policy
bench_trap
SHM_DIR="$(mktemp -d "$SHM_BASE/wharf-bench-in.XXXXXX")"
DISK_DIR="$(mktemp -d "$DISK_BASE/wharf-bench-data.XXXXXX")"
mkdir -p "$OUT_DIR"
RQ="$SHM_DIR/rq"; mkdir -p "$RQ"
# Run a private copy: other engineers' builds may replace target/release/wharf mid-run.
BUILT_AT="$(date -u -r "$WHARF_BIN" '+%H:%M:%S UTC')"
cp "$WHARF_BIN" "$SHM_DIR/wharf"; WHARF_BIN="$SHM_DIR/wharf"
RAW="$OUT_DIR/raw.tsv"; META="$OUT_DIR/meta.tsv"
: > "$RAW"; : > "$META"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW"; }
meta() { printf '%s\t%s\n' "$1" "$2" >> "$META"; }

# ------------------------------------------------------------------ helpers
fsum() { awk '{ s += $1 } END { printf "%.6f", s }'; }
mibps() { awk -v mib="$1" -v s="$2" 'BEGIN { printf "%.2f", mib / s }'; }
gen_random() { # FILE MIB (openssl rand takes at most 2^31-1 bytes per call)
    local left="$2" n
    : > "$1"
    while [ "$left" -gt 0 ]; do
        n=$(( left < 1024 ? left : 1024 ))
        openssl rand $(( n * 1024 * 1024 )) >> "$1"
        left=$(( left - n ))
    done
}
# On this kind of VM, the first touch of guest memory the host has not backed
# (or took back) costs ~8 us per 4 KiB page: writing a new 256 MiB file into the
# page cache then takes ~0.6 s of sys time instead of ~0.1 s, charged to
# whichever server is pushing. Writing and deleting a scratch file just before
# the timed push hands it freshly touched pages (no effect on bare metal).
warm_pages() {
    [ "$WARM_PAGES" = 1 ] || return 0
    dd if=/dev/zero of="$DISK_DIR/warm.scratch" bs=1M count=$(( BLOB_MIB * 2 + 128 )) status=none
    rm -f "$DISK_DIR/warm.scratch"
}
# pin_all PID CPULIST: every thread of PID
pin_all() { local t; for t in /proc/"$1"/task/*; do taskset -pc "$2" "${t##*/}" >/dev/null 2>&1 || true; done; }
digest_of() { echo "sha256:$(openssl dgst -sha256 -r "$1" | awk '{print $1}')"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.2f", $2 / 1024 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12, $13 }' "/proc/$1/stat"; }   # utime stime
CLK_TCK="$(getconf CLK_TCK)"
# CPU seconds used so far by finished children of this shell (curl): "user sys"
# (`times` must run in this shell, not in a $(...) subshell: child_cpu VAR)
child_cpu() {
    times > "$RQ/times"
    printf -v "$1" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t[i] = a[1] * 60 + a[2] } printf "%.3f %.3f", t[1], t[2] }' "$RQ/times")"
}
# client_rec SERVER KEY "u0 s0" "u1 s1"
client_rec() {
    local u0 s0 u1 s1
    read -r u0 s0 <<<"$3"; read -r u1 s1 <<<"$4"
    rec "$1" "client_$2_cpu_s" "$(awk -v a="$u0" -v b="$u1" -v c="$s0" -v d="$s1" 'BEGIN{printf "%.2f", (b-a)+(d-c)}')"
}
# cpu_rec SERVER KEY "u0 s0" "u1 s1" WALL
cpu_rec() {
    local u0 s0 u1 s1
    read -r u0 s0 <<<"$3"; read -r u1 s1 <<<"$4"
    rec "$1" "cpu_$2_user_s" "$(awk -v a="$u0" -v b="$u1" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (b-a)/t}')"
    rec "$1" "cpu_$2_sys_s" "$(awk -v a="$s0" -v b="$s1" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (b-a)/t}')"
    rec "$1" "cpu_$2_wall_s" "$5"
}

# CPU the machine spent outside our processes during a phase (other
# processes, plus kernel threads such as writeback/softirq working for us).
# phase_begin PIDS...; ...; phase_end LABEL PIDS...
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
our_ticks() { # PIDS... -> ticks of those servers + finished children of this shell
    local p sum=0 u s ck
    for p in "$@"; do read -r u s < <(cpu_ticks "$p"); sum=$(( sum + u + s )); done
    child_cpu ck
    awk -v a="$sum" -v c="$ck" -v t="$CLK_TCK" 'BEGIN { split(c, x, " "); printf "%d", a + (x[1] + x[2]) * t }'
}
phase_begin() { PH_M0="$(machine_ticks)"; PH_O0="$(our_ticks "$@")"; }
phase_end() {
    local label="$1" m1 o1; shift
    m1="$(machine_ticks)"; o1="$(our_ticks "$@")"
    meta "CPU outside the benchmark's processes during $label" "$(awk -v a="$PH_M0" -v b="$m1" -v o0="$PH_O0" -v o1="$o1" 'BEGIN {
        split(a, x, " "); split(b, y, " "); other = (y[1]-x[1]) - (o1-o0); if (other < 0) other = 0
        printf "%.0f%% of the machine", 100 * other / (y[2]-x[2]) }')"
}

# Location may be absolute (distribution) or relative (wharf).
resolve() { case "$2" in http://*|https://*) echo "$2" ;; /*) echo "$1$2" ;; *) echo "$1/$2" ;; esac; }
addq() { case "$1" in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac; }

# req CURL-ARGS... -> R_CODE R_TIME R_LOC (headers in $RQ/h, body in $RQ/b)
req() {
    local w
    w="$(curl -sS -o "$RQ/b" -D "$RQ/h" -w '%{http_code} %{time_total}' "$@")" || die "curl failed: $*"
    R_CODE="${w% *}"; R_TIME="${w#* }"
    R_LOC="$(awk 'tolower($1) == "location:" { sub(/\r$/, "", $2); print $2 }' "$RQ/h" | tail -n1)"
}
expect() { [ "$R_CODE" = "$1" ] || die "$2: expected HTTP $1, got $R_CODE: $(head -c 400 "$RQ/b")"; }

start_upload() { # BASE REPO -> R_TIME, UPLOAD_URL
    req -X POST -H 'Content-Length: 0' "$1/v2/$2/blobs/uploads/"
    expect 202 "POST $1/v2/$2/blobs/uploads/"
    [ -n "$R_LOC" ] || die "POST upload on $1: no Location header"
    UPLOAD_URL="$(resolve "$1" "$R_LOC")"
}

push_mono() { # BASE REPO FILE DIGEST -> PUSH_SECS (POST + PUT, curl time_total)
    local t
    start_upload "$1" "$2"; t="$R_TIME"
    req -X PUT -T "$3" -H 'Expect:' -H 'Content-Type: application/octet-stream' "$(addq "$UPLOAD_URL" "digest=$4")"
    expect 201 "monolithic PUT of $3 to $1"
    PUSH_SECS="$(printf '%s\n%s\n' "$t" "$R_TIME" | fsum)"
}

push_chunked() { # BASE REPO CHUNKDIR DIGEST -> PUSH_SECS (POST + PATCHes + PUT)
    local times off=0 c size end
    start_upload "$1" "$2"; times="$R_TIME"
    for c in "$3"/c*; do
        size="$(stat -c %s "$c")"; end=$(( off + size - 1 ))
        req -X PATCH --data-binary @"$c" -H 'Expect:' -H 'Content-Type: application/octet-stream' \
            -H "Content-Range: $off-$end" "$UPLOAD_URL"
        expect 202 "PATCH $off-$end to $1"
        times+=$'\n'"$R_TIME"
        [ -n "$R_LOC" ] && UPLOAD_URL="$(resolve "$1" "$R_LOC")"
        off=$(( end + 1 ))
    done
    req -X PUT -H 'Content-Length: 0' "$(addq "$UPLOAD_URL" "digest=$4")"
    expect 201 "final chunked PUT to $1"
    times+=$'\n'"$R_TIME"
    PUSH_SECS="$(printf '%s\n' "$times" | fsum)"
}

push_small_blob() { # BASE REPO FILE DIGEST
    start_upload "$1" "$2"
    req -X PUT --data-binary @"$3" -H 'Content-Type: application/octet-stream' "$(addq "$UPLOAD_URL" "digest=$4")"
    expect 201 "PUT small blob to $1"
}

push_image() { # BASE: config + 1 layer + OCI manifest, tag v1, repo bench/img
    push_small_blob "$1" bench/img "$IMG_DIR/config.json" "$CFG_DIGEST"
    push_small_blob "$1" bench/img "$IMG_DIR/layer.tar.gz" "$LAYER_DIGEST"
    req -X PUT -H "Content-Type: $OCI_MANIFEST" --data-binary @"$IMG_DIR/manifest.json" "$1/v2/bench/img/manifests/v1"
    expect 201 "PUT manifest to $1"
    req -H "Accept: $OCI_MANIFEST" "$1/v2/bench/img/manifests/v1"
    expect 200 "GET manifest from $1"
    cmp -s "$RQ/b" "$IMG_DIR/manifest.json" || die "GET manifest from $1 returned different bytes"
}

get_timed() { # URL -> R_TIME; checks 200 and full size
    local w code size
    w="$("${PULL_CLIENT[@]}" curl -sS -L -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$1")" || die "curl GET $1 failed"
    read -r code size R_TIME <<<"$w"
    [ "$code" = 200 ] || die "GET $1: HTTP $code"
    [ "$size" = $(( BLOB_MIB * 1024 * 1024 )) ] || die "GET $1: got $size bytes"
}

start_nginx() { # ROOT -> NGX_PID NGX_URL
    local ngx="$DISK_DIR/nginx" port user_line=""
    mkdir -p "$ngx/tmp"
    port="$(free_port)"
    [ "$(id -u)" = 0 ] && user_line="user root;"
    cat > "$ngx/nginx.conf" <<EOF
$user_line
daemon off;
master_process off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log error;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    default_type application/octet-stream;
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $1;
    }
}
EOF
    "$NGINX" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" >"$ngx/stdout" 2>&1 &
    NGX_PID=$!; PIDS+=("$NGX_PID")
    NGX_URL="http://127.0.0.1:$port"
    sleep 0.1
    kill -0 "$NGX_PID" 2>/dev/null || die "nginx exited: $(cat "$ngx/stdout" "$ngx/error.log" 2>/dev/null)"
    wait_http "$NGX_URL/small.json"
}

run_wrk() { # SERVER URL RUN
    local f="$OUT_DIR/wrk-$1-$3.txt" parsed rps p99 non2xx errs
    wrk -t2 -c16 -d"$WRK_DURATION" --latency -H "Accept: $OCI_MANIFEST" "$2" > "$f" 2>&1 || die "wrk failed: $(cat "$f")"
    parsed="$(python3 "$PY" wrk "$f")"
    read -r rps p99 non2xx errs <<<"$parsed"
    [ "$non2xx" = 0 ] || die "wrk against $1 got $non2xx non-2xx responses (see $f)"
    [ "$errs" = 0 ] || log "warning: wrk against $1 reported $errs socket errors (see $f)"
    rec "$1" manifest_rps "$rps"
    rec "$1" manifest_p99_ms "$p99"
    log "  $1 run $3: $rps req/s, p99 $p99 ms"
}

# ------------------------------------------------------------------ inputs
meta "date" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
meta "machine" "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -sr)"
meta "wharf" "$("$WHARF_BIN" --version 2>/dev/null || echo wharf) (release, binary built $BUILT_AT), $(git_desc)"
meta "distribution" "$(docker-registry --version 2>&1 | head -n1), filesystem driver, inmemory blobdescriptor cache, access log off"
meta "nginx" "$("$NGINX" -v 2>&1 | head -n1 | sed 's/^nginx version: //'), sendfile on, 1 process"
meta "client" "$(curl --version | head -n1 | awk '{print $1, $2}'), $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')"
meta "storage" "registry data + nginx root in $DISK_BASE ($(df -PT "$DISK_BASE" | awk 'NR==2 {print $2}')), upload sources in $SHM_BASE"
meta "runs" "$RUNS per measurement, median reported; servers interleaved within each run"
meta "page-cache warming before timed 256 MiB pushes" "$([ "$WARM_PAGES" = 1 ] && echo "on ($(( BLOB_MIB * 2 + 128 )) MiB scratch file written + deleted before each)" || echo off)"
meta "pull pinning" "$([ "$PIN_PULL" = 1 ] && echo "server threads on CPU 1, curl on CPU 0" || echo "off (scheduler places client and server)")"
busy="$(cpu_busy_pct)"
meta "CPU busy from other processes just before start" "$busy% (2 s sample of /proc/stat)"
if [ "$busy" -gt 20 ]; then
    log "warning: the machine is already $busy% busy (other processes); numbers will be noisy"
fi

log "generating inputs in $SHM_DIR"
declare -a MONO_FILE MONO_DIGEST CHUNK_DIR CHUNK_DIGEST
for i in $(seq 1 "$RUNS"); do
    MONO_FILE[i]="$SHM_DIR/mono$i.bin"
    gen_random "${MONO_FILE[i]}" "$BLOB_MIB"
    MONO_DIGEST[i]="$(digest_of "${MONO_FILE[i]}")"
    CHUNK_DIR[i]="$SHM_DIR/chunks$i"; mkdir -p "${CHUNK_DIR[i]}"
    gen_random "$SHM_DIR/chunked$i.bin" "$BLOB_MIB"
    CHUNK_DIGEST[i]="$(digest_of "$SHM_DIR/chunked$i.bin")"
    split -b "${CHUNK_MIB}M" -d -a 2 "$SHM_DIR/chunked$i.bin" "${CHUNK_DIR[i]}/c"
    rm -f "$SHM_DIR/chunked$i.bin"
    [ "$(ls "${CHUNK_DIR[i]}" | wc -l)" = $(( BLOB_MIB / CHUNK_MIB )) ] || die "split produced the wrong number of chunks"
done
BIG_FILE="$SHM_DIR/big.bin"
gen_random "$BIG_FILE" "$BIG_MIB"
BIG_DIGEST="$(digest_of "$BIG_FILE")"

IMG_DIR="$SHM_DIR/img"; mkdir -p "$IMG_DIR/rootfs"
head -c 1024 /dev/urandom > "$IMG_DIR/rootfs/data.bin"
tar -C "$IMG_DIR/rootfs" -cf "$IMG_DIR/layer.tar" data.bin
DIFF_ID="$(digest_of "$IMG_DIR/layer.tar")"
gzip -n -c "$IMG_DIR/layer.tar" > "$IMG_DIR/layer.tar.gz"
LAYER_DIGEST="$(digest_of "$IMG_DIR/layer.tar.gz")"; LAYER_SIZE="$(stat -c %s "$IMG_DIR/layer.tar.gz")"
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}' "$DIFF_ID" \
    > "$IMG_DIR/config.json"
CFG_DIGEST="$(digest_of "$IMG_DIR/config.json")"; CFG_SIZE="$(stat -c %s "$IMG_DIR/config.json")"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
    "$OCI_MANIFEST" "$CFG_DIGEST" "$CFG_SIZE" "$LAYER_DIGEST" "$LAYER_SIZE" > "$IMG_DIR/manifest.json"

WWW="$DISK_DIR/www"; mkdir -p "$WWW"
cp "${MONO_FILE[1]}" "$WWW/blob"
head -c 1024 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 1024 > "$WWW/small.json"   # 1 KiB

# ------------------------------------------------------------------ phase 1: throughput + manifest GETs
log "starting wharf, distribution, nginx"
start_wharf "$DISK_DIR/wharf"; W_PID="$SRV_PID"; W_URL="$SRV_URL"
start_distribution "$DISK_DIR/dist"; D_PID="$SRV_PID"; D_URL="$SRV_URL"
start_nginx "$WWW"
declare -A URL=([wharf]="$W_URL" [distribution]="$D_URL")
declare -A PID=([wharf]="$W_PID" [distribution]="$D_PID")
log "  wharf $W_URL (pid $W_PID), distribution $D_URL (pid $D_PID), nginx $NGX_URL (pid $NGX_PID)"

for s in wharf distribution; do push_image "${URL[$s]}"; done

k0="" k1=""   # set by child_cpu (printf -v)
phase_begin "$W_PID" "$D_PID" "$NGX_PID"
log "1. monolithic push, $BLOB_MIB MiB"
for i in $(seq 1 "$RUNS"); do
    for s in wharf distribution; do
        sync; warm_pages
        c0="$(cpu_ticks "${PID[$s]}")"; child_cpu k0
        push_mono "${URL[$s]}" bench/mono "${MONO_FILE[i]}" "${MONO_DIGEST[i]}"
        c1="$(cpu_ticks "${PID[$s]}")"; child_cpu k1
        client_rec "$s" mono "$k0" "$k1"
        v="$(mibps "$BLOB_MIB" "$PUSH_SECS")"; rec "$s" push_mono "$v"
        cpu_rec "$s" mono "$c0" "$c1" "$PUSH_SECS"
        log "  $s run $i: $v MiB/s ($PUSH_SECS s)"
    done
done

log "2. chunked push, $(( BLOB_MIB / CHUNK_MIB )) × $CHUNK_MIB MiB"
for i in $(seq 1 "$RUNS"); do
    for s in wharf distribution; do
        sync; warm_pages
        c0="$(cpu_ticks "${PID[$s]}")"; child_cpu k0
        push_chunked "${URL[$s]}" bench/chunked "${CHUNK_DIR[i]}" "${CHUNK_DIGEST[i]}"
        c1="$(cpu_ticks "${PID[$s]}")"; child_cpu k1
        client_rec "$s" chunked "$k0" "$k1"
        v="$(mibps "$BLOB_MIB" "$PUSH_SECS")"; rec "$s" push_chunked "$v"
        cpu_rec "$s" chunked "$c0" "$c1" "$PUSH_SECS"
        log "  $s run $i: $v MiB/s ($PUSH_SECS s)"
    done
done

log "3. pull, $BLOB_MIB MiB × $PULLS_PER_SAMPLE per sample (warm cache)"
sync
declare -A PULL_URL=(
    [wharf]="$W_URL/v2/bench/mono/blobs/${MONO_DIGEST[1]}"
    [distribution]="$D_URL/v2/bench/mono/blobs/${MONO_DIGEST[1]}"
    [nginx]="$NGX_URL/blob"
)
PID[nginx]="$NGX_PID"
PULL_CLIENT=()
if [ "$PIN_PULL" = 1 ]; then
    for s in wharf distribution nginx; do pin_all "${PID[$s]}" 1; done
    PULL_CLIENT=(taskset -c 0)
fi
for s in wharf distribution nginx; do get_timed "${PULL_URL[$s]}"; get_timed "${PULL_URL[$s]}"; done   # warm-up
for i in $(seq 1 "$RUNS"); do
    for s in wharf distribution nginx; do
        times=""
        c0="$(cpu_ticks "${PID[$s]}")"; child_cpu k0
        for _ in $(seq 1 "$PULLS_PER_SAMPLE"); do get_timed "${PULL_URL[$s]}"; times+="$R_TIME"$'\n'; done
        c1="$(cpu_ticks "${PID[$s]}")"; child_cpu k1
        client_rec "$s" pull "$k0" "$k1"
        secs="$(printf '%s' "$times" | fsum)"
        v="$(mibps $(( BLOB_MIB * PULLS_PER_SAMPLE )) "$secs")"; rec "$s" pull "$v"
        cpu_rec "$s" pull "$c0" "$c1" "$secs"
        log "  $s run $i: $v MiB/s"
    done
done

if [ "$PIN_PULL" = 1 ]; then for s in wharf distribution nginx; do pin_all "${PID[$s]}" "0-$(( $(nproc) - 1 ))"; done; fi
PULL_CLIENT=()

log "4. manifest GETs: wrk -t2 -c16 -d$WRK_DURATION (nginx: 1 KiB file)"
for i in $(seq 1 "$RUNS"); do
    run_wrk wharf "$W_URL/v2/bench/img/manifests/v1" "$i"
    run_wrk distribution "$D_URL/v2/bench/img/manifests/v1" "$i"
    run_wrk nginx "$NGX_URL/small.json" "$i"
done

phase_end "phases 1–4 (pushes, pulls, wrk)" "$W_PID" "$D_PID" "$NGX_PID"
for s in wharf distribution nginx; do rec "$s" rss_after_bench_mib "$(rss_mib "${PID[$s]}")"; done
stop_pid "$W_PID"; stop_pid "$D_PID"; stop_pid "$NGX_PID"
rm -rf "$DISK_DIR/wharf" "$DISK_DIR/dist" "$WWW"

# ------------------------------------------------------------------ phase 2: RSS (fresh servers)
log "5. RSS: idle after start + small push; peak while pushing $BIG_MIB MiB (sampled every 50 ms)"
for i in $(seq 1 "$RUNS"); do
    for s in wharf distribution; do
        d="$DISK_DIR/rss-$s-$i"
        if [ "$s" = wharf ]; then start_wharf "$d"; else start_distribution "$d"; fi
        push_image "$SRV_URL"
        sleep 1
        idle="$(rss_mib "$SRV_PID")"; rec "$s" rss_idle_mib "$idle"
        sync
        stop_f="$SHM_DIR/sampler.stop"; ready_f="$SHM_DIR/sampler.ready"; res_f="$SHM_DIR/sampler.json"
        rm -f "$ready_f" "$res_f"; : > "$stop_f"
        python3 "$PY" sample "$SRV_PID" "$stop_f" "$ready_f" "$res_f" &
        SAMPLER=$!; PIDS+=("$SAMPLER")
        for _ in $(seq 1 100); do [ -e "$ready_f" ] && break; sleep 0.02; done
        [ -e "$ready_f" ] || die "RSS sampler did not start"
        top_pid=""
        if [ "$i" = 1 ]; then
            ( sleep 0.5; top -b -H -n 2 -d 0.5 -p "$SRV_PID" > "$OUT_DIR/top-$s-big-push.txt" 2>&1 ) &
            top_pid=$!; PIDS+=("$top_pid")
        fi
        push_mono "$SRV_URL" bench/big "$BIG_FILE" "$BIG_DIGEST"
        rm -f "$stop_f"; wait "$SAMPLER" || die "RSS sampler failed"; forget_pid "$SAMPLER"
        [ -z "$top_pid" ] || { wait "$top_pid" || true; forget_pid "$top_pid"; }
        read -r peak_kib user_s sys_s wall_s pct_r pct_d < <(python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
print(r["peak_kib"], r["user_s"], r["sys_s"], r["wall_s"], r["pct_samples_running"], r["pct_samples_disk_wait"])' "$res_f")
        [ "$i" != 1 ] || cp "$res_f" "$OUT_DIR/sampler-$s-run1.json"
        peak="$(awk -v k="$peak_kib" 'BEGIN { printf "%.2f", k / 1024 }')"
        rec "$s" rss_peak_mib "$peak"
        rec "$s" big_mibps "$(mibps "$BIG_MIB" "$PUSH_SECS")"
        rec "$s" cpu_big_user_s "$user_s"; rec "$s" cpu_big_sys_s "$sys_s"; rec "$s" cpu_big_wall_s "$wall_s"
        rec "$s" big_pct_running "$pct_r"; rec "$s" big_pct_diskwait "$pct_d"
        log "  $s run $i: idle $idle MiB, peak $peak MiB, $(mibps "$BIG_MIB" "$PUSH_SECS") MiB/s, server CPU user ${user_s}s sys ${sys_s}s / ${wall_s}s"
        stop_pid "$SRV_PID"
        rm -rf "$d" "$d".*
    done
done
rm -f "$BIG_FILE"

# ------------------------------------------------------------------ report
meta "CPU busy just after the run" "$(cpu_busy_pct)% (2 s sample)"
echo
python3 "$PY" report "$RAW" "$META" "$OUT_DIR/latest.md"
echo
log "table written to $OUT_DIR/latest.md (raw samples: $RAW, wrk output: $OUT_DIR/wrk-*.txt)"
