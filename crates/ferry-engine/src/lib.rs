//! The Ferry engine: runs a lowered WDL document's workflow (or one task) with an executor,
//! in a run directory, and publishes its outputs.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferry_eval::{Io, Members, Value};
use ferry_exec::{Capacity, Executor};
use ferry_storage::StorageRouter;
use ferry_wdl::ir::{Document, Task};

mod callcache;
pub mod grant;
mod images;
pub mod inputs;
pub mod journal;
pub mod lease;
pub mod plan;
pub mod progress;
pub mod run_state;
mod scope;
pub mod shared_cache;
pub mod task;
mod workflow;

pub use ferry_eval::HostRoots;
pub use ferry_eval::eval::CROMWELL_COMPAT;
use ferry_storage::remote::{self, Remote};
pub use images::{all_tasks, cost_tags, runtime_warnings, task_calls};
pub use inputs::{Inputs, RawInputs, Target, read_inputs, resolve};

/// The file in a run directory holding the run's id (written by the command line when the run
/// starts): what tells a run directory from any other.
pub const RUN_ID_FILE: &str = "run-id";

/// What the engine shares with every running call.
pub struct Shared {
    pub executor: Arc<dyn Executor>,
    pub capacity: Capacity,
    /// Batch job options by task name (`batch_options`).
    batch_options:
        std::sync::Mutex<std::collections::HashMap<Arc<str>, Arc<ferry_config::BatchJobOptions>>>,
    /// The capacity's cpu and memory, granted to calls together (`grant.rs`).
    resources: grant::Resources,
    /// A `ferry serve` that shares its limits among its runs: every attempt also takes a lease
    /// from it (`lease.rs`).
    pub leases: Option<lease::Leases>,
    /// A server's run: the only host directories its `read_*`, `size` and task mounts may
    /// reach (its inputs' roots, the server's runs with their call-cache outputs, the object
    /// cache)...
    pub host_roots: Option<Arc<ferry_eval::HostRoots>>,
    /// ...and the narrower roots the inputs a client gave must be under (the operator's
    /// `--input-root`s and the run's own directory).
    pub input_roots: Option<Arc<ferry_eval::HostRoots>>,
    /// Ctrl-C or SIGTERM: stop everything.
    pub cancelled: AtomicBool,
    /// A call failed: start nothing new, let running calls finish.
    failing: AtomicBool,
    fail_fast: bool,
    /// After a failure, everything that does not depend on a failed call still runs
    /// (`--keep-going`).
    pub keep_going: bool,
    /// Failure messages already reported (an image error is the same for every shard).
    reported: std::sync::Mutex<std::collections::HashSet<String>>,
    pub scatter_window: usize,
    /// The run directory: attempt directories are created below it.
    pub run_dir: PathBuf,
    /// The effective execution profile.
    pub profile: Arc<ferry_config::Profile>,
    /// Where input URLs are fetched from and outputs published to.
    pub storage: StorageRouter,
    /// The node's cache of downloaded objects.
    pub object_cache: PathBuf,
    /// The call cache, unless caching is off.
    pub cache: Option<Arc<ferry_cache::Cache>>,
    /// Whether calls are looked up in the call cache, and whether their outputs are recorded
    /// there (Cromwell's `read_from_cache` and `write_to_cache` options).
    pub cache_reads: bool,
    pub cache_writes: bool,
    /// The run directory already had calls when this run started (`--resume`): only then can
    /// an attempt directory be left from before, so only then is it looked for.
    pub resuming: bool,
    /// One line per finished attempt (`attempts.tsv`).
    pub journal: journal::Journal,
    /// Calls adopted from an earlier attempt of this run.
    pub adopted_calls: std::sync::atomic::AtomicUsize,
    /// Outputs published by a server-side copy inside the object store.
    pub server_side_copies: std::sync::atomic::AtomicUsize,
    /// Calls created, queued, running, done (cache hits among them) and failed, per call name.
    pub progress: progress::Progress,
    /// Every local File output as it was when its call finished (inode, size, mtime): what is
    /// published must be what the task produced, not what a later task made of it.
    output_stamps: std::sync::Mutex<std::collections::HashMap<Arc<str>, FileStamp>>,
    /// Stub runs only: the task calls inside conditional clauses that were not taken, named as
    /// progress names them, so the summary tells them apart from calls the run failed to reach.
    pub branches_not_taken: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// What identifies a file's content cheaply: inode, size and modification time.
type FileStamp = (u64, u64, i128);

fn file_stamp(path: &Path) -> Option<FileStamp> {
    std::fs::symlink_metadata(path).ok().map(|m| stamp_of(&m))
}

fn stamp_of(m: &std::fs::Metadata) -> FileStamp {
    use std::os::unix::fs::MetadataExt;
    (
        m.ino(),
        m.size(),
        m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
    )
}

const MIB: u64 = 1 << 20;

impl Shared {
    pub fn new(
        executor: Arc<dyn Executor>,
        capacity: Capacity,
        pool: Option<Capacity>,
        fail_fast: bool,
        run_dir: PathBuf,
        profile: Arc<ferry_config::Profile>,
    ) -> Shared {
        let scatter_window = executor.scatter_window();
        // What attempts in flight hold together (`Executor::pool`): unbounded here for remote
        // executors, whose own job limit bounds them.
        let total = match pool {
            Some(pool) => grant::Amount {
                cpu: (pool.cpu * 1000.0).round().max(1.0) as u64,
                memory: pool.memory.div_ceil(MIB).max(1),
            },
            None => grant::Amount {
                cpu: u64::MAX >> 2,
                memory: u64::MAX >> 2,
            },
        };
        let resuming = run_dir.join("calls").exists();
        Shared {
            executor,
            capacity,
            batch_options: Default::default(),
            resources: grant::Resources::new(total),
            leases: None,
            host_roots: None,
            input_roots: None,
            cancelled: AtomicBool::new(false),
            failing: AtomicBool::new(false),
            fail_fast,
            keep_going: false,
            reported: Default::default(),
            scatter_window,
            resuming,
            journal: journal::Journal::open(&run_dir, resuming),
            run_dir,
            object_cache: profile.object_cache_directory(),
            profile,
            storage: StorageRouter::default(),
            cache: None,
            cache_reads: true,
            cache_writes: true,
            adopted_calls: Default::default(),
            server_side_copies: Default::default(),
            progress: Default::default(),
            output_stamps: Default::default(),
            branches_not_taken: Default::default(),
        }
    }

