//! AWS Batch: every attempt is a Batch job, data moves through S3.
//!
//! The flow of one attempt: `run` writes nothing to the image; it uploads what the job needs
//! that is only on this machine, describes the attempt in a [`Manifest`], and hands it to the
//! *submitter*. The submitter waits a moment for siblings (the other shards of a scatter reach
//! `run` within milliseconds of each other) and submits every group with the same job
//! definition and resources as **one array job** (up to 10,000 children), with one manifest
//! object for the whole array. The *poller* asks Batch about every job in flight with
//! DescribeJobs, 100 ids per call, and lists an array's children only when its status summary
//! says more of them have ended. When a job ends, its results are read from S3, where the
//! `ferry-stage` helper wrote them inside the container: `rc` is the source of truth; stdout
//! and stderr come down, and the working directory's files stay in S3: the attempt gets a
//! sparse stub for each (`ferry_storage::remote`), so the engine evaluates outputs as for any
//! executor and fetches only the files it reads. Later jobs read the objects where they are.
//!
//! The helper reaches every container through a read-only host volume (`helper_dir` on the
//! instances), so no image needs anything of Ferry's, nor an AWS CLI.

mod adopt;
pub use adopt::{STATE_DIR, STATE_HOME, STORED_RECORDS, restore_scripts};
mod cancel;
mod collect;
mod definitions;
pub mod engine;
mod poll;
mod submit;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use aws_sdk_batch::Client;
use aws_sdk_batch::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_batch::types::{
    ArrayProperties, ContainerOverrides, ContainerProperties, Host, JobDefinitionType, JobStatus,
    JobSummary, KeyValuePair, KeyValuesPair, MountPoint, ResourceRequirement, ResourceType, Volume,
};
use ferry_stage::{Input, Manifest, Usage, results};
use ferry_storage::remote::{self, LeftFile, Remote};
use ferry_storage::{Kind, Listed, Memo, ObjectStorage, Storage, memo};
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::scheduled::{Earlier, Scheduled};
use crate::{AttemptOutcome, AttemptSpec, Capacity, ExecError, Executor, ResourceUse};

/// Batch's limit on the children of one array job.
use definitions::*;

const MAX_ARRAY: usize = 10_000;

/// Attempts handled at once before or after their jobs (see `BatchExecutor::handling`).
const HANDLING_AT_ONCE: usize = 128;
/// DescribeJobs takes at most this many ids.
const DESCRIBE_BATCH: usize = 100;
/// Batch's own log group for job output, unless the profile names another.
pub const DEFAULT_LOG_GROUP: &str = "/aws/batch/job";
/// How many of a job's last log lines a failure message carries.
const LOG_TAIL_LINES: i32 = 20;
/// Where the helper's host directory appears inside every container.
const HELPER_MOUNT: &str = "/opt/ferry-stage";
/// Where `batch.scratch` appears inside every container.
const SCRATCH_MOUNT: &str = "/ferry-scratch";
/// The instance cache again, read-only: what a task's inputs link to, so that a task (jobs run as
/// root: mode bits stop nothing) cannot change the copy later jobs on the instance get. The
/// cache's own mount, read-write, is for `ferry-stage` to fill it.
const INSTANCE_CACHE_VIEW: &str = "/ferry-instance-cache-ro";

