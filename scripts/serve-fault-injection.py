#!/usr/bin/env python3
"""Fault injection for `ferry serve`: kill, stop or starve the server or one of its runs at a
random moment while several runs share its cpus, and check the outcome. Run many times.

Each round starts a server (2 cpus, 4 engines at once), submits three runs of a scatter of short
1-cpu tasks, waits a random time, and then does one of:

- `kill9`: SIGKILL the server, restart it at once on the same runs directory;
- `term`: SIGTERM the server, restart it at once;
- `stop`: SIGSTOP the server for a while (clients and runs see it hang), then SIGCONT;
- `engine`: SIGKILL one run's `ferry run` (an engine the OOM killer took).

It then waits for every run to end and checks:

- after a server kill or restart, and after a stop, every run is COMPLETE with the right outputs
  and no shard that had finished ran again (each task appends its start to a log; a shard
  whose `rc` was 0 when the fault came has exactly one start);
- after an engine kill, that run ends in an error state and the other two are COMPLETE: one
  run failing never affects another;
- the server's limit held: no two finished tasks of the round overlapped beyond 2 cpus;
- nothing is left: no run holds a lease (the live page's data), no task process of the round
  is alive, and every run ended within the time limit (nothing hangs).

Every round prints its seed; `--seed S --rounds 1` replays one. The last line is the tally and
the exit code is 1 if any round went wrong.

    scripts/serve-fault-injection.py --ferry target/release/ferry --rounds 10
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

import requests

WDL = """version 1.1
task sq {
  input { Int i  String log  String spans  String label }
  command <<<
    echo "start ~{label} ~{i}" >> '~{log}'
    start=$(date +%s%N)
    sleep 0.4
    echo "$start $(date +%s%N)" > '~{spans}/~{label}-~{i}'
    echo $(( ~{i} * ~{i} ))
  >>>
  output { Int o = read_int(stdout()) }
  runtime { cpu: 1  memory: "16 MiB" }
}
workflow w {
  input { Int n  String log  String spans  String label }
  scatter (i in range(n)) {
    call sq { input: i = i, log = log, spans = spans, label = label }
  }
  output { Array[Int] squares = sq.o }
}
"""

MODES = ["kill9", "term", "stop", "engine"]
SHARD = re.compile(r"shard-(\d+)")
FINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}
RUN_LIMIT = 300
SHARDS = 8
RUNS = 3


class Server:
    def __init__(self, ferry, runs_dir, log):
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(
            [ferry, "serve", "--listen", "127.0.0.1:0", "--runs-dir", runs_dir,
             "--max-cpus", "2", "--max-runs", "4",
             # The tasks log their starts and spans beside the runs directory.
             "--input-root", os.path.dirname(runs_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Runs taken up again are logged before the address.
        seen = []
        while True:
            line = self.proc.stderr.readline().decode()
            seen.append(line)
            if "listening on http://" in line:
                break
            if not line or len(seen) > 1000:
                raise RuntimeError("the server did not start: " + "".join(seen))
        self.log.write("".join(seen).encode())
        self.log.flush()
        self.host = line.split("http://", 1)[1].strip()
        self.base = f"http://{self.host}/ga4gh/wes/v1"
        # The token the server made at its first start (it prints where).
        with open(os.path.join(runs_dir, "token")) as f:
            self.headers = {"Authorization": "Bearer " + f.read().strip()}
        # The rest of its log goes to the file, read by nobody while the round runs.
        self.pump = subprocess.Popen(["cat"], stdin=self.proc.stderr, stdout=self.log)

    def stop(self, sig):
        try:
            self.proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def wait(self, limit=30):
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.pump.wait()
        self.log.close()


def submit(server, wdl, inputs):
    with open(wdl, "rb") as f:
        r = requests.post(f"{server.base}/runs", files={
            "workflow_url": (None, "w.wdl"),
            "workflow_type": (None, "WDL"),
            "workflow_type_version": (None, "1.1"),
            "workflow_params": (None, json.dumps(inputs)),
            "workflow_attachment": ("w.wdl", f.read()),
        }, headers=server.headers, timeout=30)
    r.raise_for_status()
    return r.json()["run_id"]


def state(server, run_id):
    try:
        return requests.get(f"{server.base}/runs/{run_id}/status", headers=server.headers, timeout=5).json()["state"]
    except (requests.RequestException, ValueError, KeyError):
        return None


def engines(server_pid):
    """The server's `ferry run` children: pid -> run id (from --lease-as)."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != server_pid:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except (OSError, ValueError, IndexError):
            continue
        if "--lease-as" in args:
            found[int(pid)] = args[args.index("--lease-as") + 1]
    return found


