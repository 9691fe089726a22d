//! Cromwell's REST API under `/api/workflows/v1` (and `/api/womtool/v1/describe`,
//! `/engine/v1/version`), for the clients built on it (cromshell, Caper, croo's server mode,
//! Terra's wrappers). The same runs, tokens, database and limits as WES: a Cromwell
//! submission is accepted through `wes::accept` and runs as any WES run; only the words and
//! shapes differ (`Submitted`/`Running`/`Succeeded`, `{"id", "status"}`, Cromwell's metadata).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::db::{self, Run};
use crate::runner::{Runner, attachment_path};
use crate::wes::{self, WesError};

/// An error as Cromwell answers it: `{"status": "fail", "message": ...}`.
pub struct CromwellError(StatusCode, String);

impl IntoResponse for CromwellError {
    fn into_response(self) -> Response {
        let status = if self.0.is_server_error() {
            "error"
        } else {
            "fail"
        };
        (self.0, Json(json!({"status": status, "message": self.1}))).into_response()
    }
}

impl From<WesError> for CromwellError {
    fn from(e: WesError) -> Self {
        CromwellError(e.0, e.1)
    }
}

impl From<anyhow::Error> for CromwellError {
    fn from(e: anyhow::Error) -> Self {
        WesError::from(e).into()
    }
}

fn bad(msg: impl Into<String>) -> CromwellError {
    CromwellError(StatusCode::BAD_REQUEST, msg.into())
}

/// The largest a `workflowDependencies` zip may unpack to, and how many files it may hold.
const MAX_DEPENDENCIES_BYTES: u64 = 64 << 20;
const MAX_DEPENDENCIES_FILES: usize = 10_000;

/// Cromwell's status word for a run's WES state.
pub fn status_of(state: &str) -> &'static str {
    ferry_report::cromwell::status_word(state)
}

