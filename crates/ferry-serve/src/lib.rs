//! `ferry serve`: Ferry as a GA4GH Workflow Execution Service (WES 1.1).
//!
//! Any WES client submits WDL workflows over HTTP; each run is a `ferry run` of its own
//! (`runner.rs`), recorded in a SQLite database beside the runs' directories (`db.rs`); the
//! endpoints are in `wes.rs`. The run directories stay the truth for resume: the database is
//! rebuilt from their records if lost, and a restarted server resumes what was running. The
//! live page at `/` is `page.rs`.
#![deny(unsafe_code)]

mod auth;
mod cromwell;
mod db;
mod fetch;
mod leases;
mod logs;
mod page;
mod runner;
mod schema;
#[allow(unsafe_code)]
mod sys;
mod wes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use db::Run;

/// The server's lease socket, in its runs directory.
const LEASE_SOCKET: &str = "leases.sock";

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    /// Where each run gets its directory, and the database file unless `db` says otherwise.
    pub runs_dir: PathBuf,
    /// A SQLite file, or a `postgres://` URL.
    pub db: Option<String>,
    /// The profile of runs whose request names none.
    pub profile: Option<String>,
    pub config: Option<PathBuf>,
    /// The cpus and memory (MiB) of this machine all runs' attempts together may use (local
    /// and Docker executors); one run alone may use all of it.
    pub max_cpus: f64,
    pub max_memory_mib: u64,
    /// The cluster or Batch jobs all runs together may have in flight (each run's profile's
    /// `max_jobs` applies too).
    pub max_jobs: Option<u64>,
    /// `ferry run` processes at once; later runs wait in the queue.
    pub max_runs: usize,
    /// The tokens' file (`name:token` lines); without one the server makes its own token in
    /// `RUNS_DIR/token`. Every request needs a token.
    pub token_file: Option<PathBuf>,
    /// `host[:port]` names by which browsers reach the server behind a proxy (its own
    /// listening address always counts): a session cookie is accepted only from them.
    pub public_hosts: Vec<String>,
    /// The profiles a request may name (the default `profile` always).
    pub allowed_profiles: Vec<String>,
    /// Directories File and Directory inputs (and files a workflow reads) may be under, beside
    /// the run's own directory; URLs are not confined.
    pub input_roots: Vec<PathBuf>,
    /// Directories whose workflows a `file://` workflow_url may name.
    pub roots: Vec<PathBuf>,
    /// `https://` URL prefixes a workflow_url may name (none: nothing is fetched).
    pub allowed_urls: Vec<String>,
    /// Extra certificate authorities (PEM) for those fetches.
    pub workflow_ca: Option<PathBuf>,
    /// Largest request body (attachments included).
    pub max_body: usize,
    /// The `ferry` binary each run executes.
    pub ferry: PathBuf,
}

/// Serves until the process is stopped.
pub async fn serve(mut options: Options) -> Result<()> {
    if options.max_runs == 0 {
        bail!("ferry serve: --max-runs must be at least 1");
    }
    // What the server writes (run directories, database, requests, logs) is its own: runs'
    // data and tokens are no business of other users of the machine.
    sys::private_umask();
    std::fs::create_dir_all(&options.runs_dir)
        .with_context(|| format!("cannot create {}", options.runs_dir.display()))?;
    options.runs_dir = options.runs_dir.canonicalize()?;
    std::fs::set_permissions(
        &options.runs_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .with_context(|| format!("cannot make {} private", options.runs_dir.display()))?;
    // One server per runs directory: a second would resume the first's runs and take its
    // lease socket. The lock is on the directory itself (a file in it could be deleted), held
    // while this process lives, however it ends.
    let server_lock = std::fs::File::open(&options.runs_dir)
        .with_context(|| format!("cannot open {}", options.runs_dir.display()))?;
    if server_lock.try_lock().is_err() {
        bail!(
            "ferry serve: another server is serving {} (it holds a lock on the directory)",
            options.runs_dir.display()
        );
    }
    let (tokens, token_path) = match &options.token_file {
        Some(f) => (auth::Tokens::load(f)?, f.clone()),
        None => auth::Tokens::generated(&options.runs_dir)?,
    };
    options.roots = options
        .roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .collect();
    options.input_roots = options
        .input_roots
        .iter()
        .map(|r| {
            r.canonicalize()
                .with_context(|| format!("--input-root {}", r.display()))
        })
        .collect::<Result<_>>()?;
    if let Some(p) = &options.profile
        && !options.allowed_profiles.contains(p)
    {
        options.allowed_profiles.push(p.clone());
    }
    let db_location = options
        .db
        .clone()
        .unwrap_or_else(|| options.runs_dir.join("runs.sqlite").display().to_string());
    let db = db::Db::open(&db_location, &options.runs_dir)?;
    let rebuilt = db.rebuild_from(&options.runs_dir)?;
    if rebuilt > 0 {
        tracing::warn!(
            "{rebuilt} runs were missing from the run database and are restored from their directories"
        );
    }
    // Every run's attempts take a lease here first (`leases.rs`).
    let leases = leases::Leases::new(options.max_cpus, options.max_memory_mib, options.max_jobs);
    let socket = lease_socket(&options.runs_dir);
    leases.clone().listen(&socket)?;
    let fetcher = if options.allowed_urls.is_empty() {
        None
    } else {
        Some(fetch::Fetcher::new(
            options.allowed_urls.clone(),
            options.workflow_ca.as_deref(),
            options.max_body,
        )?)
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let local = listener.local_addr()?;
    let gate = Arc::new(auth::Gate::new(tokens, local, &options.public_hosts));
    let options = Arc::new(options);
    let runner = runner::Runner::new(db, options.clone(), leases, socket, fetcher)?;
    runner.recover()?;
    tokio::spawn(runner.clone().dispatch());
    // The first lines on stderr, for scripts and tests that asked for port 0.
    eprintln!("ferry serve: listening on http://{local}");
    eprintln!(
        "ferry serve: every request needs the token in {} (Authorization: Bearer <token>, or log in at http://{local}/)",
        token_path.display()
    );
    connections(listener, router(runner, gate)).await;
    drop(server_lock);
    Ok(())
}

/// How long a client may take to send a request's headers (an idle kept-alive connection
/// included), and how many connections are served at once: a client that opens many and sends
/// nothing holds them only that long, and never all of the server's memory.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
const MAX_CONNECTIONS: usize = 512;

/// Serves HTTP/1 connections, at most `MAX_CONNECTIONS` at once; forever.
async fn connections(listener: tokio::net::TcpListener, app: Router) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                tracing::warn!("cannot accept a connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = connection.await;
        });
    }
}

