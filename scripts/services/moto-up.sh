#!/usr/bin/env bash
# An S3 (and AWS Batch) emulator for the object-store tests: moto_server on
# 127.0.0.1:${MOTO_PORT:-5000}. Idempotent: installs moto if missing, starts it unless it answers
# (or, with MOTO_RESTART=1, restarts the one it started).
# Requests must be signed (any key works: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test).
# State (pid, log) in $FERRY_SERVICES_DIR (default /tmp/ferry-services).
set -euo pipefail
state=${FERRY_SERVICES_DIR:-/tmp/ferry-services}
port=${MOTO_PORT:-5000}
mkdir -p "$state"
if ! python3 -c 'import moto.server, flask, flask_cors, boto3' 2> /dev/null; then
  # A distribution's own python refuses plain pip installs (PEP 668); a user's python does not.
  python3 -m pip install -q 'moto[server,batch]' boto3 > "$state/pip-moto.log" 2>&1 ||
    python3 -m pip install -q --break-system-packages 'moto[server,batch]' boto3 >> "$state/pip-moto.log" 2>&1
fi
up() { curl -sf "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1; }
# MOTO_RESTART=1: stop the moto this script started on that port and start a new one (moto keeps
# file descriptors of every Batch job it ran, so a long-lived one runs out).
if [[ "${MOTO_RESTART:-0}" == 1 && -f "$state/moto-$port.pid" ]]; then
  old=$(cat "$state/moto-$port.pid")
  if kill "$old" 2> /dev/null; then
    for _ in $(seq 1 40); do
      kill -0 "$old" 2> /dev/null || break
      sleep 0.25
    done
    kill -9 "$old" 2> /dev/null || true
  fi
  for _ in $(seq 1 40); do
    up || break
    sleep 0.25
  done
fi
up && exit 0
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export MOTO_DOCKER_NETWORK_MODE=${MOTO_DOCKER_NETWORK_MODE:-host}
nohup python3 -m moto.server -H 127.0.0.1 -p "$port" > "$state/moto-$port.log" 2>&1 &
echo $! > "$state/moto-$port.pid"
for _ in $(seq 1 120); do
  up && exit 0
  kill -0 "$(cat "$state/moto-$port.pid")" 2> /dev/null || break
  sleep 0.5
done
echo "moto did not start; its log ends:" >&2
tail -20 "$state/moto-$port.log" >&2
exit 1