/// The `awsbatch` settings of the execution profile.
#[derive(Clone, Debug)]
pub struct BatchSettings {
    pub queue: String,
    /// `s3://bucket/prefix/`: manifests, uploads and results, one prefix per run.
    pub work_dir: String,
    pub region: Option<String>,
    /// A Batch-compatible endpoint instead of AWS.
    pub endpoint: Option<String>,
    /// How the helper reaches S3 (the profile's `[s3]` settings).
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_path_style: bool,
    pub job_role_arn: Option<String>,
    pub job_name_prefix: String,
    pub tags: Vec<(String, String)>,
    pub max_jobs: usize,
    /// SubmitJob calls per second.
    pub submit_rate: f64,
    pub poll_interval: Duration,
    /// How long one API call may take.
    pub call_timeout: Duration,
    /// The directory holding `ferry-stage` on the compute instances.
    pub helper_dir: String,
    pub environment: Vec<(String, String)>,
    /// Whether tags are resolved to digests before submitting (`pull = "never"`: the image is
    /// used as written and no registry is asked).
    pub pin_digests: bool,
    /// The largest job the queue's compute environments can place.
    pub capacity: Capacity,
    /// The cpus all jobs in flight may ask for together (`max_cpus_in_flight`); else
    /// `max_jobs` alone bounds what is in flight.
    pub max_cpus_in_flight: Option<f64>,
    /// Host paths mounted into every job.
    pub volumes: Vec<ferry_config::BatchVolume>,
    /// The per-instance input cache (its directory on the instances, mounted at the same path,
    /// and its size): inputs downloaded once per instance.
    pub instance_cache: Option<(String, u64)>,
    /// What the jobs' uploads carry (encryption, storage class, requester pays).
    pub s3_writes: ferry_storage::S3Writes,
    /// A host path jobs keep their working directory and inputs under (mounted at
    /// [`SCRATCH_MOUNT`]).
    pub scratch: Option<String>,
    /// The workflow's name, for the `ferry:workflow` tag.
    pub workflow: String,
    /// How long a job waits to start before Ferry asks why (see `poll::settle_unstarted`).
    pub start_timeout: Duration,
    /// How long a job may wait to start at all, whatever the reason; `None`: as long as it takes.
    pub max_queue_wait: Option<Duration>,
    /// The CloudWatch log group jobs log to.
    pub log_group: String,
}

/// How Batch says a job ended.
#[derive(Clone, Debug)]
struct JobEnd {
    job_id: String,
    failed: bool,
    reason: Option<String>,
}

/// What one submission of jobs shares: one array job per group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Group {
    job_definition: String,
    queue: String,
    vcpus: u64,
    memory_mib: u64,
    gpu: u32,
    job_name: String,
    /// `work_dir/<run>/`.
    run_prefix: String,
    /// The call's name (the `ferry:call` tag).
    call: String,
    /// The task's fair-share identifier, priority and tags.
    share_identifier: Option<String>,
    scheduling_priority: Option<i32>,
    tags: std::collections::BTreeMap<String, String>,
    /// `attemptDurationSeconds`: the task's `time`.
    timeout_seconds: Option<i64>,
}

struct Pending {
    group: Group,
    manifest: Manifest,
    done: oneshot::Sender<JobEnd>,
}

/// What `Inner::submit_or_adopt` left the attempt with: its results' URL, and the job's end
/// to wait for or the end an adopted job already reached.
enum Submitted {
    Waiting(String, oneshot::Receiver<JobEnd>),
    Ended(String, JobEnd),
}

/// A job in flight, by its Batch id.
enum Tracked {
    Single(oneshot::Sender<JobEnd>),
    Array {
        children: Vec<Option<oneshot::Sender<JobEnd>>>,
        open: usize,
        /// Children known to have ended, by the last status summary seen.
        ended: i64,
        /// When the children were last listed.
        listed: Instant,
    },
}

impl Tracked {
    /// The attempts this job carries.
    fn attempts(&self) -> usize {
        match self {
            Tracked::Single(_) => 1,
            Tracked::Array { children, .. } => children.len(),
        }
    }
}

/// A job none of whose attempts has started yet.
pub(crate) struct Waiting {
    /// Since it was submitted.
    since: Instant,
    /// When Ferry last asked why it waits (every `start_timeout`).
    asked: Instant,
    /// What it asks of which queue, for messages.
    request: String,
    queue: String,
    attempts: usize,
}

/// API calls made, by operation: the run log gets the totals.
#[derive(Default)]
struct Calls {
    counts: Mutex<Vec<(&'static str, u64)>>,
    throttled: AtomicU64,
}

impl Calls {
    fn bump(&self, op: &'static str) {
        if let Ok(mut c) = self.counts.lock() {
            match c.iter_mut().find(|(o, _)| *o == op) {
                Some((_, n)) => *n += 1,
                None => c.push((op, 1)),
            }
        }
    }

