//! Tasks in Docker containers, through the daemon's API (bollard over the local socket).
//!
//! Each attempt is one container: the attempt directory is bind-mounted read-write at its own
//! host path and every input read-only at its own path, so the command script needs no path
//! rewriting and outputs land where the local executor would put them. Ferry puts nothing of
//! its own into the image: a fixed `/bin/sh` wrapper picks bash when the image has it, runs the
//! script with its output redirected into the mounted attempt directory and writes `rc`. That
//! works in busybox, alpine and distroless-with-shell images alike.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use async_trait::async_trait;
use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, DeviceRequest, HostConfig, HostConfigLogConfig, Mount, MountType,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, KillContainerOptionsBuilder,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt;
use tokio::sync::OnceCell;

use crate::container::{USAGE_FILE, WRAPPER, container_usage};
use crate::local::LocalExecutor;
use crate::{AttemptOutcome, AttemptSpec, Capacity, ExecError, Executor, ResourceUse};

/// When to ask the daemon to pull an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    /// Only images already on this machine.
    Never,
    /// Pull when the image is not on this machine (once per run).
    Missing,
    /// Pull once at the start of the run even if present; a failed pull falls back to the
    /// local copy with a warning.
    Always,
}

/// The container settings of the execution profile.
#[derive(Clone, Debug)]
pub struct DockerSettings {
    /// `--network host` instead of `--network none`.
    pub host_network: bool,
    pub pull: Pull,
    /// Warn (naming the task) about images larger than this many bytes.
    pub image_size_warning: u64,
    /// How long a call to the daemon may go unanswered before the attempt fails.
    pub daemon_timeout: std::time::Duration,
}

/// The label that marks every container of one run, so that leftovers can be found and
/// removed whatever happened to the engine.
const RUN_LABEL: &str = "ferry.run";

/// An image reference resolved for this run.
#[derive(Clone, Debug)]
struct Pinned {
    /// `sha256:…`, the image's content-addressed id: what every container of the run uses.
    id: String,
    /// The candidate it came from.
    reference: String,
    size: u64,
}

/// One image's resolution, shared by every call that names it.
type PinCell = OnceCell<Result<Pinned, String>>;

pub struct DockerExecutor {
    docker: Docker,
    capacity: Capacity,
    settings: DockerSettings,
    run_label: String,
    user: String,
    /// Image candidates (joined) → the pinned image, resolved once per run.
    images: Mutex<HashMap<String, Arc<PinCell>>>,
    /// Tasks already told about their image (size warnings, which candidate won).
    told: Mutex<HashSet<String>>,
    running: Arc<Mutex<HashSet<String>>>,
    cancelled: Arc<AtomicBool>,
    /// Tasks that name no image run here, as host processes.
    host: LocalExecutor,
    warned_no_image: AtomicBool,
}

fn docker_error(e: bollard::errors::Error) -> anyhow::Error {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => anyhow!(message),
        e => anyhow!(e),
    }
}

impl DockerExecutor {
    /// Connects to the daemon (`DOCKER_HOST` or the local socket) and removes containers an
    /// earlier, killed engine left behind in the same run directory.
    /// `host` runs the tasks that name no image (as host processes).
    pub async fn connect(
        capacity: Capacity,
        run_id: &str,
        settings: DockerSettings,
        host: LocalExecutor,
    ) -> Result<Self> {
        let _ = DAEMON_TIMEOUT.set(settings.daemon_timeout);
        let docker =
            Docker::connect_with_local_defaults().context("cannot connect to the Docker daemon")?;
        answered(docker.ping(), "a ping")
            .await?
            .map_err(|e| {
                anyhow!("cannot reach the Docker daemon ({e}); is dockerd running and is its socket readable?")
            })?;
        let user = crate::sys::user_and_group();
        let executor = DockerExecutor {
            docker,
            capacity,
            settings,
            run_label: run_id.to_string(),
            user,
            images: Default::default(),
            told: Default::default(),
            running: Default::default(),
            cancelled: Default::default(),
            host,
            warned_no_image: AtomicBool::new(false),
        };
        executor.remove_leftovers().await;
        Ok(executor)
    }

