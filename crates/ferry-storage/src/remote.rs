//! Files that stay in an object store. A remote job (AWS Batch) leaves its working directory's
//! files where it wrote them; this machine gets a *stub* for each: a sparse file of the object's
//! size (no blocks on disk) with mode 000, the explicit mark that it is still to be fetched
//! (a copy that fills holes keeps the mode, and the zeros still count as nothing), so globs, existence checks and `size()` work on the attempt's
//! `work/` as for any executor, and the attempt's `remote.json` says where each file really is
//! (URL, size, ETag).
//!
//! Invariant: a stub's zeros are never taken for data. Whatever reads a file's bytes calls
//! [`fill_stubs`] first (the stdlib's `read_*`, publishing to a local directory, a cache hit reused
//! by a local executor); what only needs the file's identity asks [`lookup`] (call-cache keys
//! and entries use the ETag, later remote jobs the URL). `remote.json` is written before any
//! stub exists, so a crash can leave an index without stubs, never stubs without an index; it
//! survives `--resume`, which re-evaluates an attempt's outputs from its directory.
//!
//! [`fill_stubs`] writes the object's bytes into the stub's own inode and gives it back its
//! modification time: the file keeps the identity (inode, size, mtime) that the engine's output
//! stamps and the call cache recorded.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::StorageRouter;

/// The index file's name: `.<attempt>.remote.json` beside the attempt directory (earlier
/// versions: `remote.json` in it).
pub const INDEX_FILE: &str = "remote.json";
/// The working directory's name in an attempt directory.
const WORK: &str = "work";

/// A file of a working directory that lives in an object store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    pub url: String,
    pub size: u64,
    pub etag: Option<String>,
}

impl RemoteFile {
    /// What identifies the object's content (for call-cache keys): its ETag and size when the
    /// store gives one, else its URL.
    pub fn identity(&self) -> String {
        match &self.etag {
            Some(etag) => format!("etag:{etag}:{}", self.size),
            None => format!("url:{}", self.url),
        }
    }
}

/// What a path of a remote working directory is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remote {
    File(RemoteFile),
    /// A directory: the URL prefix of its files (ends with `/`).
    Directory(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Index {
    /// The URL prefix of the working directory (ends with `/`).
    work_url: String,
    /// By path relative to `work/`.
    files: BTreeMap<String, Stored>,
}

impl Index {
    fn file(&self, rel: &str, stored: &Stored) -> RemoteFile {
        RemoteFile {
            url: format!("{}{rel}", self.work_url),
            size: stored.size,
            etag: stored.etag.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
}

/// The URL prefixes under which an index on disk may name objects: the profile's Batch work
/// directory, registered before the run starts. An index read from disk that names anything
/// else is not used, as is every index on disk when the profile has none: a task can write
/// files beside its working directory (a host process anywhere; a container into its attempt
/// directory), and a forged index would make the engine fetch or copy any object its
/// credentials reach. Its sparse files are then refused, not read as zeros ([`fill_stubs`]).
static TRUSTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Trusts indexes naming objects under `prefix` (see [`TRUSTED`]).
pub fn trust_prefix(prefix: String) {
    if let Ok(mut t) = TRUSTED.lock()
        && !t.contains(&prefix)
    {
        t.push(prefix);
    }
}

/// Working directories whose index was not used, and that index.
static UNTRUSTED: Mutex<BTreeMap<PathBuf, PathBuf>> = Mutex::new(BTreeMap::new());

/// Refuses to read a file that looks like a stub (mode 000, sparse) under a working directory
/// whose index was not used or could not be read: its zeros are not data. Fails closed.
fn refuse_untrusted(path: &Path) -> Result<()> {
    let Some(index) = UNTRUSTED
        .lock()
        .ok()
        .and_then(|u| path.ancestors().find_map(|d| u.get(d).cloned()))
    else {
        return Ok(());
    };
    let sparse = |p: &Path| {
        std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0 && unfetched(p, &m))
    };
    fn any_sparse(p: &Path, sparse: &dyn Fn(&Path) -> bool) -> bool {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|d| d.flatten().any(|e| any_sparse(&e.path(), sparse)))
                .unwrap_or(false),
            _ => sparse(p),
        }
    }
    let suspect = any_sparse(path, &sparse);
    if suspect {
        bail!(
            "{}: may be a stub of a remote file, but its index {} is unreadable or names objects outside the profile's Batch work directory, and is not used",
            path.display(),
            index.display()
        );
    }
    Ok(())
}