    fn summary(&self) -> String {
        let counts = self.counts.lock().map(|c| c.clone()).unwrap_or_default();
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let each: Vec<String> = counts.iter().map(|(o, n)| format!("{o} {n}")).collect();
        format!(
            "{total} AWS Batch API calls ({}), {} throttled and retried",
            each.join(", "),
            self.throttled.load(Ordering::Relaxed)
        )
    }
}

struct Inner {
    /// CloudWatch Logs, where Batch sends a job's output: read only for jobs that ended
    /// without a result, to say why.
    logs: aws_sdk_cloudwatchlogs::Client,
    client: Client,
    storage: Arc<ObjectStorage>,
    settings: BatchSettings,
    calls: Calls,
    jobs: Mutex<HashMap<String, Tracked>>,
    submit: mpsc::UnboundedSender<Pending>,
    /// Job definitions by image, and local files uploaded for jobs, by path.
    definitions: Memo<String>,
    /// The most vCPUs a job of each queue can have (its managed compute environments'
    /// `maxvCpus`); `None` when the queue does not say (unmanaged environments).
    queue_limits: Memo<Option<i32>>,
    uploads: Memo<String>,
    /// Image references pinned to their digest, once per run.
    digests: Memo<String>,
    /// Slots, cancellation, SubmitJob calls under way (shutdown waits for them, so that the
    /// jobs they create are terminated too) and the jobs an earlier engine of this run
    /// submitted, by attempt directory, until `run` claims them.
    base: Scheduled<adopt::Orphan>,
    /// When shutdown began: retries of throttled calls stop [`SHUTDOWN_PATIENCE`] after it.
    shutdown_began: OnceLock<Instant>,
    /// Polls in a row that DescribeJobs did not return a tracked job.
    missing: Mutex<HashMap<String, u32>>,
    /// Jobs none of whose attempts has started yet (the progress line's "queued on Batch", and
    /// the check of why they wait).
    waiting: Mutex<HashMap<String, Waiting>>,
    /// The run's id: with the submission number it makes every job name of the run unique
    /// across its engines, so that a SubmitJob whose answer never came, or the job of an
    /// engine that was killed, can be found by name.
    run_id: String,
    /// `RUN/.ferry-batch/`: one record per submission (see [`adopt`]).
    state_dir: PathBuf,
    next_submission: AtomicU64,
    /// Where the run's job data lives in the store (`work_dir/<the run's name>/`).
    run_prefix: String,
}

/// A SubmitJob that timed out: it may or may not have created its job.
#[derive(Debug)]
struct SubmitTimedOut;

impl std::fmt::Display for SubmitTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubmitJob timed out")
    }
}

impl std::error::Error for SubmitTimedOut {}

/// How long shutdown waits for submissions under way and retries throttled calls.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(60);

/// A job that DescribeJobs does not return this many polls in a row is settled as lost.
const LOST_AFTER_POLLS: u32 = 5;

pub struct BatchExecutor {
    inner: Arc<Inner>,
    /// Attempts handled at once before their job (writing the script, uploading inputs, looking
    /// up the definition) or after it (reading its results): a scatter's shards arrive
    /// together and an array's children end together, and each handling holds a few KiB while
    /// it waits on a lookup or on S3.
    handling: Semaphore,
    shut: OnceLock<()>,
}

impl BatchExecutor {
    /// Connects to Batch (credentials from the standard AWS chain) and starts the submitter and
    /// the poller.
    pub async fn new(
        settings: BatchSettings,
        storage: Arc<ObjectStorage>,
        run_dir: &Path,
        run_id: &str,
        run_name: &str,
    ) -> Result<Self> {
        if !settings.work_dir.starts_with("s3://") {
            bail!(
                "the awsbatch executor needs `batch.work_dir = \"s3://bucket/prefix/\"` in the profile"
            );
        }
        if settings.queue.is_empty() {
            bail!("the awsbatch executor needs `queue = \"<job queue>\"` in the profile");
        }
        // Every call goes through `call`, which retries throttling without giving up.
        let config = sdk_loader(&settings)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        let client = Client::new(&config);
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        let (submit, queue) = mpsc::unbounded_channel();
        let state_dir = run_dir.join(adopt::STATE_DIR);
        std::fs::create_dir_all(&state_dir)
            .with_context(|| format!("cannot create {}", state_dir.display()))?;
        let inner = Arc::new(Inner {
            client,
            logs,
            storage,
            calls: Calls::default(),
            jobs: Mutex::new(HashMap::new()),
            submit,
            definitions: Memo::default(),
            queue_limits: Memo::default(),
            uploads: Memo::default(),
            digests: Memo::default(),
            base: Scheduled::new(settings.max_jobs),
            shutdown_began: OnceLock::new(),
            missing: Mutex::new(HashMap::new()),
            waiting: Mutex::new(HashMap::new()),
            run_id: run_id.to_string(),
            next_submission: AtomicU64::new(adopt::next_submission(&state_dir)),
            state_dir,
            run_prefix: run_prefix(&settings.work_dir, run_name),
            settings,
        });
        // Before the first attempt asks whether an earlier engine's job is at work in it.
        inner.find_orphans().await?;
        tokio::spawn(inner.clone().submitter(queue));
        tokio::spawn(inner.clone().poller());
        Ok(BatchExecutor {
            handling: Semaphore::new(HANDLING_AT_ONCE),
            inner,
            shut: OnceLock::new(),
        })
    }

