//! Cromwell's workflow options (`ferry run --options options.json`, and the Cromwell API's
//! `workflowOptions`): each applied as what it means here. Before the run they change the
//! profile (`default_runtime_attributes`, `workflow_failure_mode`) and the call cache's use
//! (`read_from_cache`, `write_to_cache`); after it, outputs and logs are copied where they say
//! (`final_workflow_outputs_dir`, `final_call_logs_dir`, `final_workflow_log_dir`). Options
//! that only mean something to Cromwell's Google backend are warned about once and ignored, as
//! are keys Cromwell does not know.

use super::*;
use serde_json::Value;

/// Keys of Google's Pipelines API backends: nothing to do here.
const GOOGLE_ONLY: &[&str] = &[
    "jes_gcs_root",
    "google_project",
    "google_compute_service_account",
    "google_labels",
    "refresh_token",
    "user_service_account_json",
    "auth_bucket",
    "monitoring_image",
    "monitoring_image_script",
    "enable_ssh_access",
    "google_legacy_machine_selection",
];

/// Keys Cromwell takes that Ferry does not act on yet.
const NOT_YET: &[&str] = &[
    "delete_intermediate_output_files",
    "monitoring_script",
    "workflow_callback_uri",
    "call_cache_hit_path_prefixes",
    "checkpoint_file",
];

/// What the options ask of the run's end.
#[derive(Debug, Default, Clone)]
pub(crate) struct WorkflowOptions {
    pub(crate) outputs_dir: Option<String>,
    pub(crate) relative_output_paths: bool,
    pub(crate) call_logs_dir: Option<String>,
    pub(crate) workflow_log_dir: Option<String>,
    pub(crate) cache_reads: bool,
    pub(crate) cache_writes: bool,
}

fn warn(message: String) {
    errln!("ferry: workflow options: {message}");
}

/// Reads `path` and applies what it says to `profile`.
pub(crate) fn apply(
    path: Option<&Path>,
    profile: &mut ferry_config::Profile,
) -> Result<WorkflowOptions, String> {
    let mut options = WorkflowOptions {
        cache_reads: true,
        cache_writes: true,
        ..Default::default()
    };
    let Some(path) = path else {
        return Ok(options);
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let Value::Object(map) = json else {
        return Err(format!("{}: must be a JSON object", path.display()));
    };
    let text_of = |k: &str, v: &Value| -> Result<String, String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{k} must be a string, not {v}"))
    };
    let flag = |k: &str, v: &Value| -> Result<bool, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
            _ => Err(format!("{k} must be true or false, not {v}")),
        }
    };
    let mut ignored = Vec::new();
    for (key, value) in &map {
        match key.as_str() {
            "final_workflow_outputs_dir" => options.outputs_dir = Some(text_of(key, value)?),
            "use_relative_output_paths" => options.relative_output_paths = flag(key, value)?,
            "final_call_logs_dir" => options.call_logs_dir = Some(text_of(key, value)?),
            "final_workflow_log_dir" => options.workflow_log_dir = Some(text_of(key, value)?),
            "read_from_cache" => options.cache_reads = flag(key, value)?,
            "write_to_cache" => options.cache_writes = flag(key, value)?,
            "workflow_failure_mode" => match value.as_str() {
                Some("ContinueWhilePossible") => {
                    profile.failure_mode = ferry_config::FailureMode::Continue
                }
                Some("NoNewCalls") => profile.failure_mode = ferry_config::FailureMode::Stop,
                _ => {
                    return Err(format!(
                        "workflow_failure_mode must be ContinueWhilePossible or NoNewCalls, not {value}"
                    ));
                }
            },
            "memory_retry_multiplier" => match value.as_f64() {
                Some(f) if (1.0..=99.0).contains(&f) => profile.oom_memory_factor = f,
                _ => {
                    return Err(format!(
                        "memory_retry_multiplier must be a number from 1, not {value}"
                    ));
                }
            },
            "default_runtime_attributes" => runtime_defaults(value, profile)?,
            // Chose the profile (by the server); nothing more to do.
            "backend" => {}
            k if GOOGLE_ONLY.contains(&k) => ignored.push(k.to_string()),
            k if NOT_YET.contains(&k) => {
                warn(format!("{k} is not supported yet; ignored"));
            }
            k => warn(format!("unknown option {k:?}; ignored")),
        }
    }
    if !ignored.is_empty() {
        warn(format!(
            "{} only mean(s) something to Cromwell's Google backend; ignored",
            ignored.join(", ")
        ));
    }
    if options.relative_output_paths && options.outputs_dir.is_none() {
        warn("use_relative_output_paths without final_workflow_outputs_dir does nothing".into());
    }
    Ok(options)
}