fn trusted(index: &Index) -> bool {
    TRUSTED.lock().is_ok_and(|t| {
        t.iter().any(|p| index.work_url.starts_with(p.as_str()))
            && index.files.keys().all(|rel| {
                !Path::new(rel).is_absolute() && !rel.split('/').any(|c| c == ".." || c == ".")
            })
    })
}

/// Where an attempt's index is kept: beside the attempt directory, not in it (a container
/// task has its attempt directory mounted read-write; it cannot write beside it).
fn index_path(attempt_dir: &Path) -> Option<PathBuf> {
    let name = attempt_dir.file_name()?.to_string_lossy();
    Some(attempt_dir.with_file_name(format!(".{name}.{INDEX_FILE}")))
}

/// Where an attempt's index may be: where this version keeps it, then where earlier versions
/// did (inside the attempt directory).
fn index_places(attempt_dir: &Path) -> impl Iterator<Item = PathBuf> {
    index_path(attempt_dir)
        .into_iter()
        .chain(std::iter::once(attempt_dir.join(INDEX_FILE)))
}

/// Forgets an attempt's index (an unfinished attempt's, before it runs again), on disk
/// wherever a version of Ferry kept it, and in memory.
pub fn remove_index(attempt_dir: &Path) -> std::io::Result<()> {
    if let Ok(mut known) = indexes().lock() {
        known.remove(&attempt_dir.join(WORK));
    }
    for file in index_places(attempt_dir) {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Indexes read so far, by working directory. Written once per attempt, never changed after:
/// only the ones that exist are remembered (a local run's lookups cost one `stat` each).
fn indexes() -> &'static Mutex<HashMap<PathBuf, Arc<Index>>> {
    static INDEXES: OnceLock<Mutex<HashMap<PathBuf, Arc<Index>>>> = OnceLock::new();
    INDEXES.get_or_init(Default::default)
}

/// One file a job left in the store, relative to its working directory.
#[derive(Clone, Debug)]
pub struct LeftFile {
    pub rel: String,
    pub size: u64,
    pub etag: Option<String>,
}

/// Records that the files of `attempt_dir/work/` are the objects under `work_url` and creates
/// their stubs. `Ok(false)`: this filesystem does not make sparse files (a stub would take the
/// object's size on disk and could not be told from data): download the files instead.
pub fn leave_in_store(attempt_dir: &Path, work_url: &str, files: &[LeftFile]) -> Result<bool> {
    let work = attempt_dir.join(WORK);
    // Before anything is written: no index may name a path outside the working directory.
    if let Some(f) = files
        .iter()
        .find(|f| Path::new(&f.rel).is_absolute() || f.rel.split('/').any(|c| c == ".."))
    {
        bail!(
            "{work_url}{}: not a path inside the working directory",
            f.rel
        );
    }
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    if files.is_empty() {
        // Nothing to stand in for: no index (most shards of a wide scatter leave only their
        // logs, and an index is a synced file and a rename per shard).
        return Ok(true);
    }
    if !makes_sparse_files(attempt_dir) {
        return Ok(false);
    }
    let index = Index {
        work_url: work_url.to_string(),
        files: files
            .iter()
            .map(|f| {
                (
                    f.rel.clone(),
                    Stored {
                        size: f.size,
                        etag: f.etag.clone(),
                    },
                )
            })
            .collect(),
    };
    let path = index_path(attempt_dir)
        .with_context(|| format!("{}: no attempt directory name", attempt_dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_vec(&index).context("cannot encode the remote index")?;
    // On disk before any stub exists, and before the rename makes it the index.
    (|| -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })()
    .with_context(|| format!("cannot write {}", path.display()))?;
    for f in files {
        let stub = work.join(&f.rel);
        if let Some(dir) = stub.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Mode 000: the explicit mark of a stub still to be fetched, which copies keep (`cp`,
        // `rsync`, `tar`), also those that fill holes; and a reader that is not root gets an
        // error, not zeros.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o000)
            .open(&stub)
            .with_context(|| format!("cannot create {}", stub.display()))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o000))
            .and_then(|()| file.set_len(f.size))
            .with_context(|| format!("cannot size {}", stub.display()))?;
    }
    if let Ok(mut known) = indexes().lock() {
        known.insert(work, Arc::new(index));
    }
    Ok(true)
}

/// Whether a file sized with `set_len` in `dir` takes no blocks (ext4, xfs, btrfs, tmpfs do).
fn makes_sparse_files(dir: &Path) -> bool {
    // Once per filesystem.
    static SPARSE: OnceLock<Mutex<HashMap<u64, bool>>> = OnceLock::new();
    let Ok(key) = std::fs::metadata(dir).map(|m| m.dev()) else {
        return false;
    };
    let known = SPARSE.get_or_init(Default::default);
    if let Some(s) = known.lock().ok().and_then(|k| k.get(&key).copied()) {
        return s;
    }
    let probe = dir.join(".sparse-probe");
    let sparse = std::fs::File::create(&probe)
        .and_then(|f| {
            f.set_len(1 << 20)?;
            f.metadata()
        })
        .map(|m| m.blocks() == 0)
        .unwrap_or(false);
    let _ = std::fs::remove_file(&probe);
    if !sparse {
        tracing::warn!(
            "{} does not make sparse files: remote jobs' outputs are downloaded whole",
            dir.display()
        );
    }
    if let Ok(mut k) = known.lock() {
        k.insert(key, sparse);
    }
    sparse
}

/// Where `path` (a file or directory of a remote job's working directory, stub or fetched)
/// lives in the store; `None` for any other path.
pub fn lookup(path: &Path) -> Option<Remote> {
    let (work, index) = index_of(path)?;
    let rel = path.strip_prefix(&work).ok()?.to_str()?;
    if rel.is_empty() {
        return Some(Remote::Directory(index.work_url.clone()));
    }
    if let Some(f) = index.files.get(rel) {
        return Some(Remote::File(index.file(rel, f)));
    }
    let prefix = format!("{rel}/");
    index
        .files
        .range(prefix.clone()..)
        .next()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|_| Remote::Directory(format!("{}{prefix}", index.work_url)))
}

