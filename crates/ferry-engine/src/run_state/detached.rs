//! What a detached engine (`ferry run --detach`, the engine as a Batch job) needs of its run
//! beyond what resumes any run: the workflow's sources (the document and its local imports, as
//! they were when the run was detached) and the `ferry run` options it was started with.
//!
//! Layout, under the run's state: `run/workflow/<path>` for each source, relative to the
//! deepest directory holding them all, and `run/detached.json`.

use std::path::{Component, Path, PathBuf};

use super::{RunHome, now_ms};

const DETACHED: &str = "run/detached.json";
const WORKFLOW: &str = "run/workflow/";

/// How a detached run was started.
#[derive(Debug, Clone, PartialEq)]
pub struct Detached {
    /// The main document, relative to the sources' root.
    pub main: String,
    /// The `ferry run` options the engine runs with (`--compat cromwell`, `--keep-going`...).
    pub options: Vec<String>,
    /// The profile's name inside the profile file the engine is given.
    pub profile: String,
    /// The engine's Batch job, once submitted.
    pub engine_job: Option<String>,
    pub submitted_ms: u64,
}

impl Detached {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "main": self.main,
            "options": self.options,
            "profile": self.profile,
            "engine_job": self.engine_job,
            "submitted_ms": self.submitted_ms,
        })
    }

    fn parse(bytes: &[u8]) -> Option<Detached> {
        let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        Some(Detached {
            main: v["main"].as_str()?.to_string(),
            options: v["options"]
                .as_array()?
                .iter()
                .filter_map(|o| o.as_str().map(str::to_string))
                .collect(),
            profile: v["profile"].as_str()?.to_string(),
            engine_job: v["engine_job"].as_str().map(str::to_string),
            submitted_ms: v["submitted_ms"].as_u64().unwrap_or(0),
        })
    }
}

/// The deepest directory that holds every one of `paths` (absolute).
fn common_root(paths: &[PathBuf]) -> PathBuf {
    let mut root: Option<PathBuf> = None;
    for p in paths {
        let dir = p.parent().unwrap_or(Path::new("/")).to_path_buf();
        root = Some(match root {
            None => dir,
            Some(r) => {
                let mut common = PathBuf::new();
                for (a, b) in r.components().zip(dir.components()) {
                    if a != b {
                        break;
                    }
                    common.push(a);
                }
                common
            }
        });
    }
    root.unwrap_or_else(|| PathBuf::from("/"))
}

/// A relative path from the store, only if it stays inside the directory it is joined to.
fn confined(rel: &str) -> Option<&Path> {
    let p = Path::new(rel);
    (!rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))).then_some(p)
}

impl RunHome {
    /// A detached run's id and name, as its run directory would hold them: what the engine's
    /// job rebuilds its run directory from.
    pub async fn save_identity(&self, run_name: &str) -> Result<(), String> {
        for (name, text) in [
            (crate::RUN_ID_FILE, &self.run_id),
            (super::RUN_NAME_FILE, &run_name.to_string()),
        ] {
            self.storage
                .write(
                    &format!("{}run/{name}", self.state()),
                    format!("{text}\n").into_bytes(),
                )
                .await
                .map_err(|e| format!("{e:#}"))?;
        }
        Ok(())
    }

    /// The outputs of a run that has ended (`outputs.json`, as its engine wrote it).
    pub async fn read_outputs(&self) -> Result<Option<serde_json::Value>, String> {
        self.read_run_json("outputs.json").await
    }

    /// The inputs the run was started with (an inputs file's JSON).
    pub async fn read_inputs(&self) -> Result<Option<serde_json::Value>, String> {
        self.read_run_json("inputs.json").await
    }

