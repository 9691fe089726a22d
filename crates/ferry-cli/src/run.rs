//! `ferry run`: check the document, read the inputs and profile, prepare the run directory, make
//! the executor, run, and report; each step a function.

use super::*;

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    pub(crate) file: PathBuf,
    /// Inputs JSON, keyed `workflow.input` (and `workflow.call.input`).
    #[arg(short, long)]
    pub(crate) inputs: Option<PathBuf>,
    /// Extra inputs as NAME=VALUE (VALUE is JSON, or else a string); override the file.
    #[arg(value_name = "NAME=VALUE")]
    pub(crate) pairs: Vec<String>,
    /// Run directory (default: a new one under ./ferry-runs/).
    #[arg(long)]
    pub(crate) run_dir: Option<PathBuf>,
    /// Run this task instead of the workflow.
    #[arg(long)]
    pub(crate) task: Option<String>,
    /// Use at most this many cpus at once (default: all).
    #[arg(long)]
    pub(crate) max_cpus: Option<f64>,
    /// Use at most this much memory at once, e.g. "8 GiB" (default: all).
    #[arg(long)]
    pub(crate) max_memory: Option<String>,
    /// Stop running tasks at the first failure instead of letting them finish.
    #[arg(long, conflicts_with = "keep_going")]
    pub(crate) fail_fast: bool,
    /// After a failure, run everything that does not depend on a failed call, then exit 1
    /// naming what failed and what was skipped (profile: `failure_mode = "continue"`).
    #[arg(long)]
    pub(crate) keep_going: bool,
    /// Execution profiles from ferry.toml, applied in order (`--profile hpc,bigmem`).
    #[arg(long, value_delimiter = ',')]
    pub(crate) profile: Vec<String>,
    /// A configuration file read after the usual ones.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Print each call with its executor, image, cpu, memory and queue; run nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not reuse or record cached call results.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Continue a run: the one in --run-dir (finished calls are kept, the rest run); or, given
    /// its RUN_ID, that run wherever it was started: a Batch run is rebuilt from the profile's
    /// work directory (into --run-dir, else ./ferry-runs/RUN_ID) and its jobs adopted.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "RUN_ID", value_parser = parse_run_id)]
    pub(crate) resume: Option<String>,
    /// Print the engine's own resource use (wall, CPU, peak RSS) on stderr at the end.
    #[arg(long)]
    pub(crate) stats: bool,
    /// Write RUN_DIR/report.html at the end (also of a failed or cancelled run); the profile
    /// key `report = true` does the same.
    #[arg(long)]
    pub(crate) report: bool,
    /// Accept an optional value where a required one is expected (Cromwell's handling): the
    /// call fails only if the value is None when it runs.
    #[arg(long)]
    pub(crate) lenient_optionals: bool,
    /// Accept what another engine accepts where the spec differs, with a warning each
    /// (`cromwell`; see `ferry check --help`).
    #[arg(long, value_enum)]
    pub(crate) compat: Option<Compat>,
    /// Cromwell workflow options (JSON): `final_workflow_outputs_dir`,
    /// `use_relative_output_paths`, `final_call_logs_dir`, `final_workflow_log_dir`,
    /// `read_from_cache`, `write_to_cache`, `default_runtime_attributes`,
    /// `workflow_failure_mode`, `memory_retry_multiplier`; others are warned about.
    #[arg(long, value_name = "FILE", conflicts_with = "detach")]
    pub(crate) options: Option<PathBuf>,
    /// Run the engine itself as an AWS Batch job (a profile with `batch.work_dir` in S3): print
    /// the run's id and return; `ferry status RUN_ID`, `ferry cancel RUN_ID` and `ferry runs`
    /// follow it from any machine with the profile. With --resume RUN_ID, a new engine job
    /// for that run.
    #[arg(long, conflicts_with_all = ["dry_run", "run_dir", "served"])]
    pub(crate) detach: bool,
    /// Set by `ferry serve`: the socket of the server whose limits this run shares.
    #[arg(long, hide = true, requires = "lease_as")]
    pub(crate) lease_socket: Option<PathBuf>,
    /// Set by `ferry serve`: the server's name for this run.
    #[arg(long, hide = true, requires = "lease_socket")]
    pub(crate) lease_as: Option<String>,
    /// Set by `ferry serve`: a client's run. Configuration only from the server user's file and
    /// --config, never from beside the workflow or the current directory.
    #[arg(long, hide = true)]
    pub(crate) served: bool,
    /// Host File and Directory inputs must be under one of these directories (repeatable; URLs
    /// are not confined); `read_*`, `size` and task mounts too.
    #[arg(long = "input-root", value_name = "DIR")]
    pub(crate) input_roots: Vec<PathBuf>,
    /// Set by `ferry serve`: its runs directory, whose runs' outputs (call-cache hits) this
    /// run may read and mount.
    #[arg(long, hide = true, value_name = "DIR")]
    pub(crate) readable_runs: Vec<PathBuf>,
    /// Set by `ferry serve`: the call cache of this name only (each token its own).
    #[arg(long, hide = true)]
    pub(crate) cache_namespace: Option<String>,
}

