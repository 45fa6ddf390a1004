# bench/lib.sh — helpers shared by the benchmark scripts. Source it after
# setting BENCH_NAME (for messages), BENCH_DIR and REPO_ROOT and, before
# calling start_wharf / start_distribution, WHARF_BIN and the PIDS array
# (every process the script must stop).

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

# build_wharf -> WHARF_BIN: `cargo build --release -p wharf` in REPO_ROOT
# unless BENCH_SKIP_BUILD=1 (cargo waits if another build holds the lock).
build_wharf() {
    local target_dir="$REPO_ROOT/target"
    cd "$REPO_ROOT"
    if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
        log "cargo build --release -p wharf (waits if another build holds the lock)"
        cargo build --release -p wharf >&2 || die "cargo build --release -p wharf failed"
    fi
    if command -v cargo >/dev/null 2>&1; then
        target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    fi
    WHARF_BIN="$target_dir/release/wharf"
    [ -x "$WHARF_BIN" ] || die "$WHARF_BIN not found$([ "${BENCH_SKIP_BUILD:-0}" = 1 ] && echo ' (BENCH_SKIP_BUILD=1: build it first)')"
}

free_mib() { df -Pm "$1" | awk 'NR==2 {print $4}'; }
free_port() { python3 "$BENCH_DIR/benchlib.py" port; }

# busy % of all CPUs over 2 s (everything else on the machine)
cpu_busy_pct() {
    local a b
    a="$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)"; sleep 2
    b="$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)"
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1]-x[1]) / (y[2]-x[2]) }'
}

forget_pid() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; forget_pid "$1"; }
# stop_all: every process in PIDS
stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}

# bench_trap: on exit (or INT/TERM) stop every process in PIDS, delete
# SHM_DIR and DISK_DIR (if set), run the function named by CLEANUP_EXTRA (if
# set) and, on failure, say so.
bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    [ -z "${SHM_DIR:-}" ] || rm -rf "$SHM_DIR"
    [ -z "${DISK_DIR:-}" ] || rm -rf "$DISK_DIR"
    [ -z "${CLEANUP_EXTRA:-}" ] || "$CLEANUP_EXTRA"
    [ "$rc" = 0 ] || echo "$BENCH_NAME: failed (exit $rc); processes stopped, temp files removed" >&2
    exit "$rc"
}
bench_trap() {
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# git_desc: "git <short HEAD>[ + uncommitted changes in <files>]"
git_desc() {
    echo "git $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet 2>/dev/null || echo " + uncommitted changes in $(git -C "$REPO_ROOT" diff --name-only | tr '\n' ' ' | sed 's/ $//')")"
}

wait_http() { # URL: until it answers 200/401
    local i code
    for i in $(seq 1 200); do
        code="$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)"
        case "$code" in 200|401) return 0 ;; esac
        sleep 0.05
    done
    die "$1 did not come up"
}

# start_distribution DATA_DIR -> SRV_PID SRV_URL: CNCF distribution (Debian's
# docker-registry) with filesystem storage, delete enabled, the in-memory blob
# descriptor cache, access log off, log level error, on a free port.
start_distribution() {
    local dir="$1" port
    mkdir -p "$dir/storage"
    port="$(free_port)"
    cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
EOF
    docker-registry serve "$dir/config.yml" >"$dir.log" 2>&1 &
    SRV_PID=$!; PIDS+=("$SRV_PID")
    SRV_URL="http://127.0.0.1:$port"
    sleep 0.1
    kill -0 "$SRV_PID" 2>/dev/null || die "docker-registry exited: $(cat "$dir.log")"
    wait_http "$SRV_URL/v2/"
}
