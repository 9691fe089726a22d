#!/usr/bin/env bash
# Runs the WDL spec's example tests (../shared/wdl-spec-tests) against a ferry binary and fails if
# any example listed in tests/spec-expected-passes.txt no longer passes.
#   scripts/spec-conformance.sh [FERRY_BINARY]    (--update rewrites the list from this run)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
suite="${FERRY_SPEC_TESTS:-$root/../shared/wdl-spec-tests}"
update=0
if [[ "${1:-}" == "--update" ]]; then update=1; shift; fi
ferry="${1:-${CARGO_TARGET_DIR:-$root/target}/release/ferry}"
if [[ ! -f "$suite/conformance.py" ]]; then
  echo "spec-conformance: $suite not found; skipping"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
XDG_CACHE_HOME="$work/cache" python3 "$suite/conformance.py" --engine ferry --engine-path "$ferry" -j 2 \
  --work-dir "$work/runs" --json-report "$work/report.json" > "$work/log.txt" 2>&1 || true
tail -n 9 "$work/log.txt"
python3 - "$work/report.json" "$root/tests/spec-expected-passes.txt" "$update" <<'PY'
import json, sys
report, expected_path, update = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
results = json.load(open(report))
passed = {f"{r['version']} {r['id']}" for r in results if r["status"] == "PASS"}
if update:
    open(expected_path, "w").write("\n".join(sorted(passed)) + "\n")
    print(f"wrote {len(passed)} expected passes to {expected_path}")
    sys.exit(0)
expected = {l.strip() for l in open(expected_path) if l.strip()}
lost = sorted(expected - passed)
gained = sorted(passed - expected)
for v in ("1.1", "1.2"):
    n = sum(1 for r in results if r["version"] == v)
    p = sum(1 for t in passed if t.startswith(v + " "))
    print(f"WDL {v}: {p}/{n} spec examples pass")
if gained:
    print("newly passing (add them with --update):", ", ".join(gained))
if lost:
    print("REGRESSIONS: these examples passed before and fail now:")
    for t in lost:
        detail = next((r["detail"] for r in results if f"{r['version']} {r['id']}" == t), "")
        print(f"  {t}: {detail[:300]}")
    sys.exit(1)
PY
