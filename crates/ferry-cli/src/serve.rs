//! `ferry serve`: the WES server (`ferry_serve`), with its options read from the command line.

use super::*;

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: std::net::SocketAddr,
    /// Where each run gets a directory (and the database, runs.sqlite, unless --db says).
    #[arg(long, default_value = "ferry-server")]
    runs_dir: PathBuf,
    /// The run database: a SQLite file, or a PostgreSQL URL
    /// (postgres://user:password@host/database; several servers may share one). From the
    /// environment, a password stays out of the process list.
    #[arg(long, env = "FERRY_SERVE_DB", hide_env_values = true)]
    db: Option<String>,
    /// The execution profile of runs whose request names none
    /// (workflow_engine_parameters: {"profile": ...}).
    #[arg(long)]
    profile: Option<String>,
    /// A ferry.toml for every run.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The cpus all runs together may use on this machine (default: all of them).
    #[arg(long)]
    max_cpus: Option<f64>,
    /// The memory all runs together may use on this machine, e.g. "16 GiB" (default: all).
    #[arg(long)]
    max_memory: Option<String>,
    /// Cluster or Batch jobs all runs together may have in flight (default: only each
    /// run's profile limits its own).
    #[arg(long)]
    max_jobs: Option<u64>,
    /// `ferry run` processes at once (default: twice the cpus, at least 2); the others wait
    /// their turn. The cpu, memory and job limits hold across them however many there are.
    #[arg(long)]
    max_runs: Option<usize>,
    /// A file of the tokens requests carry (`name:token` lines; a line without `:` is the
    /// token named `default`; mode 0600). Without it the server makes one in RUNS_DIR/token.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// The host[:port] browsers reach the server by, behind a proxy (repeatable): the live
    /// page's session is accepted only from the server's own address and these.
    #[arg(long = "public-host")]
    public_hosts: Vec<String>,
    /// A profile a request may name (repeatable; the --profile runs default to is always
    /// allowed; no other by default).
    #[arg(long = "allow-profile")]
    allowed_profiles: Vec<String>,
    /// A directory File and Directory inputs may be under (repeatable; besides the run's own
    /// attachments, and URLs); other host paths are refused.
    #[arg(long = "input-root")]
    input_roots: Vec<PathBuf>,
    /// A directory whose workflows a file:// workflow_url may name (repeatable).
    #[arg(long = "workflow-root")]
    roots: Vec<PathBuf>,
    /// An https:// URL prefix whose workflows (and their relative imports) a workflow_url may
    /// name; the server fetches them (repeatable; none by default: nothing is fetched).
    #[arg(long = "allow-workflow-url")]
    allowed_urls: Vec<String>,
    /// A PEM file of extra certificate authorities to trust for those fetches.
    #[arg(long)]
    workflow_ca: Option<PathBuf>,
    /// Largest request, attachments included, in MiB.
    #[arg(long, default_value_t = 64)]
    max_body_mib: usize,
}

pub(crate) async fn serve(args: ServeArgs) -> i32 {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let ferry = match std::env::current_exe() {
        Ok(f) => f,
        Err(e) => {
            errln!("ferry serve: cannot find its own binary: {e}");
            return 1;
        }
    };
    let max_cpus = args.max_cpus.unwrap_or_else(|| machine_capacity().cpu);
    if !max_cpus.is_finite() || max_cpus <= 0.0 {
        errln!("ferry serve: --max-cpus must be a positive number");
        return 2;
    }
    let max_memory = match &args.max_memory {
        None => machine_capacity().memory,
        Some(text) => match ferry_config::parse_size(text) {
            Ok(m) if m > 0 => m,
            Ok(_) => {
                errln!("ferry serve: --max-memory must be positive");
                return 2;
            }
            Err(e) => {
                errln!("ferry serve: --max-memory: {e}");
                return 2;
            }
        },
    };
    if args.max_jobs == Some(0) {
        errln!("ferry serve: --max-jobs must be at least 1");
        return 2;
    }
    let options = ferry_serve::Options {
        listen: args.listen,
        runs_dir: args.runs_dir,
        db: args.db,
        profile: args.profile,
        config: args.config,
        max_cpus,
        max_memory_mib: (max_memory >> 20).max(1),
        max_jobs: args.max_jobs,
        max_runs: args
            .max_runs
            .unwrap_or((max_cpus.ceil() as usize * 2).max(2)),
        token_file: args.token_file,
        public_hosts: args.public_hosts,
        allowed_profiles: args.allowed_profiles,
        input_roots: args.input_roots,
        roots: args.roots,
        allowed_urls: args.allowed_urls,
        workflow_ca: args.workflow_ca,
        max_body: args.max_body_mib << 20,
        ferry,
    };
    match ferry_serve::serve(options).await {
        Ok(()) => 0,
        Err(e) => {
            errln!("{e:#}");
            1
        }
    }
}
