//! `ferry`: type-check and run WDL workflows.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use clap::{Parser, Subcommand};
use ferry_engine::{RunError, RunRequest, Shared};
use ferry_exec::machine_capacity;
use tracing_subscriber::prelude::*;

/// A line on stdout. A reader that went away (`ferry runs | head`) ends the command quietly
/// instead of a panic on the closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// A line on stderr; a terminal that was closed (SIGHUP) or a closed pipe is not a reason to
/// panic in the middle of stopping a run.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Text on stderr without a newline (the progress line); errors ignored as for `errln!`.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod report;
mod rundir;
mod signals;
mod sys;

use rundir::write_state;

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "Run WDL workflows on a laptop, a cluster or the cloud"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a WDL document and its imports.
    Check {
        file: PathBuf,
        /// Report type errors only, not lint-style warnings (unused inputs, deprecated syntax).
        #[arg(long)]
        no_lints: bool,
        /// Accept an optional value where a required one is expected (Cromwell's handling):
        /// an error only if it is None at run time.
        #[arg(long)]
        lenient_optionals: bool,
    },
    /// Run a workflow (or one task) and print its outputs as JSON on stdout.
    Run(RunArgs),
    /// Inspect or clear the call cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
        #[arg(long, value_delimiter = ',', global = true)]
        profile: Vec<String>,
        #[arg(long, global = true)]
        config: Option<PathBuf>,
    },
    /// Write a run's report: one self-contained HTML file (timeline, requested vs used cpu and
    /// memory, failures, right-sizing advice), and the advice as a profile.
    Report {
        run_dir: PathBuf,
        /// Where the HTML goes (default RUN_DIR/report.html).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also write the right-sizing advice as a ferry.toml profile of per-task overrides.
        #[arg(long)]
        profile_out: Option<PathBuf>,
        /// The name of that profile.
        #[arg(long, default_value = "rightsized")]
        profile_name: String,
    },
    /// List the runs under ./ferry-runs (or DIR), newest first.
    Runs { dir: Option<PathBuf> },
    /// Inspect the configuration (ferry.toml files and profiles).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Internal: the task launcher of the engine that started it (see ferry_exec::launcher).
    #[command(name = "__launch", hide = true)]
    Launch { run_dir: PathBuf },
    /// Internal: runs one attempt inside a cluster job and records its resource use.
    #[command(name = "__job", hide = true)]
    Job { attempt_dir: PathBuf },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// One line per cached call: when, task, outputs, key.
    List {
        /// List the node's cache of downloaded objects instead: size, last use, held.
        #[arg(long)]
        objects: bool,
    },
    /// Remove every cached call.
    Clear {
        /// Also remove the node's cache of downloaded objects (s3://, https:// inputs).
        #[arg(long)]
        objects: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration and where each value came from.
    Show {
        #[arg(long, value_delimiter = ',')]
        profile: Vec<String>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Also read the ferry.toml beside this workflow.
        workflow: Option<PathBuf>,
    },
}

/// When the process started: the engine's wall time in stats includes parsing and checking.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    let cli = Cli::parse();
    // The launcher must stay single-threaded (it forks): no async runtime.
    if let Command::Launch { .. } = &cli.command {
        if ferry_exec::launcher::serve_engine() {
            return ExitCode::SUCCESS;
        }
        errln!("ferry: __launch is started by `ferry run`, not by hand");
        return ExitCode::from(2);
    }
    sys::close_inherited_on_exec();
    if let Command::Job { attempt_dir } = &cli.command {
        let rc = ferry_exec::hpc::run_job(attempt_dir);
        return ExitCode::from(rc.clamp(0, 255) as u8);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Evaluation and lowering recurse over expressions as deep as the checker allows
        // (`ferry_wdl::MAX_SYNTAX_DEPTH`); only the pages a thread touches cost memory.
        .thread_stack_size(64 << 20)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("ferry: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Check {
                file,
                no_lints,
                lenient_optionals,
            } => {
                let options = ferry_wdl::CheckOptions {
                    lints: !no_lints,
                    lenient_optionals,
                };
                check(&file, options).await
            }
            // On a worker, not this thread: the driver then hears of a finished call on the
            // worker that ran it, without a wake-up across threads per call.
            Command::Run(args) => tokio::spawn(run(args)).await.unwrap_or_else(|e| {
                errln!("ferry: the run stopped unexpectedly: {e}");
                1
            }),
            Command::Cache {
                command,
                profile,
                config,
            } => cache_command(command, config.as_deref(), &profile),
            Command::Config {
                command:
                    ConfigCommand::Show {
                        profile,
                        config,
                        workflow,
                    },
            } => config_show(workflow.as_deref(), config.as_deref(), &profile),
            Command::Report {
                run_dir,
                output,
                profile_out,
                profile_name,
            } => report::report_command(
                &run_dir,
                output.as_deref(),
                profile_out.as_deref(),
                &profile_name,
            ),
            Command::Runs { dir } => {
                report::runs_command(dir.as_deref().unwrap_or(Path::new("ferry-runs")))
            }
            Command::Launch { .. } | Command::Job { .. } => 0,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::from(code as u8)
}

