//! The Slurm and Grid Engine executors against real schedulers on this machine (a one-node
//! cluster each, started by scripts/services/slurm-up.sh and sge-up.sh). Every scheduler
//! command Ferry runs goes through a logging wrapper first in PATH, so the tests count them.
//!
//! Each test runs once per scheduler (`slurm::name`, `sge::name`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, project};

/// One scheduler, with wrappers that log each command Ferry runs.
struct Cluster {
    kind: &'static str,
    wrappers: tempfile::TempDir,
    /// Names this test's jobs start with.
    prefix: String,
}

const SLURM_COMMANDS: &[&str] = &["sbatch", "squeue", "scancel", "sacct", "scontrol"];
const SGE_COMMANDS: &[&str] = &["qsub", "qstat", "qdel", "qacct", "qconf"];

fn sge_env() -> [(&'static str, &'static str); 2] {
    [("SGE_ROOT", "/var/lib/gridengine"), ("SGE_CELL", "default")]
}

impl Cluster {
    fn new(kind: &'static str, test: &str) -> Cluster {
        let commands = if kind == "slurm" {
            SLURM_COMMANDS
        } else {
            SGE_COMMANDS
        };
        let wrappers = tempfile::tempdir().expect("tempdir");
        let log = wrappers.path().join("commands.log");
        for c in commands {
            let real = which(c).unwrap_or_else(|| {
                panic!(
                    "`{c}` is not installed: start the cluster with scripts/services/{kind}-up.sh"
                )
            });
            let script = format!(
                "#!/bin/sh\necho \"{c} $*\" >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                real.display()
            );
            let p = wrappers.path().join(c);
            std::fs::write(&p, script).expect("wrapper");
            Command::new("chmod")
                .arg("+x")
                .arg(&p)
                .status()
                .expect("chmod");
        }
        Cluster {
            kind,
            wrappers,
            // Short: job names are cut at 64 characters.
            prefix: format!(
                "t{}-{:08x}-",
                std::process::id() % 10_000,
                test.bytes()
                    .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
            ),
        }
    }

    fn env(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            self.wrappers.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut env = vec![("PATH".to_string(), path)];
        if self.kind == "sge" {
            env.extend(sge_env().map(|(k, v)| (k.to_string(), v.to_string())));
        }
        env
    }

    /// How many times Ferry ran `program`.
    fn count(&self, program: &str) -> usize {
        std::fs::read_to_string(self.wrappers.path().join("commands.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(program))
            .count()
    }

    fn submit_command(&self) -> &'static str {
        if self.kind == "slurm" {
            "sbatch"
        } else {
            "qsub"
        }
    }

    fn status_command(&self) -> &'static str {
        if self.kind == "slurm" {
            "squeue"
        } else {
            "qstat"
        }
    }

