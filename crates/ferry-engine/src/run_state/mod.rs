//! A run's state in the object store, beside its jobs' data, so that the run outlives the
//! machine that started it: `ferry run WF --resume RUN_ID` on any machine with the profile
//! rebuilds the run directory from it and goes on.
//!
//! Layout, for a run whose jobs' data is under `WORK/<name>/` (`ferry_exec::run_prefix`):
//! - `WORK/.ferry-runs/<run id>.json`: the pointer, found by run id (`ferry runs` lists them):
//!   the run's prefix, workflow, host, start and state;
//! - `WORK/<name>/.ferry/lease`: which engine drives the run ([`owner`]);
//! - `WORK/<name>/.ferry/run/`: `run.json`, `inputs.json`, `outputs.json`, `run-id`,
//!   `run-name` as written in the run directory; for a detached run, its workflow's sources and
//!   how it was started ([`detached`]);
//! - `WORK/<name>/.ferry/journal/`: the attempt journal, as segments of the lines appended
//!   since the last ([`ship`]), and `attempts.tsv`, all of it, when an engine ends;
//! - `WORK/<name>/.ferry/batch/`: the Batch submission records, written before each SubmitJob
//!   (by the executor), attempt directories relative to the run directory.
//!
//! The local run directory stays the working copy; what is here is what rebuilds it.

use std::path::Path;
use std::sync::Arc;

use ferry_storage::ObjectStorage;

pub mod detached;
pub mod owner;
pub mod ship;

/// The files of the run directory kept under `run/`, as they are.
const RUN_FILES: &[&str] = &[
    "run.json",
    "inputs.json",
    "outputs.json",
    crate::RUN_ID_FILE,
    RUN_NAME_FILE,
];

/// Under the run's state: the progress line's counts, and a request to stop.
const PROGRESS: &str = "progress.json";
const CANCEL: &str = "cancel";

/// The run's name in its work directory: the name its run directory was first given.
pub const RUN_NAME_FILE: &str = "run-name";

/// Where one run's state is kept in the store.
#[derive(Clone)]
pub struct RunHome {
    pub storage: Arc<ObjectStorage>,
    /// The work directory, ending in `/`.
    pub work_dir: String,
    pub run_id: String,
    /// `WORK/<name>/`.
    pub prefix: String,
}

impl RunHome {
    pub fn new(storage: Arc<ObjectStorage>, work_dir: &str, run_id: &str, run_name: &str) -> Self {
        RunHome {
            storage,
            work_dir: format!("{}/", work_dir.trim_end_matches('/')),
            run_id: run_id.to_string(),
            prefix: ferry_exec::run_prefix(work_dir, run_name),
        }
    }

    /// `WORK/<name>/.ferry/`.
    pub fn state(&self) -> String {
        format!("{}{}", self.prefix, ferry_exec::STATE_HOME)
    }

    pub fn pointer(&self) -> String {
        pointer_url(&self.work_dir, &self.run_id)
    }

    /// Writes the pointer (the run's prefix, workflow, host, start and `state`).
    pub async fn write_pointer(&self, workflow: &str, state: &str) -> Result<(), String> {
        let pointer = serde_json::json!({
            "run_id": self.run_id,
            "prefix": self.prefix,
            "workflow": workflow,
            "host": owner::host_name(),
            "updated_ms": now_ms(),
            "state": state,
        });
        self.storage
            .write(&self.pointer(), pointer.to_string().into_bytes())
            .await
            .map_err(|e| format!("{e:#}"))
    }

    /// Copies the run directory's own files (`run.json`, the inputs, id and name) to the store.
    pub async fn save_run_files(&self, run_dir: &Path) -> Result<(), String> {
        for name in RUN_FILES {
            let Ok(bytes) = std::fs::read(run_dir.join(name)) else {
                continue;
            };
            let url = format!("{}run/{name}", self.state());
            self.storage
                .write(&url, bytes)
                .await
                .map_err(|e| format!("{e:#}"))?;
        }
        Ok(())
    }

    /// The inputs the run was started with (an inputs file's JSON), before the engine writes its
    /// own `inputs.json`: a resumed run given no inputs continues with these.
    pub async fn save_inputs(&self, inputs: &serde_json::Value) -> Result<(), String> {
        let url = format!("{}run/inputs.json", self.state());
        self.storage
            .write(&url, inputs.to_string().into_bytes())
            .await
            .map_err(|e| format!("{e:#}"))
    }

