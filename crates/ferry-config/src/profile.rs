//! The effective profile a run uses, built from the merged layers, with its defaults and the per-
//! task overrides.

use super::*;

/// The effective profile, every value resolved.
#[derive(Debug, Clone)]
pub struct Profile {
    pub names: Vec<String>,
    pub executor: ExecutorKind,
    pub stub: bool,
    /// Elements of every Array output of a stubbed call (`stub_array_length`, default 1), so a
    /// scatter over it runs and the calls downstream are reached.
    pub stub_array_length: usize,
    pub queue: Option<String>,
    pub account: Option<String>,
    pub cluster_options: Option<String>,
    pub job_name_prefix: String,
    /// How often remote executors ask their scheduler; each has its own default.
    pub poll_interval: Option<Duration>,
    pub max_jobs: Option<u32>,
    pub qos: Option<String>,
    pub max_array_size: Option<u32>,
    pub memory_resource: Option<String>,
    pub gpu_resource: Option<String>,
    pub disk_resource: Option<String>,
    pub parallel_environment: Option<String>,
    pub time: Option<Duration>,
    pub single_node_cluster: bool,
    pub container_runtime: Option<ContainerRuntime>,
    pub container_runtime_options: Vec<String>,
    /// `container.runtime_global_options`: before the runtime's subcommand.
    pub container_runtime_global_options: Vec<String>,
    /// Registry → mirror prefix (`container.mirrors`).
    pub container_mirrors: Vec<(String, String)>,
    /// Where SIF files are pulled (`container.cache_dir`).
    pub container_cache_dir: Option<PathBuf>,
    pub retries: Option<u32>,
    pub oom_memory_factor: f64,
    /// Attempts a task may lose to preemption beyond its retries (`spot_retries`).
    pub spot_retries: u32,
    /// What a run does after a call fails (`failure_mode`).
    pub failure_mode: FailureMode,
    /// `compat = "cromwell"`.
    pub compat: Option<Compat>,
    /// The cpus all remote jobs in flight may ask for together.
    pub max_cpus_in_flight: Option<f64>,
    pub cpu: Option<f64>,
    pub memory: Option<u64>,
    pub max_cpu: Option<f64>,
    pub max_memory: Option<u64>,
    pub work_dir: Option<PathBuf>,
    pub network: Network,
    pub image_size_warning: u64,
    /// How long a call to the Docker daemon may go unanswered before the attempt fails.
    pub daemon_timeout: Duration,
    pub pull: PullPolicy,
    pub default_image: Option<String>,
    pub cache: bool,
    pub report: bool,
    pub cache_dir: Option<PathBuf>,
    /// The call cache in an object store (`cache_dir = "s3://…"`), shared between machines.
    pub cache_url: Option<String>,
    /// The key of the cache at `cache_url`.
    pub cache_key_file: Option<PathBuf>,
    pub output_dir: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_path_style: bool,
    pub s3_anonymous: bool,
    pub s3_upload_checksums: bool,
    /// What S3 writes carry (`[s3]` sse, kms_key_id, requester_pays, storage_class).
    pub s3_writes: S3Writes,
    pub transfer_concurrency: u32,
    pub transfer_part_size: u64,
    pub transfer_copy_part_size: u64,
    pub object_cache_dir: Option<PathBuf>,
    pub object_cache_max: Option<u64>,
    pub gcs_endpoint: Option<String>,
    pub gcs_anonymous: bool,
    pub azure_account: Option<String>,
    pub azure_endpoint: Option<String>,
    pub azure_use_emulator: bool,
    pub azure_anonymous: bool,
    pub batch_work_dir: Option<String>,
    pub batch_region: Option<String>,
    pub batch_endpoint: Option<String>,
    pub batch_job_role_arn: Option<String>,
    pub batch_tags: Vec<(String, String)>,
    pub batch_submit_rate: f64,
    pub batch_call_timeout: Duration,
    pub batch_helper_dir: String,
    pub batch_environment: Vec<(String, String)>,
    /// Host paths mounted into every job.
    pub batch_volumes: Vec<BatchVolume>,
    /// The per-instance input cache: its directory on the instances, and its size.
    pub batch_instance_cache: Option<(String, u64)>,
    /// A host path each job's working directory and inputs live under (`batch.scratch`).
    pub batch_scratch: Option<String>,
    /// The on-demand queue of the attempt after a task's last preemptible one.
    pub batch_fallback_queue: Option<String>,
    /// Job options every task gets unless its `[tasks."glob".batch]` says otherwise.
    pub batch_job: BatchJobOptions,
    /// The CloudWatch log group jobs log to.
    pub batch_log_group: Option<String>,
    /// How long a Batch job waits to start before Ferry asks Batch why.
    pub batch_start_timeout: Duration,
    /// How long a Batch job may wait to start at all (`None`: as long as it takes).
    pub batch_max_queue_wait: Option<Duration>,
    /// How long the run's lease in the work directory holds without being renewed.
    pub batch_lease_ttl: Duration,
    /// The engine's own job, for `ferry run --detach`.
    pub batch_engine: EngineJob,
    /// `pass_env` and `withhold_env`, compiled.
    pub(crate) pass_env: globset::GlobSet,
    pub(crate) withhold_env: globset::GlobSet,
    pub(crate) tasks: Vec<(globset::GlobMatcher, TaskOverride)>,
}