    /// Records the File outputs of a finished call (see `output_stamps`) and makes those in the
    /// run directory read-only: later tasks get them as inputs in place (host processes), and
    /// must read them, not change them. (Root ignores the mode; the stamps still catch it.)
    pub fn stamp_outputs(&self, outputs: &Members) {
        let mut files = Vec::new();
        for v in outputs.values() {
            v.visit_paths(&mut |p, is_dir| {
                // Directories only when the output is a link (to one of the task's inputs,
                // say): a real directory's mtime moves whenever anything is added under it.
                let link =
                    || std::fs::symlink_metadata(&**p).is_ok_and(|m| m.file_type().is_symlink());
                if ferry_storage::scheme_of(p) == "file" && (!is_dir || link()) {
                    files.push(p.clone());
                }
            });
        }
        if files.is_empty() {
            return;
        }
        // One stat per file serves both: a mode change moves neither inode, size nor mtime.
        let mut stamped = Vec::with_capacity(files.len());
        for f in files {
            let path = Path::new(&*f);
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                continue;
            };
            if path.starts_with(&self.run_dir) && meta.is_file() {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode();
                if mode & 0o222 != 0 {
                    let _ = std::fs::set_permissions(
                        path,
                        std::fs::Permissions::from_mode(mode & !0o222),
                    );
                }
            }
            stamped.push((f, stamp_of(&meta)));
        }
        if let Ok(mut stamps) = self.output_stamps.lock() {
            stamps.extend(stamped);
        }
    }

    /// Whether `path` was recorded when its call finished and is still that same file or link.
    fn output_stamped_unchanged(&self, path: &str) -> bool {
        let recorded = self
            .output_stamps
            .lock()
            .ok()
            .and_then(|s| s.get(path).copied());
        recorded.is_some_and(|r| file_stamp(Path::new(path)) == Some(r))
    }

