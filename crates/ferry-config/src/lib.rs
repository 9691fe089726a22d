//! `ferry.toml`: where and how a workflow runs, kept out of the workflow.
//!
//! A configuration is a stack of layers (built-in defaults, then files, then `FERRY_*`
//! environment variables), each holding `[defaults]` and named `[profiles.NAME]`. Choosing
//! profiles `a,b` gives the effective profile: `defaults` of every layer, then `a` of every
//! layer, then `b`…, later values overriding earlier ones key by key. Every value remembers
//! where it came from, for `ferry config show`.

#![forbid(unsafe_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

mod values;
pub use values::{ContainerRuntime, ExecutorKind, Network, PullPolicy, Size, parse_size};

/// A configuration problem, located in its file when it comes from one.
#[derive(Debug, Clone)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

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
    /// Where the call cache lives (default `$XDG_CACHE_HOME/ferry`, else `~/.cache/ferry`).
    pub cache_dir: Option<String>,
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
}

/// The effective profile, every value resolved.
#[derive(Debug, Clone)]
pub struct Profile {
    pub names: Vec<String>,
    pub executor: ExecutorKind,
    pub stub: bool,
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
    pub parallel_environment: Option<String>,
    pub time: Option<Duration>,
    pub single_node_cluster: bool,
    pub container_runtime: Option<ContainerRuntime>,
    pub container_runtime_options: Vec<String>,
    pub retries: Option<u32>,
    pub oom_memory_factor: f64,
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
    pub output_dir: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_path_style: bool,
    pub s3_anonymous: bool,
    pub s3_upload_checksums: bool,
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
    /// `pass_env` and `withhold_env`, compiled.
    pass_env: globset::GlobSet,
    withhold_env: globset::GlobSet,
    tasks: Vec<(globset::GlobMatcher, TaskOverride)>,
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

fn glob_set<S: AsRef<str>>(globs: impl IntoIterator<Item = S>) -> Result<globset::GlobSet, String> {
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
            parallel_environment: None,
            time: None,
            single_node_cluster: false,
            container_runtime: None,
            container_runtime_options: Vec::new(),
            retries: None,
            oom_memory_factor: 2.0,
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
            output_dir: None,
            s3_endpoint: None,
            s3_region: None,
            s3_path_style: false,
            s3_anonymous: false,
            s3_upload_checksums: true,
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
            }
        }
        out
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    BuiltIn,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => write!(f, "built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Env(v) => write!(f, "environment {v}"),
        }
    }
}

/// One effective value for `ferry config show`: key, value, where it came from, and the section
/// it was set in (`[defaults]`, `[profiles.hpc]`).
pub type Shown = (String, String, Source, String);

struct Layer {
    source: Source,
    file: ConfigFile,
}

/// All layers, lowest priority first.
pub struct Config {
    layers: Vec<Layer>,
}

const BUILT_IN: &str = r#"
[defaults]
executor = "local"
job_name_prefix = "ferry-"
oom_memory_factor = 2.0
[defaults.container]
network = "none"
image_size_warning = "1 GiB"
pull = "missing"

[profiles.local]
executor = "local"

[profiles.docker]
executor = "docker"

[profiles.aws]
executor = "awsbatch"

[profiles.slurm]
executor = "slurm"

[profiles.sge]
executor = "sge"

[profiles.stub]
stub = true
"#;