/// The engine's own Batch job (`ferry run --detach`).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineJob {
    pub image: String,
    pub role_arn: Option<String>,
    /// `None`: the fallback (on-demand) queue, else the profile's queue.
    pub queue: Option<String>,
    pub cpu: u32,
    pub memory_mib: u64,
    /// Batch's `retryStrategy.attempts`.
    pub attempts: u32,
}

impl Default for EngineJob {
    fn default() -> Self {
        EngineJob {
            // glibc 2.36, as the Debian 12 build machines that make `ferry` have.
            image: "public.ecr.aws/docker/library/debian:bookworm-slim".into(),
            role_arn: None,
            queue: None,
            cpu: 1,
            memory_mib: 2048,
            attempts: 3,
        }
    }
}

/// Host variables a local task does not inherit unless `pass_env` names them: cloud and
/// registry credentials, which a task's command (or any tool it runs) could otherwise read.
pub const WITHHELD_ENV: &[&str] = &[
    "AWS_*",
    "AZURE_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "DOCKER_AUTH_CONFIG",
    "*_TOKEN",
    "*_SECRET",
    "*_SECRET_*",
    "*_PASSWORD",
];

pub(crate) fn glob_set<S: AsRef<str>>(
    globs: impl IntoIterator<Item = S>,
) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        let g = g.as_ref();
        b.add(globset::Glob::new(g).map_err(|e| format!("{g:?}: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            names: vec!["local".into()],
            executor: ExecutorKind::Local,
            stub: false,
            stub_array_length: 1,
            queue: None,
            account: None,
            cluster_options: None,
            job_name_prefix: "ferry-".into(),
            poll_interval: None,
            max_jobs: None,
            qos: None,
            max_array_size: None,
            memory_resource: None,
            gpu_resource: None,
            disk_resource: None,
            parallel_environment: None,
            time: None,
            single_node_cluster: false,
            container_runtime: None,
            container_runtime_options: Vec::new(),
            container_runtime_global_options: Vec::new(),
            container_mirrors: Vec::new(),
            container_cache_dir: None,
            retries: None,
            oom_memory_factor: 2.0,
            spot_retries: 3,
            failure_mode: FailureMode::Stop,
            compat: None,
            max_cpus_in_flight: None,
            cpu: None,
            memory: None,
            max_cpu: None,
            max_memory: None,
            work_dir: None,
            network: Network::None,
            image_size_warning: 1 << 30,
            daemon_timeout: Duration::from_secs(60),
            pull: PullPolicy::Missing,
            default_image: None,
            cache: true,
            report: false,
            cache_dir: None,
            cache_url: None,
            cache_key_file: None,
            output_dir: None,
            s3_endpoint: None,
            s3_region: None,
            s3_path_style: false,
            s3_anonymous: false,
            s3_upload_checksums: true,
            s3_writes: S3Writes::default(),
            transfer_concurrency: 16,
            transfer_part_size: 16 << 20,
            transfer_copy_part_size: 5 << 30,
            object_cache_dir: None,
            object_cache_max: None,
            gcs_endpoint: None,
            gcs_anonymous: false,
            azure_account: None,
            azure_endpoint: None,
            azure_use_emulator: false,
            azure_anonymous: false,
            batch_work_dir: None,
            batch_region: None,
            batch_endpoint: None,
            batch_job_role_arn: None,
            batch_tags: Vec::new(),
            batch_submit_rate: 20.0,
            batch_call_timeout: Duration::from_secs(30),
            batch_helper_dir: "/opt/ferry/bin".into(),
            batch_environment: Vec::new(),
            batch_volumes: Vec::new(),
            batch_instance_cache: None,
            batch_scratch: None,
            batch_fallback_queue: None,
            batch_job: BatchJobOptions::default(),
            batch_log_group: None,
            batch_start_timeout: Duration::from_secs(600),
            batch_max_queue_wait: None,
            batch_lease_ttl: Duration::from_secs(30),
            batch_engine: EngineJob::default(),
            pass_env: globset::GlobSet::empty(),
            withhold_env: glob_set(WITHHELD_ENV).unwrap_or_else(|_| globset::GlobSet::empty()),
            tasks: Vec::new(),
        }
    }
}

