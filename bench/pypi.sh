#!/usr/bin/env bash
# bench/pypi.sh — Wharf's Python index (release build) side by side with
# pypiserver and devpi-server, all three running at once:
#
#   1. upload 1 000 small wheels, one client process, one keep-alive
#      connection, twine's multipart form: wall seconds, server CPU per upload
#   2. project page GETs (/simple/pkg0042/, Accept: text/html) with
#      wrk -t2 -c16 -d10s --latency at 100, 1 000 and 10 000 projects
#   3. `uv pip install` of 20 packages, cold cache, fresh venv (at 1 000 projects)
#   4. wharf peak RSS over the whole run (VmRSS sampled every 50 ms)
#
# Every measurement runs BENCH_RUNS (3) times, servers interleaved; the report
# is the median. Prints a markdown table and writes it to bench/out/pypi-latest.md.
#
# Env knobs: BENCH_RUNS (3), BENCH_WRK_DURATION (10s), BENCH_UV_REPEAT (3 installs
#            per uv sample, mean), BENCH_FILL_BUDGET (270:
#            seconds for timed upload runs 2..N plus the fill to 10 000; a peer
#            that does not get there is measured at the size it reached),
#            BENCH_SIZES ("100 1000 10000"), BENCH_VENV (.venv: pypi-server,
#            devpi-server, devpi-init, devpi, uv), BENCH_DISK_DIR (/var/tmp),
#            BENCH_SHM_DIR (/dev/shm), BENCH_SKIP_BUILD=1, BENCH_WAIT_OCI (1:
#            wait until no bench/oci.sh is running).
set -euo pipefail
export LC_ALL=C

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
BL="$BENCH_DIR/benchlib.py"     # port, sample, wrk (shared with oci.sh)
PL="$BENCH_DIR/pypilib.py"      # wheels, uploads, process-tree CPU, report

RUNS="${BENCH_RUNS:-3}"
WRK_DURATION="${BENCH_WRK_DURATION:-10s}"
FILL_BUDGET="${BENCH_FILL_BUDGET:-270}"
read -r -a SIZES <<<"${BENCH_SIZES:-100 1000 10000}"
VENV="${BENCH_VENV:-$REPO_ROOT/.venv}"
UPLOAD_N="${BENCH_UPLOAD_N:-1000}"   # files per timed upload run (smaller only for smoke tests)
UV_N=20                 # packages per uv install
UV_REPEAT="${BENCH_UV_REPEAT:-3}"   # installs per uv sample (mean); uv's own startup makes single installs noisy
PAGE_PROJECT=pkg0042
SERVERS=(wharf pypiserver devpi)

BENCH_NAME=bench/pypi.sh
. "$BENCH_DIR/lib.sh"   # die, log, need, start_wharf
need_venv() { [ -x "$VENV/bin/$1" ] || die "$VENV/bin/$1 not found — $2"; }

