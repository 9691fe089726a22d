//! A run in Cromwell's metadata shape (`GET /api/workflows/v1/{id}/metadata`), for the tools
//! built on it: croo reads `metadata.json`, cromshell the API. Made from what every run
//! directory holds: `run.json`, `inputs.json`, `outputs.json`, `state`, the journal, and the
//! attempt directories of calls still running.
//!
//! Calls are keyed `workflow.call` with one entry per shard and attempt; a call inside a
//! sub-workflow call (`sub.align` in the journal) is an attempt of the sub-workflow's own
//! metadata, under the sub-workflow call's entry (`subWorkflowMetadata`, when expanded).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::journal::{self, Attempt, Event};

/// Cromwell's words for a run's state, from Ferry's `state` file (or a server's WES state).
pub fn status_word(state: &str) -> &'static str {
    match state {
        "succeeded" | "COMPLETE" => "Succeeded",
        "failed" | "EXECUTOR_ERROR" | "SYSTEM_ERROR" => "Failed",
        "cancelled" | "CANCELED" => "Aborted",
        "CANCELING" => "Aborting",
        "QUEUED" => "Submitted",
        _ => "Running",
    }
}

/// ISO 8601 with milliseconds, UTC, as Cromwell writes times.
pub fn iso(ms: u64) -> String {
    let day = crate::utc(ms);
    // `YYYY-MM-DD HH:MM:SS UTC` → `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    let stamp = day.trim_end_matches(" UTC").replacen(' ', "T", 1);
    format!("{stamp}.{:03}Z", ms % 1000)
}

