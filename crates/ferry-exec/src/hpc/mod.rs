//! Cluster schedulers: Slurm (`slurm.rs`) and Grid Engine (`sge.rs`) behind one executor.
//!
//! Each attempt becomes a batch script in its attempt directory (`job.sh`). A *submitter* task
//! gathers the attempts that arrive together and submits each group of one shape (call, cpu,
//! memory, time, queue, options) as one array job, chunked to the scheduler's array limit: a
//! 20,000-shard scatter is a handful of `sbatch`/`qsub` calls. The job writes its own `rc`
//! (the truth: schedulers forget finished jobs) and then a marker in `.ferry-hpc/done/`; a
//! *poller* lists that directory every second and asks the scheduler about all of Ferry's jobs
//! with one query per `poll_interval`. A job that left the queue without `rc` gets its fate
//! from what the scheduler last said, its log, or its accounting (once), and is reported as a
//! memory kill, a time-limit kill or a lost job.
//!
//! Everything a run submitted is named `<prefix><call>.<token>.<submission>` (the token is the
//! run directory's), and `.ferry-hpc/<submission>.list` maps array elements to attempts: a
//! resumed run finds the jobs a killed engine left queued or running and waits for them.

mod job;
mod poll;
mod script;
mod sge;
mod sif;
mod slurm;
mod submit;

pub use job::run_job;
#[cfg(test)]
use poll::read_usage;
use submit::*;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

pub use script::ClusterContainers;

use crate::scheduled::{Earlier, Scheduled};
use crate::{AttemptOutcome, AttemptSpec, Capacity, ExecError, Executor, ResourceUse};

/// Which scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerKind {
    Slurm,
    Sge,
}

/// The cluster settings of the execution profile.
#[derive(Clone, Debug)]
pub struct HpcSettings {
    pub scheduler: SchedulerKind,
    pub queue: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
    /// Passed through verbatim as one directive line, after Ferry's own.
    pub cluster_options: Option<String>,
    pub job_name_prefix: String,
    pub max_jobs: usize,
    pub poll_interval: Duration,
    /// Elements per array job; `None`: the scheduler's own limit.
    pub max_array_size: Option<usize>,
    pub memory_resource: String,
    pub gpu_resource: String,
    /// What carries WDL `disks` in a job's request (`disk_resource`); `None`: nothing.
    pub disk_resource: Option<String>,
    pub parallel_environment: String,
    /// Wall-time limit of jobs whose task has none of its own.
    pub time: Option<Duration>,
    /// Run directories under /tmp are allowed (the cluster is this machine).
    pub single_node_cluster: bool,
    pub containers: Option<ClusterContainers>,
    /// The largest job a node can run (the engine refuses bigger requests up front).
    pub capacity: Capacity,
    /// The cpus all jobs in flight may ask for together (`max_cpus_in_flight`); else
    /// `max_jobs` alone bounds what is in flight.
    pub max_cpus_in_flight: Option<f64>,
    /// The command that runs an attempt inside the job and records its resource use
    /// (`ferry-launch --job`); the job falls back to plain bash when it cannot execute it.
    pub job_helper: Vec<String>,
    /// The environment jobs get (the engine's, minus what the profile withholds).
    pub environment: Vec<(String, String)>,
}

/// What one submission shares: one array job per shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub cpu: u32,
    pub memory_mib: u64,
    pub gpu: u32,
    pub time_seconds: Option<u64>,
    pub queue: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
    /// WDL `disks`, all together, when the profile names a `disk_resource` (else 0).
    pub disk_mib: u64,
    pub cluster_options: Vec<String>,
}

/// How a job ended when it wrote no `rc`.
#[derive(Clone, Debug)]
pub(crate) struct Fate {
    pub oom: bool,
    pub time: bool,
    pub message: String,
}

impl Fate {
    fn memory(m: &str) -> Fate {
        Fate {
            oom: true,
            time: false,
            message: m.into(),
        }
    }
    fn time(m: &str) -> Fate {
        Fate {
            oom: false,
            time: true,
            message: m.into(),
        }
    }
    fn other(m: &str) -> Fate {
        Fate {
            oom: false,
            time: false,
            message: m.into(),
        }
    }
}