    /// The progress line's counts, by call, for `ferry status` on any machine.
    pub async fn save_progress(&self, rows: &[crate::progress::CallRow]) -> Result<(), String> {
        let calls: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name, "total": r.total, "queued": r.queued, "running": r.running,
                    "done": r.done, "cached": r.cached, "failed": r.failed,
                })
            })
            .collect();
        let progress = serde_json::json!({"updated_ms": now_ms(), "calls": calls});
        self.storage
            .write(
                &format!("{}{PROGRESS}", self.state()),
                progress.to_string().into_bytes(),
            )
            .await
            .map_err(|e| format!("{e:#}"))
    }

    /// Asks the engine driving the run to stop it (`ferry cancel`): it looks every few seconds.
    pub async fn request_cancel(&self) -> Result<(), String> {
        let request = serde_json::json!({"requested_ms": now_ms(), "from": owner::host_name()});
        self.storage
            .write(
                &format!("{}{CANCEL}", self.state()),
                request.to_string().into_bytes(),
            )
            .await
            .map_err(|e| format!("{e:#}"))
    }

    /// Whether someone asked the run to stop; the request is removed as it is taken.
    pub async fn take_cancel_request(&self) -> Result<Option<String>, String> {
        let url = format!("{}{CANCEL}", self.state());
        let Some(bytes) = self
            .storage
            .read(&url)
            .await
            .map_err(|e| format!("{e:#}"))?
        else {
            return Ok(None);
        };
        self.storage
            .delete(&url)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        Ok(Some(
            v["from"].as_str().unwrap_or("another machine").to_string(),
        ))
    }

    /// The run's progress and lease as stored, for `ferry status`.
    pub async fn status(
        &self,
    ) -> Result<(Option<serde_json::Value>, Option<serde_json::Value>), String> {
        let read = |url: String| async move {
            self.storage
                .read(&url)
                .await
                .map_err(|e| format!("{e:#}"))
                .map(|b| b.and_then(|b| serde_json::from_slice(&b).ok()))
        };
        let progress = read(format!("{}{PROGRESS}", self.state())).await?;
        let lease = read(format!("{}lease", self.state())).await?;
        Ok((progress, lease))
    }

    /// Rebuilds a run directory from the store: the run's own files, its journal and its Batch
    /// submission records (their attempt directories under `run_dir`). Refuses a directory that
    /// already holds another run.
    pub async fn restore(&self, run_dir: &Path) -> Result<(), String> {
        let io = |what: &Path, e: std::io::Error| format!("cannot write {}: {e}", what.display());
        if let Ok(id) = std::fs::read_to_string(run_dir.join(crate::RUN_ID_FILE))
            && id.trim() != self.run_id
        {
            return Err(format!(
                "{} holds run {}, not {}",
                run_dir.display(),
                id.trim(),
                self.run_id
            ));
        }
        std::fs::create_dir_all(run_dir).map_err(|e| io(run_dir, e))?;
        let state = self.state();
        let objects = self
            .storage
            .list_now(&state)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let mut segments = Vec::new();
        let mut compacted = None;
        let records = run_dir.join(ferry_exec::BATCH_STATE_DIR);
        for object in &objects {
            let Some(rel) = object.url.strip_prefix(&state) else {
                continue;
            };
            if let Some(name) = rel.strip_prefix("run/") {
                if !RUN_FILES.contains(&name) {
                    continue;
                }
                let bytes = self.read(&object.url).await?;
                let path = run_dir.join(name);
                std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
            } else if let Some(name) = rel.strip_prefix(ship::JOURNAL) {
                if name == crate::journal::FILE_NAME {
                    compacted = Some(object.url.clone());
                } else if name.ends_with(".tsv") && !name.contains('/') {
                    segments.push(object.url.clone());
                }
            } else if let Some(name) = rel.strip_prefix(ferry_exec::STORED_RECORDS) {
                let is_record = name.split_once('.').is_some_and(|(n, ext)| {
                    n.parse::<u64>().is_ok() && (ext == "list" || ext == "id")
                });
                if !is_record {
                    continue;
                }
                let bytes = self.read(&object.url).await?;
                let text = String::from_utf8_lossy(&bytes);
                let text = if name.ends_with(".list") {
                    rebase_record(&text, run_dir)?
                } else {
                    text.to_string()
                };
                std::fs::create_dir_all(&records).map_err(|e| io(&records, e))?;
                let path = records.join(name);
                std::fs::write(&path, text).map_err(|e| io(&path, e))?;
            }
        }
        // The journal: what the last engine to end left whole, then what engines appended
        // since, in order (a line read twice says the same twice).
        segments.sort();
        let mut journal = Vec::new();
        for url in compacted.iter().chain(&segments) {
            journal.extend(self.read(url).await?);
        }
        if !journal.is_empty() {
            let path = run_dir.join(crate::journal::FILE_NAME);
            std::fs::write(&path, journal).map_err(|e| io(&path, e))?;
        }
        ferry_exec::restore_scripts(&self.storage, &self.prefix, run_dir)
            .await
            .map_err(|e| format!("the scripts of the run's jobs: {e:#}"))?;
        Ok(())
    }

    async fn read(&self, url: &str) -> Result<Vec<u8>, String> {
        self.storage
            .read(url)
            .await
            .map_err(|e| format!("{e:#}"))?
            .ok_or_else(|| format!("{url}: no such object"))
    }
}

