#!/usr/bin/env python3
"""Fault injection: kill, stop or hang up on the engine at a random moment of a wide scatter,
resume at once, and check the outcome. Run many times, because races hide from one run.

Each round starts `ferry run` on a scatter of short tasks, waits a random time, and then does
one of: SIGKILL; SIGTERM; SIGHUP (a closed terminal); SIGINT twice (Ctrl-C pressed twice);
SIGSTOP for a while, then SIGCONT. It then resumes the run at once (`--resume`) and checks:

- the resumed run exits 0 and its outputs are right (the square of every shard's index);
- the first run's exit code is the documented one (137 by SIGKILL, 143, 129, 130, or 0 if
  the run had finished first, and 0 after SIGSTOP/SIGCONT);
- no shard that had finished ran again: every attempt that had `rc` 0 when the resume began
  still has the same `stdout` and `rc` (a rerun rewrites them), and with host processes and
  cluster jobs the shared execution log shows no second start of such a shard;
- nothing of the run is left: no process marked with its run id, no container labelled with
  it, no cluster job named with it (also right after the first run, for the orderly signals);
- nothing hangs: each run has a time limit.

Every round prints its seed; `--seed S --rounds 1` replays one. The last line is the tally,
`N of N resumed right`, and the exit code is 1 if any round went wrong.

    scripts/fault-injection.py --ferry target/release/ferry --executor local --rounds 30
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

WDL = """version 1.1
task sq {
  input { Int i  String log  Float pause }
  command <<<
    if [ -n '~{log}' ]; then echo "start ~{i}" >> '~{log}'; fi
    sleep ~{pause}
    echo $(( ~{i} * ~{i} ))
  >>>
  output { Int o = read_int(stdout()) }
  runtime { cpu: 0.25  memory: "16 MiB"  container: "local/busybox:1" }
}
workflow w {
  input { Int n  String log  Float pause }
  scatter (i in range(n)) {
    call sq { input: i = i, log = log, pause = pause }
  }
  output { Array[Int] squares = sq.o }
}
"""

MODES = ["kill", "term", "hup", "int2", "stop"]
EXPECTED = {"kill": {-9, 137}, "term": {143}, "hup": {129}, "int2": {130}, "stop": {0}}
RUN_LIMIT = 600


def profile_text(executor):
    if executor == "local":
        return ""
    if executor == "docker":
        return '[profiles.fi]\nexecutor = "docker"\ncache = false\n'
    return (
        f'[profiles.fi]\nexecutor = "{executor}"\ncache = false\n'
        'single_node_cluster = true\npoll_interval = "1s"\njob_name_prefix = "fi-"\n'
    )


class Round:
    def __init__(self, args, base, number, seed):
        self.args = args
        self.seed = seed
        self.rng = random.Random(seed)
        self.dir = os.path.join(base, f"round-{number:03d}")
        os.makedirs(self.dir)
        self.run_dir = os.path.join(self.dir, "run")
        # Containers cannot append to a host file; host processes and cluster jobs can.
        self.log = "" if args.executor == "docker" else os.path.join(self.dir, "executions.log")
        with open(os.path.join(self.dir, "w.wdl"), "w") as f:
            f.write(WDL)
        with open(os.path.join(self.dir, "ferry.toml"), "w") as f:
            f.write(profile_text(args.executor))

    def command(self, resume):
        cmd = [self.args.ferry, "run", "w.wdl", f"w.n={self.args.shards}",
               f"w.log={self.log}", f"w.pause={self.args.pause}", "--run-dir", self.run_dir]
        if self.args.executor != "local":
            cmd += ["--profile", "fi"]
        if resume:
            cmd.append("--resume")
        return cmd

    def start(self, resume):
        env = dict(sge_env() if self.args.executor == "sge" else os.environ, FERRY_LOG="info",
                   XDG_CACHE_HOME=os.path.join(self.dir, ".cache"))
        name = "resume" if resume else "first"
        return subprocess.Popen(
            self.command(resume), cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.dir, f"{name}.out"), "w"),
            stderr=open(os.path.join(self.dir, f"{name}.err"), "w"))

    def run_id(self):
        try:
            with open(os.path.join(self.run_dir, "run-id")) as f:
                return f.read().strip()
        except OSError:
            return None


def wait(proc, limit):
    try:
        return proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def finished_attempts(run_dir):
    """Attempts with rc 0 now: {attempt dir: (mtime of stdout, mtime of rc)}."""
    found = {}
    calls = os.path.join(run_dir, "calls")
    for root, dirs, files in os.walk(calls):
        if "rc" in files and "stdout" in files:
            try:
                with open(os.path.join(root, "rc")) as f:
                    if f.read().strip() != "0":
                        continue
                found[root] = (os.stat(os.path.join(root, "stdout")).st_mtime_ns,
                               os.stat(os.path.join(root, "rc")).st_mtime_ns)
            except OSError:
                pass
        dirs[:] = [d for d in dirs if d != "work"]
    return found


def shard_of(attempt_dir):
    name = os.path.basename(attempt_dir)
    if name.startswith("shard-"):
        return int(name.split(".")[0][len("shard-"):])
    return None


def starts(log):
    counts = {}
    try:
        with open(log) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] == "start":
                    counts[int(parts[1])] = counts.get(int(parts[1]), 0) + 1
    except OSError:
        pass
    return counts


def leftovers(executor, run_id):
    """What of the run is still running: processes, containers, cluster jobs."""
    if not run_id:
        return []
    left = []
    entry = f"FERRY_RUN={run_id}".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if entry in f.read().split(b"\0"):
                    with open(f"/proc/{pid}/stat") as s:
                        if s.read().rsplit(")", 1)[1].split()[0] == "Z":
                            continue
                    with open(f"/proc/{pid}/cmdline", "rb") as c:
                        left.append("process " + c.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
    if executor == "docker":
        out = subprocess.run(["docker", "ps", "-q", "--filter", f"label=ferry.run={run_id}"],
                             capture_output=True, text=True, timeout=60).stdout.split()
        left += [f"container {c}" for c in out]
    if executor == "slurm":
        out = subprocess.run(["squeue", "-h", "-o", "%i %j %T"], capture_output=True,
                             text=True, timeout=60).stdout.splitlines()
        left += [f"slurm job {j}" for j in out if run_id in j]
    if executor == "sge":
        # Plain qstat cuts names to 10 characters; its XML has them whole.
        out = subprocess.run(["qstat", "-u", "*", "-xml"], capture_output=True, text=True,
                             timeout=60, env=sge_env()).stdout
        for block in out.split("<job_list")[1:]:
            name = block.split("<JB_name>", 1)[-1].split("</JB_name>", 1)[0]
            number = block.split("<JB_job_number>", 1)[-1].split("</JB_job_number>", 1)[0]
            if run_id in name:
                left.append(f"grid engine job {number} {name}")
    return left


def sge_env():
    """Grid Engine's commands find their cell through these (scripts/services/sge-up.sh)."""
    return dict(os.environ, SGE_ROOT=os.environ.get("SGE_ROOT", "/var/lib/gridengine"),
                SGE_CELL=os.environ.get("SGE_CELL", "default"))


