//! `ferry`: type-check and run WDL workflows. This file is the command line and the dispatch to
//! one module per subcommand (`run`, `check`, `cache`, `config`, and `report` for `report` and
//! `runs`); `rundir` and `signals` serve `run`.

#![deny(unsafe_code)]

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

mod cache;
mod check;
mod config;
mod detach;
mod inputs;
mod logging;
mod options;
mod report;
mod run;
mod rundir;
mod serve;
mod signals;
mod stored;
#[allow(unsafe_code)]
mod sys;

use cache::*;
use check::*;
use config::*;
use logging::*;
use run::*;

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
        /// Accept what another engine accepts where the spec differs, with a warning each:
        /// `cromwell` (a task called from a workflow of its name, a call input given twice, an
        /// output named like an input, a struct defined again as imported, `sep=` on a single
        /// value, optional values where required ones are expected).
        #[arg(long, value_enum)]
        compat: Option<run::Compat>,
    },
    /// Run a workflow (or one task) and print its outputs as JSON on stdout.
    Run(RunArgs),
    /// Print an inputs template: every input of the workflow (or --task) keyed as an inputs
    /// file has it, with its type, "(optional)" and its default (womtool's `inputs`).
    Inputs {
        file: PathBuf,
        #[arg(long)]
        task: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: inputs::TemplateFormat,
        /// Only the inputs that must be given.
        #[arg(long)]
        required: bool,
        #[arg(long, value_enum)]
        compat: Option<run::Compat>,
    },
    /// Check inputs against a workflow without running it: keys, types, required inputs, and
    /// that input files exist (also in object stores, with --profile's settings).
    Validate {
        file: PathBuf,
        #[arg(short, long)]
        inputs: Option<PathBuf>,
        #[arg(value_name = "NAME=VALUE")]
        pairs: Vec<String>,
        #[arg(long)]
        task: Option<String>,
        #[arg(long, value_delimiter = ',')]
        profile: Vec<String>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, value_enum)]
        compat: Option<run::Compat>,
    },
    /// Serve the GA4GH Workflow Execution Service API (WES 1.1): clients submit runs over HTTP.
    Serve(serve::ServeArgs),
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
    /// List the runs under ./ferry-runs (or DIR), newest first; with --profile, the runs in
    /// that profile's Batch work directory (any machine's), which `run --resume RUN_ID` resumes.
    Runs {
        dir: Option<PathBuf>,
        #[arg(long, value_delimiter = ',')]
        profile: Vec<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// A run of the profile's Batch work directory, from any machine: its state, its engine
    /// and its progress by call.
    Status {
        run_id: String,
        #[arg(long, value_delimiter = ',', required = true)]
        profile: Vec<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Stop a run of the profile's Batch work directory from any machine, as Ctrl-C would stop
    /// it where its engine runs.
    Cancel {
        run_id: String,
        #[arg(long, value_delimiter = ',', required = true)]
        profile: Vec<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Inspect the configuration (ferry.toml files and profiles).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Internal: the task launcher of the engine that started it (see ferry_exec::launcher).
    #[command(name = "__launch", hide = true)]
    Launch { run_dir: PathBuf },
    /// Internal: the engine of a detached run, inside its Batch job (see `run --detach`).
    #[command(name = "__engine", hide = true)]
    Engine { run_id: String },
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
    if let Command::Launch { run_dir } = &cli.command {
        if ferry_exec::launcher::serve_engine(run_dir) {
            return ExitCode::SUCCESS;
        }
        errln!("ferry: __launch is started by `ferry run`, not by hand");
        return ExitCode::from(2);
    }
    sys::close_inherited_on_exec();
    // Every distinct object a run downloads, every task's pipes: the soft limit (often 1,024)
    // is far below what the hard limit allows.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
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
                compat,
            } => {
                let options = ferry_wdl::CheckOptions {
                    lints: !no_lints,
                    lenient_optionals,
                    cromwell: compat == Some(run::Compat::Cromwell),
                };
                check(&file, options).await
            }
            // On a worker, not this thread: the driver then hears of a finished call on the
            // worker that ran it, without a wake-up across threads per call.
            Command::Run(args) => {
                let code = tokio::spawn(run(args)).await.unwrap_or_else(|e| {
                    errln!("ferry: the run stopped unexpectedly: {e}");
                    1
                });
                signals::let_abort_finish().await;
                code
            }
            Command::Engine { run_id } => {
                let code = tokio::spawn(async move { detach::engine_command(&run_id).await })
                    .await
                    .unwrap_or_else(|e| {
                        errln!("ferry: the run stopped unexpectedly: {e}");
                        1
                    });
                signals::let_abort_finish().await;
                code
            }
            Command::Serve(args) => serve::serve(args).await,
            Command::Inputs {
                file,
                task,
                format,
                required,
                compat,
            } => inputs::inputs_command(&file, task.as_deref(), format, required, compat).await,
            Command::Validate {
                file,
                inputs,
                pairs,
                task,
                profile,
                config,
                compat,
            } => {
                inputs::validate_command(
                    &file,
                    task.as_deref(),
                    inputs.as_deref(),
                    &pairs,
                    &profile,
                    config.as_deref(),
                    compat,
                )
                .await
            }
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
            Command::Runs {
                dir,
                profile,
                config,
            } => {
                if profile.is_empty() {
                    report::runs_command(dir.as_deref().unwrap_or(Path::new("ferry-runs")))
                } else {
                    stored::list_command(config.as_deref(), &profile).await
                }
            }
            Command::Status {
                run_id,
                profile,
                config,
            } => stored::status_command(config.as_deref(), &profile, &run_id).await,
            Command::Cancel {
                run_id,
                profile,
                config,
            } => stored::cancel_command(config.as_deref(), &profile, &run_id).await,
            Command::Launch { .. } | Command::Job { .. } => 0,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::from(code as u8)
}
