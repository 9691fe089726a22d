//! `ferry`: type-check and run WDL workflows.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use clap::{Parser, Subcommand};
use ferry_engine::{RunError, RunRequest, Shared};
use ferry_exec::{Capacity, LocalExecutor, machine_capacity};
use ferry_storage::StorageRouter;
use tracing_subscriber::prelude::*;

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
        /// Also report lint-style warnings (unused inputs, deprecated syntax, ...).
        #[arg(long)]
        lints: bool,
    },
    /// Run a workflow (or one task) and print its outputs as JSON on stdout.
    Run {
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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferry: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Check { file, lints } => check(&file, lints).await,
            Command::Run {
                file,
                inputs,
                pairs,
                run_dir,
                task,
                max_cpus,
                max_memory,
                fail_fast,
            } => {
                run(RunArgs {
                    file,
                    inputs,
                    pairs,
                    run_dir,
                    task,
                    max_cpus,
                    max_memory,
                    fail_fast,
                })
                .await
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::from(code as u8)
}

async fn check(file: &Path, lints: bool) -> i32 {
    match ferry_wdl::check(file, lints).await {
        Ok(checked) => {
            for p in &checked.problems {
                eprintln!("{p}");
            }
            if checked.has_errors() { 1 } else { 0 }
        }
        Err(e) => {
            eprintln!("{}: error: {e:#}", file.display());
            1
        }
    }
}

struct RunArgs {
    file: PathBuf,
    inputs: Option<PathBuf>,
    pairs: Vec<String>,
    run_dir: Option<PathBuf>,
    task: Option<String>,
    max_cpus: Option<f64>,
    max_memory: Option<String>,
    fail_fast: bool,
}

fn default_run_dir(name: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let base = PathBuf::from("ferry-runs");
    let mut dir = base.join(format!("{stamp}-{name}"));
    let mut n = 2;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{name}-{n}"));
        n += 1;
    }
    dir
}

fn init_logging(run_dir: &Path) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_filter(filter);
    let file = std::fs::File::create(run_dir.join("ferry.log"))
        .ok()
        .map(|f| {
            tracing_subscriber::fmt::layer()
                .with_writer(Arc::new(f))
                .with_ansi(false)
                .with_target(false)
                .with_filter(tracing_subscriber::filter::LevelFilter::DEBUG)
        });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}

async fn run(args: RunArgs) -> i32 {
    let checked = match ferry_wdl::check(&args.file, false).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: error: {e:#}", args.file.display());
            return 1;
        }
    };
    for p in checked
        .problems
        .iter()
        .filter(|p| p.severity == ferry_wdl::Severity::Error)
    {
        eprintln!("{p}");
    }
    let Some(document) = checked.document else {
        return 1;
    };
    let raw = match ferry_engine::read_inputs(args.inputs.as_deref(), &args.pairs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ferry: bad inputs: {e}");
            return 2;
        }
    };
    let name = match ferry_engine::pick_task(&document, args.task.as_deref()) {
        Ok(Some(t)) => t.name.to_string(),
        Ok(None) => document
            .workflow
            .as_ref()
            .map(|w| w.name.to_string())
            .unwrap_or_default(),
        Err(e) => {
            eprintln!("ferry: {e}");
            return 2;
        }
    };
    let mut capacity = machine_capacity();
    if let Some(c) = args.max_cpus {
        if c <= 0.0 {
            eprintln!("ferry: --max-cpus must be positive");
            return 2;
        }
        capacity.cpu = c;
    }
    if let Some(m) = &args.max_memory {
        match ferry_engine::task::parse_size(m) {
            Ok(b) if b > 0 => capacity.memory = b,
            Ok(_) => {
                eprintln!("ferry: --max-memory must be positive");
                return 2;
            }
            Err(e) => {
                eprintln!("ferry: --max-memory: {e}");
                return 2;
            }
        }
    }
    let run_dir = args
        .run_dir
        .clone()
        .unwrap_or_else(|| default_run_dir(&name));
    if let Err(e) = std::fs::create_dir_all(&run_dir) {
        eprintln!(
            "ferry: cannot create run directory {}: {e}",
            run_dir.display()
        );
        return 1;
    }
    let run_dir = std::path::absolute(&run_dir).unwrap_or(run_dir);
    init_logging(&run_dir);
    tracing::info!("running {} in {}", name, run_dir.display());
    let started = std::time::Instant::now();
    let executor = match LocalExecutor::new(Capacity { ..capacity }, &run_dir) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("ferry: {e:#}");
            return 1;
        }
    };
    let shared = Arc::new(Shared::new(
        executor,
        capacity,
        args.fail_fast,
        run_dir.clone(),
    ));
    spawn_signal_handler(shared.clone());
    let request = RunRequest {
        document: &document,
        task: args.task.clone(),
        inputs: raw,
        run_dir: run_dir.clone(),
        shared: shared.clone(),
        storage: StorageRouter::default(),
    };
    let result = ferry_engine::run(request).await;
    let state = match &result {
        Ok(_) => "succeeded",
        Err(RunError::Cancelled(_)) => "cancelled",
        Err(_) => "failed",
    };
    let _ = std::fs::write(run_dir.join("state"), format!("{state}\n"));
    write_engine_stats(&run_dir, started);
    match result {
        Ok(outputs) => {
            tracing::info!(
                "{name} succeeded; outputs in {}",
                run_dir.join("outputs.json").display()
            );
            println!(
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
                    "{name} was stopped; finished attempts have an `rc` file under {}",
                    run_dir.join("calls").display()
                ),
                other => tracing::error!("{other}"),
            }
            e.exit_code()
        }
    }
}

fn spawn_signal_handler(shared: Arc<Shared>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        let sig = tokio::select! {
            _ = int.recv() => libc::SIGINT,
            _ = term.recv() => libc::SIGTERM,
        };
        ferry_engine::STOP_SIGNAL.store(sig, Ordering::SeqCst);
        tracing::warn!("signal {sig}: stopping running tasks");
        shared.cancel();
    });
}

/// Records what the engine itself (not its tasks) cost: `stats.json` in the run directory, read
/// by the benchmarks.
fn write_engine_stats(run_dir: &Path, started: std::time::Instant) {
    // SAFETY: getrusage fills a zeroed struct for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return;
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    let stats = serde_json::json!({
        "wall_seconds": started.elapsed().as_secs_f64(),
        "engine_user_seconds": secs(usage.ru_utime),
        "engine_system_seconds": secs(usage.ru_stime),
        "engine_max_rss_bytes": usage.ru_maxrss.max(0) as u64 * 1024,
    });
    let _ = ferry_engine::write_json(&run_dir.join("stats.json"), &stats);
}
