#!/usr/bin/env bash
# The whole test suite: unit and end-to-end tests (real processes, the real ferry binary), then
# the WDL spec's example tests when ../shared/wdl-spec-tests is present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Release builds serve both the tests and the spec runner, so everything is compiled once.
cargo build --release --workspace --locked
cargo test --release --workspace --locked
scripts/spec-conformance.sh "${CARGO_TARGET_DIR:-$root/target}/release/ferry"