    /// Whether the File output `path` is still what its call produced.
    fn output_unchanged(&self, path: &str) -> bool {
        let recorded = self
            .output_stamps
            .lock()
            .ok()
            .and_then(|s| s.get(path).copied());
        match recorded {
            Some(r) => file_stamp(Path::new(path)) == Some(r),
            None => true,
        }
    }

    /// The stdlib's hook before it reads a file: a remote job's output is fetched from its
    /// object first (`ferry_storage::remote`). Files that are no stubs cost one `stat`.
    pub fn make_readable(&self) -> Option<ferry_eval::MakeReadable> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let storage = self.storage.clone();
        Some(ferry_eval::MakeReadable(Arc::new(move |path: &Path| {
            if !remote::has_stubs(path) {
                return Ok(());
            }
            if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
                return Err(format!(
                    "{} is still in the object store and cannot be fetched here",
                    path.display()
                ));
            }
            task::blocking(|| handle.block_on(remote::fill_stubs(&storage, path)))
                .map_err(|e| format!("{e:#}"))
        })))
    }

    /// The stdlib's hook for `read_*` of a URL: the object is downloaded into the node's object
    /// cache (once, as task inputs are) and read from there.
    pub fn fetch_url(&self) -> Option<ferry_eval::FetchUrl> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return None;
        }
        let storage = self.storage.clone();
        let cache = self.object_cache.clone();
        Some(ferry_eval::FetchUrl(Arc::new(move |url: &str| {
            task::blocking(|| {
                handle.block_on(storage.localize(url, ferry_storage::Kind::File, &cache))
            })
            .map_err(|e| format!("{e:#}"))
        })))
    }

    /// Writes the buffered journal lines and call-cache entries (once a second while running,
    /// and at the end).
    pub fn flush_records(&self) {
        self.journal.flush();
        if let Some(c) = &self.cache
            && let Err(e) = c.flush()
        {
            tracing::warn!("call cache: {e}");
        }
    }

    /// Whether `message` is reported for the first time.
    pub fn first_report(&self, message: &str) -> bool {
        self.reported
            .lock()
            .map(|mut r| r.insert(message.to_string()))
            .unwrap_or(true)
    }

    pub fn stopping(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst) || self.failing.load(Ordering::SeqCst)
    }

    pub fn fail(&self) {
        self.failing.store(true, Ordering::SeqCst);
        if self.fail_fast {
            self.executor.cancel_all();
        }
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.executor.cancel_all();
        // Wake calls queued for resources so they can see the cancellation.
        self.resources.close();
    }

    /// The AWS Batch job options of `task` (the profile's, then its per-task ones), worked out
    /// once per task name.
    pub fn batch_options(&self, task: &str) -> Arc<ferry_config::BatchJobOptions> {
        let Ok(mut known) = self.batch_options.lock() else {
            return Arc::new(self.profile.batch_job_options(task));
        };
        known
            .entry(task.into())
            .or_insert_with(|| Arc::new(self.profile.batch_job_options(task)))
            .clone()
    }

    /// Waits until `cpu` and `memory` both fit, FIFO (and the server, if any, grants them);
    /// they are held until the permit is dropped. `Ok(None)` once the run is stopping; an error
    /// when the server's lease cannot be had (the attempt must not run).
    pub async fn acquire(&self, cpu: f64, memory: u64) -> Result<Option<Permit>, String> {
        // Requests were validated (finite, not negative) when they were resolved.
        let want = grant::Amount {
            cpu: (cpu.max(0.0) * 1000.0).round() as u64,
            memory: memory.div_ceil(MIB),
        };
        let Some(grant) = self.resources.acquire(want).await else {
            return Ok(None);
        };
        // The run's own share first, then the server's: a run never holds a server lease
        // while it waits for itself.
        let lease = match &self.leases {
            Some(leases) => match leases.take(want, || self.stopping()).await? {
                Some(lease) => Some(lease),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(Permit {
            _grant: grant,
            _lease: lease,
        }))
    }
}

