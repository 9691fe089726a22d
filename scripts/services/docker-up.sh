#!/usr/bin/env bash
# A Docker daemon for the container tests, on machines without systemd. Idempotent: installs
# docker.io if missing, starts dockerd unless one answers, waits until it does.
# There is no bridge network (tasks get `none` or `host`); no registry is needed.
# State (pid, log) in $FERRY_SERVICES_DIR (default /tmp/ferry-services).
set -euo pipefail
state=${FERRY_SERVICES_DIR:-/tmp/ferry-services}
mkdir -p "$state"
if ! command -v dockerd > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq > /dev/null 2>&1 || true
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq docker.io > "$state/apt-docker.log" 2>&1
fi
if docker info > /dev/null 2>&1; then
  exit 0
fi
nohup dockerd --bridge=none --iptables=false --ip6tables=false --host-gateway-ip=127.0.0.1 \
  > "$state/dockerd.log" 2>&1 &
echo $! > "$state/dockerd.pid"
for _ in $(seq 1 120); do
  docker info > /dev/null 2>&1 && exit 0
  kill -0 "$(cat "$state/dockerd.pid")" 2> /dev/null || break
  sleep 0.5
done
echo "dockerd did not start; its log ends:" >&2
tail -20 "$state/dockerd.log" >&2
exit 1
