#!/usr/bin/env bash
# bench/pypi_scale.sh — Wharf's Python index (release build) at the sizes of
# the scale claim: "a project with 10 000 files and an index with 100 000
# projects stay fast (the root page is streamed)". Wharf only, one pass:
#
#   1. fill namespace bench/proj with BENCH_PROJECTS single-wheel projects,
#      BENCH_UPLOADERS parallel uploaders, each one keep-alive connection,
#      twine's multipart form: wall seconds, server CPU per upload
#   2. fill project bigproj (namespace bench/big) with BENCH_FILES wheels of
#      distinct versions 1.0.0, 1.0.1, … the same way
#   3. wrk -t2 -c16 -d10s --latency on the page of a 1-file project
#      (pkg0042, HTML) and on the page of bigproj (HTML and JSON): req/s, p99
#   4. the root page /pypi/bench/proj/simple/ with curl, HTML and JSON: time
#      to first byte, total time, size (median of 5), and a revalidation with
#      If-None-Match that must answer 304
#   5. wharf peak RSS over the whole run (VmRSS sampled every 50 ms)
#
# Prints a markdown table and writes it to bench/out/pypi-scale.md.
#
# Env knobs: BENCH_PROJECTS (100000), BENCH_FILES (10000), BENCH_UPLOADERS (4),
#            BENCH_WRK_DURATION (10s), BENCH_DISK_DIR (/var/tmp),
#            BENCH_SHM_DIR (/dev/shm), BENCH_SKIP_BUILD=1, BENCH_WAIT_OTHERS (1:
#            wait until no bench/oci.sh or bench/pypi.sh is running).
set -euo pipefail
export LC_ALL=C

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
BL="$BENCH_DIR/benchlib.py"     # RSS sampler, wrk parsing
PL="$BENCH_DIR/pypilib.py"      # process-tree CPU
PS="$BENCH_DIR/pypi_scale.py"   # parallel fills (pypilib's wheels + form), page checks, report

PROJECTS="${BENCH_PROJECTS:-100000}"
FILES="${BENCH_FILES:-10000}"
UPLOADERS="${BENCH_UPLOADERS:-4}"
WRK_DURATION="${BENCH_WRK_DURATION:-10s}"
ROOT_RUNS=5
PAGE_PROJECT=pkg0042
ACCEPT_HTML='text/html'
ACCEPT_JSON='application/vnd.pypi.simple.v1+json'

BENCH_NAME=bench/pypi_scale.sh
. "$BENCH_DIR/lib.sh"   # die, log, need, start_wharf
# a failed check that still lets the run finish: the table is written, then the script exits 1
FAILURES=()
fail() { log "FAILED: $*"; FAILURES+=("$*"); }

# ------------------------------------------------------------------ tools + knobs
need curl "apt-get install curl"
need wrk "scripts/install-test-deps.sh installs it"
need python3 "apt-get install python3"
need awk; need df; need sort
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || need cargo "install Rust (rustup)"
[[ "$PROJECTS" =~ ^[0-9]+$ ]] && [ "$PROJECTS" -ge 43 ] || die "BENCH_PROJECTS must be a number ≥ 43 (the page of $PAGE_PROJECT is measured)"
[[ "$FILES" =~ ^[0-9]+$ ]] && [ "$FILES" -ge 1 ] || die "BENCH_FILES must be a number ≥ 1"
[[ "$UPLOADERS" =~ ^[0-9]+$ ]] && [ "$UPLOADERS" -ge 1 ] || die "BENCH_UPLOADERS must be a number ≥ 1"

# ------------------------------------------------------------------ wait for the other benchmarks
if [ "${BENCH_WAIT_OTHERS:-1}" = 1 ]; then
    while pgrep -f 'bench/(oci|pypi)\.sh' >/dev/null 2>&1; do
        log "bench/oci.sh or bench/pypi.sh is running; waiting (polling every 30 s)"
        sleep 30
    done