    async fn handling(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ExecError> {
        self.handling
            .acquire()
            .await
            .map_err(|_| ExecError::Cancelled)
    }
}

/// The AWS SDK's configuration for the profile's Batch: its endpoint, region and call timeout.
pub(crate) fn sdk_loader(settings: &BatchSettings) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(
        aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(settings.call_timeout)
            .build(),
    );
    if let Some(r) = &settings.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(e) = &settings.endpoint {
        loader = loader.endpoint_url(e);
    }
    loader
}

/// The states of a job that has not ended.
const LIVE_STATES: [JobStatus; 5] = [
    JobStatus::Submitted,
    JobStatus::Pending,
    JobStatus::Runnable,
    JobStatus::Starting,
    JobStatus::Running,
];

fn is_terminal(s: Option<&JobStatus>) -> bool {
    matches!(s, Some(JobStatus::Succeeded) | Some(JobStatus::Failed))
}

fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos() as u64)
        .unwrap_or(0);
    d + Duration::from_millis(nanos % (d.as_millis() as u64 / 2 + 1))
}

impl Inner {
    /// One API call, retried with backoff: throttling (429, `TooManyRequestsException`) for as
    /// long as it lasts, other transient failures a few times.
    async fn call<T, E, Fut>(&self, op: &'static str, mut f: impl FnMut() -> Fut) -> Result<T>
    where
        Fut: Future<Output = Result<T, SdkError<E, aws_sdk_batch::config::http::HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut delay = Duration::from_millis(200);
        let mut transient = 0;
        loop {
            self.calls.bump(op);
            let e = match f().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let status = e.raw_response().map(|r| r.status().as_u16());
            let throttled = status == Some(429)
                || matches!(
                    e.code(),
                    Some(
                        "TooManyRequestsException"
                            | "ThrottlingException"
                            | "Throttling"
                            | "RequestLimitExceeded"
                    )
                );
            // A SubmitJob that timed out may have created its job: submitting again could run
            // it twice, so the caller looks for it by name first (`submit`).
            if op == "SubmitJob" && matches!(e, SdkError::TimeoutError(_)) {
                return Err(anyhow::Error::new(SubmitTimedOut));
            }
            let timed_out = matches!(e, SdkError::TimeoutError(_));
            let retry = throttled
                || (transient < 6
                    && (timed_out
                        || matches!(e, SdkError::DispatchFailure(_))
                        || status.is_some_and(|s| s >= 500)));
            if !retry {
                bail!("{op}: {}", DisplayErrorContext(&e));
            }
            // A throttled SubmitJob created nothing: once the run is cancelled it is not
            // repeated. Other calls (TerminateJob) get a bounded time after shutdown began.
            if op == "SubmitJob" && self.base.is_cancelled() {
                bail!("{op}: not repeated, the run is cancelled");
            }
            if let Some(began) = self.shutdown_began.get()
                && began.elapsed() > SHUTDOWN_PATIENCE
            {
                bail!(
                    "{op}: still failing {}s after shutdown began: {}",
                    SHUTDOWN_PATIENCE.as_secs(),
                    DisplayErrorContext(&e)
                );
            }
            if throttled {
                self.calls.throttled.fetch_add(1, Ordering::Relaxed);
            } else {
                transient += 1;
            }
            tracing::debug!(op, ?status, "retrying after {delay:?}");
            tokio::time::sleep(jitter(delay)).await;
            delay = (delay * 2).min(Duration::from_secs(20));
        }
    }
    /// Submits the attempt's job (through the submitter, which groups shards into arrays), or
    /// adopts the job an earlier engine of this run submitted for this very attempt, unless the
    /// command changed since: a receiver of the job's end, or the end itself if it came meanwhile.
    async fn submit_or_adopt(&self, spec: &AttemptSpec) -> Result<Submitted> {
        let run_prefix = self.run_prefix.clone();
        let rel = spec
            .attempt_dir
            .strip_prefix(&spec.create_from)
            .unwrap_or(&spec.attempt_dir)
            .to_string_lossy()
            .to_string();
        let results_url = format!("{run_prefix}{}/", rel.trim_matches('/'));
        let (done, ended) = oneshot::channel();
        match self.base.claim_orphan(spec) {
            Some(Earlier::Same(o)) => match o.end.clone() {
                Some(end) => return Ok(Submitted::Ended(results_url, end)),
                None => self.track_orphan(o, done),
            },
            other => {
                if let Some(Earlier::Changed(o)) = other {
                    self.terminate_orphan(&o).await;
                }
                // The script as it runs: to read when a job failed, and what a resumed run
                // compares before adopting the attempt or its job instead of running it again.
                tokio::fs::create_dir_all(&spec.work_dir)
                    .await
                    .with_context(|| format!("cannot create {}", spec.work_dir.display()))?;
                tokio::fs::write(&spec.script, &spec.command)
                    .await
                    .with_context(|| format!("cannot write {}", spec.script.display()))?;
                let pending = self
                    .pending(spec, run_prefix, results_url.clone(), done)
                    .await?;
                self.submit
                    .send(pending)
                    .map_err(|_| anyhow!("the submitter has stopped"))?;
            }
        }
        Ok(Submitted::Waiting(results_url, ended))
    }