async fn check(file: &Path, options: ferry_wdl::CheckOptions) -> i32 {
    match ferry_wdl::check(file, options).await {
        Ok(checked) => {
            for p in &checked.problems {
                errln!("{p}");
            }
            if checked.has_errors() { 1 } else { 0 }
        }
        Err(e) => {
            errln!("{}: error: {e:#}", file.display());
            1
        }
    }
}

#[derive(clap::Args)]
struct RunArgs {
    file: PathBuf,
    /// Inputs JSON, keyed `workflow.input` (and `workflow.call.input`).
    #[arg(short, long)]
    inputs: Option<PathBuf>,
    /// Extra inputs as NAME=VALUE (VALUE is JSON, or else a string); override the file.
    #[arg(value_name = "NAME=VALUE")]
    pairs: Vec<String>,
    /// Run directory (default: a new one under ./ferry-runs/).
    #[arg(long)]
    run_dir: Option<PathBuf>,
    /// Run this task instead of the workflow.
    #[arg(long)]
    task: Option<String>,
    /// Use at most this many cpus at once (default: all).
    #[arg(long)]
    max_cpus: Option<f64>,
    /// Use at most this much memory at once, e.g. "8 GiB" (default: all).
    #[arg(long)]
    max_memory: Option<String>,
    /// Stop running tasks at the first failure instead of letting them finish.
    #[arg(long)]
    fail_fast: bool,
    /// Execution profiles from ferry.toml, applied in order (`--profile hpc,bigmem`).
    #[arg(long, value_delimiter = ',')]
    profile: Vec<String>,
    /// A configuration file read after the usual ones.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print each call with its executor, image, cpu, memory and queue; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not reuse or record cached call results.
    #[arg(long)]
    no_cache: bool,
    /// Continue the run in --run-dir: finished calls are kept, the rest run.
    #[arg(long, requires = "run_dir")]
    resume: bool,
    /// Print the engine's own resource use (wall, CPU, peak RSS) on stderr at the end.
    #[arg(long)]
    stats: bool,
    /// Write RUN_DIR/report.html at the end (also of a failed or cancelled run); the profile
    /// key `report = true` does the same.
    #[arg(long)]
    report: bool,
    /// Accept an optional value where a required one is expected (Cromwell's handling): the
    /// call fails only if the value is None when it runs.
    #[arg(long)]
    lenient_optionals: bool,
}

fn cache_command(command: CacheCommand, config: Option<&Path>, profiles: &[String]) -> i32 {
    let profile = match load_profile(None, config, profiles) {
        Ok((p, _)) => p,
        Err(e) => {
            errln!("ferry: {e}");
            return 2;
        }
    };
    if let CacheCommand::List { objects: true } = command {
        return list_objects(&profile);
    }
    let dir = profile.cache_directory();
    let cache = match ferry_cache::Cache::open(&dir) {
        Ok(c) => c,
        Err(e) => {
            errln!(
                "ferry: cannot open the call cache in {}: {e}",
                dir.display()
            );
            return 1;
        }
    };
    match command {
        CacheCommand::List { .. } => {
            for e in cache.entries() {
                let when =
                    sys::local_time(e.recorded as i64, c"%Y-%m-%d %H:%M:%S").unwrap_or_default();
                let outputs = e.outputs.as_object().map(|o| o.len()).unwrap_or(0);
                outln!(
                    "{when}  {:<24} {outputs} outputs, {} files  {}",
                    e.task,
                    e.files.len(),
                    &e.key[..16.min(e.key.len())]
                );
            }
            errln!("{} cached calls in {}", cache.len(), cache.path().display());
            0
        }
        CacheCommand::Clear { objects } => {
            match cache.clear() {
                Ok(n) => errln!("removed {n} cached calls from {}", cache.path().display()),
                Err(e) => {
                    errln!("ferry: cannot clear {}: {e}", cache.path().display());
                    return 1;
                }
            }
            let dir = profile.object_cache_directory();
            if objects && dir.exists() {
                // Cached objects are read-only files in writable directories: removable as is.
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    errln!("ferry: cannot clear {}: {e}", dir.display());
                    return 1;
                }
                errln!("removed the downloaded objects in {}", dir.display());
            }
            0
        }
    }
}