fn line_col(text: &str, offset: usize) -> (usize, usize) {
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
fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

fn check_profile(p: &ProfileSpec) -> Result<(), String> {
    if let Some(t) = p.container.as_ref().and_then(|c| c.daemon_timeout.as_ref()) {
        let d = humantime::parse_duration(t)
            .map_err(|e| format!("container.daemon_timeout = {t:?}: {e}"))?;
        if d < Duration::from_secs(1) {
            return Err(format!(
                "container.daemon_timeout = {t:?}: must be at least 1s"
            ));
        }
    }
    if let Some(d) = &p.poll_interval {
        let every =
            humantime::parse_duration(d).map_err(|e| format!("poll_interval = {d:?}: {e}"))?;
        // A scheduler queried in a hot loop is a scheduler its admins turn off.
        if every < Duration::from_secs(1) {
            return Err(format!("poll_interval = {d:?}: must be at least 1s"));
        }
    }
    if let Some(t) = &p.time {
        parse_time(t).map_err(|m| format!("time = {t:?}: {m}"))?;
    }
    if p.max_array_size == Some(0) {
        return Err("max_array_size = 0: must be at least 1".into());
    }
    for (k, v) in [
        ("memory_resource", &p.memory_resource),
        ("gpu_resource", &p.gpu_resource),
        ("parallel_environment", &p.parallel_environment),
    ] {
        if let Some(v) = v
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(format!(
                "{k} = {v:?}: must be a resource name (letters, digits, _)"
            ));
        }
    }
    for (k, v) in [("cpu", p.cpu), ("max_cpu", p.max_cpu)] {
        if let Some(v) = v
            && (v <= 0.0 || !v.is_finite())
        {
            return Err(format!("{k} = {v}: must be a positive number"));
        }
    }
    if let Some(tasks) = &p.tasks {
        for (glob, o) in tasks {
            globset::Glob::new(glob).map_err(|e| format!("tasks.{glob:?}: bad glob: {e}"))?;
            if let Some(c) = o.cpu
                && c <= 0.0
            {
                return Err(format!("tasks.{glob:?}.cpu = {c}: must be positive"));
            }
            if let Some(t) = &o.time {
                parse_time(t).map_err(|m| format!("tasks.{glob:?}.time = {t:?}: {m}"))?;
            }
        }
    }
    Ok(())
}

/// A wall-time limit: `"90m"`, `"12h"`, `"2d 4h"` (Slurm rounds up to whole minutes).
pub fn parse_time(t: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(t).map_err(|e| e.to_string())?;
    if d < Duration::from_secs(1) {
        return Err("must be at least 1s".into());
    }
    Ok(d)
}

/// The files Ferry reads, lowest priority first: the user's (`$XDG_CONFIG_HOME/ferry/ferry.toml`),
/// the workflow's directory, the current directory, then `--config`.
pub fn default_paths(workflow: Option<&Path>, explicit: Option<&Path>) -> Vec<(PathBuf, bool)> {
    let mut paths = Vec::new();
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(x) = xdg {
        paths.push((x.join("ferry/ferry.toml"), false));
    }
    if let Some(dir) = workflow
        .and_then(|w| std::path::absolute(w).ok())
        .and_then(|w| w.parent().map(Path::to_path_buf))
    {
        paths.push((dir.join("ferry.toml"), false));
    }
    if let Ok(cwd) = std::env::current_dir() {
        paths.push((cwd.join("ferry.toml"), false));
    }
    if let Some(e) = explicit {
        paths.push((e.to_path_buf(), true));
    }
    // The same file found twice counts once, at its highest priority.
    let mut seen = Vec::new();
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    for (p, required) in paths.into_iter().rev() {
        let key = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if !seen.contains(&key) {
            seen.push(key);
            out.push((p, required));
        }
    }
    out.reverse();
    out
}

