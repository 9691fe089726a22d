//! Executors: where a fully evaluated task attempt runs.
//!
//! The engine hands an executor an [`AttemptSpec`] (command script already written, resources,
//! image, input paths) and gets back an [`AttemptOutcome`]. Local processes are the first
//! backend; Docker, Slurm/SGE and AWS Batch are further implementations of [`Executor`].

#![deny(unsafe_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use async_trait::async_trait;

mod awsbatch;
mod container;
pub use container::refuse_host_specials;
pub mod disks;
mod docker;
pub mod factory;
mod gather;
pub mod hpc;
pub mod launcher;
mod local;
pub mod reaper;
pub mod registry;
mod scheduled;
#[allow(unsafe_code)]
mod sys;

pub use awsbatch::engine::{ENGINE_PROGRAM, EngineJobRequest, EngineJobState};
pub use awsbatch::{BatchExecutor, BatchSettings, restore_scripts, run_prefix};
pub use awsbatch::{STATE_DIR as BATCH_STATE_DIR, STATE_HOME, STORED_RECORDS};
pub use disks::DiskRequest;
pub use docker::{DockerExecutor, DockerSettings, Pull};
/// Bytes still free on the filesystem holding a path (a failed task's message says when its
/// disk was full).
pub use ferry_stage::free_bytes;
pub use local::{LauncherProgram, LocalExecutor};

/// A new identifier, unique across processes and machines for practical purposes: 12 hex
/// digits of a hash of the time, this process and a counter.
pub fn unique_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = blake3::Hasher::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(&now.as_nanos().to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(
        &COUNTER
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_le_bytes(),
    );
    if let Ok(host) = std::fs::read("/proc/sys/kernel/random/boot_id") {
        h.update(&host);
    }
    if let Ok(random) = std::fs::read("/proc/sys/kernel/random/uuid") {
        h.update(&random);
    }
    h.finalize().to_hex()[..12].to_string()
}

/// `s` as part of a scheduler's job name: letters, digits, `-` and `_` kept, anything else
/// `replacement`, at most `max` characters (Slurm and Grid Engine take 64 with `_`, Batch any
/// length of its own alphabet with `-`).
pub(crate) fn job_name_part(s: &str, replacement: char, max: usize) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                replacement
            }
        })
        .take(max)
        .collect()
}