def finished_shards(runs_dir, run_id):
    """Shards with an attempt whose rc is 0 now (attempts are calls/sq/shard-N.attempt-M/)."""
    done = set()
    calls = os.path.join(runs_dir, run_id, "run", "calls", "sq")
    for top, _, files in os.walk(calls):
        if "rc" not in files:
            continue
        m = SHARD.search(os.path.relpath(top, calls))
        if not m:
            continue
        try:
            with open(os.path.join(top, "rc")) as f:
                if f.read().strip() == "0":
                    done.add(int(m.group(1)))
        except (OSError, ValueError):
            pass
    return done


def most_at_once(spans_dir):
    events = []
    for name in os.listdir(spans_dir):
        with open(os.path.join(spans_dir, name)) as f:
            a, b = (int(x) for x in f.read().split())
        events += [(a, 1), (b, -1)]
    now = most = 0
    for _, d in sorted(events):
        now += d
        most = max(most, now)
    return most


def task_processes(marker):
    alive = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    alive.append(int(pid))
        except OSError:
            pass
    return alive


def one_round(ferry, seed, keep):
    """One round; whatever it raises, the server it started last is stopped."""
    servers = []
    try:
        return round_body(ferry, seed, keep, servers)
    except Exception as e:  # noqa: BLE001 - a round that raised is a round that went wrong
        print(f"seed {seed}: the round itself failed: {e!r}", flush=True)
        return False
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.stop(signal.SIGTERM)
                server.wait()