    /// What the submitter needs for one new job of this attempt: the image's job definition,
    /// the inputs staged, the manifest.
    async fn pending(
        &self,
        spec: &AttemptSpec,
        run_prefix: String,
        results_url: String,
        done: oneshot::Sender<JobEnd>,
    ) -> Result<Pending> {
        let image = spec.container.clone().ok_or_else(|| {
            anyhow!(
                "{}: AWS Batch runs every task in a container, and this task names no image (set `container` in its runtime, or `container.default_image` in the profile)",
                spec.label
            )
        })?;
        let queue = spec
            .queue
            .clone()
            .unwrap_or_else(|| self.settings.queue.clone());
        let vcpus = spec.cpu.ceil().max(1.0) as u64;
        self.check_queue_fits(&queue, vcpus).await?;
        let job_definition = self.job_definition(&image, &spec.batch).await?;
        let inputs = self.stage_inputs(spec, &run_prefix).await?;
        let manifest = Manifest {
            label: spec.label.clone(),
            attempt_dir: spec.attempt_dir.to_string_lossy().to_string(),
            work_dir: spec.work_dir.to_string_lossy().to_string(),
            script: spec.script.to_string_lossy().to_string(),
            command: spec.command.clone(),
            inputs,
            // Streaming credentials stay out: the job's role reaches S3.
            env: spec
                .env
                .iter()
                .chain(spec.streaming.iter().flat_map(|s| s.env.iter()))
                .cloned()
                .collect(),
            results: results_url,
            disk_bytes: crate::disks::total_bytes(&spec.disks),
        };
        let call = spec.label.split('[').next().unwrap_or(&spec.label);
        let mut job_name = format!(
            "{}{}",
            crate::job_name_part(&self.settings.job_name_prefix, '-', usize::MAX),
            crate::job_name_part(call, '-', usize::MAX)
        );
        job_name.truncate(128);
        let group = Group {
            job_definition,
            queue,
            vcpus,
            memory_mib: spec.memory.div_ceil(1 << 20).max(4),
            gpu: spec.gpu,
            job_name,
            run_prefix,
            call: call.to_string(),
            share_identifier: spec.batch.share_identifier.clone(),
            scheduling_priority: spec.batch.scheduling_priority,
            tags: spec.batch.tags.clone().unwrap_or_default(),
            // Batch's minimum is 60 s.
            timeout_seconds: spec.time.map(|t| t.as_secs().max(60) as i64),
        };
        Ok(Pending {
            group,
            manifest,
            done,
        })
    }
}

