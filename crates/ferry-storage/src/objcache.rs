//! Housekeeping of the per-node object cache: when each entry was last used, which entries a
//! running Ferry holds, and eviction of the least recently used ones past a size cap.
//!
//! An entry is a directory `CACHE/<key>/` holding one downloaded file or directory, a `.lock`
//! taken while it downloads, and `.in-use`, whose modification time is the entry's last use.
//! Each process that hands entries to tasks registers as a *user*: a file
//! `CACHE/.users/<pid>-<n>` it keeps locked for its life, listing one entry name per line.
//! That is one open descriptor per process, however many objects it uses (a descriptor per
//! entry ran out at a few hundred objects). The evictor (`.evict.lock`, exclusive) skips
//! every entry a live user lists and removes the records of dead ones (their lock is free); a
//! user adds a name under a shared `.evict.lock`, so an eviction in progress cannot remove an
//! entry between its being listed and looked at. Entries held the old way (a shared lock on
//! `.in-use`, by an earlier Ferry) are skipped too.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context, Result};

const IN_USE: &str = ".in-use";
const LOCK: &str = ".lock";
const USERS: &str = ".users";
const EVICT_LOCK: &str = ".evict.lock";

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

/// This process's registration as a user of one cache (see the module's comment); the record
/// is removed when it is dropped.
pub struct CacheUser {
    cache_dir: PathBuf,
    path: PathBuf,
    record: Mutex<(File, HashSet<String>)>,
}

impl CacheUser {
    pub fn register(cache_dir: &Path) -> Result<CacheUser> {
        let users = cache_dir.join(USERS);
        std::fs::create_dir_all(&users)
            .with_context(|| format!("cannot create {}", users.display()))?;
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = format!(
            "{}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        // Locked before it has its listed name: an evictor never sees it unlocked.
        let new = users.join(format!(".new-{name}"));
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&new)
            .with_context(|| format!("cannot create {}", new.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", new.display()))?;
        let path = users.join(name);
        std::fs::rename(&new, &path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(CacheUser {
            cache_dir: cache_dir.to_path_buf(),
            path,
            record: Mutex::new((file, HashSet::new())),
        })
    }

    /// Creates the entry if needed, lists it as this process's and marks it used now. From
    /// here until this process ends no evictor removes it.
    pub fn hold(&self, entry: &Path) -> Result<()> {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut record = self
            .record
            .lock()
            .map_err(|_| anyhow::anyhow!("cache user record poisoned"))?;
        if !record.1.contains(&name) {
            let evict_lock = self.cache_dir.join(EVICT_LOCK);
            let gate = open_for_lock(&evict_lock)?;
            gate.lock_shared()
                .with_context(|| format!("cannot lock {}", evict_lock.display()))?;
            record
                .0
                .write_all(format!("{name}\n").as_bytes())
                .with_context(|| format!("cannot write {}", self.path.display()))?;
            record.1.insert(name);
            drop(gate);
        }
        std::fs::create_dir_all(entry)
            .with_context(|| format!("cannot create {}", entry.display()))?;
        let _ = open_for_lock(&entry.join(IN_USE)).map(|f| f.set_modified(SystemTime::now()));
        Ok(())
    }
}

impl Drop for CacheUser {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn open_for_lock(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// The entries live users list; the records of users that have ended are removed.
fn held_entries(cache_dir: &Path) -> HashSet<String> {
    let mut held = HashSet::new();
    let Ok(users) = std::fs::read_dir(cache_dir.join(USERS)) else {
        return held;
    };
    for user in users.flatten() {
        if user.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = user.path();
        let Ok(mut f) = File::open(&path) else {
            continue;
        };
        if f.try_lock().is_ok() {
            // Its process has ended.
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut f, &mut text).is_ok() {
            held.extend(text.lines().map(str::to_string));
        }
    }
    held
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
    let f = open_for_lock(path).ok()?;
    f.try_lock().ok()?;
    Some(f)
}

/// Every entry, least recently used first.
pub fn list(cache_dir: &Path) -> Result<Vec<CachedObject>> {
    let mut out = Vec::new();
    let held = held_entries(cache_dir);
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
        let in_use = held.contains(entry.file_name().to_string_lossy().as_ref())
            || match std::fs::OpenOptions::new()
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

/// What an eviction pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evicted {
    pub removed: usize,
    pub freed: u64,
    /// The cache's size after the pass; `None` if another evictor was at work.
    pub remaining: Option<u64>,
}

/// Removes least recently used entries until the cache holds at most `max` bytes, skipping
/// entries that are downloading or held. One evictor at a time per cache: a second caller
/// returns at once.
pub fn evict(cache_dir: &Path, max: u64) -> Result<Evicted> {
    let Some(_evictor) = try_exclusive(&cache_dir.join(EVICT_LOCK)) else {
        return Ok(Evicted::default());
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
    Ok(Evicted {
        removed,
        freed,
        remaining: Some(total),
    })
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
        let e = evict(cache.path(), 2000).unwrap();
        assert_eq!((e.removed, e.freed, e.remaining), (2, 2000, Some(2000)));
        assert!(!oldest.exists(), "least recently used goes first");
        assert!(held.exists(), "a held entry is never evicted");
        assert!(!newer.exists());
        assert!(newest.exists());
    }

    #[test]
    fn a_live_user_holds_what_it_lists_and_a_dead_users_record_is_dropped() {
        let cache = tempfile::tempdir().unwrap();
        let listed = entry(cache.path(), "a", 1000, 300);
        let unlisted = entry(cache.path(), "b", 1000, 200);
        let user = CacheUser::register(cache.path()).unwrap();
        user.hold(&listed).unwrap();
        // A user that ended without removing its record: nothing holds its lock.
        let users = cache.path().join(USERS);
        std::fs::write(users.join("1-2-3"), "b\n").unwrap();
        let e = evict(cache.path(), 0).unwrap();
        assert_eq!(e.removed, 1);
        assert!(listed.exists(), "a live user's entry is never evicted");
        assert!(!unlisted.exists(), "a dead user holds nothing");
        assert!(
            !users.join("1-2-3").exists(),
            "a dead user's record is removed"
        );
        let record = user.path.clone();
        drop(user);
        assert!(!record.exists());
        assert_eq!(evict(cache.path(), 0).unwrap().removed, 1);
        assert!(!listed.exists());
    }
}