/// The query string's pairs, repeated keys kept (`includeKey=a&includeKey=b`).
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn values_of(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

/// `GET /engine/v1/version`.
pub async fn version() -> Json<Value> {
    Json(json!({"cromwell": format!("ferry-{}", env!("CARGO_PKG_VERSION"))}))
}

/// `GET /engine/v1/status`: the server is up (its database answered the token check).
pub async fn engine_status() -> Json<Value> {
    Json(json!({}))
}

/// `GET backends`: the profiles a submission may choose (`workflowOptions.backend`).
pub async fn backends(State(runner): State<Arc<Runner>>) -> Json<Value> {
    let default = runner
        .options
        .profile
        .clone()
        .unwrap_or_else(|| "local".to_string());
    let mut supported = vec![default.clone()];
    for p in &runner.options.allowed_profiles {
        if !supported.contains(p) {
            supported.push(p.clone());
        }
    }
    Json(json!({"defaultBackend": default, "supportedBackends": supported}))
}

/// `POST /api/workflows/v1`: a multipart form as Cromwell takes it (`workflowSource` as a
/// file or text, or `workflowUrl`; `workflowInputs` and `workflowInputs_2`..`_5` merged in
/// order; `workflowOptions`; `workflowDependencies`, a zip of what the workflow imports;
/// `labels`; `workflowType`, `workflowTypeVersion`). Answers 201 `{"id", "status":
/// "Submitted"}`.
pub async fn submit(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, CromwellError> {
    let mut form = form.map_err(|e| bad(e.body_text()))?;
    let (id, dir, files) = wes::new_run_dir(&runner, &caller)?;
    let parsed = async {
        let mut source: Option<(String, Vec<u8>)> = None;
        let mut text: BTreeMap<String, String> = BTreeMap::new();
        let mut dependencies: Option<Vec<u8>> = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| bad(format!("not a Cromwell multipart request: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| bad(format!("{name}: {e}")))?
                .to_vec();
            match name.as_str() {
                "workflowSource" => source = Some((file_name.unwrap_or_default(), bytes)),
                "workflowDependencies" => dependencies = Some(bytes),
                _ => {
                    let value = String::from_utf8(bytes)
                        .map_err(|_| bad(format!("{name} is not UTF-8 text")))?;
                    text.insert(name, value);
                }
            }
        }
        if let Some(zip) = dependencies {
            unzip_dependencies(&zip, &files)?;
        }
        let mut fields = Map::new();
        let mut attached = Vec::new();
        match (source, text.get("workflowUrl")) {
            (Some((file_name, bytes)), _) => {
                // Under its own name (imports beside it resolve as they did for the client).
                let base = Path::new(&file_name)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .filter(|n| n.ends_with(".wdl"))
                    .unwrap_or_else(|| "workflow.wdl".to_string());
                let dest = attachment_path(&files, &base)
                    .ok_or_else(|| bad(format!("workflowSource name {file_name:?}")))?;
                std::fs::write(&dest, bytes).map_err(anyhow::Error::from)?;
                fields.insert("workflow_url".into(), json!(base));
                attached.push(base);
            }
            (None, Some(url)) => {
                fields.insert("workflow_url".into(), json!(url));
            }
            (None, None) => return Err(bad("workflowSource or workflowUrl is required")),
        }
        fields.insert("workflow_type".into(), json!("WDL"));
        if let Some(v) = text.get("workflowTypeVersion") {
            fields.insert("workflow_type_version".into(), json!(v));
        }
        fields.insert(
            "workflow_params".into(),
            json!(merged_inputs(&text)?.to_string()),
        );
        let options = confined_options(object_field(&text, "workflowOptions")?, &dir)?;
        if !options.is_empty() {
            // Beside the run's files, never among them (attachments and the dependencies zip
            // go to `workflow/`): only what was checked here reaches the run.
            let path = dir.join(OPTIONS_FILE);
            std::fs::write(&path, Value::Object(options.clone()).to_string())
                .map_err(anyhow::Error::from)?;
        }
        let mut engine = Map::new();
        if let Some(backend) = options.get("backend").and_then(Value::as_str) {
            engine.insert("profile".into(), json!(backend));
        }
        fields.insert(
            "workflow_engine_parameters".into(),
            json!(Value::Object(engine).to_string()),
        );
        fields.insert(
            "cromwell_options".into(),
            json!(Value::Object(options).to_string()),
        );
        let labels = object_field(&text, "labels")?;
        fields.insert("tags".into(), json!(Value::Object(labels).to_string()));
        Ok((fields, attached))
    }
    .await;
    let (fields, attached) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    wes::accept(&runner, &caller, &id, fields, &attached).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "status": "Submitted"})),
    )
        .into_response())
}

/// The workflow options of a Cromwell submission, as its `ferry run --options` reads them.
pub const OPTIONS_FILE: &str = "cromwell-options.json";

/// Options that name where files go: on a server, only inside the run's own directory.
const PATH_OPTIONS: [&str; 3] = [
    "final_workflow_outputs_dir",
    "final_call_logs_dir",
    "final_workflow_log_dir",
];

/// The options with every path option made a path inside the run's directory: a relative path
/// of plain names is taken from there; an absolute path, `..`, or a URL is refused, since the
/// server's user would write there for the client.
fn confined_options(
    mut options: Map<String, Value>,
    run_dir: &Path,
) -> Result<Map<String, Value>, CromwellError> {
    for key in PATH_OPTIONS {
        let Some(value) = options.get(key) else {
            continue;
        };
        let text = value
            .as_str()
            .ok_or_else(|| bad(format!("workflowOptions.{key} must be a string")))?;
        let inside = attachment_path(run_dir, text).ok_or_else(|| {
            CromwellError(
                StatusCode::FORBIDDEN,
                format!(
                    "workflowOptions.{key} {text:?}: this server writes a run's files only inside its own directory; give a relative path"
                ),
            )
        })?;
        options.insert(key.to_string(), json!(inside.display().to_string()));
    }
    Ok(options)
}

