//! A run's log files over HTTP: its `ferry run` stdout (the outputs) and stderr (its log), and
//! each attempt's own stdout and stderr. Streamed (a 1 GiB stdout costs the server a buffer,
//! not a gigabyte), with single `Range` requests answered, and opened so that a task that made
//! its log a link (to a host file of the server's user) gets nothing through: the file must be
//! the attempt's own regular file.

use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::auth::Caller;
use crate::db;
use crate::runner::{Runner, attachment_path};
use crate::wes::{WesError, run_of};

/// A run's `ferry run` stdout (its outputs) or stderr (its log).
pub async fn run_file(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath((id, which)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WesError> {
    run_of(&runner, &id, &caller)?;
    if which != "stdout" && which != "stderr" {
        return Err(WesError(StatusCode::NOT_FOUND, format!("no {which}")));
    }
    let dir = runner.dir(&id);
    serve(&dir, &dir.join(which), &headers).await
}

/// An attempt's stdout or stderr: only of an attempt the run's journal has.
pub async fn task_file(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath((id, rest)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WesError> {
    let run = run_of(&runner, &id, &caller)?;
    let (task, which) = rest
        .rsplit_once('/')
        .ok_or_else(|| WesError(StatusCode::NOT_FOUND, "no such file".into()))?;
    if which != "stdout" && which != "stderr" {
        return Err(WesError(StatusCode::NOT_FOUND, format!("no {which}")));
    }
    let known = if db::is_final(&run.state) {
        runner.db.task(&id, task)?.is_some()
    } else {
        false
    } || db::Task::journal(&runner.dir(&id).join("run"))
        .iter()
        .any(|t| t.id == task);
    if !known {
        return Err(WesError(
            StatusCode::NOT_FOUND,
            format!("run {id} has no task {task}"),
        ));
    }
    let calls = runner.dir(&id).join("run").join("calls");
    let attempt = attachment_path(&calls, task).ok_or_else(|| {
        WesError(
            StatusCode::BAD_REQUEST,
            format!("{task:?} is not a task of this run"),
        )
    })?;
    serve(&attempt, &attempt.join(which), &headers).await
}

fn missing() -> WesError {
    WesError(StatusCode::NOT_FOUND, "no such file (yet)".into())
}

/// Opens `path`, which must be a regular file, not a link, inside `within` once opened.
fn open_own(within: &Path, path: &Path) -> Result<std::fs::File, WesError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(missing());
    }
    ferry_eval::access::open_within(within, path).map_err(|_| {
        WesError(
            StatusCode::FORBIDDEN,
            format!("{} is not a log file of this run", path.display()),
        )
    })
}

/// The file, or the byte range asked for (`Range: bytes=a-b`, `a-`, `-n`), as a stream.
async fn serve(within: &Path, path: &Path, headers: &HeaderMap) -> Result<Response, WesError> {
    let file = open_own(within, path)?;
    let len = file.metadata().map_err(|_| missing())?.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|r| r.to_str().ok())
        .map(|r| parse_range(r, len));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len),
        Some(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(None) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response());
        }
    };
    let mut file = tokio::fs::File::from_std(file);
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(|_| missing())?;
    let stream = futures_util::stream::unfold((file, end - start), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; (64 << 10).min(left as usize)];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), (file, left - n as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::ACCEPT_RANGES,
        header::HeaderValue::from_static("bytes"),
    );
    h.insert(header::CONTENT_LENGTH, (end - start).into());
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = format!("bytes {start}-{}/{len}", end.saturating_sub(1)).parse()
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// One range of a `Range` header as `[start, end)` within `len`; `None` if it cannot be met.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len)
        }
        (a, "") => (a.parse().ok()?, len),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.saturating_add(1).min(len),
        ),
    };
    (start < end && start < len).then_some((start, end))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges() {
        use super::parse_range;
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 10)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=-5", 100), Some((95, 100)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 100)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