    async fn read_run_json(&self, name: &str) -> Result<Option<serde_json::Value>, String> {
        let url = format!("{}run/{name}", self.state());
        let bytes = self
            .storage
            .read(&url)
            .await
            .map_err(|e| format!("{e:#}"))?;
        Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Copies the workflow's sources to the store; the main document's path among them.
    pub async fn save_workflow(&self, sources: &[PathBuf], main: &Path) -> Result<String, String> {
        let main = std::path::absolute(main).map_err(|e| format!("{}: {e}", main.display()))?;
        let mut all: Vec<PathBuf> = sources.to_vec();
        if !all.contains(&main) {
            all.push(main.clone());
        }
        let root = common_root(&all);
        for path in &all {
            let rel = path
                .strip_prefix(&root)
                .map_err(|_| format!("{} is not under {}", path.display(), root.display()))?;
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let url = format!("{}{WORKFLOW}{}", self.state(), rel.to_string_lossy());
            self.storage
                .write(&url, bytes)
                .await
                .map_err(|e| format!("{e:#}"))?;
        }
        Ok(main
            .strip_prefix(&root)
            .unwrap_or(&main)
            .to_string_lossy()
            .to_string())
    }

    /// Writes the workflow's sources under `dir`, as they were saved.
    pub async fn restore_workflow(&self, dir: &Path) -> Result<(), String> {
        let prefix = format!("{}{WORKFLOW}", self.state());
        let objects = self
            .storage
            .list_now(&prefix)
            .await
            .map_err(|e| format!("{e:#}"))?;
        for object in objects {
            let Some(rel) = object.url.strip_prefix(&prefix) else {
                continue;
            };
            let Some(rel) = confined(rel) else {
                return Err(format!("{}: not a path inside the workflow", object.url));
            };
            let bytes = self.read(&object.url).await?;
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }

    pub async fn save_detached(&self, detached: &Detached) -> Result<(), String> {
        self.storage
            .write(
                &format!("{}{DETACHED}", self.state()),
                detached.to_json().to_string().into_bytes(),
            )
            .await
            .map_err(|e| format!("{e:#}"))
    }

    /// How the run was detached; `None` for a run that never was.
    pub async fn read_detached(&self) -> Result<Option<Detached>, String> {
        let url = format!("{}{DETACHED}", self.state());
        match self
            .storage
            .read(&url)
            .await
            .map_err(|e| format!("{e:#}"))?
        {
            None => Ok(None),
            Some(bytes) => Detached::parse(&bytes)
                .map(Some)
                .ok_or_else(|| format!("{url}: not a detached run's record")),
        }
    }
}

impl Detached {
    pub fn new(main: String, options: Vec<String>, profile: String) -> Detached {
        Detached {
            main,
            options,
            profile,
            engine_job: None,
            submitted_ms: now_ms(),
        }
    }

    /// The main document's path under the directory the sources were restored to.
    pub fn main_under(&self, dir: &Path) -> Result<PathBuf, String> {
        confined(&self.main)
            .map(|rel| dir.join(rel))
            .ok_or_else(|| format!("{:?} is not a path inside the workflow", self.main))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_share_their_deepest_directory_and_stored_paths_stay_inside() {
        let root = common_root(&[
            PathBuf::from("/w/pipelines/a/main.wdl"),
            PathBuf::from("/w/tasks/b.wdl"),
            PathBuf::from("/w/pipelines/a/sub/c.wdl"),
        ]);
        assert_eq!(root, PathBuf::from("/w"));
        assert_eq!(
            common_root(&[PathBuf::from("/w/main.wdl")]),
            PathBuf::from("/w")
        );
        assert!(confined("tasks/b.wdl").is_some());
        for bad in ["../x.wdl", "/etc/passwd", "a/../../x", ""] {
            assert!(confined(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_detached_record_reads_back() {
        let mut d = Detached::new(
            "a/main.wdl".into(),
            vec!["--keep-going".into()],
            "aws".into(),
        );
        d.engine_job = Some("job-1".into());
        assert_eq!(Detached::parse(d.to_json().to_string().as_bytes()), Some(d));
    }
}
