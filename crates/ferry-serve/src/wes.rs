//! The GA4GH WES 1.1 endpoints under `/ga4gh/wes/v1`, in the shapes its OpenAPI document
//! defines (`ServiceInfo`, `RunId`, `RunListResponse`, `RunLog`, `RunStatus`,
//! `TaskListResponse`, `TaskLog`, `ErrorResponse`), and the run's own log files under
//! `/ferry/runs/{id}/`, the only files the server gives out.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequestParts, Multipart, Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::{self, Run};
use crate::runner::{Runner, attachment_path};
use crate::schema::*;
use crate::{iso_time, now_ms};

pub const VERSIONS: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

/// An error as WES answers it: `{"msg": ..., "status_code": ...}`.
pub struct WesError(pub StatusCode, pub String);

impl IntoResponse for WesError {
    fn into_response(self) -> Response {
        let body = ErrorResponse {
            msg: self.1,
            status_code: i32::from(self.0.as_u16()),
        };
        (self.0, Json(body)).into_response()
    }
}

impl From<anyhow::Error> for WesError {
    fn from(e: anyhow::Error) -> WesError {
        tracing::error!("{e:#}");
        WesError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

fn bad(msg: impl Into<String>) -> WesError {
    WesError(StatusCode::BAD_REQUEST, msg.into())
}

fn not_found(id: &str) -> WesError {
    WesError(StatusCode::NOT_FOUND, format!("no run {id}"))
}

/// The error answers every endpoint may give, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// The request is malformed.
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorResponse),
    /// No token, or not the server's (a server given `--token-file`).
    #[response(status = 401)]
    Unauthorized(#[to_schema] ErrorResponse),
    /// The request names something this server may not read.
    #[response(status = 403)]
    Forbidden(#[to_schema] ErrorResponse),
    /// No such run or task.
    #[response(status = 404)]
    NotFound(#[to_schema] ErrorResponse),
    /// The server failed (its database or disk).
    #[response(status = 500)]
    ServerError(#[to_schema] ErrorResponse),
}

/// Query parameters, refused as WES refuses (`ErrorResponse`), not as plain text.
pub struct WesQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for WesQuery<T> {
    type Rejection = WesError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WesError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| WesQuery(q))
            .map_err(|e| bad(e.body_text()))
    }
}

/// The service's description: what it runs, how many runs are in each state.
#[utoipa::path(get, path = "/service-info", tag = "Service Info", operation_id = "GetServiceInfo",
    responses((status = 200, body = ServiceInfo), Errors))]
pub async fn service_info(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ServiceInfo>, WesError> {
    let mut counts: BTreeMap<String, u64> = [
        db::QUEUED,
        db::RUNNING,
        db::COMPLETE,
        db::EXECUTOR_ERROR,
        db::SYSTEM_ERROR,
        db::CANCELING,
        db::CANCELED,
    ]
    .into_iter()
    .map(|s| (s.to_string(), 0))
    .collect();
    for (state, n) in runner.db.counts(&caller.0)? {
        counts.insert(state, n);
    }
    let version = env!("CARGO_PKG_VERSION").to_string();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Ok(Json(ServiceInfo {
        id: "org.ferry.wes".into(),
        name: "Ferry".into(),
        kind: ServiceType {
            group: "org.ga4gh".into(),
            artifact: "wes".into(),
            version: "1.1.0".into(),
        },
        description: "Ferry runs WDL workflows on this machine, a cluster or AWS Batch.".into(),
        organization: Organization {
            name: "Ferry".into(),
            url: "https://github.com/".into(),
        },
        version: version.clone(),
        workflow_type_versions: [(
            "WDL".to_string(),
            WorkflowTypeVersion {
                workflow_type_version: strings(&VERSIONS),
            },
        )]
        .into(),
        supported_wes_versions: strings(&["1.1.0"]),
        supported_filesystem_protocols: strings(&["file", "s3", "gs", "az", "http", "https"]),
        workflow_engine_versions: [(
            "ferry".to_string(),
            WorkflowEngineVersion {
                workflow_engine_version: vec![version],
            },
        )]
        .into(),
        default_workflow_engine_parameters: vec![DefaultWorkflowEngineParameter {
            name: "profile".into(),
            kind: "string".into(),
            default_value: runner.options.profile.clone().unwrap_or_default(),
        }],
        system_state_counts: counts,
        auth_instructions_url: String::new(),
        tags: BTreeMap::new(),
    }))
}

impl Paging {
    fn parse(&self) -> Result<(i64, usize), WesError> {
        let after = match self.page_token.as_deref() {
            None | Some("") => 0,
            Some(t) => t
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| bad(format!("page_token {t:?} is not one this server gave")))?,
        };
        Ok((after, self.page_size.unwrap_or(100).clamp(1, 1000) as usize))
    }
}