/// A run id (letters and digits), or nothing (`--resume` of --run-dir's run).
fn parse_run_id(text: &str) -> Result<String, String> {
    if text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not a run id (letters and digits): to resume the run in --run-dir, give --resume no value and put the workflow before it"
        ))
    }
}

/// Another engine whose reading of WDL `--compat` follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Compat {
    Cromwell,
}

/// Why `ferry run` stops before the run starts: what to print, and the exit code.
pub(crate) struct Stop {
    pub(crate) code: i32,
    pub(crate) message: String,
}

impl Stop {
    /// Bad inputs, options or configuration: exit 2, nothing ran.
    pub(crate) fn usage(message: impl Into<String>) -> Stop {
        Stop {
            code: 2,
            message: message.into(),
        }
    }

    /// Anything else: exit 1.
    pub(crate) fn failed(message: impl Into<String>) -> Stop {
        Stop {
            code: 1,
            message: message.into(),
        }
    }
}

/// `ferry run`: check the document, read the inputs and profile, prepare the run directory,
/// make the executor, run, and report. Each step is a function below.
pub(crate) async fn run(args: RunArgs) -> i32 {
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

pub(crate) async fn run_steps(args: &RunArgs) -> Result<i32, Stop> {
    let (profile, _) = if args.served {
        load_profile_from(
            &ferry_config::operator_paths(args.config.as_deref()),
            &args.profile,
        )
    } else {
        load_profile(Some(&args.file), args.config.as_deref(), &args.profile)
    }
    .map_err(|e| Stop::usage(format!("ferry: {e}")))?;
    let mut profile = profile;
    let workflow_options = options::apply(args.options.as_deref(), &mut profile)
        .map_err(|e| Stop::usage(format!("ferry: workflow options: {e}")))?;
    let cromwell = args.compat == Some(Compat::Cromwell)
        || profile.compat == Some(ferry_config::Compat::Cromwell);
    let (document, raw, name, sources) = load_document(args, cromwell).await?;
    let capacity = capacity_from(args)?;
    if args.dry_run {
        return dry_run(args, &document, &raw, &profile).await;
    }
    if args.detach {
        return detach::detach(args, &profile, &document, &raw, &name, &sources).await;
    }
    if !profile.stub && !ferry_exec::factory::available(&profile.executor) {
        return Err(Stop::failed(format!(
            "ferry: executor {} (profile {}) is not available yet",
            profile.executor,
            profile.names.join(",")
        )));
    }
    let (chosen_dir, taken) = match args.resume.as_deref() {
        Some("") if args.run_dir.is_none() => {
            return Err(Stop::usage(
                "ferry: --resume needs the run's id, or --run-dir DIR to resume the run there",
            ));
        }
        Some(id) if !id.is_empty() => {
            let (dir, taken) = stored::resume_by_id(args, &profile, id).await?;
            (Some(dir), taken)
        }
        _ => (None, None),
    };
    let held = prepare_run_dir(args, &profile, &name, chosen_dir)?;
    let run_dir = held.path.clone();
    // A run resumed by id and given no inputs continues with those it started with.
    let raw = match (args.resume.as_deref(), &args.inputs) {
        (Some(id), None)
            if !id.is_empty() && args.pairs.is_empty() && run_dir.join("inputs.json").is_file() =>
        {
            ferry_engine::read_inputs(Some(&run_dir.join("inputs.json")), &[])
                .map_err(|e| Stop::usage(format!("ferry: bad inputs: {e}")))?
        }
        _ => raw,
    };
    tracing::info!(
        "running {} in {} (run id {})",
        name,
        run_dir.display(),
        held.run_id
    );
    if args.resume.is_some() {
        sweep_stopped_run(&held.run_id).await;
    }
    let started = *STARTED.get_or_init(std::time::Instant::now);
    let (storage, objects) = ferry_exec::factory::storage_for(&profile);
    let stored = stored::Stored::start(
        &profile,
        objects.clone(),
        &run_dir,
        &held.run_id,
        &name,
        &raw,
        taken,
    )
    .await?;
    let launcher = launcher_program(&held).map_err(|e| Stop::failed(format!("ferry: {e:#}")))?;
    let context = ferry_exec::factory::RunContext {
        run_dir: &run_dir,
        capacity,
        objects: objects.clone(),
        job_helper: job_helper(&launcher),
        launcher,
        workflow: name.clone(),
        run_name: stored::run_name(&run_dir),
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
        &ferry_engine::cost_tags(&document, &profile),
    );
    let (cache, shared_cache) = match &profile.cache_url {
        Some(url)
            if !args.no_cache
                && profile.cache
                && !profile.stub
                && args.cache_namespace.is_none() =>
        {
            let shared = stored::open_shared_cache(&profile, objects.clone(), url).await?;
            (Some(shared.cache.clone()), Some(shared))
        }
        _ => (open_cache(args, &profile), None),
    };
    // What the executor offers: this machine (within --max-cpus/--max-memory) for local and
    // Docker tasks; a cluster's or a cloud queue's largest job for remote ones, which those
    // flags cap too.
    let limited = |offered: ferry_exec::Capacity| ferry_exec::Capacity {
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
    // The largest attempt, and what all attempts in flight hold together (the same machine for
    // local executors; a queue or cluster is bounded by its job limit unless the profile caps
    // the cpus in flight).
    let pool = executor.pool().map(limited);
    let capacity = limited(executor.capacity());
    let mut shared = Shared::new(
        executor,
        capacity,
        pool,
        args.fail_fast,
        run_dir.clone(),
        Arc::new(profile),
    );
    shared.cache = cache.clone();
    shared.cache_reads = workflow_options.cache_reads;
    shared.cache_writes = workflow_options.cache_writes;
    if let (Some(socket), Some(run)) = (&args.lease_socket, &args.lease_as) {
        shared.leases = Some(ferry_engine::lease::Leases {
            socket: socket.clone(),
            run: run.clone(),
            here: shared.executor.runs_here(),
        });
    }
    if args.served || !args.input_roots.is_empty() {
        let inputs = ferry_engine::HostRoots::new(args.input_roots.iter().cloned());
        let readable = ferry_engine::HostRoots::new(
            args.input_roots
                .iter()
                .cloned()
                .chain([shared.object_cache.clone(), run_dir.clone()]),
        )
        .with_runs_dirs(
            args.readable_runs.iter().cloned(),
            args.cache_namespace.as_deref().unwrap_or("default"),
        );
        shared.input_roots = Some(Arc::new(inputs));
        shared.host_roots = Some(Arc::new(readable));
    }
    shared.keep_going =
        args.keep_going || shared.profile.failure_mode == ferry_config::FailureMode::Continue;
    shared.storage = storage;
    let shared = Arc::new(shared);
    signals::spawn_handler(shared.clone());
    let mut stored = stored;
    if let Some(s) = stored.as_mut() {
        s.watch(shared.clone());
    }
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
    if shared.profile.stub {
        stub_summary(&document, &shared);
    }
    let result = match workflow_options
        .after_run(&shared, &result, &name, &held.run_id)
        .await
    {
        Ok(()) => result,
        Err(e) => Err(RunError::Failed(vec![format!("workflow options: {e}")])),
    };
    let state = run_state_word(&result);
    let code = finish(args, &shared, cache.as_deref(), result, &name, started);
    if let Some(shared) = shared_cache {
        shared.finish().await;
    }
    if let Some(stored) = stored {
        stored
            .finish(&run_dir, state, &shared.progress.rows())
            .await;
    }
    if let Some(log) = RUN_LOG.get() {
        log.flush();
    }
    // Held until here: a resumed run must not start while this one is still finishing.
    drop(held);
    Ok(code)
}

/// The call cache on this node, unless the run or its profile turns it off (or it cannot be
/// opened: the run goes on without it).
pub(crate) fn open_cache(
    args: &RunArgs,
    profile: &ferry_config::Profile,
) -> Option<Arc<ferry_cache::Cache>> {
    if args.no_cache || !profile.cache || profile.stub {
        return None;
    }
    let mut dir = profile.cache_directory();
    // A server's runs share a cache only with runs of the same token.
    if let Some(ns) = &args.cache_namespace {
        dir = dir.join("by-submitter").join(ns);
    }
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

/// A stub run says how much of the workflow it reached: the task calls that ran (as
/// placeholders) out of every call the workflow can make, and the ones it did not reach (an
/// untaken branch, a scatter over an empty array).
fn stub_summary(document: &ferry_wdl::ir::Document, shared: &Shared) {
    let Some(w) = &document.workflow else {
        return;
    };
    let mut all = std::collections::BTreeSet::new();
    ferry_engine::task_calls(&w.body, "", &mut all);
    let reached: std::collections::BTreeSet<String> = shared
        .progress
        .rows()
        .into_iter()
        .filter(|r| r.done > 0)
        .map(|r| r.name)
        .collect();
    let not_taken = shared
        .branches_not_taken
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    let missed: Vec<&String> = all.difference(&reached).collect();
    // A call in a clause that was not taken anywhere (not in any shard) is where the inputs
    // chose not to go; any other call not reached is a gap in the stub run.
    let (branch, gap): (Vec<&String>, Vec<&String>) =
        missed.iter().partition(|m| not_taken.contains(m.as_str()));
    let n = all.len() - missed.len();
    let list = |v: &[&String]| v.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ");
    if missed.is_empty() {
        tracing::info!("stub run: reached all {n} calls of the workflow");
    } else if gap.is_empty() {
        tracing::info!(
            "stub run: reached all {n} calls these inputs select ({} in branches not taken: {})",
            branch.len(),
            list(&branch)
        );
    } else {
        tracing::warn!(
            "stub run: reached {n} of {} calls; not reached: {}{}",
            all.len() - branch.len(),
            list(&gap),
            if branch.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} more in branches not taken: {}",
                    branch.len(),
                    list(&branch)
                )
            }
        );
    }
}