/// One job or array element as the status query lists it.
#[derive(Clone, Debug)]
pub(crate) struct QueueEntry {
    pub job: String,
    /// The element's 0-based index; `None` for a plain job.
    pub index: Option<usize>,
    pub name: String,
    pub state: ListedState,
}

#[derive(Clone, Debug)]
pub(crate) enum ListedState {
    /// Queued, running, suspended...: not ended.
    Active,
    /// Ended (Slurm lists finished jobs for a while).
    Ended(Fate),
    /// Will never run as it is (Grid Engine's error state): Ferry deletes it.
    Stuck(String),
}

/// One scheduler's commands and the words it answers with.
pub(crate) trait Scheduler: Send + Sync {
    fn name(&self) -> &'static str;
    /// Characters the scheduler cannot take in a log path of a directive, even quoted: a run
    /// directory with one is refused before anything is submitted.
    fn refused_in_paths(&self) -> &'static [char];
    /// Directive lines (`#SBATCH …`, `#$ …`) for a job of this shape, an array of `array`
    /// elements when given.
    fn directives(
        &self,
        shape: &Shape,
        job_name: &str,
        log: &Path,
        array: Option<usize>,
    ) -> Vec<String>;
    /// The scheduler's output file name for a submission, with its own element placeholder.
    fn log_name(&self, submission: u64, array: bool) -> String;
    /// The file that `log_name` becomes for one element.
    fn element_log_name(&self, submission: u64, index: Option<usize>) -> String;
    fn submit(&self, script: &Path) -> Vec<String>;
    fn job_id(&self, stdout: &str) -> Option<String>;
    /// The shell expression of an array element's 0-based index.
    fn index_expr(&self) -> &'static str;
    /// The one status query: every job of `user`.
    fn status(&self, user: &str) -> Vec<String>;
    fn parse_status(&self, out: &str) -> Vec<QueueEntry>;
    fn cancel(&self, jobs: &[String]) -> Vec<String>;
    fn cancel_element(&self, job: &str, index: Option<usize>) -> Vec<String>;
    /// Accounting queries for one job, tried in order.
    fn accounting(&self, job: &str) -> Vec<Vec<String>>;
    fn parse_accounting(&self, out: &str, job: &str, index: Option<usize>) -> Option<Fate>;
    /// The query for the largest array.
    fn max_array_query(&self) -> Vec<String>;
    /// The largest array, from that query's answer.
    fn max_array_size(&self, answer: &str) -> Option<usize>;
    /// What the job's scheduler log says about its end.
    fn log_fate(&self, log: &str) -> Option<Fate>;
}

/// How an attempt's job ended, as the poller found out.
/// Whether the attempt's end needs the scheduler's word: its `rc` is a signal's exit (128+N:
/// SIGTERM's 143, SIGKILL's 137) or missing (the job was stopped between its command and its
/// marker).
fn signalled(attempt_dir: &Path) -> bool {
    std::fs::read_to_string(attempt_dir.join("rc"))
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
        .is_none_or(|rc| rc > 128)
}

enum JobEnd {
    /// `rc` is there (the job and element it came from, filled in by `Inner::settle`).
    Wrote { job: String, index: Option<usize> },
    /// Gone without `rc`.
    Fate(Fate),
    /// Never submitted.
    Rejected { message: String, transient: bool },
}

impl JobEnd {
    /// `rc` is there: `Inner::settle` says of which job and element.
    fn wrote() -> JobEnd {
        JobEnd::Wrote {
            job: String::new(),
            index: None,
        }
    }
}

/// How long an element that ended on a signal waits for the scheduler's word on why.
const VERDICT_PATIENCE: Duration = Duration::from_secs(30);

struct Pending {
    shape: Shape,
    call: String,
    element: Element,
}

struct Element {
    attempt_dir: PathBuf,
    marker: String,
    index: Option<usize>,
    log: PathBuf,
    /// Told how the job ended, and where the scheduler logged it.
    done: Option<oneshot::Sender<(JobEnd, PathBuf)>>,
    /// Status queries in a row that did not list it (or listed it ended) while it had no `rc`.
    absent: u32,
    /// What the last status query said when it listed the element as ended.
    ended: Option<Fate>,
}

/// An element without `rc` that the status query no longer lists as active.
struct Unsettled {
    job: String,
    pos: usize,
    index: Option<usize>,
    log: PathBuf,
    ended: Option<Fate>,
    absent: u32,
}