impl Profile {
    /// Whether a local task inherits the engine's environment variable `name`: yes, unless it
    /// is withheld ([`WITHHELD_ENV`] and `withhold_env`) and `pass_env` does not name it.
    pub fn task_inherits(&self, name: &str) -> bool {
        self.pass_env.is_match(name) || !self.withhold_env.is_match(name)
    }

    /// Whether calls of task `name` may be cached.
    pub fn task_cache(&self, name: &str) -> bool {
        self.task_override(name).cache.unwrap_or(self.cache)
    }

    /// The per-node cache of downloaded objects.
    /// Absolute: tasks run in directories of their own and are handed paths inside it.
    pub fn object_cache_directory(&self) -> PathBuf {
        absolute(
            self.object_cache_dir
                .clone()
                .unwrap_or_else(|| self.cache_directory().join("objects")),
        )
    }

    /// The call cache's directory.
    pub fn cache_directory(&self) -> PathBuf {
        if let Some(d) = &self.cache_dir {
            return absolute(d.clone());
        }
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("ferry")
    }

    /// The Batch job options of task `name`: the profile's, then its `[tasks."glob".batch]`
    /// key by key.
    pub fn batch_job_options(&self, name: &str) -> BatchJobOptions {
        match self.task_override(name).batch {
            Some(t) => t.or(self.batch_job.clone()),
            None => self.batch_job.clone(),
        }
    }

    /// The overrides for task `name`: every matching `[tasks."glob"]`, later ones winning.
    pub fn task_override(&self, name: &str) -> TaskOverride {
        let mut out = TaskOverride::default();
        for (glob, o) in &self.tasks {
            if glob.is_match(name) {
                out.cpu = o.cpu.or(out.cpu);
                out.memory = o.memory.clone().or(out.memory);
                out.retries = o.retries.or(out.retries);
                out.queue = o.queue.clone().or(out.queue);
                out.time = o.time.clone().or(out.time);
                out.cluster_options = o.cluster_options.clone().or(out.cluster_options);
                out.cache = o.cache.or(out.cache);
                out.stream_inputs = o.stream_inputs.clone().or(out.stream_inputs);
                out.batch = match (o.batch.clone(), out.batch) {
                    (Some(later), Some(earlier)) => Some(later.or(earlier)),
                    (later, earlier) => later.or(earlier),
                };
            }
        }
        out
    }
}