def round_body(ferry, seed, keep, servers):
    rng = random.Random(seed)
    mode = rng.choice(MODES)
    delay = rng.uniform(0.3, 4.0)
    tmp = tempfile.mkdtemp(prefix="ferry-serve-fi-")
    runs_dir = os.path.join(tmp, "runs")
    spans = os.path.join(tmp, "spans")
    os.makedirs(spans)
    start_log = os.path.join(tmp, "starts.log")
    wdl = os.path.join(tmp, "w.wdl")
    with open(wdl, "w") as f:
        f.write(WDL)
    problems = []
    server = Server(ferry, runs_dir, os.path.join(tmp, "serve.log"))
    servers.append(server)
    ids = []
    for r in range(RUNS):
        ids.append(submit(server, wdl, {
            "w.n": SHARDS, "w.log": start_log, "w.spans": spans, "w.label": f"{tmp}-r{r}"}))
    time.sleep(delay)
    before = {run_id: finished_shards(runs_dir, run_id) for run_id in ids}
    killed_run = None
    if mode in ("kill9", "term"):
        server.stop(signal.SIGKILL if mode == "kill9" else signal.SIGTERM)
        server.wait()
        server = Server(ferry, runs_dir, os.path.join(tmp, "serve.log"))
        servers.append(server)
    elif mode == "stop":
        server.stop(signal.SIGSTOP)
        time.sleep(rng.uniform(0.5, 3.0))
        server.stop(signal.SIGCONT)
    elif mode == "engine":
        running = engines(server.proc.pid)
        if running:
            pid, killed_run = rng.choice(sorted(running.items()))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                killed_run = None
    deadline = time.time() + RUN_LIMIT
    states = {}
    while time.time() < deadline:
        states = {run_id: state(server, run_id) for run_id in ids}
        if all(s in FINAL for s in states.values()):
            break
        time.sleep(0.3)
    else:
        problems.append(f"runs did not end within {RUN_LIMIT} s: {states}")
    for r, run_id in enumerate(ids):
        s = states.get(run_id)
        if run_id == killed_run:
            # Its engine died mid-run: an error, unless it had already finished everything.
            if s not in ("SYSTEM_ERROR", "EXECUTOR_ERROR", "COMPLETE"):
                problems.append(f"run {r} (engine killed) ended {s}")
            continue
        if s != "COMPLETE":
            problems.append(f"run {r} ended {s}")
            continue
        log = requests.get(f"{server.base}/runs/{run_id}", headers=server.headers, timeout=10).json()
        if log["outputs"].get("w.squares") != [i * i for i in range(SHARDS)]:
            problems.append(f"run {r}: outputs {log['outputs']}")
    # No shard that had finished before the fault started again.
    starts = {}
    if os.path.exists(start_log):
        with open(start_log) as f:
            for line in f:
                _, label, i = line.split()
                starts[(label, int(i))] = starts.get((label, int(i)), 0) + 1
    for r, run_id in enumerate(ids):
        for i, n in rerun(before[run_id], starts, f"{tmp}-r{r}"):
            problems.append(f"run {r} shard {i} had finished before the fault and started {n} times")
    most = most_at_once(spans)
    if most > 2:
        problems.append(f"{most} tasks ran at once on a server with 2 cpus")
    try:
        data = requests.get(f"http://{server.host}/ferry/api/runs", headers=server.headers, timeout=10).json()
        holding = [r["run_id"] for r in data["runs"] if r.get("holds")]
        if holding:
            problems.append(f"runs still hold leases: {holding}")
    except (requests.RequestException, ValueError) as e:
        problems.append(f"the live page's data: {e}")
    server.stop(signal.SIGTERM)
    server.wait()
    time.sleep(0.2)
    left = task_processes(tmp)
    if left:
        problems.append(f"task processes left: {left}")
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    verdict = "ok" if not problems else "WRONG: " + "; ".join(problems)
    print(f"seed {seed} {mode} after {delay:.2f}s: {verdict}", flush=True)
    if not problems and not keep:
        subprocess.run(["rm", "-rf", tmp])
    elif problems:
        print(f"  kept {tmp}", flush=True)
    return not problems


def self_check():
    """The "no finished shard ran twice" check must be able to fail: a made-up run with shard 3
    finished (where attempts really are, `calls/sq/shard-N.attempt-M/`) and started twice is
    caught. Run before every suite, so a change of layout cannot make the check vacuous again."""
    tmp = tempfile.mkdtemp(prefix="ferry-serve-fi-check-")
    attempt = os.path.join(tmp, "R", "run", "calls", "sq", "shard-3.attempt-1")
    os.makedirs(attempt)
    with open(os.path.join(attempt, "rc"), "w") as f:
        f.write("0\n")
    found = finished_shards(tmp, "R")
    subprocess.run(["rm", "-rf", tmp])
    if found != {3}:
        sys.exit(f"self-check: finished_shards found {found} in a run whose shard 3 finished")
    if rerun(found, {("L", 3): 2}, "L") != [(3, 2)]:
        sys.exit("self-check: a finished shard started twice was not caught")


def rerun(finished, starts, label):
    """(shard, starts) of the shards in `finished` that did not start exactly once."""
    return [(i, starts.get((label, i), 0)) for i in sorted(finished) if starts.get((label, i), 0) != 1]


def main():
    self_check()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ferry", required=True)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--seed", type=int)
    p.add_argument("--keep", action="store_true", help="keep every round's directory")
    args = p.parse_args()
    seeds = [args.seed] if args.seed is not None else [random.randrange(1 << 32) for _ in range(args.rounds)]
    good = sum(one_round(args.ferry, s, args.keep) for s in seeds[: args.rounds])
    print(f"{good} of {min(args.rounds, len(seeds))} rounds right")
    sys.exit(0 if good == min(args.rounds, len(seeds)) else 1)


if __name__ == "__main__":
    main()