/// A form field holding a JSON object (absent: empty).
fn object_field(
    text: &BTreeMap<String, String>,
    key: &str,
) -> Result<Map<String, Value>, CromwellError> {
    match text.get(key).map(|t| t.trim()) {
        None | Some("") => Ok(Map::new()),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(bad(format!("{key} must be a JSON object"))),
            Err(e) => Err(bad(format!("{key} is not JSON: {e}"))),
        },
    }
}

/// `workflowInputs`, then `workflowInputs_2` to `_5`, later keys winning, as Cromwell merges
/// them.
fn merged_inputs(text: &BTreeMap<String, String>) -> Result<Value, CromwellError> {
    let mut merged = Map::new();
    for key in [
        "workflowInputs",
        "workflowInputs_2",
        "workflowInputs_3",
        "workflowInputs_4",
        "workflowInputs_5",
    ] {
        merged.extend(object_field(text, key)?);
    }
    Ok(Value::Object(merged))
}

/// A `workflowDependencies` zip, unpacked into the run's `workflow/`: only regular files with
/// relative names that stay inside it, no links, at most [`MAX_DEPENDENCIES_FILES`] files and
/// [`MAX_DEPENDENCIES_BYTES`] unpacked.
fn unzip_dependencies(zip: &[u8], dir: &Path) -> Result<(), CromwellError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| bad(format!("workflowDependencies is not a zip file: {e}")))?;
    if archive.len() > MAX_DEPENDENCIES_FILES {
        return Err(bad(format!(
            "workflowDependencies holds {} files: at most {MAX_DEPENDENCIES_FILES}",
            archive.len()
        )));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("workflowDependencies: {e}")))?;
        let name = entry.name().to_string();
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() || !entry.is_file() {
            return Err(bad(format!(
                "workflowDependencies: {name} is not a regular file (links are refused)"
            )));
        }
        let dest = attachment_path(dir, &name).ok_or_else(|| {
            bad(format!(
                "workflowDependencies: {name:?} is not a relative path inside the archive"
            ))
        })?;
        let mut bytes = Vec::new();
        // Read at most what is left of the cap, plus one byte to see it was passed: a zip's
        // declared sizes are not to be trusted.
        let left = MAX_DEPENDENCIES_BYTES - total;
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("workflowDependencies: {name}: {e}")))?;
        total += bytes.len() as u64;
        if total > MAX_DEPENDENCIES_BYTES {
            return Err(bad(format!(
                "workflowDependencies unpacks to more than {} MiB",
                MAX_DEPENDENCIES_BYTES >> 20
            )));
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(anyhow::Error::from)?;
        }
        std::fs::write(&dest, bytes).map_err(anyhow::Error::from)?;
    }
    Ok(())
}

fn run_of(runner: &Runner, id: &str, caller: &Caller) -> Result<Run, CromwellError> {
    wes::run_of(runner, id, caller).map_err(|_| {
        CromwellError(
            StatusCode::NOT_FOUND,
            format!("Unrecognized workflow ID: {id}"),
        )
    })
}