fi

# ------------------------------------------------------------------ build
build_wharf

# ------------------------------------------------------------------ temp dirs
SHM_BASE="${BENCH_SHM_DIR:-/dev/shm}"
DISK_BASE="${BENCH_DISK_DIR:-/var/tmp}"
if [ ! -d "$SHM_BASE" ] || [ "$(free_mib "$SHM_BASE")" -lt 256 ]; then SHM_BASE="$DISK_BASE"; fi
# ~110 000 small wheels (+ their extracted METADATA) and the metadata DB
NEED_MIB=$(( 1024 + (PROJECTS + FILES) / 100 ))
[ "$(free_mib "$DISK_BASE")" -ge "$NEED_MIB" ] || die "not enough free space in $DISK_BASE (need ~$NEED_MIB MiB); set BENCH_DISK_DIR"

PIDS=()
SHM_DIR="" DISK_DIR=""
bench_trap
SHM_DIR="$(mktemp -d "$SHM_BASE/wharf-pypi-scale.XXXXXX")"
DISK_DIR="$(mktemp -d "$DISK_BASE/wharf-pypi-scale-data.XXXXXX")"
mkdir -p "$OUT_DIR"
RQ="$SHM_DIR/rq"; mkdir -p "$RQ"
BUILT_AT="$(date -u -r "$WHARF_BIN" '+%H:%M:%S UTC')"
cp "$WHARF_BIN" "$SHM_DIR/wharf"; WHARF_BIN="$SHM_DIR/wharf"   # others' builds may replace target/ mid-run
RAW="$OUT_DIR/pypi-scale-raw.tsv"; META="$OUT_DIR/pypi-scale-meta.tsv"
: > "$RAW"; : > "$META"
rm -f "$OUT_DIR"/pypi-scale-wrk-*.txt "$OUT_DIR"/pypi-scale-fill-*.json
rec() { printf '%s\t%s\n' "$1" "$2" >> "$RAW"; }
meta() { printf '%s\t%s\n' "$1" "$2" >> "$META"; }

