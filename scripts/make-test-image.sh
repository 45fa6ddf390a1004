#!/usr/bin/env bash
# Build a tiny runnable test image with no network access and load it into the
# test docker daemon (scripts/start-dockerd.sh) under the given tag.
#
#   scripts/make-test-image.sh <tag> [marker]
#
# The image is one layer: /bin/busybox (Debian's busybox-static) plus a
# symlink /bin/<applet> -> busybox for every applet (sh, echo, cat, ls, ...),
# an /etc/passwd + /etc/group for root, and empty /tmp /root /dev /proc /sys.
# CMD ["/bin/sh"]. If [marker] is given it is written to /etc/wharf-marker, so
# tests can make distinct images (different layer digest) on demand; without
# it the layer tarball is byte-for-byte reproducible (same layer digest).
#
# Env: DOCKER_HOST (default unix:///run/wharf-test-docker.sock).
# Prints the image id (sha256:...) on success.
set -euo pipefail

die() { echo "make-test-image: ERROR: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] && [ -n "$1" ] || die "usage: $0 <tag> [marker]"
TAG="$1"
MARKER="${2-}"

DOCKER=/usr/bin/docker
BUSYBOX=/bin/busybox
export DOCKER_HOST="${DOCKER_HOST:-unix:///run/wharf-test-docker.sock}"

[ -x "$DOCKER" ] || die "$DOCKER missing: run scripts/install-test-deps.sh"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: run scripts/install-test-deps.sh (busybox-static)"
file_out="$(LC_ALL=C "$BUSYBOX" 2>&1 | head -n1 || true)"
case "$file_out" in BusyBox*) ;; *) die "$BUSYBOX does not look like busybox" ;; esac
if command -v ldd >/dev/null && ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static"
fi

WORK="$(mktemp -d -t wharf-test-image.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"/{bin,etc,tmp,root,dev,proc,sys}
chmod 1777 "$ROOT/tmp"
chmod 0700 "$ROOT/root"
cp "$BUSYBOX" "$ROOT/bin/busybox"
chmod 0755 "$ROOT/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$ROOT/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
if [ -n "$MARKER" ]; then
    printf '%s\n' "$MARKER" >"$ROOT/etc/wharf-marker"
fi

# Reproducible tarball: fixed order, owners and mtimes.
tar --sort=name --mtime='2000-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
    -C "$ROOT" -cf "$WORK/rootfs.tar" . || die "tar failed"

if ! out="$("$DOCKER" import \
        --change 'CMD ["/bin/sh"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$WORK/rootfs.tar" "$TAG" 2>&1)"; then
    die "docker import into $DOCKER_HOST failed (is scripts/start-dockerd.sh running?): $out"
fi
echo "$out"