/// The remote file `path` is, if it is one.
pub fn lookup_file(path: &Path) -> Option<RemoteFile> {
    match lookup(path)? {
        Remote::File(f) => Some(f),
        Remote::Directory(_) => None,
    }
}

/// The remote files under a directory of a remote working directory, by path relative to it.
pub fn files_under(dir: &Path) -> Vec<(String, RemoteFile)> {
    let Some((work, index)) = index_of(dir) else {
        return Vec::new();
    };
    let Some(rel) = dir.strip_prefix(&work).ok().and_then(|r| r.to_str()) else {
        return Vec::new();
    };
    let prefix = if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    };
    index
        .files
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, f)| (k[prefix.len()..].to_string(), index.file(k, f)))
        .collect()
}

/// The working directory holding `path` that has an index, and the index.
fn index_of(path: &Path) -> Option<(PathBuf, Arc<Index>)> {
    for dir in path.ancestors() {
        if dir.file_name().is_none_or(|n| n != WORK) {
            continue;
        }
        if let Some(index) = indexes().lock().ok().and_then(|k| k.get(dir).cloned()) {
            return Some((dir.to_path_buf(), index));
        }
        let attempt_dir = dir.parent()?;
        // Used only if it names objects under the profile's Batch work directory.
        let Some((file, bytes)) =
            index_places(attempt_dir).find_map(|f| std::fs::read(&f).ok().map(|b| (f, b)))
        else {
            continue;
        };
        match serde_json::from_slice::<Index>(&bytes) {
            Ok(index) if !trusted(&index) => {
                if let Ok(mut u) = UNTRUSTED.lock() {
                    u.insert(dir.to_path_buf(), file.clone());
                }
                tracing::warn!(
                    "{}: not used: it names objects outside the profile's Batch work directory ({})",
                    file.display(),
                    index.work_url
                );
                return None;
            }
            Ok(index) => {
                let index = Arc::new(index);
                if let Ok(mut k) = indexes().lock() {
                    k.insert(dir.to_path_buf(), index.clone());
                }
                return Some((dir.to_path_buf(), index));
            }
            Err(e) => {
                // Fails closed: what looks like a stub under it is refused, not read as zeros.
                if let Ok(mut u) = UNTRUSTED.lock() {
                    u.insert(dir.to_path_buf(), file.clone());
                }
                tracing::warn!(
                    "{}: unreadable ({e}); files under it that look like stubs are refused",
                    file.display()
                );
                return None;
            }
        }
    }
    None
}