/// Scheduler commands run, by program: the run log and the benchmark get the totals.
#[derive(Default)]
struct Commands(Mutex<Vec<(String, u64)>>);

impl Commands {
    fn bump(&self, program: &str) {
        if let Ok(mut c) = self.0.lock() {
            match c.iter_mut().find(|(p, _)| p == program) {
                Some((_, n)) => *n += 1,
                None => c.push((program.to_string(), 1)),
            }
        }
    }
    fn summary(&self, scheduler: &str) -> String {
        let c = self.0.lock().map(|c| c.clone()).unwrap_or_default();
        let total: u64 = c.iter().map(|(_, n)| n).sum();
        let each: Vec<String> = c.iter().map(|(p, n)| format!("{p} {n}")).collect();
        format!("{total} {scheduler} commands ({})", each.join(", "))
    }
}

#[derive(Default)]
struct Tracking {
    /// Elements of every job in flight, by job id.
    jobs: HashMap<String, Vec<Element>>,
    /// Where each marker's element is: job id and position in its job's list.
    by_marker: HashMap<String, (String, usize)>,
}

/// A job a stopped engine of this run left queued or running.
#[derive(Clone, Debug)]
struct Orphan {
    job: String,
    index: Option<usize>,
    log: PathBuf,
}

struct Inner {
    scheduler: Box<dyn Scheduler>,
    settings: HpcSettings,
    run_dir: PathBuf,
    /// `RUN/.ferry-hpc`: submission scripts and lists, `done/` markers, `logs/`.
    state_dir: PathBuf,
    token: String,
    /// This engine's own, in every marker it asks a job to drop.
    instance: String,
    markers: AtomicU64,
    user: String,
    max_array: usize,
    submit: mpsc::UnboundedSender<Pending>,
    tracking: Mutex<Tracking>,
    /// Slots, cancellation, submissions under way (shutdown waits for them, then cancels what
    /// they created) and the jobs an earlier engine of this run left, by attempt directory.
    base: Scheduled<Orphan>,
    /// SIF files by image (Apptainer/Singularity), pulled once per run.
    sifs: ferry_storage::Memo<String>,
    commands: Commands,
    /// The per-user submit limit was reported once.
    limit_warned: std::sync::atomic::AtomicBool,
    next_submission: AtomicU64,
    /// Accounting answers, by job id (asked once per job).
    accounting: Mutex<HashMap<String, String>>,
}

pub struct HpcExecutor {
    inner: Arc<Inner>,
    shut: OnceLock<()>,
}

const STATE_DIR: &str = ".ferry-hpc";
/// How often the `done/` markers are listed (a directory read, not a scheduler call).
const MARKER_INTERVAL: Duration = Duration::from_secs(1);
/// Status queries in a row that must miss an element without `rc` before its fate is settled:
/// the `rc` of a job that just ended may take a moment to appear on a shared filesystem.
const ABSENT_POLLS: u32 = 2;
/// After this many more queries without an accounting record, a job is reported lost.
const ACCOUNTING_PATIENCE: u32 = 5;
/// Job ids per cancel command.
const CANCEL_CHUNK: usize = 200;
/// How long shutdown waits for a submission under way.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(60);