fn router(runner: Arc<runner::Runner>, gate: Arc<auth::Gate>) -> Router {
    let max_body = runner.options.max_body;
    let wes = Router::new()
        .route("/service-info", get(wes::service_info))
        .route("/runs", get(wes::list_runs).post(wes::submit))
        .route("/runs/{id}", get(wes::run_log))
        .route("/runs/{id}/status", get(wes::run_status))
        .route("/runs/{id}/cancel", post(wes::cancel_run))
        .route("/runs/{id}/tasks", get(wes::list_tasks))
        // A task id is its attempt's path under `calls/` (slashes and all).
        .route("/runs/{id}/tasks/{*task}", get(wes::get_task))
        .route("/openapi.json", get(openapi));
    // Cromwell's API, for its clients (cromshell, Caper, croo): the same runs as WES.
    let cromwell = Router::new()
        .route("/", post(cromwell::submit))
        .route("/backends", get(cromwell::backends))
        .route("/query", get(cromwell::query))
        .route("/{id}/status", get(cromwell::status))
        .route("/{id}/outputs", get(cromwell::outputs))
        .route("/{id}/logs", get(cromwell::logs))
        .route("/{id}/metadata", get(cromwell::metadata))
        .route("/{id}/abort", post(cromwell::abort))
        .route(
            "/{id}/labels",
            get(cromwell::labels).patch(cromwell::update_labels),
        )
        .route("/{id}/timing", get(page::report));
    Router::new()
        .nest("/ga4gh/wes/v1", wes)
        .nest("/api/workflows/v1", cromwell)
        .route("/api/womtool/v1/describe", post(cromwell::describe))
        .route("/engine/v1/version", get(cromwell::version))
        .route("/engine/v1/status", get(cromwell::engine_status))
        .route("/", get(page::index))
        .route(
            "/ferry/login",
            get(auth::login).post(auth::login).with_state(gate.clone()),
        )
        .route("/ferry/api/runs", get(page::api_runs))
        .route("/ferry/runs/{id}/report", get(page::report))
        .route("/ferry/runs/{id}/tasks/{*rest}", get(logs::task_file))
        .route("/ferry/runs/{id}/{which}", get(logs::run_file))
        .fallback(no_such_path)
        .method_not_allowed_fallback(no_such_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(gate, auth::authorize))
        .with_state(runner)
}

/// Where the lease socket is: in the runs directory, unless that path is too long for a Unix
/// socket (108 bytes): then in the temporary directory, named after the runs directory.
fn lease_socket(runs_dir: &std::path::Path) -> PathBuf {
    let socket = runs_dir.join(LEASE_SOCKET);
    if socket.as_os_str().len() < 100 {
        return socket;
    }
    let tag = blake3::hash(runs_dir.as_os_str().as_encoded_bytes()).to_hex();
    std::env::temp_dir().join(format!("ferry-leases-{}.sock", &tag[..16]))
}

/// The OpenAPI document of the WES endpoints, made from the code that serves them.
async fn openapi() -> Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOCUMENT.get_or_init(schema::document).clone();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn no_such_path(uri: axum::http::Uri) -> wes::WesError {
    wes::WesError(
        StatusCode::NOT_FOUND,
        format!("no such path: {}", uri.path()),
    )
}

async fn no_such_method(method: axum::http::Method, uri: axum::http::Uri) -> wes::WesError {
    wes::WesError(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not take {method}", uri.path()),
    )
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A run id: unique across restarts (time, process, counter, the system's randomness), as a
/// version-4 UUID, which Cromwell's clients require (cromshell refuses other ids); the 16-digit
/// ids of earlier servers stay valid.
pub(crate) fn new_run_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut random = [0u8; 16];
    let _ = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random));
    let mut hasher = blake3::Hasher::new();
    hasher.update(format!("{}-{}-{n}", now_ms(), std::process::id()).as_bytes());
    hasher.update(&random);
    let mut b = [0u8; 16];
    b.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-12-05T06:40:00.123Z`), as WES times are.
pub(crate) fn iso_time(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_are_version_4_uuids_and_differ() {
        let (a, b) = (super::new_run_id(), super::new_run_id());
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn iso_times() {
        assert_eq!(super::iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            super::iso_time(1_796_452_800_123),
            "2026-12-05T06:40:00.123Z"
        );
    }
}
