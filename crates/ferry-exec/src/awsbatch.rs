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
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::{AttemptOutcome, AttemptSpec, Capacity, ExecError, Executor, ResourceUse};

/// Batch's limit on the children of one array job.
const MAX_ARRAY: usize = 10_000;
/// DescribeJobs takes at most this many ids.
const DESCRIBE_BATCH: usize = 100;
/// Batch's log group for job output.
const LOG_GROUP: &str = "/aws/batch/job";
/// How many of a job's last log lines a failure message carries.
const LOG_TAIL_LINES: i32 = 20;
/// Where the helper's host directory appears inside every container.
const HELPER_MOUNT: &str = "/opt/ferry-stage";

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
}

struct Pending {
    group: Group,
    manifest: Manifest,
    done: oneshot::Sender<JobEnd>,
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
    uploads: Memo<String>,
    /// Image references pinned to their digest, once per run.
    digests: Memo<String>,
    arrays: AtomicU64,
    cancelled: watch::Sender<bool>,
    /// SubmitJob calls under way: shutdown waits for them, so that the jobs they create are
    /// terminated too.
    submitting: AtomicU64,
    /// When shutdown began: retries of throttled calls stop [`SHUTDOWN_PATIENCE`] after it.
    shutdown_began: OnceLock<Instant>,
    /// Polls in a row that DescribeJobs did not return a tracked job.
    missing: Mutex<HashMap<String, u32>>,
    /// Makes this engine's job names unique (with a counter), so that a SubmitJob whose answer
    /// never came can be found by name.
    run_token: String,
    submissions: AtomicU64,
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
    slots: Arc<Semaphore>,
    shut: OnceLock<()>,
}

