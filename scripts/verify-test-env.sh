#!/usr/bin/env bash
# Smoke-test the e2e tool chain against Debian's docker-registry (CNCF
# distribution 2.8.2) on 127.0.0.1:${WHARF_VERIFY_PORT:-5999}: docker push/pull/
# run, BuildKit build (local-registry base image, inline cache + --cache-from),
# skopeo, podman (pull/push/manifest list), buildah (bud, push oci/docker), oras
# (Python SDK). Starts the test dockerd if needed (and leaves it running);
# stops the registry and removes its temp dirs on exit.
#
# Prerequisite: scripts/install-test-deps.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/.." && pwd)"
VENV="${WHARF_VENV:-$REPO_ROOT/.venv}"
PORT="${WHARF_VERIFY_PORT:-5999}"
REG="127.0.0.1:$PORT"
D=/usr/bin/docker

die() { echo "verify-test-env: FAIL: $*" >&2; exit 1; }
step() { printf '  %-58s' "$1"; }
ok() { echo "ok"; }

WORK="$(mktemp -d -t wharf-verify.XXXXXX)"
REG_PID=""
cleanup() {
    # containers/storage (overlay) leaves a private bind mount of its graphroot.
    local m
    for m in $(awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    if [ -n "$REG_PID" ] && kill -0 "$REG_PID" 2>/dev/null; then
        kill "$REG_PID" 2>/dev/null || true
        wait "$REG_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

run() { # run quietly; on failure show output and die
    local out
    if ! out="$("$@" 2>&1)"; then
        echo "FAILED"; echo "\$ $*" >&2; echo "$out" | tail -n 30 >&2; die "$1"
    fi
}

eval "$("$HERE/start-dockerd.sh")"
echo "DOCKER_HOST=$DOCKER_HOST"

# ---------------------------------------------------------- registry
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT already in use"
fi
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry-data
  delete:
    enabled: true
http:
  addr: $REG
EOF
/usr/bin/docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 </dev/null &
REG_PID=$!
for _ in $(seq 100); do
    curl -fsS "http://$REG/v2/" >/dev/null 2>&1 && break
    kill -0 "$REG_PID" 2>/dev/null || { cat "$WORK/registry.log" >&2; die "docker-registry exited"; }
    sleep 0.1
done
curl -fsS "http://$REG/v2/" >/dev/null || die "docker-registry not ready on $REG"

# ---------------------------------------------------------- docker
step "make-test-image + docker run --network host"
run "$HERE/make-test-image.sh" wharf-verify/busybox:1
[ "$($D run --rm --network host wharf-verify/busybox:1 echo hello)" = hello ] || die "docker run"
ok

step "docker push/pull $REG/test/img:1"
run $D tag wharf-verify/busybox:1 "$REG/test/img:1"
run $D push "$REG/test/img:1"
run $D rmi "$REG/test/img:1"
run $D pull "$REG/test/img:1"
ok

step "BuildKit build FROM local registry (+inline cache push)"
mkdir -p "$WORK/ctx"
printf 'FROM %s/test/img:1\nRUN echo hi > /x\n' "$REG" >"$WORK/ctx/Dockerfile"
run $D rmi "$REG/test/img:1"
run env DOCKER_BUILDKIT=1 $D build --pull --network host \
    --build-arg BUILDKIT_INLINE_CACHE=1 -t "$REG/test/built:1" "$WORK/ctx"
[ "$($D run --rm --network host "$REG/test/built:1" cat /x)" = hi ] || die "built image content"
run $D push "$REG/test/built:1"
ok

step "BuildKit --cache-from registry (inline cache) hits"
run $D rmi "$REG/test/built:1"
run $D builder prune -af
out="$(DOCKER_BUILDKIT=1 $D build --progress=plain --network host \
    --cache-from "$REG/test/built:1" -t "$REG/test/built:2" "$WORK/ctx" 2>&1)" || { echo "$out" >&2; die "cache-from build"; }
grep -q CACHED <<<"$out" || { echo "$out" >&2; die "no cache hit from $REG/test/built:1"; }
ok

# ---------------------------------------------------------- skopeo
step "skopeo copy docker-daemon: / docker-archive: -> registry"
run skopeo copy -q --src-daemon-host "$DOCKER_HOST" --dest-tls-verify=false \
    "docker-daemon:$REG/test/built:2" "docker://$REG/test/skopeo:daemon"
run $D save -o "$WORK/img.tar" "$REG/test/built:2"
run skopeo copy -q --dest-tls-verify=false --format oci \
    "docker-archive:$WORK/img.tar" "docker://$REG/test/skopeo:oci"
skopeo inspect --raw --tls-verify=false "docker://$REG/test/skopeo:oci" | grep -q 'application/vnd.oci.image.manifest.v1+json' \
    || die "skopeo --format oci did not produce an OCI manifest"
ok

# ---------------------------------------------------------- podman / buildah
eval "$("$HERE/containers-env.sh" "$WORK/containers")"
step "podman pull/run/push"
run podman pull -q --tls-verify=false "$REG/test/img:1"
[ "$(podman run --rm "$REG/test/img:1" echo hi-podman)" = hi-podman ] || die "podman run"
run podman push -q --tls-verify=false --format oci "$REG/test/img:1" "docker://$REG/test/podman:oci"
ok

step "buildah bud + push --format oci/docker"
run buildah bud -q --tls-verify=false -f "$WORK/ctx/Dockerfile" -t "$REG/test/buildah:1" "$WORK/ctx"
run buildah push -q --tls-verify=false --format oci "$REG/test/buildah:1" "docker://$REG/test/buildah:oci"
run buildah push -q --tls-verify=false --format docker "$REG/test/buildah:1" "docker://$REG/test/buildah:docker"
ok

step "buildah --storage-driver vfs push"
V="$WORK/vfs"
run buildah --storage-driver vfs --root "$V/root" --runroot "$V/run" pull -q --tls-verify=false "$REG/test/img:1"
run buildah --storage-driver vfs --root "$V/root" --runroot "$V/run" push -q --tls-verify=false --format docker \
    "$REG/test/img:1" "docker://$REG/test/buildah-vfs:1"
ok

step "podman manifest create/add/push --all"
run podman manifest create "$REG/test/multi:1"
run podman manifest add --tls-verify=false "$REG/test/multi:1" "docker://$REG/test/img:1"
run podman manifest add --tls-verify=false --arch arm64 --variant v8 "$REG/test/multi:1" "docker://$REG/test/buildah:docker"
run podman manifest push -q --all --tls-verify=false "$REG/test/multi:1" "docker://$REG/test/multi:1"
skopeo inspect --raw --tls-verify=false "docker://$REG/test/multi:1" | grep -q '"manifests"' || die "manifest list not pushed"
run $D pull "$REG/test/multi:1"
ok

# ---------------------------------------------------------- oras (python)
step "oras-py push/pull (monolithic + chunked)"
(cd "$WORK" && echo artifact >a.txt && head -c 3000000 /dev/urandom >big.bin && "$VENV/bin/python" - "$REG" <<'EOF'
import sys, oras.client
reg = sys.argv[1]
c = oras.client.OrasClient(hostname=reg, insecure=True)
r = c.push(files=["a.txt"], target=f"{reg}/test/artifact:1", quiet=True)
assert r.status_code == 201, r.status_code
out = c.pull(target=f"{reg}/test/artifact:1", outdir="o1")
assert open(out[0]).read() == "artifact\n"
r = c.push(files=["big.bin:application/octet-stream"], target=f"{reg}/test/artifact:2",
           do_chunked=True, chunk_size=1 << 20, quiet=True)
assert r.status_code == 201, r.status_code
out = c.pull(target=f"{reg}/test/artifact:2", outdir="o2")
assert open(out[0], "rb").read() == open("big.bin", "rb").read()
assert "1" in c.get_tags(f"{reg}/test/artifact")
EOF
) >"$WORK/oras.log" 2>&1 || { cat "$WORK/oras.log" >&2; die "oras"; }
ok

# ---------------------------------------------------------- cleanup docker side
$D rmi -f wharf-verify/busybox:1 "$REG/test/img:1" "$REG/test/built:2" "$REG/test/multi:1" >/dev/null 2>&1 || true
echo "verify-test-env: all ok"