# ------------------------------------------------------------------ helpers
treecpu() { python3 "$PL" treecpu "$1"; }      # "user sys" of PID + descendants
cpu_delta() { # "u0 s0" "u1 s1" -> seconds
    local u0 s0 u1 s1
    read -r u0 s0 <<<"$1"; read -r u1 s1 <<<"$2"
    awk -v a="$u0" -v b="$u1" -v c="$s0" -v d="$s1" 'BEGIN { printf "%.3f", (b-a)+(d-c) }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ticks_of() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# settle: wait (≤ 60 s) until wharf is idle (≤ 2 ticks in 0.5 s), so the
# backlog of one phase (wrk stops sending, the server keeps working) or
# background work does not run into the next measurement
settle() {
    local a b i
    a="$(ticks_of "$WPID")"
    for i in $(seq 1 120); do
        sleep 0.5
        b="$(ticks_of "$WPID")"
        [ $(( b - a )) -gt 2 ] || return 0
        a="$b"
    done
    log "warning: wharf still busy after 60 s of waiting"
}


# fill KIND(proj|big) URL COUNT: parallel uploads, recorded as fill_KIND_*
fill() {
    local kind="$1" url="$2" n="$3" out="$OUT_DIR/pypi-scale-fill-$1.json"
    settle
    python3 "$PS" fill "$url" "$WPID" "$kind" 0 "$n" "$UPLOADERS" "$out" >/dev/null 2>"$RQ/fill-$kind.err" \
        || die "fill $kind ($n uploads to $url) failed: $(tail -n 5 "$RQ/fill-$kind.err")"
    local got wall rate cpu f10 l10 p99
    read -r got wall rate cpu f10 l10 p99 < <(python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
print(r["n"], r["wall_s"], r["uploads_per_s"], r["cpu_ms_per_upload"], r["lat_first10_ms"], r["lat_last10_ms"], r["lat_p99_ms"])' "$out")
    [ "$got" = "$n" ] || die "fill $kind: $got of $n uploads done"
    rec "fill_${kind}_wall_s" "$wall"; rec "fill_${kind}_rate" "$rate"; rec "fill_${kind}_cpu_ms" "$cpu"
    rec "fill_${kind}_first10_ms" "$f10"; rec "fill_${kind}_last10_ms" "$l10"; rec "fill_${kind}_lat_p99_ms" "$p99"
    log "  $n uploads in $wall s ($rate/s), server CPU $cpu ms per upload; latency first 10 % $f10 ms, last 10 % $l10 ms, p99 $p99 ms"
}

# check_get URL ACCEPT FILE: GET must answer 200 with the content type asked for
check_get() {
    local code ct
    read -r code ct < <(curl -sS -o "$3" -w '%{http_code} %{content_type}\n' -H "Accept: $2" "$1") || die "GET $1 failed"
    [ "$code" = 200 ] || die "GET $1 (Accept: $2): HTTP $code: $(head -c 300 "$3")"
    [ "${ct%%;*}" = "$2" ] || die "GET $1 (Accept: $2): Content-Type $ct"
}

run_wrk() { # KEY URL ACCEPT
    local key="$1" url="$2" accept="$3" f="$OUT_DIR/pypi-scale-wrk-$1.txt" rps p99 non2xx errs c0 c1 reqs cpu
    settle
    c0="$(treecpu "$WPID")"
    wrk -t2 -c16 -d"$WRK_DURATION" --timeout 30s --latency -H "Accept: $accept" "$url" > "$f" 2>&1 \
        || die "wrk failed: $(cat "$f")"
    c1="$(treecpu "$WPID")"
    read -r rps p99 non2xx errs < <(python3 "$BL" wrk "$f")
    [ "$non2xx" = 0 ] || die "wrk $url got $non2xx non-2xx responses (see $f)"
    [ "$errs" = 0 ] || { log "warning: wrk $url reported $errs socket errors (see $f)"; rec "${key}_socket_errors" "$errs"; }
    reqs="$(awk '/requests in/ { print $1; exit }' "$f")"
    cpu="$(cpu_delta "$c0" "$c1")"
    rec "${key}_rps" "$rps"; rec "${key}_p99_ms" "$p99"
    [ -z "$reqs" ] || [ "$reqs" = 0 ] || rec "${key}_cpu_us" "$(awk -v c="$cpu" -v r="$reqs" 'BEGIN { printf "%.1f", 1e6 * c / r }')"
    log "  $key: $rps req/s, p99 $p99 ms, server CPU ${cpu}s for $reqs requests"
}

root_page() { # FMT(html|json) ACCEPT
    local fmt="$1" accept="$2" url="$ROOT_URL" i code ttfb total size etag count
    local body="$RQ/root.$fmt" hdr="$RQ/root.$fmt.hdr"
    settle
    : > "$RQ/ttfb"; : > "$RQ/total"; : > "$RQ/size"
    for i in $(seq 1 "$ROOT_RUNS"); do
        read -r code ttfb total size < <(curl -sS -o "$body" -D "$hdr" -H "Accept: $accept" \
            -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' "$url") || die "GET $url failed"
        [ "$code" = 200 ] || die "GET $url (Accept: $accept): HTTP $code: $(head -c 300 "$body")"
        echo "$ttfb" >> "$RQ/ttfb"; echo "$total" >> "$RQ/total"; echo "$size" >> "$RQ/size"
    done
    ttfb="$(median < "$RQ/ttfb" | awk '{ printf "%.2f", 1000 * $1 }')"
    total="$(median < "$RQ/total" | awk '{ printf "%.2f", 1000 * $1 }')"
    size="$(median < "$RQ/size")"
    count="$(python3 "$PS" rootcount "$body" "$fmt")" || die "root page ($fmt) does not parse"
    rec "root_${fmt}_ttfb_ms" "$ttfb"; rec "root_${fmt}_total_ms" "$total"; rec "root_${fmt}_bytes" "$size"
    rec "root_${fmt}_count" "$count"
    grep -qi '^content-length:' "$hdr" && log "  note: the $fmt root page came with a Content-Length (not streamed?)"
    log "  root $fmt: first byte $ttfb ms, total $total ms, $size bytes, $count projects (median of $ROOT_RUNS)"
    # revalidation with the ETag of the last response
    etag="$(awk 'tolower($1) == "etag:" { sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print; exit }' "$hdr")"
    if [ -z "$etag" ]; then
        rec "root_${fmt}_304_ok" 0; fail "the $fmt root page has no ETag, so it cannot be revalidated"; return 0
    fi
    : > "$RQ/t304"
    for i in $(seq 1 "$ROOT_RUNS"); do
        read -r code total < <(curl -sS -o /dev/null -H "Accept: $accept" -H "If-None-Match: $etag" \
            -w '%{http_code} %{time_total}\n' "$url") || die "revalidation GET $url failed"
        if [ "$code" != 304 ]; then
            rec "root_${fmt}_304_ok" 0; fail "the $fmt root page answered $code, not 304, to If-None-Match: $etag"; return 0
        fi
        echo "$total" >> "$RQ/t304"
    done
    rec "root_${fmt}_304_ok" 1
    rec "root_${fmt}_304_ms" "$(median < "$RQ/t304" | awk '{ printf "%.3f", 1000 * $1 }')"
    log "  root $fmt: If-None-Match $etag -> 304 in $(median < "$RQ/t304" | awk '{ printf "%.2f", 1000 * $1 }') ms"
}

# ------------------------------------------------------------------ meta
START_TS="$(date +%s)"
meta "date" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
meta "machine" "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -sr)"
meta "wharf" "$("$WHARF_BIN" --version 2>/dev/null || echo wharf) (release, binary built $BUILT_AT, WHARF_LOG=warn), git $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet 2>/dev/null || echo " + uncommitted changes in $(git -C "$REPO_ROOT" diff --name-only | tr '\n' ' ' | sed 's/ $//')")"
meta "sizes" "$PROJECTS projects in bench/proj (pkgNNNN-1.0, one wheel each); bigproj in bench/big with $FILES wheels (1.0.0 … 1.0.$(( FILES - 1 )))"
meta "client" "uploads: $UPLOADERS python3 processes, each one http.client keep-alive connection, twine 7's form fields, bodies built before the clock; $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}') \`-t2 -c16 -d$WRK_DURATION --timeout 30s --latency\`; root page: $(curl --version | head -n1 | awk '{print $1, $2}'), median of $ROOT_RUNS"
meta "storage" "server data in $DISK_BASE ($(df -PT "$DISK_BASE" | awk 'NR==2 {print $2}'))"
busy="$(cpu_busy_pct)"
meta "CPU busy from other processes just before start" "$busy% (2 s sample of /proc/stat)"
[ "$busy" -le 20 ] || log "warning: the machine is already $busy% busy (other processes); numbers will be noisy"
rec projects "$PROJECTS"; rec files "$FILES"; rec uploaders "$UPLOADERS"

# ------------------------------------------------------------------ server + RSS sampler
log "starting wharf"
start_wharf "$DISK_DIR/wharf"; WPID="$SRV_PID"; WURL="$SRV_URL"
log "  wharf $WURL (pid $WPID)"
PROJ_UP="$WURL/pypi/bench/proj/"; BIG_UP="$WURL/pypi/bench/big/"
ROOT_URL="$WURL/pypi/bench/proj/simple/"
SMALL_URL="$WURL/pypi/bench/proj/simple/$PAGE_PROJECT/"
BIG_URL="$WURL/pypi/bench/big/simple/bigproj/"

SAMPLER_STOP="$SHM_DIR/sampler.stop"; SAMPLER_READY="$SHM_DIR/sampler.ready"; SAMPLER_OUT="$OUT_DIR/pypi-scale-sampler.json"
: > "$SAMPLER_STOP"; rm -f "$SAMPLER_READY" "$SAMPLER_OUT"
python3 "$BL" sample "$WPID" "$SAMPLER_STOP" "$SAMPLER_READY" "$SAMPLER_OUT" &
SAMPLER=$!; PIDS+=("$SAMPLER")
for _ in $(seq 1 100); do [ -e "$SAMPLER_READY" ] && break; sleep 0.02; done
[ -e "$SAMPLER_READY" ] || die "RSS sampler did not start"

# ------------------------------------------------------------------ 1. fill bench/proj
log "1. filling bench/proj with $PROJECTS single-wheel projects ($UPLOADERS uploaders, one keep-alive connection each)"
fill proj "$PROJ_UP" "$PROJECTS"

# ------------------------------------------------------------------ 2. fill bigproj
log "2. filling bench/big/bigproj with $FILES versions ($UPLOADERS uploaders)"
fill big "$BIG_UP" "$FILES"

# ------------------------------------------------------------------ 3. project pages
log "3. project pages: checks, then wrk -t2 -c16 -d$WRK_DURATION"
check_get "$SMALL_URL" "$ACCEPT_HTML" "$RQ/small.html"
[ "$(python3 "$PS" pagecount "$RQ/small.html" html)" = 1 ] || die "$SMALL_URL does not list exactly 1 file"
rec page_small_html_bytes "$(stat -c %s "$RQ/small.html")"
check_get "$BIG_URL" "$ACCEPT_HTML" "$RQ/big.html"
check_get "$BIG_URL" "$ACCEPT_JSON" "$RQ/big.json"
for fmt in html json; do
    n="$(python3 "$PS" pagecount "$RQ/big.$fmt" "$fmt")" || die "bigproj page ($fmt) does not parse"
    [ "$n" = "$FILES" ] || die "bigproj page ($fmt) lists $n files, not $FILES"
    rec "page_big_${fmt}_bytes" "$(stat -c %s "$RQ/big.$fmt")"
done
run_wrk page_small_html "$SMALL_URL" "$ACCEPT_HTML"
run_wrk page_big_html "$BIG_URL" "$ACCEPT_HTML"
run_wrk page_big_json "$BIG_URL" "$ACCEPT_JSON"

# ------------------------------------------------------------------ 4. root page
log "4. root page $ROOT_URL with $PROJECTS projects (curl, median of $ROOT_RUNS)"
root_page html "$ACCEPT_HTML"
root_page json "$ACCEPT_JSON"
n="$(awk -F'\t' '$1 == "root_json_count" { print $2 }' "$RAW")"
[ "$n" = "$PROJECTS" ] || fail "the JSON root page lists $n projects, not $PROJECTS"

# ------------------------------------------------------------------ RSS + report
rm -f "$SAMPLER_STOP"; wait "$SAMPLER" || die "RSS sampler failed"
rec rss_peak_mib "$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["peak_kib"] / 1024, 2))' "$SAMPLER_OUT")"
rec rss_hwm_mib "$(python3 "$PL" hwm "$WPID")"
meta "data on disk" "$(du -sm "$DISK_DIR/wharf" | awk '{print $1}') MiB"
meta "duration of the run" "$(( $(date +%s) - START_TS )) s"
meta "CPU busy just after the run" "$(cpu_busy_pct)% (2 s sample)"
echo
python3 "$PS" report "$RAW" "$META" "$OUT_DIR/pypi-scale.md"
echo
log "table written to $OUT_DIR/pypi-scale.md (raw figures: $RAW, wrk output: $OUT_DIR/pypi-scale-wrk-*.txt)"
[ "${#FAILURES[@]}" = 0 ] || die "$(printf '%s; ' "${FAILURES[@]}" | sed 's/; $//')"