impl HpcExecutor {
    /// Checks the run directory can be seen by compute nodes, finds the scheduler's array limit
    /// and the jobs a stopped engine of this run left, and starts the submitter and poller.
    /// `run_id` (persisted in the run directory) names its jobs, so a resumed run finds them
    /// however the run directory is spelled.
    pub async fn new(settings: HpcSettings, run_dir: &Path, run_id: &str) -> Result<Self> {
        let scheduler: Box<dyn Scheduler> = match settings.scheduler {
            SchedulerKind::Slurm => Box::new(slurm::Slurm),
            SchedulerKind::Sge => Box::new(sge::Sge {
                memory_resource: settings.memory_resource.clone(),
                gpu_resource: settings.gpu_resource.clone(),
                disk_resource: settings.disk_resource.clone(),
                parallel_environment: settings.parallel_environment.clone(),
            }),
        };
        let name = scheduler.name();
        let run_dir = std::path::absolute(run_dir)?;
        // Where it really is: `../../tmp/x` or a link into /tmp is still /tmp.
        let resolved = std::fs::canonicalize(&run_dir).unwrap_or_else(|_| run_dir.clone());
        if !settings.single_node_cluster
            && (resolved.starts_with("/tmp") || resolved.starts_with("/var/tmp"))
        {
            bail!(
                "the run directory {} is under /tmp, which the cluster's compute nodes do not share: set `work_dir` in the profile to a shared filesystem (or `single_node_cluster = true` when the cluster is this machine)",
                run_dir.display()
            );
        }
        let spelled = run_dir.to_string_lossy();
        if let Some(c) = spelled
            .chars()
            .find(|c| scheduler.refused_in_paths().contains(c) || c.is_control())
        {
            bail!(
                "the run directory {spelled:?} has {c:?} in its path, which {name} cannot take in a job's log path: use a run directory (`--run-dir`, or `work_dir` in the profile) without it"
            );
        }
        let state_dir = run_dir.join(STATE_DIR);
        for d in ["done", "logs"] {
            std::fs::create_dir_all(state_dir.join(d))
                .with_context(|| format!("cannot create {}", state_dir.join(d).display()))?;
        }
        let token = run_id.to_string();
        let (submit, queue) = mpsc::unbounded_channel();
        let mut inner = Inner {
            scheduler,
            run_dir,
            token,
            instance: crate::unique_id(),
            markers: AtomicU64::new(0),
            user: String::new(),
            max_array: 1,
            submit,
            tracking: Mutex::new(Tracking::default()),
            base: Scheduled::new(settings.max_jobs),
            sifs: Default::default(),
            commands: Commands::default(),
            limit_warned: Default::default(),
            next_submission: AtomicU64::new(next_submission(&state_dir)),
            accounting: Mutex::new(HashMap::new()),
            state_dir,
            settings,
        };
        inner.user = inner
            .command(&["id".into(), "-un".into()])
            .await
            .map(|o| o.trim().to_string())
            .context("cannot tell which user this is (`id -un`)")?;
        let scheduler_limit = match inner.command(&inner.scheduler.max_array_query()).await {
            Ok(out) => inner.scheduler.max_array_size(&out),
            Err(e) => bail!("{name} does not answer here ({e:#}): is it installed and running?"),
        };
        inner.max_array = inner
            .settings
            .max_array_size
            .or(scheduler_limit)
            .unwrap_or(1000)
            .max(1);
        inner.find_orphans().await?;
        tracing::info!(
            "{name}: arrays of up to {} jobs, status every {}s, run token {}",
            inner.max_array,
            inner.settings.poll_interval.as_secs(),
            inner.token
        );
        let inner = Arc::new(inner);
        tokio::spawn(inner.clone().submitter(queue));
        tokio::spawn(inner.clone().poller());
        Ok(HpcExecutor {
            inner,
            shut: OnceLock::new(),
        })
    }
}