/// `ferry cache list --objects`: one line per downloaded object, least recently used first.
fn list_objects(profile: &ferry_config::Profile) -> i32 {
    let dir = profile.object_cache_directory();
    let objects = match ferry_storage::objcache::list(&dir) {
        Ok(o) => o,
        Err(e) => {
            errln!("ferry: {e:#}");
            return 1;
        }
    };
    for o in &objects {
        let when = o
            .last_use
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| sys::local_time(d.as_secs() as i64, c"%Y-%m-%d %H:%M:%S"))
            .unwrap_or_default();
        outln!(
            "{when}  {:>10}  {}{}",
            ferry_engine::task::human_bytes(o.size),
            o.name,
            if o.in_use { "  (in use)" } else { "" }
        );
    }
    let total: u64 = objects.iter().map(|o| o.size).sum();
    let cap = profile
        .object_cache_max
        .map(|m| format!(" of a {} cap", ferry_engine::task::human_bytes(m)))
        .unwrap_or_default();
    errln!(
        "{} objects, {}{cap}, in {}",
        objects.len(),
        ferry_engine::task::human_bytes(total),
        dir.display()
    );
    0
}

fn load_profile(
    workflow: Option<&Path>,
    config: Option<&Path>,
    profiles: &[String],
) -> Result<(ferry_config::Profile, Vec<ferry_config::Shown>), String> {
    let paths = ferry_config::default_paths(workflow, config);
    let cfg = ferry_config::Config::load(&paths).map_err(|e| e.to_string())?;
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("FERRY_"))
        .collect();
    cfg.resolve(profiles, &env).map_err(|e| e.to_string())
}

fn config_show(workflow: Option<&Path>, config: Option<&Path>, profiles: &[String]) -> i32 {
    match load_profile(workflow, config, profiles) {
        Ok((profile, shown)) => {
            outln!("# effective profile: {}", profile.names.join(","));
            let width = shown
                .iter()
                .map(|(k, v, _, _)| k.len() + v.len() + 3)
                .max()
                .unwrap_or(0);
            for (key, value, source, section) in shown {
                let kv = format!("{key} = {value}");
                outln!("{kv:<width$}  # {source} {section}");
            }
            0
        }
        Err(e) => {
            errln!("ferry: {e}");
            2
        }
    }
}

/// The run log's writer: buffered, because a wide scatter logs a few lines per shard and a
/// `write` each would cost the engine more than the rest of its per-shard work. Flushed when a
/// buffer fills and at the end of the run (a killed engine loses at most the last buffer).
#[derive(Clone)]
struct RunLog(Arc<std::sync::Mutex<std::io::BufWriter<std::fs::File>>>);

struct RunLogGuard<'a>(std::sync::MutexGuard<'a, std::io::BufWriter<std::fs::File>>);

impl std::io::Write for RunLogGuard<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RunLog {
    type Writer = Box<dyn std::io::Write + 'a>;
    fn make_writer(&'a self) -> Self::Writer {
        match self.0.lock() {
            Ok(g) => Box::new(RunLogGuard(g)),
            Err(_) => Box::new(std::io::sink()),
        }
    }
}

impl RunLog {
    fn flush(&self) {
        if let Ok(mut g) = self.0.lock() {
            let _ = std::io::Write::flush(&mut *g);
        }
    }
}

pub(crate) static RUN_LOG: std::sync::OnceLock<RunLog> = std::sync::OnceLock::new();

