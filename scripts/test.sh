#!/usr/bin/env bash
# The whole test suite: unit and end-to-end tests (real processes, the real ferry binary, a real
# Docker daemon, an S3-compatible server on loopback, one-node Slurm and Grid Engine clusters), then the WDL spec's example tests when
# ../shared/wdl-spec-tests is present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# What the tests need that a fresh machine with only Rust lacks.
scripts/setup.sh
# The container tests need a Docker daemon and locally built images (no registry is used).
scripts/services/docker-up.sh
scripts/services/test-images.sh
# The object-store tests need an S3-compatible server on loopback (moto, 127.0.0.1:5000). The
# AWS Batch tests get a fresh moto of their own for Batch (127.0.0.1:5002) and another for S3
# (127.0.0.1:5001), and the static staging helper that jobs run.
scripts/services/moto-up.sh
MOTO_PORT=5001 scripts/services/moto-up.sh
MOTO_PORT=5002 MOTO_RESTART=1 scripts/services/moto-up.sh
# moto names job containers after the job (`ferry-...`) and leaves some behind when it is
# stopped or a Docker call fails; hundreds of them slow the daemon down for every later test.
docker ps -aq --filter 'name=^ferry-' | xargs -r docker rm -f > /dev/null
scripts/build-stage-helper.sh > /dev/null
# The other object stores' emulators: fake-gcs-server (gs://, 127.0.0.1:4443) and Azurite (az://,
# 127.0.0.1:10000), each with the bucket or container the tests use.
FAKE_GCS_BUCKETS=ferry-gcs scripts/services/fake-gcs-up.sh > /dev/null
AZURITE_CONTAINERS=ferry-az scripts/services/azurite-up.sh > /dev/null
# Container registries on loopback: one with a login (image pulls, tests/registry.rs), one
# without, which the daemon running moto's Batch jobs pulls from (tests/batch.rs).
REGISTRY_USER=ferry REGISTRY_PASSWORD=ferry-registry-secret scripts/services/registry-up.sh > /dev/null
REGISTRY_PORT=5051 scripts/services/registry-up.sh > /dev/null
# The cluster executor tests need a Slurm and a Grid Engine: one node each, on loopback,
# installed from the distribution's packages when missing.
scripts/services/slurm-up.sh > /dev/null
scripts/services/sge-up.sh > /dev/null
# The WES server's PostgreSQL run database (tests/serve.rs, ferry-serve's db tests): a server
# of the tests' own on 127.0.0.1:5433.
scripts/services/postgres-up.sh > /dev/null
# The declared rust-version covers every locked dependency.
scripts/check-msrv.sh
# Release builds serve both the tests and the spec runner, so everything is compiled once.
cargo build --release --workspace --locked
release="${CARGO_TARGET_DIR:-$root/target}/release"

# From here every step runs whatever failed before it; a summary at the end says what failed.
failed=()
step() {
  local name=$1
  shift
  echo "=== $name" >&2
  if ! "$@"; then
    failed+=("$name")
  fi
}
# Some spec examples ask for disks of several GiB; a nearly full disk fails them for no fault of
# the engine's (builds left in target directories have filled this one before).
avail_gib=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 { print int($4 / 1048576) }')
if ((avail_gib < 8)); then
  echo "WARNING: only ${avail_gib} GiB free under ${TMPDIR:-/tmp}: examples that ask for disk space will fail" >&2
fi
# Every test binary, even after one fails. The binaries that use the clusters (tests/hpc.rs,
# tests/hpc_limits.rs, which changes a cluster's global limit, and tests/serve.rs, which counts
# a cluster's jobs) spend their time waiting for one-node schedulers, not on the cpus: they run
# one after another beside the other binaries, which saves about their length.
cluster_tests=(hpc hpc_limits serve)
cluster_log=$(mktemp)
# Every test binary built, and the paths of those (a second cargo would wait for the first's
# lock while it runs tests).
cluster_bins=$(cargo test --release --workspace --locked --no-run --message-format=json |
  python3 -c '
import json, sys
wanted = sys.argv[1:]
found = {}
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        found[m["target"]["name"]] = m["executable"]
print("\n".join(found[n] for n in wanted))
' "${cluster_tests[@]}")
(
  cd crates/ferry-cli
  for test_binary in $cluster_bins; do
    echo "     Running $test_binary"
    "$test_binary" || echo "FAILED: $test_binary" >> "$cluster_log.failed"
  done
) > "$cluster_log" 2>&1 &
cluster_pid=$!
others=()
for t in crates/*/tests/*.rs; do
  name=$(basename "$t" .rs)
  [[ " ${cluster_tests[*]} " == *" $name "* ]] || others+=(--test "$name")
done
step "cargo test" cargo test --release --workspace --locked --no-fail-fast --lib --bins "${others[@]}"
cluster_result() {
  wait "$cluster_pid" || true
  cat "$cluster_log"
  [[ ! -s "$cluster_log.failed" ]]
}
step "cargo test (cluster binaries: ${cluster_tests[*]})" cluster_result
# Crash-only, by fault injection: the engine killed, stopped or hung up on at random moments of
# a wide scatter, then resumed at once (scripts/fault-injection.py prints every seed and the
# tally). The Docker daemon is checked again first: a wedged one is restarted, not waited for.
scripts/services/docker-up.sh
step "fault injection (local)" python3 scripts/fault-injection.py --ferry "$release/ferry" \
  --executor local --rounds 30
step "fault injection (docker)" python3 scripts/fault-injection.py --ferry "$release/ferry" \
  --executor docker --rounds 5 --shards 100 --stop-seconds 12
step "fault injection (slurm)" python3 scripts/fault-injection.py --ferry "$release/ferry" \
  --executor slurm --rounds 5 --shards 20 --stop-seconds 12
step "fault injection (sge)" python3 scripts/fault-injection.py --ferry "$release/ferry" \
  --executor sge --rounds 5 --shards 20 --stop-seconds 12
# The WES server: killed, terminated or stopped at random moments, or one of its runs' engines
# killed, while three runs share its 2 cpus.
step "fault injection (serve)" python3 scripts/serve-fault-injection.py --ferry "$release/ferry" \
  --rounds 8
step "WDL spec examples" scripts/spec-conformance.sh "$release/ferry"
# Real-world WDL (Broad's WARP pipelines) when ../shared/corpora is present: fails if fewer
# documents pass `ferry check` than tests/corpus-expected.txt records.
step "WARP corpus" scripts/corpus-check.sh "$release/ferry"

if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all test steps passed" >&2
