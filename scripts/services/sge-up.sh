#!/bin/bash
# Idempotent single-node Grid Engine 8.1.9 (Debian 12 gridengine-* packages), no systemd.
# Usage: source the env afterwards:  export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
# For the Grid Engine executor tests (crates/ferry-cli/tests/hpc.rs).
set -euo pipefail
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
NODE=$(hostname -s)
PIDDIR=/tmp/sge/pids
WORK=/tmp/sge/cfg
COMMON=$SGE_ROOT/$SGE_CELL/common
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }

if ! command -v qsub >/dev/null || [ ! -x /usr/sbin/sge_qmaster ] || [ ! -x /usr/sbin/sge_execd ]; then
  echo "[start-sge] installing gridengine"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends gridengine-master gridengine-exec gridengine-client >/dev/null
fi
getent hosts "$NODE" >/dev/null || echo "127.0.0.1 $NODE" >> /etc/hosts
mkdir -p "$PIDDIR" "$WORK"

# qmaster name: postinst leaves act_qmaster empty when debconf has no master name
echo "$NODE" > "$COMMON/act_qmaster"
# 127.0.0.1 reverse-resolves to 'localhost' (first /etc/hosts entry); without this alias
# clients get "access denied (client IP resolved to host name localhost ...)"
echo "$NODE localhost" > "$COMMON/host_aliases"

alive() { local p; [ -f "$1" ] || return 1; p=$(cat "$1"); [ -d /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat)" != Z ]; }

if ! alive "$PIDDIR/sge_qmaster.pid"; then
  echo "[start-sge] starting sge_qmaster"
  rm -f /var/spool/gridengine/qmaster/qmaster.pid
  /usr/sbin/sge_qmaster
  for i in $(seq 100); do [ -s /var/spool/gridengine/qmaster/qmaster.pid ] && break; sleep 0.1; done
  cp /var/spool/gridengine/qmaster/qmaster.pid "$PIDDIR/sge_qmaster.pid"
fi
for i in $(seq 100); do qconf -sh >/dev/null 2>&1 && break; sleep 0.2; done
qconf -sh >/dev/null

# --- cluster configuration (each step idempotent) ---
cd "$WORK"
qconf -ss 2>/dev/null | grep -qx "$NODE" || qconf -as "$NODE" >/dev/null
CONF_CHANGED=0
qconf -sconf global > global
if ! grep -qE '^min_uid +0$' global || ! grep -qE '^min_gid +0$' global || grep -q 'flush_time=00:00:15' global; then
  # root jobs allowed; accounting file (qacct) flushed every 1s instead of 15s
  sed -i -e 's/^min_uid .*/min_uid                      0/' -e 's/^min_gid .*/min_gid                      0/' -e 's/flush_time=00:00:15/flush_time=00:00:01/' global
  qconf -Mconf global >/dev/null   # the FILE NAME must be the config name ('global')
  CONF_CHANGED=1
fi
qconf -ssconf > sched
if ! grep -qE '^schedule_interval +0:0:1$' sched; then
  sed -i -e 's/^schedule_interval .*/schedule_interval 0:0:1/' -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' sched
  qconf -Msconf sched >/dev/null
fi
if ! qconf -sel 2>/dev/null | grep -qx "$NODE"; then
  printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' "$NODE" > eh
  qconf -Ae eh >/dev/null
fi
if ! qconf -shgrpl 2>/dev/null | grep -qx '@allhosts'; then
  printf 'group_name @allhosts\nhostlist %s\n' "$NODE" > hg; qconf -Ahgrp hg >/dev/null
fi
if ! qconf -spl 2>/dev/null | grep -qx smp; then
  printf 'pe_name smp\nslots 999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args NONE\nstop_proc_args NONE\nallocation_rule $pe_slots\ncontrol_slaves FALSE\njob_is_first_task TRUE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' > pe
  qconf -Ap pe >/dev/null
fi
if ! qconf -sql 2>/dev/null | grep -qx all.q; then
  qconf -sq | sed -e 's/^qname .*/qname all.q/' -e 's/^hostlist .*/hostlist @allhosts/' \
    -e "s/^slots .*/slots $(nproc)/" -e 's/^pe_list .*/pe_list smp/' -e 's/^load_thresholds .*/load_thresholds NONE/' \
    -e 's#^shell .*#shell /bin/bash#' -e 's/^shell_start_mode .*/shell_start_mode unix_behavior/' > q
  qconf -Aq q >/dev/null
fi

# --- execd (must (re)start AFTER min_uid/min_gid change, it caches the global conf) ---
if alive "$PIDDIR/sge_execd.pid" && [ $CONF_CHANGED = 1 ]; then
  echo "[start-sge] restarting sge_execd to pick up global conf"
  kill "$(cat $PIDDIR/sge_execd.pid)"
  for i in $(seq 50); do alive "$PIDDIR/sge_execd.pid" || break; sleep 0.2; done
fi
if ! alive "$PIDDIR/sge_execd.pid"; then
  echo "[start-sge] starting sge_execd"
  EPID=/var/spool/gridengine/execd/localhost/execd.pid   # spool dir is named after the resolved name
  rm -f "$EPID"
  /usr/sbin/sge_execd
  for i in $(seq 100); do [ -s "$EPID" ] && break; sleep 0.1; done
  cp "$EPID" "$PIDDIR/sge_execd.pid"
fi

# --- wait until the queue instance is usable (no u/E/a state) ---
for i in $(seq 150); do
  st=$(qstat -f -q all.q 2>/dev/null | awk '/^all.q@/{print $6}')
  lo=$(qstat -f -q all.q 2>/dev/null | awk '/^all.q@/{print $4}')
  if [ -z "$st" ] && [ -n "$lo" ] && [ "$lo" != "-NA-" ]; then break; fi
  case "$st" in *E*) qmod -cq all.q >/dev/null 2>&1 || true;; esac
  sleep 0.2
done
qstat -f
echo "[start-sge] ready. PIDs: qmaster=$(cat $PIDDIR/sge_qmaster.pid) execd=$(cat $PIDDIR/sge_execd.pid)"
echo "[start-sge] export SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL ; ALWAYS pass -N <name> to qsub -b y"
true