def settle(executor, run_id, seconds):
    """Leftovers that are still there after `seconds` (killed ones take a moment to go)."""
    deadline = time.time() + seconds
    while True:
        left = leftovers(executor, run_id)
        if not left or time.time() > deadline:
            return left
        time.sleep(0.2)


def one_round(args, base, number, seed, typical):
    r = Round(args, base, number, seed)
    mode = args.mode or MODES[number % len(MODES)]
    delay = r.rng.uniform(0.05, typical)
    problems = []
    first = r.start(resume=False)
    time.sleep(delay)
    if mode == "kill":
        first.send_signal(signal.SIGKILL)
    elif mode == "term":
        first.send_signal(signal.SIGTERM)
    elif mode == "hup":
        first.send_signal(signal.SIGHUP)
    elif mode == "int2":
        first.send_signal(signal.SIGINT)
        time.sleep(r.rng.uniform(0.0, 1.0))
        first.send_signal(signal.SIGINT)
    elif mode == "stop":
        first.send_signal(signal.SIGSTOP)
        time.sleep(args.stop_seconds)
        first.send_signal(signal.SIGCONT)
    code = wait(first, RUN_LIMIT)
    if code is None:
        problems.append(f"the first run hung after {mode}")
    elif code not in EXPECTED[mode] | {0}:
        problems.append(f"the first run exited {code} after {mode}")
    run_id = r.run_id()
    if mode != "kill" and code is not None:
        # Host processes are gone when the engine exits; a cancelled cluster job may still be
        # COMPLETING for a moment while the scheduler cleans up after it.
        left = settle(args.executor, run_id, 0 if args.executor == "local" else 15)
        if left:
            problems.append(f"left after the first run ended: {left[:5]}")
    # Resume at once: no waiting for a killed engine's launcher to finish.
    before = finished_attempts(r.run_dir)
    log_size = os.path.getsize(r.log) if r.log and os.path.exists(r.log) else 0
    resumed = r.start(resume=True)
    code2 = wait(resumed, RUN_LIMIT)
    if code2 is None:
        problems.append("the resumed run hung")
    elif code2 != 0:
        with open(os.path.join(r.dir, "resume.err")) as f:
            tail = f.read()[-600:]
        problems.append(f"the resumed run exited {code2}: ...{tail}")
    else:
        with open(os.path.join(r.dir, "resume.out")) as f:
            outputs = json.load(f)
        if outputs.get("w.squares") != [i * i for i in range(args.shards)]:
            problems.append("wrong outputs")
    after = finished_attempts(r.run_dir)
    rerun = sorted(d for d, stamps in before.items() if after.get(d) != stamps)
    if rerun:
        problems.append(f"{len(rerun)} finished attempt(s) ran again: {rerun[:3]}")
    if r.log:
        finished_shards = {shard_of(d) for d in before} - {None}
        with open(r.log) as f:
            f.seek(log_size)
            again = sorted({int(l.split()[1]) for l in f if l.startswith("start ")} & finished_shards)
        if again:
            problems.append(f"finished shard(s) started again after the resume: {again[:10]}")
    left = settle(args.executor, run_id or r.run_id(), 10)
    if left:
        problems.append(f"left after the resume: {left[:5]}")
    ok = not problems
    print(f"round {number:3d} seed={seed} mode={mode:5s} at {delay:5.2f}s first={code} "
          f"resume={code2} finished-before={len(before):3d} "
          f"{'ok' if ok else 'WRONG: ' + '; '.join(problems)}", flush=True)
    if ok and not args.keep:
        shutil.rmtree(r.dir, ignore_errors=True)
    return ok


