#!/usr/bin/env bash
# Write a private podman/buildah/skopeo configuration under <dir> and print the
# env exports that select it, so tests never touch /etc/containers or
# /var/lib/containers:
#
#   eval "$(scripts/containers-env.sh /tmp/some-test-dir [overlay|vfs])"
#   podman pull --tls-verify=false 127.0.0.1:5999/test/img:1
#
# Why each setting (this sandbox: root without CAP_SYS_RESOURCE, no systemd,
# cgroup v1, hard RLIMIT_NOFILE 20000):
#   default_ulimits  podman (as root) otherwise asks runc for nofile=1048576 and
#                    a big nproc, which fails: "error setting rlimit type 7:
#                    operation not permitted" (7=NOFILE, 6=NPROC). NOTE: any
#                    `--ulimit` flag on `podman run` REPLACES these defaults, so
#                    pass both nofile and nproc if you pass one.
#   netns = "host"   otherwise podman/buildah RUN create a CNI bridge
#                    (cni-podman0, 10.88.0.0/16) + iptables chains on the host.
#   cgroupfs + file  no systemd/journald here (podman auto-detects these too;
#                    set explicitly so it never depends on the host).
# Storage driver: overlay (default; works as root on this ext4 root) or vfs.
set -euo pipefail

die() { echo "containers-env: ERROR: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 <dir> [overlay|vfs]"
DIR="$1"
DRIVER="${2:-overlay}"
case "$DRIVER" in overlay|vfs) ;; *) die "driver must be overlay or vfs, got '$DRIVER'" ;; esac

mkdir -p "$DIR/root" "$DIR/run"
DIR="$(cd "$DIR" && pwd)"

nofile="$(ulimit -Hn)"; [ "$nofile" = unlimited ] && nofile=1048576
nproc="$(ulimit -Hu)";  [ "$nproc" = unlimited ] && nproc=65536
# podman's conmon runs with nproc capped at 32768 here (pid_max), and runc
# cannot raise a limit above its own hard limit: stay well below both.
[ "$nofile" -gt 65536 ] && nofile=65536
[ "$nproc" -gt 16384 ] && nproc=16384

cat >"$DIR/storage.conf" <<EOF
[storage]
driver = "$DRIVER"
graphroot = "$DIR/root"
runroot = "$DIR/run"
EOF

cat >"$DIR/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$DIR/events.log"
EOF

cat >"$DIR/registries.conf" <<'EOF'
unqualified-search-registries = []
short-name-mode = "disabled"
EOF

echo "export CONTAINERS_STORAGE_CONF=$DIR/storage.conf"
echo "export CONTAINERS_CONF=$DIR/containers.conf"
echo "export CONTAINERS_REGISTRIES_CONF=$DIR/registries.conf"
