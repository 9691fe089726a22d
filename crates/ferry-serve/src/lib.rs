//! `ferry serve`: Ferry as a GA4GH Workflow Execution Service (WES 1.1).
//!
//! Any WES client submits WDL workflows over HTTP; each run is a `ferry run` of its own
//! (`runner.rs`), recorded in a SQLite database beside the runs' directories (`db.rs`); the
//! endpoints are in `wes.rs`. The run directories stay the truth for resume: the database is
//! rebuilt from their records if lost, and a restarted server resumes what was running. The
//! live page at `/` is `page.rs`.
#![deny(unsafe_code)]

mod db;
mod fetch;
mod leases;
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
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
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
    /// Required of every request (`Authorization: Bearer ...`) when set.
    pub token: Option<String>,
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
    if !options.listen.ip().is_loopback() && options.token.is_none() {
        bail!(
            "ferry serve: {} is reachable from other machines: give a token (--token-file) or listen on loopback",
            options.listen
        );
    }
    if options.max_runs == 0 {
        bail!("ferry serve: --max-runs must be at least 1");
    }
    std::fs::create_dir_all(&options.runs_dir)
        .with_context(|| format!("cannot create {}", options.runs_dir.display()))?;
    options.runs_dir = options.runs_dir.canonicalize()?;
    // One server per runs directory: a second would resume the first's runs and take its
    // lease socket. Held (flock) while this process lives, however it ends.
    let lock_path = options.runs_dir.join(".ferry-serve-lock");
    let server_lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    if server_lock.try_lock().is_err() {
        bail!(
            "ferry serve: another server is serving {} (it holds {})",
            options.runs_dir.display(),
            lock_path.display()
        );
    }
    options.roots = options
        .roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .collect();
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
    let options = Arc::new(options);
    let runner = runner::Runner::new(db, options.clone(), leases, socket, fetcher);
    runner.recover()?;
    tokio::spawn(runner.clone().dispatch());
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let local = listener.local_addr()?;
    // The first line on stderr, for scripts and tests that asked for port 0.
    eprintln!("ferry serve: listening on http://{local}");
    axum::serve(listener, router(runner))
        .await
        .context("the server stopped")?;
    drop(server_lock);
    Ok(())
}

fn router(runner: Arc<runner::Runner>) -> Router {
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
    Router::new()
        .nest("/ga4gh/wes/v1", wes)
        .route("/", get(page::index))
        .route("/ferry/api/runs", get(page::api_runs))
        .route("/ferry/runs/{id}/report", get(page::report))
        .route("/ferry/runs/{id}/tasks/{*rest}", get(wes::task_file))
        .route("/ferry/runs/{id}/{which}", get(wes::run_file))
        .fallback(no_such_path)
        .method_not_allowed_fallback(no_such_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            runner.clone(),
            authorize,
        ))
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

/// With a token, every request must carry it.
async fn authorize(
    State(runner): State<Arc<runner::Runner>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &runner.options.token {
        let given = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return wes::WesError(
                StatusCode::UNAUTHORIZED,
                "this server needs a bearer token (Authorization: Bearer ...)".into(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A run id: unique across restarts (time, process, counter), 16 hex digits.
pub(crate) fn new_run_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let seed = format!("{}-{}-{n}", now_ms(), std::process::id());
    blake3::hash(seed.as_bytes()).to_hex()[..16].to_string()
}

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-12-05T06:40:00.123Z`), as WES times are.
pub(crate) fn iso_time(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
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