fn init_logging(run_dir: &Path) {
    // On stderr, Ferry's own messages from info up and the libraries' (AWS SDK, HTTP, Docker
    // client) only when they are errors: their warnings are whole debug dumps of requests,
    // kept in ferry.log. FERRY_LOG replaces this.
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "error,ferry=info,ferry_engine=info,ferry_exec=info,ferry_storage=info,\
             ferry_cache=info,ferry_config=info,ferry_wdl=info,ferry_eval=info",
        )
    });
    // Colour only for a person at a terminal, and never with NO_COLOR set (no-color.org).
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .without_time()
        .with_filter(filter);
    // Appended to: a resumed run keeps the log of the run it continues.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run_dir.join("ferry.log"))
        .ok()
        .map(|f| {
            // Room for the log's last buffers when a task fills the disk.
            sys::reserve(&f, 1 << 20);
            let log = RunLog(Arc::new(std::sync::Mutex::new(
                std::io::BufWriter::with_capacity(64 * 1024, f),
            )));
            let _ = RUN_LOG.set(log.clone());
            tracing_subscriber::fmt::layer()
                .with_writer(log)
                .with_ansi(false)
                .with_target(false)
                // Ferry's own debug events; the libraries' (AWS SDK, HTTP) only from info up,
                // or a cloud run's log is mostly request tracing.
                .with_filter(tracing_subscriber::EnvFilter::new(
                    "info,ferry=debug,ferry_engine=debug,ferry_exec=debug,ferry_storage=debug,ferry_cache=debug",
                ))
        });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}

/// Why `ferry run` stops before the run starts: what to print, and the exit code.
struct Stop {
    code: i32,
    message: String,
}

impl Stop {
    /// Bad inputs, options or configuration: exit 2, nothing ran.
    fn usage(message: impl Into<String>) -> Stop {
        Stop {
            code: 2,
            message: message.into(),
        }
    }

    /// Anything else: exit 1.
    fn failed(message: impl Into<String>) -> Stop {
        Stop {
            code: 1,
            message: message.into(),
        }
    }
}

/// `ferry run`: check the document, read the inputs and profile, prepare the run directory,
/// make the executor, run, and report. Each step is a function below.
async fn run(args: RunArgs) -> i32 {
    match run_steps(&args).await {
        Ok(code) => code,
        Err(stop) => {
            if !stop.message.is_empty() {
                errln!("{}", stop.message);
            }
            stop.code
        }
    }
}

async fn run_steps(args: &RunArgs) -> Result<i32, Stop> {
    let (document, raw, name) = load_document(args).await?;
    let capacity = capacity_from(args)?;
    let (profile, _) = load_profile(Some(&args.file), args.config.as_deref(), &args.profile)
        .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    if args.dry_run {
        return dry_run(args, &document, &raw, &profile).await;
    }
    if !profile.stub && !ferry_exec::factory::available(&profile.executor) {
        return Err(Stop::failed(format!(
            "ferry: executor {} (profile {}) is not available yet",
            profile.executor,
            profile.names.join(",")
        )));
    }
    let held = prepare_run_dir(args, &profile, &name)?;
    let run_dir = held.path.clone();
    tracing::info!(
        "running {} in {} (run id {})",
        name,
        run_dir.display(),
        held.run_id
    );
    if args.resume {
        sweep_stopped_run(&held.run_id).await;
    }
    let started = *STARTED.get_or_init(std::time::Instant::now);
    let (storage, objects) = ferry_exec::factory::storage_for(&profile);
    let launcher = launcher_program(&held).map_err(|e| Stop::failed(format!("ferry: {e:#}")))?;
    let context = ferry_exec::factory::RunContext {
        run_dir: &run_dir,
        capacity,
        objects,
        job_helper: job_helper(&launcher),
        launcher,
    };
    let executor = ferry_exec::factory::executor_for(&profile, context)
        .await
        .map_err(|e| Stop::failed(format!("ferry: {e:#}")))?;
    if profile.stub {
        tracing::info!("stub profile: commands are not run; outputs are placeholders");
    }
    report::write_run_json(
        &run_dir,
        &name,
        &args.file,
        args.inputs.as_deref(),
        &profile.names,
        executor.name(),
    );
    let cache = open_cache(args, &profile);
    // What the executor offers: this machine (within --max-cpus/--max-memory) for local and
    // Docker tasks; a cluster's or a cloud queue's largest job for remote ones, which those
    // flags cap too.
    let offered = executor.capacity();
    let capacity = ferry_exec::Capacity {
        cpu: if args.max_cpus.is_some() {
            offered.cpu.min(capacity.cpu)
        } else {
            offered.cpu
        },
        memory: if args.max_memory.is_some() {
            offered.memory.min(capacity.memory)
        } else {
            offered.memory
        },
    };
    let mut shared = Shared::new(
        executor,
        capacity,
        args.fail_fast,
        run_dir.clone(),
        Arc::new(profile),
    );
    shared.cache = cache.clone();
    shared.storage = storage;
    let shared = Arc::new(shared);
    signals::spawn_handler(shared.clone());
    let progress = spawn_progress(shared.clone());
    let request = RunRequest {
        document: &document,
        task: args.task.clone(),
        inputs: raw,
        run_dir: run_dir.clone(),
        shared: shared.clone(),
        storage: shared.storage.clone(),
    };
    let result = ferry_engine::run(request).await;
    progress.abort();
    if std::io::stderr().is_terminal() {
        err!("\r\x1b[K");
    }
    let code = finish(args, &shared, cache.as_deref(), result, &name, started);
    if let Some(log) = RUN_LOG.get() {
        log.flush();
    }
    // Held until here: a resumed run must not start while this one is still finishing.
    drop(held);
    Ok(code)
}