# ------------------------------------------------------------------ tools
need cargo "install Rust (rustup)"
need curl "apt-get install curl"
need wrk "scripts/install-test-deps.sh installs it"
need python3
need awk; need df; need getconf
need_venv python "create the venv: python3 -m venv .venv"
need_venv pypi-server "$VENV/bin/pip install pypiserver"
need_venv devpi-server "$VENV/bin/pip install devpi-server"
need_venv devpi-init "$VENV/bin/pip install devpi-server"
need_venv devpi "$VENV/bin/pip install devpi-client"
need_venv uv "$VENV/bin/pip install uv"
# nginx is optional: with it, a static index of the uv packages gives the floor uv can reach
NGINX="$(command -v nginx || true)"; [ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
[ -n "$NGINX" ] || log "note: nginx not found; the uv floor reference (static index) is skipped"
[ "${#SIZES[@]}" -ge 1 ] || die "BENCH_SIZES is empty"
for n in "${SIZES[@]}"; do [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge $(( UV_N > 43 ? UV_N : 43 )) ] || die "bad size '$n' in BENCH_SIZES"; done
MAX_SIZE="${SIZES[-1]}"
[ "$(printf '%s\n' "${SIZES[@]}" | sort -n | tr '\n' ' ')" = "$(printf '%s ' "${SIZES[@]}")" ] || die "BENCH_SIZES must be ascending"
for n in "${SIZES[@]}"; do
    [ "$n" -le "$UPLOAD_N" ] || [ "$n" = "$MAX_SIZE" ] || die "BENCH_SIZES: only sizes ≤ $UPLOAD_N and one final larger size are supported"
done
TOTAL=$(( RUNS * UPLOAD_N > MAX_SIZE ? RUNS * UPLOAD_N : MAX_SIZE ))
UV_AT=$UPLOAD_N           # uv install measured when every server holds exactly this many projects

# ------------------------------------------------------------------ wait for the OCI benchmark
if [ "${BENCH_WAIT_OCI:-1}" = 1 ]; then
    while pgrep -f 'bench/oci\.sh' >/dev/null 2>&1; do
        log "bench/oci.sh is running; waiting (polling every 20 s)"
        sleep 20
    done
fi

# ------------------------------------------------------------------ build
build_wharf

# ------------------------------------------------------------------ temp dirs
SHM_BASE="${BENCH_SHM_DIR:-/dev/shm}"
DISK_BASE="${BENCH_DISK_DIR:-/var/tmp}"
if [ ! -d "$SHM_BASE" ] || [ "$(free_mib "$SHM_BASE")" -lt 512 ]; then SHM_BASE="$DISK_BASE"; fi
[ "$(free_mib "$DISK_BASE")" -ge 2048 ] || die "not enough free space in $DISK_BASE (need ~2 GiB); set BENCH_DISK_DIR"

PIDS=()
SHM_DIR="" DISK_DIR=""
bench_trap
SHM_DIR="$(mktemp -d "$SHM_BASE/wharf-pypi-in.XXXXXX")"
DISK_DIR="$(mktemp -d "$DISK_BASE/wharf-pypi-data.XXXXXX")"
mkdir -p "$OUT_DIR"
RQ="$SHM_DIR/rq"; mkdir -p "$RQ"
BUILT_AT="$(date -u -r "$WHARF_BIN" '+%H:%M:%S UTC')"
cp "$WHARF_BIN" "$SHM_DIR/wharf"; WHARF_BIN="$SHM_DIR/wharf"   # others' builds may replace target/ mid-run
RAW="$OUT_DIR/pypi-raw.tsv"; META="$OUT_DIR/pypi-meta.tsv"
: > "$RAW"; : > "$META"
rm -f "$OUT_DIR"/pypi-wrk-*.txt "$OUT_DIR"/pypi-upload-*.json
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RAW"; }
meta() { printf '%s\t%s\n' "$1" "$2" >> "$META"; }

# ------------------------------------------------------------------ helpers
now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a - b }'; }
treecpu() { python3 "$PL" treecpu "$1"; }      # "user sys" of PID + descendants
# CPU seconds used so far by finished children of this shell (uv): "user sys"
child_cpu() {
    times > "$RQ/times"
    printf -v "$1" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t[i] = a[1] * 60 + a[2] } printf "%.3f %.3f", t[1], t[2] }' "$RQ/times")"
}
cpu_delta() { # "u0 s0" "u1 s1" -> seconds
    local u0 s0 u1 s1
    read -r u0 s0 <<<"$1"; read -r u1 s1 <<<"$2"
    awk -v a="$u0" -v b="$u1" -v c="$s0" -v d="$s1" 'BEGIN { printf "%.3f", (b-a)+(d-c) }'
}
wait_http() { # URL: until it answers at all (any HTTP status)
    local i code
    for i in $(seq 1 600); do
        code="$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)"
        [ "$code" != 000 ] && return 0
        sleep 0.05
    done
    die "$1 did not come up"
}
# Ticks (utime+stime) of the given PIDs (threads included), from /proc/PID/stat.
ticks_of() {
    local p sum=0 t
    for p in "$@"; do
        t="$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)"
        sum=$(( sum + t ))
    done
    echo "$sum"
}
our_pids() { local s; for s in "${!PID[@]}"; do echo "${PID[$s]}"; done; [ -z "${SAMPLER:-}" ] || echo "$SAMPLER"; }
# settle_all: wait (≤ 60 s) until every server is idle (≤ 2 ticks in 0.5 s), so a
# slow server's backlog (wrk stops sending, the server keeps working) or
# background work does not run into the next measurement
settle_all() {
    local a b i pids
    pids="$(our_pids | tr '\n' ' ')"
    a="$(ticks_of $pids)"
    for i in $(seq 1 120); do
        sleep 0.5
        b="$(ticks_of $pids)"
        [ $(( b - a )) -gt 2 ] || return 0
        a="$b"
    done
    log "warning: servers still busy after 60 s of waiting"
}
# Machine CPU during a measurement that went neither to our servers nor to our
# client (other processes, kernel threads), and the VM's steal time.
# ph_begin; ...; ph_end SERVER KEY
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9, $9 }' /proc/stat; }   # busy (no steal), total, steal
ph_begin() { PH_M0="$(machine_ticks)"; PH_O0="$(ticks_of $(our_pids))"; child_cpu PH_K0; }
ph_end() {
    local m1 o1 k1 other steal
    m1="$(machine_ticks)"; o1="$(ticks_of $(our_pids))"; child_cpu k1
    read -r other steal < <(awk -v a="$PH_M0" -v b="$m1" -v o0="$PH_O0" -v o1="$o1" -v k0="$PH_K0" -v k1="$k1" -v hz="$CLK_TCK" 'BEGIN {
        split(a, x, " "); split(b, y, " "); split(k0, c0, " "); split(k1, c1, " ")
        ours = (o1 - o0) + ((c1[1] + c1[2]) - (c0[1] + c0[2])) * hz
        other = (y[1] - x[1]) - ours; if (other < 0) other = 0
        tot = y[2] - x[2]; if (tot <= 0) tot = 1
        printf "%.1f %.1f\n", 100 * other / tot, 100 * (y[3] - x[3]) / tot }')
    rec "$1" "$2_other_pct" "$other"
    rec "$1" "$2_steal_pct" "$steal"
    PH_OTHER="$other" PH_STEAL="$steal"
}
CLK_TCK="$(getconf CLK_TCK)"