    async fn remove_leftovers(&self) {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{RUN_LABEL}={}", self.run_label)],
        )]);
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let Ok(Ok(list)) = answered(
            self.docker.list_containers(Some(options)),
            "a container list",
        )
        .await
        else {
            return;
        };
        for c in list {
            if let Some(id) = c.id {
                self.remove(&id).await;
            }
        }
    }

    async fn remove(&self, id: &str) {
        let options = RemoveContainerOptionsBuilder::new().force(true).build();
        if let Err(e) = answered(self.docker.remove_container(id, Some(options)), "a removal")
            .await
            .and_then(|r| r.map_err(anyhow::Error::from))
        {
            tracing::debug!("removing container {id}: {e}");
        }
    }

    async fn resolve(&self, candidates: &[String]) -> Result<Pinned, String> {
        if self.settings.pull == Pull::Always
            && let Some(first) = candidates.first()
            && let Err(e) = self.pull(first).await
        {
            tracing::warn!("cannot pull image `{first}` ({e}); using the local copy if any");
        }
        for c in candidates {
            if let Some(p) = self.inspect(c).await {
                return Ok(p);
            }
        }
        let mut pull_errors = Vec::new();
        if self.settings.pull == Pull::Missing {
            for c in candidates {
                match self.pull(c).await {
                    Ok(()) => {
                        if let Some(p) = self.inspect(c).await {
                            return Ok(p);
                        }
                    }
                    Err(e) => pull_errors.push(format!("`{c}`: {e:#}")),
                }
            }
        }
        let names = candidates
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        Err(match self.settings.pull {
            Pull::Never => format!(
                "image {names} is not on this machine and the profile says pull = \"never\""
            ),
            _ => format!(
                "image {names} is not on this machine and could not be pulled ({})",
                pull_errors.join("; ")
            ),
        })
    }

    async fn inspect(&self, reference: &str) -> Option<Pinned> {
        let image = answered(self.docker.inspect_image(reference), "an image inspection")
            .await
            .ok()?
            .ok()?;
        Some(Pinned {
            id: image.id?,
            reference: reference.to_string(),
            size: image.size.unwrap_or(0).max(0) as u64,
        })
    }

    async fn pull(&self, reference: &str) -> Result<()> {
        tracing::info!("pulling image {reference}");
        let options = CreateImageOptionsBuilder::new()
            .from_image(reference)
            .build();
        // The daemon does not read the user's Docker config: the login goes with the request.
        let credentials = crate::registry::login_or_ecr(reference).await?.map(|l| {
            bollard::auth::DockerCredentials {
                username: Some(l.username),
                password: Some(l.secret),
                serveraddress: crate::registry::Reference::parse(reference)
                    .ok()
                    .map(|r| r.registry),
                ..Default::default()
            }
        });
        let mut stream = self.docker.create_image(Some(options), None, credentials);
        while let Some(item) = stream.next().await {
            let info = item.map_err(docker_error)?;
            if let Some(e) = info.error_detail.and_then(|d| d.message) {
                anyhow::bail!(e);
            }
        }
        Ok(())
    }

    fn container_body(&self, spec: &AttemptSpec, image: &str) -> ContainerCreateBody {
        let rc = spec.attempt_dir.join("rc");
        // Structured mounts, not `Binds` strings: a path may contain `:` (`a:b.txt`), which
        // the `src:dest:mode` syntax cannot express.
        let bind = |path: &Path, read_only: bool| {
            let p = bind_path(path).display().to_string();
            Mount {
                target: Some(p.clone()),
                source: Some(p),
                typ: Some(MountType::BIND),
                read_only: Some(read_only),
                ..Default::default()
            }
        };
        let mut mounts = vec![bind(&spec.attempt_dir, false)];
        // A `disks` mount point is a directory of the attempt's, empty and writable, removed
        // with the attempt's files; its space is the attempt directory's (checked in `run`).
        for (i, m) in spec.disks.iter().enumerate() {
            if let Some(target) = &m.mount {
                mounts.push(Mount {
                    target: Some(target.clone()),
                    source: Some(bind_path(&disk_dir(spec, i)).display().to_string()),
                    typ: Some(MountType::BIND),
                    read_only: Some(false),
                    ..Default::default()
                });
            }
        }
        let mut seen: HashSet<&Path> = HashSet::new();
        for input in &spec.inputs {
            if input.starts_with(&spec.attempt_dir) || !seen.insert(input) || !input.exists() {
                continue;
            }
            mounts.push(bind(input, true));
        }
        let device_requests = (spec.gpu > 0).then(|| {
            vec![DeviceRequest {
                count: Some(spec.gpu as i64),
                capabilities: Some(vec![vec!["gpu".to_string()]]),
                ..Default::default()
            }]
        });
        // A task that streams inputs from an object store needs the network, whatever the
        // profile's default.
        let host_network = self.settings.host_network || spec.streaming.is_some();
        let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(s) = &spec.streaming {
            env.extend(
                s.env
                    .iter()
                    .chain(&s.secrets)
                    .map(|(k, v)| format!("{k}={v}")),
            );
        }
        let host_config = HostConfig {
            mounts: Some(mounts),
            network_mode: Some(if host_network { "host" } else { "none" }.into()),
            nano_cpus: Some((spec.cpu * 1e9).round().max(1e7) as i64),
            memory: Some(spec.memory as i64),
            // Equal to memory: no swap, so a task over its memory is OOM-killed, not slowed.
            memory_swap: Some(spec.memory as i64),
            // Output goes to files in the attempt directory; nothing for the daemon to log.
            log_config: Some(HostConfigLogConfig {
                typ: Some("none".into()),
                config: None,
            }),
            device_requests,
            ..Default::default()
        };
        let path = |p: &Path| p.display().to_string();
        ContainerCreateBody {
            image: Some(image.to_string()),
            entrypoint: Some(vec![
                "/bin/sh".into(),
                "-c".into(),
                WRAPPER.into(),
                "ferry".into(),
            ]),
            cmd: Some(vec![
                path(&spec.work_dir),
                path(&spec.script),
                path(&spec.stdout),
                path(&spec.stderr),
                path(&rc),
                path(&spec.attempt_dir.join(USAGE_FILE)),
            ]),
            env: Some(env),
            user: Some(self.user.clone()),
            working_dir: Some(path(&spec.work_dir)),
            labels: Some(HashMap::from([
                (RUN_LABEL.to_string(), self.run_label.clone()),
                ("ferry.call".to_string(), spec.label.clone()),
            ])),
            host_config: Some(host_config),
            network_disabled: Some(!host_network),
            ..Default::default()
        }
    }

    /// Creates, starts and waits for one container; returns its exit code and whether the
    /// kernel killed it for memory. The container is removed whatever happens.
    async fn run_container(&self, spec: &AttemptSpec, image: &str) -> Result<(i32, bool)> {
        let options = CreateContainerOptionsBuilder::new().build();
        let created = answered(
            self.docker
                .create_container(Some(options), self.container_body(spec, image)),
            "creating a container",
        )
        .await?
        .map_err(docker_error)
        .with_context(|| format!("cannot create a container for {}", spec.label))?;
        let id = created.id;
        if let Ok(mut r) = self.running.lock() {
            r.insert(id.clone());
        }
        let result = self.start_and_wait(&id, spec).await;
        self.remove(&id).await;
        if let Ok(mut r) = self.running.lock() {
            r.remove(&id);
        }
        result
    }

    /// Returns only when the daemon stops answering pings: the error to fail the attempt with.
    async fn watch_daemon(&self) -> anyhow::Error {
        loop {
            tokio::time::sleep(daemon_patience()).await;
            match answered(self.docker.ping(), "a ping").await {
                Ok(_) => {}
                Err(e) => return e,
            }
        }
    }

    async fn start_and_wait(&self, id: &str, spec: &AttemptSpec) -> Result<(i32, bool)> {
        // Cancellation may have come between create and now; cancel_all could not see the id.
        if self.cancelled.load(Ordering::SeqCst) {
            anyhow::bail!("cancelled before it started");
        }
        answered(
            self.docker.start_container(id, None),
            "starting a container",
        )
        .await?
        .map_err(docker_error)
        .with_context(|| format!("cannot start the container of {}", spec.label))?;
        let mut wait = self.docker.wait_container(id, None);
        // The wait lasts as long as the task; meanwhile the daemon must keep answering pings.
        let waited = tokio::select! {
            w = wait.next() => w,
            e = self.watch_daemon() => return Err(e),
        };
        let code = match waited {
            Some(Ok(r)) => r.status_code,
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
            Some(Err(e)) => return Err(docker_error(e)).context("waiting for the container"),
            None => anyhow::bail!("the daemon ended the wait without a status"),
        };
        let mut state = None;
        let mut oom = false;
        // The daemon can report the exit before it has processed the kernel's OOM event: a
        // SIGKILL exit (137) that we did not send gets a few more looks.
        for look in 0..6 {
            state = answered(
                self.docker.inspect_container(id, None),
                "a container inspection",
            )
            .await?
            .ok()
            .and_then(|c| c.state);
            oom = state.as_ref().and_then(|s| s.oom_killed).unwrap_or(false);
            if oom || code != 137 || self.cancelled.load(Ordering::SeqCst) || look == 5 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let code = state
            .and_then(|s| s.exit_code)
            .unwrap_or(code)
            .clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        Ok((code, oom))
    }
}