    /// A profile `test` for this scheduler, with `extra` keys (which replace the defaults of
    /// the same name).
    fn config(&self, dir: &Path, extra: &str) -> PathBuf {
        let mut text = format!(
            "[profiles.test]\nexecutor = \"{}\"\ncache = false\njob_name_prefix = \"{}\"\n",
            self.kind, self.prefix
        );
        for (key, value) in [("single_node_cluster", "true"), ("poll_interval", "\"1s\"")] {
            if !extra.contains(key) {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        // Last: it may open tables of its own.
        text.push_str(extra);
        text.push('\n');
        let p = dir.join("ferry.toml");
        std::fs::write(&p, text).expect("config");
        p
    }

    fn command(&self, dir: &Path) -> Command {
        let mut cmd = common::ferry();
        cmd.current_dir(dir);
        cmd.env("XDG_CACHE_HOME", dir.join("cache"));
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self, dir: &Path, wdl: &str, args: &[&str]) -> Run {
        let mut all = vec!["--profile", "test"];
        all.extend_from_slice(args);
        common::run_command(self.command(dir), dir, wdl, &all, &[])
    }

    /// This test's jobs the scheduler still lists as queued or running.
    fn queued(&self) -> Vec<String> {
        let out = if self.kind == "slurm" {
            Command::new("squeue")
                .args(["--noheader", "--array", "--format=%i %j %T"])
                .output()
        } else {
            Command::new("qstat")
                .args(["-u", "*", "-r"])
                .envs(sge_env())
                .output()
        };
        let out = String::from_utf8_lossy(&out.expect("status").stdout).into_owned();
        out.lines()
            .filter(|l| l.contains(&self.prefix))
            .map(|l| l.trim().to_string())
            .collect()
    }

    fn wait_for_running(&self) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(240) {
            let running = if self.kind == "slurm" {
                self.queued().iter().any(|l| l.ends_with("RUNNING"))
            } else {
                // `qstat -r` prints "Full jobname:" lines; a running job has state r.
                let out = Command::new("qstat")
                    .args(["-u", "*", "-s", "r", "-r"])
                    .envs(sge_env())
                    .output()
                    .expect("qstat");
                String::from_utf8_lossy(&out.stdout).contains(&self.prefix)
            };
            if running {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("no job of this test started within 240 s");
    }

    fn assert_queue_empty_soon(&self) {
        let t = Instant::now();
        loop {
            let left = self.queued();
            if left.is_empty() {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "jobs left in the queue: {left:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn which(program: &str) -> Option<PathBuf> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .ok()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !p.is_empty()).then(|| PathBuf::from(p))
}

macro_rules! on_each_scheduler {
    ($($name:ident),* $(,)?) => {
        mod slurm {
            $( #[test] fn $name() { super::$name(super::Cluster::new("slurm", stringify!($name))) } )*
        }
        mod sge {
            $( #[test] fn $name() { super::$name(super::Cluster::new("sge", stringify!($name))) } )*
        }
    };
}

on_each_scheduler!(
    examples_give_the_local_outputs,
    a_scatter_is_one_array_per_chunk_and_one_query_per_poll,
    a_memory_kill_is_named_and_retried_with_more_memory,
    a_time_limit_kill_is_named,
    a_failing_shard_fails_the_run_with_its_stderr_and_nothing_is_left_queued,
    cancelling_leaves_nothing_in_the_queue,
    a_job_the_scheduler_refuses_fails_at_once_with_its_message,
    a_resumed_run_waits_for_the_killed_engines_jobs_and_runs_no_shard_twice,
    a_busybox_task_runs_through_podman,
    disks_are_checked_on_the_node_before_the_command,
);

fn examples() -> PathBuf {
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(manifest).join("../../examples")
}

fn examples_give_the_local_outputs(c: Cluster) {
    let dir = tempfile::tempdir().expect("tempdir");
    // h_vmem limits virtual memory, which samtools sort reserves far beyond what it uses:
    // sites that run such tools count memory with mem_free.
    let memory = if c.kind == "sge" {
        "memory_resource = \"mem_free\""
    } else {
        ""
    };
    let config = c.config(dir.path(), memory);
    for (example, wdl) in [
        ("fasta-stats", "fasta_stats.wdl"),
        ("variant-calling", "variant_calling.wdl"),
    ] {
        let ex = examples().join(example);
        let run = |profile: &[&str], run_dir: &str| {
            let out = c
                .command(dir.path())
                .current_dir(&ex)
                .args(["run", wdl, "-i", "inputs.json", "--config"])
                .arg(&config)
                .args(profile)
                .arg("--run-dir")
                .arg(dir.path().join(format!("{example}-{run_dir}")))
                .output()
                .expect("ferry");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "{example} {profile:?}: {stderr}");
            let o: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            (o, stderr)
        };
        let (cluster, stderr) = run(&["--profile", "test"], "cluster");
        let (local, _) = run(&[], "local");
        assert!(stderr.contains(&format!("{} commands", c.kind)), "{stderr}");
        // Same values; files with the same contents (compressed ones uncompressed, without
        // the `##` header lines that name the command and the time).
        let obj = local.as_object().expect("object");
        for (k, v) in obj {
            let w = &cluster[k];
            match (v.as_str(), w.as_str()) {
                // An index holds offsets into its (differently headed) file.
                (Some(a), Some(_)) if a.ends_with(".tbi") || a.ends_with(".csi") => {}
                (Some(a), Some(b)) if Path::new(a).is_file() => {
                    assert_eq!(content(a), content(b), "{example}: {k}")
                }
                _ => assert_eq!(v, w, "{example}: {k}"),
            }
        }
    }
}

fn content(path: &str) -> String {
    if path.ends_with(".gz") {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -dc '{path}' | grep -v '^##'"))
            .output()
            .expect("gzip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        std::fs::read_to_string(path).unwrap_or_else(|_| format!("{:?}", std::fs::read(path)))
    }
}

fn a_scatter_is_one_array_per_chunk_and_one_query_per_poll(c: Cluster) {
    let wdl = r#"version 1.2
workflow w {
  scatter (i in range(200)) { call sq { input: x = i } }
  output { Int total = length(sq.y) }
}
task sq {
  input { Int x }
  command <<< echo $(( ~{x} * ~{x} )) >>>
  output { Int y = read_int(stdout()) }
  requirements { cpu: 1 memory: "64 MiB" }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    c.config(dir.path(), "max_array_size = 120\npoll_interval = \"5s\"");
    let t = Instant::now();
    let r = c.run(dir.path(), "w.wdl", &[]);
    let wall = t.elapsed();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.total"], 200);
    // 200 shards in arrays of at most 120: two submissions, not 200.
    assert_eq!(c.count(c.submit_command()), 2, "{}", r.stderr);
    let queries = c.count(c.status_command());
    assert!(
        queries as f64 <= wall.as_secs_f64() / 5.0 + 2.0,
        "{queries} status queries in {wall:?} with a 5 s poll interval"
    );
    // Every attempt's own resource use came back from the job.
    let journal = std::fs::read_to_string(r.run_dir.join("attempts.tsv")).expect("journal");
    let rows: Vec<&str> = journal.lines().skip(1).collect();
    assert_eq!(rows.len(), 200);
    for row in rows {
        let rss: u64 = row
            .split('\t')
            .nth(6)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(rss > 0, "no peak memory measured: {row}");
    }
}

/// Two processes of 90 MiB each: over a 150 MiB job (Slurm sums the job's memory; Grid
/// Engine's h_vmem is per job too), within the 300 MiB of the retry.
const TWO_HUNGRY_PROCESSES: &str = r#"version 1.2
task hungry {
  command <<<
    python3 -c 'import time; x = bytearray(90 << 20); time.sleep(8)' &
    python3 -c 'import time; x = bytearray(90 << 20); time.sleep(8)' &
    wait
    echo fed
  >>>
  output { String said = read_string(stdout()) }
  requirements { memory: "150 MiB" maxRetries: 1 }
}
"#;

fn a_memory_kill_is_named_and_retried_with_more_memory(c: Cluster) {
    let dir = project(&[("t.wdl", TWO_HUNGRY_PROCESSES)]);
    c.config(dir.path(), "oom_memory_factor = 2.0");
    let r = c.run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["hungry.said"], "fed");
    assert!(
        r.stderr.contains("killed for exceeding its memory")
            && r.stderr.contains("retrying with 300.0 MiB"),
        "{}",
        r.stderr
    );
}

fn a_time_limit_kill_is_named(c: Cluster) {
    let wdl = r#"version 1.1
task slow {
  command <<< sleep 300 >>>
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    // Slurm counts whole minutes (and checks limits every 30 s or so); Grid Engine seconds.
    let limit = if c.kind == "slurm" { "1m" } else { "3s" };
    c.config(dir.path(), &format!("time = \"{limit}\""));
    let t = Instant::now();
    let r = c.run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("time limit"), "{}", r.stderr);
    assert!(t.elapsed() < Duration::from_secs(200), "{:?}", t.elapsed());
}

fn a_failing_shard_fails_the_run_with_its_stderr_and_nothing_is_left_queued(c: Cluster) {
    let wdl = r#"version 1.1
workflow w {
  scatter (i in range(4)) { call t { input: i = i } }
}
task t {
  input { Int i }
  command <<<
    if [ ~{i} = 2 ]; then echo "shard two is broken" >&2; exit 3; fi
    sleep 4
  >>>
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    c.config(dir.path(), "");
    let r = c.run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("exit code 3") && r.stderr.contains("shard two is broken"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("shard-2.attempt-1"), "{}", r.stderr);
    c.assert_queue_empty_soon();
}

fn cancelling_leaves_nothing_in_the_queue(c: Cluster) {
    let wdl = r#"version 1.1
workflow w {
  scatter (i in range(6)) { call t { input: i = i } }
}
task t {
  input { Int i }
  command <<< sleep 300 >>>
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    c.config(dir.path(), "");
    let run_dir = dir.path().join("run");
    let child = c
        .command(dir.path())
        .args(["run", "w.wdl", "--profile", "test", "--run-dir"])
        .arg(&run_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry");
    c.wait_for_running();
    // SAFETY: signals the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().expect("ferry exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    c.assert_queue_empty_soon();
    assert_eq!(
        std::fs::read_to_string(run_dir.join("state")).expect("state"),
        "cancelled\n"
    );
}

/// WDL `disks` on a cluster: without a `disk_resource` nothing is asked of the scheduler and
/// the job checks its node's free space before the command (which then never runs); a small
/// request runs.
fn disks_are_checked_on_the_node_before_the_command(c: Cluster) {
    let wdl = r#"version 1.1
task t {
  input { String disks }
  command <<< touch ran; echo ok >>>
  output { String o = read_string(stdout()) }
  runtime { disks: disks }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    c.config(dir.path(), "");
    let r = c.run(
        dir.path(),
        "t.wdl",
        &["--no-cache", "t.disks=local-disk 1 HDD"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = c.run(dir.path(), "t.wdl", &["--no-cache", "t.disks=900000 TiB"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("`disks` asks for") && r.stderr.contains("KiB free"),
        "{}",
        r.stderr
    );
    let script =
        std::fs::read_to_string(r.run_dir.join("calls/t/attempt-1/job.sh")).expect("job.sh");
    assert!(
        !script.contains("--tmp") && !script.contains("tmp_free"),
        "{script}"
    );
    assert!(
        !r.run_dir.join("calls/t/attempt-1/work/ran").exists(),
        "the command ran"
    );
}

fn a_job_the_scheduler_refuses_fails_at_once_with_its_message(c: Cluster) {
    let wdl = r#"version 1.2
task greedy {
  command <<< true >>>
  requirements { cpu: 64 }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    c.config(dir.path(), "");
    let t = Instant::now();
    let r = c.run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let said = if c.kind == "slurm" {
        "More processors requested than permitted"
    } else {
        "no suitable queues"
    };
    assert!(r.stderr.contains(said), "{}", r.stderr);
    assert!(r.stderr.contains("refused the job"), "{}", r.stderr);
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

fn a_resumed_run_waits_for_the_killed_engines_jobs_and_runs_no_shard_twice(c: Cluster) {
    let dir = project(&[]);
    let log = dir.path().join("ran.log");
    let wdl = format!(
        r#"version 1.1
workflow w {{
  scatter (i in range(5)) {{ call t {{ input: i = i }} }}
  output {{ Array[Int] done = t.i_was }}
}}
task t {{
  input {{ Int i }}
  command <<<
    echo ~{{i}} >> '{}'
    sleep 6
    echo ~{{i}}
  >>>
  output {{ Int i_was = read_int(stdout()) }}
}}
"#,
        log.display()
    );
    std::fs::write(dir.path().join("w.wdl"), wdl).expect("wdl");
    c.config(dir.path(), "");
    let run_dir = dir.path().join("run");
    let mut child = c
        .command(dir.path())
        .args(["run", "w.wdl", "--profile", "test", "--run-dir"])
        .arg(&run_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferry");
    c.wait_for_running();
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(!c.queued().is_empty(), "the jobs outlive the engine");
    let out = c
        .command(dir.path())
        .args(["run", "w.wdl", "--profile", "test", "--resume", "--run-dir"])
        .arg(&run_dir)
        .output()
        .expect("ferry");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        run_dir: run_dir.clone(),
    };
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.done"], serde_json::json!([0, 1, 2, 3, 4]));
    let mut ran: Vec<String> = std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .map(String::from)
        .collect();
    ran.sort();
    assert_eq!(ran, ["0", "1", "2", "3", "4"], "{}", r.stderr);
    assert!(r.stderr.contains("still queued or running"), "{}", r.stderr);
}

/// A task's image through podman inside the job: no glibc, no bash in the image; the input
/// mounted read-only, no network.
fn a_busybox_task_runs_through_podman(c: Cluster) {
    let wdl = r#"version 1.1
task t {
  input { File f }
  command <<<
    wc -c < ~{f} > count
    if echo more >> ~{f} 2> /dev/null; then echo writable; else echo read-only; fi
  >>>
  output {
    Int n = read_int("count")
    String input_was = read_string(stdout())
  }
  runtime { container: "local/busybox:1" }
}
"#;
    let dir = project(&[("t.wdl", wdl), ("in.txt", "hello\n")]);
    // Podman as Debian installs it. Root lacks CAP_SYS_RESOURCE here, so podman's default
    // ulimits cannot be set: Ferry passes the job's own. This machine's cgroups are hybrid (v1
    // controllers beside a v2 hierarchy), which crun refuses: the site says runc, in the profile.
    c.config(
        dir.path(),
        "[profiles.test.container]\nruntime = \"podman\"\nruntime_global_options = [\"--runtime=runc\"]",
    );
    let r = c.run(dir.path(), "t.wdl", &["t.f=in.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.n"], 6);
    assert_eq!(r.outputs()["t.input_was"], "read-only");
    let job = std::fs::read_to_string(r.run_dir.join("calls/t/attempt-1/job.sh")).expect("job.sh");
    assert!(
        job.contains("'podman' '--runtime=runc' 'run'") && job.contains("'--network=none'"),
        "{job}"
    );
}

/// A Slurm job preempted by a job of a higher-priority partition (scripts/services/slurm-up.sh
/// configures `urgent` over `debug`, PreemptMode=CANCEL) is retried on the task's preemption
/// budget, not its `maxRetries` (0 here), and the run says it was preempted.
#[test]
fn a_preempted_slurm_job_is_retried_apart_from_max_retries() {
    let c = Cluster::new("slurm", "preempted");
    let dir = project(&[]);
    let mark = dir.path().join("first-attempt-started");
    let wdl = format!(
        r#"version 1.1
task t {{
  command <<<
    if [ -e '{m}' ]; then echo second; else touch '{m}'; sleep 120; fi
  >>>
  output {{ String o = read_string(stdout()) }}
  runtime {{ cpu: 2  memory: "64 MiB" }}
}}
"#,
        m = mark.display()
    );
    std::fs::write(dir.path().join("t.wdl"), wdl).expect("wdl");
    c.config(dir.path(), "");
    let child = c
        .command(dir.path())
        .args(["run", "t.wdl", "--profile", "test", "--run-dir"])
        .arg(dir.path().join("run"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ferry");
    let t = Instant::now();
    while !mark.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the first attempt never started"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let urgent = Command::new("sbatch")
        .args(["--partition=urgent", "--cpus-per-task=2", "--mem=64M"])
        .arg(format!("--job-name={}urgent", c.prefix))
        .args(["--output=/dev/null", "--wrap", "sleep 2"])
        .output()
        .expect("sbatch");
    assert!(
        urgent.status.success(),
        "{}",
        String::from_utf8_lossy(&urgent.stderr)
    );
    let out = child.wait_with_output().expect("ferry");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("outputs");
    assert_eq!(outputs["t.o"], "second", "{stderr}");
    assert!(stderr.contains("preempted"), "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(100), "{:?}", t.elapsed());
}

#[test]
fn a_run_directory_the_compute_nodes_cannot_see_is_refused() {
    let c = Cluster::new("slurm", "tmprefused");
    let dir = project(&[("t.wdl", "version 1.1\ntask t { command <<< true >>> }\n")]);
    c.config(dir.path(), "single_node_cluster = false");
    let r = c.run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("compute nodes do not share"),
        "{}",
        r.stderr
    );
    assert_eq!(c.count("sbatch"), 0);
}

/// A run directory with a space, a quote or `$(` works (every path in `job.sh` and the
/// directives is quoted; nothing in it is executed); one with a character the scheduler cannot
/// take in a log path even quoted (`%` on Slurm, `:` on Grid Engine) or a newline is refused
/// before anything is submitted, naming the character.
#[test]
fn odd_run_directories_work_or_are_refused_naming_the_character() {
    for kind in ["slurm", "sge"] {
        let c = Cluster::new(kind, "oddpaths");
        let wdl = "version 1.1\ntask t {\n  command <<< echo hello >>>\n  output { String o = read_string(stdout()) }\n}\n";
        let dir = project(&[("t.wdl", wdl)]);
        c.config(dir.path(), "");
        let odd = if kind == "slurm" {
            "it's a $(touch pwned) dir"
        } else {
            "a spaced dir"
        };
        let run_dir = dir.path().join(odd).join("run");
        let out = c
            .command(dir.path())
            .args(["run", "t.wdl", "--profile", "test", "--run-dir"])
            .arg(&run_dir)
            .output()
            .expect("ferry runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{kind}: {stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("hello"));
        let pwned = std::process::Command::new("find")
            .arg(dir.path())
            .args(["-name", "pwned"])
            .output()
            .expect("find");
        assert!(pwned.stdout.is_empty(), "{kind}: the path was executed");
        let submitted = c.count(c.submit_command());
        let refused = if kind == "slurm" { "50%" } else { "host:dir" };
        for name in [refused, "new\nline"] {
            let out = c
                .command(dir.path())
                .args(["run", "t.wdl", "--profile", "test", "--run-dir"])
                .arg(dir.path().join(name).join("run"))
                .output()
                .expect("ferry runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{kind} {name:?}: {stderr}");
            assert!(stderr.contains("in its path"), "{kind} {name:?}: {stderr}");
        }
        assert_eq!(c.count(c.submit_command()), submitted, "{kind}: submitted");
    }
}

/// The guard against run directories under /tmp looks at where the directory really is: a
/// link from elsewhere into /tmp is refused too.
#[test]
fn the_tmp_guard_follows_links() {
    let c = Cluster::new("slurm", "tmplink");
    let dir = project(&[("t.wdl", "version 1.1\ntask t { command <<< true >>> }\n")]);
    c.config(dir.path(), "single_node_cluster = false");
    let link =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tmp-link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(dir.path(), &link).expect("ln -s");
    let out = c
        .command(dir.path())
        .args(["run", "t.wdl", "--profile", "test", "--run-dir"])
        .arg(link.join("run"))
        .output()
        .expect("ferry runs");
    let _ = std::fs::remove_file(&link);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("compute nodes do not share"), "{stderr}");
    assert_eq!(c.count("sbatch"), 0);
}

/// `sbatch` that created its job and then failed as if the controller had timed out: the job
/// is found by its unique name and tracked, not submitted a second time beside it.
#[test]
fn a_submission_that_timed_out_after_creating_its_job_is_not_repeated() {
    let c = Cluster::new("slurm", "ambiguous");
    let real = which("sbatch").expect("sbatch");
    let flag = c.wrappers.path().join("failed-once");
    let script = format!(
        "#!/bin/sh\necho \"sbatch $*\" >> '{log}'\nif [ ! -e '{flag}' ]; then\n  touch '{flag}'\n  '{real}' \"$@\" > /dev/null\n  echo 'sbatch: error: Socket timed out on send/recv operation' >&2\n  exit 1\nfi\nexec '{real}' \"$@\"\n",
        log = c.wrappers.path().join("commands.log").display(),
        flag = flag.display(),
        real = real.display()
    );
    std::fs::write(c.wrappers.path().join("sbatch"), script).expect("wrapper");
    let wdl = r#"version 1.1
task t {
  input { String log }
  command <<<
    echo ran >> '~{log}'
    echo hello
  >>>
  output { String o = read_string(stdout()) }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    c.config(dir.path(), "");
    let ran = dir.path().join("ran.log");
    let r = c.run(dir.path(), "t.wdl", &[&format!("t.log={}", ran.display())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.o"], "hello");
    assert_eq!(c.count("sbatch"), 1, "submitted again");
    assert_eq!(
        std::fs::read_to_string(&ran).expect("ran").lines().count(),
        1,
        "the command ran twice"
    );
}

/// A stand-in for `apptainer` (none can be installed on this machine: Debian 12 does not
/// package it): logs every call; `pull OUT docker://REF` writes OUT; `exec [options] IMAGE
/// CMD...` checks IMAGE is a file and runs CMD on the host with the `--env` values exported.
const APPTAINER_STAND_IN: &str = r#"#!/bin/sh
echo "apptainer $*" >> "$(dirname "$0")/apptainer.log"
case "$1" in
  pull) echo "$3" > "$2"; exit 0 ;;
  exec)
    shift
    while [ $# -gt 0 ]; do
      case "$1" in
        --env=*) export "${1#--env=}"; shift ;;
        --network) shift 2 ;;
        --*) shift ;;
        *) break ;;
      esac
    done
    [ -f "$1" ] || { echo "apptainer: no image file $1" >&2; exit 255; }
    shift
    exec "$@" ;;
esac
exit 2
"#;

/// 50 cluster jobs of one task in an Apptainer image: the image is pinned to its digest and
/// pulled once, into `container.cache_dir/<digest>.sif`, before anything is submitted, and every
/// job execs that file (before, each job ran `apptainer exec docker://…` and pulled it itself).
#[test]
fn an_apptainer_image_is_pulled_once_as_a_sif_for_every_job() {
    let c = Cluster::new("slurm", "sifonce");
    let stand_in = c.wrappers.path().join("apptainer");
    std::fs::write(&stand_in, APPTAINER_STAND_IN).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&stand_in)
        .status()
        .unwrap();
    // The image, in a registry on loopback that Ferry pins the tag with.
    let image = format!(
        "127.0.0.1:5051/ferry/busybox:{}",
        common::aws::unique("sif")
    );
    for args in [
        vec!["tag", "local/busybox:1", image.as_str()],
        vec!["push", "-q", image.as_str()],
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let wdl = format!(
        r#"version 1.1
task t {{
  input {{ Int i }}
  command <<< echo $(( ~{{i}} * 2 )) >>>
  output {{ Int o = read_int(stdout()) }}
  runtime {{ container: "{image}"  cpu: 1  memory: "16 MiB" }}
}}
workflow w {{
  scatter (i in range(50)) {{ call t {{ input: i = i }} }}
  output {{ Array[Int] os = t.o }}
}}
"#
    );
    let dir = project(&[("w.wdl", &wdl)]);
    let sifs = dir.path().join("sifs");
    c.config(
        dir.path(),
        &format!(
            "[profiles.test.container]\nruntime = \"apptainer\"\ncache_dir = \"{}\"",
            sifs.display()
        ),
    );
    let r = c.run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected: Vec<i64> = (0..50).map(|i| i * 2).collect();
    assert_eq!(r.outputs()["w.os"], serde_json::json!(expected));
    let log = std::fs::read_to_string(c.wrappers.path().join("apptainer.log")).unwrap();
    let pulls: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("apptainer pull "))
        .collect();
    let execs: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("apptainer exec "))
        .collect();
    assert_eq!(pulls.len(), 1, "{log}");
    assert!(
        pulls[0].contains(&format!("docker://{}", image.rsplit_once(':').unwrap().0)),
        "{log}"
    );
    assert!(pulls[0].contains("@sha256:"), "pulled by digest: {log}");
    assert_eq!(execs.len(), 50, "{log}");
    let sif = std::fs::read_dir(&sifs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "sif"))
        .expect("a SIF file in the image cache");
    assert!(
        execs.iter().all(|l| l.contains(&*sif.to_string_lossy())),
        "every job execs {}: {log}",
        sif.display()
    );
}
