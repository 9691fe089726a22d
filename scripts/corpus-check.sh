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
# Stub runs of the WARP pipelines that ship Cromwell "Plumbing" test inputs, as a Cromwell user
# would try Ferry: the inputs as written with every gs:// object replaced by an empty local
# file, `--profile stub --compat cromwell`. Each must finish, reach every call that its inputs
# select (the others are in branches those inputs do not take) and at least the recorded number.
for inputs in $(find "$corpora/warp/pipelines" -path '*test_inputs/Plumbing/*.json' | sort); do
  dir="${inputs%/test_inputs/*}"
  name="$(basename "$dir")"
  wdl="$(find "$dir" -maxdepth 1 -name '*.wdl' | head -n 1)"
  local_inputs="$work/stub-$name.json"
  python3 - "$inputs" "$local_inputs" "$work/objects" <<'PY'
import json, os, sys
src, out, objects = sys.argv[1:4]
os.makedirs(objects, exist_ok=True)
def local(v):
    if isinstance(v, str) and v.startswith("gs://"):
        path = os.path.join(objects, v[5:].replace("/", "_"))
        open(path, "a").close()
        return path
    if isinstance(v, list):
        return [local(x) for x in v]
    if isinstance(v, dict):
        return {k: local(x) for k, x in v.items()}
    return v
json.dump(local(json.load(open(src))), open(out, "w"))
PY
  log="$work/stub-$name.log"
  code=0
  timeout 600 "$ferry" run "$wdl" -i "$local_inputs" --profile stub --compat cromwell \
    --run-dir "$work/stub-run-$name" > /dev/null 2> "$log" || code=$?
  reached=$(sed -n 's/.*stub run: reached \(all \)\{0,1\}\([0-9]*\).*/\2/p' "$log" | tail -n 1)
  reached="${reached:-0}"
  echo "corpus-check: WARP stub run of $name (Plumbing inputs): exit $code, $(grep -o 'stub run: .*' "$log" | cut -c1-120)"
  results+="warp-stub-$name $reached"$'\n'
  expected=$(awk -v k="warp-stub-$name" '$1 == k {print $2}' "$record")
  # Every call the inputs select must be reached: a call left out other than in a branch the
  # inputs do not take is a gap in the stub run.
  all_selected=1
  grep -q 'stub run: reached all' "$log" || all_selected=0
  if [[ $code != 0 || $all_selected == 0 || ( $update == 0 && -n "$expected" && "$reached" -lt "$expected" ) ]]; then
    echo "corpus-check: REGRESSION: the stub run of $name exits $code and reaches $reached calls (recorded ${expected:-none}):"
    grep -E 'ERROR|error' "$log" | head -n 20 || true
    status=1
  fi
done
if [[ $update == 1 ]]; then
  printf '%s' "$results" > "$record"
  echo "corpus-check: wrote $record"
fi
exit $status