/// A JSON object of the request as a map of strings (values a client sent as other JSON are
/// kept as their JSON text).
fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn string_of(request: &Value, key: &str, default: &str) -> String {
    request
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_string()
}

/// The runs, newest first, a page at a time.
#[utoipa::path(get, path = "/runs", tag = "Workflow Runs", operation_id = "ListRuns", params(Paging),
    responses((status = 200, body = RunListResponse), Errors))]
pub async fn list_runs(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    WesQuery(paging): WesQuery<Paging>,
) -> Result<Json<RunListResponse>, WesError> {
    let (after, size) = paging.parse()?;
    // One more than asked: whether there is a next page.
    let mut page = runner.db.page(&caller.0, after, size + 1)?;
    let more = page.len() > size;
    page.truncate(size);
    let next = if more {
        page.last().map(|r| r.seq.to_string()).unwrap_or_default()
    } else {
        String::new()
    };
    let runs = page
        .iter()
        .map(|r| RunSummary {
            run_id: r.id.clone(),
            state: r.state.clone(),
            start_time: r.started_ms.map(iso_time),
            end_time: r.ended_ms.map(iso_time),
            tags: string_map(r.request.get("tags")),
        })
        .collect();
    let total_runs = runner.db.counts(&caller.0)?.iter().map(|(_, n)| n).sum();
    Ok(Json(RunListResponse {
        runs,
        next_page_token: next,
        total_runs,
    }))
}

/// The run, if `caller` submitted it: another caller's run is not found, as if it were not
/// there.
pub fn run_of(runner: &Runner, id: &str, caller: &Caller) -> Result<Run, WesError> {
    runner
        .db
        .get(id)?
        .filter(|r| r.submitter == caller.0)
        .ok_or_else(|| not_found(id))
}

/// A run's state alone.
#[utoipa::path(get, path = "/runs/{run_id}/status", tag = "Workflow Runs", operation_id = "GetRunStatus",
    params(("run_id" = String, Path)), responses((status = 200, body = RunStatus), Errors))]
pub async fn run_status(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<RunStatus>, WesError> {
    let run = run_of(&runner, &id, &caller)?;
    Ok(Json(RunStatus {
        run_id: run.id,
        state: run.state,
    }))
}

/// A run: its request, state, log and outputs.
#[utoipa::path(get, path = "/runs/{run_id}", tag = "Workflow Runs", operation_id = "GetRunLog",
    params(("run_id" = String, Path)), responses((status = 200, body = RunLog), Errors))]
pub async fn run_log(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<RunLog>, WesError> {
    let run = run_of(&runner, &id, &caller)?;
    let request = &run.request;
    let system_logs = runner
        .db
        .history(&run.id)?
        .iter()
        .map(|(s, at)| format!("{} {s}", iso_time(*at)))
        .collect();
    Ok(Json(RunLog {
        run_id: run.id.clone(),
        request: RunRequest {
            workflow_params: request
                .get("workflow_params")
                .filter(|p| p.is_object())
                .cloned()
                .unwrap_or(json!({})),
            workflow_type: string_of(request, "workflow_type", "WDL"),
            workflow_type_version: string_of(request, "workflow_type_version", "1.0"),
            tags: string_map(request.get("tags")),
            workflow_engine_parameters: string_map(request.get("workflow_engine_parameters")),
            workflow_engine: "ferry".into(),
            workflow_url: string_of(request, "workflow_url", ""),
        },
        state: run.state.clone(),
        run_log: Log {
            name: request
                .get("workflow_file")
                .and_then(Value::as_str)
                .map(str::to_string),
            cmd: vec!["ferry".into(), "run".into()],
            start_time: run.started_ms.map(iso_time),
            end_time: run.ended_ms.map(iso_time),
            stdout: Some(format!("/ferry/runs/{}/stdout", run.id)),
            stderr: Some(format!("/ferry/runs/{}/stderr", run.id)),
            exit_code: run.exit_code,
            system_logs,
        },
        task_logs_url: format!("/ga4gh/wes/v1/runs/{}/tasks", run.id),
        outputs: run
            .outputs
            .clone()
            .filter(|o| o.is_object())
            .unwrap_or(json!({})),
    }))
}

/// Cancels a run: queued, it never starts; running, its tasks are stopped. A run that is over
/// stays as it ended.
#[utoipa::path(post, path = "/runs/{run_id}/cancel", tag = "Workflow Runs", operation_id = "CancelRun",
    params(("run_id" = String, Path)), responses((status = 200, body = RunId), Errors))]