/// Why an executor could not run an attempt at all. A command that ran and failed is an
/// [`AttemptOutcome`] with its exit code, not an error.
#[derive(Debug)]
pub enum ExecError {
    /// Likely to work if tried again a little later: the machine or the platform was short of
    /// something for a while (processes, memory). The engine tries again without counting it
    /// against the task's retries.
    Transient(anyhow::Error),
    /// Will fail the same way if tried again.
    Permanent(anyhow::Error),
    /// The run is being stopped.
    Cancelled,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Transient(e) | ExecError::Permanent(e) => write!(f, "{e:#}"),
            ExecError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for ExecError {}

/// What an executor's helpers return is permanent unless they say otherwise.
impl From<anyhow::Error> for ExecError {
    fn from(e: anyhow::Error) -> Self {
        ExecError::Permanent(e)
    }
}

/// One attempt of one task (or scatter shard), ready to run.
#[derive(Clone, Debug)]
pub struct AttemptSpec {
    /// `call_name` or `call_name[shard]`, for messages.
    pub label: String,
    /// The attempt's directory: holds `command`, `stdout`, `stderr`, `rc` and `work/`. The
    /// executor creates it (and any missing directory between `create_from` and it).
    pub attempt_dir: PathBuf,
    /// An existing ancestor of `attempt_dir`.
    pub create_from: PathBuf,
    /// The command script's text; the executor writes it to `script`.
    pub command: String,
    /// The task's working directory (its relative outputs land here).
    pub work_dir: PathBuf,
    /// Where the command script goes (`attempt_dir/command`).
    pub script: PathBuf,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub cpu: f64,
    /// Bytes.
    pub memory: u64,
    pub gpu: u32,
    /// The image, as [`Executor::pin_image`] returned it.
    pub container: Option<String>,
    /// Environment variables for the command (WDL 1.2 `env` declarations).
    pub env: Vec<(String, String)>,
    /// Host paths of the input files and directories, for executors that must mount them.
    pub inputs: Vec<PathBuf>,
    /// Queue or partition, for executors that have them (from the profile).
    pub queue: Option<String>,
    /// Wall-time limit, for cluster schedulers (the profile's per-task `time`).
    pub time: Option<Duration>,
    /// Scheduler options of this task (the profile's per-task `cluster_options`).
    pub cluster_options: Option<String>,
    /// Set when the task reads object-store inputs from their URLs.
    pub streaming: Option<Arc<Streaming>>,
    /// The task's AWS Batch job options (the profile's, then its per-task ones).
    pub batch: Arc<ferry_config::BatchJobOptions>,
    /// Disk space the task asks for (WDL `disks`), checked before the command starts.
    pub disks: Vec<DiskRequest>,
}

#[cfg(test)]
impl AttemptSpec {
    /// A one-cpu attempt of task `t` in `attempt_dir`, for tests.
    pub(crate) fn for_test(attempt_dir: &std::path::Path) -> AttemptSpec {
        let a = attempt_dir.to_path_buf();
        AttemptSpec {
            label: "t".into(),
            create_from: a.parent().unwrap_or(&a).to_path_buf(),
            command: "echo hi".into(),
            work_dir: a.join("work"),
            script: a.join("command"),
            stdout: a.join("stdout"),
            stderr: a.join("stderr"),
            attempt_dir: a,
            cpu: 1.0,
            memory: 1 << 30,
            gpu: 0,
            container: None,
            env: vec![],
            inputs: vec![],
            queue: None,
            time: None,
            cluster_options: None,
            streaming: None,
            batch: Default::default(),
            disks: Vec::new(),
        }
    }
}

/// What a task that reads inputs straight from an object store (htslib's ranged reads of a
/// BAM in S3) needs: the environment its tools read, and the network.
#[derive(Clone, Debug, Default)]
pub struct Streaming {
    /// The streamed URLs, for the log.
    pub urls: Vec<String>,
    /// Region, endpoint, addressing: goes wherever the task's environment goes.
    pub env: Vec<(String, String)>,
    /// Credentials: handed to the task's process or container only. Executors whose jobs run
    /// elsewhere (clusters, Batch) leave them out: their nodes have credentials of their own.
    pub secrets: Vec<(String, String)>,
}

/// How an attempt ended.
#[derive(Clone, Debug)]
pub struct AttemptOutcome {
    /// The command's exit status; 128+N when killed by signal N.
    pub exit_code: i32,
    /// Killed for exceeding its memory.
    pub oom: bool,
    pub usage: ResourceUse,
    /// Set when the command never reported an exit code (the image could not be pulled, the
    /// host went away): what the platform said. `exit_code` is then meaningless.
    pub lost: Option<String>,
    /// The platform took the capacity away (a Spot reclaim, a terminated host, a preempted or
    /// failed node): retried on the task's preemptible budget, not its `maxRetries`.
    pub preempted: bool,
}

/// Whether what a platform said about a job that ended without an exit code means its capacity
/// was taken away (AWS Batch status reasons; Slurm's PREEMPTED and NODE_FAIL states).
pub fn is_preemption(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    (r.contains("host ec2") && r.contains("terminated"))
        || r.contains("spot")
            && ["interrupt", "reclaim", "terminat"]
                .iter()
                .any(|w| r.contains(w))
        || r.contains("container instance") && r.contains("terminated")
        || r.contains("preempted")
        || r.contains("node_fail")
}

#[derive(Clone, Debug, Default)]
pub struct ResourceUse {
    pub wall: Duration,
    pub user_cpu: Duration,
    pub system_cpu: Duration,
    /// Peak resident set size in bytes, when the executor can tell.
    pub max_rss: Option<u64>,
}

/// The capacity an executor offers, which the scheduler fills with tasks.
#[derive(Clone, Copy, Debug)]
pub struct Capacity {
    pub cpu: f64,
    /// Bytes.
    pub memory: u64,
}

#[async_trait]
pub trait Executor: Send + Sync {
    fn name(&self) -> &'static str;

    /// What can run at once. A task asking for more than this can never run.
    fn capacity(&self) -> Capacity;

    /// Resolves a task's image candidates (WDL 1.2 allows a list) to the image every attempt
    /// of this run will use, once per run: a content digest, so a tag that moves mid-run
    /// changes nothing. `None`: this executor does not run containers.
    async fn pin_image(&self, task: &str, candidates: &[String]) -> Result<Option<String>> {
        let _ = (task, candidates);
        Ok(None)
    }

    /// Whether attempts run on this machine and use its cpu and memory (local, Docker), or are
    /// jobs elsewhere (a cluster, a cloud queue).
    fn runs_here(&self) -> bool {
        true
    }

    /// The cpu and memory that all attempts in flight may hold together: this machine for the
    /// local executors (the default: [`Executor::capacity`]); for a queue or a cluster, `None`
    /// unless the profile caps spend (`max_cpus_in_flight`): what runs at once is then bounded
    /// by the executor's own `max_jobs`, and `capacity` only says how big one job may be.
    fn pool(&self) -> Option<Capacity> {
        Some(self.capacity())
    }