start_pypiserver() { # PKG_DIR -> SRV_PID SRV_URL
    local dir="$1" port
    mkdir -p "$dir"
    port="$(free_port)"
    "$VENV/bin/pypi-server" run -i 127.0.0.1 -p "$port" -a . -P . --disable-fallback "$dir" \
        >"$dir.log" 2>&1 &
    SRV_PID=$!; PIDS+=("$SRV_PID")
    SRV_URL="http://127.0.0.1:$port"
    sleep 0.2
    kill -0 "$SRV_PID" 2>/dev/null || die "pypi-server exited: $(cat "$dir.log")"
    wait_http "$SRV_URL/simple/"
}

start_devpi() { # SERVER_DIR -> SRV_PID SRV_URL (user bench, index bench/dev, no bases)
    local dir="$1" port cdir="$1-client"
    port="$(free_port)"
    "$VENV/bin/devpi-init" --serverdir "$dir" --no-root-pypi --root-passwd root >"$dir.init.log" 2>&1 \
        || die "devpi-init failed: $(cat "$dir.init.log")"
    # requests are logged at INFO by default; WARNING spares devpi that work
    printf '{"version": 1, "handlers": {"h": {"class": "logging.StreamHandler"}}, "root": {"level": "WARNING", "handlers": ["h"]}}\n' \
        > "$dir.logging.json"
    "$VENV/bin/devpi-server" --serverdir "$dir" --host 127.0.0.1 --port "$port" --offline-mode \
        --logger-cfg "$dir.logging.json" >"$dir.log" 2>&1 &
    SRV_PID=$!; PIDS+=("$SRV_PID")
    SRV_URL="http://127.0.0.1:$port"
    sleep 0.5
    kill -0 "$SRV_PID" 2>/dev/null || die "devpi-server exited: $(cat "$dir.log")"
    wait_http "$SRV_URL/+api"
    {
        "$VENV/bin/devpi" --clientdir "$cdir" use "$SRV_URL" &&
        "$VENV/bin/devpi" --clientdir "$cdir" user -c bench password=x &&
        "$VENV/bin/devpi" --clientdir "$cdir" login bench --password x &&
        "$VENV/bin/devpi" --clientdir "$cdir" index -c bench/dev bases=
    } >"$dir.client.log" 2>&1 || die "devpi user/index setup failed: $(cat "$dir.client.log")"
    curl -fsS -H 'Accept: application/json' "$SRV_URL/bench/dev" | python3 -c '
import json, sys; r = json.load(sys.stdin)["result"]
sys.exit(0 if r.get("bases") == [] and r.get("type") == "stage" else f"devpi bench/dev is not a base-less stage: {r}")' \
        || die "devpi index check failed"
}

start_nginx_static() { # ROOT -> NGX_PID NGX_URL: nginx serving a static index (uv floor reference)
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
    tcp_nodelay on;
    keepalive_requests 100000000;
    types { text/html html; }
    default_type application/octet-stream;
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $1;
        index index.html;
    }
}
EOF
    "$NGINX" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" >"$ngx/stdout" 2>&1 &
    NGX_PID=$!; PIDS+=("$NGX_PID")
    NGX_URL="http://127.0.0.1:$port"
    sleep 0.1
    kill -0 "$NGX_PID" 2>/dev/null || die "nginx exited: $(cat "$ngx/stdout" "$ngx/error.log" 2>/dev/null)"
    wait_http "$NGX_URL/simple/pkg0000/"
}

