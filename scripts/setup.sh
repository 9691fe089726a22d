#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine that has only Rust: the example
# tests' samtools/bcftools/tabix, curl for the service scripts, musl for the static staging
# helper, podman for the cluster executors' container tests, Chromium and Playwright (from
# PyPI, never a browser download of its own) for the report tests, the Azure SDK for the az://
# tests, openssl for the WES server's HTTPS fetch test, schemathesis and wes-service (PyPI) for
# its API tests. Idempotent: installs only what is missing. scripts/test.sh runs it first; the service
# scripts (scripts/services/) install Docker, moto, Slurm and Grid Engine themselves.
set -euo pipefail
need=()
for tool in samtools bcftools tabix python3 awk curl musl-gcc podman chromium openssl; do
  command -v "$tool" > /dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
  pkgs=()
  for t in "${need[@]}"; do
    case "$t" in
      awk) pkgs+=(gawk) ;;
      musl-gcc) pkgs+=(musl-tools) ;;
      python3) pkgs+=(python3 python3-pip) ;;
      *) pkgs+=("$t") ;;
    esac
  done
  echo "setup: installing ${pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${pkgs[@]}" > /dev/null
fi
for module in playwright:playwright azure.storage.blob:azure-storage-blob wes_client:wes-service schemathesis:schemathesis; do
  if ! python3 -c "import ${module%%:*}" 2> /dev/null; then
    echo "setup: installing ${module#*:} from PyPI" >&2
    python3 -m pip install -q "${module#*:}" 2> /dev/null ||
      python3 -m pip install -q --break-system-packages "${module#*:}"
  fi
done
# cromshell 2 (Cromwell's client) and croo (organises outputs from Cromwell's metadata.json),
# for the Cromwell API tests, each in an environment of its own: their Google dependencies stay
# out of the system's Python.
tools=${FERRY_TOOLS_DIR:-$HOME/.cache/ferry-tools}
for tool in cromshell croo; do
  if [[ ! -x $tools/$tool/bin/$tool ]]; then
    echo "setup: installing $tool from PyPI into $tools/$tool" >&2
    rm -rf "${tools:?}/$tool"
    python3 -m venv "$tools/$tool"
    "$tools/$tool/bin/pip" install -q "$tool"
  fi
done