#[async_trait]
impl Executor for BatchExecutor {
    fn name(&self) -> &'static str {
        "awsbatch"
    }

    fn capacity(&self) -> Capacity {
        self.inner.settings.capacity
    }

    fn runs_here(&self) -> bool {
        false
    }

    fn waiting_note(&self) -> Option<String> {
        self.inner.waiting_note()
    }

    fn scatter_window(&self) -> usize {
        MAX_ARRAY
    }

    fn pool(&self) -> Option<Capacity> {
        self.inner.settings.max_cpus_in_flight.map(|cpu| Capacity {
            cpu,
            memory: u64::MAX >> 2,
        })
    }

    async fn pin_image(&self, task: &str, candidates: &[String]) -> Result<Option<String>> {
        let Some(first) = candidates.first() else {
            return Ok(None);
        };
        if !self.inner.settings.pin_digests {
            return Ok(Some(first.clone()));
        }
        // Every shard must run the same image: a tag is resolved to the digest the registry
        // serves now, once per run, and jobs name the digest.
        let mut errors = Vec::new();
        for c in candidates {
            match memo(&self.inner.digests, c, || crate::registry::pin_digest(c)).await {
                Ok(pinned) => return Ok(Some(pinned)),
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
        bail!("task `{task}`: {}", errors.join("; "))
    }

    fn stages_urls(&self) -> bool {
        true
    }

    fn still_running(&self, attempt_dir: &Path) -> bool {
        self.inner.base.still_running(attempt_dir)
    }

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome, ExecError> {
        let inner = &self.inner;
        let _slot = inner.base.slot().await?;
        // The engine keeps a whole array's worth of these futures alive while their jobs run:
        // what submits and what collects (SDK calls, ~50 KiB of state) live on the heap only
        // while they run, so a waiting attempt holds a few hundred bytes.
        let prepared = {
            let _handling = self.handling().await?;
            Box::pin(inner.submit_or_adopt(spec)).await?
        };
        let (results_url, end) = match prepared {
            Submitted::Ended(url, end) => (url, end),
            Submitted::Waiting(url, ended) => (url, inner.base.until_ended(ended).await?),
        };
        let _handling = self.handling().await?;
        Ok(Box::pin(inner.collect(spec, &results_url, end)).await?)
    }

    fn cancel_all(&self) {
        self.inner.base.cancel();
    }

    async fn shutdown(&self) {
        if self.shut.set(()).is_err() {
            return;
        }
        let _ = self.inner.shutdown_began.set(Instant::now());
        self.inner.base.cancel();
        // A SubmitJob under way creates a job that must be terminated with the rest.
        if !self.inner.base.submissions_ended(SHUTDOWN_PATIENCE).await {
            tracing::warn!(
                "a SubmitJob call is still under way after {}s: the job it may create is not terminated",
                SHUTDOWN_PATIENCE.as_secs()
            );
        }
        self.inner.terminate_all().await;
        tracing::info!("{}", self.inner.calls.summary());
    }

    /// TerminateJob for every job in flight now (also when an orderly shutdown is under way:
    /// the engine exits right after this).
    async fn abort(&self) {
        self.inner.base.cancel();
        let _ = self.inner.shutdown_began.set(Instant::now());
        self.inner
            .base
            .submissions_ended(Duration::from_secs(5))
            .await;
        self.inner.terminate_all().await;
    }
}

/// Where a run's job data lives in the store: `work_dir/<the run's name>/`, the name its run
/// directory was first given (kept in the run directory, so that a run rebuilt elsewhere under
/// another name finds its jobs' results). Its state is under `.ferry/` there.
pub fn run_prefix(work_dir: &str, run_name: &str) -> String {
    format!(
        "{}/{}/",
        work_dir.trim_end_matches('/'),
        crate::job_name_part(run_name, '-', usize::MAX)
    )
}
