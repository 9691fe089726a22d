#!/usr/bin/env bash
# Builds `ferry-stage`, the helper that runs inside remote jobs' containers, as a static binary
# that runs in any image (busybox, alpine, distroless, Debian), and copies it into DIR
# (default: target/ferry-stage/). Prefers the musl target; falls back to glibc with a static C
# runtime when the musl target cannot be installed.
#   scripts/build-stage-helper.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-${CARGO_TARGET_DIR:-target}/ferry-stage}
mkdir -p "$out"
out=$(cd "$out" && pwd)
target_dir=${CARGO_TARGET_DIR:-target}
musl=x86_64-unknown-linux-musl
if ! rustup target list --installed 2> /dev/null | grep -qx "$musl"; then
  rustup target add "$musl" > /dev/null 2>&1 || true
fi
if rustup target list --installed 2> /dev/null | grep -qx "$musl" &&
  cargo build -q --release -p ferry-stage --target "$musl" 2> "$out/build.log"; then
  bin=$target_dir/$musl/release/ferry-stage
else
  echo "build-stage-helper: musl target unavailable; building a static glibc binary" >&2
  RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release -p ferry-stage \
    --target x86_64-unknown-linux-gnu
  bin=$target_dir/x86_64-unknown-linux-gnu/release/ferry-stage
fi
install -s -m 755 "$bin" "$out/ferry-stage.new"
mv "$out/ferry-stage.new" "$out/ferry-stage"
echo "$out/ferry-stage"