/// `default_runtime_attributes`: what a task gets when its runtime section does not say.
fn runtime_defaults(value: &Value, profile: &mut ferry_config::Profile) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err("default_runtime_attributes must be a JSON object".into());
    };
    let number = |k: &str, v: &Value| -> Result<f64, String> {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or_else(|| format!("default_runtime_attributes.{k} must be a number, not {v}"))
    };
    for (key, v) in map {
        match key.as_str() {
            "docker" | "container" => {
                profile.default_image = Some(
                    v.as_str()
                        .ok_or_else(|| {
                            format!("default_runtime_attributes.{key} must be a string")
                        })?
                        .to_string(),
                )
            }
            "maxRetries" => profile.retries = Some(number(key, v)? as u32),
            "preemptible" => profile.spot_retries = number(key, v)? as u32,
            "cpu" => profile.cpu = Some(number(key, v)?),
            "memory" => {
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                profile.memory = Some(
                    ferry_config::parse_size(&text)
                        .map_err(|e| format!("default_runtime_attributes.memory {text:?}: {e}"))?,
                );
            }
            other => warn(format!(
                "default_runtime_attributes.{other} is not applied here; ignored"
            )),
        }
    }
    Ok(())
}

impl WorkflowOptions {
    /// After the run: call logs and the workflow's log copied whatever the outcome, outputs
    /// only on success. A copy that fails fails the run (as it does on Cromwell).
    pub(crate) async fn after_run(
        &self,
        shared: &Shared,
        result: &Result<serde_json::Value, ferry_engine::RunError>,
        workflow: &str,
        run_id: &str,
    ) -> Result<(), String> {
        let run_dir = &shared.run_dir;
        let copy = async |from: &Path, to: String| -> Result<(), String> {
            shared
                .storage
                .publish(from, &to)
                .await
                .map(|_| ())
                .map_err(|e| format!("cannot copy {} to {to}: {e:#}", from.display()))
        };
        if let Some(dir) = &self.call_logs_dir {
            let text = std::fs::read_to_string(run_dir.join(ferry_engine::journal::FILE_NAME))
                .unwrap_or_default();
            for a in ferry_report::journal::parse(&text) {
                if a.event == ferry_report::journal::Event::Cached {
                    continue;
                }
                let attempt = run_dir.join(&a.dir);
                let shard = ferry_report::cromwell::shard_index(&a.dir);
                let mut to = format!(
                    "{}/{workflow}/{run_id}/call-{}",
                    dir.trim_end_matches('/'),
                    a.call
                );
                if shard >= 0 {
                    to.push_str(&format!("/shard-{shard}"));
                }
                to.push_str(&format!("/attempt-{}", a.number));
                for which in ["stdout", "stderr"] {
                    let from = attempt.join(which);
                    if from.is_file() {
                        copy(&from, format!("{to}/{which}")).await?;
                    }
                }
            }
        }
        if let Some(dir) = &self.workflow_log_dir {
            let log = run_dir.join("ferry.log");
            if log.is_file() {
                copy(
                    &log,
                    format!("{}/workflow.{run_id}.log", dir.trim_end_matches('/')),
                )
                .await?;
            }
        }
        if let (Some(dir), Ok(outputs)) = (&self.outputs_dir, result) {
            let out = run_dir.join("out");
            let mut seen = std::collections::HashMap::new();
            let mut files = Vec::new();
            published_files(outputs, &mut files);
            for file in files {
                let path = Path::new(&file);
                let dest = if self.relative_output_paths {
                    let base = path
                        .file_name()
                        .map(|b| b.to_string_lossy().to_string())
                        .unwrap_or_default();
                    format!("{}/{base}", dir.trim_end_matches('/'))
                } else {
                    let rel = path
                        .strip_prefix(&out)
                        .unwrap_or_else(|_| Path::new(path.file_name().unwrap_or_default()));
                    format!(
                        "{}/{workflow}/{run_id}/{}",
                        dir.trim_end_matches('/'),
                        rel.to_string_lossy().trim_start_matches('/')
                    )
                };
                if let Some(other) = seen.insert(dest.clone(), file.clone())
                    && other != file
                {
                    return Err(format!(
                        "use_relative_output_paths: {other} and {file} would both be copied to {dest}"
                    ));
                }
                copy(path, dest).await?;
            }
        }
        Ok(())
    }
}

/// The files of the outputs JSON that the run published (under `out`, or the profile's
/// `output_dir`): strings naming them.
fn published_files(v: &Value, files: &mut Vec<String>) {
    match v {
        Value::String(s) if Path::new(s).is_absolute() && Path::new(s).is_file() => {
            files.push(s.clone())
        }
        Value::Array(items) => items.iter().for_each(|i| published_files(i, files)),
        Value::Object(m) => m.values().for_each(|i| published_files(i, files)),
        _ => {}
    }
}