/// Whether `path` is a stub still to be fetched: a remote file whose mode is still 000 (the mark
/// stubs are created with; a copy that fills holes keeps it), that takes no blocks on disk
/// (stubs of earlier versions), or whose fetch by an earlier version did not finish (its part
/// file is still there). A fill killed halfway leaves the mode at 000.
pub fn is_stub(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| is_stub_with(path, &meta))
}

fn is_stub_with(path: &Path, meta: &std::fs::Metadata) -> bool {
    meta.is_file() && meta.len() > 0 && lookup_file(path).is_some() && unfetched(path, meta)
}

fn unfetched(path: &Path, meta: &std::fs::Metadata) -> bool {
    meta.permissions().mode() & 0o777 == 0 || meta.blocks() == 0 || legacy_part_of(path).exists()
}

/// Where a fill by an earlier version was downloaded (one name per stub); left behind, it marks
/// a fill that did not finish.
fn legacy_part_of(stub: &Path) -> PathBuf {
    let name = stub
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    stub.with_file_name(format!(".{name}.ferry-fetch"))
}

/// Where one fill downloads the object before it fills the stub: a name of its own (process
/// and fill), so two fills at once (two engines, two spellings of one path) never write one
/// part file together. Each writes the same bytes into the stub; the stub's mode says when one
/// finished.
fn part_of(stub: &Path) -> PathBuf {
    static FILLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = FILLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let legacy = legacy_part_of(stub);
    legacy.with_file_name(format!(
        "{}.{}.{n}",
        legacy
            .file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ))
}