pub(crate) fn build_profile(spec: ProfileSpec, names: Vec<String>) -> Result<Profile, ConfigError> {
    let d = Profile::default();
    let container = spec.container.unwrap_or_default();
    let s3 = spec.s3.unwrap_or_default();
    let s3_writes = S3Writes::from_spec(&s3)?;
    let gcs = spec.gcs.unwrap_or_default();
    let azure = spec.azure.unwrap_or_default();
    let transfers = spec.transfers.unwrap_or_default();
    let batch = spec.batch.unwrap_or_default();
    if let Some(w) = &batch.work_dir
        && !w.starts_with("s3://")
    {
        return Err(ConfigError(format!(
            "batch.work_dir = {w:?}: must be an s3:// prefix"
        )));
    }
    if let Some(h) = &batch.helper_dir
        && !h.starts_with('/')
    {
        return Err(ConfigError(format!(
            "batch.helper_dir = {h:?}: must be an absolute path on the compute instances"
        )));
    }
    let mut tasks = Vec::new();
    for (glob, o) in spec.tasks.unwrap_or_default() {
        let matcher = globset::Glob::new(&glob)
            .map_err(|e| ConfigError(format!("tasks.{glob:?}: {e}")))?
            .compile_matcher();
        tasks.push((matcher, o));
    }
    Ok(Profile {
        names,
        executor: spec.executor.unwrap_or(d.executor),
        stub: spec.stub.unwrap_or(false),
        stub_array_length: spec.stub_array_length.unwrap_or(d.stub_array_length),
        queue: spec.queue,
        account: spec.account,
        cluster_options: spec.cluster_options,
        job_name_prefix: spec.job_name_prefix.unwrap_or(d.job_name_prefix),
        poll_interval: spec
            .poll_interval
            .and_then(|p| humantime::parse_duration(&p).ok()),
        max_jobs: spec.max_jobs,
        qos: spec.qos,
        max_array_size: spec.max_array_size,
        memory_resource: spec.memory_resource,
        gpu_resource: spec.gpu_resource,
        disk_resource: spec.disk_resource,
        parallel_environment: spec.parallel_environment,
        time: spec.time.as_deref().and_then(|t| parse_time(t).ok()),
        single_node_cluster: spec.single_node_cluster.unwrap_or(false),
        container_runtime: container.runtime,
        container_runtime_options: container.runtime_options.unwrap_or_default(),
        container_runtime_global_options: container.runtime_global_options.unwrap_or_default(),
        container_mirrors: container.mirrors.unwrap_or_default().into_iter().collect(),
        container_cache_dir: container.cache_dir.map(|d| absolute(PathBuf::from(d))),
        retries: spec.retries,
        spot_retries: spec.spot_retries.unwrap_or(d.spot_retries),
        failure_mode: spec.failure_mode.unwrap_or(d.failure_mode),
        compat: spec.compat,
        max_cpus_in_flight: match spec.max_cpus_in_flight {
            Some(c) if c.is_finite() && c > 0.0 => Some(c),
            Some(c) => {
                return Err(ConfigError(format!(
                    "max_cpus_in_flight = {c}: must be a positive number"
                )));
            }
            None => None,
        },
        oom_memory_factor: match spec.oom_memory_factor {
            Some(f) if f.is_finite() && f >= 1.0 => f,
            Some(f) => {
                return Err(ConfigError(format!(
                    "oom_memory_factor = {f}: must be a number of at least 1"
                )));
            }
            None => d.oom_memory_factor,
        },
        cpu: spec.cpu,
        memory: spec.memory.map(|m| m.bytes()),
        max_cpu: spec.max_cpu,
        max_memory: spec.max_memory.map(|m| m.bytes()),
        work_dir: spec.work_dir.map(PathBuf::from),
        network: container.network.unwrap_or(d.network),
        image_size_warning: container
            .image_size_warning
            .map(|s| s.bytes())
            .unwrap_or(d.image_size_warning),
        daemon_timeout: container
            .daemon_timeout
            .as_deref()
            .and_then(|t| humantime::parse_duration(t).ok())
            .unwrap_or(d.daemon_timeout),
        pull: container.pull.unwrap_or(d.pull),
        default_image: container.default_image,
        cache: spec.cache.unwrap_or(true),
        report: spec.report.unwrap_or(false),
        cache_dir: spec
            .cache_dir
            .clone()
            .filter(|d| !d.contains("://"))
            .map(PathBuf::from),
        cache_url: spec.cache_dir.filter(|d| d.contains("://")),
        cache_key_file: spec.cache_key_file.map(|f| absolute(PathBuf::from(f))),
        output_dir: spec.output_dir,
        s3_endpoint: s3.endpoint,
        s3_region: s3.region,
        s3_path_style: s3.path_style.unwrap_or(d.s3_path_style),
        s3_anonymous: s3.anonymous.unwrap_or(d.s3_anonymous),
        s3_upload_checksums: s3.upload_checksums.unwrap_or(d.s3_upload_checksums),
        s3_writes,
        transfer_concurrency: transfers
            .concurrency
            .filter(|c| *c > 0)
            .unwrap_or(d.transfer_concurrency),
        transfer_part_size: transfers
            .part_size
            .map(|s| s.bytes().max(5 << 20))
            .unwrap_or(d.transfer_part_size),
        transfer_copy_part_size: transfers
            .copy_part_size
            .map(|s| s.bytes().clamp(5 << 20, 5 << 30))
            .unwrap_or(d.transfer_copy_part_size),
        object_cache_dir: transfers.cache_dir.map(PathBuf::from),
        object_cache_max: transfers.cache_max.map(|s| s.bytes()),
        gcs_endpoint: gcs.endpoint,
        gcs_anonymous: gcs.anonymous.unwrap_or(false),
        azure_account: azure.account,
        azure_endpoint: azure.endpoint,
        azure_use_emulator: azure.use_emulator.unwrap_or(false),
        azure_anonymous: azure.anonymous.unwrap_or(false),
        batch_work_dir: batch.work_dir,
        batch_region: batch.region,
        batch_endpoint: batch.endpoint,
        batch_job_role_arn: batch.job_role_arn.clone(),
        batch_tags: batch.tags.unwrap_or_default().into_iter().collect(),
        batch_submit_rate: match batch.submit_rate {
            Some(r) if r.is_finite() && r > 0.0 => r,
            Some(r) => {
                return Err(ConfigError(format!(
                    "batch.submit_rate = {r}: must be a positive number of calls per second"
                )));
            }
            None => d.batch_submit_rate,
        },
        batch_call_timeout: match &batch.call_timeout {
            Some(t) => match humantime::parse_duration(t) {
                Ok(d) if d >= Duration::from_secs(1) => d,
                Ok(_) => {
                    return Err(ConfigError(format!(
                        "batch.call_timeout = {t:?}: must be at least 1s"
                    )));
                }
                Err(e) => return Err(ConfigError(format!("batch.call_timeout = {t:?}: {e}"))),
            },
            None => d.batch_call_timeout,
        },
        batch_helper_dir: batch.helper_dir.unwrap_or(d.batch_helper_dir),
        batch_environment: batch.environment.unwrap_or_default().into_iter().collect(),
        batch_volumes: batch
            .volumes
            .unwrap_or_default()
            .iter()
            .map(|v| BatchVolume::parse(v))
            .collect::<Result<_, _>>()?,
        batch_instance_cache: match &batch.instance_cache {
            Some(dir) if dir.starts_with('/') && !dir.contains(':') => Some((
                dir.trim_end_matches('/').to_string(),
                batch
                    .instance_cache_size
                    .as_ref()
                    .map_or(50 << 30, Size::bytes),
            )),
            Some(dir) => {
                return Err(ConfigError(format!(
                    "batch.instance_cache = {dir:?}: must be an absolute path on the compute instances"
                )));
            }
            None => None,
        },
        batch_fallback_queue: batch.fallback_queue,
        batch_job: BatchJobOptions {
            job_role_arn: batch.job_role_arn.clone(),
            share_identifier: batch.share_identifier,
            scheduling_priority: batch.scheduling_priority,
            ..BatchJobOptions::default()
        },
        batch_log_group: batch.log_group,
        batch_start_timeout: match &batch.start_timeout {
            Some(t) => humantime::parse_duration(t)
                .map_err(|e| ConfigError(format!("batch.start_timeout = {t:?}: {e}")))?,
            None => d.batch_start_timeout,
        },
        batch_lease_ttl: match &batch.lease_ttl {
            Some(t) => match humantime::parse_duration(t) {
                Ok(d) if d >= Duration::from_secs(3) && d <= Duration::from_secs(60) => d,
                Ok(_) => {
                    return Err(ConfigError(format!(
                        "batch.lease_ttl = {t:?}: must be between 3s and 60s"
                    )));
                }
                Err(e) => return Err(ConfigError(format!("batch.lease_ttl = {t:?}: {e}"))),
            },
            None => d.batch_lease_ttl,
        },
        batch_engine: EngineJob {
            image: batch
                .engine_image
                .clone()
                .unwrap_or_else(|| EngineJob::default().image),
            role_arn: batch.engine_role_arn.clone().or(batch.job_role_arn.clone()),
            queue: batch.engine_queue.clone(),
            cpu: match batch.engine_cpu {
                Some(0) => {
                    return Err(ConfigError(
                        "batch.engine_cpu = 0: must be at least 1".into(),
                    ));
                }
                Some(n) => n,
                None => 1,
            },
            memory_mib: match &batch.engine_memory {
                Some(m) if m.bytes() < 256 << 20 => {
                    return Err(ConfigError(
                        "batch.engine_memory: must be at least 256 MiB".into(),
                    ));
                }
                Some(m) => m.bytes() >> 20,
                None => 2048,
            },
            attempts: match batch.engine_attempts {
                Some(n) if (1..=10).contains(&n) => n,
                Some(n) => {
                    return Err(ConfigError(format!(
                        "batch.engine_attempts = {n}: must be between 1 and 10 (Batch's limit)"
                    )));
                }
                None => 3,
            },
        },
        batch_max_queue_wait: match &batch.max_queue_wait {
            Some(t) => Some(
                humantime::parse_duration(t)
                    .map_err(|e| ConfigError(format!("batch.max_queue_wait = {t:?}: {e}")))?,
            ),
            None => d.batch_max_queue_wait,
        },
        batch_scratch: match batch.scratch {
            Some(dir) if dir.starts_with('/') && !dir.contains(':') => {
                Some(dir.trim_end_matches('/').to_string())
            }
            Some(dir) => {
                return Err(ConfigError(format!(
                    "batch.scratch = {dir:?}: must be an absolute path on the compute instances"
                )));
            }
            None => None,
        },
        pass_env: glob_set(spec.pass_env.unwrap_or_default())
            .map_err(|m| ConfigError(format!("pass_env: {m}")))?,
        withhold_env: glob_set(
            WITHHELD_ENV
                .iter()
                .map(|s| s.to_string())
                .chain(spec.withhold_env.unwrap_or_default()),
        )
        .map_err(|m| ConfigError(format!("withhold_env: {m}")))?,
        tasks,
    })
}