/// What an attempt holds while it runs: its share of the run's resources and, under a server,
/// the server's lease. Both are given back when it is dropped.
pub struct Permit {
    _grant: grant::Grant,
    _lease: Option<lease::Lease>,
}

/// How a run ended, when not with outputs. Each maps to an exit code.
#[derive(Debug)]
pub enum RunError {
    /// Bad inputs: exit 2, nothing ran.
    Inputs(String),
    /// One or more calls failed: exit 1.
    Failed(Vec<String>),
    /// Interrupted by SIGINT (130) or SIGTERM (143).
    Cancelled(i32),
    Other(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Inputs(_) => 2,
            RunError::Failed(_) | RunError::Other(_) => 1,
            RunError::Cancelled(sig) => 128 + sig,
        }
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Inputs(m) => write!(f, "bad inputs: {m}"),
            RunError::Failed(ms) => write!(f, "{}", ms.join("\n")),
            RunError::Cancelled(sig) => write!(f, "stopped by signal {sig}"),
            RunError::Other(m) => write!(f, "{m}"),
        }
    }
}

pub struct RunRequest<'a> {
    pub document: &'a Document,
    /// Run this task instead of the workflow.
    pub task: Option<String>,
    pub inputs: RawInputs,
    pub run_dir: PathBuf,
    pub shared: Arc<Shared>,
    pub storage: StorageRouter,
}

/// Which task `--task NAME` (or its absence) picks in a document.
pub fn pick_task<'d>(
    doc: &'d Document,
    name: Option<&str>,
) -> Result<Option<&'d Arc<Task>>, String> {
    match name {
        Some(n) => doc
            .tasks
            .get(n)
            .map(Some)
            .ok_or_else(|| format!("the document has no task `{n}`")),
        None if doc.workflow.is_none() => match doc.tasks.len() {
            1 => Ok(doc.tasks.values().next()),
            0 => Err("the document has no workflow and no task".into()),
            _ => Err("the document has no workflow and several tasks: pick one with --task".into()),
        },
        None => Ok(None),
    }
}

/// Runs the request. On success returns the outputs JSON (keyed `name.output`), already
/// published under the run directory and written to `outputs.json`.
pub async fn run(req: RunRequest<'_>) -> Result<serde_json::Value, RunError> {
    let shared = req.shared.clone();
    let flusher = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await;
            loop {
                every.tick().await;
                shared.flush_records();
            }
        })
    };
    // A panic in the driver itself (calls catch their own) must still stop what the run
    // started: containers, Batch jobs and task processes are cancelled and shut down here
    // rather than left running by an unwinding future.
    use futures_util::FutureExt;
    let result = match std::panic::AssertUnwindSafe(run_inner(req))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(panic) => {
            shared.executor.cancel_all();
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            Err(RunError::Other(format!(
                "internal error: the run's driver panicked ({what}); its running tasks were stopped"
            )))
        }
    };
    shared.executor.shutdown().await;
    flusher.abort();
    shared.flush_records();
    result
}

