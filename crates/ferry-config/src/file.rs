//! The file format: what a `ferry.toml` may say (unknown keys are errors), parsed with the line and
//! column of any mistake.

use super::*;

/// One `ferry.toml` as written.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub defaults: ProfileSpec,
    #[serde(default)]
    pub profiles: IndexMap<String, ProfileSpec>,
}

/// The keys of `[defaults]` and of each `[profiles.NAME]`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub executor: Option<ExecutorKind>,
    /// Run the DAG without running commands; outputs are empty files and zero values.
    pub stub: Option<bool>,
    /// Stub runs: elements of every Array output (default 1).
    pub stub_array_length: Option<usize>,
    /// Queue or partition.
    pub queue: Option<String>,
    pub account: Option<String>,
    pub cluster_options: Option<String>,
    pub job_name_prefix: Option<String>,
    /// e.g. "10s", "1m 30s".
    pub poll_interval: Option<String>,
    /// Jobs in flight at most.
    pub max_jobs: Option<u32>,
    /// Quality of service (Slurm `--qos`).
    pub qos: Option<String>,
    /// Array jobs of at most this many elements (default: the scheduler's own limit, Slurm's
    /// `MaxArraySize`, Grid Engine's `max_aj_tasks`).
    pub max_array_size: Option<u32>,
    /// Grid Engine: the resource that carries a job's memory (`h_vmem`, `mem_free`,
    /// `virtual_free`: sites differ). Default `h_vmem`.
    pub memory_resource: Option<String>,
    /// Grid Engine: the resource that counts GPUs (default `gpu`).
    pub gpu_resource: Option<String>,
    /// The scheduler resource that carries a task's WDL `disks` (scratch space on the node):
    /// Slurm `tmp` (`--tmp`, which needs the nodes' `TmpDisk` configured), a Grid Engine
    /// site's consumable (`tmp_free`, `scratch`). Unset: not asked of the scheduler; the job
    /// checks the free space on its node before the command starts either way.
    pub disk_resource: Option<String>,
    /// Grid Engine: the parallel environment for multi-core jobs (default `smp`).
    pub parallel_environment: Option<String>,
    /// Wall-time limit of every job (`"12h"`, `"2d 4h"`); per task under `[tasks]`.
    pub time: Option<String>,
    /// The cluster is this one machine: run directories under /tmp are fine (compute nodes
    /// otherwise cannot see them).
    pub single_node_cluster: Option<bool>,
    /// Retries for tasks whose WDL says none.
    pub retries: Option<u32>,
    /// A retry after an out-of-memory kill asks for this many times the memory.
    pub oom_memory_factor: Option<f64>,
    /// Attempts a task may lose to preemption (a Spot reclaim, a terminated host, a preempted
    /// node) on top of its `maxRetries`, for tasks whose WDL sets no `preemptible`. Default 3.
    pub spot_retries: Option<u32>,
    /// After a failed call: "stop" (the default: nothing new starts) or "continue" (like
    /// `--keep-going`: everything that does not depend on it still runs).
    pub failure_mode: Option<FailureMode>,
    /// Read WDL as another engine does where the spec differs (`"cromwell"`, like
    /// `--compat cromwell`).
    pub compat: Option<Compat>,
    /// Remote executors (Batch, clusters): the cpus all jobs in flight may ask for together,
    /// to cap spend; unset, `max_jobs` alone bounds what is in flight (`max_cpu` and
    /// `max_memory` clamp each task, they do not bound the pool).
    pub max_cpus_in_flight: Option<f64>,
    /// cpu for tasks whose WDL states none.
    pub cpu: Option<f64>,
    /// Memory for tasks whose WDL states none.
    pub memory: Option<Size>,
    /// No task gets more cpu than this (requests above are clamped).
    pub max_cpu: Option<f64>,
    pub max_memory: Option<Size>,
    /// Where run directories are created.
    pub work_dir: Option<String>,
    pub container: Option<ContainerSpec>,
    /// Where published outputs go: a directory or an object-store prefix
    /// (`s3://bucket/results/`), under which each run gets its own prefix.
    pub output_dir: Option<String>,
    /// S3 (and S3-compatible) access.
    pub s3: Option<S3Spec>,
    /// Google Cloud Storage (`gs://`) access.
    pub gcs: Option<GcsSpec>,
    /// Azure Blob Storage (`az://container/blob`) access.
    pub azure: Option<AzureSpec>,
    /// Downloads and uploads of object-store data.
    pub transfers: Option<TransferSpec>,
    /// AWS Batch (executor `awsbatch`).
    pub batch: Option<BatchSpec>,
    /// Call caching (default on).
    pub cache: Option<bool>,
    /// Write `report.html` into the run directory at the end of every run.
    pub report: Option<bool>,
    /// Where the call cache lives (default `$XDG_CACHE_HOME/ferry`, else `~/.cache/ferry`); an
    /// object store URL (`s3://bucket/prefix/`) shares it between machines and users
    /// (`cache_key_file` then names its key). Node-local caches (objects, images) stay local.
    pub cache_dir: Option<String>,
    /// The key that authenticates the entries of a call cache in an object store: a file whose
    /// content (e.g. 64 hex digits from `openssl rand -hex 32`) every user of the cache has;
    /// it never goes into the store. Entries written with another key are ignored.
    pub cache_key_file: Option<String>,
    /// Host environment variables (names or globs) that local tasks inherit although they are
    /// withheld by default (credentials: see `Profile::task_inherits`).
    pub pass_env: Option<Vec<String>>,
    /// More host environment variables (names or globs) that local tasks do not inherit.
    pub withhold_env: Option<Vec<String>>,
    /// Per-task overrides, by task name or glob (`"align_*"`), applied in file order.
    pub tasks: Option<IndexMap<String, TaskOverride>>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub network: Option<Network>,
    pub image_size_warning: Option<Size>,
    /// How long a call to the Docker daemon may go unanswered before the attempt fails
    /// (a duration: "60s").
    pub daemon_timeout: Option<String>,
    pub pull: Option<PullPolicy>,
    /// The image for tasks that name none (else they run as host processes).
    pub default_image: Option<String>,
    /// What runs a task's image inside a cluster job (`podman`, `apptainer`, `singularity`).
    /// Unset: cluster tasks run as host processes on the compute node.
    pub runtime: Option<ContainerRuntime>,
    /// More words for the runtime's run command, e.g. `["--ulimit=nofile=65536:65536"]`.
    pub runtime_options: Option<Vec<String>>,
    /// The runtime's own options, before its subcommand, e.g. `["--runtime=runc"]` for a
    /// podman whose default OCI runtime cannot run on the nodes' cgroups.
    pub runtime_global_options: Option<Vec<String>>,
    /// Registry mirrors: images of a registry are pulled from the mirror's prefix instead,
    /// e.g. `{ "docker.io" = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub" }` (an
    /// ECR pull-through cache), applied before images are pinned to their digest.
    pub mirrors: Option<IndexMap<String, String>>,
    /// Where Apptainer/Singularity images are kept as SIF files, pulled once per digest; must
    /// be on a filesystem the compute nodes share (default: the cache directory's `images/`).
    pub cache_dir: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct S3Spec {
    /// An S3-compatible endpoint, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), which most S3-compatible servers want.
    pub path_style: Option<bool>,
    /// Unsigned requests, for public buckets.
    pub anonymous: Option<bool>,
    /// SHA-256 checksums on uploads, verified by the server (default true).
    pub upload_checksums: Option<bool>,
    /// Server-side encryption of everything Ferry and its jobs write: "aws:kms" (SSE-KMS) or
    /// "AES256" (SSE-S3); regulated buckets refuse uploads without it.
    pub sse: Option<String>,
    /// The KMS key for `sse = "aws:kms"` (else the account's default key).
    pub kms_key_id: Option<String>,
    /// Requests to requester-pays buckets say that the requester pays.
    pub requester_pays: Option<bool>,
    /// The storage class of uploads and copies (`STANDARD_IA`, `INTELLIGENT_TIERING`...).
    pub storage_class: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GcsSpec {
    /// A GCS-compatible endpoint, e.g. `http://127.0.0.1:4443` (fake-gcs-server).
    pub endpoint: Option<String>,
    /// Unauthenticated requests, for public buckets and emulators.
    pub anonymous: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AzureSpec {
    /// The storage account (else `AZURE_STORAGE_ACCOUNT_NAME`).
    pub account: Option<String>,
    /// A blob endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1` (Azurite).
    pub endpoint: Option<String>,
    /// Azurite's well-known development account and key.
    pub use_emulator: Option<bool>,
    /// Unsigned requests, for public containers.
    pub anonymous: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransferSpec {
    /// Requests in flight at most, over every download and upload of a run.
    pub concurrency: Option<u32>,
    /// Larger objects move in parts of this size, in parallel.
    pub part_size: Option<Size>,
    /// Server-side copies of larger objects go in parts of this size (S3 UploadPartCopy, in
    /// parallel); smaller ones are one CopyObject. 5 MiB to 5 GiB (the default, S3's limit for
    /// one CopyObject).
    pub copy_part_size: Option<Size>,
    /// The per-node cache of downloaded objects (default: the cache directory's `objects/`).
    pub cache_dir: Option<String>,
    /// The object cache's size cap ("200 GiB"): least recently used objects are evicted past
    /// it, never one a running task uses. Unset: no cap.
    pub cache_max: Option<Size>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSpec {
    /// The S3 prefix that holds every job's manifest, inputs uploaded from this machine and
    /// results (`s3://bucket/ferry-work/`).
    pub work_dir: Option<String>,
    pub region: Option<String>,
    /// A Batch-compatible endpoint (`http://127.0.0.1:5000`); AWS when unset.
    pub endpoint: Option<String>,
    /// The IAM role jobs run as (their S3 access comes from it).
    pub job_role_arn: Option<String>,
    /// Tags on every job definition and job.
    pub tags: Option<IndexMap<String, String>>,
    /// SubmitJob calls per second at most.
    pub submit_rate: Option<f64>,
    /// How long one Batch API call may take before it is abandoned (a SubmitJob that timed
    /// out is looked up by its unique job name, not repeated blindly). Default "30s".
    pub call_timeout: Option<String>,
    /// The directory on the compute instances that holds `ferry-stage` (see the README).
    pub helper_dir: Option<String>,
    /// Extra environment variables for every job (for emulators; real jobs use the role).
    pub environment: Option<IndexMap<String, String>>,
    /// The queue (on-demand capacity) of the attempt after a task's last preemptible one.
    pub fallback_queue: Option<String>,
    /// The fair-share identifier of every job (fair-share queues refuse jobs without one).
    pub share_identifier: Option<String>,
    /// The scheduling priority of every job in a fair-share queue.
    pub scheduling_priority: Option<i32>,
    /// The CloudWatch log group jobs log to (default "/aws/batch/job").
    pub log_group: Option<String>,
    /// How long a job waits to start before Ferry asks why: if Batch says the request can
    /// never be placed (`MISCONFIGURATION:`, `CLIENT_ERROR`) or the queue or its compute
    /// environments are disabled or invalid, its attempts fail, naming the queue, the request
    /// and Batch's reason; a job that is merely waiting (a busy queue, fair share, a Spot
    /// drought) waits on. Default "10m".
    pub start_timeout: Option<String>,
    /// How long a job may wait to start at all, whatever the reason (a bound for users who
    /// want one). Default: none.
    pub max_queue_wait: Option<String>,
    /// How long a run's lease in the work directory holds without being renewed: another
    /// engine asked to resume the run waits this long before taking it over. Default "30s"
    /// (at most "60s").
    pub lease_ttl: Option<String>,
    /// Host paths (instance storage, EFS/FSx mount points) mounted into every job:
    /// `"/host/path:/container/path"`, with `:ro` for read-only.
    pub volumes: Option<Vec<String>>,
    /// A directory on the compute instances (mounted at the same path in every job) where
    /// object-store inputs are downloaded once per instance and shared by every job on it.
    pub instance_cache: Option<String>,
    /// The most the instance cache keeps (least recently used objects go first). Default
    /// "50 GiB".
    pub instance_cache_size: Option<Size>,
    /// A host path (instance storage) where each job's working directory and inputs live,
    /// instead of the container's writable layer; removed when the job ends.
    pub scratch: Option<String>,
    /// `ferry run --detach`: the image the engine's own job runs in (any image with glibc;
    /// `ferry` reaches it through `helper_dir`). Default: Debian 12 slim from ECR Public.
    pub engine_image: Option<String>,
    /// The IAM role the engine's job runs as (it submits jobs and reads and writes the work
    /// directory). Default: `job_role_arn`.
    pub engine_role_arn: Option<String>,
    /// The queue of the engine's job. Default: `fallback_queue` (on-demand), else `queue`.
    pub engine_queue: Option<String>,
    /// The engine job's vCPUs (default 1) and memory (default "2 GiB").
    pub engine_cpu: Option<u32>,
    pub engine_memory: Option<Size>,
    /// How many times Batch starts the engine's job in all (a reclaimed or lost engine resumes
    /// its run). Default 3.
    pub engine_attempts: Option<u32>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskOverride {
    pub cpu: Option<f64>,
    pub memory: Option<Size>,
    pub retries: Option<u32>,
    pub queue: Option<String>,
    /// Wall-time limit of this task's cluster jobs.
    pub time: Option<String>,
    /// Scheduler options for this task's jobs, after the profile's own.
    pub cluster_options: Option<String>,
    /// `false`: never cache this task (like `volatile: true` in its hints).
    pub cache: Option<bool>,
    /// Inputs passed to the command as their URL instead of being downloaded (like
    /// `localization_optional: true` in the task's parameter_meta).
    pub stream_inputs: Option<Vec<String>>,
    /// AWS Batch options of this task's jobs.
    pub batch: Option<BatchJobOptions>,
}

/// Another engine whose reading of WDL a profile follows.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Compat {
    Cromwell,
}

/// What a run does after a call fails.
#[derive(Debug, Default, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailureMode {
    /// Nothing new starts; what runs finishes.
    #[default]
    Stop,
    /// Everything that does not depend on a failed call still runs (Cromwell's
    /// ContinueWhilePossible).
    Continue,
}

/// AWS Batch options a task's jobs get (`[tasks."glob".batch]`; share identifier, priority and
/// tags also in the profile's `[batch]`, which a task's own override).
#[derive(Debug, Default, Clone, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct BatchJobOptions {
    /// The IAM role the task's jobs run as (its own S3 access, a "special role").
    pub job_role_arn: Option<String>,
    /// The fair-share identifier (fair-share queues refuse jobs without one).
    pub share_identifier: Option<String>,
    /// The job's scheduling priority in a fair-share queue.
    pub scheduling_priority: Option<i32>,
    /// More tags on the task's jobs (cost attribution), beside `ferry:run`, `ferry:workflow`,
    /// `ferry:call` and the profile's.
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    /// Container ulimits: `{ nofile = "65536:65536", nproc = 4096 }` (soft:hard, or one value
    /// for both).
    pub ulimits: Option<std::collections::BTreeMap<String, String>>,
    /// `/dev/shm` size.
    pub shared_memory: Option<String>,
    pub privileged: Option<bool>,
    /// tmpfs mounts: `["/scratch:1 GiB"]`.
    pub tmpfs: Option<Vec<String>>,
}

impl BatchJobOptions {
    /// These options, each one this does not set taken from `earlier`.
    pub fn or(self, earlier: BatchJobOptions) -> BatchJobOptions {
        BatchJobOptions {
            job_role_arn: self.job_role_arn.or(earlier.job_role_arn),
            share_identifier: self.share_identifier.or(earlier.share_identifier),
            scheduling_priority: self.scheduling_priority.or(earlier.scheduling_priority),
            tags: self.tags.or(earlier.tags),
            ulimits: self.ulimits.or(earlier.ulimits),
            shared_memory: self.shared_memory.or(earlier.shared_memory),
            privileged: self.privileged.or(earlier.privileged),
            tmpfs: self.tmpfs.or(earlier.tmpfs),
        }
    }
}

pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

/// Parses and checks one configuration file's text.
pub fn parse_file(text: &str, origin: &Path) -> Result<ConfigFile, ConfigError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let (line, col, key) = match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
                let key = line_text
                    .split_once('=')
                    .map(|(k, _)| k.trim().to_string())
                    .unwrap_or_else(|| line_text.to_string());
                (line, col, key)
            }
            None => (1, 1, String::new()),
        };
        let key = if key.is_empty() {
            String::new()
        } else {
            format!(" (key `{key}`)")
        };
        ConfigError(format!(
            "{}:{line}:{col}: {}{key}",
            origin.display(),
            e.message().trim()
        ))
    })?;
    for (name, p) in std::iter::once(("defaults".to_string(), &file.defaults)).chain(
        file.profiles
            .iter()
            .map(|(n, p)| (format!("profiles.{n}"), p)),
    ) {
        check_profile(p).map_err(|m| ConfigError(format!("{}: [{name}] {m}", origin.display())))?;
    }
    Ok(file)
}

/// A relative directory from the profile, against the directory Ferry was started in.
pub(crate) fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}