/// What the caller knows of the run beyond its directory (a server: its id and state).
#[derive(Default)]
pub struct Known {
    pub id: Option<String>,
    /// Cromwell's status word, overriding the run directory's `state`.
    pub status: Option<String>,
    pub submission_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub labels: Map<String, Value>,
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The shard of an attempt directory (`calls/x/shard-3.attempt-1`, `…/shards-1000/shard-1001
/// .attempt-2`, nested `calls/x/shard-2/shard-0.attempt-1`: the innermost), -1 outside a
/// scatter.
pub fn shard_index(dir: &str) -> i64 {
    let name = dir.rsplit('/').next().unwrap_or_default();
    name.strip_prefix("shard-")
        .and_then(|rest| rest.split('.').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1)
}

/// One entry of a call's list: an attempt that ended, as the journal says.
fn ended_entry(
    run_dir: &Path,
    a: &Attempt,
    retried: bool,
    outputs: &std::collections::HashMap<String, Value>,
) -> Value {
    let dir = run_dir.join(&a.dir);
    let status = match a.event {
        Event::Cached => "Done",
        Event::Done if a.exit == 0 => "Done",
        _ if retried => "RetryableFailure",
        _ => "Failed",
    };
    let return_code = match a.event {
        Event::Done => json!(a.exit),
        _ => Value::Null,
    };
    let mut entry = json!({
        "shardIndex": shard_index(&a.dir),
        "attempt": a.number,
        "executionStatus": status,
        "returnCode": return_code,
        "stdout": dir.join("stdout").display().to_string(),
        "stderr": dir.join("stderr").display().to_string(),
        "callRoot": dir.display().to_string(),
        // What a backend's own log of the job would be: the task's stderr (cromshell `logs`).
        "backendLogs": {"log": dir.join("stderr").display().to_string()},
        "start": iso(a.start_ms),
        "end": iso(a.end_ms()),
        "backend": "Ferry",
        "jobId": a.dir,
        "runtimeAttributes": {
            "cpu": format!("{}", a.cpu),
            "memory": format!("{} MiB", a.memory_mib),
        },
        "callCaching": {
            "hit": a.event == Event::Cached,
            "allowResultReuse": true,
            "effectiveCallCachingMode": "ReadAndWriteCache",
        },
        "executionEvents": [{
            "description": if a.event == Event::Cached { "CallCacheReading" } else { "RunningJob" },
            "startTime": iso(a.start_ms),
            "endTime": iso(a.end_ms()),
        }],
    });
    if let Some(task) = &a.task {
        entry["taskName"] = json!(task);
    }
    if status == "Failed" {
        let why = match a.event {
            Event::Oom => "was killed for exceeding its memory".to_string(),
            Event::Lost => "was lost by its executor".to_string(),
            Event::Preempted => "was preempted".to_string(),
            _ => format!(
                "exited with return code {} which has not been declared as a valid return code",
                a.exit
            ),
        };
        entry["failures"] = json!([{
            "message": format!("Job {}:{}:{} {why}", a.call, shard_index(&a.dir), a.number),
            "causedBy": [],
        }]);
    }
    if let Some(outputs) = outputs.get(&a.dir) {
        entry["outputs"] = outputs.clone();
    }
    entry
}

/// Each call's outputs by its attempt directory (`call-outputs.jsonl`).
fn call_outputs(run_dir: &Path) -> std::collections::HashMap<String, Value> {
    let text = std::fs::read_to_string(run_dir.join("call-outputs.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v["attempt"].as_str()?.to_string(), v["outputs"].clone())))
        .collect()
}

/// Attempts under way: an attempt directory the journal has no line for, with its command
/// written (`RUN/calls/<call>/[shards-N/]shard-I.attempt-K`, or `attempt-K` outside a scatter).
fn running_entries(
    run_dir: &Path,
    ended: &std::collections::HashSet<&str>,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let calls = run_dir.join("calls");
    let mut stack = vec![calls.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = e.file_name().to_string_lossy().to_string();
            let Some(number) = name
                .rsplit_once("attempt-")
                .and_then(|(_, n)| n.parse::<u32>().ok())
            else {
                stack.push(path);
                continue;
            };
            let Ok(rel) = path.strip_prefix(run_dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().to_string();
            if ended.contains(rel.as_str()) || !path.join("command").exists() {
                continue;
            }
            // `calls/<call path>/[shard dirs/]<attempt>`: the call is what is not a shard.
            let call: Vec<&str> = rel
                .split('/')
                .skip(1)
                .filter(|c| !c.starts_with("shard-") && !c.starts_with("shards-"))
                .filter(|c| !c.contains("attempt-"))
                .collect();
            let started = std::fs::metadata(path.join("command"))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as u64);
            out.push((
                call.join("."),
                json!({
                    "shardIndex": shard_index(&rel),
                    "attempt": number,
                    "executionStatus": "Running",
                    "stdout": path.join("stdout").display().to_string(),
                    "stderr": path.join("stderr").display().to_string(),
                    "callRoot": path.display().to_string(),
                    "backendLogs": {"log": path.join("stderr").display().to_string()},
                    "start": iso(started),
                    "backend": "Ferry",
                    "jobId": rel,
                    "callCaching": {"hit": false},
                    "executionEvents": [{"description": "RunningJob", "startTime": iso(started)}],
                }),
            ));
        }
    }
    out
}

/// The metadata of the run in `run_dir`, sub-workflows expanded or not.
pub fn metadata(run_dir: &Path, known: &Known, expand_sub_workflows: bool) -> Value {
    let run = read_json(&run_dir.join("run.json")).unwrap_or_default();
    let workflow = run["workflow"].as_str().unwrap_or_default().to_string();
    let state = std::fs::read_to_string(run_dir.join("state")).unwrap_or_default();
    let status = known
        .status
        .clone()
        .unwrap_or_else(|| status_word(state.trim()).to_string());
    let id = known.id.clone().unwrap_or_else(|| {
        std::fs::read_to_string(run_dir.join("run-id"))
            .unwrap_or_default()
            .trim()
            .to_string()
    });
    let text = std::fs::read_to_string(run_dir.join("attempts.tsv")).unwrap_or_default();
    let attempts = journal::parse(&text);
    // An attempt is retried when a later one of the same call and shard exists.
    let mut last: BTreeMap<(String, i64), u32> = BTreeMap::new();
    for a in &attempts {
        let key = (a.call.clone(), shard_index(&a.dir));
        let n = last.entry(key).or_default();
        *n = (*n).max(a.number);
    }
    let outputs_by_attempt = call_outputs(run_dir);
    let mut calls: Vec<(String, Value)> = attempts
        .iter()
        .map(|a| {
            let retried = last
                .get(&(a.call.clone(), shard_index(&a.dir)))
                .is_some_and(|n| *n > a.number);
            (
                a.call.clone(),
                ended_entry(run_dir, a, retried, &outputs_by_attempt),
            )
        })
        .collect();
    if status == "Running" || status == "Aborting" {
        let ended = attempts.iter().map(|a| a.dir.as_str()).collect();
        calls.extend(running_entries(run_dir, &ended));
    }
    let inputs = read_json(&run_dir.join("inputs.json")).unwrap_or(json!({}));
    let outputs = read_json(&run_dir.join("outputs.json")).unwrap_or(json!({}));
    let started = run["started_ms"].as_u64();
    let end = known.end_ms.or_else(|| {
        (status != "Running" && status != "Submitted")
            .then(|| {
                std::fs::metadata(run_dir.join("state"))
                    .and_then(|m| m.modified())
                    .ok()
            })
            .flatten()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
    });
    let mut labels = known.labels.clone();
    labels
        .entry("cromwell-workflow-id")
        .or_insert(json!(format!("cromwell-{id}")));
    let mut top = json!({
        "id": id,
        "workflowName": workflow,
        "status": status,
        "workflowRoot": run_dir.display().to_string(),
        "actualWorkflowLanguage": "WDL",
        "inputs": unprefixed(&inputs, &workflow),
        "outputs": outputs,
        "labels": labels,
        "calls": nest(&workflow, calls, expand_sub_workflows, &id),
    });
    // What was submitted, as Cromwell keeps it (croo reads the workflow and inputs from here).
    let wdl = run["wdl"].as_str().unwrap_or_default();
    top["submittedFiles"] = json!({
        "workflow": std::fs::read_to_string(wdl).unwrap_or_default(),
        "root": "",
        "workflowUrl": wdl,
        "inputs": inputs.to_string(),
        "options": "{}",
        "labels": Value::Object(known.labels.clone()).to_string(),
    });
    if let Some(ms) = known.submission_ms.or(started) {
        top["submission"] = json!(iso(ms));
    }
    if let Some(ms) = started {
        top["start"] = json!(iso(ms));
    }
    if let Some(ms) = end {
        top["end"] = json!(iso(ms));
    }
    if status == "Failed" {
        let caused: Vec<Value> = top["calls"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .filter(|e| e["executionStatus"] == "Failed")
            .flat_map(|e| e["failures"].as_array().cloned().unwrap_or_default())
            .collect();
        top["failures"] = json!([{"message": "Workflow failed", "causedBy": caused}]);
    }
    top
}

/// Cromwell keys a workflow's inputs by name alone (`x`, `call.x`), not `workflow.x`.
fn unprefixed(inputs: &Value, workflow: &str) -> Value {
    let prefix = format!("{workflow}.");
    match inputs.as_object() {
        Some(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.strip_prefix(&prefix).unwrap_or(k).to_string(), v.clone()))
                .collect(),
        ),
        None => json!({}),
    }
}

/// Calls keyed `workflow.call`, each list by shard then attempt; `sub.call` entries become
/// the metadata of the sub-workflow call `sub` (expanded) or its id alone.
fn nest(workflow: &str, calls: Vec<(String, Value)>, expand: bool, id: &str) -> Value {
    let mut direct: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut inner: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (call, entry) in calls {
        match call.split_once('.') {
            Some((sub, rest)) => inner
                .entry(sub.to_string())
                .or_default()
                .push((rest.to_string(), entry)),
            None => direct.entry(call).or_default().push(entry),
        }
    }
    let mut out = Map::new();
    for (call, mut entries) in direct {
        entries.sort_by_key(|e| (e["shardIndex"].as_i64(), e["attempt"].as_u64()));
        out.insert(format!("{workflow}.{call}"), Value::Array(entries));
    }
    for (sub, entries) in inner {
        let sub_id = format!("{id}-{sub}");
        let failed = entries
            .iter()
            .any(|(_, e)| e["executionStatus"] == "Failed");
        let running = entries
            .iter()
            .any(|(_, e)| e["executionStatus"] == "Running");
        let status = if failed {
            "Failed"
        } else if running {
            "Running"
        } else {
            "Done"
        };
        let mut entry = json!({
            "shardIndex": -1,
            "attempt": 1,
            "executionStatus": status,
            "subWorkflowId": sub_id,
        });
        if expand {
            entry["subWorkflowMetadata"] = json!({
                "id": sub_id,
                "workflowName": sub,
                "status": match status { "Done" => "Succeeded", s => s },
                "calls": nest(&sub, entries, expand, &sub_id),
            });
        }
        out.insert(format!("{workflow}.{sub}"), json!([entry]));
    }
    Value::Object(out)
}

/// `includeKey` / `excludeKey` as Cromwell applies them: to the workflow's keys and to each
/// call entry's (`id`, `calls` and a call's `shardIndex`/`attempt` are always kept when
/// anything is included).
pub fn filter_keys(metadata: &mut Value, include: &[String], exclude: &[String]) {
    if include.is_empty() && exclude.is_empty() {
        return;
    }
    let keep = |k: &str, structural: &[&str]| {
        (include.is_empty() || include.iter().any(|i| i == k) || structural.contains(&k))
            && !exclude.iter().any(|e| e == k)
    };
    if let Some(top) = metadata.as_object_mut() {
        top.retain(|k, _| keep(k, &["id", "calls"]));
        if let Some(calls) = top.get_mut("calls").and_then(Value::as_object_mut) {
            for entries in calls.values_mut() {
                for e in entries.as_array_mut().into_iter().flatten() {
                    if let Some(sub) = e.get_mut("subWorkflowMetadata") {
                        filter_keys(sub, include, exclude);
                    }
                    if let Some(m) = e.as_object_mut() {
                        m.retain(|k, _| {
                            keep(
                                k,
                                &[
                                    "shardIndex",
                                    "attempt",
                                    "subWorkflowMetadata",
                                    "subWorkflowId",
                                ],
                            )
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_come_from_the_innermost_shard_of_an_attempt_directory() {
        assert_eq!(shard_index("calls/x/attempt-1"), -1);
        assert_eq!(shard_index("calls/x/shard-3.attempt-2"), 3);
        assert_eq!(
            shard_index("calls/x/shards-1000/shard-1001.attempt-1"),
            1001
        );
        assert_eq!(shard_index("calls/x/shard-2/shard-0.attempt-1"), 0);
    }

    #[test]
    fn times_are_iso_with_milliseconds() {
        assert_eq!(iso(1_765_000_000_123), "2025-12-06T05:46:40.123Z");
    }

    #[test]
    fn include_key_keeps_what_was_asked_and_the_structure() {
        let mut m = json!({
            "id": "x", "status": "Running", "inputs": {},
            "calls": {"w.a": [{"shardIndex": -1, "attempt": 1, "executionStatus": "Done", "stdout": "/o"}]}
        });
        filter_keys(&mut m, &["status".into(), "executionStatus".into()], &[]);
        assert_eq!(
            m,
            json!({"id": "x", "status": "Running",
                "calls": {"w.a": [{"shardIndex": -1, "attempt": 1, "executionStatus": "Done"}]}})
        );
        filter_keys(&mut m, &[], &["calls".into()]);
        assert_eq!(m, json!({"id": "x", "status": "Running"}));
    }
}