/// What every S3 request and write of a profile carries: server-side encryption, who pays, the
/// storage class. The engine's uploads and copies and the Batch jobs' uploads all apply it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct S3Writes {
    /// "aws:kms" or "AES256".
    pub sse: Option<String>,
    pub kms_key_id: Option<String>,
    pub requester_pays: bool,
    pub storage_class: Option<String>,
}

impl S3Writes {
    fn from_spec(s3: &S3Spec) -> Result<S3Writes, ConfigError> {
        let sse = match s3.sse.as_deref() {
            None => None,
            Some(v @ ("aws:kms" | "AES256")) => Some(v.to_string()),
            Some(v) => {
                return Err(ConfigError(format!(
                    "s3.sse = {v:?}: must be \"aws:kms\" (SSE-KMS) or \"AES256\" (SSE-S3)"
                )));
            }
        };
        if s3.kms_key_id.is_some() && sse.as_deref() != Some("aws:kms") {
            return Err(ConfigError(
                "s3.kms_key_id needs s3.sse = \"aws:kms\"".to_string(),
            ));
        }
        if let Some(c) = &s3.storage_class
            && (c.is_empty() || !c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        {
            return Err(ConfigError(format!(
                "s3.storage_class = {c:?}: an S3 storage class such as \"STANDARD_IA\" or \"INTELLIGENT_TIERING\""
            )));
        }
        Ok(S3Writes {
            sse,
            kms_key_id: s3.kms_key_id.clone(),
            requester_pays: s3.requester_pays.unwrap_or(false),
            storage_class: s3.storage_class.clone(),
        })
    }
}

/// A host path mounted into every AWS Batch job (`batch.volumes`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BatchVolume {
    pub host: String,
    pub container: String,
    pub read_only: bool,
}

impl BatchVolume {
    /// `"/host:/container"` or `"/host:/container:ro"` (`:rw` is the default); `"/path"` mounts
    /// a path at the same place.
    pub fn parse(text: &str) -> Result<BatchVolume, ConfigError> {
        let bad = |why: &str| ConfigError(format!("batch.volumes: {text:?}: {why}"));
        let parts: Vec<&str> = text.split(':').collect();
        let (host, container, mode) = match parts.as_slice() {
            [p] => (*p, *p, None),
            [h, c] => (*h, *c, None),
            [h, c, m] => (*h, *c, Some(*m)),
            _ => return Err(bad("write HOST_PATH:CONTAINER_PATH[:ro]")),
        };
        if !host.starts_with('/') || !container.starts_with('/') {
            return Err(bad("both paths must be absolute"));
        }
        let read_only = match mode {
            None | Some("rw") => false,
            Some("ro") => true,
            Some(m) => return Err(bad(&format!("unknown mode {m:?} (ro or rw)"))),
        };
        Ok(BatchVolume {
            host: host.to_string(),
            container: container.to_string(),
            read_only,
        })
    }
}