/// The call cache on this node, unless the run or its profile turns it off (or it cannot be
/// opened: the run goes on without it).
fn open_cache(args: &RunArgs, profile: &ferry_config::Profile) -> Option<Arc<ferry_cache::Cache>> {
    if args.no_cache || !profile.cache || profile.stub {
        return None;
    }
    let dir = profile.cache_directory();
    match ferry_cache::Cache::open(&dir) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            tracing::warn!(
                "call cache in {} unavailable ({e}); running without it",
                dir.display()
            );
            None
        }
    }
}

/// After the run: `state`, the cache synced, the engine's stats, the outputs on stdout or what
/// went wrong in the log. Returns the exit code.
fn finish(
    args: &RunArgs,
    shared: &Shared,
    cache: Option<&ferry_cache::Cache>,
    result: Result<serde_json::Value, RunError>,
    name: &str,
    started: std::time::Instant,
) -> i32 {
    let run_dir = &shared.run_dir;
    let state = match &result {
        Ok(_) => "succeeded",
        Err(RunError::Cancelled(_)) => "cancelled",
        Err(_) => "failed",
    };
    if let Err(e) = write_state(run_dir, state) {
        errln!("ferry: cannot write {}/state: {e}", run_dir.display());
    }
    if let Some(c) = cache
        && let Err(e) = c.sync()
    {
        tracing::warn!("call cache: {e}");
    }
    let cached = shared.progress.cached_total() as usize;
    let adopted = shared.adopted_calls.load(Ordering::Relaxed);
    if cached + adopted > 0 {
        tracing::info!("{cached} calls reused from the cache, {adopted} finished attempts adopted");
    }
    if let Some(line) = write_engine_stats(run_dir, started, cached, adopted) {
        tracing::debug!("{line}");
        if args.stats {
            errln!("ferry: {line}");
        }
    }
    shared.journal.flush();
    report::at_end(run_dir, args.report || shared.profile.report);
    match result {
        Ok(outputs) => {
            tracing::info!(
                "{name} succeeded; outputs in {}",
                run_dir.join("outputs.json").display()
            );
            // Also in outputs.json: a closed stdout does not fail a finished run.
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::to_string_pretty(&outputs).unwrap_or_default()
            );
            0
        }
        Err(e) => {
            match &e {
                RunError::Failed(ms) => {
                    for m in ms {
                        tracing::error!("{m}");
                    }
                    tracing::error!("{name} failed; run directory: {}", run_dir.display());
                }
                RunError::Cancelled(_) => tracing::warn!(
                    "{name} was stopped; finished attempts are kept (listed in {}): rerun with --run-dir {} --resume to continue",
                    run_dir.join(ferry_engine::journal::FILE_NAME).display(),
                    run_dir.display()
                ),
                other => tracing::error!("{other}"),
            }
            e.exit_code()
        }
    }
}

/// Type-checks the document (errors printed as path:line:col), reads the inputs and names
/// what runs: the task chosen with `--task`, else the workflow.
async fn load_document(
    args: &RunArgs,
) -> Result<
    (
        Arc<ferry_wdl::ir::Document>,
        ferry_engine::RawInputs,
        String,
    ),
    Stop,