pub async fn cancel_run(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<RunId>, WesError> {
    run_of(&runner, &id, &caller)?;
    runner.cancel(&id)?;
    Ok(Json(RunId { run_id: id }))
}

/// A task as WES shows it: its logs are URLs on this server, given only when the files are
/// there (a call-cache hit ran elsewhere: its logs are not this run's to give).
fn task_log(runner: &Runner, run_id: &str, t: &db::Task) -> TaskLog {
    let attempt = runner.dir(run_id).join("run").join("calls").join(&t.id);
    let log = |which: &str| {
        attempt
            .join(which)
            .exists()
            .then(|| format!("/ferry/runs/{run_id}/tasks/{}/{which}", t.id))
    };
    TaskLog {
        id: t.id.clone(),
        name: t.call.clone(),
        cmd: Vec::new(),
        start_time: Some(iso_time(t.start_ms.max(0) as u64)),
        end_time: Some(iso_time(t.end_ms.max(0) as u64)),
        exit_code: Some(t.exit_code),
        stdout: log("stdout"),
        stderr: log("stderr"),
        system_logs: vec![format!(
            "{} attempt {}: {} cpu and {} MiB requested; used {:.1} cpu-s{}",
            t.event,
            t.attempt,
            t.cpu,
            t.memory_mib,
            t.cpu_ms as f64 / 1000.0,
            t.max_rss_kib
                .map(|k| format!(", peak {} MiB", (k + 1023) / 1024))
                .unwrap_or_default()
        )],
    }
}

/// `limit` of the run's finished attempts from `offset`, in the order they ended: from the
/// database once the run is over (recorded at its end), else from its journal as it grows.
fn tasks_of(
    runner: &Runner,
    run: &Run,
    offset: usize,
    limit: usize,
) -> Result<Vec<db::Task>, WesError> {
    if db::is_final(&run.state) {
        let recorded = runner.db.tasks(&run.id, offset, limit)?;
        if !recorded.is_empty() || offset > 0 {
            return Ok(recorded);
        }
    }
    Ok(db::Task::journal(&runner.dir(&run.id).join("run"))
        .into_iter()
        .skip(offset)
        .take(limit)
        .collect())
}

/// The run's task attempts, a page at a time.
#[utoipa::path(get, path = "/runs/{run_id}/tasks", tag = "Workflow Runs", operation_id = "ListTasks",
    params(("run_id" = String, Path), Paging),
    responses((status = 200, body = TaskListResponse), Errors))]
pub async fn list_tasks(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
    WesQuery(paging): WesQuery<Paging>,
) -> Result<Json<TaskListResponse>, WesError> {
    let run = run_of(&runner, &id, &caller)?;
    let (after, size) = paging.parse()?;
    let start = usize::try_from(after).unwrap_or(usize::MAX);
    // One more than asked: whether there is a next page.
    let mut page = tasks_of(&runner, &run, start, size + 1)?;
    let next = if page.len() > size {
        (start + size).to_string()
    } else {
        String::new()
    };
    page.truncate(size);
    Ok(Json(TaskListResponse {
        task_logs: page.iter().map(|t| task_log(&runner, &id, t)).collect(),
        next_page_token: next,
    }))
}

/// One task attempt (its id as `ListTasks` gives it).
#[utoipa::path(get, path = "/runs/{run_id}/tasks/{task_id}", tag = "Workflow Runs", operation_id = "GetTask",
    params(("run_id" = String, Path), ("task_id" = String, Path)),
    responses((status = 200, body = TaskLog), Errors))]
