#!/usr/bin/env bash
# The workspace's rust-version must be at least that of every locked dependency: a dependency
# update that needs a newer compiler fails here, not on a user's machine with the declared one.
#   scripts/check-msrv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --quiet --locked --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
members = set(meta["workspace_members"])
def version(s):
    parts = [int(x) for x in s.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
declared = {p["name"]: p.get("rust_version") for p in meta["packages"] if p["id"] in members}
missing = [n for n, v in declared.items() if not v]
if missing:
    sys.exit(f"check-msrv: no rust-version in {missing}")
ours = min(version(v) for v in declared.values())
need, who = max((version(p["rust_version"]), p["name"] + " " + p["version"])
                for p in meta["packages"] if p["id"] not in members and p.get("rust_version"))
show = lambda v: ".".join(map(str, v))
if need > ours:
    sys.exit(f"check-msrv: rust-version is {show(ours)} but {who} needs {show(need)}")
print(f"check-msrv: rust-version {show(ours)} covers every dependency (highest: {who}, {show(need)})")
'
