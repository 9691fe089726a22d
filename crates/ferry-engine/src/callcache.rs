//! Call caching for task calls: the key of a call, and turning cache entries back into outputs.

use std::path::Path;

use ferry_cache::{Cache, Entry, FORMAT_VERSION};
use ferry_eval::{Members, Value, from_json};
use ferry_storage::remote;
use ferry_wdl::ir::Task;

/// The cache key of a call: the task's fingerprint (definition without positions or comments),
/// its container, and its input values with files identified by name and content.
pub fn key(
    task: &Task,
    container: Option<&str>,
    inputs: &[(&str, Value)],
    cache: &Cache,
) -> Result<String, String> {
    let mut h = blake3::Hasher::new();
    h.update(format!("ferry-call-v{FORMAT_VERSION}\0").as_bytes());
    h.update(task.fingerprint.as_bytes());
    h.update(b"\0");
    h.update(container.unwrap_or("").as_bytes());
    h.update(b"\0");
    for (name, v) in inputs {
        let v = v.map_paths(&mut |path, is_dir| {
            // A streamed input stays a URL: the task reads the object itself.
            if ferry_storage::scheme_of(path) != "file" {
                return Ok(Value::string(format!("url:{path}")));
            }
            // An input a remote job fetches itself is known by its URL here, too; so is a file
            // a remote job left in the store (a shared cache hit on another machine hands the
            // next call its URL, not this stub).
            if let Some(url) = ferry_exec::remote_input_url(path) {
                return Ok(Value::string(format!("url:{url}")));
            }
            if !is_dir && let Some(f) = remote::lookup_file(Path::new(path)) {
                return Ok(Value::string(format!("url:{}", f.url)));
            }
            let p = Path::new(path);
            let base = p
                .file_name()
                .map(|b| b.to_string_lossy().to_string())
                .unwrap_or_default();
            let digest = if is_dir {
                dir_digest(p, cache)
            } else {
                file_digest(p, cache)
            }
            .map_err(|e| format!("input file {path}: {e}"))?;
            Ok(Value::string(format!(
                "{}:{base}:{digest}",
                if is_dir { "dir" } else { "file" }
            )))
        })?;
        h.update(name.as_bytes());
        h.update(b"=");
        h.update(
            serde_json::to_string(&v.to_json())
                .unwrap_or_default()
                .as_bytes(),
        );
        h.update(b"\0");
    }
    Ok(h.finalize().to_hex().to_string())
}

fn dir_digest(dir: &Path, cache: &Cache) -> std::io::Result<String> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let mut h = blake3::Hasher::new();
    for (rel, link_to_dir) in files {
        h.update(rel.as_bytes());
        h.update(b"\0");
        match link_to_dir {
            // A link to a directory of the tree: its text is its content.
            Some(target) => h.update(target.as_bytes()),
            None => h.update(file_digest(&dir.join(&rel), cache)?.as_bytes()),
        };
    }
    Ok(h.finalize().to_hex().to_string())
}

/// What identifies a file's content: its digest, or for a file a remote job left in an object
/// store, the object's ETag and size (its local stub's zeros say nothing).
fn file_digest(path: &Path, cache: &Cache) -> std::io::Result<String> {
    match remote::lookup_file(path) {
        Some(f) => Ok(f.identity()),
        None => cache.digest(path),
    }
}

/// The files of a Directory output by relative path, walked without following links
/// (`ferry_storage::tree`): a link to a file counts as that file; a link to a directory of the
/// tree as its relative target (the second field); any other link is an error.
fn walk(root: &Path, out: &mut Vec<(String, Option<String>)>) -> std::io::Result<()> {
    use ferry_storage::tree::{EntryKind, LinkTarget, entries};
    for entry in entries(root)? {
        let rel = entry.rel.display().to_string();
        match entry.kind {
            EntryKind::Dir => {}
            EntryKind::File
            | EntryKind::Link(LinkTarget::Inside { is_dir: false, .. })
            | EntryKind::Link(LinkTarget::OutsideFile(_)) => out.push((rel, None)),
            EntryKind::Link(LinkTarget::Inside { rel: target, .. }) => {
                out.push((rel, Some(target.display().to_string())))
            }
            EntryKind::Link(LinkTarget::Refused(why)) => {
                return Err(std::io::Error::other(format!("{rel}: {why}")));
            }
        }
    }
    Ok(())
}