pub async fn get_task(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath((id, task)): UrlPath<(String, String)>,
) -> Result<Json<TaskLog>, WesError> {
    let run = run_of(&runner, &id, &caller)?;
    // A finished run's task is one row of the database; a run going (or one recorded before
    // tasks were) has only its journal.
    let recorded = if db::is_final(&run.state) {
        runner.db.task(&id, &task)?
    } else {
        None
    };
    recorded
        .or_else(|| {
            db::Task::journal(&runner.dir(&id).join("run"))
                .into_iter()
                .rev()
                .find(|t| t.id == task)
        })
        .map(|t| Json(task_log(&runner, &id, &t)))
        .ok_or_else(|| {
            WesError(
                StatusCode::NOT_FOUND,
                format!("run {id} has no task {task}"),
            )
        })
}

/// Submits a run: a multipart form as WES defines it (`workflow_params`, `workflow_type`,
/// `workflow_type_version`, `tags`, `workflow_engine_parameters`, `workflow_url`, any number of
/// `workflow_attachment` files).
#[utoipa::path(post, path = "/runs", tag = "Workflow Runs", operation_id = "RunWorkflow",
    request_body(content = RunForm, content_type = "multipart/form-data"),
    responses((status = 200, body = RunId), Errors))]
pub async fn submit(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<RunId>, WesError> {
    let mut form = form.map_err(|e| bad(e.body_text()))?;
    let (id, dir, files) = new_run_dir(&runner, &caller)?;
    let mut fields: serde_json::Map<String, Value> = Default::default();
    let mut attached: Vec<String> = Vec::new();
    let result = async {
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| bad(format!("not a WES multipart request: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            if name == "workflow_attachment" {
                let file_name = field.file_name().unwrap_or_default().to_string();
                let dest = attachment_path(&files, &file_name).ok_or_else(|| {
                    bad(format!(
                        "attachment name {file_name:?} is not a relative path"
                    ))
                })?;
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| bad(format!("attachment {file_name}: {e}")))?;
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent).map_err(anyhow::Error::from)?;
                }
                std::fs::write(&dest, &bytes).map_err(anyhow::Error::from)?;
                attached.push(file_name);
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| bad(format!("field {name}: {e}")))?;
                fields.insert(name, Value::String(text));
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    accept(&runner, &caller, &id, fields, &attached).await?;
    Ok(Json(RunId { run_id: id }))
}

/// A new run's id and directory, with its `workflow/` directory for the request's files and
/// the name of its submitter (a later run's engine checks it before reading these outputs).
pub(crate) fn new_run_dir(
    runner: &Runner,
    caller: &Caller,
) -> Result<(String, PathBuf, PathBuf), WesError> {
    let id = crate::new_run_id();
    let dir = runner.dir(&id);
    let files = dir.join("workflow");
    std::fs::create_dir_all(&files)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", files.display()))?;
    let owner = dir.join(ferry_eval::SUBMITTER_FILE);
    std::fs::write(&owner, format!("{}\n", caller.0))
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", owner.display()))?;
    Ok((id, dir, files))
}

/// A submitted run whose files are in its directory (`workflow/`): its workflow fetched when
/// it is a URL the server may fetch, the request checked, the run queued. On an error the
/// run's directory is removed. Both APIs submit through here.
pub(crate) async fn accept(
    runner: &Runner,
    caller: &Caller,
    id: &str,
    fields: serde_json::Map<String, Value>,
    attached: &[String],
) -> Result<Value, WesError> {
    let dir = runner.dir(id);
    let files = dir.join("workflow");
    let result = async {
        // A workflow on the web: fetched now, if the server may, with what it imports.
        let url = fields
            .get("workflow_url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let fetched = if url.starts_with("https://") && !attached.contains(&url) {
            let fetcher = runner.fetcher.as_ref().ok_or_else(|| {
                WesError(
                    StatusCode::FORBIDDEN,
                    format!("workflow_url {url}: this server fetches no workflows over the network (see --allow-workflow-url)"),
                )
            })?;
            Some(
                fetcher
                    .fetch(&url, &files)
                    .await
                    .map_err(|e| WesError(StatusCode::FORBIDDEN, format!("{e:#}")))?,
            )
        } else {
            None
        };
        let request = request_from(runner, id, fields, attached, fetched)?;
        check_request(runner, id, &request, caller)?;
        Ok(request)
    }
    .await;
    let request = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    let inputs = files.join(".wes-inputs.json");
    std::fs::write(
        &inputs,
        serde_json::to_vec(&request["workflow_params"]).unwrap_or_default(),
    )
    .map_err(anyhow::Error::from)?;
    let mut run = Run {
        id: id.to_string(),
        state: db::QUEUED.into(),
        request: request.clone(),
        submitted_ms: now_ms(),
        submitter: caller.0.clone(),
        ..Run::default()
    };
    runner.add(&mut run)?;
    runner.enqueue(id.to_string());
    Ok(run.request)
}

