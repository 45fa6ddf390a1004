#!/usr/bin/env bash
# Install everything Wharf's e2e tests and benchmarks need. Idempotent:
# anything already present is skipped. Prints one summary line on success.
#
# Debian packages (bookworm):
#   docker.io        Debian's docker 20.10: /usr/bin/docker (built-in BuildKit,
#                    no buildx plugin) + /usr/sbin/dockerd; pulls in containerd,
#                    runc, tini, iptables. NOTE: /usr/local/bin/docker (if any)
#                    is a different, newer client without buildx: tests must
#                    call /usr/bin/docker explicitly.
#   skopeo, podman, buildah, busybox-static, wrk
#   docker-registry  CNCF distribution 2.8.2 (/usr/bin/docker-registry), benchmarks
#   nginx-light      the sendfile reference in the benchmarks
#
# Python venv ($WHARF_VENV, default <repo>/.venv):
#   oras (Python SDK only, no CLI), twine, uv, poetry, hatch, flit, build,
#   pypiserver, devpi-server, devpi-client
#
# Env:
#   WHARF_VENV    venv path (default: <repo>/.venv)
#   WHARF_PYTHON  interpreter used to create the venv (default: python3)
set -euo pipefail

die() { echo "install-test-deps: ERROR: $*" >&2; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WHARF_VENV:-$REPO_ROOT/.venv}"
PYTHON="${WHARF_PYTHON:-python3}"
LOG=""          # created only when something has to be installed
created_policy=0
cleanup() {
    if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
    if [ -n "$LOG" ]; then rm -f "$LOG"; fi
}
trap cleanup EXIT
newlog() { [ -n "$LOG" ] || LOG="$(mktemp -t wharf-install-deps.XXXXXX.log)"; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install)"

# ---------------------------------------------------------------- apt
APT_PKGS=(docker.io containerd runc skopeo podman buildah busybox-static wrk docker-registry nginx-light)

apt_missing=()
for p in "${APT_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        apt_missing+=("$p")
    fi
done

apt_summary="apt: all present"
if [ "${#apt_missing[@]}" -gt 0 ]; then
    # Never let package postinst scripts start daemons (docker, podman,
    # docker-registry): we start our own with our own sockets/ports.
    # (Without it, invoke-rc.d fails here: "could not determine current runlevel".)
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    newlog
    t0=$SECONDS
    if ! apt-get update -qq >"$LOG" 2>&1; then
        cat "$LOG" >&2; die "apt-get update failed"
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${apt_missing[@]}" >"$LOG" 2>&1; then
        tail -n 40 "$LOG" >&2; die "apt-get install ${apt_missing[*]} failed"
    fi
    apt_summary="apt: installed ${#apt_missing[@]} pkg(s) in $((SECONDS - t0))s"
fi

for b in /usr/bin/docker /usr/sbin/dockerd /usr/bin/containerd /usr/bin/runc /usr/bin/skopeo \
         /usr/bin/podman /usr/bin/buildah /bin/busybox /usr/bin/wrk /usr/bin/docker-registry; do
    [ -x "$b" ] || die "$b missing after apt install"
done

# ---------------------------------------------------------------- python venv
PY_PKGS=(oras twine uv poetry hatch flit build pypiserver devpi-server devpi-client)
# import-name / console-script checks proving each package is usable
PY_BINS=(twine uv poetry hatch flit pyproject-build pypi-server devpi-server devpi-init devpi)

venv_ok() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" -c 'import oras.client' >/dev/null 2>&1 || return 1
    local b
    for b in "${PY_BINS[@]}"; do [ -x "$VENV/bin/$b" ] || return 1; done
    "$VENV/bin/python" -m pip show -q "${PY_PKGS[@]}" >/dev/null 2>&1 || return 1
}

py_summary="venv: all present"
if ! venv_ok; then
    newlog
    t0=$SECONDS
    if [ ! -x "$VENV/bin/python" ]; then
        command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set WHARF_PYTHON)"
        "$PYTHON" -m venv "$VENV" >"$LOG" 2>&1 || { cat "$LOG" >&2; die "creating venv $VENV failed"; }
    fi
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PKGS[@]}" >"$LOG" 2>&1; then
        tail -n 40 "$LOG" >&2; die "pip install into $VENV failed"
    fi
    venv_ok || die "venv $VENV still incomplete after pip install"
    py_summary="venv: installed in $((SECONDS - t0))s"
fi

echo "install-test-deps: ok ($apt_summary; $py_summary; venv=$VENV)"