    /// Runs one attempt to completion. Errors mean the executor could not run it at all (not
    /// that the command failed: that is a non-zero `exit_code`), and say whether trying again
    /// may help.
    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome, ExecError>;

    /// Whether this executor fetches object-store inputs itself, inside the job (remote
    /// executors): the engine then passes each such input as [`remote_input_path`] instead of
    /// downloading it to this machine.
    fn stages_urls(&self) -> bool {
        false
    }

    /// Whether a job that an earlier engine of this run started for this attempt is still
    /// queued or running, or ended without that engine collecting it (clusters, AWS Batch): the
    /// engine then leaves the attempt's directory alone and `run` waits for that job, or takes
    /// its results, instead of starting another.
    fn still_running(&self, attempt_dir: &std::path::Path) -> bool {
        let _ = attempt_dir;
        false
    }

    /// How many shards of one scatter the engine keeps live at once for this executor (each
    /// live shard holds its frame and its attempt). 1,024 keeps a local run's memory flat;
    /// an executor that runs shards as array jobs wants a whole array's worth, or the queue
    /// drains between the refills the engine makes as it learns of finished shards.
    fn scatter_window(&self) -> usize {
        1024
    }

    /// What the progress line says about attempts waiting in the executor's own queue (a busy
    /// Batch queue: "412 queued on Batch for 14m"), when that is worth saying.
    fn waiting_note(&self) -> Option<String> {
        None
    }

    /// Stops everything this executor started (Ctrl-C). Running `run` calls then return.
    fn cancel_all(&self);

    /// A second Ctrl-C: stop everything now, without grace (the engine exits right after).
    fn kill_all(&self) {
        self.cancel_all();
    }

    /// Called once when the run ends, however it ends: release whatever is left (containers,
    /// remote jobs).
    async fn shutdown(&self) {}

    /// The run is being abandoned (a second Ctrl-C): after [`Executor::kill_all`], terminate
    /// whatever the run still has running elsewhere (remote jobs, containers) now, without
    /// waiting for calls to end. The caller bounds how long it may take.
    async fn abort(&self) {
        self.kill_all();
    }
}

/// Where a remote job finds an object-store input: a path that spells the URL, so that a file
/// and its index (`x.bam`, `x.bam.bai`) share a directory as they share a prefix.
pub fn remote_input_path(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    Some(format!(
        "{}/{scheme}/{}",
        ferry_stage::REMOTE_INPUTS,
        rest.trim_end_matches('/')
    ))
}

/// The URL behind a [`remote_input_path`].
pub fn remote_input_url(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix(ferry_stage::REMOTE_INPUTS)?
        .strip_prefix('/')?;
    let (scheme, rest) = rest.split_once('/')?;
    Some(format!("{scheme}://{rest}"))
}

/// The machine's cpus and memory, as the local executor offers them.
pub fn machine_capacity() -> Capacity {
    let cpu = std::thread::available_parallelism()
        .map(|n| n.get() as f64)
        .unwrap_or(1.0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(4 << 30);
    Capacity { cpu, memory }
}

#[cfg(test)]
mod tests {
    #[test]
    fn preemptions_are_told_from_other_losses() {
        for r in [
            "Host EC2 (instance i-0123456789abcdef0) terminated.",
            "Your Spot Instance was interrupted",
            "slurm ended the job as PREEMPTED (exit 0:0)",
            "slurm ended the job as NODE_FAIL",
        ] {
            assert!(is_preemption(r), "{r}");
        }
        for r in [
            "Essential container in task exited",
            "spot check of the input failed",
            "CannotPullContainerError: pull image manifest has been retried",
            "slurm ended the job as FAILED",
        ] {
            assert!(!is_preemption(r), "{r}");
        }
    }

    use super::*;
    use std::path::Path;

    #[test]
    fn a_remote_input_path_spells_its_url() {
        let p = remote_input_path("s3://bucket/dir/x.bam").unwrap();
        assert_eq!(p, "/ferry-inputs/s3/bucket/dir/x.bam");
        assert_eq!(remote_input_url(&p).unwrap(), "s3://bucket/dir/x.bam");
        // An index beside its file stays beside it.
        let bai = remote_input_path("s3://bucket/dir/x.bam.bai").unwrap();
        assert_eq!(Path::new(&bai).parent(), Path::new(&p).parent());
        assert_eq!(remote_input_url("/data/x.bam"), None);
        assert_eq!(remote_input_path("/data/x.bam"), None);
    }
}