/// `GET {id}/status`.
pub async fn status(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, CromwellError> {
    let run = run_of(&runner, &id, &caller)?;
    Ok(Json(json!({"id": run.id, "status": status_of(&run.state)})))
}

/// `GET {id}/outputs`: the workflow's outputs once it has them.
pub async fn outputs(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, CromwellError> {
    let run = run_of(&runner, &id, &caller)?;
    let outputs = run
        .outputs
        .clone()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    Ok(Json(json!({"id": run.id, "outputs": outputs})))
}

/// What the metadata of a server's run starts from: its id, status, times and labels.
fn known(run: &Run) -> ferry_report::cromwell::Known {
    ferry_report::cromwell::Known {
        id: Some(run.id.clone()),
        status: Some(status_of(&run.state).to_string()),
        submission_ms: Some(run.submitted_ms),
        end_ms: run.ended_ms,
        labels: run
            .request
            .get("tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    }
}

fn metadata_of(runner: &Runner, run: &Run, expand: bool) -> Value {
    let mut m =
        ferry_report::cromwell::metadata(&runner.dir(&run.id).join("run"), &known(run), expand);
    // What the run did not get to write (a queued run, a run refused before it started).
    if m["workflowName"].as_str().is_none_or(str::is_empty) {
        m["workflowName"] = json!(workflow_name(runner, run));
    }
    if m["inputs"].as_object().is_none_or(Map::is_empty) {
        m["inputs"] = run
            .request
            .get("workflow_params")
            .cloned()
            .unwrap_or(json!({}));
    }
    if let Some(outputs) = run.outputs.clone().filter(Value::is_object) {
        m["outputs"] = outputs;
    }
    if let Some(ms) = run.started_ms {
        m["start"] = json!(crate::iso_time(ms));
    }
    let text = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_else(|| "{}".into());
    m["submittedFiles"]["options"] = json!(text(run.request.get("cromwell_options")));
    m["submittedFiles"]["labels"] = json!(text(run.request.get("tags")));
    if let Some(url) = run.request.get("workflow_url") {
        m["submittedFiles"]["workflowUrl"] = url.clone();
    }
    m
}

/// `GET {id}/metadata` (`expandSubWorkflows`, `includeKey`, `excludeKey`).
pub async fn metadata(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, CromwellError> {
    let run = run_of(&runner, &id, &caller)?;
    let q = pairs(query.as_deref());
    let expand = values_of(&q, "expandSubWorkflows")
        .iter()
        .any(|v| v.eq_ignore_ascii_case("true"));
    let mut m = metadata_of(&runner, &run, expand);
    ferry_report::cromwell::filter_keys(
        &mut m,
        &values_of(&q, "includeKey"),
        &values_of(&q, "excludeKey"),
    );
    Ok(Json(m))
}

/// `GET {id}/logs`: each call's stdout and stderr, by shard and attempt.
pub async fn logs(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, CromwellError> {
    let run = run_of(&runner, &id, &caller)?;
    let m = metadata_of(&runner, &run, false);
    let mut calls = Map::new();
    for (name, entries) in m["calls"].as_object().into_iter().flatten() {
        let logs: Vec<Value> = entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e.get("stdout").is_some())
            .map(|e| {
                json!({"stdout": e["stdout"], "stderr": e["stderr"], "shardIndex": e["shardIndex"], "attempt": e["attempt"]})
            })
            .collect();
        calls.insert(name.clone(), Value::Array(logs));
    }
    Ok(Json(json!({"id": run.id, "calls": calls})))
}

/// `POST {id}/abort`: a queued run is aborted at once, a running one is being aborted; a run
/// that ended cannot be.
pub async fn abort(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, CromwellError> {
    let run = run_of(&runner, &id, &caller)?;
    if db::is_final(&run.state) {
        return Err(CromwellError(
            StatusCode::FORBIDDEN,
            format!(
                "Couldn't abort {id} because it is in a terminal state: {}",
                status_of(&run.state)
            ),
        ));
    }
    runner.cancel(&id)?;
    let now = run_of(&runner, &id, &caller)?;
    Ok(Json(json!({"id": id, "status": status_of(&now.state)})))
}

/// `GET {id}/labels`.
pub async fn labels(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, CromwellError> {
    let run = run_of(&runner, &id, &caller)?;
    Ok(Json(json!({"id": run.id, "labels": known(&run).labels})))
}

/// `PATCH {id}/labels`: a JSON object of string labels, added to (or replacing) the run's.
pub async fn update_labels(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, CromwellError> {
    let mut run = run_of(&runner, &id, &caller)?;
    let new: Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(Value::Object(m)) if m.values().all(Value::is_string) => m,
        _ => return Err(bad("labels must be a JSON object of strings")),
    };
    let mut labels = known(&run).labels;
    labels.extend(new);
    run.request["tags"] = Value::Object(labels.clone());
    runner.save(&run)?;
    Ok(Json(json!({"id": run.id, "labels": labels})))
}

/// The workflow's name: as its engine recorded it, else the document's file name.
fn workflow_name(runner: &Runner, run: &Run) -> String {
    std::fs::read_to_string(runner.dir(&run.id).join("run").join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["workflow"].as_str().map(str::to_string))
        .or_else(|| {
            run.request
                .get("workflow_file")
                .and_then(Value::as_str)
                .and_then(|f| Path::new(f).file_stem())
                .map(|s| s.to_string_lossy().to_string())
        })
        .unwrap_or_default()
}

/// A query's filters: statuses, names, ids, `label` pairs (`key:value`, all must match;
/// `labelor` any), times (`submission`, `start`, `end`: ISO 8601, runs at or after / before).
fn query_matches(runner: &Runner, run: &Run, q: &[(String, String)]) -> bool {
    let status = status_of(&run.state);
    let name = workflow_name(runner, run);
    let labels = known(run).labels;
    let label_holds = |pair: &str| {
        pair.split_once(':')
            .is_some_and(|(k, v)| labels.get(k).and_then(Value::as_str) == Some(v))
    };
    let time = |key: &str| -> Option<u64> {
        values_of(q, key)
            .first()
            .and_then(|t| humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
    };
    let statuses = values_of(q, "status");
    let names = values_of(q, "name");
    let ids = values_of(q, "id");
    let ors = values_of(q, "labelor");
    (statuses.is_empty() || statuses.iter().any(|s| s == status))
        && (names.is_empty() || names.contains(&name))
        && (ids.is_empty() || ids.contains(&run.id))
        && values_of(q, "label").iter().all(|l| label_holds(l))
        && (ors.is_empty() || ors.iter().any(|l| label_holds(l)))
        && time("submission").is_none_or(|t| run.submitted_ms >= t)
        && time("start").is_none_or(|t| run.started_ms.is_some_and(|s| s >= t))
        && time("end").is_none_or(|t| run.ended_ms.is_some_and(|e| e <= t))
}

/// `GET query`: the caller's runs matching the filters, newest first, a page at a time
/// (`page` from 1, `pagesize`).
pub async fn query(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, CromwellError> {
    let q = pairs(raw.as_deref());
    let number = |key: &str, default: usize| {
        values_of(&q, key)
            .first()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let (page, size) = (
        number("page", 1).max(1),
        number("pagesize", 1000).clamp(1, 10_000),
    );
    let all = runner.db.page(&caller.0, 0, usize::MAX >> 1)?;
    let matching: Vec<&Run> = all
        .iter()
        .filter(|r| query_matches(&runner, r, &q))
        .collect();
    let extra = values_of(&q, "additionalQueryResultFields");
    let results: Vec<Value> = matching
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|r| {
            let mut row = json!({
                "id": r.id,
                "name": workflow_name(&runner, r),
                "status": status_of(&r.state),
                "submission": crate::iso_time(r.submitted_ms),
                "metadataArchiveStatus": "Unarchived",
            });
            if let Some(ms) = r.started_ms {
                row["start"] = json!(crate::iso_time(ms));
            }
            if let Some(ms) = r.ended_ms {
                row["end"] = json!(crate::iso_time(ms));
            }
            if extra.iter().any(|e| e == "labels") {
                row["labels"] = Value::Object(known(r).labels);
            }
            row
        })
        .collect();
    Ok(Json(
        json!({"results": results, "totalResultsCount": matching.len()}),
    ))
}

/// `POST /api/womtool/v1/describe`: whether the workflow (`workflowSource`, or `workflowUrl`
/// under the server's allowed roots) is valid, its inputs and outputs, and with
/// `workflowInputs` whether those inputs fit it. The document is checked by `ferry inputs`
/// in a directory of its own, after its imports are checked as a run's are.
pub async fn describe(
    State(runner): State<Arc<Runner>>,
    Extension(caller): Extension<Caller>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, CromwellError> {
    let mut form = form.map_err(|e| bad(e.body_text()))?;
    let scratch = runner
        .options
        .runs_dir
        .join(".describe")
        .join(crate::new_run_id());
    std::fs::create_dir_all(&scratch).map_err(anyhow::Error::from)?;
    let result = async {
        let mut source = None;
        let mut inputs = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| bad(format!("not a multipart request: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| bad(format!("{name}: {e}")))?;
            match name.as_str() {
                "workflowSource" => source = Some(bytes.to_vec()),
                "workflowInputs" => inputs = Some(bytes.to_vec()),
                _ => {}
            }
        }
        let source = source.ok_or_else(|| bad("workflowSource is required"))?;
        let file = scratch.join("workflow.wdl");
        std::fs::write(&file, source).map_err(anyhow::Error::from)?;
        let mut roots = vec![scratch.canonicalize().map_err(anyhow::Error::from)?];
        roots.extend(runner.options.roots.iter().cloned());
        if let Err(e) = crate::fetch::check_imports(&file, runner.fetcher.as_ref(), &roots) {
            return Ok(invalid(vec![format!("{e:#}")]));
        }
        let _ = caller;
        let out = tokio::process::Command::new(&runner.options.ferry)
            .args(["inputs", "--compat", "cromwell", "--format", "json"])
            .arg(&file)
            .current_dir(&scratch)
            .env_remove("FERRY_LOG")
            .output()
            .await
            .map_err(anyhow::Error::from)?;
        if !out.status.success() {
            let errors = String::from_utf8_lossy(&out.stderr)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.replace(&format!("{}/", scratch.display()), ""))
                .collect();
            return Ok(invalid(errors));
        }
        let template: Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let mut errors = Vec::new();
        if let Some(given) = inputs {
            match serde_json::from_slice::<Value>(&given) {
                Ok(Value::Object(given)) => {
                    for key in given.keys() {
                        if !template.contains_key(key) {
                            errors.push(format!("Unexpected input provided: {key}"));
                        }
                    }
                    for (key, ty) in &template {
                        let optional = ty.as_str().is_some_and(|t| t.contains("(optional"));
                        if !optional && !given.contains_key(key) {
                            errors.push(format!("Required workflow input '{key}' not specified"));
                        }
                    }
                }
                _ => errors.push("workflowInputs is not a JSON object".to_string()),
            }
        }
        let name = template
            .keys()
            .next()
            .and_then(|k| k.split('.').next())
            .unwrap_or_default()
            .to_string();
        let inputs: Vec<Value> = template
            .iter()
            .map(|(key, ty)| {
                let text = ty.as_str().unwrap_or_default();
                json!({
                    "name": key.split_once('.').map_or(key.as_str(), |(_, n)| n),
                    "valueType": {"typeName": text.split(" (").next().unwrap_or(text)},
                    "typeDisplayName": text.split(" (").next().unwrap_or(text),
                    "optional": text.contains("(optional"),
                    "default": Value::Null,
                })
            })
            .collect();
        Ok(json!({
            "valid": errors.is_empty(),
            "errors": errors,
            "validWorkflow": true,
            "name": name,
            "inputs": inputs,
            "outputs": [],
            "images": [],
            "submittedDescriptorType": {"descriptorType": "WDL", "descriptorTypeVersion": "1.0"},
            "importedDescriptorTypes": [],
            "meta": {},
            "parameterMeta": {},
            "isRunnableWorkflow": true,
        }))
    }
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    result.map(Json)
}

fn invalid(errors: Vec<String>) -> Value {
    json!({
        "valid": false,
        "errors": errors,
        "validWorkflow": false,
        "inputs": [],
        "outputs": [],
        "isRunnableWorkflow": false,
    })
}