/// The run's final state, as its `state` file says it.
fn run_state_word(result: &Result<serde_json::Value, RunError>) -> &'static str {
    match result {
        Ok(_) => "succeeded",
        Err(RunError::Cancelled(_)) => "cancelled",
        Err(_) => "failed",
    }
}

/// After the run: `state`, the cache synced, the engine's stats, the outputs on stdout or what
/// went wrong in the log. Returns the exit code.
pub(crate) fn finish(
    args: &RunArgs,
    shared: &Shared,
    cache: Option<&ferry_cache::Cache>,
    result: Result<serde_json::Value, RunError>,
    name: &str,
    started: std::time::Instant,
) -> i32 {
    let run_dir = &shared.run_dir;
    let state = run_state_word(&result);
    if let Err(e) = write_state(run_dir, state) {
        errln!("ferry: cannot write {}/state: {e}", run_dir.display());
    }
    if let Some(c) = cache
        && let Err(e) = c.close()
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
    report::write_metadata(run_dir);
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
pub(crate) async fn load_document(
    args: &RunArgs,
    cromwell: bool,
) -> Result<
    (
        Arc<ferry_wdl::ir::Document>,
        ferry_engine::RawInputs,
        String,
        Vec<PathBuf>,
    ),
    Stop,
> {
    let options = ferry_wdl::CheckOptions {
        lints: false,
        lenient_optionals: args.lenient_optionals,
        cromwell,
    };
    if options.cromwell {
        ferry_engine::CROMWELL_COMPAT.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let checked = ferry_wdl::check(&args.file, options)
        .await
        .map_err(|e| Stop::failed(format!("{}: error: {e:#}", args.file.display())))?;
    // Errors, and the warnings of `--compat cromwell` / `--lenient-optionals` for what they let
    // through (one per construct and location), so a run says what it accepted as `check` does.
    for p in checked.problems.iter().filter(|p| {
        p.severity == ferry_wdl::Severity::Error || p.to_string().contains("accepted by --")
    }) {
        errln!("{p}");
    }
    let document = checked.document.clone().ok_or_else(|| Stop::failed(""))?;
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
    Ok((document, raw, name, checked.sources))
}

/// This machine's cpus and memory, or less with `--max-cpus`/`--max-memory`.
pub(crate) fn capacity_from(args: &RunArgs) -> Result<ferry_exec::Capacity, Stop> {
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
pub(crate) async fn dry_run(
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
    let roots = (args.served || !args.input_roots.is_empty())
        .then(|| ferry_engine::HostRoots::new(args.input_roots.iter().cloned()));
    ferry_engine::resolve(target, raw, &storage, roots.as_ref())
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
pub(crate) fn prepare_run_dir(
    args: &RunArgs,
    profile: &ferry_config::Profile,
    name: &str,
    chosen: Option<PathBuf>,
) -> Result<rundir::RunDir, Stop> {
    if let Some(dir) = &args.run_dir
        && args.resume.is_none()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        return Err(Stop::usage(format!(
            "ferry: run directory {} is not empty; pass --resume to continue that run",
            dir.display()
        )));
    }
    let run_dir = match chosen.or_else(|| args.run_dir.clone()) {
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
    // The launchers' costs of this run only (a resumed run's earlier launchers are done: the
    // lock says so).
    let _ = std::fs::remove_file(run_dir.join(ferry_exec::launcher::USAGE_FILE));
    Ok(rundir::RunDir {
        path: run_dir,
        run_id,
        lock,
    })
}

/// Progress while running: a line redrawn on a terminal, an INFO line every 30 s otherwise.
pub(crate) fn spawn_progress(shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        let every = std::time::Duration::from_millis(if tty { 250 } else { 30_000 });
        let start = std::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let rows = shared.progress.rows();
            let mut line = ferry_engine::progress::summary(&rows, start.elapsed());
            if let Some(note) = shared.executor.waiting_note() {
                line.push_str(&format!(" | {note}"));
            }
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

/// Records what Ferry itself (the engine and its task launcher, not the tasks) cost:
/// `stats.json` in the run directory, read by the benchmarks. Returns the same figures as one
/// line for people.
pub(crate) fn write_engine_stats(
    run_dir: &Path,
    started: std::time::Instant,
    cached: usize,
    adopted: usize,
) -> Option<String> {
    let usage = sys::own_usage()?;
    let secs = |tv| ferry_stage::cpu_time(tv).as_secs_f64();
    let (engine_user, engine_system) = (secs(usage.ru_utime), secs(usage.ru_stime));
    let (launcher_user, launcher_system, launcher_rss) =
        ferry_exec::launcher::launchers_usage(run_dir);
    let (launcher_user, launcher_system) =
        (launcher_user.as_secs_f64(), launcher_system.as_secs_f64());
    let total = engine_user + engine_system + launcher_user + launcher_system;
    let stats = serde_json::json!({
        "wall_seconds": started.elapsed().as_secs_f64(),
        "engine_user_seconds": engine_user,
        "engine_system_seconds": engine_system,
        "engine_max_rss_bytes": usage.ru_maxrss.max(0) as u64 * 1024,
        "launcher_user_seconds": launcher_user,
        "launcher_system_seconds": launcher_system,
        "launcher_max_rss_bytes": launcher_rss,
        "ferry_cpu_seconds": total,
        "cached_calls": cached,
        "adopted_calls": adopted,
    });
    let _ = ferry_engine::write_json(&run_dir.join("stats.json"), &stats);
    Some(format!(
        "ferry used {:.3} s wall, {total:.3} s CPU: engine {engine_user:.3} s user + {engine_system:.3} s system (peak RSS {:.1} MiB), launcher {launcher_user:.3} s user + {launcher_system:.3} s system (tasks not included)",
        started.elapsed().as_secs_f64(),
        usage.ru_maxrss.max(0) as f64 / 1024.0
    ))
}

/// Task processes must not outlive the engine, even a `kill -9`ed one: the task launcher kills
/// them when this engine ends (`ferry_exec::launcher`), and a resumed run first kills what the
/// stopped run's tasks left running in case its launcher was killed too (they could still
/// write into attempt directories it is about to reuse). The run directory's lock is held by
/// then, so no live launcher of this run is left to race with.
pub(crate) async fn sweep_stopped_run(run_id: &str) {
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
pub(crate) fn launcher_program(
    held: &rundir::RunDir,
) -> anyhow::Result<ferry_exec::LauncherProgram> {
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
pub(crate) fn job_helper(launcher: &ferry_exec::LauncherProgram) -> Vec<String> {
    let program = launcher.program.to_string_lossy().into_owned();
    let role = if launcher.args.first().is_some_and(|a| a == "__launch") {
        "__job"
    } else {
        "--job"
    };
    vec![program, role.into()]
}

pub(crate) fn terminal_width() -> usize {
    sys::terminal_width().unwrap_or(120)
}