/// `WORK/.ferry-runs/<id>.json`.
pub fn pointer_url(work_dir: &str, run_id: &str) -> String {
    format!(
        "{}/.ferry-runs/{run_id}.json",
        work_dir.trim_end_matches('/')
    )
}

/// A run as its pointer describes it.
#[derive(Clone, Debug)]
pub struct StoredRun {
    pub run_id: String,
    pub prefix: String,
    pub workflow: String,
    pub host: String,
    pub state: String,
    pub updated_ms: u64,
}

impl StoredRun {
    fn parse(bytes: &[u8]) -> Option<StoredRun> {
        let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        Some(StoredRun {
            run_id: s("run_id"),
            prefix: s("prefix"),
            workflow: s("workflow"),
            host: s("host"),
            state: s("state"),
            updated_ms: v["updated_ms"].as_u64().unwrap_or(0),
        })
    }

    /// The run's name in its work directory (the last part of its prefix).
    pub fn run_name(&self) -> String {
        self.prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

/// The run `run_id` in the work directory, from its pointer.
pub async fn find_run(
    storage: &ObjectStorage,
    work_dir: &str,
    run_id: &str,
) -> Result<Option<StoredRun>, String> {
    let url = pointer_url(work_dir, run_id);
    match storage.read(&url).await.map_err(|e| format!("{e:#}"))? {
        None => Ok(None),
        Some(bytes) => StoredRun::parse(&bytes)
            .filter(|r| r.run_id == run_id && r.prefix.starts_with(work_dir.trim_end_matches('/')))
            .map(Some)
            .ok_or_else(|| format!("{url}: not a run's pointer")),
    }
}

/// Every run in the work directory, newest first.
pub async fn list_runs(storage: &ObjectStorage, work_dir: &str) -> Result<Vec<StoredRun>, String> {
    let prefix = format!("{}/.ferry-runs/", work_dir.trim_end_matches('/'));
    let objects = storage
        .list_now(&prefix)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let reads = objects.iter().map(|o| storage.read(&o.url));
    let mut runs: Vec<StoredRun> = futures_util::future::join_all(reads)
        .await
        .into_iter()
        .filter_map(|r| r.ok().flatten())
        .filter_map(|b| StoredRun::parse(&b))
        .collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.updated_ms));
    Ok(runs)
}

/// A stored submission record with its attempt directories under `run_dir`. Only relative
/// paths inside the run directory are accepted: the records come from the store.
fn rebase_record(text: &str, run_dir: &Path) -> Result<String, String> {
    let mut lines = text.lines();
    let mut out = String::new();
    out.push_str(lines.next().unwrap_or_default());
    out.push('\n');
    for rel in lines {
        let p = Path::new(rel);
        if p.is_absolute()
            || p.components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(format!(
                "a stored submission record names {rel:?}, not an attempt directory of the run"
            ));
        }
        out.push_str(&run_dir.join(p).to_string_lossy());
        out.push('\n');
    }
    Ok(out)
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_records_come_back_under_the_new_run_directory_and_nothing_escapes_it() {
        let text = "q\tferry-sq-abc-3\ncalls/sq/shard-0.attempt-1\ncalls/sq/shards-1000/shard-1000.attempt-2\n";
        let out = rebase_record(text, Path::new("/new/run")).unwrap();
        assert_eq!(
            out,
            "q\tferry-sq-abc-3\n/new/run/calls/sq/shard-0.attempt-1\n/new/run/calls/sq/shards-1000/shard-1000.attempt-2\n"
        );
        assert!(rebase_record("q\tn\n/etc/x\n", Path::new("/r")).is_err());
        assert!(rebase_record("q\tn\ncalls/../../x\n", Path::new("/r")).is_err());
    }

    #[test]
    fn a_pointer_names_its_run() {
        let p = br#"{"run_id":"abc","prefix":"s3://b/w/20261207-w/","workflow":"w","host":"h","state":"running","updated_ms":5}"#;
        let r = StoredRun::parse(p).unwrap();
        assert_eq!(r.run_name(), "20261207-w");
        assert_eq!(
            pointer_url("s3://b/w/", "abc"),
            "s3://b/w/.ferry-runs/abc.json"
        );
    }
}
