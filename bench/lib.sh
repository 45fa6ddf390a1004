# bench/lib.sh — helpers shared by the benchmark scripts. Source it after
# setting BENCH_NAME (for messages) and, before calling start_wharf,
# WHARF_BIN and the PIDS array (every process the script must stop).

die() { echo "$BENCH_NAME: ERROR: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found${2:+ — $2}"; }

# start_wharf DATA_DIR -> SRV_PID SRV_URL. wharf prints its listening line
# only once its storage is open, so the line means ready. The working
# directory is the data dir, so a stray ./wharf.toml is never picked up.
start_wharf() {
    local dir="$1" line="" i
    mkdir -p "$dir"
    ( cd "$dir" && WHARF_LOG=warn exec "$WHARF_BIN" serve --listen 127.0.0.1:0 --data-dir "$dir" \
        >"$dir.stdout" 2>"$dir.stderr" ) &
    SRV_PID=$!; PIDS+=("$SRV_PID")
    for i in $(seq 1 400); do
        line="$(grep -m1 -o 'wharf listening on http://[0-9.:]*' "$dir.stdout" 2>/dev/null || true)"
        [ -n "$line" ] && break
        kill -0 "$SRV_PID" 2>/dev/null || die "wharf exited: $(cat "$dir.stderr")"
        sleep 0.05
    done
    [ -n "$line" ] || die "wharf did not print its listening line"
    SRV_URL="${line#wharf listening on }"
}
