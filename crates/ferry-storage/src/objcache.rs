//! Housekeeping of the per-node object cache: when each entry was last used, which entries a
//! running Ferry holds, and eviction of the least recently used ones past a size cap.
//!
//! An entry is a directory `CACHE/<key>/` holding one downloaded file or directory, a `.lock`
//! taken while it downloads, and `.in-use`: every process that hands the entry to tasks keeps
//! a shared lock on it until it exits, and sets its modification time (the entry's last use).
//! The evictor removes an entry only while it holds both files' locks exclusively, so it never
//! removes an entry that is downloading or that a running Ferry's tasks may read.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};

const IN_USE: &str = ".in-use";
const LOCK: &str = ".lock";

/// One entry of the cache.
#[derive(Clone, Debug)]
pub struct CachedObject {
    pub dir: PathBuf,
    /// The object's file or directory name.
    pub name: String,
    pub size: u64,
    pub last_use: SystemTime,
    /// Held by a running Ferry (this one included).
    pub in_use: bool,
}

/// Marks the entry used now and holds it for as long as the returned file stays open.
pub fn hold(entry: &Path) -> Result<File> {
    let path = entry.join(IN_USE);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    f.lock_shared()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    let _ = f.set_modified(SystemTime::now());
    Ok(f)
}

fn size_of(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|d| d.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// Whether another process holds `file`'s lock (we can take it exclusively otherwise; the
/// returned handle keeps it).
fn try_exclusive(path: &Path) -> Option<File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    f.try_lock().ok()?;
    Some(f)
}

/// Every entry, least recently used first.
pub fn list(cache_dir: &Path) -> Result<Vec<CachedObject>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(cache_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", cache_dir.display())),
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() || entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Some(object) = std::fs::read_dir(&dir).ok().and_then(|d| {
            d.flatten()
                .find(|e| !e.file_name().to_string_lossy().starts_with('.'))
        }) else {
            continue;
        };
        let last_use = std::fs::metadata(dir.join(IN_USE))
            .or_else(|_| object.metadata())
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let in_use = match std::fs::OpenOptions::new()
            .read(true)
            .open(dir.join(IN_USE))
        {
            Ok(f) => f.try_lock().is_err(),
            Err(_) => false,
        };
        out.push(CachedObject {
            name: object.file_name().to_string_lossy().into_owned(),
            size: size_of(&object.path()),
            last_use,
            in_use,
            dir,
        });
    }
    out.sort_by_key(|o| o.last_use);
    Ok(out)
}

/// Removes least recently used entries until the cache holds at most `max` bytes, skipping
/// entries that are downloading or held. Returns the entries removed and the bytes freed. One
/// evictor at a time per cache: a second caller returns at once.
pub fn evict(cache_dir: &Path, max: u64) -> Result<(usize, u64)> {
    let Some(_evictor) = try_exclusive(&cache_dir.join(".evict.lock")) else {
        return Ok((0, 0));
    };
    let entries = list(cache_dir)?;
    let mut total: u64 = entries.iter().map(|e| e.size).sum();
    let (mut removed, mut freed) = (0, 0);
    for e in entries {
        if total <= max {
            break;
        }
        if e.in_use {
            continue;
        }
        let Some(_downloading) = try_exclusive(&e.dir.join(LOCK)) else {
            continue;
        };
        let Some(_held) = try_exclusive(&e.dir.join(IN_USE)) else {
            continue;
        };
        std::fs::remove_dir_all(&e.dir)
            .with_context(|| format!("cannot remove {}", e.dir.display()))?;
        tracing::debug!(
            "evicted {} ({} bytes) from the object cache",
            e.name,
            e.size
        );
        total -= e.size;
        freed += e.size;
        removed += 1;
    }
    Ok((removed, freed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cache: &Path, key: &str, bytes: usize, age_secs: u64) -> PathBuf {
        let dir = cache.join(key);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("obj.bin"), vec![0u8; bytes]).unwrap();
        let f = File::create(dir.join(IN_USE)).unwrap();
        f.set_modified(SystemTime::now() - std::time::Duration::from_secs(age_secs))
            .unwrap();
        dir
    }

    #[test]
    fn eviction_removes_the_least_recently_used_but_never_a_held_entry() {
        let cache = tempfile::tempdir().unwrap();
        let oldest = entry(cache.path(), "a", 1000, 300);
        let held = entry(cache.path(), "b", 1000, 200);
        let newer = entry(cache.path(), "c", 1000, 100);
        let newest = entry(cache.path(), "d", 1000, 0);
        // A running Ferry holds b (in another open file description, as another process would).
        let _hold = {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(held.join(IN_USE))
                .unwrap();
            f.lock_shared().unwrap();
            f
        };
        let listed = list(cache.path()).unwrap();
        assert_eq!(listed.iter().map(|o| o.size).sum::<u64>(), 4000);
        assert!(listed.iter().find(|o| o.dir == held).unwrap().in_use);
        let (removed, freed) = evict(cache.path(), 2000).unwrap();
        assert_eq!((removed, freed), (2, 2000));
        assert!(!oldest.exists(), "least recently used goes first");
        assert!(held.exists(), "a held entry is never evicted");
        assert!(!newer.exists());
        assert!(newest.exists());
    }
}