/// The request's fields checked and parsed: the JSON ones as JSON, the workflow found among
/// the attachments or at a `file://` URL under an allowed root.
fn request_from(
    runner: &Runner,
    id: &str,
    fields: serde_json::Map<String, Value>,
    attached: &[String],
    fetched: Option<PathBuf>,
) -> Result<Value, WesError> {
    let text = |k: &str| fields.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let json_field = |k: &str| -> Result<Value, WesError> {
        match text(k).trim() {
            "" => Ok(json!({})),
            t => {
                let v: Value =
                    serde_json::from_str(t).map_err(|e| bad(format!("{k} is not JSON: {e}")))?;
                if !v.is_object() {
                    return Err(bad(format!("{k} must be a JSON object")));
                }
                Ok(v)
            }
        }
    };
    let workflow_type = text("workflow_type");
    if !workflow_type.eq_ignore_ascii_case("WDL") {
        return Err(bad(format!(
            "workflow_type {workflow_type:?} is not supported: this server runs WDL"
        )));
    }
    let asked = text("workflow_type_version");
    let params = json_field("workflow_params")?;
    // WES says these two are objects of strings.
    let strings_only = |k: &str| -> Result<Value, WesError> {
        let v = json_field(k)?;
        match v
            .as_object()
            .and_then(|m| m.iter().find(|(_, v)| !v.is_string()))
        {
            Some((name, value)) => Err(bad(format!(
                "{k}.{name} is {value}: the values of {k} are strings"
            ))),
            None => Ok(v),
        }
    };
    let tags = strings_only("tags")?;
    let engine = strings_only("workflow_engine_parameters")?;
    let profile = match engine.get("profile") {
        None => runner.options.profile.clone(),
        Some(Value::String(p)) if valid_profile(p) => Some(p.clone()),
        Some(p) => {
            return Err(bad(format!(
                "workflow_engine_parameters.profile {p} is not a profile name"
            )));
        }
    };
    // The operator's choice of where runs run binds: a client names only allowed profiles.
    if let Some(p) = &profile {
        let allowed = &runner.options.allowed_profiles;
        if let Some(refused) = p.split(',').find(|n| !allowed.iter().any(|a| a == n)) {
            return Err(WesError(
                StatusCode::FORBIDDEN,
                format!(
                    "profile {refused} is not one this server runs (allowed: {})",
                    if allowed.is_empty() {
                        "none: the server's default only".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
    }
    let url = text("workflow_url");
    let workflow_file = if let Some(path) = fetched {
        path
    } else if attached.iter().any(|a| a == url) {
        PathBuf::from(url)
    } else if let Some(path) = url.strip_prefix("file://") {
        let path = Path::new(path)
            .canonicalize()
            .map_err(|_| bad(format!("workflow_url {url}: no such file")))?;
        if !runner.options.roots.iter().any(|r| path.starts_with(r)) {
            return Err(WesError(
                StatusCode::FORBIDDEN,
                format!(
                    "workflow_url {url} is outside the directories this server may read (--workflow-root)"
                ),
            ));
        }
        path
    } else if url.is_empty() {
        return Err(bad("workflow_url is missing"));
    } else {
        return Err(bad(format!(
            "workflow_url {url:?}: neither an attached file nor a file:// URL (this server does not fetch workflows over the network)"
        )));
    };
    // The document's `version` line decides; a request that says otherwise (wes-client says
    // "draft-2" of every WDL file) is taken at the document's word, and a document without
    // one (WDL draft-2) is refused.
    let on_disk = if workflow_file.is_absolute() {
        workflow_file.clone()
    } else {
        runner.dir(id).join("workflow").join(&workflow_file)
    };
    let version = document_version(&on_disk).ok_or_else(|| {
        bad(format!(
            "{url}: no `version 1.x` line: WDL draft-2 is not supported (supported: {})",
            VERSIONS.join(", ")
        ))
    })?;
    if !VERSIONS.contains(&version.as_str()) {
        return Err(bad(format!(
            "{url}: WDL version {version} is not supported (supported: {})",
            VERSIONS.join(", ")
        )));
    }
    if asked != version {
        tracing::info!(
            "run {id}: the request says workflow_type_version {asked:?}; the document is version {version}"
        );
    }
    tracing::info!("run {id}: submitted {}", workflow_file.display());
    Ok(json!({
        "workflow_params": params,
        "workflow_type": "WDL",
        "workflow_type_version": version,
        "tags": tags,
        "workflow_engine_parameters": engine,
        "workflow_url": url,
        "workflow_file": workflow_file,
        "profile": profile,
        "cromwell_options": json_field("cromwell_options")?,
    }))
}

/// What a run may read, checked before it is accepted: its documents import only what the
/// server may read or fetch, and its inputs' host paths are under the `--input-root`s or its
/// own directory (the engine checks again, by type, as it runs).
fn check_request(
    runner: &Runner,
    id: &str,
    request: &Value,
    caller: &Caller,
) -> Result<(), WesError> {
    let forbidden = |e: anyhow::Error| WesError(StatusCode::FORBIDDEN, format!("{e:#}"));
    let dir = runner.dir(id);
    let files = dir.join("workflow");
    let workflow = files.join(request["workflow_file"].as_str().unwrap_or_default());
    let mut roots = vec![files.canonicalize().map_err(anyhow::Error::from)?];
    roots.extend(runner.options.roots.iter().cloned());
    crate::fetch::check_imports(&workflow, runner.fetcher.as_ref(), &roots).map_err(forbidden)?;
    // As the run's engine will read them (`ferry run --served`): under the input roots or its
    // own directory, or what its submitter's earlier runs made.
    let allowed = ferry_eval::HostRoots::new(
        std::iter::once(dir.clone()).chain(runner.options.input_roots.iter().cloned()),
    )
    .with_runs_dirs([runner.options.runs_dir.clone()], &caller.0);
    if let Some(params) = request["workflow_params"].as_object() {
        for (key, value) in params {
            if let Some(path) = host_path_outside(value, &files, &allowed) {
                return Err(bad(format!(
                    "input {key}: {path} is outside the directories this server lets runs read (--input-root)"
                )));
            }
        }
    }
    Ok(())
}

/// A string in `value` that names an existing host path (absolute, or climbing with `..`)
/// outside `allowed`, relative ones taken from `base` as the engine takes them. URLs are not
/// paths.
fn host_path_outside(
    value: &Value,
    base: &Path,
    allowed: &ferry_eval::HostRoots,
) -> Option<String> {
    match value {
        Value::String(s) => {
            if s.contains("://") && !s.starts_with("file://") {
                return None;
            }
            let p = Path::new(s.strip_prefix("file://").unwrap_or(s));
            let climbs = p.components().any(|c| c == std::path::Component::ParentDir);
            if !p.is_absolute() && !climbs {
                return None;
            }
            // Only a path that exists here: a String that merely looks like one (a label, a
            // sample name with slashes) is data. A File input that does not exist fails the
            // run anyway, and the engine checks every File and Directory by type.
            let real = base.join(p).canonicalize().ok()?;
            (!allowed.allows(&real)).then(|| s.clone())
        }
        Value::Array(items) => items
            .iter()
            .find_map(|v| host_path_outside(v, base, allowed)),
        Value::Object(m) => m.values().find_map(|v| host_path_outside(v, base, allowed)),
        _ => None,
    }
}

fn valid_profile(p: &str) -> bool {
    !p.is_empty()
        && p.split(',').all(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// The `version` a WDL document declares (its first line that is not blank or a comment).
fn document_version(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let v = line.strip_prefix("version")?.trim();
    (!v.is_empty()).then(|| v.to_string())
}