/// How long a call to the Docker daemon may go unanswered before the attempt fails (the
/// profile's `container.daemon_timeout`): a daemon that stopped answering (it happened in CI)
/// must not hang the run. Set once, when the executor connects.
static DAEMON_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

fn daemon_patience() -> std::time::Duration {
    DAEMON_TIMEOUT
        .get()
        .copied()
        .unwrap_or(std::time::Duration::from_secs(60))
}

/// `call`, or an error naming it once the daemon has not answered within [`daemon_patience`].
async fn answered<T>(call: impl std::future::Future<Output = T>, what: &str) -> Result<T> {
    let patience = daemon_patience();
    tokio::time::timeout(patience, call).await.map_err(|_| {
        anyhow!(
            "the Docker daemon is not answering ({what} got no reply in {}s): is dockerd stuck? (`docker info` tells)",
            patience.as_secs()
        )
    })
}

/// Bind mounts need absolute paths; relative ones are made absolute against the current
/// directory (the engine normally passes absolute paths already).
fn bind_path(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[async_trait]
impl Executor for DockerExecutor {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn capacity(&self) -> Capacity {
        self.capacity
    }

    async fn pin_image(&self, task: &str, candidates: &[String]) -> Result<Option<String>> {
        if candidates.is_empty() {
            return Ok(None);
        }
        let key = candidates.join("\n");
        let cell = {
            let mut images = self
                .images
                .lock()
                .map_err(|_| anyhow!("image table poisoned"))?;
            images.entry(key).or_default().clone()
        };
        let pinned = cell
            .get_or_init(|| self.resolve(candidates))
            .await
            .clone()
            .map_err(|m| anyhow!("task `{task}`: {m}"))?;
        let first_time = self
            .told
            .lock()
            .map(|mut t| t.insert(task.to_string()))
            .unwrap_or(false);
        if first_time {
            if candidates.len() > 1 {
                tracing::info!(
                    "task `{task}`: using image `{}` (the first available of {} candidates)",
                    pinned.reference,
                    candidates.len()
                );
            }
            tracing::debug!(
                "task `{task}`: image `{}` is {}",
                pinned.reference,
                pinned.id
            );
            if pinned.size > self.settings.image_size_warning {
                tracing::warn!(
                    "task `{task}`: image `{}` is {} (warning threshold {}); large images make thousands of shards slow to start",
                    pinned.reference,
                    ferry_config::human_bytes(pinned.size),
                    ferry_config::human_bytes(self.settings.image_size_warning)
                );
            }
        }
        Ok(Some(pinned.id))
    }

    async fn run(&self, spec: &AttemptSpec) -> Result<AttemptOutcome, ExecError> {
        let Some(image) = spec.container.as_deref() else {
            if !self.warned_no_image.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "{} names no container image: tasks without one run as host processes (set container.default_image in the profile to give them one)",
                    spec.label
                );
            }
            return self.host.run(spec).await;
        };
        if self.cancelled.load(Ordering::SeqCst) {
            return Err(ExecError::Cancelled);
        }
        let start = Instant::now();
        let _disks = crate::disks::hold_free_space(
            &spec.disks,
            &spec.create_from,
            true,
            &spec.label,
            &self.cancelled,
        )
        .await?;
        std::fs::create_dir_all(&spec.work_dir)
            .with_context(|| format!("cannot create {}", spec.work_dir.display()))?;
        for (i, m) in spec.disks.iter().enumerate() {
            if m.mount.is_some() {
                let dir = disk_dir(spec, i);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        std::fs::write(&spec.script, &spec.command)
            .with_context(|| format!("cannot write {}", spec.script.display()))?;
        let (exit_code, oom) = self.run_container(spec, image).await?;
        let oom = oom || crate::container::oom_killed(&spec.attempt_dir);
        // The wrapper writes rc; it cannot when the container was killed.
        let rc = spec.attempt_dir.join("rc");
        let written = std::fs::read_to_string(&rc)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok());
        if written != Some(exit_code) {
            std::fs::write(&rc, format!("{exit_code}\n"))
                .with_context(|| format!("cannot write {}", rc.display()))?;
        }
        // The container's own counters (a killed container left none: not measured).
        let (max_rss, cpu) = container_usage(&spec.attempt_dir);
        Ok(AttemptOutcome {
            exit_code,
            oom,
            usage: ResourceUse {
                wall: start.elapsed(),
                // cgroup CPU time is not split into user and system.
                user_cpu: cpu.unwrap_or_default(),
                system_cpu: std::time::Duration::ZERO,
                max_rss,
            },
            lost: None,
            preempted: false,
        })
    }

    fn cancel_all(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.host.cancel_all();
        let ids: Vec<String> = self
            .running
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for id in ids {
            let docker = self.docker.clone();
            // The wrapper shell is PID 1 and ignores SIGTERM; the task has nothing to flush.
            handle.spawn(async move {
                let options = KillContainerOptionsBuilder::new().signal("KILL").build();
                let _ = answered(docker.kill_container(&id, Some(options)), "a kill").await;
            });
        }
    }

    fn kill_all(&self) {
        self.host.kill_all();
        self.cancel_all();
    }

    async fn shutdown(&self) {
        self.remove_leftovers().await;
        self.host.shutdown().await;
    }

    /// Every container of the run, removed by force (which kills it) now.
    async fn abort(&self) {
        self.kill_all();
        self.remove_leftovers().await;
        self.host.abort().await;
    }
}

/// The attempt's directory that serves its `i`-th `disks` mount point.
fn disk_dir(spec: &AttemptSpec, i: usize) -> std::path::PathBuf {
    spec.attempt_dir.join(format!("disk-{i}"))
}
