#!/usr/bin/env bash
# Runs `ferry check` on the real-world WDL corpora beside the checkout (../shared/corpora: Broad's
# WARP production pipelines), strict, with --lenient-optionals and with --compat cromwell, and fails if fewer documents
# are accepted than tests/corpus-expected.txt records.
#   scripts/corpus-check.sh [FERRY_BINARY]    (--update rewrites the record from this run)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpora="${FERRY_CORPORA:-$root/../shared/corpora}"
update=0
if [[ "${1:-}" == "--update" ]]; then update=1; shift; fi
ferry="$(realpath "${1:-${CARGO_TARGET_DIR:-$root/target}/release/ferry}")"
if [[ ! -x "$corpora/check-corpus.sh" ]]; then
  echo "corpus-check: $corpora not found; skipping"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# check-corpus.sh calls `BINARY check FILE`; this one adds the switch.
printf '#!/bin/sh\ncmd=$1; shift\nexec "%s" "$cmd" --lenient-optionals "$@"\n' "$ferry" > "$work/lenient"
chmod +x "$work/lenient"
printf '#!/bin/sh\ncmd=$1; shift\nexec "%s" "$cmd" --compat cromwell "$@"\n' "$ferry" > "$work/cromwell"
chmod +x "$work/cromwell"
record="$root/tests/corpus-expected.txt"
status=0
results=""
for mode in strict lenient cromwell; do
  bin="$ferry"; [[ $mode != strict ]] && bin="$work/$mode"
  "$corpora/check-corpus.sh" "$bin" > "$work/$mode.txt" 2>&1 || true
  passed=$(tail -n 1 "$work/$mode.txt" | awk '{print $1}')
  echo "corpus-check: WARP, $mode: $(tail -n 1 "$work/$mode.txt")"
  results+="warp-$mode $passed"$'\n'
  expected=$(awk -v k="warp-$mode" '$1 == k {print $2}' "$record")
  if [[ $update == 0 && -n "$expected" && "$passed" -lt "$expected" ]]; then
    echo "corpus-check: REGRESSION: warp-$mode accepts $passed documents, recorded $expected:"
    grep '^FAIL' "$work/$mode.txt" || true
    status=1
  fi
done
if [[ $update == 1 ]]; then
  printf '%s' "$results" > "$record"
  echo "corpus-check: wrote $record"
fi
exit $status