async fn run_inner(req: RunRequest<'_>) -> Result<serde_json::Value, RunError> {
    let doc = req.document;
    let task = pick_task(doc, req.task.as_deref()).map_err(RunError::Other)?;
    let (target, name) = match (task, &doc.workflow) {
        (Some(t), _) => (Target::Task(t), t.name.clone()),
        (None, Some(w)) => (Target::Workflow(w), w.name.clone()),
        (None, None) => return Err(RunError::Other("nothing to run".into())),
    };
    let inputs = resolve(
        target,
        &req.inputs,
        &req.storage,
        req.shared.input_roots.as_deref(),
    )
    .await
    .map_err(RunError::Inputs)?;
    let run_dir = &req.run_dir;
    write_json(&run_dir.join("inputs.json"), &inputs.to_json(&name))
        .map_err(|e| RunError::Other(format!("cannot write inputs.json: {e}")))?;
    for w in images::runtime_warnings(doc) {
        tracing::warn!("{w}");
    }
    if !req.shared.profile.stub {
        let mut tasks = std::collections::BTreeMap::new();
        match (task, &doc.workflow) {
            (Some(t), _) => {
                tasks.insert(t.name.clone(), t.clone());
            }
            (None, Some(w)) => images::reachable_tasks(&w.body, &mut tasks),
            (None, None) => {}
        }
        let errors =
            images::pin_literal_images(&*req.shared.executor, tasks.values(), &req.shared.profile)
                .await;
        if !errors.is_empty() {
            return Err(RunError::Failed(errors));
        }
    }
    let calls_dir = run_dir.join("calls");
    let outputs: Members = match task {
        Some(t) => {
            let job = task::CallJob {
                progress: req.shared.progress.counters(&t.name),
                task: t.clone(),
                inputs: inputs.root.clone(),
                label: t.name.to_string(),
                call_dir: calls_dir.join(&*t.name),
                attempt_prefix: String::new(),
            };
            match task::run_call(job, req.shared.clone()).await {
                Ok(o) => o,
                Err(task::CallError::Failed(m)) => return Err(RunError::Failed(vec![m])),
                Err(task::CallError::Cancelled) => return Err(RunError::Cancelled(libc_sigint())),
            }
        }
        None => {
            let Some(w) = &doc.workflow else {
                return Err(RunError::Other("nothing to run".into()));
            };
            let mut io = Io::new(run_dir.join("tmp"), w.version);
            io.make_readable = req.shared.make_readable();
            io.fetch_url = req.shared.fetch_url();
            io.stub = req.shared.profile.stub;
            io.access.roots = req.shared.host_roots.clone();
            let driver = workflow::Driver::new(req.shared.clone(), &inputs.nested, io);
            match driver.run(w, inputs.root.clone(), calls_dir).await {
                Ok(o) => o,
                Err(failures) => {
                    if req.shared.cancelled.load(Ordering::SeqCst) {
                        return Err(RunError::Cancelled(libc_sigint()));
                    }
                    return Err(RunError::Failed(failures));
                }
            }
        }
    };
    if req.shared.cancelled.load(Ordering::SeqCst) {
        return Err(RunError::Cancelled(libc_sigint()));
    }
    // Each run publishes under its own prefix of the profile's output_dir, else under out/.
    let out_dir = match &req.shared.profile.output_dir {
        Some(base) => {
            let run_id = run_dir
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "run".into());
            format!("{}/{run_id}", base.trim_end_matches('/'))
        }
        None => run_dir.join("out").display().to_string(),
    };
    let published = publish(&outputs, &name, &out_dir, &req.shared)
        .await
        .map_err(RunError::Other)?;
    let copies = req.shared.server_side_copies.load(Ordering::Relaxed);
    if copies > 0 {
        tracing::info!("{copies} outputs published by server-side copy to {out_dir}");
    }
    write_json(&run_dir.join("outputs.json"), &published)
        .map_err(|e| RunError::Other(format!("cannot write outputs.json: {e}")))?;
    Ok(published)
}

/// The signal that stopped the run; set by the CLI's signal handler.
pub static STOP_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(2);

fn libc_sigint() -> i32 {
    STOP_SIGNAL.load(Ordering::SeqCst)
}

/// Writes JSON atomically: write a temporary file, sync it, rename it into place.
pub fn write_json(path: &Path, value: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_data()?;
    std::fs::rename(&tmp, path)
}

/// A task's output must still be what it produced when it is published: an output file inside
/// the run directory that has since become a link out of it (another task replaced it: inputs
/// are passed in place to host-process tasks) is refused, never published as what it points
/// to. A link the task made itself (to one of its inputs, say), recorded when it finished and
/// unchanged since (`made_by_its_task`), is published as what it points to.
fn check_still_inside(src: &Path, run_dir: &Path, made_by_its_task: bool) -> Result<(), String> {
    if !src.starts_with(run_dir) || made_by_its_task {
        return Ok(());
    }
    let is_link = std::fs::symlink_metadata(src)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    if !is_link {
        return Ok(());
    }
    let target = src
        .canonicalize()
        .map_err(|e| format!("{}: {e}", src.display()))?;
    let root = run_dir
        .canonicalize()
        .unwrap_or_else(|_| run_dir.to_path_buf());
    if target.starts_with(&root) {
        Ok(())
    } else {
        Err(format!(
            "{} was replaced after its task finished: it is now a link to {}",
            src.display(),
            target.display()
        ))
    }
}