def typical_duration(args, base):
    """How long an undisturbed run takes here: the random moments fall within it."""
    r = Round(args, base, 999, 0)
    t = time.time()
    code = wait(r.start(resume=False), RUN_LIMIT)
    took = time.time() - t
    if code != 0:
        with open(os.path.join(r.dir, "first.err")) as f:
            sys.exit(f"an undisturbed run failed ({code}):\n{f.read()[-2000:]}")
    shutil.rmtree(r.dir, ignore_errors=True)
    return took


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ferry", required=True)
    p.add_argument("--executor", choices=["local", "docker", "slurm", "sge"], default="local")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--shards", type=int, default=200)
    p.add_argument("--pause", type=float, default=0.05, help="each task's sleep, seconds")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--mode", choices=MODES, default=None, help="only this fault")
    p.add_argument("--stop-seconds", type=float, default=20.0)
    p.add_argument("--dir", default=None, help="where rounds run (kept when they go wrong)")
    p.add_argument("--keep", action="store_true", help="keep the rounds that went right too")
    args = p.parse_args()
    args.ferry = os.path.abspath(args.ferry)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    # The cluster is this machine (single_node_cluster), so /tmp serves the clusters too.
    base = args.dir or tempfile.mkdtemp(prefix=f"ferry-fi-{args.executor}-")
    os.makedirs(base, exist_ok=True)
    typical = typical_duration(args, base)
    print(f"fault injection: {args.executor}, {args.shards} shards, an undisturbed run takes "
          f"{typical:.1f}s; seeds from {seed} (replay one: --seed S --rounds 1 --mode M); "
          f"rounds in {base}", flush=True)
    good = 0
    for n in range(args.rounds):
        if one_round(args, base, n, seed + n, typical):
            good += 1
    print(f"fault injection ({args.executor}): {good} of {args.rounds} resumed right")
    if good == args.rounds and not args.keep and not args.dir:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(0 if good == args.rounds else 1)


if __name__ == "__main__":
    main()