/// Removes the part files of fills whose process is gone (killed halfway).
fn remove_dead_parts(stub: &Path) {
    let legacy = legacy_part_of(stub);
    let (Some(dir), Some(prefix)) = (legacy.parent(), legacy.file_name()) else {
        return;
    };
    let prefix = format!("{}.", prefix.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('.').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Whether `path` is, or is a directory holding, a stub still to be fetched.
/// (A sparse file under an index that is not used counts: [`fill_stubs`] refuses it.)
pub fn has_stubs(path: &Path) -> bool {
    // No index covers the path (a local task's stdout, 100,000 times in a scatter): nothing
    // to stat. Only remote jobs' working directories have stubs.
    let stubs = index_of(path).is_some()
        && match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => files_under(path)
                .iter()
                .any(|(rel, _)| is_stub(&path.join(rel))),
            Ok(m) => is_stub_with(path, &m),
            Err(_) => false,
        };
    stubs || refuse_untrusted(path).is_err()
}

/// Replaces the stubs at or under `path` with their objects' bytes. Files that are not stubs
/// are left alone, so calling it on any path is safe and cheap.
pub async fn fill_stubs(storage: &StorageRouter, path: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    let files: Vec<(PathBuf, RemoteFile)> = if meta.is_dir() {
        files_under(path)
            .into_iter()
            .map(|(rel, f)| (path.join(rel), f))
            .collect()
    } else {
        lookup_file(path)
            .map(|f| vec![(path.to_path_buf(), f)])
            .unwrap_or_default()
    };
    if files.is_empty() {
        refuse_untrusted(path)?;
    }
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(files)
        .map(|(stub, remote)| async move { fill_stub(storage, &stub, &remote).await })
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn fill_stub(storage: &StorageRouter, stub: &Path, remote: &RemoteFile) -> Result<()> {
    // One fill per stub in this process; callers that arrive meanwhile wait for its result.
    static FILLED: OnceLock<crate::object::Memo<()>> = OnceLock::new();
    let key = stub.to_string_lossy();
    crate::object::memo(FILLED.get_or_init(Default::default), &key, || async {
        if !is_stub(stub) {
            return Ok(());
        }
        remove_dead_parts(stub);
        let part = part_of(stub);
        let filled = async {
            storage.download(remote, &part).await?;
            copy_into_stub(stub, &part)
        }
        .await;
        let _ = std::fs::remove_file(&part);
        filled.with_context(|| format!("cannot fetch {} from {}", stub.display(), remote.url))?;
        // A fill of an earlier version that stopped halfway: this one finished it.
        let _ = std::fs::remove_file(legacy_part_of(stub));
        tracing::debug!("fetched {} ({} bytes)", remote.url, remote.size);
        Ok(())
    })
    .await
}

/// Copies `part` into the stub's inode and puts back the stub's mtime, and its mode: a stub
/// still marked 000 becomes readable (0644) only once it holds the object.
fn copy_into_stub(stub: &Path, part: &Path) -> Result<()> {
    let meta = std::fs::metadata(stub)?;
    let mode = meta.permissions().mode();
    let mtime = meta.modified()?;
    let writable = mode | 0o200;
    if writable != mode {
        std::fs::set_permissions(stub, std::fs::Permissions::from_mode(writable))?;
    }
    let filled = (|| -> std::io::Result<()> {
        let mut dest = std::fs::OpenOptions::new().write(true).open(stub)?;
        let mut src = std::fs::File::open(part)?;
        let copied = std::io::copy(&mut src, &mut dest)?;
        if copied != meta.len() {
            return Err(std::io::Error::other(format!(
                "fetched {copied} bytes, the stub has {}",
                meta.len()
            )));
        }
        dest.sync_data()?;
        dest.set_modified(mtime)
    })();
    let after = if filled.is_ok() && mode & 0o777 == 0 {
        mode | 0o644
    } else {
        mode
    };
    if after != writable {
        std::fs::set_permissions(stub, std::fs::Permissions::from_mode(after))?;
    }
    Ok(filled?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stubs_are_sparse_and_indexed_and_lookups_find_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let attempt = dir.path().join("attempt-1");
        std::fs::create_dir_all(&attempt).unwrap();
        let files = [
            LeftFile {
                rel: "out.bam".into(),
                size: 5 << 20,
                etag: Some("\"abc\"".into()),
            },
            LeftFile {
                rel: "d/sub/x.txt".into(),
                size: 3,
                etag: None,
            },
        ];
        assert!(leave_in_store(&attempt, "s3://b/run/work/", &files).unwrap());
        let work = attempt.join("work");
        let bam = work.join("out.bam");
        assert_eq!(std::fs::metadata(&bam).unwrap().len(), 5 << 20);
        assert!(is_stub(&bam));
        assert_eq!(
            lookup(&bam),
            Some(Remote::File(RemoteFile {
                url: "s3://b/run/work/out.bam".into(),
                size: 5 << 20,
                etag: Some("\"abc\"".into()),
            }))
        );
        assert_eq!(
            lookup(&work.join("d")),
            Some(Remote::Directory("s3://b/run/work/d/".into()))
        );
        assert_eq!(lookup(&work.join("dd")), None);
        assert_eq!(files_under(&work.join("d")).len(), 1);
        assert_eq!(files_under(&work.join("d"))[0].0, "sub/x.txt");
        assert!(has_stubs(&work.join("d")));
        // Read back from disk, as a resumed run does: used when it names objects under the
        // profile's Batch work directory.
        indexes().lock().unwrap().clear();
        trust_prefix("s3://b/".into());
        assert!(lookup_file(&work.join("d/sub/x.txt")).is_some());
        // A fetch that stopped halfway: blocks, but its part file is still there.
        let x = work.join("d/sub/x.txt");
        std::fs::write(&x, "ab").unwrap();
        std::fs::write(work.join("d/sub/.x.txt.ferry-fetch"), "abc").unwrap();
        assert!(is_stub(&x), "a half-filled stub is still a stub");
        std::fs::remove_file(work.join("d/sub/.x.txt.ferry-fetch")).unwrap();
        assert!(is_stub(&x), "still marked 000");
        std::fs::set_permissions(&x, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!is_stub(&x));
        // A file outside any remote working directory.
        let local = dir.path().join("work");
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join("f"), "x").unwrap();
        assert_eq!(lookup(&local.join("f")), None);
        assert!(!is_stub(&local.join("f")));
    }

    #[test]
    fn a_job_that_left_no_files_gets_a_working_directory_and_no_index() {
        let dir = tempfile::tempdir().unwrap();
        let attempt = dir.path().join("attempt-1");
        std::fs::create_dir_all(&attempt).unwrap();
        assert!(leave_in_store(&attempt, "s3://b/run/work/", &[]).unwrap());
        assert!(attempt.join("work").is_dir());
        assert!(index_places(&attempt).all(|f| !f.exists()));
        assert_eq!(lookup(&attempt.join("work/out.txt")), None);
    }

    #[test]
    fn filling_a_stub_keeps_its_inode_mtime_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let stub = dir.path().join("s");
        let f = std::fs::File::create(&stub).unwrap();
        f.set_len(5).unwrap();
        drop(f);
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o444)).unwrap();
        let before = std::fs::metadata(&stub).unwrap();
        let part = dir.path().join("p");
        std::fs::write(&part, "hello").unwrap();
        copy_into_stub(&stub, &part).unwrap();
        let after = std::fs::metadata(&stub).unwrap();
        assert_eq!(std::fs::read(&stub).unwrap(), b"hello");
        assert_eq!(before.ino(), after.ino());
        assert_eq!(before.modified().unwrap(), after.modified().unwrap());
        assert_eq!(after.permissions().mode() & 0o777, 0o444);
        assert!(after.blocks() > 0);
        // A stub marked 000 is readable once filled.
        let marked = dir.path().join("m");
        std::fs::File::create(&marked).unwrap().set_len(5).unwrap();
        std::fs::set_permissions(&marked, std::fs::Permissions::from_mode(0o000)).unwrap();
        copy_into_stub(&marked, &part).unwrap();
        let m = std::fs::metadata(&marked).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o644);
    }

    #[test]
    fn a_stub_whose_holes_were_filled_by_a_copy_is_still_a_stub() {
        let dir = tempfile::tempdir().unwrap();
        let attempt = dir.path().join("attempt-1");
        std::fs::create_dir_all(&attempt).unwrap();
        let files = [LeftFile {
            rel: "out.txt".into(),
            size: 4096,
            etag: None,
        }];
        trust_prefix("s3://holes/".into());
        assert!(leave_in_store(&attempt, "s3://holes/run/work/", &files).unwrap());
        let stub = attempt.join("work/out.txt");
        assert_eq!(
            std::fs::metadata(&stub).unwrap().permissions().mode() & 0o777,
            0
        );
        // What `cp --sparse=never` or `rsync` without -S leave: zeros on disk, the mode kept.
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&stub, vec![0u8; 4096]).unwrap();
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o000)).unwrap();
        assert!(std::fs::metadata(&stub).unwrap().blocks() > 0);
        assert!(is_stub(&stub), "zeros a copy wrote are not the object");
    }

    #[test]
    fn fills_download_to_part_files_of_their_own_and_dead_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stub = dir.path().join("x.bam");
        let (a, b) = (part_of(&stub), part_of(&stub));
        assert_ne!(a, b, "two fills, two part files");
        assert!(
            a.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!(".x.bam.ferry-fetch.{}.", std::process::id()))
        );
        // One of a live process (this one) stays; one of a process that is gone is removed.
        std::fs::write(&a, "live").unwrap();
        let dead = dir.path().join(".x.bam.ferry-fetch.999999999.0");
        std::fs::write(&dead, "dead").unwrap();
        remove_dead_parts(&stub);
        assert!(a.exists());
        assert!(!dead.exists());
    }
}
