#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Debian's docker.io,
# skopeo, podman, buildah; Python clients in .venv), starts a private Docker
# daemon, then runs every Rust test: unit, in-process protocol tests,
# durability tests against the built binary, and the end-to-end tests with
# the real clients. The real-client tests are #[ignore]d in a plain
# `cargo test` (reported as ignored); here they run (--include-ignored), and
# WHARF_TEST_REQUIRE_CLIENTS=1 makes a missing client fail them instead of
# reporting them NOT RUN.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/start-dockerd.sh >/dev/null

export WHARF_VENV="${WHARF_VENV:-$PWD/.venv}"
export PATH="$WHARF_VENV/bin:$PATH"
export WHARF_TEST_DOCKER_HOST="unix:///run/wharf-test-docker.sock"
export WHARF_TEST_REQUIRE_CLIENTS=1

# Every client a test needs, checked before anything is built.
missing=()
for tool in /usr/bin/docker busybox curl buildah podman skopeo \
    "$WHARF_VENV/bin/python" "$WHARF_VENV/bin/uv" "$WHARF_VENV/bin/pip" "$WHARF_VENV/bin/twine" \
    "$WHARF_VENV/bin/poetry" "$WHARF_VENV/bin/hatch" "$WHARF_VENV/bin/flit"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
"$WHARF_VENV/bin/python" -c 'import oras' 2>/dev/null || missing+=("the oras Python SDK")
[ -S "${WHARF_TEST_DOCKER_HOST#unix://}" ] || missing+=("the Docker daemon at $WHARF_TEST_DOCKER_HOST")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "test.sh: WHARF_TEST_REQUIRE_CLIENTS is set but these are missing: ${missing[*]}" >&2
    exit 1
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace -- --include-ignored --test-threads "${WHARF_TEST_THREADS:-4}"