/// A cache entry for a call that produced `outputs`.
pub fn entry(key: String, task: &Task, outputs: &Members, cache: &Cache) -> Result<Entry, String> {
    let mut files = Vec::new();
    let mut err = None;
    for v in outputs.values() {
        v.visit_paths(&mut |p, is_dir| {
            let path = Path::new(&**p);
            let mut paths = Vec::new();
            if is_dir {
                let mut rel = Vec::new();
                if let Err(e) = walk(path, &mut rel) {
                    err = Some(format!("{p}: {e}"));
                }
                // Links to directories have no file of their own to record.
                paths.extend(
                    rel.into_iter()
                        .filter(|(_, dir_link)| dir_link.is_none())
                        .map(|(r, _)| path.join(r)),
                );
            } else {
                paths.push(path.to_path_buf());
            }
            for f in paths {
                let recorded = match remote::lookup_file(&f) {
                    Some(r) => cache.record_remote(&f, &r.url, &r.identity()),
                    None => cache.record_file(&f),
                };
                match recorded {
                    Ok(r) => files.push(r),
                    Err(e) => err = Some(format!("{}: {e}", f.display())),
                }
            }
        });
    }
    if let Some(e) = err {
        return Err(e);
    }
    let recorded = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(Entry {
        v: FORMAT_VERSION,
        key,
        task: task.name.to_string(),
        recorded,
        outputs: serde_json::Value::Object(
            outputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect(),
        ),
        files,
    })
}

/// The outputs a cache entry recorded, typed by the task's output declarations.
pub fn outputs(task: &Task, entry: &Entry) -> Result<Members, String> {
    // Defence in depth behind the log's MAC: a hit only ever hands out files that a run
    // produced, never an arbitrary file of this machine.
    if let Some(f) = entry.files.iter().find(|f| {
        // A shared cache's file from another machine is its object in the store.
        let an_object = f.remote.as_deref() == Some(&f.path);
        !an_object && !made_by_a_run(Path::new(&f.path))
    }) {
        return Err(format!(
            "{} is not inside a run directory's calls/: not used",
            f.path
        ));
    }
    let mut out = Members::new();
    for d in &task.outputs {
        let j = entry
            .outputs
            .get(&*d.name)
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        out.insert(
            d.name.clone(),
            from_json(&j, &d.ty).map_err(|e| format!("output `{}`: {e}", d.name))?,
        );
    }
    Ok(out)
}

/// The remote files a cache entry names whose objects are no longer what the entry recorded
/// (changed or deleted in the store), as messages; empty when all are unchanged. One HEAD each.
pub async fn changed_objects(entry: &Entry, storage: &ferry_storage::StorageRouter) -> Vec<String> {
    use futures_util::StreamExt;
    let recorded: Vec<(String, String)> = entry
        .files
        .iter()
        .filter_map(|f| Some((f.remote.clone()?, f.blake3.clone())))
        .collect();
    let checks = recorded.into_iter().map(|(url, identity)| async move {
        let now = match storage.head(&url).await {
            Ok(Some((size, etag))) => remote::RemoteFile {
                url: url.clone(),
                size,
                etag,
            }
            .identity(),
            Ok(None) => return Some(format!("{url} no longer exists")),
            Err(e) => return Some(format!("{e:#}")),
        };
        (now != identity).then(|| format!("{url} has changed"))
    });
    let results: Vec<Option<String>> = futures_util::stream::iter(checks)
        .buffer_unordered(16)
        .collect()
        .await;
    results.into_iter().flatten().collect()
}

/// Whether `path` lies under `RUN/calls/` of a run directory (one holding [`crate::RUN_ID_FILE`]),
/// without `..`.
fn made_by_a_run(path: &Path) -> bool {
    if !path.is_absolute()
        || path
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        return false;
    }
    path.ancestors().skip(1).any(|d| {
        d.file_name().is_some_and(|n| n == "calls")
            && d.parent()
                .is_some_and(|run| run.join(crate::RUN_ID_FILE).is_file())
    })
}