> {
    let options = ferry_wdl::CheckOptions {
        lints: false,
        lenient_optionals: args.lenient_optionals,
    };
    let checked = ferry_wdl::check(&args.file, options)
        .await
        .map_err(|e| Stop::failed(format!("{}: error: {e:#}", args.file.display())))?;
    for p in checked
        .problems
        .iter()
        .filter(|p| p.severity == ferry_wdl::Severity::Error)
    {
        errln!("{p}");
    }
    let document = checked.document.ok_or_else(|| Stop::failed(""))?;
    let raw = ferry_engine::read_inputs(args.inputs.as_deref(), &args.pairs)
        .map_err(|e| Stop::usage(format!("ferry: bad inputs: {e}")))?;
    let name = match ferry_engine::pick_task(&document, args.task.as_deref()) {
        Ok(Some(t)) => t.name.to_string(),
        Ok(None) => document
            .workflow
            .as_ref()
            .map(|w| w.name.to_string())
            .unwrap_or_default(),
        Err(e) => return Err(Stop::usage(format!("ferry: {e}"))),
    };
    Ok((document, raw, name))
}

/// This machine's cpus and memory, or less with `--max-cpus`/`--max-memory`.
fn capacity_from(args: &RunArgs) -> Result<ferry_exec::Capacity, Stop> {
    let mut capacity = machine_capacity();
    if let Some(c) = args.max_cpus {
        if !c.is_finite() || c <= 0.0 {
            return Err(Stop::usage(format!(
                "ferry: --max-cpus must be a positive number, not {c}"
            )));
        }
        capacity.cpu = c;
    }
    if let Some(m) = &args.max_memory {
        match ferry_config::parse_size(m) {
            Ok(b) if b > 0 => capacity.memory = b,
            Ok(_) => return Err(Stop::usage("ferry: --max-memory must be positive")),
            Err(e) => return Err(Stop::usage(format!("ferry: --max-memory: {e}"))),
        }
    }
    Ok(capacity)
}

/// `--dry-run`: check the inputs, print the plan, run nothing.
async fn dry_run(
    args: &RunArgs,
    document: &ferry_wdl::ir::Document,
    raw: &ferry_engine::RawInputs,
    profile: &ferry_config::Profile,
) -> Result<i32, Stop> {
    let (storage, _) = ferry_exec::factory::storage_for(profile);
    let task = ferry_engine::pick_task(document, args.task.as_deref())
        .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    let target = match (task, &document.workflow) {
        (Some(t), _) => ferry_engine::Target::Task(t),
        (None, Some(w)) => ferry_engine::Target::Workflow(w),
        (None, None) => return Err(Stop::usage("ferry: nothing to run")),
    };
    ferry_engine::resolve(target, raw, &storage)
        .await
        .map_err(|e| Stop::usage(format!("ferry: bad inputs: {e}")))?;
    print!(
        "{}",
        ferry_engine::plan::dry_run(document, task.map(|t| &**t), profile)
    );
    Ok(0)
}

/// The run directory: `--run-dir` (empty unless resuming) or a new one under the profile's
/// `work_dir`; made absolute and locked for this engine, with its run id, logging to its
/// `ferry.log` and `state` = running.
fn prepare_run_dir(
    args: &RunArgs,
    profile: &ferry_config::Profile,
    name: &str,
) -> Result<rundir::RunDir, Stop> {
    if let Some(dir) = &args.run_dir
        && !args.resume
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        return Err(Stop::usage(format!(
            "ferry: run directory {} is not empty; pass --resume to continue that run",
            dir.display()
        )));
    }
    let run_dir = match args.run_dir.clone() {
        Some(d) => d,
        None => {
            let base = profile
                .work_dir
                .as_deref()
                .unwrap_or(Path::new("ferry-runs"));
            rundir::default_run_dir(base, name).map_err(|e| {
                Stop::failed(format!(
                    "ferry: cannot create a run directory under {}: {e}",
                    base.display()
                ))
            })?
        }
    };
    std::fs::create_dir_all(&run_dir).map_err(|e| {
        Stop::failed(format!(
            "ferry: cannot create run directory {}: {e}",
            run_dir.display()
        ))
    })?;
    let run_dir = std::path::absolute(&run_dir).unwrap_or(run_dir);
    // Before anything is written: another engine may be using the directory.
    let lock = rundir::lock(&run_dir).map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    let run_id = rundir::run_id(&run_dir).map_err(|e| Stop::failed(format!("ferry: {e}")))?;
    init_logging(&run_dir);
    write_state(&run_dir, "running").map_err(|e| {
        Stop::failed(format!(
            "ferry: cannot write {}/state: {e}",
            run_dir.display()
        ))
    })?;
    Ok(rundir::RunDir {
        path: run_dir,
        run_id,
        lock,
    })
}