# upload SERVER START END TAG [--deadline EPOCH] -> U_N U_WALL U_CPU (s) U_USER U_SYS U_CLIENT U_EARLY
upload() {
    local s="$1" a="$2" b="$3" tag="$4"; shift 4
    local out="$OUT_DIR/pypi-upload-$s-$tag.json" auth=()
    [ "$s" = devpi ] && auth=(--auth bench:x)
    python3 "$PL" upload "${UP_URL[$s]}" "$WHEELS" "$a" "$b" "$out" "${PID[$s]}" "${auth[@]}" "$@" >/dev/null \
        || die "upload of pkg$a..pkg$(( b - 1 )) to $s failed"
    read -r U_N U_WALL U_USER U_SYS U_CLIENT U_EARLY < <(python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
print(r["n"], r["wall_s"], r["cpu_user_s"], r["cpu_sys_s"], r["client_cpu_s"], int(r["stopped_early"]))' "$out")
    U_CPU="$(awk -v u="$U_USER" -v s="$U_SYS" 'BEGIN { printf "%.3f", u + s }')"
    COUNT[$s]=$(( ${COUNT[$s]} + U_N ))
}

check_page() { # SERVER: the project page answers 200 with a link to the wheel
    local url="${SIMPLE[$1]}$PAGE_PROJECT/" code
    code="$(curl -sS -o "$RQ/page" -w '%{http_code}' -H 'Accept: text/html' "$url")" || die "GET $url failed"
    [ "$code" = 200 ] || die "GET $url: HTTP $code: $(head -c 300 "$RQ/page")"
    grep -q "$PAGE_PROJECT-1.0-py3-none-any.whl" "$RQ/page" || die "GET $url: no link to the wheel: $(head -c 300 "$RQ/page")"
}

run_wrk() { # SERVER SIZE RUN
    local s="$1" n="$2" i="$3" f="$OUT_DIR/pypi-wrk-$1-$2-$3.txt" parsed rps p99 non2xx errs c0 c1 reqs cpu
    settle_all
    c0="$(treecpu "${PID[$s]}")"; ph_begin
    wrk -t2 -c16 -d"$WRK_DURATION" --timeout 30s --latency -H 'Accept: text/html' "${SIMPLE[$s]}$PAGE_PROJECT/" \
        > "$f" 2>&1 || die "wrk failed: $(cat "$f")"
    ph_end "$s" "page_${n}"; c1="$(treecpu "${PID[$s]}")"
    parsed="$(python3 "$BL" wrk "$f")"
    read -r rps p99 non2xx errs <<<"$parsed"
    [ "$non2xx" = 0 ] || die "wrk against $s got $non2xx non-2xx responses (see $f)"
    [ "$errs" = 0 ] || { log "warning: wrk against $s reported $errs socket errors (see $f)"; rec "$s" "page_${n}_socket_errors" "$errs"; }
    reqs="$(awk '/requests in/ { print $1; exit }' "$f")"
    cpu="$(cpu_delta "$c0" "$c1")"
    rec "$s" "page_${n}_rps" "$rps"
    rec "$s" "page_${n}_p99_ms" "$p99"
    rec "$s" "page_${n}_projects" "${COUNT[$s]}"
    [ -z "$reqs" ] || [ "$reqs" = 0 ] || rec "$s" "page_${n}_cpu_us" "$(awk -v c="$cpu" -v r="$reqs" 'BEGIN { printf "%.1f", 1e6 * c / r }')"
    log "  $s @${COUNT[$s]} projects, run $i: $rps req/s, p99 $p99 ms, server CPU ${cpu}s for $reqs requests (other CPU ${PH_OTHER}%, steal ${PH_STEAL}%)"
}

pages_at() { # SIZE
    log "2. project page GETs at $1 projects: wrk -t2 -c16 -d$WRK_DURATION $PAGE_PROJECT/"
    local s i
    for s in "${SERVERS[@]}"; do check_page "$s"; done
    for i in $(seq 1 "$RUNS"); do for s in "${SERVERS[@]}"; do run_wrk "$s" "$1" "$i"; done; done
}

uv_install() { # SERVER RUN: one sample = mean of UV_REPEAT installs, each into a fresh venv
    local s="$1" i="$2" venv t0 t1 c0 c1 k0 k1 p r a b c missing wall=0 cpu=0 ucpu=0 res=0 prep=0 inst=0 reps="$UV_REPEAT"
    [ "$i" != 0 ] || reps=1     # warm-up: one install
    settle_all; ph_begin
    for r in $(seq 1 "$reps"); do
        venv="$SHM_DIR/venv-$s-$i-$r"
        env -u UV_INDEX_URL -u UV_EXTRA_INDEX_URL -u UV_DEFAULT_INDEX -u UV_INDEX -u UV_CACHE_DIR \
            UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" venv --no-config -q --python "$VENV/bin/python" "$venv" \
            >"$RQ/uv.log" 2>&1 || die "uv venv failed: $(cat "$RQ/uv.log")"
        c0="$(treecpu "${PID[$s]}")"; child_cpu k0; t0="$(now)"
        env -u UV_INDEX_URL -u UV_EXTRA_INDEX_URL -u UV_DEFAULT_INDEX -u UV_INDEX -u UV_CACHE_DIR \
            UV_PYTHON_DOWNLOADS=never NO_COLOR=1 "$VENV/bin/uv" pip install --no-config --no-cache --no-progress \
            --index-url "${SIMPLE[$s]}" --python "$venv/bin/python" "${UV_PKGS[@]}" >"$RQ/uv.log" 2>&1 \
            || die "uv pip install from $s failed: $(cat "$RQ/uv.log")"
        t1="$(now)"; child_cpu k1; c1="$(treecpu "${PID[$s]}")"
        missing=0
        for p in "${UV_PKGS[@]}"; do
            ls -d "$venv"/lib/python*/site-packages/"$p"-1.0.dist-info >/dev/null 2>&1 || missing=$(( missing + 1 ))
        done
        [ "$missing" = 0 ] || die "uv pip install from $s: $missing of ${#UV_PKGS[@]} packages not installed"
        rm -rf "$venv"
        wall="$(awk -v a="$wall" -v b="$(fsub "$t1" "$t0")" 'BEGIN { print a + b }')"
        cpu="$(awk -v a="$cpu" -v b="$(cpu_delta "$c0" "$c1")" 'BEGIN { print a + b }')"
        ucpu="$(awk -v a="$ucpu" -v b="$(cpu_delta "$k0" "$k1")" 'BEGIN { print a + b }')"
        # uv's own phase timings: "Resolved 20 packages in 60ms", "Prepared …", "Installed …"
        read -r a b c < <(awk '
            function ms(v) { return v ~ /ms$/ ? v + 0 : v * 1000 }
            /^Resolved / { r = ms($NF) } /^Prepared / { p = ms($NF) } /^Installed / { i = ms($NF) }
            END { printf "%s %s %s\n", r + 0, p + 0, i + 0 }' "$RQ/uv.log")
        res="$(awk -v x="$res" -v y="$a" 'BEGIN { print x + y }')"
        prep="$(awk -v x="$prep" -v y="$b" 'BEGIN { print x + y }')"
        inst="$(awk -v x="$inst" -v y="$c" 'BEGIN { print x + y }')"
    done
    avg() { awk -v v="$1" -v n="$reps" -v f="$2" 'BEGIN { printf f, v / n }'; }
    [ "$i" = 0 ] || ph_end "$s" uv
    if [ "$i" = 0 ]; then log "  $s warm-up: $(avg "$wall" %.4f) s"; return 0; fi
    rec "$s" uv_install_s "$(avg "$wall" %.4f)"
    rec "$s" uv_server_cpu_s "$(avg "$cpu" %.4f)"
    rec "$s" uv_client_cpu_s "$(avg "$ucpu" %.4f)"
    rec "$s" uv_resolve_ms "$(avg "$res" %.1f)"
    rec "$s" uv_prepare_ms "$(avg "$prep" %.1f)"
    rec "$s" uv_installed_ms "$(avg "$inst" %.1f)"
    rec "$s" uv_projects "${COUNT[$s]}"
    log "  $s run $i: $(avg "$wall" %.4f) s per install (mean of $UV_REPEAT; resolve $(avg "$res" %.0f) ms, prepare $(avg "$prep" %.0f) ms; server CPU $(avg "$cpu" %.3f) s)"
}

rec_upload() { # SERVER KIND(upload|fill): per-upload figures of the last upload()
    local s="$1" k="$2"
    [ "$U_N" -gt 0 ] || return 0
    rec "$s" "${k}_cpu_ms" "$(awk -v c="$U_CPU" -v n="$U_N" 'BEGIN { printf "%.3f", 1000 * c / n }')"
    if [ "$k" = upload ]; then
        rec "$s" upload_wall_s "$(awk -v w="$U_WALL" -v n="$U_N" -v t="$UPLOAD_N" 'BEGIN { printf "%.3f", w * t / n }')"
        rec "$s" upload_cpu_user_ms "$(awk -v c="$U_USER" -v n="$U_N" 'BEGIN { printf "%.3f", 1000 * c / n }')"
        rec "$s" upload_cpu_sys_ms "$(awk -v c="$U_SYS" -v n="$U_N" 'BEGIN { printf "%.3f", 1000 * c / n }')"
        rec "$s" upload_client_ms "$(awk -v c="$U_CLIENT" -v n="$U_N" 'BEGIN { printf "%.3f", 1000 * c / n }')"
    fi
}

# ------------------------------------------------------------------ meta + inputs
START_TS="$(date +%s)"
meta "date" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
meta "machine" "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -sr)"
meta "wharf" "$("$WHARF_BIN" --version 2>/dev/null || echo wharf) (release, binary built $BUILT_AT, WHARF_LOG=warn), git $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet 2>/dev/null || echo " + uncommitted changes in $(git -C "$REPO_ROOT" diff --name-only | tr '\n' ' ' | sed 's/ $//')")"
meta "pypiserver" "$("$VENV/bin/pypi-server" --version 2>&1 | tail -n1) (\`pypi-server run -a . -P . --disable-fallback DIR\`, default backend and server, sha256 link fragments)"
meta "devpi" "devpi-server $("$VENV/bin/devpi-server" --version 2>&1 | tail -n1) (\`--offline-mode\`, default 50 threads, sqlite storage, logging at WARNING), index bench/dev with no bases, basic auth for uploads"
meta "client" "uploads: python3 http.client, one keep-alive connection, twine 7's form fields; $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}') \`-t2 -c16 -d$WRK_DURATION --timeout 30s --latency\`; $("$VENV/bin/uv" --version)"
[ -z "$NGINX" ] || meta "nginx (uv floor only)" "$("$NGINX" -v 2>&1 | head -n1 | sed 's/^nginx version: //'), 1 process, static PEP 503 pages + PEP 658 .metadata files for the $UV_N uv packages"
meta "storage" "server data in $DISK_BASE ($(df -PT "$DISK_BASE" | awk 'NR==2 {print $2}')), wheels in $SHM_BASE"
meta "runs" "$RUNS per measurement, median reported; servers interleaved within each run"
busy="$(cpu_busy_pct)"
meta "CPU busy from other processes just before start" "$busy% (2 s sample of /proc/stat)"
[ "$busy" -le 20 ] || log "warning: the machine is already $busy% busy (other processes); numbers will be noisy"

WHEELS="$SHM_DIR/wheels"
log "generating $TOTAL wheels in $WHEELS"
python3 "$PL" gen "$WHEELS" "$TOTAL"
UV_PKGS=(); for i in $(seq 0 $(( UV_N - 1 ))); do UV_PKGS+=("$(printf 'pkg%04d' "$i")"); done

# ------------------------------------------------------------------ servers
log "starting wharf, pypiserver, devpi-server"
declare -A PID URL UP_URL SIMPLE COUNT RUN1_WALL
start_wharf "$DISK_DIR/wharf";           PID[wharf]="$SRV_PID";      URL[wharf]="$SRV_URL"
start_pypiserver "$DISK_DIR/pypiserver"; PID[pypiserver]="$SRV_PID"; URL[pypiserver]="$SRV_URL"
start_devpi "$DISK_DIR/devpi";           PID[devpi]="$SRV_PID";      URL[devpi]="$SRV_URL"
UP_URL=([wharf]="${URL[wharf]}/pypi/bench/proj/" [pypiserver]="${URL[pypiserver]}/" [devpi]="${URL[devpi]}/bench/dev/")
SIMPLE=([wharf]="${URL[wharf]}/pypi/bench/proj/simple/" [pypiserver]="${URL[pypiserver]}/simple/" [devpi]="${URL[devpi]}/bench/dev/+simple/")
UV_SERVERS=("${SERVERS[@]}")
if [ -n "$NGINX" ]; then
    python3 "$PL" static "$DISK_DIR/static" "$WHEELS" "$UV_N"
    start_nginx_static "$DISK_DIR/static"
    PID[nginx-static]="$NGX_PID"; SIMPLE[nginx-static]="$NGX_URL/simple/"; COUNT[nginx-static]=$UV_N
    UV_SERVERS+=(nginx-static)
    log "  nginx (static index of the $UV_N uv packages, the floor for uv) $NGX_URL (pid $NGX_PID)"
fi
for s in "${SERVERS[@]}"; do COUNT[$s]=0; rec "$s" upload_files "$UPLOAD_N"; log "  $s ${URL[$s]} (pid ${PID[$s]})"; done

# wharf RSS over the whole run, every 50 ms (benchlib.py sample)
SAMPLER_STOP="$SHM_DIR/sampler.stop"; SAMPLER_READY="$SHM_DIR/sampler.ready"; SAMPLER_OUT="$OUT_DIR/pypi-sampler-wharf.json"
: > "$SAMPLER_STOP"; rm -f "$SAMPLER_READY" "$SAMPLER_OUT"
python3 "$BL" sample "${PID[wharf]}" "$SAMPLER_STOP" "$SAMPLER_READY" "$SAMPLER_OUT" &
SAMPLER=$!; PIDS+=("$SAMPLER")
for _ in $(seq 1 100); do [ -e "$SAMPLER_READY" ] && break; sleep 0.02; done
[ -e "$SAMPLER_READY" ] || die "RSS sampler did not start"

# ------------------------------------------------------------------ run 1: 0 -> UPLOAD_N, with page GETs at the sizes passed on the way
log "1. upload run 1: pkg0000..pkg$(printf '%04d' $(( UPLOAD_N - 1 ))) (timed; paused for page GETs at sizes below $UPLOAD_N)"
declare -A R1_WALL R1_USER R1_SYS R1_CLIENT
for s in "${SERVERS[@]}"; do R1_WALL[$s]=0; R1_USER[$s]=0; R1_SYS[$s]=0; R1_CLIENT[$s]=0; done
pos=0
for n in "${SIZES[@]}" "$UPLOAD_N"; do
    [ "$n" -le "$UPLOAD_N" ] && [ "$n" -gt "$pos" ] || continue
    for s in "${SERVERS[@]}"; do
        settle_all
        upload "$s" "$pos" "$n" "r1-$pos"
        R1_WALL[$s]="$(awk -v a="${R1_WALL[$s]}" -v b="$U_WALL" 'BEGIN { print a + b }')"
        R1_USER[$s]="$(awk -v a="${R1_USER[$s]}" -v b="$U_USER" 'BEGIN { print a + b }')"
        R1_SYS[$s]="$(awk -v a="${R1_SYS[$s]}" -v b="$U_SYS" 'BEGIN { print a + b }')"
        R1_CLIENT[$s]="$(awk -v a="${R1_CLIENT[$s]}" -v b="$U_CLIENT" 'BEGIN { print a + b }')"
        log "  $s: pkg$pos..pkg$(( n - 1 )) in $U_WALL s, server CPU $U_CPU s"
    done
    pos=$n
    [ "$n" -ge "$UPLOAD_N" ] || pages_at "$n"     # the clock is stopped here; run 1 = sum of its pieces
done
for s in "${SERVERS[@]}"; do
    U_N=$UPLOAD_N U_WALL="${R1_WALL[$s]}" U_USER="${R1_USER[$s]}" U_SYS="${R1_SYS[$s]}" U_CLIENT="${R1_CLIENT[$s]}"
    U_CPU="$(awk -v u="$U_USER" -v s="$U_SYS" 'BEGIN { printf "%.3f", u + s }')"
    rec_upload "$s" upload
    RUN1_WALL[$s]="$U_WALL"
    log "  $s run 1: $UPLOAD_N uploads in $U_WALL s, server CPU $U_CPU s"
done

# ------------------------------------------------------------------ at UPLOAD_N projects: pages (if asked) + uv install
if printf '%s\n' "${SIZES[@]}" | grep -qx "$UPLOAD_N"; then pages_at "$UPLOAD_N"; fi
log "3. uv pip install ${UV_N} packages, --no-cache, fresh venv, at $UV_AT projects (mean of $UV_REPEAT installs per sample)"
for s in "${UV_SERVERS[@]}"; do uv_install "$s" 0; done   # warm-up (uv's and the servers' first-use costs); not recorded
for i in $(seq 1 "$RUNS"); do for s in "${UV_SERVERS[@]}"; do uv_install "$s" "$i"; done; done
log "   diagnostic: 20 GETs of one wheel on one keep-alive connection"
for i in $(seq 1 "$RUNS"); do
    for s in "${UV_SERVERS[@]}"; do
        read -r ka_mean ka_max ka_slow ka_n < <(python3 "$PL" keepalive "${SIMPLE[$s]}pkg0003/" 20) \
            || die "keep-alive GETs from $s failed"
        rec "$s" file_get_ms "$ka_mean"; rec "$s" file_get_max_ms "$ka_max"
        rec "$s" file_get_slow "$ka_slow"; rec "$s" file_get_n "$ka_n"
        log "  $s run $i: mean $ka_mean ms, max $ka_max ms, $ka_slow of $ka_n over 20 ms"
    done
done

# ------------------------------------------------------------------ runs 2..N and the fill, within FILL_BUDGET
DEADLINE="$(awk -v t="$(date +%s)" -v b="$FILL_BUDGET" 'BEGIN { print t + b }')"
for i in $(seq 2 "$RUNS"); do
    for s in "${SERVERS[@]}"; do
        a="${COUNT[$s]}"; b=$(( a + UPLOAD_N ))
        est="$(awk -v w="${RUN1_WALL[$s]}" 'BEGIN { printf "%d", w * 1.3 + 1 }')"
        if [ "$s" != wharf ] && [ $(( $(date +%s) + est )) -gt "${DEADLINE%.*}" ]; then
            log "1. upload run $i: $s skipped (would take ~${est} s, past the ${FILL_BUDGET} s budget)"
            continue
        fi
        log "1. upload run $i: $s pkg$a..pkg$(( b - 1 ))"
        settle_all
        upload "$s" "$a" "$b" "r$i"
        rec_upload "$s" upload
        log "  $s run $i: $UPLOAD_N uploads in $U_WALL s, server CPU $U_CPU s"
    done
done

log "filling every index to $MAX_SIZE projects (untimed; the three fills run in parallel; deadline in $(( ${DEADLINE%.*} - $(date +%s) )) s)"
FILL_PIDS=()
for s in "${SERVERS[@]}"; do
    [ "${COUNT[$s]}" -lt "$MAX_SIZE" ] || continue
    auth=(); [ "$s" = devpi ] && auth=(--auth bench:x)
    python3 "$PL" upload "${UP_URL[$s]}" "$WHEELS" "${COUNT[$s]}" "$MAX_SIZE" "$OUT_DIR/pypi-upload-$s-fill.json" \
        "${PID[$s]}" "${auth[@]}" --deadline "$DEADLINE" >/dev/null 2>"$RQ/fill-$s.err" &
    FILL_PIDS+=("$!"); PIDS+=("$!")
done
for p in "${FILL_PIDS[@]}"; do wait "$p" || die "a fill upload failed: $(cat "$RQ"/fill-*.err)"; forget_pid "$p"; done
for s in "${SERVERS[@]}"; do
    f="$OUT_DIR/pypi-upload-$s-fill.json"
    [ -e "$f" ] || continue
    read -r U_N U_WALL U_USER U_SYS U_CLIENT U_EARLY < <(python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
print(r["n"], r["wall_s"], r["cpu_user_s"], r["cpu_sys_s"], r["client_cpu_s"], int(r["stopped_early"]))' "$f")
    U_CPU="$(awk -v u="$U_USER" -v s="$U_SYS" 'BEGIN { printf "%.3f", u + s }')"
    COUNT[$s]=$(( ${COUNT[$s]} + U_N ))
    rec_upload "$s" fill
    log "  $s: +$U_N uploads in $U_WALL s (server CPU $U_CPU s) -> ${COUNT[$s]} projects$([ "$U_EARLY" = 1 ] && echo ' (stopped by the budget)')"
done
for s in "${SERVERS[@]}"; do rec "$s" fill_reached "${COUNT[$s]}"; done
settle_all
[ "${COUNT[wharf]}" -ge "$MAX_SIZE" ] || log "warning: wharf itself did not reach $MAX_SIZE projects within the budget"

if [ "$MAX_SIZE" -gt "$UPLOAD_N" ]; then pages_at "$MAX_SIZE"; fi

# ------------------------------------------------------------------ RSS + report
rm -f "$SAMPLER_STOP"; wait "$SAMPLER" || die "RSS sampler failed"; forget_pid "$SAMPLER"
rec wharf rss_peak_mib "$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["peak_kib"] / 1024, 2))' "$SAMPLER_OUT")"
for s in "${SERVERS[@]}"; do rec "$s" rss_hwm_mib "$(python3 "$PL" hwm "${PID[$s]}")"; done
for s in "${UV_SERVERS[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; wait "${PID[$s]}" 2>/dev/null || true; forget_pid "${PID[$s]}"; done

meta "duration of the run" "$(( $(date +%s) - START_TS )) s (fill budget ${FILL_BUDGET} s)"
meta "CPU busy just after the run" "$(cpu_busy_pct)% (2 s sample)"
echo
python3 "$PL" report "$RAW" "$META" "$OUT_DIR/pypi-latest.md"
echo
log "table written to $OUT_DIR/pypi-latest.md (raw samples: $RAW, wrk output: $OUT_DIR/pypi-wrk-*.txt)"
