#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Debian's docker.io,
# skopeo, podman, buildah; Python clients in .venv), starts a private Docker
# daemon, then runs every Rust test (unit, in-process, conformance port and
# end-to-end tests with the real clients against the built binary).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/start-dockerd.sh >/dev/null

export WHARF_VENV="${WHARF_VENV:-$PWD/.venv}"
export PATH="$WHARF_VENV/bin:$PATH"
export WHARF_TEST_DOCKER_HOST="unix:///run/wharf-test-docker.sock"
export WHARF_TEST_REQUIRE_CLIENTS=1

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace -- --test-threads "${WHARF_TEST_THREADS:-4}"
