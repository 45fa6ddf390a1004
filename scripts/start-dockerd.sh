#!/usr/bin/env bash
# Start (once) a private Docker daemon for Wharf's e2e tests, using Debian's
# docker.io (dockerd 20.10, built-in BuildKit). Idempotent: if the daemon we
# started earlier is still alive (per its pidfile) it is reused.
#
# Fixed locations (override with the env vars in brackets):
#   socket     unix:///run/wharf-test-docker.sock   [WHARF_DOCKER_SOCK=/run/wharf-test-docker.sock]
#   data-root  /var/lib/wharf-test-docker           [WHARF_DOCKER_DATA]
#   exec-root  /run/wharf-test-docker               [WHARF_DOCKER_EXEC]
#   pidfile    /run/wharf-test-docker.pid           [WHARF_DOCKER_PID]
#   log        /var/log/wharf-test-dockerd.log      [WHARF_DOCKER_LOG]
#   config     <data-root>.json (our own daemon.json; /etc/docker/daemon.json is ignored)
#
# Clients must use Debian's client, /usr/bin/docker (NOT /usr/local/bin/docker):
#   export DOCKER_HOST=unix:///run/wharf-test-docker.sock
#   DOCKER_BUILDKIT=1 /usr/bin/docker build --network host ...
#
# Sandbox notes: no systemd; cgroup v1 (cgroupfs); overlay2 works on the ext4
# root. No bridge networking (--bridge=none, no iptables): containers and
# builds must use `--network host` (registries on 127.0.0.1 are then reachable;
# 127.0.0.0/8 is an insecure registry by default in dockerd).
#
# On success prints exactly one line:  export DOCKER_HOST=unix:///...
# so `eval "$(scripts/start-dockerd.sh)"` works.
#
# Stop it with: kill "$(cat /run/wharf-test-docker.pid)"
set -euo pipefail

die() { echo "start-dockerd: ERROR: $*" >&2; exit 1; }

SOCK="${WHARF_DOCKER_SOCK:-/run/wharf-test-docker.sock}"
DATA="${WHARF_DOCKER_DATA:-/var/lib/wharf-test-docker}"
EXEC="${WHARF_DOCKER_EXEC:-/run/wharf-test-docker}"
PIDFILE="${WHARF_DOCKER_PID:-/run/wharf-test-docker.pid}"
LOGFILE="${WHARF_DOCKER_LOG:-/var/log/wharf-test-dockerd.log}"
CONF="${DATA%/}.json"
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
HOST="unix://$SOCK"
TIMEOUT="${WHARF_DOCKER_START_TIMEOUT:-60}"

[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$DOCKERD" ] && [ -x "$DOCKER" ] || die "$DOCKERD / $DOCKER missing: run scripts/install-test-deps.sh"

ready() { timeout 10 "$DOCKER" -H "$HOST" info >/dev/null 2>&1; }

our_pid() {
    # Prints the pid if the pidfile names a live dockerd, else nothing.
    local pid
    [ -s "$PIDFILE" ] || return 0
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dockerd" || return 0
    echo "$pid"
}

wait_ready() {
    local pid="$1" deadline=$((SECONDS + TIMEOUT))
    while ! ready; do
        if ! kill -0 "$pid" 2>/dev/null && [ -z "$(our_pid)" ]; then
            tail -n 30 "$LOGFILE" >&2 || true
            die "dockerd (pid $pid) exited; see $LOGFILE"
        fi
        [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$LOGFILE" >&2 || true; die "dockerd not ready after ${TIMEOUT}s; see $LOGFILE"; }
        sleep 0.2
    done
}

# Serialize concurrent callers (e.g. parallel test binaries).
exec 9>"${PIDFILE}.lock"
flock -w "$TIMEOUT" 9 || die "timed out waiting for lock ${PIDFILE}.lock"

pid="$(our_pid)"
if [ -n "$pid" ]; then
    wait_ready "$pid"
    echo "export DOCKER_HOST=$HOST"
    exit 0
fi

# Stale state from a daemon that died (or a reboot): clean up so the new one starts.
rm -f "$PIDFILE"
if [ -S "$SOCK" ] && ready; then
    die "something else serves $SOCK but $PIDFILE does not name it; refusing to start a second daemon"
fi
rm -f "$SOCK"

mkdir -p "$DATA" "$EXEC" "$(dirname "$LOGFILE")" "$(dirname "$PIDFILE")"
cat >"$CONF" <<'EOF'
{
  "storage-driver": "overlay2",
  "iptables": false,
  "ip6tables": false,
  "ip-masq": false,
  "bridge": "none",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "log-driver": "json-file",
  "log-level": "warn",
  "features": { "buildkit": true },
  "max-concurrent-uploads": 5,
  "max-concurrent-downloads": 5
}
EOF

# overlay2 needs the kernel's overlay fs; fall back to vfs (slow but portable).
if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
    sed -i 's/"overlay2"/"vfs"/' "$CONF"
fi

# setsid: own session so the daemon outlives the calling shell/job.
setsid "$DOCKERD" \
    --config-file "$CONF" \
    --data-root "$DATA" \
    --exec-root "$EXEC" \
    --pidfile "$PIDFILE" \
    -H "$HOST" \
    >>"$LOGFILE" 2>&1 </dev/null 9>&- &
pid=$!

wait_ready "$pid"
echo "export DOCKER_HOST=$HOST"