/// One output file or directory to `dest`: server-side copies when a remote job left it in the
/// same object store (AWS Batch jobs' outputs), else an upload or local copy of its bytes.
async fn publish_one(src: &str, dest: &str, shared: &Shared) -> Result<String, String> {
    let path = Path::new(src);
    let copies: Vec<(remote::RemoteFile, String)> = match remote::lookup(path) {
        Some(Remote::File(f)) => vec![(f, dest.to_string())],
        Some(Remote::Directory(_)) => remote::files_under(path)
            .into_iter()
            .map(|(rel, f)| (f, format!("{}/{rel}", dest.trim_end_matches('/'))))
            .collect(),
        None => Vec::new(),
    };
    if !copies.is_empty() && copy_all(&copies, shared).await? {
        return Ok(dest.to_string());
    }
    remote::fill_stubs(&shared.storage, path)
        .await
        .map_err(|e| format!("{e:#}"))?;
    shared
        .storage
        .publish(path, dest)
        .await
        .map_err(|e| format!("{e:#}"))
}

/// Server-side copies of objects; `Ok(false)` when the store cannot copy one of them here
/// (another store or bucket, too large): the caller publishes the bytes instead.
async fn copy_all(
    copies: &[(remote::RemoteFile, String)],
    shared: &Shared,
) -> Result<bool, String> {
    for (from, to) in copies {
        if !shared
            .storage
            .copy(from, to)
            .await
            .map_err(|e| format!("{e:#}"))?
        {
            return Ok(false);
        }
        shared.server_side_copies.fetch_add(1, Ordering::Relaxed);
    }
    Ok(true)
}

/// Copies output files to `out_dir/<output>/…` and returns the outputs JSON naming the copies.
async fn publish(
    outputs: &Members,
    root: &str,
    out_dir: &str,
    shared: &Shared,
) -> Result<serde_json::Value, String> {
    let run_dir = &shared.run_dir;
    let mut json = serde_json::Map::new();
    for (name, value) in outputs {
        let mut files: Vec<(String, bool)> = Vec::new();
        value.visit_paths(&mut |p, is_dir| files.push((p.to_string(), is_dir)));
        let single = files.len() == 1 && matches!(value, Value::File(_) | Value::Directory(_));
        let mut published = std::collections::HashMap::new();
        for (i, (src, _)) in files.iter().enumerate() {
            // Inputs passed through as URLs are outputs as they are.
            if published.contains_key(src) || ferry_storage::scheme_of(src) != "file" {
                continue;
            }
            let base = Path::new(src)
                .file_name()
                .map(|b| b.to_string_lossy().to_string())
                .unwrap_or_else(|| "output".into());
            let dest = if single {
                format!("{out_dir}/{name}/{base}")
            } else {
                format!("{out_dir}/{name}/{i}/{base}")
            };
            check_still_inside(
                Path::new(src),
                run_dir,
                shared.output_stamped_unchanged(src),
            )
            .map_err(|e| format!("cannot publish output `{name}`: {e}"))?;
            if !shared.output_unchanged(src) {
                return Err(format!(
                    "cannot publish output `{name}`: {src} was changed after its task finished \
                     (by a later task?)"
                ));
            }
            let at = publish_one(src, &dest, shared)
                .await
                .map_err(|e| format!("cannot publish output `{name}`: {e}"))?;
            published.insert(src.clone(), at);
        }
        let mapped = value
            .map_paths(&mut |p, is_dir| {
                let at: Arc<str> = published.get(p).map(|s| s.as_str()).unwrap_or(p).into();
                Ok(if is_dir {
                    Value::Directory(at)
                } else {
                    Value::File(at)
                })
            })
            .map_err(|e| format!("output `{name}`: {e}"))?;
        json.insert(format!("{root}.{name}"), mapped.to_json());
    }
    Ok(serde_json::Value::Object(json))
}