impl BatchExecutor {
    /// Connects to Batch (credentials from the standard AWS chain) and starts the submitter and
    /// the poller.
    pub async fn new(settings: BatchSettings, storage: Arc<ObjectStorage>) -> Result<Self> {
        if !settings.work_dir.starts_with("s3://") {
            bail!(
                "the awsbatch executor needs `batch.work_dir = \"s3://bucket/prefix/\"` in the profile"
            );
        }
        if settings.queue.is_empty() {
            bail!("the awsbatch executor needs `queue = \"<job queue>\"` in the profile");
        }
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            // Every call goes through `call`, which retries throttling without giving up.
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(
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
        let config = loader.load().await;
        let client = Client::new(&config);
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        let (submit, queue) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            client,
            logs,
            storage,
            calls: Calls::default(),
            jobs: Mutex::new(HashMap::new()),
            submit,
            definitions: Memo::default(),
            uploads: Memo::default(),
            digests: Memo::default(),
            arrays: AtomicU64::new(0),
            cancelled: watch::channel(false).0,
            submitting: AtomicU64::new(0),
            shutdown_began: OnceLock::new(),
            missing: Mutex::new(HashMap::new()),
            run_token: {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u32);
                format!("{:08x}", nanos ^ std::process::id().rotate_left(16))
            },
            submissions: AtomicU64::new(0),
            settings,
        });
        tokio::spawn(inner.clone().submitter(queue));
        tokio::spawn(inner.clone().poller());
        Ok(BatchExecutor {
            slots: Arc::new(Semaphore::new(inner.settings.max_jobs.max(1))),
            inner,
            shut: OnceLock::new(),
        })
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

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
            if op == "SubmitJob" && *self.cancelled.borrow() {
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

    /// The job definition for `image`, registered once under a name derived from everything in
    /// it, so reruns and other runs reuse it.
    async fn job_definition(&self, image: &str) -> Result<String> {
        let s = &self.settings;
        let mut env = s.environment.clone();
        env.sort();
        let digest = blake3::hash(
            format!(
                "{image}\0{}\0{:?}\0{env:?}\0{:?}",
                s.helper_dir, s.job_role_arn, s.tags
            )
            .as_bytes(),
        )
        .to_hex();
        let name = format!("{}{}", sanitize(&s.job_name_prefix), &digest.as_str()[..16]);
        memo(&self.definitions, image, async {
            let found = self
                .call("DescribeJobDefinitions", || {
                    self.client
                        .describe_job_definitions()
                        .job_definition_name(&name)
                        .status("ACTIVE")
                        .send()
                })
                .await?;
            if let Some(d) = found
                .job_definitions()
                .iter()
                .filter(|d| d.container_properties().and_then(|c| c.image()) == Some(image))
                .max_by_key(|d| d.revision())
            {
                return Ok(d.job_definition_arn().unwrap_or_default().to_string());
            }
            let props = ContainerProperties::builder()
                .image(image)
                .resource_requirements(requirement(ResourceType::Vcpu, "1"))
                .resource_requirements(requirement(ResourceType::Memory, "2048"))
                .volumes(
                    Volume::builder()
                        .name("ferry-stage")
                        .host(Host::builder().source_path(&s.helper_dir).build())
                        .build(),
                )
                .mount_points(
                    MountPoint::builder()
                        .source_volume("ferry-stage")
                        .container_path(HELPER_MOUNT)
                        .read_only(true)
                        .build(),
                )
                .set_environment(Some(
                    env.iter()
                        .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                        .collect(),
                ))
                .set_job_role_arn(s.job_role_arn.clone())
                .build();
            let out = self
                .call("RegisterJobDefinition", || {
                    self.client
                        .register_job_definition()
                        .job_definition_name(&name)
                        .r#type(JobDefinitionType::Container)
                        .container_properties(props.clone())
                        .set_tags(tags(&s.tags))
                        .send()
                })
                .await?;
            tracing::info!("registered job definition {name} for image {image}");
            out.job_definition_arn()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("RegisterJobDefinition returned no ARN"))
        })
        .await
    }

    /// The job's inputs as S3 objects: URL inputs as they are, files from earlier jobs where
    /// those jobs put them, anything else uploaded once per run.
    async fn stage_inputs(&self, spec: &AttemptSpec, run_prefix: &str) -> Result<Vec<Input>> {
        let mut inputs = Vec::new();
        for p in &spec.inputs {
            let path = p.to_string_lossy().to_string();
            if let Some(url) = crate::remote_input_url(&path) {
                // Looked up already by the engine's input checks: no request here.
                let file = self.storage.exists(&url, Kind::File).await.unwrap_or(true);
                inputs.push(Input {
                    url,
                    path,
                    directory: !file,
                });
                continue;
            }
            // An earlier job's file or directory is read where that job left it.
            let (url, directory) = match remote::lookup(p) {
                Some(Remote::File(f)) => (f.url, false),
                Some(Remote::Directory(url)) => (url, true),
                None => (self.upload(p, run_prefix).await?, p.is_dir()),
            };
            inputs.push(Input {
                url,
                path,
                directory,
            });
        }
        // Files the engine wrote for this attempt (`write_lines()` in the command and the like).
        let mut written = Vec::new();
        if spec.attempt_dir.is_dir() {
            written = ferry_stage::files_under(&spec.attempt_dir)
                .with_context(|| format!("cannot read {}", spec.attempt_dir.display()))?;
        }
        for f in written {
            let url = self.upload(&f, run_prefix).await?;
            inputs.push(Input {
                url,
                path: f.to_string_lossy().to_string(),
                directory: false,
            });
        }
        Ok(inputs)
    }

    /// Uploads a local file or directory once per run; files of one directory share a prefix,
    /// as index files expect.
    async fn upload(&self, path: &Path, run_prefix: &str) -> Result<String> {
        let key = path.to_string_lossy().to_string();
        let dir = path.parent().unwrap_or(Path::new("/"));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "input".into());
        let url = format!(
            "{run_prefix}uploads/{}/{name}",
            &blake3::hash(dir.as_os_str().as_encoded_bytes()).to_hex()[..16]
        );
        memo(&self.uploads, &key, async {
            self.storage
                .publish(path, &url)
                .await
                .with_context(|| format!("cannot upload input {}", path.display()))
        })
        .await
    }

    /// Gathers submissions into groups and submits each group as one array job (a lone
    /// attempt as a plain job).
    async fn submitter(self: Arc<Self>, mut queue: mpsc::UnboundedReceiver<Pending>) {
        let gap = Duration::from_secs_f64(1.0 / self.settings.submit_rate);
        let mut next_submit = Instant::now();
        while let Some(batch) = crate::gather::next_batch(&mut queue).await {
            for (group, items) in crate::gather::group_by(batch, |p| p.group.clone()) {
                for chunk in crate::gather::chunks(items, MAX_ARRAY) {
                    // Counted before the check: either shutdown sees this submission under
                    // way and waits for it, or this sees the cancellation (both SeqCst).
                    self.submitting.fetch_add(1, Ordering::SeqCst);
                    if *self.cancelled.borrow() {
                        self.submitting.fetch_sub(1, Ordering::SeqCst);
                        return;
                    }
                    tokio::time::sleep_until(next_submit.into()).await;
                    next_submit = Instant::now() + gap;
                    self.submit_group(&group, chunk).await;
                    self.submitting.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
    }

    async fn submit_group(&self, group: &Group, items: Vec<Pending>) {
        let result = if items.len() == 1 {
            self.submit_single(group, &items[0].manifest).await
        } else {
            self.submit_array(group, &items).await
        };
        match result {
            Ok(job_id) => {
                let tracked = if items.len() == 1 {
                    items.into_iter().next().map(|p| Tracked::Single(p.done))
                } else {
                    let open = items.len();
                    Some(Tracked::Array {
                        children: items.into_iter().map(|p| Some(p.done)).collect(),
                        open,
                        ended: 0,
                        listed: Instant::now(),
                    })
                };
                if let (Some(t), Ok(mut jobs)) = (tracked, self.jobs.lock()) {
                    jobs.insert(job_id, t);
                }
            }
            Err(e) => {
                let reason = format!("could not submit: {e:#}");
                for p in items {
                    let _ = p.done.send(JobEnd {
                        job_id: String::new(),
                        failed: true,
                        reason: Some(reason.clone()),
                    });
                }
            }
        }
    }

    fn helper_command(&self, manifest_url: &str, array: bool) -> Vec<String> {
        let s = &self.settings;
        let mut cmd = vec![format!("{HELPER_MOUNT}/ferry-stage")];
        if let Some(e) = &s.s3_endpoint {
            cmd.extend(["--endpoint".into(), e.clone()]);
        }
        if let Some(r) = s.s3_region.as_ref().or(s.region.as_ref()) {
            cmd.extend(["--region".into(), r.clone()]);
        }
        if s.s3_path_style {
            cmd.push("--path-style".into());
        }
        if array {
            cmd.push("--array".into());
        }
        cmd.push(manifest_url.into());
        cmd
    }

    fn overrides(&self, group: &Group, command: Vec<String>) -> ContainerOverrides {
        let mut o = ContainerOverrides::builder()
            .set_command(Some(command))
            .resource_requirements(requirement(ResourceType::Vcpu, &group.vcpus.to_string()))
            .resource_requirements(requirement(
                ResourceType::Memory,
                &group.memory_mib.to_string(),
            ));
        if group.gpu > 0 {
            o = o.resource_requirements(requirement(ResourceType::Gpu, &group.gpu.to_string()));
        }
        o.build()
    }

    async fn submit_single(&self, group: &Group, manifest: &Manifest) -> Result<String> {
        let url = format!("{}manifest.json", manifest.results);
        self.storage
            .write(&url, serde_json::to_vec(manifest)?)
            .await?;
        let id = self.submit(group, &url, None).await?;
        tracing::info!("submitted {} as job {id}", manifest.label);
        Ok(id)
    }

    /// One SubmitJob: a plain job, or an array of `size` children, all reading `manifest_url`.
    /// Each submission has a job name of its own; one whose answer timed out is looked for by
    /// that name, and submitted again only if no such job appears.
    async fn submit(&self, group: &Group, manifest_url: &str, size: Option<i32>) -> Result<String> {
        let overrides = self.overrides(group, self.helper_command(manifest_url, size.is_some()));
        let array = size.map(|n| ArrayProperties::builder().size(n).build());
        let n = self.submissions.fetch_add(1, Ordering::Relaxed);
        let suffix = format!("-{}-{n}", self.run_token);
        let mut name = group.job_name.clone();
        name.truncate(128 - suffix.len());
        name.push_str(&suffix);
        for attempt in 1..=3 {
            let result = self
                .call("SubmitJob", || {
                    self.client
                        .submit_job()
                        .job_name(&name)
                        .job_queue(&group.queue)
                        .job_definition(&group.job_definition)
                        .set_array_properties(array.clone())
                        .container_overrides(overrides.clone())
                        .set_tags(tags(&self.settings.tags))
                        .send()
                })
                .await;
            match result {
                Ok(out) => {
                    return out
                        .job_id()
                        .map(str::to_string)
                        .ok_or_else(|| anyhow!("SubmitJob returned no job id"));
                }
                Err(e) if e.downcast_ref::<SubmitTimedOut>().is_some() => {
                    if let Some(id) = self.find_job(&group.queue, &name).await? {
                        tracing::info!("SubmitJob timed out but created job {id} ({name})");
                        return Ok(id);
                    }
                    tracing::warn!(
                        "SubmitJob for {name} timed out and no such job appeared (attempt {attempt} of 3)"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        bail!("SubmitJob for {name} timed out three times")
    }

    /// The id of the job named `name` in `queue`, looked for a few times (a job a timed-out
    /// SubmitJob created may take a moment to be listed).
    async fn find_job(&self, queue: &str, name: &str) -> Result<Option<String>> {
        for _ in 0..3 {
            let out = self
                .call("ListJobs", || {
                    self.client
                        .list_jobs()
                        .job_queue(queue)
                        .filters(
                            KeyValuesPair::builder()
                                .name("JOB_NAME")
                                .values(name)
                                .build(),
                        )
                        .send()
                })
                .await?;
            if let Some(id) = out
                .job_summary_list()
                .iter()
                .find(|j| j.job_name() == Some(name))
                .and_then(|j| j.job_id())
            {
                return Ok(Some(id.to_string()));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Ok(None)
    }

    async fn submit_array(&self, group: &Group, items: &[Pending]) -> Result<String> {
        let n = self.arrays.fetch_add(1, Ordering::Relaxed);
        let url = format!(
            "{}arrays/{n}-{}.manifests",
            group.run_prefix, group.job_name
        );
        let manifests: Vec<Manifest> = items.iter().map(|p| p.manifest.clone()).collect();
        self.storage
            .write(&url, ferry_stage::encode_array(&manifests)?)
            .await?;
        let id = self.submit(group, &url, Some(items.len() as i32)).await?;
        tracing::info!(
            "submitted {} shards of {} as array job {id}",
            items.len(),
            group.job_name,
        );
        Ok(id)
    }

    /// Every poll interval: DescribeJobs for everything in flight (100 ids a call), ListJobs
    /// for the children of arrays whose summary moved.
    async fn poller(self: Arc<Self>) {
        let mut cancelled = self.cancelled.subscribe();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = cancelled.wait_for(|c| *c) => return,
            }
            let ids: Vec<String> = match self.jobs.lock() {
                Ok(j) => j.keys().cloned().collect(),
                Err(_) => return,
            };
            for chunk in ids.chunks(DESCRIBE_BATCH) {
                if let Err(e) = self.poll(chunk).await {
                    tracing::warn!("polling AWS Batch: {e:#}");
                }
            }
        }
    }

    async fn poll(&self, ids: &[String]) -> Result<()> {
        let out = self
            .call("DescribeJobs", || {
                self.client
                    .describe_jobs()
                    .set_jobs(Some(ids.to_vec()))
                    .send()
            })
            .await?;
        for id in self.settle_missing(ids, out.jobs()) {
            // Whatever Batch says, a job Ferry no longer waits for must not run on.
            self.terminate(&id).await;
        }
        for job in out.jobs() {
            let id = job.job_id().unwrap_or_default().to_string();
            let status = job.status();
            let reason = job
                .status_reason()
                .or_else(|| job.container().and_then(|c| c.reason()))
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            let summary_ended = job
                .array_properties()
                .and_then(|a| a.status_summary())
                .map(|s| {
                    s.get("SUCCEEDED").copied().unwrap_or(0) as i64
                        + s.get("FAILED").copied().unwrap_or(0) as i64
                });
            // Untracked: settled meanwhile. `None`: a single job. `Some`: an array.
            let tracked = self.jobs.lock().ok().and_then(|j| {
                j.get(&id).map(|t| match t {
                    Tracked::Array {
                        ended,
                        children,
                        listed,
                        ..
                    } => Some((*ended, children.len(), *listed)),
                    Tracked::Single(_) => None,
                })
            });
            let Some(array) = tracked else { continue };
            if let Some((ended_before, size, listed)) = array {
                // Listing a big array's children is many pages: while it is still running, list
                // them at most every (size / 500) intervals, so a 10,000-child array costs ~20
                // ListJobs calls a listing but a listing only every 20 intervals.
                let spacing = self.settings.poll_interval * (size / 500).max(1) as u32;
                let all_ended = summary_ended.is_some_and(|n| n >= size as i64);
                let moved = summary_ended.is_none_or(|n| n > ended_before);
                if (moved && listed.elapsed() >= spacing) || all_ended || is_terminal(status) {
                    self.poll_children(&id).await?;
                    if let Ok(mut jobs) = self.jobs.lock()
                        && let Some(Tracked::Array { ended, listed, .. }) = jobs.get_mut(&id)
                    {
                        *listed = Instant::now();
                        if let Some(n) = summary_ended {
                            *ended = n;
                        }
                    }
                }
            } else if is_terminal(status) {
                let tracked = self.jobs.lock().ok().and_then(|mut j| j.remove(&id));
                if let Some(Tracked::Single(done)) = tracked {
                    let _ = done.send(JobEnd {
                        job_id: id,
                        failed: status == Some(&JobStatus::Failed),
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// A tracked job that DescribeJobs stops returning (Batch forgets finished jobs after a
    /// day; an id can also be wrong) would be waited for forever: after [`LOST_AFTER_POLLS`]
    /// polls in a row without it, its attempts fail as lost. Returns the ids so settled.
    fn settle_missing(
        &self,
        asked: &[String],
        got: &[aws_sdk_batch::types::JobDetail],
    ) -> Vec<String> {
        let returned: HashSet<&str> = got.iter().filter_map(|j| j.job_id()).collect();
        let mut lost = Vec::new();
        if let Ok(mut missing) = self.missing.lock() {
            for id in asked {
                if returned.contains(id.as_str()) {
                    missing.remove(id);
                    continue;
                }
                let n = missing.entry(id.clone()).or_insert(0);
                *n += 1;
                if *n >= LOST_AFTER_POLLS {
                    missing.remove(id);
                    lost.push(id.clone());
                }
            }
        }
        lost.retain(|id| {
            let Some(tracked) = self.jobs.lock().ok().and_then(|mut j| j.remove(id)) else {
                return false;
            };
            let reason = format!(
                "AWS Batch no longer knows job {id}: DescribeJobs did not return it {LOST_AFTER_POLLS} polls in a row"
            );
            tracing::warn!("{reason}");
            let senders = match tracked {
                Tracked::Single(done) => vec![done],
                Tracked::Array { children, .. } => children.into_iter().flatten().collect(),
            };
            for done in senders {
                let _ = done.send(JobEnd {
                    job_id: id.clone(),
                    failed: true,
                    reason: Some(reason.clone()),
                });
            }
            true
        });
        lost
    }

    /// Every child of the array `parent` that is in `status`, page by page.
    async fn children(&self, parent: &str, status: JobStatus) -> Result<Vec<JobSummary>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .call("ListJobs", || {
                    self.client
                        .list_jobs()
                        .array_job_id(parent)
                        .job_status(status.clone())
                        .max_results(100)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            out.extend(page.job_summary_list().iter().cloned());
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Lists the array's ended children (SUCCEEDED, then FAILED) and settles the new ones.
    async fn poll_children(&self, parent: &str) -> Result<()> {
        for status in [JobStatus::Succeeded, JobStatus::Failed] {
            let ended = self.children(parent, status.clone()).await?;
            let mut jobs = self
                .jobs
                .lock()
                .map_err(|_| anyhow!("job table poisoned"))?;
            let Some(Tracked::Array { children, open, .. }) = jobs.get_mut(parent) else {
                return Ok(());
            };
            for child in &ended {
                let id = child.job_id().unwrap_or_default();
                let index = child
                    .array_properties()
                    .and_then(|a| a.index())
                    .map(|i| i as usize)
                    .or_else(|| id.rsplit_once(':').and_then(|(_, i)| i.parse().ok()));
                let Some(done) = index
                    .and_then(|i| children.get_mut(i))
                    .and_then(Option::take)
                else {
                    continue;
                };
                *open -= 1;
                let reason = child
                    .status_reason()
                    .or_else(|| child.container().and_then(|c| c.reason()))
                    .filter(|r| !r.is_empty())
                    .map(str::to_string);
                let _ = done.send(JobEnd {
                    job_id: id.to_string(),
                    failed: status == JobStatus::Failed,
                    reason,
                });
            }
            if *open == 0 {
                jobs.remove(parent);
                return Ok(());
            }
        }
        Ok(())
    }

    /// Reads the attempt's results from S3 and mirrors its working directory back.
    async fn collect(
        &self,
        spec: &AttemptSpec,
        results_url: &str,
        end: JobEnd,
    ) -> Result<AttemptOutcome> {
        std::fs::create_dir_all(&spec.work_dir)
            .with_context(|| format!("cannot create {}", spec.work_dir.display()))?;
        // The script as it ran: to read when a job failed, and what a resumed run compares
        // before adopting the attempt instead of running it again.
        std::fs::write(&spec.script, &spec.command)
            .with_context(|| format!("cannot write {}", spec.script.display()))?;
        let rc = self
            .storage
            .read(&format!("{results_url}{}", results::RC))
            .await?;
        let Some(rc) = rc else {
            let staging = self
                .storage
                .read(&format!("{results_url}{}", results::ERROR))
                .await?;
            let reason = end.reason.clone().unwrap_or_default();
            let oom = reason.contains("OutOfMemory");
            // The job's own words, when it logged any (CloudWatch), say more than Batch does.
            let log = match (&staging, end.job_id.is_empty()) {
                (None, false) => self.log_tail(&end.job_id).await,
                _ => None,
            };
            let last_logged = log.as_ref().and_then(|(_, tail)| {
                tail.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| l.trim().to_string())
            });
            let why = match staging {
                Some(m) => format!("the job could not stage: {}", String::from_utf8_lossy(&m)),
                None if end.job_id.is_empty() => reason.clone(),
                None => format!(
                    "Batch job {} {} without a result: {}",
                    end.job_id,
                    if end.failed { "failed" } else { "ended" },
                    match (&last_logged, reason.is_empty()) {
                        (Some(last), true) => format!("its log ends: {last}"),
                        (Some(last), false) => format!("{reason}; its log ends: {last}"),
                        (None, false) => reason.clone(),
                        (None, true) => "Batch gave no reason and the job logged nothing (an image that cannot be pulled or a host that went away ends a job like this)".to_string(),
                    }
                ),
            };
            let mut text = format!("{why}\n");
            if let Some((stream, tail)) = &log {
                text.push_str(&format!(
                    "--- the job's log (CloudWatch {LOG_GROUP}, stream {stream}), last lines ---\n{tail}\n"
                ));
            }
            std::fs::write(&spec.stderr, text)
                .with_context(|| format!("cannot write {}", spec.stderr.display()))?;
            return Ok(AttemptOutcome {
                exit_code: if oom { 137 } else { -1 },
                oom,
                usage: ResourceUse::default(),
                lost: (!oom).then_some(why),
            });
        };
        let exit_code: i32 = String::from_utf8_lossy(&rc)
            .trim()
            .parse()
            .map_err(|_| anyhow!("{results_url}rc: not an exit code"))?;
        // One LIST of the attempt's results finds stdout, stderr and `work/`, with the sizes
        // and ETags the downloads and stubs need.
        let mut logs: Vec<(Listed, PathBuf)> = Vec::new();
        let mut work: Vec<(Listed, String)> = Vec::new();
        for object in self.storage.list_now(results_url).await? {
            let Some(rel) = object.url.strip_prefix(results_url) else {
                continue;
            };
            if rel == results::STDOUT {
                logs.push((object, spec.stdout.clone()));
            } else if rel == results::STDERR {
                logs.push((object, spec.stderr.clone()));
            } else if let Some(file) = rel.strip_prefix(results::WORK) {
                let file = file.to_string();
                work.push((object, file));
            }
        }
        for (name, want) in [
            (results::STDOUT, &spec.stdout),
            (results::STDERR, &spec.stderr),
        ] {
            if !logs.iter().any(|(_, dest)| dest == want) {
                bail!("{results_url}{name}: no such object");
            }
        }
        // The job's files stay where it wrote them: stubs here, fetched only when the engine
        // reads one (`ferry_storage::remote`).
        let left: Vec<LeftFile> = work
            .iter()
            .map(|(object, rel)| LeftFile {
                rel: rel.clone(),
                size: object.size(),
                etag: object.etag().map(str::to_string),
            })
            .collect();
        let work_url = format!("{results_url}{}", results::WORK);
        if !remote::leave_in_store(&spec.attempt_dir, &work_url, &left)? {
            logs.extend(
                work.into_iter()
                    .map(|(object, rel)| (object, spec.work_dir.join(rel))),
            );
        }
        futures_util::stream::iter(logs)
            .map(|(object, dest)| async move { self.storage.download_listed(&object, &dest).await })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        let usage: Usage = self
            .storage
            .read(&format!("{results_url}{}", results::USAGE))
            .await?
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let rc_file = spec.attempt_dir.join("rc");
        std::fs::write(&rc_file, format!("{exit_code}\n"))
            .with_context(|| format!("cannot write {}", rc_file.display()))?;
        let oom = usage.oom_killed
            || (exit_code == 137
                && end
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.contains("OutOfMemory")));
        Ok(AttemptOutcome {
            exit_code,
            oom,
            usage: ResourceUse {
                wall: Duration::from_millis(usage.wall_ms),
                user_cpu: Duration::from_millis(usage.user_ms),
                system_cpu: Duration::from_millis(usage.system_ms),
                max_rss: (usage.max_rss > 0).then_some(usage.max_rss),
            },
            lost: None,
        })
    }

    /// The last lines a job wrote to its CloudWatch log stream, and the stream's name; None when
    /// there is no log (the job never started) or it cannot be read.
    async fn log_tail(&self, job_id: &str) -> Option<(String, String)> {
        let described = self
            .call("DescribeJobs", || {
                self.client.describe_jobs().jobs(job_id).send()
            })
            .await
            .ok()?;
        let job = described.jobs().first()?;
        let stream = match job.container().and_then(|c| c.log_stream_name()) {
            Some(s) => s.to_string(),
            // Batch's naming, for servers that do not report it: <definition>/default/<job id>.
            None => {
                let definition = job.job_definition()?;
                let name = definition.rsplit('/').next()?.split(':').next()?;
                format!("{name}/default/{job_id}")
            }
        };
        // Logs are shipped when the container ends, a moment after the job's status says so.
        for wait in [0, 1, 2, 3] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            self.calls.bump("GetLogEvents");
            let sent = self
                .logs
                .get_log_events()
                .log_group_name(LOG_GROUP)
                .log_stream_name(&stream)
                .start_from_head(false)
                .limit(LOG_TAIL_LINES)
                .send()
                .await;
            let lines: Vec<String> = match sent {
                Ok(out) => out
                    .events()
                    .iter()
                    .filter_map(|e| e.message())
                    .map(String::from)
                    .collect(),
                // Some servers (moto) send fractional timestamps, which the SDK refuses to
                // parse: the messages are read from the answer itself then.
                Err(SdkError::ServiceError(e)) if e.raw().status().is_success() => e
                    .raw()
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                    .and_then(|v| {
                        v["events"].as_array().map(|events| {
                            events
                                .iter()
                                .filter_map(|e| e["message"].as_str().map(String::from))
                                .collect()
                        })
                    })
                    .unwrap_or_default(),
                Err(e) => {
                    tracing::debug!(
                        "no log for Batch job {job_id} yet: {}",
                        DisplayErrorContext(&e)
                    );
                    Vec::new()
                }
            };
            if !lines.is_empty() {
                return Some((stream, lines.join("\n")));
            }
        }
        None
    }

    /// Terminates every job still in flight (queued jobs are cancelled, running ones killed).
    /// Terminates every job in flight and, for arrays, their children. The jobs stay tracked
    /// until it is done, so a second caller (a second Ctrl-C while the first shutdown is under
    /// way) terminates them too and returns only then, not at once on an emptied table.
    async fn terminate_all(&self) {
        let jobs: Vec<(String, bool)> = match self.jobs.lock() {
            Ok(j) => j
                .iter()
                .map(|(id, t)| (id.clone(), matches!(t, Tracked::Array { .. })))
                .collect(),
            Err(_) => return,
        };
        if jobs.is_empty() {
            return;
        }
        tracing::info!("terminating {} AWS Batch jobs", jobs.len());
        let ids: Vec<String> = jobs.iter().map(|(id, _)| id.clone()).collect();
        futures_util::stream::iter(jobs)
            .map(|(id, array)| async move {
                self.terminate(&id).await;
                if array {
                    self.terminate_children(&id).await;
                }
            })
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
        if let Ok(mut j) = self.jobs.lock() {
            for id in ids {
                j.remove(&id);
            }
        }
    }

    async fn terminate(&self, id: &str) {
        let r = self
            .call("TerminateJob", || {
                self.client
                    .terminate_job()
                    .job_id(id)
                    .reason("cancelled by ferry")
                    .send()
            })
            .await;
        if let Err(e) = r {
            tracing::warn!("could not terminate job {id}: {e:#}");
        }
    }

    /// Batch ends an array's children with their parent; a server that does not (moto) leaves
    /// them running, so whatever is still queued or running is terminated one by one. A child
    /// can move on between the listings of two states and be in neither, so listing repeats
    /// until a round finds no child it has not already terminated. Against Batch itself this
    /// costs a few listings.
    async fn terminate_children(&self, parent: &str) {
        let mut done: HashSet<String> = HashSet::new();
        for _round in 0..5 {
            let mut left = Vec::new();
            for status in [
                JobStatus::Submitted,
                JobStatus::Pending,
                JobStatus::Runnable,
                JobStatus::Starting,
                JobStatus::Running,
            ] {
                if let Ok(jobs) = self.children(parent, status).await {
                    left.extend(
                        jobs.iter()
                            .filter_map(|j| j.job_id())
                            .filter(|id| !done.contains(*id))
                            .map(str::to_string),
                    );
                }
            }
            if left.is_empty() {
                return;
            }
            tracing::info!("terminating {} children of array job {parent}", left.len());
            futures_util::stream::iter(left.clone())
                .map(|id| async move { self.terminate(&id).await })
                .buffer_unordered(8)
                .collect::<Vec<()>>()
                .await;
            done.extend(left);
        }
    }
}

/// `name@sha256:…` for `image`, asked of its registry with the user's saved login.
async fn pin_digest(image: &str) -> Result<String> {
    use crate::registry;
    if image.contains('@') {
        return Ok(image.to_string());
    }
    let login = registry::login_or_ecr(image).await?;
    let digest = registry::manifest_digest(image, login.as_ref()).await?;
    let name = image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map(|(n, _)| n)
        .unwrap_or(image);
    tracing::debug!("image `{image}` is {name}@{digest}");
    Ok(format!("{name}@{digest}"))
}

fn requirement(kind: ResourceType, value: &str) -> ResourceRequirement {
    ResourceRequirement::builder()
        .r#type(kind)
        .value(value)
        .build()
}

fn tags(t: &[(String, String)]) -> Option<HashMap<String, String>> {
    (!t.is_empty()).then(|| t.iter().cloned().collect())
}

#[async_trait]
impl Executor for BatchExecutor {
    fn name(&self) -> &'static str {
        "awsbatch"
    }

    fn capacity(&self) -> Capacity {
        self.inner.settings.capacity
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
            match memo(&self.inner.digests, c, pin_digest(c)).await {
                Ok(pinned) => return Ok(Some(pinned)),
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
        bail!("task `{task}`: {}", errors.join("; "))
    }

    fn stages_urls(&self) -> bool {
        true
    }

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome, ExecError> {
        let inner = &self.inner;
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| ExecError::Cancelled)?;
        if *inner.cancelled.borrow() {
            return Err(ExecError::Cancelled);
        }
        let image = spec.container.clone().ok_or_else(|| {
            anyhow!(
                "{}: AWS Batch runs every task in a container, and this task names no image (set `container` in its runtime, or `container.default_image` in the profile)",
                spec.label
            )
        })?;
        let job_definition = inner.job_definition(&image).await?;
        let run_name = spec
            .create_from
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "run".into());
        let run_prefix = format!(
            "{}/{}/",
            inner.settings.work_dir.trim_end_matches('/'),
            sanitize(&run_name)
        );
        let rel = spec
            .attempt_dir
            .strip_prefix(&spec.create_from)
            .unwrap_or(&spec.attempt_dir)
            .to_string_lossy()
            .to_string();
        let results_url = format!("{run_prefix}{}/", rel.trim_matches('/'));
        let inputs = inner.stage_inputs(spec, &run_prefix).await?;
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
            results: results_url.clone(),
        };
        let call = spec.label.split('[').next().unwrap_or(&spec.label);
        let mut job_name = format!(
            "{}{}",
            sanitize(&inner.settings.job_name_prefix),
            sanitize(call)
        );
        job_name.truncate(128);
        let group = Group {
            job_definition,
            queue: spec
                .queue
                .clone()
                .unwrap_or_else(|| inner.settings.queue.clone()),
            vcpus: spec.cpu.ceil().max(1.0) as u64,
            memory_mib: spec.memory.div_ceil(1 << 20).max(4),
            gpu: spec.gpu,
            job_name,
            run_prefix,
        };
        let (done, ended) = oneshot::channel();
        inner
            .submit
            .send(Pending {
                group,
                manifest,
                done,
            })
            .map_err(|_| anyhow!("the submitter has stopped"))?;
        let mut cancelled = inner.cancelled.subscribe();
        let end = tokio::select! {
            end = ended => end.map_err(|_| ExecError::Cancelled)?,
            _ = cancelled.wait_for(|c| *c) => return Err(ExecError::Cancelled),
        };
        Ok(inner.collect(spec, &results_url, end).await?)
    }

    fn cancel_all(&self) {
        self.inner.cancelled.send_replace(true);
    }

    async fn shutdown(&self) {
        if self.shut.set(()).is_err() {
            return;
        }
        let _ = self.inner.shutdown_began.set(Instant::now());
        self.inner.cancelled.send_replace(true);
        // A SubmitJob under way creates a job that must be terminated with the rest.
        let waited = Instant::now();
        while self.inner.submitting.load(Ordering::SeqCst) > 0 {
            if waited.elapsed() > SHUTDOWN_PATIENCE {
                tracing::warn!(
                    "a SubmitJob call is still under way after {}s: the job it may create is not terminated",
                    SHUTDOWN_PATIENCE.as_secs()
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.inner.terminate_all().await;
        tracing::info!("{}", self.inner.calls.summary());
    }

    /// TerminateJob for every job in flight now (also when an orderly shutdown is under way:
    /// the engine exits right after this).
    async fn abort(&self) {
        self.inner.cancelled.send_replace(true);
        let _ = self.inner.shutdown_began.set(Instant::now());
        let waited = Instant::now();
        while self.inner.submitting.load(Ordering::SeqCst) > 0
            && waited.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.inner.terminate_all().await;
    }
}