/// Progress while running: a line redrawn on a terminal, an INFO line every 30 s otherwise.
fn spawn_progress(shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        let every = std::time::Duration::from_millis(if tty { 250 } else { 30_000 });
        let start = std::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let rows = shared.progress.rows();
            let line = ferry_engine::progress::summary(&rows, start.elapsed());
            if tty {
                // One line, cut to the terminal's width so that redrawing it stays clean.
                let width = terminal_width().saturating_sub(8).max(20);
                let shown: String = line.chars().take(width).collect();
                err!("\r\x1b[Kferry: {shown}");
            } else {
                tracing::info!("{line}");
            }
        }
    })
}

/// Records what the engine itself (not its tasks) cost: `stats.json` in the run directory, read
/// by the benchmarks.
/// Returns the same figures as one line for people.
fn write_engine_stats(
    run_dir: &Path,
    started: std::time::Instant,
    cached: usize,
    adopted: usize,
) -> Option<String> {
    let usage = sys::own_usage()?;
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    let stats = serde_json::json!({
        "wall_seconds": started.elapsed().as_secs_f64(),
        "engine_user_seconds": secs(usage.ru_utime),
        "engine_system_seconds": secs(usage.ru_stime),
        "engine_max_rss_bytes": usage.ru_maxrss.max(0) as u64 * 1024,
        "cached_calls": cached,
        "adopted_calls": adopted,
    });
    let _ = ferry_engine::write_json(&run_dir.join("stats.json"), &stats);
    Some(format!(
        "engine used {:.3} s wall, {:.3} s user + {:.3} s system CPU, peak RSS {:.1} MiB (tasks not included)",
        started.elapsed().as_secs_f64(),
        secs(usage.ru_utime),
        secs(usage.ru_stime),
        usage.ru_maxrss.max(0) as f64 / 1024.0
    ))
}

/// Task processes must not outlive the engine, even a `kill -9`ed one: the task launcher kills
/// them when this engine ends (`ferry_exec::launcher`), and a resumed run first kills what the
/// stopped run's tasks left running in case its launcher was killed too (they could still
/// write into attempt directories it is about to reuse). The run directory's lock is held by
/// then, so no live launcher of this run is left to race with.
async fn sweep_stopped_run(run_id: &str) {
    let run_id = run_id.to_string();
    let killed =
        tokio::task::spawn_blocking(move || ferry_exec::reaper::kill_run_processes(&run_id))
            .await
            .unwrap_or(0);
    if killed > 0 {
        tracing::warn!("killed {killed} process(es) that the stopped run's tasks left running");
    }
}

/// How this engine starts its task launcher: the small `ferry-launch` binary when it is
/// installed beside this one (it forks a task in a fraction of the time), else this binary in
/// its launcher role (`ferry __launch`). Each launcher holds the run directory's lock too.
fn launcher_program(held: &rundir::RunDir) -> anyhow::Result<ferry_exec::LauncherProgram> {
    let exe = anyhow::Context::context(std::env::current_exe(), "cannot find the ferry binary")?;
    let small = exe.with_file_name("ferry-launch");
    let (program, args) = if small.is_file() {
        (small, vec![held.path.clone().into()])
    } else {
        (exe, vec!["__launch".into(), held.path.clone().into()])
    };
    Ok(ferry_exec::LauncherProgram {
        program,
        args,
        run_id: held.run_id.clone(),
        lock: Some(held.lock.clone()),
    })
}

/// What a cluster job runs its attempt with: the launcher binary in its job role.
fn job_helper(launcher: &ferry_exec::LauncherProgram) -> Vec<String> {
    let program = launcher.program.to_string_lossy().into_owned();
    let role = if launcher.args.first().is_some_and(|a| a == "__launch") {
        "__job"
    } else {
        "--job"
    };
    vec![program, role.into()]
}

fn terminal_width() -> usize {
    sys::terminal_width().unwrap_or(120)
}