impl Inner {
    /// Runs a scheduler command with the jobs' environment; its stdout, or its stderr as the
    /// error.
    async fn command(&self, argv: &[String]) -> Result<String> {
        let (program, args) = argv.split_first().ok_or_else(|| anyhow!("empty command"))?;
        self.commands.bump(program);
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(self.settings.environment.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(300), cmd.output())
            .await
            .map_err(|_| anyhow!("`{program}` did not answer within 300s"))?
            .with_context(|| format!("cannot run `{program}`"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let err = err.trim();
            bail!(
                "`{}` failed ({}): {}",
                argv.join(" "),
                out.status,
                if err.is_empty() { "no message" } else { err }
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn ours(&self, name: &str) -> Option<u64> {
        let (rest, n) = name.rsplit_once('.')?;
        rest.strip_suffix(&self.token)?.strip_suffix('.')?;
        n.parse().ok()
    }

    /// Jobs of this run directory that a stopped engine left: by name, then their list.
    async fn find_orphans(&self) -> Result<()> {
        if next_submission(&self.state_dir) == 1 {
            return Ok(());
        }
        let out = self
            .command(&self.scheduler.status(&self.user))
            .await
            .context("cannot list the jobs an earlier engine of this run left")?;
        let mut lists: HashMap<u64, Vec<PathBuf>> = HashMap::new();
        let mut found = HashMap::new();
        for l in self.scheduler.parse_status(&out) {
            if !matches!(l.state, ListedState::Active) {
                continue;
            }
            let Some(n) = self.ours(&l.name) else {
                continue;
            };
            let list = lists.entry(n).or_insert_with(|| {
                std::fs::read_to_string(self.state_dir.join(format!("{n}.list")))
                    .unwrap_or_default()
                    .lines()
                    .map(PathBuf::from)
                    .collect()
            });
            if let Some(dir) = list.get(l.index.unwrap_or(0)) {
                found.insert(
                    dir.clone(),
                    Orphan {
                        job: l.job.clone(),
                        index: l.index,
                        log: self
                            .state_dir
                            .join("logs")
                            .join(self.scheduler.element_log_name(n, l.index)),
                    },
                );
            }
        }
        if !found.is_empty() {
            tracing::info!(
                "{}: {} job(s) of this run's earlier engine are still queued or running; waiting for them",
                self.scheduler.name(),
                found.len()
            );
        }
        self.base.set_orphans(found);
        Ok(())
    }
}

#[async_trait]
impl Executor for HpcExecutor {
    fn name(&self) -> &'static str {
        self.inner.scheduler.name()
    }

    fn capacity(&self) -> Capacity {
        self.inner.settings.capacity
    }

    fn runs_here(&self) -> bool {
        false
    }

    fn pool(&self) -> Option<Capacity> {
        self.inner.settings.max_cpus_in_flight.map(|cpu| Capacity {
            cpu,
            memory: u64::MAX >> 2,
        })
    }

    async fn pin_image(&self, task: &str, candidates: &[String]) -> Result<Option<String>> {
        if candidates.is_empty() {
            return Ok(None);
        }
        let inner = &self.inner;
        let Some(c) = &inner.settings.containers else {
            return Ok(None);
        };
        if c.runtime != ferry_config::ContainerRuntime::Podman {
            // Apptainer/Singularity: pulled once into a SIF file that every job execs.
            let mut errors = Vec::new();
            for image in candidates {
                let pulled = ferry_storage::memo(&inner.sifs, image, || {
                    sif::sif_for(c.runtime, &c.image_cache, image)
                })
                .await;
                match pulled {
                    Ok(sif) => return Ok(Some(sif)),
                    Err(e) => errors.push(format!("{e:#}")),
                }
            }
            bail!("task `{task}`: {}", errors.join("; "));
        }
        for image in candidates {
            let mut q = vec!["podman".to_string()];
            q.extend(c.global_options.iter().cloned());
            q.extend(["image", "inspect", "--format", "{{.Id}}", image.as_str()].map(String::from));
            if let Ok(id) = inner.command(&q).await
                && !id.trim().is_empty()
            {
                return Ok(Some(id.trim().to_string()));
            }
        }
        bail!(
            "podman has no image {} on this machine (cluster jobs use `--pull=never`: load or pull it first)",
            candidates.join(" or ")
        )
    }

    fn still_running(&self, attempt_dir: &Path) -> bool {
        self.inner.base.still_running(attempt_dir)
    }

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome, ExecError> {
        let inner = &self.inner;
        let _slot = inner.base.slot().await?;
        let started = Instant::now();
        // Each submission drops a marker of its own: one an earlier job of this attempt left
        // (cancelled, or of a stopped engine) never passes for the new job's.
        let marker = format!(
            "{}.{}-{}",
            marker_for(&inner.run_dir, &spec.attempt_dir),
            inner.instance,
            inner.markers.fetch_add(1, Ordering::Relaxed)
        );
        let (done, ended) = oneshot::channel();
        let log = match inner.base.claim_orphan(spec) {
            // An earlier engine's job for this very attempt: wait for it, unless the command
            // changed since.
            Some(Earlier::Same(o)) => {
                // The marker that job drops is the one its script names.
                let marker =
                    script::done_marker(&spec.attempt_dir.join("job.sh")).unwrap_or(marker);
                inner.track(
                    o.job.clone(),
                    vec![Element {
                        attempt_dir: spec.attempt_dir.clone(),
                        marker,
                        index: o.index,
                        log: o.log.clone(),
                        done: Some(done),
                        absent: 0,
                        ended: None,
                    }],
                );
                // Its marker may already be there.
                inner.read_markers();
                o.log
            }
            other => {
                if let Some(Earlier::Changed(o)) = other {
                    let _ = inner
                        .command(&inner.scheduler.cancel_element(&o.job, o.index))
                        .await;
                }
                let shape = inner.shape(spec);
                // Four inodes per attempt: off the runtime's workers, which drive every call.
                let (writer, owned, shape_copy, marker_copy) =
                    (inner.clone(), spec.clone(), shape.clone(), marker.clone());
                tokio::task::spawn_blocking(move || {
                    writer.write_attempt(&owned, &shape_copy, &marker_copy)
                })
                .await
                .map_err(|e| anyhow!("writing the job script: {e}"))??;
                let call = spec
                    .label
                    .split('[')
                    .next()
                    .unwrap_or(&spec.label)
                    .to_string();
                let element = Element {
                    attempt_dir: spec.attempt_dir.clone(),
                    marker,
                    index: None,
                    log: PathBuf::new(),
                    done: Some(done),
                    absent: 0,
                    ended: None,
                };
                inner
                    .submit
                    .send(Pending {
                        shape,
                        call,
                        element,
                    })
                    .map_err(|_| anyhow!("the submitter has stopped"))?;
                PathBuf::new()
            }
        };
        let (end, element_log) = inner.base.until_ended(ended).await?;
        // A new element's log is known once it was submitted.
        let log = if log.as_os_str().is_empty() {
            element_log
        } else {
            log
        };
        // A job the scheduler took back (preemption: SIGTERM, then gone) may have written its
        // rc (143) before the scheduler says why: a signal's exit waits for its verdict.
        // (A log that already names a memory or time kill says why without waiting.)
        let named_in_log = || {
            std::fs::read_to_string(&log)
                .ok()
                .and_then(|t| inner.scheduler.log_fate(&t))
                .is_some_and(|f| f.oom || f.time)
        };
        let end = match end {
            JobEnd::Wrote { job, index } if signalled(&spec.attempt_dir) && !named_in_log() => {
                match inner.verdict(&job, index).await {
                    Some(fate) if fate.oom || fate.time || crate::is_preemption(&fate.message) => {
                        JobEnd::Fate(fate)
                    }
                    _ => JobEnd::Wrote { job, index },
                }
            }
            other => other,
        };
        inner.outcome(spec, end, &log, started)
    }

    fn cancel_all(&self) {
        if self.inner.base.cancel() {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move { inner.cancel_everything().await });
    }

    async fn shutdown(&self) {
        if self.shut.set(()).is_err() {
            return;
        }
        let inner = &self.inner;
        inner.base.cancel();
        inner.base.submissions_ended(SHUTDOWN_PATIENCE).await;
        inner.cancel_everything().await;
        tracing::info!("{}", inner.commands.summary(inner.scheduler.name()));
    }

    /// `scancel`/`qdel` of every job of the run now, in bulk.
    async fn abort(&self) {
        self.inner.base.cancel();
        self.inner.cancel_everything().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_name_their_attempt() {
        let run = Path::new("/r");
        assert_eq!(
            marker_for(run, Path::new("/r/calls/t/shard-3.attempt-1")),
            "calls+t+shard-3.attempt-1"
        );
        let deep = format!("/r/{}", "x/".repeat(150));
        assert_eq!(marker_for(run, Path::new(&deep)).len(), 64);
    }

    #[test]
    fn usage_lines_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("usage");
        std::fs::write(&p, "1500 700 20 4096\n").unwrap();
        let u = read_usage(&p).unwrap();
        assert_eq!(u.wall, Duration::from_millis(1500));
        assert_eq!(u.max_rss, Some(4 << 20));
        std::fs::write(&p, "garbage").unwrap();
        assert!(read_usage(&p).is_none());
    }

    #[test]
    fn submit_limits_are_waited_out() {
        assert!(submit_limit(
            "sbatch: error: QOSMaxSubmitJobPerUserLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)"
        ));
        assert!(submit_limit(
            "Unable to run job: job rejected: Only 100 jobs are allowed per user (current job count: 100)"
        ));
        assert!(!submit_limit(
            "sbatch: error: invalid partition specified: nope"
        ));
    }

    #[test]
    fn busy_controllers_are_transient_and_impossible_requests_are_not() {
        assert!(transient_failure(
            "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation"
        ));
        assert!(!transient_failure(
            "sbatch: error: Batch job submission failed: Requested node configuration is not available"
        ));
        assert!(!transient_failure(
            "Unable to run job: error: no suitable queues"
        ));
    }
}
