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
answers() { timeout 20 docker info > /dev/null 2>&1; }
if answers; then
  exit 0
fi
# A daemon this script started that no longer answers (one wedged in CI: `docker info` hung):
# stop it, by its pid, and start a new one.
if [[ -f "$state/dockerd.pid" ]]; then
  pid=$(cat "$state/dockerd.pid")
  if kill -0 "$pid" 2> /dev/null; then
    echo "dockerd (pid $pid) does not answer: restarting it" >&2
    kill -CONT "$pid" 2> /dev/null || true
    kill "$pid" 2> /dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2> /dev/null || true
    rm -f /var/run/docker.pid
  fi
fi
nohup dockerd --bridge=none --iptables=false --ip6tables=false --host-gateway-ip=127.0.0.1 \
  > "$state/dockerd.log" 2>&1 &
echo $! > "$state/dockerd.pid"
for _ in $(seq 1 120); do
  answers && exit 0
  kill -0 "$(cat "$state/dockerd.pid")" 2> /dev/null || break
  sleep 0.5
done
echo "dockerd did not start; its log ends:" >&2
tail -20 "$state/dockerd.log" >&2
exit 1