impl Config {
    /// Built-in defaults, then each existing file of `paths` (required ones must exist).
    pub fn load(paths: &[(PathBuf, bool)]) -> Result<Config, ConfigError> {
        let builtin = parse_file(BUILT_IN, Path::new("<built-in>"))?;
        let mut layers = vec![Layer {
            source: Source::BuiltIn,
            file: builtin,
        }];
        for (path, required) in paths {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
                Err(e) => {
                    return Err(ConfigError(format!(
                        "cannot read config {}: {e}",
                        path.display()
                    )));
                }
            };
            layers.push(Layer {
                source: Source::File(path.clone()),
                file: parse_file(&text, path)?,
            });
        }
        Ok(Config { layers })
    }

    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for l in &self.layers {
            for n in l.file.profiles.keys() {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    /// The effective profile for `profiles` (applied in order; empty means `local`), with
    /// `FERRY_*` variables from `env` on top.
    pub fn resolve(
        &self,
        profiles: &[String],
        env: &[(String, String)],
    ) -> Result<(Profile, Vec<Shown>), ConfigError> {
        let names: Vec<String> = if profiles.is_empty() {
            vec!["local".into()]
        } else {
            profiles.to_vec()
        };
        let known = self.profile_names();
        for n in &names {
            if !known.contains(n) {
                let hint = known
                    .iter()
                    .min_by_key(|k| distance(k, n))
                    .filter(|k| distance(k, n) <= 2)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                return Err(ConfigError(format!(
                    "unknown profile `{n}` (profiles: {}){hint}",
                    known.join(", ")
                )));
            }
        }
        let mut entries: IndexMap<Vec<String>, (toml::Value, Source, String)> = IndexMap::new();
        let mut overlay =
            |spec: &ProfileSpec, source: &Source, section: String| -> Result<(), ConfigError> {
                let value = toml::Value::try_from(spec).map_err(|e| ConfigError(e.to_string()))?;
                let mut flat = Vec::new();
                flatten(&value, &mut Vec::new(), &mut flat);
                for (path, v) in flat {
                    entries.insert(path, (v, source.clone(), section.clone()));
                }
                Ok(())
            };
        for l in &self.layers {
            overlay(&l.file.defaults, &l.source, "[defaults]".into())?;
        }
        for n in &names {
            for l in &self.layers {
                if let Some(p) = l.file.profiles.get(n) {
                    overlay(p, &l.source, format!("[profiles.{n}]"))?;
                }
            }
        }
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("FERRY_") else {
                continue;
            };
            if matches!(rest, "LOG" | "SPEC_TESTS") || rest.is_empty() {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            let value = toml::from_str::<toml::Table>(&format!("v = {v}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(v.clone()));
            entries.insert(path, (value, Source::Env(k.clone()), String::new()));
        }
        let mut table = toml::Table::new();
        for (path, (v, _, _)) in &entries {
            insert(&mut table, path, v.clone());
        }
        let spec: ProfileSpec =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    ConfigError(format!(
                        "effective profile `{}`: {}",
                        names.join(","),
                        e.message().trim()
                    ))
                })?;
        check_profile(&spec).map_err(|m| ConfigError(format!("effective profile: {m}")))?;
        let shown = entries
            .into_iter()
            .map(|(path, (v, s, section))| (show_path(&path), v.to_string(), s, section))
            .collect();
        Ok((build_profile(spec, names)?, shown))
    }
}

fn build_profile(spec: ProfileSpec, names: Vec<String>) -> Result<Profile, ConfigError> {
    let d = Profile::default();
    let container = spec.container.unwrap_or_default();
    let s3 = spec.s3.unwrap_or_default();
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
        parallel_environment: spec.parallel_environment,
        time: spec.time.as_deref().and_then(|t| parse_time(t).ok()),
        single_node_cluster: spec.single_node_cluster.unwrap_or(false),
        container_runtime: container.runtime,
        container_runtime_options: container.runtime_options.unwrap_or_default(),
        retries: spec.retries,
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
        cache_dir: spec.cache_dir.map(PathBuf::from),
        output_dir: spec.output_dir,
        s3_endpoint: s3.endpoint,
        s3_region: s3.region,
        s3_path_style: s3.path_style.unwrap_or(d.s3_path_style),
        s3_anonymous: s3.anonymous.unwrap_or(d.s3_anonymous),
        s3_upload_checksums: s3.upload_checksums.unwrap_or(d.s3_upload_checksums),
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
        batch_job_role_arn: batch.job_role_arn,
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

fn flatten(v: &toml::Value, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, toml::Value)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                prefix.push(k.clone());
                flatten(v, prefix, out);
                prefix.pop();
            }
        }
        leaf => out.push((prefix.clone(), leaf.clone())),
    }
}

fn insert(table: &mut toml::Table, path: &[String], v: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), v);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                insert(t, rest, v);
            }
        }
    }
}

fn show_path(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            if p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                p.clone()
            } else {
                format!("{p:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
